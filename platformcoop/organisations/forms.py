"""Forms of the organisation pages: the profile (proposal and edit), an invitation, a staff member's role."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, FloatField, SelectField, StringField, TextAreaField, URLField
from wtforms.validators import URL as UrlValidator
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, Regexp

from platformcoop.organisations.models import ORGANISATION_KINDS, STAFF_ROLES
from platformcoop.organisations.services import PROFILE_FIELDS


class CoordinateField(FloatField):
    """A decimal degree, typed the French way ("50,6") or the English way ("50.6")."""

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [valuelist[0].replace(",", ".").strip()]
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Indiquez un nombre, par exemple 50,5123."))


def _max(length: int):
    return Length(max=length, message=_l("%(max)d caractères au plus.", max=length))


class OrganisationForm(FlaskForm):
    kind = SelectField(_l("Type d'organisation"), choices=list(ORGANISATION_KINDS.items()))
    name = StringField(_l("Nom"), validators=[InputRequired(_l("Indiquez le nom de l'organisation.")), _max(200)])
    description = TextAreaField(
        _l("Présentation"),
        description=_l("Ce que fait l'organisation, pour qui, comment la joindre."),
        validators=[Optional(), _max(5000)],
    )
    address = StringField(_l("Adresse"), validators=[Optional(), _max(255)])
    postcode = StringField(
        _l("Code postal"),
        validators=[Optional(), Regexp(r"^\d{5}$", message=_l("Le code postal compte 5 chiffres."))],
        render_kw={"inputmode": "numeric", "autocomplete": "postal-code"},
    )
    city = StringField(_l("Commune"), validators=[Optional(), _max(100)])
    latitude = CoordinateField(
        _l("Latitude (facultatif)"),
        description=_l("Pour placer l'organisation sur une carte, par exemple 50,5123. Laissez vide sinon."),
        validators=[Optional(), NumberRange(-90, 90, _l("Entre -90 et 90."))],
        render_kw={"inputmode": "decimal"},
    )
    longitude = CoordinateField(
        _l("Longitude (facultatif)"),
        description=_l("Par exemple 2,9876."),
        validators=[Optional(), NumberRange(-180, 180, _l("Entre -180 et 180."))],
        render_kw={"inputmode": "decimal"},
    )
    contact_email = EmailField(
        _l("E-mail de contact"),
        validators=[Optional(), Email(_l("Cette adresse e-mail n'est pas valable.")), _max(254)],
    )
    contact_phone = StringField(
        _l("Téléphone de contact"), validators=[Optional(), _max(40)], render_kw={"type": "tel"}
    )
    website = URLField(
        _l("Site web"),
        validators=[
            Optional(),
            UrlValidator(message=_l("Indiquez une adresse complète, commençant par https://")),
            _max(255),
        ],
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        latitude, longitude = self.latitude, self.longitude
        if not latitude.errors and not longitude.errors and (latitude.data is None) != (longitude.data is None):
            empty = latitude if latitude.data is None else longitude
            empty.errors = [*empty.errors, _l("Indiquez la latitude et la longitude, ou aucune des deux.")]
            valid = False
        return valid

    def profile(self) -> dict[str, Any]:
        return {name: self[name].data for name in PROFILE_FIELDS}


class InviteForm(FlaskForm):
    email = EmailField(
        _l("Adresse e-mail de la personne"),
        validators=[
            InputRequired(_l("Indiquez une adresse e-mail.")),
            Email(_l("Cette adresse e-mail n'est pas valable.")),
        ],
    )
    role = SelectField(_l("Rôle"), choices=list(STAFF_ROLES.items()), default="staff")


class RoleForm(FlaskForm):
    role = SelectField(_l("Rôle"), choices=list(STAFF_ROLES.items()))
