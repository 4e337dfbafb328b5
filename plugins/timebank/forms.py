"""Forms of the time bank: the duration field every area uses, joining, recording an exchange, answering one.

``DurationField`` shows two selects (hours, minutes) aligned to the territory's step and maximum; whatever is posted,
the amount is checked on the server by ``services.check_amount`` — the same rule as the ledger's.
"""

from __future__ import annotations

from math import gcd

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import BooleanField, HiddenField, SelectField, TextAreaField
from wtforms.fields.core import Field
from wtforms.utils import unset_value
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from platformcoop.formatting import format_duration
from platformcoop.tenancy import current_territory
from plugins.timebank import services


class DurationInput:
    """Two selects, ``<name>-hours`` and ``<name>-minutes``; the field's label names the first (its id is the field's),
    the second has its own (visually hidden) label."""

    def __call__(self, field: DurationField, **kwargs) -> Markup:
        kwargs.pop("id", None)
        hours, minutes = field.selected_parts()
        common = "".join(f' {escape(k)}="{escape(v)}"' if v is not True else f" {escape(k)}" for k, v in kwargs.items())
        hour_options = "".join(
            _option(h, _("%(num)s h", num=h), h == hours) for h in range(field.max_minutes // 60 + 1)
        )
        minute_options = "".join(
            _option(m, _("%(num)s min", num=str(m).zfill(2)), m == minutes) for m in field.minute_steps()
        )
        return Markup(
            '<span class="duration-input">'
            f'<select id="{field.id}" name="{field.name}-hours"{common}>{hour_options}</select>'
            f'<label class="visually-hidden" for="{field.name}-minutes">{escape(_("Minutes"))}</label>'
            f'<select id="{field.name}-minutes" name="{field.name}-minutes"{common}>{minute_options}</select>'
            "</span>"
        )


def _option(value: int, text, selected: bool) -> str:
    return f'<option value="{value}"{" selected" if selected else ""}>{escape(text)}</option>'


class DurationField(Field):
    """A duration in integer minutes (``data``), typed as hours + minutes, valid for the territory's rules.

    The territory is the one given to :meth:`configure`, or the current one (the request's).
    """

    widget = DurationInput()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        if not kwargs.get("id"):
            self.id = self.label.field_id = f"{self.name}-hours"  # the label names the hours select
        self.territory = None
        self.flags.required = True

    def configure(self, territory) -> DurationField:
        """Use ``territory``'s rules; without a description of its own, the field tells them in plain words."""
        self.territory = territory
        if not self.description:
            conf = self._settings()
            self.description = _l(
                "Entre %(step)s minutes et %(max)s, par tranches de %(step)s minutes.",
                step=conf["step_minutes"],
                max=format_duration(conf["max_transfer"]),
            )
        return self

    def _settings(self) -> dict:
        return services.settings(self.territory or current_territory())

    @property
    def max_minutes(self) -> int:
        return self._settings()["max_transfer"]

    def minute_steps(self) -> list[int]:
        """The minutes offered: multiples of the step below an hour (of gcd(step, 60) when the step does not divide
        an hour, the server then refusing the combinations off the step)."""
        return list(range(0, 60, gcd(self._settings()["step_minutes"], 60)))

    def selected_parts(self) -> tuple[int | None, int | None]:
        if self.raw_data:
            return tuple(_int_or_none(v) for v in self.raw_data)  # what was posted, even when refused
        if self.data is None:
            return None, None
        return divmod(self.data, 60)

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(None, data, extra_filters)
        self.raw_data = None
        if formdata is None:
            return
        hours, minutes = formdata.get(f"{self.name}-hours"), formdata.get(f"{self.name}-minutes")
        self.raw_data = [hours or "", minutes or ""]
        if not hours and not minutes:
            self.data = None
            return
        try:
            hours, minutes = int(hours or 0), int(minutes or 0)
        except ValueError:
            self.data = None
            self.process_errors.append(_l("Choisissez un nombre d'heures et de minutes."))
            return
        if hours < 0 or not 0 <= minutes < 60:
            self.data = None
            self.process_errors.append(_l("La durée doit être positive."))
            return
        self.data = hours * 60 + minutes

    def pre_validate(self, form):
        if self.process_errors:
            return
        if self.data is None:
            raise ValidationError(_l("Indiquez la durée."))
        try:
            services.check_amount(self.territory or current_territory(), self.data)
        except services.TimebankError as error:
            raise ValidationError(str(error))


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class JoinForm(FlaskForm):
    accept = BooleanField(
        _l("J'accepte la charte"), validators=[DataRequired(_l("Cochez la case pour accepter la charte."))]
    )


class ExchangeForm(FlaskForm):
    """A service received (``direction`` "received", the other person is the provider) or given (a payment request,
    the other person is the receiver). ``counterpart`` holds a user id, resolved by the view in the territory."""

    direction = HiddenField(default="received")
    post_id = HiddenField()
    counterpart = SelectField(
        _l("Qui vous a rendu ce service ?"),
        validators=[InputRequired(_l("Choisissez la personne."))],
        validate_choice=False,
    )
    duration = DurationField(_l("Durée"), default=60)
    category = SelectField(
        _l("Catégorie"), validators=[InputRequired(_l("Choisissez une catégorie."))], validate_choice=False
    )
    description = TextAreaField(
        _l("Ce qui a été fait"),
        description=_l("En quelques mots, par exemple : « réparation d'un vélo »."),
        filters=[_strip],
        validators=[
            DataRequired(_l("Décrivez le service en quelques mots.")),
            Length(max=500, message=_l("500 caractères au plus.")),
        ],
    )

    def __init__(self, territory, categories, people, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.duration.configure(territory)
        self.category.choices = [(str(c.id), c.label) for c in categories]
        self.counterpart.choices = [("", _l("Choisissez la personne"))] + [(str(uid), name) for uid, name in people]
        if self.giving:
            self.counterpart.label.text = _l("À qui avez-vous rendu ce service ?")

    @property
    def giving(self) -> bool:
        return self.direction.data == "given"

    @property
    def category_id(self) -> int:
        return int(self.category.data)

    def validate_category(self, field):
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choisissez une catégorie de la liste."))


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        _l("Raison du refus"),
        description=_l("Elle sera transmise à l'autre personne."),
        filters=[_strip],
        validators=[
            DataRequired(_l("Indiquez la raison du refus.")),
            Length(max=1000, message=_l("1000 caractères au plus.")),
        ],
    )
