"""Organisation rules: proposing, the admins' decisions, editing, staff (invitations: ``invitations.py``).

The status transitions are listed in ``models.py``. Each one is a conditional update (``… WHERE status IN
(allowed)``), so two admins clicking at once cannot both act. Staff changes lock the organisation row first, so an
organisation always keeps at least one owner even when two owners remove each other at the same instant.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from platformcoop import audit
from platformcoop.accounts.models import User
from platformcoop.accounts.permissions import can
from platformcoop.clock import now
from platformcoop.extensions import db
from platformcoop.hours.services import lock_row
from platformcoop.notifications import notify
from platformcoop.organisations.models import (
    ACTIVE,
    DECLINED,
    ORGANISATION_KINDS,
    OWNER,
    PROPOSED,
    STAFF_ROLES,
    SUSPENDED,
    Organisation,
    OrganisationStaff,
)
from platformcoop.tenancy.models import MEMBERSHIP_ACTIVE, Membership, MembershipRole

PROFILE_FIELDS = (
    "kind",
    "name",
    "description",
    "address",
    "postcode",
    "city",
    "latitude",
    "longitude",
    "contact_email",
    "contact_phone",
    "website",
)
OPTIONAL_TEXT = {"contact_email", "contact_phone", "website"}


class OrganisationError(ValueError):
    """A rule about organisations was broken; the message is French and meant for the user."""


# -- who ----------------------------------------------------------------------------------------------------------


def staff_member(organisation: Organisation, user) -> OrganisationStaff | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(OrganisationStaff).where(
            OrganisationStaff.organisation_id == organisation.id, OrganisationStaff.user_id == user.id
        )
    )


def is_staff(user, organisation: Organisation, role: str | None = None) -> bool:
    """Whether ``user`` works for ``organisation`` (with exactly ``role``, "owner" or "staff", when given).

    Staff rights hold whatever the organisation's status; modules check ``organisation.is_active`` for what the
    public sees.
    """
    if user is None or getattr(user, "disabled", False):
        return False
    member = staff_member(organisation, user)
    return member is not None and (role is None or member.role == role)


def may_manage(user, organisation: Organisation) -> bool:
    """Owners and the territory's administrators edit the profile, the staff and the opening hours."""
    return is_staff(user, organisation, OWNER) or can(user, "territory.admin", organisation.territory, organisation)


def organisations_of(user, territory, role: str | None = None, *, active_only: bool = True) -> list[Organisation]:
    """The organisations of ``territory`` that ``user`` works for (as ``role`` when given), by name."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    query = (
        select(Organisation)
        .join(OrganisationStaff, OrganisationStaff.organisation_id == Organisation.id)
        .where(Organisation.territory_id == territory.id, OrganisationStaff.user_id == user.id)
        .order_by(Organisation.name)
    )
    if role is not None:
        query = query.where(OrganisationStaff.role == role)
    if active_only:
        query = query.where(Organisation.status == ACTIVE)
    return list(db.session.scalars(query))


def active_organisations(territory, kind: str | None = None) -> list[Organisation]:
    query = select(Organisation).where(Organisation.territory_id == territory.id, Organisation.status == ACTIVE)
    if kind:
        query = query.where(Organisation.kind == kind)
    return list(db.session.scalars(query.order_by(Organisation.name)))


def territory_admins(territory) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .join(MembershipRole, MembershipRole.membership_id == Membership.id)
            .where(
                Membership.territory_id == territory.id,
                Membership.status == MEMBERSHIP_ACTIVE,
                MembershipRole.role == "admin",
                User.disabled.is_(False),
            )
            .order_by(User.id)
        )
    )


# -- profile ------------------------------------------------------------------------------------------------------


def _clean_profile(data: dict[str, Any]) -> dict[str, Any]:
    values = {key: data.get(key) for key in PROFILE_FIELDS}
    for key, value in values.items():
        if isinstance(value, str):
            values[key] = value.strip()
    if values["kind"] not in ORGANISATION_KINDS:
        raise OrganisationError(_("Type d'organisation inconnu."))
    if not values["name"]:
        raise OrganisationError(_("Indiquez le nom de l'organisation."))
    if (values["latitude"] is None) != (values["longitude"] is None):
        raise OrganisationError(_("Indiquez la latitude et la longitude, ou aucune des deux."))
    if values["latitude"] is not None and not (-90 <= values["latitude"] <= 90 and -180 <= values["longitude"] <= 180):
        raise OrganisationError(_("Ces coordonnées ne sont pas valables."))
    for key in OPTIONAL_TEXT:
        values[key] = values[key] or None
    for key in ("description", "address", "postcode", "city"):
        values[key] = values[key] or ""
    if values["contact_email"]:
        values["contact_email"] = values["contact_email"].lower()
    return values


def propose_organisation(territory, user, data: dict[str, Any]) -> Organisation:
    """A resident proposes an organisation; it waits for an administrator (its proposer becomes owner then)."""
    if not can(user, "territory.use", territory):
        raise OrganisationError(_("Seuls les membres du territoire peuvent proposer une organisation."))
    organisation = Organisation(
        territory_id=territory.id, status=PROPOSED, created_by_id=user.id, **_clean_profile(data)
    )
    db.session.add(organisation)
    db.session.flush()
    audit.record("organisation.proposed", actor=user, territory=territory, obj=organisation)
    url = url_for(
        "organisations_admin.detail", territory=territory.slug, organisation_id=organisation.id, _external=True
    )
    for admin in territory_admins(territory):
        notify(
            admin,
            "organisation.proposed",
            territory,
            organisation,
            title=_l("Nouvelle organisation à valider : %(name)s", name=organisation.name),
            url=url,
            email_template="organisation_proposed",
            organisation=organisation,
            proposer=user,
        )
    return organisation


def create_organisation(territory, data: dict[str, Any], actor=None, owner: User | None = None) -> Organisation:
    """An administrator (or the CLI, the demo) registers an organisation directly: it is active at once."""
    organisation = Organisation(
        territory_id=territory.id,
        status=ACTIVE,
        created_by_id=getattr(actor, "id", None),
        status_changed_at=now(),
        **_clean_profile(data),
    )
    db.session.add(organisation)
    db.session.flush()
    if owner is not None:
        add_staff(organisation, owner, OWNER, actor=actor)
    audit.record("organisation.created", actor=actor, territory=territory, obj=organisation)
    return organisation


def update_organisation(organisation: Organisation, data: dict[str, Any], actor=None) -> None:
    values = _clean_profile(data)
    changed = sorted(key for key, value in values.items() if getattr(organisation, key) != value)
    for key in changed:
        setattr(organisation, key, values[key])
    audit.record(
        "organisation.updated", actor=actor, territory=organisation.territory, obj=organisation, changed=changed
    )


# -- status transitions -------------------------------------------------------------------------------------------


def _transition(organisation: Organisation, allowed: tuple[str, ...], to: str, actor, action: str, message: str):
    if not can(actor, "territory.admin", organisation.territory, organisation):
        raise OrganisationError(_("Seuls les administrateurs du territoire peuvent décider."))
    changed = db.session.execute(
        update(Organisation)
        .where(Organisation.id == organisation.id, Organisation.status.in_(allowed))
        .values(status=to, status_changed_at=now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.refresh(organisation)
        raise OrganisationError(
            _("Impossible : cette organisation est « %(status)s ».", status=organisation.status_label)
        )
    db.session.refresh(organisation)
    audit.record(action, actor=actor, territory=organisation.territory, obj=organisation, message=message)


def approve_organisation(organisation: Organisation, admin, message: str = "") -> None:
    _transition(organisation, (PROPOSED,), ACTIVE, admin, "organisation.approved", message)
    proposer = organisation.created_by
    if proposer is not None and not proposer.disabled and staff_member(organisation, proposer) is None:
        add_staff(organisation, proposer, OWNER, actor=admin)
    title = _l("Votre organisation « %(name)s » est validée", name=organisation.name)
    _tell(organisation, [proposer], title, message)


def decline_organisation(organisation: Organisation, admin, message: str = "") -> None:
    _transition(organisation, (PROPOSED,), DECLINED, admin, "organisation.declined", message)
    title = _l("Votre proposition « %(name)s » n'est pas retenue", name=organisation.name)
    _tell(organisation, [organisation.created_by], title, message)


def suspend_organisation(organisation: Organisation, admin, message: str = "") -> None:
    _transition(organisation, (ACTIVE,), SUSPENDED, admin, "organisation.suspended", message)
    title = _l("L'organisation « %(name)s » est suspendue", name=organisation.name)
    _tell(organisation, _owners(organisation), title, message)


def reactivate_organisation(organisation: Organisation, admin, message: str = "") -> None:
    _transition(organisation, (SUSPENDED,), ACTIVE, admin, "organisation.reactivated", message)
    title = _l("L'organisation « %(name)s » est de nouveau active", name=organisation.name)
    _tell(organisation, _owners(organisation), title, message)


DECISIONS = {
    "approuver": approve_organisation,
    "refuser": decline_organisation,
    "suspendre": suspend_organisation,
    "reactiver": reactivate_organisation,
}


def _owners(organisation: Organisation) -> list[User]:
    return [m.user for m in organisation.staff if m.role == OWNER]


def _tell(organisation: Organisation, people, title, message: str) -> None:
    """Notify ``people`` of a decision (in-app, and by e-mail as their preferences say)."""
    url = url_for(
        "organisations.show",
        territory=organisation.territory.slug,
        organisation_id=organisation.id,
        _external=True,
    )
    for person in people:
        if person is None or person.disabled:
            continue
        notify(
            person,
            "organisation.status",
            organisation.territory,
            organisation,
            title=title,
            url=url,
            email_template="organisation_status",
            organisation=organisation,
            message=message,
        )


# -- staff --------------------------------------------------------------------------------------------------------


def add_staff(organisation: Organisation, user: User, role: str, actor=None) -> OrganisationStaff:
    """Put ``user`` on the staff directly (approval, the CLI, the demo); people join through invitations."""
    member = OrganisationStaff(
        territory_id=organisation.territory_id, organisation_id=organisation.id, user_id=user.id, role=role
    )
    db.session.add(member)
    db.session.flush()
    db.session.expire(organisation, ["staff"])
    audit.record(
        "organisation.staff_added",
        actor=actor,
        territory=organisation.territory,
        obj=organisation,
        user_id=user.id,
        role=role,
    )
    return member


def _owner_count(organisation: Organisation) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(OrganisationStaff)
        .where(OrganisationStaff.organisation_id == organisation.id, OrganisationStaff.role == OWNER)
    )


def remove_staff(member: OrganisationStaff, actor=None) -> None:
    """Take someone off the staff; the last owner stays (an organisation always has someone in charge)."""
    organisation = member.organisation
    lock_row(Organisation, organisation.id)
    db.session.refresh(member)  # the role as it is now, after the lock
    if member.role == OWNER and _owner_count(organisation) <= 1:
        raise OrganisationError(_("L'organisation doit garder au moins un responsable."))
    audit.record(
        "organisation.staff_removed",
        actor=actor,
        territory=organisation.territory,
        obj=organisation,
        user_id=member.user_id,
        role=member.role,
    )
    db.session.delete(member)
    db.session.flush()
    db.session.expire(organisation, ["staff"])


def change_staff_role(member: OrganisationStaff, role: str, actor=None) -> None:
    if role not in STAFF_ROLES:
        raise OrganisationError(_("Rôle inconnu."))
    organisation = member.organisation
    lock_row(Organisation, organisation.id)
    db.session.refresh(member)
    if member.role == role:
        return
    if member.role == OWNER and _owner_count(organisation) <= 1:
        raise OrganisationError(_("L'organisation doit garder au moins un responsable."))
    member.role = role
    audit.record(
        "organisation.staff_role_changed",
        actor=actor,
        territory=organisation.territory,
        obj=organisation,
        user_id=member.user_id,
        role=role,
    )


# -- opening hours ------------------------------------------------------------------------------------------------


def opening_schedule(organisation: Organisation):
    """The organisation's opening hours (a core :class:`~platformcoop.hours.models.Schedule`), created empty."""
    from platformcoop.hours.services import schedule_for

    return schedule_for(organisation.territory, "organisation", organisation.id)


def find_opening_schedule(organisation: Organisation):
    from platformcoop.hours.services import find_schedule

    return find_schedule(organisation.territory, "organisation", organisation.id)
