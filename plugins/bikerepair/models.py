"""Bike repair: repairers and their booking rules, services, residents' bikes and booklets, appointments.

Every table starts with "bikerepair_" and carries its territory. Times are aware UTC instants; durations are integer
minutes; prices are integer cents (indicative: nothing is paid through the platform).

An appointment's status follows this table (one service function per transition, ``booking.py`` and later ones):

==========  ==========================  ========================  ============================================
from        to                          who                       note
==========  ==========================  ========================  ============================================
(none)      pending / accepted          resident or staff         accepted at once when the repairer auto-accepts
pending     accepted / refused          staff                     refused with a message
pending     expired                     scheduler                 unanswered for ``pending_expiry_hours``
pending,    proposed                    staff                     another time, through the same slot check
accepted
proposed    accepted / cancelled        resident                  accepts the new time, or declines
pending,    cancelled                   resident (before the      frees the place
accepted,                               deadline) or staff
proposed
accepted    done / no_show              staff                     done: an entry in the bike's booklet
==========  ==========================  ========================  ============================================

Pending, accepted and proposed appointments hold a place: ``[starts_at, ends_at + buffer_minutes)``.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from platformcoop.clock import now
from platformcoop.db_types import UTCDateTime
from platformcoop.extensions import db

REPAIRER_KINDS = {
    "atelier_associatif": _l("Atelier associatif"),
    "autoreparation": _l("Atelier d'autoréparation"),
    "itinerant": _l("Réparateur itinérant"),
    "velociste": _l("Vélociste"),
}

BIKE_TYPES = {
    "classique": _l("Vélo classique"),
    "vae": _l("Vélo à assistance électrique"),
    "cargo": _l("Vélo cargo"),
    "enfant": _l("Vélo d'enfant"),
    "pliant": _l("Vélo pliant"),
    "route_vtt": _l("Route / VTT"),
}

GRID_STEPS = (15, 30, 60)
MAX_CAPACITY = 10
MAX_BUFFER_MINUTES = 240  # also bounds how far back an appointment's buffer reaches when looking for overlaps

PENDING = "pending"
ACCEPTED = "accepted"
REFUSED = "refused"
EXPIRED = "expired"
PROPOSED = "proposed"
CANCELLED = "cancelled"
DONE = "done"
NO_SHOW = "no_show"

APPOINTMENT_STATUSES = {
    PENDING: _l("En attente"),
    ACCEPTED: _l("Confirmé"),
    REFUSED: _l("Refusé"),
    EXPIRED: _l("Expiré"),
    PROPOSED: _l("Autre horaire proposé"),
    CANCELLED: _l("Annulé"),
    DONE: _l("Réalisé"),
    NO_SHOW: _l("Absent"),
}

# The statuses that hold a place in the repairer's agenda.
HOLDING_STATUSES = (PENDING, ACCEPTED, PROPOSED)


class Repairer(db.Model):
    """The bike-repair side of a core :class:`~platformcoop.organisations.models.Organisation` (one per
    organisation): what it repairs and its booking rules. Its opening hours are the organisation's core schedule."""

    __tablename__ = "bikerepair_repairer"
    __table_args__ = (
        CheckConstraint("grid_minutes IN (15, 30, 60)", name="grid_minutes"),
        CheckConstraint(f"capacity >= 1 AND capacity <= {MAX_CAPACITY}", name="capacity"),
        CheckConstraint(f"buffer_minutes >= 0 AND buffer_minutes <= {MAX_BUFFER_MINUTES}", name="buffer_minutes"),
        CheckConstraint("notice_minutes >= 0 AND horizon_days >= 1", name="notice_horizon"),
        CheckConstraint("pending_expiry_hours >= 1 AND cancel_deadline_hours >= 0", name="deadlines"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(30), default="atelier_associatif")
    bike_types: Mapped[list[str]] = mapped_column(JSON, default=list)  # keys of BIKE_TYPES
    served_communes: Mapped[str] = mapped_column(Text, default="")  # itinerant repairers: where they go
    radius_km: Mapped[int | None] = mapped_column(Integer)  # itinerant repairers: how far from their address
    payment_notes: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # booking rules
    grid_minutes: Mapped[int] = mapped_column(Integer, default=30)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=0)
    notice_minutes: Mapped[int] = mapped_column(Integer, default=120)
    horizon_days: Mapped[int] = mapped_column(Integer, default=30)
    auto_accept: Mapped[bool] = mapped_column(Boolean, default=False)
    pending_expiry_hours: Mapped[int] = mapped_column(Integer, default=72)
    cancel_deadline_hours: Mapped[int] = mapped_column(Integer, default=24)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    organisation = relationship("Organisation")
    photos: Mapped[list[RepairerPhoto]] = relationship(
        back_populates="repairer",
        cascade="all, delete-orphan",
        order_by=lambda: [RepairerPhoto.position, RepairerPhoto.id],
    )
    services: Mapped[list[RepairService]] = relationship(
        back_populates="repairer", order_by=lambda: [RepairService.position, RepairService.id]
    )

    @property
    def kind_label(self) -> str:
        return str(REPAIRER_KINDS.get(self.kind, self.kind))

    def __repr__(self) -> str:
        return f"<Repairer {self.id} organisation={self.organisation_id}>"


class RepairerPhoto(db.Model):
    """A photo of the workshop, the van or the shop, shown on the repairer's page (public uploads)."""

    __tablename__ = "bikerepair_repairer_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    repairer_id: Mapped[int] = mapped_column(ForeignKey("bikerepair_repairer.id", ondelete="CASCADE"), index=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("upload.id", ondelete="CASCADE"), index=True)
    caption: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    repairer: Mapped[Repairer] = relationship(back_populates="photos")
    upload = relationship("Upload")


class RepairService(db.Model):
    """What a repairer offers (crevaison, révision…): its duration decides the appointment's length."""

    __tablename__ = "bikerepair_service"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("price_cents IS NULL OR price_cents >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    repairer_id: Mapped[int] = mapped_column(ForeignKey("bikerepair_repairer.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    price_cents: Mapped[int | None] = mapped_column(Integer)  # indicative price; None: on estimate
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    repairer: Mapped[Repairer] = relationship(back_populates="services")


class Bike(db.Model):
    """A resident's bike ("Mon vélo"), with its maintenance booklet."""

    __tablename__ = "bikerepair_bike"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    bike_type: Mapped[str] = mapped_column(String(20), default="classique")  # a key of BIKE_TYPES
    brand: Mapped[str] = mapped_column(String(80), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    owner = relationship("User")
    photo = relationship("Upload")
    booklet: Mapped[list[BookletEntry]] = relationship(
        back_populates="bike", cascade="all, delete-orphan", order_by=lambda: BookletEntry.done_on.desc()
    )


class BookletEntry(db.Model):
    """A line of a bike's maintenance booklet, written by its owner or by a repairer after an appointment."""

    __tablename__ = "bikerepair_booklet_entry"
    __table_args__ = (CheckConstraint("price_cents IS NULL OR price_cents >= 0", name="price_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    bike_id: Mapped[int] = mapped_column(ForeignKey("bikerepair_bike.id", ondelete="CASCADE"), index=True)
    done_on: Mapped[date] = mapped_column(Date)
    work: Mapped[str] = mapped_column(Text)  # what was done
    parts: Mapped[str] = mapped_column(Text, default="")
    price_cents: Mapped[int | None] = mapped_column(Integer)
    by_repairer_id: Mapped[int | None] = mapped_column(
        ForeignKey("bikerepair_repairer.id", ondelete="SET NULL"), index=True
    )
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("bikerepair_appointment.id", ondelete="SET NULL"), index=True
    )
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    bike: Mapped[Bike] = relationship(back_populates="booklet")
    photo = relationship("Upload")
    by_repairer: Mapped[Repairer | None] = relationship()


class Appointment(db.Model):
    """A booked repair: a resident (or a walk-in without an account) at a repairer, for one service.

    ``ends_at`` is ``starts_at`` plus the service's duration; ``buffer_minutes`` is the repairer's buffer when it was
    booked, so that changing the rules later does not move the places existing appointments hold.
    """

    __tablename__ = "bikerepair_appointment"
    __table_args__ = (
        Index("ix_bikerepair_appointment_repairer_starts", "repairer_id", "starts_at"),
        Index("ix_bikerepair_appointment_territory_status", "territory_id", "status"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("buffer_minutes >= 0", name="buffer_not_negative"),
        CheckConstraint("resident_id IS NOT NULL OR walk_in_name != ''", name="someone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    repairer_id: Mapped[int] = mapped_column(ForeignKey("bikerepair_repairer.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("bikerepair_service.id"), index=True)
    # None for a walk-in or phone booking entered by the staff (or after the resident's account was erased)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    walk_in_name: Mapped[str] = mapped_column(String(120), default="")
    walk_in_phone: Mapped[str] = mapped_column(String(40), default="")
    bike_id: Mapped[int | None] = mapped_column(ForeignKey("bikerepair_bike.id", ondelete="SET NULL"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")  # the resident's self-diagnosis
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id", ondelete="SET NULL"), index=True)  # private
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    proposed_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_message: Mapped[str] = mapped_column(Text, default="")  # why refused, cancelled, or another time
    # booked beyond capacity by the staff (audited)
    override: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # the scheduler's marks: each reminder goes out once
    reminded_day_before_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_soon_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the first slot the repairer offered for this service when the resident booked (the municipality's "delay to
    # the first available slot"); None for staff-entered bookings
    first_slot_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the .ics SEQUENCE: raised each time the time changes or the appointment is called off
    ics_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    repairer: Mapped[Repairer] = relationship()
    photo = relationship("Upload")
    service: Mapped[RepairService] = relationship()
    bike: Mapped[Bike | None] = relationship()
    resident = relationship("User", foreign_keys=[resident_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    cancelled_by = relationship("User", foreign_keys=[cancelled_by_id])

    @property
    def status_label(self) -> str:
        return str(APPOINTMENT_STATUSES.get(self.status, self.status))

    @property
    def holds_place(self) -> bool:
        return self.status in HOLDING_STATUSES
