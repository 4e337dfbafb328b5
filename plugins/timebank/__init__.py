"""Banque de temps: members exchange hours of service, one hour given is one hour credited.

This first increment holds the double-entry ledger (accounts, transfers, movements, reversals, welcome credit) and the
member's page with their balance. See /work/shared/specs/timebank.md for the whole module.
"""

from __future__ import annotations

from pathlib import Path

from flask import url_for
from flask_babel import gettext as _

from platformcoop.plugins import ModuleManifest, NavItem, Setting, Stat, hookimpl

HERE = Path(__file__).parent
NAME = "timebank"

MANIFEST = ModuleManifest(
    name=NAME,
    label="Banque de temps",
    label_en="Time bank",
    segment="banque-de-temps",
    description="Les habitants échangent des heures de service : une heure donnée vaut une heure reçue.",
    icon="clock",
    settings=(
        Setting(
            "welcome_credit",
            "int",
            120,
            label="Crédit de bienvenue (minutes)",
            help="Versé par le compte commun à l'ouverture du compte d'un membre. Entre 0 et 1200 minutes (20 h).",
            min=0,
            max=1200,
        ),
        Setting(
            "min_balance",
            "int",
            -600,
            label="Solde minimal (minutes)",
            help="Un échange qui ferait descendre un solde plus bas est refusé. Entre -6000 (-100 h) et 0.",
            min=-6000,
            max=0,
        ),
        Setting(
            "max_balance",
            "int",
            2400,
            label="Solde maximal (minutes)",
            help="Un échange qui ferait monter un solde plus haut est refusé. Entre 60 (1 h) et 12000 (200 h).",
            min=60,
            max=12000,
        ),
        Setting(
            "max_transfer",
            "int",
            480,
            label="Durée maximale d'un échange (minutes)",
            help="Entre 15 et 1440 minutes (24 h).",
            min=15,
            max=1440,
        ),
        Setting(
            "step_minutes",
            "int",
            15,
            label="Pas des durées (minutes)",
            help="Les durées sont des multiples de ce pas. Entre 1 et 60.",
            min=1,
            max=60,
        ),
    ),
    permissions={"timebank.coordinate": ("timebank.coordinator", "admin")},
    roles={"timebank.coordinator": "Coordinateur de la banque de temps"},
)


@hookimpl
def pc_module_manifest():
    return MANIFEST


@hookimpl
def pc_blueprints():
    from plugins.timebank.views import bp

    return [bp]


@hookimpl
def pc_migrations_dir():
    return HERE / "migrations" / "versions"


@hookimpl
def pc_navigation_items(territory, user):
    from platformcoop.accounts.permissions import can

    if not can(user, "territory.use", territory):
        return []
    return [NavItem(label=_("Banque de temps"), url=url_for("timebank.index"), icon="clock", order=30, module=NAME)]


@hookimpl
def pc_territory_stats(territory, start, end):
    from plugins.timebank import services

    minutes = services.minutes_exchanged(territory, start, end)
    return [
        Stat(
            key="timebank_hours_exchanged",
            label=_("Heures échangées"),
            value=round(minutes / 60, 2),
            unit="h",
            module=NAME,
        )
    ]


@hookimpl
def pc_user_data_export(territory, user):
    from plugins.timebank import services

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


@hookimpl
def pc_user_erased(territory, user):
    """Movements are accounting rows: they stay, and so does the account, still linked to the anonymised User row
    ("Ancien membre"), so the other members' history and the territory's zero sum still add up. Nothing to erase."""
    return None
