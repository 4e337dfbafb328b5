"""An organisation's opening hours, edited by its owners and the territory's administrators (not by its other
staff: they handle the daily work, the owners set the rules).

One small form per weekday (up to ``HOURS_MAX_RANGES_PER_DAY`` ranges), so the page works without JavaScript; the
closures below, then the holiday settings.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from platformcoop.admin.forms import ActionForm
from platformcoop.clock import now
from platformcoop.extensions import db
from platformcoop.hours import services as hours
from platformcoop.hours.formatting import WEEKDAYS, describe_period
from platformcoop.hours.forms import (
    ClosureForm,
    ScheduleSettingsForm,
    day_ranges_form_class,
    fill_day_form,
    pairs,
    parse_time,
    ranges_from_form,
)
from platformcoop.hours.models import MINUTES_PER_DAY, Closure
from platformcoop.i18n import select_locale
from platformcoop.organisations import services
from platformcoop.organisations.models import Organisation
from platformcoop.organisations.views import _require_manager, bp
from platformcoop.tenancy import get_or_404


def _load(organisation_id: int):
    """(organisation, schedule, refusal): the schedule is created on first visit by a manager."""
    organisation = get_or_404(Organisation, organisation_id)
    refused = _require_manager(organisation)
    if refused is not None:
        return organisation, None, refused
    schedule = services.opening_schedule(organisation)
    db.session.commit()  # the schedule exists from now on, whatever happens to this request's changes
    return organisation, schedule, None


def _day_forms(schedule, replace: dict[int, object] | None = None) -> list[tuple[int, str, object]]:
    form_class = day_ranges_form_class(current_app.config["HOURS_MAX_RANGES_PER_DAY"])
    ranges = hours.weekly_ranges(schedule)
    forms = []
    for weekday in range(7):
        form = (replace or {}).get(weekday)
        if form is None:
            form = form_class(formdata=None, prefix=f"jour{weekday}")
            fill_day_form(form, ranges.get(weekday, []))
        forms.append((weekday, str(WEEKDAYS[weekday]), form))
    return forms


def _render(organisation, schedule, *, day_forms=None, closure_form=None, settings_form=None, status=200):
    tz = hours.zone_of(schedule)
    locale = select_locale()
    upcoming = [
        (
            closure,
            describe_period(
                hours.ClosedPeriod(
                    closure.starts_at,
                    closure.ends_at,
                    closure.reason,
                    hours.is_whole_days(closure.starts_at, closure.ends_at, tz),
                ),
                tz,
                locale,
            ),
        )
        for closure in db.session.scalars(
            select(Closure)
            .where(Closure.schedule_id == schedule.id, Closure.ends_at > now())
            .order_by(Closure.starts_at)
        )
    ]
    page = render_template(
        "organisations/hours.html",
        organisation=organisation,
        schedule=schedule,
        day_forms=_day_forms(schedule, day_forms),
        pairs=pairs,
        closures=upcoming,
        closure_form=closure_form or ClosureForm(formdata=None),
        settings_form=settings_form or ScheduleSettingsForm(formdata=None, obj=schedule),
        action_form=ActionForm(formdata=None),
    )
    return page, status


@bp.route("/<int:organisation_id>/horaires")
def hours_page(organisation_id: int):
    organisation, schedule, refused = _load(organisation_id)
    if refused is not None:
        return refused
    return _render(organisation, schedule)


@bp.route("/<int:organisation_id>/horaires/jour/<int:weekday>", methods=["POST"])
def set_day(organisation_id: int, weekday: int):
    if not 0 <= weekday <= 6:
        abort(404)
    organisation, schedule, refused = _load(organisation_id)
    if refused is not None:
        return refused
    form = day_ranges_form_class(current_app.config["HOURS_MAX_RANGES_PER_DAY"])(prefix=f"jour{weekday}")
    if form.validate_on_submit():
        ranges, numbers = ranges_from_form(form)
        if not any(field.errors for pair in pairs(form) for field in pair):
            try:
                hours.set_day_ranges(schedule, weekday, ranges, actor=current_user)
            except hours.ScheduleError as error:
                db.session.rollback()
                for index, messages in error.errors.items():
                    target = form[f"start_{numbers[index]}"].errors if index is not None else form.form_errors
                    target.extend(messages)
            else:
                db.session.commit()
                flash(_("Les horaires du %(day)s sont enregistrés.", day=str(WEEKDAYS[weekday]).lower()), "success")
                return redirect(url_for("organisations.hours_page", organisation_id=organisation.id))
    db.session.rollback()
    return _render(organisation, schedule, day_forms={weekday: form}, status=400)


def _closure_instants(form, tz) -> tuple[datetime, datetime]:
    start_minute = parse_time(form.start_time.data) if (form.start_time.data or "").strip() else 0
    end_minute = parse_time(form.end_time.data, is_end=True) if (form.end_time.data or "").strip() else MINUTES_PER_DAY
    return (
        hours.wall_to_utc(form.start_date.data, start_minute, tz),
        hours.wall_to_utc(form.end_date.data, end_minute, tz, latest=True),
    )


@bp.route("/<int:organisation_id>/horaires/fermetures", methods=["POST"])
def add_closure(organisation_id: int):
    organisation, schedule, refused = _load(organisation_id)
    if refused is not None:
        return refused
    form = ClosureForm()
    if form.validate_on_submit():
        starts_at, ends_at = _closure_instants(form, hours.zone_of(schedule))
        try:
            hours.add_closure(schedule, starts_at, ends_at, form.reason.data or "", actor=current_user)
        except hours.ScheduleError as error:
            db.session.rollback()
            form.end_date.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("La fermeture est enregistrée."), "success")
            return redirect(url_for("organisations.hours_page", organisation_id=organisation.id))
    db.session.rollback()
    return _render(organisation, schedule, closure_form=form, status=400)


@bp.route("/<int:organisation_id>/horaires/fermetures/<int:closure_id>/supprimer", methods=["POST"])
def remove_closure(organisation_id: int, closure_id: int):
    organisation, schedule, refused = _load(organisation_id)
    if refused is not None:
        return refused
    closure = db.session.scalar(select(Closure).where(Closure.schedule_id == schedule.id, Closure.id == closure_id))
    if closure is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    hours.remove_closure(closure, actor=current_user)
    db.session.commit()
    flash(_("La fermeture est supprimée."), "success")
    return redirect(url_for("organisations.hours_page", organisation_id=organisation.id))


@bp.route("/<int:organisation_id>/horaires/reglages", methods=["POST"])
def hours_settings(organisation_id: int):
    organisation, schedule, refused = _load(organisation_id)
    if refused is not None:
        return refused
    form = ScheduleSettingsForm()
    if form.validate_on_submit():
        hours.update_schedule_settings(
            schedule,
            closed_on_public_holidays=form.closed_on_public_holidays.data,
            closed_on_territory_holidays=form.closed_on_territory_holidays.data,
            holiday_region=form.holiday_region.data,
            actor=current_user,
        )
        db.session.commit()
        flash(_("Les réglages des jours fériés sont enregistrés."), "success")
        return redirect(url_for("organisations.hours_page", organisation_id=organisation.id))
    db.session.rollback()
    return _render(organisation, schedule, settings_form=form, status=400)
