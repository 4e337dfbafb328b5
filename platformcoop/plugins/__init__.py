"""The plugin engine (not the plugins themselves, which live in the top-level ``plugins/`` package)."""

from platformcoop.plugins.hookspecs import hookimpl
from platformcoop.plugins.manifest import (
    JobSpec,
    ModuleManifest,
    NavItem,
    SearchResult,
    Setting,
    Stat,
    Widget,
)

__all__ = ["JobSpec", "ModuleManifest", "NavItem", "SearchResult", "Setting", "Stat", "Widget", "hookimpl"]
