"""Account rules: registration, confirmation, authentication, password reset. Views call these."""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from platformcoop.accounts import tokens
from platformcoop.accounts.models import User, new_session_token
from platformcoop.accounts.passwords import hash_password, needs_rehash, verify_password
from platformcoop.clock import now
from platformcoop.extensions import db
from platformcoop.notifications.mail import send_email


class AccountError(ValueError):
    """A French message for the user."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(
    email: str, password: str, display_name: str, *, locale: str = "fr", confirmed: bool = False, **profile
) -> User:
    user = User(
        email=normalise_email(email),
        password_hash=hash_password(password),
        display_name=display_name.strip(),
        locale=locale,
        email_confirmed_at=now() if confirmed else None,
        **profile,
    )
    db.session.add(user)
    db.session.flush()
    return user


def register(email: str, password: str, display_name: str, *, locale: str, next_url: str | None = None) -> None:
    """Create an account and send the confirmation link.

    When the address is taken, nothing is created and the owner receives a note instead, so the page shown is the
    same in both cases (no account enumeration).
    """
    existing = find_user(email)
    if existing is not None:
        send_email(
            existing.email,
            _l("Quelqu'un a voulu créer un compte avec votre adresse"),
            "already_registered",
            locale=existing.locale,
            user=existing,
            login_url=url_for("accounts.login", _external=True),
            reset_url=url_for("accounts.forgot_password", _external=True),
        )
        return
    user = create_user(email, password, display_name, locale=locale)
    send_confirmation(user, next_url=next_url)


def send_confirmation(user: User, next_url: str | None = None) -> None:
    token = tokens.make_token(tokens.CONFIRM_EMAIL, {"uid": user.id, "email": user.email, "next": next_url})
    send_email(
        user.email,
        _l("Confirmez votre adresse e-mail"),
        "confirm_email",
        locale=user.locale,
        user=user,
        confirm_url=url_for("accounts.confirm_email", token=token, _external=True),
        max_age_days=current_app.config["EMAIL_CONFIRM_MAX_AGE"] // 86400,
    )


def confirm_email(token: str) -> tuple[User, bool, str | None]:
    """Return (user, newly_confirmed, next_url); raises :class:`tokens.InvalidToken` for a bad or old link."""
    data = tokens.read_token(tokens.CONFIRM_EMAIL, token, current_app.config["EMAIL_CONFIRM_MAX_AGE"])
    user = db.session.get(User, data.get("uid"))
    if user is None or user.email != data.get("email"):
        raise tokens.InvalidToken(expired=False)
    if user.email_confirmed_at is not None:
        return user, False, data.get("next")
    user.email_confirmed_at = now()
    return user, True, data.get("next")


def authenticate(email: str, password: str) -> User | None:
    """The user when the password matches and the account is usable; None otherwise (same cost either way)."""
    user = find_user(email)
    if not verify_password(user.password_hash if user else None, password):
        return None
    if user.disabled:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_seen_at = now()
    return user


def request_password_reset(email: str) -> None:
    """Send a reset link if the account exists; say nothing either way."""
    user = find_user(email)
    if user is None or user.disabled:
        return
    token = tokens.make_token(tokens.RESET_PASSWORD, {"uid": user.id, "st": user.session_token})
    send_email(
        user.email,
        _l("Choisir un nouveau mot de passe"),
        "reset_password",
        locale=user.locale,
        user=user,
        reset_url=url_for("accounts.reset_password", token=token, _external=True),
        max_age_minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
    )


def user_for_reset_token(token: str) -> User:
    """The user a reset link is for. The link dies once used: resetting rotates the session token it carries."""
    data = tokens.read_token(tokens.RESET_PASSWORD, token, current_app.config["PASSWORD_RESET_MAX_AGE"])
    user = db.session.get(User, data.get("uid"))
    if user is None or user.session_token != data.get("st") or user.disabled:
        raise tokens.InvalidToken(expired=False)
    return user


def set_password(user: User, password: str) -> None:
    """Change the password and log out every other session and "remember me" cookie."""
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now()  # the reset link proved the address


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password):
        raise AccountError(_("Le mot de passe actuel n'est pas le bon."))
    set_password(user, new_password)
