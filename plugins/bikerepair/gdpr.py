"""What bike repair holds about a person: the export, and the erasure that keeps the repairers' agendas whole.

The person's own things are theirs: their bikes with their maintenance booklets, and the appointments they booked.
What a repairer's staff member saw of customers belongs to those customers: a staff member's export holds none of it
(the core lists the organisations they work for).

On erasure the bikes go (booklets and photos with them); the appointments to come are cancelled, whatever the
cancellation deadline, so that their places free up, and the repairers' staff are told through the resident's
cancellation notice (``notices.cancelled``); every appointment stays in the repairers' agendas and in the statistics
as "Ancien membre": no account, no description of the problem, no photo, no phone number.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from platformcoop import audit, clock
from platformcoop.accounts.gdpr import ERASED_DISPLAY_NAME
from platformcoop.extensions import db
from platformcoop.media.services import delete_upload
from plugins.bikerepair import notices
from plugins.bikerepair.models import (
    BIKE_TYPES,
    CANCELLED,
    HOLDING_STATUSES,
    Appointment,
    Bike,
    BookletEntry,
    Repairer,
)

# What the repairers see instead of an erased resident's name (the CHECK "someone" wants a name without an account):
# the core's own name for an erased account.
ERASED_NAME = ERASED_DISPLAY_NAME
ERASED_REASON = "La personne a supprimé son compte."


# -- export -----------------------------------------------------------------------------------------------------------


def export_user_data(territory, user) -> dict | None:
    """The person's bikes (with their booklets) and the appointments they booked; None when there is none."""
    bikes = [_bike(bike) for bike in _bikes_of(territory, user)]
    appointments = [_appointment(territory, appointment) for appointment in _appointments_of(territory, user)]
    if not bikes and not appointments:
        return None  # the module holds nothing about this person here
    return {"timezone": territory.timezone, "bikes": bikes, "appointments": appointments}


def _bikes_of(territory, user) -> list[Bike]:
    return list(
        db.session.scalars(
            select(Bike)
            .where(Bike.territory_id == territory.id, Bike.owner_id == user.id)
            .options(
                selectinload(Bike.booklet).selectinload(BookletEntry.by_repairer).selectinload(Repairer.organisation)
            )
            .order_by(Bike.created_at, Bike.id)
        )
    )


def _appointments_of(territory, user) -> list[Appointment]:
    return list(
        db.session.scalars(
            select(Appointment)
            .where(Appointment.territory_id == territory.id, Appointment.resident_id == user.id)
            .options(
                selectinload(Appointment.repairer).selectinload(Repairer.organisation),
                selectinload(Appointment.service),
                selectinload(Appointment.bike),
            )
            .order_by(Appointment.starts_at, Appointment.id)
        )
    )


def _bike(bike: Bike) -> dict[str, Any]:
    return {
        "name": bike.name,
        "type": bike.bike_type,
        "type_label": str(BIKE_TYPES.get(bike.bike_type, bike.bike_type)),
        "brand": bike.brand,
        "notes": bike.notes,
        "has_photo": bike.photo_id is not None,
        "created_at": bike.created_at,
        "booklet": [
            {
                "done_on": entry.done_on,
                "work": entry.work,
                "parts": entry.parts,
                "price_cents": entry.price_cents,
                "repairer": entry.by_repairer.organisation.name if entry.by_repairer is not None else None,
                "has_photo": entry.photo_id is not None,
                "created_at": entry.created_at,
            }
            for entry in bike.booklet
        ],
    }


def _appointment(territory, appointment: Appointment) -> dict[str, Any]:
    tz = ZoneInfo(territory.timezone)

    def local(instant: datetime | None) -> str | None:
        return instant.astimezone(tz).isoformat() if instant is not None else None

    return {
        "repairer": appointment.repairer.organisation.name,
        "service": appointment.service.name,
        "starts_at_utc": appointment.starts_at,
        "starts_at_local": local(appointment.starts_at),
        "ends_at_utc": appointment.ends_at,
        "ends_at_local": local(appointment.ends_at),
        "status": appointment.status,
        "status_label": appointment.status_label,
        "description": appointment.description,
        "has_photo": appointment.photo_id is not None,
        "bike": appointment.bike.name if appointment.bike is not None else None,
        "proposed_starts_at_utc": appointment.proposed_starts_at,
        "proposed_starts_at_local": local(appointment.proposed_starts_at),
        "repairer_message": appointment.status_message,
        "booked_at": appointment.created_at,
        "cancelled_at": appointment.cancelled_at,
    }


# -- erasure ----------------------------------------------------------------------------------------------------------


def erase_user_data(territory, user) -> None:
    """Erase what is the person's in ``territory``; the appointments stay, anonymised. The caller commits."""
    cancelled = _cancel_upcoming(territory, user)
    _anonymise_appointments(territory, user)
    _delete_bikes(territory, user)
    db.session.flush()
    for appointment in cancelled:  # told once anonymised: "Ancien membre annule son rendez-vous…"
        notices.cancelled(territory, appointment, actor=None, by_staff=False)


def _cancel_upcoming(territory, user) -> list[Appointment]:
    """The appointments to come that hold a place are cancelled, whatever the cancellation deadline (the person is
    gone), so that their places free up; an audit row says why."""
    now = clock.now()
    upcoming = db.session.scalars(
        select(Appointment)
        .where(
            Appointment.territory_id == territory.id,
            Appointment.resident_id == user.id,
            Appointment.status.in_(HOLDING_STATUSES),
            Appointment.starts_at > now,
        )
        .order_by(Appointment.starts_at, Appointment.id)
    ).all()
    for appointment in upcoming:
        appointment.status = CANCELLED
        appointment.cancelled_at = now
        appointment.proposed_starts_at = None
        appointment.status_message = ERASED_REASON
        appointment.ics_sequence = (appointment.ics_sequence or 0) + 1  # the calendar's copy is called off
        db.session.flush()
        audit.record("bikerepair.appointment_cancelled", territory=territory, obj=appointment, reason="account erased")
    return list(upcoming)


def _anonymise_appointments(territory, user) -> None:
    """Every appointment the person booked stays in the agenda (and the statistics) under "Ancien membre"."""
    appointments = db.session.scalars(
        select(Appointment)
        .where(Appointment.territory_id == territory.id, Appointment.resident_id == user.id)
        .options(selectinload(Appointment.photo), selectinload(Appointment.resident))
    ).all()
    for appointment in appointments:
        photo = appointment.photo
        appointment.resident = None  # the relationship too: the staff's notice must not find the name again
        appointment.walk_in_name = ERASED_NAME
        appointment.walk_in_phone = ""
        appointment.description = ""
        appointment.photo = None
        if photo is not None:
            delete_upload(photo)
    db.session.flush()


def _delete_bikes(territory, user) -> None:
    """The bikes go with their booklets and photos. The appointments that named a bike lose the link first (SQLite
    does not apply ``ON DELETE SET NULL``), so that repairers keep their history."""
    bikes = _bikes_of(territory, user)
    if not bikes:
        return
    ids = [bike.id for bike in bikes]
    for appointment in db.session.scalars(select(Appointment).where(Appointment.bike_id.in_(ids))):
        appointment.bike = None
    photos = {}
    for bike in bikes:
        for upload in [bike.photo, *(entry.photo for entry in bike.booklet)]:
            if upload is not None:
                photos[upload.id] = upload
        db.session.delete(bike)  # its booklet follows (delete-orphan)
    db.session.flush()
    for upload in photos.values():  # after the rows that point to them
        delete_upload(upload)
