"""Pages under /<territory>/banque-de-temps/ (the core mounts the blueprint and answers 404 where the module is off)."""

from flask import Blueprint, g, render_template
from flask_login import current_user

from platformcoop.accounts.permissions import permission_required
from platformcoop.extensions import db
from plugins.timebank import services

bp = Blueprint("timebank", __name__, template_folder="templates")


@bp.route("/")
@permission_required("territory.use")
def index():
    account = services.open_account(g.territory, current_user)
    db.session.commit()
    movements = services.movements_of(g.territory, account, limit=20)
    return render_template("timebank/index.html", account=account, movements=movements)
