"""Typed module settings: the manifest gives the defaults, validates a territory's values and builds the admin form."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import pytest

from platformcoop.extensions import db
from platformcoop.plugins import ModuleManifest, Setting
from platformcoop.plugins.manager import get_registry
from platformcoop.plugins.manifest import SettingsError, validate_settings
from platformcoop.tenancy import services as territories
from platformcoop.tenancy.models import Territory, TerritoryModule
from tests.sample_plugin import MANIFEST

DEFAULTS = {"max_items": 10, "public": True, "mode": "simple", "greeting": "Bonjour"}
SETTINGS_URL = "/libercourt/admin/modules/sample/reglages"

# -- validation -------------------------------------------------------------------------------------------------------


def test_missing_settings_take_their_default():
    assert validate_settings(MANIFEST, {}) == DEFAULTS
    assert validate_settings(MANIFEST, {"max_items": 25}) == {**DEFAULTS, "max_items": 25}


def test_valid_values_are_kept():
    values = {"max_items": 50, "public": False, "mode": "avance", "greeting": "Salut les voisins"}

    assert validate_settings(MANIFEST, values) == values


def test_unknown_settings_are_refused():
    with pytest.raises(SettingsError) as refused:
        validate_settings(MANIFEST, {"max_items": 5, "couleur": "rouge"})

    assert refused.value.errors == {"__all__": ["Réglage inconnu : couleur."]}


@pytest.mark.parametrize(
    ("value", "message"),
    [(0, "La valeur doit être au moins 1."), (51, "La valeur doit être au plus 50.")],
)
def test_numbers_out_of_bounds_are_refused(value, message):
    with pytest.raises(SettingsError) as refused:
        validate_settings(MANIFEST, {"max_items": value})

    assert refused.value.errors == {"max_items": [message]}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("max_items", "10", "Cette valeur doit être un nombre entier."),
        ("max_items", 2.5, "Cette valeur doit être un nombre entier."),
        ("max_items", True, "Cette valeur doit être un nombre entier."),
        ("public", "oui", "Cette valeur doit être oui ou non."),
        ("public", 1, "Cette valeur doit être oui ou non."),
        ("greeting", 5, "Cette valeur doit être un texte."),
        ("mode", "expert", "Ce choix n'est pas proposé."),
    ],
)
def test_values_of_the_wrong_type_are_refused(name, value, message):
    with pytest.raises(SettingsError) as refused:
        validate_settings(MANIFEST, {name: value})

    assert refused.value.errors == {name: [message]}


def test_texts_are_limited_in_length():
    assert validate_settings(MANIFEST, {"greeting": "a" * 100})["greeting"] == "a" * 100
    with pytest.raises(SettingsError) as refused:
        validate_settings(MANIFEST, {"greeting": "a" * 101})

    assert refused.value.errors == {"greeting": ["Le texte ne doit pas dépasser 100 caractères."]}


def test_every_problem_is_reported_at_once():
    with pytest.raises(SettingsError) as refused:
        validate_settings(MANIFEST, {"max_items": 0, "mode": "expert", "inconnu": 1})

    assert set(refused.value.errors) == {"max_items", "mode", "__all__"}


@pytest.mark.parametrize(
    "declare",
    [
        lambda: Setting("places", "int", 0, label="Places", min=1),
        lambda: Setting("places", "int", 11, label="Places", max=10),
        lambda: Setting("places", "int", "3", label="Places"),
        lambda: Setting("public", "bool", "oui", label="Public"),
        lambda: Setting("mode", "choice", "expert", label="Mode", choices=(("simple", "Simple"),)),
        lambda: Setting("nom", "str", "trop long", label="Nom", max_length=3),
        lambda: Setting("date", "date", "2026-01-01", label="Date"),
    ],
    ids=["below-min", "above-max", "int-as-text", "bool-as-text", "unknown-choice", "too-long", "unknown-type"],
)
def test_an_invalid_declaration_fails_when_the_module_is_imported(declare):
    with pytest.raises(ValueError, match="setting"):
        declare()


def test_a_manifest_without_settings_accepts_only_an_empty_mapping():
    manifest = ModuleManifest(name="vide", label="Vide", label_en="Empty", segment="vide")

    assert validate_settings(manifest, {}) == {}
    with pytest.raises(SettingsError):
        validate_settings(manifest, {"quoi": 1})


# -- storage per territory ----------------------------------------------------------------------------------------


@pytest.fixture
def libercourt_territory(ctx, libercourt) -> Territory:
    return db.session.get(Territory, libercourt)


def test_settings_are_stored_per_territory(ctx, libercourt_territory, lomme):
    registry = get_registry()
    territories.update_module_settings(registry, libercourt_territory, "sample", {"max_items": 3})
    db.session.commit()

    assert territories.module_settings(registry, libercourt_territory, "sample")["max_items"] == 3
    assert territories.module_settings(registry, db.session.get(Territory, lomme), "sample") == DEFAULTS


def test_invalid_settings_store_nothing(ctx, libercourt_territory):
    registry = get_registry()

    with pytest.raises(SettingsError):
        territories.update_module_settings(registry, libercourt_territory, "sample", {"max_items": 3, "mode": "x"})
    db.session.rollback()

    assert territories.module_settings(registry, libercourt_territory, "sample") == DEFAULTS


def test_stored_values_of_a_removed_setting_are_ignored(ctx, libercourt_territory):
    row = db.session.query(TerritoryModule).filter_by(territory_id=libercourt_territory.id, module="sample").one()
    row.settings = {"max_items": 7, "ancien_reglage": True}
    db.session.commit()

    assert territories.module_settings(get_registry(), libercourt_territory, "sample") == {**DEFAULTS, "max_items": 7}


# -- the admin form ---------------------------------------------------------------------------------------------------


class FormFields(HTMLParser):
    """Attributes of every element that has an id, the text of every labelled element, and label texts."""

    def __init__(self, page: str):
        super().__init__()
        self.attrs: dict[str, dict[str, str | None]] = {}
        self.texts: dict[str, str] = {}
        self.labels: dict[str, str] = {}
        self.options: dict[str, list[str]] = {}
        self._open: list[tuple[str, str | None, str | None]] = []  # (tag, id, label-for)
        self._select: str | None = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.attrs[attributes["id"]] = attributes
        if tag == "select":
            self._select = attributes.get("id")
        if tag == "option" and self._select:
            self.options.setdefault(self._select, []).append(attributes.get("value"))
        if tag not in {"input", "br", "img", "meta", "link", "option"}:
            self._open.append((tag, attributes.get("id"), attributes.get("for") if tag == "label" else None))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        while self._open:
            opened = self._open.pop()
            if opened[0] == tag:
                break

    def handle_data(self, data):
        for _tag, element_id, label_for in self._open:
            if element_id:
                self.texts[element_id] = self.texts.get(element_id, "") + data
            if label_for:
                self.labels[label_for] = self.labels.get(label_for, "") + data

    def described_by(self, field_id: str) -> str:
        """The text the field points to with ``aria-describedby``: its help and its error messages."""
        ids = (self.attrs[field_id].get("aria-describedby") or "").split()
        return " ".join(" ".join(self.texts.get(i, "").split()) for i in ids)


def test_the_settings_form_has_one_field_per_setting(libercourt_admin):
    response = libercourt_admin.get(SETTINGS_URL)
    form = FormFields(response.get_data(as_text=True))

    assert response.status_code == 200
    assert {k: form.attrs["max_items"].get(k) for k in ("type", "min", "max", "value")} == {
        "type": "number",
        "min": "1",
        "max": "50",
        "value": "10",
    }
    assert form.attrs["public"].get("type") == "checkbox" and "checked" in form.attrs["public"]
    assert form.options["mode"] == ["simple", "avance"]
    assert form.attrs["greeting"].get("value") == "Bonjour"
    assert form.labels["max_items"].strip() == "Nombre maximal d'objets"
    assert form.labels["greeting"].strip() == "Message d'accueil"
    assert "Entre 1 et 50." in form.described_by("max_items")


def test_an_out_of_bounds_value_is_explained_next_to_its_field(ctx, libercourt_admin, libercourt):
    response = libercourt_admin.post(
        SETTINGS_URL, data={"max_items": "99", "public": "y", "mode": "simple", "greeting": "Bonjour"}
    )
    form = FormFields(response.get_data(as_text=True))

    assert response.status_code == 200
    assert form.attrs["max_items"].get("aria-invalid") == "true"
    assert "La valeur doit être au plus 50." in form.described_by("max_items")
    territory = db.session.get(Territory, libercourt)
    assert territories.module_settings(get_registry(), territory, "sample") == DEFAULTS


def test_a_value_that_is_not_a_number_is_explained_in_french(libercourt_admin):
    response = libercourt_admin.post(SETTINGS_URL, data={"max_items": "dix", "mode": "simple", "greeting": ""})
    form = FormFields(response.get_data(as_text=True))

    assert form.attrs["max_items"].get("aria-invalid") == "true"
    assert "N'est pas un entier valide." in form.described_by("max_items")


def test_valid_values_are_saved_from_the_form(ctx, libercourt_admin, libercourt):
    response = libercourt_admin.post(
        SETTINGS_URL, data={"max_items": "25", "mode": "avance", "greeting": "  Salut  "}, follow_redirects=True
    )

    assert "Les réglages sont enregistrés." in html.unescape(response.get_data(as_text=True))
    territory = db.session.get(Territory, libercourt)
    assert territories.module_settings(get_registry(), territory, "sample") == {
        "max_items": 25,
        "public": False,
        "mode": "avance",
        "greeting": "Salut",
    }


def test_the_settings_page_of_an_unknown_module_is_404(libercourt_admin):
    assert libercourt_admin.get("/libercourt/admin/modules/inconnu/reglages").status_code == 404
