"""The dashboard: the figures of a chosen period, monthly charts, and their CSV exports."""

from __future__ import annotations

import re

from flask import abort, g, render_template, request
from flask_babel import gettext as _
from sqlalchemy import func, select

from platformcoop.admin.exports import csv_response
from platformcoop.admin.formatting import month_name
from platformcoop.admin.forms import PeriodForm
from platformcoop.admin.stats import Period, bar_chart, default_period, last_months, member_series, module_series
from platformcoop.admin.views import bp
from platformcoop.clock import now
from platformcoop.extensions import db
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy.models import MEMBERSHIP_PENDING, Membership

MEMBER_SERIES = "membres"


def _period_from_request() -> tuple[PeriodForm, Period, bool]:
    """The period asked in the query string, or the last 30 days; ``valid`` is False when the dates were wrong."""
    period = default_period(g.territory, now())
    form = PeriodForm(request.args)
    if "debut" not in request.args and "fin" not in request.args:
        form.debut.data, form.fin.data = period.first_day, period.last_day
        return form, period, True
    if not form.validate():
        return form, period, False
    return form, Period(form.debut.data, form.fin.data, g.territory.timezone), True


@bp.route("/")
def index():
    registry = get_registry()
    form, period, valid = _period_from_request()
    stats = registry.collect(g.territory, "pc_territory_stats", start=period.start, end=period.end)
    months = last_months(g.territory, now())
    members = member_series(g.territory, months)
    activity = module_series(registry, g.territory, months)
    axis = [month_name(m.first_day, short=True) for m in months]
    pending = db.session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.territory_id == g.territory.id, Membership.status == MEMBERSHIP_PENDING)
    )
    return render_template(
        "admin/index.html",
        form=form,
        period=period,
        period_valid=valid,
        stats=stats,
        pending=pending,
        months=months,
        members=members,
        members_chart=bar_chart(axis, members.values),
        activity=[(series, bar_chart(axis, series.values)) for series in activity],
        member_series_key=MEMBER_SERIES,
    )


@bp.route("/chiffres.csv")
def figures_csv():
    """The headline figures of the period, one line per figure."""
    _form, period, valid = _period_from_request()
    if not valid:
        abort(400)
    registry = get_registry()
    stats = registry.collect(g.territory, "pc_territory_stats", start=period.start, end=period.end)

    def module_label(name: str) -> str:
        return registry.modules[name].manifest.label if name in registry.modules else _("Plateforme")

    rows = [
        (module_label(s.module), str(s.label), s.value, str(s.unit or ""), period.first_day, period.last_day)
        for s in stats
    ]
    header = [_("Module"), _("Indicateur"), _("Valeur"), _("Unité"), _("Du"), _("Au")]
    filename = f"chiffres-{g.territory.slug}-{period.first_day:%Y%m%d}-{period.last_day:%Y%m%d}.csv"
    return csv_response(filename, header, rows, g.territory.timezone)


@bp.route("/series.csv")
def series_csv():
    """One monthly series of the dashboard (``?serie=membres`` or a module figure's key), last twelve months."""
    key = request.args.get("serie", "")
    months = last_months(g.territory, now())
    if key == MEMBER_SERIES:
        series = member_series(g.territory, months)
        header = [_("Mois"), _("Nouveaux membres"), _("Membres à la fin du mois")]
        rows = [(m.key, v, t) for m, v, t in zip(months, series.values, series.totals, strict=True)]
    else:
        found = [s for s in module_series(get_registry(), g.territory, months) if s.key == key]
        if not found:
            abort(404)
        series = found[0]
        header = [_("Mois"), f"{series.label} ({series.module_label})"]
        rows = [(m.key, v) for m, v in zip(months, series.values, strict=True)]
    safe_key = re.sub(r"[^A-Za-z0-9_-]", "", key) or "serie"
    return csv_response(f"{safe_key}-{g.territory.slug}.csv", header, rows, g.territory.timezone)
