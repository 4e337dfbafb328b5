"""The territory's categories of service, for offers and requests, exchanges and childcare sessions.

The defaults are created on first use, once: keys are never deleted, only deactivated. A post keeps a category
deactivated since it was written. The "childcare" category can be renamed, never deactivated: childcare sessions
book their transfers in it.

Services never commit: the views do (or roll back after a ``TimebankError``).
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from platformcoop import audit
from platformcoop.extensions import db
from platformcoop.tenancy import scoped_select
from plugins.timebank.models import CHILDCARE, Category
from plugins.timebank.services import TimebankError

DEFAULT_CATEGORIES = (
    ("childcare", "Garde d'enfants"),
    ("homework", "Aide aux devoirs"),
    ("diy", "Bricolage"),
    ("gardening", "Jardinage"),
    ("computers", "Informatique"),
    ("cooking", "Cuisine"),
    ("sewing", "Couture"),
    ("transport", "Transport et accompagnement"),
    ("paperwork", "Aide administrative"),
    ("other", "Autre"),
)

LABEL_MAX = 80


def ensure_default_categories(territory) -> bool:
    """Create the default categories a territory lacks (once: keys are never deleted, only deactivated).

    True when it created some (the caller commits)."""
    existing = set(db.session.scalars(select(Category.key).where(Category.territory_id == territory.id)))
    missing = [
        Category(territory_id=territory.id, key=key, label=label, position=position, active=True)
        for position, (key, label) in enumerate(DEFAULT_CATEGORIES)
        if key not in existing
    ]
    if not missing:
        return False
    try:
        with db.session.begin_nested():
            db.session.add_all(missing)
    except IntegrityError:  # another request created them meanwhile (unique territory + key)
        return False
    return True


def categories(territory, active_only: bool = True) -> list[Category]:
    """The territory's categories in their order; the defaults are created on first use."""
    query = scoped_select(Category, territory).order_by(Category.position, Category.id)
    if active_only:
        query = query.where(Category.active.is_(True))
    rows = list(db.session.scalars(query))
    if not rows:  # never empty once created: "childcare" cannot be deactivated
        ensure_default_categories(territory)
        rows = list(db.session.scalars(query))
    return rows


def childcare_category(territory) -> Category:
    """The category childcare sessions book their transfers in."""
    query = scoped_select(Category, territory).where(Category.key == CHILDCARE)
    category = db.session.scalar(query)
    if category is None:
        ensure_default_categories(territory)
        category = db.session.scalar(query)
    return category


def get_category(territory, category_id) -> Category | None:
    try:
        category_id = int(category_id)
    except (TypeError, ValueError):
        return None
    return db.session.scalar(scoped_select(Category, territory).where(Category.id == category_id))


def _clean_label(territory, label: str, category: Category | None = None) -> str:
    label = " ".join((label or "").split())
    if not label:
        raise TimebankError(_("Indiquez le nom de la catégorie."))
    if len(label) > LABEL_MAX:
        raise TimebankError(_("Le nom d'une catégorie compte %(max)s caractères au plus.", max=LABEL_MAX))
    same = scoped_select(Category, territory).where(func.lower(Category.label) == label.lower())
    if category is not None:
        same = same.where(Category.id != category.id)
    if db.session.scalar(same) is not None:
        raise TimebankError(_("Une catégorie porte déjà ce nom."))
    return label


def _key_from_label(territory, label: str) -> str:
    """A stable ascii key ("aide-aux-courses"), unique in the territory."""
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_label).strip("-")[:32].strip("-") or "categorie"
    taken = set(db.session.scalars(select(Category.key).where(Category.territory_id == territory.id)))
    key, number = base, 2
    while key in taken:
        key, number = f"{base}-{number}", number + 1
    return key


def add_category(territory, label: str, *, actor) -> Category:
    categories(territory, active_only=False)  # the defaults first, so that a new key never takes theirs
    label = _clean_label(territory, label)
    position = db.session.scalar(
        select(func.coalesce(func.max(Category.position), -1)).where(Category.territory_id == territory.id)
    )
    category = Category(
        territory_id=territory.id, key=_key_from_label(territory, label), label=label, position=position + 1
    )
    try:
        with db.session.begin_nested():
            db.session.add(category)
    except IntegrityError:  # another administrator added the same key at the same moment
        raise TimebankError(_("Cette catégorie vient d'être ajoutée par quelqu'un d'autre. Rechargez la page."))
    audit.record("timebank.category_added", actor=actor, territory=territory, obj=category, key=category.key)
    return category


def rename_category(territory, category: Category, label: str, *, actor) -> None:
    label = _clean_label(territory, label, category)
    if label == category.label:
        return
    previous, category.label = category.label, label
    audit.record("timebank.category_renamed", actor=actor, territory=territory, obj=category, old=previous, new=label)


def set_category_active(territory, category: Category, active: bool, *, actor) -> None:
    if not active and category.key == CHILDCARE:
        raise TimebankError(
            _("La catégorie de la garde d'enfants ne peut pas être désactivée : les gardes l'utilisent.")
        )
    if category.active == active:
        return
    category.active = active
    action = "timebank.category_reactivated" if active else "timebank.category_deactivated"
    audit.record(action, actor=actor, territory=territory, obj=category, key=category.key)


def move_category(territory, category: Category, step: int, *, actor) -> None:
    """Move the category one place up (``step=-1``) or down (``+1``) in the list members see."""
    ordered = categories(territory, active_only=False)
    index = next(i for i, c in enumerate(ordered) if c.id == category.id)
    target = index + step
    if step not in (-1, 1) or not 0 <= target < len(ordered):
        return
    ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, row in enumerate(ordered):
        row.position = position
    audit.record("timebank.category_moved", actor=actor, territory=territory, obj=category, position=target)
