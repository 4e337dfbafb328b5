"""Booking through the pages: the booking form creates the appointment at the right UTC instant, a slot taken
meanwhile gives 409 and the message, a start off the grid or beyond the horizon is refused (scenario 5's second half),
a disabled repairer is not bookable (scenario 8).

The clock stands on Monday 1 June 2026, 08:10 in Paris. Setup and checks open the app context; requests do not.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from platformcoop.extensions import db
from platformcoop.media.models import Upload
from plugins.bikerepair.booking import book_appointment
from plugins.bikerepair.models import ACCEPTED, PENDING, Appointment, Bike, Repairer
from tests.conftest import login
from tests.plugins.bikerepair.support import add_service, h, make_repairer, paris, territory, user

BASE = "/libercourt/reparation-velo"
TUESDAY_10 = paris(2026, 6, 2, 10)


@pytest.fixture
def workshop(app, people):
    """Capacity 1, 30-minute grid, 120 minutes' notice, 30 days ahead, Monday to Saturday 8 h – 12 h; a 60-minute
    service; Anne has a bike."""
    with app.app_context():
        t = territory()
        opening = {day: [(h(8), h(12))] for day in range(6)}
        repairer = make_repairer(t, owner=user(people["odile"]), opening=opening, grid_minutes=30, notice_minutes=120)
        service = add_service(repairer, "Révision", 60)
        bike = Bike(territory_id=t.id, owner_id=people["anne"], name="Vélo rouge")
        db.session.add(bike)
        db.session.commit()
        return {"repairer": repairer.id, "service": service.id, "bike": bike.id}


@pytest.fixture
def anne(client, people):
    assert login(client, "anne@example.org").status_code == 302
    return client


def booking_url(workshop, start: str) -> str:
    return f"{BASE}/reparateurs/{workshop['repairer']}/reserver?service={workshop['service']}&start={start}"


def appointments(app) -> list[Appointment]:
    with app.app_context():
        rows = db.session.scalars(select(Appointment).order_by(Appointment.id)).all()
        db.session.expunge_all()
        return rows


def png() -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 30, 30)).save(data, "PNG")
    data.seek(0)
    return data


def test_booking_a_slot_creates_the_appointment_at_the_right_utc_instant(app, anne, workshop, monday_morning):
    url = booking_url(workshop, "2026-06-02T08:00Z")  # Tuesday 10 h in Paris
    form_page = anne.get(url)
    assert form_page.status_code == 200
    assert "mardi 2 juin 2026, 10 h" in form_page.get_data(as_text=True)

    response = anne.post(
        url,
        data={"bike": str(workshop["bike"]), "description": "Les freins frottent.", "photo": (png(), "frein.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/reparation-velo/mes-rendez-vous")
    [appointment] = appointments(app)
    assert appointment.starts_at == TUESDAY_10 and TUESDAY_10.hour == 8  # 10 h in Paris is 8 h UTC in June
    assert appointment.status == PENDING and appointment.bike_id == workshop["bike"]
    assert appointment.description == "Les freins frottent."
    with app.app_context():
        photo = db.session.get(Upload, appointment.photo_id)
        assert photo.private and photo.purpose == "bikerepair.diagnosis"
    assert "Votre demande est envoyée" in anne.get(f"{BASE}/mes-rendez-vous").get_data(as_text=True)


def test_an_auto_accepting_repairer_confirms_at_once_and_an_epoch_start_works(app, anne, workshop, monday_morning):
    with app.app_context():
        db.session.get(Repairer, workshop["repairer"]).auto_accept = True
        db.session.commit()
    response = anne.post(
        booking_url(workshop, str(int(TUESDAY_10.timestamp()))),
        data={"bike": "", "description": "Crevaison"},
        follow_redirects=True,
    )
    assert "Votre rendez-vous est confirmé" in response.get_data(as_text=True)
    [appointment] = appointments(app)
    assert appointment.status == ACCEPTED and appointment.starts_at == TUESDAY_10 and appointment.bike_id is None


def test_a_slot_taken_meanwhile_gives_409_and_the_message_with_the_slots_again(
    app, anne, workshop, people, monday_morning
):
    with app.app_context():
        repairer = db.session.get(Repairer, workshop["repairer"])
        claire = user(people["claire"])
        book_appointment(territory(), repairer, repairer.services[0], TUESDAY_10, resident=claire, actor=claire)
        db.session.commit()
    response = anne.post(booking_url(workshop, "2026-06-02T08:00Z"), data={"description": "Crevaison"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Ce créneau vient d&#39;être pris" in page or "Ce créneau vient d'être pris" in page
    assert "Créneaux libres pour « Révision »" in page
    assert len(appointments(app)) == 1


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("2026-06-01T08:15Z", "Les rendez-vous commencent toutes les 30 minutes"),  # 10:15, off the 30-minute grid
        ("2026-06-01T08:00Z", "au moins 120 minutes à l'avance"),  # 10:00: inside the notice
        ("2026-07-02T07:00Z", "plus de 30 jours à l'avance"),  # beyond the horizon
        ("2026-06-01T14:00Z", "pas ouvert à cette heure-là"),  # 16:00: closed
    ],
)
def test_scenario_5_a_start_posted_by_hand_off_the_grid_or_beyond_the_horizon_is_refused(
    app, anne, workshop, monday_morning, start, message
):
    response = anne.post(booking_url(workshop, start), data={"description": "Crevaison"})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert appointments(app) == []


def test_scenario_5_the_first_slot_offered_at_0810_is_1030(app, anne, workshop, monday_morning):
    page = anne.get(f"{BASE}/reparateurs/{workshop['repairer']}?prestation={workshop['service']}")
    text = page.get_data(as_text=True)
    first = text.index("start=2026-06-01T")
    assert text[first : first + len("start=2026-06-01T08:30Z")] == "start=2026-06-01T08:30Z"  # 10:30 in Paris


def test_a_disabled_repairer_is_not_bookable_and_nothing_is_written(app, anne, workshop, monday_morning):
    with app.app_context():
        db.session.get(Repairer, workshop["repairer"]).enabled = False
        db.session.commit()
    url = booking_url(workshop, "2026-06-02T08:00Z")
    assert anne.get(url).status_code == 404
    assert anne.post(url, data={"description": "Crevaison"}).status_code == 404
    assert appointments(app) == []


def test_someone_elses_bike_cannot_be_chosen(app, anne, workshop, people, monday_morning):
    with app.app_context():
        bike = Bike(territory_id=territory().id, owner_id=people["bruno"], name="Vélo de Bruno")
        db.session.add(bike)
        db.session.commit()
        bike_id = bike.id
    response = anne.post(booking_url(workshop, "2026-06-02T08:00Z"), data={"bike": bike_id, "description": "x"})
    assert response.status_code == 422
    assert "Choisissez un de vos vélos" in response.get_data(as_text=True)
    assert appointments(app) == []


def test_booking_needs_an_account_and_a_valid_service(app, client, anne, workshop, monday_morning):
    assert anne.get(f"{BASE}/reparateurs/{workshop['repairer']}/reserver?service=999&start=x").status_code == 404
    no_start = anne.get(f"{BASE}/reparateurs/{workshop['repairer']}/reserver?service={workshop['service']}")
    assert no_start.status_code == 302
    anonymous = app.test_client()
    response = anonymous.get(booking_url(workshop, "2026-06-02T08:00Z"))
    assert response.status_code == 302 and "connexion" in response.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Appointment)) == 0


def test_opening_the_form_of_a_slot_no_longer_free_sends_back_to_the_slots(app, anne, workshop, monday_morning):
    response = anne.get(booking_url(workshop, "2026-06-01T08:15Z"))  # off the grid
    assert response.status_code == 302
    assert f"/reparateurs/{workshop['repairer']}?prestation={workshop['service']}" in response.headers["Location"]
