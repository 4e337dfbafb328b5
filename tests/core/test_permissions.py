"""``can(user, permission, territory, obj=None)``: one level, through the roles of an active membership."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from platformcoop.accounts.models import User
from platformcoop.accounts.permissions import can
from platformcoop.extensions import db
from platformcoop.tenancy.models import MEMBERSHIP_DECLINED, MEMBERSHIP_PENDING, MEMBERSHIP_SUSPENDED, Territory
from tests.conftest import create_user, login
from tests.sample_plugin import SampleItem

CORE_PERMISSIONS = ("territory.use", "territory.moderate", "territory.admin")


def user(email: str) -> User:
    return db.session.scalars(select(User).filter_by(email=email)).one()


def territory(slug: str) -> Territory:
    return db.session.scalars(select(Territory).filter_by(slug=slug)).one()


def allowed(email: str, slug: str, permissions=CORE_PERMISSIONS) -> set[str]:
    return {p for p in permissions if can(user(email), p, territory(slug))}


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        (("resident",), {"territory.use"}),
        (("resident", "moderator"), {"territory.use", "territory.moderate"}),
        (("resident", "admin"), {"territory.use", "territory.moderate", "territory.admin"}),
    ],
)
def test_core_permissions_follow_the_roles_of_the_membership(app, ctx, libercourt, roles, expected):
    create_user(app, "camille@example.org", libercourt=roles)

    assert allowed("camille@example.org", "libercourt") == expected


def test_superadmin_may_do_everything_without_a_membership(app, ctx, libercourt):
    create_user(app, "operateur@example.org")
    user("operateur@example.org").is_superadmin = True

    assert allowed("operateur@example.org", "libercourt", (*CORE_PERMISSIONS, "sample.manage")) == {
        *CORE_PERMISSIONS,
        "sample.manage",
    }


@pytest.mark.parametrize("status", [MEMBERSHIP_PENDING, MEMBERSHIP_SUSPENDED, MEMBERSHIP_DECLINED])
def test_a_membership_that_is_not_active_grants_nothing(app, ctx, libercourt, status):
    create_user(app, "camille@example.org", libercourt=("resident", "admin"))
    user("camille@example.org").membership_in(territory("libercourt")).status = status

    assert allowed("camille@example.org", "libercourt") == set()


def test_roles_in_one_territory_grant_nothing_in_another(app, ctx, libercourt, lomme):
    create_user(app, "admin@lomme.example.org", lomme=("resident", "admin"))

    assert allowed("admin@lomme.example.org", "libercourt") == set()
    assert allowed("admin@lomme.example.org", "lomme") == set(CORE_PERMISSIONS)


def test_an_object_of_another_territory_is_never_allowed(app, ctx, libercourt, lomme):
    create_user(app, "admin@libercourt.example.org", libercourt=("resident", "admin"))
    create_user(app, "operateur@example.org")
    user("operateur@example.org").is_superadmin = True
    lomme_item = SampleItem(territory_id=lomme, title="Tondeuse de Lomme")
    libercourt_item = SampleItem(territory_id=libercourt, title="Perceuse de Libercourt")
    db.session.add_all([lomme_item, libercourt_item])
    db.session.flush()

    for email in ("admin@libercourt.example.org", "operateur@example.org"):
        assert can(user(email), "territory.admin", territory("libercourt"), obj=libercourt_item)
        assert not can(user(email), "territory.admin", territory("libercourt"), obj=lomme_item)


@pytest.mark.parametrize(
    ("roles", "may_manage"),
    [
        (("resident",), False),
        (("resident", "moderator"), False),
        (("resident", "sample.manager"), True),
        (("resident", "admin"), True),
    ],
)
def test_module_permission_comes_from_the_manifest(app, ctx, libercourt, roles, may_manage):
    create_user(app, "camille@example.org", libercourt=roles)

    assert can(user("camille@example.org"), "sample.manage", territory("libercourt")) is may_manage


def test_visitors_and_missing_territories_are_refused(app, ctx, libercourt):
    create_user(app, "admin@libercourt.example.org", libercourt=("resident", "admin"))

    assert not can(AnonymousUserMixin(), "territory.use", territory("libercourt"))
    assert not can(None, "territory.use", territory("libercourt"))
    assert not can(user("admin@libercourt.example.org"), "territory.use", None)


def test_an_unknown_permission_is_a_programming_error(app, ctx, libercourt):
    create_user(app, "admin@libercourt.example.org", libercourt=("resident", "admin"))

    with pytest.raises(KeyError):
        can(user("admin@libercourt.example.org"), "sample.launch_rockets", territory("libercourt"))


def test_suspended_admin_is_refused_on_the_admin_pages(app, libercourt):
    create_user(app, "admin@libercourt.example.org", libercourt=("resident", "admin"))
    client = app.test_client()
    login(client, "admin@libercourt.example.org")
    assert client.get("/libercourt/admin/").status_code == 200
    with app.app_context():
        user("admin@libercourt.example.org").membership_in(territory("libercourt")).status = MEMBERSHIP_SUSPENDED
        db.session.commit()

    assert client.get("/libercourt/admin/").status_code == 403


def test_visitor_is_sent_to_login_from_the_admin_pages(client, libercourt):
    response = client.get("/libercourt/admin/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/compte/connexion")
