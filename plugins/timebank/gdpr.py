"""What the time bank holds about a person: the export, and the erasure that keeps the ledger whole."""

from __future__ import annotations

from plugins.timebank import services


def export_user_data(territory, user) -> dict | None:
    account = services.member_account(territory, user)
    if account is None:
        return None  # the module holds nothing about this person here
    return {
        "account": {"opened_at": account.created_at, "balance_minutes": account.balance},
        "movements": [
            {
                "date": m.created_at,
                "minutes": m.minutes,
                "hours": f"{m.minutes / 60:.2f}",
                "kind": m.transfer.kind,
                "description": m.transfer.description,
            }
            for m in services.movements_of(territory, account, limit=None)
        ],
    }


def erase_user_data(territory, user) -> None:
    """Movements are accounting rows: they stay, and so does the account, still linked to the anonymised User row
    ("Ancien membre"), so the other members' history and the territory's zero sum still add up."""
