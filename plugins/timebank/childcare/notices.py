"""Telling people: notifications and e-mails of the childcare steps, the coordinators, links, calendar invitations,
audit entries."""

from __future__ import annotations

from flask import has_request_context, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from platformcoop import audit
from platformcoop.accounts.permissions import permission_roles
from platformcoop.extensions import db
from platformcoop.formatting import local_datetime
from platformcoop.notifications.ics import ICS_MIMETYPE, calendar_event
from platformcoop.notifications.service import notify
from plugins.timebank import services
from plugins.timebank.childcare.rules import KIND_COORDINATION, PLACE_LABELS, confirmation_deadline, period_label
from plugins.timebank.models import Session


def coordinators(territory) -> list:
    """The active members who coordinate the time bank (coordinators and administrators)."""
    from platformcoop.accounts.models import User
    from platformcoop.tenancy.models import MEMBERSHIP_ACTIVE, Membership, MembershipRole

    roles = permission_roles("timebank.coordinate")
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.territory_id == territory.id,
                Membership.status == MEMBERSHIP_ACTIVE,
                User.disabled.is_(False),
                Membership.id.in_(select(MembershipRole.membership_id).where(MembershipRole.role.in_(roles))),
            )
            .order_by(User.id)
        )
    )


def link(territory, endpoint: str, **values) -> str:
    """A link for a notification: local inside a request, a full address from the scheduler."""
    if has_request_context():
        return url_for(endpoint, territory=territory.slug, **values)
    from platformcoop.notifications.mail import absolute_url

    return absolute_url(endpoint, territory=territory.slug, **values)


def tell(user, kind, territory, obj, title, template, url, **context) -> None:
    if user is None:
        return
    notify(user, kind, territory, obj, title=title, url=url, email_template=f"timebank/{template}", **context)


def tell_session(user, kind, territory, session, title, template, **context) -> None:
    """Tell a party (or a coordinator) about ``session``. The e-mail gets ``session``, and as text in the recipient's
    language and the territory's time: ``when`` (the planned times) and ``deadline`` (the parent's, once declared)."""
    if user is None:
        return
    locale = user.locale or "fr"
    url = link(territory, "timebank.session", session_id=session.id)
    when = period_label(territory, session.starts_at, session.ends_at, locale)
    deadline = local_datetime(confirmation_deadline(territory, session), territory, locale)
    tell(user, kind, territory, session, title, template, url, session=session, when=when, deadline=deadline, **context)


def tell_parties(kind, territory, session, title, template, **context) -> None:
    """Tell the parent, then the caregiver, about ``session`` (see ``tell_session``)."""
    for account in (session.parent_account, session.caregiver_account):
        tell_session(account.user, kind, territory, session, title, template, **context)


def tell_coordinators(territory, obj, title, template, url, *, skip=(), **context) -> None:
    skipped = {getattr(person, "id", None) for person in skip}
    for person in coordinators(territory):
        if person.id not in skipped:
            tell(person, KIND_COORDINATION, territory, obj, title, template, url, **context)


def audit_session(action: str, territory, session: Session, actor, **details) -> None:
    audit.record(f"timebank.session_{action}", actor=actor, territory=territory, obj=session, **details)


def session_ics(territory, session: Session, *, cancelled: bool = False) -> list[tuple[str, str, bytes]]:
    place = PLACE_LABELS[session.place]
    who = services.account_label(session.parent_account if session.place == "parent" else session.caregiver_account)
    invitation = calendar_event(
        uid=f"timebank-session-{session.id}@{territory.slug}",
        summary=_("Garde d'enfants"),
        start=session.starts_at,
        end=session.ends_at,
        timezone=territory.timezone,
        location=f"{place} ({who})",
        description=_(
            "Garde d'enfants entre %(parent)s et %(caregiver)s.",
            parent=services.account_label(session.parent_account),
            caregiver=services.account_label(session.caregiver_account),
        ),
        url=link(territory, "timebank.session", session_id=session.id),
        sequence=1 if cancelled else 0,
        cancelled=cancelled,
    )
    return [("garde.ics", ICS_MIMETYPE, invitation)]
