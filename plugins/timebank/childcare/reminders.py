"""The scheduler's sweep (every 15 minutes): requests left unanswered, reminders (each sent once, marked in the
``reminded_*`` columns), and the parent's deadline (auto-confirm or expire, per the territory's policy). A run is
idempotent and a missed run catches up."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from platformcoop.extensions import db
from platformcoop.formatting import local_date, local_datetime
from platformcoop.tenancy import scoped_select
from plugins.timebank import services
from plugins.timebank.childcare.notices import audit_session, tell_parties, tell_session
from plugins.timebank.childcare.queries import with_people
from plugins.timebank.childcare.rules import KIND_REMINDER, KIND_SESSION, StaleSession
from plugins.timebank.childcare.sessions import auto_confirm, expire, move
from plugins.timebank.models import Session


def sweep(territory, now: datetime) -> None:
    """Every 15 minutes: unanswered requests, reminders (each once), and the parents' deadline. Idempotent."""
    conf = services.settings(territory)
    _close_unanswered_requests(territory, now)
    _remind_the_day_before(territory, now)
    _remind_to_declare(territory, now)
    _remind_to_confirm(territory, now, conf)
    _resolve_unanswered(territory, now, conf)


def _due(territory, *conditions) -> list[Session]:
    """The sessions matching ``conditions``, read afresh: an earlier step of the same sweep may have changed them
    with a conditional UPDATE (e.g. ``reminded_confirm_at`` just set), which the loaded objects would not show."""
    query = scoped_select(Session, territory).where(*conditions).order_by(Session.id)
    return list(db.session.scalars(with_people(query).execution_options(populate_existing=True)))


def _mark(territory, session: Session, column: str, now: datetime) -> bool:
    """Set a ``reminded_*`` column once; False when another run already did."""
    result = db.session.execute(
        update(Session)
        .where(Session.id == session.id, Session.territory_id == territory.id, getattr(Session, column).is_(None))
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _close_unanswered_requests(territory, now: datetime) -> None:
    reason = _("La demande n'a pas reçu de réponse avant l'heure de la garde.")
    for session in _due(territory, Session.status == Session.REQUESTED, Session.starts_at <= now):
        try:
            move(
                territory,
                session,
                (Session.REQUESTED,),
                status=Session.CANCELLED,
                cancelled_at=now,
                cancel_reason=reason,
            )
        except StaleSession:
            continue
        audit_session("cancelled", territory, session, None, reason=reason, unanswered=True)
        tell_parties(
            KIND_SESSION,
            territory,
            session,
            _l("Demande de garde sans réponse (%(date)s)", date=local_date(session.starts_at, territory, "short")),
            "session_cancelled",
            reason=reason,
            cancelled_by=None,
            attachments=[],
        )


def _remind_the_day_before(territory, now: datetime) -> None:
    window = (Session.starts_at > now, Session.starts_at <= now + timedelta(days=1))
    for session in _due(territory, Session.status == Session.ACCEPTED, Session.reminded_before_at.is_(None), *window):
        if not _mark(territory, session, "reminded_before_at", now):
            continue
        if session.decided_at and session.starts_at - session.decided_at < timedelta(days=1):
            continue  # accepted less than a day before: the acceptance was the reminder
        tell_parties(
            KIND_REMINDER,
            territory,
            session,
            _l("Rappel : garde d'enfants le %(when)s", when=local_datetime(session.starts_at, territory)),
            "session_reminder_before",
        )


def _remind_to_declare(territory, now: datetime) -> None:
    for session in _due(
        territory, Session.status == Session.ACCEPTED, Session.ends_at <= now, Session.reminded_declare_at.is_(None)
    ):
        if _mark(territory, session, "reminded_declare_at", now):
            tell_session(
                session.caregiver_account.user,
                KIND_REMINDER,
                territory,
                session,
                _l(
                    "Déclarez les heures de la garde du %(date)s",
                    date=local_date(session.starts_at, territory, "short"),
                ),
                "session_reminder_declare",
            )


def _remind_to_confirm(territory, now: datetime, conf: dict) -> None:
    """One day before the parent's deadline."""
    threshold = now - timedelta(days=conf["session_answer_days"] - 1)
    for session in _due(
        territory,
        Session.status == Session.DECLARED,
        Session.declared_at <= threshold,
        Session.reminded_confirm_at.is_(None),
    ):
        if _mark(territory, session, "reminded_confirm_at", now):
            tell_session(
                session.parent_account.user,
                KIND_REMINDER,
                territory,
                session,
                _l(
                    "Rappel : confirmez les heures de garde de %(name)s",
                    name=services.account_label(session.caregiver_account),
                ),
                "session_reminder_confirm",
                policy=conf["unanswered_policy"],
            )


def _resolve_unanswered(territory, now: datetime, conf: dict) -> None:
    """At the deadline (and at least a day after the reminder): auto-confirm or expire, per the policy."""
    threshold = now - timedelta(days=conf["session_answer_days"])
    for session in _due(
        territory,
        Session.status == Session.DECLARED,
        Session.declared_at <= threshold,
        Session.reminded_confirm_at.is_not(None),
    ):
        if session.reminded_confirm_at > now - timedelta(days=1):
            continue  # the reminder went out late (a missed run): the parent keeps a full day to answer
        try:
            if conf["unanswered_policy"] == "expire":
                expire(territory, session, now)
            else:
                auto_confirm(territory, session, now)
        except StaleSession:
            continue  # the parent answered meanwhile
