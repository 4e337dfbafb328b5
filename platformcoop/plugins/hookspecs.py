"""The plugin contract. Every hook takes explicit context and returns data; the core does the wiring.

Each hookspec is documented in ``docs/plugins.md`` (a test checks that every hook and every argument is there).
Hooks marked *per territory* are called only for the modules a territory has enabled (plus the core's own plugins).
"""

from __future__ import annotations

import pluggy

PROJECT_NAME = "platformcoop"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# -- Registration: called once, in create_app -------------------------------------------------------------------------


@hookspec
def pc_module_manifest():
    """Return the module's :class:`~platformcoop.plugins.manifest.ModuleManifest`."""


@hookspec
def pc_blueprints():
    """Return a list of blueprints; the core mounts them under ``/<territory>/<segment>`` and gates them."""


@hookspec
def pc_migrations_dir():
    """Return the folder holding the module's Alembic revisions (its own branch)."""


@hookspec
def pc_translations_dir():
    """Return the folder holding the module's gettext catalogues (``<lang>/LC_MESSAGES/messages.po``)."""


@hookspec
def pc_cli(cli):
    """Add click commands to the ``flask pc`` group ``cli``."""


@hookspec
def pc_jinja_globals():
    """Return a mapping of names to add to the Jinja environment."""


@hookspec
def pc_scheduled_jobs():
    """Return job specs (id, trigger, function(territory, now)) run for every territory with the module enabled."""


# -- Per territory: only for the modules the territory has enabled ------------------------------------------------


@hookspec
def pc_navigation_items(territory, user):
    """Return menu entries (:class:`~platformcoop.plugins.manifest.NavItem`) for this territory and user."""


@hookspec
def pc_dashboard_widgets(territory, user):
    """Return widgets (:class:`~platformcoop.plugins.manifest.Widget`) for the territory's home page."""


@hookspec
def pc_admin_menu_items(territory, user):
    """Return entries (:class:`~platformcoop.plugins.manifest.NavItem`) for the territory administration menu."""


@hookspec
def pc_territory_stats(territory, start, end):
    """Return named figures (:class:`~platformcoop.plugins.manifest.Stat`) for ``start <= t < end``."""


@hookspec
def pc_module_enabled(territory):
    """Called after the territory enabled the module (create defaults, etc.)."""


@hookspec
def pc_module_disabled(territory):
    """Called after the territory disabled the module. Data is kept."""


@hookspec
def pc_territory_created(territory):
    """Called after a territory was created, for every module it enables by default."""


@hookspec
def pc_user_data_export(territory, user):
    """Return a JSON-serialisable mapping of the user's data in this module and territory (GDPR export)."""


@hookspec
def pc_user_erased(territory, user):
    """Erase or anonymise the user's personal data in this module, keeping shared records consistent."""


@hookspec
def pc_search(territory, user, query):
    """Return search results (:class:`~platformcoop.plugins.manifest.SearchResult`) for the territory search box."""


@hookspec
def pc_media_access(territory, user, upload):
    """Return ``True`` to let ``user`` see the private ``upload`` (one of the module's files); else decide nothing."""


@hookspec
def pc_demo_data(territory):
    """Create realistic demo content for this module in ``territory`` (``flask pc demo``)."""
