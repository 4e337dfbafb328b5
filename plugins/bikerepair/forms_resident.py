"""Forms of the resident's pages: the search, the booking, my bikes and their booklets. The rules live in
``booking.py`` and ``bikes.py``; the forms only give early, field-by-field messages in French."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SearchField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from platformcoop.admin.forms import DATE_FORMATS, INVALID_DATE
from platformcoop.media.forms import ImageField
from plugins.bikerepair import bikes
from plugins.bikerepair.forms_common import EurosField, choices
from plugins.bikerepair.models import BIKE_TYPES
from plugins.bikerepair.search import SORT_DISTANCE, SORT_FIRST_SLOT, SORT_NAME

NO_BIKE = ""  # "je n'ai pas encore enregistré ce vélo"


def _max(length: int):
    return Length(max=length, message=_l("%(max)d caractères au plus.", max=length))


def _optional_float(value):
    try:
        return float(str(value).replace(",", ".")) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class SearchForm(FlaskForm):
    """The search and its filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    commune = SelectField(_l("Commune"), validators=[Optional()], validate_choice=False)
    type = SelectField(
        _l("Type de vélo"),
        choices=choices([("", _l("Tous les vélos")), *BIKE_TYPES.items()]),
        validators=[Optional()],
        validate_choice=False,
    )
    prestation = SearchField(
        _l("Réparation recherchée"),
        description=_l("Par exemple : crevaison, freins, révision."),
        validators=[Optional(), _max(100)],
    )
    tri = SelectField(
        _l("Trier par"),
        choices=choices(
            [
                (SORT_FIRST_SLOT, _l("Premier créneau disponible")),
                (SORT_DISTANCE, _l("Distance (autour de moi)")),
                (SORT_NAME, _l("Nom")),
            ]
        ),
        validators=[Optional()],
        validate_choice=False,
    )
    lat = HiddenField(filters=[_optional_float])
    lon = HiddenField(filters=[_optional_float])

    def position(self) -> tuple[float, float] | None:
        lat, lon = self.lat.data, self.lon.data
        if isinstance(lat, float) and isinstance(lon, float) and -90 <= lat <= 90 and -180 <= lon <= 180:
            return lat, lon
        return None


class BookingForm(FlaskForm):
    bike = SelectField(_l("Votre vélo"), validate_choice=False, validators=[Optional()])
    description = TextAreaField(
        _l("Décrivez le problème"),
        description=_l("Ce que vous avez remarqué : un bruit, une roue à plat, les freins qui frottent…"),
        validators=[InputRequired(_l("Décrivez le problème en quelques mots.")), _max(2000)],
        render_kw={"rows": 5},
    )
    photo = ImageField(
        _l("Photo (facultatif)"),
        description=_l("Une photo du problème aide le réparateur. Seuls vous et le réparateur la verrez."),
    )


class BikeForm(FlaskForm):
    name = StringField(
        _l("Nom du vélo"),
        description=_l("Pour le reconnaître, par exemple : « Mon vélo rouge »."),
        validators=[InputRequired(_l("Donnez un nom à votre vélo.")), _max(bikes.NAME_MAX)],
    )
    bike_type = SelectField(_l("Type de vélo"), choices=choices(BIKE_TYPES.items()), default="classique")
    brand = StringField(_l("Marque (facultatif)"), validators=[Optional(), _max(bikes.BRAND_MAX)])
    notes = TextAreaField(
        _l("Notes (facultatif)"),
        description=_l("Taille, couleur, année d'achat, numéro de marquage…"),
        validators=[Optional(), _max(bikes.NOTES_MAX)],
        render_kw={"rows": 4},
    )
    photo = ImageField(_l("Photo (facultatif)"), description=_l("Visible par vous seul."))


class BookletEntryForm(FlaskForm):
    done_on = DateField(
        _l("Date"),
        format=DATE_FORMATS,
        invalid_value_message=INVALID_DATE,
        validators=[InputRequired(_l("Indiquez la date."))],
    )
    work = TextAreaField(
        _l("Ce qui a été fait"),
        validators=[InputRequired(_l("Indiquez ce qui a été fait.")), _max(bikes.TEXT_MAX)],
        render_kw={"rows": 3},
    )
    parts = StringField(_l("Pièces changées (facultatif)"), validators=[Optional(), _max(bikes.TEXT_MAX)])
    price = EurosField(_l("Prix en euros (facultatif)"), description=_l("Par exemple : 12,50"))
    photo = ImageField(_l("Photo (facultatif)"))
