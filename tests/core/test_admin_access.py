"""Who reaches the territory administration: every admin page is for that territory's administrators only, and the
moderation pages for its moderators and administrators. Routes are enumerated from the URL map, so a page added
later is checked too."""

from __future__ import annotations

import pytest
from flask import url_for
from sqlalchemy import select

from platformcoop.extensions import db
from platformcoop.moderation.models import ModeratedContent
from platformcoop.tenancy import services as territories
from platformcoop.tenancy.models import Membership, Territory
from tests.conftest import create_user, login
from tests.sample_plugin import SampleItem


@pytest.fixture
def objects(app, libercourt) -> dict:
    """One object of each kind the admin and moderation URLs name, in Libercourt."""
    create_user(app, "dominique@example.org", "Dominique")
    with app.app_context():
        territory = db.session.get(Territory, libercourt)
        territory.join_policy = "approval"
        from platformcoop.accounts.models import User

        user = db.session.scalars(select(User).filter_by(email="dominique@example.org")).one()
        pending = territories.join_territory(territory, user)
        item = SampleItem(territory_id=libercourt, title="Objet")
        db.session.add(item)
        db.session.flush()
        content = ModeratedContent(territory_id=libercourt, subject_type="sample_item", subject_id=item.id)
        db.session.add(content)
        db.session.commit()
        return {"membership_id": pending.id, "content_id": content.id}


def rule_urls(app, blueprint: str, values: dict) -> list[tuple[str, str]]:
    """(method, url) of every route of ``blueprint`` under /<territory>/admin/, with ``values`` for its arguments."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.split(".")[0] != blueprint or "/admin" not in rule.rule:
                continue
            unknown = rule.arguments - values.keys()
            assert not unknown, f"add a value for {unknown} of {rule.rule}"
            url = url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})
            if rule.endpoint == "admin.series_csv":
                url += "?serie=membres"  # a series must be named
            urls += [(method, url) for method in sorted(rule.methods & {"GET", "POST"})]
    return urls


def admin_urls(app, objects) -> list[tuple[str, str]]:
    values = {"territory": "libercourt", "name": "sample", "decision": "accepter", "action": "masquer", **objects}
    return rule_urls(app, "admin", values)


def moderation_urls(app, objects) -> list[tuple[str, str]]:
    values = {"territory": "libercourt", "action": "masquer", **objects}
    return rule_urls(app, "moderation", values)


def answers(client, urls) -> dict:
    return {(method, url): getattr(client, method.lower())(url).status_code for method, url in urls}


def logged_in(app, email: str, **roles):
    create_user(app, email, **roles)
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def test_the_admin_pages_are_all_enumerated(app, objects):
    urls = admin_urls(app, objects)

    paths = {url for _method, url in urls}
    for page in ("/libercourt/admin/identite", "/libercourt/admin/journal", "/libercourt/admin/membres/export.csv"):
        assert page in paths
    assert len(urls) >= 18


def test_a_resident_gets_403_on_every_admin_and_moderation_page(app, objects):
    resident = logged_in(app, "camille@example.org", libercourt=("resident",))
    urls = admin_urls(app, objects) + moderation_urls(app, objects)

    result = answers(resident, urls)

    assert result == dict.fromkeys(result, 403)


def test_an_admin_of_another_territory_gets_403_on_every_admin_and_moderation_page(app, objects, lomme_admin):
    urls = admin_urls(app, objects) + moderation_urls(app, objects)

    result = answers(lomme_admin, urls)

    assert result == dict.fromkeys(result, 403)
    with app.app_context():
        assert db.session.get(Membership, objects["membership_id"]).status == "pending"
        assert db.session.get(ModeratedContent, objects["content_id"]).hidden is False


def test_a_suspended_admin_gets_403_everywhere(app, objects, libercourt):
    admin = logged_in(app, "ancien-admin@example.org", libercourt=("resident", "admin"))
    with app.app_context():
        membership = db.session.scalars(select(Membership).where(Membership.territory_id == libercourt)).all()
        for row in membership:
            if row.user.email == "ancien-admin@example.org":
                row.status = "suspended"
        db.session.commit()

    result = answers(admin, admin_urls(app, objects))

    assert result == dict.fromkeys(result, 403)


def test_a_moderator_reaches_the_moderation_pages_but_no_admin_page(app, objects):
    moderator = logged_in(app, "modo@example.org", libercourt=("resident", "moderator"))

    admin_result = answers(moderator, admin_urls(app, objects))
    pages = [(m, u) for m, u in moderation_urls(app, objects) if m == "GET"]

    assert admin_result == dict.fromkeys(admin_result, 403)
    assert answers(moderator, pages) == dict.fromkeys(pages, 200)


def test_a_visitor_is_sent_to_the_login_page(app, objects):
    visitor = app.test_client()

    for _method, url in [(m, u) for m, u in admin_urls(app, objects) + moderation_urls(app, objects) if m == "GET"]:
        response = visitor.get(url)
        assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"], url


def test_the_admin_pages_open_for_the_territorys_admin(app, objects, libercourt_admin):
    pages = [(m, u) for m, u in admin_urls(app, objects) + moderation_urls(app, objects) if m == "GET"]

    assert answers(libercourt_admin, pages) == dict.fromkeys(pages, 200)
