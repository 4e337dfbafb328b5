"""The repairer's back office: agenda, requests, today, customers, rules, closures, services, staff, CSV."""

from __future__ import annotations

from flask import render_template

from platformcoop.accounts.permissions import permission_required
from plugins.bikerepair.views import bp


@bp.route("/atelier/")
@permission_required("territory.use")
def backoffice():
    return render_template("bikerepair/index.html")
