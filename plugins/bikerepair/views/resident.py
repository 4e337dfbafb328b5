"""The resident's side: my bikes and their maintenance booklets, my appointments (cancel, answer a proposal, add to
calendar)."""

from __future__ import annotations

from flask import render_template

from platformcoop.accounts.permissions import permission_required
from plugins.bikerepair.views import bp


@bp.route("/mes-rendez-vous")
@permission_required("territory.use")
def my_appointments():
    return render_template("bikerepair/index.html")


@bp.route("/mes-velos")
@permission_required("territory.use")
def my_bikes():
    return render_template("bikerepair/index.html")
