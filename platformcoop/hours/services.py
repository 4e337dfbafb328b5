"""Opening-hours rules: editing weekly ranges and closures, holidays, and when a schedule is open.

Calendar rules are computed in the territory's local time (``zoneinfo``), then converted to UTC instants. A weekly
range is the stretch of time during which the wall clock shows a time between its start and its end:

- on the spring-forward day (Europe/Paris, last Sunday of March, 02:00 → 03:00) a range 01:00–04:00 lasts 2 hours,
  and a time the clock skips (02:30) stands for the instant of the jump;
- on the fall-back day (last Sunday of October, 03:00 → 02:00) it lasts 4 hours: a range starts the first time the
  clock shows its start and ends the last time the clock shows its end.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holiday_calendars
from flask_babel import gettext as _
from sqlalchemy import delete, exc, select, update

from platformcoop import audit
from platformcoop.extensions import db
from platformcoop.hours.models import (
    HOLIDAY_REGIONS,
    MINUTES_PER_DAY,
    Closure,
    Schedule,
    TerritoryHoliday,
    WeeklyRange,
)

Interval = tuple[datetime, datetime]


class ScheduleError(ValueError):
    """A rule about opening hours was broken. ``errors`` maps a range's position (or ``None``) to French messages."""

    def __init__(self, message: str, errors: dict[int | None, list[str]] | None = None):
        super().__init__(message)
        self.errors = errors or {None: [message]}


# -- locking (shared with the organisations) -------------------------------------------------------------------------


def lock_row(model, row_id: int) -> None:
    """Serialise the writers of one row until the transaction ends.

    PostgreSQL: ``SELECT … FOR UPDATE``. SQLite ignores that clause, and its reads take no lock; an (empty) update
    takes the database's write lock at once, so the next writer waits (busy timeout) and then reads fresh data.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            update(model).where(model.id == row_id).values(id=model.id).execution_options(synchronize_session=False)
        )
    else:
        db.session.execute(select(model.id).where(model.id == row_id).with_for_update())


# -- schedules --------------------------------------------------------------------------------------------------------


def find_schedule(territory, owner_type: str, owner_id: int, purpose: str = "opening") -> Schedule | None:
    return db.session.scalar(
        select(Schedule).where(
            Schedule.territory_id == territory.id,
            Schedule.owner_type == owner_type,
            Schedule.owner_id == owner_id,
            Schedule.purpose == purpose,
        )
    )


def schedule_for(territory, owner_type: str, owner_id: int, purpose: str = "opening") -> Schedule:
    """The schedule of an owner (``"organisation"``, 12), created empty the first time it is asked for."""
    schedule = find_schedule(territory, owner_type, owner_id, purpose)
    if schedule is not None:
        return schedule
    try:
        with db.session.begin_nested():
            schedule = Schedule(territory_id=territory.id, owner_type=owner_type, owner_id=owner_id, purpose=purpose)
            db.session.add(schedule)
    except exc.IntegrityError:  # another request created it meanwhile
        schedule = find_schedule(territory, owner_type, owner_id, purpose)
    return schedule


def update_schedule_settings(
    schedule: Schedule,
    *,
    closed_on_public_holidays: bool,
    closed_on_territory_holidays: bool,
    holiday_region: str = "",
    actor=None,
) -> None:
    if holiday_region not in HOLIDAY_REGIONS:
        raise ScheduleError(_("Région inconnue."))
    schedule.closed_on_public_holidays = closed_on_public_holidays
    schedule.closed_on_territory_holidays = closed_on_territory_holidays
    schedule.holiday_region = holiday_region
    audit.record(
        "hours.settings_changed",
        actor=actor,
        territory=schedule.territory,
        obj=schedule,
        closed_on_public_holidays=closed_on_public_holidays,
        closed_on_territory_holidays=closed_on_territory_holidays,
        holiday_region=holiday_region,
    )


# -- weekly ranges ----------------------------------------------------------------------------------------------------


def format_minute(minute: int) -> str:
    """540 → "9 h", 570 → "9 h 30" (French), as the territory's residents read times."""
    hours, minutes = divmod(minute, 60)
    if minutes:
        return _("%(hours)d h %(minutes)02d", hours=hours, minutes=minutes)
    return _("%(hours)d h", hours=hours)


def validate_day_ranges(ranges: Iterable[tuple[int, int]]) -> dict[int | None, list[str]]:
    """French messages per range position: inside the day, end after start, no overlap with another range."""
    errors: dict[int | None, list[str]] = {}
    ranges = list(ranges)
    for index, (start, end) in enumerate(ranges):
        if not (0 <= start < MINUTES_PER_DAY and 0 < end <= MINUTES_PER_DAY):
            errors.setdefault(index, []).append(_("L'heure doit être comprise entre 0 h et 24 h."))
        elif end <= start:
            errors.setdefault(index, []).append(_("L'heure de fin doit être après l'heure de début."))
    valid = sorted((start, end, index) for index, (start, end) in enumerate(ranges) if index not in errors)
    for (start_a, end_a, _index_a), (start_b, _end_b, index_b) in itertools.pairwise(valid):
        if start_b < end_a:
            errors.setdefault(index_b, []).append(
                _(
                    "Cette plage chevauche celle de %(start)s à %(end)s.",
                    start=format_minute(start_a),
                    end=format_minute(end_a),
                )
            )
    return errors


def set_day_ranges(schedule: Schedule, weekday: int, ranges: Iterable[tuple[int, int]], actor=None) -> None:
    """Replace the ranges of one weekday (0 = Monday). Nothing changes when any range is invalid."""
    ranges = list(ranges)
    if not 0 <= weekday <= 6:
        raise ScheduleError(_("Jour de la semaine inconnu."))
    errors = validate_day_ranges(ranges)
    if errors:
        raise ScheduleError(_("Les horaires de ce jour contiennent des erreurs."), errors)
    lock_row(Schedule, schedule.id)  # two editors of the same day must not interleave their deletes and inserts
    db.session.execute(
        delete(WeeklyRange).where(WeeklyRange.schedule_id == schedule.id, WeeklyRange.weekday == weekday)
    )
    for start, end in sorted(ranges):
        db.session.add(
            WeeklyRange(
                territory_id=schedule.territory_id,
                schedule_id=schedule.id,
                weekday=weekday,
                start_minute=start,
                end_minute=end,
            )
        )
    db.session.flush()
    db.session.expire(schedule, ["ranges"])
    audit.record(
        "hours.ranges_changed",
        actor=actor,
        territory=schedule.territory,
        obj=schedule,
        weekday=weekday,
        ranges=[list(r) for r in sorted(ranges)],
    )


def weekly_ranges(schedule: Schedule) -> dict[int, list[tuple[int, int]]]:
    """``{weekday: [(start_minute, end_minute), …]}`` sorted by start; days without ranges are left out."""
    rows = db.session.execute(
        select(WeeklyRange.weekday, WeeklyRange.start_minute, WeeklyRange.end_minute)
        .where(WeeklyRange.schedule_id == schedule.id)
        .order_by(WeeklyRange.weekday, WeeklyRange.start_minute)
    ).all()
    result: dict[int, list[tuple[int, int]]] = {}
    for weekday, start, end in rows:
        result.setdefault(weekday, []).append((start, end))
    return result


# -- closures ---------------------------------------------------------------------------------------------------------


def add_closure(schedule: Schedule, starts_at: datetime, ends_at: datetime, reason: str = "", actor=None) -> Closure:
    _require_aware(starts_at, ends_at)
    if ends_at <= starts_at:
        raise ScheduleError(_("La fin de la fermeture doit être après son début."))
    closure = Closure(
        territory_id=schedule.territory_id,
        schedule_id=schedule.id,
        starts_at=starts_at.astimezone(UTC),
        ends_at=ends_at.astimezone(UTC),
        reason=reason.strip()[:200],
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(closure)
    db.session.flush()
    audit.record(
        "hours.closure_added",
        actor=actor,
        territory=schedule.territory,
        obj=schedule,
        closure_id=closure.id,
        starts_at=closure.starts_at.isoformat(),
        ends_at=closure.ends_at.isoformat(),
    )
    return closure


def remove_closure(closure: Closure, actor=None) -> None:
    schedule = closure.schedule
    audit.record(
        "hours.closure_removed",
        actor=actor,
        territory=schedule.territory,
        obj=schedule,
        closure_id=closure.id,
        starts_at=closure.starts_at.isoformat(),
        ends_at=closure.ends_at.isoformat(),
    )
    db.session.delete(closure)


def closures_between(schedule: Schedule, start: datetime, end: datetime) -> list[Closure]:
    return list(
        db.session.scalars(
            select(Closure)
            .where(Closure.schedule_id == schedule.id, Closure.starts_at < end, Closure.ends_at > start)
            .order_by(Closure.starts_at)
        )
    )


# -- holidays ---------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _public_holidays(year: int, region: str, language: str) -> tuple[tuple[date, str], ...]:
    calendar = holiday_calendars.France(years=year, subdiv=region or None, language=language)
    return tuple(sorted(calendar.items()))


def public_holidays(year: int, region: str = "", locale: str = "fr") -> dict[date, str]:
    """France's public holidays of ``year`` (metropolitan; ``region`` "6AE" Alsace or "57" Moselle adds theirs)."""
    if region not in HOLIDAY_REGIONS:
        raise ScheduleError(_("Région inconnue."))
    return dict(_public_holidays(year, region, "fr" if locale.startswith("fr") else "en_US"))


def territory_holidays(territory, first_day: date, last_day: date) -> dict[date, str]:
    rows = db.session.execute(
        select(TerritoryHoliday.day, TerritoryHoliday.label).where(
            TerritoryHoliday.territory_id == territory.id,
            TerritoryHoliday.day >= first_day,
            TerritoryHoliday.day <= last_day,
        )
    ).all()
    return dict(rows)


def add_territory_holiday(territory, day: date, label: str, actor=None) -> TerritoryHoliday:
    label = label.strip()
    if not label:
        raise ScheduleError(_("Indiquez le nom de ce jour de fermeture."))
    exists = db.session.scalar(
        select(TerritoryHoliday.id).where(TerritoryHoliday.territory_id == territory.id, TerritoryHoliday.day == day)
    )
    duplicate = ScheduleError(_("Ce jour est déjà un jour de fermeture du territoire."))
    if exists:
        raise duplicate
    holiday = TerritoryHoliday(territory_id=territory.id, day=day, label=label[:200])
    try:
        with db.session.begin_nested():  # the unique constraint decides between two simultaneous requests
            db.session.add(holiday)
    except exc.IntegrityError:
        raise duplicate
    audit.record("hours.territory_holiday_added", actor=actor, territory=territory, day=day.isoformat(), label=label)
    return holiday


def remove_territory_holiday(holiday: TerritoryHoliday, territory, actor=None) -> None:
    audit.record(
        "hours.territory_holiday_removed",
        actor=actor,
        territory=territory,
        day=holiday.day.isoformat(),
        label=holiday.label,
    )
    db.session.delete(holiday)


def days_off(schedule: Schedule, first_day: date, last_day: date, locale: str = "fr") -> dict[date, str]:
    """The local days on which ``schedule`` stays closed, with their names, as its settings say."""
    result: dict[date, str] = {}
    if schedule.closed_on_public_holidays:
        for year in range(first_day.year, last_day.year + 1):
            for day, label in public_holidays(year, schedule.holiday_region or "", locale).items():
                if first_day <= day <= last_day:
                    result[day] = label
    if schedule.closed_on_territory_holidays:
        result.update(territory_holidays(schedule.territory, first_day, last_day))
    return result


# -- when is it open --------------------------------------------------------------------------------------------------


def zone_of(schedule: Schedule) -> ZoneInfo:
    return ZoneInfo(schedule.territory.timezone)


def wall_to_utc(day: date, minute: int, tz: ZoneInfo, *, latest: bool = False) -> datetime:
    """The UTC instant at which the clock of ``tz`` shows ``minute`` (0-1440) of ``day``.

    A time shown twice (fall back) gives the first instant, or the last one when ``latest``; a time the clock skips
    (spring forward) gives the instant of the jump.
    """
    day += timedelta(days=minute // MINUTES_PER_DAY)
    minute %= MINUTES_PER_DAY
    wall = datetime.combine(day, time(minute // 60, minute % 60))
    shown = []
    for fold in (0, 1):
        instant = wall.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None) == wall:
            shown.append(instant)
    if shown:
        return max(shown) if latest else min(shown)
    return _jump_over(wall, tz)


def _jump_over(wall: datetime, tz: ZoneInfo) -> datetime:
    """The instant the clock jumped over ``wall`` (the first second with the new offset)."""
    # In a gap, fold=1 reads ``wall`` with the offset after the jump (an instant before it), fold=0 with the one
    # before (an instant after it).
    before = int(wall.replace(tzinfo=tz, fold=1).astimezone(UTC).timestamp())
    after = int(wall.replace(tzinfo=tz, fold=0).astimezone(UTC).timestamp())
    new_offset = datetime.fromtimestamp(after, tz).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == new_offset:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)


def open_intervals(schedule: Schedule, start: datetime, end: datetime) -> list[Interval]:
    """The instants between ``start`` and ``end`` (aware) when ``schedule`` is open, as sorted, disjoint
    ``(from, to)`` UTC intervals inside ``[start, end)``: weekly ranges, less the days off and the closures."""
    _require_aware(start, end)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return []
    tz = zone_of(schedule)
    first_day = start.astimezone(tz).date() - timedelta(days=1)
    last_day = end.astimezone(tz).date()
    closed = [(c.starts_at, c.ends_at) for c in closures_between(schedule, start, end)]
    return compute_open_intervals(
        tz, weekly_ranges(schedule), set(days_off(schedule, first_day, last_day)), closed, start, end
    )


def compute_open_intervals(
    tz: ZoneInfo,
    ranges: dict[int, list[tuple[int, int]]],
    days_off: set[date],
    closures: list[Interval],
    start: datetime,
    end: datetime,
) -> list[Interval]:
    """:func:`open_intervals` once the data is loaded (pure: no database)."""
    opened: list[Interval] = []
    day = start.astimezone(tz).date() - timedelta(days=1)
    last_day = end.astimezone(tz).date()
    while day <= last_day:
        if day not in days_off:
            for start_minute, end_minute in ranges.get(day.weekday(), ()):
                begins = wall_to_utc(day, start_minute, tz)
                ends = wall_to_utc(day, end_minute, tz, latest=True)
                if ends > begins:  # a range inside a skipped hour does not exist that day
                    opened.append((begins, ends))
        day += timedelta(days=1)
    remaining = _subtract(_merge(opened), _merge(closures))
    return [(max(a, start), min(b, end)) for a, b in remaining if a < end and b > start]


def is_open(schedule: Schedule, at: datetime) -> bool:
    return bool(open_intervals(schedule, at, at + timedelta(seconds=1)))


@dataclass(frozen=True)
class ClosedPeriod:
    """A closure or a day off, as shown to residents."""

    starts_at: datetime
    ends_at: datetime
    label: str
    whole_days: bool


def upcoming_closures(schedule: Schedule, start: datetime, days: int = 60, locale: str = "fr") -> list[ClosedPeriod]:
    """Closures and days off between ``start`` and ``days`` later; a day off counts only when it would be open."""
    _require_aware(start)
    end = start + timedelta(days=days)
    tz = zone_of(schedule)
    periods = [
        ClosedPeriod(c.starts_at, c.ends_at, c.reason, is_whole_days(c.starts_at, c.ends_at, tz))
        for c in closures_between(schedule, start, end)
    ]
    ranges = weekly_ranges(schedule)
    for day, label in days_off(schedule, start.astimezone(tz).date(), end.astimezone(tz).date(), locale).items():
        day_end = wall_to_utc(day, MINUTES_PER_DAY, tz)
        if day.weekday() in ranges and day_end > start:
            periods.append(ClosedPeriod(wall_to_utc(day, 0, tz), day_end, label, True))
    return sorted(periods, key=lambda p: (p.starts_at, p.ends_at))


def is_whole_days(starts_at: datetime, ends_at: datetime, tz: ZoneInfo) -> bool:
    """Whether a period runs from a local midnight to a local midnight (shown as days, without hours)."""
    local_start, local_end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    return local_start.time() == time(0) and local_end.time() == time(0)


# -- interval arithmetic ----------------------------------------------------------------------------------------------


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping or touching intervals joined."""
    merged: list[list[datetime]] = []
    for a, b in sorted(intervals):
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def _subtract(intervals: list[Interval], holes: list[Interval]) -> list[Interval]:
    """``intervals`` less ``holes`` (both sorted and disjoint)."""
    result: list[Interval] = []
    for a, b in intervals:
        cursor = a
        for hole_a, hole_b in holes:
            if hole_b <= cursor:
                continue
            if hole_a >= b:
                break
            if hole_a > cursor:
                result.append((cursor, hole_a))
            cursor = max(cursor, hole_b)
            if cursor >= b:
                break
        if cursor < b:
            result.append((cursor, b))
    return result


def _require_aware(*instants: datetime) -> None:
    if any(instant.tzinfo is None for instant in instants):
        raise ValueError("opening hours need timezone-aware datetimes")
