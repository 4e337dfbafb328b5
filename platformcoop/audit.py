"""Audit log: who did what to which object, in which territory."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from platformcoop.clock import now
from platformcoop.db_types import UTCDateTime
from platformcoop.extensions import db


class AuditLog(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str | None] = mapped_column(String(100))
    object_id: Mapped[int | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)


def record(action: str, *, actor=None, territory=None, obj=None, **details: Any) -> AuditLog:
    """Add an audit entry to the session; it is committed with the change it describes."""
    entry = AuditLog(
        action=action,
        actor_id=getattr(actor, "id", None),
        territory_id=getattr(territory, "id", None),
        object_type=type(obj).__name__ if obj is not None else None,
        object_id=getattr(obj, "id", None),
        details=details,
    )
    db.session.add(entry)
    return entry
