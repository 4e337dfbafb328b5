"""The e-mail outbox: e-mails are queued in the action's transaction, then delivered with retries and backoff.

These tests use the file sender (and senders that fail on purpose); ``test_outbox_smtp.py`` uses a real SMTP server.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from platformcoop import clock
from platformcoop.extensions import db
from platformcoop.notifications.mail import send_email
from platformcoop.notifications.models import OutboxMessage
from platformcoop.notifications.outbox import deliver_due, deliver_outbox, retry_delay
from platformcoop.notifications.senders import PermanentFailure, TemporaryFailure
from platformcoop.tenancy.models import Territory
from tests.conftest import create_user

CAMILLE = "camille@example.org"


def queue_reset_email(to: str = CAMILLE, **context) -> OutboxMessage:
    return send_email(
        to,
        "Choisir un nouveau mot de passe",
        "reset_password",
        user=SimpleNamespace(display_name="Camille"),
        reset_url="http://localhost/compte/mot-de-passe/abc",
        max_age_minutes=60,
        **context,
    )


def outbox_rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


class FailingSender:
    """Refuses every message, the way a mail server that is down or says 4xx would."""

    def __init__(self, error: Exception):
        self.error = error
        self.tries = 0

    def send(self, message) -> None:
        self.tries += 1
        raise self.error

    def close(self) -> None:
        pass


# -- queued in the action's transaction ----------------------------------------------------------------------------


def test_an_action_rolled_back_sends_nothing(ctx, outbox, frozen_clock):
    queue_reset_email()
    db.session.rollback()

    assert deliver_due(clock.now()) == 0
    assert outbox_rows() == []
    assert outbox.messages() == []


def test_a_committed_email_waits_in_the_outbox_until_a_sender_delivers_it(ctx, outbox, frozen_clock):
    queue_reset_email()
    db.session.commit()
    [queued] = outbox_rows()
    assert (queued.status, queued.attempts, queued.next_attempt_at) == ("queued", 0, frozen_clock)
    assert outbox.messages() == []

    assert deliver_due(clock.now()) == 1

    [sent] = outbox_rows()
    assert (sent.status, sent.attempts, sent.sent_at, sent.claim_token) == ("sent", 1, frozen_clock, None)
    [mail] = outbox.to(CAMILLE)
    assert mail["Subject"] == "Choisir un nouveau mot de passe"
    assert mail["Message-ID"] == sent.message_id
    assert deliver_due(clock.now()) == 0, "a sent message is not sent again"
    assert len(outbox.messages()) == 1


def test_a_web_request_delivers_the_emails_it_queued_once_committed(app, client, outbox):
    create_user(app, CAMILLE, "Camille")

    client.post("/compte/mot-de-passe-oublie", data={"email": CAMILLE})

    assert len(outbox.to(CAMILLE)) == 1
    with app.app_context():
        assert [row.status for row in outbox_rows()] == ["sent"]


def test_without_delivery_after_requests_emails_wait_for_the_sweep(app, client, outbox, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_DELIVER_AFTER_REQUEST", False)
    create_user(app, CAMILLE, "Camille")

    client.post("/compte/mot-de-passe-oublie", data={"email": CAMILLE})

    assert outbox.messages() == []
    with app.app_context():
        assert [row.status for row in outbox_rows()] == ["queued"]
        assert deliver_due(clock.now()) == 1
    assert len(outbox.to(CAMILLE)) == 1


def test_flask_pc_outbox_send_delivers_what_is_due(app, outbox):
    with app.app_context():
        queue_reset_email()
        queue_reset_email("sacha@example.org")
        db.session.commit()

    result = app.test_cli_runner().invoke(args=["pc", "outbox", "send"])

    assert result.exit_code == 0, result.output
    assert "2 e-mail(s) envoyé(s)." in result.output
    assert "sent: 2" in result.output
    assert {m["To"] for m in outbox.messages()} == {CAMILLE, "sacha@example.org"}


# -- what an e-mail looks like ---------------------------------------------------------------------------------------


def test_an_email_has_a_text_and_an_html_part_signed_with_the_territory_and_a_link_back(
    ctx, outbox, libercourt, frozen_clock
):
    queue_reset_email(territory=db.session.get(Territory, libercourt))
    db.session.commit()
    deliver_due(clock.now())

    [mail] = outbox.to(CAMILLE)
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Libercourt — PlatformCoop\nhttp://localhost/libercourt/" in text
    assert '<a href="http://localhost/libercourt/">Libercourt</a>' in html
    assert '<a href="http://localhost/compte/mot-de-passe/abc">' in html, "addresses in the text become links"
    assert "Bonjour Camille," in html


def test_attachments_are_kept_byte_for_byte(ctx, outbox, frozen_clock):
    content = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    queue_reset_email(attachments=[("rendez-vous.ics", "text/calendar", content)])
    db.session.commit()
    deliver_due(clock.now())

    [mail] = outbox.to(CAMILLE)
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "rendez-vous.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_payload(decode=True) == content


# -- retries -----------------------------------------------------------------------------------------------------


def test_the_wait_between_tries_doubles_and_is_capped():
    assert [retry_delay(n, cap_minutes=120) for n in (1, 2, 3, 4, 8, 9, 20)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 120, 120, 120)
    ]


def test_a_failing_email_is_retried_1_2_4_minutes_later_then_marked_failed(app, ctx, frozen_clock, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 4)
    sender = FailingSender(TemporaryFailure("451 try again later"))
    queue_reset_email()
    db.session.commit()
    at = frozen_clock

    for attempt, wait in ((1, 1), (2, 2), (3, 4)):
        assert deliver_outbox(at, sender=sender) == 0
        [row] = outbox_rows()
        assert (row.status, row.attempts, row.next_attempt_at) == ("queued", attempt, at + timedelta(minutes=wait))
        assert deliver_outbox(row.next_attempt_at - timedelta(seconds=1), sender=sender) == 0, "not due yet"
        assert sender.tries == attempt
        at = row.next_attempt_at

    deliver_outbox(at, sender=sender)

    [row] = outbox_rows()
    assert (row.status, row.attempts, row.last_error) == ("failed", 4, "451 try again later")
    deliver_outbox(at + timedelta(days=1), sender=sender)
    assert sender.tries == 4, "a failed message is never tried again"


def test_an_email_refused_for_good_is_not_retried(ctx, frozen_clock):
    sender = FailingSender(PermanentFailure("550 no such mailbox"))
    queue_reset_email()
    db.session.commit()

    deliver_outbox(frozen_clock, sender=sender)
    deliver_outbox(frozen_clock + timedelta(hours=1), sender=sender)

    [row] = outbox_rows()
    assert (row.status, row.attempts, row.last_error, sender.tries) == ("failed", 1, "550 no such mailbox", 1)


def test_one_bad_message_does_not_hold_back_the_others(ctx, outbox, frozen_clock):
    class PickySender(FailingSender):
        def send(self, message):
            if message["To"] == "broken@example.org":
                raise RuntimeError("cannot encode this one")
            outbox_sender.send(message)

    from platformcoop.notifications.senders import FileSender

    outbox_sender = FileSender(outbox.folder)
    queue_reset_email("broken@example.org")
    queue_reset_email()
    db.session.commit()

    assert deliver_outbox(frozen_clock, sender=PickySender(None)) == 1

    assert [(r.recipient, r.status) for r in outbox_rows()] == [("broken@example.org", "queued"), (CAMILLE, "sent")]
    assert [m["To"] for m in outbox.messages()] == [CAMILLE]


def test_a_message_claimed_by_a_sender_that_died_is_sent_after_the_claim_timeout(app, ctx, outbox, frozen_clock):
    queue_reset_email()
    db.session.commit()
    [row] = outbox_rows()
    # A sender claimed it, then its process was killed before it could send or record anything.
    row.status, row.claim_token, row.claimed_at, row.attempts = "sending", "dead-sender", frozen_clock, 1
    db.session.commit()
    timeout = timedelta(minutes=app.config["MAIL_CLAIM_TIMEOUT_MINUTES"])

    assert deliver_due(frozen_clock + timeout - timedelta(minutes=1)) == 0
    assert outbox.messages() == []
    assert deliver_due(frozen_clock + timeout) == 1

    [row] = outbox_rows()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(outbox.to(CAMILLE)) == 1


def test_an_unknown_mail_backend_is_an_error_and_the_email_stays_queued(app, ctx, frozen_clock, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "pigeon")
    queue_reset_email()
    db.session.commit()

    with pytest.raises(RuntimeError, match="Unknown MAIL_BACKEND"):
        deliver_due(frozen_clock)

    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "queued"))
