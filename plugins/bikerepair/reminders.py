"""Reminders to residents before their accepted appointments: the scheduler's job ``bikerepair.reminders`` (every
15 minutes; the runner commits once per territory, and a missed run catches up).

- **The day before**: once the territory's local clock has passed the module setting ``reminder_hour`` on the local
  day before the appointment's local day, and before the appointment starts.
- **Soon**: ``reminder_before_minutes`` (0: none) before the start, before it starts.

Each goes out once: it is claimed with a conditional ``UPDATE … SET reminded_*_at = now WHERE id = … AND
reminded_*_at IS NULL`` and sent only when that changed the row, so two schedulers (or a retried run) never send it
twice; on PostgreSQL the second ``UPDATE`` waits for the first transaction and then finds the column set.

Decisions where the spec is silent:

- A day-before reminder is claimed but not sent when the "soon" reminder covers it: the soon reminder is due at the
  same sweep (a late run, or a reminder hour that falls after "start − reminder_before_minutes"), or the appointment
  was confirmed after the day-before reminder time and starts within 12 hours (the confirmation just sent is the
  reminder). Without a soon reminder (setting 0), the day-before one is always sent.
- A soon reminder is claimed but not sent when the appointment was confirmed within ``reminder_before_minutes`` of its
  start: the confirmation e-mail, moments ago, is the reminder.
- A walk-in (no account) gets no reminder; an appointment moved to a new time (an accepted proposal) has its marks
  cleared by ``lifecycle.answer_proposal``, so the new time is reminded.

Both queries are bounded by time windows (the day-before one to the appointments starting before the end of the last
local day whose reminder time has passed, at most about two days ahead) and by :data:`BATCH`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from platformcoop.extensions import db
from platformcoop.hours.services import wall_to_utc
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy.services import module_settings
from plugins.bikerepair import notices
from plugins.bikerepair.models import ACCEPTED, Appointment

MODULE = "bikerepair"
BATCH = 500  # appointments handled per kind per run; the rest wait 15 minutes (the earliest starts go first)
COVERED_WITHIN = timedelta(hours=12)


def settings(territory) -> dict:
    return module_settings(get_registry(), territory, MODULE)


def sweep(territory, now: datetime) -> int:
    """Send the reminders due at ``now`` in ``territory``, each once; how many were sent."""
    conf = settings(territory)
    before = timedelta(minutes=conf["reminder_before_minutes"])
    return _remind_soon(territory, now, before) + _remind_the_day_before(territory, now, conf["reminder_hour"], before)


def day_before_time(appointment: Appointment, tz: ZoneInfo, hour: int) -> datetime:
    """When the day-before reminder is due: ``hour`` o'clock local on the local day before the appointment's."""
    day = appointment.starts_at.astimezone(tz).date() - timedelta(days=1)
    return wall_to_utc(day, hour * 60, tz)


def _remind_the_day_before(territory, now: datetime, hour: int, before: timedelta) -> int:
    tz = ZoneInfo(territory.timezone)
    local_now = now.astimezone(tz)
    # the reminders due are those of the appointments on local days up to `last_day`
    last_day = local_now.date() + timedelta(days=1 if now >= wall_to_utc(local_now.date(), hour * 60, tz) else 0)
    until = wall_to_utc(last_day + timedelta(days=1), 0, tz)
    sent = 0
    for appointment in _due(territory, now, until, Appointment.reminded_day_before_at):
        due_at = day_before_time(appointment, tz, hour)
        if now < due_at or not _claim(appointment, "reminded_day_before_at", now):
            continue
        if before and _covered_by_soon(appointment, now, due_at, before):
            continue
        notices.reminder(territory, appointment, soon=False)
        sent += 1
    return sent


def _covered_by_soon(appointment: Appointment, now: datetime, due_at: datetime, before: timedelta) -> bool:
    starts_at = appointment.starts_at
    if now >= starts_at - before:
        return True  # the soon reminder is due now too: one reminder is enough
    confirmed_at = appointment.decided_at or appointment.created_at
    return confirmed_at >= due_at and starts_at - now < COVERED_WITHIN


def _remind_soon(territory, now: datetime, before: timedelta) -> int:
    if not before:
        return 0
    sent = 0
    for appointment in _due(territory, now, now + before + timedelta(microseconds=1), Appointment.reminded_soon_at):
        if not _claim(appointment, "reminded_soon_at", now):
            continue
        confirmed_at = appointment.decided_at or appointment.created_at
        if confirmed_at >= appointment.starts_at - before:
            continue  # confirmed within the window: the confirmation was the reminder
        notices.reminder(territory, appointment, soon=True)
        sent += 1
    return sent


def _due(territory, now: datetime, until: datetime, mark) -> list[Appointment]:
    """The accepted appointments of residents starting in ``(now, until)`` whose ``mark`` is not set yet, read afresh
    (another run may have set it meanwhile)."""
    return list(
        db.session.scalars(
            select(Appointment)
            .where(
                Appointment.territory_id == territory.id,
                Appointment.status == ACCEPTED,
                Appointment.resident_id.is_not(None),
                Appointment.starts_at > now,
                Appointment.starts_at < until,
                mark.is_(None),
            )
            .order_by(Appointment.starts_at, Appointment.id)
            .limit(BATCH)
            .execution_options(populate_existing=True)
        )
    )


def _claim(appointment: Appointment, column: str, now: datetime) -> bool:
    """Set ``column`` once, only if still accepted and unset; False when another run (or a change) came first."""
    result = db.session.execute(
        update(Appointment)
        .where(
            Appointment.id == appointment.id,
            Appointment.status == ACCEPTED,
            getattr(Appointment, column).is_(None),
        )
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    db.session.expire(appointment)
    return result.rowcount == 1
