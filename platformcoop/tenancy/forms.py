from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length


class JoinForm(FlaskForm):
    message = TextAreaField(
        _l("Un mot pour l'équipe de la collectivité (facultatif)"),
        validators=[Length(max=1000, message=_l("Votre message ne doit pas dépasser 1000 caractères."))],
    )
