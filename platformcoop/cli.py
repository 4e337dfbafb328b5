"""``flask pc ...`` commands. Each one runs in an app context; territory work runs in ``territory_context``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from platformcoop.extensions import db
from platformcoop.notifications.cli import outbox_cli
from platformcoop.plugins.manager import get_registry
from platformcoop.scheduling.cli import scheduler_command
from platformcoop.tenancy import services as territories
from platformcoop.tenancy.models import JOIN_APPROVAL, JOIN_OPEN, TERRITORY_KINDS, Territory


def register_cli(app: Flask) -> None:
    """Build the ``flask pc`` group for this app: the core's commands, then each module's (``pc_cli``)."""
    pc = AppGroup("pc", help="PlatformCoop administration.")
    territory_cli = AppGroup("territory", help="Territories (collectivités).")
    territory_cli.add_command(territory_create)
    territory_cli.add_command(territory_list)
    user_cli = AppGroup("user", help="User accounts.")
    user_cli.add_command(user_create_admin)
    for command in (init_command, demo_command, territory_cli, user_cli):
        pc.add_command(command)
    pc.add_command(scheduler_command)
    pc.add_command(outbox_cli)
    get_registry(app).pm.hook.pc_cli(cli=pc)
    app.cli.add_command(pc)


def upgrade_database() -> None:
    from flask_migrate import upgrade

    upgrade(revision="heads")


@click.command("init")
@with_appcontext
@click.option("--slug", prompt="Identifiant du territoire (ex. lomme)")
@click.option("--name", prompt="Nom du territoire")
@click.option("--kind", type=click.Choice(list(TERRITORY_KINDS)), default="commune", show_default=True)
@click.option("--admin-email", prompt="E-mail de l'administrateur")
@click.option("--admin-password", prompt="Mot de passe", hide_input=True, confirmation_prompt=True)
@click.option("--admin-name", default="Administrateur", show_default=True)
def init_command(slug, name, kind, admin_email, admin_password, admin_name):
    """Create the schema, a first territory and its administrator."""
    upgrade_database()
    territory = _create_territory(slug, name, kind, JOIN_OPEN)
    _create_admin(territory, admin_email, admin_password, admin_name, superadmin=True)
    db.session.commit()
    click.echo(f"Territoire « {territory.name} » créé : /{territory.slug}/ ; administrateur {admin_email}.")


@click.command("demo")
@with_appcontext
def demo_command():
    """Create demo territories, people and module content (does nothing when they exist)."""
    from platformcoop.demo import load_demo

    load_demo(echo=click.echo)


@click.command("create")
@with_appcontext
@click.argument("slug")
@click.argument("name")
@click.option("--kind", type=click.Choice(list(TERRITORY_KINDS)), default="commune", show_default=True)
@click.option("--approval", is_flag=True, help="Residents join after an administrator approves them.")
def territory_create(slug, name, kind, approval):
    """Create a territory with the modules enabled by default."""
    territory = _create_territory(slug, name, kind, JOIN_APPROVAL if approval else JOIN_OPEN)
    db.session.commit()
    click.echo(f"Territoire « {territory.name} » créé : /{territory.slug}/")


@click.command("list")
@with_appcontext
def territory_list():
    """List territories and their modules."""
    registry = get_registry()
    for territory in db.session.scalars(select(Territory).order_by(Territory.slug)):
        modules = ", ".join(sorted(registry.enabled_names(territory))) or "-"
        click.echo(f"{territory.slug}\t{territory.name}\t{territory.kind}\t{modules}")


@click.command("create-admin")
@with_appcontext
@click.argument("territory_slug")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", default="Administrateur", show_default=True)
@click.option("--superadmin", is_flag=True, help="Also let this user create territories.")
def user_create_admin(territory_slug, email, password, name, superadmin):
    """Create (or promote) an administrator of a territory."""
    territory = db.session.scalar(select(Territory).where(Territory.slug == territory_slug))
    if territory is None:
        raise click.ClickException(f"Territoire inconnu : {territory_slug}")
    _create_admin(territory, email, password, name, superadmin=superadmin)
    db.session.commit()
    click.echo(f"{email} est administrateur de {territory.name}.")


def _create_territory(slug, name, kind, join_policy) -> Territory:
    try:
        return territories.create_territory(get_registry(), slug=slug, name=name, kind=kind, join_policy=join_policy)
    except territories.TerritoryError as error:
        raise click.ClickException(str(error))


def _create_admin(territory, email, password, name, superadmin=False):
    from flask import current_app

    from platformcoop.accounts import services as accounts
    from platformcoop.accounts.passwords import hash_password, password_problems

    problems = password_problems(password, min_length=current_app.config["PASSWORD_MIN_LENGTH"], user_inputs=[email])
    if problems:
        raise click.ClickException(problems[0])
    user = accounts.find_user(email)
    if user is None:
        user = accounts.create_user(email, password, name, confirmed=True)
    else:
        user.password_hash = hash_password(password)
    user.is_superadmin = user.is_superadmin or superadmin
    territories.add_member(territory, user, roles=("resident", "admin"))
    return user
