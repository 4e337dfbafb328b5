"""Accounts: one user per e-mail for the whole deployment; what they do in a territory hangs off Membership."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from platformcoop.clock import now
from platformcoop.db_types import UTCDateTime
from platformcoop.extensions import db

if TYPE_CHECKING:
    from platformcoop.tenancy.models import Membership, Territory


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(8), default="fr")
    neighbourhood: Mapped[str | None] = mapped_column(String(100))
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_superadmin: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Rotated on password change: logs out every session and "remember me" cookie, and voids reset links.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the person erased their account (GDPR): the row stays, anonymised, for others' shared records.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list[Membership]] = relationship(
        "Membership", foreign_keys="Membership.user_id", back_populates="user", cascade="all, delete-orphan"
    )

    # Flask-Login identifies the session by the token, not the id, so that rotating it logs everyone out.
    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return not self.disabled

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    def membership_in(self, territory: Territory) -> Membership | None:
        for membership in self.memberships:
            if membership.territory_id == territory.id:
                return membership
        return None

    def __repr__(self) -> str:
        return f"<User {self.id}>"
