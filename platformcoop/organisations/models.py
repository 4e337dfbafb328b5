"""Organisation, its staff (owners and staff) and the invitations to join its staff.

An organisation's status follows this table (one service function per transition, ``services.py``):

============  ====================  ===========  ======================================
from          to                    who          side effects
============  ====================  ===========  ======================================
(none)        proposed              a resident   the territory's admins are told
proposed      active (approve)      admin        the proposer becomes owner, is told
proposed      declined (decline)    admin        the proposer is told
active        suspended (suspend)   admin        the owners are told; hidden from the public
suspended     active (reactivate)   admin        the owners are told
============  ====================  ===========  ======================================
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from platformcoop.clock import now
from platformcoop.db_types import UTCDateTime
from platformcoop.extensions import db

ORGANISATION_KINDS = {
    "repairer": _l("Atelier de réparation"),
    "provider": _l("Prestataire de l'économie sociale et solidaire"),
    "relay": _l("Point relais"),
    "library": _l("Bibliothèque d'objets"),
    "company": _l("Entreprise"),
    "association": _l("Association"),
    "producer": _l("Producteur"),
}

PROPOSED = "proposed"
ACTIVE = "active"
SUSPENDED = "suspended"
DECLINED = "declined"

ORGANISATION_STATUSES = {
    PROPOSED: _l("En attente de validation"),
    ACTIVE: _l("Active"),
    SUSPENDED: _l("Suspendue"),
    DECLINED: _l("Refusée"),
}

OWNER = "owner"
STAFF = "staff"

STAFF_ROLES = {OWNER: _l("Responsable"), STAFF: _l("Équipe")}


class Organisation(db.Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(255), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    # Typed by hand or left empty: no geocoding service is called.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(255))
    logo_path: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=PROPOSED, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    territory = relationship("Territory")
    created_by = relationship("User", foreign_keys=[created_by_id])
    staff: Mapped[list[OrganisationStaff]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", order_by="OrganisationStaff.id"
    )

    @property
    def kind_label(self) -> str:
        return str(ORGANISATION_KINDS.get(self.kind, self.kind))

    @property
    def status_label(self) -> str:
        return str(ORGANISATION_STATUSES.get(self.status, self.status))

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class OrganisationStaff(db.Model):
    """A person working for an organisation: ``owner`` (runs it, manages staff and hours) or ``staff``."""

    __tablename__ = "organisation_staff"
    __table_args__ = (UniqueConstraint("organisation_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default=STAFF)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    organisation: Mapped[Organisation] = relationship(back_populates="staff")
    user = relationship("User")

    @property
    def role_label(self) -> str:
        return str(STAFF_ROLES.get(self.role, self.role))


class OrganisationInvitation(db.Model):
    """An e-mailed invitation to join the staff. The link carries a random token; only its SHA-256 is stored.
    It expires at ``expires_at`` and works once (``accepted_at`` is set by a conditional update)."""

    __tablename__ = "organisation_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16), default=STAFF)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()
    invited_by = relationship("User", foreign_keys=[invited_by_id])

    @property
    def role_label(self) -> str:
        return str(STAFF_ROLES.get(self.role, self.role))

    def is_pending(self, at: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > at
