"""The owners' settings in the back office: booking rules, closures (with what happens to the appointments they
cover), services, profile and photos; and the staff list. Employees get 403 on everything here but the staff list.

Opening hours, the organisation's name and address, and the invitations are the core's pages (linked from here):
one place for each thing.
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from platformcoop import clock
from platformcoop.accounts.permissions import permission_required
from platformcoop.admin.forms import ActionForm
from platformcoop.extensions import db
from platformcoop.hours import services as hours
from platformcoop.hours.formatting import describe_period
from platformcoop.hours.forms import ClosureForm, parse_time
from platformcoop.hours.models import MINUTES_PER_DAY
from platformcoop.organisations.models import OrganisationStaff
from platformcoop.organisations.services import opening_schedule
from platformcoop.web import current_locale
from plugins.bikerepair import booking, closures, repairers
from plugins.bikerepair.agenda import tz_of
from plugins.bikerepair.forms_staff import PhotoForm, ProfileForm, RulesForm, ServiceForm
from plugins.bikerepair.models import RepairerPhoto, RepairService
from plugins.bikerepair.views import bp
from plugins.bikerepair.views.backoffice import (
    attempt,
    load_repairer,
    parse_instant,
    refusal_status,
    render,
    slot_label,
)

CLOSURES_AHEAD_DAYS = 730


# -- rules -------------------------------------------------------------------------------------------------------------


@bp.route("/atelier/<int:repairer_id>/regles", methods=["GET", "POST"])
@permission_required("territory.use")
def repairer_rules(repairer_id: int):
    repairer = load_repairer(repairer_id, owner=True)
    form = RulesForm(obj=repairer)
    if form.validate_on_submit():
        values = {name: form[name].data for name in repairers.RULE_FIELDS}
        _changes, error = attempt_repairer(lambda: repairers.update_rules(g.territory, repairer, values, current_user))
        if error is None:
            db.session.commit()
            flash(_("Les règles de réservation sont enregistrées."), "success")
            return redirect(url_for("bikerepair.repairer_rules", repairer_id=repairer.id))
        form.form_errors.append(error)
    status = 422 if form.is_submitted() else 200
    db.session.rollback()
    return render("rules.html", repairer, status, form=form)


def attempt_repairer(action):
    try:
        return action(), None
    except repairers.RepairerError as error:
        db.session.rollback()
        return None, str(error)


# -- closures ----------------------------------------------------------------------------------------------------------


def _closure_instants(form, tz):
    start_minute = parse_time(form.start_time.data) if (form.start_time.data or "").strip() else 0
    end_minute = parse_time(form.end_time.data, is_end=True) if (form.end_time.data or "").strip() else MINUTES_PER_DAY
    return (
        hours.wall_to_utc(form.start_date.data, start_minute, tz),
        hours.wall_to_utc(form.end_date.data, end_minute, tz, latest=True),
    )


def _render_closures(repairer, form=None, status=200):
    schedule = opening_schedule(repairer.organisation)
    tz = hours.zone_of(schedule)
    now = clock.now()
    listed = [
        (closure, describe_period(_period(closure, tz), tz, current_locale()))
        for closure in hours.closures_between(schedule, now, now + timedelta(days=CLOSURES_AHEAD_DAYS))
    ]
    return render(
        "closures.html",
        repairer,
        status,
        closures=listed,
        form=form or ClosureForm(formdata=None),
        action_form=ActionForm(formdata=None),
    )


def _period(closure, tz):
    whole = hours.is_whole_days(closure.starts_at, closure.ends_at, tz)
    return hours.ClosedPeriod(closure.starts_at, closure.ends_at, closure.reason, whole)


@bp.route("/atelier/<int:repairer_id>/fermetures")
@permission_required("territory.use")
def repairer_closures(repairer_id: int):
    return _render_closures(load_repairer(repairer_id, owner=True))


def _other_slots(repairer, appointment, start, end):
    """The times one may propose instead: the service's free slots that do not touch the new closure."""
    length = timedelta(minutes=appointment.service.duration_minutes + repairer.buffer_minutes)
    slots = booking.repairer_slots(g.territory, repairer, appointment.service)
    return [(slot.isoformat(), slot_label(slot)) for slot in slots if slot + length <= start or slot >= end][:120]


def _decisions() -> dict:
    """The owner's choice for each appointment the confirmation page listed (``rdv``: their ids)."""
    decisions = {}
    for value in request.form.getlist("rdv"):
        if not value.isdigit():
            continue
        choice = request.form.get(f"choix-{value}", closures.CANCEL)
        new_start = parse_instant(request.form.get(f"horaire-{value}"))
        decisions[int(value)] = (closures.PROPOSE if choice == closures.PROPOSE else closures.CANCEL, new_start)
    return decisions


@bp.route("/atelier/<int:repairer_id>/fermetures", methods=["POST"])
@permission_required("territory.use")
def add_closure(repairer_id: int):
    repairer = load_repairer(repairer_id, owner=True)
    form = ClosureForm()
    if not form.validate_on_submit():
        db.session.rollback()
        return _render_closures(repairer, form, 422)
    start, end = _closure_instants(form, tz_of(g.territory))
    if end <= start:
        form.end_date.errors.append(_("La fin de la fermeture doit être après son début."))
        return _render_closures(repairer, form, 422)
    covered = closures.appointments_under(g.territory, repairer, start, end)
    confirmed = request.form.get("confirmer") == "1"
    if covered and not confirmed:
        return _render_confirmation(repairer, form, covered, start, end)
    decisions = _decisions() if confirmed else {}
    reason = form.reason.data or ""
    _closure, error = attempt(
        lambda: closures.add_closure(g.territory, repairer, start, end, reason, current_user, decisions)
    )
    if error is None:
        db.session.commit()
        flash(
            _("La fermeture est enregistrée ; les personnes concernées sont prévenues.")
            if covered
            else _("La fermeture est enregistrée."),
            "success",
        )
        return redirect(url_for("bikerepair.repairer_closures", repairer_id=repairer.id))
    covered = closures.appointments_under(g.territory, repairer, start, end)
    status = 409 if isinstance(error, closures.ClosureChanged) else refusal_status(error)
    return _render_confirmation(repairer, form, covered, start, end, error=str(error), status=status)


def _render_confirmation(repairer, form, covered, start, end, *, error=None, status=200):
    choices = {appointment.id: _other_slots(repairer, appointment, start, end) for appointment in covered}
    tz = tz_of(g.territory)
    period = hours.ClosedPeriod(start, end, form.reason.data or "", hours.is_whole_days(start, end, tz))
    return render(
        "closure_confirm.html",
        repairer,
        status,
        form=form,
        covered=covered,
        choices=choices,
        start=start,
        end=end,
        period=describe_period(period, tz, current_locale()),
        error=error,
        cancel=closures.CANCEL,
        propose=closures.PROPOSE,
    )


@bp.route("/atelier/<int:repairer_id>/fermetures/<int:closure_id>/supprimer", methods=["POST"])
@permission_required("territory.use")
def remove_closure(repairer_id: int, closure_id: int):
    repairer = load_repairer(repairer_id, owner=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    if not closures.remove_closure(g.territory, repairer, closure_id, current_user):
        abort(404)
    db.session.commit()
    flash(_("La fermeture est supprimée : ses créneaux sont de nouveau proposés."), "success")
    return redirect(url_for("bikerepair.repairer_closures", repairer_id=repairer.id))


# -- services ----------------------------------------------------------------------------------------------------------


def _service_values(form) -> dict:
    return {
        "name": form.name.data,
        "duration_minutes": form.duration_minutes.data,
        "price_cents": form.price.cents,
        "active": bool(form.active.data),
        "position": form.position.data,
    }


@bp.route("/atelier/<int:repairer_id>/prestations", methods=["GET", "POST"])
@permission_required("territory.use")
def repairer_services(repairer_id: int):
    repairer = load_repairer(repairer_id, owner=True)
    form = ServiceForm() if request.method == "POST" else ServiceForm(formdata=None)
    if form.validate_on_submit():
        _service, error = attempt_repairer(
            lambda: repairers.add_service(g.territory, repairer, _service_values(form), current_user)
        )
        if error is None:
            db.session.commit()
            flash(_("La prestation est ajoutée."), "success")
            return redirect(url_for("bikerepair.repairer_services", repairer_id=repairer.id))
        form.form_errors.append(error)
    status = 422 if form.is_submitted() else 200
    db.session.rollback()
    return render("services.html", repairer, status, form=form, services=repairer.services)


@bp.route("/atelier/<int:repairer_id>/prestations/<int:service_id>", methods=["GET", "POST"])
@permission_required("territory.use")
def edit_service(repairer_id: int, service_id: int):
    repairer = load_repairer(repairer_id, owner=True)
    service = db.session.scalar(
        select(RepairService).where(RepairService.id == service_id, RepairService.repairer_id == repairer.id)
    )
    if service is None:
        abort(404)
    form = ServiceForm(obj=service)
    if request.method == "GET":
        form.price.data = (
            f"{service.price_cents / 100:.2f}".replace(".", ",") if service.price_cents is not None else ""
        )
    if form.validate_on_submit():
        _changes, error = attempt_repairer(
            lambda: repairers.update_service(g.territory, repairer, service, _service_values(form), current_user)
        )
        if error is None:
            db.session.commit()
            flash(_("La prestation est enregistrée."), "success")
            return redirect(url_for("bikerepair.repairer_services", repairer_id=repairer.id))
        form.form_errors.append(error)
    status = 422 if form.is_submitted() else 200
    db.session.rollback()
    return render("service.html", repairer, status, form=form, service=service)


# -- profile and photos ------------------------------------------------------------------------------------------------


def _render_profile(repairer, form=None, photo_form=None, status=200):
    if form is None:
        form = ProfileForm(formdata=None, obj=repairer)
        form.paused.data = not repairer.enabled
    return render(
        "profile.html",
        repairer,
        status,
        form=form,
        photo_form=photo_form or PhotoForm(formdata=None),
        action_form=ActionForm(formdata=None),
    )


@bp.route("/atelier/<int:repairer_id>/profil", methods=["GET", "POST"])
@permission_required("territory.use")
def repairer_profile(repairer_id: int):
    repairer = load_repairer(repairer_id, owner=True)
    if request.method == "GET":
        return _render_profile(repairer)
    form = ProfileForm()
    if form.validate_on_submit():
        values = {
            "kind": form.kind.data,
            "bike_types": form.bike_types.data or [],
            "served_communes": form.served_communes.data,
            "radius_km": form.radius_km.data,
            "payment_notes": form.payment_notes.data,
            "enabled": not form.paused.data,
        }
        _changes, error = attempt_repairer(
            lambda: repairers.update_profile(g.territory, repairer, values, current_user)
        )
        if error is None:
            db.session.commit()
            flash(_("Le profil est enregistré."), "success")
            return redirect(url_for("bikerepair.repairer_profile", repairer_id=repairer.id))
        form.form_errors.append(error)
    db.session.rollback()
    return _render_profile(repairer, form=form, status=422)


@bp.route("/atelier/<int:repairer_id>/profil/photos", methods=["POST"])
@permission_required("territory.use")
def add_repairer_photo(repairer_id: int):
    repairer = load_repairer(repairer_id, owner=True)
    form = PhotoForm()
    if form.validate_on_submit():
        repairers.add_photo(g.territory, repairer, form.photo.prepared, form.caption.data or "", current_user)
        db.session.commit()
        flash(_("La photo est ajoutée."), "success")
        return redirect(url_for("bikerepair.repairer_profile", repairer_id=repairer.id))
    db.session.rollback()
    return _render_profile(repairer, photo_form=form, status=422)


@bp.route("/atelier/<int:repairer_id>/profil/photos/<int:photo_id>/supprimer", methods=["POST"])
@permission_required("territory.use")
def remove_repairer_photo(repairer_id: int, photo_id: int):
    repairer = load_repairer(repairer_id, owner=True)
    photo = db.session.scalar(
        select(RepairerPhoto).where(RepairerPhoto.id == photo_id, RepairerPhoto.repairer_id == repairer.id)
    )
    if photo is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    repairers.remove_photo(g.territory, repairer, photo, current_user)
    db.session.commit()
    flash(_("La photo est retirée."), "success")
    return redirect(url_for("bikerepair.repairer_profile", repairer_id=repairer.id))


# -- staff -------------------------------------------------------------------------------------------------------------


@bp.route("/atelier/<int:repairer_id>/equipe")
@permission_required("territory.use")
def repairer_staff(repairer_id: int):
    repairer = load_repairer(repairer_id)
    members = db.session.scalars(
        select(OrganisationStaff)
        .options(joinedload(OrganisationStaff.user))
        .where(OrganisationStaff.organisation_id == repairer.organisation_id)
        .order_by(OrganisationStaff.role, OrganisationStaff.id)
    ).all()
    return render("staff.html", repairer, members=members)
