"""The territory's own days off, ``/<territory>/admin/jours-feries`` (admins only), beside France's public
holidays, which are computed (``holidays`` package) and listed for reference."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from platformcoop.admin.forms import ActionForm
from platformcoop.admin.views import require_admin
from platformcoop.clock import now
from platformcoop.extensions import db
from platformcoop.hours import services as hours
from platformcoop.hours.forms import TerritoryHolidayForm
from platformcoop.hours.models import TerritoryHoliday
from platformcoop.i18n import select_locale
from platformcoop.tenancy import get_or_404

bp = Blueprint("hours_admin", __name__, url_prefix="/<territory>/admin/jours-feries")
bp.before_request(require_admin)  # the same guard as every administration page


def _today() -> date:
    from zoneinfo import ZoneInfo

    return now().astimezone(ZoneInfo(g.territory.timezone)).date()


@bp.route("/", methods=["GET", "POST"])
def index():
    form = TerritoryHolidayForm()
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                hours.add_territory_holiday(g.territory, form.day.data, form.label.data, actor=current_user)
            except hours.ScheduleError as error:
                db.session.rollback()
                form.day.errors.append(str(error))
            else:
                db.session.commit()
                flash(_("Le jour de fermeture est enregistré."), "success")
                return redirect(url_for("hours_admin.index"))
        status = 400
    today = _today()
    own = db.session.scalars(
        select(TerritoryHoliday)
        .where(TerritoryHoliday.territory_id == g.territory.id, TerritoryHoliday.day >= today)
        .order_by(TerritoryHoliday.day)
    ).all()
    public = {year: hours.public_holidays(year, locale=select_locale()) for year in (today.year, today.year + 1)}
    page = render_template(
        "hours/admin_holidays.html",
        form=form,
        own=own,
        public=public,
        action_form=ActionForm(formdata=None),
        format_date_full=lambda day: format_date(day, format="full", locale=select_locale()),
    )
    return page, status


@bp.route("/<int:holiday_id>/supprimer", methods=["POST"])
def remove(holiday_id: int):
    holiday = get_or_404(TerritoryHoliday, holiday_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    hours.remove_territory_holiday(holiday, g.territory, actor=current_user)
    db.session.commit()
    flash(_("Le jour de fermeture est supprimé."), "success")
    return redirect(url_for("hours_admin.index"))
