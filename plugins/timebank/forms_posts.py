"""Forms of the offers and requests pages, and of the categories page. The rules themselves live in ``posts.py`` and
``categories.py``; the forms only give early, field-by-field messages in French."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SearchField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from platformcoop.admin.forms import DATE_FORMATS, INVALID_DATE
from plugins.timebank import categories, posts
from plugins.timebank.models import Post

KIND_CHOICES = [(Post.OFFER, _l("Je propose un service")), (Post.REQUEST, _l("Je recherche un service"))]
# the search form speaks French in the address bar: ?type=offre
KIND_FILTERS = {"offre": Post.OFFER, "demande": Post.REQUEST}


def _max(length: int):
    return Length(max=length, message=_l("%(max)d caractères au plus.", max=length))


def _optional_int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class PostForm(FlaskForm):
    kind = RadioField(
        _l("Vous proposez ou vous recherchez ?"),
        choices=KIND_CHOICES,
        invalid_choice_message=_l("Choisissez : je propose ou je recherche."),
    )
    category_id = SelectField(
        _l("Catégorie"),
        coerce=_optional_int,
        validators=[InputRequired(_l("Choisissez une catégorie."))],
        validate_choice=False,  # the service checks the category (territory, active) and says why in French
    )
    title = StringField(
        _l("Titre"),
        description=_l("En quelques mots, par exemple : « Je répare les vélos » ou « Cherche aide pour un CV »."),
        validators=[InputRequired(_l("Donnez un titre à votre annonce.")), _max(posts.TITLE_MAX)],
    )
    description = TextAreaField(
        _l("Description (facultatif)"),
        description=_l("Ce que vous proposez ou cherchez, pour qui, avec quel matériel."),
        validators=[Optional(), _max(posts.DESCRIPTION_MAX)],
        render_kw={"rows": 6},
    )
    availability = StringField(
        _l("Disponibilités (facultatif)"),
        description=_l("Par exemple : le mercredi après-midi, le samedi matin."),
        validators=[Optional(), _max(posts.AVAILABILITY_MAX)],
    )
    neighbourhood = StringField(
        _l("Quartier (facultatif)"),
        description=_l("Pour trouver quelqu'un près de chez vous. N'indiquez pas votre adresse."),
        validators=[Optional(), _max(posts.NEIGHBOURHOOD_MAX)],
    )
    ends_on = DateField(
        _l("Date de fin (facultatif)"),
        description=_l(
            "Après cette date, l'annonce n'apparaît plus. Laissez vide pour la garder jusqu'à ce que vous la fermiez."
        ),
        format=DATE_FORMATS,
        invalid_value_message=INVALID_DATE,
        validators=[Optional()],
    )

    def fields_for_service(self) -> dict:
        return {
            "kind": self.kind.data,
            "category_id": self.category_id.data,
            "title": self.title.data,
            "description": self.description.data,
            "availability": self.availability.data,
            "neighbourhood": self.neighbourhood.data,
            "ends_on": self.ends_on.data,
        }


class PostSearchForm(FlaskForm):
    """The list's search and filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Mots recherchés"), validators=[Optional(), _max(100)])
    categorie = SelectField(_l("Catégorie"), coerce=_optional_int, validate_choice=False, validators=[Optional()])
    type = SelectField(
        _l("Offres ou demandes"),
        choices=[
            ("", _l("Offres et demandes")),
            ("offre", _l("Offres : quelqu'un propose")),
            ("demande", _l("Demandes : quelqu'un recherche")),
        ],
        validators=[Optional()],
        validate_choice=False,
    )
    quartier = StringField(_l("Quartier"), validators=[Optional(), _max(100)], render_kw={"list": "quartiers"})


class CategoryForm(FlaskForm):
    label = StringField(
        _l("Nom de la catégorie"),
        validators=[InputRequired(_l("Indiquez le nom de la catégorie.")), _max(categories.LABEL_MAX)],
    )
