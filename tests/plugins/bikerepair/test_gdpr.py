"""Personal data: what a resident takes away (their bikes, booklets and appointments) and how they leave (bikes and
photos deleted, appointments to come cancelled and their places freed, past ones kept as "Ancien membre").

The clock stands on Monday 1 June 2026, 08:10 in Paris; Odile's workshop takes one person at a time, Monday to
Saturday 9 h – 12 h, and residents may cancel online until 24 hours before."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from platformcoop.accounts import gdpr as core_gdpr
from platformcoop.extensions import db
from platformcoop.media import store_image
from platformcoop.media.models import Upload
from platformcoop.notifications.models import Notification
from platformcoop.plugins.manager import get_registry
from plugins.bikerepair import gdpr, lifecycle
from plugins.bikerepair.booking import book_appointment
from plugins.bikerepair.models import Appointment, Bike, BookletEntry
from plugins.bikerepair.stats import territory_stats
from tests.plugins.bikerepair.support import add_service, make_repairer, paris, territory, user

MONDAY_11, TUESDAY_10 = paris(2026, 6, 1, 11), paris(2026, 6, 2, 10)
WEDNESDAY_10, THURSDAY_10, FRIDAY_10 = paris(2026, 6, 3, 10), paris(2026, 6, 4, 10), paris(2026, 6, 5, 10)
LAST_TUESDAY_10 = paris(2026, 5, 26, 10)


def _photo(t, owner, *, private: bool) -> Upload:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (20, 120, 40)).save(out, "PNG")
    return store_image(out.getvalue(), t, owner, private=private, purpose="bikerepair.test")


@pytest.fixture
def anne_at_the_workshop(ctx, people, monday_morning):
    """Anne has two bikes (one with a photo and a booklet), a repair done last week, and three appointments to come:
    one this morning (past the cancellation deadline), one accepted, one with another time proposed. Bruno has one."""
    t, anne, odile = territory(), user(people["anne"]), user(people["odile"])
    repairer = make_repairer(t, owner=odile)
    service = add_service(repairer, "Révision", 60)
    city = Bike(territory_id=t.id, owner_id=anne.id, name="Vélo de ville", bike_type="classique", brand="Gitane")
    city.photo = _photo(t, anne, private=False)
    vae = Bike(territory_id=t.id, owner_id=anne.id, name="Mon VAE", bike_type="vae")
    db.session.add_all([city, vae])
    db.session.flush()
    past = Appointment(
        territory_id=t.id,
        repairer_id=repairer.id,
        service_id=service.id,
        resident_id=anne.id,
        bike_id=city.id,
        description="La chaîne saute.",
        photo_id=_photo(t, anne, private=True).id,
        starts_at=LAST_TUESDAY_10,
        ends_at=LAST_TUESDAY_10 + timedelta(hours=1),
        status="done",
        created_at=LAST_TUESDAY_10 - timedelta(days=3),
        decided_at=LAST_TUESDAY_10 - timedelta(days=3),
    )
    db.session.add(past)
    db.session.flush()
    db.session.add_all(
        [
            BookletEntry(
                territory_id=t.id, bike_id=city.id, done_on=date(2026, 5, 26), work="Chaîne changée", parts="Chaîne",
                price_cents=2500, by_repairer_id=repairer.id, appointment_id=past.id, created_by_id=odile.id,
                photo_id=_photo(t, odile, private=False).id,
            ),
            BookletEntry(territory_id=t.id, bike_id=city.id, done_on=date(2026, 4, 2), work="Pneus regonflés"),
        ]
    )  # fmt: skip

    def book(starts_at, person, **values):
        return book_appointment(t, repairer, service, starts_at, resident=person, actor=person, **values)

    book(MONDAY_11, anne, bike=city, description="Frein arrière mou.")
    lifecycle.accept(t, book(WEDNESDAY_10, anne, bike=vae), actor=odile)
    lifecycle.propose(t, book(THURSDAY_10, anne), FRIDAY_10, actor=odile, message="Plutôt vendredi ?")
    book(TUESDAY_10, user(people["bruno"]), description="Crevaison.")
    db.session.commit()
    return t, repairer, service


def _appointments(person_id=None):
    query = select(Appointment).order_by(Appointment.starts_at)
    if person_id is not None:
        query = query.where(Appointment.resident_id == person_id)
    return db.session.scalars(query).all()


# -- export -----------------------------------------------------------------------------------------------------------


def test_the_export_holds_the_bikes_with_their_booklets_and_the_appointments(anne_at_the_workshop, people):
    data = gdpr.export_user_data(territory(), user(people["anne"]))

    assert [(b["name"], b["type"], b["has_photo"]) for b in data["bikes"]] == [
        ("Vélo de ville", "classique", True),
        ("Mon VAE", "vae", False),
    ]
    booklet = data["bikes"][0]["booklet"]
    assert [(e["work"], e["repairer"], e["price_cents"]) for e in booklet] == [
        ("Chaîne changée", "Atelier Vélo Solidaire", 2500),
        ("Pneus regonflés", None, None),
    ]
    first, today = data["appointments"][:2]
    assert (first["repairer"], first["service"], first["status"], first["bike"]) == (
        "Atelier Vélo Solidaire",
        "Révision",
        "done",
        "Vélo de ville",
    )
    assert first["description"] == "La chaîne saute." and first["has_photo"] is True
    assert today["starts_at_local"] == "2026-06-01T11:00:00+02:00" and today["starts_at_utc"] == MONDAY_11
    assert [a["status"] for a in data["appointments"]] == ["done", "pending", "accepted", "proposed"]
    assert data["appointments"][3]["proposed_starts_at_local"] == "2026-06-05T10:00:00+02:00"
    assert data["appointments"][3]["repairer_message"] == "Plutôt vendredi ?"
    assert "Crevaison" not in core_gdpr.to_json(data)  # Bruno's appointment is his


def test_a_repairers_staff_member_takes_away_nothing_of_the_customers(anne_at_the_workshop, people):
    t, odile = territory(), user(people["odile"])
    assert gdpr.export_user_data(t, odile) is None  # she booked nothing and owns no bike
    db.session.add(Bike(territory_id=t.id, owner_id=odile.id, name="Le vélo d'Odile", bike_type="route_vtt"))
    db.session.commit()
    data = gdpr.export_user_data(t, odile)
    assert [b["name"] for b in data["bikes"]] == ["Le vélo d'Odile"] and data["appointments"] == []


def test_the_platform_export_carries_the_bike_repair_file(anne_at_the_workshop, people):
    archive = zipfile.ZipFile(io.BytesIO(core_gdpr.export_user_data(get_registry(), user(people["anne"]))))
    data = json.loads(archive.read("territoires/libercourt/bikerepair.json"))
    assert [b["name"] for b in data["bikes"]] == ["Vélo de ville", "Mon VAE"]
    assert data["appointments"][1]["starts_at_utc"] == "2026-06-01T09:00:00+00:00"
    claire = zipfile.ZipFile(io.BytesIO(core_gdpr.export_user_data(get_registry(), user(people["claire"]))))
    assert "territoires/libercourt/bikerepair.json" not in claire.namelist()  # Claire has nothing here


# -- erasure ----------------------------------------------------------------------------------------------------------


def test_erasure_deletes_the_bikes_their_booklets_and_photos(anne_at_the_workshop, people):
    anne_id = people["anne"]
    core_gdpr.erase_user(get_registry(), user(anne_id))
    db.session.commit()

    assert db.session.scalar(select(func.count()).select_from(Bike)) == 0
    assert db.session.scalar(select(func.count()).select_from(BookletEntry)) == 0
    assert db.session.scalar(select(func.count()).select_from(Upload)) == 0  # bike, booklet and problem photos
    assert gdpr.export_user_data(territory(), user(anne_id)) is None


def test_erasure_cancels_the_appointments_to_come_even_past_the_deadline_and_tells_the_staff(
    anne_at_the_workshop, people
):
    t, repairer, service = anne_at_the_workshop
    mine = {a.id for a in _appointments(people["anne"]) if a.resident.display_name == "Anne"}  # loaded, as a page would
    core_gdpr.erase_user(get_registry(), user(people["anne"]))
    db.session.commit()

    statuses = {a.starts_at: a.status for a in _appointments() if a.id in mine}
    assert statuses == {
        LAST_TUESDAY_10: "done",
        MONDAY_11: "cancelled",  # less than 24 hours before: cancelled all the same
        WEDNESDAY_10: "cancelled",
        THURSDAY_10: "cancelled",
    }
    titles = db.session.scalars(
        select(Notification.title).where(Notification.user_id == people["odile"], Notification.title.like("%annule%"))
    ).all()
    assert len(titles) == 3 and all(title.startswith("Ancien membre annule") for title in titles)
    # the places are free again: Bruno takes this morning's
    bruno = user(people["bruno"])
    assert book_appointment(t, repairer, service, MONDAY_11, resident=bruno, actor=bruno).status == "pending"
    db.session.commit()


def test_erasure_keeps_the_appointments_anonymised_for_the_agenda_and_the_statistics(anne_at_the_workshop, people):
    t = territory()
    before = {s.key: s.value for s in territory_stats(t, paris(2026, 5, 1), paris(2026, 7, 1))}
    core_gdpr.erase_user(get_registry(), user(people["anne"]))
    db.session.commit()

    kept = [a for a in _appointments() if a.walk_in_name == "Ancien membre"]
    assert len(kept) == 4
    assert all(
        (a.resident_id, a.description, a.photo_id, a.bike_id, a.walk_in_phone) == (None, "", None, None, "")
        for a in kept
    )
    [bruno] = _appointments(people["bruno"])
    assert (bruno.description, bruno.status) == ("Crevaison.", "pending")
    after = {s.key: s.value for s in territory_stats(t, paris(2026, 5, 1), paris(2026, 7, 1))}
    assert after["bikerepair_done"] == before["bikerepair_done"] == 1
    assert after["bikerepair_requested"] == before["bikerepair_requested"] == 5
    assert after["bikerepair_repaired_non_precise"] == 1  # the bike is gone, the repair still counts
