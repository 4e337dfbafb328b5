"""The coordinators' pages: the hub, corrections (reversal, write-off, credit, correction) and reports with CSV.

Every page needs ``timebank.coordinate`` (403 otherwise) and loads its objects through the territory (404 for an id
of another territory). Load, check, act: the services check the permission again and refuse with a French message,
shown on the page with 409 when the thing is already done and 422 when the rules refuse it; nothing is written then.
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from platformcoop.accounts.permissions import permission_required
from platformcoop.admin.exports import csv_response
from platformcoop.admin.pagination import page_args, paginate, requested_page
from platformcoop.admin.stats import Period, default_period
from platformcoop.clock import now
from platformcoop.extensions import db
from platformcoop.formatting import format_duration
from platformcoop.notifications.service import notify
from platformcoop.tenancy import get_or_404, scoped_select
from plugins.timebank import reports, services
from plugins.timebank.forms_coordination import (
    CorrectionForm,
    CreditForm,
    MembersFilterForm,
    ReverseForm,
    SessionsFilterForm,
    TransfersFilterForm,
    WriteOffForm,
    choices,
)
from plugins.timebank.models import KIND_REVERSAL, Account, Category, Transfer
from plugins.timebank.views import bp

RECENT_DAYS = 30
RECENT_CORRECTIONS = 10
TAB = "timebank.coordination"


def _render(template: str, status: int = 200, **context):
    context.setdefault("timebank_tab", TAB)
    return render_template(f"timebank/coordination/{template}", page_args=page_args, **context), status


# -- the hub --------------------------------------------------------------------------------------------------------


@bp.route("/coordination/")
@permission_required("timebank.coordinate")
def coordination():
    since = now() - timedelta(days=RECENT_DAYS)
    corrections = db.session.execute(
        reports.transfers_query(g.territory, since, now() + timedelta(seconds=1), kinds=reports.CORRECTION_KINDS).limit(
            RECENT_CORRECTIONS
        )
    ).all()
    return _render(
        "hub.html",
        figures=reports.hub_figures(g.territory, since),
        recent_days=RECENT_DAYS,
        corrections=corrections,
        former_members=reports.former_members_with_balance(g.territory),
        community=services.community_account(g.territory),
        kind_label=reports.kind_label,
    )


# -- a transfer: see it, reverse it ---------------------------------------------------------------------------------


@bp.route("/coordination/echanges/<int:transfer_id>", methods=["GET", "POST"])
@permission_required("timebank.coordinate")
def transfer_detail(transfer_id: int):
    record = get_or_404(Transfer, transfer_id)
    form = ReverseForm()
    status = 200
    if form.validate_on_submit():
        reason, minutes = form.reason.data, form.total_minutes()
        try:
            if minutes:
                written = list(
                    services.reverse_and_record(g.territory, record, minutes, actor=current_user, reason=reason)
                )
            else:
                written = [services.reverse(g.territory, record, actor=current_user, reason=reason)]
        except services.TimebankError as error:
            db.session.rollback()
            record = get_or_404(Transfer, transfer_id)
            status = 409 if record.kind == KIND_REVERSAL or _reversal_of(record) is not None else 422
            form.form_errors.append(str(error))
        else:
            _tell_members(written, reason.strip())
            db.session.commit()
            flash(_("L'échange est annulé. Les membres concernés sont prévenus."), "success")
            return redirect(url_for("timebank.transfer_detail", transfer_id=record.id))
    elif request.method == "POST":
        status = 400
    return _render(
        "transfer.html",
        status,
        record=record,
        reversal=_reversal_of(record),
        form=form,
        kind_label=reports.kind_label,
    )


def _reversal_of(record: Transfer) -> Transfer | None:
    return db.session.scalar(scoped_select(Transfer, g.territory).where(Transfer.reverses_id == record.id))


def _tell_members(records: list[Transfer], reason: str, closed: Account | None = None) -> None:
    """Tell the members whose account a coordinator changed, once each with the net change (not the community
    account, not people who left)."""
    changes: dict[int, tuple[Account, int, list[str]]] = {}
    for record in records:
        for account, minutes in ((record.from_account, -record.minutes), (record.to_account, record.minutes)):
            _account, total, kinds = changes.get(account.id, (account, 0, []))
            changes[account.id] = (account, total + minutes, [*kinds, reports.kind_label(record.kind)])
    if closed is not None and closed.id not in changes:
        changes[closed.id] = (closed, 0, [])
    for account, minutes, kinds in changes.values():
        user = account.user
        if account.is_community or user is None or user.disabled or user.is_erased:
            continue
        notify(
            user,
            "timebank.coordination",
            g.territory,
            records[0] if records else account,
            title=_l("Banque de temps : la coordination a modifié votre compte"),
            url=url_for("timebank.index"),
            email_template="timebank/coordination_correction",
            change=("+" if minutes > 0 else "") + format_duration(minutes) if kinds else "",
            what=", ".join(kinds),
            closed=account.closed_at is not None,
            reason=reason,
        )


# -- a member's account: movements, write-off, credit, correction ---------------------------------------------------


@bp.route("/coordination/comptes/<int:account_id>")
@permission_required("timebank.coordinate")
def member_account(account_id: int):
    return _render_account(get_or_404(Account, account_id))


def _render_account(account: Account, credit_form=None, correction_form=None, status: int = 200):
    correction_form = correction_form or CorrectionForm(formdata=None, prefix="correction")
    correction_form.other_account.choices = choices(
        (account_id, label) for account_id, label in reports.account_choices(g.territory) if account_id != account.id
    )
    return _render(
        "account.html",
        status,
        account=account,
        page=paginate(reports.account_movements_query(g.territory, account), requested_page()),
        credit_form=credit_form or CreditForm(formdata=None, prefix="credit"),
        correction_form=correction_form,
        kind_label=reports.kind_label,
        childcare_labels=reports.CHILDCARE_STATUS_LABELS,
    )


@bp.route("/coordination/comptes/<int:account_id>/solder", methods=["GET", "POST"])
@permission_required("timebank.coordinate")
def write_off(account_id: int):
    account = get_or_404(Account, account_id)
    if account.is_community:
        abort(404)
    form = WriteOffForm()
    status = 200
    if request.method == "GET":
        form.expected_balance.data = str(account.balance)
    elif not form.validate_on_submit():
        status = 400
    elif form.expected_balance.data != str(account.balance):
        form.expected_balance.data = str(account.balance)
        form.form_errors.append(_("Le solde a changé pendant que vous confirmiez : vérifiez le nouveau montant."))
        status = 409
    else:
        reason = form.reason.data.strip()
        try:
            record = services.write_off(g.territory, account, actor=current_user, reason=reason)
        except services.TimebankError as error:
            db.session.rollback()
            account = get_or_404(Account, account_id)
            form.form_errors.append(str(error))
            status = 409
        else:
            _tell_members([record] if record else [], reason, closed=account)
            db.session.commit()
            flash(_("Le compte est soldé et fermé : %(name)s.", name=services.account_label(account)), "success")
            return redirect(url_for("timebank.member_account", account_id=account.id))
    return _render("write_off.html", status, account=account, form=form)


@bp.route("/coordination/comptes/<int:account_id>/crediter", methods=["POST"])
@permission_required("timebank.coordinate")
def manual_credit(account_id: int):
    account = get_or_404(Account, account_id)
    form = CreditForm(prefix="credit")
    if not form.validate_on_submit():
        return _render_account(account, credit_form=form, status=400)
    reason = form.reason.data.strip()
    return _account_operation(
        account,
        lambda: services.manual_credit(
            g.territory,
            account,
            form.total_minutes(),
            actor=current_user,
            reason=reason,
            exceed_limits=form.exceed_limits.data,
        ),
        reason,
        _("Le crédit de %(duration)s est enregistré."),
        form,
        "credit_form",
    )


@bp.route("/coordination/comptes/<int:account_id>/corriger", methods=["POST"])
@permission_required("timebank.coordinate")
def correction(account_id: int):
    account = get_or_404(Account, account_id)
    form = CorrectionForm(prefix="correction")
    if not form.validate_on_submit():
        return _render_account(account, correction_form=form, status=400)
    other = get_or_404(Account, form.other_account.data)  # an id of another territory: 404
    source, destination = (other, account) if form.direction.data == "in" else (account, other)
    reason = form.reason.data.strip()
    return _account_operation(
        account,
        lambda: services.correction(
            g.territory, source, destination, form.total_minutes(), actor=current_user, reason=reason
        ),
        reason,
        _("La correction de %(duration)s est enregistrée."),
        form,
        "correction_form",
    )


def _account_operation(account: Account, operation, reason: str, done_message: str, form, form_name: str):
    """A credit or a correction on the account's page: done, the members told and committed, then back to the page
    with ``done_message`` (its ``%(duration)s`` filled in); refused, the page again with the form's error (422)."""
    account_id = account.id
    try:
        record = operation()
    except services.TimebankError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _render_account(get_or_404(Account, account_id), status=422, **{form_name: form})
    _tell_members([record], reason)
    db.session.commit()
    flash(done_message % {"duration": format_duration(record.minutes)}, "success")
    return redirect(url_for("timebank.member_account", account_id=account_id))


# -- reports --------------------------------------------------------------------------------------------------------


@bp.route("/coordination/rapports/", endpoint="reports")
@permission_required("timebank.coordinate")
def reports_members():
    form = MembersFilterForm(request.args)
    search = form.q.data if form.validate() else ""
    return _render(
        "reports_members.html",
        form=form,
        page=paginate(reports.members_query(g.territory, search), requested_page(), scalars=False),
        community=services.community_account(g.territory),
        childcare_labels=reports.CHILDCARE_STATUS_LABELS,
        filtered=bool(request.args.get("q")),
    )


@bp.route("/coordination/rapports/membres.csv")
@permission_required("timebank.coordinate")
def reports_members_csv():
    form = MembersFilterForm(request.args)
    statement = reports.members_query(g.territory, form.q.data if form.validate() else "")
    return _csv("membres", reports.members_header(), reports.members_rows(statement))


@bp.route("/coordination/rapports/echanges")
@permission_required("timebank.coordinate")
def reports_transfers():
    form, period, valid = _transfers_filters()
    statement = _transfers_statement(form, period, valid)
    return _period_page(
        "reports_transfers.html", form, period, valid, statement, scalars=False, kind_label=reports.kind_label
    )


@bp.route("/coordination/rapports/echanges.csv")
@permission_required("timebank.coordinate")
def reports_transfers_csv():
    return _period_csv(
        "echanges", _transfers_filters, _transfers_statement, reports.transfers_header, reports.transfers_rows
    )


@bp.route("/coordination/rapports/gardes")
@permission_required("timebank.coordinate")
def reports_sessions():
    form, period, valid = _sessions_filters()
    return _period_page(
        "reports_sessions.html",
        form,
        period,
        valid,
        _sessions_statement(form, period, valid),
        summary=reports.sessions_summary(g.territory, period.start, period.end),
        status_labels=reports.SESSION_STATUS_LABELS,
    )


@bp.route("/coordination/rapports/gardes.csv")
@permission_required("timebank.coordinate")
def reports_sessions_csv():
    return _period_csv("gardes", _sessions_filters, _sessions_statement, reports.sessions_header, reports.sessions_rows)


def _period_page(template: str, form, period: Period, valid: bool, statement, *, scalars: bool = True, **context):
    """A report over a period: a page of ``statement``, the filters, and the link to the same as CSV."""
    page = paginate(statement, requested_page(), scalars=scalars)
    return _render(
        template, form=form, period=period, period_valid=valid, page=page, csv_args=_csv_args(period), **context
    )


def _period_csv(name: str, filters, statement, header, rows):
    """All of a report over a period as CSV; 400 when the filters are wrong (the page shows why)."""
    form, period, valid = filters()
    if not valid:
        abort(400)
    return _csv(
        f"{name}-{period.first_day:%Y%m%d}-{period.last_day:%Y%m%d}", header(), rows(statement(form, period, valid))
    )


def _csv(name: str, header: list[str], rows):
    return csv_response(f"banque-de-temps-{name}-{g.territory.slug}.csv", header, rows, g.territory.timezone)


def _filter_args():
    """The query string, with the last 30 days when it names no period."""
    args = request.args.copy()
    if "debut" not in args and "fin" not in args:
        period = default_period(g.territory, now())
        args["debut"], args["fin"] = period.first_day.isoformat(), period.last_day.isoformat()
    return args


def _period(form) -> tuple[Period, bool]:
    """The period of the form, or the last 30 days when the filters are wrong (``valid`` is False)."""
    if not form.validate():
        return default_period(g.territory, now()), False
    return Period(form.debut.data, form.fin.data, g.territory.timezone), True


def _csv_args(period: Period) -> dict:
    """The filters of the page for its CSV link, with the period spelled out and without the page number."""
    args = {key: value for key, value in request.args.to_dict().items() if key != "page"}
    args.update(debut=period.first_day.isoformat(), fin=period.last_day.isoformat())
    return args


def _transfers_filters():
    form = TransfersFilterForm(_filter_args())
    categories = db.session.scalars(scoped_select(Category, g.territory).order_by(Category.position, Category.id)).all()
    form.categorie.choices = choices([("", _("Toutes les catégories"))] + [(str(c.id), c.label) for c in categories])
    accounts = reports.account_choices(g.territory)
    form.membre.choices = choices([("", _("Tous les membres"))] + [(str(i), label) for i, label in accounts])
    form.type.choices = choices([("", _("Tous les types"))] + [(k, str(v)) for k, v in reports.KIND_LABELS.items()])
    period, valid = _period(form)
    return form, period, valid


def _transfers_statement(form, period: Period, valid: bool):
    return reports.transfers_query(
        g.territory,
        period.start,
        period.end,
        category_id=int(form.categorie.data) if valid and form.categorie.data else None,
        account_id=int(form.membre.data) if valid and form.membre.data else None,
        kinds=(form.type.data,) if valid and form.type.data else (),
    )


def _sessions_filters():
    form = SessionsFilterForm(_filter_args())
    form.statut.choices = choices(
        [("", _("Tous les statuts"))] + [(k, str(v)) for k, v in reports.SESSION_STATUS_LABELS.items()]
    )
    period, valid = _period(form)
    return form, period, valid


def _sessions_statement(form, period: Period, valid: bool):
    return reports.sessions_query(
        g.territory,
        period.start,
        period.end,
        status=form.statut.data if valid and form.statut.data else None,
        late_only=bool(valid and form.tardives.data),
    )
