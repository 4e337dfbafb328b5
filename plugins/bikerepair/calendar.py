"""The ``.ics`` of an appointment: attached to the e-mails and offered as a download ("Ajouter à mon agenda").

Times are written in the territory's timezone with its ``TZID`` (see :mod:`platformcoop.notifications.ics`), so the
calendar shows the wall-clock time the resident chose, DST included. One ``UID`` per appointment; its ``SEQUENCE``
(``Appointment.ics_sequence``) goes up each time the time changes or the appointment is called off.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from platformcoop.notifications.ics import ICS_MIMETYPE, calendar_event
from plugins.bikerepair.models import HOLDING_STATUSES, Appointment

FILENAME = "rendez-vous-velo.ics"


def appointment_ics(
    territory, appointment: Appointment, *, url: str | None = None, start: datetime | None = None
) -> bytes:
    """The invitation, in the current locale; ``CANCEL`` when the appointment no longer holds a place. ``start``: the
    time to show instead of the appointment's (a proposed new time; the length stays the appointment's)."""
    start = start or appointment.starts_at
    organisation = appointment.repairer.organisation
    location = ", ".join(
        part for part in (organisation.address, f"{organisation.postcode} {organisation.city}".strip()) if part
    )
    lines = [appointment.service.name]
    if appointment.description:
        lines.append(appointment.description)
    if organisation.contact_phone:
        lines.append(_("Téléphone : %(phone)s", phone=organisation.contact_phone))
    return calendar_event(
        uid=f"bikerepair-appointment-{appointment.id}@{territory.slug}",
        summary=_("Réparation de vélo — %(repairer)s", repairer=organisation.name),
        start=start,
        end=start + (appointment.ends_at - appointment.starts_at),
        timezone=territory.timezone,
        description="\n".join(lines),
        location=location,
        url=url,
        sequence=appointment.ics_sequence,
        cancelled=appointment.status not in HOLDING_STATUSES and appointment.status != "done",
    )


def attachment(
    territory, appointment: Appointment, *, url: str | None = None, start: datetime | None = None
) -> tuple[str, str, bytes]:
    """The ``(filename, mimetype, content)`` triple that :func:`~platformcoop.notifications.service.notify` attaches."""
    return FILENAME, ICS_MIMETYPE, appointment_ics(territory, appointment, url=url, start=start)
