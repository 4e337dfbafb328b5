"""Invitations to join an organisation's staff: e-mailed, expiring, single-use links.

The link carries a random token; only its SHA-256 is stored. Accepting is a conditional update (``… WHERE
accepted_at IS NULL AND expires_at > now``), so a link works once even when it is clicked twice at the same instant.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from platformcoop import audit
from platformcoop.accounts.models import User
from platformcoop.clock import now
from platformcoop.extensions import db
from platformcoop.hours.services import lock_row
from platformcoop.notifications import notify
from platformcoop.notifications.mail import send_email
from platformcoop.organisations.models import (
    OWNER,
    STAFF_ROLES,
    Organisation,
    OrganisationInvitation,
    OrganisationStaff,
)
from platformcoop.organisations.services import OrganisationError, add_staff, staff_member


class InvitationError(OrganisationError):
    """An invitation link that cannot be used (``reason``: invalid, expired, used, other_email)."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_staff(organisation: Organisation, email: str, role: str, actor) -> tuple[OrganisationInvitation, str]:
    """E-mail an invitation link to ``email``; return the invitation and the token the link carries.

    A new invitation to the same address replaces the pending one.
    """
    email = email.strip().lower()
    if role not in STAFF_ROLES:
        raise OrganisationError(_("Rôle inconnu."))
    existing_user = db.session.scalar(select(User).where(User.email == email))
    if existing_user is not None and staff_member(organisation, existing_user) is not None:
        raise OrganisationError(_("Cette personne fait déjà partie de l'équipe."))
    moment = now()
    db.session.execute(
        update(OrganisationInvitation)
        .where(
            OrganisationInvitation.organisation_id == organisation.id,
            OrganisationInvitation.email == email,
            OrganisationInvitation.accepted_at.is_(None),
            OrganisationInvitation.revoked_at.is_(None),
        )
        .values(revoked_at=moment)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    max_age = current_app.config["ORGANISATION_INVITATION_MAX_AGE"]
    invitation = OrganisationInvitation(
        territory_id=organisation.territory_id,
        organisation_id=organisation.id,
        email=email,
        role=role,
        token_hash=_hash(token),
        invited_by_id=actor.id,
        created_at=moment,
        expires_at=moment + timedelta(seconds=max_age),
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        "organisation.staff_invited",
        actor=actor,
        territory=organisation.territory,
        obj=organisation,
        email=email,
        role=role,
    )
    territory = organisation.territory
    send_email(
        email,
        _l("Invitation à rejoindre l'équipe de %(name)s", name=organisation.name),
        "organisation_invitation",
        locale=existing_user.locale if existing_user is not None else territory.locale,
        organisation=organisation,
        territory=territory,
        inviter=actor,
        role_label=invitation.role_label,
        accept_url=url_for("organisations.invitation", territory=territory.slug, token=token, _external=True),
        max_age_days=max(1, max_age // 86400),
    )
    return invitation, token


def invitation_for_token(territory, token: str) -> OrganisationInvitation:
    """The invitation a link is for; :class:`InvitationError` when the link is unknown, used or expired."""
    invitation = db.session.scalar(
        select(OrganisationInvitation).where(OrganisationInvitation.token_hash == _hash(token))
    )
    if invitation is None or invitation.territory_id != territory.id or invitation.revoked_at is not None:
        raise InvitationError(_("Ce lien d'invitation n'est pas valable."), "invalid")
    if invitation.accepted_at is not None:
        raise InvitationError(_("Cette invitation a déjà été acceptée."), "used")
    if invitation.expires_at <= now():
        raise InvitationError(_("Cette invitation a expiré. Demandez-en une nouvelle."), "expired")
    return invitation


def accept_invitation(invitation: OrganisationInvitation, user: User) -> OrganisationStaff:
    """``user`` (logged in with the invited address) joins the staff. The link works once."""
    if user.email != invitation.email:
        raise InvitationError(
            _("Cette invitation a été envoyée à une autre adresse e-mail. Connectez-vous avec celle-ci."),
            "other_email",
        )
    moment = now()
    used = db.session.execute(
        update(OrganisationInvitation)
        .where(
            OrganisationInvitation.id == invitation.id,
            OrganisationInvitation.accepted_at.is_(None),
            OrganisationInvitation.revoked_at.is_(None),
            OrganisationInvitation.expires_at > moment,
        )
        .values(accepted_at=moment, accepted_by_id=user.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:
        raise InvitationError(_("Cette invitation n'est plus valable."), "used")
    organisation = invitation.organisation
    lock_row(Organisation, organisation.id)
    member = staff_member(organisation, user)
    if member is None:
        member = add_staff(organisation, user, invitation.role, actor=user)
    elif invitation.role == OWNER and member.role != OWNER:
        member.role = OWNER
    audit.record(
        "organisation.invitation_accepted",
        actor=user,
        territory=organisation.territory,
        obj=organisation,
        role=member.role,
    )
    inviter = invitation.invited_by
    if inviter is not None and inviter.id != user.id:
        notify(
            inviter,
            "organisation.staff",
            organisation.territory,
            organisation,
            title=_l("%(person)s a rejoint l'équipe de %(name)s", person=user.display_name, name=organisation.name),
            url=url_for(
                "organisations.staff",
                territory=organisation.territory.slug,
                organisation_id=organisation.id,
                _external=True,
            ),
        )
    return member


def revoke_invitation(invitation: OrganisationInvitation, actor=None) -> None:
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        return
    invitation.revoked_at = now()
    audit.record(
        "organisation.invitation_revoked",
        actor=actor,
        territory=invitation.organisation.territory,
        obj=invitation.organisation,
        email=invitation.email,
    )


def pending_invitations(organisation: Organisation) -> list[OrganisationInvitation]:
    return list(
        db.session.scalars(
            select(OrganisationInvitation)
            .where(
                OrganisationInvitation.organisation_id == organisation.id,
                OrganisationInvitation.accepted_at.is_(None),
                OrganisationInvitation.revoked_at.is_(None),
                OrganisationInvitation.expires_at > now(),
            )
            .order_by(OrganisationInvitation.created_at)
        )
    )
