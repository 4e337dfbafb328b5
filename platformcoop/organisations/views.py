"""Organisation pages under ``/<territory>/organisations``: the directory, a profile, proposing one, and for its
owners (and the territory's administrators) editing it and managing its staff. Its opening hours: ``hours_views.py``.

Every view: load (scoped by territory) → check the permission → call the service → render.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from platformcoop.accounts.permissions import can
from platformcoop.admin.forms import ActionForm
from platformcoop.clock import now
from platformcoop.extensions import db
from platformcoop.i18n import select_locale
from platformcoop.organisations import invitations, services
from platformcoop.organisations.forms import InviteForm, OrganisationForm, RoleForm
from platformcoop.organisations.models import (
    DECLINED,
    ORGANISATION_KINDS,
    PROPOSED,
    Organisation,
    OrganisationInvitation,
    OrganisationStaff,
)
from platformcoop.tenancy import get_or_404

bp = Blueprint("organisations", __name__, url_prefix="/<territory>/organisations")


def _visible(organisation: Organisation) -> bool:
    """Active organisations are public; the others only for their people, their proposer and the admins."""
    if organisation.is_active:
        return True
    if not current_user.is_authenticated:
        return False
    return (
        services.is_staff(current_user, organisation)
        or organisation.created_by_id == current_user.id
        or can(current_user, "territory.admin", g.territory, organisation)
    )


def _require_manager(organisation: Organisation):
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not services.may_manage(current_user, organisation):
        abort(403)
    return None


@bp.route("/")
def index():
    kind = request.args.get("type") or None
    if kind not in ORGANISATION_KINDS:
        kind = None
    mine = []
    if current_user.is_authenticated:
        mine = services.organisations_of(current_user, g.territory, active_only=False)
        proposals = db.session.scalars(
            select(Organisation).where(
                Organisation.territory_id == g.territory.id,
                Organisation.created_by_id == current_user.id,
                Organisation.status.in_((PROPOSED, DECLINED)),
            )
        ).all()
        mine += [p for p in proposals if p not in mine]
    return render_template(
        "organisations/index.html",
        organisations=services.active_organisations(g.territory, kind),
        kinds=ORGANISATION_KINDS,
        kind=kind,
        mine=mine,
        may_propose=can(current_user, "territory.use", g.territory),
    )


@bp.route("/proposer", methods=["GET", "POST"])
@login_required
def propose():
    if not can(current_user, "territory.use", g.territory):
        abort(403)
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            organisation = services.propose_organisation(g.territory, current_user, form.profile())
        except services.OrganisationError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(
                _(
                    "Merci ! Votre proposition est envoyée à l'équipe de %(name)s, qui va l'examiner.",
                    name=g.territory.name,
                ),
                "success",
            )
            return redirect(url_for("organisations.show", organisation_id=organisation.id))
    return render_template("organisations/propose.html", form=form)


@bp.route("/<int:organisation_id>")
def show(organisation_id: int):
    from platformcoop.hours.formatting import schedule_summary

    organisation = get_or_404(Organisation, organisation_id)
    if not _visible(organisation):
        abort(404)
    schedule = services.find_opening_schedule(organisation)
    summary = schedule_summary(schedule, now(), select_locale()) if schedule is not None else None
    return render_template(
        "organisations/show.html",
        organisation=organisation,
        hours=summary,
        may_manage=current_user.is_authenticated and services.may_manage(current_user, organisation),
        is_staff=services.is_staff(current_user, organisation),
    )


@bp.route("/<int:organisation_id>/modifier", methods=["GET", "POST"])
def edit(organisation_id: int):
    organisation = get_or_404(Organisation, organisation_id)
    refused = _require_manager(organisation)
    if refused is not None:
        return refused
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
            return redirect(url_for("organisations.show", organisation_id=organisation.id))
    return render_template("organisations/edit.html", organisation=organisation, form=form)


# -- staff --------------------------------------------------------------------------------------------------------


@bp.route("/<int:organisation_id>/equipe")
@login_required
def staff(organisation_id: int, invite_form: InviteForm | None = None):
    organisation = get_or_404(Organisation, organisation_id)
    manager = services.may_manage(current_user, organisation)
    if not (manager or services.is_staff(current_user, organisation)):
        abort(403)
    return render_template(
        "organisations/staff.html",
        organisation=organisation,
        members=organisation.staff,
        invitations=invitations.pending_invitations(organisation) if manager else [],
        may_manage=manager,
        invite_form=invite_form or InviteForm(formdata=None),
        role_form=RoleForm(formdata=None),
        action_form=ActionForm(formdata=None),
    )


@bp.route("/<int:organisation_id>/equipe/inviter", methods=["POST"])
def invite(organisation_id: int):
    organisation = get_or_404(Organisation, organisation_id)
    refused = _require_manager(organisation)
    if refused is not None:
        return refused
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitations.invite_staff(organisation, form.email.data, form.role.data, actor=current_user)
        except services.OrganisationError as error:
            db.session.rollback()
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("L'invitation est envoyée à %(email)s.", email=form.email.data.strip().lower()), "success")
            return redirect(url_for("organisations.staff", organisation_id=organisation.id))
    return staff(organisation_id, invite_form=form), 400


def _member(organisation: Organisation, member_id: int) -> OrganisationStaff:
    member = db.session.scalar(
        select(OrganisationStaff).where(
            OrganisationStaff.organisation_id == organisation.id, OrganisationStaff.id == member_id
        )
    )
    if member is None:
        abort(404)
    return member


@bp.route("/<int:organisation_id>/equipe/<int:member_id>/retirer", methods=["POST"])
@login_required
def remove_member(organisation_id: int, member_id: int):
    organisation = get_or_404(Organisation, organisation_id)
    member = _member(organisation, member_id)
    leaving = member.user_id == current_user.id
    if not (leaving or services.may_manage(current_user, organisation)):
        abort(403)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = member.user.display_name
    try:
        services.remove_staff(member, actor=current_user)
    except services.OrganisationError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("organisations.staff", organisation_id=organisation.id))
    db.session.commit()
    if leaving:
        flash(_("Vous avez quitté l'équipe de %(name)s.", name=organisation.name), "success")
        return redirect(url_for("organisations.show", organisation_id=organisation.id))
    flash(_("%(name)s ne fait plus partie de l'équipe.", name=name), "success")
    return redirect(url_for("organisations.staff", organisation_id=organisation.id))


@bp.route("/<int:organisation_id>/equipe/<int:member_id>/role", methods=["POST"])
def change_role(organisation_id: int, member_id: int):
    organisation = get_or_404(Organisation, organisation_id)
    refused = _require_manager(organisation)
    if refused is not None:
        return refused
    member = _member(organisation, member_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Rôle inconnu."), "error")
        return redirect(url_for("organisations.staff", organisation_id=organisation.id))
    try:
        services.change_staff_role(member, form.role.data, actor=current_user)
    except services.OrganisationError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Le rôle de %(name)s est changé.", name=member.user.display_name), "success")
    return redirect(url_for("organisations.staff", organisation_id=organisation.id))


@bp.route("/<int:organisation_id>/invitations/<int:invitation_id>/annuler", methods=["POST"])
def revoke(organisation_id: int, invitation_id: int):
    organisation = get_or_404(Organisation, organisation_id)
    refused = _require_manager(organisation)
    if refused is not None:
        return refused
    invitation = db.session.scalar(
        select(OrganisationInvitation).where(
            OrganisationInvitation.organisation_id == organisation.id, OrganisationInvitation.id == invitation_id
        )
    )
    if invitation is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    invitations.revoke_invitation(invitation, actor=current_user)
    db.session.commit()
    flash(_("L'invitation de %(email)s est annulée.", email=invitation.email), "success")
    return redirect(url_for("organisations.staff", organisation_id=organisation.id))


# -- accepting an invitation --------------------------------------------------------------------------------------


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """GET shows the invitation (mail scanners may open links); accepting takes a POST by the invited person."""
    try:
        invitation = invitations.invitation_for_token(g.territory, token)
    except invitations.InvitationError as error:
        return render_template("organisations/invitation.html", error=str(error), invitation=None), 410
    form = ActionForm()
    wrong_address = current_user.is_authenticated and current_user.email != invitation.email
    if current_user.is_authenticated and not wrong_address and form.validate_on_submit():
        try:
            invitations.accept_invitation(invitation, current_user)
        except invitations.InvitationError as error:
            db.session.rollback()
            return render_template("organisations/invitation.html", error=str(error), invitation=None), 410
        db.session.commit()
        flash(_("Bienvenue dans l'équipe de %(name)s !", name=invitation.organisation.name), "success")
        return redirect(url_for("organisations.show", organisation_id=invitation.organisation_id))
    return render_template(
        "organisations/invitation.html",
        invitation=invitation,
        error=None,
        wrong_address=wrong_address,
        form=form,
        here=url_for("organisations.invitation", token=token),
    )


# Opening-hours pages of an organisation share this blueprint.
from platformcoop.organisations import hours_views  # noqa: E402, F401
