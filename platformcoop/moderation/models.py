"""Reports on module content, and the hidden flag modules consult.

A ``ModeratedContent`` row is the moderation *case* of one object (``subject_type`` names the reportable model,
``subject_id`` its id): it is created by the first report and carries the hidden flag. Each ``Report`` is one
member's report on it; a member reports an object once (unique constraint).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from platformcoop.clock import now
from platformcoop.db_types import UTCDateTime
from platformcoop.extensions import db

REPORT_OPEN = "open"
REPORT_DISMISSED = "dismissed"
REPORT_ACTIONED = "actioned"

REPORT_STATUSES = {
    REPORT_OPEN: _l("À traiter"),
    REPORT_DISMISSED: _l("Classé sans suite"),
    REPORT_ACTIONED: _l("Contenu masqué"),
}

REPORT_REASONS = {
    "spam": _l("Publicité ou spam"),
    "abuse": _l("Propos injurieux, harcèlement ou haine"),
    "illegal": _l("Contenu illégal ou dangereux"),
    "personal_data": _l("Données personnelles exposées"),
    "fraud": _l("Arnaque ou fraude"),
    "other": _l("Autre raison"),
}


class ModeratedContent(db.Model):
    """The moderation state of one reported object: its reports and whether it is hidden."""

    __tablename__ = "moderated_content"
    __table_args__ = (UniqueConstraint("territory_id", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    subject_type: Mapped[str] = mapped_column(String(100))
    subject_id: Mapped[int]
    # What the object was called and where it lived when it was last reported (it may be gone since).
    subject_title: Mapped[str] = mapped_column(String(300), default="")
    subject_url: Mapped[str] = mapped_column(String(500), default="")
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    # True when the threshold of distinct reporters hid it, False when a moderator did.
    auto: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    reports: Mapped[list[Report]] = relationship(back_populates="content", order_by="Report.created_at")


class Report(db.Model):
    """One member's report of one object."""

    __tablename__ = "moderation_report"
    __table_args__ = (UniqueConstraint("content_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("moderated_content.id", ondelete="CASCADE"), index=True)
    subject_type: Mapped[str] = mapped_column(String(100))
    subject_id: Mapped[int]
    subject_title: Mapped[str] = mapped_column(String(300), default="")
    subject_url: Mapped[str] = mapped_column(String(500), default="")
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(30))
    details: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    status: Mapped[str] = mapped_column(String(16), default=REPORT_OPEN)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str] = mapped_column(Text, default="")

    content: Mapped[ModeratedContent] = relationship(back_populates="reports")
    reporter = relationship("User", foreign_keys=[reporter_id])
