"""Alembic sees the core history plus one branch per loaded module (their folders come from ``pc_migrations_dir``)."""

from __future__ import annotations

import os
from pathlib import Path

from flask import current_app

from platformcoop.plugins.manager import get_registry

CORE_VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"


def version_locations() -> list[str]:
    registry = get_registry(current_app)
    folders = [str(CORE_VERSIONS)]
    folders += [str(d) for d in registry.pm.hook.pc_migrations_dir() if d]
    return folders


def configure_alembic(config):
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(version_locations()))
    return config
