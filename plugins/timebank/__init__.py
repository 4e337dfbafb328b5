"""Banque de temps: members exchange hours of service, one hour given is one hour credited.

This first increment holds the double-entry ledger (accounts, transfers, movements, reversals, welcome credit) and the
member's page with their balance. See /work/shared/specs/timebank.md for the whole module.
"""

from __future__ import annotations

from pathlib import Path

from flask import url_for
from flask_babel import gettext as _

from platformcoop.plugins import JobSpec, ModuleManifest, NavItem, Setting, hookimpl

HERE = Path(__file__).parent
NAME = "timebank"

DEFAULT_CHARTER = (
    "Une heure donnée vaut une heure reçue, quel que soit le service. "
    "Je rends service à titre bénévole et occasionnel, sans argent. "
    "Je respecte les personnes que je rencontre, leur domicile et leur vie privée. "
    "Je préviens au plus tôt si je ne peux pas venir. "
    "Je signale aux coordinateurs tout problème ou tout comportement inquiétant, en particulier envers un enfant."
)

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
        Setting(
            "provider_confirms",
            "bool",
            False,
            label="Le prestataire confirme les heures reçues",
            help="Oui : quand un membre déclare avoir reçu un service, le prestataire confirme avant que les heures "
            "passent. Non : les heures passent tout de suite et le prestataire est prévenu.",
        ),
        Setting(
            "request_expiry_days",
            "int",
            7,
            label="Délai de réponse à une demande d'heures (jours)",
            help="Une demande d'heures sans réponse expire après ce délai ; un rappel est envoyé la veille. "
            "Entre 1 et 60 jours.",
            min=1,
            max=60,
        ),
        Setting(
            "session_answer_days",
            "int",
            7,
            label="Délai de confirmation d'une garde (jours)",
            help="Après la déclaration des heures de garde, le parent a ce délai pour confirmer ou contester. "
            "Entre 1 et 30 jours.",
            min=1,
            max=30,
        ),
        Setting(
            "unanswered_policy",
            "choice",
            "auto_confirm",
            label="Garde sans réponse du parent",
            help="Ce qui se passe à la fin du délai de confirmation, après un rappel au parent.",
            choices=(
                ("auto_confirm", "Les heures sont confirmées automatiquement"),
                ("expire", "La garde expire sans transfert d'heures"),
            ),
        ),
        Setting(
            "late_cancel_hours",
            "int",
            24,
            label="Annulation tardive (heures avant la garde)",
            help="Une garde annulée moins de tant d'heures avant son début est notée comme annulation tardive "
            "(visible des coordinateurs, sans pénalité). Entre 0 et 168.",
            min=0,
            max=168,
        ),
        Setting(
            "weekly_childcare_cap",
            "int",
            1200,
            label="Plafond de garde par semaine et par gardien (minutes)",
            help="La garde régulière au domicile est un métier réglementé (assistante maternelle) : la banque de "
            "temps reste de l'entraide occasionnelle. Entre 60 (1 h) et 3000 (50 h).",
            min=60,
            max=3000,
        ),
        Setting(
            "weighting",
            "bool",
            False,
            label="Pondérer les heures de garde",
            help="Non : une heure vaut une heure. Oui : la durée est majorée par enfant supplémentaire et la nuit.",
        ),
        Setting(
            "extra_child_percent",
            "int",
            50,
            label="Majoration par enfant supplémentaire (%)",
            help="Appliquée si la pondération est active. Entre 0 et 100.",
            min=0,
            max=100,
        ),
        Setting(
            "night_percent",
            "int",
            0,
            label="Majoration des heures de nuit (%)",
            help="Appliquée si la pondération est active, aux heures entre le début et la fin de la nuit. "
            "Entre 0 et 100.",
            min=0,
            max=100,
        ),
        Setting(
            "night_start_hour",
            "int",
            22,
            label="Début de la nuit (heure)",
            help="Entre 18 et 23.",
            min=18,
            max=23,
        ),
        Setting(
            "night_end_hour",
            "int",
            7,
            label="Fin de la nuit (heure)",
            help="Entre 4 et 9.",
            min=4,
            max=9,
        ),
        Setting(
            "balances_public",
            "bool",
            False,
            label="Soldes visibles par les membres",
            help="Non : chaque membre ne voit que son solde (les coordinateurs voient tout). "
            "Oui : le solde apparaît sur le profil des membres.",
        ),
        Setting(
            "charter",
            "str",
            DEFAULT_CHARTER,
            label="Charte de la banque de temps",
            help="Acceptée par chaque membre à son inscription. 4000 caractères au plus.",
            max_length=4000,
        ),
    ),
    permissions={"timebank.coordinate": ("timebank.coordinator", "admin")},
    roles={"timebank.coordinator": "Coordinateur de la banque de temps"},
    notification_kinds={
        "timebank.exchange": "Banque de temps : heures reçues, données ou demandées",
        "timebank.session": "Banque de temps : demandes et suivi des gardes d'enfants",
        "timebank.reminder": "Banque de temps : rappels (garde demain, heures à déclarer ou à confirmer)",
        "timebank.coordination": "Banque de temps : vérifications, litiges et corrections",
    },
)


@hookimpl
def pc_module_manifest():
    return MANIFEST


@hookimpl
def pc_blueprints():
    from plugins.timebank.views import bp

    return [bp]


@hookimpl
def pc_jinja_globals():
    from plugins.timebank.services import account_label

    return {"timebank_account_label": account_label}


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
def pc_dashboard_widgets(territory, user):
    from plugins.timebank import widgets

    return widgets.dashboard_widgets(territory, user)


@hookimpl
def pc_admin_menu_items(territory, user):
    from platformcoop.accounts.permissions import can

    items = []
    if can(user, "territory.admin", territory):
        items.append(
            NavItem(
                label=_("Catégories de la banque de temps"), url=url_for("timebank.categories"), order=60, module=NAME
            )
        )
    if can(user, "timebank.coordinate", territory):
        items.append(
            NavItem(
                label=_("Coordination de la banque de temps"),
                url=url_for("timebank.coordination"),
                order=61,
                module=NAME,
            )
        )
    return items


@hookimpl
def pc_scheduled_jobs():
    from plugins.timebank import childcare, exchanges

    return [
        JobSpec(id="timebank.exchanges", function=exchanges.sweep, trigger_args={"minutes": 15}),
        JobSpec(id="timebank.sessions", function=childcare.sweep, trigger_args={"minutes": 15}),
    ]


@hookimpl
def pc_module_enabled(territory):
    from plugins.timebank import categories

    categories.ensure_default_categories(territory)


@hookimpl
def pc_territory_created(territory):
    from plugins.timebank import categories

    categories.ensure_default_categories(territory)


@hookimpl
def pc_search(territory, user, query):
    from plugins.timebank import posts

    return posts.search_results(territory, user, query)


@hookimpl
def pc_territory_stats(territory, start, end):
    from plugins.timebank import stats

    return stats.territory_stats(territory, start, end)


@hookimpl
def pc_user_data_export(territory, user):
    from plugins.timebank import gdpr

    return gdpr.export_user_data(territory, user)


@hookimpl
def pc_user_erased(territory, user):
    from plugins.timebank import gdpr

    gdpr.erase_user_data(territory, user)


@hookimpl
def pc_demo_data(territory):
    from plugins.timebank import demo

    demo.load(territory)


@hookimpl
def pc_translations_dir():
    return HERE / "translations"
