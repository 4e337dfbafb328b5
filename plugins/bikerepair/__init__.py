"""Réparation de vélos: residents book appointments with local bike repairers (workshops, mobile repairers, shops).

This first increment holds the schema (repairers, services, bikes and their maintenance booklets, appointments) and
the one booking path (``booking.py``, over the pure slot engine of ``slots.py``), the appointment's lifecycle and the
expiry of unanswered requests (``lifecycle.py``). No pages yet, so the module is off
by default. See /work/shared/specs/bikerepair.md for the whole module.
"""

from __future__ import annotations

from pathlib import Path

from platformcoop.plugins import JobSpec, ModuleManifest, Setting, hookimpl
from plugins.bikerepair import models  # noqa: F401  (registers the module's tables; no blueprint imports them yet)

HERE = Path(__file__).parent
NAME = "bikerepair"

MANIFEST = ModuleManifest(
    name=NAME,
    label="Réparation de vélos",
    label_en="Bike repair",
    segment="reparation-velo",
    description="Les habitants prennent rendez-vous auprès des ateliers et réparateurs de vélos du territoire.",
    icon="bike",
    # Off until the module has pages: a territory switching it on would otherwise see an empty module.
    default_enabled=False,
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
def pc_scheduled_jobs():
    from plugins.bikerepair import lifecycle

    return [JobSpec(id="bikerepair.expire_pending", function=lifecycle.expire_pending, trigger_args={"minutes": 15})]
