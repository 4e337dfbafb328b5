"""Offers and requests: browse, search, post, edit, close; categories for the administrators."""

from flask import render_template

from platformcoop.accounts.permissions import permission_required
from plugins.timebank.views import bp


@bp.route("/annonces/")
@permission_required("territory.use")
def posts():  # placeholder, replaced by the offers list
    return render_template("timebank/_layout.html")


@bp.route("/categories/")
@permission_required("territory.admin")
def categories():  # placeholder, replaced by the categories admin page
    return render_template("timebank/_layout.html")
