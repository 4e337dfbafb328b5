"""My bikes: add, edit, delete (after a confirmation) a bike; its maintenance booklet (the owner's entries and the
repairer's, "par <repairer>"); another resident's bike is not found.

Setup and checks open the app context; requests do not.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import select

from platformcoop.extensions import db
from platformcoop.media.models import Upload
from plugins.bikerepair import bikes
from plugins.bikerepair.models import Appointment, Bike, BookletEntry
from tests.conftest import login
from tests.plugins.bikerepair.support import add_service, make_repairer, paris, territory, user

BASE = "/libercourt/reparation-velo"


def login_as(app, email: str):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


@pytest.fixture
def anne(app, people):
    return login_as(app, "anne@example.org")


def png() -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (60, 40), (30, 30, 200)).save(data, "PNG")
    data.seek(0)
    return data


def all_bikes(app) -> list[Bike]:
    with app.app_context():
        rows = db.session.scalars(select(Bike).order_by(Bike.id)).all()
        db.session.expunge_all()
        return rows


@pytest.fixture
def red_bike(app, people) -> int:
    with app.app_context():
        bike = bikes.create_bike(
            territory(), user(people["anne"]), {"name": "Vélo rouge", "bike_type": "vae", "brand": "Gitane"}
        )
        db.session.commit()
        return bike.id


def test_a_resident_adds_a_bike_with_a_photo(app, anne):
    assert anne.get(f"{BASE}/mes-velos/nouveau").status_code == 200
    response = anne.post(
        f"{BASE}/mes-velos/nouveau",
        data={
            "name": "Vélo bleu",
            "bike_type": "cargo",
            "brand": "Douze",
            "notes": "Cadre M",
            "photo": (png(), "v.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    [bike] = all_bikes(app)
    assert (bike.name, bike.bike_type, bike.brand, bike.notes) == ("Vélo bleu", "cargo", "Douze", "Cadre M")
    with app.app_context():
        assert db.session.get(Upload, bike.photo_id).private
    page = anne.get(f"{BASE}/mes-velos").get_data(as_text=True)
    assert "Vélo bleu" in page and "Vélo cargo" in page


def test_a_bike_needs_a_name_and_a_known_type(app, anne):
    response = anne.post(f"{BASE}/mes-velos/nouveau", data={"name": " ", "bike_type": "cargo"})
    assert response.status_code == 422 and "Donnez un nom à votre vélo" in response.get_data(as_text=True)
    response = anne.post(f"{BASE}/mes-velos/nouveau", data={"name": "X", "bike_type": "tandem"})
    assert response.status_code == 422
    assert all_bikes(app) == []


def test_a_resident_edits_then_deletes_a_bike_after_confirming(app, anne, red_bike):
    response = anne.post(f"{BASE}/mes-velos/{red_bike}/modifier", data={"name": "Vélo rouge", "bike_type": "route_vtt"})
    assert response.status_code == 302
    assert all_bikes(app)[0].bike_type == "route_vtt"

    confirmation = anne.get(f"{BASE}/mes-velos/{red_bike}/supprimer")
    assert confirmation.status_code == 200 and "Oui, supprimer ce vélo" in confirmation.get_data(as_text=True)
    assert len(all_bikes(app)) == 1  # asking is not deleting
    assert anne.post(f"{BASE}/mes-velos/{red_bike}/supprimer").status_code == 302
    assert all_bikes(app) == []


def test_deleting_a_bike_keeps_its_appointments(app, anne, red_bike, people):
    with app.app_context():
        t = territory()
        repairer = make_repairer(t)
        service = add_service(repairer)
        row = Appointment(
            territory_id=t.id,
            repairer_id=repairer.id,
            service_id=service.id,
            resident_id=people["anne"],
            bike_id=red_bike,
            starts_at=paris(2026, 6, 2, 9),
            ends_at=paris(2026, 6, 2, 10),
        )
        db.session.add(row)
        db.session.commit()
        appointment_id = row.id
    assert anne.post(f"{BASE}/mes-velos/{red_bike}/supprimer").status_code == 302
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).bike_id is None


def test_the_owner_adds_a_booklet_entry_and_sees_the_repairers_ones(app, anne, red_bike, people):
    with app.app_context():
        repairer = make_repairer(territory(), "Atelier du Centre")
        db.session.add(
            BookletEntry(
                territory_id=repairer.territory_id,
                bike_id=red_bike,
                done_on=date(2026, 5, 2),
                work="Changement de chaîne",
                by_repairer_id=repairer.id,
            )
        )
        db.session.commit()
    response = anne.post(
        f"{BASE}/mes-velos/{red_bike}",
        data={"done_on": "2026-05-20", "work": "Pneus gonflés", "parts": "Valve", "price": "12,50"},
    )
    assert response.status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(BookletEntry).where(BookletEntry.work == "Pneus gonflés"))
        assert (entry.done_on, entry.parts, entry.price_cents, entry.created_by_id) == (
            date(2026, 5, 20),
            "Valve",
            1250,
            people["anne"],
        )
    page = anne.get(f"{BASE}/mes-velos/{red_bike}").get_data(as_text=True)
    assert "Pneus gonflés" in page and "12,50" in page
    assert "Changement de chaîne" in page and "par Atelier du Centre" in page
    assert page.index("Pneus gonflés") < page.index("Changement de chaîne")  # the latest first


def test_a_booklet_entry_needs_what_was_done_and_a_sensible_price(app, anne, red_bike):
    response = anne.post(f"{BASE}/mes-velos/{red_bike}", data={"done_on": "2026-05-20", "work": "", "price": "abc"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Indiquez ce qui a été fait" in text and "Indiquez un montant en euros" in text
    negative = anne.post(f"{BASE}/mes-velos/{red_bike}", data={"done_on": "2026-05-20", "work": "Pneu", "price": "-3"})
    assert negative.status_code == 422
    assert "Un montant entre 0 et 10000 euros" in negative.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(BookletEntry.id)) is None


def test_another_residents_bike_is_not_found(app, red_bike, people):
    bruno = login_as(app, "bruno@example.org")
    assert bruno.get(f"{BASE}/mes-velos/{red_bike}").status_code == 404
    assert bruno.get(f"{BASE}/mes-velos/{red_bike}/modifier").status_code == 404
    assert bruno.post(f"{BASE}/mes-velos/{red_bike}/supprimer").status_code == 404
    assert bruno.post(f"{BASE}/mes-velos/{red_bike}", data={"done_on": "2026-05-20", "work": "x"}).status_code == 404
    assert "Vélo rouge" not in bruno.get(f"{BASE}/mes-velos").get_data(as_text=True)
    assert len(all_bikes(app)) == 1


def test_the_services_refuse_a_non_owner(app, red_bike, people):
    with app.app_context():
        bike = db.session.get(Bike, red_bike)
        bruno = user(people["bruno"])
        with pytest.raises(bikes.BikeError):
            bikes.add_booklet_entry(territory(), bike, bruno, done_on=date(2026, 5, 1), work="x")
        with pytest.raises(bikes.BikeError):
            bikes.update_bike(territory(), bike, bruno, {"name": "Mien"})
        with pytest.raises(bikes.BikeError):
            bikes.delete_bike(territory(), bike, bruno)
        db.session.rollback()
        assert db.session.get(Bike, red_bike).name == "Vélo rouge"
