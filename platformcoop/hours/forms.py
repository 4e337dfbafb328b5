"""Forms of the opening-hours pages: a weekday's ranges, a closure, the holiday settings, a territory's day off."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from platformcoop.hours.models import HOLIDAY_REGIONS, MINUTES_PER_DAY

TIME_RE = re.compile(r"^\s*(\d{1,2})\s*(?:(?:h|:)\s*(\d{2})?)?\s*$", re.IGNORECASE)


def parse_time(text: str, *, is_end: bool = False) -> int:
    """ "9", "9h", "9 h 30", "09:30", "24:00" → minutes since midnight; "00:00" as an end means midnight (1440)."""
    match = TIME_RE.match(text or "")
    if not match:
        raise ValueError(text)
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(text)
    minute = hours * 60 + minutes
    return MINUTES_PER_DAY if is_end and minute == 0 else minute


def time_text(minute: int) -> str:
    """Minutes → "HH:MM" for an <input type="time"> (midnight as an end is "00:00")."""
    return f"{(minute // 60) % 24:02d}:{minute % 60:02d}"


class TimeText(StringField):
    """A time of day typed as "9:30" or "9 h 30"; a browser shows its time picker."""

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"type": "time", "inputmode": "numeric", "autocomplete": "off"}
        render_kw.update(kwargs.pop("render_kw", {}) or {})
        super().__init__(label, validators, render_kw=render_kw, **kwargs)


def _check_time(is_end: bool):
    def check(form, field):
        if field.data and field.data.strip():
            try:
                parse_time(field.data, is_end=is_end)
            except ValueError:
                raise ValidationError(_l("Indiquez une heure comme 9:00 ou 14:30."))

    return check


def day_ranges_form_class(max_ranges: int) -> type[FlaskForm]:
    """A form with ``max_ranges`` pairs of fields ``start_<n>`` / ``end_<n>``; empty pairs are ignored."""
    attrs: dict[str, Any] = {}
    for n in range(1, max_ranges + 1):
        attrs[f"start_{n}"] = TimeText(_l("Ouverture n° %(n)s", n=n), validators=[Optional(), _check_time(False)])
        attrs[f"end_{n}"] = TimeText(_l("Fermeture n° %(n)s", n=n), validators=[Optional(), _check_time(True)])
    attrs["max_ranges"] = max_ranges
    return type("DayRangesForm", (FlaskForm,), attrs)


def pairs(form) -> list[tuple[Any, Any]]:
    return [(form[f"start_{n}"], form[f"end_{n}"]) for n in range(1, form.max_ranges + 1)]


def ranges_from_form(form) -> tuple[list[tuple[int, int]], list[int]]:
    """The ranges typed in ``form`` and, for each, the number of its pair; a half-filled pair gets an error."""
    ranges, numbers = [], []
    for n, (start_field, end_field) in enumerate(pairs(form), start=1):
        start_text, end_text = (start_field.data or "").strip(), (end_field.data or "").strip()
        if not start_text and not end_text:
            continue
        if not start_text or not end_text:
            missing = start_field if not start_text else end_field
            missing.errors = [*missing.errors, _l("Indiquez l'heure d'ouverture et l'heure de fermeture.")]
            continue
        ranges.append((parse_time(start_text), parse_time(end_text, is_end=True)))
        numbers.append(n)
    return ranges, numbers


def fill_day_form(form, ranges: list[tuple[int, int]]) -> None:
    for (start_field, end_field), (start, end) in zip(pairs(form), ranges, strict=False):
        start_field.data, end_field.data = time_text(start), time_text(end)


class ClosureForm(FlaskForm):
    start_date = DateField(_l("Premier jour"), validators=[InputRequired(_l("Indiquez le premier jour."))])
    start_time = TimeText(
        _l("À partir de (heure)"),
        description=_l("Laissez vide pour fermer dès le début de la journée."),
        validators=[Optional(), _check_time(False)],
    )
    end_date = DateField(_l("Dernier jour"), validators=[InputRequired(_l("Indiquez le dernier jour."))])
    end_time = TimeText(
        _l("Jusqu'à (heure)"),
        description=_l("Laissez vide pour fermer jusqu'à la fin de la journée."),
        validators=[Optional(), _check_time(True)],
    )
    reason = StringField(
        _l("Motif (affiché au public)"),
        validators=[Optional(), Length(max=200, message=_l("200 caractères au plus."))],
    )


class ScheduleSettingsForm(FlaskForm):
    closed_on_public_holidays = BooleanField(_l("Fermé les jours fériés"))
    closed_on_territory_holidays = BooleanField(_l("Fermé les jours de fermeture du territoire"))
    holiday_region = SelectField(_l("Jours fériés applicables"), choices=list(HOLIDAY_REGIONS.items()))


class TerritoryHolidayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired(_l("Indiquez la date."))])
    label = StringField(
        _l("Nom du jour"),
        description=_l("Par exemple : fête communale, pont de l'Ascension."),
        validators=[
            InputRequired(_l("Indiquez le nom de ce jour.")),
            Length(max=200, message=_l("200 caractères au plus.")),
        ],
    )
