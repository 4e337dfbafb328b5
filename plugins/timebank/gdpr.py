"""What the time bank holds about a person: the export, and the erasure that keeps the ledger whole.

The ledger part (the account and its movements) is here; offers and requests, exchanges and childcare add their own
parts through ``posts.export_posts``, ``exchanges.export_exchanges`` and ``childcare.export_childcare``, and erase
them through ``posts.erase_posts``, ``exchanges.cancel_pending_for`` and ``childcare.erase_childcare``. Those are
looked up by name (:func:`_part`) so that a module area that does not provide one yet is simply left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from platformcoop import audit
from platformcoop.clock import now
from platformcoop.extensions import db
from plugins.timebank import childcare, exchanges, posts, services
from plugins.timebank.models import Account, Movement, Transfer
from plugins.timebank.reports import KIND_LABELS


def _part(module, name: str) -> Callable | None:
    return getattr(module, name, None)


def export_user_data(territory, user) -> dict | None:
    account = services.member_account(territory, user)
    data: dict[str, Any] = {}
    if account is not None:
        data["account"] = _account(account)
        data["movements"] = _movements(territory, account)
    export_posts = _part(posts, "export_posts")
    if export_posts is not None:
        exported = export_posts(territory, user)
        if exported or account is not None:
            data["posts"] = exported
    if account is not None:
        for key, module, name in (
            ("exchanges", exchanges, "export_exchanges"),
            ("childcare", childcare, "export_childcare"),
        ):
            export = _part(module, name)
            if export is not None:
                data[key] = export(territory, account)
    return data or None  # None: the module holds nothing about this person here


def _account(account: Account) -> dict[str, Any]:
    return {
        "opened_at": account.created_at,
        "charter_accepted_at": account.charter_accepted_at,
        "balance_minutes": account.balance,
        "balance_hours": f"{account.balance / 60:.2f}",
        "closed_at": account.closed_at,
    }


def _movements(territory, account: Account) -> list[dict[str, Any]]:
    """Every movement of the account, newest first, with the other side's name (one query for the lot)."""
    movements = db.session.scalars(
        select(Movement)
        .where(Movement.territory_id == territory.id, Movement.account_id == account.id)
        .options(
            selectinload(Movement.transfer).selectinload(Transfer.from_account).selectinload(Account.user),
            selectinload(Movement.transfer).selectinload(Transfer.to_account).selectinload(Account.user),
        )
        .order_by(Movement.created_at.desc(), Movement.id.desc())
    ).all()
    rows = []
    for movement in movements:
        record = movement.transfer
        other = record.to_account if movement.minutes < 0 else record.from_account
        rows.append(
            {
                "date": movement.created_at,
                "minutes": movement.minutes,
                "hours": f"{movement.minutes / 60:.2f}",
                "kind": record.kind,
                "kind_label": str(KIND_LABELS.get(record.kind, record.kind)),
                "counterpart": services.account_label(other),
                "description": record.description,
                "transfer": record.id,
                "reverses_transfer": record.reverses_id,
            }
        )
    return rows


def erase_user_data(territory, user) -> None:
    """Movements are accounting rows: they stay, and so does the account, still linked to the anonymised User row
    ("Ancien membre"), so the other members' history and the territory's zero sum still add up.

    What is personal goes, each area erasing its own: the offers and requests, the pending exchanges (cancelled),
    the children, the emergency contact and the vetting notes. The account is closed so that no one records an
    exchange with a person who left; a balance still on it stays until a coordinator writes it off to the community
    account (the coordinators' hub lists such accounts).
    """
    erase_posts = _part(posts, "erase_posts")
    if erase_posts is not None:
        erase_posts(territory, user)
    account = services.member_account(territory, user)
    if account is None:
        return
    for module, name in ((exchanges, "cancel_pending_for"), (childcare, "erase_childcare")):
        erase = _part(module, name)
        if erase is not None:
            erase(territory, account)
    if account.closed_at is None:
        account.closed_at = now()
        audit.record("timebank.account_closed", actor=user, territory=territory, obj=account, erased=True)
    db.session.flush()
