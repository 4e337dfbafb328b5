"""The SMTP sender against a real SMTP server (aiosmtpd) listening on 127.0.0.1, started and stopped by the tests.

Acceptance 8: the SMTP server is down, e-mails stay queued and are delivered when it comes back; none is sent twice.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from datetime import timedelta

import icalendar
import pytest
from aiosmtpd.controller import Controller
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from platformcoop import clock
from platformcoop.accounts.models import User
from platformcoop.extensions import db
from platformcoop.notifications import notify
from platformcoop.notifications.ics import ICS_MIMETYPE, calendar_event
from platformcoop.notifications.mail import send_email
from platformcoop.notifications.models import OutboxMessage
from platformcoop.notifications.outbox import deliver_due
from platformcoop.tenancy import services as territories
from platformcoop.tenancy.models import Territory
from tests.conftest import create_user


class LocalSMTPServer:
    """An SMTP server on 127.0.0.1 that keeps what it receives. It starts down: call ``start()``."""

    def __init__(self, port: int):
        self.port = port
        self.received: list[email.message.EmailMessage] = []
        self.refused: set[str] = set()
        self._controller: Controller | None = None

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def recipients(self) -> list[str]:
        return sorted(message["To"] for message in self.received)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app, monkeypatch):
    server = LocalSMTPServer(free_port())
    for key, value in {
        "MAIL_BACKEND": "smtp",
        "MAIL_SMTP_HOST": "127.0.0.1",
        "MAIL_SMTP_PORT": server.port,
        "MAIL_SMTP_TIMEOUT": 5,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    yield server
    server.stop()


def outbox_rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def pending_member(app, email_address: str, territory_id: int) -> int:
    create_user(app, email_address, email_address.split("@")[0].title())
    with app.app_context():
        user = db.session.scalars(select(User).filter_by(email=email_address)).one()
        membership = territories.join_territory(db.session.get(Territory, territory_id), user, "Bonjour")
        db.session.commit()
        return membership.id


def test_smtp_server_down_emails_stay_queued_then_are_delivered_once_when_it_is_back(
    app, smtp, client, lomme_admin, lomme, frozen_clock
):
    start = frozen_clock
    camille = pending_member(app, "camille@example.org", lomme)
    create_user(app, "sacha@example.org", "Sacha")

    # Two actions that e-mail someone, while the mail server is down.
    lomme_admin.post(f"/lomme/admin/membres/{camille}/accepter", data={"message": "Bienvenue !"})
    client.post("/compte/mot-de-passe-oublie", data={"email": "sacha@example.org"})

    with app.app_context():
        rows = outbox_rows()
        assert [(r.recipient, r.status, r.attempts) for r in rows] == [
            ("camille@example.org", "queued", 1),
            ("sacha@example.org", "queued", 1),
        ], "each request tried once, in vain"
        assert {r.next_attempt_at for r in rows} == {start + timedelta(minutes=1)}
        assert all("unreachable" in r.last_error for r in rows)

        # Still down at the next try: the first message waits twice as long; the run stops there.
        assert deliver_due(start + timedelta(minutes=1)) == 0
        first, second = outbox_rows()
        assert (first.attempts, first.next_attempt_at) == (2, start + timedelta(minutes=3))
        assert (second.status, second.attempts, second.next_attempt_at) == ("queued", 1, start + timedelta(minutes=1))

        smtp.start()  # the server is back
        assert deliver_due(start + timedelta(minutes=2)) == 1
        assert smtp.recipients() == ["sacha@example.org"]
        assert deliver_due(start + timedelta(minutes=2, seconds=59)) == 0, "Camille's e-mail is not due yet"
        assert deliver_due(start + timedelta(minutes=3)) == 1

        assert [(r.status, r.sent_at) for r in outbox_rows()] == [
            ("sent", start + timedelta(minutes=3)),
            ("sent", start + timedelta(minutes=2)),
        ]
        assert deliver_due(start + timedelta(hours=5)) == 0

    assert smtp.recipients() == ["camille@example.org", "sacha@example.org"], "each e-mail arrived exactly once"
    welcome = next(m for m in smtp.received if m["To"] == "camille@example.org")
    assert "Bienvenue !" in welcome.get_body(("plain",)).get_content()


def test_an_invitation_arrives_with_its_ics_and_both_parts_in_the_recipients_language(app, smtp, lomme, frozen_clock):
    smtp.start()
    create_user(app, "robin@example.org", "Robin", lomme=("resident",))
    with app.app_context():
        robin = db.session.scalars(select(User).filter_by(email="robin@example.org")).one()
        robin.locale = "en"
        territory = db.session.get(Territory, lomme)
        starts = frozen_clock + timedelta(days=2)
        invitation = calendar_event(
            uid="test-appointment-1@lomme",
            summary="Atelier vélo",
            start=starts,
            end=starts + timedelta(minutes=90),
            timezone=territory.timezone,
            location="12 rue de la Gare, Lomme",
        )
        notify(
            robin,
            "core.membership_decision",
            territory,
            title=_l("Votre demande pour rejoindre %(name)s", name=territory.name),
            url="/lomme/",
            email_template="membership_decision",
            attachments=[("atelier.ics", ICS_MIMETYPE, invitation)],
            membership=type("Decision", (), {"is_active": True, "decision_message": ""})(),
            home_url="http://localhost/lomme/",
        )
        db.session.commit()
        assert deliver_due(clock.now()) == 1

    [mail] = smtp.received
    assert mail["Subject"] == "Your request to join Lomme"
    assert mail["Content-Language"] == "en"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Hello Robin," in text and "Good news: your request to join Lomme has been accepted." in text
    assert '<html lang="en">' in html and "Hello Robin," in html
    [attachment] = list(mail.iter_attachments())
    assert (attachment.get_filename(), attachment.get_content_type()) == ("atelier.ics", "text/calendar")
    [event] = icalendar.Calendar.from_ical(attachment.get_payload(decode=True)).walk("VEVENT")
    assert (str(event["summary"]), str(event["location"])) == ("Atelier vélo", "12 rue de la Gare, Lomme")
    assert event.decoded("dtstart") == starts


def test_an_address_the_server_refuses_for_good_is_marked_failed_and_not_retried(app, smtp, frozen_clock):
    smtp.start()
    smtp.refused.add("nobody@example.org")
    with app.app_context():
        send_email(
            "nobody@example.org", "Test", "already_registered", user=User(display_name="X"), login_url="", reset_url=""
        )
        db.session.commit()

        assert deliver_due(frozen_clock) == 0
        assert deliver_due(frozen_clock + timedelta(days=1)) == 0

        [row] = outbox_rows()
        assert (row.status, row.attempts) == ("failed", 1)
        assert row.last_error.startswith("SMTP 550")
    assert smtp.received == []


def test_two_senders_running_at_once_send_each_email_exactly_once(app, smtp, monkeypatch):
    """Two scheduler processes (here threads, each with its own connection) sweep the same outbox together."""
    smtp.start()
    monkeypatch.setitem(app.config, "MAIL_BATCH_SIZE", 3)
    addresses = [f"habitant{n}@example.org" for n in range(24)]
    with app.app_context():
        for address in addresses:
            send_email(address, "Test", "already_registered", user=User(display_name="X"), login_url="", reset_url="")
        db.session.commit()

    start_together = threading.Barrier(2)
    sent: list[int] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            with app.app_context():
                start_together.wait(timeout=10)
                sent.append(deliver_due(clock.now()))
                db.session.remove()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(sent) == len(addresses)
    assert smtp.recipients() == sorted(addresses), "each e-mail exactly once"
    with app.app_context():
        assert {(r.status, r.attempts) for r in outbox_rows()} == {("sent", 1)}
