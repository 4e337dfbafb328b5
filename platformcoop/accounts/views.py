"""Account pages under ``/compte``: register, confirm, log in and out, reset a password, edit the profile."""

from __future__ import annotations

import io

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from platformcoop.accounts import gdpr, services
from platformcoop.accounts.forms import (
    ChangePasswordForm,
    EraseAccountForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from platformcoop.accounts.tokens import InvalidToken
from platformcoop.extensions import db, limiter
from platformcoop.i18n import select_locale
from platformcoop.plugins.manager import get_registry

bp = Blueprint("accounts", __name__, url_prefix="/compte")


def _auth_limit() -> str:
    return current_app.config["RATELIMIT_AUTH"]


def _export_limit() -> str:
    return current_app.config["RATELIMIT_DATA_EXPORT"]


def _account_key() -> str:
    """Rate-limit key for logged-in actions: the account, wherever it connects from."""
    return f"user:{current_user.id}" if current_user.is_authenticated else (request.remote_addr or "")


def safe_next(target: str | None) -> str | None:
    """Only local paths are followed after login, never another site.

    Control characters are refused too: browsers drop tabs and newlines from a URL, so ``/<TAB>/evil.example``
    would become ``//evil.example``.
    """
    if not target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/inscription", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("territory.root"))
    form = RegisterForm()
    if form.validate_on_submit():
        services.register(
            form.email.data,
            form.password.data,
            form.display_name.data,
            locale=select_locale(),
            next_url=safe_next(request.args.get("next")),
        )
        db.session.commit()
        return render_template("accounts/check_email.html", email=form.email.data)
    return render_template("accounts/register.html", form=form)


@bp.route("/confirmation/<token>")
def confirm_email(token: str):
    try:
        user, newly_confirmed, next_url = services.confirm_email(token)
    except InvalidToken as error:
        message = (
            _("Ce lien de confirmation a expiré. Connectez-vous pour en recevoir un nouveau.")
            if error.expired
            else _("Ce lien de confirmation n'est pas valide.")
        )
        flash(message, "error")
        return redirect(url_for("accounts.login"))
    if not newly_confirmed:
        flash(_("Votre adresse e-mail est déjà confirmée. Vous pouvez vous connecter."), "info")
        return redirect(url_for("accounts.login"))
    db.session.commit()
    login_user(user)  # the link proved the address; it works once
    flash(_("Merci, votre adresse e-mail est confirmée. Bienvenue !"), "success")
    return redirect(safe_next(next_url) or url_for("territory.root"))


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("territory.root"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Adresse e-mail ou mot de passe incorrect."))
        elif not user.email_confirmed:
            services.send_confirmation(user, next_url=safe_next(request.args.get("next")))
            db.session.commit()
            flash(
                _("Confirmez d'abord votre adresse e-mail : nous venons de vous renvoyer le lien."),
                "warning",
            )
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            session.pop("locale", None)
            flash(_("Vous êtes connecté."), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("territory.root"))
    return render_template("accounts/login.html", form=form)


@bp.route("/deconnexion", methods=["POST"])
def logout():
    logout_user()
    flash(_("Vous êtes déconnecté. À bientôt !"), "success")
    return redirect(url_for("territory.root"))


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()  # the e-mail is queued in the outbox: it leaves once committed
        return render_template("accounts/check_email.html", email=form.email.data, reset=True)
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/mot-de-passe/<token>", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def reset_password(token: str):
    try:
        user = services.user_for_reset_token(token)
    except InvalidToken as error:
        message = (
            _("Ce lien a expiré. Demandez-en un nouveau.")
            if error.expired
            else _("Ce lien n'est plus valable : il a peut-être déjà servi. Demandez-en un nouveau.")
        )
        flash(message, "error")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.set_password(user, form.password.data)
        db.session.commit()
        logout_user()
        flash(_("Votre mot de passe est changé. Connectez-vous avec le nouveau."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/profil", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        current_user.display_name = form.display_name.data.strip()
        current_user.phone = form.phone.data or None
        current_user.neighbourhood = form.neighbourhood.data or None
        current_user.locale = form.locale.data
        db.session.commit()
        flash(_("Votre profil est enregistré."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template(
        "accounts/profile.html", form=form, password_form=ChangePasswordForm(formdata=None, prefix="pw")
    )


@bp.route("/profil/mot-de-passe", methods=["POST"])
@login_required
@limiter.limit(_auth_limit)
def change_password():
    form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
        except services.AccountError as error:
            form.current_password.errors.append(str(error))
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # the session follows the new token
            flash(_("Votre mot de passe est changé."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=ProfileForm(obj=current_user), password_form=form)


@bp.route("/langue", methods=["POST"])
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
        else:
            session["locale"] = form.locale.data
    return redirect(safe_next(request.form.get("next")) or url_for("territory.root"))


@bp.route("/profil/mes-donnees", methods=["POST"])
@login_required
@limiter.limit(_export_limit, key_func=_account_key)
def export_data():
    """GDPR right of access: a ZIP of JSON files with everything the platform holds about the person."""
    user = current_user._get_current_object()
    archive = gdpr.export_user_data(get_registry(), user)
    response = send_file(
        io.BytesIO(archive),
        mimetype="application/zip",
        as_attachment=True,
        download_name=gdpr.export_filename(user),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/profil/supprimer", methods=["GET", "POST"])
@login_required
@limiter.limit(_auth_limit, methods=["POST"], key_func=_account_key)
def erase_account():
    """GDPR right to erasure: after the password and the confirmation word, the account is erased for good."""
    form = EraseAccountForm()
    if form.validate_on_submit():
        try:
            gdpr.erase_account(get_registry(), current_user._get_current_object(), form.password.data)
        except services.AccountError as error:
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            logout_user()
            flash(_("Votre compte est supprimé. Merci d'avoir participé, et au revoir !"), "success")
            return redirect(url_for("territory.root"))
    return render_template("accounts/erase.html", form=form)
