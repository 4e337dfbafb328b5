"""The time bank ledger. Every table starts with "timebank_" and carries its territory.

Double entry: a transfer writes exactly two movements (−minutes on the source account, +minutes on the destination);
the sum of the movements of a territory is always zero. Movements and transfers are never updated or deleted: a
mistake is fixed by a reversal, a new transfer linked to the original. Durations are integer minutes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
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

    user = relationship("User", foreign_keys=[user_id])

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
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)

    from_account: Mapped[Account] = relationship(foreign_keys=[from_account_id])
    to_account: Mapped[Account] = relationship(foreign_keys=[to_account_id])
    reverses: Mapped[Transfer | None] = relationship(remote_side=[id], foreign_keys=[reverses_id])


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
