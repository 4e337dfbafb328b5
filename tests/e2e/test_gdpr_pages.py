"""A resident takes their data and leaves, in a real browser: every page checked by axe-core, also on a small phone."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, create_territory, create_user

pytestmark = pytest.mark.e2e

RESIDENT = "camille@example.org"


@pytest.fixture
def resident(live) -> None:
    create_territory(live.app, "libercourt", "Libercourt")
    create_user(live.app, RESIDENT, "Camille", libercourt=("resident",))


def log_in(browse) -> None:
    browse.visit("/compte/connexion?next=/compte/profil")
    browse.get_by_label("Adresse e-mail").fill(RESIDENT)
    browse.get_by_label("Mot de passe").fill(PASSWORD)
    browse.follow(browse.get_by_role("button", name="Se connecter"))
    expect(browse.get_by_role("heading", level=1)).to_have_text("Mon profil")


def test_a_resident_downloads_their_data_then_deletes_their_account(resident, browse):
    log_in(browse)

    with browse.page.expect_download() as download:
        browse.get_by_role("button", name="Télécharger mes données").click()
    with zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes())) as archive:
        assert json.loads(archive.read("compte.json"))["profile"]["email"] == RESIDENT

    browse.follow(browse.get_by_role("link", name="Supprimer mon compte"))
    expect(browse.get_by_role("heading", level=1)).to_have_text("Supprimer mon compte")
    browse.get_by_label("Votre mot de passe").fill(PASSWORD)
    browse.get_by_label("Pour confirmer, tapez SUPPRIMER").fill("oui")
    browse.follow(browse.get_by_role("button", name="Supprimer définitivement mon compte"))
    expect(browse.get_by_role("alert")).to_contain_text("Tapez SUPPRIMER pour confirmer.")

    browse.get_by_label("Votre mot de passe").fill(PASSWORD)
    browse.get_by_label("Pour confirmer, tapez SUPPRIMER").fill("SUPPRIMER")
    browse.follow(browse.get_by_role("button", name="Supprimer définitivement mon compte"))
    expect(browse.get_by_role("status").filter(has_text="Votre compte est supprimé.")).to_be_visible()
    expect(
        browse.get_by_role("navigation", name="Mon compte").get_by_role("link", name="Se connecter")
    ).to_be_attached()


def test_the_deletion_page_fits_a_small_phone(resident, new_page):
    phone = new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    log_in(phone)

    phone.visit("/compte/profil/supprimer")

    button = phone.get_by_role("button", name="Supprimer définitivement mon compte")
    expect(button).to_be_visible()
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 360
    assert button.bounding_box()["height"] >= 44
