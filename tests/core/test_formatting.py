"""The display of instants in the territory's time zone and the reader's language, DST included."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from platformcoop.formatting import local_date, local_datetime, local_time

PARIS = SimpleNamespace(timezone="Europe/Paris")
# Monday 30 March 2026, 08:00 UTC: 10:00 in Paris (summer time since Sunday)
SUMMER = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
# Friday 27 March 2026, 09:00 UTC: 10:00 in Paris (still winter time)
WINTER = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)


def test_an_instant_is_shown_at_the_territorys_wall_time_on_both_sides_of_the_spring_change():
    assert local_time(SUMMER, PARIS) == "10:00"
    assert local_time(WINTER, PARIS) == "10:00"
    assert local_datetime(SUMMER, PARIS) == "30/03/2026 10:00"


def test_the_reader_language_decides_the_format():
    assert local_time(SUMMER, PARIS, "en") == "10:00\u202fAM"
    assert local_date(SUMMER, PARIS, locale="en") == "March 30, 2026"
    assert local_date(SUMMER, PARIS) == "30 mars 2026"


def test_nothing_shows_for_no_instant():
    assert local_time(None, PARIS) == local_datetime(None, PARIS) == local_date(None, PARIS) == ""
