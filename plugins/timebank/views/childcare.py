"""Childcare: children and emergency contact, asking to offer childcare, sessions. The coordinators' vetting and
disputes queues are in ``childcare_queues.py``.

Every view: load (scoped by territory) → check who may see it (404) and who may do it (403) → call the service →
commit, or roll back and show the French refusal with a 4xx status.
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from platformcoop.accounts.permissions import permission_required
from platformcoop.admin.forms import ActionForm
from platformcoop.clock import now
from platformcoop.extensions import db
from platformcoop.tenancy import get_or_404, scoped_select
from platformcoop.web import current_locale
from plugins.timebank import childcare, services
from plugins.timebank.forms_childcare import (
    ChildForm,
    DeclareForm,
    EmergencyContactForm,
    OptionalReasonForm,
    ReasonForm,
    SessionRequestForm,
    VettingRequestForm,
    choices,
)
from plugins.timebank.models import CHILDCARE_REFUSED, CHILDCARE_REQUESTED, CHILDCARE_VERIFIED, Account, Child, Session
from plugins.timebank.services import TimebankError
from plugins.timebank.views import bp
from plugins.timebank.views.common import attempt, member_account_or_redirect, refusal_status, save_form

TAB = "timebank.childcare"


def _my_account():
    """(the member's account, None), or (None, the redirect to the account page where they open it)."""
    return member_account_or_redirect(
        _("Ouvrez d'abord votre compte de temps : c'est la première étape de la banque de temps.")
    )


def _when(session: Session, actual: bool = False) -> str:
    start, end = (session.actual_start, session.actual_end) if actual else (session.starts_at, session.ends_at)
    return childcare.period_label(g.territory, start, end, current_locale())


def page_helpers() -> dict:
    return {
        "when": _when,
        "status_labels": childcare.STATUS_LABELS,
        "place_labels": childcare.PLACE_LABELS,
        "account_label": services.account_label,
        "age_label": lambda child: childcare.child_age_label(g.territory, child),
    }


# -- the childcare home -----------------------------------------------------------------------------------------------


@bp.route("/garde/", endpoint="childcare")
@permission_required("territory.use")
def childcare_home():
    account, refused = _my_account()
    if refused is not None:
        return refused
    return render_template(
        "timebank/childcare/home.html",
        account=account,
        children=childcare.children_of(g.territory, account),
        sessions=childcare.sessions_of(g.territory, account),
        caregivers=childcare.verified_caregivers(g.territory, exclude=account),
        obstacles=childcare.booking_obstacles(g.territory, account),
        timebank_tab=TAB,
        **page_helpers(),
    )


@bp.route("/garde/proposer", methods=["GET", "POST"])
@permission_required("territory.use")
def ask_vetting():
    account, refused = _my_account()
    if refused is not None:
        return refused
    form = VettingRequestForm()
    status = 200
    if account.childcare_status in (CHILDCARE_REQUESTED, CHILDCARE_VERIFIED):
        form = None  # the page says where the request stands
        status = 409 if request.method == "POST" else 200
    else:
        done, status = save_form(
            form,
            lambda: childcare.request_vetting(g.territory, account, form.note.data),
            _("Votre demande est envoyée. Un coordinateur va vous contacter pour vous rencontrer."),
            lambda _result: url_for("timebank.childcare"),
        )
        if done is not None:
            return done
    return (
        render_template(
            "timebank/childcare/ask_vetting.html",
            account=account,
            form=form,
            refused=account.childcare_status == CHILDCARE_REFUSED,
            timebank_tab=TAB,
        ),
        status,
    )


# -- children and the emergency contact ------------------------------------------------------------------------------


def _my_child(account: Account, child_id: int) -> Child:
    child = get_or_404(Child, child_id)
    if child.account_id != account.id:
        abort(404)
    return child


@bp.route("/garde/enfants/ajouter", methods=["GET", "POST"])
@permission_required("territory.use")
def add_child():
    account, refused = _my_account()
    if refused is not None:
        return refused
    return _child_form(account, None)


@bp.route("/garde/enfants/<int:child_id>/modifier", methods=["GET", "POST"])
@permission_required("territory.use")
def edit_child(child_id: int):
    account, refused = _my_account()
    if refused is not None:
        return refused
    return _child_form(account, _my_child(account, child_id))


def _child_form(account: Account, child: Child | None):
    form = ChildForm(obj=child)

    def save():
        values = {"first_name": form.first_name.data, "birth_year": form.birth_year.data, "notes": form.notes.data}
        if child is None:
            return childcare.add_child(g.territory, account, **values)
        return childcare.update_child(g.territory, child, **values)

    done, status = save_form(form, save, _("Les informations de l'enfant sont enregistrées."), _children_section)
    if done is not None:
        return done
    page = render_template(
        "timebank/childcare/child_form.html", form=form, child=child, action_form=ActionForm(), timebank_tab=TAB
    )
    return page, status


@bp.route("/garde/enfants/<int:child_id>/supprimer", methods=["POST"])
@permission_required("territory.use")
def delete_child(child_id: int):
    account, refused = _my_account()
    if refused is not None:
        return refused
    child = _my_child(account, child_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        childcare.delete_child(g.territory, child)
    except TimebankError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("timebank.edit_child", child_id=child.id))
    db.session.commit()
    flash(_("L'enfant est retiré de votre profil."), "success")
    return redirect(_children_section())


def _children_section(_result=None) -> str:
    return url_for("timebank.childcare") + "#enfants"


@bp.route("/garde/contact-urgence", methods=["GET", "POST"])
@permission_required("territory.use")
def emergency_contact():
    account, refused = _my_account()
    if refused is not None:
        return refused
    form = EmergencyContactForm(
        data={"name": account.emergency_contact_name, "phone": account.emergency_contact_phone}
        if request.method == "GET"
        else None
    )
    done, status = save_form(
        form,
        lambda: childcare.set_emergency_contact(g.territory, account, form.name.data, form.phone.data),
        _("Le contact d'urgence est enregistré."),
        _children_section,
    )
    if done is not None:
        return done
    return render_template("timebank/childcare/emergency_contact.html", form=form, timebank_tab=TAB), status


# -- asking for a session --------------------------------------------------------------------------------------------


@bp.route("/garde/demander", methods=["GET", "POST"])
@permission_required("territory.use")
def new_session():
    """``?caregiver_id=<user id>`` preselects the caregiver."""
    account, refused = _my_account()
    if refused is not None:
        return refused
    caregivers = childcare.verified_caregivers(g.territory, exclude=account)
    children = childcare.children_of(g.territory, account)
    form = SessionRequestForm()
    people = [("", _("Choisissez…"))] + [(str(c.user_id), services.account_label(c)) for c in caregivers]
    form.caregiver.choices = choices(people)
    form.children.choices = choices((str(child.id), child.first_name) for child in children)
    if request.method == "GET":
        form.caregiver.data = request.args.get("caregiver_id", type=int)
        if len(children) == 1:
            form.children.data = [children[0].id]
    status = 200
    if form.validate_on_submit():
        session = _book(account, form)
        if session is not None:
            db.session.commit()
            flash(_("Votre demande est envoyée. Vous serez prévenu(e) de la réponse."), "success")
            return redirect(url_for("timebank.session", session_id=session.id))
        status = 422
    elif request.method == "POST":
        status = 422
    return (
        render_template(
            "timebank/childcare/new_session.html",
            form=form,
            caregivers=caregivers,
            children=children,
            obstacles=childcare.booking_obstacles(g.territory, account),
            timebank_tab=TAB,
            **page_helpers(),
        ),
        status,
    )


def _book(account: Account, form: SessionRequestForm) -> Session | None:
    caregiver = db.session.scalar(scoped_select(Account, g.territory).where(Account.user_id == form.caregiver.data))
    try:
        if caregiver is None:
            raise TimebankError(_("Cette personne n'est pas vérifiée pour la garde d'enfants."))
        starts_at, ends_at = childcare.local_interval(g.territory, *form.times())
        return childcare.book_session(
            g.territory,
            account,
            caregiver,
            starts_at=starts_at,
            ends_at=ends_at,
            child_ids=[child_id for child_id in form.children.data if child_id is not None],
            place=form.place.data,
            message=form.message.data,
        )
    except TimebankError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return None


# -- a session -------------------------------------------------------------------------------------------------------


def _visible_session(session_id: int) -> Session:
    """The session for its parent, its caregiver and the coordinators; 404 for anyone else."""
    session = get_or_404(Session, session_id)
    if not childcare.may_view(g.territory, session, current_user):
        abort(404)
    return session


def _render_session(session: Session, status: int = 200, **forms):
    role = childcare.role_of(session, current_user)
    at = now()
    forms.setdefault("action_form", ActionForm(formdata=None))
    forms.setdefault("decline_form", OptionalReasonForm(formdata=None, prefix="refus"))
    forms.setdefault("cancel_form", OptionalReasonForm(formdata=None, prefix="annulation"))
    forms.setdefault("dispute_form", ReasonForm(formdata=None))
    late_hours = services.settings(g.territory)["late_cancel_hours"]
    page = render_template(
        "timebank/childcare/session.html",
        session=session,
        role=role,
        coordinator=childcare.is_coordinator(current_user, g.territory),
        show_details=childcare.shows_child_details(session, current_user, at),
        show_ages=childcare.shows_child_ages(session, current_user, at),
        started=session.starts_at <= at,
        ended=session.ends_at <= at,
        late_if_cancelled=session.status == Session.ACCEPTED and session.starts_at - at < timedelta(hours=late_hours),
        deadline=childcare.confirmation_deadline(g.territory, session),
        credited=session.minutes or childcare.credited_minutes(g.territory, session),
        timebank_tab=TAB,
        **forms,
        **page_helpers(),
    )
    return page, status


@bp.route("/garde/<int:session_id>")
@permission_required("territory.use")
def session(session_id: int):
    return _render_session(_visible_session(session_id))


def _act(session_id: int, action, form, done_message: str, form_name: str | None = None, **kwargs):
    """Run one of the parties' actions on a session: 403 for the wrong party, 409 when it changed meanwhile, 422
    when refused (a limit, a rule); the session page tells why."""
    session = _visible_session(session_id)
    if not form.validate_on_submit():
        forms = {form_name: form} if form_name else {}
        flash(_("Le formulaire contient des erreurs : voyez ci-dessous."), "error")
        return _render_session(session, 422, **forms)
    error = attempt(lambda: action(g.territory, session, current_user, **kwargs))
    if error is not None:
        flash(str(error), "error")
        return _render_session(db.session.get(Session, session.id), refusal_status(error))
    db.session.commit()
    flash(done_message, "success")
    return redirect(url_for("timebank.session", session_id=session.id))


def _act_with_reason(session_id: int, action, form, form_name: str, done_message: str):
    """``_act`` for the actions that take the person's words (``reason``), shown again with the form if refused."""
    return _act(session_id, action, form, done_message, form_name, reason=form.reason.data)


@bp.route("/garde/<int:session_id>/accepter", methods=["POST"])
@permission_required("territory.use")
def accept_session(session_id: int):
    return _act(
        session_id,
        childcare.accept_session,
        ActionForm(),
        _("Vous avez accepté la garde. Le parent est prévenu ; l'invitation d'agenda vous est envoyée par e-mail."),
    )


@bp.route("/garde/<int:session_id>/refuser", methods=["POST"])
@permission_required("territory.use")
def decline_session(session_id: int):
    return _act_with_reason(
        session_id,
        childcare.decline_session,
        OptionalReasonForm(prefix="refus"),
        "decline_form",
        _("Vous avez refusé la demande. Le parent est prévenu."),
    )


@bp.route("/garde/<int:session_id>/annuler", methods=["POST"])
@permission_required("territory.use")
def cancel_session(session_id: int):
    return _act_with_reason(
        session_id,
        childcare.cancel_session,
        OptionalReasonForm(prefix="annulation"),
        "cancel_form",
        _("La garde est annulée. L'autre personne est prévenue."),
    )


@bp.route("/garde/<int:session_id>/confirmer", methods=["POST"])
@permission_required("territory.use")
def confirm_session(session_id: int):
    return _act(
        session_id,
        childcare.confirm_session,
        ActionForm(),
        _("Merci ! Les heures de garde sont transférées."),
    )


@bp.route("/garde/<int:session_id>/contester", methods=["POST"])
@permission_required("territory.use")
def dispute_session(session_id: int):
    return _act_with_reason(
        session_id,
        childcare.dispute_session,
        ReasonForm(),
        "dispute_form",
        _("Votre contestation est envoyée aux coordinateurs. Aucune heure n'est transférée pour l'instant."),
    )


@bp.route("/garde/<int:session_id>/declarer", methods=["GET", "POST"])
@permission_required("territory.use")
def declare_session(session_id: int):
    session = _visible_session(session_id)
    if childcare.role_of(session, current_user) != "caregiver":
        abort(403)
    form = DeclareForm()
    if request.method == "GET":
        _prefill_with_planned_times(form, session)
    status = 200
    if form.validate_on_submit():
        error = attempt(
            lambda: childcare.declare_session(
                g.territory, session, current_user, *childcare.local_interval(g.territory, *form.times())
            )
        )
        if error is not None:
            form.form_errors.append(str(error))
            status = refusal_status(error)
            session = db.session.get(Session, session_id)
        else:
            db.session.commit()
            flash(_("Les heures sont déclarées. Le parent va les confirmer."), "success")
            return redirect(url_for("timebank.session", session_id=session.id))
    elif request.method == "POST":
        status = 422
    page = render_template(
        "timebank/childcare/declare.html", session=session, form=form, timebank_tab=TAB, **page_helpers()
    )
    return page, status


def _prefill_with_planned_times(form: DeclareForm, session: Session) -> None:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(g.territory.timezone)
    start, end = session.starts_at.astimezone(zone), session.ends_at.astimezone(zone)
    form.day.data = start.date()
    form.start.data = start.strftime("%H:%M")
    form.end.data = end.strftime("%H:%M")
