"""The reminders' rules (see ``plugins/bikerepair/reminders.py``): the territory's reminder hour and delay, which
appointments are reminded, each reminder once, and when one reminder covers the other. Scenario 1 (the day-before and
the 2-hour reminders across the spring change, through the scheduler) is in test_scenarios_mail.py."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from platformcoop import clock
from platformcoop.extensions import db
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy.services import update_module_settings
from plugins.bikerepair import pc_scheduled_jobs, reminders
from plugins.bikerepair.booking import book_appointment, cancel_appointment
from plugins.bikerepair.lifecycle import accept, answer_proposal, propose
from plugins.bikerepair.models import Appointment
from tests.plugins.bikerepair.support import paris, territory, user
from tests.plugins.bikerepair.test_scenarios_mail import (
    ANNE,
    book,
    deliver,
    invitation,
    load,
    shop,  # noqa: F401  (fixture)
    subjects,
    titles,
)

MONDAY_0810 = paris(2026, 6, 1, 8, 10)
TUESDAY_9, TUESDAY_10 = paris(2026, 6, 2, 9), paris(2026, 6, 2, 10)


@pytest.fixture
def desk(ctx, shop):  # noqa: F811
    return shop


def at(instant: datetime, ids) -> int:
    """Run the sweep at ``instant`` (committed, e-mails sent); how many reminders it sent."""
    with clock.frozen(instant):
        sent = reminders.sweep(load(ids)[0], instant)
        db.session.commit()
        deliver()
    return sent


def booked(ids, starts_at: datetime, *, when: datetime = MONDAY_0810, person: str = "anne") -> Appointment:
    """``person`` books ``starts_at`` at ``when``, and Odile accepts at once (unless the atelier auto-accepts)."""
    with clock.frozen(when):
        appointment = book(ids, starts_at, getattr(ids, person))
        if appointment.status == "pending":
            accept(load(ids)[0], appointment, actor=user(ids.odile))
            db.session.commit()
    return appointment


def reminded(person_id: int) -> list[str]:
    return [title for title in titles(person_id) if title.startswith("Rappel")]


def settings(**values) -> None:
    t = territory()
    update_module_settings(get_registry(), t, "bikerepair", {**reminders.settings(t), **values})
    db.session.commit()


def test_the_reminders_are_a_scheduled_job():
    jobs = {job.id: job for job in pc_scheduled_jobs()}
    assert (jobs["bikerepair.reminders"].function, jobs["bikerepair.reminders"].trigger_args) == (
        reminders.sweep,
        {"minutes": 15},
    )


def test_the_day_before_reminder_follows_the_territorys_hour_and_goes_out_once(desk, outbox):
    settings(reminder_hour=9)
    appointment = booked(desk, paris(2026, 6, 3, 10))  # Wednesday
    assert at(paris(2026, 6, 2, 8, 55), desk) == 0
    assert at(paris(2026, 6, 2, 9, 0), desk) == 1
    assert at(paris(2026, 6, 2, 9, 15), desk) == 0
    assert reminded(desk.anne) == ["Rappel : votre rendez-vous chez Atelier Vélo Solidaire le 03/06/2026 10:00."]
    mail = outbox.to(ANNE)[-1]
    assert "mercredi 3 juin 2026 à 10:00" in outbox.body(mail)
    assert "DTSTART;TZID=Europe/Paris:20260603T100000" in invitation(mail)
    assert appointment.reminded_day_before_at == paris(2026, 6, 2, 9)


def test_without_a_soon_reminder_only_the_day_before_one_goes_out(desk):
    settings(reminder_before_minutes=0)
    booked(desk, TUESDAY_10)
    assert at(paris(2026, 6, 1, 18, 0), desk) == 1
    assert at(TUESDAY_10 - timedelta(hours=2), desk) == 0
    assert at(TUESDAY_10 - timedelta(minutes=15), desk) == 0
    assert len(reminded(desk.anne)) == 1


def test_the_soon_reminder_follows_the_territorys_delay(desk):
    settings(reminder_before_minutes=30)
    appointment = booked(desk, TUESDAY_10)
    at(paris(2026, 6, 1, 18, 0), desk)
    assert at(TUESDAY_10 - timedelta(minutes=45), desk) == 0
    assert at(TUESDAY_10 - timedelta(minutes=30), desk) == 1
    assert at(TUESDAY_10 - timedelta(minutes=15), desk) == 0
    assert len(reminded(desk.anne)) == 2
    assert appointment.reminded_soon_at == TUESDAY_10 - timedelta(minutes=30)


def test_booked_in_the_evening_for_the_next_morning_gets_only_the_soon_reminder(desk):
    load(desk)[1].auto_accept = True
    db.session.commit()
    appointment = booked(desk, TUESDAY_9, when=paris(2026, 6, 1, 21, 30))  # after 18 h, 11 h 30 before
    assert at(paris(2026, 6, 1, 21, 45), desk) == 0  # the confirmation, a moment ago, is enough for now
    assert appointment.reminded_day_before_at is not None
    assert at(TUESDAY_9 - timedelta(hours=2), desk) == 1
    assert len(reminded(desk.anne)) == 1


def test_booked_in_the_evening_for_the_next_afternoon_still_gets_the_day_before_reminder(desk):
    load(desk)[1].auto_accept = True
    db.session.commit()
    booked(desk, paris(2026, 6, 2, 11), when=paris(2026, 6, 1, 20, 0))  # 15 h before: a long way off
    assert at(paris(2026, 6, 1, 20, 15), desk) == 1
    assert at(paris(2026, 6, 2, 9, 0), desk) == 1
    assert len(reminded(desk.anne)) == 2


def test_confirmed_shortly_before_the_start_gets_no_reminder(desk):
    load(desk)[1].auto_accept = True
    db.session.commit()
    appointment = booked(desk, TUESDAY_10, when=paris(2026, 6, 2, 8, 30))  # 1 h 30 before: the confirmation
    assert at(paris(2026, 6, 2, 8, 45), desk) == 0
    assert appointment.reminded_day_before_at is not None and appointment.reminded_soon_at is not None
    assert reminded(desk.anne) == []


def test_a_missed_run_catches_up_with_one_reminder(desk):
    booked(desk, TUESDAY_10)
    # no run from Monday 17:00 to Tuesday 08:30: both reminders are due, one goes out
    assert at(paris(2026, 6, 2, 8, 30), desk) == 1
    assert at(paris(2026, 6, 2, 8, 45), desk) == 0
    assert len(reminded(desk.anne)) == 1


def test_requests_walk_ins_and_cancelled_appointments_get_no_reminder(desk):
    with clock.frozen(MONDAY_0810):
        book(desk, TUESDAY_9, desk.anne)  # pending
        t, repairer, service = load(desk)
        book_appointment(t, repairer, service, TUESDAY_10, walk_in_name="M. Martin", actor=user(desk.odile))
        db.session.commit()
    cancelled = booked(desk, paris(2026, 6, 2, 11), person="claire")
    with clock.frozen(MONDAY_0810):
        cancel_appointment(load(desk)[0], cancelled, actor=user(desk.odile))
        db.session.commit()
    assert at(paris(2026, 6, 1, 18, 0), desk) == 0
    assert at(paris(2026, 6, 2, 8, 0), desk) == 0
    assert reminded(desk.anne) == reminded(desk.claire) == []


def test_an_accepted_new_time_is_reminded_again(desk, outbox):
    appointment = booked(desk, paris(2026, 6, 3, 10))  # Wednesday
    assert at(paris(2026, 6, 2, 18, 0), desk) == 1
    with clock.frozen(paris(2026, 6, 2, 19, 0)):
        propose(load(desk)[0], appointment, paris(2026, 6, 4, 10), actor=user(desk.odile))
        answer_proposal(load(desk)[0], appointment, actor=user(desk.anne), accept=True)
        db.session.commit()
    assert appointment.reminded_day_before_at is None and appointment.ics_sequence == 2
    assert at(paris(2026, 6, 3, 18, 0), desk) == 1
    assert subjects(outbox, ANNE)[-1] == "Rappel : votre rendez-vous chez Atelier Vélo Solidaire le 04/06/2026 10:00."
    assert "SEQUENCE:2" in invitation(outbox.to(ANNE)[-1])
