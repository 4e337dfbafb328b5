"""The back office's daily tools for the whole staff: the agenda (day and week, the places held per grid slot), the
staff-entered booking (a phone call, a walk-in), the customers and their bikes, and the CSV export.

Everything is read through ``agenda.py``, scoped to the repairer the user works for (404 otherwise).
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from platformcoop.accounts.models import User
from platformcoop.accounts.permissions import permission_required
from platformcoop.admin.exports import csv_response
from platformcoop.extensions import db
from platformcoop.hours.forms import parse_time
from platformcoop.hours.services import wall_to_utc
from platformcoop.tenancy.models import MEMBERSHIP_ACTIVE, Membership
from plugins.bikerepair import agenda, booking
from plugins.bikerepair.forms_common import choices
from plugins.bikerepair.forms_staff import RESIDENT, StaffBookingForm
from plugins.bikerepair.models import BIKE_TYPES, RepairService
from plugins.bikerepair.views import bp
from plugins.bikerepair.views.backoffice import attempt, load_repairer, parse_instant, render, slot_label

WEEK = "semaine"
CSV_MAX_DAYS = 366


def _day_arg(name: str, default: date) -> date:
    try:
        return date.fromisoformat(request.args.get(name) or "")
    except ValueError:
        return default


# -- agenda ------------------------------------------------------------------------------------------------------------


@bp.route("/atelier/<int:repairer_id>/agenda")
@permission_required("territory.use")
def repairer_agenda(repairer_id: int):
    repairer = load_repairer(repairer_id)
    day = _day_arg("jour", agenda.today(g.territory))
    week = request.args.get("vue") == WEEK
    first = day - timedelta(days=day.weekday()) if week else day
    days = 7 if week else 1
    return render(
        "agenda.html",
        repairer,
        days=agenda.agenda(g.territory, repairer, first, days),
        week=week,
        day=day,
        previous=first - timedelta(days=days),
        following=first + timedelta(days=days),
    )


# -- staff-entered booking ---------------------------------------------------------------------------------------------


def _services(repairer) -> list[RepairService]:
    return [service for service in repairer.services if service.active]


def _slot_choices(repairer, service: RepairService | None, day: date | None) -> list[tuple[str, str]]:
    if service is None or day is None:
        return []
    start, end = agenda.day_bounds(g.territory, day)
    return [
        (slot.isoformat(), slot_label(slot))
        for slot in booking.repairer_slots(g.territory, repairer, service, start=start, end=end)
    ]


def _resident_by_email(email: str) -> User | None:
    """A member of this territory with that address (the staff book for residents of the territory only)."""
    return db.session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            func.lower(User.email) == email.strip().lower(),
            Membership.territory_id == g.territory.id,
            Membership.status == MEMBERSHIP_ACTIVE,
            User.disabled.is_(False),
        )
    )


def _starts_at(form):
    """The chosen slot, or the typed time on the chosen day (None, with the error on the field, when unreadable)."""
    if form.slot.data:
        instant = parse_instant(form.slot.data)
        if instant is None:
            form.slot.errors.append(_("Choisissez un créneau dans la liste."))
        return instant
    try:
        minute = parse_time(form.time.data)
    except ValueError:
        form.time.errors.append(_("Indiquez une heure comme 14:30."))
        return None
    return wall_to_utc(form.day.data, minute, agenda.tz_of(g.territory))


def _book(repairer, form, service, resident, starts_at):
    return booking.book_appointment(
        g.territory,
        repairer,
        service,
        starts_at,
        resident=resident,
        walk_in_name="" if resident is not None else form.walk_in_name.data or "",
        walk_in_phone="" if resident is not None else form.walk_in_phone.data or "",
        description=form.description.data or "",
        actor=current_user,
        override=bool(form.override.data),
    )


@bp.route("/atelier/<int:repairer_id>/nouveau-rendez-vous", methods=["GET", "POST"])
@permission_required("territory.use")
def staff_booking(repairer_id: int):
    repairer = load_repairer(repairer_id)
    services = _services(repairer)
    form = StaffBookingForm()
    form.service.choices = choices((service.id, service.name) for service in services)
    if request.method == "GET":
        form.day.data = _day_arg("jour", agenda.today(g.territory))
        form.service.data = request.args.get("prestation", type=int) or (services[0].id if services else None)
    service = next((s for s in services if s.id == form.service.data), None)
    form.slot.choices = choices([("", _("Choisissez un créneau")), *_slot_choices(repairer, service, form.day.data)])
    status = 200
    if form.validate_on_submit():
        resident = None
        if form.who.data == RESIDENT:
            resident = _resident_by_email(form.resident_email.data)
            if resident is None:
                form.resident_email.errors.append(_("Aucun habitant du territoire n'est inscrit avec cette adresse."))
        starts_at = _starts_at(form)
        if service is not None and starts_at is not None and not (form.who.data == RESIDENT and resident is None):
            appointment, error = attempt(lambda: _book(repairer, form, service, resident, starts_at))
            if error is None:
                db.session.commit()
                flash(_("Le rendez-vous est enregistré."), "success")
                return redirect(
                    url_for("bikerepair.staff_appointment", repairer_id=repairer.id, appointment_id=appointment.id)
                )
            form.form_errors.append(str(error))
        status = 422
    elif form.is_submitted():
        status = 422
    db.session.rollback()
    return render("new_appointment.html", repairer, status, form=form, services=services)


# -- customers ---------------------------------------------------------------------------------------------------------


@bp.route("/atelier/<int:repairer_id>/clients")
@permission_required("territory.use")
def customers(repairer_id: int):
    repairer = load_repairer(repairer_id)
    return render(
        "customers.html",
        repairer,
        residents=agenda.resident_customers(repairer),
        walk_ins=agenda.walk_in_customers(repairer),
    )


@bp.route("/atelier/<int:repairer_id>/clients/<int:user_id>")
@permission_required("territory.use")
def customer(repairer_id: int, user_id: int):
    repairer = load_repairer(repairer_id)
    person = agenda.customer(repairer, user_id)
    if person is None:
        abort(404)
    bikes = agenda.customer_bikes(repairer, user_id)
    return render(
        "customer.html",
        repairer,
        person=person,
        appointments=agenda.customer_appointments(repairer, user_id),
        bikes=bikes,
        entries=agenda.entries_by(repairer, [bike.id for bike in bikes]),
    )


@bp.route("/atelier/<int:repairer_id>/clients/velos/<int:bike_id>")
@permission_required("territory.use")
def customer_bike(repairer_id: int, bike_id: int):
    repairer = load_repairer(repairer_id)
    bike = agenda.customer_bike(repairer, bike_id)
    if bike is None or bike.territory_id != g.territory.id:
        abort(404)
    return render(
        "bike.html",
        repairer,
        bike=bike,
        bike_type_label=str(BIKE_TYPES.get(bike.bike_type, bike.bike_type)),
        entries=agenda.entries_by(repairer, [bike.id]),
    )


# -- CSV ---------------------------------------------------------------------------------------------------------------


@bp.route("/atelier/<int:repairer_id>/rendez-vous.csv")
@permission_required("territory.use")
def appointments_csv(repairer_id: int):
    repairer = load_repairer(repairer_id)
    today = agenda.today(g.territory)
    first = _day_arg("du", today - timedelta(days=30))
    last = _day_arg("au", today + timedelta(days=60))
    if last < first or (last - first).days > CSV_MAX_DAYS:
        abort(400)
    header = [
        _("Date"),
        _("Heure"),
        _("Fin"),
        _("Prestation"),
        _("Statut"),
        _("Client"),
        _("Téléphone"),
        _("Vélo"),
        _("Type de vélo"),
        _("Description"),
        _("Créé le"),
    ]
    rows = list(agenda.csv_rows(g.territory, repairer, first, last))
    return csv_response(
        f"rendez-vous-{first.isoformat()}-{last.isoformat()}.csv", header, rows, timezone=g.territory.timezone
    )
