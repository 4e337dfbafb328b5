"""The coordinators' childcare queues: the members asking to offer childcare (vetting), and the disputed sessions.

Every view needs ``timebank.coordinate``: load (scoped by territory) → call the service (which checks the coordinator
again, 403 for ``NotAllowed``) → commit, or roll back and show the French refusal on the queue with a 4xx status.
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from platformcoop.accounts.permissions import permission_required
from platformcoop.clock import now
from platformcoop.extensions import db
from platformcoop.tenancy import get_or_404
from plugins.timebank import childcare, services
from plugins.timebank.forms_childcare import SettleForm, VettingDecisionForm, VoidForm
from plugins.timebank.models import Account, Session
from plugins.timebank.views import bp
from plugins.timebank.views.childcare import page_helpers
from plugins.timebank.views.common import attempt, refusal_status

TAB = "timebank.coordination"

VETTING_DECISIONS = {"verifier": childcare.verify, "refuser": childcare.refuse, "retirer": childcare.withdraw}


@bp.route("/coordination/verifications/")
@permission_required("timebank.coordinate")
def vetting_queue(forms: dict | None = None, status: int = 200):
    requests = childcare.vetting_requests(g.territory)
    caregivers = childcare.verified_caregivers(g.territory, bookable_only=False)
    forms = forms or {}
    for account in requests + caregivers:
        forms.setdefault(account.id, VettingDecisionForm(formdata=None, prefix=f"compte-{account.id}"))
    page = render_template(
        "timebank/childcare/vetting_queue.html",
        requests=requests,
        caregivers=caregivers,
        forms=forms,
        timebank_tab=TAB,
        account_label=services.account_label,
    )
    return page, status


@bp.route("/coordination/verifications/<int:account_id>/<decision>", methods=["POST"])
@permission_required("timebank.coordinate")
def decide_vetting(account_id: int, decision: str):
    if decision not in VETTING_DECISIONS:
        abort(404)
    account = get_or_404(Account, account_id)
    if account.user_id is None:
        abort(404)
    form = VettingDecisionForm(prefix=f"compte-{account.id}")
    if not form.validate_on_submit():
        return vetting_queue({account.id: form}, 422)
    error = attempt(lambda: VETTING_DECISIONS[decision](g.territory, account, current_user, form.note.data or ""))
    if error is not None:
        form.note.errors = [*form.note.errors, str(error)]
        return vetting_queue({account.id: form}, refusal_status(error))
    db.session.commit()
    name = services.account_label(account)
    messages = {
        "verifier": _("%(name)s est vérifié(e) pour la garde d'enfants.", name=name),
        "refuser": _("La demande de %(name)s est refusée ; la personne est prévenue.", name=name),
        "retirer": _("La vérification de %(name)s est retirée ; ses gardes à venir sont annulées.", name=name),
    }
    flash(messages[decision], "success")
    return redirect(url_for("timebank.vetting_queue"))


@bp.route("/coordination/litiges/")
@permission_required("timebank.coordinate")
def disputes_queue(forms: dict | None = None, status: int = 200):
    disputes = childcare.disputed_sessions(g.territory)
    forms = forms or {}
    for session in disputes:
        credited = childcare.credited_minutes(g.territory, session) if session.actual_start else 0
        forms.setdefault(
            ("regler", session.id),
            SettleForm(
                formdata=None,
                prefix=f"regler-{session.id}",
                data={"hours": credited // 60, "minutes": credited % 60},
            ),
        )
        forms.setdefault(("annuler", session.id), VoidForm(formdata=None, prefix=f"annuler-{session.id}"))
    page = render_template(
        "timebank/childcare/disputes_queue.html",
        disputes=disputes,
        forms=forms,
        late=childcare.late_cancellations(g.territory, now() - timedelta(days=30)),
        timebank_tab=TAB,
        **page_helpers(),
    )
    return page, status


@bp.route("/coordination/litiges/<int:session_id>/<decision>", methods=["POST"])
@permission_required("timebank.coordinate")
def decide_dispute(session_id: int, decision: str):
    if decision not in ("regler", "annuler"):
        abort(404)
    session = get_or_404(Session, session_id)
    form_class = SettleForm if decision == "regler" else VoidForm
    form = form_class(prefix=f"{decision}-{session.id}")
    if not form.validate_on_submit():
        return disputes_queue({(decision, session.id): form}, 422)
    if decision == "regler":
        error = attempt(
            lambda: childcare.settle_session(g.territory, session, current_user, form.total(), form.note.data)
        )
    else:
        error = attempt(lambda: childcare.void_session(g.territory, session, current_user, form.note.data))
    if error is not None:
        form.form_errors.append(str(error))
        return disputes_queue({(decision, session.id): form}, refusal_status(error))
    db.session.commit()
    if decision == "regler":
        flash(_("Le litige est réglé : les heures sont transférées et les deux personnes prévenues."), "success")
    else:
        flash(_("La garde est annulée sans transfert ; les deux personnes sont prévenues."), "success")
    return redirect(url_for("timebank.disputes_queue"))
