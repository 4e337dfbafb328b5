"""The credited minutes of a session (a pure function: rounding to the step, weighting per child and at night, DST)
and the small rules around it (local times, the weekly cap's week)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction

import pytest

from platformcoop.extensions import db
from plugins.timebank import childcare
from plugins.timebank.childcare import round_to_step, weighted_minutes
from plugins.timebank.models import Account, Session
from plugins.timebank.services import TimebankError
from tests.plugins.timebank.support import territory
from tests.plugins.timebank.test_childcare import MONDAY, SATURDAY, at, family, paris, set_settings

PARIS = "Europe/Paris"
RULES = {
    "weighting": False,
    "extra_child_percent": 50,
    "night_percent": 0,
    "night_start_hour": 22,
    "night_end_hour": 7,
    "step_minutes": 15,
}


def local(day: date, hour: int, minute: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(PARIS)).astimezone(UTC)


def minutes(start, end, children=1, **rules) -> int:
    return weighted_minutes(start, end, children, {**RULES, **rules}, PARIS)


@pytest.mark.parametrize(
    ("raw", "step", "expected"),
    [(210, 15, 210), (7, 15, 0), (8, 15, 15), (Fraction(45, 2), 15, 30), (22, 15, 15), (37.5, 15, 45), (50, 60, 60)],
)
def test_rounding_goes_to_the_nearest_step_halves_up(raw, step, expected):
    assert round_to_step(Fraction(raw), step) == expected


def test_one_hour_is_one_hour_without_weighting_whatever_the_children():
    assert minutes(local(SATURDAY, 14, 10), local(SATURDAY, 17, 40), children=2) == 210  # scenario 5: 3 h 30
    assert minutes(local(SATURDAY, 14, 0), local(SATURDAY, 17, 7), children=3) == 180  # 3 h 07 → 3 h


def test_weighting_adds_a_share_per_additional_child():
    start, end = local(SATURDAY, 14), local(SATURDAY, 17)
    assert minutes(start, end, children=1, weighting=True) == 180
    assert minutes(start, end, children=2, weighting=True) == 270  # +50 %
    assert minutes(start, end, children=3, weighting=True, extra_child_percent=25) == 270  # +2 × 25 %


def test_weighting_adds_the_night_share_for_the_minutes_between_the_night_hours():
    start, end = local(SATURDAY, 20), local(SATURDAY, 23)  # 1 h of night (22:00–23:00)
    assert minutes(start, end, weighting=True, night_percent=50) == 210  # 180 + 30
    assert minutes(start, end, weighting=False, night_percent=50) == 180  # weighting off: no surcharge
    overnight = minutes(local(SATURDAY, 21), local(SATURDAY + timedelta(days=1), 8), weighting=True, night_percent=100)
    assert overnight == 660 + 540  # 11 h, of which 9 h of night (22:00–07:00) counted twice


def test_the_two_surcharges_add_up():
    start, end = local(SATURDAY, 21), local(SATURDAY, 23)  # 2 h, 1 h of night, 2 children
    assert minutes(start, end, children=2, weighting=True, night_percent=50) == 120 + 60 + 30


def test_a_dst_night_counts_its_real_hours():
    spring = date(2026, 3, 28)  # the clocks go from 02:00 to 03:00 on Sunday 29 March
    start, end = local(spring, 23), local(spring + timedelta(days=1), 4)
    assert minutes(start, end) == 240  # 5 h on the wall clock, 4 h lived
    assert minutes(start, end, weighting=True, night_percent=100) == 480  # all night


def test_credited_minutes_reads_the_territorys_settings_and_the_declared_times(ctx, people):
    with at(MONDAY):
        ids = family(people)
        set_settings(weighting=True)
        t = territory()
        session = Session(
            territory_id=t.id,
            starts_at=paris(SATURDAY, 14),
            ends_at=paris(SATURDAY, 17, 30),
            actual_start=paris(SATURDAY, 14, 10),
            actual_end=paris(SATURDAY, 17, 40),
        )
        children = childcare.children_of(t, db.session.get(Account, ids["anne"]))
        session.children = children[:1]
        assert childcare.credited_minutes(t, session) == 210
        session.children = children
        assert childcare.credited_minutes(t, session) == 315  # +50 % for the second child


def test_local_times_are_stored_in_utc():
    class Libercourt:
        timezone = PARIS

    winter = childcare.local_interval(Libercourt, SATURDAY, time(14), time(17, 30))
    summer = childcare.local_interval(Libercourt, date(2026, 7, 4), time(14), time(17, 30))
    assert winter == (datetime(2026, 3, 14, 13, 0, tzinfo=UTC), datetime(2026, 3, 14, 16, 30, tzinfo=UTC))
    assert summer[0] == datetime(2026, 7, 4, 12, 0, tzinfo=UTC)
    assert childcare.local_interval(Libercourt, SATURDAY, time(22), time(1))[1] == datetime(
        2026, 3, 15, 0, 0, tzinfo=UTC
    )
    with pytest.raises(TimebankError, match="L'heure de fin doit être après"):
        childcare.local_interval(Libercourt, SATURDAY, time(14), time(14))


def test_the_period_reads_in_french():
    class Libercourt:
        timezone = PARIS

    assert childcare.period_label(Libercourt, local(SATURDAY, 14), local(SATURDAY, 17, 30)) == (
        "samedi 14 mars 2026, de 14:00 à 17:30"
    )
