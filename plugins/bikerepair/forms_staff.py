"""Forms of the repairer's back office: the staff's actions on an appointment, the staff-entered booking, and the
owners' settings (rules, services, profile, photos). Bounds and messages are French; the services check again.

Prices are typed in euros (a comma or a point) and stored in cents; an empty price means "sur devis".
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from platformcoop.hours.forms import TimeText
from platformcoop.media.forms import ImageField
from plugins.bikerepair.forms_common import EurosField, choices
from plugins.bikerepair.models import BIKE_TYPES, GRID_STEPS, MAX_BUFFER_MINUTES, MAX_CAPACITY, REPAIRER_KINDS
from plugins.bikerepair.repairers import (
    MAX_DEADLINE_HOURS,
    MAX_EXPIRY_HOURS,
    MAX_HORIZON_DAYS,
    MAX_NOTICE_MINUTES,
    MAX_SERVICE_MINUTES,
)


def _between(low: int, high: int, message):
    return [InputRequired(message), NumberRange(low, high, message)]


def _number(label, low: int, high: int, message, description=None):
    return IntegerField(
        label,
        description=description,
        validators=_between(low, high, message),
        render_kw={"inputmode": "numeric", "min": low, "max": high},
    )


# -- the staff's actions on an appointment -----------------------------------------------------------------------------


class RefuseForm(FlaskForm):
    message = TextAreaField(
        _l("Message à la personne"),
        description=_l("Pourquoi vous ne pouvez pas la recevoir ; elle le lira dans sa notification."),
        validators=[
            DataRequired(_l("Indiquez pourquoi la demande est refusée.")),
            Length(max=1000, message=_l("1000 caractères au plus.")),
        ],
        render_kw={"rows": 3},
    )


class ProposeForm(FlaskForm):
    new_start = SelectField(
        _l("Nouvel horaire"),
        validate_choice=False,  # the slot may have been taken since the page was shown: the service says so
        validators=[DataRequired(_l("Choisissez un horaire."))],
    )
    message = TextAreaField(
        _l("Message (facultatif)"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2}
    )


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Raison de l'annulation"),
        description=_l("La personne en est prévenue avec cette raison."),
        validators=[
            DataRequired(_l("Indiquez la raison de l'annulation.")),
            Length(max=1000, message=_l("1000 caractères au plus.")),
        ],
        render_kw={"rows": 2},
    )


class DoneForm(FlaskForm):
    work_done = TextAreaField(
        _l("Ce qui a été fait"),
        validators=[DataRequired(_l("Indiquez ce qui a été fait.")), Length(max=2000)],
        render_kw={"rows": 3},
    )
    parts = TextAreaField(_l("Pièces changées"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2})
    price = EurosField(_l("Prix payé (euros)"), description=_l("Facultatif."))
    photo = ImageField(_l("Photo (facultative)"))


# -- the staff-entered booking -----------------------------------------------------------------------------------------

WALK_IN, RESIDENT = "sans_compte", "habitant"


class StaffBookingForm(FlaskForm):
    who = RadioField(
        _l("Pour qui"),
        choices=choices(
            [(WALK_IN, _l("Une personne sans compte (téléphone, passage)")), (RESIDENT, _l("Un habitant inscrit"))]
        ),
        default=WALK_IN,
        validators=[InputRequired(_l("Choisissez pour qui est le rendez-vous."))],
    )
    walk_in_name = StringField(_l("Nom"), validators=[Length(max=120)])  # required for a walk-in: see below
    walk_in_phone = StringField(
        _l("Téléphone"), validators=[Optional(), Length(max=40)], render_kw={"inputmode": "tel", "autocomplete": "off"}
    )
    resident_email = EmailField(
        _l("Adresse e-mail de l'habitant"), validators=[Length(max=254)], render_kw={"autocomplete": "off"}
    )
    service = SelectField(_l("Prestation"), coerce=int, validators=[InputRequired(_l("Choisissez une prestation."))])
    day = DateField(_l("Jour"), validators=[InputRequired(_l("Indiquez le jour."))])
    slot = SelectField(_l("Créneau libre"), validate_choice=False, validators=[Optional()])
    time = TimeText(
        _l("Ou une autre heure"),
        description=_l("Par exemple 14:30 ; elle doit tomber sur la grille des créneaux."),
    )
    description = TextAreaField(_l("Le problème"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 3})
    override = BooleanField(
        _l("Dépasser la capacité"),
        description=_l("Pour recevoir quelqu'un même si toutes les places sont prises. C'est noté dans le journal."),
    )

    def validate_walk_in_name(self, field):
        if self.who.data == WALK_IN and not (field.data or "").strip():
            raise ValidationError(_l("Indiquez le nom de la personne."))

    def validate_resident_email(self, field):
        if self.who.data == RESIDENT and not (field.data or "").strip():
            raise ValidationError(_l("Indiquez l'adresse e-mail de l'habitant."))

    def validate_time(self, field):
        if not self.slot.data and not (field.data or "").strip():
            raise ValidationError(_l("Choisissez un créneau libre ou indiquez une heure."))


# -- the owners' settings ----------------------------------------------------------------------------------------------


class RulesForm(FlaskForm):
    grid_minutes = SelectField(
        _l("Pas des créneaux"),
        coerce=int,
        choices=choices((step, _l("%(minutes)d minutes", minutes=step)) for step in GRID_STEPS),
        validators=[InputRequired(_l("Choisissez le pas des créneaux."))],
    )
    capacity = _number(
        _l("Places en parallèle"),
        1,
        MAX_CAPACITY,
        _l("Entre 1 et %(max)d places.", max=MAX_CAPACITY),
        _l("Combien de vélos vous pouvez prendre en même temps."),
    )
    buffer_minutes = _number(
        _l("Battement après un rendez-vous (minutes)"),
        0,
        MAX_BUFFER_MINUTES,
        _l("Entre 0 et %(max)d minutes.", max=MAX_BUFFER_MINUTES),
    )
    notice_minutes = _number(
        _l("Délai de prévenance (minutes)"),
        0,
        MAX_NOTICE_MINUTES,
        _l("Entre 0 et %(max)d minutes.", max=MAX_NOTICE_MINUTES),
        _l("Un créneau n'est proposé qu'à partir de ce délai."),
    )
    horizon_days = _number(
        _l("Réservation jusqu'à (jours)"),
        1,
        MAX_HORIZON_DAYS,
        _l("Entre 1 et %(max)d jours.", max=MAX_HORIZON_DAYS),
    )
    auto_accept = BooleanField(_l("Accepter les demandes automatiquement"))
    pending_expiry_hours = _number(
        _l("Expiration d'une demande sans réponse (heures)"),
        1,
        MAX_EXPIRY_HOURS,
        _l("Entre 1 et %(max)d heures.", max=MAX_EXPIRY_HOURS),
    )
    cancel_deadline_hours = _number(
        _l("Annulation en ligne possible jusqu'à (heures avant)"),
        0,
        MAX_DEADLINE_HOURS,
        _l("Entre 0 et %(max)d heures.", max=MAX_DEADLINE_HOURS),
    )


class ServiceForm(FlaskForm):
    name = StringField(
        _l("Nom de la prestation"),
        validators=[DataRequired(_l("Indiquez le nom de la prestation.")), Length(max=120)],
    )
    duration_minutes = _number(
        _l("Durée (minutes)"), 5, MAX_SERVICE_MINUTES, _l("Entre 5 et %(max)d minutes.", max=MAX_SERVICE_MINUTES)
    )
    price = EurosField(_l("Prix indicatif (euros)"), description=_l("Laissez vide : « sur devis »."))
    active = BooleanField(_l("Proposée à la réservation"), default=True)
    position = IntegerField(
        _l("Ordre d'affichage"),
        validators=[Optional(), NumberRange(0, 999, _l("Entre 0 et 999."))],
        render_kw={"inputmode": "numeric", "min": 0, "max": 999},
    )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProfileForm(FlaskForm):
    kind = SelectField(_l("Type de réparateur"), choices=choices(REPAIRER_KINDS.items()))
    bike_types = MultiCheckboxField(_l("Vélos réparés"), choices=choices(BIKE_TYPES.items()), validators=[Optional()])
    served_communes = TextAreaField(
        _l("Communes desservies"),
        description=_l("Pour un réparateur itinérant : les communes où vous vous déplacez."),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 2},
    )
    radius_km = IntegerField(
        _l("Rayon d'intervention (km)"),
        validators=[Optional(), NumberRange(0, 200, _l("Entre 0 et 200 km."))],
        render_kw={"inputmode": "numeric", "min": 0, "max": 200},
    )
    payment_notes = TextAreaField(
        _l("Moyens de paiement acceptés"),
        description=_l("Par exemple : espèces, chèque, carte. Rien n'est payé sur la plateforme."),
        validators=[Optional(), Length(max=1000)],
        render_kw={"rows": 2},
    )
    paused = BooleanField(_l("Je ne prends plus de rendez-vous pour l'instant"))


class PhotoForm(FlaskForm):
    photo = ImageField(_l("Photo"), validators=[FileRequired(_l("Choisissez une image."))])
    caption = StringField(_l("Légende"), validators=[Optional(), Length(max=200)])
