"""``notify()``: the one way the core and the modules tell a person something; the inbox's rules.

``notify`` writes an in-app notification and, per the person's preference for this kind, queues an e-mail at once
(``email/<template>.txt`` / ``.html``, through :func:`platformcoop.notifications.mail.send_email`), keeps it for the
daily digest, or sends none. The caller commits: a rolled-back action leaves neither a notification nor an e-mail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import force_locale
from sqlalchemy import func, select, update

from platformcoop.clock import now
from platformcoop.extensions import db
from platformcoop.notifications import preferences
from platformcoop.notifications.models import Notification

EMAIL_QUEUED = "queued"
EMAIL_DIGEST = "digest"
EMAIL_DIGESTED = "digested"


def wants_email(user, kind: str) -> bool:
    """Whether ``user`` hears about ``kind`` by e-mail at all (at once or in the digest)."""
    return preferences.email_choice(user, kind) != preferences.NO_EMAIL


def notify(
    user,
    kind: str,
    territory,
    obj=None,
    *,
    title,
    url: str | None = None,
    email_template: str | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    **context: Any,
) -> Notification:
    """Tell ``user`` about ``obj`` in ``territory``.

    ``title`` is a lazy string (``lazy_gettext``) so that it is rendered in the recipient's language; it is also
    the e-mail's subject. ``url`` leads to the object (a local path is fine). ``email_template`` names
    ``templates/email/<name>.txt``; without it no e-mail is sent. ``attachments`` are ``(filename, mimetype,
    content)`` triples (e.g. an ``.ics`` invitation from :mod:`platformcoop.notifications.ics`); a digest carries
    no attachment. ``context`` goes to the template, with ``user``, ``territory``, ``obj`` and ``url`` (full address).
    The caller commits.
    """
    with force_locale(user.locale):
        rendered_title = str(title)
    notification = Notification(
        user_id=user.id,
        territory_id=getattr(territory, "id", None),
        kind=kind,
        title=rendered_title[:300],
        url=url,
        object_type=type(obj).__name__ if obj is not None else None,
        object_id=getattr(obj, "id", None),
        created_at=now(),
    )
    db.session.add(notification)
    if not email_template or not can_receive_email(user):
        return notification
    choice = preferences.email_choice(user, kind)
    if choice == preferences.DIGEST:
        notification.email_status = EMAIL_DIGEST
    elif choice == preferences.IMMEDIATE:
        from platformcoop.notifications.mail import absolute_url, external, send_email

        send_email(
            user.email,
            title,
            email_template,
            locale=user.locale,
            attachments=attachments,
            user=user,
            territory=territory,
            obj=obj,
            url=external(url),
            preferences_url=absolute_url("accounts.profile") + "#notifications",
            **context,
        )
        notification.email_status = EMAIL_QUEUED
    return notification


def can_receive_email(user) -> bool:
    return not getattr(user, "disabled", False) and not getattr(user, "is_erased", False)


# -- the inbox ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxPage:
    notifications: list[Notification]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def inbox_page(user, page: int = 1, per_page: int = 20) -> InboxPage:
    """``user``'s notifications of every territory, newest first, one page at a time."""
    page = max(page, 1)
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    ).all()
    return InboxPage(list(rows[:per_page]), page, has_next=len(rows) > per_page)


def unread_count(user) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def mark_read(user, notification_id: int, at: datetime | None = None) -> bool:
    """Mark one of ``user``'s notifications read; False when it is not theirs (or does not exist)."""
    notification = db.session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == user.id)
    )
    if notification is None:
        return False
    if notification.read_at is None:
        notification.read_at = at or now()
    return True


def mark_all_read(user, at: datetime | None = None) -> int:
    """Mark every unread notification of ``user`` read; how many were unread."""
    return db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=at or now())
    ).rowcount
