"""Réparation de vélos: residents book appointments with local bike repairers (workshops, mobile repairers, shops).

- ``models.py``: repairers (the bike-repair side of a core organisation) and their booking rules, services, bikes and
  their maintenance booklets, appointments;
- ``slots.py``: the one slot rule, pure; ``booking.py``: the one booking path, atomic under the repairer's lock;
- ``lifecycle.py``: accept, refuse, propose another time, done, no-show, expiry; ``reminders.py``: the reminders;
- ``calendar.py``: the ``.ics`` of an appointment; ``access.py``: who works where;
- ``views/``: the pages (search and booking, the resident's bikes and appointments, the repairer's back office);
- ``stats.py``, ``gdpr.py``, ``demo.py``, ``widgets.py``: the module's answers to the core's hooks.
"""

from __future__ import annotations

from pathlib import Path

from flask import url_for
from flask_babel import gettext as _

from platformcoop.plugins import JobSpec, ModuleManifest, NavItem, Setting, hookimpl
from plugins.bikerepair import models  # noqa: F401  (registers the module's tables)

HERE = Path(__file__).parent
NAME = "bikerepair"

MANIFEST = ModuleManifest(
    name=NAME,
    label="Réparation de vélos",
    label_en="Bike repair",
    segment="reparation-velo",
    description="Les habitants prennent rendez-vous auprès des ateliers et réparateurs de vélos du territoire.",
    icon="bike",
    default_enabled=True,
    notification_kinds={
        "bikerepair.appointment": "Réparation de vélos : vos rendez-vous",
        "bikerepair.staff": "Réparation de vélos : demandes reçues par votre atelier",
    },
    settings=(
        Setting(
            "reminder_hour",
            "int",
            18,
            label="Heure du rappel de la veille",
            help="Heure locale à laquelle l'habitant reçoit le rappel de son rendez-vous du lendemain. Entre 0 et 23.",
            min=0,
            max=23,
        ),
        Setting(
            "reminder_before_minutes",
            "int",
            120,
            label="Rappel avant le rendez-vous (minutes)",
            help="Un second rappel est envoyé ce temps avant le rendez-vous ; 0 : pas de second rappel. "
            "Entre 0 et 1440 (24 h).",
            min=0,
            max=1440,
        ),
        Setting(
            "pending_expiry_hours",
            "int",
            72,
            label="Expiration des demandes sans réponse (heures)",
            help="Valeur proposée aux nouveaux réparateurs : une demande sans réponse expire après ce délai. "
            "Chaque réparateur peut la changer. Entre 1 et 240 heures.",
            min=1,
            max=240,
        ),
    ),
)


@hookimpl
def pc_module_manifest():
    return MANIFEST


@hookimpl
def pc_migrations_dir():
    return HERE / "migrations" / "versions"


@hookimpl
def pc_translations_dir():
    return HERE / "translations"


@hookimpl
def pc_blueprints():
    from plugins.bikerepair.views import bp

    return [bp]


@hookimpl
def pc_jinja_globals():
    from plugins.bikerepair.access import backoffice_visible

    return {"bikerepair_backoffice_visible": backoffice_visible}


@hookimpl
def pc_navigation_items(territory, user):
    from platformcoop.accounts.permissions import can

    if not can(user, "territory.use", territory):
        return []
    return [
        NavItem(label=_("Réparation de vélos"), url=url_for("bikerepair.index"), icon="bike", order=40, module=NAME)
    ]


@hookimpl
def pc_dashboard_widgets(territory, user):
    from plugins.bikerepair import widgets

    return widgets.dashboard_widgets(territory, user)


@hookimpl
def pc_scheduled_jobs():
    from plugins.bikerepair import lifecycle, reminders

    return [
        JobSpec(id="bikerepair.expire_pending", function=lifecycle.expire_pending, trigger_args={"minutes": 15}),
        JobSpec(id="bikerepair.reminders", function=reminders.sweep, trigger_args={"minutes": 15}),
    ]


@hookimpl
def pc_territory_stats(territory, start, end):
    from plugins.bikerepair import stats

    return stats.territory_stats(territory, start, end)


@hookimpl
def pc_user_data_export(territory, user):
    from plugins.bikerepair import gdpr

    return gdpr.export_user_data(territory, user)


@hookimpl
def pc_user_erased(territory, user):
    from plugins.bikerepair import gdpr

    gdpr.erase_user_data(territory, user)


@hookimpl
def pc_media_access(territory, user, upload):
    from plugins.bikerepair.access import can_see_upload

    return True if can_see_upload(territory, user, upload) else None


@hookimpl
def pc_demo_data(territory):
    from plugins.bikerepair import demo

    demo.load(territory)
