"""Two residents talk through the messages pages in a real browser (one of them on a small phone), every page
checked by axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from platformcoop.accounts.models import User
from platformcoop.extensions import db
from tests.conftest import PASSWORD, create_territory, create_user

pytestmark = pytest.mark.e2e

PHONE_SCREENSHOT = "/tmp/e2e-messages-phone.png"


@pytest.fixture
def residents(live) -> int:
    """Libercourt with Alice and Bob; Bob's id."""
    create_territory(live.app, "libercourt", "Libercourt")
    create_user(live.app, "alice@example.org", "Alice", libercourt=("resident",))
    create_user(live.app, "bob@example.org", "Bob", libercourt=("resident",))
    with live.app.app_context():
        return db.session.scalar(select(User.id).where(User.email == "bob@example.org"))


def log_in(page, email_address: str, next_path: str) -> None:
    page.visit(f"/compte/connexion?next={next_path}")
    page.get_by_label("Adresse e-mail").fill(email_address)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.follow(page.get_by_role("button", name="Se connecter"))


def test_two_residents_exchange_messages(residents, new_page):
    alice = new_page()
    log_in(alice, "alice@example.org", f"/libercourt/messages/nouveau?membre={residents}")
    expect(alice.get_by_role("heading", level=1)).to_have_text("Écrire à Bob")
    alice.get_by_label("Votre message").fill("   ")  # blanks pass the browser's "required", not the server
    alice.follow(alice.get_by_role("button", name="Envoyer"))
    expect(alice.get_by_role("alert")).to_contain_text("Votre message : Écrivez votre message.")
    alice.get_by_label("Votre message").fill("Bonjour Bob,\nvotre perceuse est-elle libre samedi ?")
    alice.follow(alice.get_by_role("button", name="Envoyer"))
    expect(alice.get_by_role("heading", level=1)).to_have_text("Conversation avec Bob")
    expect(alice.get_by_role("listitem").filter(has_text="votre perceuse")).to_be_visible()

    bob = new_page(viewport={"width": 360, "height": 740})
    log_in(bob, "bob@example.org", "/libercourt/")
    header_link = bob.get_by_role("link", name=re.compile(r"^Messages\s*, 1 conversation non lue"))
    expect(header_link).to_be_visible()
    bob.follow(header_link)
    expect(bob.get_by_role("heading", level=1)).to_have_text("Messages")
    bob.follow(bob.get_by_role("link", name="Conversation avec Alice (non lu)"))
    expect(bob.get_by_text("votre perceuse est-elle libre samedi ?")).to_be_visible()
    bob.get_by_label("Votre message").fill("Oui, passez à 10 h.")
    bob.follow(bob.get_by_role("button", name="Envoyer"))
    expect(bob.get_by_role("status").filter(has_text="Votre message est envoyé.")).to_be_visible()
    expect(bob.get_by_role("link", name=re.compile(r"^Messages"))).not_to_contain_text("non lue")
    width = bob.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width}px wide on a 360px phone"
    bob.screenshot(path=PHONE_SCREENSHOT, full_page=True)

    alice.visit("/libercourt/messages/")
    expect(alice.get_by_role("link", name="Conversation avec Bob (non lu)")).to_be_visible()
