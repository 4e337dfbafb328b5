"""Demo content of bike repair, in the Métropole only (``flask pc demo``): four repairers of the Lille area, each of a
different kind, with their opening hours, booking rules and services; residents' bikes and booklets; appointments at
every stage, relative to the day the demo is loaded.

The associative workshop is the core demo's "Atelier du Vélo Solidaire" (a repairer organisation owned by Lucas
Dubois) when it is there: the module opens its bookings rather than adding a second workshop of the same name.
Appointments to come go through the booking path itself (``booking.book_appointment`` on a slot the engine offers,
then ``lifecycle``), so they are bookable whatever the day; past ones are written directly (the booking path refuses
the past). Other territories get nothing. Running it again in the Métropole changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import click
from flask import current_app, has_request_context
from sqlalchemy import select

from platformcoop import clock
from platformcoop.accounts.models import User
from platformcoop.accounts.services import create_user
from platformcoop.demo import DEMO_PASSWORD
from platformcoop.extensions import db
from platformcoop.hours import services as hours
from platformcoop.hours.services import wall_to_utc
from platformcoop.organisations import services as organisations
from platformcoop.organisations.models import OWNER, STAFF, Organisation
from platformcoop.tenancy.services import add_member
from plugins.bikerepair import booking, lifecycle
from plugins.bikerepair.demo_data import BIKES, PAST, PEOPLE, REPAIRERS, hm
from plugins.bikerepair.models import (
    EXPIRED,
    Appointment,
    Bike,
    BookletEntry,
    Repairer,
    RepairService,
)

TERRITORY = "mel"


def load(territory) -> None:
    if territory.slug != TERRITORY:
        return
    if db.session.scalar(select(Repairer.id).where(Repairer.territory_id == territory.id).limit(1)):
        return  # already there
    if has_request_context():
        _load(territory)
    else:  # the CLI: notifications build full addresses, as the core demo's own content does
        with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
            _load(territory)


def _load(territory) -> None:
    people = _people(territory)
    repairers = {key: _repairer(territory, spec, people) for key, spec in REPAIRERS.items()}
    bikes = _bikes(territory, people)
    _past_appointments(territory, repairers, people, bikes)
    _closure_next_saturday(territory, repairers["associatif"])
    _upcoming_appointments(territory, repairers, people, bikes)
    db.session.flush()
    _echo_accounts()


# -- people, repairers, bikes -------------------------------------------------------------------------------------


def _people(territory) -> dict[str, User]:
    """The repairers' people (found when the core demo made them, created otherwise), members of the Métropole, and
    the residents of the core demo who own bikes."""
    emails = {email for email, *_rest in PEOPLE + BIKES}
    found = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
    for email, name, _role in PEOPLE:
        if email not in found:
            found[email] = create_user(email, DEMO_PASSWORD, name, confirmed=True)
        if found[email].membership_in(territory) is None:
            add_member(territory, found[email], roles=("resident",))
    db.session.flush()
    return found


def _repairer(territory, spec: dict, people: dict[str, User]) -> Repairer:
    data = spec["organisation"]
    organisation = db.session.scalar(
        select(Organisation).where(
            Organisation.territory_id == territory.id,
            Organisation.kind == "repairer",
            Organisation.name == data["name"],
        )
    )
    owner = people[spec["owner"]]
    if organisation is None:
        organisation = organisations.create_organisation(territory, data, owner=owner)
    elif not organisations.is_staff(owner, organisation):
        organisations.add_staff(organisation, owner, OWNER)
    for email in spec["staff"]:
        organisations.add_staff(organisation, people[email], STAFF)
    schedule = organisations.opening_schedule(organisation)
    for weekday in range(7):
        hours.set_day_ranges(schedule, weekday, spec["hours"].get(weekday, []))
    repairer = Repairer(territory_id=territory.id, organisation_id=organisation.id, **spec["rules"])
    db.session.add(repairer)
    db.session.flush()
    for position, (name, minutes, price) in enumerate(spec["services"]):
        db.session.add(
            RepairService(
                territory_id=territory.id,
                repairer_id=repairer.id,
                name=name,
                duration_minutes=minutes,
                price_cents=price,
                position=position,
            )
        )
    db.session.flush()
    return repairer


def _bikes(territory, people: dict[str, User]) -> dict[tuple[str, str], Bike]:
    bikes = {}
    for email, name, bike_type, brand, notes in BIKES:
        if email not in people:
            continue  # a core demo without this resident
        bike = Bike(
            territory_id=territory.id,
            owner_id=people[email].id,
            name=name,
            bike_type=bike_type,
            brand=brand,
            notes=notes,
            created_at=clock.now() - timedelta(days=120),
        )
        db.session.add(bike)
        bikes[(email, name)] = bike
    db.session.flush()
    city_bike = bikes.get(("sophie.leroy@example.org", "Vélo de ville"))
    if city_bike is not None:  # an entry of her own
        _booklet(territory, city_bike, _local_date(territory, 14), "Chaîne nettoyée et graissée", "", None)
    return bikes


def _booklet(territory, bike: Bike, day: date, work: str, parts: str, price, appointment=None, by=None) -> None:
    """A line of the bike's booklet: its owner's, or the repairer's after ``appointment`` (written by ``by``)."""
    db.session.add(
        BookletEntry(
            territory_id=territory.id,
            bike_id=bike.id,
            done_on=day,
            work=work,
            parts=parts,
            price_cents=price,
            by_repairer_id=getattr(appointment, "repairer_id", None),
            appointment_id=getattr(appointment, "id", None),
            created_by_id=getattr(by, "id", None) or bike.owner_id,
        )
    )


# -- appointments -------------------------------------------------------------------------------------------------


def _tz(territory) -> ZoneInfo:
    return ZoneInfo(territory.timezone)


def _local_date(territory, days_ago: int) -> date:
    return (clock.now().astimezone(_tz(territory)) - timedelta(days=days_ago)).date()


def _past_start(territory, repairer: Repairer, days_ago: int, hour: int, minute: int) -> datetime:
    """``hour:minute`` local on the last day the repairer opens, ``days_ago`` days ago or before."""
    schedule = organisations.opening_schedule(repairer.organisation)
    open_days = set(hours.weekly_ranges(schedule))
    day = _local_date(territory, days_ago)
    while day.weekday() not in open_days:
        day -= timedelta(days=1)
    return wall_to_utc(day, hm(hour, minute), _tz(territory))


def _owner(repairer: Repairer) -> User:
    return next(member.user for member in repairer.organisation.staff if member.role == OWNER)


def _service(repairer: Repairer, name: str) -> RepairService:
    return next(service for service in repairer.services if service.name == name)


def _past_appointments(territory, repairers, people, bikes) -> None:
    for key, service_name, days_ago, hour, minute, status, who, entry, first_slot_hours in PAST:
        repairer = repairers[key]
        service = _service(repairer, service_name)
        starts_at = _past_start(territory, repairer, days_ago, hour, minute)
        created_at = starts_at - timedelta(hours=first_slot_hours + 24)
        resident = bike = None
        if isinstance(who, tuple):
            resident, bike = people.get(who[0]), bikes.get(who)
            if resident is None:
                continue
        owner = _owner(repairer)
        appointment = Appointment(
            territory_id=territory.id,
            repairer_id=repairer.id,
            service_id=service.id,
            resident_id=getattr(resident, "id", None),
            walk_in_name="" if resident else who,
            walk_in_phone="" if resident else "06 00 00 00 00",
            bike_id=getattr(bike, "id", None),
            description="Demande faite en ligne." if resident else "",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=service.duration_minutes),
            buffer_minutes=repairer.buffer_minutes,
            status=status,
            created_by_id=resident.id if resident else owner.id,
            created_at=created_at,
            decided_at=created_at + timedelta(hours=repairer.pending_expiry_hours if status == EXPIRED else 3),
            first_slot_at=created_at + timedelta(hours=first_slot_hours) if resident else None,
        )
        db.session.add(appointment)
        db.session.flush()
        if entry is not None and bike is not None:
            day = starts_at.astimezone(_tz(territory)).date()
            _booklet(territory, bike, day, *entry, appointment=appointment, by=owner)
    db.session.flush()


def _closure_next_saturday(territory, repairer: Repairer) -> None:
    """A half day: next Saturday afternoon, the associative workshop holds its general meeting."""
    today = _local_date(territory, 0)
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    schedule = organisations.opening_schedule(repairer.organisation)
    tz = _tz(territory)
    hours.add_closure(
        schedule,
        wall_to_utc(saturday, hm(14), tz),
        wall_to_utc(saturday, hm(18), tz),
        "Assemblée générale",
    )


def _slot(territory, repairer: Repairer, service: RepairService, days: int) -> datetime:
    """The first slot the repairer offers for ``service`` at least ``days`` days from now."""
    after = clock.now() + timedelta(days=days)
    return next(s for s in booking.repairer_slots(territory, repairer, service) if s >= after)


def _upcoming_appointments(territory, repairers, people, bikes) -> None:
    sophie, elise = people.get("sophie.leroy@example.org"), people.get("admin.mel@example.org")
    solidaire, roue_libre = repairers["associatif"], repairers["autoreparation"]
    rayon, fives = repairers["itinerant"], repairers["velociste"]

    def book(repairer, service_name, days, person, bike_name="", description=""):
        service = _service(repairer, service_name)
        return booking.book_appointment(
            territory,
            repairer,
            service,
            _slot(territory, repairer, service, days),
            resident=person,
            actor=person,
            bike=bikes.get((person.email, bike_name)),
            description=description,
        )

    if sophie is not None:
        # a request waiting for the workshop's answer (manual approval)
        book(solidaire, "Réglage des freins", 2, sophie, "Vélo de ville", "Les freins couinent et freinent mal.")
        # accepted at once: the self-repair workshop accepts every booking
        book(roue_libre, "Poste avec un bénévole (1 h)", 4, sophie, "Vélo de Lina", "Régler les freins de Lina.")
        # booked, then cancelled by Sophie before the deadline
        cancelled = book(fives, "Remplacement d'un pneu", 6, sophie, "Vélo de ville", "Pneu arrière usé.")
        booking.cancel_appointment(territory, cancelled, actor=sophie, reason="Finalement réparé à l'atelier.")
    if elise is not None:
        # accepted by the shop
        accepted = book(fives, "Révision VAE", 3, elise, "Mon VAE", "Révision annuelle, bruit au pédalier.")
        lifecycle.accept(territory, accepted, actor=_owner(fives))
        book(fives, "Révision vélo cargo", 8, elise, "Le cargo", "Révision avant l'été.")  # still pending
        # the mobile repairer proposes another time
        moved = book(rayon, "Révision à domicile", 3, elise, "Le cargo", "À domicile, à Croix, le matin si possible.")
        new_start = _slot(territory, rayon, _service(rayon, "Révision à domicile"), 5)
        message = "Je passe plutôt en fin de semaine."
        lifecycle.propose(territory, moved, new_start, actor=_owner(rayon), message=message)
    # a walk-in entered by the workshop's staff (accepted at once)
    crevaison = _service(solidaire, "Crevaison")
    booking.book_appointment(
        territory,
        solidaire,
        crevaison,
        _slot(territory, solidaire, crevaison, 1),
        walk_in_name="Mme Pruvost",
        walk_in_phone="06 11 22 33 44",
        description="Passée à l'atelier : pneu avant à plat.",
        actor=_owner(solidaire),
    )


def _echo_accounts() -> None:
    click.echo("")
    click.echo(f"Réparation de vélos (Métropole), comptes des réparateurs (mot de passe : {DEMO_PASSWORD}) :")
    for email, name, role in PEOPLE:
        click.echo(f"  {email:36} {name:18} {role}")
