"""Childcare: children and emergency contact, asking to offer childcare, sessions; the vetting and disputes queues."""

from flask import render_template

from platformcoop.accounts.permissions import permission_required
from plugins.timebank.views import bp


@bp.route("/garde/")
@permission_required("territory.use")
def childcare():  # placeholder, replaced by the childcare home
    return render_template("timebank/_layout.html")


@bp.route("/coordination/verifications/")
@permission_required("timebank.coordinate")
def vetting_queue():  # placeholder
    return render_template("timebank/_layout.html")


@bp.route("/coordination/litiges/")
@permission_required("timebank.coordinate")
def disputes_queue():  # placeholder
    return render_template("timebank/_layout.html")
