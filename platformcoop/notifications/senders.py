"""How a queued e-mail leaves: ``file`` (development: ``.eml`` files) or ``smtp`` (production).

A sender has ``send(message)`` and ``close()``. ``send`` raises :class:`TemporaryFailure` (try again later),
:class:`PermanentFailure` (the server refused this message for good) or :class:`ServerUnavailable` (the server cannot
be reached: stop this run, every message would fail the same way).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Protocol

from platformcoop.notifications.models import OutboxMessage


class DeliveryError(Exception):
    pass


class TemporaryFailure(DeliveryError):
    """This message could not go now; it is retried later."""


class PermanentFailure(DeliveryError):
    """The server refused this message for good (5xx): retrying would not help."""


class ServerUnavailable(TemporaryFailure):
    """The mail server cannot be reached; the other claimed messages are not even tried."""


class Sender(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


def build_message(row: OutboxMessage, sender_address: str) -> EmailMessage:
    """The MIME message of an outbox row: text, HTML alternative, attachments. The same bytes on every try."""
    message = EmailMessage()
    message["From"] = sender_address
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = row.message_id
    message.set_content(row.text_body)
    if row.html_body:
        message.add_alternative(row.html_body, subtype="html")
    for attachment in row.attachments:
        maintype, _, subtype = attachment.mimetype.partition("/")
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype or "octet-stream", filename=attachment.filename
        )
    message["Content-Language"] = row.locale  # last: setting the content clears Content-* headers
    return message


class FileSender:
    """Writes each message to ``<folder>/<time>-<random>.eml``, atomically: readers never see half a file."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def send(self, message: EmailMessage) -> None:
        from platformcoop.clock import now

        self.folder.mkdir(parents=True, exist_ok=True)
        # Sorted by name = in sending order, even while tests freeze the clock.
        name = f"{now().strftime('%Y%m%dT%H%M%S%f')}-{time.monotonic_ns():020d}-{secrets.token_hex(4)}.eml"
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(bytes(message))
        os.replace(tmp, self.folder / name)

    def close(self) -> None:
        pass


class SMTPSender:
    """Sends through an SMTP server, one connection per run, opened at the first message."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        use_ssl: bool = False,
        timeout: float = 30,
    ):
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.starttls, self.use_ssl, self.timeout = starttls, use_ssl, timeout
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        try:
            if self.use_ssl:
                smtp = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls and not self.use_ssl:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
        except smtplib.SMTPAuthenticationError as error:
            raise ServerUnavailable(f"SMTP login refused: {error}") from error
        except (OSError, smtplib.SMTPException) as error:
            raise ServerUnavailable(f"SMTP server {self.host}:{self.port} unreachable: {error!r}") from error
        return smtp

    def send(self, message: EmailMessage) -> None:
        reused = self._smtp is not None
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            refused = self._smtp.send_message(message)
        except smtplib.SMTPServerDisconnected as error:
            self._drop()
            if not reused:
                raise ServerUnavailable(f"SMTP connection lost: {error!r}") from error
            return self.send(message)  # the server closed an idle connection: open a new one, once
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise _failure_for(min(codes), error) from error
        except smtplib.SMTPResponseException as error:
            raise _failure_for(error.smtp_code, error) from error
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            raise ServerUnavailable(f"SMTP connection lost: {error!r}") from error
        if refused:
            raise TemporaryFailure(f"recipients refused: {refused}")

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            with contextlib.suppress(OSError):
                smtp.close()

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
            self._drop()


def _failure_for(code: int, error: Exception) -> DeliveryError:
    text = f"SMTP {code}: {error}"
    return PermanentFailure(text) if 500 <= code < 600 else TemporaryFailure(text)


def make_sender(config: dict[str, Any]) -> Sender:
    """The sender ``MAIL_BACKEND`` names."""
    backend = config["MAIL_BACKEND"]
    if backend == "file":
        return FileSender(config["MAIL_OUTBOX_DIR"])
    if backend == "smtp":
        return SMTPSender(
            config["MAIL_SMTP_HOST"],
            config["MAIL_SMTP_PORT"],
            username=config["MAIL_SMTP_USERNAME"],
            password=config["MAIL_SMTP_PASSWORD"],
            starttls=config["MAIL_SMTP_STARTTLS"],
            use_ssl=config["MAIL_SMTP_SSL"],
            timeout=config["MAIL_SMTP_TIMEOUT"],
        )
    raise RuntimeError(f"Unknown MAIL_BACKEND {backend!r} (expected 'file' or 'smtp')")
