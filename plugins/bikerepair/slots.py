"""The one slot function of the bike-repair module: which appointment start times a repairer can offer.

Pure (no database): the caller gives the repairer's open intervals (from the core's opening-hours component, closures
and holidays already removed), the existing appointments, the rules and "now". Every booking path — a resident's
booking, a staff-entered appointment, a proposed new time — asks :func:`is_bookable` with the same inputs, under a
lock (see ``plugins/bikerepair/booking.py``).

A slot is an aware-UTC start time that:

- lies on the local wall-clock grid of its open interval: the interval's start, read in the territory's time zone,
  then every ``grid_minutes`` of wall-clock time after it. A wall time the clock skips (spring forward) gives no slot;
  a wall time the clock shows twice (fall back) gives one slot, at its first occurrence;
- leaves room for the service and the buffer, ``[start, start + duration + buffer)`` in real minutes, inside that
  open interval;
- starts at least ``notice_minutes`` after now and less than ``horizon_days`` after now (and inside the caller's
  optional ``[start, end)`` window);
- has fewer than ``capacity`` existing appointments overlapping it at every instant of
  ``[start, start + duration + buffer)`` — overlapping, not only starting at the same time.

The grid is anchored on each open interval as given, so the caller asks the opening-hours component for whole days
(not from "now"): an interval cut short by a query window would move the grid.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]

# A wall-clock time this far before the window's own can still map to an instant inside it: the clock goes back at
# most this much (fall back), so walking the grid may start there instead of at the interval's first slot.
_LARGEST_CLOCK_SETBACK = timedelta(days=1)
_INSTANT = timedelta(microseconds=1)


@dataclass(frozen=True)
class SlotRules:
    grid_minutes: int  # 15, 30 or 60: starts are on this grid, counted from each opening range's local start
    capacity: int  # parallel places, 1-10
    buffer_minutes: int  # kept free after each appointment (counts for capacity and must fit in the range)
    notice_minutes: int  # a slot starts at least this long after now
    horizon_days: int  # and before now + this many days

    def __post_init__(self):
        if self.grid_minutes <= 0 or self.capacity <= 0:
            raise ValueError("the grid and the capacity must be positive")
        if min(self.buffer_minutes, self.notice_minutes, self.horizon_days) < 0:
            raise ValueError("the buffer, the notice and the horizon cannot be negative")


@dataclass(frozen=True)
class Busy:
    """An existing non-cancelled (pending, accepted, proposed) appointment."""

    start: datetime  # aware UTC
    end: datetime  # aware UTC, its end INCLUDING the buffer it was booked with


def available_slots(
    *,
    tz: ZoneInfo,
    open_intervals: list[Interval],
    busy: list[Busy],
    duration_minutes: int,
    rules: SlotRules,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[datetime]:
    """The sorted aware-UTC slot starts in ``[max(start, now + notice), min(end, now + horizon))``."""
    if duration_minutes <= 0:
        raise ValueError("a service lasts at least one minute")
    _require_aware(now, *(instant for instant in (start, end) if instant is not None))
    lowest = now + timedelta(minutes=rules.notice_minutes)
    highest = now + timedelta(days=rules.horizon_days)
    if start is not None:
        lowest = max(lowest, start)
    if end is not None:
        highest = min(highest, end)
    if highest <= lowest:
        return []
    length = timedelta(minutes=duration_minutes + rules.buffer_minutes)
    occupancy = _Occupancy(busy, lowest, highest + length)
    slots: set[datetime] = set()
    for opens, closes in open_intervals:
        if closes - length < lowest or opens >= highest:
            continue
        for slot in _grid_starts(tz, opens, closes - length, rules.grid_minutes, lowest, highest):
            if occupancy.most_during(slot, slot + length) < rules.capacity:
                slots.add(slot)
    return sorted(slots)


def is_bookable(
    slot_start: datetime,
    *,
    tz: ZoneInfo,
    open_intervals: list[Interval],
    busy: list[Busy],
    duration_minutes: int,
    rules: SlotRules,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
) -> bool:
    """Whether ``slot_start`` is one of :func:`available_slots` for the same arguments.

    Computed as the slots of a one-microsecond window at ``slot_start``, so that the two can never disagree.
    """
    _require_aware(slot_start)
    window_start = slot_start if start is None else max(start, slot_start)
    window_end = slot_start + _INSTANT if end is None else min(end, slot_start + _INSTANT)
    slots = available_slots(
        tz=tz,
        open_intervals=open_intervals,
        busy=busy,
        duration_minutes=duration_minutes,
        rules=rules,
        now=now,
        start=window_start,
        end=window_end,
    )
    return slot_start in slots


def _grid_starts(
    tz: ZoneInfo, opens: datetime, last_start: datetime, grid_minutes: int, lowest: datetime, highest: datetime
):
    """The instants on the wall-clock grid anchored at ``opens``, in ``[opens, last_start]`` and ``[lowest, highest)``.

    Existing wall times read with ``fold=0`` map to strictly increasing instants, so the walk stops at the first one
    past the bounds; wall times the clock skips are left out.
    """
    anchor = _wall(opens, tz)
    step = timedelta(minutes=grid_minutes)
    first_step = max(0, (_wall(lowest, tz) - _LARGEST_CLOCK_SETBACK - anchor) // step)
    for k in itertools.count(first_step):
        wall = anchor + k * step
        instant = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
        if _wall(instant, tz) != wall:  # skipped by the clock (spring forward)
            continue
        if instant > last_start or instant >= highest:
            return
        if instant >= opens and instant >= lowest:
            yield instant


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    """The naive local wall-clock time of ``instant``."""
    return instant.astimezone(tz).replace(tzinfo=None)


class _Occupancy:
    """How many appointments overlap, as a step function: ``counts[i]`` holds on ``[times[i], times[i + 1])``."""

    def __init__(self, busy: list[Busy], start: datetime, end: datetime):
        changes: dict[datetime, int] = {}
        for appointment in busy:
            if appointment.start < end and appointment.end > start and appointment.end > appointment.start:
                changes[appointment.start] = changes.get(appointment.start, 0) + 1
                changes[appointment.end] = changes.get(appointment.end, 0) - 1
        self.times = sorted(changes)
        self.counts = list(itertools.accumulate(changes[time] for time in self.times))

    def most_during(self, start: datetime, end: datetime) -> int:
        """The largest number of appointments overlapping at one instant of ``[start, end)``."""
        index = max(bisect.bisect_right(self.times, start) - 1, 0)
        most = 0
        while index < len(self.times) and self.times[index] < end:  # every segment from here on ends after start
            most = max(most, self.counts[index])
            index += 1
        return most


def _require_aware(*instants: datetime) -> None:
    if any(instant.tzinfo is None for instant in instants):
        raise ValueError("slots need timezone-aware datetimes")
