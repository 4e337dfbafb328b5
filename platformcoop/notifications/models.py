"""In-app notifications, per-kind preferences, and the e-mail outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from platformcoop.clock import now
from platformcoop.db_types import UTCDateTime
from platformcoop.extensions import db


class Notification(db.Model):
    """One line of a user's inbox. The title is rendered in the user's language when it is created."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(500))
    object_type: Mapped[str | None] = mapped_column(String(100))
    object_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What happened by e-mail: None (no e-mail), "queued" (sent at once), "digest" (waits for the daily digest),
    # "digested" (went out in a digest). The digest job picks up "digest" rows, so a missed run catches up.
    email_status: Mapped[str | None] = mapped_column(String(10), index=True)


class NotificationPreference(db.Model):
    """A user's choice for one kind of notification; no row means the default (e-mail on)."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(100))
    email: Mapped[bool] = mapped_column(Boolean, default=True)
    daily_digest: Mapped[bool] = mapped_column(Boolean, default=False)


# Outbox states: queued -> sending -> sent, or back to queued (retry later), or failed (gave up).
OUTBOX_QUEUED = "queued"
OUTBOX_SENDING = "sending"
OUTBOX_SENT = "sent"
OUTBOX_FAILED = "failed"


class OutboxMessage(db.Model):
    """An e-mail, rendered when it was queued, waiting for (or done with) delivery.

    It is written in the transaction of the action that caused it, so an action rolled back sends nothing.
    A sender claims a row (``status = sending``, ``claim_token``) before sending it, so two senders never send the
    same message; a claim older than ``MAIL_CLAIM_TIMEOUT_MINUTES`` belongs to a dead sender and is retried.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(500))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(8), default="fr")
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territory.id", ondelete="SET NULL"), index=True)
    message_id: Mapped[str] = mapped_column(String(255))  # the Message-ID header, the same on every try
    status: Mapped[str] = mapped_column(String(10), default=OUTBOX_QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attachments: Mapped[list[OutboxAttachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="OutboxAttachment.id"
    )

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.status} to {self.recipient}>"


class OutboxAttachment(db.Model):
    """A file sent with an outbox message (e.g. an ``.ics`` invitation)."""

    __tablename__ = "outbox_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_message.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    mimetype: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)

    message: Mapped[OutboxMessage] = relationship(back_populates="attachments")
