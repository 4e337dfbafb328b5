"""The coordinators' pages: the hub, corrections (reversal, write-off, credit, correction) and reports with CSV."""

from flask import render_template

from platformcoop.accounts.permissions import permission_required
from plugins.timebank.views import bp


@bp.route("/coordination/")
@permission_required("timebank.coordinate")
def coordination():  # placeholder, replaced by the coordinators' hub
    return render_template("timebank/_layout.html")
