"""Reporting content and moderating it.

A member reports an object once. When ``territory.moderation_threshold`` distinct members have open reports on it,
it is hidden at once, before any moderator looks, and the moderators are told. Moderators then decide, with a
reason:

    ==========  ===========================  ==================  =============================
    action      allowed when                 content becomes     open reports become
    ==========  ===========================  ==================  =============================
    hide        visible, or hidden           hidden (by hand)    actioned
                automatically, or new
                reports on hidden content
    restore     hidden                       visible             dismissed
    dismiss     visible with open reports    visible             dismissed
    ==========  ===========================  ==================  =============================

Reports and the threshold are counted under a lock on the territory row, so simultaneous reports hide the content
exactly once. Modules keep hidden objects out of their pages with :func:`visible` (lists) and :func:`is_hidden`.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select, update

from platformcoop import audit
from platformcoop.admin.services import lock_territory
from platformcoop.clock import now
from platformcoop.extensions import db
from platformcoop.moderation.models import (
    REPORT_ACTIONED,
    REPORT_DISMISSED,
    REPORT_OPEN,
    REPORT_REASONS,
    ModeratedContent,
    Report,
)
from platformcoop.moderation.registry import reportable_for, subject_type_of
from platformcoop.notifications.kinds import CONTENT_REPORTED
from platformcoop.tenancy.models import MEMBERSHIP_ACTIVE, Membership, MembershipRole

DETAILS_MAX_LENGTH = 1000
DECISION_MAX_LENGTH = 1000
MODERATOR_ROLES = ("moderator", "admin")


class ModerationError(ValueError):
    """A rule of moderation was broken; the message is French and meant for the user."""


class AlreadyReported(ModerationError):
    pass


# -- what modules call ----------------------------------------------------------------------------------------------


def is_hidden(obj) -> bool:
    """Whether moderation hid ``obj`` (an object of a reportable model)."""
    return bool(
        db.session.scalar(
            select(ModeratedContent.id).where(
                ModeratedContent.territory_id == obj.territory_id,
                ModeratedContent.subject_type == subject_type_of(obj),
                ModeratedContent.subject_id == obj.id,
                ModeratedContent.hidden.is_(True),
            )
        )
    )


def visible(statement: Select, model: type) -> Select:
    """``statement`` (a select of ``model``) without the objects moderation hid: ``visible(scoped_select(M, t), M)``."""
    hidden = (
        select(ModeratedContent.id)
        .where(
            ModeratedContent.territory_id == model.territory_id,
            ModeratedContent.subject_type == subject_type_of(model),
            ModeratedContent.subject_id == model.id,
            ModeratedContent.hidden.is_(True),
        )
        .exists()
    )
    return statement.where(~hidden)


# -- reporting ------------------------------------------------------------------------------------------------------


def check_report(reason: str, details: str) -> str:
    """The cleaned details, or :class:`ModerationError` (the form checks the same; services trust no form)."""
    details = (details or "").strip()
    if reason not in REPORT_REASONS:
        raise ModerationError(_("Choisissez la raison du signalement."))
    if reason == "other" and not details:
        raise ModerationError(_("Précisez la raison du signalement."))
    if len(details) > DETAILS_MAX_LENGTH:
        raise ModerationError(_("Le message ne doit pas dépasser 1000 caractères."))
    return details


def report_content(territory, reporter, obj, reason: str, details: str = "") -> Report:
    """Record ``reporter``'s report of ``obj``; hide it when the threshold is reached. The caller commits."""
    reportable = reportable_for(obj)
    if reportable is None or obj.territory_id != territory.id:
        raise ModerationError(_("Ce contenu ne peut pas être signalé."))
    details = check_report(reason, details)
    lock_territory(territory)
    content = _case_for(territory, obj)
    content.subject_title = reportable.title(obj)
    content.subject_url = reportable.url(obj)
    already = db.session.scalar(
        select(Report.id).where(Report.content_id == content.id, Report.reporter_id == reporter.id)
    )
    if already:
        raise AlreadyReported(_("Vous avez déjà signalé ce contenu. Merci, l'équipe de modération s'en occupe."))
    report = Report(
        territory_id=territory.id,
        content_id=content.id,
        subject_type=content.subject_type,
        subject_id=content.subject_id,
        subject_title=content.subject_title,
        subject_url=content.subject_url,
        reporter_id=reporter.id,
        reason=reason,
        details=details,
        status=REPORT_OPEN,
        created_at=now(),
    )
    db.session.add(report)
    db.session.flush()
    audit.record(
        "moderation.reported",
        actor=reporter,
        territory=territory,
        obj=content,
        subject_type=content.subject_type,
        subject_id=content.subject_id,
        reason=reason,
    )
    reporters = open_reporter_count(content)
    if not content.hidden and reporters >= territory.moderation_threshold:
        _hide_automatically(territory, content, reporters, reporter)
    elif reporters == 1 and not content.hidden:
        title = _l("Contenu signalé : %(title)s", title=content.subject_title)
        _tell_moderators(territory, content, title, reporter)
    return report


def _case_for(territory, obj) -> ModeratedContent:
    """The object's moderation case, created on its first report (under the territory lock: never twice)."""
    subject_type = subject_type_of(obj)
    content = db.session.scalar(
        select(ModeratedContent).where(
            ModeratedContent.territory_id == territory.id,
            ModeratedContent.subject_type == subject_type,
            ModeratedContent.subject_id == obj.id,
        )
    )
    if content is None:
        content = ModeratedContent(
            territory_id=territory.id,
            subject_type=subject_type,
            subject_id=obj.id,
            hidden=False,
            auto=False,
            created_at=now(),
        )
        db.session.add(content)
        db.session.flush()
    return content


def open_reporter_count(content: ModeratedContent) -> int:
    return db.session.scalar(
        select(func.count(func.distinct(Report.reporter_id))).where(
            Report.content_id == content.id, Report.status == REPORT_OPEN
        )
    )


def _hide_automatically(territory, content: ModeratedContent, reporters: int, reporter) -> None:
    content.hidden = True
    content.auto = True
    content.hidden_at = now()
    content.hidden_reason = ""
    content.decided_by_id = None
    content.decided_at = content.hidden_at
    audit.record(
        "moderation.auto_hidden",
        territory=territory,
        obj=content,
        subject_type=content.subject_type,
        subject_id=content.subject_id,
        reporters=reporters,
    )
    title = _l("Contenu masqué après plusieurs signalements : %(title)s", title=content.subject_title)
    _tell_moderators(territory, content, title, reporter)


def moderators(territory) -> list:
    """Active members who moderate the territory (moderators and administrators), one query."""
    from platformcoop.accounts.models import User

    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.territory_id == territory.id,
                Membership.status == MEMBERSHIP_ACTIVE,
                User.disabled.is_(False),
                Membership.id.in_(select(MembershipRole.membership_id).where(MembershipRole.role.in_(MODERATOR_ROLES))),
            )
            .order_by(User.id)
        )
    )


def _tell_moderators(territory, content: ModeratedContent, title, reporter) -> None:
    """Notify every moderator but the one who reported (a moderator may report too)."""
    from platformcoop.notifications import notify

    url = url_for("moderation.case", territory=territory.slug, content_id=content.id)
    reporters = open_reporter_count(content)
    for person in moderators(territory):
        if person.id == reporter.id:
            continue
        notify(
            person,
            CONTENT_REPORTED,
            territory,
            content,
            title=title,
            url=url,
            email_template="content_reported",
            content=content,
            reporters=reporters,
        )


# -- moderators' decisions -------------------------------------------------------------------------------------------


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ModerationError(_("Indiquez la raison de votre décision."))
    if len(reason) > DECISION_MAX_LENGTH:
        raise ModerationError(_("Le message ne doit pas dépasser 1000 caractères."))
    return reason


def _close_open_reports(content: ModeratedContent, status: str, actor, reason: str) -> int:
    result = db.session.execute(
        update(Report)
        .where(Report.content_id == content.id, Report.status == REPORT_OPEN)
        .values(status=status, handled_by_id=actor.id, handled_at=now(), decision_reason=reason)
    )
    return result.rowcount


def _has_open_reports(content: ModeratedContent) -> bool:
    return open_reporter_count(content) > 0


def _decided(content: ModeratedContent, actor) -> None:
    content.decided_by_id = actor.id
    content.decided_at = now()


def hide_content(territory, content: ModeratedContent, actor, reason: str) -> None:
    reason = _check_reason(reason)
    lock_territory(territory)
    db.session.refresh(content)
    if content.hidden and not content.auto and not _has_open_reports(content):
        raise ModerationError(_("Ce contenu est déjà masqué."))
    if not content.hidden:
        content.hidden_at = now()
    content.hidden = True
    content.auto = False
    content.hidden_reason = reason
    _decided(content, actor)
    closed = _close_open_reports(content, REPORT_ACTIONED, actor, reason)
    _record("moderation.hidden", territory, content, actor, reason, closed)


def restore_content(territory, content: ModeratedContent, actor, reason: str) -> None:
    reason = _check_reason(reason)
    lock_territory(territory)
    db.session.refresh(content)
    if not content.hidden:
        raise ModerationError(_("Ce contenu n'est pas masqué."))
    content.hidden = False
    content.auto = False
    content.hidden_reason = ""
    _decided(content, actor)
    closed = _close_open_reports(content, REPORT_DISMISSED, actor, reason)
    _record("moderation.restored", territory, content, actor, reason, closed)


def dismiss_reports(territory, content: ModeratedContent, actor, reason: str) -> None:
    reason = _check_reason(reason)
    lock_territory(territory)
    db.session.refresh(content)
    if content.hidden:
        raise ModerationError(_("Ce contenu est masqué : rétablissez-le ou confirmez son masquage."))
    if not _has_open_reports(content):
        raise ModerationError(_("Aucun signalement n'attend de décision."))
    _decided(content, actor)
    closed = _close_open_reports(content, REPORT_DISMISSED, actor, reason)
    _record("moderation.dismissed", territory, content, actor, reason, closed)


def _record(action: str, territory, content: ModeratedContent, actor, reason: str, closed: int) -> None:
    audit.record(
        action,
        actor=actor,
        territory=territory,
        obj=content,
        subject_type=content.subject_type,
        subject_id=content.subject_id,
        title=content.subject_title,
        reason=reason,
        reports=closed,
    )
