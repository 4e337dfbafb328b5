"""The back office's agenda (day and week, places held per grid slot, bounded queries), the staff-entered booking
(a walk-in without an account, a resident found by e-mail, the audited override beyond capacity) and the CSV export.
The clock stands on Monday 1 June 2026, 08:10 in Paris; the workshop opens Monday to Saturday, 9 h – 12 h."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from sqlalchemy import select

from platformcoop.audit import AuditLog
from platformcoop.extensions import db
from plugins.bikerepair.models import ACCEPTED, Appointment, Bike
from tests.conftest import login
from tests.plugins.bikerepair.support import add_service, make_repairer, paris, territory, user
from tests.plugins.timebank.support import count_queries

BASE = "/libercourt/reparation-velo/atelier"
ODILE = "odile@atelier.example.org"
TUESDAY_9, TUESDAY_10 = paris(2026, 6, 2, 9), paris(2026, 6, 2, 10)


@pytest.fixture
def workshop(app, people, monday_morning) -> dict[str, int]:
    """Capacity 2, 60-minute grid and service; Odile owns it."""
    with app.app_context():
        repairer = make_repairer(territory(), owner=user(people["odile"]), capacity=2)
        service = add_service(repairer, "Révision", 60)
        db.session.commit()
        return {"repairer": repairer.id, "service": service.id, **people}


@pytest.fixture
def odile(app, workshop):
    client = app.test_client()
    assert login(client, ODILE).status_code == 302
    return client


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def add_appointments(app, workshop, starts: list, **values) -> list[int]:
    """Appointments written directly (the agenda reads them; how they were booked does not matter here)."""
    with app.app_context():
        t = territory()
        rows = [
            Appointment(
                territory_id=t.id,
                repairer_id=workshop["repairer"],
                service_id=workshop["service"],
                resident_id=values.get("resident_id", workshop["anne"]),
                walk_in_name=values.get("walk_in_name", ""),
                walk_in_phone=values.get("walk_in_phone", ""),
                bike_id=values.get("bike_id"),
                description=values.get("description", ""),
                starts_at=start,
                ends_at=start + timedelta(minutes=60),
                status=ACCEPTED,
            )
            for start in starts
        ]
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in rows]


# -- agenda ----------------------------------------------------------------------------------------------------------


def test_the_day_view_shows_the_places_held_per_slot(app, workshop, odile):
    add_appointments(app, workshop, [TUESDAY_9])
    page = text(odile.get(f"{BASE}/{workshop['repairer']}/agenda?jour=2026-06-02"))
    assert page.count("capacité 2") == 3  # 9 h, 10 h, 11 h
    nine = page[page.index(f'data-slot="{TUESDAY_9.isoformat()}"') :]
    assert "occupé 1 / capacité 2" in nine[: nine.index("</tr>")]
    ten = page[page.index(f'data-slot="{TUESDAY_10.isoformat()}"') :]
    assert "occupé 0 / capacité 2" in ten[: ten.index("</tr>")]
    assert "Anne" in nine[: nine.index("</tr>")]  # the appointment is on the line of its slot
    assert "Anne" not in ten[: ten.index("</tr>")]


def test_a_full_slot_says_so(app, workshop, odile):
    add_appointments(app, workshop, [TUESDAY_9, TUESDAY_9])
    page = text(odile.get(f"{BASE}/{workshop['repairer']}/agenda?jour=2026-06-02"))
    nine = page[page.index(f'data-slot="{TUESDAY_9.isoformat()}"') :]
    assert "complet" in nine[: nine.index("</tr>")]
    assert "occupé 2 / capacité 2" in nine[: nine.index("</tr>")]


def test_the_week_view_shows_every_open_day_from_monday(app, workshop, odile):
    add_appointments(app, workshop, [TUESDAY_9, TUESDAY_9, paris(2026, 6, 6, 11)])
    page = text(odile.get(f"{BASE}/{workshop['repairer']}/agenda?jour=2026-06-04&vue=semaine"))
    assert page.count("capacité 2") == 18  # Monday to Saturday, three slots each
    assert page.count("occupé 2 / capacité 2") == 1 and page.count("occupé 1 / capacité 2") == 1
    assert 'data-day="2026-06-01"' in page and 'data-day="2026-06-07"' in page  # Sunday: closed
    assert "Fermé." in page


def test_the_week_view_runs_the_same_queries_for_3_or_30_appointments(app, workshop, odile):
    with app.app_context():
        from plugins.bikerepair.models import Repairer

        db.session.get(Repairer, workshop["repairer"]).capacity = 10
        bike = Bike(territory_id=territory().id, owner_id=workshop["anne"], name="Le vélo bleu")
        db.session.add(bike)
        db.session.commit()
        bike_id = bike.id
    slots = [paris(2026, 6, day, hour) for day in range(1, 7) for hour in (9, 10, 11)]
    url = f"{BASE}/{workshop['repairer']}/agenda?jour=2026-06-01&vue=semaine"
    add_appointments(app, workshop, slots[:3], bike_id=bike_id)
    odile.get(url)  # warm the caches
    with count_queries(app) as few:
        assert odile.get(url).status_code == 200
    add_appointments(app, workshop, (slots * 2)[3:30], bike_id=bike_id)
    with count_queries(app) as many:
        assert odile.get(url).status_code == 200
    assert len(many) == len(few)


# -- staff-entered booking -------------------------------------------------------------------------------------------


def test_the_staff_book_a_walk_in_without_an_account(app, workshop, odile):
    page = text(odile.get(f"{BASE}/{workshop['repairer']}/nouveau-rendez-vous?jour=2026-06-02"))
    assert TUESDAY_10.isoformat() in page  # the free slots of that day are offered
    response = odile.post(
        f"{BASE}/{workshop['repairer']}/nouveau-rendez-vous",
        data={
            "who": "sans_compte",
            "walk_in_name": "Gérard Martin",
            "walk_in_phone": "06 12 34 56 78",
            "service": workshop["service"],
            "day": "2026-06-02",
            "slot": TUESDAY_10.isoformat(),
            "description": "Crevaison à l'arrière",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        appointment = db.session.scalars(select(Appointment)).one()
        assert appointment.resident_id is None
        assert (appointment.walk_in_name, appointment.walk_in_phone) == ("Gérard Martin", "06 12 34 56 78")
        assert (appointment.starts_at, appointment.status) == (TUESDAY_10, ACCEPTED)
    customers = text(odile.get(f"{BASE}/{workshop['repairer']}/clients"))
    assert "Gérard Martin" in customers and "06 12 34 56 78" in customers


def test_a_walk_in_needs_a_name(app, workshop, odile):
    response = odile.post(
        f"{BASE}/{workshop['repairer']}/nouveau-rendez-vous",
        data={"who": "sans_compte", "service": workshop["service"], "day": "2026-06-02", "time": "10:00"},
    )
    assert response.status_code == 422
    assert "Indiquez le nom de la personne." in text(response)
    with app.app_context():
        assert db.session.scalars(select(Appointment)).all() == []


def test_the_staff_book_for_a_resident_found_by_email_at_a_typed_time(app, workshop, odile):
    response = odile.post(
        f"{BASE}/{workshop['repairer']}/nouveau-rendez-vous",
        data={
            "who": "habitant",
            "resident_email": "Anne@Example.org",
            "service": workshop["service"],
            "day": "2026-06-02",
            "time": "11:00",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        appointment = db.session.scalars(select(Appointment)).one()
        assert (appointment.resident_id, appointment.starts_at) == (workshop["anne"], paris(2026, 6, 2, 11))


def test_an_unknown_email_is_refused(app, workshop, odile):
    response = odile.post(
        f"{BASE}/{workshop['repairer']}/nouveau-rendez-vous",
        data={
            "who": "habitant",
            "resident_email": "nobody@example.org",
            "service": workshop["service"],
            "day": "2026-06-02",
            "time": "11:00",
        },
    )
    assert response.status_code == 422
    assert "Aucun habitant du territoire" in text(response)


def test_a_full_slot_is_refused_unless_the_staff_override_the_capacity_which_is_audited(app, workshop, odile):
    add_appointments(app, workshop, [TUESDAY_10, TUESDAY_10])  # capacity 2: full
    data = {
        "who": "sans_compte",
        "walk_in_name": "Gérard Martin",
        "service": workshop["service"],
        "day": "2026-06-02",
        "time": "10:00",
    }
    url = f"{BASE}/{workshop['repairer']}/nouveau-rendez-vous"
    refused = odile.post(url, data=data)
    assert refused.status_code == 422
    assert "vient d'être pris" in text(refused)
    assert odile.post(url, data={**data, "override": "y"}).status_code == 302
    with app.app_context():
        extra = db.session.scalars(select(Appointment).where(Appointment.walk_in_name == "Gérard Martin")).one()
        assert extra.override and extra.starts_at == TUESDAY_10
        log = db.session.scalars(
            select(AuditLog).where(AuditLog.action == "bikerepair.appointment_override", AuditLog.object_id == extra.id)
        ).one()
        assert log.actor_id == workshop["odile"] and log.details["beyond_capacity"] is True


def test_a_time_off_the_grid_is_refused_even_with_the_override(app, workshop, odile):
    response = odile.post(
        f"{BASE}/{workshop['repairer']}/nouveau-rendez-vous",
        data={
            "who": "sans_compte",
            "walk_in_name": "Gérard",
            "service": workshop["service"],
            "day": "2026-06-02",
            "time": "10:20",
            "override": "y",
        },
    )
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalars(select(Appointment)).all() == []


# -- CSV -------------------------------------------------------------------------------------------------------------


def test_the_csv_lists_each_appointment_with_local_times(app, workshop, odile):
    with app.app_context():
        bike = Bike(territory_id=territory().id, owner_id=workshop["anne"], name="Le vélo bleu", bike_type="vae")
        db.session.add(bike)
        db.session.commit()
        bike_id = bike.id
    add_appointments(app, workshop, [TUESDAY_9], bike_id=bike_id, description="=Frein qui grince")
    add_appointments(
        app, workshop, [paris(2026, 6, 3, 11)], resident_id=None, walk_in_name="Gérard", walk_in_phone="0612"
    )
    add_appointments(app, workshop, [paris(2026, 7, 3, 11)])  # outside the period
    response = odile.get(f"{BASE}/{workshop['repairer']}/rendez-vous.csv?du=2026-06-01&au=2026-06-30")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == ("\ufeffDate;Heure;Fin;Prestation;Statut;Client;Téléphone;Vélo;Type de vélo;Description;Créé le")
    assert lines[1] == (
        "02/06/2026;09:00;10:00;Révision;Confirmé;Anne;;Le vélo bleu;Vélo à assistance électrique;"
        "'=Frein qui grince;01/06/2026 08:10"
    )
    assert lines[2].startswith("03/06/2026;11:00;12:00;Révision;Confirmé;Gérard;0612;;;")
    assert len(lines) == 3


def test_the_csv_refuses_an_inverted_period(app, workshop, odile):
    response = odile.get(f"{BASE}/{workshop['repairer']}/rendez-vous.csv?du=2026-06-30&au=2026-06-01")
    assert response.status_code == 400
