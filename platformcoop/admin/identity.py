"""The territory's identity and public pages: name, colour, contact, welcome text, legal pages, policies."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from platformcoop.admin import services as admin_services
from platformcoop.admin.forms import IdentityForm
from platformcoop.admin.views import bp
from platformcoop.extensions import db

TEXT_FIELDS = (
    "name",
    "contact_email",
    "contact_phone",
    "welcome_text",
    "legal_notice",
    "terms",
    "privacy_policy",
    "accessibility_statement",
)


def _values(form: IdentityForm) -> dict:
    values = {name: (form[name].data or "").strip() for name in TEXT_FIELDS}
    values["contact_email"] = values["contact_email"].lower() or None
    values["contact_phone"] = values["contact_phone"] or None
    values["primary_color"] = form.primary_color.data
    values["join_policy"] = form.join_policy.data
    values["moderation_threshold"] = form.moderation_threshold.data
    return values


@bp.route("/identite", methods=["GET", "POST"])
def identity():
    territory = g.territory
    form = IdentityForm(obj=territory)
    form.join_policy.choices = [(key, str(label)) for key, label in admin_services.JOIN_POLICY_LABELS.items()]
    if form.validate_on_submit():
        try:
            changed = admin_services.update_identity(territory, _values(form), actor=current_user)
        except admin_services.AdminError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(
                _("L'identité et les pages du territoire sont enregistrées.") if changed else _("Rien n'a changé."),
                "success",
            )
            return redirect(url_for("admin.identity"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("admin/identity.html", form=form), status
