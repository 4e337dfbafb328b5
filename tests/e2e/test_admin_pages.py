"""The pages of an administrator's day, in a real browser, each checked by axe-core; and the home on a small phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from platformcoop.accounts.models import User
from platformcoop.extensions import db
from tests.conftest import PASSWORD, create_territory, create_user

pytestmark = pytest.mark.e2e

ADMIN = "admin@libercourt.example.org"
LEGAL_PAGES = {
    "mentions-legales": "Mentions légales",
    "conditions-utilisation": "Conditions d'utilisation",
    "confidentialite": "Politique de confidentialité",
    "accessibilite": "Déclaration d'accessibilité",
}
PHONE_SCREENSHOT = "/tmp/e2e-home-phone.png"


@pytest.fixture
def libercourt(live) -> None:
    create_territory(
        live.app,
        "libercourt",
        "Libercourt",
        welcome_text="Bienvenue sur la plateforme d'entraide de Libercourt.",
        legal_notice="Éditeur : mairie de Libercourt.\n\nHébergeur : la coopérative.",
        contact_email="contact@libercourt.example.org",
    )
    create_user(live.app, ADMIN, "Dominique", libercourt=("resident", "admin"))
    create_user(live.app, "sacha@example.org", "Sacha", libercourt=("resident",))


def log_in(browse, email_address: str, next_path: str) -> None:
    browse.visit(f"/compte/connexion?next={next_path}")
    expect(browse.get_by_role("heading", level=1)).to_have_text("Se connecter")
    browse.get_by_label("Adresse e-mail").fill(email_address)
    browse.get_by_label("Mot de passe").fill(PASSWORD)
    browse.follow(browse.get_by_role("button", name="Se connecter"))
    expect(browse.get_by_role("status").filter(has_text="Vous êtes connecté.")).to_be_visible()


def test_an_admin_runs_the_territory_from_the_back_office(libercourt, browse):
    log_in(browse, ADMIN, "/libercourt/admin/")
    expect(browse.get_by_role("heading", level=1)).to_have_text("Administration de Libercourt")
    figures = browse.get_by_role("region", name=re.compile(r"^Chiffres du "))
    expect(figures.get_by_role("term").filter(has_text=re.compile(r"^Objets d'exemple$"))).to_be_visible()

    admin_menu = browse.get_by_role("navigation", name="Administration")
    browse.follow(admin_menu.get_by_role("link", name="Modules"))
    card = browse.get_by_role("listitem").filter(has=browse.get_by_role("heading", name="Module d'exemple"))
    expect(card).to_contain_text("Activé")
    browse.follow(card.get_by_role("button", name="Désactiver Module d'exemple"))
    expect(browse.get_by_role("status").filter(has_text="« Module d'exemple » est désactivé")).to_be_visible()
    expect(card).to_contain_text("Désactivé")
    browse.follow(card.get_by_role("button", name="Activer Module d'exemple"))
    expect(browse.get_by_role("status").filter(has_text="« Module d'exemple » est activé")).to_be_visible()

    browse.follow(card.get_by_role("link", name="Réglages Module d'exemple"))
    expect(browse.get_by_role("heading", level=1)).to_have_text("Réglages : Module d'exemple")
    browse.get_by_label("Nombre maximal d'objets").fill("99")
    browse.follow(browse.get_by_role("button", name="Enregistrer les réglages"))
    summary = browse.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text("Le formulaire contient des erreurs")
    expect(summary.get_by_role("link")).to_have_text("Nombre maximal d'objets : La valeur doit être au plus 50.")
    field = browse.get_by_label("Nombre maximal d'objets")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("La valeur doit être au plus 50."))
    summary.get_by_role("link").click()  # the summary leads to the field
    expect(field).to_be_focused()
    browse.check()

    browse.follow(admin_menu.get_by_role("link", name="Membres"))
    expect(browse.get_by_role("heading", level=1)).to_have_text("Membres")
    expect(browse.get_by_text("Aucune demande en attente.")).to_be_visible()
    expect(browse.get_by_role("table")).to_contain_text("sacha@example.org")


def test_the_everyday_pages_are_accessible(libercourt, browse):
    log_in(browse, "sacha@example.org", "/compte/profil")
    expect(browse.get_by_role("heading", level=1)).to_have_text("Mon profil")
    expect(browse.get_by_label("Nom affiché")).to_have_value("Sacha")

    browse.get_by_label("Téléphone (facultatif)").fill("pas un numéro")
    browse.follow(browse.get_by_role("button", name="Enregistrer", exact=True))
    expect(browse.get_by_role("alert")).to_contain_text("Ce numéro de téléphone n'est pas valide.")

    response = browse.visit("/libercourt/cette-page-n-existe-pas")
    assert response.status == 404
    expect(browse.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    response = browse.visit("/nulle-part/")
    assert response.status == 404
    response = browse.visit("/libercourt/admin/")
    assert response.status == 403
    expect(browse.get_by_role("heading", level=1)).to_have_text("Accès refusé")

    browse.visit("/libercourt/")
    footer = browse.get_by_role("navigation", name="Informations légales")
    for title in LEGAL_PAGES.values():
        link_text = "Accessibilité" if title == "Déclaration d'accessibilité" else title
        browse.follow(footer.get_by_role("link", name=link_text, exact=True))
        expect(browse.get_by_role("heading", level=1)).to_have_text(title)
    browse.visit("/libercourt/pages/mentions-legales")
    expect(browse.get_by_text("Hébergeur : la coopérative.")).to_be_visible()

    browse.get_by_label("Langue").select_option("en")
    browse.follow(browse.get_by_role("button", name="Changer"))
    expect(browse.locator("html")).to_have_attribute("lang", "en")
    expect(browse.page).to_have_url(re.compile(r"/libercourt/pages/mentions-legales$"))


def test_a_visitor_asks_for_a_new_password(libercourt, browse):
    browse.visit("/compte/connexion")
    browse.follow(browse.get_by_role("link", name="Mot de passe oublié ?"))
    browse.get_by_label("Adresse e-mail").fill("sacha@example.org")
    browse.follow(browse.get_by_role("button", name="Recevoir le lien"))
    expect(browse.get_by_role("heading", level=1)).to_have_text("Consultez votre messagerie")


def test_the_platform_operator_opens_a_territory(live, browse):
    create_user(live.app, "operateur@example.org", "Opérateur")
    with live.app.app_context():
        db.session.execute(update(User).values(is_superadmin=True))
        db.session.commit()
    log_in(browse, "operateur@example.org", "/plateforme/territoires")
    expect(browse.get_by_role("heading", level=1)).to_have_text("Territoires de la plateforme")

    browse.follow(browse.get_by_role("button", name="Créer le territoire"))  # empty form
    expect(browse.get_by_role("alert")).to_contain_text("Nom : Indiquez un nom.")
    browse.get_by_label("Nom").fill("Lomme")
    browse.get_by_label("Identifiant dans l'adresse").fill("lomme")
    browse.get_by_label("Type de collectivité").select_option(label="Commune associée")
    browse.get_by_label("Adhésion des habitants").select_option(label="Sur validation d'un administrateur")
    browse.follow(browse.get_by_role("button", name="Créer le territoire"))
    expect(browse.get_by_role("status").filter(has_text="Le territoire « Lomme » est créé.")).to_be_visible()
    browse.follow(browse.get_by_role("main").get_by_role("link", name="Lomme"))
    expect(browse.get_by_role("heading", level=1)).to_have_text("Lomme")


def test_a_visitor_signs_in_from_the_menu_on_a_small_phone(libercourt, new_page):
    phone = new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True)
    phone.visit("/libercourt/")
    menu_button = phone.locator("summary", has_text="Menu")
    expect(menu_button).to_be_visible()
    menu = phone.get_by_role("navigation", name="Mon compte")
    expect(menu.get_by_role("link", name="Se connecter")).to_be_hidden()

    menu_button.click()
    phone.check()
    expect(menu.get_by_role("link", name="Se connecter")).to_be_visible()
    expect(phone.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Exemple")).to_be_visible()
    no_horizontal_scroll = phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_horizontal_scroll, "the page is wider than a 360px phone"
    phone.screenshot(path=PHONE_SCREENSHOT, full_page=True)

    phone.follow(menu.get_by_role("link", name="Se connecter"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Se connecter")
