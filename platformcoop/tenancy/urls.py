"""The territory in the URL: ``/<territory>/...``, or a host name mapped to a territory."""

from __future__ import annotations

import time

from flask import Flask, abort, g
from sqlalchemy import select

from platformcoop.extensions import db
from platformcoop.tenancy.models import Territory, TerritoryHost


def init_app(app: Flask) -> None:
    app.url_value_preprocessor(_pull_territory)
    app.url_defaults(_add_territory)
    app.wsgi_app = HostPrefixMiddleware(app.wsgi_app, app)
    app.extensions["platformcoop_hosts"] = app.wsgi_app


def _pull_territory(endpoint: str | None, values: dict | None) -> None:
    if not values or "territory" not in values:
        return
    slug = values.pop("territory")
    territory = db.session.scalar(select(Territory).where(Territory.slug == slug))
    if territory is None:
        abort(404)
    g.territory = territory


def _add_territory(endpoint: str, values: dict) -> None:
    from flask import current_app

    if "territory" in values or not g.get("territory"):
        return
    if current_app.url_map.is_endpoint_expecting(endpoint, "territory"):
        values["territory"] = g.territory.slug


# Paths that belong to the whole deployment, not to one territory.
GLOBAL_PREFIXES = ("/static/", "/compte/", "/plateforme/", "/langue", "/media/")


class HostPrefixMiddleware:
    """Serve a territory on its own host name: ``https://entraide.lomme.fr/`` behaves as ``/lomme/``.

    The path is rewritten before routing; links keep the ``/<slug>/`` prefix, which the same host also serves.
    The host map is read from the database and kept for a minute, so web processes share no state.
    """

    TTL = 60.0

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app = wsgi_app
        self.app = app
        self._hosts: dict[str, str] = {}
        self._loaded_at = float("-inf")

    def _host_map(self) -> dict[str, str]:
        if time.monotonic() - self._loaded_at > self.TTL:
            with self.app.app_context():
                rows = db.session.execute(
                    select(TerritoryHost.hostname, Territory.slug).join(Territory, TerritoryHost.territory)
                ).all()
            self._hosts = {host.lower(): slug for host, slug in rows}
            self._loaded_at = time.monotonic()
        return self._hosts

    def forget(self) -> None:
        self._loaded_at = float("-inf")

    def __call__(self, environ, start_response):
        host = (environ.get("HTTP_HOST") or "").split(":")[0].lower()
        slug = self._host_map().get(host) if host else None
        if slug:
            path = environ.get("PATH_INFO", "") or "/"
            if not (path == f"/{slug}" or path.startswith((f"/{slug}/", *GLOBAL_PREFIXES))):
                environ["PATH_INFO"] = f"/{slug}{path}"
        return self.wsgi_app(environ, start_response)
