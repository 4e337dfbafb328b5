"""The time bank ledger. Every table starts with "timebank_" and carries its territory.

Double entry: a transfer writes exactly two movements (−minutes on the source account, +minutes on the destination);
the sum of the movements of a territory is always zero. Movements and transfers are never updated or deleted: a
mistake is fixed by a reversal, a new transfer linked to the original. Durations are integer minutes.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from platformcoop.clock import now
from platformcoop.db_types import UTCDateTime
from platformcoop.extensions import db

KIND_TRANSFER = "transfer"
KIND_WELCOME = "welcome"
KIND_REVERSAL = "reversal"


class Account(db.Model):
    """A member's account in a territory, or the territory's community account (``community`` is True, no user).

    ``community`` is NULL for member accounts, so that the unique constraint allows one community account per
    territory and any number of member accounts.
    """

    __tablename__ = "timebank_account"
    __table_args__ = (UniqueConstraint("territory_id", "user_id"), UniqueConstraint("territory_id", "community"))

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    # The User row outlives an erasure (anonymised, "Ancien membre"): the account and its history stay.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    community: Mapped[bool | None] = mapped_column(Boolean)
    balance: Mapped[int] = mapped_column(Integer, default=0)  # minutes, updated with every movement
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    charter_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # set when a coordinator wrote the balance off (the member left); a closed account takes no new exchange
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # childcare: who may offer it (vetted by a coordinator), and the parent's emergency contact
    childcare_status: Mapped[str] = mapped_column(String(12), default="none")
    childcare_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    childcare_request_note: Mapped[str] = mapped_column(Text, default="")
    childcare_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    childcare_verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    childcare_decision_note: Mapped[str] = mapped_column(Text, default="")
    emergency_contact_name: Mapped[str] = mapped_column(String(120), default="")
    emergency_contact_phone: Mapped[str] = mapped_column(String(40), default="")

    user = relationship("User", foreign_keys=[user_id])
    childcare_verified_by = relationship("User", foreign_keys=[childcare_verified_by_id])

    @property
    def is_community(self) -> bool:
        return bool(self.community)


class Transfer(db.Model):
    """An immutable transfer of ``minutes`` from one account to another, with its two movements."""

    __tablename__ = "timebank_transfer"
    # A transfer is reversed at most once: the database refuses a second reversal of the same transfer.
    __table_args__ = (UniqueConstraint("territory_id", "reverses_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    from_account_id: Mapped[int] = mapped_column(ForeignKey("timebank_account.id"), index=True)
    to_account_id: Mapped[int] = mapped_column(ForeignKey("timebank_account.id"), index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default=KIND_TRANSFER)
    description: Mapped[str] = mapped_column(Text, default="")
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("timebank_transfer.id"))
    # the service's category, for reports and statistics (childcare sessions use the "childcare" category)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("timebank_category.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)

    from_account: Mapped[Account] = relationship(foreign_keys=[from_account_id])
    to_account: Mapped[Account] = relationship(foreign_keys=[to_account_id])
    reverses: Mapped[Transfer | None] = relationship(remote_side=[id], foreign_keys=[reverses_id])
    category: Mapped[Category | None] = relationship()
    created_by = relationship("User", foreign_keys=[created_by_id])


class Movement(db.Model):
    """One side of a transfer: signed minutes on one account."""

    __tablename__ = "timebank_movement"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("timebank_transfer.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("timebank_account.id"), index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    transfer: Mapped[Transfer] = relationship()
    account: Mapped[Account] = relationship()


# -- ledger kinds added with the coordinators' corrections ----------------------------------------------------------

KIND_WRITE_OFF = "write_off"  # a leaving member's balance moved to (or from) the community account
KIND_CREDIT = "credit"  # a manual credit from the community account (volunteering, donation)
KIND_CORRECTION = "correction"  # a coordinator's audited transfer that may cross the limits
KINDS = (KIND_TRANSFER, KIND_WELCOME, KIND_REVERSAL, KIND_WRITE_OFF, KIND_CREDIT, KIND_CORRECTION)

CHILDCARE = "childcare"  # the key of the category that childcare sessions use (it cannot be removed)

# Account.childcare_status
CHILDCARE_NONE = "none"
CHILDCARE_REQUESTED = "requested"  # the member asked to offer childcare; waits in the coordinators' vetting queue
CHILDCARE_VERIFIED = "verified"
CHILDCARE_REFUSED = "refused"


class Category(db.Model):
    """A category of service, editable by the territory's administrators. ``key`` is stable (``childcare`` is fixed)."""

    __tablename__ = "timebank_category"
    __table_args__ = (UniqueConstraint("territory_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Post(db.Model):
    """An offer ("je propose") or a request ("je recherche") of a member."""

    __tablename__ = "timebank_post"
    __table_args__ = (Index("ix_timebank_post_territory_created", "territory_id", "created_at"),)

    OFFER = "offer"
    REQUEST = "request"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    category_id: Mapped[int] = mapped_column(ForeignKey("timebank_category.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    availability: Mapped[str] = mapped_column(String(300), default="")
    neighbourhood: Mapped[str] = mapped_column(String(120), default="")
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author = relationship("User", foreign_keys=[author_id])
    category: Mapped[Category] = relationship()


class Exchange(db.Model):
    """A service other than childcare, recorded by the receiver or asked for by the provider (payment request).

    ``status``: ``pending`` (waits for the other side), ``done`` (the transfer exists), ``declined``, ``expired``,
    ``cancelled``. ``initiated_by`` is ``receiver`` or ``provider``.
    """

    __tablename__ = "timebank_exchange"
    __table_args__ = (Index("ix_timebank_exchange_territory_status", "territory_id", "status"),)

    PENDING = "pending"
    DONE = "done"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    receiver_account_id: Mapped[int] = mapped_column(ForeignKey("timebank_account.id"), index=True)
    provider_account_id: Mapped[int] = mapped_column(ForeignKey("timebank_account.id"), index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("timebank_category.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("timebank_post.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(Text, default="")
    initiated_by: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("timebank_transfer.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str] = mapped_column(Text, default="")

    receiver_account: Mapped[Account] = relationship(foreign_keys=[receiver_account_id])
    provider_account: Mapped[Account] = relationship(foreign_keys=[provider_account_id])
    category: Mapped[Category | None] = relationship()
    post: Mapped[Post | None] = relationship()
    transfer: Mapped[Transfer | None] = relationship()


class Child(db.Model):
    """A child on a parent's profile: first name or nickname, birth year, optional notes (allergies, needs)."""

    __tablename__ = "timebank_child"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("timebank_account.id", ondelete="CASCADE"), index=True)
    first_name: Mapped[str] = mapped_column(String(60))
    birth_year: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


session_child = Table(
    "timebank_session_child",
    db.metadata,
    Column("session_id", ForeignKey("timebank_session.id", ondelete="CASCADE"), primary_key=True),
    Column("child_id", ForeignKey("timebank_child.id", ondelete="CASCADE"), primary_key=True),
)


class Session(db.Model):
    """A childcare session: a parent asks a verified caregiver; the caregiver accepts, declares, the parent confirms.

    ``status``: ``requested`` → ``accepted`` | ``declined``; ``requested``/``accepted`` → ``cancelled``;
    ``accepted`` → ``declared`` (actual times); ``declared`` → ``confirmed`` (one transfer) | ``disputed``;
    ``disputed`` → ``settled`` (a coordinator's duration, one transfer) | ``voided``; ``declared`` → ``confirmed``
    (``auto_confirmed``) or ``expired`` when the parent does not answer, per the territory's policy.
    Every status change is a conditional UPDATE on the expected status, so a double click moves nothing twice.
    """

    __tablename__ = "timebank_session"
    __table_args__ = (
        Index("ix_timebank_session_territory_status", "territory_id", "status"),
        Index("ix_timebank_session_caregiver_start", "caregiver_account_id", "starts_at"),
    )

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    DECLARED = "declared"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"
    SETTLED = "settled"
    VOIDED = "voided"
    EXPIRED = "expired"

    PLACE_PARENT = "parent"
    PLACE_CAREGIVER = "caregiver"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    parent_account_id: Mapped[int] = mapped_column(ForeignKey("timebank_account.id"), index=True)
    caregiver_account_id: Mapped[int] = mapped_column(ForeignKey("timebank_account.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(12), default=PLACE_PARENT)
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default=REQUESTED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # accepted or declined
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    late_cancel: Mapped[bool] = mapped_column(Boolean, default=False)
    actual_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actual_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    auto_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    disputed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispute_reason: Mapped[str] = mapped_column(Text, default="")
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    settle_note: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[int | None] = mapped_column(Integer)  # credited, after rounding and weighting
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("timebank_transfer.id"), unique=True)
    reminded_before_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_declare_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_confirm_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    parent_account: Mapped[Account] = relationship(foreign_keys=[parent_account_id])
    caregiver_account: Mapped[Account] = relationship(foreign_keys=[caregiver_account_id])
    children: Mapped[list[Child]] = relationship(secondary=session_child, order_by=Child.birth_year)
    transfer: Mapped[Transfer | None] = relationship()
