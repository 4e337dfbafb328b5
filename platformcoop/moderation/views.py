"""Reporting (``/<territory>/signaler``, any active member) and the moderation queue
(``/<territory>/admin/moderation/``, moderators and administrators: ``territory.moderate``)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from platformcoop.accounts.models import User
from platformcoop.accounts.permissions import can, permission_required
from platformcoop.accounts.views import safe_next
from platformcoop.admin.formatting import template_helpers
from platformcoop.admin.pagination import paginate, requested_page
from platformcoop.extensions import db
from platformcoop.moderation import services
from platformcoop.moderation.forms import ModerationDecisionForm, ReportForm
from platformcoop.moderation.models import REPORT_OPEN, REPORT_REASONS, REPORT_STATUSES, ModeratedContent, Report
from platformcoop.moderation.registry import get_reportable, reportable_for
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy import get_or_404

bp = Blueprint("moderation", __name__)

QUEUE_STATES = ("a-traiter", "masques", "tous")
ACTIONS = {
    "masquer": services.hide_content,
    "retablir": services.restore_content,
    "classer": services.dismiss_reports,
}
ACTION_MESSAGES = {
    "masquer": _l("Le contenu est masqué."),
    "retablir": _l("Le contenu est de nouveau visible."),
    "classer": _l("Les signalements sont classés sans suite."),
}


@bp.context_processor
def _helpers() -> dict:
    territory = g.get("territory")
    return template_helpers(territory) if territory is not None else {}


# -- the report button ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportTarget:
    """What the report button of one object needs (see templates/moderation/_report_button.html)."""

    subject_type: str
    subject_id: int
    title: str
    action: str
    next: str
    prefix: str
    reasons: list[tuple[str, str]]


@bp.app_template_global("moderation_report_target")
def report_target(obj) -> ReportTarget | None:
    """The report button's data for ``obj``, or None when the reader may not report it (no query)."""
    territory = g.get("territory")
    reportable = reportable_for(obj)
    if reportable is None or territory is None or getattr(obj, "territory_id", None) != territory.id:
        return None
    if not can(current_user, "territory.use", territory):
        return None
    return ReportTarget(
        subject_type=reportable.type_name,
        subject_id=obj.id,
        title=reportable.title(obj),
        action=url_for("moderation.report"),
        next=request.full_path if request.query_string else request.path,
        prefix=f"signaler-{reportable.type_name}-{obj.id}",
        reasons=[(key, str(label)) for key, label in REPORT_REASONS.items()],
    )


# -- reporting ------------------------------------------------------------------------------------------------------


def _load_subject(subject_type: str | None, subject_id: str | None):
    """The reported object, in the current territory, of a reportable model whose module is on here; else 404."""
    reportable = get_reportable(subject_type or "")
    if reportable is None:
        abort(404)
    if reportable.module and not get_registry().is_enabled(g.territory, reportable.module):
        abort(404)
    return reportable, get_or_404(reportable.model, subject_id)


@bp.route("/<territory>/signaler", methods=["GET", "POST"])
@login_required
def report():
    source = request.form if request.method == "POST" else request.args
    reportable, obj = _load_subject(source.get("subject_type"), source.get("subject_id"))
    if not can(current_user, "territory.use", g.territory):
        abort(403)
    form = ReportForm() if request.method == "POST" else ReportForm(formdata=None, data=request.args.to_dict())
    back = safe_next(form.next.data) or reportable.url(obj) or url_for("territory.home")
    if form.validate_on_submit():
        try:
            services.report_content(g.territory, current_user, obj, form.reason.data, form.details.data or "")
            db.session.commit()
        except services.AlreadyReported as error:
            db.session.rollback()
            flash(str(error), "info")
            return redirect(back)
        except IntegrityError:  # the same person's second click, a moment after the first
            db.session.rollback()
            flash(_("Vous avez déjà signalé ce contenu. Merci, l'équipe de modération s'en occupe."), "info")
            return redirect(back)
        except services.ModerationError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            flash(_("Merci. Votre signalement est transmis à l'équipe de modération."), "success")
            return redirect(back)
    status = 400 if request.method == "POST" else 200
    return render_template("moderation/report.html", form=form, title=reportable.title(obj), back=back), status


# -- the queue ------------------------------------------------------------------------------------------------------


def _open_reports_count():
    return (
        select(func.count(Report.id))
        .where(Report.content_id == ModeratedContent.id, Report.status == REPORT_OPEN)
        .correlate(ModeratedContent)
        .scalar_subquery()
    )


@bp.route("/<territory>/admin/moderation/")
@permission_required("territory.moderate")
def queue():
    state = request.args.get("etat", QUEUE_STATES[0])
    if state not in QUEUE_STATES:
        abort(404)
    open_reports = _open_reports_count()
    latest = (
        select(func.max(Report.created_at))
        .where(Report.content_id == ModeratedContent.id)
        .correlate(ModeratedContent)
        .scalar_subquery()
    )
    statement = select(ModeratedContent, open_reports.label("open_reports")).where(
        ModeratedContent.territory_id == g.territory.id
    )
    if state == "a-traiter":
        statement = statement.where(open_reports > 0).order_by(ModeratedContent.hidden.desc(), latest.desc())
    elif state == "masques":
        statement = statement.where(ModeratedContent.hidden.is_(True)).order_by(ModeratedContent.hidden_at.desc())
    else:
        statement = statement.order_by(latest.desc())
    page = paginate(statement.order_by(ModeratedContent.id.desc()), requested_page(), scalars=False)
    return render_template(
        "moderation/queue.html",
        page=page,
        state=state,
        reasons=_open_reasons([content.id for content, _count in page.items]),
        reason_labels=REPORT_REASONS,
    )


def _open_reasons(content_ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    """For each case, its open reports counted by reason (one query for the whole page)."""
    if not content_ids:
        return {}
    rows = db.session.execute(
        select(Report.content_id, Report.reason, func.count())
        .where(Report.content_id.in_(content_ids), Report.status == REPORT_OPEN)
        .group_by(Report.content_id, Report.reason)
        .order_by(Report.content_id, func.count().desc())
    ).all()
    reasons: dict[int, list[tuple[str, int]]] = {}
    for content_id, reason, count in rows:
        reasons.setdefault(content_id, []).append((reason, count))
    return reasons


@bp.app_template_global("moderation_subject_module")
def subject_module(content: ModeratedContent) -> str:
    """The label of the module a reported object belongs to ("" for the core's own objects)."""
    reportable = get_reportable(content.subject_type)
    if reportable is None or not reportable.module:
        return ""
    module = get_registry().modules.get(reportable.module)
    return module.manifest.label if module else reportable.module


@bp.route("/<territory>/admin/moderation/<int:content_id>")
@permission_required("territory.moderate")
def case(content_id: int):
    content = get_or_404(ModeratedContent, content_id)
    return _render_case(content)


def _render_case(content: ModeratedContent, failed_action: str | None = None, failed_form=None, status: int = 200):
    reports = db.session.execute(
        select(Report, User)
        .outerjoin(User, Report.reporter_id == User.id)
        .where(Report.content_id == content.id)
        .order_by(Report.created_at.desc(), Report.id.desc())
    ).all()
    decided_by = db.session.get(User, content.decided_by_id) if content.decided_by_id else None
    has_open = any(report.status == REPORT_OPEN for report, _user in reports)
    allowed = []
    if not content.hidden or content.auto or has_open:
        allowed.append("masquer")
    if content.hidden:
        allowed.append("retablir")
    elif has_open:
        allowed.append("classer")
    forms = {
        action: failed_form if action == failed_action else ModerationDecisionForm(formdata=None, prefix=action)
        for action in allowed
    }
    # A decision that no longer applies (another moderator was quicker): its message goes above the forms.
    stale_errors = failed_form.reason.errors if failed_form is not None and failed_action not in forms else []
    return (
        render_template(
            "moderation/case.html",
            content=content,
            reports=reports,
            decided_by=decided_by,
            forms=forms,
            stale_errors=stale_errors,
            reason_labels=REPORT_REASONS,
            status_labels=REPORT_STATUSES,
        ),
        status,
    )


@bp.route("/<territory>/admin/moderation/<int:content_id>/<action>", methods=["POST"])
@permission_required("territory.moderate")
def decide(content_id: int, action: str):
    if action not in ACTIONS:
        abort(404)
    content = get_or_404(ModeratedContent, content_id)
    form = ModerationDecisionForm(prefix=action)
    if not form.validate_on_submit():
        return _render_case(content, action, form, status=400)
    try:
        ACTIONS[action](g.territory, content, current_user, form.reason.data)
    except services.ModerationError as error:
        db.session.rollback()
        form.reason.errors = [str(error)]
        return _render_case(get_or_404(ModeratedContent, content_id), action, form, status=400)
    db.session.commit()
    flash(str(ACTION_MESSAGES[action]), "success")
    return redirect(url_for("moderation.case", content_id=content.id))
