"""The plugin contract, one test per hook: the core calls the hook and uses what it returns.

Most tests use the sample module (``tests/sample_plugin``), loaded by every test app through ``EXTRA_PLUGINS``.
Per-territory hooks are checked on two territories: Libercourt uses the module, Lomme has it switched off.
"""

from __future__ import annotations

import html
import re
import types
from dataclasses import dataclass
from datetime import timedelta

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import url_for
from flask_babel import force_locale, gettext
from sqlalchemy import func, inspect, select, text

from platformcoop.accounts.models import User
from platformcoop.clock import now
from platformcoop.demo import load_demo
from platformcoop.extensions import babel, db
from platformcoop.migrations_config import version_locations
from platformcoop.plugins import JobSpec, ModuleManifest, NavItem, SearchResult, hookimpl, manager
from platformcoop.plugins.manager import ENTRY_POINT_GROUP, PluginError, get_registry
from platformcoop.tenancy import scoped_select, territory_context
from platformcoop.tenancy import services as territories
from platformcoop.tenancy.models import Territory
from tests import sample_plugin
from tests.conftest import create_territory, create_user, is_postgres, login, make_app, reset_schema
from tests.sample_plugin import SampleItem

# -- helpers ----------------------------------------------------------------------------------------------------------


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def nav_links(response, nav_label: str) -> list[tuple[str, str]]:
    """(href, text) of the links inside the ``<nav aria-label=nav_label>`` landmark."""
    block = re.search(
        rf'<nav\b[^>]*\baria-label="{re.escape(nav_label)}"[^>]*>(.*?)</nav>', response.get_data(as_text=True), re.S
    )
    if block is None:
        return []
    return [
        (html.unescape(href), html.unescape(re.sub(r"<[^>]+>", "", label)).strip())
        for href, label in re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', block.group(1), re.S)
    ]


def switch_off_sample(app, territory_id: int) -> None:
    with app.app_context():
        territories.disable_module(get_registry(), db.session.get(Territory, territory_id), "sample")
        db.session.commit()
    sample_plugin.calls.clear()


def add_item(app, territory_id: int, title: str, owner_id: int | None = None) -> int:
    with app.app_context():
        item = SampleItem(territory_id=territory_id, title=title, owner_id=owner_id)
        db.session.add(item)
        db.session.commit()
        return item.id


def plugin_module(module_name: str, **hooks) -> types.ModuleType:
    """A plugin as an installed package provides it: a module whose functions are hook implementations."""
    plugin = types.ModuleType(module_name)
    for hook_name, function in hooks.items():
        setattr(plugin, hook_name, hookimpl(function))
    return plugin


def module_declaring(module_name: str, **manifest_fields) -> types.ModuleType:
    fields = {"label": "Autre module", "label_en": "Other module", **manifest_fields}
    manifest = ModuleManifest(**fields)
    return plugin_module(module_name, pc_module_manifest=lambda: manifest)


@pytest.fixture
def variant(tmp_path):
    """Build extra apps with other plugin settings; ``schema=True`` when they will touch the database.

    On SQLite each variant gets its own database file, built by the migrations. On PostgreSQL the variant shares the
    session app's schema as it is (rebuilding it would pull it from under the session app).
    """
    built = []

    def build(schema: bool = False, **overrides):
        instance = tmp_path / f"variant{len(built)}"
        instance.mkdir()
        application = make_app(instance, **overrides)
        built.append(application)
        if schema and not is_postgres():
            reset_schema(application)
        return application

    yield build
    for application in built:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def lomme_without_sample(app, lomme) -> int:
    switch_off_sample(app, lomme)
    return lomme


@pytest.fixture
def resident(app, libercourt, lomme_without_sample):
    """A resident of both territories, logged in."""
    create_user(app, "camille@example.org", "Camille", libercourt=("resident",), lomme=("resident",))
    client = app.test_client()
    login(client, "camille@example.org")
    return client


# -- registration hooks -----------------------------------------------------------------------------------------------


def test_module_manifest_declares_the_module(app):
    module = get_registry(app).modules["sample"]

    assert module.manifest is sample_plugin.MANIFEST
    assert module.plugin is sample_plugin


def test_blueprints_are_mounted_under_the_territory_and_module_segment(app, client, libercourt):
    add_item(app, libercourt, "Perceuse")

    with app.test_request_context():
        assert url_for("sample.index", territory="libercourt") == "/libercourt/exemple/"
    response = client.get("/libercourt/exemple/")

    assert response.status_code == 200
    assert "Perceuse" in page_text(response)


def test_module_pages_answer_404_where_the_territory_has_the_module_off(app, client, libercourt, lomme_without_sample):
    item_id = add_item(app, lomme_without_sample, "Escabeau")

    assert client.get("/libercourt/exemple/").status_code == 200
    assert client.get("/lomme/exemple/").status_code == 404
    assert client.get(f"/lomme/exemple/objets/{item_id}").status_code == 404


def test_module_objects_are_only_found_in_their_own_territory(app, client, libercourt, lomme):
    lomme_item = add_item(app, lomme, "Escabeau de Lomme")

    assert client.get(f"/lomme/exemple/objets/{lomme_item}").status_code == 200
    assert client.get(f"/libercourt/exemple/objets/{lomme_item}").status_code == 404


def test_migrations_dir_adds_the_module_branch_to_upgrade_heads(ctx):
    assert str(sample_plugin.HERE / "migrations" / "versions") in version_locations()
    assert inspect(db.engine).has_table("sample_item")
    with db.engine.connect() as connection:
        applied = set(connection.scalars(text("SELECT version_num FROM alembic_version")))
    assert "sample_0001" in applied


def test_translations_dir_is_given_to_babel(app):
    directory = str(sample_plugin.HERE / "translations")

    assert directory in app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    assert directory in app.extensions["babel"].translation_directories


@pytest.fixture
def fresh_babel_cache():
    # Flask-Babel caches catalogues on the Babel object, which every app of this process shares.
    babel.domain_instance.cache.clear()
    yield
    babel.domain_instance.cache.clear()


def test_a_module_catalogue_translates_its_messages(variant, tmp_path, fresh_babel_cache):
    catalogue = Catalog(locale="en")
    catalogue.add("Le jardin ouvre samedi.", "The garden opens on Saturday.")
    folder = tmp_path / "jardin-translations" / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as fh:
        write_mo(fh, catalogue)
    translated = plugin_module("garden_translations", pc_translations_dir=lambda: folder.parent.parent)
    application = variant(EXTRA_PLUGINS=[sample_plugin, translated])

    with application.test_request_context(), force_locale("en"):
        assert gettext("Le jardin ouvre samedi.") == "The garden opens on Saturday."


def test_cli_commands_join_the_pc_group(app, libercourt, lomme):
    add_item(app, libercourt, "Perceuse")
    add_item(app, lomme, "Escabeau")

    result = app.test_cli_runner().invoke(args=["pc", "sample-count"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2"


def test_jinja_globals_are_available_to_templates(app, client, libercourt):
    assert app.jinja_env.globals["sample_greeting"]() == "Coucou"

    response = client.get("/libercourt/")

    assert "Coucou" in page_text(response)


def test_scheduled_job_specs_are_collected(ctx, libercourt):
    specs = [spec for returned in get_registry().pm.hook.pc_scheduled_jobs() for spec in returned]
    (spec,) = [spec for spec in specs if spec.id == "sample.count"]

    assert isinstance(spec, JobSpec)
    assert (spec.trigger, spec.trigger_args) == ("interval", {"minutes": 5})
    spec.function(db.session.get(Territory, libercourt), now())
    assert ("job", "libercourt") in sample_plugin.calls


# -- per-territory hooks ----------------------------------------------------------------------------------------------


def test_navigation_items_appear_in_territories_using_the_module(resident):
    assert ("/libercourt/exemple/", "Exemple") in nav_links(resident.get("/libercourt/"), "Menu principal")
    lomme_links = nav_links(resident.get("/lomme/"), "Menu principal")
    assert ("/lomme/", "Accueil") in lomme_links
    assert not [link for link in lomme_links if "exemple" in link[0]]


def test_dashboard_widgets_appear_in_territories_using_the_module(resident):
    libercourt_home = page_text(resident.get("/libercourt/"))
    lomme_home = page_text(resident.get("/lomme/"))

    assert "Widget d'exemple" in libercourt_home
    assert "3 objets d'exemple" in libercourt_home
    assert "Widget d'exemple" not in lomme_home


def test_admin_menu_items_appear_in_territories_using_the_module(libercourt_admin, lomme_admin, lomme_without_sample):
    libercourt_menu = nav_links(libercourt_admin.get("/libercourt/admin/"), "Administration")
    lomme_menu = nav_links(lomme_admin.get("/lomme/admin/"), "Administration")

    assert ("/libercourt/admin/modules/sample/reglages", "Réglages de l'exemple") in libercourt_menu
    assert ("/lomme/admin/modules", "Modules") in lomme_menu
    assert "Réglages de l'exemple" not in [label for _href, label in lomme_menu]


def test_territory_stats_appear_on_the_admin_dashboard(app, libercourt_admin, libercourt, lomme):
    add_item(app, libercourt, "Perceuse")
    add_item(app, libercourt, "Scie")
    add_item(app, lomme, "Escabeau")

    dashboard = libercourt_admin.get("/libercourt/admin/").get_data(as_text=True)

    assert re.search(r"Objets d&#39;exemple</dt>\s*<dd>2</dd>", dashboard)


def test_territory_stats_leave_out_modules_the_territory_does_not_use(ctx, lomme_without_sample):
    lomme = db.session.get(Territory, lomme_without_sample)
    end = now()

    stats = get_registry().collect(lomme, "pc_territory_stats", start=end - timedelta(days=30), end=end)

    assert "members" in [stat.key for stat in stats]
    assert "sample_items" not in [stat.key for stat in stats]


def test_module_enabled_and_disabled_are_told_to_the_module(app, libercourt_admin, libercourt):
    sample_plugin.calls.clear()

    libercourt_admin.post("/libercourt/admin/modules/sample/desactiver")
    assert sample_plugin.calls == [("disabled", "libercourt")]
    assert libercourt_admin.get("/libercourt/exemple/").status_code == 404

    libercourt_admin.post("/libercourt/admin/modules/sample/activer")
    assert sample_plugin.calls == [("disabled", "libercourt"), ("enabled", "libercourt")]
    assert libercourt_admin.get("/libercourt/exemple/").status_code == 200


def test_a_repeated_enable_or_disable_tells_the_module_once(ctx, libercourt):
    registry = get_registry()
    territory = db.session.get(Territory, libercourt)
    sample_plugin.calls.clear()

    territories.enable_module(registry, territory, "sample")
    territories.disable_module(registry, territory, "sample")
    territories.disable_module(registry, territory, "sample")

    assert sample_plugin.calls == [("disabled", "libercourt")]


def test_territory_created_is_told_to_the_modules_it_enables(app):
    create_territory(app, "libercourt", "Libercourt")
    create_territory(app, "seclin", "Seclin", modules=[])

    assert sample_plugin.calls == [("territory_created", "libercourt")]


def test_user_data_export_gathers_the_user_data_of_one_territory(app, libercourt, lomme):
    user_id = create_user(app, "camille@example.org", libercourt=("resident",), lomme=("resident",))
    add_item(app, libercourt, "Poussette", owner_id=user_id)
    add_item(app, libercourt, "Vélo d'un voisin")
    add_item(app, lomme, "Escabeau", owner_id=user_id)

    with app.app_context():
        user = db.session.get(User, user_id)
        territory = db.session.get(Territory, libercourt)
        exported = get_registry().hook(territory, "pc_user_data_export")(territory=territory, user=user)

    assert exported == [{"items": ["Poussette"]}]


def test_user_data_export_skips_modules_the_territory_does_not_use(app, lomme_without_sample):
    user_id = create_user(app, "camille@example.org", lomme=("resident",))
    add_item(app, lomme_without_sample, "Escabeau", owner_id=user_id)

    with app.app_context():
        territory = db.session.get(Territory, lomme_without_sample)
        hook = get_registry().hook(territory, "pc_user_data_export")
        assert hook(territory=territory, user=db.session.get(User, user_id)) == []


def test_user_erased_anonymises_the_user_data_of_one_territory(app, libercourt, lomme):
    user_id = create_user(app, "camille@example.org", libercourt=("resident",), lomme=("resident",))
    libercourt_item = add_item(app, libercourt, "Poussette", owner_id=user_id)
    lomme_item = add_item(app, lomme, "Escabeau", owner_id=user_id)

    with app.app_context():
        territory = db.session.get(Territory, libercourt)
        get_registry().hook(territory, "pc_user_erased")(territory=territory, user=db.session.get(User, user_id))
        db.session.commit()

        assert db.session.get(SampleItem, libercourt_item).owner_id is None
        assert db.session.get(SampleItem, lomme_item).owner_id == user_id


def test_search_returns_results_from_the_territory_modules(app, libercourt, lomme_without_sample):
    wanted = add_item(app, libercourt, "Vélo cargo à prêter")
    add_item(app, libercourt, "Perceuse")
    add_item(app, lomme_without_sample, "Vélo de Lomme")

    with app.test_request_context():
        libercourt_territory = db.session.get(Territory, libercourt)
        lomme_territory = db.session.get(Territory, lomme_without_sample)
        with territory_context(libercourt_territory):
            found = get_registry().collect(libercourt_territory, "pc_search", user=None, query="Vélo")
        with territory_context(lomme_territory):
            nothing = get_registry().collect(lomme_territory, "pc_search", user=None, query="Vélo")

    assert found == [
        SearchResult(title="Vélo cargo à prêter", url=f"/libercourt/exemple/objets/{wanted}", module="sample")
    ]
    assert nothing == []


def test_demo_data_is_created_by_each_module(ctx):
    assert load_demo(echo=lambda _line: None)

    names = db.session.scalars(select(Territory.name)).all()
    items = db.session.execute(
        select(Territory.name, SampleItem.title).join(Territory, SampleItem.territory_id == Territory.id)
    ).all()
    assert len(names) == 3
    assert sorted(tuple(item) for item in items) == sorted((n, f"Objet de démonstration à {n}") for n in names)


def test_demo_data_may_query_while_it_fills_several_territories(variant):
    def numbered_demo_item(territory):
        # Counting first autoflushes what the previous territory's demo left pending.
        count = db.session.scalar(select(func.count()).select_from(scoped_select(SampleItem, territory).subquery()))
        db.session.add(SampleItem(territory_id=territory.id, title=f"Objet n° {count + 1}"))

    counting = plugin_module("counting_demo", pc_demo_data=numbered_demo_item)
    application = variant(schema=True, EXTRA_PLUGINS=[sample_plugin, counting])

    with application.app_context():
        assert load_demo(echo=lambda _line: None)
        per_territory = db.session.execute(
            select(SampleItem.territory_id, func.count()).group_by(SampleItem.territory_id)
        ).all()
        db.session.remove()

    assert sorted(count for _territory, count in per_territory) == [2, 2, 2]


# -- which modules a deployment loads ---------------------------------------------------------------------------------


def test_the_allow_list_leaves_a_module_out(variant):
    application = variant(schema=True, PLUGINS=[])
    create_territory(application, "libercourt", "Libercourt")
    client = application.test_client()

    assert "sample" not in get_registry(application).modules
    assert client.get("/libercourt/").status_code == 200
    assert client.get("/libercourt/exemple/").status_code == 404
    assert "sample_greeting" not in application.jinja_env.globals
    assert application.test_cli_runner().invoke(args=["pc", "sample-count"]).exit_code != 0


def test_a_module_left_out_by_the_allow_list_cannot_break_the_deployment(variant):
    broken = module_declaring("broken_plugin", name="casse", segment="exemple", requires=("inexistant",))

    application = variant(PLUGINS=["sample"], EXTRA_PLUGINS=[sample_plugin, broken])

    assert list(get_registry(application).modules) == ["sample"]


@dataclass
class FakeEntryPoint:
    """What ``importlib.metadata.entry_points`` yields for an installed plugin package."""

    name: str
    plugin: object
    loaded: bool = False

    def load(self):
        self.loaded = True
        return self.plugin


GARDEN = ModuleManifest(name="jardin", label="Jardins partagés", label_en="Shared gardens", segment="jardins")


@hookimpl
def garden_manifest():
    return GARDEN


@hookimpl
def garden_navigation_items(territory, user):
    return [NavItem(label="Jardins", url="/jardins", module="jardin")]


garden_plugin = types.ModuleType("platformcoop_jardin")
garden_plugin.pc_module_manifest = garden_manifest
garden_plugin.pc_navigation_items = garden_navigation_items


@pytest.fixture
def installed_garden(monkeypatch) -> FakeEntryPoint:
    entry_point = FakeEntryPoint("jardin", garden_plugin)
    monkeypatch.setattr(manager, "entry_points", lambda group: [entry_point] if group == ENTRY_POINT_GROUP else [])
    return entry_point


def test_installed_modules_are_discovered_through_entry_points(variant, installed_garden):
    application = variant()

    registry = get_registry(application)
    assert set(registry.modules) == {"sample", "jardin"}
    assert registry.modules["jardin"].plugin is garden_plugin


def test_the_allow_list_filters_entry_points_by_name_before_loading_them(variant, installed_garden):
    application = variant(PLUGINS=["sample"])

    assert set(get_registry(application).modules) == {"sample"}
    assert not installed_garden.loaded


def test_the_allow_list_can_keep_an_entry_point_module_only(variant, installed_garden):
    application = variant(PLUGINS=["jardin"])

    assert set(get_registry(application).modules) == {"jardin"}


# -- inconsistent declarations ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("manifest_fields", "message"),
    [
        ({"name": "sample", "segment": "autre"}, "two plugins declare the module 'sample'"),
        ({"name": "autre", "segment": "exemple"}, "share the segment 'exemple'"),
        ({"name": "autre", "segment": "admin"}, "URL segment 'admin' is not allowed"),
        ({"name": "autre", "segment": "a/b"}, "URL segment 'a/b' is not allowed"),
        ({"name": "autre", "segment": "autre", "requires": ("inexistant",)}, "requires inexistant"),
    ],
    ids=["duplicate-name", "duplicate-segment", "reserved-segment", "slash-in-segment", "missing-requirement"],
)
def test_inconsistent_modules_are_refused_at_start(variant, manifest_fields, message):
    other = module_declaring("other_plugin", **manifest_fields)

    with pytest.raises(PluginError, match=re.escape(message)):
        variant(EXTRA_PLUGINS=[sample_plugin, other])


def test_a_plugin_must_return_a_manifest(variant):
    with pytest.raises(PluginError, match="no ModuleManifest"):
        variant(EXTRA_PLUGINS=[plugin_module("lazy_plugin", pc_module_manifest=lambda: None)])


# -- enabling and disabling modules -----------------------------------------------------------------------------------


@pytest.fixture
def with_extension(variant):
    """An app where the module "extension" requires the sample module."""
    extension = module_declaring(
        "extension_plugin", name="extension", label="Extension", segment="extension", requires=("sample",)
    )
    application = variant(schema=True, EXTRA_PLUGINS=[sample_plugin, extension])
    with application.app_context():
        yield application
        db.session.remove()


def test_a_module_cannot_be_enabled_before_its_requirement(with_extension):
    registry = get_registry()
    territory = territories.create_territory(registry, slug="seclin", name="Seclin", modules=[])

    with pytest.raises(territories.TerritoryError, match=re.escape("Activez d'abord : Module d'exemple.")):
        territories.enable_module(registry, territory, "extension")
    territories.enable_module(registry, territory, "sample")
    territories.enable_module(registry, territory, "extension")

    assert registry.enabled_names(territory) == {"sample", "extension"}


def test_a_module_cannot_be_disabled_while_another_needs_it(with_extension):
    registry = get_registry()
    territory = territories.create_territory(registry, slug="seclin", name="Seclin", modules=["extension"])
    assert registry.enabled_names(territory) == {"sample", "extension"}

    with pytest.raises(territories.TerritoryError, match="Ce module est utilisé par : Extension"):
        territories.disable_module(registry, territory, "sample")
    territories.disable_module(registry, territory, "extension")
    territories.disable_module(registry, territory, "sample")

    assert registry.enabled_names(territory) == frozenset()
