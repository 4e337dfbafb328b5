"""Who is logged in: Flask-Login wiring."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import LoginManager
from sqlalchemy import select

from platformcoop.accounts.models import User
from platformcoop.extensions import db


def init_login_manager(login_manager: LoginManager) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Connectez-vous pour accéder à cette page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)


def load_user(session_token: str) -> User | None:
    return db.session.scalar(select(User).where(User.session_token == session_token, User.disabled.is_(False)))
