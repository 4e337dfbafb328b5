"""Finding a repairer (commune or distance, bike type, service, first available slot), its page with the slots of a
service week by week, and booking a slot. Every view: load (scoped by territory) → check → call the service → render."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from platformcoop import clock
from platformcoop.accounts.permissions import permission_required
from platformcoop.extensions import db
from platformcoop.hours.formatting import local_time, schedule_summary
from platformcoop.hours.services import find_schedule, wall_to_utc
from platformcoop.media.services import media_url, store_image
from platformcoop.organisations.models import ACTIVE, Organisation
from platformcoop.web import current_locale
from plugins.bikerepair import bikes, booking, search
from plugins.bikerepair.forms_common import choices
from plugins.bikerepair.forms_resident import NO_BIKE, BookingForm, SearchForm
from plugins.bikerepair.models import ACCEPTED, BIKE_TYPES, Repairer, RepairService
from plugins.bikerepair.views import bp

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "bikerepair" / "search"
TAB = "bikerepair.index"


@bp.context_processor
def _time_words() -> dict:
    """``slot_time(instant)``: "10 h 30" in the territory's time, as the residents read a time."""
    territory = getattr(g, "territory", None)
    if territory is None:
        return {}
    tz = ZoneInfo(territory.timezone)
    return {"slot_time": lambda instant: local_time(instant, tz)}


# -- the search ------------------------------------------------------------------------------------------------------


@bp.route("/")
@permission_required("territory.use")
def index():
    form = SearchForm(request.args)
    repairers = search.listed_repairers(g.territory)
    form.commune.choices = choices(
        [("", _("Toutes les communes")), *((name, name) for name in search.communes(repairers))]
    )
    form.validate()
    position = form.position()
    if form.tri.data == search.SORT_DISTANCE and position is None:
        form.tri.data = search.SORT_FIRST_SLOT  # no position: "distance" cannot sort anything
    cards = search.search_repairers(
        g.territory,
        repairers,
        commune=form.commune.data or "",
        bike_type=form.type.data if form.type.data in BIKE_TYPES else "",
        words="" if form.prestation.errors else (form.prestation.data or ""),
        position=position,
        sort=form.tri.data or "",
    )
    filtered = any(request.args.get(name) for name in ("commune", "type", "prestation", "lat"))
    return render_template(
        "bikerepair/index.html",
        form=form,
        cards=cards,
        filtered=filtered,
        position=position,
        upcoming=search.upcoming_appointments(g.territory, current_user, limit=3),
        bike_types=BIKE_TYPES,
    )


@bp.route("/autour-de-moi.js")
def around_me_script():
    """The "Autour de moi" button's small script (served from here: the site allows scripts from itself only)."""
    response = send_from_directory(TEMPLATES, "around_me.js", mimetype="text/javascript")
    response.cache_control.max_age = 3600
    return response


# -- a repairer's page -----------------------------------------------------------------------------------------------


def listed_repairer_or_404(repairer_id: int) -> Repairer:
    """A repairer residents may see: in this territory, switched on, its organisation active."""
    repairer = db.session.scalar(
        select(Repairer)
        .join(Organisation, Organisation.id == Repairer.organisation_id)
        .where(
            Repairer.id == repairer_id,
            Repairer.territory_id == g.territory.id,
            Repairer.enabled.is_(True),
            Organisation.status == ACTIVE,
        )
    )
    if repairer is None:
        abort(404)
    return repairer


def _active_service_or_404(repairer: Repairer, service_id) -> RepairService:
    try:
        service_id = int(service_id)
    except (TypeError, ValueError):
        abort(404)
    service = db.session.scalar(
        select(RepairService).where(
            RepairService.id == service_id,
            RepairService.repairer_id == repairer.id,
            RepairService.active.is_(True),
        )
    )
    if service is None:
        abort(404)
    return service


def week_of_slots(repairer: Repairer, service: RepairService, week: int) -> dict:
    """The slots of the ``week``-th week from today (local days), grouped by local day, and whether there is a week
    before and one after inside the booking horizon."""
    tz = ZoneInfo(g.territory.timezone)
    now = clock.now()
    first_day = now.astimezone(tz).date() + timedelta(days=7 * week)
    start, end = wall_to_utc(first_day, 0, tz), wall_to_utc(first_day + timedelta(days=7), 0, tz)
    days: dict = {}
    for slot in booking.repairer_slots(g.territory, repairer, service, start=start, end=end, now=now):
        days.setdefault(slot.astimezone(tz).date(), []).append(slot)
    return {
        "days": sorted(days.items()),
        "week": week,
        "first_day": first_day,
        "last_day": first_day + timedelta(days=6),
        "has_previous": week > 0,
        "has_next": end < now + timedelta(days=repairer.horizon_days),
    }


def _week_argument() -> int:
    try:
        return min(max(int(request.args.get("semaine", 0)), 0), 60)
    except ValueError:
        return 0


@bp.route("/reparateurs/<int:repairer_id>")
@permission_required("territory.use")
def repairer(repairer_id: int):
    repairer = listed_repairer_or_404(repairer_id)
    services = [service for service in repairer.services if service.active]
    chosen = None
    if request.args.get("prestation"):
        chosen = _active_service_or_404(repairer, request.args["prestation"])
    return _repairer_page(repairer, services, chosen)


def _repairer_page(repairer: Repairer, services, chosen, *, status: int = 200, **extra):
    schedule = find_schedule(g.territory, "organisation", repairer.organisation_id)
    page = render_template(
        "bikerepair/search/repairer.html",
        repairer=repairer,
        organisation=repairer.organisation,
        services=services,
        chosen=chosen,
        slots=week_of_slots(repairer, chosen, _week_argument()) if chosen else None,
        hours=schedule_summary(schedule, clock.now(), current_locale()) if schedule else None,
        photos=[(media_url(photo.upload, 1200), photo.caption) for photo in repairer.photos],
        served_communes=search.served_communes(repairer),
        bike_types=BIKE_TYPES,
        bikerepair_tab=TAB,
        **extra,
    )
    return page, status


# -- booking ---------------------------------------------------------------------------------------------------------


def parse_start(value: str | None) -> datetime | None:
    """A slot's start from the address: seconds since 1970 or an ISO 8601 time (UTC unless it says otherwise)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        if value.lstrip("-").isdigit():
            return datetime.fromtimestamp(int(value), UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    except (ValueError, OverflowError, OSError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _booking_form(my_bikes) -> BookingForm:
    form = BookingForm()
    form.bike.choices = choices(
        [
            (NO_BIKE, _("Je n'ai pas encore enregistré ce vélo")),
            *((str(bike.id), f"{bike.name} ({BIKE_TYPES.get(bike.bike_type, bike.bike_type)})") for bike in my_bikes),
        ]
    )
    return form


@bp.route("/reparateurs/<int:repairer_id>/reserver", methods=["GET", "POST"])
@permission_required("territory.use")
def book(repairer_id: int):
    repairer = listed_repairer_or_404(repairer_id)
    service = _active_service_or_404(repairer, request.args.get("service"))
    starts_at = parse_start(request.args.get("start"))
    if starts_at is None:
        flash(_("Choisissez un créneau dans la liste."), "warning")
        return redirect(url_for(".repairer", repairer_id=repairer.id, prestation=service.id))
    if request.method == "GET" and not _still_offered(repairer, service, starts_at):
        flash(_("Ce créneau n'est plus libre. Choisissez-en un autre."), "warning")
        return redirect(url_for(".repairer", repairer_id=repairer.id, prestation=service.id, _anchor="creneaux"))
    my_bikes = bikes.bikes_of(g.territory, current_user)
    form = _booking_form(my_bikes)
    if request.method == "GET" and len(my_bikes) == 1:
        form.bike.data = str(my_bikes[0].id)  # the bike she has is the likely one; she can still change it
    status = 200
    if form.validate_on_submit():
        bike = None
        if form.bike.data not in (None, NO_BIKE, "None"):
            bike = bikes.find_bike(g.territory, current_user, form.bike.data)
            if bike is None:
                form.bike.errors.append(_("Choisissez un de vos vélos dans la liste."))
        if not form.bike.errors:
            refusal = _book(repairer, service, starts_at, bike, form)
            if refusal is None:
                return redirect(url_for(".my_appointments"))
            status = 409 if isinstance(refusal, booking.SlotTaken) else 422
            services = [s for s in repairer.services if s.active]
            return _repairer_page(repairer, services, service, status=status, refusal=str(refusal))
        status = 422
    elif form.is_submitted():
        status = 422
    page = render_template(
        "bikerepair/search/book.html",
        form=form,
        repairer=repairer,
        organisation=repairer.organisation,
        service=service,
        starts_at=starts_at,
        has_bikes=bool(my_bikes),
        bikerepair_tab=TAB,
    )
    return page, status


def _still_offered(repairer: Repairer, service: RepairService, starts_at: datetime) -> bool:
    """Whether the slot is still offered (a page left open, a link shared): only a courtesy before the form, the
    booking checks again under the lock."""
    window_end = starts_at + timedelta(microseconds=1)
    return starts_at in booking.repairer_slots(g.territory, repairer, service, start=starts_at, end=window_end)


def _book(repairer: Repairer, service: RepairService, starts_at: datetime, bike, form) -> booking.BookingError | None:
    """Book, attach the photo, commit and say so; or roll back and return the refusal."""
    try:
        appointment = booking.book_appointment(
            g.territory,
            repairer,
            service,
            starts_at,
            resident=current_user,
            bike=bike,
            description=form.description.data or "",
            actor=current_user,
        )
        if form.photo.prepared is not None:
            upload = store_image(
                form.photo.prepared, g.territory, owner=current_user, private=True, purpose="bikerepair.diagnosis"
            )
            appointment.photo_id = upload.id
    except booking.BookingError as error:
        db.session.rollback()
        return error
    db.session.commit()
    if appointment.status == ACCEPTED:
        flash(_("Votre rendez-vous est confirmé. Vous le retrouvez ci-dessous."), "success")
    else:
        flash(
            _("Votre demande est envoyée. Le réparateur va la confirmer ; vous serez prévenu(e) de sa réponse."),
            "success",
        )
    return None
