"""The territory's back office in a real browser: dashboard and exports, members, identity and pages, the audit
journal, organisations and their opening hours, holidays, moderation. Every page is checked by axe-core."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from playwright.sync_api import expect
from sqlalchemy import select

from platformcoop.extensions import db
from platformcoop.moderation import register_reportable, unregister_reportable
from platformcoop.tenancy.models import Territory
from tests.conftest import create_territory, create_user
from tests.e2e.helpers import flash, sign_in
from tests.sample_plugin import SampleItem

pytestmark = pytest.mark.e2e

ADMIN = "admin@libercourt.example.org"
RESIDENT = "camille@example.org"
MODERATOR = "morgane@example.org"


@pytest.fixture
def libercourt(live) -> None:
    """Libercourt, its administrator Dominique and three residents."""
    create_territory(live.app, "libercourt", "Libercourt", legal_notice="Éditeur : mairie de Libercourt.")
    create_user(live.app, ADMIN, "Dominique", libercourt=("resident", "admin"))
    create_user(live.app, RESIDENT, "Camille", libercourt=("resident",))
    create_user(live.app, "sacha@example.org", "Sacha", libercourt=("resident",))
    create_user(live.app, "noe@example.org", "Noé", libercourt=("resident",))


def log_in(page, email_address: str, next_path: str) -> None:
    sign_in(page, email_address)
    page.visit(next_path)


def admin_menu(page):
    return page.get_by_role("navigation", name="Administration")


def territory_today() -> date:
    return datetime.now(ZoneInfo("Europe/Paris")).date()


def heading(page):
    return page.get_by_role("heading", level=1)


# -- dashboard, members, identity, journal ----------------------------------------------------------------------


def test_an_admin_reads_the_dashboard_and_downloads_its_figures(libercourt, browse):
    log_in(browse, ADMIN, "/libercourt/admin/")
    expect(heading(browse)).to_have_text("Administration de Libercourt")
    figures = browse.get_by_role("region", name=re.compile(r"^Chiffres du "))
    members_figure = figures.get_by_role("term").filter(has_text="Membres actifs")
    expect(members_figure.locator("xpath=following-sibling::dd")).to_have_text("4")
    expect(browse.locator("svg[role='img']").first).to_be_visible()
    members_chart = browse.get_by_role("img", name=re.compile(r"^Nouveaux membres par mois"))
    expect(members_chart).to_be_visible()
    expect(browse.get_by_role("img", name=re.compile(r"^Objets d'exemple — Module d'exemple"))).to_be_visible()

    # A chosen period: the heading says it, the form keeps it.
    today = territory_today()
    start = today - timedelta(days=7)
    browse.get_by_label("Du", exact=True).fill(start.isoformat())
    browse.get_by_label("Au (inclus)").fill(today.isoformat())
    browse.follow(browse.get_by_role("button", name="Afficher la période"))
    expect(browse.page).to_have_url(re.compile(rf"debut={start.isoformat()}&fin={today.isoformat()}"))
    expect(figures.get_by_role("heading", level=2)).to_have_text(
        f"Chiffres du {format_date(start, 'long', locale='fr')} au {format_date(today, 'long', locale='fr')}"
    )
    expect(browse.get_by_label("Du", exact=True)).to_have_value(start.isoformat())

    # A period that ends before it starts: the error is tied to the field, the figures stay the last 30 days.
    browse.get_by_label("Au (inclus)").fill((today - timedelta(days=10)).isoformat())
    browse.follow(browse.get_by_role("button", name="Afficher la période"))
    end_field = browse.get_by_label("Au (inclus)")
    expect(end_field).to_have_attribute("aria-invalid", "true")
    expect(end_field).to_have_accessible_description(re.compile("La date de fin doit suivre la date de début."))
    expect(browse.get_by_text("Les chiffres ci-dessous restent ceux des 30 derniers jours.")).to_be_visible()

    link = browse.get_by_role("link", name="Télécharger ces chiffres (CSV)")
    with browse.page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.startswith("chiffres-libercourt-")
    content = download.value.path().read_text(encoding="utf-8-sig")
    header, *rows = content.splitlines()
    assert header == "Module;Indicateur;Valeur;Unité;Du;Au"
    assert any(row.startswith("Plateforme;Membres actifs;4;") for row in rows)
    response = browse.context.request.get(link.get_attribute("href"))
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment;")

    series = browse.get_by_role("link", name="Télécharger cette série (CSV) : Objets d'exemple — Module d'exemple")
    response = browse.context.request.get(series.get_attribute("href"))
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.text().lstrip("\ufeff").startswith("Mois;Objets d'exemple (Module d'exemple)\r\n")


def test_an_admin_manages_a_member_then_reads_the_journal(libercourt, browse):
    log_in(browse, ADMIN, "/libercourt/admin/membres")
    expect(heading(browse)).to_have_text("Membres")
    search = browse.get_by_role("search", name="Chercher des membres")
    search.get_by_label("Nom ou adresse e-mail").fill("SACHA")
    browse.follow(search.get_by_role("button", name="Chercher"))
    expect(browse.get_by_role("status").filter(has_text="trouvé")).to_have_text(re.compile(r"^1 membre trouvé\."))
    table = browse.get_by_role("table")
    expect(table).to_contain_text("sacha@example.org")
    expect(table).not_to_contain_text(RESIDENT)

    search.get_by_label("Rôle", exact=True).select_option(label="Administrateur")
    search.get_by_label("Nom ou adresse e-mail").fill("")
    browse.follow(search.get_by_role("button", name="Chercher"))
    expect(browse.get_by_role("table").get_by_role("row")).to_have_count(2)  # the header and Dominique
    expect(browse.get_by_role("table")).to_contain_text(ADMIN)
    browse.follow(browse.get_by_role("link", name="Effacer la recherche"))
    expect(browse.get_by_role("status").filter(has_text="trouvé")).to_have_text(re.compile(r"^4 membres trouvés\."))

    browse.follow(browse.get_by_role("table").get_by_role("link", name="Sacha"))
    expect(heading(browse)).to_have_text("Sacha")
    roles = browse.get_by_role("group", name="Rôles de Sacha")
    expect(roles.get_by_label("Habitant")).to_be_checked()
    expect(roles.get_by_label("Habitant")).to_be_disabled()
    roles.get_by_label("Modérateur").check()
    browse.follow(browse.get_by_role("button", name="Enregistrer les rôles"))
    expect(flash(browse, "Les rôles de Sacha sont enregistrés.")).to_be_visible()
    expect(browse.get_by_role("group", name="Rôles de Sacha").get_by_label("Modérateur")).to_be_checked()

    browse.follow(browse.get_by_role("button", name="Suspendre Sacha"))  # no reason
    reason = browse.get_by_label("Motif de la suspension")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_accessible_description(re.compile("Indiquez le motif de la suspension."))
    reason.fill("Annonces commerciales répétées.")
    browse.follow(browse.get_by_role("button", name="Suspendre Sacha"))
    expect(flash(browse, "L'adhésion de Sacha est suspendue.")).to_be_visible()
    details = browse.locator("dl.details")
    expect(details).to_contain_text("Suspendu")
    history = browse.get_by_role("region", name="Historique")
    expect(history).to_contain_text("Adhésion suspendue (par Dominique) : « Annonces commerciales répétées. »")

    browse.get_by_label("Message à la personne (facultatif)").fill("Merci pour votre réponse.")
    browse.follow(browse.get_by_role("button", name="Rétablir Sacha"))
    expect(flash(browse, "L'adhésion de Sacha est rétablie.")).to_be_visible()
    expect(details).to_contain_text("Actif")
    expect(browse.get_by_role("button", name="Suspendre Sacha")).to_be_visible()

    browse.follow(admin_menu(browse).get_by_role("link", name="Journal des actions"))
    expect(heading(browse)).to_have_text("Journal des actions")
    journal = browse.get_by_role("table")
    for label in ("Rôles modifiés", "Adhésion suspendue", "Adhésion rétablie"):
        expect(journal).to_contain_text(label)
    filters = browse.get_by_role("search", name="Filtrer le journal")
    filters.get_by_label("Action").select_option(label="Adhésion suspendue")
    filters.get_by_label("Auteur").select_option(label="Dominique")
    browse.follow(filters.get_by_role("button", name="Filtrer"))
    expect(browse.get_by_role("status").filter(has_text="action")).to_have_text("1 action.")
    expect(browse.get_by_role("table")).to_contain_text("Annonces commerciales répétées.")
    expect(browse.get_by_role("table")).not_to_contain_text("Rôles modifiés")

    filters.get_by_label("Depuis le").fill((territory_today() + timedelta(days=1)).isoformat())
    browse.follow(filters.get_by_role("button", name="Filtrer"))
    expect(browse.get_by_text("Aucune action ne correspond.")).to_be_visible()
    browse.follow(browse.get_by_role("link", name="Effacer les filtres"))
    expect(browse.get_by_role("status").filter(has_text="actions")).to_have_text(re.compile(r"^\d+ actions\.$"))


def test_an_admin_changes_the_identity_and_a_legal_page(libercourt, browse):
    log_in(browse, ADMIN, "/libercourt/admin/")
    browse.follow(admin_menu(browse).get_by_role("link", name="Identité et pages"))
    expect(heading(browse)).to_have_text("Identité et pages")

    colour = browse.get_by_label("Couleur principale")
    colour.fill("#ffcc00")  # white text on yellow: unreadable
    browse.follow(browse.get_by_role("button", name="Enregistrer", exact=True))
    colour = browse.get_by_label("Couleur principale")
    expect(colour).to_have_attribute("aria-invalid", "true")
    expect(colour).to_have_accessible_description(re.compile("Cette couleur est trop claire"))
    error = colour.locator("xpath=..").locator(".field__error")  # next to the field, in its own block
    expect(error).to_contain_text("il faut au moins 4,5 pour 1")
    expect(browse.get_by_role("alert").get_by_role("link")).to_contain_text("Couleur principale : Cette couleur")

    colour.fill("#7A2E59")
    browse.get_by_label("Mentions légales", exact=True).fill(
        "Éditeur : mairie de Libercourt.\n\nDirectrice de la publication : la maire de Libercourt."
    )
    browse.follow(browse.get_by_role("button", name="Enregistrer", exact=True))
    expect(flash(browse, "L'identité et les pages du territoire sont enregistrées.")).to_be_visible()
    expect(browse.get_by_label("Couleur principale")).to_have_value("#7a2e59")
    expect(browse.locator(".swatch-note code")).to_have_text("#7a2e59")

    footer = browse.get_by_role("navigation", name="Informations légales")
    browse.follow(footer.get_by_role("link", name="Mentions légales"))
    expect(heading(browse)).to_have_text("Mentions légales")
    expect(browse.get_by_text("Directrice de la publication : la maire de Libercourt.")).to_be_visible()
    header_colour = browse.locator(".site-header").evaluate("element => getComputedStyle(element).backgroundColor")
    assert header_colour == "rgb(122, 46, 89)"

    browse.visit("/libercourt/admin/journal")
    expect(browse.get_by_role("table")).to_contain_text("Identité ou pages du territoire modifiées")


# -- organisations, opening hours and holidays --------------------------------------------------------------------


def test_a_proposed_organisation_is_approved_then_its_owner_sets_its_hours(libercourt, new_page):
    resident = new_page()
    log_in(resident, RESIDENT, "/libercourt/organisations/")
    expect(heading(resident)).to_have_text("Organisations de Libercourt")
    expect(resident.get_by_text("Aucune organisation pour l'instant.")).to_be_visible()
    resident.follow(resident.get_by_role("link", name="Proposer une organisation"))
    expect(heading(resident)).to_have_text("Proposer une organisation")
    resident.follow(resident.get_by_role("button", name="Envoyer la proposition"))  # no name
    expect(resident.get_by_role("alert")).to_contain_text("Nom : Indiquez le nom de l'organisation.")
    resident.get_by_label("Type d'organisation").select_option(label="Atelier de réparation")
    resident.get_by_label("Nom", exact=True).fill("Repair café des Marais")
    resident.get_by_label("Présentation").fill("Réparons ensemble, le samedi matin.")
    resident.get_by_label("Adresse", exact=True).fill("3 rue des Marais")
    resident.get_by_label("Code postal").fill("62820")
    resident.get_by_label("Commune").fill("Libercourt")
    resident.follow(resident.get_by_role("button", name="Envoyer la proposition"))
    expect(flash(resident, "Merci ! Votre proposition est envoyée à l'équipe de Libercourt")).to_be_visible()
    expect(heading(resident)).to_have_text("Repair café des Marais")
    expect(resident.get_by_text("Statut : En attente de validation.")).to_be_visible()

    admin = new_page()
    log_in(admin, ADMIN, "/libercourt/admin/organisations/")
    expect(heading(admin)).to_have_text("Organisations")
    row = admin.get_by_role("row").filter(has_text="Repair café des Marais")
    expect(row).to_contain_text("En attente de validation")
    admin.follow(row.get_by_role("link", name="Repair café des Marais"))
    expect(admin.get_by_text("Proposée par Camille (camille@example.org)")).to_be_visible()
    decision = admin.get_by_role("region", name="Décision")
    decision.get_by_label("Message à la personne (facultatif)").fill("Bienvenue dans l'annuaire !")
    admin.follow(decision.get_by_role("button", name="Valider"))
    expect(flash(admin, "L'organisation « Repair café des Marais » est validée.")).to_be_visible()
    expect(admin.get_by_role("region", name="Équipe")).to_contain_text("Camille (camille@example.org) : Responsable")

    # The proposer is now its owner: the weekly hours, then a closure.
    resident.visit("/libercourt/organisations/")
    resident.follow(resident.get_by_role("link", name="Repair café des Marais").first)
    resident.follow(resident.get_by_role("link", name="Horaires et fermetures"))
    expect(heading(resident)).to_have_text("Horaires : Repair café des Marais")
    monday = resident.locator("form").filter(has=resident.get_by_role("group", name="Lundi", exact=True))
    monday.get_by_label("Ouverture n° 1").fill("09:00")
    monday.get_by_label("Fermeture n° 1").fill("12:00")
    monday.get_by_label("Ouverture n° 2").fill("14:00")
    monday.get_by_label("Fermeture n° 2").fill("13:00")  # ends before it starts
    resident.follow(monday.get_by_role("button", name="Enregistrer : Lundi"))
    expect(resident.get_by_role("alert")).to_be_visible()
    monday.get_by_label("Ouverture n° 2").fill("")
    monday.get_by_label("Fermeture n° 2").fill("")
    resident.follow(monday.get_by_role("button", name="Enregistrer : Lundi"))
    expect(flash(resident, "Les horaires du lundi sont enregistrés.")).to_be_visible()
    expect(monday.get_by_label("Ouverture n° 1")).to_have_value("09:00")

    first_day = territory_today() + timedelta(days=10)
    closures = resident.get_by_role("region", name="Fermetures exceptionnelles")
    closures.get_by_label("Premier jour").fill(first_day.isoformat())
    closures.get_by_label("Dernier jour").fill((first_day + timedelta(days=2)).isoformat())
    closures.get_by_label("Motif (affiché au public)").fill("Inventaire")
    resident.follow(closures.get_by_role("button", name="Ajouter la fermeture"))
    expect(flash(resident, "La fermeture est enregistrée.")).to_be_visible()
    expect(closures.get_by_role("listitem")).to_contain_text("(Inventaire)")

    # What a visitor reads.
    visitor = new_page()
    visitor.visit("/libercourt/organisations/")
    visitor.follow(visitor.get_by_role("link", name="Repair café des Marais"))
    hours = visitor.get_by_role("region", name="Horaires d'ouverture")
    expect(hours.get_by_role("listitem").first).to_have_text("Lundi : 9 h – 12 h")
    expect(hours.get_by_role("listitem").filter(has_text=re.compile("^Mardi"))).to_have_text("Mardi : Fermé")
    expect(hours).to_contain_text("(Inventaire)")


def test_an_admin_adds_a_territory_holiday(libercourt, browse):
    log_in(browse, ADMIN, "/libercourt/admin/")
    browse.follow(admin_menu(browse).get_by_role("link", name="Jours de fermeture"))
    expect(heading(browse)).to_have_text("Jours de fermeture")
    expect(browse.get_by_text("Aucun jour de fermeture à venir.")).to_be_visible()
    browse.follow(browse.get_by_role("button", name="Ajouter", exact=True))  # empty
    expect(browse.get_by_role("alert")).to_contain_text("Date : Indiquez la date.")

    day = territory_today() + timedelta(days=20)
    browse.get_by_label("Date", exact=True).fill(day.isoformat())
    browse.get_by_label("Nom du jour").fill("Fête communale")
    browse.follow(browse.get_by_role("button", name="Ajouter", exact=True))
    expect(flash(browse, "Le jour de fermeture est enregistré.")).to_be_visible()
    own = browse.get_by_role("region", name="Jours de fermeture du territoire")
    expect(own.get_by_role("listitem")).to_contain_text(": Fête communale")
    expect(own.get_by_role("button", name="Supprimer Fête communale")).to_be_visible()


# -- moderation --------------------------------------------------------------------------------------------------


@pytest.fixture
def reported_item(libercourt, live) -> int:
    """A sample item, made reportable for this test (the sample module shows no report button of its own)."""
    register_reportable(
        SampleItem, title_attr="title", url_func=lambda item: f"/libercourt/exemple/objets/{item.id}", module="sample"
    )
    create_user(live.app, MODERATOR, "Morgane", libercourt=("resident", "moderator"))
    with live.app.app_context():
        territory = db.session.scalar(select(Territory).where(Territory.slug == "libercourt"))
        item = SampleItem(territory_id=territory.id, title="Perceuse à vendre, prix cassé")
        db.session.add(item)
        db.session.commit()
        item_id = item.id
    yield item_id
    unregister_reportable(SampleItem)


def test_a_resident_reports_an_item_and_a_moderator_hides_then_restores_it(reported_item, new_page):
    resident = new_page()
    log_in(resident, RESIDENT, f"/libercourt/signaler?subject_type=sample_item&subject_id={reported_item}")
    expect(heading(resident)).to_have_text("Signaler un contenu")
    expect(resident.get_by_text("Vous signalez : « Perceuse à vendre, prix cassé ».")).to_be_visible()
    resident.follow(resident.get_by_role("button", name="Envoyer le signalement"))  # no reason
    expect(resident.get_by_role("alert")).to_contain_text("Choisissez la raison du signalement.")
    reasons = resident.get_by_role("group", name="Pourquoi signalez-vous ce contenu ?")
    reasons.get_by_label("Publicité ou spam").check()
    resident.get_by_label("Précisions").fill("Une annonce commerciale.")
    resident.follow(resident.get_by_role("button", name="Envoyer le signalement"))
    expect(flash(resident, "Merci. Votre signalement est transmis à l'équipe de modération.")).to_be_visible()
    expect(heading(resident)).to_have_text("Perceuse à vendre, prix cassé")  # back on the item

    moderator = new_page()
    log_in(moderator, MODERATOR, "/libercourt/")
    moderator.follow(moderator.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Modération"))
    expect(heading(moderator)).to_have_text("Modération")
    case = moderator.get_by_role("listitem").filter(has_text="Perceuse à vendre, prix cassé")
    expect(case).to_contain_text("Visible · Module d'exemple")
    expect(case).to_contain_text("1 signalement à traiter : Publicité ou spam (1)")
    moderator.follow(case.get_by_role("link", name="Perceuse à vendre, prix cassé"))
    expect(moderator.get_by_role("region", name=re.compile(r"^Signalements"))).to_contain_text(
        "« Une annonce commerciale. »"
    )

    hide = moderator.locator("form").filter(has=moderator.get_by_role("heading", name="Masquer le contenu"))
    hide.get_by_label("Raison de votre décision").fill("Publicité, contraire aux règles.")
    moderator.follow(hide.get_by_role("button", name="Masquer"))
    expect(flash(moderator, "Le contenu est masqué.")).to_be_visible()
    expect(moderator.locator("dl.details")).to_contain_text("Masqué le")

    restore = moderator.locator("form").filter(has=moderator.get_by_role("heading", name="Rétablir le contenu"))
    restore.get_by_label("Raison de votre décision").fill("L'annonce a été corrigée.")
    moderator.follow(restore.get_by_role("button", name="Rétablir"))
    expect(flash(moderator, "Le contenu est de nouveau visible.")).to_be_visible()
    expect(moderator.locator("dl.details")).to_contain_text("Visible")

    moderator.follow(moderator.get_by_role("link", name="Retour à la modération"))
    expect(moderator.get_by_text("Rien à traiter pour l'instant.")).to_be_visible()
    moderator.follow(moderator.get_by_role("navigation", name="Contenus à afficher").get_by_role("link", name="Tous"))
    expect(moderator.get_by_role("listitem").filter(has_text="Perceuse")).to_contain_text("Visible")
