"""Helpers shared by the bike-repair tests: Paris times, a repairer with its opening hours, its services."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from platformcoop.accounts.models import User
from platformcoop.extensions import db
from platformcoop.hours import services as hours
from platformcoop.organisations import services as organisations
from platformcoop.tenancy.models import Territory
from plugins.bikerepair.models import Repairer, RepairService

PARIS = ZoneInfo("Europe/Paris")
MONDAY, TUESDAY, SATURDAY = 0, 1, 5


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """The UTC instant of a Paris wall time."""
    return datetime(year, month, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def local_times(slots: list[datetime]) -> list[str]:
    return [slot.astimezone(PARIS).strftime("%d/%m %H:%M") for slot in slots]


def h(hour: int, minute: int = 0) -> int:
    return hour * 60 + minute


def territory(slug: str = "libercourt") -> Territory:
    return db.session.scalars(select(Territory).filter_by(slug=slug)).one()


def user(user_id: int) -> User:
    return db.session.get(User, user_id)


def make_repairer(
    t: Territory,
    name: str = "Atelier Vélo Solidaire",
    *,
    owner: User | None = None,
    opening: dict[int, list[tuple[int, int]]] | None = None,
    **rules,
) -> Repairer:
    """A repairer organisation (created through the core services) with its opening hours and booking rules.

    ``opening`` maps weekdays (0 = Monday) to ``(start_minute, end_minute)`` ranges; by default Monday to Saturday,
    9 h to 12 h."""
    organisation = organisations.create_organisation(t, {"kind": "repairer", "name": name}, owner=owner)
    schedule = organisations.opening_schedule(organisation)
    for weekday, ranges in (opening or {day: [(h(9), h(12))] for day in range(MONDAY, SATURDAY + 1)}).items():
        hours.set_day_ranges(schedule, weekday, ranges)
    values = {"grid_minutes": 60, "capacity": 1, "buffer_minutes": 0, "notice_minutes": 0, "horizon_days": 30}
    repairer = Repairer(territory_id=t.id, organisation_id=organisation.id, **{**values, **rules})
    db.session.add(repairer)
    db.session.flush()
    return repairer


def add_service(repairer: Repairer, name: str = "Révision", minutes: int = 60, price_cents: int | None = 3000):
    service = RepairService(
        territory_id=repairer.territory_id,
        repairer_id=repairer.id,
        name=name,
        duration_minutes=minutes,
        price_cents=price_cents,
    )
    db.session.add(service)
    db.session.flush()
    return service
