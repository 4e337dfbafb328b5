"""``flask pc outbox …``: look at the e-mail outbox and deliver it by hand."""

from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from platformcoop import clock
from platformcoop.extensions import db
from platformcoop.notifications.models import OutboxMessage

outbox_cli = AppGroup("outbox", help="The e-mail outbox.")


@outbox_cli.command("send")
@with_appcontext
def send_command():
    """Deliver the e-mails that are due now (the scheduler does the same every minute)."""
    from platformcoop.notifications.outbox import deliver_due

    sent = deliver_due(clock.now())
    click.echo(f"{sent} e-mail(s) envoyé(s).")
    _echo_counts()


@outbox_cli.command("status")
@with_appcontext
def status_command():
    """Count the e-mails per state (queued, sending, sent, failed)."""
    _echo_counts()


def _echo_counts() -> None:
    counts = dict(db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    click.echo("  ".join(f"{status}: {counts.get(status, 0)}" for status in ("queued", "sending", "sent", "failed")))
