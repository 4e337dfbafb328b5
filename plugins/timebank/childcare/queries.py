"""Reading sessions: a member's sessions grouped by what they have to do, the coordinators' lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_
from sqlalchemy.orm import selectinload

from platformcoop.clock import now as clock_now
from platformcoop.extensions import db
from platformcoop.tenancy import scoped_select
from plugins.timebank.childcare.rules import OPEN
from plugins.timebank.models import Account, Session


def with_people(query):
    return query.options(
        selectinload(Session.parent_account).selectinload(Account.user),
        selectinload(Session.caregiver_account).selectinload(Account.user),
        selectinload(Session.children),
    )


@dataclass
class MySessions:
    """A member's sessions, grouped by what they have to do."""

    to_answer: list[Session] = field(default_factory=list)  # as caregiver: requests to accept or decline
    to_declare: list[Session] = field(default_factory=list)  # as caregiver: ended, hours to declare
    to_confirm: list[Session] = field(default_factory=list)  # as parent: declared, to confirm or dispute
    upcoming: list[Session] = field(default_factory=list)  # both sides: requested or accepted, not ended
    waiting: list[Session] = field(default_factory=list)  # both sides: waiting for the other or the coordinators
    past: list[Session] = field(default_factory=list)  # the last closed ones


def sessions_of(territory, account: Account, at: datetime | None = None, past_limit: int = 20) -> MySessions:
    at = at or clock_now()
    mine = or_(Session.parent_account_id == account.id, Session.caregiver_account_id == account.id)
    base = with_people(scoped_select(Session, territory).where(mine))
    grouped = MySessions()
    for session in db.session.scalars(base.where(Session.status.in_(OPEN)).order_by(Session.starts_at)):
        as_caregiver = session.caregiver_account_id == account.id
        if session.status == Session.REQUESTED and as_caregiver:
            grouped.to_answer.append(session)
        elif session.status == Session.ACCEPTED and as_caregiver and session.ends_at <= at:
            grouped.to_declare.append(session)
        elif session.status == Session.DECLARED and not as_caregiver:
            grouped.to_confirm.append(session)
        elif session.status in (Session.REQUESTED, Session.ACCEPTED) and session.ends_at > at:
            grouped.upcoming.append(session)
        else:
            grouped.waiting.append(session)
    closed = base.where(Session.status.not_in(OPEN)).order_by(Session.starts_at.desc()).limit(past_limit)
    grouped.past = list(db.session.scalars(closed))
    return grouped


def disputed_sessions(territory) -> list[Session]:
    query = scoped_select(Session, territory).where(Session.status == Session.DISPUTED)
    return list(db.session.scalars(with_people(query).order_by(Session.disputed_at, Session.id)))


def late_cancellations(territory, since: datetime) -> list[Session]:
    query = scoped_select(Session, territory).where(Session.late_cancel.is_(True), Session.cancelled_at >= since)
    return list(db.session.scalars(with_people(query).order_by(Session.cancelled_at.desc())))


def upcoming_sessions(territory, *, parent: Account | None = None, caregiver: Account | None = None) -> list[Session]:
    query = scoped_select(Session, territory).where(
        Session.status.in_((Session.REQUESTED, Session.ACCEPTED)), Session.starts_at > clock_now()
    )
    if parent is not None:
        query = query.where(Session.parent_account_id == parent.id)
    if caregiver is not None:
        query = query.where(Session.caregiver_account_id == caregiver.id)
    return list(db.session.scalars(with_people(query).order_by(Session.starts_at)))
