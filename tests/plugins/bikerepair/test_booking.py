"""Booking through the database: the offered slots, the atomic booking, the staff's override, cancelling.

Scenarios 2 (the last place, raced by two residents), 3 (duration, grid, overlap) and 5 (notice, grid, horizon) of
the spec, through ``book_appointment`` and ``repairer_slots``. The clock stands on Monday 1 June 2026, 08:10 in Paris.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from platformcoop.audit import AuditLog
from platformcoop.extensions import db
from platformcoop.organisations.models import SUSPENDED
from platformcoop.tenancy.models import Territory
from plugins.bikerepair.booking import (
    BookingError,
    SlotTaken,
    book_appointment,
    cancel_appointment,
    repairer_slots,
)
from plugins.bikerepair.models import (
    ACCEPTED,
    CANCELLED,
    HOLDING_STATUSES,
    PENDING,
    Appointment,
    Repairer,
    RepairService,
)
from tests.conftest import is_postgres
from tests.plugins.bikerepair.support import (
    MONDAY,
    TUESDAY,
    add_service,
    h,
    local_times,
    make_repairer,
    paris,
    territory,
    user,
)

TUESDAY_10 = paris(2026, 6, 2, 10)


def book(t, repairer, service, starts_at, person, **kwargs) -> Appointment:
    """A resident books for themselves."""
    return book_appointment(t, repairer, service, starts_at, resident=person, actor=person, **kwargs)


def holding(repairer, starts_at) -> int:
    """How many appointments hold a place at ``starts_at``."""
    return db.session.scalar(
        select(func.count()).where(
            Appointment.repairer_id == repairer.id,
            Appointment.starts_at == starts_at,
            Appointment.status.in_(HOLDING_STATUSES),
        )
    )


@pytest.fixture
def workshop(ctx, people, monday_morning):
    """Capacity 2, 60-minute grid, a 60-minute service, Monday to Saturday 9 h – 12 h; Odile owns it."""
    t = territory()
    repairer = make_repairer(t, owner=user(people["odile"]), capacity=2)
    service = add_service(repairer, "Révision", 60)
    db.session.commit()
    return t, repairer, service


# -- scenario 2: the last place ---------------------------------------------------------------------------------


def test_two_residents_one_after_the_other_for_the_last_place_then_a_cancellation_frees_it(workshop, people):
    t, repairer, service = workshop
    book(t, repairer, service, TUESDAY_10, user(people["claire"]))  # one pending booking already
    anne_s = book(t, repairer, service, TUESDAY_10, user(people["anne"]))
    db.session.commit()

    with pytest.raises(SlotTaken, match=r"Ce créneau vient d'être pris\. Choisissez-en un autre\."):
        book(t, repairer, service, TUESDAY_10, user(people["bruno"]))
    db.session.rollback()
    assert holding(repairer, TUESDAY_10) == 2
    assert TUESDAY_10 not in repairer_slots(t, repairer, service)

    cancel_appointment(t, anne_s, actor=user(people["anne"]))
    db.session.commit()
    assert TUESDAY_10 in repairer_slots(t, repairer, service)
    book(t, repairer, service, TUESDAY_10, user(people["bruno"]))
    db.session.commit()
    assert holding(repairer, TUESDAY_10) == 2


@pytest.mark.postgres
@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL: SQLite serialises writers, no row locks to test")
def test_two_residents_race_for_the_last_place_fifty_times_and_never_double_book(app, workshop, people):
    t, repairer, service = workshop
    tid, repairer_id, service_id = t.id, repairer.id, service.id
    slots = repairer_slots(t, repairer, service)[:50]
    assert len(slots) == 50
    db.session.remove()

    def attempt(person_id, starts_at, barrier, outcomes):
        with app.app_context():
            t = db.session.get(Territory, tid)
            repairer, service = db.session.get(Repairer, repairer_id), db.session.get(RepairService, service_id)
            person = user(person_id)
            barrier.wait()
            try:
                book(t, repairer, service, starts_at, person)
                db.session.commit()
                outcomes[person_id] = "ok"
            except SlotTaken:
                db.session.rollback()
                outcomes[person_id] = "taken"
            finally:
                db.session.remove()

    for starts_at in slots:
        with app.app_context():
            book(
                db.session.get(Territory, tid),
                db.session.get(Repairer, repairer_id),
                db.session.get(RepairService, service_id),
                starts_at,
                user(people["claire"]),
            )
            db.session.commit()
        barrier, outcomes = threading.Barrier(2), {}
        threads = [
            threading.Thread(target=attempt, args=(people[name], starts_at, barrier, outcomes))
            for name in ("anne", "bruno")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert sorted(outcomes.values()) == ["ok", "taken"], local_times([starts_at])
        with app.app_context():
            repairer = db.session.get(Repairer, repairer_id)
            assert holding(repairer, starts_at) == 2, local_times([starts_at])
            # the repairer cancels the winner's appointment: the loser gets the place
            winner = next(p for p, outcome in outcomes.items() if outcome == "ok")
            loser = next(p for p, outcome in outcomes.items() if outcome == "taken")
            appointment = db.session.scalars(
                select(Appointment).where(Appointment.resident_id == winner, Appointment.starts_at == starts_at)
            ).one()
            t = db.session.get(Territory, tid)
            cancel_appointment(t, appointment, actor=user(people["odile"]))
            book(t, repairer, db.session.get(RepairService, service_id), starts_at, user(loser))
            db.session.commit()
            assert holding(repairer, starts_at) == 2
            db.session.remove()


# -- scenario 3: duration, grid and overlap -------------------------------------------------------------------------


@pytest.fixture
def short_morning(ctx, people, monday_morning):
    """Open Tuesdays 9 h – 10 h 30 only, capacity 1, a 60-minute service."""
    t = territory()
    repairer = make_repairer(t, owner=user(people["odile"]), opening={TUESDAY: [(h(9), h(10, 30))]})
    service = add_service(repairer, "Réglage des freins", 60)
    db.session.commit()
    return t, repairer, service


def tuesday(t, repairer, service) -> list[str]:
    return local_times(repairer_slots(t, repairer, service, start=paris(2026, 6, 2), end=paris(2026, 6, 3)))


def test_a_one_hour_service_in_a_9_to_10_30_opening_is_offered_only_at_9_on_an_hourly_grid(short_morning):
    assert tuesday(*short_morning) == ["02/06 09:00"]


def test_with_a_30_minute_grid_a_one_hour_service_is_offered_at_9_and_9_30(short_morning):
    t, repairer, service = short_morning
    repairer.grid_minutes = 30

    assert tuesday(t, repairer, service) == ["02/06 09:00", "02/06 09:30"]


def test_an_appointment_from_9_to_10_blocks_9_and_9_30_not_only_the_same_start(short_morning, people):
    t, repairer, service = short_morning
    repairer.grid_minutes = 30
    book(t, repairer, service, paris(2026, 6, 2, 9), user(people["anne"]))

    assert tuesday(t, repairer, service) == []
    with pytest.raises(SlotTaken):
        book(t, repairer, service, paris(2026, 6, 2, 9, 30), user(people["bruno"]))


def test_the_buffer_after_an_appointment_holds_the_place_it_was_booked_with(short_morning, people):
    t, repairer, service = short_morning
    repairer.grid_minutes, repairer.buffer_minutes = 30, 30
    service.duration_minutes = 30
    book(t, repairer, service, paris(2026, 6, 2, 9), user(people["anne"]))  # holds 9 h – 10 h
    repairer.buffer_minutes = 0  # a rule changed later does not shrink what was booked

    assert tuesday(t, repairer, service) == ["02/06 10:00"]


# -- scenario 5: notice, grid and horizon ---------------------------------------------------------------------------


@pytest.fixture
def notice_120(ctx, people, monday_morning):
    """Open Mondays from 8 h, 30-minute grid, 120 minutes' notice, a 30-minute service; it is 8 h 10."""
    t = territory()
    repairer = make_repairer(
        t,
        owner=user(people["odile"]),
        opening={MONDAY: [(h(8), h(12))]},
        grid_minutes=30,
        notice_minutes=120,
        horizon_days=14,
    )
    service = add_service(repairer, "Crevaison", 30)
    db.session.commit()
    return t, repairer, service


def test_with_120_minutes_notice_at_8_10_the_first_slot_is_10_30(notice_120):
    t, repairer, service = notice_120

    assert local_times(repairer_slots(t, repairer, service))[:2] == ["01/06 10:30", "01/06 11:00"]


def test_a_start_inside_the_notice_is_refused(notice_120, people):
    with pytest.raises(BookingError, match="au moins 120 minutes à l'avance"):
        book(*notice_120, paris(2026, 6, 1, 10), user(people["anne"]))


def test_a_start_off_the_grid_is_refused(notice_120, people):
    with pytest.raises(BookingError, match="toutes les 30 minutes") as refused:
        book(*notice_120, paris(2026, 6, 1, 10, 45), user(people["anne"]))
    assert not isinstance(refused.value, SlotTaken)


def test_a_start_beyond_the_horizon_is_refused(notice_120, people):
    with pytest.raises(BookingError, match="plus de 14 jours à l'avance"):
        book(*notice_120, paris(2026, 6, 15, 10), user(people["anne"]))


def test_a_start_outside_the_opening_hours_is_refused(notice_120, people):
    with pytest.raises(BookingError, match="pas ouvert à cette heure-là"):
        book(*notice_120, paris(2026, 6, 1, 12), user(people["anne"]))


def test_a_booking_is_stored_in_utc_and_pending_unless_the_repairer_accepts_automatically(notice_120, people):
    t, repairer, service = notice_120
    pending = book(t, repairer, service, paris(2026, 6, 1, 10, 30), user(people["anne"]))
    repairer.auto_accept = True
    accepted = book(t, repairer, service, paris(2026, 6, 1, 11), user(people["bruno"]))
    db.session.commit()

    assert (pending.status, pending.decided_at) == (PENDING, None)
    assert (pending.starts_at.hour, pending.ends_at - pending.starts_at) == (8, timedelta(minutes=30))  # UTC+2
    assert accepted.status == ACCEPTED and accepted.decided_at is not None


# -- staff bookings and the override --------------------------------------------------------------------------------


def test_the_staff_books_a_walk_in_beyond_the_capacity_with_the_override_and_it_is_audited(workshop, people):
    t, repairer, service = workshop
    odile = user(people["odile"])
    book(t, repairer, service, TUESDAY_10, user(people["anne"]))
    book(t, repairer, service, TUESDAY_10, user(people["bruno"]))

    with pytest.raises(SlotTaken):
        book_appointment(t, repairer, service, TUESDAY_10, walk_in_name="M. Leroy", actor=odile)
    walk_in = book_appointment(
        t,
        repairer,
        service,
        TUESDAY_10,
        walk_in_name="M. Leroy",
        walk_in_phone="06 00 00 00 00",
        actor=odile,
        override=True,
    )
    db.session.commit()

    assert holding(repairer, TUESDAY_10) == 3
    assert walk_in.override and walk_in.resident_id is None and walk_in.created_by_id == odile.id
    entry = db.session.scalars(select(AuditLog).filter_by(action="bikerepair.appointment_override")).one()
    assert (entry.actor_id, entry.object_id, entry.details["beyond_capacity"]) == (odile.id, walk_in.id, True)


def test_the_override_lifts_the_capacity_only(notice_120, people):
    t, repairer, service = notice_120
    odile = user(people["odile"])

    with pytest.raises(BookingError, match="au moins 120 minutes"):
        book_appointment(
            t, repairer, service, paris(2026, 6, 1, 9), walk_in_name="M. Leroy", actor=odile, override=True
        )
    with pytest.raises(BookingError, match="toutes les 30 minutes"):
        book_appointment(
            t, repairer, service, paris(2026, 6, 1, 10, 45), walk_in_name="M. Leroy", actor=odile, override=True
        )


def test_residents_may_not_override_nor_book_for_someone_else(workshop, people):
    t, repairer, service = workshop
    anne = user(people["anne"])

    with pytest.raises(BookingError, match="Seule l'équipe"):
        book(t, repairer, service, TUESDAY_10, anne, override=True)
    with pytest.raises(BookingError, match="Seule l'équipe"):
        book_appointment(t, repairer, service, TUESDAY_10, walk_in_name="Mon voisin", actor=anne)
    with pytest.raises(BookingError, match="pour vous-même"):
        book_appointment(t, repairer, service, TUESDAY_10, resident=user(people["bruno"]), actor=anne)


# -- who takes bookings ---------------------------------------------------------------------------------------------


def test_a_disabled_repairer_offers_no_slot_and_is_not_bookable(workshop, people):
    t, repairer, service = workshop
    assert TUESDAY_10 in repairer_slots(t, repairer, service)
    repairer.enabled = False
    db.session.commit()

    assert repairer_slots(t, repairer, service) == []
    with pytest.raises(BookingError, match="ne prend pas de rendez-vous"):
        book(t, repairer, service, TUESDAY_10, user(people["anne"]))


def test_an_inactive_service_or_a_suspended_organisation_is_not_bookable(workshop, people):
    t, repairer, service = workshop
    service.active = False
    with pytest.raises(BookingError, match="ne prend pas de rendez-vous"):
        book(t, repairer, service, TUESDAY_10, user(people["anne"]))

    service.active = True
    repairer.organisation.status = SUSPENDED
    assert repairer_slots(t, repairer, service) == []
    with pytest.raises(BookingError, match="ne prend pas de rendez-vous"):
        book(t, repairer, service, TUESDAY_10, user(people["anne"]))


# -- cancelling -----------------------------------------------------------------------------------------------------


def test_a_resident_cancels_before_the_deadline_but_not_after_it_and_the_staff_may_at_any_time(workshop, people):
    t, repairer, service = workshop
    anne, odile = user(people["anne"]), user(people["odile"])
    tomorrow = book(t, repairer, service, TUESDAY_10, anne)  # in 25 h 50: the deadline is 24 h
    today = book(t, repairer, service, paris(2026, 6, 1, 11), anne)

    with pytest.raises(BookingError, match="moins de 24 heures avant"):
        cancel_appointment(t, today, actor=anne)
    with pytest.raises(BookingError, match="Vous ne pouvez pas annuler"):
        cancel_appointment(t, tomorrow, actor=user(people["bruno"]))
    cancel_appointment(t, tomorrow, actor=anne)
    cancel_appointment(t, today, actor=odile, reason="Atelier fermé pour inventaire")
    db.session.commit()

    assert (tomorrow.status, tomorrow.cancelled_by_id) == (CANCELLED, anne.id)
    assert (today.status, today.cancelled_by_id, today.status_message) == (
        CANCELLED,
        odile.id,
        "Atelier fermé pour inventaire",
    )
    with pytest.raises(BookingError, match="ne peut plus être annulé"):
        cancel_appointment(t, today, actor=odile)


def test_the_module_is_listed_on_the_territory_home_only_where_it_is_switched_on(app, client, libercourt):
    """On by default: the home page links to it; switched off: no link, and its pages answer 404."""
    from platformcoop.plugins.manager import get_registry
    from platformcoop.tenancy.services import disable_module

    page = client.get("/libercourt/").get_data(as_text=True)
    assert "Réparation de vélos" in page
    assert 'href="/libercourt/reparation-velo/"' in page
    with app.app_context():
        disable_module(get_registry(), db.session.get(Territory, libercourt), "bikerepair")
        db.session.commit()
    page = client.get("/libercourt/").get_data(as_text=True)
    assert "Banque de temps" in page
    assert "Réparation de vélos" not in page
    assert client.get("/libercourt/reparation-velo/").status_code == 404
