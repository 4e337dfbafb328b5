"""Writing e-mail. Every message of the platform goes through :func:`send_email`.

``send_email`` renders the message in the recipient's language (plain text and HTML, inside the layout that names the
territory and links back to it) and *queues* it: it adds an :class:`OutboxMessage` row to the current transaction.
Nothing leaves until the caller commits, so an action that is rolled back sends nothing. Senders deliver the outbox
afterwards (``platformcoop/notifications/outbox.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.utils import make_msgid
from urllib.parse import urlsplit

from flask import current_app, has_request_context, render_template, request, url_for
from flask_babel import force_locale
from markupsafe import Markup, escape

from platformcoop.clock import now
from platformcoop.extensions import db
from platformcoop.notifications.models import OUTBOX_QUEUED, OutboxAttachment, OutboxMessage

URL = re.compile(r"https?://[^\s<>\"]+")


def send_email(
    to: str, subject, template: str, *, locale: str = "fr", attachments: Iterable = (), **context
) -> OutboxMessage:
    """Render ``email/<template>.txt`` (and ``email/<template>.html`` when present) in ``locale`` and queue it.

    ``subject`` may be a lazy string: it is rendered in ``locale`` too. ``attachments`` are
    ``(filename, mimetype, content)`` triples. A ``territory`` in ``context`` signs the message with the territory's
    name and a link to it. The caller commits.
    """
    territory = context.get("territory")
    with force_locale(locale):
        text, html = render_email(template, locale=locale, **context)
        subject = str(subject)
    message = OutboxMessage(
        recipient=to,
        subject=subject[:500],
        text_body=text,
        html_body=html,
        locale=locale,
        territory_id=getattr(territory, "id", None),
        message_id=make_msgid(domain=_message_id_domain()),
        status=OUTBOX_QUEUED,
        attempts=0,
        next_attempt_at=now(),
        created_at=now(),
    )
    message.attachments = [
        OutboxAttachment(filename=filename, mimetype=mimetype, content=bytes(content))
        for filename, mimetype, content in attachments
    ]
    db.session.add(message)
    return message


def render_email(template: str, *, locale: str, **context) -> tuple[str, str]:
    """The plain text and HTML of an e-mail, in the current (forced) locale.

    The HTML is ``email/<template>.html`` when it exists, otherwise the text turned into paragraphs with live links;
    both go inside the layout (``email/layout.txt`` / ``email/layout.html``).
    """
    territory = context.get("territory")
    layout = {
        "territory": territory,
        "territory_url": absolute_url("territory.home", territory=territory.slug) if territory else None,
        "preferences_url": context.get("preferences_url"),
        "locale": locale,
    }
    body = render_template(f"email/{template}.txt", **context).strip()
    text = render_template("email/layout.txt", body=body, **layout).strip() + "\n"
    own_html = _render_optional(f"email/{template}.html", **context)
    content = Markup(own_html) if own_html is not None else text_to_html(body)
    html = render_template("email/layout.html", content=content, **layout)
    return text, html


def text_to_html(text: str) -> Markup:
    """Paragraphs for blank-line separated blocks, line breaks kept, addresses made into links."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [_link_urls(line) for line in block.splitlines()]
        paragraphs.append(Markup("<p>") + Markup("<br>\n").join(lines) + Markup("</p>"))
    return Markup("\n").join(paragraphs)


def _link_urls(line: str) -> Markup:
    parts, last = [], 0
    for match in URL.finditer(line):
        url = match.group(0)
        parts += [escape(line[last : match.start()]), Markup('<a href="{0}">{0}</a>').format(url)]
        last = match.end()
    parts.append(escape(line[last:]))
    return Markup("").join(parts)


def _render_optional(template: str, **context) -> str | None:
    if template in current_app.jinja_env.list_templates():
        return render_template(template, **context)
    return None


def absolute_url(endpoint: str, **values) -> str:
    """A full address for a link in an e-mail: the request's host in a request, ``BASE_URL`` outside one."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def external(url: str | None) -> str | None:
    """Make a local path (``/lomme/...``) a full address; full addresses are kept."""
    if not url or not url.startswith("/") or url.startswith("//"):
        return url
    root = request.host_url if has_request_context() else current_app.config["BASE_URL"]
    return root.rstrip("/") + url


def _message_id_domain() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "platformcoop.local"
