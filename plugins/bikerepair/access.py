"""Who works where: the repairers a user is staff of, and who may see a private photo of the module."""

from __future__ import annotations

from flask import g
from sqlalchemy import select

from platformcoop.extensions import db
from platformcoop.organisations.models import ACTIVE, OWNER, Organisation, OrganisationStaff
from platformcoop.organisations.services import organisations_of
from plugins.bikerepair.models import Appointment, Repairer


def staff_repairers(territory, user, role: str | None = None) -> list[Repairer]:
    """The repairers of ``territory`` whose organisation ``user`` works for (as ``role``, "owner" or "staff", when
    given), by name. Staff rights hold whatever the repairer's switch; suspended organisations are left out."""
    if territory is None or user is None or not getattr(user, "is_authenticated", False) or user.disabled:
        return []
    query = (
        select(Repairer)
        .join(Organisation, Organisation.id == Repairer.organisation_id)
        .join(OrganisationStaff, OrganisationStaff.organisation_id == Organisation.id)
        .where(
            Repairer.territory_id == territory.id,
            Organisation.status == ACTIVE,
            OrganisationStaff.user_id == user.id,
        )
        .order_by(Organisation.name)
    )
    if role is not None:
        query = query.where(OrganisationStaff.role == role)
    return list(db.session.scalars(query))


def backoffice_visible(user) -> bool:
    """Whether the "Mon atelier" tab shows: the user works for a repairer of the current territory, or owns a repairer
    organisation that has not opened its bookings yet (the back office is where they open them)."""
    territory = getattr(g, "territory", None)
    if staff_repairers(territory, user):
        return True
    if territory is None or user is None or not getattr(user, "is_authenticated", False):
        return False
    return any(organisation.kind == "repairer" for organisation in organisations_of(user, territory, OWNER))


def can_see_upload(territory, user, upload) -> bool:
    """The private photo of a self-diagnosis: its author (the core answers that) and the repairer's staff."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    appointment = db.session.scalar(
        select(Appointment).where(Appointment.territory_id == territory.id, Appointment.photo_id == upload.id)
    )
    if appointment is None:
        return False
    return any(repairer.id == appointment.repairer_id for repairer in staff_repairers(territory, user))
