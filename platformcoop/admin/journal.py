"""The audit log of the territory: who did what, when; newest first, filtered, paginated."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import g, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from platformcoop.accounts.models import User
from platformcoop.admin.audit_labels import action_label
from platformcoop.admin.forms import JournalFilterForm
from platformcoop.admin.pagination import paginate, requested_page
from platformcoop.admin.stats import local_midnight
from platformcoop.admin.views import bp
from platformcoop.audit import AuditLog
from platformcoop.extensions import db


def _filter_form() -> JournalFilterForm:
    """The filters, with the actions and the people that appear in this territory's log (two queries)."""
    in_territory = AuditLog.territory_id == g.territory.id
    actions = db.session.scalars(select(AuditLog.action).where(in_territory).distinct()).all()
    actors = db.session.execute(
        select(User.id, User.display_name)
        .where(User.id.in_(select(AuditLog.actor_id).where(in_territory)))
        .order_by(User.display_name)
    ).all()
    form = JournalFilterForm(request.args)
    labelled = sorted(((action, action_label(action)) for action in actions), key=lambda choice: choice[1].lower())
    form.action.choices = [("", _("Toutes les actions")), *labelled]
    form.auteur.choices = [("", _("Toutes les personnes")), *((str(uid), name) for uid, name in actors)]
    return form


@bp.route("/journal")
def journal():
    form = _filter_form()
    statement = (
        select(AuditLog, User)
        .outerjoin(User, AuditLog.actor_id == User.id)
        .where(AuditLog.territory_id == g.territory.id)
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
    )
    if form.validate():
        tz = ZoneInfo(g.territory.timezone)
        if form.action.data:
            statement = statement.where(AuditLog.action == form.action.data)
        if form.auteur.data:
            statement = statement.where(AuditLog.actor_id == int(form.auteur.data))
        if form.debut.data:
            statement = statement.where(AuditLog.created_at >= local_midnight(form.debut.data, tz))
        if form.fin.data:
            statement = statement.where(AuditLog.created_at < local_midnight(form.fin.data + timedelta(days=1), tz))
    page = paginate(statement, requested_page(), scalars=False)
    filtered = any(request.args.get(name) for name in ("action", "auteur", "debut", "fin"))
    return render_template("admin/journal.html", filters=form, page=page, filtered=filtered)
