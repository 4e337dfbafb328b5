"""A user's last activity, for the administrators' members list.

Writing it on every request would cost a write per page view; it is written at most once per
``LAST_SEEN_INTERVAL_MINUTES`` per user, by a conditional update (two processes serving the same person write once).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, request
from flask_login import current_user
from sqlalchemy import or_, update

from platformcoop.accounts.models import User
from platformcoop.clock import now
from platformcoop.extensions import db


def note_last_seen() -> None:
    """``before_request``: record that the logged-in user is here, when the last record is old enough."""
    if request.endpoint in (None, "static") or not current_user.is_authenticated:
        return
    at = now()
    threshold = at - timedelta(minutes=current_app.config["LAST_SEEN_INTERVAL_MINUTES"])
    seen = current_user.last_seen_at
    if seen is not None and seen > threshold:
        return
    db.session.execute(
        update(User)
        .where(User.id == current_user.id, or_(User.last_seen_at.is_(None), User.last_seen_at <= threshold))
        .values(last_seen_at=at)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
