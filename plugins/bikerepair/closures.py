"""Exceptional closures of a repairer, with what happens to the appointments they cover.

A closure is the core's (``hours.add_closure`` on the organisation's opening schedule), so the slot engine stops
offering its times at once. Unlike the tools we replace, a closure never silently ignores existing bookings: the
owner first sees the appointments it covers, then chooses for each one — cancel it (with the closure's reason) or
propose another time — and everything happens in one transaction, under the repairer's lock, through the booking and
lifecycle services, which tell the residents.

If the appointments under the closure changed between the owner's look and the confirmation (a new booking came in),
:class:`ClosureChanged` asks to look again: nothing is written.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from platformcoop.extensions import db
from platformcoop.hours import services as hours
from platformcoop.hours.models import Closure
from platformcoop.organisations.services import opening_schedule
from plugins.bikerepair import booking, lifecycle
from plugins.bikerepair.models import HOLDING_STATUSES, Appointment, Repairer

CANCEL = "annuler"
PROPOSE = "proposer"


class ClosureChanged(booking.BookingError):
    """The appointments under the closure are not the ones the owner confirmed."""


def appointments_under(territory, repairer: Repairer, start: datetime, end: datetime) -> list[Appointment]:
    """The appointments holding a place (pending, accepted, proposed) whose time overlaps ``[start, end)``, or whose
    proposed new time does, by start."""
    overlaps = (Appointment.starts_at < end) & (Appointment.ends_at > start)
    proposed_inside = (Appointment.proposed_starts_at < end) & (Appointment.proposed_starts_at >= start)
    return list(
        db.session.scalars(
            select(Appointment)
            .options(joinedload(Appointment.service), joinedload(Appointment.resident))
            .where(
                Appointment.territory_id == territory.id,
                Appointment.repairer_id == repairer.id,
                Appointment.status.in_(HOLDING_STATUSES),
                overlaps | proposed_inside,
            )
            .order_by(Appointment.starts_at, Appointment.id)
        )
    )


def add_closure(
    territory,
    repairer: Repairer,
    start: datetime,
    end: datetime,
    reason: str,
    actor,
    decisions: dict[int, tuple[str, datetime | None]] | None = None,
):
    """Close the repairer over ``[start, end)`` and deal with the appointments it covers.

    ``decisions`` maps each covered appointment's id to ``("annuler", None)`` or ``("proposer", new_start)``; it must
    name exactly the appointments covered now (else :class:`ClosureChanged`). Returns the core ``Closure``. Raises
    ``BookingError`` (a proposed time not bookable…) or ``hours.ScheduleError``; the caller rolls back.
    """
    if repairer.territory_id != territory.id:
        raise booking.BookingError(_("Réparateur introuvable."))
    decisions = decisions or {}
    db.session.flush()
    hours.lock_row(Repairer, repairer.id)  # no booking slips under the closure while it is being added
    covered = appointments_under(territory, repairer, start, end)
    if {appointment.id for appointment in covered} != set(decisions):
        raise ClosureChanged(
            _("Les rendez-vous concernés ont changé entre-temps : vérifiez la liste avant de confirmer.")
        )
    closure = hours.add_closure(opening_schedule(repairer.organisation), start, end, reason, actor=actor)
    message = reason.strip() or _("Fermeture exceptionnelle")
    for appointment in covered:
        choice, new_start = decisions[appointment.id]
        if choice == PROPOSE:
            if new_start is None:
                raise booking.BookingError(_("Choisissez le nouvel horaire à proposer."))
            lifecycle.propose(territory, appointment, new_start, actor=actor, message=message)
        else:
            booking.cancel_appointment(territory, appointment, actor=actor, reason=message)
    return closure


def remove_closure(territory, repairer: Repairer, closure_id: int, actor) -> bool:
    """Remove one of the repairer's closures (False when it is not one of them): its times are offered again."""
    schedule = opening_schedule(repairer.organisation)
    closure = db.session.scalar(select(Closure).where(Closure.schedule_id == schedule.id, Closure.id == closure_id))
    if closure is None or repairer.territory_id != territory.id:
        return False
    hours.remove_closure(closure, actor=actor)
    return True
