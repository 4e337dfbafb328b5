"""Calendar invitations (``.ics``) that modules attach to e-mails about an appointment, a session, a collection slot.

Times are written in the territory's timezone with a ``TZID`` (and its ``VTIMEZONE``), so a calendar shows the
appointment at the local wall-clock time, DST included::

    from platformcoop.notifications.ics import calendar_event, ICS_MIMETYPE

    invitation = calendar_event(
        uid=f"bikerepair-booking-{booking.id}@{territory.slug}",
        summary=_("Réparation de vélo"),
        start=booking.starts_at, end=booking.ends_at, timezone=territory.timezone,
        location=workshop.address, description=..., url=...,
    )
    notify(user, ..., attachments=[("rendez-vous.ics", ICS_MIMETYPE, invitation)])

Send the same ``uid`` (and a higher ``sequence``) for a changed appointment, and ``cancelled=True`` when it is off.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from platformcoop import clock

ICS_MIMETYPE = "text/calendar"
PRODID = "-//PlatformCoop//Notifications//FR"


def calendar_event(
    *,
    uid: str,
    summary: str,
    start: datetime,
    end: datetime,
    timezone: str,
    description: str = "",
    location: str = "",
    url: str | None = None,
    sequence: int = 0,
    cancelled: bool = False,
) -> bytes:
    """A ``VCALENDAR`` holding one ``VEVENT``, as bytes ready to attach.

    ``start`` and ``end`` are aware instants (any zone: they are shown in ``timezone``, e.g. the territory's).
    ``DTSTAMP`` is the platform clock's now.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("calendar_event needs timezone-aware start and end")
    if end <= start:
        raise ValueError("calendar_event: the end must come after the start")
    zone = ZoneInfo(timezone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", clock.now().astimezone(UTC))
    event.add("dtstart", start.astimezone(zone))
    event.add("dtend", end.astimezone(zone))
    event.add("summary", str(summary))
    if description:
        event.add("description", str(description))
    if location:
        event.add("location", str(location))
    if url:
        event.add("url", url)
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    # Describe the zone's rules around the event only, not since 1970: a small file that any client understands.
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    calendar.add_missing_timezones(
        first_date=(local_start - timedelta(days=366)).date(), last_date=(local_end + timedelta(days=366)).date()
    )
    return calendar.to_ical()
