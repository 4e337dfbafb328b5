"""The slot engine of the bike-repair module (pure: no database, no app).

Scenarios 1 (DST), 3 (duration, grid, overlap) and 5 (notice, grid, horizon) of the spec, then properties over random
weeks, closures, rules and appointments (Hypothesis).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from platformcoop.hours.services import compute_open_intervals
from plugins.bikerepair.slots import Busy, SlotRules, available_slots, is_bookable

PARIS = ZoneInfo("Europe/Paris")
MONDAY, SUNDAY = 0, 6


def paris(day: date, hour: int, minute: int = 0) -> datetime:
    """The UTC instant of a Paris wall time (the first one when the clock shows it twice)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def local_times(slots: list[datetime]) -> list[str]:
    return [slot.astimezone(PARIS).strftime("%H:%M") for slot in slots]


def rules(**changes) -> SlotRules:
    values = {"grid_minutes": 60, "capacity": 1, "buffer_minutes": 0, "notice_minutes": 0, "horizon_days": 60}
    return SlotRules(**{**values, **changes})


def week_intervals(ranges, first_day: date, days: int, closures=()) -> list[tuple[datetime, datetime]]:
    """The open intervals of whole local days, as the module asks the opening-hours component for them."""
    return compute_open_intervals(
        PARIS, ranges, set(), list(closures), paris(first_day, 0), paris(first_day + timedelta(days=days), 0)
    )


def day_slots(ranges, day: date, *, busy=(), duration=60, now=None, **rule_changes) -> list[datetime]:
    return available_slots(
        tz=PARIS,
        open_intervals=week_intervals(ranges, day, 1),
        busy=list(busy),
        duration_minutes=duration,
        rules=rules(**rule_changes),
        now=now or paris(day, 0) - timedelta(days=2),
    )


# -- scenario 1: daylight saving time ----------------------------------------------------------------------------------


def test_the_hour_the_clock_skips_offers_no_slot():
    slots = day_slots({SUNDAY: [(60, 240)]}, date(2026, 3, 29))
    assert local_times(slots) == ["01:00", "03:00"]
    assert slots == [datetime(2026, 3, 29, 0, tzinfo=UTC), datetime(2026, 3, 29, 1, tzinfo=UTC)]


def test_the_hour_the_clock_repeats_offers_one_slot():
    slots = day_slots({SUNDAY: [(60, 240)]}, date(2026, 10, 25))
    assert local_times(slots) == ["01:00", "02:00", "03:00"]
    summer_two, winter_three = datetime(2026, 10, 25, 0, tzinfo=UTC), datetime(2026, 10, 25, 2, tzinfo=UTC)
    assert slots == [datetime(2026, 10, 24, 23, tzinfo=UTC), summer_two, winter_three]


def test_a_closure_ending_in_the_repeated_hour_offers_no_slot_inside_it():
    fall_back = date(2026, 10, 25)
    closure = (datetime(2026, 10, 24, 23, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC))  # until 02:30 CET
    slots = available_slots(
        tz=PARIS,
        open_intervals=week_intervals({SUNDAY: [(60, 240)]}, fall_back, 1, [closure]),
        busy=[],
        duration_minutes=60,
        rules=rules(grid_minutes=30),
        now=paris(fall_back, 0) - timedelta(days=1),
    )
    # Grid wall times are read at their first occurrence: 02:30 would be 00:30 UTC, inside the closure.
    assert slots == [datetime(2026, 10, 25, 2, tzinfo=UTC)]  # 03:00 CET


# -- scenario 3: duration, grid and overlapping appointments -----------------------------------------------------------

JUNE_1 = date(2026, 6, 1)  # a Monday
NINE_TO_HALF_PAST_TEN = {MONDAY: [(9 * 60, 10 * 60 + 30)]}


def test_a_one_hour_service_in_an_hour_and_a_half_opening_offers_only_nine():
    assert local_times(day_slots(NINE_TO_HALF_PAST_TEN, JUNE_1)) == ["09:00"]


def test_a_half_hour_grid_offers_nine_and_half_past_nine():
    assert local_times(day_slots(NINE_TO_HALF_PAST_TEN, JUNE_1, grid_minutes=30)) == ["09:00", "09:30"]


def test_an_appointment_blocks_every_slot_it_overlaps_not_only_its_start():
    appointment = Busy(paris(JUNE_1, 9), paris(JUNE_1, 10))
    assert day_slots(NINE_TO_HALF_PAST_TEN, JUNE_1, grid_minutes=30, busy=[appointment]) == []


# -- scenario 5: notice, grid and horizon ------------------------------------------------------------------------------

EIGHT_TO_SIX = {weekday: [(8 * 60, 18 * 60)] for weekday in range(7)}


def scenario_5_arguments() -> dict:
    return {
        "tz": PARIS,
        "open_intervals": week_intervals(EIGHT_TO_SIX, JUNE_1, 20),
        "busy": [],
        "duration_minutes": 30,
        "rules": rules(grid_minutes=30, notice_minutes=120, horizon_days=14),
        "now": paris(JUNE_1, 8, 10),
    }


def test_the_first_slot_respects_the_notice_on_the_grid():
    slots = available_slots(**scenario_5_arguments())
    assert slots[0] == paris(JUNE_1, 10, 30)
    assert is_bookable(paris(JUNE_1, 10, 30), **scenario_5_arguments())
    assert not is_bookable(paris(JUNE_1, 10), **scenario_5_arguments())


def test_a_start_off_the_grid_is_not_bookable():
    assert not is_bookable(paris(JUNE_1, 10, 45), **scenario_5_arguments())
    assert not is_bookable(paris(JUNE_1, 11) + timedelta(seconds=1), **scenario_5_arguments())


def test_a_start_beyond_the_horizon_is_not_bookable():
    last_day = JUNE_1 + timedelta(days=14)
    assert is_bookable(paris(last_day, 8), **scenario_5_arguments())
    assert not is_bookable(paris(last_day, 8, 30), **scenario_5_arguments())  # now + 14 days is 08:10
    assert not is_bookable(paris(last_day + timedelta(days=1), 9), **scenario_5_arguments())


def test_the_last_slot_is_the_last_start_before_the_horizon():
    assert available_slots(**scenario_5_arguments())[-1] == paris(JUNE_1 + timedelta(days=14), 8)


# -- buffer and capacity -----------------------------------------------------------------------------------------------


def test_the_buffer_must_fit_inside_the_opening():
    assert local_times(day_slots(NINE_TO_HALF_PAST_TEN, JUNE_1, grid_minutes=30, buffer_minutes=15)) == ["09:00"]


def test_the_buffer_of_a_new_booking_cannot_overlap_an_appointment():
    ranges = {MONDAY: [(9 * 60, 12 * 60)]}
    appointment = Busy(paris(JUNE_1, 11), paris(JUNE_1, 11, 15))
    slots = day_slots(ranges, JUNE_1, grid_minutes=30, buffer_minutes=15, busy=[appointment])
    assert local_times(slots) == ["09:00", "09:30"]  # 10:00 would keep its buffer until 11:15


def test_an_appointments_buffer_keeps_its_place_taken():
    ranges = {MONDAY: [(9 * 60, 12 * 60)]}
    appointment = Busy(paris(JUNE_1, 9), paris(JUNE_1, 10, 15))  # 60 minutes + its 15-minute buffer
    slots = day_slots(ranges, JUNE_1, grid_minutes=30, buffer_minutes=15, busy=[appointment])
    assert local_times(slots) == ["10:30"]


def test_capacity_two_is_full_only_where_two_appointments_overlap():
    ranges = {MONDAY: [(9 * 60, 12 * 60)]}
    busy = [Busy(paris(JUNE_1, 9), paris(JUNE_1, 10)), Busy(paris(JUNE_1, 9, 30), paris(JUNE_1, 10, 30))]
    slots = day_slots(ranges, JUNE_1, grid_minutes=30, capacity=2, busy=busy)
    assert local_times(slots) == ["10:00", "10:30", "11:00"]


def test_capacity_two_counts_appointments_at_the_same_instant_not_in_the_same_slot():
    ranges = {MONDAY: [(9 * 60, 12 * 60)]}
    busy = [Busy(paris(JUNE_1, 9), paris(JUNE_1, 9, 30)), Busy(paris(JUNE_1, 9, 30), paris(JUNE_1, 10))]
    slots = day_slots(ranges, JUNE_1, grid_minutes=30, capacity=2, busy=busy)
    assert local_times(slots) == ["09:00", "09:30", "10:00", "10:30", "11:00"]


def test_a_closure_removes_the_slots_it_overlaps():
    ranges = {MONDAY: [(9 * 60, 12 * 60)]}
    closure = (paris(JUNE_1, 10), paris(JUNE_1, 11))
    intervals = week_intervals(ranges, JUNE_1, 1, [closure])
    slots = available_slots(
        tz=PARIS,
        open_intervals=intervals,
        busy=[],
        duration_minutes=60,
        rules=rules(grid_minutes=30),
        now=paris(JUNE_1, 0),
    )
    assert local_times(slots) == ["09:00", "11:00"]


# -- properties --------------------------------------------------------------------------------------------------------

# Around both 2026 changeovers, so that DST days come up often, and an ordinary week.
FIRST_DAYS = [date(2026, 3, 26), date(2026, 10, 22), date(2026, 6, 1)]


@st.composite
def day_ranges(draw) -> list[tuple[int, int]]:
    """Up to three non-overlapping ranges of one day, on a 15-minute grid."""
    cuts = sorted(draw(st.sets(st.integers(0, 96), max_size=6)))
    return [(a * 15, b * 15) for a, b in zip(cuts[0::2], cuts[1::2], strict=False) if b > a]


@st.composite
def bookings(draw) -> dict:
    """The arguments of :func:`available_slots` for a random week, its closures, rules and appointments."""
    first_day = draw(st.sampled_from(FIRST_DAYS))
    days = 6
    day_start = paris(first_day, 0)

    def instant(resolution: int = 5) -> datetime:
        return day_start + timedelta(minutes=draw(st.integers(0, days * 24 * 60 // resolution)) * resolution)

    closures = []
    for _ in range(draw(st.integers(0, 3))):
        begins = instant(15)
        closures.append((begins, begins + timedelta(minutes=draw(st.integers(1, 2 * 24 * 4)) * 15)))
    busy = []
    for _ in range(draw(st.integers(0, 25))):
        begins = instant()
        busy.append(Busy(begins, begins + timedelta(minutes=draw(st.integers(1, 36)) * 5)))
    slot_rules = SlotRules(
        grid_minutes=draw(st.sampled_from([15, 30, 60])),
        capacity=draw(st.integers(1, 4)),
        buffer_minutes=draw(st.sampled_from([0, 5, 10, 15, 30])),
        notice_minutes=draw(st.integers(0, 48 * 60)),
        horizon_days=draw(st.integers(1, 5)),
    )
    week = {weekday: draw(day_ranges()) for weekday in range(7)}
    return {
        "tz": PARIS,
        "open_intervals": week_intervals(week, first_day, days, closures),
        "busy": busy,
        "duration_minutes": draw(st.sampled_from([15, 30, 45, 60, 90, 120])),
        "rules": slot_rules,
        "now": day_start + timedelta(minutes=draw(st.integers(0, 24 * 60))),
    }


def most_overlapping(busy: list[Busy], start: datetime, end: datetime) -> int:
    """The most appointments of ``busy`` at one instant of ``[start, end)``, counted at every start inside it."""
    instants = [start] + [b.start for b in busy if start < b.start < end]
    return max(sum(b.start <= t < b.end for b in busy) for t in instants)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=bookings(), data=st.data())
def test_offered_slots_are_bookable_on_the_grid_and_never_overbook(scenario, data):
    arguments = scenario
    slot_rules, now = arguments["rules"], arguments["now"]
    length = timedelta(minutes=arguments["duration_minutes"] + slot_rules.buffer_minutes)
    slots = available_slots(**arguments)

    assert slots == sorted(set(slots))
    for slot in slots:
        assert is_bookable(slot, **arguments)
        assert (
            now + timedelta(minutes=slot_rules.notice_minutes) <= slot < now + timedelta(days=slot_rules.horizon_days)
        )
        (opens, _closes), *others = [(a, b) for a, b in arguments["open_intervals"] if a <= slot and slot + length <= b]
        assert not others
        wall, anchor = slot.astimezone(PARIS).replace(tzinfo=None), opens.astimezone(PARIS).replace(tzinfo=None)
        assert (wall - anchor) % timedelta(minutes=slot_rules.grid_minutes) == timedelta(0)
        assert wall.replace(tzinfo=PARIS, fold=0).astimezone(UTC) == slot  # a repeated hour: its first occurrence
        assert most_overlapping(arguments["busy"], slot, slot + length) < slot_rules.capacity

    busy = list(arguments["busy"])
    booked = []
    for slot in data.draw(st.permutations(slots)):
        if is_bookable(slot, **{**arguments, "busy": busy}):
            busy.append(Busy(slot, slot + length))
            booked.append(slot)
    for slot in booked:
        assert most_overlapping(busy, slot, slot + length) <= slot_rules.capacity
    assert slots == [] or booked  # the first slot tried is always still free
