"""The member's account: joining (the charter), balance and history, recording and answering exchanges.

Every view: load (scoped by territory) → check the permission → call the service → render. A refused operation
(``TimebankError``) rolls back and shows its French message; nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from platformcoop.accounts.permissions import can, permission_required
from platformcoop.admin.forms import ActionForm
from platformcoop.admin.pagination import page_args, paginate, requested_page
from platformcoop.extensions import db
from platformcoop.formatting import format_duration
from platformcoop.tenancy import scoped_select
from plugins.timebank import exchange_queries, exchanges, services
from plugins.timebank.forms import DeclineForm, ExchangeForm, JoinForm
from plugins.timebank.models import Account, Exchange, Movement, Post, Transfer
from plugins.timebank.services import TimebankError
from plugins.timebank.views import bp

RECENT_MOVEMENTS = 10
HISTORY_PER_PAGE = 25


# -- the history of an account ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryLine:
    """One movement of an account as the member reads it."""

    movement: Movement
    transfer: Transfer
    counterpart: str
    reversed: bool  # a later reversal undid this transfer


def history_statement(territory, account: Account):
    """The account's movements, newest first, with everything a history line shows loaded in the same query."""
    counterpart_user = (Transfer.from_account, Transfer.to_account)
    options = [joinedload(Movement.transfer).joinedload(rel).joinedload(Account.user) for rel in counterpart_user]
    options += [
        joinedload(Movement.transfer).joinedload(Transfer.category),
        joinedload(Movement.transfer).joinedload(Transfer.reverses),
    ]
    return (
        scoped_select(Movement, territory)
        .where(Movement.account_id == account.id)
        .options(*options)
        .order_by(Movement.created_at.desc(), Movement.id.desc())
    )


def history_lines(territory, movements: list[Movement]) -> list[HistoryLine]:
    """Lines for ``movements`` (loaded by :func:`history_statement`); one more query finds the reversed ones."""
    ids = [m.transfer_id for m in movements]
    reversed_ids = set()
    if ids:
        reversed_ids = set(
            db.session.scalars(
                select(Transfer.reverses_id).where(Transfer.territory_id == territory.id, Transfer.reverses_id.in_(ids))
            )
        )
    lines = []
    for movement in movements:
        transfer = movement.transfer
        other = transfer.to_account if movement.minutes < 0 else transfer.from_account
        lines.append(HistoryLine(movement, transfer, services.account_label(other), transfer.id in reversed_ids))
    return lines


# -- joining ---------------------------------------------------------------------------------------------------------


def _join_page(form: JoinForm, status: int = 200):
    conf = services.settings(g.territory)
    page = render_template(
        "timebank/account/join.html",
        form=form,
        charter=conf["charter"],
        welcome_credit=conf["welcome_credit"],
        timebank_tab="timebank.index",
    )
    return page, status


@bp.route("/rejoindre", methods=["GET", "POST"])
@permission_required("territory.use")
def join():
    if services.member_account(g.territory, current_user) is not None:
        return redirect(url_for("timebank.index"))
    form = JoinForm()
    if not form.validate_on_submit():
        return _join_page(form, 422 if request.method == "POST" else 200)
    try:
        services.open_account(g.territory, current_user)
        db.session.commit()
    except TimebankError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _join_page(form, 409)
    except IntegrityError:  # a double click: the other request opened the account
        db.session.rollback()
        return redirect(url_for("timebank.index"))
    welcome = services.settings(g.territory)["welcome_credit"]
    if welcome:
        flash(
            _("Bienvenue ! Votre compte est ouvert, avec %(duration)s offertes.", duration=format_duration(welcome)),
            "success",
        )
    else:
        flash(_("Bienvenue ! Votre compte est ouvert."), "success")
    return redirect(url_for("timebank.index"))


# -- the account -----------------------------------------------------------------------------------------------------


def _limits(territory) -> dict:
    conf = services.settings(territory)
    keys = ("min_balance", "max_balance", "max_transfer", "step_minutes", "provider_confirms", "request_expiry_days")
    return {key: conf[key] for key in keys}


@bp.route("/")
@permission_required("territory.use")
def index():
    account = services.member_account(g.territory, current_user)
    if account is None:
        return _join_page(JoinForm(formdata=None))
    movements = db.session.scalars(history_statement(g.territory, account).limit(RECENT_MOVEMENTS)).all()
    return render_template(
        "timebank/index.html",
        account=account,
        limits=_limits(g.territory),
        to_answer=exchange_queries.waiting_for(g.territory, account),
        sent=exchange_queries.sent_by(g.territory, account),
        lines=history_lines(g.territory, movements),
        more_history=len(movements) == RECENT_MOVEMENTS,
        action_form=ActionForm(formdata=None),
    )


@bp.route("/historique")
@permission_required("territory.use")
def history():
    account = services.member_account(g.territory, current_user)
    if account is None:
        return redirect(url_for("timebank.index"))
    page = paginate(history_statement(g.territory, account), requested_page(), HISTORY_PER_PAGE)
    return render_template(
        "timebank/account/history.html",
        account=account,
        page=page,
        lines=history_lines(g.territory, page.items),
        page_args=page_args,
        timebank_tab="timebank.index",
    )


# -- recording an exchange or asking for hours -----------------------------------------------------------------------


def _my_open_account() -> Account | None:
    account = services.member_account(g.territory, current_user)
    if account is not None and account.closed_at is not None:
        flash(_("Votre compte est fermé : il ne peut plus recevoir ni donner d'heures."), "error")
        return None
    return account


def _int_or_404(raw) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        abort(404)


def _partner_or_404(me: Account, raw: str | None) -> Account | None:
    """The account of the person chosen in the form; 404 for anyone who is not a partner here (another territory's
    person, an unknown id). None when nothing was chosen."""
    if not raw:
        return None
    account = exchange_queries.partner_account(g.territory, me, _int_or_404(raw))
    if account is None:
        abort(404)
    return account


def _post_or_404(raw: str | None) -> Post | None:
    if not raw:
        return None
    post = db.session.scalar(scoped_select(Post, g.territory).where(Post.id == _int_or_404(raw)))
    if post is None:
        abort(404)
    return post


def _prefill(form: ExchangeForm, people: list[tuple[int, str]]) -> None:
    wanted = request.args.get("receiver_id" if form.giving else "provider_id", "")
    if wanted in {str(uid) for uid, _name in people}:
        form.counterpart.data = wanted
    post = _post_or_404(request.args.get("post_id"))
    if post is not None:
        form.post_id.data = str(post.id)
        if str(post.category_id) in {value for value, _label in form.category.choices}:
            form.category.data = str(post.category_id)


@bp.route("/echanges/nouveau", methods=["GET", "POST"])
@permission_required("territory.use")
def record_exchange():
    """``?provider_id=`` (a user id) and ``?post_id=`` prefill a service received; ``?receiver_id=`` makes the form a
    payment request ("X m'a aidé 2 h") to that person."""
    me = _my_open_account()
    if me is None:
        return redirect(url_for("timebank.index"))
    people = exchange_queries.partner_choices(g.territory, me)
    direction = "given" if "receiver_id" in request.args else "received"
    form = ExchangeForm(g.territory, exchange_queries.exchange_categories(g.territory), people, direction=direction)
    if request.method == "GET":
        _prefill(form, people)
        return _exchange_form(form)
    partner = _partner_or_404(me, request.form.get("counterpart"))
    post = _post_or_404(request.form.get("post_id"))
    if not form.validate_on_submit():
        return _exchange_form(form, 422)
    details = {
        "actor": current_user,
        "category_id": form.category_id,
        "description": form.description.data,
        "post_id": post.id if post else None,
    }
    try:
        if form.giving:
            exchange = exchanges.request_payment(g.territory, me, partner, form.duration.data, **details)
        else:
            exchange = exchanges.record_exchange(g.territory, me, partner, form.duration.data, **details)
        db.session.commit()
    except TimebankError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _exchange_form(form, 409)
    flash(_recorded_message(exchange), "success")
    return redirect(url_for("timebank.index"))


def _exchange_form(form: ExchangeForm, status: int = 200):
    return render_template(
        "timebank/exchanges/new.html", form=form, limits=_limits(g.territory), timebank_tab="timebank.index"
    ), status


def _recorded_message(exchange: Exchange) -> str:
    words = {"duration": format_duration(exchange.minutes)}
    if exchange.initiated_by == exchanges.PROVIDER:
        name = services.account_label(exchange.receiver_account)
        return _("Votre demande de %(duration)s est envoyée à %(name)s.", name=name, **words)
    name = services.account_label(exchange.provider_account)
    if exchange.status == Exchange.DONE:
        return _("C'est noté : %(duration)s passent de votre compte à celui de %(name)s.", name=name, **words)
    return _("C'est noté. Les %(duration)s passeront à %(name)s quand il ou elle aura confirmé.", name=name, **words)


# -- one exchange, and its answers -----------------------------------------------------------------------------------


def _visible_exchange_or_404(exchange_id: int) -> Exchange:
    """The exchange, for its two people and the coordinators; 404 for anyone else and across territories."""
    exchange = exchange_queries.load_exchange(g.territory, exchange_id)
    if exchange is None:
        abort(404)
    if not (exchanges.is_party(exchange, current_user) or can(current_user, "timebank.coordinate", g.territory)):
        abort(404)
    return exchange


def _exchange_page(exchange: Exchange, *, error: str = "", decline_form=None, status: int = 200):
    return render_template(
        "timebank/exchanges/show.html",
        exchange=exchange,
        error=error,
        may_answer=exchanges.may_answer(exchange, current_user),
        may_cancel=exchanges.may_cancel(exchange, current_user),
        receiving=exchange.receiver_account.user_id == current_user.id,
        action_form=ActionForm(formdata=None),
        decline_form=decline_form or DeclineForm(formdata=None),
        timebank_tab="timebank.index",
    ), status


@bp.route("/echanges/<int:exchange_id>")
@permission_required("territory.use")
def exchange(exchange_id: int):
    return _exchange_page(_visible_exchange_or_404(exchange_id))


def _answer(exchange_id: int, allowed, action, form=None):
    """Load → check who may act (403) → validate the form → act; a refusal shows the page with its message (409)."""
    exchange = _visible_exchange_or_404(exchange_id)
    if allowed(exchange).user_id != current_user.id:
        abort(403)
    form = form or ActionForm()
    if not form.validate_on_submit():
        if isinstance(form, DeclineForm):
            return _exchange_page(exchange, decline_form=form, status=422)
        abort(400)
    try:
        message = action(exchange, form)
        db.session.commit()
    except TimebankError as error:
        db.session.rollback()
        return _exchange_page(exchange, error=str(error), status=409)
    flash(message, "success")
    return redirect(url_for("timebank.exchange", exchange_id=exchange.id))


@bp.route("/echanges/<int:exchange_id>/confirmer", methods=["POST"])
@permission_required("territory.use")
def confirm_exchange(exchange_id: int):
    def confirm(exchange, _form):
        exchanges.confirm_exchange(g.territory, exchange, actor=current_user)
        return _("C'est confirmé : %(duration)s sont passées d'un compte à l'autre.", duration=_hours(exchange))

    return _answer(exchange_id, exchanges.answerer_account, confirm)


@bp.route("/echanges/<int:exchange_id>/refuser", methods=["POST"])
@permission_required("territory.use")
def decline_exchange(exchange_id: int):
    def decline(exchange, form):
        exchanges.decline_exchange(g.territory, exchange, actor=current_user, reason=form.reason.data)
        return _("Vous avez refusé cet échange. L'autre personne est prévenue.")

    return _answer(exchange_id, exchanges.answerer_account, decline, DeclineForm())


@bp.route("/echanges/<int:exchange_id>/annuler", methods=["POST"])
@permission_required("territory.use")
def cancel_exchange(exchange_id: int):
    def cancel(exchange, _form):
        exchanges.cancel_exchange(g.territory, exchange, actor=current_user)
        return _("Votre demande est annulée. L'autre personne est prévenue.")

    return _answer(exchange_id, exchanges.initiator_account, cancel)


def _hours(exchange: Exchange) -> str:
    return format_duration(exchange.minutes)
