"""Acceptance scenarios 1-5 of the core specification (``specs/core.md``), driven through HTTP like a resident would."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask import url_for
from sqlalchemy import select

from platformcoop import clock
from platformcoop.accounts.models import User
from platformcoop.audit import AuditLog
from platformcoop.extensions import db
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy import services as territories
from platformcoop.tenancy.models import Membership, Territory, TerritoryModule
from tests import sample_plugin
from tests.conftest import PASSWORD, create_user, login
from tests.sample_plugin import SampleItem

NEW_PASSWORD = "trois chats roux dans la grange"


def menu_links(page: str) -> set[str]:
    """The links of the main menu (``<nav aria-label="Menu principal">``) of a rendered page."""
    match = re.search(r'<nav aria-label="Menu principal">(.*?)</nav>', page, re.S)
    return set(re.findall(r'href="([^"]+)"', match.group(1))) if match else set()


def path_of(link: str) -> str:
    return urlsplit(link).path


def set_module(app, slug: str, module: str, enabled: bool) -> None:
    with app.app_context():
        territory = db.session.scalars(select(Territory).filter_by(slug=slug)).one()
        toggle = territories.enable_module if enabled else territories.disable_module
        toggle(get_registry(), territory, module)
        db.session.commit()


def add_sample_item(app, territory_id: int, title: str) -> int:
    with app.app_context():
        item = SampleItem(territory_id=territory_id, title=title)
        db.session.add(item)
        db.session.commit()
        return item.id


def register_and_confirm(client, outbox, email: str, name: str = "Camille") -> None:
    response = client.post(
        "/compte/inscription",
        data={
            "display_name": name,
            "email": email,
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "accept_terms": "y",
        },
    )
    assert response.status_code == 200
    [link] = [link for link in outbox.links(email) if "/compte/confirmation/" in link]
    assert client.get(path_of(link)).status_code == 302


# -- 1. register, confirm, join, see the territory's modules ----------------------------------------------------------


def test_resident_registers_confirms_joins_lomme_and_sees_only_lommes_modules(app, client, outbox, libercourt, lomme):
    set_module(app, "lomme", "sample", enabled=False)
    lomme_admin = app.test_client()
    create_user(app, "admin@lomme.example.org", "Admin Lomme", lomme=("resident", "admin"))
    assert login(lomme_admin, "admin@lomme.example.org").status_code == 302

    register_and_confirm(client, outbox, "camille@example.org")
    with app.app_context():
        assert db.session.scalars(select(User).filter_by(email="camille@example.org")).one().email_confirmed

    assert client.post("/lomme/rejoindre", data={"message": "J'habite rue Roger Salengro."}).status_code == 302
    with app.app_context():
        user = db.session.scalars(select(User).filter_by(email="camille@example.org")).one()
        membership = db.session.scalars(select(Membership).filter_by(territory_id=lomme, user_id=user.id)).one()
        assert (membership.status, membership.request_message) == ("pending", "J'habite rue Roger Salengro.")

    response = lomme_admin.post(f"/lomme/admin/membres/{membership.id}/accepter", data={"message": "Bienvenue !"})
    assert response.status_code == 302
    with app.app_context():
        membership = db.session.get(Membership, membership.id)
        assert membership.status == "active"
        assert membership.roles == {"resident"}
    [decision] = [m for m in outbox.to("camille@example.org") if "rejoindre Lomme" in m["Subject"]]
    assert "est acceptée" in outbox.body(decision)

    lomme_page = client.get("/lomme/").get_data(as_text=True)
    assert menu_links(lomme_page) == {
        "/lomme/",
        "/lomme/banque-de-temps/",
        "/lomme/reparation-velo/",
        "/lomme/organisations/",
    }
    assert "/libercourt/exemple/" in menu_links(client.get("/libercourt/").get_data(as_text=True))


def test_resident_joins_an_open_territory_at_once_and_sees_its_modules_in_the_menu(app, client, outbox, libercourt):
    register_and_confirm(client, outbox, "sacha@example.org", "Sacha")

    assert client.post("/libercourt/rejoindre", data={}).status_code == 302

    with app.app_context():
        membership = db.session.scalars(select(Membership).filter_by(territory_id=libercourt)).one()
        assert membership.status == "active"
        assert membership.roles == {"resident"}
    page = client.get("/libercourt/").get_data(as_text=True)
    assert menu_links(page) == {
        "/libercourt/",
        "/libercourt/banque-de-temps/",
        "/libercourt/reparation-velo/",
        "/libercourt/exemple/",
        "/libercourt/organisations/",
    }


# -- 2. disabling a module in one territory ----------------------------------------------------------------------------


@pytest.fixture
def sample_items(app, libercourt, lomme) -> dict[str, int]:
    return {
        "libercourt": add_sample_item(app, libercourt, "Perceuse de Libercourt"),
        "lomme": add_sample_item(app, lomme, "Tondeuse de Lomme"),
    }


def test_libercourt_admin_disables_a_module_and_its_pages_answer_404_there_only(
    app, libercourt_admin, lomme, sample_items
):
    response = libercourt_admin.post("/libercourt/admin/modules/sample/desactiver")

    assert response.status_code == 302
    with app.app_context():
        rows = {
            row.territory.slug: row.enabled
            for row in db.session.scalars(select(TerritoryModule).filter_by(module="sample"))
        }
    assert rows == {"libercourt": False, "lomme": True}
    assert ("disabled", "libercourt") in sample_plugin.calls
    assert libercourt_admin.get("/libercourt/exemple/").status_code == 404
    assert libercourt_admin.get(f"/libercourt/exemple/objets/{sample_items['libercourt']}").status_code == 404
    assert libercourt_admin.get("/lomme/exemple/").status_code == 200
    assert libercourt_admin.get(f"/lomme/exemple/objets/{sample_items['lomme']}").status_code == 200


def test_disabled_module_leaves_the_menu_and_dashboard_of_libercourt_only(app, libercourt_admin, lomme):
    before = libercourt_admin.get("/libercourt/").get_data(as_text=True)
    assert "/libercourt/exemple/" in menu_links(before)
    assert "Widget d&#39;exemple" in before

    libercourt_admin.post("/libercourt/admin/modules/sample/desactiver")

    libercourt_home = libercourt_admin.get("/libercourt/").get_data(as_text=True)
    assert "/libercourt/exemple/" not in menu_links(libercourt_home)
    assert "Widget d&#39;exemple" not in libercourt_home
    assert "/libercourt/admin/modules/sample/reglages" not in libercourt_admin.get("/libercourt/admin/").get_data(
        as_text=True
    )
    lomme_home = libercourt_admin.get("/lomme/").get_data(as_text=True)
    assert "/lomme/exemple/" in menu_links(lomme_home)
    assert "Widget d&#39;exemple" in lomme_home


# -- 3. module settings out of bounds ----------------------------------------------------------------------------------


def stored_sample_settings(app, territory_id: int) -> dict:
    with app.app_context():
        row = db.session.scalars(select(TerritoryModule).filter_by(territory_id=territory_id, module="sample")).one()
        return dict(row.settings)


SETTINGS_FORM = {"max_items": "20", "public": "y", "mode": "avance", "greeting": "Salut"}


@pytest.mark.parametrize(
    ("max_items", "message"),
    [
        ("51", "La valeur doit être au plus 50."),
        ("0", "La valeur doit être au moins 1."),
        ("beaucoup", "N'est pas un entier valide."),
    ],
)
def test_module_setting_out_of_bounds_is_refused_next_to_the_field_and_nothing_is_saved(
    app, libercourt_admin, libercourt, max_items, message
):
    before = stored_sample_settings(app, libercourt)

    response = libercourt_admin.post(
        "/libercourt/admin/modules/sample/reglages", data={**SETTINGS_FORM, "max_items": max_items}
    )

    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    field_error = re.search(r'<p class="field__error" id="max_items-erreur">(.*?)</p>', page, re.S)
    assert field_error is not None and message in field_error.group(1)
    assert re.search(
        r'<input[^>]*aria-invalid="true"[^>]*id="max_items"|<input[^>]*id="max_items"[^>]*aria-invalid', page
    )
    assert stored_sample_settings(app, libercourt) == before == sample_plugin.MANIFEST.defaults()
    with app.app_context():
        assert db.session.scalars(select(AuditLog).filter_by(action="module.settings_changed")).all() == []


def test_module_settings_within_bounds_are_saved(app, libercourt_admin, libercourt):
    response = libercourt_admin.post("/libercourt/admin/modules/sample/reglages", data=SETTINGS_FORM)

    assert response.status_code == 302
    assert stored_sample_settings(app, libercourt) == {
        "max_items": 20,
        "public": True,
        "mode": "avance",
        "greeting": "Salut",
    }


# -- 4. territory isolation --------------------------------------------------------------------------------------------


def admin_rule_urls(app, values: dict) -> list[tuple[str, str]]:
    """(method, url) for every rule of the "admin" blueprint, GET and POST as the rule allows."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.split(".")[0] != "admin":
                continue
            unknown = rule.arguments - values.keys()
            assert not unknown, f"add a value for {unknown} of {rule.rule}"
            url = url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})
            urls += [(method, url) for method in sorted(rule.methods & {"GET", "POST"})]
    return urls


def test_lomme_admin_gets_403_on_every_libercourt_admin_page(app, lomme_admin, libercourt):
    create_user(app, "dominique@example.org", "Dominique")
    with app.app_context():
        territory = db.session.get(Territory, libercourt)
        user = db.session.scalars(select(User).filter_by(email="dominique@example.org")).one()
        territory.join_policy = "approval"
        pending = territories.join_territory(territory, user)
        db.session.commit()
        pending_id = pending.id
    values = {"territory": "libercourt", "name": "sample", "membership_id": pending_id}
    urls = set(admin_rule_urls(app, {**values, "decision": "accepter"}))
    urls |= set(admin_rule_urls(app, {**values, "decision": "refuser"}))
    assert len(urls) >= 9

    answers = {(method, url): getattr(lomme_admin, method.lower())(url).status_code for method, url in urls}

    assert answers == dict.fromkeys(answers, 403)
    with app.app_context():
        assert db.session.get(Membership, pending_id).status == "pending"
        assert territories.enabled_module_names(db.session.get(Territory, libercourt)) == {
            "bikerepair",
            "sample",
            "timebank",
        }


def test_libercourt_resident_opening_a_lomme_object_by_id_gets_404(app, client, sample_items):
    create_user(app, "resident@libercourt.example.org", libercourt=("resident",))
    login(client, "resident@libercourt.example.org")

    assert client.get(f"/libercourt/exemple/objets/{sample_items['lomme']}").status_code == 404
    assert client.get(f"/libercourt/exemple/objets/{sample_items['libercourt']}").status_code == 200


# -- 5. password reset links ----------------------------------------------------------------------------------------


def reset_link(client, outbox, email: str) -> str:
    assert client.post("/compte/mot-de-passe-oublie", data={"email": email}).status_code == 200
    [link] = [link for link in outbox.links(email) if "/compte/mot-de-passe/" in link]
    return path_of(link)


def follow_flash(client, response) -> str:
    assert response.status_code == 302
    return html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))


def test_reset_link_works_once_then_is_refused(app, client, outbox):
    create_user(app, "alex@example.org")
    link = reset_link(client, outbox, "alex@example.org")
    assert client.get(link).status_code == 200

    used = client.post(link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert used.headers["Location"] == "/compte/connexion"

    again = client.post(link, data={"password": "une autre phrase bien longue", "password_confirm": "x"})
    assert "il a peut-être déjà servi" in follow_flash(client, again)
    assert "il a peut-être déjà servi" in follow_flash(client, client.get(link))
    assert login(app.test_client(), "alex@example.org", PASSWORD).status_code == 200
    assert login(app.test_client(), "alex@example.org", NEW_PASSWORD).status_code == 302


def test_expired_reset_link_is_refused(app, client, outbox, frozen_clock):
    create_user(app, "alex@example.org")
    link = reset_link(client, outbox, "alex@example.org")

    with clock.travel(timedelta(seconds=app.config["PASSWORD_RESET_MAX_AGE"] + 1)):
        refused = client.post(link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
        assert "Ce lien a expiré" in follow_flash(client, refused)

    assert login(app.test_client(), "alex@example.org", NEW_PASSWORD).status_code == 200
    assert login(app.test_client(), "alex@example.org", PASSWORD).status_code == 302


def test_reset_link_still_works_just_before_it_expires(app, client, outbox, frozen_clock):
    create_user(app, "alex@example.org")
    link = reset_link(client, outbox, "alex@example.org")

    with clock.travel(timedelta(seconds=app.config["PASSWORD_RESET_MAX_AGE"] - 60)):
        assert client.get(link).status_code == 200
