"""The core's own jobs. They run once per run for the whole deployment, as ``function(now)``, not per territory.

| job                | when                                  | what                                                 |
|--------------------|---------------------------------------|------------------------------------------------------|
| core.outbox        | every minute                          | deliver the due e-mails of the outbox (with retries) |
| core.daily_digests | each day at DAILY_DIGEST_HOUR (local) | one e-mail per user who chose the daily digest       |
| core.purge         | each night at 03:30 (local)           | delete read notifications and sent e-mails that are  |
|                    |                                       | past their retention period                          |

The notification helpers are imported when the job runs, so the scheduler does not depend on how they are built.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import delete, select

from platformcoop.extensions import db
from platformcoop.plugins.manifest import JobSpec


def core_job_specs(app: Flask) -> list[JobSpec]:
    return [
        JobSpec(id="core.outbox", function=deliver_outbox, trigger="interval", trigger_args={"minutes": 1}),
        JobSpec(
            id="core.daily_digests",
            function=send_daily_digests,
            trigger="cron",
            trigger_args={"hour": app.config["DAILY_DIGEST_HOUR"], "minute": 0},
        ),
        JobSpec(id="core.purge", function=purge_expired_data, trigger="cron", trigger_args={"hour": 3, "minute": 30}),
    ]


def deliver_outbox(now: datetime) -> int:
    """Send the e-mails of the outbox that are due; the outbox handles claims, retries and backoff."""
    from platformcoop.notifications.outbox import deliver_due

    return deliver_due(now)


def send_daily_digests(now: datetime) -> int:
    from platformcoop.notifications.digest import send_daily_digests as send

    return send(now)


def purge_expired_data(now: datetime) -> dict[str, int]:
    """Delete what the platform no longer needs to keep; returns the number of rows deleted per kind."""
    return {
        "notifications": purge_read_notifications(now, current_app.config["NOTIFICATION_RETENTION_DAYS"]),
        "outbox": purge_sent_outbox(now, current_app.config["OUTBOX_RETENTION_DAYS"]),
    }


def purge_read_notifications(now: datetime, retention_days: int) -> int:
    """Read notifications created more than ``retention_days`` ago. Unread ones stay until they are read."""
    from platformcoop.notifications.models import Notification

    cutoff = now - timedelta(days=retention_days)
    expired = delete(Notification).where(Notification.read_at.is_not(None), Notification.created_at < cutoff)
    return db.session.execute(expired).rowcount


def purge_sent_outbox(now: datetime, retention_days: int) -> int:
    """E-mails sent more than ``retention_days`` ago, with their attachments (queued and failed ones are kept)."""
    from platformcoop.notifications.models import OUTBOX_SENT, OutboxAttachment, OutboxMessage

    cutoff = now - timedelta(days=retention_days)
    expired = select(OutboxMessage.id).where(OutboxMessage.status == OUTBOX_SENT, OutboxMessage.sent_at < cutoff)
    # Attachments first: SQLite does not enforce the ON DELETE CASCADE of their foreign key.
    db.session.execute(delete(OutboxAttachment).where(OutboxAttachment.message_id.in_(expired)))
    return db.session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(expired))).rowcount
