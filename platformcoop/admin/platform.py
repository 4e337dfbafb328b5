"""The platform operator's page: territories of this deployment (superadmins only)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from platformcoop.extensions import db
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy import services
from platformcoop.tenancy.models import JOIN_APPROVAL, JOIN_OPEN, TERRITORY_KINDS, Territory

bp = Blueprint("platform", __name__, url_prefix="/plateforme")


class TerritoryForm(FlaskForm):
    name = StringField(_l("Nom"), validators=[DataRequired(_l("Indiquez un nom.")), Length(max=200)])
    slug = StringField(
        _l("Identifiant dans l'adresse"),
        validators=[DataRequired(_l("Indiquez un identifiant.")), Length(max=63)],
        description=_l("Minuscules, chiffres et tirets, par exemple « lomme »."),
    )
    kind = SelectField(_l("Type de collectivité"), choices=list(TERRITORY_KINDS.items()))
    join_policy = SelectField(
        _l("Adhésion des habitants"),
        choices=[
            (JOIN_OPEN, _l("Ouverte : immédiate")),
            (JOIN_APPROVAL, _l("Sur validation d'un administrateur")),
        ],
    )


@bp.before_request
@login_required
def require_superadmin():
    if not current_user.is_superadmin:
        abort(403)


@bp.route("/territoires", methods=["GET", "POST"])
def territories():
    form = TerritoryForm()
    if form.validate_on_submit():
        try:
            territory = services.create_territory(
                get_registry(),
                slug=form.slug.data,
                name=form.name.data.strip(),
                kind=form.kind.data,
                join_policy=form.join_policy.data,
                actor=current_user,
            )
        except services.TerritoryError as error:
            db.session.rollback()
            form.slug.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Le territoire « %(name)s » est créé.", name=territory.name), "success")
            return redirect(url_for("platform.territories"))
    rows = db.session.scalars(select(Territory).order_by(Territory.name)).all()
    return render_template("platform/territories.html", territories=rows, form=form)
