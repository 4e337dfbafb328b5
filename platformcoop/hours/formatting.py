"""Opening hours in words, as residents read them: "Lundi : 9 h – 12 h, 14 h – 18 h"."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from platformcoop.hours.services import ClosedPeriod, format_minute, upcoming_closures, weekly_ranges, zone_of

WEEKDAYS = (_l("Lundi"), _l("Mardi"), _l("Mercredi"), _l("Jeudi"), _l("Vendredi"), _l("Samedi"), _l("Dimanche"))


def format_ranges(ranges: list[tuple[int, int]]) -> str:
    if not ranges:
        return _("Fermé")
    return ", ".join(
        _("%(start)s – %(end)s", start=format_minute(start), end=format_minute(end)) for start, end in ranges
    )


def weekly_lines(ranges_by_day: dict[int, list[tuple[int, int]]]) -> list[str]:
    """One line per weekday, Monday first: "Lundi : 9 h – 12 h, 14 h – 18 h", "Dimanche : Fermé"."""
    return [
        _("%(day)s : %(ranges)s", day=WEEKDAYS[weekday], ranges=format_ranges(ranges_by_day.get(weekday, [])))
        for weekday in range(7)
    ]


def local_date(instant: datetime, tz: ZoneInfo, locale: str) -> str:
    return format_date(instant.astimezone(tz).date(), format="full", locale=locale)


def local_time(instant: datetime, tz: ZoneInfo) -> str:
    local = instant.astimezone(tz)
    return format_minute(local.hour * 60 + local.minute)


def describe_period(period: ClosedPeriod, tz: ZoneInfo, locale: str = "fr") -> str:
    """ "le vendredi 1 mai 2026", "du lundi 3 août 2026 au vendredi 7 août 2026",
    "le samedi 13 juin 2026 de 14 h à 18 h", "du … à 14 h au … à 10 h"."""
    if period.whole_days:
        first = period.starts_at.astimezone(tz).date()
        last = period.ends_at.astimezone(tz).date() - timedelta(days=1)  # ends at the next midnight
        if first == last:
            text = _("le %(date)s", date=format_date(first, format="full", locale=locale))
        else:
            text = _(
                "du %(first)s au %(last)s",
                first=format_date(first, format="full", locale=locale),
                last=format_date(last, format="full", locale=locale),
            )
    elif period.starts_at.astimezone(tz).date() == period.ends_at.astimezone(tz).date():
        text = _(
            "le %(date)s de %(start)s à %(end)s",
            date=local_date(period.starts_at, tz, locale),
            start=local_time(period.starts_at, tz),
            end=local_time(period.ends_at, tz),
        )
    else:
        text = _(
            "du %(first)s à %(start)s au %(last)s à %(end)s",
            first=local_date(period.starts_at, tz, locale),
            start=local_time(period.starts_at, tz),
            last=local_date(period.ends_at, tz, locale),
            end=local_time(period.ends_at, tz),
        )
    return f"{text} ({period.label})" if period.label else text


def schedule_summary(schedule, now: datetime, locale: str = "fr", days: int = 60) -> dict:
    """What a public page shows: the weekly lines and the coming closures, in words (see ``hours/macros.html``)."""
    tz = zone_of(schedule)
    ranges = weekly_ranges(schedule)
    return {
        "has_hours": bool(ranges),
        "lines": weekly_lines(ranges),
        "closures": [describe_period(p, tz, locale) for p in upcoming_closures(schedule, now, days, locale)],
    }
