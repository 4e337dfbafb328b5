"""Forms of the coordinators' pages: corrections (POST, with CSRF) and the reports' filters (GET, no CSRF).

A duration is typed as hours and minutes, two small number fields; the services check the step and the limits and
answer in French.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SearchField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from platformcoop.admin.forms import PeriodForm

REASON_MAX = 500
MAX_HOURS = 200  # the largest maximum balance a territory may set


def choices(pairs) -> list:
    """(value, label) pairs for a SelectField; as ``SelectChoice`` where WTForms has it (3.3+ warns about tuples)."""
    try:
        from wtforms.fields.choices import SelectChoice
    except ImportError:
        return list(pairs)
    return [SelectChoice(value, label) for value, label in pairs]


def _reason_field(label, help_text):
    return TextAreaField(
        label,
        description=help_text,
        validators=[
            DataRequired(_l("Indiquez la raison : elle est gardée dans le journal.")),
            Length(max=REASON_MAX, message=_l("%(max)d caractères au plus.", max=REASON_MAX)),
        ],
        render_kw={"rows": 2},
    )


def _hours_field(label=None):
    return IntegerField(
        label or _l("Heures"),
        validators=[Optional(), NumberRange(0, MAX_HOURS, _l("Entre 0 et %(max)d heures.", max=MAX_HOURS))],
        render_kw={"inputmode": "numeric", "min": 0, "max": MAX_HOURS},
    )


def _minutes_field(label=None):
    return IntegerField(
        label or _l("Minutes"),
        validators=[Optional(), NumberRange(0, 59, _l("Entre 0 et 59 minutes."))],
        render_kw={"inputmode": "numeric", "min": 0, "max": 59, "step": 1},
    )


class DurationMixin:
    """``hours`` and ``minutes`` fields read as one number of minutes."""

    def total_minutes(self) -> int:
        return (self.hours.data or 0) * 60 + (self.minutes.data or 0)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.duration_required and self.total_minutes() <= 0:
            self.hours.errors = [*self.hours.errors, _l("Indiquez une durée, par exemple 1 heure et 30 minutes.")]
            return False
        return valid


class ReverseForm(DurationMixin, FlaskForm):
    """Cancel a transfer; with a duration, record the right amount at once ("3 h recorded instead of 1 h 30")."""

    duration_required = False
    reason = _reason_field(
        _l("Raison de l'annulation"),
        _l("Par exemple : 3 h saisies au lieu de 1 h 30. Les membres concernés la liront."),
    )
    hours = _hours_field(_l("Bonne durée : heures (facultatif)"))
    minutes = _minutes_field(_l("Bonne durée : minutes (facultatif)"))


class WriteOffForm(FlaskForm):
    reason = _reason_field(_l("Raison de la fermeture"), _l("Par exemple : a quitté la commune."))
    # the balance the coordinator saw when confirming: if it has moved since, they confirm again
    expected_balance = HiddenField()


class CreditForm(DurationMixin, FlaskForm):
    duration_required = True
    hours = _hours_field()
    minutes = _minutes_field()
    reason = _reason_field(_l("Raison du crédit"), _l("Par exemple : aide à la fête de quartier du 14 juin."))
    exceed_limits = BooleanField(
        _l("Dépasser les limites"),
        description=_l(
            "À cocher seulement si ce crédit doit faire dépasser au membre le solde maximal : il est alors "
            "enregistré comme une correction."
        ),
    )


class CorrectionForm(DurationMixin, FlaskForm):
    duration_required = True
    direction = SelectField(
        _l("Sens"),
        choices=choices([("in", _l("Ajouter des heures à ce compte")), ("out", _l("Retirer des heures de ce compte"))]),
    )
    # any account of the territory: the view loads it through the territory (404 for another one's id)
    other_account = SelectField(_l("Autre compte"), coerce=int, validate_choice=False)
    hours = _hours_field()
    minutes = _minutes_field()
    reason = _reason_field(
        _l("Raison de la correction"), _l("Une correction peut dépasser les limites ; elle est gardée dans le journal.")
    )


# -- reports' filters (GET) -----------------------------------------------------------------------------------------


class MembersFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Nom du membre"), validators=[Optional(), Length(max=100)])


class TransfersFilterForm(PeriodForm):
    categorie = SelectField(_l("Catégorie"), coerce=str, validators=[Optional()])
    membre = SelectField(_l("Membre"), coerce=str, validators=[Optional()])
    type = SelectField(_l("Type"), coerce=str, validators=[Optional()])


class SessionsFilterForm(PeriodForm):
    statut = SelectField(_l("Statut"), coerce=str, validators=[Optional()])
    tardives = BooleanField(_l("Seulement les annulations tardives"))
