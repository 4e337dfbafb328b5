"""The member's account: balance, history, recording exchanges."""

from flask import g, render_template
from flask_login import current_user

from platformcoop.accounts.permissions import permission_required
from platformcoop.extensions import db
from plugins.timebank import services
from plugins.timebank.views import bp


@bp.route("/")
@permission_required("territory.use")
def index():
    account = services.open_account(g.territory, current_user)
    db.session.commit()
    movements = services.movements_of(g.territory, account, limit=20)
    return render_template("timebank/index.html", account=account, movements=movements)
