"""An appointment's life after its booking: accept, refuse, propose another time (through the booking's check), the
resident's answer, done (a booklet line), no-show, and scenario 7 (an unanswered request expires, the resident is told
once). The clock stands on Monday 1 June 2026, 08:10 in Paris."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from platformcoop import clock
from platformcoop.extensions import db
from platformcoop.notifications.models import Notification
from plugins.bikerepair import lifecycle, pc_scheduled_jobs
from plugins.bikerepair.booking import BookingError, SlotTaken, book_appointment
from plugins.bikerepair.lifecycle import (
    Changed,
    NotAllowed,
    accept,
    answer_proposal,
    expire_pending,
    mark_done,
    mark_no_show,
    propose,
    refuse,
)
from plugins.bikerepair.models import (
    ACCEPTED,
    CANCELLED,
    DONE,
    EXPIRED,
    NO_SHOW,
    PENDING,
    PROPOSED,
    REFUSED,
    Appointment,
    Bike,
    BookletEntry,
)
from tests.plugins.bikerepair.conftest import MONDAY_0810
from tests.plugins.bikerepair.support import add_service, make_repairer, paris, territory, user

TUESDAY_9, TUESDAY_10, TUESDAY_11 = paris(2026, 6, 2, 9), paris(2026, 6, 2, 10), paris(2026, 6, 2, 11)


@pytest.fixture
def workshop(ctx, people, monday_morning):
    """Capacity 1, 60-minute grid, a 60-minute service, Monday to Saturday 9 h – 12 h; Odile owns it."""
    t = territory()
    repairer = make_repairer(t, owner=user(people["odile"]))
    service = add_service(repairer, "Révision", 60)
    db.session.commit()
    return t, repairer, service


def book(t, repairer, service, starts_at, person_id, **kwargs) -> Appointment:
    person = user(person_id)
    appointment = book_appointment(t, repairer, service, starts_at, resident=person, actor=person, **kwargs)
    db.session.commit()
    return appointment


BOOKING_NOTICES = (
    "Demande de rendez-vous envoyée",
    "Rendez-vous confirmé chez",
    "Nouvelle demande",
    "Nouveau rendez-vous",
)


def told(person_id, kind="bikerepair.appointment") -> list[str]:
    """What ``person_id`` was told after the bookings (their receipts and the staff's "new request" are left out:
    test_notices.py covers them)."""
    titles = db.session.scalars(
        select(Notification.title)
        .where(Notification.user_id == person_id, Notification.kind == kind)
        .order_by(Notification.id)
    )
    return [title for title in titles if not title.startswith(BOOKING_NOTICES)]


def status_of(appointment) -> str:
    return db.session.scalar(select(Appointment.status).where(Appointment.id == appointment.id))


# -- accept, refuse ----------------------------------------------------------------------------------------------


def test_the_staff_accept_a_pending_request_and_the_resident_is_told(workshop, people):
    t, repairer, service = workshop
    appointment = book(t, repairer, service, TUESDAY_10, people["anne"])
    assert appointment.status == PENDING

    with pytest.raises(NotAllowed, match="Seule l'équipe du réparateur"):
        accept(t, appointment, actor=user(people["anne"]))
    db.session.rollback()

    accept(t, appointment, actor=user(people["odile"]))
    db.session.commit()
    assert appointment.status == ACCEPTED
    assert appointment.decided_at == MONDAY_0810
    assert told(people["anne"]) == ["Atelier Vélo Solidaire confirme votre rendez-vous du 02/06/2026 10:00."]

    with pytest.raises(Changed, match="ce rendez-vous est maintenant « Confirmé »"):
        accept(t, appointment, actor=user(people["odile"]))
    db.session.rollback()
    assert len(told(people["anne"])) == 1


def test_the_staff_refuse_with_a_message_only_a_pending_request(workshop, people):
    t, repairer, service = workshop
    appointment = book(t, repairer, service, TUESDAY_10, people["anne"])

    with pytest.raises(BookingError, match="Indiquez pourquoi"):
        refuse(t, appointment, actor=user(people["odile"]), message="  ")
    with pytest.raises(NotAllowed):
        refuse(t, appointment, actor=user(people["claire"]), message="Non.")
    db.session.rollback()

    refuse(t, appointment, actor=user(people["odile"]), message="Atelier fermé pour inventaire.")
    db.session.commit()
    assert (appointment.status, appointment.status_message) == (REFUSED, "Atelier fermé pour inventaire.")
    assert told(people["anne"]) == ["Atelier Vélo Solidaire ne peut pas vous recevoir le 02/06/2026 10:00."]

    with pytest.raises(Changed, match="« Refusé »"):
        accept(t, appointment, actor=user(people["odile"]))
    db.session.rollback()
    # a refused request frees its place
    book(t, repairer, service, TUESDAY_10, people["bruno"])


# -- another time -------------------------------------------------------------------------------------------------


def test_a_proposal_goes_through_the_booking_check(workshop, people):
    t, repairer, service = workshop
    appointment = book(t, repairer, service, TUESDAY_10, people["anne"])
    book(t, repairer, service, TUESDAY_11, people["bruno"])  # capacity 1: 11:00 is full
    odile = user(people["odile"])

    with pytest.raises(SlotTaken):
        propose(t, appointment, TUESDAY_11, actor=odile)
    db.session.rollback()
    with pytest.raises(BookingError, match="toutes les 60 minutes") as refused:
        propose(t, appointment, paris(2026, 6, 2, 9, 30), actor=odile)
    assert not isinstance(refused.value, SlotTaken)
    db.session.rollback()
    with pytest.raises(BookingError, match="pas ouvert"):
        propose(t, appointment, paris(2026, 6, 2, 14), actor=odile)
    db.session.rollback()
    with pytest.raises(BookingError, match="déjà l'horaire"):
        propose(t, appointment, TUESDAY_10, actor=odile)
    db.session.rollback()
    with pytest.raises(NotAllowed):
        propose(t, appointment, TUESDAY_9, actor=user(people["anne"]))
    db.session.rollback()
    assert status_of(appointment) == PENDING and told(people["anne"]) == []

    propose(t, appointment, TUESDAY_9, actor=odile, message="Plus calme le matin.")
    db.session.commit()
    assert (appointment.status, appointment.proposed_starts_at) == (PROPOSED, TUESDAY_9)
    assert appointment.starts_at == TUESDAY_10  # it keeps its place until the resident answers
    assert appointment.status_message == "Plus calme le matin."
    assert told(people["anne"]) == ["Atelier Vélo Solidaire vous propose un autre horaire : le 02/06/2026 09:00."]
    with pytest.raises(SlotTaken):
        book(t, repairer, service, TUESDAY_10, people["claire"])
    db.session.rollback()

    with pytest.raises(Changed, match="« Autre horaire proposé »"):
        propose(t, appointment, paris(2026, 6, 3, 9), actor=odile)
    db.session.rollback()


def test_a_proposal_overlapping_the_appointment_itself_is_allowed(ctx, people, monday_morning):
    t = territory()
    repairer = make_repairer(t, owner=user(people["odile"]))
    long_service = add_service(repairer, "Révision complète", 120)  # 10:00–12:00
    db.session.commit()
    appointment = book(t, repairer, long_service, TUESDAY_10, people["anne"])

    propose(t, appointment, TUESDAY_9, actor=user(people["odile"]))  # 09:00–11:00 overlaps only itself
    db.session.commit()
    assert appointment.status == PROPOSED


def test_the_resident_accepts_the_proposal_and_the_appointment_moves(workshop, people):
    t, repairer, service = workshop
    appointment = book(t, repairer, service, TUESDAY_10, people["anne"])
    accept(t, appointment, actor=user(people["odile"]))
    propose(t, appointment, TUESDAY_9, actor=user(people["odile"]))
    db.session.commit()

    for someone in ("bruno", "odile"):
        with pytest.raises(NotAllowed, match="Seule la personne qui a pris rendez-vous"):
            answer_proposal(t, appointment, actor=user(people[someone]), accept=True)
        db.session.rollback()

    answer_proposal(t, appointment, actor=user(people["anne"]), accept=True)
    db.session.commit()
    assert (appointment.status, appointment.starts_at) == (ACCEPTED, TUESDAY_9)
    assert appointment.ends_at == TUESDAY_9 + timedelta(minutes=60)
    assert appointment.proposed_starts_at is None
    assert told(people["odile"], "bikerepair.staff") == ["Anne accepte le nouvel horaire : le 02/06/2026 09:00."]
    book(t, repairer, service, TUESDAY_10, people["bruno"])  # the old place is free

    with pytest.raises(Changed):
        answer_proposal(t, appointment, actor=user(people["anne"]), accept=True)
    db.session.rollback()


def test_an_accepted_proposal_is_checked_again_when_the_time_was_taken_meanwhile(workshop, people):
    t, repairer, service = workshop
    appointment = book(t, repairer, service, TUESDAY_10, people["anne"])
    propose(t, appointment, TUESDAY_9, actor=user(people["odile"]))
    db.session.commit()
    book(t, repairer, service, TUESDAY_9, people["claire"])  # the proposed time does not hold a place

    with pytest.raises(SlotTaken):
        answer_proposal(t, appointment, actor=user(people["anne"]), accept=True)
    db.session.rollback()
    assert status_of(appointment) == PROPOSED
    assert db.session.get(Appointment, appointment.id).starts_at == TUESDAY_10


def test_the_resident_declines_the_proposal_and_the_appointment_is_cancelled(workshop, people):
    t, repairer, service = workshop
    appointment = book(t, repairer, service, TUESDAY_10, people["anne"])
    propose(t, appointment, TUESDAY_9, actor=user(people["odile"]))
    db.session.commit()

    answer_proposal(t, appointment, actor=user(people["anne"]), accept=False)
    db.session.commit()
    assert (appointment.status, appointment.starts_at) == (CANCELLED, TUESDAY_10)
    assert appointment.cancelled_by_id == people["anne"] and appointment.proposed_starts_at is None
    assert told(people["odile"], "bikerepair.staff") == [
        "Anne refuse l'horaire proposé et annule son rendez-vous du 02/06/2026 10:00."
    ]
    book(t, repairer, service, TUESDAY_10, people["bruno"])


# -- done, no-show ------------------------------------------------------------------------------------------------


def test_done_adds_a_line_to_the_bikes_booklet(workshop, people):
    t, repairer, service = workshop
    bike = Bike(territory_id=t.id, owner_id=people["anne"], name="Mon vélo bleu")
    db.session.add(bike)
    db.session.commit()
    appointment = book(t, repairer, service, TUESDAY_10, people["anne"], bike=bike)
    odile = user(people["odile"])

    with pytest.raises(Changed, match="« En attente »"):
        mark_done(t, appointment, actor=odile, work_done="Révision")
    db.session.rollback()
    accept(t, appointment, actor=odile)
    db.session.commit()
    with pytest.raises(NotAllowed):
        mark_done(t, appointment, actor=user(people["anne"]), work_done="Révision")
    with pytest.raises(BookingError, match="Indiquez ce qui a été fait"):
        mark_done(t, appointment, actor=odile, work_done=" ")
    with pytest.raises(BookingError, match="négatif"):
        mark_done(t, appointment, actor=odile, work_done="Révision", price_cents=-1)
    db.session.rollback()

    entry = mark_done(
        t, appointment, actor=odile, work_done="Révision, freins réglés", parts="Patins", price_cents=2500
    )
    db.session.commit()
    assert appointment.status == DONE
    stored = db.session.scalars(select(BookletEntry).where(BookletEntry.bike_id == bike.id)).one()
    assert stored.id == entry.id
    assert (stored.work, stored.parts, stored.price_cents) == ("Révision, freins réglés", "Patins", 2500)
    assert (stored.by_repairer_id, stored.appointment_id, stored.created_by_id) == (
        repairer.id,
        appointment.id,
        people["odile"],
    )
    assert stored.done_on.isoformat() == "2026-06-02"
    assert told(people["anne"])[-1] == "Atelier Vélo Solidaire a noté la réparation du 02/06/2026 10:00."


def test_done_without_a_bike_writes_no_booklet_line(workshop, people):
    t, repairer, service = workshop
    appointment = book(t, repairer, service, TUESDAY_10, people["anne"])
    accept(t, appointment, actor=user(people["odile"]))
    assert mark_done(t, appointment, actor=user(people["odile"]), work_done="Crevaison") is None
    db.session.commit()
    assert appointment.status == DONE
    assert db.session.scalar(select(func.count()).select_from(BookletEntry)) == 0


def test_no_show_only_for_an_accepted_appointment_once_started(workshop, people):
    t, repairer, service = workshop
    appointment = book(t, repairer, service, TUESDAY_10, people["anne"])
    odile = user(people["odile"])
    with clock.frozen(TUESDAY_10 + timedelta(minutes=20)):
        with pytest.raises(Changed, match="« En attente »"):
            mark_no_show(t, appointment, actor=odile)
        db.session.rollback()
    accept(t, appointment, actor=odile)
    db.session.commit()

    with pytest.raises(BookingError, match="une fois son heure passée"):
        mark_no_show(t, appointment, actor=odile)
    db.session.rollback()
    with clock.frozen(TUESDAY_10 + timedelta(minutes=20)):
        with pytest.raises(NotAllowed):
            mark_no_show(t, appointment, actor=user(people["anne"]))
        db.session.rollback()
        mark_no_show(t, appointment, actor=odile)
        db.session.commit()
    assert appointment.status == NO_SHOW


# -- scenario 7: an unanswered request expires ---------------------------------------------------------------------


def test_scenario_7_an_unanswered_request_expires_after_72_hours_and_the_resident_is_told_once(workshop, people):
    t, repairer, service = workshop
    friday_10 = paris(2026, 6, 5, 10)
    pending = book(t, repairer, service, friday_10, people["anne"])
    answered = book(t, repairer, service, TUESDAY_10, people["bruno"])
    accept(t, answered, actor=user(people["odile"]))
    db.session.commit()

    almost = MONDAY_0810 + timedelta(hours=71, minutes=59)
    with clock.frozen(almost):
        assert expire_pending(t, clock.now()) == 0
        db.session.commit()
    assert status_of(pending) == PENDING

    later = MONDAY_0810 + timedelta(hours=72)
    with clock.frozen(later):
        assert expire_pending(t, clock.now()) == 1
        db.session.commit()
        assert expire_pending(t, clock.now()) == 0  # the sweep runs again: nothing more
        db.session.commit()
    assert status_of(pending) == EXPIRED
    assert status_of(answered) == ACCEPTED
    assert told(people["anne"]) == [
        "Votre demande de rendez-vous du 05/06/2026 10:00 chez Atelier Vélo Solidaire est restée sans réponse."
    ]
    book(t, repairer, service, friday_10, people["claire"])  # the place is free again


def test_the_expiry_follows_each_repairers_delay(ctx, people, monday_morning):
    t = territory()
    repairer = make_repairer(t, owner=user(people["odile"]), pending_expiry_hours=2)
    service = add_service(repairer)
    db.session.commit()
    appointment = book(t, repairer, service, TUESDAY_10, people["anne"])
    with clock.frozen(MONDAY_0810 + timedelta(hours=2)):
        assert expire_pending(t, clock.now()) == 1
        db.session.commit()
    assert status_of(appointment) == EXPIRED


def test_the_expiry_is_a_scheduled_job():
    jobs = {job.id: job for job in pc_scheduled_jobs()}
    job = jobs["bikerepair.expire_pending"]
    assert (job.function, job.trigger_args) == (lifecycle.expire_pending, {"minutes": 15})
