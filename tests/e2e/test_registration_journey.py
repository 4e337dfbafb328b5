"""A resident's first visit, in a real browser: register, confirm the e-mail, join Lomme, use its services."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from platformcoop.tenancy.models import JOIN_APPROVAL, JOIN_OPEN
from tests.conftest import PASSWORD, create_territory, create_user

pytestmark = pytest.mark.e2e

RESIDENT = "camille@example.org"


def flash(page, text: str):
    """A message shown after an action (a status message)."""
    return page.get_by_role("status").filter(has_text=text)


def main_menu(page):
    return page.get_by_role("navigation", name="Menu principal")


def register_and_confirm(browse, live, email_address: str, name: str) -> None:
    """From a territory's home page: fill the registration form, then open the link from the e-mail."""
    browse.follow(browse.get_by_role("main").get_by_role("link", name="Créer un compte"))
    expect(browse.get_by_role("heading", level=1)).to_have_text("Créer un compte")
    browse.get_by_label("Votre nom ou prénom").fill(name)
    browse.get_by_label("Adresse e-mail").fill(email_address)
    browse.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    browse.get_by_label("Mot de passe, une deuxième fois").fill(PASSWORD)
    browse.get_by_label("J'accepte les conditions d'utilisation").check()
    browse.follow(browse.get_by_role("button", name="Créer mon compte"))
    expect(browse.get_by_role("heading", level=1)).to_have_text("Consultez votre messagerie")

    [link] = [url for url in live.outbox.links(email_address) if "/compte/confirmation/" in url]
    assert link.startswith(live.url), "the confirmation link points back to this server"
    browse.visit(link)
    expect(flash(browse, "votre adresse e-mail est confirmée")).to_be_visible()


def test_a_resident_registers_confirms_and_joins_lomme(live, browse):
    create_territory(live.app, "libercourt", "Libercourt", modules=[])
    create_territory(live.app, "lomme", "Lomme", kind="commune_associee", join_policy=JOIN_OPEN)

    browse.visit("/")
    expect(browse.get_by_role("heading", level=1)).to_have_text("Choisissez votre territoire")
    browse.follow(browse.get_by_role("link", name="Lomme"))
    expect(browse.get_by_role("heading", level=1)).to_have_text("Lomme")

    register_and_confirm(browse, live, RESIDENT, "Camille")
    expect(browse.page).to_have_url(re.compile(r"/lomme/$"))  # back where the visit started, logged in
    expect(browse.get_by_role("link", name="Mon profil (Camille)")).to_be_visible()

    browse.follow(browse.get_by_role("link", name="Rejoindre ce territoire"))
    expect(browse.get_by_role("heading", level=1)).to_have_text("Rejoindre Lomme")
    browse.follow(browse.get_by_role("button", name="Rejoindre", exact=True))

    expect(flash(browse, "Bienvenue ! Vous êtes maintenant membre de Lomme.")).to_be_visible()
    services = browse.get_by_role("region", name="Les services de Lomme")
    expect(services.get_by_role("link", name="Module d'exemple")).to_be_visible()
    expect(main_menu(browse).get_by_role("link", name="Exemple")).to_be_visible()
    expect(browse.get_by_role("link", name="Rejoindre ce territoire")).to_have_count(0)

    browse.follow(services.get_by_role("link", name="Module d'exemple"))
    expect(browse.get_by_role("heading", level=1)).to_have_text("Module d'exemple")


def test_a_resident_asks_to_join_and_an_admin_approves_in_the_browser(live, new_page):
    create_territory(live.app, "lomme", "Lomme", kind="commune_associee", join_policy=JOIN_APPROVAL)
    create_user(live.app, "admin@lomme.example.org", "Admin Lomme", lomme=("resident", "admin"))

    resident = new_page()
    resident.visit("/")  # the only territory: straight to its home
    expect(resident.get_by_role("heading", level=1)).to_have_text("Lomme")
    register_and_confirm(resident, live, RESIDENT, "Camille")
    resident.follow(resident.get_by_role("link", name="Rejoindre ce territoire"))
    resident.get_by_label("Un mot pour l'équipe de la collectivité (facultatif)").fill("J'habite près du marché.")
    resident.follow(resident.get_by_role("button", name="Rejoindre", exact=True))
    expect(flash(resident, "en attente de validation")).to_be_visible()
    expect(resident.get_by_role("region", name="Les services de Lomme")).to_be_visible()

    admin = new_page()
    admin.visit("/compte/connexion?next=/lomme/admin/membres")
    admin.get_by_label("Adresse e-mail").fill("admin@lomme.example.org")
    admin.get_by_label("Mot de passe").fill(PASSWORD)
    admin.follow(admin.get_by_role("button", name="Se connecter"))
    expect(admin.get_by_role("heading", level=1)).to_have_text("Membres")
    request = admin.get_by_role("listitem").filter(has=admin.get_by_role("heading", name="Camille"))
    expect(request).to_contain_text("J'habite près du marché.")
    request.get_by_label("Message à la personne (facultatif)").fill("Bienvenue parmi nous !")
    admin.follow(request.get_by_role("button", name="Accepter Camille"))
    expect(flash(admin, "Camille a été accepté·e.")).to_be_visible()
    expect(admin.get_by_role("table")).to_contain_text(RESIDENT)

    decision = live.outbox.to(RESIDENT)[-1]
    assert "Bienvenue parmi nous !" in live.outbox.body(decision)
    resident.visit("/lomme/")
    expect(resident.get_by_text("en attente de validation")).to_have_count(0)
    expect(main_menu(resident).get_by_role("link", name="Exemple")).to_be_visible()
