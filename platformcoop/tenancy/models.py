"""Territories (collectivités), the modules each one uses, and who belongs to which."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from platformcoop.clock import now
from platformcoop.db_types import UTCDateTime
from platformcoop.extensions import db

TERRITORY_KINDS = {
    "commune": _l("Commune"),
    "commune_associee": _l("Commune associée"),
    "epci": _l("Intercommunalité (EPCI)"),
    "metropole": _l("Métropole"),
    "departement": _l("Département"),
    "autre": _l("Autre"),
}

JOIN_OPEN = "open"
JOIN_APPROVAL = "approval"


class Territory(db.Model):
    __tablename__ = "territory"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30), default="commune")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    locale: Mapped[str] = mapped_column(String(8), default="fr")
    join_policy: Mapped[str] = mapped_column(String(16), default=JOIN_OPEN)
    # Branding and public pages.
    primary_color: Mapped[str] = mapped_column(String(7), default="#1d5b79")
    logo_path: Mapped[str | None] = mapped_column(String(255))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    welcome_text: Mapped[str] = mapped_column(Text, default="")
    legal_notice: Mapped[str] = mapped_column(Text, default="")
    terms: Mapped[str] = mapped_column(Text, default="")
    privacy_policy: Mapped[str] = mapped_column(Text, default="")
    accessibility_statement: Mapped[str] = mapped_column(Text, default="")
    # Distinct members reporting one object before it is hidden automatically (platformcoop/moderation).
    moderation_threshold: Mapped[int] = mapped_column(default=3, server_default="3")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    hosts: Mapped[list[TerritoryHost]] = relationship(
        back_populates="territory", cascade="all, delete-orphan", order_by="TerritoryHost.hostname"
    )
    modules: Mapped[list[TerritoryModule]] = relationship(
        back_populates="territory", cascade="all, delete-orphan", order_by="TerritoryModule.module"
    )

    def __repr__(self) -> str:
        return f"<Territory {self.slug}>"


class TerritoryHost(db.Model):
    """A host name that serves one territory without the ``/<slug>`` prefix."""

    __tablename__ = "territory_host"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    hostname: Mapped[str] = mapped_column(String(253), unique=True)

    territory: Mapped[Territory] = relationship(back_populates="hosts")


class TerritoryModule(db.Model):
    """Whether a territory uses a module, and the module's settings for it (validated JSON, never pickled)."""

    __tablename__ = "territory_module"
    __table_args__ = (UniqueConstraint("territory_id", "module"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    module: Mapped[str] = mapped_column(String(63))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    territory: Mapped[Territory] = relationship(back_populates="modules")


MEMBERSHIP_PENDING = "pending"
MEMBERSHIP_ACTIVE = "active"
MEMBERSHIP_DECLINED = "declined"
MEMBERSHIP_SUSPENDED = "suspended"

CORE_ROLES = ("resident", "moderator", "admin")


class Membership(db.Model):
    """A user in a territory, with a status and the roles held there."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "territory_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=MEMBERSHIP_PENDING)
    request_message: Mapped[str] = mapped_column(Text, default="")
    decision_message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    user = relationship("User", foreign_keys=[user_id], back_populates="memberships")
    territory: Mapped[Territory] = relationship()
    role_rows: Mapped[list[MembershipRole]] = relationship(
        back_populates="membership", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> set[str]:
        return {row.role for row in self.role_rows}

    @property
    def is_active(self) -> bool:
        return self.status == MEMBERSHIP_ACTIVE


class MembershipRole(db.Model):
    __tablename__ = "membership_role"
    __table_args__ = (UniqueConstraint("membership_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(63))

    membership: Mapped[Membership] = relationship(back_populates="role_rows")
