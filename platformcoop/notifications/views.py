"""The inbox (``/notifications/``) and the notification preferences (``/compte/profil/notifications``).

The inbox is global: a person sees the notifications of every territory they belong to, each labelled with its
territory. It also answers under ``/<territory>/notifications/`` (the same list inside that territory's layout), so
that a territory served on its own host name keeps its header.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from platformcoop.accounts.forms import ChangePasswordForm, ProfileForm
from platformcoop.extensions import db
from platformcoop.notifications import preferences, service
from platformcoop.notifications.forms import ActionForm, preferences_form
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy.models import Territory

bp = Blueprint("notifications", __name__)

PER_PAGE = 20


def _inbox_route(rule: str, **options):
    """Mount a view both deployment-wide and under ``/<territory>``."""

    def decorator(view):
        bp.add_url_rule(rule, view_func=view, **options)
        bp.add_url_rule(f"/<territory>{rule}", view_func=view, **options)
        return view

    return decorator


@_inbox_route("/notifications/")
@login_required
def inbox():
    page = service.inbox_page(current_user, request.args.get("page", 1, type=int), PER_PAGE)
    territory_ids = {n.territory_id for n in page.notifications if n.territory_id}
    territories = (
        {t.id: t for t in db.session.scalars(select(Territory).where(Territory.id.in_(territory_ids)))}
        if territory_ids
        else {}
    )
    return render_template(
        "notifications/inbox.html",
        page=page,
        territories=territories,
        when=lambda n: _local_time(n, territories.get(n.territory_id)),
        form=ActionForm(),
    )


def _local_time(notification, territory) -> str:
    zone = ZoneInfo(territory.timezone if territory else current_app.config["DEFAULT_TIMEZONE"])
    return format_datetime(notification.created_at, "d MMM yyyy, HH:mm", tzinfo=zone, locale=str(get_locale()))


@_inbox_route("/notifications/<int:notification_id>/lue", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    if not service.mark_read(current_user, notification_id):
        abort(404)
    db.session.commit()
    return redirect(_back_to_inbox())


@_inbox_route("/notifications/tout-lu", methods=["POST"])
@login_required
def mark_all_read():
    if not ActionForm().validate_on_submit():
        abort(400)
    service.mark_all_read(current_user)
    db.session.commit()
    flash(_("Toutes vos notifications sont marquées comme lues."), "success")
    return redirect(_back_to_inbox())


def _back_to_inbox() -> str:
    page = request.args.get("page", 1, type=int)
    return url_for("notifications.inbox", page=page if page > 1 else None)


@bp.route("/compte/profil/notifications", methods=["POST"])
@login_required
def save_preferences():
    form = preferences_form(current_user, get_registry(), formdata=request.form)
    if form.validate_on_submit():
        preferences.set_email_choices(current_user, form.choices())
        db.session.commit()
        flash(_("Vos préférences de notification sont enregistrées."), "success")
        return redirect(url_for("accounts.profile") + "#notifications")
    return render_template(
        "accounts/profile.html",
        form=ProfileForm(obj=current_user, formdata=None),
        password_form=ChangePasswordForm(formdata=None, prefix="pw"),
        preferences_form=form,
    )


def unread_notification_count() -> int:
    """For the header badge: one COUNT query per page, none for visitors."""
    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        g.unread_notifications = service.unread_count(current_user)
    return g.unread_notifications


def notification_preferences_form():
    """For the profile page: the preferences form filled with the current user's choices."""
    return preferences_form(current_user, get_registry())
