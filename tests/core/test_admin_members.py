"""Members administration: search and filters, one member's page, roles, suspension, last activity, CSV export."""

from __future__ import annotations

import csv
import html
import io
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from platformcoop import clock
from platformcoop.accounts.models import User
from platformcoop.accounts.permissions import can
from platformcoop.audit import AuditLog
from platformcoop.extensions import db
from platformcoop.notifications.models import Notification
from platformcoop.tenancy.models import Membership, Territory
from tests.conftest import create_user, login


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def membership_of(email: str, territory_id: int) -> Membership:
    user = db.session.scalars(select(User).filter_by(email=email)).one()
    return db.session.scalars(select(Membership).filter_by(user_id=user.id, territory_id=territory_id)).one()


def membership_id(app, email: str, territory_id: int) -> int:
    with app.app_context():
        return membership_of(email, territory_id).id


def listed_names(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/libercourt/admin/membres/\d+">([^<]+)</a></th>', page)


@pytest.fixture
def residents(app, libercourt) -> None:
    create_user(app, "camille.martin@example.org", "Camille Martin", libercourt=("resident",))
    create_user(app, "sacha@exemple.fr", "Sacha Lefebvre", libercourt=("resident", "moderator"))
    create_user(app, "noa@example.org", "Noa Petit", libercourt=("resident", "sample.manager"))


# -- the list -------------------------------------------------------------------------------------------------------


def test_the_list_shows_every_member_with_roles_and_last_activity(app, libercourt_admin, residents):
    page = page_text(libercourt_admin.get("/libercourt/admin/membres"))

    assert listed_names(page) == ["Admin Libercourt", "Camille Martin", "Noa Petit", "Sacha Lefebvre"]
    assert "Habitant, Modérateur" in page
    assert "Habitant, Gestionnaire de l'exemple" in page
    assert "4 membres trouvés." in page
    assert "Jamais" in page


def test_search_by_name_or_email(app, libercourt_admin, residents):
    by_name = page_text(libercourt_admin.get("/libercourt/admin/membres?q=martin"))
    by_email = page_text(libercourt_admin.get("/libercourt/admin/membres?q=exemple.fr"))
    wildcard = page_text(libercourt_admin.get("/libercourt/admin/membres?q=%25"))

    assert listed_names(by_name) == ["Camille Martin"]
    assert listed_names(by_email) == ["Sacha Lefebvre"]
    assert listed_names(wildcard) == []


def test_filter_by_role_and_status(app, libercourt, libercourt_admin, residents):
    with app.app_context():
        membership_of("noa@example.org", libercourt).status = "suspended"
        db.session.commit()

    moderators = page_text(libercourt_admin.get("/libercourt/admin/membres?role=moderator"))
    module_role = page_text(libercourt_admin.get("/libercourt/admin/membres?role=sample.manager"))
    suspended = page_text(libercourt_admin.get("/libercourt/admin/membres?statut=suspended"))

    assert listed_names(moderators) == ["Sacha Lefebvre"]
    assert listed_names(module_role) == ["Noa Petit"]
    assert listed_names(suspended) == ["Noa Petit"]


def test_members_of_another_territory_are_not_listed(app, libercourt_admin, residents, lomme):
    create_user(app, "lommois@example.org", "Lommois", lomme=("resident",))

    assert "Lommois" not in page_text(libercourt_admin.get("/libercourt/admin/membres"))
    with app.app_context():
        lomme_membership = membership_of("lommois@example.org", lomme).id
    assert libercourt_admin.get(f"/libercourt/admin/membres/{lomme_membership}").status_code == 404


def test_the_list_is_paginated(app, libercourt, libercourt_admin):
    with app.app_context():
        from platformcoop.accounts import services as accounts
        from platformcoop.tenancy import services as territories

        territory = db.session.get(Territory, libercourt)
        for number in range(55):
            user = accounts.create_user(f"m{number:02}@example.org", "x" * 12, f"Membre {number:02}", confirmed=True)
            territories.add_member(territory, user)
        db.session.commit()

    first = page_text(libercourt_admin.get("/libercourt/admin/membres"))
    second = page_text(libercourt_admin.get("/libercourt/admin/membres?page=2"))

    assert len(listed_names(first)) == 50 and "Page 1 sur 2" in first
    assert 'href="/libercourt/admin/membres?page=2"' in first
    assert len(listed_names(second)) == 6 and listed_names(second)[-1] == "Membre 54"


@contextmanager
def counted_queries(app):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_list_costs_the_same_number_of_queries_for_5_or_40_members(app, libercourt, libercourt_admin):
    def add_members(count: int, start: int) -> None:
        for number in range(start, start + count):
            create_user(app, f"p{number}@example.org", f"Personne {number}", libercourt=("resident", "moderator"))

    add_members(5, 0)
    libercourt_admin.get("/libercourt/admin/membres")  # warm up (last activity written once)
    with counted_queries(app) as few:
        assert libercourt_admin.get("/libercourt/admin/membres").status_code == 200
    add_members(35, 5)
    with counted_queries(app) as many:
        assert libercourt_admin.get("/libercourt/admin/membres").status_code == 200

    assert len(many) == len(few)
    assert len(few) <= 15


# -- one member: roles -----------------------------------------------------------------------------------------------


def test_the_admin_grants_core_and_module_roles(app, libercourt, libercourt_admin, residents):
    target = membership_id(app, "camille.martin@example.org", libercourt)

    response = libercourt_admin.post(
        f"/libercourt/admin/membres/{target}/roles", data={"roles": ["moderator", "sample.manager"]}
    )

    assert response.status_code == 302
    with app.app_context():
        membership = membership_of("camille.martin@example.org", libercourt)
        assert membership.roles == {"resident", "moderator", "sample.manager"}
        entry = db.session.scalars(select(AuditLog).filter_by(action="membership.roles_changed")).one()
        assert entry.details["added"] == ["moderator", "sample.manager"]
        assert entry.details["removed"] == []


def test_an_unknown_role_is_refused_and_nothing_changes(app, libercourt, libercourt_admin, residents):
    target = membership_id(app, "camille.martin@example.org", libercourt)

    response = libercourt_admin.post(f"/libercourt/admin/membres/{target}/roles", data={"roles": ["maire"]})

    assert response.status_code == 400
    assert "Rôle inconnu : maire." in page_text(response)
    with app.app_context():
        assert membership_of("camille.martin@example.org", libercourt).roles == {"resident"}


def test_the_last_admin_cannot_give_up_the_admin_role(app, libercourt, libercourt_admin):
    own = membership_id(app, "admin@libercourt.example.org", libercourt)

    response = libercourt_admin.post(f"/libercourt/admin/membres/{own}/roles", data={"roles": ["moderator"]})

    assert response.status_code == 400
    assert "Vous êtes le dernier administrateur de ce territoire" in page_text(response)
    with app.app_context():
        assert "admin" in membership_of("admin@libercourt.example.org", libercourt).roles


def test_an_admin_may_step_down_when_another_admin_remains(app, libercourt, libercourt_admin):
    create_user(app, "second@example.org", "Second", libercourt=("resident", "admin"))
    own = membership_id(app, "admin@libercourt.example.org", libercourt)

    response = libercourt_admin.post(f"/libercourt/admin/membres/{own}/roles", data={"roles": ["moderator"]})

    assert response.status_code == 302
    with app.app_context():
        assert membership_of("admin@libercourt.example.org", libercourt).roles == {"resident", "moderator"}
    assert libercourt_admin.get("/libercourt/admin/").status_code == 403


# -- one member: suspension -------------------------------------------------------------------------------------------


def test_the_admin_suspends_a_member_with_a_reason(app, libercourt, libercourt_admin, residents):
    target = membership_id(app, "camille.martin@example.org", libercourt)

    response = libercourt_admin.post(
        f"/libercourt/admin/membres/{target}/suspendre", data={"reason": "Annonces commerciales répétées."}
    )

    assert response.status_code == 302
    with app.app_context():
        membership = membership_of("camille.martin@example.org", libercourt)
        assert membership.status == "suspended"
        assert not can(membership.user, "territory.use", membership.territory)
        entry = db.session.scalars(select(AuditLog).filter_by(action="membership.suspended")).one()
        assert entry.details["reason"] == "Annonces commerciales répétées."
        [note] = db.session.scalars(select(Notification).filter_by(user_id=membership.user_id)).all()
        assert note.title == "Votre adhésion à Libercourt est suspendue"
    page = page_text(libercourt_admin.get(f"/libercourt/admin/membres/{target}"))
    assert "Adhésion suspendue" in page and "« Annonces commerciales répétées. »" in page


def test_a_suspension_needs_a_reason(app, libercourt, libercourt_admin, residents):
    target = membership_id(app, "camille.martin@example.org", libercourt)

    response = libercourt_admin.post(f"/libercourt/admin/membres/{target}/suspendre", data={"reason": " "})

    assert response.status_code == 400
    assert "Indiquez le motif de la suspension." in page_text(response)
    with app.app_context():
        assert membership_of("camille.martin@example.org", libercourt).status == "active"


def test_an_admin_cannot_suspend_themselves(app, libercourt, libercourt_admin):
    own = membership_id(app, "admin@libercourt.example.org", libercourt)

    response = libercourt_admin.post(f"/libercourt/admin/membres/{own}/suspendre", data={"reason": "Vacances."})

    assert response.status_code == 400
    assert "Vous ne pouvez pas suspendre votre propre adhésion." in page_text(response)


def test_the_admin_reactivates_a_suspended_member(app, libercourt, libercourt_admin, residents):
    target = membership_id(app, "camille.martin@example.org", libercourt)
    libercourt_admin.post(f"/libercourt/admin/membres/{target}/suspendre", data={"reason": "Abus."})

    response = libercourt_admin.post(f"/libercourt/admin/membres/{target}/reactiver", data={"reason": ""})

    assert response.status_code == 302
    with app.app_context():
        assert membership_of("camille.martin@example.org", libercourt).status == "active"
        assert db.session.scalars(select(AuditLog).filter_by(action="membership.reactivated")).one()


def test_a_pending_request_is_answered_from_the_members_page(app, libercourt, libercourt_admin):
    create_user(app, "dominique@example.org", "Dominique")
    with app.app_context():
        from platformcoop.tenancy import services as territories

        territory = db.session.get(Territory, libercourt)
        territory.join_policy = "approval"
        territories.join_territory(
            territory, db.session.scalars(select(User).filter_by(email="dominique@example.org")).one()
        )
        db.session.commit()
    target = membership_id(app, "dominique@example.org", libercourt)

    page = page_text(libercourt_admin.get("/libercourt/admin/membres"))
    response = libercourt_admin.post(f"/libercourt/admin/membres/{target}/accepter", data={"message": "Bienvenue"})

    assert "Dominique" in page and "Demandes en attente" in page
    assert response.status_code == 302
    with app.app_context():
        assert membership_of("dominique@example.org", libercourt).status == "active"


# -- last activity ---------------------------------------------------------------------------------------------------


def last_seen(app, email: str):
    with app.app_context():
        return db.session.scalars(select(User).filter_by(email=email)).one().last_seen_at


def test_last_activity_is_written_at_most_once_an_hour(app, client, libercourt, frozen_clock):
    create_user(app, "camille@example.org", libercourt=("resident",))
    login(client, "camille@example.org")

    client.get("/libercourt/")
    first = last_seen(app, "camille@example.org")
    with clock.travel(timedelta(minutes=59)):
        client.get("/libercourt/")
        within_the_hour = last_seen(app, "camille@example.org")
    with clock.travel(timedelta(minutes=61)):
        client.get("/libercourt/")
        after_an_hour = last_seen(app, "camille@example.org")

    assert first == frozen_clock
    assert within_the_hour == frozen_clock
    assert after_an_hour == frozen_clock + timedelta(minutes=61)


def test_the_admin_sees_the_last_activity(app, client, libercourt, libercourt_admin, frozen_clock):
    create_user(app, "camille@example.org", "Camille", libercourt=("resident",))
    login(client, "camille@example.org")
    client.get("/libercourt/")

    page = page_text(libercourt_admin.get("/libercourt/admin/membres"))

    assert "10/03/2026 10:00" in page  # 09:00 UTC, shown in Paris time


# -- CSV export ------------------------------------------------------------------------------------------------------


def test_the_members_list_downloads_as_csv_with_the_same_filters(app, libercourt_admin, residents):
    response = libercourt_admin.get("/libercourt/admin/membres/export.csv?role=moderator")

    body = response.get_data().decode("utf-8")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))
    assert body.startswith("\ufeff")
    assert rows[0] == ["Nom", "E-mail", "Statut", "Rôles", "Membre depuis", "Dernière activité"]
    assert [row[:4] for row in rows[1:]] == [["Sacha Lefebvre", "sacha@exemple.fr", "Actif", "Habitant, Modérateur"]]


def test_a_name_that_looks_like_a_formula_is_neutralised_in_the_csv(app, libercourt_admin, libercourt):
    create_user(app, "malin@example.org", "=HYPERLINK(1)", libercourt=("resident",))

    body = libercourt_admin.get("/libercourt/admin/membres/export.csv?q=malin").get_data().decode("utf-8")

    assert "'=HYPERLINK(1)" in body
