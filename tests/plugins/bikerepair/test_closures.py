"""Scenario 4 over HTTP: a half-day closure on Saturday 14:00–18:00 removes only that afternoon's slots; a closure
over an accepted appointment first lists it, and on confirmation the appointment is cancelled (or another time is
proposed) and the resident is told — in one transaction, nothing written when the list changed meanwhile.
The clock stands on Monday 1 June 2026, 08:10 in Paris; the workshop opens Saturdays 9 h – 12 h and 14 h – 18 h."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from platformcoop.extensions import db
from platformcoop.hours.models import Closure
from platformcoop.notifications.models import Notification
from plugins.bikerepair import lifecycle
from plugins.bikerepair.booking import book_appointment, repairer_slots
from plugins.bikerepair.models import ACCEPTED, CANCELLED, PROPOSED, Appointment, Repairer, RepairService
from tests.conftest import login
from tests.plugins.bikerepair.support import (
    SATURDAY,
    add_service,
    h,
    local_times,
    make_repairer,
    paris,
    territory,
    user,
)

BASE = "/libercourt/reparation-velo/atelier"
ODILE = "odile@atelier.example.org"
SATURDAY_15 = paris(2026, 6, 6, 15)
HALF_DAY = {
    "start_date": "2026-06-06",
    "start_time": "14:00",
    "end_date": "2026-06-06",
    "end_time": "18:00",
    "reason": "Formation",
}


@pytest.fixture
def workshop(app, people, monday_morning) -> dict[str, int]:
    with app.app_context():
        repairer = make_repairer(
            territory(), owner=user(people["odile"]), opening={SATURDAY: [(h(9), h(12)), (h(14), h(18))]}
        )
        service = add_service(repairer, "Révision", 60)
        db.session.commit()
        return {"repairer": repairer.id, "service": service.id, **people}


@pytest.fixture
def odile(app, workshop):
    client = app.test_client()
    assert login(client, ODILE).status_code == 302
    return client


def saturday_slots(app, workshop, day=6) -> list[str]:
    with app.app_context():
        t = territory()
        repairer = db.session.get(Repairer, workshop["repairer"])
        service = db.session.get(RepairService, workshop["service"])
        return local_times(repairer_slots(t, repairer, service, start=paris(2026, 6, day), end=paris(2026, 6, day + 1)))


def accepted_booking(app, workshop, starts_at=SATURDAY_15, person="anne") -> int:
    with app.app_context():
        t, resident, owner = territory(), user(workshop[person]), user(workshop["odile"])
        appointment = book_appointment(
            t,
            db.session.get(Repairer, workshop["repairer"]),
            db.session.get(RepairService, workshop["service"]),
            starts_at,
            resident=resident,
            actor=resident,
        )
        lifecycle.accept(t, appointment, actor=owner)
        db.session.commit()
        return appointment.id


def closures_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Closure))


def told(app, person_id) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Notification).where(Notification.user_id == person_id)
        )


def test_a_half_day_closure_removes_only_that_afternoon(app, workshop, odile):
    before = ["06/06 09:00", "06/06 10:00", "06/06 11:00", "06/06 14:00", "06/06 15:00", "06/06 16:00", "06/06 17:00"]
    assert saturday_slots(app, workshop) == before
    response = odile.post(f"{BASE}/{workshop['repairer']}/fermetures", data=HALF_DAY)
    assert response.status_code == 302
    assert saturday_slots(app, workshop) == ["06/06 09:00", "06/06 10:00", "06/06 11:00"]
    assert saturday_slots(app, workshop, day=13)[3:] == ["13/06 14:00", "13/06 15:00", "13/06 16:00", "13/06 17:00"]
    page = html.unescape(odile.get(f"{BASE}/{workshop['repairer']}/fermetures").get_data(as_text=True))
    assert "le samedi 6 juin 2026 de 14 h à 18 h" in page and "Formation" in page


def test_a_closure_over_an_accepted_appointment_lists_it_first_and_writes_nothing(app, workshop, odile):
    appointment_id = accepted_booking(app, workshop)
    response = odile.post(f"{BASE}/{workshop['repairer']}/fermetures", data=HALF_DAY)
    assert response.status_code == 200
    assert f'data-covered="{appointment_id}"' in response.get_data(as_text=True)
    assert closures_count(app) == 0
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).status == ACCEPTED


def test_confirming_the_closure_cancels_the_appointment_and_tells_the_resident(app, workshop, odile):
    appointment_id = accepted_booking(app, workshop)
    before = told(app, workshop["anne"])
    response = odile.post(
        f"{BASE}/{workshop['repairer']}/fermetures",
        data={**HALF_DAY, "confirmer": "1", "rdv": str(appointment_id), f"choix-{appointment_id}": "annuler"},
    )
    assert response.status_code == 302
    assert closures_count(app) == 1
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert (appointment.status, appointment.status_message) == (CANCELLED, "Formation")
    assert told(app, workshop["anne"]) > before
    assert saturday_slots(app, workshop) == ["06/06 09:00", "06/06 10:00", "06/06 11:00"]


def test_confirming_the_closure_can_propose_another_time_instead(app, workshop, odile):
    appointment_id = accepted_booking(app, workshop)
    page = odile.post(f"{BASE}/{workshop['repairer']}/fermetures", data=HALF_DAY).get_data(as_text=True)
    saturday_10 = paris(2026, 6, 6, 10)
    assert saturday_10.isoformat() in page and paris(2026, 6, 6, 16).isoformat() not in page  # not inside it
    response = odile.post(
        f"{BASE}/{workshop['repairer']}/fermetures",
        data={
            **HALF_DAY,
            "confirmer": "1",
            "rdv": str(appointment_id),
            f"choix-{appointment_id}": "proposer",
            f"horaire-{appointment_id}": saturday_10.isoformat(),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert (appointment.status, appointment.proposed_starts_at) == (PROPOSED, saturday_10)


def test_proposing_a_time_inside_the_new_closure_is_refused_and_nothing_is_written(app, workshop, odile):
    appointment_id = accepted_booking(app, workshop)
    response = odile.post(
        f"{BASE}/{workshop['repairer']}/fermetures",
        data={
            **HALF_DAY,
            "confirmer": "1",
            "rdv": str(appointment_id),
            f"choix-{appointment_id}": "proposer",
            f"horaire-{appointment_id}": paris(2026, 6, 6, 16).isoformat(),
        },
    )
    assert response.status_code == 422
    assert closures_count(app) == 0
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).status == ACCEPTED


def test_a_booking_arriving_before_the_confirmation_is_shown_and_nothing_is_written(app, workshop, odile):
    first = accepted_booking(app, workshop)
    second = accepted_booking(app, workshop, paris(2026, 6, 6, 16), person="bruno")  # after the owner looked
    response = odile.post(
        f"{BASE}/{workshop['repairer']}/fermetures",
        data={**HALF_DAY, "confirmer": "1", "rdv": str(first), f"choix-{first}": "annuler"},
    )
    assert response.status_code == 409
    assert f'data-covered="{second}"' in response.get_data(as_text=True)
    assert closures_count(app) == 0
    with app.app_context():
        assert db.session.get(Appointment, first).status == ACCEPTED


def test_removing_a_closure_offers_its_slots_again(app, workshop, odile):
    odile.post(f"{BASE}/{workshop['repairer']}/fermetures", data=HALF_DAY)
    with app.app_context():
        closure_id = db.session.scalar(select(Closure.id))
    response = odile.post(f"{BASE}/{workshop['repairer']}/fermetures/{closure_id}/supprimer")
    assert response.status_code == 302
    assert closures_count(app) == 0
    assert len(saturday_slots(app, workshop)) == 7


def test_a_closure_ending_before_it_starts_is_refused(app, workshop, odile):
    data = {**HALF_DAY, "start_time": "18:00", "end_time": "14:00"}
    response = odile.post(f"{BASE}/{workshop['repairer']}/fermetures", data=data)
    assert response.status_code == 422
    assert closures_count(app) == 0
