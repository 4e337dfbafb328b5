"""Demo content: three territories of the Lille area, their administrators and residents, and module content.

Runs once: when the demo territories exist it does nothing. Every module adds its own content through
``pc_demo_data``. The accounts below are printed by ``flask pc demo`` and listed in the README (demo only).
"""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import current_app
from sqlalchemy import select

from platformcoop.accounts import services as accounts
from platformcoop.extensions import db
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy import services as territories
from platformcoop.tenancy import territory_context
from platformcoop.tenancy.models import JOIN_APPROVAL, JOIN_OPEN, Membership, Territory

DEMO_PASSWORD = "entraide-demo-2026"

TERRITORIES = [
    {
        "slug": "libercourt",
        "name": "Libercourt",
        "kind": "commune",
        "join_policy": JOIN_OPEN,
        "primary_color": "#1d5b79",
        "welcome_text": "Bienvenue sur la plateforme d'entraide de Libercourt : gardes d'enfants, "
        "échanges d'objets et services entre voisins.",
    },
    {
        "slug": "lomme",
        "name": "Lomme",
        "kind": "commune_associee",
        "join_policy": JOIN_APPROVAL,
        "primary_color": "#6a2c70",
        "welcome_text": "Lomme, commune associée à Lille, vous propose ses services solidaires.",
    },
    {
        "slug": "mel",
        "name": "Métropole Européenne de Lille",
        "kind": "metropole",
        "join_policy": JOIN_OPEN,
        "primary_color": "#b5121b",
        "welcome_text": "Les services d'entraide de la Métropole : réparation de vélos, conciergerie solidaire...",
    },
]

# (e-mail, display name, neighbourhood, {territory slug: roles})
PEOPLE = [
    ("operateur@example.org", "Opérateur de la plateforme", None, {}),
    (
        "admin.libercourt@example.org",
        "Nadia Haddad (mairie)",
        "Centre",
        {"libercourt": ("resident", "admin")},
    ),
    ("admin.lomme@example.org", "Julien Vasseur (mairie)", "Bourg", {"lomme": ("resident", "admin")}),
    ("admin.mel@example.org", "Élise Caron (MEL)", "Lille", {"mel": ("resident", "admin")}),
    ("camille.martin@example.org", "Camille Martin", "Cité Bruno", {"libercourt": ("resident",)}),
    ("karim.benali@example.org", "Karim Benali", "La Faisanderie", {"libercourt": ("resident", "moderator")}),
    (
        "sophie.leroy@example.org",
        "Sophie Leroy",
        "Mont-à-Camp",
        {"lomme": ("resident",), "mel": ("resident",)},
    ),
    ("lucas.dubois@example.org", "Lucas Dubois", "Wazemmes", {"mel": ("resident",)}),
    (
        "aicha.diallo@example.org",
        "Aïcha Diallo",
        "59160",
        {"lomme": ("resident",), "libercourt": ("resident",)},
    ),
]


def load_demo(echo: Callable[[str], None] = click.echo) -> bool:
    """Create the demo; return False (and change nothing) when it is already there."""
    registry = get_registry()
    if db.session.scalar(select(Territory.id).where(Territory.slug == TERRITORIES[0]["slug"])):
        echo("Les données de démonstration sont déjà chargées.")
        return False
    by_slug = {}
    with click.progressbar(TERRITORIES, label="Territoires") as bar:
        for spec in bar:
            # the modules on by default (a module still without pages is off)
            by_slug[spec["slug"]] = territories.create_territory(registry, **spec)
    with click.progressbar(PEOPLE, label="Habitants et administrateurs") as bar:
        for email, name, neighbourhood, roles in bar:
            user = accounts.create_user(email, DEMO_PASSWORD, name, confirmed=True, neighbourhood=neighbourhood)
            user.is_superadmin = email.startswith("operateur")
            for slug, role_names in roles.items():
                territories.add_member(by_slug[slug], user, roles=role_names)
    db.session.flush()
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        _core_content(by_slug)
    with click.progressbar(list(by_slug.values()), label="Contenu des modules") as bar:
        for territory in bar:
            with territory_context(territory):
                registry.hook(territory, "pc_demo_data")(territory=territory)
    db.session.commit()
    echo("")
    echo(f"Comptes de démonstration (mot de passe commun : {DEMO_PASSWORD}) :")
    for email, name, _neighbourhood, roles in PEOPLE:
        where = ", ".join(f"{slug} ({'/'.join(r)})" for slug, r in roles.items()) or "superadmin"
        echo(f"  {email:32} {name:30} {where}")
    return True


# -- the core's own content: organisations with opening hours, history for the charts, a conversation ---------------

ORGANISATIONS = {
    "libercourt": [
        {
            "kind": "association",
            "name": "Centre social Arc-en-Ciel",
            "description": "Accueil des familles, aide aux démarches, ateliers parents-enfants.",
            "address": "12 rue Jean Jaurès",
            "postcode": "62820",
            "city": "Libercourt",
            "contact_email": "accueil@arc-en-ciel.example.org",
            "owner": "karim.benali@example.org",
            "hours": {0: [(540, 720), (840, 1080)], 2: [(540, 720)], 4: [(540, 720), (840, 1080)]},
        },
    ],
    "lomme": [
        {
            "kind": "association",
            "name": "Ressourcerie de Lomme",
            "description": "Collecte, réparation et revente d'objets du quotidien.",
            "address": "5 avenue de Dunkerque",
            "postcode": "59160",
            "city": "Lomme",
            "owner": "sophie.leroy@example.org",
            "hours": {1: [(600, 1080)], 2: [(600, 1080)], 5: [(540, 1020)]},
        },
    ],
    "mel": [
        {
            "kind": "repairer",
            "name": "Atelier du Vélo Solidaire",
            "description": "Atelier associatif : on vous apprend à réparer votre vélo.",
            "address": "23 rue Gosselet",
            "postcode": "59000",
            "city": "Lille",
            "latitude": 50.6261,
            "longitude": 3.0676,
            "owner": "lucas.dubois@example.org",
            "hours": {1: [(840, 1140)], 3: [(840, 1140)], 5: [(600, 1080)]},
        },
        {
            "kind": "provider",
            "name": "Pressing solidaire de Wazemmes",
            "description": "Chantier d'insertion : pressing, retouches et repassage.",
            "address": "8 place de la Nouvelle Aventure",
            "postcode": "59000",
            "city": "Lille",
            "owner": "sophie.leroy@example.org",
            "hours": {d: [(540, 750), (840, 1110)] for d in range(5)},
        },
    ],
}


def _core_content(by_slug: dict[str, Territory]) -> None:
    from datetime import timedelta

    from platformcoop.accounts.models import User
    from platformcoop.clock import now
    from platformcoop.hours import services as hours
    from platformcoop.messaging.services import start_conversation
    from platformcoop.organisations import services as organisations

    users = {u.email: u for u in db.session.scalars(select(User))}
    for slug, specs in ORGANISATIONS.items():
        territory = by_slug[slug]
        with territory_context(territory):
            for spec in specs:
                spec = dict(spec)
                owner, weekly = users[spec.pop("owner")], spec.pop("hours")
                organisation = organisations.create_organisation(territory, spec, owner=owner)
                schedule = organisations.opening_schedule(organisation)
                for weekday, ranges in weekly.items():
                    hours.set_day_ranges(schedule, weekday, ranges)
                start = now().replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=10)
                hours.add_closure(schedule, start, start + timedelta(hours=6), "Formation de l'équipe")

    # Members joined over the past year, so the municipality's charts have a history.
    memberships = db.session.scalars(select(Membership).order_by(Membership.id)).all()
    for index, membership in enumerate(memberships):
        membership.decided_at = now() - timedelta(days=30 * (index % 11) + 3)
        membership.created_at = membership.decided_at

    lomme, mel = by_slug["lomme"], by_slug["mel"]
    with territory_context(lomme):
        newcomer = accounts.create_user(
            "thomas.petit@example.org", DEMO_PASSWORD, "Thomas Petit", confirmed=True, neighbourhood="Canteleu"
        )
        territories.join_territory(lomme, newcomer, "J'habite Lomme depuis peu et je voudrais aider.")
        organisations.propose_organisation(
            lomme,
            users["aicha.diallo@example.org"],
            {"kind": "library", "name": "Bibliothèque d'objets du Bourg", "city": "Lomme", "postcode": "59160"},
        )
    with territory_context(mel):
        start_conversation(
            mel,
            users["sophie.leroy@example.org"],
            with_user=users["lucas.dubois@example.org"],
            title="Réglage des freins",
            first_message="Bonjour Lucas, l'atelier peut-il regarder mes freins samedi ?",
        )
