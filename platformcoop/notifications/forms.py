"""Forms of the inbox and of the notification preferences (a group of choices per kind, built from the kinds)."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import AnyOf, InputRequired

from platformcoop.notifications import preferences
from platformcoop.notifications.kinds import NotificationKind, notification_kinds

CHOICE_LABELS = (
    (preferences.IMMEDIATE, _l("Un e-mail tout de suite")),
    (preferences.DIGEST, _l("Dans le résumé du jour")),
    (preferences.NO_EMAIL, _l("Pas d'e-mail")),
)


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class PreferencesForm(FlaskForm):
    """One radio group per kind; fields are added by :func:`preferences_form`."""

    kinds: list[NotificationKind] = []

    def kind_fields(self):
        return [(kind, self[field_name(kind.name)]) for kind in self.kinds]

    def choices(self) -> dict[str, str]:
        return {kind.name: field.data for kind, field in self.kind_fields()}


def _choices() -> list:
    """The three choices; as ``SelectChoice`` where WTForms has it (3.3+ warns about tuples)."""
    try:
        from wtforms.fields.choices import SelectChoice
    except ImportError:
        return list(CHOICE_LABELS)
    return [SelectChoice(value, label) for value, label in CHOICE_LABELS]


def field_name(kind: str) -> str:
    return "kind_" + re.sub(r"\W", "_", kind)


def kinds_for(user, registry) -> list[NotificationKind]:
    """The core's kinds and those of the modules on in any territory ``user`` is an active member of."""
    modules: set[str] = set()
    for membership in user.memberships:
        if membership.is_active:
            modules |= registry.enabled_names(membership.territory)
    return notification_kinds(registry, modules)


def preferences_form(user, registry, formdata=None) -> PreferencesForm:
    """The form for ``user``, filled with their current choices (or with ``formdata`` when it was posted)."""
    kinds = kinds_for(user, registry)
    current = preferences.email_choices(user)
    form_class = type("UserPreferencesForm", (PreferencesForm,), {"kinds": kinds})
    message = _l("Choisissez une des options proposées.")
    for kind in kinds:
        field = RadioField(
            kind.label,
            choices=_choices(),
            default=current.get(kind.name, preferences.DEFAULT),
            validators=[InputRequired(message), AnyOf(preferences.CHOICES, message=message)],
            validate_choice=False,
        )
        setattr(form_class, field_name(kind.name), field)
    return form_class(formdata=formdata, prefix="notif")
