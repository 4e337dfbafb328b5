"""Demo content: three territories of the Lille area, their administrators and residents, and module content.

Runs once: when the demo territories exist it does nothing. Every module adds its own content through
``pc_demo_data``. The accounts below are printed by ``flask pc demo`` and listed in the README (demo only).
"""

from __future__ import annotations

from collections.abc import Callable

import click
from sqlalchemy import select

from platformcoop.accounts import services as accounts
from platformcoop.extensions import db
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy import services as territories
from platformcoop.tenancy import territory_context
from platformcoop.tenancy.models import JOIN_APPROVAL, JOIN_OPEN, Territory

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
            by_slug[spec["slug"]] = territories.create_territory(registry, modules=list(registry.modules), **spec)
    with click.progressbar(PEOPLE, label="Habitants et administrateurs") as bar:
        for email, name, neighbourhood, roles in bar:
            user = accounts.create_user(email, DEMO_PASSWORD, name, confirmed=True, neighbourhood=neighbourhood)
            user.is_superadmin = email.startswith("operateur")
            for slug, role_names in roles.items():
                territories.add_member(by_slug[slug], user, roles=role_names)
    db.session.flush()
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
