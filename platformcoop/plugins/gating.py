"""Mounting module blueprints under ``/<territory>/<segment>`` and answering 404 where a module is off."""

from __future__ import annotations

from flask import Flask, abort, g, request

from platformcoop.plugins.manager import get_registry


def mount_module_blueprints(app: Flask) -> None:
    registry = get_registry(app)
    for module in registry.modules.values():
        for blueprint in registry.call_for(module, "pc_blueprints"):
            for bp in blueprint if isinstance(blueprint, list | tuple) else [blueprint]:
                prefix = f"/<territory>/{module.manifest.segment}{bp.url_prefix or ''}"
                app.register_blueprint(bp, url_prefix=prefix)
                registry.blueprint_modules[bp.name] = module.name
                module.blueprint_names.append(bp.name)
    app.before_request(_gate_module)


def _gate_module() -> None:
    if not request.blueprints:
        return
    registry = get_registry()
    module_name = registry.blueprint_modules.get(request.blueprints[-1])
    if module_name is None:
        return
    territory = g.get("territory")
    if territory is None or not registry.is_enabled(territory, module_name):
        abort(404)
