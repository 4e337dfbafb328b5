"""How long the bike-repair slot engine takes for a realistic repairer over its 60-day horizon.

Tuesday to Saturday 09:00–12:00 and 14:00–18:30 (Europe/Paris), a 30-minute grid, 2 places, a 15-minute buffer, a
few closures and about 300 existing appointments (booked through ``is_bookable`` so that they respect the capacity).
Run from the project root::

    .venv/bin/python bench/bikerepair_slots.py
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from platformcoop.hours.services import compute_open_intervals
from plugins.bikerepair.slots import Busy, SlotRules, available_slots, is_bookable

PARIS = ZoneInfo("Europe/Paris")
REPETITIONS = 200
APPOINTMENTS = 300
HORIZON_DAYS = 60


def repairer() -> dict:
    """The keyword arguments of ``available_slots`` for a 60-minute service, appointments included."""
    day_start = datetime(2026, 3, 2, tzinfo=PARIS).astimezone(UTC)  # a Monday; the horizon crosses spring forward
    now = day_start + timedelta(hours=8, minutes=10)
    week = {weekday: [(9 * 60, 12 * 60), (14 * 60, 18 * 60 + 30)] for weekday in range(1, 6)}
    closures = [
        (day_start + timedelta(days=12, hours=13), day_start + timedelta(days=12, hours=17)),  # an afternoon
        (day_start + timedelta(days=22), day_start + timedelta(days=29)),  # a week off
        (day_start + timedelta(days=45, hours=8), day_start + timedelta(days=45, hours=10)),  # a morning
    ]
    open_intervals = compute_open_intervals(
        PARIS, week, set(), closures, day_start, day_start + timedelta(days=HORIZON_DAYS + 1)
    )
    rules = SlotRules(grid_minutes=30, capacity=2, buffer_minutes=15, notice_minutes=120, horizon_days=HORIZON_DAYS)
    arguments = {"tz": PARIS, "open_intervals": open_intervals, "busy": [], "rules": rules, "now": now}
    chance = random.Random(5)
    busy: list[Busy] = []
    while len(busy) < APPOINTMENTS:
        duration = chance.choice([30, 60, 90])
        slot = chance.choice(available_slots(**arguments, duration_minutes=duration))
        if is_bookable(slot, **{**arguments, "busy": busy}, duration_minutes=duration):
            busy.append(Busy(slot, slot + timedelta(minutes=duration + rules.buffer_minutes)))
    return {**arguments, "busy": busy, "duration_minutes": 60}


def milliseconds(function, repetitions: int) -> list[float]:
    timings = []
    for _ in range(repetitions):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def report(label: str, timings: list[float]) -> None:
    p95 = statistics.quantiles(timings, n=20)[18]
    print(f"{label}: median {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms ({len(timings)} runs)")


def main() -> None:
    arguments = repairer()
    slots = available_slots(**arguments)
    print(
        f"{len(arguments['open_intervals'])} open intervals, {len(arguments['busy'])} appointments, "
        f"{len(slots)} slots offered for a 60-minute service over {HORIZON_DAYS} days"
    )
    report("available_slots, 60 days", milliseconds(lambda: available_slots(**arguments), REPETITIONS))
    middle = slots[len(slots) // 2]
    report("is_bookable, one start", milliseconds(lambda: is_bookable(middle, **arguments), REPETITIONS))


if __name__ == "__main__":
    main()
