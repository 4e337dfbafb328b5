"""The bike-repair module's main journey in a real browser, every page checked by axe-core.

A resident, on a small phone, finds a repairer from the territory home page, books a slot for her bike and adds the
confirmed appointment to her calendar once the repairer (on a desktop) has accepted it; then the repairer closes the
workshop that day and the appointment is called off. The clock is frozen (the live server runs in this process).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from platformcoop import clock
from platformcoop.accounts.models import User
from platformcoop.extensions import db
from platformcoop.hours.models import Closure
from platformcoop.notifications.models import Notification
from platformcoop.organisations import services as organisations
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy.services import enable_module
from plugins.bikerepair import bikes, booking, lifecycle
from plugins.bikerepair.models import ACCEPTED, CANCELLED, PENDING, Appointment, Bike, Repairer
from tests.conftest import create_territory, create_user
from tests.e2e.helpers import flash, sign_in
from tests.plugins.bikerepair.support import add_service, make_repairer, paris, territory

pytestmark = pytest.mark.e2e

BASE = "/libercourt/reparation-velo"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
# Monday 1 June 2026, 08:10 in Libercourt; Anne books Tuesday 2 June, 10:00 (Paris, summer time: 08:00 UTC).
MONDAY_0810 = paris(2026, 6, 1, 8, 10)
TUESDAY_10H_UTC = datetime(2026, 6, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def workshops(live):
    """Libercourt with the module on; Odile's workshop in Libercourt (manual approval), another in Carvin; Anne, a
    resident with a bike."""
    create_territory(live.app, "libercourt", "Libercourt")
    odile = create_user(live.app, "odile@atelier.example.org", "Odile Dumont", libercourt=("resident",))
    anne = create_user(live.app, "anne@example.org", "Anne Leroy", libercourt=("resident",))
    with live.app.app_context():
        libercourt = territory()
        enable_module(get_registry(), libercourt, "bikerepair")
        ours = make_repairer(libercourt, "Atelier Vélo Solidaire", owner=db.session.get(User, odile), auto_accept=False)
        ours.organisation.city = "Libercourt"
        ours.organisation.address = "12 rue des Écoles"
        ours.organisation.postcode = "62820"
        add_service(ours, "Crevaison", 30, 1000)
        add_service(ours, "Révision", 60, 3000)
        other = make_repairer(libercourt, "Cycles du Bassin minier")
        other.organisation.city = "Carvin"
        add_service(other, "Révision", 60, 4000)
        bikes.create_bike(libercourt, db.session.get(User, anne), {"name": "Mon vélo rouge", "bike_type": "classique"})
        db.session.commit()
    with clock.frozen(MONDAY_0810):
        yield live


def fits_the_phone(page) -> None:
    """No horizontal scrolling on a 360 px wide phone (tables scroll inside their own box)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px phone"


def the_appointment() -> Appointment:
    return db.session.scalars(select(Appointment)).one()


def book_tuesday_10h(anne) -> None:
    """Anne's booking, on her phone: from the territory home page to "Mes rendez-vous"."""
    anne.visit("/libercourt/")
    fits_the_phone(anne)
    anne.follow(anne.get_by_role("link", name="Trouver un réparateur et prendre rendez-vous"))
    expect(anne.get_by_role("heading", level=1)).to_have_text("Réparation de vélos")
    fits_the_phone(anne)
    anne.get_by_label("Commune").select_option("Libercourt")
    anne.follow(anne.get_by_role("button", name="Chercher"))
    expect(anne.get_by_text("1 réparateur trouvé.")).to_be_visible()
    expect(anne.get_by_role("link", name="Cycles du Bassin minier")).to_have_count(0)
    fits_the_phone(anne)

    anne.follow(anne.get_by_role("link", name="Atelier Vélo Solidaire", exact=True))
    expect(anne.get_by_role("heading", level=1)).to_have_text("Atelier Vélo Solidaire")
    fits_the_phone(anne)
    anne.follow(anne.get_by_role("link", name="Voir les créneaux pour « Révision »"))
    expect(anne.get_by_role("heading", name="Créneaux libres pour « Révision »")).to_be_visible()
    fits_the_phone(anne)
    anne.follow(anne.get_by_role("link", name=re.compile(r"^Réserver le mardi 2 juin 2026 à 10")))

    expect(anne.get_by_role("heading", level=1)).to_have_text("Confirmer le rendez-vous")
    expect(anne.get_by_text("mardi 2 juin 2026, 10")).to_be_visible()
    fits_the_phone(anne)
    anne.get_by_label("Votre vélo").select_option(label="Mon vélo rouge (Vélo classique)")
    anne.get_by_label("Décrivez le problème").fill("La chaîne saute quand je passe les vitesses.")
    anne.follow(anne.get_by_role("button", name="Confirmer le rendez-vous"))

    expect(anne.get_by_role("heading", level=1)).to_have_text("Mes rendez-vous")
    expect(flash(anne, "Votre demande est envoyée")).to_be_visible()
    expect(anne.locator(".card").filter(has_text="Révision — Atelier Vélo Solidaire")).to_contain_text("En attente")
    fits_the_phone(anne)


def test_a_resident_books_a_repair_the_repairer_accepts_and_she_adds_it_to_her_calendar(workshops, new_page):
    anne = new_page(viewport=PHONE)
    sign_in(anne, "anne@example.org")
    book_tuesday_10h(anne)
    with workshops.app.app_context():
        appointment = the_appointment()
        assert (appointment.status, appointment.starts_at) == (PENDING, TUESDAY_10H_UTC)
        assert appointment.bike.name == "Mon vélo rouge"

    # Odile, at the workshop's desk, accepts the request from her back office's home page.
    odile = new_page(viewport=DESKTOP)
    sign_in(odile, "odile@atelier.example.org")
    odile.visit(f"{BASE}/")
    odile.follow(odile.get_by_role("link", name="Mon atelier"))
    expect(odile.get_by_role("heading", level=1)).to_have_text("Atelier Vélo Solidaire")
    request = odile.locator("[data-pending]").filter(has_text="Révision")
    expect(request).to_contain_text("Anne Leroy")
    expect(request).to_contain_text("Mon vélo rouge")
    odile.follow(request.get_by_role("button", name="Accepter"))
    expect(flash(odile, "Le rendez-vous est confirmé")).to_be_visible()
    expect(odile.get_by_text("Aucune demande en attente.")).to_be_visible()

    # Anne reloads her appointments: confirmed; the calendar file keeps her local time with its timezone.
    anne.reload()
    anne.check()
    card = anne.locator(".card").filter(has_text="Révision — Atelier Vélo Solidaire")
    expect(card).to_contain_text("Confirmé")
    fits_the_phone(anne)
    with anne.expect_download() as download_info:
        card.get_by_role("link", name="Ajouter à mon agenda").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".ics")
    ics = Path(download.path()).read_text(encoding="utf-8")
    assert "BEGIN:VTIMEZONE" in ics and "TZID:Europe/Paris" in ics
    assert "STATUS:CONFIRMED" in ics
    assert "DTSTART;TZID=Europe/Paris:20260602T100000" in ics
    assert "DTEND;TZID=Europe/Paris:20260602T110000" in ics
    assert "Atelier Vélo Solidaire" in ics

    with workshops.app.app_context():
        appointment = the_appointment()
        assert (appointment.status, appointment.starts_at) == (ACCEPTED, TUESDAY_10H_UTC)


def test_the_repairer_closes_the_workshop_over_an_accepted_appointment(workshops, new_page):
    anne = new_page(viewport=PHONE)
    sign_in(anne, "anne@example.org")
    book_tuesday_10h(anne)
    odile = new_page(viewport=DESKTOP)
    sign_in(odile, "odile@atelier.example.org")
    odile.visit(f"{BASE}/atelier/")
    odile.follow(odile.locator("[data-pending]").get_by_role("button", name="Accepter"))
    expect(flash(odile, "Le rendez-vous est confirmé")).to_be_visible()

    # Odile closes the workshop on Tuesday morning: the confirmation step lists Anne's appointment first.
    odile.follow(odile.get_by_role("link", name="Fermetures"))
    expect(odile.get_by_role("heading", level=1)).to_have_text("Fermetures exceptionnelles")
    odile.get_by_label("Premier jour").fill("2026-06-02")
    odile.get_by_label("À partir de (heure)").fill("09:00")
    odile.get_by_label("Dernier jour").fill("2026-06-02")
    odile.get_by_label("Jusqu'à (heure)").fill("12:00")
    odile.get_by_label("Motif (affiché au public)").fill("Inventaire")
    odile.follow(odile.get_by_role("button", name="Ajouter la fermeture"))
    expect(odile.get_by_role("heading", level=1)).to_have_text("Confirmer la fermeture")
    covered = odile.locator("[data-covered]")
    expect(covered).to_have_count(1)
    expect(covered).to_contain_text("Révision")
    expect(covered).to_contain_text("Anne Leroy")
    expect(covered.get_by_label("Annuler ce rendez-vous")).to_be_checked()
    odile.follow(odile.get_by_role("button", name="Confirmer la fermeture"))
    expect(flash(odile, "La fermeture est enregistrée")).to_be_visible()
    expect(odile.locator("[data-closure]")).to_contain_text("Inventaire")

    with workshops.app.app_context():
        appointment = the_appointment()
        assert appointment.status == CANCELLED
        closure = db.session.scalars(select(Closure)).one()
        assert (closure.starts_at, closure.ends_at) == (paris(2026, 6, 2, 9), paris(2026, 6, 2, 12))
        assert closure.reason == "Inventaire"
        titles = db.session.scalars(
            select(Notification.title).where(
                Notification.user_id == appointment.resident_id, Notification.kind == "bikerepair.appointment"
            )
        ).all()
        assert any("annule votre rendez-vous" in title for title in titles), titles

    # Anne's appointments: nothing to come, the cancelled one below.
    anne.visit(f"{BASE}/mes-rendez-vous")
    expect(anne.get_by_text("Vous n'avez pas de rendez-vous à venir.")).to_be_visible()
    expect(anne.locator(".card").filter(has_text="Révision — Atelier Vélo Solidaire")).to_contain_text("Annulé")
    fits_the_phone(anne)


@pytest.fixture
def busy_workshop(workshops):
    """Odile's workshop with appointments in every state a page shows: Anne's accepted one this morning, a pending
    request for Tuesday, another time proposed for Wednesday, a walk-in; a line in Anne's booklet; and a second
    organisation of Odile's whose booking is not open yet (the back office then asks which one)."""
    with workshops.app.app_context():
        libercourt = territory()
        odile = db.session.scalars(select(User).where(User.email == "odile@atelier.example.org")).one()
        anne = db.session.scalars(select(User).where(User.email == "anne@example.org")).one()
        repairer = db.session.scalars(select(Repairer).order_by(Repairer.id)).first()
        revision = next(service for service in repairer.services if service.name == "Révision")
        bike = db.session.scalars(select(Bike)).one()
        bikes.add_booklet_entry(libercourt, bike, anne, done_on=date(2026, 5, 2), work="Pneu arrière changé")

        def book(hour: int, day: int = 1, actor=odile, **who):
            return booking.book_appointment(
                libercourt, repairer, revision, paris(2026, 6, day, hour), actor=actor, description="Freins", **who
            )

        book(11, resident=anne, bike=bike)  # entered by the staff: accepted at once
        book(10, day=2, actor=anne, resident=anne, bike=bike)  # Anne's own request: pending
        lifecycle.propose(libercourt, book(9, day=3, actor=anne, resident=anne), paris(2026, 6, 3, 11), actor=odile)
        book(10, walk_in_name="Marcel Petit", walk_in_phone="06 00 00 00 00")
        organisations.create_organisation(libercourt, {"kind": "repairer", "name": "Vélo Mobile"}, owner=odile)
        db.session.commit()
        ids = {
            "repairer": repairer.id,
            "service": revision.id,
            "bike": bike.id,
            "anne": anne.id,
            "appointments": sorted(a.id for a in db.session.scalars(select(Appointment))),
        }
    return ids


def test_every_other_page_of_the_module_is_accessible_and_fits_a_phone(busy_workshop, new_page):
    ids = busy_workshop
    anne = new_page(viewport=PHONE)
    sign_in(anne, "anne@example.org")
    pages = [
        "/mes-rendez-vous",
        "/mes-velos",
        "/mes-velos/nouveau",
        f"/mes-velos/{ids['bike']}",
        f"/mes-velos/{ids['bike']}/modifier",
        f"/mes-velos/{ids['bike']}/supprimer",
        "/?prestation=r%C3%A9vision&type=vae",
    ]
    for path in pages:
        assert anne.visit(BASE + path).ok, path
        fits_the_phone(anne)
    # A refused form: the error summary and the field's message.
    anne.visit(f"{BASE}/reparateurs/{ids['repairer']}/reserver?service={ids['service']}&start=2026-06-02T07:00Z")
    anne.follow(anne.get_by_role("button", name="Confirmer le rendez-vous"))
    expect(anne.get_by_text("Décrivez le problème en quelques mots.").first).to_be_visible()
    fits_the_phone(anne)

    # The repairer's back office, on a phone too: the workshop's people often have nothing else at hand.
    odile = new_page(viewport=PHONE)
    sign_in(odile, "odile@atelier.example.org")
    workshop = f"{BASE}/atelier/{ids['repairer']}"
    pages = [
        f"{BASE}/atelier/",
        f"{workshop}/",
        *(f"{workshop}/rendez-vous/{appointment}" for appointment in ids["appointments"]),
        f"{workshop}/agenda",
        f"{workshop}/agenda?vue=semaine",
        f"{workshop}/nouveau-rendez-vous",
        f"{workshop}/clients",
        f"{workshop}/clients/{ids['anne']}",
        f"{workshop}/clients/velos/{ids['bike']}",
        f"{workshop}/regles",
        f"{workshop}/fermetures",
        f"{workshop}/prestations",
        f"{workshop}/prestations/{ids['service']}",
        f"{workshop}/profil",
        f"{workshop}/equipe",
    ]
    for path in pages:
        assert odile.visit(path).ok, path
        fits_the_phone(odile)
    odile.visit(f"{workshop}/fermetures")
    odile.follow(odile.get_by_role("button", name="Ajouter la fermeture"))
    expect(odile.get_by_text("Indiquez le premier jour.").first).to_be_visible()
    fits_the_phone(odile)
    # The confirmation step on a phone, with the other times one may propose; then leaving without closing.
    odile.get_by_label("Premier jour").fill("2026-06-01")
    odile.get_by_label("Dernier jour").fill("2026-06-03")
    odile.follow(odile.get_by_role("button", name="Ajouter la fermeture"))
    expect(odile.locator("[data-covered]")).to_have_count(4)
    expect(odile.get_by_label("Autre horaire proposé").first).to_be_attached()
    fits_the_phone(odile)
    odile.follow(odile.get_by_role("link", name="Ne rien faire"))
    expect(odile.get_by_text("Aucune fermeture prévue.")).to_be_visible()
