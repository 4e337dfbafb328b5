"""Exchanges other than childcare: recorded by the receiver, confirmed by the provider, or asked for by the provider.

=========================  ==========================  =======================================================
from                       transition (who)            effect
=========================  ==========================  =======================================================
(new)                      record (receiver)           ``done`` + transfer at once, provider told — or, when the
                                                       territory's ``provider_confirms`` is on, ``pending``
(new)                      request (provider)          ``pending`` until ``expires_at`` (payment request)
pending                    confirm (the other side)    ``done`` + exactly one transfer receiver → provider
pending                    decline (the other side)    ``declined`` with a reason, no transfer
pending                    cancel (the initiator)      ``cancelled``, no transfer
pending (payment request)  sweep, 1 day before expiry  reminder to the receiver (once: ``reminded_at``)
pending (payment request)  sweep, at ``expires_at``    ``expired``, both told
=========================  ==========================  =======================================================

Every status change is a conditional ``UPDATE … WHERE status = 'pending'`` that must touch one row, in the same
transaction as the transfer: of two simultaneous confirmations one changes the row and the other finds it done, and
a transfer refused by the limits rolls the whole confirmation back (the exchange stays pending). Services never commit.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, update
from sqlalchemy.orm import joinedload

from platformcoop import audit
from platformcoop.clock import now as clock_now
from platformcoop.extensions import db
from platformcoop.formatting import format_duration, local_datetime
from platformcoop.notifications.service import notify
from platformcoop.tenancy import scoped_select
from plugins.timebank import services
from plugins.timebank.models import CHILDCARE, Account, Category, Exchange, Post, Transfer
from plugins.timebank.services import TimebankError

RECEIVER = "receiver"
PROVIDER = "provider"
KIND = "timebank.exchange"
REMINDER_KIND = "timebank.reminder"
REMIND_BEFORE = timedelta(days=1)


# -- who is who ------------------------------------------------------------------------------------------------------


def initiator_account(exchange: Exchange) -> Account:
    return exchange.receiver_account if exchange.initiated_by == RECEIVER else exchange.provider_account


def answerer_account(exchange: Exchange) -> Account:
    """The side that confirms or declines: the provider of a recorded service, the receiver of a payment request."""
    return exchange.provider_account if exchange.initiated_by == RECEIVER else exchange.receiver_account


def is_party(exchange: Exchange, user) -> bool:
    ids = (exchange.receiver_account.user_id, exchange.provider_account.user_id)
    return getattr(user, "id", None) is not None and user.id in ids


def may_answer(exchange: Exchange, user) -> bool:
    return exchange.status == Exchange.PENDING and answerer_account(exchange).user_id == getattr(user, "id", None)


def may_cancel(exchange: Exchange, user) -> bool:
    return exchange.status == Exchange.PENDING and initiator_account(exchange).user_id == getattr(user, "id", None)


# -- new exchanges ---------------------------------------------------------------------------------------------------


def record_exchange(
    territory,
    receiver: Account,
    provider: Account,
    minutes: int,
    *,
    actor,
    category_id=None,
    description="",
    post_id=None,
) -> Exchange:
    """The receiver records a service received: the transfer happens at once, or after the provider's confirmation
    when the territory's ``provider_confirms`` is on."""
    _check_new(territory, receiver, provider, minutes, category_id, post_id)
    if services.settings(territory)["provider_confirms"]:
        exchange = _add(territory, receiver, provider, minutes, RECEIVER, actor, category_id, description, post_id)
        title = _l("%(name)s indique avoir reçu %(duration)s de votre part : à confirmer", **_words(exchange, receiver))
        _tell(provider, exchange, title, "exchange_to_confirm")
        return exchange
    # The accounts are locked (by the transfer) before the exchange row refers to them: on PostgreSQL, inserting that
    # row first would take key-share locks on the accounts that two concurrent records then wait on (deadlock).
    description = (description or "").strip()
    record = services.transfer(
        territory, receiver, provider, minutes, actor=actor, description=description, category_id=category_id
    )
    exchange = _add(
        territory, receiver, provider, minutes, RECEIVER, actor, category_id, description, post_id, transfer=record
    )
    _tell(
        provider, exchange, _l("%(name)s vous a versé %(duration)s", **_words(exchange, receiver)), "exchange_recorded"
    )
    return exchange


def request_payment(
    territory,
    provider: Account,
    receiver: Account,
    minutes: int,
    *,
    actor,
    category_id=None,
    description="",
    post_id=None,
) -> Exchange:
    """The provider asks the receiver for the hours of a service rendered ("X m'a aidé 2 h"); unanswered, it expires."""
    _check_new(territory, receiver, provider, minutes, category_id, post_id)
    exchange = _add(territory, receiver, provider, minutes, PROVIDER, actor, category_id, description, post_id)
    _tell(
        receiver,
        exchange,
        _l("%(name)s vous demande %(duration)s pour un service rendu", **_words(exchange, provider)),
        "exchange_requested",
        expires=_when(exchange, receiver),
    )
    return exchange


def _check_new(territory, receiver: Account, provider: Account, minutes, category_id, post_id) -> None:
    services.check_amount(territory, minutes)
    for account in (receiver, provider):
        if account.territory_id != territory.id or account.is_community or account.user_id is None:
            raise TimebankError(_("Ce compte n'existe pas."))
        if account.closed_at is not None:
            raise TimebankError(_("Ce compte est fermé : il ne peut plus recevoir ni donner d'heures."))
    if receiver.id == provider.id:
        raise TimebankError(_("Choisissez un autre compte que le vôtre."))
    if category_id is not None:
        category = db.session.scalar(scoped_select(Category, territory).where(Category.id == category_id))
        if category is None or not category.active:
            raise TimebankError(_("Choisissez une catégorie de la liste."))
        if category.key == CHILDCARE:
            raise TimebankError(_("La garde d'enfants se déclare avec une demande de garde, pas ici."))
    if post_id is not None and db.session.scalar(scoped_select(Post, territory).where(Post.id == post_id)) is None:
        raise TimebankError(_("Cette annonce n'existe pas."))


def _add(
    territory,
    receiver,
    provider,
    minutes,
    initiated_by,
    actor,
    category_id,
    description,
    post_id,
    transfer: Transfer | None = None,
) -> Exchange:
    """A new exchange row: pending, or done when its ``transfer`` is already written."""
    moment = clock_now()
    expires_at = None
    if initiated_by == PROVIDER:
        expires_at = moment + timedelta(days=services.settings(territory)["request_expiry_days"])
    exchange = Exchange(
        territory_id=territory.id,
        receiver_account_id=receiver.id,
        provider_account_id=provider.id,
        minutes=minutes,
        category_id=category_id,
        post_id=post_id,
        description=(description or "").strip(),
        initiated_by=initiated_by,
        status=Exchange.PENDING if transfer is None else Exchange.DONE,
        transfer_id=None if transfer is None else transfer.id,
        created_by_id=getattr(actor, "id", None),
        created_at=moment,
        expires_at=expires_at,
        decided_at=None if transfer is None else moment,
    )
    db.session.add(exchange)
    db.session.flush()
    audit.record(f"timebank.exchange_{initiated_by}", actor=actor, territory=territory, obj=exchange, minutes=minutes)
    return exchange


# -- answers ---------------------------------------------------------------------------------------------------------


def confirm_exchange(territory, exchange: Exchange, *, actor) -> Transfer:
    """The other side confirms: the exchange is done and exactly one transfer receiver → provider is written."""
    if answerer_account(exchange).user_id != getattr(actor, "id", None):
        raise TimebankError(_("Seule l'autre personne de l'échange peut le confirmer."))
    _claim(territory, exchange, Exchange.DONE)
    record = _pay(territory, exchange, actor)
    initiator = initiator_account(exchange)
    if exchange.initiated_by == PROVIDER:
        title = _l("%(name)s a accepté votre demande de %(duration)s", **_words(exchange, answerer_account(exchange)))
    else:
        title = _l("%(name)s a confirmé l'échange de %(duration)s", **_words(exchange, answerer_account(exchange)))
    _tell(initiator, exchange, title, "exchange_confirmed")
    return record


def decline_exchange(territory, exchange: Exchange, *, actor, reason: str) -> None:
    """The other side declines, with a reason; no time moves."""
    if answerer_account(exchange).user_id != getattr(actor, "id", None):
        raise TimebankError(_("Seule l'autre personne de l'échange peut le refuser."))
    reason = (reason or "").strip()
    if not reason:
        raise TimebankError(_("Indiquez la raison du refus."))
    _claim(territory, exchange, Exchange.DECLINED, decline_reason=reason)
    audit.record("timebank.exchange_declined", actor=actor, territory=territory, obj=exchange, reason=reason)
    _tell(
        initiator_account(exchange),
        exchange,
        _l("%(name)s a refusé l'échange de %(duration)s", **_words(exchange, answerer_account(exchange))),
        "exchange_declined",
        reason=reason,
    )


def cancel_exchange(territory, exchange: Exchange, *, actor) -> None:
    """The initiator withdraws their pending record or request."""
    if initiator_account(exchange).user_id != getattr(actor, "id", None):
        raise TimebankError(_("Seule la personne qui a fait la demande peut l'annuler."))
    _claim(territory, exchange, Exchange.CANCELLED)
    audit.record("timebank.exchange_cancelled", actor=actor, territory=territory, obj=exchange)
    _tell(
        answerer_account(exchange),
        exchange,
        _l("%(name)s a annulé l'échange de %(duration)s", **_words(exchange, initiator_account(exchange))),
        "exchange_cancelled",
    )


def _claim(territory, exchange: Exchange, status: str, **values) -> None:
    """Move a pending exchange to ``status`` with a conditional UPDATE; refuse when it is no longer pending."""
    moment = clock_now()
    stmt = update(Exchange).where(
        Exchange.id == exchange.id, Exchange.territory_id == territory.id, Exchange.status == Exchange.PENDING
    )
    if status == Exchange.DONE:  # a request past its deadline cannot be accepted, even before the sweep ran
        stmt = stmt.where(or_(Exchange.expires_at.is_(None), Exchange.expires_at > moment))
    result = db.session.execute(
        stmt.values(status=status, decided_at=moment, **values).execution_options(synchronize_session=False)
    )
    db.session.refresh(exchange)
    if result.rowcount != 1:
        raise TimebankError(_already(exchange))


def _already(exchange: Exchange) -> str:
    if exchange.status == Exchange.DONE:
        return _("Cet échange est déjà confirmé.")
    if exchange.status == Exchange.DECLINED:
        return _("Cet échange a déjà été refusé.")
    if exchange.status == Exchange.CANCELLED:
        return _("Cet échange a été annulé.")
    return _("Cette demande a expiré.")


def _pay(territory, exchange: Exchange, actor) -> Transfer:
    record = services.transfer(
        territory,
        exchange.receiver_account,
        exchange.provider_account,
        exchange.minutes,
        actor=actor,
        description=exchange.description,
        category_id=exchange.category_id,
    )
    db.session.execute(update(Exchange).where(Exchange.id == exchange.id).values(transfer_id=record.id))
    db.session.refresh(exchange)
    return record


# -- the scheduler's sweep -------------------------------------------------------------------------------------------


def sweep(territory, now) -> None:
    """Scheduler job: remind the receiver of a payment request one day before it expires, then expire it."""
    for exchange in _pending_requests(territory, Exchange.expires_at <= now):
        _expire(territory, exchange, now)
    due = (Exchange.expires_at <= now + REMIND_BEFORE) & Exchange.reminded_at.is_(None)
    for exchange in _pending_requests(territory, due):
        _remind(territory, exchange, now)


def _pending_requests(territory, condition) -> list[Exchange]:
    return list(
        db.session.scalars(
            with_people(scoped_select(Exchange, territory))
            .where(Exchange.status == Exchange.PENDING, Exchange.expires_at.is_not(None), condition)
            .order_by(Exchange.id)
        )
    )


def _remind(territory, exchange: Exchange, now) -> None:
    marked = db.session.execute(
        update(Exchange)
        .where(Exchange.id == exchange.id, Exchange.reminded_at.is_(None), Exchange.status == Exchange.PENDING)
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    if marked.rowcount != 1:
        return
    receiver = exchange.receiver_account
    _tell(
        receiver,
        exchange,
        _l("Rappel : %(name)s attend votre réponse pour %(duration)s", **_words(exchange, exchange.provider_account)),
        "exchange_reminder",
        kind=REMINDER_KIND,
        expires=_when(exchange, receiver),
    )


def _expire(territory, exchange: Exchange, now) -> None:
    expired = db.session.execute(
        update(Exchange)
        .where(Exchange.id == exchange.id, Exchange.status == Exchange.PENDING)
        .values(status=Exchange.EXPIRED, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    if expired.rowcount != 1:
        return
    audit.record("timebank.exchange_expired", territory=territory, obj=exchange)
    title = _l("La demande de %(duration)s a expiré", duration=format_duration(exchange.minutes))
    for account in (exchange.provider_account, exchange.receiver_account):
        other = exchange.receiver_account if account is exchange.provider_account else exchange.provider_account
        _tell(account, exchange, title, "exchange_expired", other=services.account_label(other))


# -- notifications ---------------------------------------------------------------------------------------------------


def _words(exchange: Exchange, other: Account) -> dict:
    return {"name": services.account_label(other), "duration": format_duration(exchange.minutes)}


def _when(exchange: Exchange, reader: Account) -> str:
    territory = exchange_territory(exchange)
    locale = getattr(reader.user, "locale", None) or "fr"
    return local_datetime(exchange.expires_at, territory, locale) if exchange.expires_at else ""


def exchange_territory(exchange: Exchange):
    from platformcoop.tenancy.models import Territory

    return db.session.get(Territory, exchange.territory_id)


def exchange_path(exchange: Exchange) -> str:
    """The exchange page's path, inside a request or in a scheduler job (no request, no SERVER_NAME needed)."""
    values = {"exchange_id": exchange.id, "territory": exchange_territory(exchange).slug}
    if has_request_context():
        return url_for("timebank.exchange", **values)
    return current_app.url_map.bind("localhost").build("timebank.exchange", values)


def _tell(account: Account, exchange: Exchange, title, template: str, *, kind: str = KIND, **context) -> None:
    user = account.user
    if user is None:
        return
    category = exchange.category.label if exchange.category is not None else ""
    notify(
        user,
        kind,
        exchange_territory(exchange),
        exchange,
        title=title,
        url=exchange_path(exchange),
        email_template=f"timebank/{template}",
        exchange=exchange,
        duration=format_duration(exchange.minutes),
        category=category,
        description=exchange.description,
        receiver=services.account_label(exchange.receiver_account),
        provider=services.account_label(exchange.provider_account),
        **context,
    )


# -- loading (the pages' lists are in exchange_queries.py) -----------------------------------------------------------


def with_people(query):
    """Load both accounts, their people and the category with the exchanges (no query per row)."""
    return query.options(
        joinedload(Exchange.receiver_account).joinedload(Account.user),
        joinedload(Exchange.provider_account).joinedload(Account.user),
        joinedload(Exchange.category),
    )


# -- personal data (GDPR), called by plugins/timebank/gdpr.py ---------------------------------------------------------


def export_exchanges(territory, account: Account) -> list[dict]:
    """The exchanges ``account`` took part in, as JSON-ready dicts (the other person by their displayed name)."""
    rows = db.session.scalars(
        with_people(scoped_select(Exchange, territory))
        .where(or_(Exchange.receiver_account_id == account.id, Exchange.provider_account_id == account.id))
        .order_by(Exchange.created_at, Exchange.id)
    )
    exported = []
    for exchange in rows:
        role = RECEIVER if exchange.receiver_account_id == account.id else PROVIDER
        other = exchange.provider_account if role == RECEIVER else exchange.receiver_account
        exported.append(
            {
                "role": role,
                "other_person": services.account_label(other),
                "minutes": exchange.minutes,
                "hours": f"{exchange.minutes / 60:.2f}",
                "category": exchange.category.label if exchange.category is not None else "",
                "description": exchange.description,
                "initiated_by": exchange.initiated_by,
                "status": exchange.status,
                "created_at": exchange.created_at,
                "expires_at": exchange.expires_at,
                "decided_at": exchange.decided_at,
                "decline_reason": exchange.decline_reason,
            }
        )
    return exported


def cancel_pending_for(territory, account: Account) -> int:
    """Cancel every pending exchange ``account`` is part of (a leaving or erased member); how many were cancelled.

    No notification: the member is leaving, and the other side sees the exchange cancelled on its page.
    """
    result = db.session.execute(
        update(Exchange)
        .where(
            Exchange.territory_id == territory.id,
            Exchange.status == Exchange.PENDING,
            or_(Exchange.receiver_account_id == account.id, Exchange.provider_account_id == account.id),
        )
        .values(status=Exchange.CANCELLED, decided_at=clock_now())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:
        audit.record("timebank.exchanges_cancelled", territory=territory, obj=account, count=result.rowcount)
    return result.rowcount
