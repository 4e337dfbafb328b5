"""The spec's scenarios as a resident and a repairer live them, e-mails included (SQLite and PostgreSQL):

1. booked on Friday 27 March 2026 for Monday 30 March 10:00 (summer time since Sunday) → stored 08:00 UTC; the e-mails
   and the ``.ics`` say 10:00 ``TZID=Europe/Paris``; the day-before reminder goes out once, the 2-hour one once;
6. the resident's cancellation deadline (24 h): refused at 23 h 59, accepted at 25 h and the staff are told;
7. a pending request unanswered for 72 h expires and the resident is told once, e-mail included;
and two schedulers sweeping the reminders at the same instant send one reminder (PostgreSQL, real threads).

The jobs run as the scheduler runs them (``run_job``: one transaction per territory, committed), the e-mails go through
the outbox to the file backend the ``outbox`` fixture reads.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from platformcoop import clock
from platformcoop.extensions import db
from platformcoop.notifications.models import Notification
from platformcoop.notifications.outbox import deliver_due
from platformcoop.organisations.services import add_staff
from platformcoop.scheduling import run_job
from platformcoop.tenancy.models import Territory
from plugins.bikerepair import reminders
from plugins.bikerepair.booking import BookingError, book_appointment, cancel_appointment
from plugins.bikerepair.lifecycle import accept
from plugins.bikerepair.models import ACCEPTED, EXPIRED, Appointment, Repairer, RepairService
from tests.conftest import is_postgres
from tests.plugins.bikerepair.support import add_service, make_repairer, paris, territory, user

ANNE, ODILE, BRUNO = "anne@example.org", "odile@atelier.example.org", "bruno@example.org"
FRIDAY = paris(2026, 3, 27, 10)  # still winter time (UTC+1)
MONDAY_10 = paris(2026, 3, 30, 10)  # summer time (UTC+2)


# -- helpers (also used by test_notices.py and test_reminders.py) ------------------------------------------------------


@pytest.fixture
def shop(app, people):
    """An atelier with manual approval, open Monday to Saturday 9 h – 12 h, a 60-minute service; Odile owns it,
    Bruno works there. Returns the ids."""
    with app.app_context():
        t = territory()
        repairer = make_repairer(t, owner=user(people["odile"]))
        add_staff(repairer.organisation, user(people["bruno"]), "staff")
        service = add_service(repairer, "Révision", 60)
        db.session.commit()
        return SimpleNamespace(repairer=repairer.id, service=service.id, **people)


def load(ids) -> tuple[Territory, Repairer, RepairService]:
    return territory(), db.session.get(Repairer, ids.repairer), db.session.get(RepairService, ids.service)


def book(ids, starts_at: datetime, person_id: int, **kwargs) -> Appointment:
    """The resident ``person_id`` books ``starts_at`` for themselves (committed)."""
    t, repairer, service = load(ids)
    person = user(person_id)
    appointment = book_appointment(t, repairer, service, starts_at, resident=person, actor=person, **kwargs)
    db.session.commit()
    return appointment


def deliver() -> None:
    """Send what the outbox holds (inside an app context)."""
    deliver_due(datetime(2100, 1, 1, tzinfo=UTC))


def sweep(app, job: str, instant: datetime) -> None:
    """One run of a scheduled job at ``instant``, as the scheduler runs it, then the e-mails it queued are sent."""
    with clock.frozen(instant):
        run = run_job(app, job, instant)
        assert run.failed == [] and "libercourt" in run.succeeded
        with app.app_context():
            deliver()


def subject(message) -> str:
    """The subject, its folding undone (a long encoded subject comes back with doubled spaces)."""
    return " ".join(message["Subject"].split())


def subjects(outbox, address: str) -> list[str]:
    return [subject(message) for message in outbox.to(address)]


def invitation(message) -> str | None:
    """The ``.ics`` attached to ``message``, as text (None without one)."""
    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            return part.get_payload(decode=True).decode("utf-8")
    return None


def titles(person_id: int, kind: str | None = None) -> list[str]:
    query = select(Notification.title).where(Notification.user_id == person_id).order_by(Notification.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def notification_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Notification))


# -- scenario 1 --------------------------------------------------------------------------------------------------------


def test_scenario_1_a_booking_across_the_spring_change_is_mailed_in_local_time_and_reminded_once(app, shop, outbox):
    with clock.frozen(FRIDAY), app.app_context():
        appointment = book(shop, MONDAY_10, shop.anne)
        appointment_id = appointment.id
        assert appointment.starts_at == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
        assert appointment.first_slot_at == FRIDAY  # the first slot then offered (no notice), for the statistics
        deliver()
    [receipt] = outbox.to(ANNE)
    assert subject(receipt) == "Demande de rendez-vous envoyée à Atelier Vélo Solidaire pour le 30/03/2026 10:00."
    assert "lundi 30 mars 2026 à 10:00" in outbox.body(receipt)
    assert "DTSTART;TZID=Europe/Paris:20260330T100000" in invitation(receipt)
    [request] = outbox.to(ODILE)
    assert subject(request) == "Nouvelle demande de rendez-vous de Anne le 30/03/2026 10:00 (Révision)."

    with clock.frozen(FRIDAY + timedelta(hours=1)), app.app_context():
        t, _, _ = load(shop)
        accept(t, db.session.get(Appointment, appointment_id), actor=user(shop.odile))
        db.session.commit()
        deliver()
    accepted = outbox.to(ANNE)[-1]
    assert subject(accepted) == "Atelier Vélo Solidaire confirme votre rendez-vous du 30/03/2026 10:00."
    assert "lundi 30 mars 2026 à 10:00" in outbox.body(accepted)
    ics = invitation(accepted)
    assert "DTSTART;TZID=Europe/Paris:20260330T100000" in ics and "DTEND;TZID=Europe/Paris:20260330T110000" in ics

    reminder = "Rappel : votre rendez-vous chez Atelier Vélo Solidaire le 30/03/2026 10:00."
    sunday_18 = paris(2026, 3, 29, 18)  # the reminder hour (18 h by default), in summer time: 16:00 UTC
    assert sunday_18 == datetime(2026, 3, 29, 16, 0, tzinfo=UTC)
    sweep(app, "bikerepair.reminders", sunday_18 - timedelta(minutes=5))
    assert reminder not in subjects(outbox, ANNE)
    sweep(app, "bikerepair.reminders", sunday_18 + timedelta(minutes=2))
    sweep(app, "bikerepair.reminders", sunday_18 + timedelta(minutes=2))
    sweep(app, "bikerepair.reminders", sunday_18 + timedelta(hours=3))
    assert subjects(outbox, ANNE).count(reminder) == 1
    day_before = outbox.to(ANNE)[-1]
    assert "lundi 30 mars 2026 à 10:00" in outbox.body(day_before)
    assert "DTSTART;TZID=Europe/Paris:20260330T100000" in invitation(day_before)

    two_hours_before = MONDAY_10 - timedelta(hours=2)
    sweep(app, "bikerepair.reminders", two_hours_before - timedelta(minutes=15))
    assert subjects(outbox, ANNE).count(reminder) == 1
    sweep(app, "bikerepair.reminders", two_hours_before)
    sweep(app, "bikerepair.reminders", two_hours_before + timedelta(minutes=15))
    assert subjects(outbox, ANNE).count(reminder) == 2
    assert "approche" in outbox.body(outbox.to(ANNE)[-1])
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert appointment.reminded_day_before_at == sunday_18 + timedelta(minutes=2)
        assert appointment.reminded_soon_at == two_hours_before
        assert titles(shop.anne).count(reminder) == 2
        assert reminder not in titles(shop.odile) + titles(shop.bruno)
    assert not any(s.startswith("Rappel") for s in subjects(outbox, ODILE) + subjects(outbox, BRUNO))


# -- scenario 6 --------------------------------------------------------------------------------------------------------


def test_scenario_6_the_resident_cancels_before_the_24_hour_deadline_and_the_staff_are_told(app, shop, outbox):
    wednesday_10 = paris(2026, 6, 3, 10)
    with clock.frozen(paris(2026, 6, 1, 8, 10)), app.app_context():
        appointment_id = book(shop, wednesday_10, shop.anne).id
        deliver()
    before = len(outbox.messages())

    with clock.frozen(wednesday_10 - timedelta(hours=23, minutes=59)), app.app_context():
        t, _, _ = load(shop)
        notifications = notification_count()
        with pytest.raises(BookingError, match="moins de 24 heures avant"):
            cancel_appointment(t, db.session.get(Appointment, appointment_id), actor=user(shop.anne))
        db.session.rollback()
        deliver()
        assert db.session.get(Appointment, appointment_id).status == "pending"
        assert notification_count() == notifications
    assert len(outbox.messages()) == before

    with clock.frozen(wednesday_10 - timedelta(hours=25)), app.app_context():
        t, _, _ = load(shop)
        cancel_appointment(t, db.session.get(Appointment, appointment_id), actor=user(shop.anne), reason="Malade.")
        db.session.commit()
        deliver()
        assert db.session.get(Appointment, appointment_id).status == "cancelled"
        told = "Anne annule son rendez-vous du 03/06/2026 10:00."
        assert titles(shop.odile, "bikerepair.staff")[-1] == told
        assert titles(shop.bruno, "bikerepair.staff")[-1] == told
        assert told not in titles(shop.anne)  # the actor is not told
    mail = outbox.to(ODILE)[-1]
    assert subject(mail) == "Anne annule son rendez-vous du 03/06/2026 10:00."
    assert "mercredi 3 juin 2026 à 10:00" in outbox.body(mail) and "Malade." in outbox.body(mail)
    assert "/libercourt/reparation-velo/atelier/" in outbox.body(mail)
    assert len(outbox.to(ANNE)) == 1  # only the receipt of the booking


# -- scenario 7 --------------------------------------------------------------------------------------------------------


def test_scenario_7_an_unanswered_request_expires_after_72_hours_and_the_resident_is_mailed_once(app, shop, outbox):
    monday = paris(2026, 6, 1, 8, 10)
    friday_10 = paris(2026, 6, 5, 10)
    with clock.frozen(monday), app.app_context():
        appointment_id = book(shop, friday_10, shop.anne).id

    sweep(app, "bikerepair.expire_pending", monday + timedelta(hours=71, minutes=45))
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).status == "pending"
    sweep(app, "bikerepair.expire_pending", monday + timedelta(hours=72))
    sweep(app, "bikerepair.expire_pending", monday + timedelta(hours=72, minutes=15))

    expired = "Votre demande de rendez-vous du 05/06/2026 10:00 chez Atelier Vélo Solidaire est restée sans réponse."
    assert subjects(outbox, ANNE).count(expired) == 1
    mail = outbox.to(ANNE)[-1]
    assert "vendredi 5 juin 2026 à 10:00" in outbox.body(mail)
    ics = invitation(mail)
    assert "METHOD:CANCEL" in ics and "SEQUENCE:1" in ics and "TZID=Europe/Paris:20260605T100000" in ics
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert (appointment.status, appointment.ics_sequence) == (EXPIRED, 1)
        assert titles(shop.anne).count(expired) == 1
        assert expired not in titles(shop.odile)


# -- two schedulers at once -------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL: SQLite serialises writers, no row locks to test")
def test_two_schedulers_sweeping_the_reminders_at_the_same_instant_send_each_reminder_once(app, shop, outbox):
    starts = [paris(2026, 6, 2, hour) for hour in (9, 10, 11)] + [paris(2026, 6, 3, hour) for hour in (9, 10)]
    people = [shop.anne, shop.claire, shop.anne, shop.claire, shop.anne]
    with clock.frozen(paris(2026, 6, 1, 8, 10)), app.app_context():
        for starts_at, person in zip(starts, people, strict=True):
            appointment = book(shop, starts_at, person)
            accept(load(shop)[0], appointment, actor=user(shop.odile))
            db.session.commit()
        territory_id = load(shop)[0].id
    instant = paris(2026, 6, 1, 18, 5)  # the day before Tuesday: the three Tuesday reminders are due, not Wednesday's
    sent, barrier = {}, threading.Barrier(2)

    def scheduler(name):
        with app.app_context(), clock.frozen(instant):
            t = db.session.get(Territory, territory_id)
            barrier.wait()
            try:
                sent[name] = reminders.sweep(t, instant)
                db.session.commit()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=scheduler, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(sent) == ["a", "b"] and sum(sent.values()) == 3
    with app.app_context():
        reminded = db.session.scalars(
            select(Appointment.starts_at).where(Appointment.reminded_day_before_at.is_not(None))
        ).all()
        assert sorted(reminded) == starts[:3]
        assert set(db.session.scalars(select(Appointment.status))) == {ACCEPTED}
        count = db.session.scalar(
            select(func.count()).select_from(Notification).where(Notification.title.like("Rappel%"))
        )
        assert count == 3
        deliver()
    assert sum(1 for message in outbox.messages() if subject(message).startswith("Rappel")) == 3
    assert (
        subjects(outbox, ANNE).count("Rappel : votre rendez-vous chez Atelier Vélo Solidaire le 02/06/2026 09:00.") == 1
    )
