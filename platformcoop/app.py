"""The application factory, read top to bottom as the list of steps that build the app."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from platformcoop import config as configuration

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None, instance_path: str | os.PathLike | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(instance_path or os.environ.get("PLATFORMCOOP_INSTANCE_PATH") or PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    load_configuration(app, config)
    load_plugins(app)
    init_extensions(app)
    init_tenancy(app)
    trust_proxies(app)
    register_blueprints(app)
    init_notifications(app)
    init_web(app)
    init_cli(app)
    init_scheduler(app)
    return app


def load_configuration(app: Flask, overrides: dict[str, Any] | None) -> None:
    values = configuration.load_config(Path(app.instance_path), overrides)
    app.config.update(configuration.flask_settings(values))


def load_plugins(app: Flask) -> None:
    from platformcoop.plugins.manager import build_registry

    registry = build_registry(app)
    translation_dirs = [str(PROJECT_ROOT / "translations")]
    translation_dirs += [str(d) for d in registry.pm.hook.pc_translations_dir() if d]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_dirs)


def init_extensions(app: Flask) -> None:
    from platformcoop import models  # noqa: F401  (registers every core table)
    from platformcoop.extensions import babel, csrf, db, limiter, login_manager, migrate
    from platformcoop.i18n import select_locale
    from platformcoop.migrations_config import configure_alembic

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True, compare_type=True)
    migrate.configure(configure_alembic)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    from platformcoop.accounts import session as account_session

    account_session.init_login_manager(login_manager)


def init_tenancy(app: Flask) -> None:
    from platformcoop.tenancy import urls

    urls.init_app(app)


def trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, take the client address, scheme and host from their X-Forwarded-*
    headers, so that rate limits count real clients. Outermost, so the host-name middleware sees the real host."""
    count = app.config["TRUSTED_PROXIES"]
    if count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count)


def register_blueprints(app: Flask) -> None:
    from platformcoop.accounts.views import bp as accounts_bp
    from platformcoop.admin.platform import bp as platform_bp
    from platformcoop.admin.views import bp as admin_bp
    from platformcoop.hours.admin_views import bp as hours_admin_bp
    from platformcoop.media.views import bp as media_bp
    from platformcoop.messaging.views import bp as messaging_bp
    from platformcoop.moderation.views import bp as moderation_bp
    from platformcoop.organisations.admin_views import bp as organisations_admin_bp
    from platformcoop.organisations.views import bp as organisations_bp
    from platformcoop.plugins.gating import mount_module_blueprints
    from platformcoop.tenancy.views import bp as territory_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(platform_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(messaging_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(organisations_bp)
    app.register_blueprint(organisations_admin_bp)
    app.register_blueprint(hours_admin_bp)
    app.register_blueprint(territory_bp)
    mount_module_blueprints(app)


def init_notifications(app: Flask) -> None:
    from platformcoop import notifications

    notifications.init_app(app)


def init_web(app: Flask) -> None:
    from platformcoop import web

    web.init_app(app)


def init_cli(app: Flask) -> None:
    from platformcoop.cli import register_cli

    register_cli(app)


def init_scheduler(app: Flask) -> None:
    """The job table (core and modules); in development, the scheduler thread (SCHEDULER_IN_PROCESS)."""
    from platformcoop import scheduling

    scheduling.init_scheduler(app)
