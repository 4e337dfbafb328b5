"""An appointment's life after its booking: the staff accept, refuse, propose another time, record the repair or the
absence; the resident answers a proposal; the scheduler expires the requests left unanswered.

Each status change is one conditional update (``UPDATE … WHERE id = … AND status IN (expected)``): when the row
changed meanwhile (another staff member, the resident, the scheduler), nothing is done and :class:`Changed` says what
the appointment is now. A new time goes through the booking's own check (``booking.py``), under the repairer's lock.

Services never commit. Who is told, and how (notification, e-mail, ``.ics``), is ``notices.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select, update

from platformcoop import audit, clock
from platformcoop.extensions import db
from platformcoop.hours.services import lock_row
from platformcoop.organisations.services import is_staff
from plugins.bikerepair import notices
from plugins.bikerepair.booking import BookingError, engine_inputs, takes_bookings, why_refused
from plugins.bikerepair.models import (
    ACCEPTED,
    APPOINTMENT_STATUSES,
    CANCELLED,
    DONE,
    EXPIRED,
    NO_SHOW,
    PENDING,
    PROPOSED,
    REFUSED,
    Appointment,
    BookletEntry,
    Repairer,
)
from plugins.bikerepair.slots import is_bookable

KIND_RESIDENT, KIND_STAFF = notices.KIND_RESIDENT, notices.KIND_STAFF
NEXT_SEQUENCE = Appointment.ics_sequence + 1  # the .ics changes: its time moved, or it is called off


class NotAllowed(BookingError):
    """The actor may not do this to this appointment."""


class Changed(BookingError):
    """The appointment is no longer in a status this step starts from."""


# -- the common steps --------------------------------------------------------------------------------------------------


def _check_territory(territory, appointment: Appointment) -> None:
    if appointment.territory_id != territory.id:
        raise BookingError(_("Rendez-vous introuvable."))


def _check_staff(territory, appointment: Appointment, actor) -> None:
    _check_territory(territory, appointment)
    if not is_staff(actor, appointment.repairer.organisation):
        raise NotAllowed(_("Seule l'équipe du réparateur peut traiter ce rendez-vous."))


def _changed(status: str | None) -> Changed:
    return Changed(
        _(
            "Rien n'a été fait : ce rendez-vous est maintenant « %(status)s ».",
            status=str(APPOINTMENT_STATUSES.get(status, status)),
        )
    )


def _check_status(appointment: Appointment, expected: tuple[str, ...]) -> None:
    """An early, friendly refusal; :func:`_move` is what guarantees it."""
    db.session.refresh(appointment)
    if appointment.status not in expected:
        raise _changed(appointment.status)


def _move(territory, appointment: Appointment, expected: tuple[str, ...], **values) -> None:
    """The conditional status change: refused (:class:`Changed`) unless the appointment is still in ``expected``."""
    result = db.session.execute(
        update(Appointment)
        .where(
            Appointment.id == appointment.id,
            Appointment.territory_id == territory.id,
            Appointment.status.in_(expected),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(appointment)
    if result.rowcount != 1:
        raise _changed(db.session.scalar(select(Appointment.status).where(Appointment.id == appointment.id)))


def _check_time(territory, appointment: Appointment, starts_at: datetime) -> None:
    """The booking's check for moving ``appointment`` to ``starts_at``: under the repairer's lock, against the agenda
    without this appointment. Raises :class:`BookingError` (or ``SlotTaken``)."""
    repairer, service = appointment.repairer, appointment.service
    db.session.flush()
    lock_row(Repairer, repairer.id)
    db.session.refresh(repairer)
    db.session.refresh(service)
    if not takes_bookings(territory, repairer, service):
        raise BookingError(_("Ce réparateur ne prend pas de rendez-vous pour cette prestation en ce moment."))
    now = clock.now()
    inputs = engine_inputs(territory, repairer, service, starts_at, starts_at, exclude=appointment.id)
    if not is_bookable(starts_at, **inputs, now=now):
        raise why_refused(starts_at, inputs, repairer, now)


# -- the staff's steps -------------------------------------------------------------------------------------------------


def accept(territory, appointment: Appointment, *, actor) -> None:
    """The staff accept a pending request."""
    _check_staff(territory, appointment, actor)
    _move(territory, appointment, (PENDING,), status=ACCEPTED, decided_at=clock.now(), status_message="")
    audit.record("bikerepair.appointment_accepted", actor=actor, territory=territory, obj=appointment)
    notices.accepted(territory, appointment, actor=actor)


def refuse(territory, appointment: Appointment, *, actor, message: str) -> None:
    """The staff refuse a pending request, saying why."""
    _check_staff(territory, appointment, actor)
    message = (message or "").strip()
    if not message:
        raise BookingError(_("Indiquez pourquoi la demande est refusée."))
    _move(
        territory,
        appointment,
        (PENDING,),
        status=REFUSED,
        decided_at=clock.now(),
        status_message=message,
        ics_sequence=NEXT_SEQUENCE,
    )
    audit.record("bikerepair.appointment_refused", actor=actor, territory=territory, obj=appointment, message=message)
    notices.refused(territory, appointment, actor=actor)


def propose(territory, appointment: Appointment, new_start: datetime, *, actor, message: str = "") -> None:
    """The staff propose another time for a pending or accepted appointment. The new time must be bookable (the
    agenda without this appointment); the appointment keeps its place until the resident answers."""
    if new_start.tzinfo is None:
        raise ValueError("propose needs an aware datetime")
    new_start = new_start.astimezone(UTC)
    _check_staff(territory, appointment, actor)
    expected = (PENDING, ACCEPTED)
    _check_status(appointment, expected)
    if new_start == appointment.starts_at:
        raise BookingError(_("C'est déjà l'horaire de ce rendez-vous : proposez-en un autre."))
    _check_time(territory, appointment, new_start)
    message = (message or "").strip()
    _move(
        territory,
        appointment,
        expected,
        status=PROPOSED,
        proposed_starts_at=new_start,
        status_message=message,
        decided_at=clock.now(),
        ics_sequence=NEXT_SEQUENCE,
    )
    audit.record(
        "bikerepair.appointment_proposed",
        actor=actor,
        territory=territory,
        obj=appointment,
        proposed_starts_at=new_start.isoformat(),
    )
    notices.proposed(territory, appointment, actor=actor)


def mark_done(
    territory,
    appointment: Appointment,
    *,
    actor,
    work_done: str,
    parts: str = "",
    price_cents: int | None = None,
) -> BookletEntry | None:
    """The staff record the repair of an accepted appointment; with a bike, a line of its booklet (returned)."""
    _check_staff(territory, appointment, actor)
    work_done, parts = (work_done or "").strip(), (parts or "").strip()
    if not work_done:
        raise BookingError(_("Indiquez ce qui a été fait."))
    if price_cents is not None and (not isinstance(price_cents, int) or price_cents < 0):
        raise BookingError(_("Le prix ne peut pas être négatif."))
    _move(territory, appointment, (ACCEPTED,), status=DONE, status_message="")
    entry = None
    if appointment.bike_id is not None:
        entry = BookletEntry(
            territory_id=territory.id,
            bike_id=appointment.bike_id,
            done_on=appointment.starts_at.astimezone(_tz(territory)).date(),
            work=work_done,
            parts=parts,
            price_cents=price_cents,
            by_repairer_id=appointment.repairer_id,
            appointment_id=appointment.id,
            created_by_id=getattr(actor, "id", None),
            created_at=clock.now(),
        )
        db.session.add(entry)
        db.session.flush()
    audit.record("bikerepair.appointment_done", actor=actor, territory=territory, obj=appointment)
    notices.done(territory, appointment, actor=actor)
    return entry


def mark_no_show(territory, appointment: Appointment, *, actor) -> None:
    """The staff record that the resident did not come (once the appointment has started)."""
    _check_staff(territory, appointment, actor)
    if clock.now() < appointment.starts_at:
        raise BookingError(_("Un rendez-vous ne peut être noté « absent » qu'une fois son heure passée."))
    _move(territory, appointment, (ACCEPTED,), status=NO_SHOW)
    audit.record("bikerepair.appointment_no_show", actor=actor, territory=territory, obj=appointment)


# -- the resident's answer ---------------------------------------------------------------------------------------------


def answer_proposal(territory, appointment: Appointment, *, actor, accept: bool) -> None:
    """The resident accepts the proposed time (checked again: the appointment moves there, accepted) or declines it
    (the appointment is cancelled). The repairer's staff are told."""
    _check_territory(territory, appointment)
    if actor is None or appointment.resident_id is None or appointment.resident_id != actor.id:
        raise NotAllowed(_("Seule la personne qui a pris rendez-vous peut répondre à cette proposition."))
    _check_status(appointment, (PROPOSED,))
    now = clock.now()
    if accept:
        new_start = appointment.proposed_starts_at
        _check_time(territory, appointment, new_start)
        repairer = appointment.repairer
        _move(
            territory,
            appointment,
            (PROPOSED,),
            status=ACCEPTED,
            starts_at=new_start,
            ends_at=new_start + timedelta(minutes=appointment.service.duration_minutes),
            buffer_minutes=repairer.buffer_minutes,
            proposed_starts_at=None,
            decided_at=now,
            reminded_day_before_at=None,  # a new time: its reminders are still to come
            reminded_soon_at=None,
            ics_sequence=NEXT_SEQUENCE,
        )
        audit.record("bikerepair.proposal_accepted", actor=actor, territory=territory, obj=appointment)
    else:
        lock_row(Repairer, appointment.repairer_id)  # as a cancellation: no booking reads the agenda halfway
        _move(
            territory,
            appointment,
            (PROPOSED,),
            status=CANCELLED,
            proposed_starts_at=None,
            cancelled_at=now,
            cancelled_by_id=actor.id,
            ics_sequence=NEXT_SEQUENCE,
        )
        audit.record("bikerepair.proposal_declined", actor=actor, territory=territory, obj=appointment)
    notices.proposal_answered(territory, appointment, actor=actor, accepted=accept)


# -- the scheduler -----------------------------------------------------------------------------------------------------


def expire_pending(territory, now: datetime) -> int:
    """Scheduler job: the pending requests older than their repairer's ``pending_expiry_hours`` expire and the
    resident is told, once (a request answered meanwhile is left alone). Returns how many expired."""
    candidates = db.session.scalars(
        select(Appointment)
        .where(
            Appointment.territory_id == territory.id,
            Appointment.status == PENDING,
            Appointment.created_at <= now - timedelta(hours=1),  # the shortest expiry a repairer may set
        )
        .order_by(Appointment.id)
    ).all()
    expired = 0
    for appointment in candidates:
        if appointment.created_at + timedelta(hours=appointment.repairer.pending_expiry_hours) > now:
            continue
        result = db.session.execute(
            update(Appointment)
            .where(Appointment.id == appointment.id, Appointment.status == PENDING)
            .values(status=EXPIRED, decided_at=now, ics_sequence=NEXT_SEQUENCE)
            .execution_options(synchronize_session=False)
        )
        db.session.expire(appointment)
        if result.rowcount != 1:
            continue
        expired += 1
        audit.record("bikerepair.appointment_expired", territory=territory, obj=appointment)
        notices.expired(territory, appointment)
    return expired


def _tz(territory):
    return ZoneInfo(territory.timezone)
