"""Account forms. Labels and messages are French msgids (translated to English by the catalogue)."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp, ValidationError

from platformcoop.accounts.passwords import password_problems

LANGUAGE_CHOICES = [("fr", "Français"), ("en", "English")]


class StrongPassword:
    """Checks length and guessability; other fields' values (name, e-mail) count as easy guesses."""

    def __init__(self, *related_fields: str):
        self.related_fields = related_fields

    def __call__(self, form, field):
        inputs = [str(getattr(form, name).data or "") for name in self.related_fields if hasattr(form, name)]
        problems = password_problems(
            field.data or "", min_length=current_app.config["PASSWORD_MIN_LENGTH"], user_inputs=inputs
        )
        if problems:
            raise ValidationError(problems[0])


def _email_field():
    return EmailField(
        _l("Adresse e-mail"),
        validators=[
            DataRequired(_l("Indiquez votre adresse e-mail.")),
            Email(_l("Cette adresse e-mail n'est pas valide."), check_deliverability=False),
            Length(max=254),
        ],
        render_kw={"autocomplete": "email"},
    )


class RegisterForm(FlaskForm):
    display_name = StringField(
        _l("Votre nom ou prénom"),
        validators=[DataRequired(_l("Indiquez un nom.")), Length(max=100)],
        description=_l("Il sera visible par les autres membres."),
        render_kw={"autocomplete": "name"},
    )
    email = _email_field()
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(_l("Choisissez un mot de passe.")), StrongPassword("email", "display_name")],
        description=_l("Au moins 10 caractères. Une phrase de plusieurs mots est facile à retenir."),
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        _l("Mot de passe, une deuxième fois"),
        validators=[
            DataRequired(_l("Recopiez le mot de passe.")),
            EqualTo("password", _l("Les deux mots de passe ne sont pas identiques.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    accept_terms = BooleanField(
        _l("J'accepte les conditions d'utilisation"),
        validators=[DataRequired(_l("Vous devez accepter les conditions d'utilisation."))],
    )


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(_l("Indiquez votre mot de passe."))],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Rester connecté sur cet appareil"))


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[DataRequired(_l("Choisissez un mot de passe.")), StrongPassword()],
        description=_l("Au moins 10 caractères. Une phrase de plusieurs mots est facile à retenir."),
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        _l("Nouveau mot de passe, une deuxième fois"),
        validators=[
            DataRequired(_l("Recopiez le mot de passe.")),
            EqualTo("password", _l("Les deux mots de passe ne sont pas identiques.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Nom affiché"), validators=[DataRequired(_l("Indiquez un nom.")), Length(max=100)])
    phone = TelField(
        _l("Téléphone (facultatif)"),
        validators=[
            Optional(),
            Regexp(r"^[0-9 +().-]{6,20}$", message=_l("Ce numéro de téléphone n'est pas valide.")),
        ],
        description=_l("Visible seulement par les personnes avec qui vous échangez."),
        render_kw={"autocomplete": "tel"},
    )
    neighbourhood = StringField(
        _l("Quartier ou code postal (facultatif)"),
        validators=[Optional(), Length(max=100)],
        description=_l("Jamais votre adresse complète."),
    )
    locale = SelectField(_l("Langue"), choices=LANGUAGE_CHOICES)


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Mot de passe actuel"),
        validators=[DataRequired(_l("Indiquez votre mot de passe actuel."))],
        render_kw={"autocomplete": "current-password"},
    )
    password = ResetPasswordForm.password
    password_confirm = ResetPasswordForm.password_confirm


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Langue"), choices=LANGUAGE_CHOICES)


# The word a person types to confirm they erase their account (translated: "DELETE" in English).
ERASE_WORD = _l("SUPPRIMER")


class ConfirmationWord:
    """The field must hold the confirmation word, in the page's language or in French, whatever its case."""

    def __call__(self, form, field):
        typed = (field.data or "").strip().upper()
        if typed not in {str(ERASE_WORD).upper(), "SUPPRIMER"}:
            raise ValidationError(_l("Tapez SUPPRIMER pour confirmer."))


class EraseAccountForm(FlaskForm):
    password = PasswordField(
        _l("Votre mot de passe"),
        validators=[DataRequired(_l("Indiquez votre mot de passe."))],
        render_kw={"autocomplete": "current-password"},
    )
    confirmation = StringField(
        _l("Pour confirmer, tapez SUPPRIMER"),
        validators=[DataRequired(_l("Tapez SUPPRIMER pour confirmer.")), ConfirmationWord()],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
