"""The daily digest: one e-mail gathering the notifications a person chose to receive that way.

``notify`` marks such notifications ``email_status = "digest"``; :func:`send_daily_digests` (scheduled once a day)
sends each person one e-mail listing those still waiting, marks them ``"digested"`` in the same transaction, and so
can run again without sending anything twice; a missed day is caught up by the next run. Notifications already read
in the inbox are marked too but left out of the e-mail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app
from flask_babel import lazy_ngettext
from sqlalchemy import select, update

from platformcoop.accounts.models import User
from platformcoop.extensions import db
from platformcoop.notifications.mail import absolute_url, external, send_email
from platformcoop.notifications.models import Notification
from platformcoop.notifications.service import EMAIL_DIGEST, EMAIL_DIGESTED, can_receive_email
from platformcoop.tenancy.models import Territory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DigestItem:
    title: str
    url: str | None
    time: str


def send_daily_digests(now: datetime) -> int:
    """Queue one digest e-mail per person with notifications waiting (created up to ``now``); how many were queued.

    Each person is one transaction (committed here), so one failure does not hold back the others.
    """
    user_ids = db.session.scalars(
        select(Notification.user_id)
        .where(Notification.email_status == EMAIL_DIGEST, Notification.created_at <= now)
        .distinct()
        .order_by(Notification.user_id)
    ).all()
    queued = 0
    for user_id in user_ids:
        try:
            queued += _send_digest(user_id, now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("Daily digest of user %s failed; it will be tried on the next run", user_id)
    return queued


def _send_digest(user_id: int, now: datetime) -> bool:
    notifications = db.session.scalars(
        select(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.email_status == EMAIL_DIGEST,
            Notification.created_at <= now,
        )
        .order_by(Notification.territory_id, Notification.created_at, Notification.id)
    ).all()
    ids = [n.id for n in notifications]
    taken = db.session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.email_status == EMAIL_DIGEST)
        .values(email_status=EMAIL_DIGESTED)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != len(ids):  # another run is sending this digest
        db.session.rollback()
        return False
    user = db.session.get(User, user_id)
    unread = [n for n in notifications if n.read_at is None]
    if user is None or not unread or not can_receive_email(user):
        return False
    territories = {
        t.id: t for t in db.session.scalars(select(Territory).where(Territory.id.in_(_territory_ids(unread))))
    }
    groups = [
        (territories.get(territory_id), [_item(n, territories.get(territory_id), user.locale) for n in items])
        for territory_id, items in groupby(unread, key=lambda n: n.territory_id)
    ]
    only_territory = groups[0][0] if len(groups) == 1 else None
    send_email(
        user.email,
        lazy_ngettext(
            "Votre résumé du jour : %(num)d notification", "Votre résumé du jour : %(num)d notifications", len(unread)
        ),
        "daily_digest",
        locale=user.locale,
        user=user,
        groups=groups,
        count=len(unread),
        territory=only_territory,
        inbox_url=absolute_url("notifications.inbox"),
        preferences_url=absolute_url("accounts.profile") + "#notifications",
    )
    return True


def _territory_ids(notifications) -> set[int]:
    return {n.territory_id for n in notifications if n.territory_id is not None}


def _item(notification: Notification, territory, locale: str) -> DigestItem:
    zone = ZoneInfo(territory.timezone if territory else current_app.config["DEFAULT_TIMEZONE"])
    time = format_datetime(notification.created_at, "d MMM, HH:mm", tzinfo=zone, locale=locale)
    return DigestItem(notification.title, external(notification.url), time)
