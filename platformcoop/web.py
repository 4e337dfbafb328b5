"""What every page shares: template globals, error pages, security headers."""

from __future__ import annotations

from flask import Flask, g, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from platformcoop import formatting
from platformcoop.accounts.activity import note_last_seen
from platformcoop.accounts.permissions import can
from platformcoop.plugins.manager import get_registry

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        can=can,
        nav_items=nav_items,
        admin_menu_items=admin_menu_items,
        current_locale=current_locale,
        render_widget=render_widget,
        module_home_url=module_home_url,
    )
    for extra in get_registry(app).pm.hook.pc_jinja_globals():
        app.jinja_env.globals.update(extra or {})
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    formatting.init_app(app)
    app.context_processor(_page_context)
    app.before_request(note_last_seen)
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _server_error)


def _page_context() -> dict:
    territory = g.get("territory")
    membership = None
    # Outside a request (an e-mail rendered by a job inside territory_context) there is no current_user.
    if territory is not None and current_user and current_user.is_authenticated:
        membership = current_user.membership_in(territory)
    return {"territory": territory, "membership": membership}


def current_locale() -> str:
    return str(get_locale() or "fr")


def render_widget(widget) -> Markup:
    return Markup(render_template(widget.template, **widget.context))


def module_home_url(module) -> str:
    """A module's front page: the root of its URL segment in the current territory."""
    return f"{url_for('territory.home')}{module.manifest.segment}/"


def nav_items() -> list:
    territory = g.get("territory")
    if territory is None:
        return []
    return get_registry().collect(territory, "pc_navigation_items", user=current_user)


def admin_menu_items() -> list:
    territory = g.get("territory")
    if territory is None:
        return []
    return get_registry().collect(territory, "pc_admin_menu_items", user=current_user)


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
    if request.is_secure:  # over HTTPS (behind a proxy: TRUSTED_PROXIES), browsers must not come back over HTTP
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


ERROR_TEXTS = {
    400: (
        _l("Requête invalide"),
        _l("La demande n'a pas pu être comprise. Revenez en arrière et réessayez."),
    ),
    403: (_l("Accès refusé"), _l("Vous n'avez pas le droit d'ouvrir cette page.")),
    404: (_l("Page introuvable"), _l("Cette page n'existe pas ou n'est plus disponible.")),
    405: (_l("Action impossible"), _l("Cette action n'est pas possible ici.")),
    413: (
        _l("Envoi trop volumineux"),
        _l("Les fichiers envoyés sont trop lourds. Revenez en arrière et choisissez des fichiers plus légers."),
    ),
    429: (
        _l("Trop de tentatives"),
        _l("Vous avez essayé trop de fois. Patientez une minute puis réessayez."),
    ),
    500: (
        _l("Erreur du serveur"),
        _l("Un problème est survenu de notre côté. Réessayez dans quelques instants."),
    ),
}


def _http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    title, text = ERROR_TEXTS.get(error.code, (error.name, error.description or ""))
    return render_template("errors/error.html", code=error.code, title=title, text=text), error.code


def _server_error(error: Exception):
    from flask import current_app

    from platformcoop.extensions import db

    if current_app.testing and current_app.config.get("PROPAGATE_EXCEPTIONS", True):
        raise error
    db.session.rollback()
    current_app.logger.exception("Unhandled error on %s", request.path)
    title, text = ERROR_TEXTS[500]
    return render_template("errors/error.html", code=500, title=title, text=text), 500
