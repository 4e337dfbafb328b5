"""The repairer's back office: choosing the repairer, setting up booking, the home page (requests to handle, today)
and an appointment's page with the staff's actions (accept, refuse, propose another time, cancel, done, no-show).

Access: a user sees the repairers whose organisation they are staff of; any other repairer, and any appointment of
another repairer, answers 404. Employees handle appointments; only owners change the settings
(``backoffice_settings.py``: 403 for employees). Load → check → call the service → commit or roll back; a refusal
(``BookingError``) is shown in French with 422 (409 when the appointment changed meanwhile, 403 when not allowed),
and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from platformcoop import clock
from platformcoop.accounts.permissions import permission_required
from platformcoop.admin.forms import ActionForm
from platformcoop.extensions import db
from platformcoop.media.services import store_image
from platformcoop.organisations.models import OWNER, Organisation
from platformcoop.organisations.services import is_staff, organisations_of
from platformcoop.tenancy import get_or_404
from platformcoop.web import current_locale
from plugins.bikerepair import access, agenda, booking, lifecycle, repairers
from plugins.bikerepair.forms_common import choices
from plugins.bikerepair.forms_staff import CancelForm, DoneForm, ProposeForm, RefuseForm
from plugins.bikerepair.models import Appointment, Repairer
from plugins.bikerepair.views import bp

TAB = "bikerepair.backoffice"
PROPOSAL_DAYS = 14  # how far ahead the "propose another time" list looks
PROPOSAL_MAX = 120  # and how many slots it shows at most


# -- shared by the back office's pages ---------------------------------------------------------------------------------


def load_repairer(repairer_id: int, *, owner: bool = False) -> Repairer:
    """The repairer ``repairer_id`` when the current user works for it (else 404: another's back office does not
    exist for them); ``owner``: 403 for its employees."""
    repairer = get_or_404(Repairer, repairer_id)
    if not any(mine.id == repairer.id for mine in access.staff_repairers(g.territory, current_user)):
        abort(404)
    if owner and not is_owner(repairer):
        abort(403)
    return repairer


def is_owner(repairer: Repairer) -> bool:
    return is_staff(current_user, repairer.organisation, OWNER)


def load_appointment(repairer: Repairer, appointment_id: int) -> Appointment:
    appointment = get_or_404(Appointment, appointment_id)
    if appointment.repairer_id != repairer.id:
        abort(404)
    return appointment


def render(template: str, repairer: Repairer | None = None, status: int = 200, **context):
    context.setdefault("bikerepair_tab", TAB)
    if repairer is not None:
        context.update(repairer=repairer, owner=is_owner(repairer))
    return render_template(f"bikerepair/backoffice/{template}", **context), status


def refusal_status(error: booking.BookingError) -> int:
    if isinstance(error, lifecycle.NotAllowed):
        return 403
    if isinstance(error, lifecycle.Changed):
        return 409
    return 422


def attempt(action: Callable[[], object]) -> tuple[object, booking.BookingError | None]:
    """Call a service: (its result, None) — the caller commits — or (None, its refusal) after a rollback."""
    try:
        return action(), None
    except booking.BookingError as error:
        db.session.rollback()
        return None, error


def slot_label(instant: datetime) -> str:
    """ "mardi 2 juin 2026 à 10:00", in the territory's time."""
    return format_datetime(
        instant, "EEEE d MMMM y 'à' HH:mm", tzinfo=ZoneInfo(g.territory.timezone), locale=current_locale()
    )


def parse_instant(text: str | None) -> datetime | None:
    try:
        instant = datetime.fromisoformat(text or "")
    except ValueError:
        return None
    return instant if instant.tzinfo is not None else None


# -- choosing the repairer, setting up booking -------------------------------------------------------------------------


@bp.route("/atelier/")
@permission_required("territory.use")
def backoffice():
    mine = access.staff_repairers(g.territory, current_user)
    to_open = [
        organisation
        for organisation in organisations_of(current_user, g.territory, OWNER)
        if organisation.kind == repairers.REPAIRER_ORGANISATION_KIND and repairers.repairer_of(organisation) is None
    ]
    if len(mine) == 1 and not to_open:
        return redirect(url_for("bikerepair.repairer_home", repairer_id=mine[0].id))
    return render("choose.html", repairers=mine, to_open=to_open, action_form=ActionForm(formdata=None))


@bp.route("/atelier/ouvrir/<int:organisation_id>", methods=["POST"])
@permission_required("territory.use")
def open_booking(organisation_id: int):
    organisation = get_or_404(Organisation, organisation_id)
    if not is_staff(current_user, organisation, OWNER):
        abort(403)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        repairer = repairers.ensure_repairer(g.territory, organisation, actor=current_user)
    except repairers.RepairerError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("bikerepair.backoffice"))
    db.session.commit()
    flash(_("La prise de rendez-vous est ouverte. Réglez vos règles, vos prestations et vos horaires."), "success")
    return redirect(url_for("bikerepair.repairer_rules", repairer_id=repairer.id))


# -- the repairer's home -----------------------------------------------------------------------------------------------


@bp.route("/atelier/<int:repairer_id>/")
@permission_required("territory.use")
def repairer_home(repairer_id: int):
    repairer = load_repairer(repairer_id)
    day = agenda.today(g.territory)
    start, end = agenda.day_bounds(g.territory, day)
    return render(
        "home.html",
        repairer,
        pending=agenda.pending_requests(repairer),
        today=agenda.appointments_between(repairer, start, end),
        counts=agenda.upcoming_counts(repairer),
        action_form=ActionForm(formdata=None),
    )


# -- an appointment ----------------------------------------------------------------------------------------------------


def _proposal_choices(repairer: Repairer, appointment: Appointment) -> list[tuple[str, str]]:
    now = clock.now()
    slots = booking.repairer_slots(
        g.territory, repairer, appointment.service, end=now + timedelta(days=PROPOSAL_DAYS), now=now
    )
    return [(slot.isoformat(), slot_label(slot)) for slot in slots[:PROPOSAL_MAX] if slot != appointment.starts_at]


def _render_appointment(repairer, appointment, status=200, **forms):
    propose_form = forms.get("propose_form") or ProposeForm(formdata=None, prefix="proposer")
    slots = _proposal_choices(repairer, appointment)
    propose_form.new_start.choices = choices([("", _("Choisissez un horaire")), *slots])
    bike = appointment.bike
    return render(
        "appointment.html",
        repairer,
        status,
        appointment=appointment,
        booklet=list(bike.booklet) if bike is not None else [],
        action_form=ActionForm(formdata=None),
        refuse_form=forms.get("refuse_form") or RefuseForm(formdata=None, prefix="refuser"),
        propose_form=propose_form,
        cancel_form=forms.get("cancel_form") or CancelForm(formdata=None, prefix="annuler"),
        done_form=forms.get("done_form") or DoneForm(formdata=None, prefix="realise"),
        error=forms.get("error"),
        now=clock.now(),
    )


@bp.route("/atelier/<int:repairer_id>/rendez-vous/<int:appointment_id>")
@permission_required("territory.use")
def staff_appointment(repairer_id: int, appointment_id: int):
    repairer = load_repairer(repairer_id)
    return _render_appointment(repairer, load_appointment(repairer, appointment_id))


def _act(repairer_id: int, appointment_id: int, form_class, prefix: str, action, done_message: str):
    """The POST of one action: validate ``form_class``, run ``action(appointment, form)``, commit and go back; or
    show the appointment again with the refusal (nothing written)."""
    repairer = load_repairer(repairer_id)
    appointment = load_appointment(repairer, appointment_id)
    form = form_class(prefix=prefix) if prefix else form_class()
    if not form.validate_on_submit():
        db.session.rollback()
        return _render_appointment(repairer, appointment, 422, **{_form_key(prefix): form})
    _result, error = attempt(lambda: action(appointment, form))
    if error is not None:
        if isinstance(error, lifecycle.NotAllowed):
            abort(403)
        appointment = load_appointment(repairer, appointment_id)
        return _render_appointment(repairer, appointment, refusal_status(error), error=str(error))
    db.session.commit()
    flash(done_message, "success")
    if request.form.get("retour") == "accueil":
        return redirect(url_for("bikerepair.repairer_home", repairer_id=repairer.id))
    return redirect(url_for("bikerepair.staff_appointment", repairer_id=repairer.id, appointment_id=appointment.id))


def _form_key(prefix: str) -> str:
    return {"refuser": "refuse_form", "proposer": "propose_form", "annuler": "cancel_form", "realise": "done_form"}.get(
        prefix, "unused_form"
    )


@bp.route("/atelier/<int:repairer_id>/rendez-vous/<int:appointment_id>/accepter", methods=["POST"])
@permission_required("territory.use")
def accept_appointment(repairer_id: int, appointment_id: int):
    return _act(
        repairer_id,
        appointment_id,
        ActionForm,
        "",
        lambda appointment, form: lifecycle.accept(g.territory, appointment, actor=current_user),
        _("Le rendez-vous est confirmé ; la personne est prévenue."),
    )


@bp.route("/atelier/<int:repairer_id>/rendez-vous/<int:appointment_id>/refuser", methods=["POST"])
@permission_required("territory.use")
def refuse_appointment(repairer_id: int, appointment_id: int):
    return _act(
        repairer_id,
        appointment_id,
        RefuseForm,
        "refuser",
        lambda appointment, form: lifecycle.refuse(
            g.territory, appointment, actor=current_user, message=form.message.data
        ),
        _("La demande est refusée ; la personne est prévenue."),
    )


def _propose(appointment, form):
    new_start = parse_instant(form.new_start.data)
    if new_start is None:
        raise booking.BookingError(_("Choisissez un horaire dans la liste."))
    lifecycle.propose(g.territory, appointment, new_start, actor=current_user, message=form.message.data or "")


@bp.route("/atelier/<int:repairer_id>/rendez-vous/<int:appointment_id>/proposer", methods=["POST"])
@permission_required("territory.use")
def propose_appointment(repairer_id: int, appointment_id: int):
    return _act(
        repairer_id,
        appointment_id,
        ProposeForm,
        "proposer",
        _propose,
        _("Le nouvel horaire est proposé ; la personne doit l'accepter."),
    )


@bp.route("/atelier/<int:repairer_id>/rendez-vous/<int:appointment_id>/annuler", methods=["POST"])
@permission_required("territory.use")
def cancel_appointment(repairer_id: int, appointment_id: int):
    return _act(
        repairer_id,
        appointment_id,
        CancelForm,
        "annuler",
        lambda appointment, form: booking.cancel_appointment(
            g.territory, appointment, actor=current_user, reason=form.reason.data
        ),
        _("Le rendez-vous est annulé ; la personne est prévenue."),
    )


def _done(appointment, form):
    entry = lifecycle.mark_done(
        g.territory,
        appointment,
        actor=current_user,
        work_done=form.work_done.data,
        parts=form.parts.data or "",
        price_cents=form.price.cents,
    )
    if entry is not None and form.photo.prepared is not None:
        # public like the workshop's photos: the resident sees it in their booklet (an unguessable address)
        entry.photo_id = store_image(form.photo.prepared, g.territory, current_user, purpose="bikerepair.booklet").id
    return entry


@bp.route("/atelier/<int:repairer_id>/rendez-vous/<int:appointment_id>/realise", methods=["POST"])
@permission_required("territory.use")
def done_appointment(repairer_id: int, appointment_id: int):
    return _act(
        repairer_id,
        appointment_id,
        DoneForm,
        "realise",
        _done,
        _("La réparation est notée dans le carnet du vélo."),
    )


@bp.route("/atelier/<int:repairer_id>/rendez-vous/<int:appointment_id>/absent", methods=["POST"])
@permission_required("territory.use")
def no_show_appointment(repairer_id: int, appointment_id: int):
    return _act(
        repairer_id,
        appointment_id,
        ActionForm,
        "",
        lambda appointment, form: lifecycle.mark_no_show(g.territory, appointment, actor=current_user),
        _("L'absence est notée."),
    )
