"""Finding a repairer (commune or distance, bike type, service, first available slot) and booking a slot."""

from __future__ import annotations

from flask import render_template

from platformcoop.accounts.permissions import permission_required
from plugins.bikerepair.views import bp


@bp.route("/")
@permission_required("territory.use")
def index():
    return render_template("bikerepair/index.html")
