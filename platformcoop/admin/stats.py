"""The dashboard's figures: a period in the territory's local calendar, monthly series, and chart geometry.

Modules give figures through ``pc_territory_stats(territory, start, end)``; a monthly series is that hook called
once per calendar month (local time) of the last twelve. Figures that do not depend on the period (a count of
objects that exist) simply repeat; that is for the module to decide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from platformcoop.extensions import db
from platformcoop.plugins.manager import Registry
from platformcoop.tenancy.models import MEMBERSHIP_ACTIVE, MEMBERSHIP_SUSPENDED, Membership, Territory

DEFAULT_PERIOD_DAYS = 30
MAX_PERIOD_DAYS = 3 * 366
MONTHS_SHOWN = 12
# A member counts from the day they were accepted, and still counts while suspended.
MEMBER_STATUSES = (MEMBERSHIP_ACTIVE, MEMBERSHIP_SUSPENDED)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which ``day`` starts in ``tz`` (DST-safe: built in local time, then converted)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def local_today(territory: Territory, at: datetime) -> date:
    return at.astimezone(ZoneInfo(territory.timezone)).date()


@dataclass(frozen=True)
class Period:
    """From ``first_day`` to ``last_day`` included, in the territory's calendar."""

    first_day: date
    last_day: date
    timezone: str

    @property
    def start(self) -> datetime:
        return local_midnight(self.first_day, ZoneInfo(self.timezone))

    @property
    def end(self) -> datetime:
        return local_midnight(self.last_day + timedelta(days=1), ZoneInfo(self.timezone))

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def default_period(territory: Territory, at: datetime) -> Period:
    today = local_today(territory, at)
    return Period(today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), today, territory.timezone)


@dataclass(frozen=True)
class Month:
    first_day: date
    timezone: str

    @property
    def key(self) -> str:
        return self.first_day.strftime("%Y-%m")

    @property
    def next_first_day(self) -> date:
        year, month = divmod(self.first_day.month, 12)
        return date(self.first_day.year + year, month + 1, 1)

    @property
    def start(self) -> datetime:
        return local_midnight(self.first_day, ZoneInfo(self.timezone))

    @property
    def end(self) -> datetime:
        return local_midnight(self.next_first_day, ZoneInfo(self.timezone))


def last_months(territory: Territory, at: datetime, count: int = MONTHS_SHOWN) -> list[Month]:
    """The ``count`` calendar months ending with the current one, oldest first."""
    today = local_today(territory, at)
    index = today.year * 12 + today.month - 1
    return [
        Month(date((index - back) // 12, (index - back) % 12 + 1, 1), territory.timezone)
        for back in range(count - 1, -1, -1)
    ]


# -- series -------------------------------------------------------------------------------------------------------


@dataclass
class Series:
    """One figure per month: ``values[i]`` belongs to ``months[i]``."""

    key: str
    label: str
    months: list[Month]
    values: list[float]
    unit: str = ""
    module: str = ""
    module_label: str = ""
    totals: list[float] = field(default_factory=list)  # running total, for the membership series


def member_series(territory: Territory, months: list[Month]) -> Series:
    """New members per month and the number of members at the end of each month (two queries)."""
    in_territory = (Membership.territory_id == territory.id, Membership.status.in_(MEMBER_STATUSES))
    before = db.session.scalar(
        select(func.count()).select_from(Membership).where(*in_territory, Membership.decided_at < months[0].start)
    )
    joined_at = db.session.scalars(
        select(Membership.decided_at).where(
            *in_territory, Membership.decided_at >= months[0].start, Membership.decided_at < months[-1].end
        )
    ).all()
    tz = ZoneInfo(territory.timezone)
    counts = dict.fromkeys((m.key for m in months), 0)
    for instant in joined_at:
        counts[instant.astimezone(tz).strftime("%Y-%m")] += 1
    values = [counts[m.key] for m in months]
    totals, running = [], before or 0
    for value in values:
        running += value
        totals.append(running)
    return Series(key="membres", label="", months=months, values=values, totals=totals)


def module_series(registry: Registry, territory: Territory, months: list[Month]) -> list[Series]:
    """The module figures marked ``chart``, month by month: ``pc_territory_stats`` called once per month (the core's
    left out)."""
    by_key: dict[str, Series] = {}
    for index, month in enumerate(months):
        for stat in registry.collect(territory, "pc_territory_stats", start=month.start, end=month.end):
            if not stat.module or not stat.chart or not isinstance(stat.value, int | float):
                continue
            series = by_key.get(stat.key)
            if series is None:
                module = registry.modules.get(stat.module)
                series = by_key[stat.key] = Series(
                    key=stat.key,
                    label=str(stat.label),
                    months=months,
                    values=[0] * len(months),
                    unit=str(stat.unit or ""),
                    module=stat.module,
                    module_label=module.manifest.label if module else stat.module,
                )
            series.values[index] = stat.value
    return sorted(by_key.values(), key=lambda s: (s.module_label, s.label))


# -- charts -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: float
    label: str
    label_x: float


@dataclass(frozen=True)
class BarChart:
    """Geometry of a bar chart drawn as SVG by the template (no JavaScript)."""

    width: int
    height: int
    baseline: float
    bars: list[Bar]
    maximum: float


def bar_chart(labels: list[str], values: list[float], width: int = 480, height: int = 240) -> BarChart:
    """Narrow enough that twelve month names stay legible on a 360-pixel phone."""
    top, bottom, side = 28, 36, 8  # room for the values above the bars and the month names below
    maximum = max([*values, 0])
    scale = (height - top - bottom) / maximum if maximum else 0
    slot = (width - 2 * side) / max(len(values), 1)
    bar_width = slot * 0.7
    baseline = height - bottom
    bars = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        bar_height = max(value, 0) * scale
        x = side + index * slot + (slot - bar_width) / 2
        bars.append(
            Bar(
                x=round(x, 1),
                y=round(baseline - bar_height, 1),
                width=round(bar_width, 1),
                height=round(bar_height, 1),
                value=value,
                label=label,
                label_x=round(x + bar_width / 2, 1),
            )
        )
    return BarChart(width=width, height=height, baseline=baseline, bars=bars, maximum=maximum)
