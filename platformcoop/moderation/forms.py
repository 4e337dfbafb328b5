"""Moderation forms: a member's report, a moderator's decision."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from platformcoop.moderation.models import REPORT_REASONS
from platformcoop.moderation.services import DECISION_MAX_LENGTH, DETAILS_MAX_LENGTH

TOO_LONG = _l("Le message ne doit pas dépasser 1000 caractères.")


class ReportForm(FlaskForm):
    subject_type = HiddenField()
    subject_id = HiddenField()
    next = HiddenField()
    reason = RadioField(
        _l("Pourquoi signalez-vous ce contenu ?"),
        choices=[(key, label) for key, label in REPORT_REASONS.items()],
        validators=[InputRequired(_l("Choisissez la raison du signalement."))],
    )
    details = TextAreaField(
        _l("Précisions"),
        description=_l("Facultatif, sauf pour « Autre raison ». L'équipe de modération est seule à les lire."),
        validators=[Optional(), Length(max=DETAILS_MAX_LENGTH, message=TOO_LONG)],
        render_kw={"rows": 4, "maxlength": DETAILS_MAX_LENGTH},
    )

    def validate_details(self, field) -> None:
        if self.reason.data == "other" and not (field.data or "").strip():
            raise ValidationError(_l("Précisez la raison du signalement."))


class ModerationDecisionForm(FlaskForm):
    reason = TextAreaField(
        _l("Raison de votre décision"),
        description=_l("Elle est gardée dans le journal et montrée aux autres modérateurs."),
        validators=[
            InputRequired(_l("Indiquez la raison de votre décision.")),
            Length(max=DECISION_MAX_LENGTH, message=TOO_LONG),
        ],
        render_kw={"rows": 3},
    )
