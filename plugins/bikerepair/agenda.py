"""What the repairer's back office reads: the agenda (day and week, with the places held per grid slot), the requests
to handle, today's list, the customers and their bikes, the CSV rows.

Every query is scoped to one repairer (its staff see nothing of another's) and bounded: a page runs the same number
of queries whatever the number of appointments (related rows come with ``joinedload``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from platformcoop import clock
from platformcoop.accounts.models import User
from platformcoop.extensions import db
from platformcoop.hours.services import find_schedule, open_intervals, wall_to_utc
from plugins.bikerepair.booking import busy_between
from plugins.bikerepair.models import (
    BIKE_TYPES,
    DONE,
    HOLDING_STATUSES,
    NO_SHOW,
    PENDING,
    Appointment,
    Bike,
    BookletEntry,
    Repairer,
)

# What the agenda shows: the appointments that hold a place, and those that took place (or should have).
AGENDA_STATUSES = (*HOLDING_STATUSES, DONE, NO_SHOW)


@dataclass
class GridSlot:
    """One step of the opening hours' grid and how many places are held during it."""

    starts_at: datetime
    ends_at: datetime
    busy: int
    capacity: int

    @property
    def full(self) -> bool:
        return self.busy >= self.capacity


@dataclass
class AgendaDay:
    day: date
    slots: list[GridSlot] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)

    def starting_in(self, slot: GridSlot) -> list[Appointment]:
        """The appointments that start during ``slot`` (shown on its line of the agenda)."""
        return [a for a in self.appointments if slot.starts_at <= a.starts_at < slot.ends_at]

    @property
    def off_grid(self) -> list[Appointment]:
        """The appointments that start outside the day's grid (booked before the hours changed, or closed since)."""
        return [a for a in self.appointments if not any(s.starts_at <= a.starts_at < s.ends_at for s in self.slots)]


def tz_of(territory) -> ZoneInfo:
    return ZoneInfo(territory.timezone)


def today(territory) -> date:
    return clock.now().astimezone(tz_of(territory)).date()


def day_bounds(territory, first_day: date, days: int = 1) -> tuple[datetime, datetime]:
    """The UTC instants of local midnight on ``first_day`` and ``days`` later."""
    tz = tz_of(territory)
    return wall_to_utc(first_day, 0, tz), wall_to_utc(first_day + timedelta(days=days), 0, tz)


def _with_people(query):
    return query.options(
        joinedload(Appointment.service), joinedload(Appointment.resident), joinedload(Appointment.bike)
    )


def appointments_between(
    repairer: Repairer, start: datetime, end: datetime, statuses: tuple[str, ...] | None = AGENDA_STATUSES
) -> list[Appointment]:
    query = _with_people(select(Appointment)).where(
        Appointment.repairer_id == repairer.id, Appointment.starts_at >= start, Appointment.starts_at < end
    )
    if statuses is not None:
        query = query.where(Appointment.status.in_(statuses))
    return list(db.session.scalars(query.order_by(Appointment.starts_at, Appointment.id)).unique())


def agenda(territory, repairer: Repairer, first_day: date, days: int = 1) -> list[AgendaDay]:
    """The days from ``first_day``: each with its grid slots ("occupé x / capacité y") and its appointments."""
    tz = tz_of(territory)
    start, end = day_bounds(territory, first_day, days)
    schedule = find_schedule(territory, "organisation", repairer.organisation_id)
    intervals = open_intervals(schedule, start, end) if schedule is not None else []
    held = busy_between(repairer, start, end)
    by_day = {first_day + timedelta(days=n): AgendaDay(first_day + timedelta(days=n)) for n in range(days)}
    for opens, closes in intervals:
        for slot_start, slot_end in grid_steps(tz, opens, closes, repairer.grid_minutes):
            busy = sum(1 for place in held if place.start < slot_end and place.end > slot_start)
            day = slot_start.astimezone(tz).date()
            if day in by_day:
                by_day[day].slots.append(GridSlot(slot_start, slot_end, busy, repairer.capacity))
    for appointment in appointments_between(repairer, start, end):
        day = appointment.starts_at.astimezone(tz).date()
        if day in by_day:
            by_day[day].appointments.append(appointment)
    return list(by_day.values())


def grid_steps(
    tz: ZoneInfo, opens: datetime, closes: datetime, grid_minutes: int
) -> Iterator[tuple[datetime, datetime]]:
    """The grid of an open interval as (start, end) instants, stepping in local wall time from its opening (a wall
    time the clock skips gives no step; the last step ends at the closing)."""
    anchor = opens.astimezone(tz).replace(tzinfo=None)
    step = timedelta(minutes=grid_minutes)
    starts = []
    wall = anchor
    while True:
        instant = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
        if instant >= closes:
            break
        if instant.astimezone(tz).replace(tzinfo=None) == wall and (not starts or instant > starts[-1]):
            starts.append(instant)
        wall += step
    for index, slot_start in enumerate(starts):
        yield slot_start, starts[index + 1] if index + 1 < len(starts) else closes


# -- the home page -----------------------------------------------------------------------------------------------------


def pending_requests(repairer: Repairer) -> list[tuple[Appointment, datetime]]:
    """The requests waiting for an answer, oldest first, each with the instant it expires."""
    rows = db.session.scalars(
        _with_people(select(Appointment))
        .where(Appointment.repairer_id == repairer.id, Appointment.status == PENDING)
        .order_by(Appointment.created_at, Appointment.id)
    ).unique()
    return [(row, row.created_at + timedelta(hours=repairer.pending_expiry_hours)) for row in rows]


def upcoming_counts(repairer: Repairer) -> dict[str, int]:
    """How many appointments from now on, by status."""
    rows = db.session.execute(
        select(Appointment.status, func.count())
        .where(Appointment.repairer_id == repairer.id, Appointment.starts_at >= clock.now())
        .group_by(Appointment.status)
    ).all()
    return dict(rows)


# -- customers ---------------------------------------------------------------------------------------------------------


def resident_customers(repairer: Repairer) -> list[tuple[User, int, datetime]]:
    """The residents who booked with this repairer: (user, number of appointments, last appointment), latest first."""
    last = func.max(Appointment.starts_at)
    rows = db.session.execute(
        select(User, func.count(Appointment.id), last)
        .join(Appointment, Appointment.resident_id == User.id)
        .where(Appointment.repairer_id == repairer.id)
        .group_by(User.id)
        .order_by(last.desc(), User.id)
    ).all()
    return [(user, count, at) for user, count, at in rows]


def walk_in_customers(repairer: Repairer) -> list[tuple[str, str, int, datetime]]:
    """The people the staff booked without an account: (name, phone, appointments, last appointment)."""
    last = func.max(Appointment.starts_at)
    rows = db.session.execute(
        select(Appointment.walk_in_name, Appointment.walk_in_phone, func.count(Appointment.id), last)
        .where(Appointment.repairer_id == repairer.id, Appointment.resident_id.is_(None))
        .group_by(Appointment.walk_in_name, Appointment.walk_in_phone)
        .order_by(last.desc())
    ).all()
    return [tuple(row) for row in rows]


def customer(repairer: Repairer, user_id: int) -> User | None:
    """The resident ``user_id`` when they booked with this repairer at least once (else None: not its customer)."""
    booked = select(Appointment.id).where(Appointment.repairer_id == repairer.id, Appointment.resident_id == user_id)
    return db.session.scalar(select(User).where(User.id == user_id, booked.exists()))


def customer_appointments(repairer: Repairer, user_id: int) -> list[Appointment]:
    return list(
        db.session.scalars(
            _with_people(select(Appointment))
            .where(Appointment.repairer_id == repairer.id, Appointment.resident_id == user_id)
            .order_by(Appointment.starts_at.desc())
        ).unique()
    )


def customer_bikes(repairer: Repairer, user_id: int) -> list[Bike]:
    """The customer's bikes that came to this repairer (their other bikes are none of its business)."""
    brought = select(Appointment.bike_id).where(
        Appointment.repairer_id == repairer.id, Appointment.resident_id == user_id
    )
    return list(
        db.session.scalars(select(Bike).where(Bike.owner_id == user_id, Bike.id.in_(brought)).order_by(Bike.id))
    )


def customer_bike(repairer: Repairer, bike_id: int) -> Bike | None:
    """A bike that came to this repairer (else None)."""
    brought = select(Appointment.id).where(Appointment.repairer_id == repairer.id, Appointment.bike_id == bike_id)
    return db.session.scalar(select(Bike).options(joinedload(Bike.owner)).where(Bike.id == bike_id, brought.exists()))


def entries_by(repairer: Repairer, bike_ids: list[int]) -> list[BookletEntry]:
    """The booklet lines this repairer wrote for these bikes, latest first."""
    if not bike_ids:
        return []
    return list(
        db.session.scalars(
            select(BookletEntry)
            .where(BookletEntry.by_repairer_id == repairer.id, BookletEntry.bike_id.in_(bike_ids))
            .order_by(BookletEntry.done_on.desc(), BookletEntry.id.desc())
        )
    )


# -- CSV ---------------------------------------------------------------------------------------------------------------


def csv_rows(territory, repairer: Repairer, first_day: date, last_day: date) -> Iterator[list]:
    """One row per appointment starting between the two local days (included), whatever its status."""
    tz = tz_of(territory)
    start, end = day_bounds(territory, first_day, (last_day - first_day).days + 1)
    for appointment in appointments_between(repairer, start, end, statuses=None):
        local_start, local_end = appointment.starts_at.astimezone(tz), appointment.ends_at.astimezone(tz)
        bike = appointment.bike
        yield [
            local_start.date(),
            local_start.strftime("%H:%M"),
            local_end.strftime("%H:%M"),
            appointment.service.name,
            appointment.status_label,
            appointment.resident.display_name if appointment.resident is not None else appointment.walk_in_name,
            appointment.walk_in_phone,
            bike.name if bike is not None else "",
            str(BIKE_TYPES.get(bike.bike_type, bike.bike_type)) if bike is not None else "",
            appointment.description,
            appointment.created_at,
        ]
