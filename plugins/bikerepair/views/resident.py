"""The resident's side: my appointments (cancel, answer a proposal, add to calendar, write to the repairer), my bikes
and their maintenance booklets. Every view: load (the resident's own, in this territory) → call the service → render."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from platformcoop import clock
from platformcoop.accounts.permissions import permission_required
from platformcoop.admin.forms import ActionForm
from platformcoop.extensions import db
from platformcoop.media.services import media_url
from plugins.bikerepair import bikes, booking, calendar, lifecycle
from plugins.bikerepair.forms_resident import BikeForm, BookletEntryForm
from plugins.bikerepair.models import BIKE_TYPES, HOLDING_STATUSES, PROPOSED, Appointment
from plugins.bikerepair.views import bp

# -- my appointments -------------------------------------------------------------------------------------------------


def _my_appointment_or_404(appointment_id: int) -> Appointment:
    appointment = db.session.scalar(
        select(Appointment).where(
            Appointment.id == appointment_id,
            Appointment.territory_id == g.territory.id,
            Appointment.resident_id == current_user.id,
        )
    )
    if appointment is None:
        abort(404)
    return appointment


@bp.route("/mes-rendez-vous")
@permission_required("territory.use")
def my_appointments():
    return _appointments_page()


def _appointments_page(status: int = 200, refusal: str | None = None, refused_id: int | None = None):
    appointments = db.session.scalars(
        select(Appointment)
        .where(Appointment.territory_id == g.territory.id, Appointment.resident_id == current_user.id)
        .order_by(Appointment.starts_at)
    ).all()
    now = clock.now()
    upcoming = [a for a in appointments if a.ends_at > now and a.status in HOLDING_STATUSES]
    past = [a for a in reversed(appointments) if a not in upcoming]
    page = render_template(
        "bikerepair/resident/appointments.html",
        upcoming=upcoming,
        past=past,
        form=ActionForm(),
        refusal=refusal,
        refused_id=refused_id,
        can_cancel=lambda a: a.starts_at - now >= _deadline(a),
    )
    return page, status


def _deadline(appointment: Appointment) -> timedelta:
    return timedelta(hours=appointment.repairer.cancel_deadline_hours)


def _act(appointment: Appointment, action, done_message: str):
    """Call a lifecycle service on the resident's appointment: commit and flash, or roll back and show the refusal
    on the page (422, or 409 when the appointment changed meanwhile or the slot was just taken)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action()
    except lifecycle.NotAllowed:
        db.session.rollback()
        abort(403)
    except booking.BookingError as error:
        db.session.rollback()
        status = 409 if isinstance(error, booking.SlotTaken | lifecycle.Changed) else 422
        return _appointments_page(status, str(error), appointment.id)
    db.session.commit()
    flash(done_message, "success")
    return redirect(url_for(".my_appointments"))


@bp.route("/mes-rendez-vous/<int:appointment_id>/annuler", methods=["POST"])
@permission_required("territory.use")
def cancel_my_appointment(appointment_id: int):
    appointment = _my_appointment_or_404(appointment_id)
    return _act(
        appointment,
        lambda: booking.cancel_appointment(g.territory, appointment, actor=current_user),
        _("Votre rendez-vous est annulé. Le réparateur est prévenu."),
    )


@bp.route("/mes-rendez-vous/<int:appointment_id>/proposition", methods=["POST"])
@permission_required("territory.use")
def answer_my_proposal(appointment_id: int):
    appointment = _my_appointment_or_404(appointment_id)
    accept = request.form.get("reponse") == "accepter"
    return _act(
        appointment,
        lambda: lifecycle.answer_proposal(g.territory, appointment, actor=current_user, accept=accept),
        _("Vous avez accepté le nouvel horaire : votre rendez-vous est confirmé.")
        if accept
        else _("Vous avez refusé le nouvel horaire : le rendez-vous est annulé."),
    )


@bp.route("/mes-rendez-vous/<int:appointment_id>/agenda.ics")
@permission_required("territory.use")
def my_appointment_ics(appointment_id: int):
    appointment = _my_appointment_or_404(appointment_id)
    # a proposed time is in the calendar as the proposal e-mail put it there, until the resident answers
    start = appointment.proposed_starts_at if appointment.status == PROPOSED else None
    content = calendar.appointment_ics(
        g.territory, appointment, url=url_for(".my_appointments", _external=True), start=start
    )
    return Response(
        content,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{calendar.FILENAME}"'},
    )


# -- my bikes --------------------------------------------------------------------------------------------------------


def _my_bike_or_404(bike_id: int):
    bike = bikes.find_bike(g.territory, current_user, bike_id)
    if bike is None:
        abort(404)
    return bike


@bp.route("/mes-velos")
@permission_required("territory.use")
def my_bikes():
    return render_template(
        "bikerepair/resident/bikes.html",
        bikes=bikes.bikes_of(g.territory, current_user),
        bike_types=BIKE_TYPES,
        media_url=media_url,
    )


def _save_bike(form: BikeForm, action, done_message: str):
    """The POST of the bike form: (redirect, 200) when saved, (None, status) to show the form again."""
    if not form.validate_on_submit():
        return None, 422 if form.is_submitted() else 200
    fields = {"name": form.name.data, "bike_type": form.bike_type.data, "brand": form.brand.data}
    fields["notes"] = form.notes.data
    try:
        bike = action(fields, form.photo.prepared)
    except bikes.BikeError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return None, 422
    db.session.commit()
    flash(done_message, "success")
    return redirect(url_for(".bike", bike_id=bike.id)), 200


@bp.route("/mes-velos/nouveau", methods=["GET", "POST"])
@permission_required("territory.use")
def new_bike():
    form = BikeForm()
    done, status = _save_bike(
        form,
        lambda fields, photo: bikes.create_bike(g.territory, current_user, fields, photo=photo),
        _("Votre vélo est enregistré."),
    )
    if done is not None:
        return done
    return render_template("bikerepair/resident/bike_form.html", form=form, bike=None), status


@bp.route("/mes-velos/<int:bike_id>/modifier", methods=["GET", "POST"])
@permission_required("territory.use")
def edit_bike(bike_id: int):
    bike = _my_bike_or_404(bike_id)
    form = BikeForm(obj=bike)

    def update(fields, photo):
        bikes.update_bike(g.territory, bike, current_user, fields, photo=photo)
        return bike

    done, status = _save_bike(form, update, _("Votre vélo est modifié."))
    if done is not None:
        return done
    return render_template("bikerepair/resident/bike_form.html", form=form, bike=bike), status


@bp.route("/mes-velos/<int:bike_id>/supprimer", methods=["GET", "POST"])
@permission_required("territory.use")
def delete_bike(bike_id: int):
    """GET asks for confirmation; POST deletes the bike and its booklet."""
    bike = _my_bike_or_404(bike_id)
    form = ActionForm()
    if form.validate_on_submit():
        bikes.delete_bike(g.territory, bike, current_user)
        db.session.commit()
        flash(_("Le vélo et son carnet d'entretien sont supprimés."), "success")
        return redirect(url_for(".my_bikes"))
    return render_template("bikerepair/resident/bike_delete.html", bike=bike, form=form)


@bp.route("/mes-velos/<int:bike_id>", methods=["GET", "POST"])
@permission_required("territory.use")
def bike(bike_id: int):
    """The bike and its maintenance booklet; the form at the bottom adds an entry (POST)."""
    bike = _my_bike_or_404(bike_id)
    form = BookletEntryForm()
    status = 200
    if request.method == "GET" and form.done_on.data is None:
        form.done_on.data = clock.now().astimezone(_tz()).date()
    if form.validate_on_submit():
        try:
            bikes.add_booklet_entry(
                g.territory,
                bike,
                current_user,
                done_on=form.done_on.data,
                work=form.work.data,
                parts=form.parts.data or "",
                price_cents=form.price.cents,
                photo=form.photo.prepared,
            )
        except bikes.BikeError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
            status = 422
        else:
            db.session.commit()
            flash(_("L'entrée est ajoutée au carnet d'entretien."), "success")
            return redirect(url_for(".bike", bike_id=bike.id))
    elif form.is_submitted():
        status = 422
    page = render_template(
        "bikerepair/resident/bike.html",
        bike=bike,
        form=form,
        bike_types=BIKE_TYPES,
        media_url=media_url,
        bikerepair_tab="bikerepair.my_bikes",
    )
    return page, status


def _tz() -> ZoneInfo:
    return ZoneInfo(g.territory.timezone)
