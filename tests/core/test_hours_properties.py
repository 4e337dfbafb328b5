"""Properties of ``open_intervals`` over random weeks, closures, days off and windows (Hypothesis).

Whatever the schedule: the intervals are sorted, disjoint, non-empty, inside ``[start, end)``, never intersect a
closure, never fall on a day off, and every instant in them is inside a weekly range of its local day.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from platformcoop.extensions import db
from platformcoop.hours import open_intervals
from platformcoop.hours import services as hours
from platformcoop.hours.models import Closure, Schedule, TerritoryHoliday, WeeklyRange
from platformcoop.tenancy.models import Territory

PARIS = ZoneInfo("Europe/Paris")
# Around both 2026 changeovers, so that DST days come up often.
WINDOW_STARTS = [
    datetime(2026, 3, 25, tzinfo=UTC),
    datetime(2026, 10, 21, tzinfo=UTC),
    datetime(2026, 4, 29, tzinfo=UTC),
]


@st.composite
def day_ranges(draw) -> list[tuple[int, int]]:
    """Up to three non-overlapping ranges of one day, on a 15-minute grid."""
    cuts = sorted(draw(st.sets(st.integers(0, 96), max_size=6)))
    pairs = list(zip(cuts[0::2], cuts[1::2], strict=False))
    return [(a * 15, b * 15) for a, b in pairs if b > a]


@st.composite
def instants(draw, base: datetime) -> datetime:
    return base + timedelta(minutes=draw(st.integers(0, 10 * 24 * 4)) * 15)


@st.composite
def scenarios(draw):
    base = draw(st.sampled_from(WINDOW_STARTS))
    week = {weekday: draw(day_ranges()) for weekday in range(7)}
    closures = []
    for _ in range(draw(st.integers(0, 4))):
        start = draw(instants(base))
        closures.append((start, start + timedelta(minutes=draw(st.integers(1, 3 * 24 * 4)) * 15)))
    days_off = draw(st.sets(st.sampled_from([base.date() + timedelta(days=n) for n in range(10)]), max_size=2))
    start = draw(instants(base))
    end = start + timedelta(minutes=draw(st.integers(0, 8 * 24 * 4)) * 15)
    return week, closures, days_off, start, end


@pytest.fixture
def schedule_id(ctx, libercourt) -> int:
    territory = db.session.get(Territory, libercourt)
    schedule = hours.schedule_for(territory, "property", 1)
    db.session.commit()
    return schedule.id


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=scenarios())
def test_open_intervals_are_sorted_disjoint_inside_the_window_and_avoid_closures(schedule_id, scenario):
    week, closures, days_off, start, end = scenario
    schedule = db.session.get(Schedule, schedule_id)
    try:
        for weekday, ranges in week.items():
            for a, b in ranges:
                db.session.add(
                    WeeklyRange(
                        territory_id=schedule.territory_id,
                        schedule_id=schedule.id,
                        weekday=weekday,
                        start_minute=a,
                        end_minute=b,
                    )
                )
        for a, b in closures:
            db.session.add(Closure(territory_id=schedule.territory_id, schedule_id=schedule.id, starts_at=a, ends_at=b))
        for day in days_off:
            db.session.add(TerritoryHoliday(territory_id=schedule.territory_id, day=day, label="Jour de test"))
        db.session.flush()

        intervals = open_intervals(schedule, start, end)
    finally:
        db.session.rollback()

    for a, b in intervals:
        assert a.tzinfo is not None and b.tzinfo is not None
        assert start <= a < b <= end
        assert all(b <= c_start or a >= c_end for c_start, c_end in closures)
        for instant in (a, b - timedelta(seconds=1)):
            local = instant.astimezone(PARIS)
            assert local.date() not in days_off
            minute = local.hour * 60 + local.minute
            assert any(r_start <= minute < r_end for r_start, r_end in week[local.weekday()])
    for (_a1, b1), (a2, _b2) in itertools.pairwise(intervals):
        assert b1 < a2  # sorted and disjoint; touching intervals are joined


def test_days_off_hold_in_the_property_test_too(schedule_id):
    """Sanity check of the fixture the property test relies on: a day off closes the whole local day."""
    schedule = db.session.get(Schedule, schedule_id)
    for weekday in range(7):
        hours.set_day_ranges(schedule, weekday, [(0, 1440)])
    hours.add_territory_holiday(schedule.territory, date(2026, 6, 3), "Jour de test")
    db.session.commit()
    start = datetime(2026, 6, 2, tzinfo=PARIS)

    intervals = open_intervals(schedule, start, start + timedelta(days=3))

    assert intervals == [
        (datetime(2026, 6, 1, 22, tzinfo=UTC), datetime(2026, 6, 2, 22, tzinfo=UTC)),
        (datetime(2026, 6, 3, 22, tzinfo=UTC), datetime(2026, 6, 4, 22, tzinfo=UTC)),
    ]
