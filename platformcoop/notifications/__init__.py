"""Notifications: in-app inbox, e-mail outbox and senders, preferences per kind, daily digest, ``.ics`` invitations.

- :func:`notify` (``service.py``): the one call the core and the modules use to tell a person something.
- ``mail.py``: :func:`send_email` renders an e-mail and queues it in the outbox table (same transaction).
- ``outbox.py``: senders claim and deliver the queue with retries (:func:`outbox.deliver_due`, the scheduler's sweep).
- ``digest.py``: :func:`digest.send_daily_digests`; ``ics.py``: calendar invitations; ``views.py``: the inbox.
"""

from __future__ import annotations

from flask import Flask

from platformcoop.notifications.service import notify

__all__ = ["init_app", "notify"]


def init_app(app: Flask) -> None:
    """The inbox pages, the unread badge of the header, and sending after each request."""
    from platformcoop.notifications import outbox
    from platformcoop.notifications.views import bp, notification_preferences_form, unread_notification_count

    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        unread_notification_count=unread_notification_count,
        notification_preferences_form=notification_preferences_form,
    )
    outbox.init_app(app)
