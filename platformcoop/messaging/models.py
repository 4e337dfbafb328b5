"""Conversations between residents and organisations, attached to any module object.

A conversation has participants (a user, or an organisation: then every member of its staff may read and answer),
messages, and a read state per user. The object it is about is a generic reference (``subject_type``, the table
name, and ``subject_id``), with the title and URL captured when the conversation started, so that the core never
imports a module's models.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from platformcoop.clock import now
from platformcoop.db_types import UTCDateTime
from platformcoop.extensions import db


class Conversation(db.Model):
    __tablename__ = "messaging_conversation"
    # One conversation per subject and set of participants: starting it again reuses it (see services.thread_key).
    __table_args__ = (UniqueConstraint("territory_id", "thread_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    subject_type: Mapped[str | None] = mapped_column(String(100))
    subject_id: Mapped[int | None]
    title: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str | None] = mapped_column(String(500))
    thread_key: Mapped[str] = mapped_column(String(255))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)

    territory = relationship("Territory")

    participants: Mapped[list[ConversationParticipant]] = relationship(
        back_populates="conversation",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="ConversationParticipant.id",
    )
    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan", order_by="Message.id"
    )

    def __repr__(self) -> str:
        return f"<Conversation {self.id}>"


class ConversationParticipant(db.Model):
    """A user, or an organisation (all its staff), taking part in a conversation.

    The organisation is referred to by id only (no relationship), so this module does not depend on how the
    organisations package maps its classes.
    """

    __tablename__ = "messaging_participant"
    __table_args__ = (
        UniqueConstraint("conversation_id", "user_id"),
        UniqueConstraint("conversation_id", "organisation_id"),
        CheckConstraint("(user_id IS NULL) <> (organisation_id IS NULL)", name="user_or_organisation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("messaging_conversation.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    conversation: Mapped[Conversation] = relationship(back_populates="participants")
    user = relationship("User", lazy="joined")


class Message(db.Model):
    __tablename__ = "messaging_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("messaging_conversation.id", ondelete="CASCADE"), index=True
    )
    # NULL once the author's account is erased: the message stays, signed "Ancien membre".
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # Set when the author wrote on behalf of an organisation taking part in the conversation.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    author = relationship("User", lazy="joined")


class ConversationReadState(db.Model):
    """Where one person stands in one conversation: what they have read, when they were last notified.

    It is per user, not per participant, because an organisation participant is shared by all its staff and each of
    them reads at their own pace. ``last_read_message_id`` (not a time) decides what is unread, so two messages in
    the same instant cannot hide each other; ``last_notified_at`` throttles new-message
    notifications (in-app and e-mail).
    """

    __tablename__ = "messaging_read_state"
    __table_args__ = (UniqueConstraint("conversation_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("messaging_conversation.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    last_read_message_id: Mapped[int] = mapped_column(default=0)
    last_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
