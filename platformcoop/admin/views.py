"""Territory administration under ``/<territory>/admin`` (admins of that territory only).

One blueprint, its pages split by subject: this file (access, modules and their settings), ``dashboard.py``,
``members.py``, ``identity.py``, ``journal.py``. The moderation queue (``platformcoop/moderation``) lives under the
same prefix but is its own blueprint, open to moderators too.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from platformcoop.admin.formatting import template_helpers
from platformcoop.admin.forms import ActionForm, settings_form_class, settings_from_form
from platformcoop.extensions import db
from platformcoop.plugins.manager import get_registry
from platformcoop.plugins.manifest import SettingsError
from platformcoop.tenancy import services

bp = Blueprint("admin", __name__, url_prefix="/<territory>/admin")


@bp.context_processor
def _helpers() -> dict:
    territory = g.get("territory")  # absent on the 404 page of an unknown territory
    return template_helpers(territory) if territory is not None else {}


@bp.before_request
def require_admin():
    from platformcoop.accounts.permissions import can

    if not current_user.is_authenticated:
        from flask import current_app

        return current_app.login_manager.unauthorized()
    if not can(current_user, "territory.admin", g.territory):
        abort(403)


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


# The other admin pages register their routes on ``bp`` (imported last: they import ``bp`` from here).
from platformcoop.admin import dashboard, identity, journal, members  # noqa: E402, F401
