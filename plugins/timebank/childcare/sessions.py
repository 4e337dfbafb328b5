"""The session's transitions (see the table in ``plugins/timebank/childcare/__init__.py``).

Every change is a conditional ``UPDATE`` on the status the caller saw (``move``: rowcount 1, else ``StaleSession``),
and the transfer is written in the same transaction, so a double click or two parallel requests move time once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from platformcoop.clock import now as clock_now
from platformcoop.extensions import db
from platformcoop.formatting import format_duration, local_date
from plugins.timebank import services
from plugins.timebank.categories import childcare_category
from plugins.timebank.childcare.family import booking_obstacles, children_of
from plugins.timebank.childcare.notices import (
    audit_session,
    link,
    session_ics,
    tell_coordinators,
    tell_parties,
    tell_session,
)
from plugins.timebank.childcare.rules import (
    BOOKED,
    HELD,
    KIND_SESSION,
    MESSAGE_MAX,
    PLACE_LABELS,
    STATUS_LABELS,
    NotAllowed,
    StaleSession,
    check_weekly_cap,
    clean_text,
    credited_minutes,
    may_offer_childcare,
    period_label,
    require_coordinator,
    require_role,
    role_of,
    weighted_minutes,
)
from plugins.timebank.models import Account, Session
from plugins.timebank.services import TimebankError


def move(territory, session: Session, expected: tuple[str, ...], **values) -> None:
    """The conditional status change: refused (``StaleSession``) unless the session is still in ``expected``."""
    result = db.session.execute(
        update(Session)
        .where(Session.id == session.id, Session.territory_id == territory.id, Session.status.in_(expected))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(session)
    if result.rowcount != 1:
        current = db.session.scalar(select(Session.status).where(Session.id == session.id))
        raise StaleSession(
            _(
                "Rien n'a été fait : cette garde est maintenant « %(status)s ».",
                status=STATUS_LABELS.get(current, current),
            )
        )


def _pay(territory, session: Session, minutes: int, actor) -> None:
    """The one transfer parent → caregiver of a session, in the transaction of its status change."""
    description = _("Garde d'enfants du %(date)s", date=local_date(session.starts_at, territory, "short"))
    record = services.transfer(
        territory,
        session.parent_account,
        session.caregiver_account,
        minutes,
        actor=actor,
        description=description,
        category_id=childcare_category_id(territory),
    )
    db.session.execute(
        update(Session)
        .where(Session.id == session.id, Session.territory_id == territory.id)
        .values(transfer_id=record.id, minutes=minutes)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(session)


def childcare_category_id(territory) -> int:
    """The id of the territory's "childcare" category, created if the territory has none yet."""
    return childcare_category(territory).id


def other_party(session: Session, actor) -> Account:
    return session.caregiver_account if role_of(session, actor) == "parent" else session.parent_account


def book_session(
    territory,
    parent: Account,
    caregiver: Account,
    *,
    starts_at: datetime,
    ends_at: datetime,
    child_ids: list[int],
    place: str = Session.PLACE_PARENT,
    message: str = "",
) -> Session:
    """The parent asks a verified caregiver for a session; the caregiver is told."""
    obstacles = booking_obstacles(territory, parent)
    if obstacles:
        raise TimebankError(" ".join(obstacles))
    if caregiver.territory_id != territory.id or caregiver.id == parent.id:
        raise TimebankError(_("Choisissez une autre personne que vous-même."))
    if not may_offer_childcare(territory, caregiver):
        raise TimebankError(_("Cette personne n'est pas vérifiée pour la garde d'enfants."))
    own = {child.id: child for child in children_of(territory, parent)}
    wanted = set(child_ids)
    chosen = [child for child_id, child in own.items() if child_id in wanted]
    if not chosen or len(chosen) != len(wanted):
        raise TimebankError(_("Choisissez au moins un de vos enfants."))
    if place not in PLACE_LABELS:
        raise TimebankError(_("Choisissez le lieu de la garde."))
    message = clean_text(message, max_length=MESSAGE_MAX)
    _check_times(territory, starts_at, ends_at, len(chosen))
    check_weekly_cap(territory, caregiver, starts_at, ends_at, BOOKED, None, asked_by_parent=True)
    session = Session(
        territory_id=territory.id,
        parent_account_id=parent.id,
        caregiver_account_id=caregiver.id,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        message=message,
        status=Session.REQUESTED,
        created_at=clock_now(),
    )
    session.children = chosen
    db.session.add(session)
    db.session.flush()
    audit_session("requested", territory, session, parent.user)
    tell_session(
        caregiver.user,
        KIND_SESSION,
        territory,
        session,
        _l("Demande de garde d'enfants de %(name)s", name=services.account_label(parent)),
        "session_requested",
    )
    return session


def _check_times(territory, starts_at: datetime, ends_at: datetime, children: int) -> None:
    conf = services.settings(territory)
    if ends_at <= starts_at:
        raise TimebankError(_("L'heure de fin doit être après l'heure de début."))
    if starts_at <= clock_now():
        raise TimebankError(_("Choisissez une garde dans le futur."))
    longest = format_duration(conf["max_transfer"])
    if (ends_at - starts_at) // timedelta(minutes=1) > conf["max_transfer"]:
        raise TimebankError(_("Une garde ne peut pas dépasser %(max)s.", max=longest))
    if weighted_minutes(starts_at, ends_at, children, conf, territory.timezone) > conf["max_transfer"]:
        raise TimebankError(
            _(
                "Avec la majoration des heures de garde, cette garde dépasserait %(max)s : raccourcissez-la.",
                max=longest,
            )
        )


def accept_session(territory, session: Session, actor) -> None:
    """The caregiver accepts (the weekly cap is checked again); both receive the calendar invitation."""
    require_role(session, actor, "caregiver")
    if not may_offer_childcare(territory, session.caregiver_account):
        raise TimebankError(_("Vous n'êtes plus vérifié(e) pour la garde d'enfants."))
    if session.status == Session.REQUESTED and session.starts_at <= clock_now():
        raise TimebankError(_("Cette garde aurait déjà dû commencer : elle ne peut plus être acceptée."))
    check_weekly_cap(
        territory,
        session.caregiver_account,
        session.starts_at,
        session.ends_at,
        HELD,
        session.id,
        asked_by_parent=False,
    )
    move(territory, session, (Session.REQUESTED,), status=Session.ACCEPTED, decided_at=clock_now())
    audit_session("accepted", territory, session, actor)
    invitation = session_ics(territory, session)
    caregiver = services.account_label(session.caregiver_account)
    for user, title in (
        (session.parent_account.user, _l("%(name)s accepte de garder vos enfants", name=caregiver)),
        (session.caregiver_account.user, _l("Garde d'enfants acceptée : la voici dans votre agenda")),
    ):
        tell_session(user, KIND_SESSION, territory, session, title, "session_accepted", attachments=invitation)


def decline_session(territory, session: Session, actor, reason: str = "") -> None:
    require_role(session, actor, "caregiver")
    reason = clean_text(reason)
    # the caregiver's words, kept where a cancellation keeps its reason
    move(
        territory, session, (Session.REQUESTED,), status=Session.DECLINED, decided_at=clock_now(), cancel_reason=reason
    )
    audit_session("declined", territory, session, actor)
    tell_session(
        session.parent_account.user,
        KIND_SESSION,
        territory,
        session,
        _l("%(name)s ne peut pas garder vos enfants", name=services.account_label(session.caregiver_account)),
        "session_declined",
        reason=reason,
    )


def cancel_session(territory, session: Session, actor, reason: str = "") -> None:
    """The parent or the caregiver calls the session off before its start (late: accepted, less than N hours)."""
    if role_of(session, actor) is None:
        raise NotAllowed(_("Seuls le parent et la personne qui garde peuvent annuler la garde."))
    reason = clean_text(reason)
    if session.status not in (Session.REQUESTED, Session.ACCEPTED):
        raise TimebankError(_("Cette garde ne peut plus être annulée."))
    if session.starts_at <= clock_now():
        raise TimebankError(_("La garde a déjà commencé : elle ne peut plus être annulée."))
    cancel(territory, session, actor, reason, [other_party(session, actor)], late_allowed=True)


def cancel(territory, session: Session, actor, reason: str, tell: list[Account], *, late_allowed: bool) -> None:
    """Cancel on the status the caller saw; ``late_cancel`` for an accepted session called off by a party less than
    ``late_cancel_hours`` before its start. ``tell`` are the accounts to notify."""
    was = session.status
    at = clock_now()
    limit = timedelta(hours=services.settings(territory)["late_cancel_hours"])
    late = late_allowed and was == Session.ACCEPTED and session.starts_at - at < limit
    cancelled_by = role_of(session, actor)
    move(
        territory,
        session,
        (was,),
        status=Session.CANCELLED,
        cancelled_at=at,
        cancelled_by_id=getattr(actor, "id", None),
        cancel_reason=reason,
        late_cancel=late,
    )
    audit_session("cancelled", territory, session, actor, late=late, reason=reason)
    attachments = session_ics(territory, session, cancelled=True) if was == Session.ACCEPTED else []
    for account in tell:
        tell_session(
            account.user,
            KIND_SESSION,
            territory,
            session,
            _l("Garde d'enfants annulée (%(date)s)", date=local_date(session.starts_at, territory, "short")),
            "session_cancelled",
            reason=reason,
            cancelled_by=cancelled_by,
            attachments=attachments,
            with_invitation=bool(attachments),
        )


def declare_session(territory, session: Session, actor, actual_start: datetime, actual_end: datetime) -> None:
    """After the planned end, the caregiver declares the real times; the parent is asked to confirm."""
    require_role(session, actor, "caregiver")
    at = clock_now()
    if session.status == Session.ACCEPTED and at < session.ends_at:
        raise TimebankError(_("Vous pourrez déclarer les heures après la fin prévue de la garde."))
    if actual_end <= actual_start:
        raise TimebankError(_("L'heure de fin doit être après l'heure de début."))
    if actual_end > at:
        raise TimebankError(_("Déclarez une garde déjà terminée : l'heure de fin est dans le futur."))
    conf = services.settings(territory)
    minutes = weighted_minutes(actual_start, actual_end, len(session.children), conf, territory.timezone)
    if minutes <= 0:
        raise TimebankError(_("Cette garde est trop courte pour être comptée."))
    if minutes > conf["max_transfer"]:
        raise TimebankError(
            _("Une garde ne peut pas compter plus de %(max)s.", max=format_duration(conf["max_transfer"]))
        )
    move(
        territory,
        session,
        (Session.ACCEPTED,),
        status=Session.DECLARED,
        actual_start=actual_start,
        actual_end=actual_end,
        declared_at=at,
        minutes=minutes,
    )
    audit_session("declared", territory, session, actor, minutes=minutes)
    tell_session(
        session.parent_account.user,
        KIND_SESSION,
        territory,
        session,
        _l("Confirmez les heures de garde de %(name)s", name=services.account_label(session.caregiver_account)),
        "session_declared",
    )


def confirm_session(territory, session: Session, actor) -> None:
    """The parent confirms: exactly one transfer parent → caregiver, whatever double clicks happen."""
    require_role(session, actor, "parent")
    minutes = session.minutes or credited_minutes(territory, session)
    move(territory, session, (Session.DECLARED,), status=Session.CONFIRMED, confirmed_at=clock_now())
    _pay(territory, session, minutes, actor)
    audit_session("confirmed", territory, session, actor, minutes=minutes)
    tell_session(
        session.caregiver_account.user,
        KIND_SESSION,
        territory,
        session,
        _l("%(name)s a confirmé vos heures de garde", name=services.account_label(session.parent_account)),
        "session_confirmed",
    )


def dispute_session(territory, session: Session, actor, reason: str) -> None:
    """The parent disputes the declared times: no time moves; the coordinators settle."""
    require_role(session, actor, "parent")
    reason = clean_text(reason, required=_l("Expliquez ce qui ne va pas dans les heures déclarées."))
    move(
        territory, session, (Session.DECLARED,), status=Session.DISPUTED, disputed_at=clock_now(), dispute_reason=reason
    )
    audit_session("disputed", territory, session, actor, reason=reason)
    _tell_dispute(territory, session)


def _tell_dispute(territory, session: Session) -> None:
    title = _l("Garde d'enfants contestée (%(date)s)", date=local_date(session.starts_at, territory, "short"))
    tell_session(session.caregiver_account.user, KIND_SESSION, territory, session, title, "session_disputed")
    tell_session(session.parent_account.user, KIND_SESSION, territory, session, title, "session_disputed")
    tell_coordinators(
        territory,
        session,
        title,
        "session_disputed",
        link(territory, "timebank.disputes_queue"),
        skip=[session.parent_account.user, session.caregiver_account.user],
        session=session,
        when=period_label(territory, session.starts_at, session.ends_at),
    )


def settle_session(territory, session: Session, actor, minutes: int, note: str) -> None:
    """A coordinator settles a dispute with a duration: one transfer parent → caregiver."""
    note = _close_dispute(territory, session, actor, note, Session.SETTLED)
    _pay(territory, session, minutes, actor)
    audit_session("settled", territory, session, actor, minutes=minutes, note=note)
    _tell_decision(territory, session, "session_settled")


def void_session(territory, session: Session, actor, note: str) -> None:
    """A coordinator closes a dispute without any transfer."""
    note = _close_dispute(territory, session, actor, note, Session.VOIDED)
    audit_session("voided", territory, session, actor, note=note)
    _tell_decision(territory, session, "session_voided")


def _close_dispute(territory, session: Session, actor, note: str, status: str) -> str:
    """The coordinator's decision on a disputed session (not one they are a party to), with the note for both
    people; returns the cleaned note."""
    require_coordinator(territory, actor)
    if role_of(session, actor) is not None:
        raise TimebankError(_("Un autre coordinateur doit régler ce litige : vous y êtes partie."))
    note = clean_text(note, required=_l("Expliquez votre décision aux deux personnes."))
    move(
        territory,
        session,
        (Session.DISPUTED,),
        status=status,
        settled_at=clock_now(),
        settled_by_id=actor.id,
        settle_note=note,
    )
    return note


def _tell_decision(territory, session: Session, template: str) -> None:
    title = _l(
        "Décision des coordinateurs sur la garde du %(date)s", date=local_date(session.starts_at, territory, "short")
    )
    tell_parties(KIND_SESSION, territory, session, title, template)


def auto_confirm(territory, session: Session, now: datetime) -> bool:
    """The parent did not answer in time: confirm as declared (one transfer). When a balance limit refuses the
    transfer, the session goes to the coordinators (disputed, with the reason). True when the time moved."""
    minutes = session.minutes or credited_minutes(territory, session)
    try:
        with db.session.begin_nested():
            move(
                territory,
                session,
                (Session.DECLARED,),
                status=Session.CONFIRMED,
                confirmed_at=now,
                auto_confirmed=True,
            )
            _pay(territory, session, minutes, None)
    except StaleSession:
        raise
    except TimebankError as error:
        db.session.expire(session)
        reason = _(
            "Confirmation automatique impossible à la fin du délai de réponse : %(error)s Les coordinateurs "
            "vont régler cette garde.",
            error=str(error),
        )
        move(territory, session, (Session.DECLARED,), status=Session.DISPUTED, disputed_at=now, dispute_reason=reason)
        audit_session("disputed", territory, session, None, reason=reason)
        _tell_dispute(territory, session)
        return False
    audit_session("confirmed", territory, session, None, minutes=minutes, automatic=True)
    title = _l(
        "Heures de garde confirmées automatiquement (%(date)s)", date=local_date(session.starts_at, territory, "short")
    )
    tell_parties(KIND_SESSION, territory, session, title, "session_confirmed", automatic=True)
    return True


def expire(territory, session: Session, now: datetime) -> None:
    """The parent did not answer in time and the territory's policy is ``expire``: no transfer."""
    move(territory, session, (Session.DECLARED,), status=Session.EXPIRED)
    audit_session("expired", territory, session, None)
    title = _l(
        "Garde d'enfants expirée sans confirmation (%(date)s)", date=local_date(session.starts_at, territory, "short")
    )
    tell_parties(KIND_SESSION, territory, session, title, "session_expired")
