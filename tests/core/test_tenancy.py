"""Tenancy: territories in URLs and host names, joining, object scoping, creating territories, module requirements."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from platformcoop.accounts.models import User
from platformcoop.extensions import db
from platformcoop.plugins import ModuleManifest, hookimpl
from platformcoop.plugins.manager import build_registry, get_registry
from platformcoop.tenancy import get_or_404, territory_context
from platformcoop.tenancy import services as territories
from platformcoop.tenancy.models import Membership, Territory, TerritoryHost, TerritoryModule
from platformcoop.tenancy.scoping import CrossTerritoryWrite
from tests import sample_plugin
from tests.conftest import create_user, login
from tests.sample_plugin import SampleItem


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def membership_of(app, email: str, territory_id: int) -> Membership | None:
    with app.app_context():
        row = db.session.scalars(
            select(Membership)
            .join(User, Membership.user_id == User.id)
            .where(User.email == email, Membership.territory_id == territory_id)
        ).one_or_none()
        if row is not None:
            row.roles  # noqa: B018  (load the roles before leaving the session)
            db.session.expunge(row)
        return row


def add_sample_item(app, territory_id: int, title: str) -> int:
    with app.app_context():
        item = SampleItem(territory_id=territory_id, title=title)
        db.session.add(item)
        db.session.commit()
        return item.id


# -- the root and territory URLs ------------------------------------------------------------------------------------


def test_root_lists_the_territories_when_there_are_several(client, libercourt, lomme):
    response = client.get("/")

    assert response.status_code == 200
    page = page_text(response)
    assert 'href="/libercourt/"' in page
    assert 'href="/lomme/"' in page


def test_root_redirects_to_the_only_territory(client, libercourt):
    response = client.get("/")

    assert response.status_code == 302
    assert response.headers["Location"] == "/libercourt/"


def test_root_answers_without_any_territory(client):
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    "path", ["/nulle-part/", "/nulle-part/exemple/", "/nulle-part/admin/", "/nulle-part/rejoindre"]
)
def test_unknown_territory_slug_is_404(client, libercourt, path):
    assert client.get(path).status_code == 404


def test_territory_home_shows_its_name(client, libercourt, lomme):
    response = client.get("/lomme/")

    assert response.status_code == 200
    assert "<h1>Lomme</h1>" in response.get_data(as_text=True)


# -- host names --------------------------------------------------------------------------------------------------------


@pytest.fixture
def host_map(app) -> Iterator:
    """The host middleware, its one-minute cache emptied before and after the test."""
    hosts = app.extensions["platformcoop_hosts"]
    hosts.forget()
    yield hosts
    hosts.forget()


def map_host(app, territory_id: int, hostname: str) -> None:
    with app.app_context():
        db.session.add(TerritoryHost(territory_id=territory_id, hostname=hostname))
        db.session.commit()


@pytest.mark.parametrize("base_url", ["http://entraide.lomme.fr", "http://Entraide.Lomme.FR:8080"])
def test_mapped_host_serves_its_territory_without_the_prefix(app, host_map, libercourt, lomme, base_url):
    map_host(app, lomme, "entraide.lomme.fr")
    host_map.forget()
    item_id = add_sample_item(app, lomme, "Tondeuse de Lomme")
    client = app.test_client()

    home = client.get("/", base_url=base_url)
    item = client.get(f"/exemple/objets/{item_id}", base_url=base_url)

    assert home.status_code == 200
    assert "<h1>Lomme</h1>" in home.get_data(as_text=True)
    assert item.status_code == 200
    assert "Tondeuse de Lomme" in page_text(item)


def test_mapped_host_still_serves_the_prefixed_and_global_pages(app, host_map, libercourt, lomme):
    map_host(app, lomme, "entraide.lomme.fr")
    host_map.forget()
    client = app.test_client()

    assert "<h1>Lomme</h1>" in client.get("/lomme/", base_url="http://entraide.lomme.fr").get_data(as_text=True)
    assert client.get("/compte/connexion", base_url="http://entraide.lomme.fr").status_code == 200


def test_unmapped_host_lists_every_territory(app, host_map, libercourt, lomme):
    map_host(app, lomme, "entraide.lomme.fr")
    host_map.forget()

    response = app.test_client().get("/", base_url="http://platformcoop.example.org")

    assert response.status_code == 200
    assert 'href="/libercourt/"' in response.get_data(as_text=True)


def test_new_host_is_served_once_the_cached_host_map_is_forgotten(app, host_map, libercourt, lomme):
    client = app.test_client()
    assert client.get("/", base_url="http://entraide.lomme.fr").status_code == 200  # loads the (empty) map
    map_host(app, lomme, "entraide.lomme.fr")

    cached = client.get("/", base_url="http://entraide.lomme.fr")
    host_map.forget()
    fresh = client.get("/", base_url="http://entraide.lomme.fr")

    assert "<h1>Lomme</h1>" not in cached.get_data(as_text=True)
    assert "<h1>Lomme</h1>" in fresh.get_data(as_text=True)


# -- joining a territory ----------------------------------------------------------------------------------------------


def test_joining_an_open_territory_makes_an_active_resident_at_once(app, client, libercourt):
    create_user(app, "camille@example.org")
    login(client, "camille@example.org")

    assert client.post("/libercourt/rejoindre", data={}).status_code == 302

    membership = membership_of(app, "camille@example.org", libercourt)
    assert membership.status == "active"
    assert membership.roles == {"resident"}


def test_joining_a_territory_by_approval_waits_for_an_admin(app, client, lomme_admin, lomme):
    create_user(app, "camille@example.org", "Camille")
    login(client, "camille@example.org")

    client.post("/lomme/rejoindre", data={"message": "Je suis nouvelle à Lomme."})

    membership = membership_of(app, "camille@example.org", lomme)
    assert (membership.status, membership.roles) == ("pending", set())
    assert client.get("/lomme/admin/").status_code == 403
    pending_page = page_text(lomme_admin.get("/lomme/admin/membres"))
    assert "Je suis nouvelle à Lomme." in pending_page
    assert f"/lomme/admin/membres/{membership.id}/accepter" in pending_page


def test_asking_twice_keeps_a_single_request(app, client, lomme):
    create_user(app, "camille@example.org")
    login(client, "camille@example.org")

    client.post("/lomme/rejoindre", data={"message": "Première demande"})
    client.post("/lomme/rejoindre", data={"message": "Deuxième demande"})

    with app.app_context():
        rows = db.session.scalars(select(Membership).filter_by(territory_id=lomme)).all()
        assert [row.request_message for row in rows] == ["Première demande"]


def test_unconfirmed_user_cannot_join(app, client, libercourt):
    create_user(app, "camille@example.org")
    login(client, "camille@example.org")
    with app.app_context():
        db.session.execute(db.update(User).values(email_confirmed_at=None))
        db.session.commit()

    response = client.post("/libercourt/rejoindre", data={})

    assert response.status_code == 302
    assert membership_of(app, "camille@example.org", libercourt) is None


def test_visitor_must_log_in_to_join(client, libercourt):
    response = client.post("/libercourt/rejoindre", data={})

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/compte/connexion")


@pytest.fixture
def pending_camille(app, lomme) -> int:
    create_user(app, "camille@example.org", "Camille")
    with app.app_context():
        user = db.session.scalars(select(User).filter_by(email="camille@example.org")).one()
        membership = territories.join_territory(db.session.get(Territory, lomme), user, "Bonjour")
        db.session.commit()
        return membership.id


def test_admin_declines_a_request_with_a_message_and_the_resident_is_told_by_mail(
    app, lomme_admin, lomme, pending_camille, outbox
):
    response = lomme_admin.post(
        f"/lomme/admin/membres/{pending_camille}/refuser", data={"message": "Réservé aux habitants de Lomme."}
    )

    assert response.status_code == 302
    membership = membership_of(app, "camille@example.org", lomme)
    assert (membership.status, membership.decision_message) == ("declined", "Réservé aux habitants de Lomme.")
    [mail] = outbox.to("camille@example.org")
    assert "Lomme" in mail["Subject"]
    assert "n'a pas été acceptée" in outbox.body(mail)
    assert "Réservé aux habitants de Lomme." in outbox.body(mail)


def test_resident_can_ask_again_after_a_decline(app, client, lomme_admin, lomme, pending_camille):
    lomme_admin.post(f"/lomme/admin/membres/{pending_camille}/refuser", data={"message": "Précisez votre adresse."})
    login(client, "camille@example.org")

    client.post("/lomme/rejoindre", data={"message": "J'habite rue Jules Guesde."})

    membership = membership_of(app, "camille@example.org", lomme)
    assert (membership.id, membership.status) == (pending_camille, "pending")
    assert membership.request_message == "J'habite rue Jules Guesde."


def test_a_request_already_decided_cannot_be_decided_again(app, lomme_admin, lomme, pending_camille, outbox):
    lomme_admin.post(f"/lomme/admin/membres/{pending_camille}/accepter", data={})

    lomme_admin.post(f"/lomme/admin/membres/{pending_camille}/refuser", data={})

    assert membership_of(app, "camille@example.org", lomme).status == "active"
    assert len(outbox.to("camille@example.org")) == 1


def test_admin_cannot_decide_a_request_of_another_territory_through_their_own(app, libercourt_admin, pending_camille):
    response = libercourt_admin.post(f"/libercourt/admin/membres/{pending_camille}/accepter", data={})

    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Membership, pending_camille).status == "pending"


# -- scoping -----------------------------------------------------------------------------------------------------------


@pytest.fixture
def items(app, libercourt, lomme) -> dict[str, int]:
    return {
        "libercourt": add_sample_item(app, libercourt, "Perceuse de Libercourt"),
        "lomme": add_sample_item(app, lomme, "Tondeuse de Lomme"),
    }


def test_get_or_404_finds_an_object_of_its_territory(ctx, libercourt, items):
    item = get_or_404(SampleItem, items["libercourt"], db.session.get(Territory, libercourt))

    assert item.title == "Perceuse de Libercourt"


@pytest.mark.parametrize("object_id", ["lomme-item", "not-a-number", None, "999999"])
def test_get_or_404_refuses_what_is_not_in_the_territory(ctx, libercourt, items, object_id):
    wanted = items["lomme"] if object_id == "lomme-item" else object_id

    with pytest.raises(NotFound):
        get_or_404(SampleItem, wanted, db.session.get(Territory, libercourt))


def test_get_or_404_uses_the_current_territory(ctx, libercourt, lomme, items):
    with territory_context(db.session.get(Territory, lomme)):
        assert get_or_404(SampleItem, items["lomme"]).title == "Tondeuse de Lomme"
        with pytest.raises(NotFound):
            get_or_404(SampleItem, items["libercourt"])


def test_get_or_404_outside_any_territory_is_404(ctx, items):
    with pytest.raises(NotFound):
        get_or_404(SampleItem, items["lomme"])


def test_writing_a_row_of_another_territory_inside_a_territory_context_is_refused(ctx, libercourt, lomme):
    with territory_context(db.session.get(Territory, libercourt)):
        db.session.add(SampleItem(territory_id=lomme, title="Intrus"))
        with pytest.raises(CrossTerritoryWrite):
            db.session.flush()
        db.session.rollback()

    assert db.session.scalars(select(SampleItem)).all() == []


def test_writing_a_row_of_the_current_territory_is_allowed(ctx, libercourt):
    with territory_context(db.session.get(Territory, libercourt)):
        db.session.add(SampleItem(territory_id=libercourt, title="Perceuse"))
        db.session.commit()

    assert [item.territory_id for item in db.session.scalars(select(SampleItem))] == [libercourt]


# -- creating territories ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("Lille Centre", "L'identifiant ne peut contenir que des minuscules, des chiffres et des tirets."),
        ("-lomme", "L'identifiant ne peut contenir que des minuscules, des chiffres et des tirets."),
        ("hellemmes_", "L'identifiant ne peut contenir que des minuscules, des chiffres et des tirets."),
        ("", "L'identifiant ne peut contenir que des minuscules, des chiffres et des tirets."),
        ("a" * 64, "L'identifiant ne peut contenir que des minuscules, des chiffres et des tirets."),
        ("admin", "Cet identifiant est réservé."),
        ("compte", "Cet identifiant est réservé."),
        ("plateforme", "Cet identifiant est réservé."),
        ("static", "Cet identifiant est réservé."),
        ("lomme", "Un territoire porte déjà cet identifiant."),
        ("LOMME", "Un territoire porte déjà cet identifiant."),
    ],
)
def test_create_territory_refuses_bad_reserved_and_taken_slugs(ctx, lomme, slug, message):
    with pytest.raises(territories.TerritoryError) as error:
        territories.create_territory(get_registry(), slug=slug, name="Essai")

    assert str(error.value) == message
    assert db.session.scalars(select(Territory.slug)).all() == ["lomme"]


@pytest.mark.parametrize(
    ("options", "message"),
    [({"kind": "royaume"}, "Type de collectivité inconnu."), ({"timezone": "Lune/Mer"}, "Fuseau horaire inconnu.")],
)
def test_create_territory_refuses_unknown_kind_and_timezone(ctx, options, message):
    with pytest.raises(territories.TerritoryError, match=re.escape(message)):
        territories.create_territory(get_registry(), slug="hellemmes", name="Hellemmes", **options)


def test_new_territory_enables_the_default_modules_and_tells_them(app, ctx):
    territory = territories.create_territory(get_registry(), slug="hellemmes", name="Hellemmes")
    db.session.commit()

    assert territories.enabled_module_names(territory) == {"bikerepair", "sample", "timebank"}
    assert ("territory_created", "hellemmes") in sample_plugin.calls
    row = db.session.scalars(select(TerritoryModule).filter_by(territory_id=territory.id, module="sample")).one()
    assert row.settings == sample_plugin.MANIFEST.defaults()


def test_new_territory_can_start_without_modules(ctx):
    territory = territories.create_territory(get_registry(), slug="hellemmes", name="Hellemmes", modules=[])

    assert territories.enabled_module_names(territory) == set()


def test_superadmin_page_shows_a_slug_error_next_to_the_field(app, lomme):
    create_user(app, "operateur@example.org")
    with app.app_context():
        db.session.execute(db.update(User).values(is_superadmin=True))
        db.session.commit()
    client = app.test_client()
    login(client, "operateur@example.org")

    response = client.post(
        "/plateforme/territoires", data={"name": "Lomme bis", "slug": "lomme", "kind": "commune", "join_policy": "open"}
    )

    assert response.status_code == 200
    assert 'id="slug-erreur"' in response.get_data(as_text=True)
    assert "Un territoire porte déjà cet identifiant." in page_text(response)


def test_territories_page_is_for_superadmins_only(app, libercourt_admin):
    assert libercourt_admin.get("/plateforme/territoires").status_code == 403


# -- module requirements --------------------------------------------------------------------------------------------


class NeedsSample:
    """A module that builds on the sample module."""

    @hookimpl
    def pc_module_manifest(self):
        return ModuleManifest(
            name="dependant",
            label="Module dépendant",
            label_en="Dependent module",
            segment="dependant",
            requires=("sample",),
        )


@pytest.fixture
def registry_with_dependant(ctx):
    """A registry holding the sample module and one that requires it (the app's database is used)."""
    holder = Flask(__name__)
    holder.config.update(PLUGINS=None, EXTRA_PLUGINS=[sample_plugin, NeedsSample()])
    return build_registry(holder)


def test_enabling_a_module_enables_what_it_requires_on_creation(registry_with_dependant):
    territory = territories.create_territory(
        registry_with_dependant, slug="hellemmes", name="Hellemmes", modules=["dependant"]
    )

    assert territories.enabled_module_names(territory) == {"sample", "dependant"}


def test_a_module_cannot_be_enabled_before_what_it_requires(registry_with_dependant):
    territory = territories.create_territory(registry_with_dependant, slug="hellemmes", name="Hellemmes", modules=[])

    with pytest.raises(territories.TerritoryError, match=re.escape("Activez d'abord : Module d'exemple.")):
        territories.enable_module(registry_with_dependant, territory, "dependant")
    assert territories.enabled_module_names(territory) == set()


def test_a_required_module_cannot_be_disabled_while_another_uses_it(registry_with_dependant):
    territory = territories.create_territory(
        registry_with_dependant, slug="hellemmes", name="Hellemmes", modules=["dependant"]
    )

    with pytest.raises(territories.TerritoryError, match=re.escape("Ce module est utilisé par : Module dépendant.")):
        territories.disable_module(registry_with_dependant, territory, "sample")
    assert territories.enabled_module_names(territory) == {"sample", "dependant"}
