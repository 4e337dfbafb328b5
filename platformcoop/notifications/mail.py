"""Sending e-mail. Every message of the platform goes through :func:`send_email`.

For now the only backend writes ``.eml`` files to ``MAIL_OUTBOX_DIR`` (``instance/outbox/``); the notification
system (outbox table, SMTP, retries) will replace the body of this function, not its callers.
"""

from __future__ import annotations

import os
import secrets
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale

from platformcoop.clock import now


def send_email(to: str, subject: str, template: str, *, locale: str = "fr", attachments=(), **context) -> EmailMessage:
    """Render ``email/<template>.txt`` (and ``.html`` when present) in ``locale`` and send it.

    ``attachments`` are ``(filename, mimetype, content)`` triples.
    """
    with force_locale(locale):
        text = render_template(f"email/{template}.txt", **context)
        html = _render_optional(f"email/{template}.html", **context)
        subject = str(subject)
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now())
    message["Message-ID"] = make_msgid(domain="platformcoop.local")
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for filename, mimetype, content in attachments:
        maintype, _, subtype = mimetype.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    _deliver(message)
    return message


def _render_optional(template: str, **context) -> str | None:
    if template in current_app.jinja_env.list_templates():
        return render_template(template, **context)
    return None


def _deliver(message: EmailMessage) -> None:
    backend = current_app.config["MAIL_BACKEND"]
    if backend != "file":
        raise RuntimeError(f"Unknown MAIL_BACKEND {backend!r}")
    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    name = f"{now().strftime('%Y%m%dT%H%M%S%f')}-{secrets.token_hex(4)}.eml"
    tmp = outbox / f".{name}.tmp"
    tmp.write_bytes(bytes(message))
    os.replace(tmp, outbox / name)  # readers never see a half-written message
