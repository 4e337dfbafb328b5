"""Dates as the territory's staff read them: in the territory's time zone and the reader's language."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date
from babel.numbers import format_decimal

from platformcoop import formatting
from platformcoop.admin.audit_labels import action_label
from platformcoop.admin.pagination import page_args
from platformcoop.web import current_locale


def local_datetime(instant: datetime | None, territory) -> str:
    return formatting.local_datetime(instant, territory, current_locale())


def local_date(day: date | datetime | None, territory, style: str = "long") -> str:
    return formatting.local_date(day, territory, style, current_locale())


def month_name(day: date, short: bool = False) -> str:
    """``mars 2026`` (or ``mars`` for a chart's axis)."""
    return format_date(day, "LLL" if short else "LLLL y", locale=current_locale())


def number(value) -> str:
    """``1 234`` or ``12,5`` in French."""
    return format_decimal(value, locale=current_locale())


def template_helpers(territory) -> dict:
    """Names given to the admin and moderation templates."""
    return {
        "local_datetime": lambda instant: local_datetime(instant, territory),
        "local_date": lambda day, style="long": local_date(day, territory, style),
        "month_name": month_name,
        "number": number,
        "page_args": page_args,
        "action_label": action_label,
    }
