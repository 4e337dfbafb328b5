"""Messaging forms. The body rule (1 to 5000 characters) lives in services.clean_body; the form reuses it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, ValidationError

from platformcoop.messaging.services import MAX_BODY_LENGTH, MessagingError, clean_body


def _valid_body(form, field) -> None:
    try:
        field.data = clean_body(field.data)
    except MessagingError as error:
        raise ValidationError(str(error))


class MessageForm(FlaskForm):
    body = TextAreaField(
        _l("Votre message"),
        validators=[DataRequired(_l("Écrivez votre message.")), _valid_body],
        description=_l("5 000 caractères au plus."),
        render_kw={"rows": 6, "maxlength": MAX_BODY_LENGTH},
    )
