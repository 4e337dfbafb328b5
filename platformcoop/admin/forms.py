"""Admin forms, including the module settings form generated from a manifest."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from platformcoop.plugins.manifest import ModuleManifest


class ActionForm(FlaskForm):
    """A bare form for one-button actions (CSRF only)."""


class DecisionForm(FlaskForm):
    message = TextAreaField(
        _l("Message à la personne (facultatif)"),
        validators=[
            Optional(),
            Length(max=1000, message=_l("Le message ne doit pas dépasser 1000 caractères.")),
        ],
    )


def settings_form_class(manifest: ModuleManifest) -> type[FlaskForm]:
    """A form with one field per typed setting; bounds are checked again by the manifest on save."""
    attrs: dict[str, Any] = {}
    for setting in manifest.settings:
        kwargs = {"label": setting.label, "description": setting.help}
        if setting.type == "int":
            render_kw = {}
            if setting.min is not None:
                render_kw["min"] = setting.min
            if setting.max is not None:
                render_kw["max"] = setting.max
            attrs[setting.name] = IntegerField(
                validators=[InputRequired(_l("Indiquez une valeur."))], render_kw=render_kw, **kwargs
            )
        elif setting.type == "bool":
            attrs[setting.name] = BooleanField(**kwargs)
        elif setting.type == "choice":
            attrs[setting.name] = SelectField(choices=list(setting.choices), **kwargs)
        elif setting.max_length > 200:
            attrs[setting.name] = TextAreaField(validators=[Optional()], **kwargs)
        else:
            attrs[setting.name] = StringField(validators=[Optional()], **kwargs)
    return type(f"{manifest.name.title()}SettingsForm", (FlaskForm,), attrs)


def settings_from_form(manifest: ModuleManifest, form: FlaskForm) -> dict[str, Any]:
    values = {}
    for setting in manifest.settings:
        value = form[setting.name].data
        if setting.type == "str":
            value = (value or "").strip()
        values[setting.name] = value
    return values


# -- dashboard ----------------------------------------------------------------------------------------------------

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]  # the date picker sends the first; a browser without one, what people type
INVALID_DATE = _l("Indiquez une date valide, par exemple 31/01/2026.")


class PeriodForm(FlaskForm):
    """The dashboard's period, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    debut = DateField(
        _l("Du"),
        format=DATE_FORMATS,
        invalid_value_message=INVALID_DATE,
        validators=[InputRequired(_l("Indiquez la date de début."))],
    )
    fin = DateField(
        _l("Au (inclus)"),
        format=DATE_FORMATS,
        invalid_value_message=INVALID_DATE,
        validators=[InputRequired(_l("Indiquez la date de fin."))],
    )

    def validate_fin(self, field) -> None:
        from platformcoop.admin.stats import MAX_PERIOD_DAYS

        if self.debut.data is None or field.data is None:
            return
        if field.data < self.debut.data:
            raise ValidationError(_l("La date de fin doit suivre la date de début."))
        if (field.data - self.debut.data).days >= MAX_PERIOD_DAYS:
            raise ValidationError(_l("Choisissez une période de trois ans au plus."))


# -- members ----------------------------------------------------------------------------------------------------


class MemberFilterForm(FlaskForm):
    """Search and filters of the members list (GET)."""

    class Meta:
        csrf = False

    q = SearchField(
        _l("Nom ou adresse e-mail"),
        validators=[Optional(), Length(max=100, message=_l("Saisissez 100 caractères au plus."))],
    )
    role = SelectField(_l("Rôle"), validators=[Optional()])
    statut = SelectField(_l("Statut"), validators=[Optional()])


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes (rendered by templates/admin/_checkboxes.html inside a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RolesForm(FlaskForm):
    roles = MultiCheckboxField(_l("Rôles"), validate_choice=False)


class SuspendForm(FlaskForm):
    reason = TextAreaField(
        _l("Motif de la suspension"),
        description=_l("Il est envoyé à la personne."),
        validators=[
            DataRequired(_l("Indiquez le motif de la suspension.")),
            Length(max=1000, message=_l("Le message ne doit pas dépasser 1000 caractères.")),
        ],
    )


class ReactivateForm(FlaskForm):
    reason = TextAreaField(
        _l("Message à la personne (facultatif)"),
        validators=[Optional(), Length(max=1000, message=_l("Le message ne doit pas dépasser 1000 caractères."))],
    )


# -- identity and pages -------------------------------------------------------------------------------------------


class WholeNumberField(IntegerField):
    """An integer field whose "not a number" message is ours (French first, like the rest of the form)."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Indiquez un nombre entier."))


PAGE_MAX_LENGTH = 20000


def _page_field(label, description=None):
    return TextAreaField(
        label,
        description=description,
        validators=[
            Optional(),
            Length(max=PAGE_MAX_LENGTH, message=_l("Le texte ne doit pas dépasser 20000 caractères.")),
        ],
        render_kw={"rows": 8},
    )


class IdentityForm(FlaskForm):
    name = StringField(
        _l("Nom affiché"),
        validators=[
            InputRequired(_l("Indiquez le nom du territoire.")),
            Length(max=200, message=_l("Saisissez 200 caractères au plus.")),
        ],
    )
    primary_color = StringField(
        _l("Couleur principale"),
        description=_l(
            "Au format #RRVVBB, par exemple #1d5b79. Le texte blanc de l'en-tête et des boutons doit rester lisible "
            "dessus : choisissez une couleur assez foncée."
        ),
        validators=[InputRequired(_l("Indiquez une couleur."))],
        render_kw={"maxlength": 7, "autocomplete": "off", "spellcheck": "false"},
    )
    contact_email = EmailField(
        _l("Adresse e-mail de contact"),
        validators=[
            Optional(),
            Email(message=_l("Cette adresse e-mail n'est pas valide."), check_deliverability=False),
            Length(max=254, message=_l("Saisissez 254 caractères au plus.")),
        ],
    )
    contact_phone = TelField(
        _l("Téléphone de contact"),
        validators=[Optional(), Regexp(r"^[0-9 +().-]{6,20}$", message=_l("Ce numéro de téléphone n'est pas valide."))],
    )
    join_policy = RadioField(_l("Adhésion des habitants"))
    moderation_threshold = WholeNumberField(
        _l("Seuil de masquage automatique"),
        description=_l(
            "Nombre de membres différents qui signalent un contenu avant qu'il soit masqué en attendant la décision "
            "d'un modérateur. Entre 1 et 50."
        ),
        validators=[InputRequired(_l("Indiquez un nombre entier."))],
        render_kw={"min": 1, "max": 50},
    )
    welcome_text = _page_field(_l("Texte d'accueil"), _l("Affiché en haut de la page d'accueil du territoire."))
    legal_notice = _page_field(_l("Mentions légales"))
    terms = _page_field(_l("Conditions d'utilisation"))
    privacy_policy = _page_field(_l("Politique de confidentialité"))
    accessibility_statement = _page_field(_l("Déclaration d'accessibilité"))

    def validate_moderation_threshold(self, field) -> None:
        from platformcoop.admin.services import MODERATION_THRESHOLD_RANGE

        low, high = MODERATION_THRESHOLD_RANGE
        if field.data is not None and not low <= field.data <= high:
            raise ValidationError(_l("Le seuil doit être compris entre %(low)s et %(high)s.", low=low, high=high))

    def validate_primary_color(self, field) -> None:
        from platformcoop.admin.services import colour_problem

        field.data = (field.data or "").strip().lower()
        problem = colour_problem(field.data)
        if problem:
            raise ValidationError(problem)


# -- audit log ----------------------------------------------------------------------------------------------------


class JournalFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional()])
    auteur = SelectField(_l("Auteur"), validators=[Optional()])
    debut = DateField(_l("Depuis le"), format=DATE_FORMATS, invalid_value_message=INVALID_DATE, validators=[Optional()])
    fin = DateField(
        _l("Jusqu'au (inclus)"), format=DATE_FORMATS, invalid_value_message=INVALID_DATE, validators=[Optional()]
    )

    def validate_fin(self, field) -> None:
        if self.debut.data and field.data and field.data < self.debut.data:
            raise ValidationError(_l("La date de fin doit suivre la date de début."))
