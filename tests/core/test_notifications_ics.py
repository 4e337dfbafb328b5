"""Calendar invitations: a VEVENT in the territory's timezone (TZID), read back by a calendar parser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from platformcoop.notifications.ics import calendar_event

PARIS = ZoneInfo("Europe/Paris")


def parse(data: bytes) -> tuple[icalendar.Calendar, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(data)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_an_appointment_reads_back_with_every_field_and_local_times(frozen_clock):
    start = datetime(2026, 3, 12, 16, 30, tzinfo=UTC)  # 17:30 in Paris

    data = calendar_event(
        uid="bikerepair-booking-42@lomme",
        summary="Réparation de vélo",
        description="Apportez votre vélo et la pièce.",
        location="Atelier Vélo Lomme, 3 rue du Port",
        start=start,
        end=start + timedelta(minutes=45),
        timezone="Europe/Paris",
        url="http://localhost/lomme/velo/rendez-vous/42",
    )

    assert isinstance(data, bytes)
    assert b"DTSTART;TZID=Europe/Paris:20260312T173000" in data
    assert b"DTEND;TZID=Europe/Paris:20260312T181500" in data
    calendar, event = parse(data)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"], "the zone a TZID names is described"
    assert str(event["uid"]) == "bikerepair-booking-42@lomme"
    assert str(event["summary"]) == "Réparation de vélo"
    assert str(event["description"]) == "Apportez votre vélo et la pièce."
    assert str(event["location"]) == "Atelier Vélo Lomme, 3 rue du Port"
    assert str(event["url"]) == "http://localhost/lomme/velo/rendez-vous/42"
    assert event.decoded("dtstart") == start
    assert event.decoded("dtend") == start + timedelta(minutes=45)
    assert event.decoded("dtstamp") == frozen_clock, "DTSTAMP comes from the platform clock"
    assert str(calendar["method"]) == "PUBLISH"


def test_an_appointment_across_the_spring_dst_change_keeps_its_wall_clock_times(frozen_clock):
    # 29 March 2026: Paris goes from UTC+1 to UTC+2 at 02:00 (01:00 UTC).
    start = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 Paris, before the change
    end = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 Paris, after it

    data = calendar_event(uid="x@lomme", summary="Permanence", start=start, end=end, timezone="Europe/Paris")

    assert b"DTSTART;TZID=Europe/Paris:20260329T013000" in data
    assert b"DTEND;TZID=Europe/Paris:20260329T033000" in data
    _, event = parse(data)
    assert (event.decoded("dtstart"), event.decoded("dtend")) == (start, end), "one real hour apart"


def test_a_cancellation_keeps_the_uid_and_says_cancelled(frozen_clock):
    start = datetime(2026, 4, 2, 8, tzinfo=UTC)

    data = calendar_event(
        uid="x@lomme",
        summary="Permanence",
        start=start,
        end=start + timedelta(hours=1),
        timezone="Europe/Paris",
        sequence=2,
        cancelled=True,
    )

    calendar, event = parse(data)
    assert (str(calendar["method"]), str(event["status"]), event["sequence"]) == ("CANCEL", "CANCELLED", 2)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2026, 4, 2, 10), datetime(2026, 4, 2, 11)),  # naive: ambiguous
        (datetime(2026, 4, 2, 10, tzinfo=PARIS), datetime(2026, 4, 2, 9, tzinfo=PARIS)),  # ends before it starts
    ],
)
def test_naive_or_backwards_times_are_refused(start, end):
    with pytest.raises(ValueError):
        calendar_event(uid="x", summary="x", start=start, end=end, timezone="Europe/Paris")
