"""Language selection and French formatting helpers."""

from __future__ import annotations

from flask import current_app, g, has_request_context, session
from flask_login import current_user


def select_locale() -> str:
    """The user's language, else the one chosen this session, else the territory's, else the platform default."""
    offered = current_app.config["LOCALES"]
    if not has_request_context():  # CLI commands and jobs: no user, no session (mail uses force_locale)
        return current_app.config["DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in offered:
        return current_user.locale
    if session.get("locale") in offered:
        return session["locale"]
    territory = g.get("territory")
    if territory is not None and territory.locale in offered:
        return territory.locale
    return current_app.config["DEFAULT_LOCALE"]
