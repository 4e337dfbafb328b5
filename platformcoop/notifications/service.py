"""``notify()``: the one way the core and the modules tell a person something.

It writes an in-app notification and, when the person's preference for this kind allows it, an e-mail
(``email/<template>.txt`` / ``.html``) through :func:`platformcoop.notifications.mail.send_email`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import force_locale
from sqlalchemy import select

from platformcoop.extensions import db
from platformcoop.notifications.models import Notification, NotificationPreference


def wants_email(user, kind: str) -> bool:
    preference = db.session.scalar(
        select(NotificationPreference).where(
            NotificationPreference.user_id == user.id, NotificationPreference.kind == kind
        )
    )
    return preference.email if preference is not None else True


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
    the e-mail's subject. ``email_template`` names ``templates/email/<name>.txt``; without it no e-mail is sent.
    ``attachments`` are ``(filename, mimetype, content)`` triples (e.g. an ``.ics`` invitation).
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
    )
    db.session.add(notification)
    if email_template and wants_email(user, kind):
        from platformcoop.notifications.mail import send_email

        send_email(
            user.email,
            title,
            email_template,
            locale=user.locale,
            attachments=attachments,
            user=user,
            territory=territory,
            obj=obj,
            url=url,
            **context,
        )
    return notification
