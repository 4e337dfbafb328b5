"""The time bank's rules, called by the views, the hooks and the tests alike.

Balances are stored on the accounts and changed only here, in the transaction that writes the movements: the rows
are locked (``SELECT … FOR UPDATE`` on PostgreSQL) and every balance change is a conditional ``UPDATE`` that refuses to
cross a limit, so concurrent transfers never overdraw an account. Services never commit: the caller does, or rolls back.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from platformcoop import audit
from platformcoop.accounts.permissions import can
from platformcoop.clock import now
from platformcoop.extensions import db
from platformcoop.formatting import format_duration
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy import scoped_select
from platformcoop.tenancy.services import module_settings
from plugins.timebank.models import (
    KIND_CORRECTION,
    KIND_CREDIT,
    KIND_REVERSAL,
    KIND_TRANSFER,
    KIND_WELCOME,
    KIND_WRITE_OFF,
    Account,
    Movement,
    Transfer,
)

NAME = "timebank"


class TimebankError(ValueError):
    """A refused operation; the message is French text for the user."""


def settings(territory) -> dict:
    return module_settings(get_registry(), territory, NAME)


def community_account(territory) -> Account:
    """The territory's community account, created on first use."""
    account = db.session.scalar(scoped_select(Account, territory).where(Account.community.is_(True)))
    if account is None:
        account = Account(territory_id=territory.id, community=True, balance=0)
        db.session.add(account)
        db.session.flush()
    return account


def member_account(territory, user) -> Account | None:
    return db.session.scalar(scoped_select(Account, territory).where(Account.user_id == user.id))


def open_account(territory, user, actor=None) -> Account:
    """The member's account, opened (with the welcome credit from the community account) if it does not exist yet.

    The unique constraint (territory, user) makes a concurrent second opening fail instead of paying twice.
    """
    account = member_account(territory, user)
    if account is not None:
        return account
    membership = user.membership_in(territory)
    if membership is None or not membership.is_active:
        raise TimebankError(_("Seuls les membres du territoire ont un compte de temps."))
    account = Account(territory_id=territory.id, user_id=user.id, balance=0, charter_accepted_at=now())
    db.session.add(account)
    db.session.flush()
    audit.record("timebank.account_opened", actor=actor or user, territory=territory, obj=account)
    welcome = settings(territory)["welcome_credit"]
    if welcome > 0:
        _write_transfer(
            territory,
            community_account(territory),
            account,
            welcome,
            kind=KIND_WELCOME,
            description=_("Crédit de bienvenue"),
            actor=actor,
            enforce_limits=False,
        )
    return account


def account_label(account: Account | None) -> str:
    """The name shown for an account: the member's name, "Compte commun", or "Ancien membre" after an erasure."""
    if account is None:
        return ""
    if account.is_community:
        return _("Compte commun")
    user = account.user
    if user is None or user.is_erased or user.disabled:
        return _("Ancien membre")
    return user.display_name


# -- transfers ------------------------------------------------------------------------------------------------------


def check_amount(territory, minutes) -> None:
    """Refuse zero, negative, off-step and over-maximum amounts (whatever the form allowed)."""
    conf = settings(territory)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
        raise TimebankError(_("La durée doit être positive."))
    if minutes % conf["step_minutes"]:
        raise TimebankError(_("La durée doit être un multiple de %(step)s minutes.", step=conf["step_minutes"]))
    if minutes > conf["max_transfer"]:
        raise TimebankError(_("Un échange ne peut pas dépasser %(max)s.", max=format_duration(conf["max_transfer"])))


def transfer(
    territory, source: Account, destination: Account, minutes: int, *, actor=None, description="", category_id=None
) -> Transfer:
    """Move ``minutes`` from ``source`` to ``destination``, within the territory's limits."""
    check_amount(territory, minutes)
    for account in (source, destination):
        if account.closed_at is not None:
            raise TimebankError(_("Ce compte est fermé : il ne peut plus recevoir ni donner d'heures."))
    return _write_transfer(
        territory,
        source,
        destination,
        minutes,
        kind=KIND_TRANSFER,
        description=description,
        actor=actor,
        category_id=category_id,
    )


def reverse(territory, original: Transfer, *, actor, reason: str) -> Transfer:
    """A coordinator's correction: a compensating transfer linked to ``original``, once, with a reason.

    Limits do not apply (the correction undoes a mistake); it is audited.
    """
    if not can(actor, "timebank.coordinate", territory):
        raise TimebankError(_("Seuls les coordinateurs peuvent annuler un échange."))
    if original.territory_id != territory.id:
        raise TimebankError(_("Cet échange n'existe pas."))
    reason = (reason or "").strip()
    if not reason:
        raise TimebankError(_("Indiquez la raison de l'annulation."))
    if original.kind == KIND_REVERSAL:
        raise TimebankError(_("Une annulation ne peut pas être annulée."))
    already = db.session.scalar(scoped_select(Transfer, territory).where(Transfer.reverses_id == original.id))
    if already is not None:
        raise TimebankError(_("Cet échange a déjà été annulé."))
    try:
        return _write_transfer(
            territory,
            original.to_account,
            original.from_account,
            original.minutes,
            kind=KIND_REVERSAL,
            description=reason,
            actor=actor,
            enforce_limits=False,
            reverses=original,
            reason=reason,
        )
    except IntegrityError:  # a concurrent reversal won the race (unique constraint); the caller rolls back
        raise TimebankError(_("Cet échange a déjà été annulé."))


# -- coordinators' corrections --------------------------------------------------------------------------------------
#
# Each needs the permission ``timebank.coordinate`` and a reason, which becomes the transfer's description and goes
# into the audit log with the transfer's entry.
#
# | function           | moves                                        | kind                | limits                 |
# |--------------------|----------------------------------------------|---------------------|------------------------|
# | reverse            | the original back, once                      | reversal            | not enforced           |
# | reverse_and_record | reverse, then the right amount, same members | reversal + transfer | the new one's apply    |
# | write_off          | a leaving member's whole balance ↔ community | write_off           | not enforced; closes   |
# | manual_credit      | community → member (volunteering, donation)  | credit              | member's maximum       |
# |                    | … with ``exceed_limits``                     | correction          | not enforced           |
# | correction         | any account → any other account              | correction          | not enforced           |


def reverse_and_record(territory, original: Transfer, minutes: int, *, actor, reason: str) -> tuple[Transfer, Transfer]:
    """Fix a wrong amount ("3 h recorded instead of 1 h 30"): reverse ``original``, record ``minutes`` instead.

    The new transfer is an ordinary exchange (same category and description, limits enforced), so the statistics
    count the right amount. Returns (reversal, new transfer); on refusal the caller rolls both back.
    """
    if original.kind != KIND_TRANSFER:
        raise TimebankError(_("Seul un échange entre membres peut être enregistré à nouveau avec une autre durée."))
    check_amount(territory, minutes)
    reversal = reverse(territory, original, actor=actor, reason=reason)
    record = transfer(
        territory,
        original.from_account,
        original.to_account,
        minutes,
        actor=actor,
        description=original.description,
        category_id=original.category_id,
    )
    audit.record(
        "timebank.rerecorded", actor=actor, territory=territory, obj=record, replaces=original.id, reason=reason.strip()
    )
    return reversal, record


def write_off(territory, account: Account, *, actor, reason: str) -> Transfer | None:
    """A member leaves: settle their whole balance with the community account and close the account.

    A positive balance goes to the community account, a negative one is covered by it, a zero balance just closes.
    A closed account takes no new exchange. One already closed may be written off again if a later correction left
    a balance on it. Returns the write-off transfer, or None when the balance was zero.
    """
    _check_coordinator(territory, actor, _("Seuls les coordinateurs peuvent solder un compte."))
    reason = _required_reason(reason, _("Indiquez la raison de la fermeture du compte."))
    _check_member_account(territory, account)
    locked = _lock(territory, account)[account.id]  # the balance read here cannot move before the write-off
    balance = locked.balance
    if locked.closed_at is not None and balance == 0:
        raise TimebankError(_("Ce compte est déjà fermé et soldé."))
    community = community_account(territory)
    record = None
    if balance:
        source, destination = (locked, community) if balance > 0 else (community, locked)
        record = _write_transfer(
            territory,
            source,
            destination,
            abs(balance),
            kind=KIND_WRITE_OFF,
            description=reason,
            actor=actor,
            enforce_limits=False,
            reason=reason,
        )
    if locked.closed_at is None:
        locked.closed_at = now()
        audit.record("timebank.account_closed", actor=actor, territory=territory, obj=locked, reason=reason)
    db.session.flush()
    return record


def manual_credit(
    territory, account: Account, minutes: int, *, actor, reason: str, exceed_limits: bool = False
) -> Transfer:
    """Hours from the community account to a member, e.g. for volunteering for the time bank.

    The amount follows the usual rules (step, maximum per exchange) and the member's maximum balance applies,
    unless the coordinator explicitly chose ``exceed_limits``: the transfer is then a ``correction``.
    """
    _check_coordinator(territory, actor, _("Seuls les coordinateurs peuvent créditer un compte."))
    reason = _required_reason(reason, _("Indiquez la raison du crédit."))
    _check_member_account(territory, account)
    check_amount(territory, minutes)
    if account.closed_at is not None:
        raise TimebankError(_("Ce compte est fermé : il ne peut plus recevoir ni donner d'heures."))
    return _write_transfer(
        territory,
        community_account(territory),
        account,
        minutes,
        kind=KIND_CORRECTION if exceed_limits else KIND_CREDIT,
        description=reason,
        actor=actor,
        enforce_limits=not exceed_limits,
        reason=reason,
    )


def correction(territory, source: Account, destination: Account, minutes: int, *, actor, reason: str) -> Transfer:
    """A coordinator's explicit transfer between any two accounts of the territory; the limits do not apply.

    For what the other operations do not fix (a balance carried over from a paper ledger, a mistake on the community
    account). Any positive whole number of minutes: neither the step nor the maximum per exchange applies, since a
    correction may have to undo amounts recorded under other settings. Closed accounts may be corrected too.
    """
    _check_coordinator(territory, actor, _("Seuls les coordinateurs peuvent faire une correction."))
    reason = _required_reason(reason, _("Indiquez la raison de la correction."))
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
        raise TimebankError(_("La durée doit être positive."))
    return _write_transfer(
        territory,
        source,
        destination,
        minutes,
        kind=KIND_CORRECTION,
        description=reason,
        actor=actor,
        enforce_limits=False,
        reason=reason,
    )


def _check_coordinator(territory, actor, message: str) -> None:
    if actor is None or not can(actor, "timebank.coordinate", territory):
        raise TimebankError(message)


def _required_reason(reason: str | None, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise TimebankError(message)
    return reason


def _check_member_account(territory, account: Account) -> None:
    if account.territory_id != territory.id:
        raise TimebankError(_("Ce compte n'existe pas."))
    if account.is_community:
        raise TimebankError(_("Cette opération concerne le compte d'un membre, pas le compte commun."))


def _lock(territory, *accounts: Account) -> dict[int, Account]:
    """Lock the accounts' rows in id order (no deadlock between opposite transfers) and read fresh balances."""
    ids = sorted({a.id for a in accounts})
    rows = db.session.scalars(
        scoped_select(Account, territory)
        .where(Account.id.in_(ids))
        .order_by(Account.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    if len(rows) != len(ids):
        raise TimebankError(_("Ce compte n'existe pas."))
    return {row.id: row for row in rows}


def _apply(territory, account: Account, delta: int, low: int | None, high: int | None) -> bool:
    """Conditional update: add ``delta`` unless the new balance crosses a limit. False when refused."""
    stmt = update(Account).where(Account.id == account.id, Account.territory_id == territory.id)
    if low is not None:
        stmt = stmt.where(Account.balance + delta >= low)
    if high is not None:
        stmt = stmt.where(Account.balance + delta <= high)
    result = db.session.execute(
        stmt.values(balance=Account.balance + delta).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _write_transfer(
    territory,
    source: Account,
    destination: Account,
    minutes: int,
    *,
    kind: str,
    description: str = "",
    actor=None,
    enforce_limits: bool = True,
    reverses: Transfer | None = None,
    category_id: int | None = None,
    reason: str | None = None,
) -> Transfer:
    if source.id == destination.id:
        raise TimebankError(_("Choisissez un autre compte que le vôtre."))
    if source.territory_id != territory.id or destination.territory_id != territory.id:
        raise TimebankError(_("Ce compte n'existe pas."))
    locked = _lock(territory, source, destination)
    src, dst = locked[source.id], locked[destination.id]
    if kind == KIND_TRANSFER and (src.closed_at is not None or dst.closed_at is not None):
        # checked again on the locked rows: a write-off may have closed the account since ``transfer`` looked
        raise TimebankError(_("Ce compte est fermé : il ne peut plus recevoir ni donner d'heures."))
    conf = settings(territory)
    low = conf["min_balance"] if enforce_limits and not src.is_community else None
    high = conf["max_balance"] if enforce_limits and not dst.is_community else None
    # Checked on the locked rows first, so that a refusal writes nothing ...
    if low is not None and src.balance - minutes < low:
        raise TimebankError(
            _(
                "Solde insuffisant : le solde ne peut pas descendre sous %(limit)s (solde actuel : %(balance)s).",
                limit=format_duration(low),
                balance=format_duration(src.balance),
            )
        )
    if high is not None and dst.balance + minutes > high:
        raise TimebankError(
            _(
                "Ce transfert ferait dépasser au destinataire le solde maximal de %(limit)s.",
                limit=format_duration(high),
            )
        )
    # ... and guaranteed by the conditional updates, whatever the database's locking.
    if not _apply(territory, src, -minutes, low, None):
        raise TimebankError(
            _("Solde insuffisant : le solde ne peut pas descendre sous %(limit)s.", limit=format_duration(low))
        )
    if not _apply(territory, dst, minutes, None, high):
        _apply(territory, src, minutes, None, None)  # undo the debit of this transaction
        raise TimebankError(
            _(
                "Ce transfert ferait dépasser au destinataire le solde maximal de %(limit)s.",
                limit=format_duration(high),
            )
        )
    db.session.expire(src, ["balance"])
    db.session.expire(dst, ["balance"])
    record = Transfer(
        territory_id=territory.id,
        from_account_id=src.id,
        to_account_id=dst.id,
        minutes=minutes,
        kind=kind,
        description=description,
        reverses_id=reverses.id if reverses is not None else None,
        category_id=category_id if reverses is None else reverses.category_id,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(record)
    db.session.flush()
    db.session.add_all(
        [
            Movement(territory_id=territory.id, transfer_id=record.id, account_id=src.id, minutes=-minutes),
            Movement(territory_id=territory.id, transfer_id=record.id, account_id=dst.id, minutes=minutes),
        ]
    )
    db.session.flush()
    audit.record(
        f"timebank.{kind}",
        actor=actor,
        territory=territory,
        obj=record,
        minutes=minutes,
        from_account=src.id,
        to_account=dst.id,
        reverses=record.reverses_id,
        **({"reason": reason} if reason is not None else {}),
    )
    return record


# -- reading --------------------------------------------------------------------------------------------------------


def movements_of(territory, account: Account, limit: int | None = 20) -> list[Movement]:
    query = scoped_select(Movement, territory).where(Movement.account_id == account.id)
    query = query.order_by(Movement.created_at.desc(), Movement.id.desc())
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def movements_sum(territory, account: Account | None = None) -> int:
    query = select(func.coalesce(func.sum(Movement.minutes), 0)).where(Movement.territory_id == territory.id)
    if account is not None:
        query = query.where(Movement.account_id == account.id)
    return int(db.session.scalar(query))
