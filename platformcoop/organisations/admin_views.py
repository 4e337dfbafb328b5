"""Organisations in the territory administration, ``/<territory>/admin/organisations`` (admins only): the
proposals to decide, every organisation with its status, editing one, registering one directly."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case

from platformcoop.admin.forms import DecisionForm
from platformcoop.admin.views import require_admin
from platformcoop.extensions import db
from platformcoop.organisations import services
from platformcoop.organisations.forms import OrganisationForm
from platformcoop.organisations.models import ORGANISATION_STATUSES, PROPOSED, Organisation
from platformcoop.tenancy import get_or_404, scoped_select

bp = Blueprint("organisations_admin", __name__, url_prefix="/<territory>/admin/organisations")
bp.before_request(require_admin)  # the same guard as every administration page


def _decision_done(decision: str, name: str) -> str:
    return {
        "approuver": _("L'organisation « %(name)s » est validée.", name=name),
        "refuser": _("La proposition « %(name)s » est refusée.", name=name),
        "suspendre": _("L'organisation « %(name)s » est suspendue.", name=name),
        "reactiver": _("L'organisation « %(name)s » est de nouveau active.", name=name),
    }[decision]


@bp.route("/")
def index():
    status = request.args.get("statut") or None
    if status not in ORGANISATION_STATUSES:
        status = None
    query = scoped_select(Organisation, g.territory).order_by(
        case((Organisation.status == PROPOSED, 0), else_=1), Organisation.name
    )
    if status:
        query = query.where(Organisation.status == status)
    return render_template(
        "organisations/admin/index.html",
        organisations=db.session.scalars(query).all(),
        statuses=ORGANISATION_STATUSES,
        status=status,
    )


@bp.route("/nouvelle", methods=["GET", "POST"])
def create():
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            organisation = services.create_organisation(g.territory, form.profile(), actor=current_user)
        except services.OrganisationError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("L'organisation est enregistrée. Invitez maintenant ses responsables."), "success")
            return redirect(url_for("organisations.staff", organisation_id=organisation.id))
    return render_template("organisations/admin/create.html", form=form)


@bp.route("/<int:organisation_id>", methods=["GET", "POST"])
def detail(organisation_id: int):
    organisation = get_or_404(Organisation, organisation_id)
    form = OrganisationForm(obj=organisation)
    if form.validate_on_submit():
        try:
            services.update_organisation(organisation, form.profile(), actor=current_user)
        except services.OrganisationError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Les informations de l'organisation sont enregistrées."), "success")
            return redirect(url_for("organisations_admin.detail", organisation_id=organisation.id))
    return render_template(
        "organisations/admin/detail.html",
        organisation=organisation,
        form=form,
        decision_form=DecisionForm(formdata=None),
        decisions=_decisions_for(organisation),
    )


def _decisions_for(organisation: Organisation) -> list[tuple[str, str]]:
    """(URL word, button label) of the transitions open from the organisation's status."""
    return {
        "proposed": [("approuver", _("Valider")), ("refuser", _("Refuser"))],
        "active": [("suspendre", _("Suspendre"))],
        "suspended": [("reactiver", _("Réactiver"))],
    }.get(organisation.status, [])


@bp.route("/<int:organisation_id>/<decision>", methods=["POST"])
def decide(organisation_id: int, decision: str):
    if decision not in services.DECISIONS:
        abort(404)
    organisation = get_or_404(Organisation, organisation_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("Le message est trop long."), "error")
        return redirect(url_for("organisations_admin.detail", organisation_id=organisation.id))
    try:
        services.DECISIONS[decision](organisation, current_user, (form.message.data or "").strip())
    except services.OrganisationError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_decision_done(decision, organisation.name), "success")
    return redirect(url_for("organisations_admin.detail", organisation_id=organisation.id))
