"""A resident's bikes and their maintenance booklets: the rules the "Mes vélos" pages call.

A bike belongs to one resident in one territory: nobody else reads or changes it through these functions (the
repairer's staff write booklet entries after an appointment, in ``lifecycle.mark_done``). Photos are private uploads:
the owner sees them. Services never commit.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select, update

from platformcoop import audit
from platformcoop.extensions import db
from platformcoop.media.services import delete_upload, store_image
from plugins.bikerepair.models import BIKE_TYPES, Appointment, Bike, BookletEntry

NAME_MAX, BRAND_MAX, NOTES_MAX, TEXT_MAX = 80, 80, 2000, 2000
MAX_PRICE_CENTS = 10_000_000


class BikeError(ValueError):
    """A refused change to a bike or its booklet; the message is French text for the user."""


def bikes_of(territory, owner) -> list[Bike]:
    return list(
        db.session.scalars(
            select(Bike)
            .where(Bike.territory_id == territory.id, Bike.owner_id == owner.id)
            .order_by(Bike.name, Bike.id)
        )
    )


def find_bike(territory, owner, bike_id) -> Bike | None:
    """The bike ``bike_id`` if it is ``owner``'s in ``territory``; None otherwise (the page answers 404)."""
    try:
        bike_id = int(bike_id)
    except (TypeError, ValueError):
        return None
    return db.session.scalar(
        select(Bike).where(Bike.id == bike_id, Bike.territory_id == territory.id, Bike.owner_id == owner.id)
    )


def _clean(fields: dict) -> dict:
    name = (fields.get("name") or "").strip()
    if not name:
        raise BikeError(_("Donnez un nom à votre vélo."))
    bike_type = fields.get("bike_type") or "classique"
    if bike_type not in BIKE_TYPES:
        raise BikeError(_("Choisissez un type de vélo de la liste."))
    return {
        "name": name[:NAME_MAX],
        "bike_type": bike_type,
        "brand": (fields.get("brand") or "").strip()[:BRAND_MAX],
        "notes": (fields.get("notes") or "").strip()[:NOTES_MAX],
    }


def _store_photo(territory, owner, photo):
    return store_image(photo, territory, owner=owner, private=True, purpose="bikerepair.bike")


def create_bike(territory, owner, fields: dict, *, photo=None) -> Bike:
    """A new bike of ``owner``. ``fields``: name, bike_type, brand, notes; ``photo``: an uploaded image or None."""
    bike = Bike(territory_id=territory.id, owner_id=owner.id, **_clean(fields))
    if photo is not None:
        bike.photo_id = _store_photo(territory, owner, photo).id
    db.session.add(bike)
    db.session.flush()
    audit.record("bikerepair.bike_created", actor=owner, territory=territory, obj=bike)
    return bike


def update_bike(territory, bike: Bike, actor, fields: dict, *, photo=None) -> None:
    _check_owner(territory, bike, actor)
    for key, value in _clean(fields).items():
        setattr(bike, key, value)
    if photo is not None:
        old = bike.photo
        bike.photo_id = _store_photo(territory, actor, photo).id
        if old is not None:
            delete_upload(old)
    db.session.flush()
    audit.record("bikerepair.bike_updated", actor=actor, territory=territory, obj=bike)


def delete_bike(territory, bike: Bike, actor) -> None:
    """Remove a bike and its booklet. Its appointments stay (they name no bike any more)."""
    _check_owner(territory, bike, actor)
    db.session.execute(
        update(Appointment)
        .where(Appointment.bike_id == bike.id)
        .values(bike_id=None)
        .execution_options(synchronize_session=False)
    )
    uploads = [bike.photo, *(entry.photo for entry in bike.booklet if entry.created_by_id == actor.id)]
    audit.record("bikerepair.bike_deleted", actor=actor, territory=territory, obj=bike, name=bike.name)
    db.session.delete(bike)
    db.session.flush()
    for upload in uploads:
        if upload is not None and upload.owner_id == actor.id:
            delete_upload(upload)


def add_booklet_entry(
    territory,
    bike: Bike,
    actor,
    *,
    done_on: date,
    work: str,
    parts: str = "",
    price_cents: int | None = None,
    photo=None,
) -> BookletEntry:
    """The owner writes a line of the bike's booklet (the repairer's lines come from ``lifecycle.mark_done``)."""
    _check_owner(territory, bike, actor)
    work = (work or "").strip()
    if not work:
        raise BikeError(_("Indiquez ce qui a été fait."))
    if price_cents is not None and not 0 <= price_cents <= MAX_PRICE_CENTS:
        raise BikeError(_("Indiquez un prix positif."))
    entry = BookletEntry(
        territory_id=territory.id,
        bike_id=bike.id,
        done_on=done_on,
        work=work[:TEXT_MAX],
        parts=(parts or "").strip()[:TEXT_MAX],
        price_cents=price_cents,
        created_by_id=actor.id,
    )
    if photo is not None:
        entry.photo_id = store_image(photo, territory, owner=actor, private=True, purpose="bikerepair.booklet").id
    db.session.add(entry)
    db.session.flush()
    db.session.expire(bike, ["booklet"])
    audit.record("bikerepair.booklet_entry_added", actor=actor, territory=territory, obj=bike, entry_id=entry.id)
    return entry


def _check_owner(territory, bike: Bike, actor) -> None:
    if bike.territory_id != territory.id or actor is None or bike.owner_id != actor.id:
        raise BikeError(_("Ce vélo n'est pas le vôtre."))
