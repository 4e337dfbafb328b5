"""Admin forms, including the module settings form generated from a manifest."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

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
