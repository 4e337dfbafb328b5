"""Schedules (opening hours), their weekly ranges and closures, and a territory's own days off.

Every table carries its territory. Weekly ranges are wall-clock minutes of a weekday in the territory's timezone;
closures are instants (UTC, timezone-aware), so that a half-day closure means the same thing on a DST day.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from platformcoop.clock import now
from platformcoop.db_types import UTCDateTime
from platformcoop.extensions import db

MINUTES_PER_DAY = 24 * 60

# Which French public holidays apply: the `holidays` package's subdivision codes ("" is metropolitan France).
# Alsace and Moselle add Good Friday and St Stephen's Day (26 December).
HOLIDAY_REGIONS = {
    "": _l("France métropolitaine"),
    "6AE": _l("Alsace (Bas-Rhin, Haut-Rhin)"),
    "57": _l("Moselle"),
}


class Schedule(db.Model):
    """When something is open. ``owner_type``/``owner_id`` name its owner (``"organisation"``, 12); ``purpose``
    tells several schedules of one owner apart (``"opening"``, ``"drop_off"``…)."""

    __tablename__ = "hours_schedule"
    __table_args__ = (UniqueConstraint("territory_id", "owner_type", "owner_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    owner_type: Mapped[str | None] = mapped_column(String(50))
    owner_id: Mapped[int | None]
    purpose: Mapped[str] = mapped_column(String(50), default="opening")
    closed_on_public_holidays: Mapped[bool] = mapped_column(Boolean, default=True)
    closed_on_territory_holidays: Mapped[bool] = mapped_column(Boolean, default=True)
    # "" (metropolitan France), "6AE" (Alsace) or "57" (Moselle): see HOLIDAY_REGIONS.
    holiday_region: Mapped[str] = mapped_column(String(10), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    territory = relationship("Territory")
    ranges: Mapped[list[WeeklyRange]] = relationship(
        back_populates="schedule",
        cascade="all, delete-orphan",
        order_by=lambda: [WeeklyRange.weekday, WeeklyRange.start_minute],
    )
    closures: Mapped[list[Closure]] = relationship(
        back_populates="schedule", cascade="all, delete-orphan", order_by="Closure.starts_at"
    )


class WeeklyRange(db.Model):
    """Open on ``weekday`` (0 = Monday) from ``start_minute`` to ``end_minute`` (wall clock, 1440 = midnight)."""

    __tablename__ = "hours_weekly_range"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday"),
        CheckConstraint(f"start_minute >= 0 AND end_minute <= {MINUTES_PER_DAY}", name="within_day"),
        CheckConstraint("end_minute > start_minute", name="end_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("hours_schedule.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]
    start_minute: Mapped[int]
    end_minute: Mapped[int]

    schedule: Mapped[Schedule] = relationship(back_populates="ranges")


class Closure(db.Model):
    """An exceptional closure, from one instant to another (whole days or half days)."""

    __tablename__ = "hours_closure"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("hours_schedule.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    schedule: Mapped[Schedule] = relationship(back_populates="closures")


class TerritoryHoliday(db.Model):
    """A day off of the territory itself (a local feast, a bridge day), beside the French public holidays."""

    __tablename__ = "hours_territory_holiday"
    __table_args__ = (UniqueConstraint("territory_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(200))
