"""Forms of the childcare pages: asking to be verified, a child, the emergency contact, a session request, the
caregiver's declaration, reasons, and the coordinators' decisions.

The rules (a plausible birth year, a phone one can call, a session in the future…) live in ``childcare.py``; the forms
call them so the message appears next to the field, and the services check again whatever was posted.
"""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from platformcoop.admin.forms import DATE_FORMATS, INVALID_DATE, MultiCheckboxField, WholeNumberField
from platformcoop.hours.forms import TimeText, parse_time
from plugins.timebank import childcare
from plugins.timebank.childcare.rules import MESSAGE_MAX, NOTE_MAX, PLACE_LABELS


def _max(length: int):
    return Length(max=length, message=_l("%(max)d caractères au plus.", max=length))


def _optional_int(value):
    """Coerce a posted id; anything else is None (the view or the service says what is wrong, in French)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def choices(pairs) -> list:
    """(value, label) pairs for a choice field; as ``SelectChoice`` where WTForms has it (3.3+ warns about tuples)."""
    try:
        from wtforms.fields.choices import SelectChoice
    except ImportError:  # pragma: no cover - older WTForms
        return list(pairs)
    return [SelectChoice(value, label) for value, label in pairs]


def _valid_time(form, field) -> None:
    try:
        parse_time(field.data or "")
    except ValueError:
        raise ValidationError(_l("Indiquez une heure comme 9:00 ou 14:30."))


def time_of(text: str):
    """The ``datetime.time`` of a valid TimeText value."""
    from datetime import time

    minute = parse_time(text) % (24 * 60)
    return time(minute // 60, minute % 60)


class VettingRequestForm(FlaskForm):
    note = TextAreaField(
        _l("Quelques mots sur vous (facultatif)"),
        description=_l("Par exemple : vos disponibilités, votre expérience avec les enfants."),
        validators=[Optional(), _max(NOTE_MAX)],
    )
    adult = BooleanField(
        _l("J'ai 18 ans ou plus"),
        validators=[DataRequired(_l("Cochez cette case : seules les personnes majeures peuvent garder des enfants."))],
    )


class ChildForm(FlaskForm):
    first_name = StringField(
        _l("Prénom ou surnom"),
        validators=[InputRequired(_l("Indiquez le prénom ou le surnom de l'enfant.")), _max(60)],
        render_kw={"autocomplete": "off"},
    )
    birth_year = WholeNumberField(
        _l("Année de naissance"),
        description=_l("Par exemple 2019."),
        validators=[InputRequired(_l("Indiquez l'année de naissance."))],
        render_kw={"inputmode": "numeric"},
    )
    notes = TextAreaField(
        _l("À savoir (facultatif)"),
        description=_l(
            "Allergies, santé, habitudes : la personne qui garde le lit seulement pour une garde acceptée, "
            "jusqu'au lendemain de la garde."
        ),
        validators=[Optional(), _max(NOTE_MAX)],
    )

    def validate_birth_year(self, field) -> None:
        error = childcare.birth_year_error(g.territory, field.data)
        if error:
            raise ValidationError(error)


class EmergencyContactForm(FlaskForm):
    name = StringField(
        _l("Personne à prévenir"),
        description=_l("Quelqu'un de joignable pendant les gardes, par exemple un grand-parent."),
        validators=[InputRequired(_l("Indiquez le nom de la personne à prévenir.")), _max(120)],
    )
    phone = StringField(
        _l("Son téléphone"),
        validators=[InputRequired(_l("Indiquez son numéro de téléphone.")), _max(40)],
        render_kw={"type": "tel", "autocomplete": "off"},
    )

    def validate_phone(self, field) -> None:
        error = childcare.phone_error(field.data)
        if error:
            raise ValidationError(error)


class _TimesForm(FlaskForm):
    day = DateField(
        _l("Date"),
        format=DATE_FORMATS,
        invalid_value_message=INVALID_DATE,
        validators=[InputRequired(_l("Indiquez la date."))],
    )
    start = TimeText(_l("Heure de début"), validators=[InputRequired(_l("Indiquez l'heure de début.")), _valid_time])
    end = TimeText(
        _l("Heure de fin"),
        description=_l("Si la garde finit après minuit, indiquez l'heure du lendemain."),
        validators=[InputRequired(_l("Indiquez l'heure de fin.")), _valid_time],
    )

    def times(self):
        return self.day.data, time_of(self.start.data), time_of(self.end.data)


class SessionRequestForm(_TimesForm):
    caregiver = SelectField(_l("Personne qui garde"), coerce=_optional_int, validate_choice=False)
    children = MultiCheckboxField(_l("Enfants à garder"), coerce=_optional_int, validate_choice=False)
    place = RadioField(
        _l("Lieu de la garde"),
        choices=choices(PLACE_LABELS.items()),
        default="parent",
        validators=[InputRequired(_l("Choisissez le lieu de la garde."))],
    )
    message = TextAreaField(
        _l("Message (facultatif)"),
        description=_l("Ce que la personne doit savoir pour organiser la garde. Ne donnez pas votre adresse ici."),
        validators=[Optional(), _max(MESSAGE_MAX)],
    )

    def validate_caregiver(self, field) -> None:
        if field.data is None:
            raise ValidationError(_l("Choisissez la personne qui garde."))

    def validate_children(self, field) -> None:
        if not [child_id for child_id in field.data or [] if child_id is not None]:
            raise ValidationError(_l("Choisissez au moins un enfant."))


class DeclareForm(_TimesForm):
    pass


class ReasonForm(FlaskForm):
    """A required reason (disputing the declared hours)."""

    reason = TextAreaField(
        _l("Ce qui ne va pas"),
        description=_l(
            "Par exemple : les heures déclarées ne correspondent pas à la garde. Les coordinateurs le lisent."
        ),
        validators=[DataRequired(_l("Expliquez ce qui ne va pas dans les heures déclarées.")), _max(NOTE_MAX)],
    )


class OptionalReasonForm(FlaskForm):
    """An optional message (declining or cancelling a session)."""

    reason = TextAreaField(_l("Message à l'autre personne (facultatif)"), validators=[Optional(), _max(NOTE_MAX)])


class VettingDecisionForm(FlaskForm):
    note = TextAreaField(
        _l("Message à la personne"),
        description=_l("Obligatoire pour un refus ou un retrait ; il est envoyé à la personne."),
        validators=[Optional(), _max(NOTE_MAX)],
    )


class SettleForm(FlaskForm):
    hours = WholeNumberField(
        _l("Heures"),
        validators=[InputRequired(_l("Indiquez les heures.")), NumberRange(0, 24, _l("Entre 0 et 24."))],
        render_kw={"inputmode": "numeric"},
    )
    minutes = WholeNumberField(
        _l("Minutes"),
        validators=[InputRequired(_l("Indiquez les minutes.")), NumberRange(0, 59, _l("Entre 0 et 59."))],
        render_kw={"inputmode": "numeric"},
    )
    note = TextAreaField(
        _l("Votre décision, expliquée aux deux personnes"),
        validators=[DataRequired(_l("Expliquez votre décision aux deux personnes.")), _max(NOTE_MAX)],
    )

    def total(self) -> int:
        return self.hours.data * 60 + self.minutes.data


class VoidForm(FlaskForm):
    note = TextAreaField(
        _l("Votre décision, expliquée aux deux personnes"),
        validators=[DataRequired(_l("Expliquez votre décision aux deux personnes.")), _max(NOTE_MAX)],
    )
