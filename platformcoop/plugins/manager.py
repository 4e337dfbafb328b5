"""The plugin manager: discovery, manifests, and hooks called per territory.

One :class:`Registry` is built per app in ``create_app`` and kept in ``app.extensions["platformcoop"]``; nothing is
global. Modules come from the ``platformcoop.plugins`` entry-point group (first-party modules included), filtered by
the ``PLUGINS`` allow-list, plus ``EXTRA_PLUGINS`` objects given in the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import entry_points
from itertools import chain
from typing import Any

import pluggy
from flask import Flask, current_app, g

from platformcoop.plugins import hookspecs
from platformcoop.plugins.manifest import ModuleManifest

ENTRY_POINT_GROUP = "platformcoop.plugins"

# URL segments the core uses right under /<territory>/; a module may not take them.
RESERVED_SEGMENTS = frozenset(
    {
        "admin",
        "compte",
        "media",
        "messages",
        "notifications",
        "organisations",
        "pages",
        "recherche",
        "rejoindre",
        "signaler",
        "static",
        "theme.css",
    }
)


class PluginError(RuntimeError):
    """A module is declared inconsistently (duplicate name or segment, missing requirement...)."""


@dataclass
class Module:
    manifest: ModuleManifest
    plugin: Any
    blueprint_names: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.manifest.name


class Registry:
    """The modules this deployment loaded, and the pluggy manager that calls them."""

    def __init__(self, pm: pluggy.PluginManager, core_plugins: list[Any]):
        self.pm = pm
        self.core_plugins = core_plugins
        self.modules: dict[str, Module] = {}
        self.blueprint_modules: dict[str, str] = {}

    # -- discovery ---------------------------------------------------------------------------------------------------

    def collect_manifests(self) -> None:
        for impl in self.pm.hook.pc_module_manifest.get_hookimpls():
            manifest = impl.function()
            if not isinstance(manifest, ModuleManifest):
                raise PluginError(f"plugin {impl.plugin_name} returned no ModuleManifest")
            if manifest.name in self.modules:
                raise PluginError(f"two plugins declare the module {manifest.name!r}")
            self.modules[manifest.name] = Module(manifest, impl.plugin)

    def check_consistency(self) -> None:
        """Segments free and unique, requirements loaded. Run once the allow-list has left modules out."""
        segments: dict[str, str] = {}
        for module in self.modules.values():
            segment = module.manifest.segment
            if segment in RESERVED_SEGMENTS or not segment or "/" in segment:
                raise PluginError(f"module {module.name}: URL segment {segment!r} is not allowed")
            if segment in segments:
                raise PluginError(f"modules {segments[segment]} and {module.name} share the segment {segment!r}")
            segments[segment] = module.name
            missing = [req for req in module.manifest.requires if req not in self.modules]
            if missing:
                raise PluginError(f"module {module.name} requires {', '.join(missing)}, which is not loaded")

    def call_for(self, module: Module, hook_name: str, **kwargs: Any) -> list[Any]:
        """Call one hook on one module only."""
        others = [p for p in self.pm.get_plugins() if p is not module.plugin]
        return self.pm.subset_hook_caller(hook_name, remove_plugins=others)(**kwargs)

    # -- per territory -----------------------------------------------------------------------------------------------

    def enabled_names(self, territory) -> frozenset[str]:
        """Names of the modules ``territory`` uses (cached for the current request or app context)."""
        from platformcoop.tenancy.services import enabled_module_names

        cache = g.setdefault("_pc_enabled_modules", {})
        if territory.id not in cache:
            cache[territory.id] = frozenset(enabled_module_names(territory) & self.modules.keys())
        return cache[territory.id]

    def forget_enabled(self, territory) -> None:
        g.setdefault("_pc_enabled_modules", {}).pop(territory.id, None)

    def is_enabled(self, territory, name: str) -> bool:
        return name in self.enabled_names(territory)

    def hook(self, territory, hook_name: str):
        """A hook caller limited to the core and the modules ``territory`` has enabled."""
        enabled = self.enabled_names(territory)
        disabled = [m.plugin for name, m in self.modules.items() if name not in enabled]
        return self.pm.subset_hook_caller(hook_name, remove_plugins=disabled)

    def collect(self, territory, hook_name: str, **kwargs: Any) -> list[Any]:
        """Call a per-territory hook and flatten the lists the implementations return."""
        results = self.hook(territory, hook_name)(territory=territory, **kwargs)
        flat = list(chain.from_iterable(r if isinstance(r, list | tuple) else [r] for r in results if r))
        return sorted(flat, key=lambda item: getattr(item, "order", 100))


def build_registry(app: Flask) -> Registry:
    from platformcoop import core_plugin

    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    pm.register(core_plugin, name="core")
    registry = Registry(pm, core_plugins=[core_plugin])

    allow = app.config.get("PLUGINS")
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if allow is not None and ep.name not in allow:
            continue
        pm.register(ep.load(), name=ep.name)
    for plugin in app.config.get("EXTRA_PLUGINS") or []:
        pm.register(plugin)
    pm.check_pending()

    registry.collect_manifests()
    if allow is not None:
        for name in [n for n in registry.modules if n not in allow]:
            pm.unregister(registry.modules.pop(name).plugin)
    registry.check_consistency()
    app.extensions["platformcoop"] = registry
    return registry


def get_registry(app: Flask | None = None) -> Registry:
    return (app or current_app).extensions["platformcoop"]
