"""Public territory pages: the list of territories, a territory's home, joining it, its legal pages."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from platformcoop.extensions import db
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy import services
from platformcoop.tenancy.forms import JoinForm
from platformcoop.tenancy.models import Territory

bp = Blueprint("territory", __name__)

LEGAL_PAGES = {
    "mentions-legales": ("legal_notice", _l("Mentions légales")),
    "conditions-utilisation": ("terms", _l("Conditions d'utilisation")),
    "confidentialite": ("privacy_policy", _l("Politique de confidentialité")),
    "accessibilite": ("accessibility_statement", _l("Déclaration d'accessibilité")),
}

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@bp.route("/")
def root():
    territories = db.session.scalars(select(Territory).order_by(Territory.name)).all()
    if len(territories) == 1:
        return redirect(url_for("territory.home", territory=territories[0].slug))
    return render_template("territory/index.html", territories=territories)


@bp.route("/<territory>/")
def home():
    territory = g.territory
    registry = get_registry()
    widgets = registry.collect(territory, "pc_dashboard_widgets", user=current_user)
    # a module lists here once it has pages (a module may be built in increments, its pages last)
    modules = [
        registry.modules[name]
        for name in sorted(registry.enabled_names(territory))
        if registry.modules[name].blueprint_names
    ]
    return render_template("territory/home.html", modules=modules, widgets=widgets)


@bp.route("/<territory>/rejoindre", methods=["GET", "POST"])
@login_required
def join():
    territory = g.territory
    membership = current_user.membership_in(territory)
    if membership is not None and membership.status in {"active", "pending", "suspended"}:
        return redirect(url_for("territory.home"))
    if not current_user.email_confirmed:
        flash(_("Confirmez d'abord votre adresse e-mail."), "warning")
        return redirect(url_for("territory.home"))
    form = JoinForm()
    if form.validate_on_submit():
        try:
            membership = services.join_territory(territory, current_user, form.message.data or "")
        except services.TerritoryError as error:
            flash(str(error), "error")
            return redirect(url_for("territory.home"))
        db.session.commit()
        if membership.is_active:
            flash(_("Bienvenue ! Vous êtes maintenant membre de %(name)s.", name=territory.name), "success")
        else:
            flash(
                _(
                    "Votre demande est envoyée. L'équipe de %(name)s vous répondra par e-mail.",
                    name=territory.name,
                ),
                "info",
            )
        return redirect(url_for("territory.home"))
    return render_template("territory/join.html", form=form)


@bp.route("/<territory>/pages/<page>")
def legal_page(page: str):
    if page not in LEGAL_PAGES:
        abort(404)
    field, title = LEGAL_PAGES[page]
    return render_template("territory/page.html", title=title, text=getattr(g.territory, field))


@bp.route("/<territory>/theme.css")
def theme_css():
    """The territory's colour as a stylesheet (the CSP forbids inline styles).

    Pages link it with the colour in the query string (``?v=1d5b79``), so a new colour is a new address and the
    stylesheet can be cached for a day.
    """
    colour = g.territory.primary_color if HEX_COLOUR.match(g.territory.primary_color or "") else "#1d5b79"
    response = Response(f":root {{ --brand: {colour}; }}\n", mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response
