"""Finding a repairer: the search page's queries, in a fixed number of batch reads whatever the number of repairers.

For every listed repairer the page shows its first available slot. Asking ``booking.repairer_slots`` once per repairer
would read its schedule, closures, holidays and appointments each time (a query count that grows with the list), so
this module reads them for all the candidates at once, then feeds, per repairer, the same pure functions the booking
uses: the core's :func:`~platformcoop.hours.services.compute_open_intervals` and the engine's
:func:`~plugins.bikerepair.slots.available_slots`, over the same whole-day window as ``booking.engine_inputs``. The
result for one repairer is therefore ``booking.repairer_slots(...)[0]`` (a test checks it).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from platformcoop import clock
from platformcoop.extensions import db
from platformcoop.hours.models import Closure, Schedule, TerritoryHoliday, WeeklyRange
from platformcoop.hours.services import compute_open_intervals, public_holidays, wall_to_utc
from platformcoop.organisations.models import ACTIVE, Organisation
from plugins.bikerepair.booking import rules_of
from plugins.bikerepair.models import HOLDING_STATUSES, MAX_BUFFER_MINUTES, Appointment, Repairer, RepairService
from plugins.bikerepair.slots import Busy, available_slots

SORT_DISTANCE, SORT_FIRST_SLOT, SORT_NAME = "distance", "creneau", "nom"
EARTH_RADIUS_KM = 6371.0
ITINERANT = "itinerant"


@dataclass
class RepairerCard:
    """What a search result shows about one repairer."""

    repairer: Repairer
    services: list[RepairService] = field(default_factory=list)  # active ones, in the repairer's order
    distance_km: float | None = None
    comes_to_you: bool = False  # an itinerant repairer whose radius covers the resident's position
    first_slot: datetime | None = None

    @property
    def organisation(self) -> Organisation:
        return self.repairer.organisation

    @property
    def shortest_service(self) -> RepairService | None:
        return min(self.services, key=lambda s: (s.duration_minutes, s.position, s.id), default=None)

    @property
    def from_price_cents(self) -> int | None:
        prices = [s.price_cents for s in self.services if s.price_cents is not None]
        return min(prices) if prices else None


# -- words and places ------------------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Lower case, without accents or extra spaces: "Saint-Étienne " and "saint-etienne" are the same commune."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(text.casefold().split())


def served_communes(repairer: Repairer) -> list[str]:
    """The communes an itinerant repairer lists, one per line or separated by commas or semicolons."""
    return [name.strip() for name in re.split(r"[,;\n]", repairer.served_communes or "") if name.strip()]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def _matches_commune(repairer: Repairer, commune: str) -> bool:
    wanted = normalise(commune)
    if normalise(repairer.organisation.city) == wanted:
        return True
    return repairer.kind == ITINERANT and wanted in {normalise(name) for name in served_communes(repairer)}


def _matches_words(services: list[RepairService], words: str) -> bool:
    """Every word appears in the name of one of the repairer's active services (accents and case ignored)."""
    names = [normalise(service.name) for service in services]
    return all(any(word in name for name in names) for word in normalise(words).split())


# -- the listing -------------------------------------------------------------------------------------------------------


def listed_repairers(territory) -> list[Repairer]:
    """The repairers residents may find: switched on, their organisation active, in ``territory`` (one query)."""
    return list(
        db.session.scalars(
            select(Repairer)
            .join(Organisation, Organisation.id == Repairer.organisation_id)
            .options(contains_eager(Repairer.organisation))
            .where(Repairer.territory_id == territory.id, Repairer.enabled.is_(True), Organisation.status == ACTIVE)
            .order_by(Organisation.name, Repairer.id)
        ).unique()
    )


def communes(repairers: list[Repairer]) -> list[str]:
    """The communes of the filter: the repairers' own, and those itinerant repairers serve, sorted, once each."""
    names: dict[str, str] = {}
    for repairer in repairers:
        candidates = [repairer.organisation.city]
        if repairer.kind == ITINERANT:
            candidates += served_communes(repairer)
        for name in candidates:
            if name and name.strip():
                names.setdefault(normalise(name), name.strip())
    return sorted(names.values(), key=normalise)


def active_services(repairers: list[Repairer]) -> dict[int, list[RepairService]]:
    """The active services of ``repairers``, by repairer id (one query)."""
    by_repairer: dict[int, list[RepairService]] = {repairer.id: [] for repairer in repairers}
    if not by_repairer:
        return by_repairer
    rows = db.session.scalars(
        select(RepairService)
        .where(RepairService.repairer_id.in_(list(by_repairer)), RepairService.active.is_(True))
        .order_by(RepairService.position, RepairService.id)
    )
    for service in rows:
        by_repairer[service.repairer_id].append(service)
    return by_repairer


def search_repairers(
    territory,
    repairers: list[Repairer],
    *,
    commune: str = "",
    bike_type: str = "",
    words: str = "",
    position: tuple[float, float] | None = None,
    sort: str = "",
    now: datetime | None = None,
) -> list[RepairerCard]:
    """The cards of the repairers that match, with their first available slot, in the asked order.

    ``repairers`` comes from :func:`listed_repairers`. With a ``position``, itinerant repairers that give a radius
    are kept only when it covers the position (they come to you: distance 0); the others are sorted by distance.
    """
    services = active_services(repairers)
    cards = []
    for repairer in repairers:
        card = RepairerCard(repairer, services[repairer.id])
        if commune and not _matches_commune(repairer, commune):
            continue
        if bike_type and bike_type not in (repairer.bike_types or []):
            continue
        if words.strip() and not _matches_words(card.services, words):
            continue
        if position is not None and not _place(card, position):
            continue
        cards.append(card)
    for card, first in zip(cards, first_slots(territory, cards, now=now), strict=True):
        card.first_slot = first
    return sort_cards(cards, sort or (SORT_DISTANCE if position else SORT_FIRST_SLOT))


def _place(card: RepairerCard, position: tuple[float, float]) -> bool:
    """Set the card's distance from ``position``; False for an itinerant repairer whose radius does not reach it."""
    organisation = card.organisation
    if organisation.latitude is not None and organisation.longitude is not None:
        card.distance_km = haversine_km(position[0], position[1], organisation.latitude, organisation.longitude)
    if card.repairer.kind == ITINERANT and card.repairer.radius_km and card.distance_km is not None:
        if card.distance_km > card.repairer.radius_km:
            return False
        card.comes_to_you = True
    return True


def sort_cards(cards: list[RepairerCard], sort: str) -> list[RepairerCard]:
    def by_name(card):
        return normalise(card.organisation.name)

    if sort == SORT_DISTANCE:

        def by_distance(card):
            if card.comes_to_you:
                return 0.0
            return float("inf") if card.distance_km is None else card.distance_km

        return sorted(cards, key=lambda c: (by_distance(c), by_name(c)))
    if sort == SORT_FIRST_SLOT:
        return sorted(cards, key=lambda c: (c.first_slot is None, c.first_slot or datetime.min, by_name(c)))
    return sorted(cards, key=by_name)


# -- the first available slots, in batch -------------------------------------------------------------------------------


def _whole_days(tz: ZoneInfo, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The window ``booking.engine_inputs`` asks the opening hours about: whole local days, one more on each side."""
    first_day = start.astimezone(tz).date() - timedelta(days=1)
    last_day = end.astimezone(tz).date() + timedelta(days=1)
    return wall_to_utc(first_day, 0, tz), wall_to_utc(last_day, 24 * 60, tz)


def first_slots(territory, cards: list[RepairerCard], *, now: datetime | None = None) -> list[datetime | None]:
    """Per card, the first slot of its shortest active service, as ``booking.repairer_slots`` would give it.

    Five queries whatever the number of cards: schedules, weekly ranges, closures, the territory's days off, and the
    appointments that hold a place.
    """
    now = now or clock.now()
    tz = ZoneInfo(territory.timezone)
    wanted = [card for card in cards if card.shortest_service is not None]
    if not wanted:
        return [None] * len(cards)
    windows = {}
    for card in wanted:
        repairer, service = card.repairer, card.shortest_service
        length = timedelta(minutes=service.duration_minutes + repairer.buffer_minutes)
        windows[repairer.id] = _whole_days(tz, now, now + timedelta(days=repairer.horizon_days) + length)
    lowest = min(start for start, _end in windows.values())
    highest = max(end for _start, end in windows.values())
    agenda = _Agenda.load(territory, [card.repairer for card in wanted], lowest, highest)
    results = []
    for card in cards:
        if card.repairer.id not in windows:
            results.append(None)
            continue
        results.append(agenda.first_slot(tz, card.repairer, card.shortest_service, windows[card.repairer.id], now))
    return results


@dataclass
class _Agenda:
    """The opening hours and held places of several repairers over one window, read in batch."""

    schedules: dict[int, Schedule]  # by organisation id
    ranges: dict[int, dict[int, list[tuple[int, int]]]]  # by schedule id: {weekday: [(start, end)]}
    closures: dict[int, list[tuple[datetime, datetime]]]  # by schedule id
    territory_days_off: set[date]
    busy: dict[int, list[Busy]]  # by repairer id

    @classmethod
    def load(cls, territory, repairers: list[Repairer], start: datetime, end: datetime) -> _Agenda:
        organisation_ids = [repairer.organisation_id for repairer in repairers]
        schedules = {
            schedule.owner_id: schedule
            for schedule in db.session.scalars(
                select(Schedule).where(
                    Schedule.territory_id == territory.id,
                    Schedule.owner_type == "organisation",
                    Schedule.owner_id.in_(organisation_ids),
                    Schedule.purpose == "opening",
                )
            )
        }
        schedule_ids = [schedule.id for schedule in schedules.values()] or [-1]
        ranges: dict[int, dict[int, list[tuple[int, int]]]] = {}
        for schedule_id, weekday, first, last in db.session.execute(
            select(WeeklyRange.schedule_id, WeeklyRange.weekday, WeeklyRange.start_minute, WeeklyRange.end_minute)
            .where(WeeklyRange.schedule_id.in_(schedule_ids))
            .order_by(WeeklyRange.schedule_id, WeeklyRange.weekday, WeeklyRange.start_minute)
        ):
            ranges.setdefault(schedule_id, {}).setdefault(weekday, []).append((first, last))
        closures: dict[int, list[tuple[datetime, datetime]]] = {}
        for schedule_id, starts_at, ends_at in db.session.execute(
            select(Closure.schedule_id, Closure.starts_at, Closure.ends_at).where(
                Closure.schedule_id.in_(schedule_ids), Closure.starts_at < end, Closure.ends_at > start
            )
        ):
            closures.setdefault(schedule_id, []).append((starts_at, ends_at))
        tz = ZoneInfo(territory.timezone)
        first_day, last_day = start.astimezone(tz).date() - timedelta(days=1), end.astimezone(tz).date()
        territory_days_off = set(
            db.session.scalars(
                select(TerritoryHoliday.day).where(
                    TerritoryHoliday.territory_id == territory.id,
                    TerritoryHoliday.day >= first_day,
                    TerritoryHoliday.day <= last_day,
                )
            )
        )
        return cls(schedules, ranges, closures, territory_days_off, _held_places(repairers, start, end))

    def days_off(self, schedule: Schedule, first_day: date, last_day: date) -> set[date]:
        """As :func:`platformcoop.hours.services.days_off`, from what was loaded."""
        days: set[date] = set()
        if schedule.closed_on_public_holidays:
            for year in range(first_day.year, last_day.year + 1):
                days.update(public_holidays(year, schedule.holiday_region or ""))
        if schedule.closed_on_territory_holidays:
            days.update(self.territory_days_off)
        return {day for day in days if first_day <= day <= last_day}

    def first_slot(self, tz, repairer: Repairer, service: RepairService, window, now: datetime) -> datetime | None:
        window_start, window_end = window
        schedule = self.schedules.get(repairer.organisation_id)
        intervals = []
        if schedule is not None:
            first_day = window_start.astimezone(tz).date() - timedelta(days=1)
            intervals = compute_open_intervals(
                tz,
                self.ranges.get(schedule.id, {}),
                self.days_off(schedule, first_day, window_end.astimezone(tz).date()),
                [c for c in self.closures.get(schedule.id, []) if c[0] < window_end and c[1] > window_start],
                window_start,
                window_end,
            )
        slots = available_slots(
            tz=tz,
            open_intervals=intervals,
            busy=[b for b in self.busy.get(repairer.id, []) if b.start < window_end and b.end > window_start],
            duration_minutes=service.duration_minutes,
            rules=rules_of(repairer),
            now=now,
            start=now,
            end=now + timedelta(days=repairer.horizon_days),
        )
        return slots[0] if slots else None


def _held_places(repairers: list[Repairer], start: datetime, end: datetime) -> dict[int, list[Busy]]:
    """The places held at ``repairers`` in ``[start, end)``, each with its buffer (as ``booking.busy_between``)."""
    busy: dict[int, list[Busy]] = {repairer.id: [] for repairer in repairers}
    rows = db.session.execute(
        select(Appointment.repairer_id, Appointment.starts_at, Appointment.ends_at, Appointment.buffer_minutes).where(
            Appointment.repairer_id.in_(list(busy)),
            Appointment.status.in_(HOLDING_STATUSES),
            Appointment.starts_at < end,
            Appointment.ends_at > start - timedelta(minutes=MAX_BUFFER_MINUTES),
        )
    )
    for repairer_id, starts_at, ends_at, buffer in rows:
        busy[repairer_id].append(Busy(starts_at, ends_at + timedelta(minutes=buffer)))
    return busy


def upcoming_appointments(territory, resident, *, limit: int | None = None, now: datetime | None = None):
    """The resident's appointments still to come that hold a place, soonest first (the home page shows three)."""
    now = now or clock.now()
    query = (
        select(Appointment)
        .where(
            Appointment.territory_id == territory.id,
            Appointment.resident_id == resident.id,
            Appointment.status.in_(HOLDING_STATUSES),
            Appointment.ends_at > now,
        )
        .order_by(Appointment.starts_at)
    )
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))
