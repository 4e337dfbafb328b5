"""The territory's identity and pages: what the administrator writes shows in the footer, the legal pages and the
colour of every page; a wrong value is refused in French next to its field and nothing is saved."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from platformcoop.admin.services import contrast_with_white
from platformcoop.audit import AuditLog
from platformcoop.extensions import db
from platformcoop.tenancy.models import Territory

VALID = {
    "name": "Ville de Libercourt",
    "primary_color": "#1D5B79",
    "contact_email": "Contact@Libercourt.example.org",
    "contact_phone": "03 21 00 00 00",
    "join_policy": "approval",
    "moderation_threshold": "4",
    "welcome_text": "Bienvenue sur l'entraide de Libercourt.",
    "legal_notice": "Éditeur : mairie de Libercourt.\n\nHébergeur : la coopérative.",
    "terms": "Soyez bienveillants.",
    "privacy_policy": "Vos données restent en France.",
    "accessibility_statement": "Conformité partielle au RGAA 4.1.",
}


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def snapshot(app, territory_id: int) -> dict:
    with app.app_context():
        territory = db.session.get(Territory, territory_id)
        return {name: getattr(territory, name) for name in VALID}


def test_the_admin_edits_the_identity_and_the_pages(app, libercourt, libercourt_admin, client):
    response = libercourt_admin.post("/libercourt/admin/identite", data=VALID)

    assert response.status_code == 302
    saved = snapshot(app, libercourt)
    assert saved["name"] == "Ville de Libercourt"
    assert saved["primary_color"] == "#1d5b79"
    assert saved["contact_email"] == "contact@libercourt.example.org"
    assert (saved["join_policy"], saved["moderation_threshold"]) == ("approval", 4)
    with app.app_context():
        entry = db.session.scalars(select(AuditLog).filter_by(action="territory.identity_changed")).one()
        assert "legal_notice" in entry.details["fields"] and "primary_color" not in entry.details["fields"]

    home = page_text(client.get("/libercourt/"))
    assert 'href="mailto:contact@libercourt.example.org"' in home
    assert 'href="tel:0321000000"' in home
    assert "Bienvenue sur l'entraide de Libercourt." in home
    legal = page_text(client.get("/libercourt/pages/mentions-legales"))
    assert "<p>Éditeur : mairie de Libercourt.</p><p>Hébergeur : la coopérative.</p>" in legal
    assert "Conformité partielle au RGAA 4.1." in page_text(client.get("/libercourt/pages/accessibilite"))


def test_the_colour_reaches_every_page_through_the_theme_stylesheet(app, libercourt, libercourt_admin, client):
    libercourt_admin.post("/libercourt/admin/identite", data={**VALID, "primary_color": "#6a1b9a"})

    assert client.get("/libercourt/theme.css").get_data(as_text=True) == ":root { --brand: #6a1b9a; }\n"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("primary_color", "bleu", "Indiquez une couleur au format #RRVVBB, par exemple #1d5b79."),
        ("primary_color", "#12345", "Indiquez une couleur au format #RRVVBB"),
        ("primary_color", "#ffd700", "Cette couleur est trop claire"),
        ("primary_color", "#767676", "les liens de cette couleur seraient difficiles à lire sur le fond gris clair"),
        ("contact_email", "pas-une-adresse", "Cette adresse e-mail n'est pas valide."),
        ("contact_phone", "appelez-nous", "Ce numéro de téléphone n'est pas valide."),
        ("moderation_threshold", "0", "Le seuil doit être compris entre 1 et 50."),
        ("moderation_threshold", "trois", "Indiquez un nombre entier."),
        ("name", "", "Indiquez le nom du territoire."),
        ("join_policy", "tirage", "N'est pas un choix valide."),
    ],
)
def test_a_wrong_value_is_refused_next_to_its_field_and_nothing_is_saved(
    app, libercourt, libercourt_admin, field, value, message
):
    before = snapshot(app, libercourt)

    response = libercourt_admin.post("/libercourt/admin/identite", data={**VALID, field: value})

    page = page_text(response)
    assert response.status_code == 400
    assert 'class="field__error"' in page
    assert message in page
    assert page.count('class="field__error"') == 1
    assert snapshot(app, libercourt) == before
    with app.app_context():
        assert db.session.scalars(select(AuditLog).filter_by(action="territory.identity_changed")).all() == []


def test_a_light_colour_is_refused_with_its_contrast_in_french(app, libercourt, libercourt_admin):
    page = page_text(libercourt_admin.post("/libercourt/admin/identite", data={**VALID, "primary_color": "#ffd700"}))

    assert "contraste de 1,40 pour 1, il faut au moins 4,5 pour 1" in page


def test_a_colour_readable_on_white_but_not_on_the_grey_surfaces_is_refused(app, libercourt, libercourt_admin):
    """#767676 passes 4.5:1 on white, but links in it on the footer's and callouts' light grey would not."""
    page = page_text(libercourt_admin.post("/libercourt/admin/identite", data={**VALID, "primary_color": "#767676"}))

    assert "contraste de 4,16 pour 1, il faut au moins 4,5 pour 1" in page
    assert (
        libercourt_admin.post("/libercourt/admin/identite", data={**VALID, "primary_color": "#707070"}).status_code
        == 302
    )


@pytest.mark.parametrize(("colour", "ratio"), [("#ffffff", 1.0), ("#000000", 21.0), ("#767676", 4.54)])
def test_contrast_with_white_follows_wcag(colour, ratio):
    assert contrast_with_white(colour) == pytest.approx(ratio, abs=0.01)


def test_the_form_opens_with_the_current_values(app, libercourt, libercourt_admin):
    page = page_text(libercourt_admin.get("/libercourt/admin/identite"))

    assert 'value="Libercourt"' in page
    assert 'value="#1d5b79"' in page
    assert 'value="open" checked' in page or 'checked id="join_policy-0"' in page
