"""Delivering the e-mail outbox: claim the due messages, send each, record what happened.

=========  ===========================================  ==========================================================
from       event                                        to
=========  ===========================================  ==========================================================
queued     a sender claims it (due: next_attempt_at     sending (attempts + 1, claim_token, claimed_at)
           has come)
sending    the server accepted it                       sent (sent_at)
sending    temporary failure, attempts < max            queued, next_attempt_at = now + 1, 2, 4… minutes (capped)
sending    temporary failure at MAIL_MAX_ATTEMPTS, or   failed (last_error says why)
           the server refused it for good (5xx)
sending    the sender died (claim older than            sending again, for another sender
           MAIL_CLAIM_TIMEOUT_MINUTES)
=========  ===========================================  ==========================================================

Claims are atomic: one conditional ``UPDATE`` takes a batch of due rows (on PostgreSQL the candidates are picked
``FOR UPDATE SKIP LOCKED``, so concurrent senders take different rows without waiting), and every later update
checks the claim token. Two senders never send the same message; a sender killed between sending and recording may
cause one message to be sent twice after the claim timeout (at least once, never lost).

The work runs in its own database session, so it can be called after a web request without touching the request's.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import and_, event, or_, select, update
from sqlalchemy.orm import Session, selectinload

from platformcoop import clock
from platformcoop.extensions import db
from platformcoop.notifications.models import (
    OUTBOX_FAILED,
    OUTBOX_QUEUED,
    OUTBOX_SENDING,
    OUTBOX_SENT,
    OutboxMessage,
)
from platformcoop.notifications.senders import (
    DeliveryError,
    PermanentFailure,
    Sender,
    ServerUnavailable,
    build_message,
    make_sender,
)

log = logging.getLogger(__name__)

_UNAVAILABLE = "unavailable"  # the server could not be reached: stop this run


def deliver_due(now: datetime) -> int:
    """Send every message due at ``now``; the number sent. The scheduler's sweep, and ``flask pc outbox send``."""
    return deliver_outbox(now)


def retry_delay(attempts: int, cap_minutes: int) -> timedelta:
    """Wait 1, 2, 4, 8… minutes after the 1st, 2nd, 3rd… failed try, never more than ``cap_minutes``."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), cap_minutes))


def deliver_outbox(
    now: datetime | None = None, *, sender: Sender | None = None, only_ids: Iterable[int] | None = None
) -> int:
    """Claim and send the due messages (only those of ``only_ids`` when given), batch after batch; the number sent.

    Stops early when the mail server cannot be reached: what was claimed and not tried is released untouched.
    """
    config = current_app.config
    now = now or clock.now()
    sender = sender or make_sender(config)
    only_ids = list(only_ids) if only_ids is not None else None
    sent = 0
    with Session(db.engine, expire_on_commit=False) as session:
        try:
            while True:
                token, batch = claim_batch(session, now, only_ids=only_ids)
                if not batch:
                    return sent
                for index, message in enumerate(batch):
                    outcome = _send_one(session, sender, message, token, now)
                    sent += outcome == OUTBOX_SENT
                    if outcome == _UNAVAILABLE:
                        _release(session, [m.id for m in batch[index + 1 :]], token)
                        return sent
        finally:
            sender.close()


def claim_batch(
    session: Session, now: datetime, *, only_ids: list[int] | None = None
) -> tuple[str, list[OutboxMessage]]:
    """Atomically mark a batch of due messages as ours (``sending``); return our token and the rows."""
    config = current_app.config
    token = secrets.token_hex(16)
    due = _due(now, timedelta(minutes=config["MAIL_CLAIM_TIMEOUT_MINUTES"]))
    candidates = (
        select(OutboxMessage.id)
        .where(due)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(config["MAIL_BATCH_SIZE"])
    )
    if only_ids is not None:
        candidates = candidates.where(OutboxMessage.id.in_(only_ids))
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    claimed = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates.scalar_subquery()), due)  # due again: a row taken meanwhile is left
        .values(status=OUTBOX_SENDING, claim_token=token, claimed_at=now, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    if not claimed:
        return token, []
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.claim_token == token)
        .options(selectinload(OutboxMessage.attachments))
        .order_by(OutboxMessage.id)
    ).all()
    session.commit()
    return token, list(rows)


def _due(now: datetime, claim_timeout: timedelta):
    return or_(
        and_(OutboxMessage.status == OUTBOX_QUEUED, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == OUTBOX_SENDING, OutboxMessage.claimed_at <= now - claim_timeout),
    )


def _send_one(session: Session, sender: Sender, message: OutboxMessage, token: str, now: datetime):
    """Send one claimed message and record the outcome: ``sent``, ``queued`` (retry), ``failed`` or unavailable."""
    try:
        sender.send(build_message(message, current_app.config["MAIL_FROM"]))
    except ServerUnavailable as error:
        _record_failure(session, message, token, now, error)
        log.warning("Mail server unavailable, %s left queued: %s", message, error)
        return _UNAVAILABLE
    except DeliveryError as error:
        return _record_failure(session, message, token, now, error, permanent=isinstance(error, PermanentFailure))
    except Exception as error:  # a message that cannot even be built must not block the others
        log.exception("Could not send %s", message)
        return _record_failure(session, message, token, now, error)
    if not _update_claimed(
        session, message.id, token, status=OUTBOX_SENT, sent_at=now, last_error=None, claim_token=None
    ):
        log.warning("%s was sent after its claim timed out; it may be sent twice", message)
    return OUTBOX_SENT


def _record_failure(
    session: Session, message: OutboxMessage, token: str, now: datetime, error: Exception, *, permanent=False
) -> str:
    config = current_app.config
    give_up = permanent or message.attempts >= config["MAIL_MAX_ATTEMPTS"]
    values = {"status": OUTBOX_FAILED if give_up else OUTBOX_QUEUED, "last_error": str(error)[:2000]}
    if not give_up:
        values["next_attempt_at"] = now + retry_delay(message.attempts, config["MAIL_RETRY_MAX_MINUTES"])
    _update_claimed(session, message.id, token, claim_token=None, **values)
    return values["status"]


def _update_claimed(session: Session, message_id: int, token: str, **values) -> bool:
    """Update a message only while our claim holds (a timed-out claim may have passed to another sender)."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claim_token == token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def _release(session: Session, message_ids: list[int], token: str) -> None:
    """Give back claimed messages that were not tried: they stay due, and the claim does not count as a try."""
    if not message_ids:
        return
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids), OutboxMessage.claim_token == token)
        .values(status=OUTBOX_QUEUED, claim_token=None, claimed_at=None, attempts=OutboxMessage.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()


# -- sending right after a web request ---------------------------------------------------------------------------

_PENDING = "platformcoop.outbox.pending"
_COMMITTED = "platformcoop.outbox.committed"


def init_app(app: Flask) -> None:
    """Track the messages each transaction queues; after a request, send those that were committed."""
    if not event.contains(Session, "after_flush", _note_queued_messages):
        event.listen(Session, "after_flush", _note_queued_messages)
        event.listen(Session, "after_commit", _keep_committed_messages)
        event.listen(Session, "after_rollback", _forget_rolled_back_messages)
    app.after_request(_deliver_after_request)


def _note_queued_messages(session: Session, flush_context) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, OutboxMessage)]
    if ids:
        session.info.setdefault(_PENDING, []).extend(ids)


def _keep_committed_messages(session: Session) -> None:
    ids = session.info.pop(_PENDING, None)
    if ids:
        session.info.setdefault(_COMMITTED, []).extend(ids)


def _forget_rolled_back_messages(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _deliver_after_request(response):
    """Best effort: a failure is logged and the message stays queued for the sweep (``deliver_due``)."""
    if not db.session.registry.has():
        return response
    ids = db.session().info.pop(_COMMITTED, None)
    if ids and current_app.config["MAIL_DELIVER_AFTER_REQUEST"]:
        try:
            deliver_outbox(only_ids=ids)
        except Exception:
            current_app.logger.exception("Sending the e-mails of this request failed; they stay queued")
    return response
