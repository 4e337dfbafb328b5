"""The bike-repair block on the territory home page ("Réparer son vélo"): how many repairers take bookings, the
member's next appointment, the requests waiting at the workshops they work for, and the way to the search.

Four queries at most, whatever the number of repairers and appointments."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload

from platformcoop import clock
from platformcoop.accounts.permissions import can
from platformcoop.extensions import db
from platformcoop.organisations.models import ACTIVE, Organisation
from platformcoop.plugins import Widget
from plugins.bikerepair import NAME
from plugins.bikerepair.access import staff_repairers
from plugins.bikerepair.models import HOLDING_STATUSES, PENDING, Appointment, Repairer, RepairService


def dashboard_widgets(territory, user) -> list[Widget]:
    if not can(user, "territory.use", territory):
        return []  # visitors and other territories' people: the module's card on the home page is enough
    context = {
        "repairers": repairers_taking_bookings(territory),
        "next_appointment": next_appointment(territory, user),
        "search_url": url_for("bikerepair.index"),
        "appointments_url": url_for("bikerepair.my_appointments"),
    }
    workshops = staff_repairers(territory, user)
    if workshops:
        context["backoffice_url"] = url_for("bikerepair.backoffice")
        context["pending"] = db.session.scalar(
            select(func.count()).where(
                Appointment.territory_id == territory.id,
                Appointment.repairer_id.in_([r.id for r in workshops]),
                Appointment.status == PENDING,
            )
        )
    return [
        Widget(
            title=_("Réparer son vélo"),
            template="bikerepair/widgets/home.html",
            context=context,
            order=40,
            module=NAME,
        )
    ]


def repairers_taking_bookings(territory) -> int:
    """Repairers switched on, with an active organisation and at least one active service."""
    has_service = exists().where(RepairService.repairer_id == Repairer.id, RepairService.active.is_(True))
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(Repairer)
            .join(Organisation, Organisation.id == Repairer.organisation_id)
            .where(
                Repairer.territory_id == territory.id,
                Repairer.enabled.is_(True),
                Organisation.status == ACTIVE,
                has_service,
            )
        )
        or 0
    )


def next_appointment(territory, user) -> Appointment | None:
    """The member's next appointment that still holds a place (its repairer and service loaded with it)."""
    return db.session.scalar(
        select(Appointment)
        .where(
            Appointment.territory_id == territory.id,
            Appointment.resident_id == user.id,
            Appointment.status.in_(HOLDING_STATUSES),
            Appointment.starts_at >= clock.now(),
        )
        .options(
            joinedload(Appointment.repairer).joinedload(Repairer.organisation),
            joinedload(Appointment.service),
        )
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(1)
    )
