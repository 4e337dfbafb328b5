"""Territory administration under ``/<territory>/admin`` (admins of that territory only)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from platformcoop.accounts.models import User
from platformcoop.admin.forms import ActionForm, DecisionForm, settings_form_class, settings_from_form
from platformcoop.clock import now
from platformcoop.extensions import db
from platformcoop.notifications.mail import send_email
from platformcoop.plugins.manager import get_registry
from platformcoop.plugins.manifest import SettingsError
from platformcoop.tenancy import get_or_404, services
from platformcoop.tenancy.models import MEMBERSHIP_ACTIVE, MEMBERSHIP_PENDING, Membership

bp = Blueprint("admin", __name__, url_prefix="/<territory>/admin")


@bp.before_request
def require_admin():
    from platformcoop.accounts.permissions import can

    if not current_user.is_authenticated:
        from flask import current_app

        return current_app.login_manager.unauthorized()
    if not can(current_user, "territory.admin", g.territory):
        abort(403)


@bp.route("/")
def index():
    end = now()
    start = end - timedelta(days=30)
    stats = get_registry().collect(g.territory, "pc_territory_stats", start=start, end=end)
    pending = db.session.scalar(
        select(db.func.count())
        .select_from(Membership)
        .where(Membership.territory_id == g.territory.id, Membership.status == MEMBERSHIP_PENDING)
    )
    return render_template("admin/index.html", stats=stats, pending=pending, start=start, end=end)


@bp.route("/modules")
def modules():
    registry = get_registry()
    enabled = registry.enabled_names(g.territory)
    entries = sorted(registry.modules.values(), key=lambda m: m.manifest.label)
    return render_template("admin/modules.html", modules=entries, enabled=enabled, form=ActionForm())


@bp.route("/modules/<name>/activer", methods=["POST"])
def enable_module(name: str):
    return _toggle(name, enable=True)


@bp.route("/modules/<name>/desactiver", methods=["POST"])
def disable_module(name: str):
    return _toggle(name, enable=False)


def _toggle(name: str, enable: bool):
    registry = get_registry()
    if name not in registry.modules or not ActionForm().validate_on_submit():
        abort(404 if name not in registry.modules else 400)
    label = registry.modules[name].manifest.label
    try:
        if enable:
            services.enable_module(registry, g.territory, name, actor=current_user)
        else:
            services.disable_module(registry, g.territory, name, actor=current_user)
    except services.TerritoryError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        message = (
            _("Le module « %(label)s » est activé.", label=label)
            if enable
            else _("Le module « %(label)s » est désactivé.", label=label)
        )
        flash(message, "success")
    return redirect(url_for("admin.modules"))


@bp.route("/modules/<name>/reglages", methods=["GET", "POST"])
def module_settings(name: str):
    registry = get_registry()
    module = registry.modules.get(name)
    if module is None:
        abort(404)
    manifest = module.manifest
    form_class = settings_form_class(manifest)
    current = services.module_settings(registry, g.territory, name)
    form = form_class(data=current)
    if form.validate_on_submit():
        try:
            services.update_module_settings(
                registry, g.territory, name, settings_from_form(manifest, form), actor=current_user
            )
        except SettingsError as error:
            db.session.rollback()
            for field_name, messages in error.errors.items():
                target = form[field_name].errors if field_name in form else form.form_errors
                target.extend(messages)
        else:
            db.session.commit()
            flash(_("Les réglages sont enregistrés."), "success")
            return redirect(url_for("admin.module_settings", name=name))
    return render_template("admin/module_settings.html", module=module, form=form)


@bp.route("/membres")
def members():
    rows = db.session.execute(
        select(Membership, User)
        .join(User, Membership.user_id == User.id)
        .where(Membership.territory_id == g.territory.id)
        .order_by(Membership.created_at.desc())
    ).all()
    pending = [(m, u) for m, u in rows if m.status == MEMBERSHIP_PENDING]
    active = [(m, u) for m, u in rows if m.status == MEMBERSHIP_ACTIVE]
    return render_template("admin/members.html", pending=pending, active=active, form=DecisionForm())


@bp.route("/membres/<int:membership_id>/<decision>", methods=["POST"])
def decide_membership(membership_id: int, decision: str):
    if decision not in {"accepter", "refuser"}:
        abort(404)
    membership = get_or_404(Membership, membership_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("Le message est trop long."), "error")
        return redirect(url_for("admin.members"))
    try:
        if decision == "accepter":
            services.approve_membership(membership, current_user, form.message.data or "")
        else:
            services.decline_membership(membership, current_user, form.message.data or "")
    except services.TerritoryError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.members"))
    user = membership.user
    send_email(
        user.email,
        _l("Votre demande pour rejoindre %(name)s", name=g.territory.name),
        "membership_decision",
        locale=user.locale,
        user=user,
        membership=membership,
        territory=g.territory,
        home_url=url_for("territory.home", _external=True),
    )
    db.session.commit()
    flash(
        _("%(name)s a été accepté·e.", name=user.display_name)
        if membership.is_active
        else _("La demande de %(name)s est refusée.", name=user.display_name),
        "success",
    )
    return redirect(url_for("admin.members"))
