"""A tiny module used by the tests to exercise every hook of the plugin contract.

It is registered through ``EXTRA_PLUGINS`` (the same path as an entry point, minus packaging): each hook leaves a
trace in :data:`calls` or in its own table, so that tests can assert the core called it, and with what.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Blueprint, g, render_template, url_for
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from platformcoop.extensions import db
from platformcoop.plugins import (
    JobSpec,
    ModuleManifest,
    NavItem,
    SearchResult,
    Setting,
    Stat,
    Widget,
    hookimpl,
)
from platformcoop.tenancy import get_or_404, scoped_select

HERE = Path(__file__).parent
NAME = "sample"

# (hook name, territory slug or None) for hooks whose effect is not otherwise visible
calls: list[tuple[str, str | None]] = []


class SampleItem(db.Model):
    __tablename__ = "sample_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))


bp = Blueprint("sample", __name__, template_folder="templates")


@bp.route("/")
def index():
    items = db.session.scalars(scoped_select(SampleItem, g.territory).order_by(SampleItem.id)).all()
    return render_template("sample/index.html", items=items)


@bp.route("/objets/<int:item_id>")
def item(item_id: int):
    obj = get_or_404(SampleItem, item_id)
    return render_template("sample/item.html", item=obj)


MANIFEST = ModuleManifest(
    name=NAME,
    label="Module d'exemple",
    label_en="Sample module",
    segment="exemple",
    description="Un module minimal pour les tests.",
    settings=(
        Setting("max_items", "int", 10, label="Nombre maximal d'objets", help="Entre 1 et 50.", min=1, max=50),
        Setting("public", "bool", True, label="Visible sans compte"),
        Setting("mode", "choice", "simple", label="Mode", choices=(("simple", "Simple"), ("avance", "Avancé"))),
        Setting("greeting", "str", "Bonjour", label="Message d'accueil", max_length=100),
    ),
    permissions={"sample.manage": ("sample.manager", "admin")},
    roles={"sample.manager": "Gestionnaire de l'exemple"},
    notification_kinds={"sample.created": "Un objet d'exemple est créé"},
)


@hookimpl
def pc_module_manifest():
    return MANIFEST


@hookimpl
def pc_blueprints():
    return [bp]


@hookimpl
def pc_migrations_dir():
    return HERE / "migrations" / "versions"


@hookimpl
def pc_translations_dir():
    return HERE / "translations"


@hookimpl
def pc_cli(cli):
    @cli.command("sample-count")
    def sample_count():
        """Count sample items."""
        click.echo(str(len(db.session.scalars(select(SampleItem)).all())))


@hookimpl
def pc_jinja_globals():
    return {"sample_greeting": lambda: "Coucou"}


def count_items(territory, now):
    calls.append(("job", territory.slug))


@hookimpl
def pc_scheduled_jobs():
    return [JobSpec(id="sample.count", function=count_items, trigger_args={"minutes": 5})]


@hookimpl
def pc_navigation_items(territory, user):
    return [NavItem(label="Exemple", url=url_for("sample.index"), order=50, module=NAME)]


@hookimpl
def pc_dashboard_widgets(territory, user):
    return [Widget(title="Widget d'exemple", template="sample/widget.html", context={"count": 3}, module=NAME)]


@hookimpl
def pc_admin_menu_items(territory, user):
    return [NavItem(label="Réglages de l'exemple", url=url_for("admin.module_settings", name=NAME), order=90)]


@hookimpl
def pc_territory_stats(territory, start, end):
    count = len(db.session.scalars(scoped_select(SampleItem, territory)).all())
    return [Stat(key="sample_items", label="Objets d'exemple", value=count, module=NAME)]


@hookimpl
def pc_module_enabled(territory):
    calls.append(("enabled", territory.slug))


@hookimpl
def pc_module_disabled(territory):
    calls.append(("disabled", territory.slug))


@hookimpl
def pc_territory_created(territory):
    calls.append(("territory_created", territory.slug))


@hookimpl
def pc_user_data_export(territory, user):
    items = db.session.scalars(scoped_select(SampleItem, territory).where(SampleItem.owner_id == user.id)).all()
    return {"items": [item.title for item in items]}


@hookimpl
def pc_user_erased(territory, user):
    for item in db.session.scalars(scoped_select(SampleItem, territory).where(SampleItem.owner_id == user.id)):
        item.owner_id = None


@hookimpl
def pc_search(territory, user, query):
    items = db.session.scalars(scoped_select(SampleItem, territory).where(SampleItem.title.contains(query))).all()
    return [SearchResult(title=i.title, url=url_for("sample.item", item_id=i.id), module=NAME) for i in items]


@hookimpl
def pc_media_access(territory, user, upload):
    """The sample's managers may see the private photos the module stored (purpose "sample.photo")."""
    from platformcoop.accounts.permissions import can

    calls.append(("media_access", territory.slug))
    return upload.purpose == "sample.photo" and can(user, "sample.manage", territory)


@hookimpl
def pc_demo_data(territory):
    db.session.add(SampleItem(territory_id=territory.id, title=f"Objet de démonstration à {territory.name}"))
