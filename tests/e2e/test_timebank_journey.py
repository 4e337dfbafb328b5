"""The time bank's main journey in a real browser, every page checked by axe-core.

A parent joins the time bank, fills in her child and emergency contact, and books a verified carer; the carer (on a
small phone) accepts; after the session the carer declares the hours and the parent confirms; both see the new
balances. The clock is frozen and moved (the live server runs in this process), never slept on.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from platformcoop import clock
from platformcoop.accounts.models import User
from platformcoop.extensions import db
from plugins.timebank import childcare, services
from plugins.timebank.models import Session, Transfer
from tests.conftest import create_territory, create_user
from tests.e2e.helpers import flash, sign_in

pytestmark = pytest.mark.e2e

BASE = "/libercourt/banque-de-temps"
# Wednesday 4 March 2026, 10:00 in Libercourt; the session is on Saturday 7 March, 14:00–17:30.
WEDNESDAY = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def time_bank(live):
    """Libercourt with Martine (a carer a coordinator verified) and Camille (a mother, not in the time bank yet)."""
    create_territory(live.app, "libercourt", "Libercourt")
    create_user(live.app, "martine@example.org", "Martine Lefebvre", libercourt=("resident",))
    create_user(live.app, "coord@example.org", "Coralie", libercourt=("resident", "timebank.coordinator"))
    create_user(live.app, "camille@example.org", "Camille Martin", libercourt=("resident",))
    with live.app.app_context():
        from platformcoop.tenancy.models import Territory

        territory = db.session.scalar(select(Territory).where(Territory.slug == "libercourt"))
        martine = db.session.scalar(select(User).where(User.email == "martine@example.org"))
        coordinator = db.session.scalar(select(User).where(User.email == "coord@example.org"))
        account = services.open_account(territory, martine)
        childcare.request_vetting(territory, account, "Ancienne institutrice.")
        childcare.verify(territory, account, coordinator, "Rencontrée au CCAS.")
        db.session.commit()
    with clock.frozen(WEDNESDAY):
        yield live


def balance(page) -> str:
    return re.sub(r"\s+", " ", page.get_by_test_id("timebank-balance").inner_text()).strip()


def test_a_parent_books_a_verified_carer_who_accepts_declares_and_gets_the_hours(time_bank, new_page):
    camille = new_page(viewport={"width": 1024, "height": 900})
    sign_in(camille, "camille@example.org")

    # Joining: the charter, then the account with its welcome credit.
    camille.visit(f"{BASE}/")
    expect(camille.get_by_role("heading", level=1)).to_have_text("Rejoindre la banque de temps")
    camille.get_by_label("J'accepte la charte").check()
    camille.follow(camille.get_by_role("button", name="Ouvrir mon compte"))
    expect(camille.get_by_test_id("timebank-balance")).to_have_text("2 h")

    # The parent's profile: a child and an emergency contact, required before booking.
    camille.follow(camille.get_by_role("link", name="Garde d'enfants"))
    camille.follow(camille.get_by_role("link", name="Ajouter un enfant").first)
    camille.get_by_label("Prénom ou surnom").fill("Léa")
    camille.get_by_label("Année de naissance").fill("2018")
    camille.get_by_label("À savoir (facultatif)").fill("Allergique aux arachides.")
    camille.follow(camille.get_by_role("button", name="Enregistrer"))
    camille.follow(camille.get_by_role("link", name="Indiquer un contact d'urgence").first)
    camille.get_by_label("Personne à prévenir").fill("Marc Martin")
    camille.get_by_label("Son téléphone").fill("06 12 34 56 78")
    camille.follow(camille.get_by_role("button", name="Enregistrer"))

    # Booking Martine for Saturday afternoon.
    camille.follow(camille.get_by_role("link", name="Demander une garde à Martine Lefebvre"))
    expect(camille.get_by_role("heading", level=1)).to_have_text("Demander une garde")
    camille.get_by_label("Date").fill("2026-03-07")
    camille.get_by_label("Heure de début").fill("14:00")
    camille.get_by_label("Heure de fin").fill("17:30")
    camille.get_by_label("Léa").check()
    camille.get_by_label("Message (facultatif)").fill("Merci beaucoup !")
    camille.follow(camille.get_by_role("button", name="Envoyer la demande"))
    expect(camille.get_by_text("Demandée, en attente de réponse").first).to_be_visible()

    # The carer, on a small phone, accepts: she now sees Léa's first name and notes and the emergency contact.
    martine = new_page(viewport={"width": 360, "height": 740})
    sign_in(martine, "martine@example.org")
    martine.visit(f"{BASE}/garde/")
    martine.follow(martine.get_by_role("link", name=re.compile(r"^Répondre à la demande de Camille Martin")))
    martine.follow(martine.get_by_role("button", name="Accepter la garde"))
    expect(martine.get_by_text("Allergique aux arachides.")).to_be_visible()
    expect(martine.get_by_text("Marc Martin")).to_be_visible()
    width = martine.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the session page is {width}px wide on a 360px phone"

    # Saturday evening, after the session: the carer declares 14:10–17:40.
    with clock.travel(timedelta(days=3, hours=9)):
        martine.visit(f"{BASE}/garde/")
        martine.follow(martine.get_by_role("link", name=re.compile(r"^Déclarer les heures de la garde")))
        martine.get_by_label("Heure de début").fill("14:10")
        martine.get_by_label("Heure de fin").fill("17:40")
        martine.follow(martine.get_by_role("button", name="Déclarer ces heures"))

        # The parent confirms; the hours move once, parent → carer.
        camille.visit(f"{BASE}/garde/")
        camille.follow(camille.get_by_role("link", name=re.compile(r"^Confirmer les heures de garde de Martine")))
        expect(camille.get_by_text("3 h 30").first).to_be_visible()
        camille.follow(camille.get_by_role("button", name="Confirmer les heures"))
        expect(flash(camille, "Les heures de garde sont transférées")).to_be_visible()

        camille.visit(f"{BASE}/")
        assert balance(camille) == "-1 h 30"  # 2 h welcome credit − 3 h 30
        martine.visit(f"{BASE}/")
        assert balance(martine) == "5 h 30"  # 2 h welcome credit + 3 h 30
        width = martine.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the account page (its history table scrolls in its own box) is {width}px wide"
        expect(martine.get_by_text("Camille Martin").first).to_be_visible()

    with time_bank.app.app_context():
        session = db.session.scalar(select(Session))
        assert session.status == Session.CONFIRMED
        transfers = db.session.scalars(select(Transfer).where(Transfer.kind == "transfer")).all()
        assert [(t.minutes, t.id == session.transfer_id) for t in transfers] == [(210, True)]
