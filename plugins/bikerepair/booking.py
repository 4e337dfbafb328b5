"""Booking an appointment: the one path every booking takes (a resident's, a staff-entered one, later a proposed new
time), so that the slots offered and the slots accepted can never disagree.

The rule itself is the pure slot engine (``slots.py``); this module feeds it from the database — the organisation's
core opening hours (closures and holidays removed), the appointments that hold a place, the repairer's rules — and
makes the check and the insert atomic: the repairer's row is locked (``SELECT … FOR UPDATE`` on PostgreSQL, the write
lock on SQLite), the busy appointments are read again under the lock, then the new row is inserted. Two residents
racing for the last place get one success and one :class:`SlotTaken`.

Services never commit: the caller's transaction holds the lock until it commits or rolls back. Who is told is
``notices.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from platformcoop import audit, clock
from platformcoop.extensions import db
from platformcoop.hours.services import find_schedule, lock_row, open_intervals, wall_to_utc
from platformcoop.organisations.services import is_staff
from plugins.bikerepair import notices
from plugins.bikerepair.models import (
    ACCEPTED,
    CANCELLED,
    HOLDING_STATUSES,
    MAX_BUFFER_MINUTES,
    PENDING,
    Appointment,
    Bike,
    Repairer,
    RepairService,
)
from plugins.bikerepair.slots import Busy, SlotRules, available_slots, is_bookable


class BookingError(ValueError):
    """A refused booking or cancellation; the message is French text for the user."""


class SlotTaken(BookingError):
    """The place was free a moment ago and someone else just took it."""

    def __init__(self, message: str | None = None):
        super().__init__(message or _("Ce créneau vient d'être pris. Choisissez-en un autre."))


# -- reading the agenda ------------------------------------------------------------------------------------------------


def rules_of(repairer: Repairer) -> SlotRules:
    return SlotRules(
        grid_minutes=repairer.grid_minutes,
        capacity=repairer.capacity,
        buffer_minutes=repairer.buffer_minutes,
        notice_minutes=repairer.notice_minutes,
        horizon_days=repairer.horizon_days,
    )


def busy_between(repairer: Repairer, start: datetime, end: datetime, *, exclude: int | None = None) -> list[Busy]:
    """The places held in ``[start, end)``: each appointment as ``[starts_at, ends_at + its buffer)``, but the
    appointment whose id is ``exclude`` (the one being moved to another time)."""
    reach_back = timedelta(minutes=MAX_BUFFER_MINUTES)  # an appointment's buffer may reach into the window
    query = select(Appointment.starts_at, Appointment.ends_at, Appointment.buffer_minutes).where(
        Appointment.repairer_id == repairer.id,
        Appointment.status.in_(HOLDING_STATUSES),
        Appointment.starts_at < end,
        Appointment.ends_at > start - reach_back,
    )
    if exclude is not None:
        query = query.where(Appointment.id != exclude)
    rows = db.session.execute(query).all()
    held = [Busy(starts_at, ends_at + timedelta(minutes=buffer)) for starts_at, ends_at, buffer in rows]
    return [busy for busy in held if busy.end > start]


def _whole_days(tz: ZoneInfo, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """``[start, end)`` widened to whole local days (a day more on each side).

    The engine counts the grid from the start of each open interval, and :func:`open_intervals` clips the intervals
    to the window it is asked about: asking always about whole days keeps the grid where the opening hours put it,
    whatever the instant of the question.
    """
    first_day = start.astimezone(tz).date() - timedelta(days=1)
    last_day = end.astimezone(tz).date() + timedelta(days=1)
    return wall_to_utc(first_day, 0, tz), wall_to_utc(last_day, 24 * 60, tz)


def engine_inputs(
    territory,
    repairer: Repairer,
    service: RepairService,
    start: datetime,
    end: datetime,
    *,
    exclude: int | None = None,
) -> dict:
    """What the slot engine needs to judge starts in ``[start, end)``, read from the database (``exclude``: an
    appointment left out of the busy list, see :func:`busy_between`)."""
    tz = ZoneInfo(territory.timezone)
    schedule = find_schedule(territory, "organisation", repairer.organisation_id)
    length = timedelta(minutes=service.duration_minutes + repairer.buffer_minutes)
    window_start, window_end = _whole_days(tz, start, end + length)
    return {
        "tz": tz,
        "open_intervals": open_intervals(schedule, window_start, window_end) if schedule is not None else [],
        "busy": busy_between(repairer, window_start, window_end, exclude=exclude),
        "duration_minutes": service.duration_minutes,
        "rules": rules_of(repairer),
    }


def repairer_slots(
    territory,
    repairer: Repairer,
    service: RepairService,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> list[datetime]:
    """The start times (aware UTC, sorted) ``repairer`` offers for ``service`` between ``start`` and ``end``
    (default: from now to the end of its booking horizon). Nothing when the repairer or the service is off."""
    now = now or clock.now()
    if not takes_bookings(territory, repairer, service):
        return []
    start = max(start or now, now)
    end = end or now + timedelta(days=repairer.horizon_days)
    if end <= start:
        return []
    inputs = engine_inputs(territory, repairer, service, start, end)
    return available_slots(**inputs, now=now, start=start, end=end)


def takes_bookings(territory, repairer: Repairer, service: RepairService) -> bool:
    return (
        repairer.territory_id == territory.id
        and service.repairer_id == repairer.id
        and repairer.enabled
        and service.active
        and repairer.organisation.is_active
    )


# -- booking ---------------------------------------------------------------------------------------------------------


def book_appointment(
    territory,
    repairer: Repairer,
    service: RepairService,
    starts_at: datetime,
    *,
    resident=None,
    walk_in_name: str = "",
    walk_in_phone: str = "",
    bike: Bike | None = None,
    description: str = "",
    actor,
    override: bool = False,
) -> Appointment:
    """Book ``starts_at`` (aware) at ``repairer`` for ``service``, for a resident or for a walk-in entered by the
    staff. Atomic in the caller's transaction; raises :class:`BookingError` (or :class:`SlotTaken`).

    ``override`` (staff only, audited) books beyond the capacity; every other rule still holds.

    A resident's own booking is pending unless the repairer accepts automatically; one the staff enter (for a walk-in
    or a resident on the phone) is accepted at once: the staff are the ones who would accept it.
    """
    if starts_at.tzinfo is None:
        raise ValueError("book_appointment needs an aware datetime")
    walk_in_name, walk_in_phone = walk_in_name.strip()[:120], walk_in_phone.strip()[:40]
    _check_who(territory, repairer, resident, walk_in_name, bike, actor, override)
    by_resident = resident is not None and getattr(actor, "id", None) == resident.id
    # the first slot offered at this moment (the municipality's "delay to the first slot"), read before the lock so
    # that the lock is held briefly: it is a statistic, not a rule
    first_slot = repairer_slots(territory, repairer, service, now=clock.now())[:1] if by_resident else []

    db.session.flush()  # the caller's pending changes count; the refreshes below must not drop them
    lock_row(Repairer, repairer.id)  # every booking of this repairer waits here until the previous one commits
    db.session.refresh(repairer)  # the rules and the switch as they are now, under the lock
    db.session.refresh(service)
    if repairer.territory_id != territory.id or service.repairer_id != repairer.id:
        raise BookingError(_("Cette prestation n'est pas proposée par ce réparateur."))
    if not takes_bookings(territory, repairer, service):
        raise BookingError(_("Ce réparateur ne prend pas de rendez-vous pour cette prestation en ce moment."))

    now = clock.now()
    accepted_at_once = repairer.auto_accept or not by_resident
    inputs = engine_inputs(territory, repairer, service, starts_at, starts_at)
    beyond_capacity = False
    if not is_bookable(starts_at, **inputs, now=now):
        # the staff's override lifts the capacity only: the start must still be bookable in an empty agenda
        if not (override and is_bookable(starts_at, **{**inputs, "busy": []}, now=now)):
            raise why_refused(starts_at, inputs, repairer, now)
        beyond_capacity = True

    appointment = Appointment(
        territory_id=territory.id,
        repairer_id=repairer.id,
        service_id=service.id,
        resident_id=getattr(resident, "id", None),
        walk_in_name=walk_in_name,
        walk_in_phone=walk_in_phone,
        bike_id=getattr(bike, "id", None),
        description=description.strip(),
        starts_at=starts_at.astimezone(UTC),
        ends_at=starts_at + timedelta(minutes=service.duration_minutes),
        buffer_minutes=repairer.buffer_minutes,
        status=ACCEPTED if accepted_at_once else PENDING,
        decided_at=now if accepted_at_once else None,
        override=override,
        created_by_id=getattr(actor, "id", None),
        created_at=now,
        first_slot_at=first_slot[0] if first_slot else None,
    )
    db.session.add(appointment)
    db.session.flush()
    if override:
        audit.record(
            "bikerepair.appointment_override",
            actor=actor,
            territory=territory,
            obj=appointment,
            starts_at=appointment.starts_at.isoformat(),
            beyond_capacity=beyond_capacity,
        )
    notices.booked(territory, appointment, actor=actor)
    return appointment


def _check_who(territory, repairer: Repairer, resident, walk_in_name: str, bike: Bike | None, actor, override) -> None:
    """Who may book for whom: a resident for themselves; the repairer's staff for a resident or a walk-in."""
    staff = is_staff(actor, repairer.organisation)
    if override and not staff:
        raise BookingError(_("Seule l'équipe du réparateur peut réserver au-delà des places disponibles."))
    if resident is None:
        if not walk_in_name:
            raise BookingError(_("Indiquez le nom de la personne qui prend rendez-vous."))
        if not staff:
            raise BookingError(_("Seule l'équipe du réparateur peut saisir un rendez-vous pour une autre personne."))
    elif not staff and getattr(actor, "id", None) != resident.id:
        raise BookingError(_("Vous ne pouvez prendre rendez-vous que pour vous-même."))
    if bike is not None and (bike.territory_id != territory.id or resident is None or bike.owner_id != resident.id):
        raise BookingError(_("Ce vélo n'appartient pas à la personne qui prend rendez-vous."))


def why_refused(starts_at: datetime, inputs: dict, repairer: Repairer, now: datetime) -> BookingError:
    """The French reason ``starts_at`` cannot be booked (the engine said no; this only names why)."""
    if starts_at < now + timedelta(minutes=repairer.notice_minutes):
        return BookingError(
            _(
                "Ce créneau est trop proche : réservez au moins %(minutes)d minutes à l'avance.",
                minutes=repairer.notice_minutes,
            )
        )
    if starts_at >= now + timedelta(days=repairer.horizon_days):
        return BookingError(_("On ne peut pas réserver plus de %(days)d jours à l'avance.", days=repairer.horizon_days))
    if is_bookable(starts_at, **{**inputs, "busy": []}, now=now):
        return SlotTaken()
    length = timedelta(minutes=inputs["duration_minutes"] + repairer.buffer_minutes)
    if any(opens <= starts_at and starts_at + length <= closes for opens, closes in inputs["open_intervals"]):
        return BookingError(
            _(
                "Les rendez-vous commencent toutes les %(minutes)d minutes : choisissez un des créneaux proposés.",
                minutes=repairer.grid_minutes,
            )
        )
    return BookingError(_("Le réparateur n'est pas ouvert à cette heure-là pour cette prestation."))


# -- cancelling ------------------------------------------------------------------------------------------------------


def cancel_appointment(territory, appointment: Appointment, *, actor, reason: str = "") -> None:
    """Cancel an appointment that holds a place, and free it. The resident may cancel until the repairer's deadline
    (``cancel_deadline_hours`` before the start); the repairer's staff at any time."""
    if appointment.territory_id != territory.id:
        raise BookingError(_("Rendez-vous introuvable."))
    repairer = appointment.repairer
    lock_row(Repairer, repairer.id)  # no booking of this repairer reads the agenda halfway through the change
    db.session.refresh(appointment)
    if appointment.status not in HOLDING_STATUSES:
        raise BookingError(_("Ce rendez-vous ne peut plus être annulé."))
    now = clock.now()
    by_staff = is_staff(actor, repairer.organisation)
    if not by_staff:
        if actor is None or appointment.resident_id != actor.id:
            raise BookingError(_("Vous ne pouvez pas annuler ce rendez-vous."))
        if appointment.starts_at - now < timedelta(hours=repairer.cancel_deadline_hours):
            raise BookingError(
                _(
                    "Ce rendez-vous ne peut plus être annulé en ligne moins de %(hours)d heures avant : "
                    "contactez le réparateur.",
                    hours=repairer.cancel_deadline_hours,
                )
            )
    appointment.status = CANCELLED
    appointment.ics_sequence = (appointment.ics_sequence or 0) + 1  # the calendar's copy is called off
    appointment.cancelled_at = now
    appointment.cancelled_by_id = getattr(actor, "id", None)
    appointment.status_message = reason.strip()
    db.session.flush()
    audit.record(
        "bikerepair.appointment_cancelled", actor=actor, territory=territory, obj=appointment, reason=reason.strip()
    )
    notices.cancelled(territory, appointment, actor=actor, by_staff=by_staff)
