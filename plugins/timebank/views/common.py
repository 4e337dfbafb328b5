"""What the pages of several areas share: the member's account guard and the handling of a refused operation."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, g, redirect, url_for
from flask_login import current_user

from platformcoop.extensions import db
from plugins.timebank import services
from plugins.timebank.childcare import NotAllowed, StaleSession
from plugins.timebank.models import Account
from plugins.timebank.services import TimebankError


def member_account_or_redirect(message: str) -> tuple[Account | None, object]:
    """(the member's time account, None), or (None, a redirect to the module's home, where they join: the charter)
    with ``message`` shown there."""
    account = services.member_account(g.territory, current_user)
    if account is None:
        flash(message, "warning")
        return None, redirect(url_for("timebank.index"))
    return account, None


def refusal_status(error: TimebankError) -> int:
    """409 when the thing changed meanwhile (a session moved on), 422 when the rules refuse."""
    return 409 if isinstance(error, StaleSession) else 422


def attempt(action: Callable[[], object]) -> TimebankError | None:
    """Call a service: None when it did it (the caller commits), or its refusal after a rollback. ``NotAllowed`` (the
    person is on the page but may not do this) is a 403."""
    try:
        action()
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except TimebankError as error:
        db.session.rollback()
        return error
    return None


def save_form(form, action: Callable[[], object], done_message: str, next_url: Callable[[object], str]):
    """The POST of a form page: when the form is valid, ``action`` (a service call) is done, committed, and the
    member redirected to ``next_url(its result)`` with ``done_message``; a refusal is rolled back and shown on the
    form. Returns (the redirect or None, the status of the page to show again: 200, or 422)."""
    if not form.validate_on_submit():
        return None, 422 if form.is_submitted() else 200
    try:
        result = action()
    except TimebankError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return None, 422
    db.session.commit()
    flash(done_message, "success")
    return redirect(next_url(result)), 200
