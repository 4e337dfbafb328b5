"""Members: search and filter, join requests, one member's page (roles, suspension), CSV export."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, exists, func, or_, select

from platformcoop.accounts.models import User
from platformcoop.admin import services as admin_services
from platformcoop.admin.exports import csv_response
from platformcoop.admin.forms import DecisionForm, MemberFilterForm, ReactivateForm, RolesForm, SuspendForm
from platformcoop.admin.pagination import paginate, requested_page
from platformcoop.admin.views import bp
from platformcoop.audit import AuditLog
from platformcoop.extensions import db
from platformcoop.notifications import notify
from platformcoop.notifications.kinds import MEMBERSHIP_DECISION
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy import get_or_404, services
from platformcoop.tenancy.models import MEMBERSHIP_PENDING, Membership, MembershipRole

PENDING_SHOWN = 20
EXPORT_BATCH = 500


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filter_form() -> MemberFilterForm:
    form = MemberFilterForm(request.args)
    roles = admin_services.assignable_roles(get_registry())
    form.role.choices = [("", _("Tous les rôles")), *roles.items()]
    form.statut.choices = [("", _("Tous les statuts"))] + [
        (key, str(label)) for key, label in admin_services.MEMBERSHIP_STATUS_LABELS.items()
    ]
    return form


def _members_query(form: MemberFilterForm) -> Select:
    """Members of the territory matching the search and filters (invalid filters are ignored)."""
    statement = (
        select(Membership, User)
        .join(User, Membership.user_id == User.id)
        .where(Membership.territory_id == g.territory.id)
        .order_by(func.lower(User.display_name), Membership.id)
    )
    valid = form.validate()
    query = (form.q.data or "").strip().lower() if valid else ""
    if query:
        pattern = f"%{_escape_like(query)}%"
        statement = statement.where(
            or_(func.lower(User.display_name).like(pattern, escape="\\"), User.email.like(pattern, escape="\\"))
        )
    if valid and form.role.data:
        statement = statement.where(
            exists().where(MembershipRole.membership_id == Membership.id, MembershipRole.role == form.role.data)
        )
    if valid and form.statut.data:
        statement = statement.where(Membership.status == form.statut.data)
    return statement


@bp.route("/membres")
def members():
    form = _filter_form()
    page = paginate(_members_query(form), requested_page(), scalars=False)
    pending = db.session.execute(
        select(Membership, User)
        .join(User, Membership.user_id == User.id)
        .where(Membership.territory_id == g.territory.id, Membership.status == MEMBERSHIP_PENDING)
        .order_by(Membership.created_at)
        .limit(PENDING_SHOWN + 1)
    ).all()
    return render_template(
        "admin/members.html",
        filters=form,
        page=page,
        pending=pending[:PENDING_SHOWN],
        more_pending=len(pending) > PENDING_SHOWN,
        form=DecisionForm(),
        role_labels=admin_services.assignable_roles(get_registry()),
        role_names=admin_services.role_names,
        status_labels=admin_services.MEMBERSHIP_STATUS_LABELS,
        filtered=any(request.args.get(name) for name in ("q", "role", "statut")),
    )


@bp.route("/membres/export.csv")
def members_csv():
    """Every member matching the page's search and filters (not only the page shown)."""
    statement = _members_query(_filter_form()).execution_options(yield_per=EXPORT_BATCH)
    roles = admin_services.assignable_roles(get_registry())
    statuses = admin_services.MEMBERSHIP_STATUS_LABELS

    def rows():
        for membership, user in db.session.execute(statement):
            yield (
                user.display_name,
                user.email,
                str(statuses.get(membership.status, membership.status)),
                ", ".join(admin_services.role_names(membership.roles, roles)),
                membership.decided_at or membership.created_at,
                user.last_seen_at,
            )

    header = [_("Nom"), _("E-mail"), _("Statut"), _("Rôles"), _("Membre depuis"), _("Dernière activité")]
    return csv_response(f"membres-{g.territory.slug}.csv", header, rows(), g.territory.timezone)


@bp.route("/membres/<int:membership_id>")
def member(membership_id: int):
    membership = get_or_404(Membership, membership_id)
    return _render_member(membership)


def _render_member(membership: Membership, roles_form=None, suspend_form=None, reactivate_form=None, status=200):
    registry = get_registry()
    history = db.session.execute(
        select(AuditLog, User)
        .outerjoin(User, AuditLog.actor_id == User.id)
        .where(
            AuditLog.territory_id == g.territory.id,
            AuditLog.object_type == "Membership",
            AuditLog.object_id == membership.id,
        )
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(20)
    ).all()
    if roles_form is None:
        roles_form = RolesForm(roles=sorted(membership.roles))
    roles_form.roles.choices = list(admin_services.assignable_roles(registry).items())
    return (
        render_template(
            "admin/member.html",
            membership=membership,
            person=membership.user,
            roles_form=roles_form,
            suspend_form=suspend_form or SuspendForm(formdata=None),
            reactivate_form=reactivate_form or ReactivateForm(formdata=None),
            decision_form=DecisionForm(formdata=None),
            history=history,
            role_labels=admin_services.assignable_roles(registry),
            status_labels=admin_services.MEMBERSHIP_STATUS_LABELS,
        ),
        status,
    )


@bp.route("/membres/<int:membership_id>/roles", methods=["POST"])
def change_roles(membership_id: int):
    membership = get_or_404(Membership, membership_id)
    form = RolesForm()
    if not form.validate_on_submit():
        return _render_member(membership, roles_form=form, status=400)
    try:
        admin_services.set_roles(get_registry(), g.territory, membership, form.roles.data, actor=current_user)
    except admin_services.AdminError as error:
        db.session.rollback()
        form.roles.errors = [str(error)]
        return _render_member(get_or_404(Membership, membership_id), roles_form=form, status=400)
    db.session.commit()
    flash(_("Les rôles de %(name)s sont enregistrés.", name=membership.user.display_name), "success")
    return redirect(url_for("admin.member", membership_id=membership.id))


@bp.route("/membres/<int:membership_id>/suspendre", methods=["POST"])
def suspend_member(membership_id: int):
    membership = get_or_404(Membership, membership_id)
    form = SuspendForm()
    if not form.validate_on_submit():
        return _render_member(membership, suspend_form=form, status=400)
    reason = form.reason.data.strip()
    try:
        admin_services.suspend_membership(g.territory, membership, current_user, reason)
    except admin_services.AdminError as error:
        db.session.rollback()
        form.reason.errors = [str(error)]
        return _render_member(get_or_404(Membership, membership_id), suspend_form=form, status=400)
    _tell_member(
        membership,
        _l("Votre adhésion à %(name)s est suspendue", name=g.territory.name),
        "membership_suspended",
        reason,
    )
    db.session.commit()
    flash(_("L'adhésion de %(name)s est suspendue.", name=membership.user.display_name), "success")
    return redirect(url_for("admin.member", membership_id=membership.id))


@bp.route("/membres/<int:membership_id>/reactiver", methods=["POST"])
def reactivate_member(membership_id: int):
    membership = get_or_404(Membership, membership_id)
    form = ReactivateForm()
    if not form.validate_on_submit():
        return _render_member(membership, reactivate_form=form, status=400)
    reason = (form.reason.data or "").strip()
    try:
        admin_services.reactivate_membership(g.territory, membership, current_user, reason)
    except admin_services.AdminError as error:
        db.session.rollback()
        form.reason.errors = [str(error)]
        return _render_member(get_or_404(Membership, membership_id), reactivate_form=form, status=400)
    _tell_member(
        membership,
        _l("Votre adhésion à %(name)s est rétablie", name=g.territory.name),
        "membership_reactivated",
        reason,
    )
    db.session.commit()
    flash(_("L'adhésion de %(name)s est rétablie.", name=membership.user.display_name), "success")
    return redirect(url_for("admin.member", membership_id=membership.id))


def _tell_member(membership: Membership, title, template: str, reason: str) -> None:
    notify(
        membership.user,
        MEMBERSHIP_DECISION,
        g.territory,
        membership,
        title=title,
        url=url_for("territory.home"),
        email_template=template,
        reason=reason,
    )


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
    notify(
        user,
        MEMBERSHIP_DECISION,
        g.territory,
        membership,
        title=_l("Votre demande pour rejoindre %(name)s", name=g.territory.name),
        url=url_for("territory.home"),
        email_template="membership_decision",
        membership=membership,
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
