"""My appointments: the list, cancelling before the deadline (scenario 6, the resident's half: 23 h 59 before is
refused, 25 h before is accepted), answering a proposed time, the ``.ics`` download (only one's own).

Setup and checks open the app context; requests do not.
"""

from __future__ import annotations

import pytest

from platformcoop import clock
from platformcoop.extensions import db
from plugins.bikerepair import lifecycle
from plugins.bikerepair.booking import book_appointment
from plugins.bikerepair.models import ACCEPTED, CANCELLED, PENDING, Appointment, Bike
from tests.conftest import login
from tests.plugins.bikerepair.conftest import MONDAY_0810
from tests.plugins.bikerepair.support import add_service, make_repairer, paris, territory, user

BASE = "/libercourt/reparation-velo"
TUESDAY_10 = paris(2026, 6, 2, 10)


@pytest.fixture
def booked(app, people):
    """Anne's pending appointment on Tuesday 2 June 2026 at 10 h (Paris) with her bike, booked on Monday at 08:10,
    at a repairer with a 24-hour cancellation deadline owned by Odile."""
    with clock.frozen(MONDAY_0810), app.app_context():
        t = territory()
        repairer = make_repairer(t, "Atelier Vélo Solidaire", owner=user(people["odile"]), cancel_deadline_hours=24)
        service = add_service(repairer, "Révision", 60)
        anne = user(people["anne"])
        bike = Bike(territory_id=t.id, owner_id=anne.id, name="Vélo rouge")
        db.session.add(bike)
        db.session.flush()
        appointment = book_appointment(t, repairer, service, TUESDAY_10, resident=anne, bike=bike, actor=anne)
        db.session.commit()
        return appointment.id


def login_as(app, email: str):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


@pytest.fixture
def anne(app, people):
    return login_as(app, "anne@example.org")


def appointment(app, appointment_id) -> Appointment:
    with app.app_context():
        row = db.session.get(Appointment, appointment_id)
        db.session.expunge(row)
        return row


def test_my_appointments_lists_the_upcoming_one_with_its_actions(app, anne, booked):
    with clock.frozen(MONDAY_0810):
        page = anne.get(f"{BASE}/mes-rendez-vous").get_data(as_text=True)
    assert "mardi 2 juin 2026, 10 h" in page and "En attente" in page and "Vélo rouge" in page
    assert "Atelier Vélo Solidaire" in page and "Révision" in page
    assert "Ajouter à mon agenda" in page and "Annuler ce rendez-vous" in page
    assert "/messages/nouveau?organisation=" in page


def test_scenario_6_cancelling_23h59_before_is_refused(app, anne, booked):
    with clock.frozen(paris(2026, 6, 1, 10, 1)):
        response = anne.post(f"{BASE}/mes-rendez-vous/{booked}/annuler")
    assert response.status_code == 422
    assert "moins de 24 heures avant" in response.get_data(as_text=True)
    assert appointment(app, booked).status == PENDING


def test_scenario_6_cancelling_25h_before_is_accepted(app, anne, booked):
    with clock.frozen(paris(2026, 6, 1, 9)):
        response = anne.post(f"{BASE}/mes-rendez-vous/{booked}/annuler", follow_redirects=True)
        assert "Votre rendez-vous est annulé" in response.get_data(as_text=True)
    assert appointment(app, booked).status == CANCELLED


def test_someone_else_cannot_cancel_my_appointment(app, booked, people):
    bruno = login_as(app, "bruno@example.org")
    with clock.frozen(MONDAY_0810):
        assert bruno.post(f"{BASE}/mes-rendez-vous/{booked}/annuler").status_code == 404
    assert appointment(app, booked).status == PENDING


def propose(app, people, appointment_id, new_start):
    with clock.frozen(MONDAY_0810), app.app_context():
        row = db.session.get(Appointment, appointment_id)
        lifecycle.propose(territory(), row, new_start, actor=user(people["odile"]), message="Plutôt l'après-midi ?")
        db.session.commit()


def test_accepting_a_proposed_time_moves_the_appointment(app, anne, booked, people):
    wednesday_11 = paris(2026, 6, 3, 11)
    propose(app, people, booked, wednesday_11)
    with clock.frozen(MONDAY_0810):
        page = anne.get(f"{BASE}/mes-rendez-vous").get_data(as_text=True)
        assert "Autre horaire proposé" in page and "mercredi 3 juin 2026, 11 h" in page
        response = anne.post(f"{BASE}/mes-rendez-vous/{booked}/proposition", data={"reponse": "accepter"})
    assert response.status_code == 302
    row = appointment(app, booked)
    assert row.status == ACCEPTED and row.starts_at == wednesday_11


def test_declining_a_proposed_time_cancels_the_appointment(app, anne, booked, people):
    propose(app, people, booked, paris(2026, 6, 3, 11))
    with clock.frozen(MONDAY_0810):
        response = anne.post(
            f"{BASE}/mes-rendez-vous/{booked}/proposition", data={"reponse": "refuser"}, follow_redirects=True
        )
        assert "le rendez-vous est annulé" in response.get_data(as_text=True)
    row = appointment(app, booked)
    assert row.status == CANCELLED and row.starts_at == TUESDAY_10


def test_answering_when_nothing_is_proposed_is_refused(app, anne, booked):
    with clock.frozen(MONDAY_0810):
        response = anne.post(f"{BASE}/mes-rendez-vous/{booked}/proposition", data={"reponse": "accepter"})
    assert response.status_code == 409
    assert appointment(app, booked).status == PENDING


def test_the_ics_download_says_10h_paris_time(app, anne, booked):
    with clock.frozen(MONDAY_0810):
        response = anne.get(f"{BASE}/mes-rendez-vous/{booked}/agenda.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = response.get_data(as_text=True)
    assert "TZID=Europe/Paris" in text
    assert "DTSTART;TZID=Europe/Paris:20260602T100000" in text


def test_the_ics_of_someone_elses_appointment_is_not_found(app, booked, people):
    bruno = login_as(app, "bruno@example.org")
    with clock.frozen(MONDAY_0810):
        assert bruno.get(f"{BASE}/mes-rendez-vous/{booked}/agenda.ics").status_code == 404


def test_a_past_appointment_is_listed_under_past_without_actions(app, anne, booked):
    with app.app_context():
        db.session.get(Appointment, booked).status = ACCEPTED
        db.session.commit()
    with clock.frozen(paris(2026, 6, 3, 9)):
        page = anne.get(f"{BASE}/mes-rendez-vous").get_data(as_text=True)
    assert "Vous n&#39;avez pas de rendez-vous à venir" in page or "Vous n'avez pas de rendez-vous à venir" in page
    past = page[page.index("Passés ou annulés") :]
    assert "mardi 2 juin 2026, 10 h" in past and "Annuler ce rendez-vous" not in past
