"""French display of durations, money and instants — one place for the core and every module.

Durations are integer minutes and money integer cents everywhere in the code; these functions are the only way they
become text. Instants are stored in UTC and shown in the territory's time zone, in the reader's language.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency
from flask import Flask, g


def format_duration(minutes: int) -> str:
    """``3 h 30``, ``2 h``, ``0 h 45``, ``-1 h 15``."""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours} h {rest:02d}" if rest else f"{sign}{hours} h"


def format_money(cents: int, locale: str = "fr") -> str:
    """``12,50 €`` in French (``€12.50`` in English)."""
    return format_currency(cents / 100, "EUR", locale=locale)


def local_datetime(instant: datetime | None, territory, locale: str = "fr") -> str:
    """``10/03/2026 10:00`` in French, for a UTC instant, in the territory's time zone."""
    if instant is None:
        return ""
    return format_datetime(instant, "short", tzinfo=ZoneInfo(territory.timezone), locale=locale)


def local_time(instant: datetime | None, territory, locale: str = "fr") -> str:
    """``10:00`` in French (``10:00 AM`` in English), for a UTC instant, in the territory's time zone."""
    if instant is None:
        return ""
    return format_time(instant, "short", tzinfo=ZoneInfo(territory.timezone), locale=locale)


def local_date(day: date | datetime | None, territory, style: str = "long", locale: str = "fr") -> str:
    """``10 mars 2026`` in French; an instant is first placed in the territory's time zone."""
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = day.astimezone(ZoneInfo(territory.timezone)).date()
    return format_date(day, style, locale=locale)


def init_app(app: Flask) -> None:
    """Jinja filters using the current territory and reader's language: ``{{ movement.created_at | local_date }}``."""
    from platformcoop.web import current_locale

    app.jinja_env.filters.update(
        duration=format_duration,
        money=lambda cents: format_money(cents, current_locale()),
        local_datetime=lambda instant: local_datetime(instant, g.territory, current_locale()),
        local_time=lambda instant: local_time(instant, g.territory, current_locale()),
        local_date=lambda day, style="long": local_date(day, g.territory, style, current_locale()),
    )
