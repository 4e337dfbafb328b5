"""Offers and requests ("annonces"); the territory's categories of service are in ``categories.py``.

A post is *open* until its author (or a coordinator) closes it or its end date passes; only open posts that
moderation did not hide are listed, searched and shown on profiles. The rules, once, for the pages, the search hook
and the GDPR hooks:

- an offer in the childcare category needs an account verified for childcare (scenario 7), checked on every write;
- a post's category is one of the territory's active categories (a post keeps a category deactivated since).

Services never commit: the views do (or roll back after a ``TimebankError``).
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import contains_eager

from platformcoop import audit
from platformcoop.accounts.models import User
from platformcoop.accounts.permissions import can
from platformcoop.clock import now
from platformcoop.extensions import db
from platformcoop.moderation import register_reportable, visible
from platformcoop.plugins import SearchResult
from platformcoop.tenancy import scoped_select
from platformcoop.tenancy.models import MEMBERSHIP_ACTIVE, Membership
from plugins.timebank import services
from plugins.timebank.categories import get_category
from plugins.timebank.models import CHILDCARE, CHILDCARE_VERIFIED, Account, Category, Exchange, Post
from plugins.timebank.services import TimebankError

KINDS = (Post.OFFER, Post.REQUEST)
PER_PAGE = 20
SEARCH_LIMIT = 20
TITLE_MAX = 120
DESCRIPTION_MAX = 5000
AVAILABILITY_MAX = 300
NEIGHBOURHOOD_MAX = 120


def register_reportable_posts() -> None:
    """Members may report posts (called once when the blueprint is registered)."""
    register_reportable(
        Post, title_attr="title", url_func=lambda post: url_for("timebank.post", post_id=post.id), module="timebank"
    )


def local_today(territory) -> date:
    return now().astimezone(ZoneInfo(territory.timezone)).date()


# -- posts: rules ---------------------------------------------------------------------------------------------------


def is_open(post: Post, today: date) -> bool:
    return post.closed_at is None and (post.ends_on is None or post.ends_on >= today)


def may_edit(user, post: Post) -> bool:
    return getattr(user, "id", None) == post.author_id and post.closed_at is None


def may_close(user, territory, post: Post) -> bool:
    if post.closed_at is not None:
        return False
    return getattr(user, "id", None) == post.author_id or can(user, "timebank.coordinate", territory)


def _clean_text(value, maximum: int, too_long: str) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if len(value) > maximum:
        raise TimebankError(too_long)
    return value


def _checked_fields(territory, account: Account, fields: dict, current: Post | None = None) -> dict:
    """The post's fields, cleaned, or ``TimebankError``: the server's rules, whatever the form let through."""
    kind = fields.get("kind")
    if kind not in KINDS:
        raise TimebankError(_("Choisissez : vous proposez ou vous recherchez un service."))
    category = get_category(territory, fields.get("category_id"))
    keeps_category = current is not None and category is not None and category.id == current.category_id
    if category is None or not (category.active or keeps_category):
        raise TimebankError(_("Choisissez une catégorie de la liste."))
    if kind == Post.OFFER and category.key == CHILDCARE and account.childcare_status != CHILDCARE_VERIFIED:
        raise TimebankError(
            _(
                "Pour proposer de la garde d'enfants, un coordinateur doit d'abord vous rencontrer et vérifier votre "
                "profil. Faites la demande depuis la page « Garde d'enfants »."
            )
        )
    title = " ".join((fields.get("title") or "").split())
    if not title:
        raise TimebankError(_("Donnez un titre à votre annonce."))
    if len(title) > TITLE_MAX:
        raise TimebankError(_("Le titre compte %(max)s caractères au plus.", max=TITLE_MAX))
    ends_on = fields.get("ends_on")
    if ends_on is not None and ends_on < local_today(territory):
        raise TimebankError(_("La date de fin ne peut pas être déjà passée."))
    return {
        "kind": kind,
        "category_id": category.id,
        "title": title,
        "description": _clean_text(
            fields.get("description"),
            DESCRIPTION_MAX,
            _("La description compte %(max)s caractères au plus.", max=DESCRIPTION_MAX),
        ),
        "availability": _clean_text(
            fields.get("availability"),
            AVAILABILITY_MAX,
            _("Les disponibilités comptent %(max)s caractères au plus.", max=AVAILABILITY_MAX),
        ),
        "neighbourhood": " ".join(
            _clean_text(
                fields.get("neighbourhood"),
                NEIGHBOURHOOD_MAX,
                _("Le quartier compte %(max)s caractères au plus.", max=NEIGHBOURHOOD_MAX),
            ).split()
        ),
        "ends_on": ends_on,
    }


def _author_account(territory, user) -> Account:
    account = services.member_account(territory, user)
    if account is None:
        raise TimebankError(_("Rejoignez d'abord la banque de temps : lisez et acceptez sa charte."))
    if account.closed_at is not None:
        raise TimebankError(_("Votre compte de temps est fermé : vous ne pouvez plus publier d'annonce."))
    return account


def create_post(territory, author, fields: dict) -> Post:
    """Publish an offer or a request; ``fields``: kind, category_id, title, description, availability,
    neighbourhood, ends_on (a date or None)."""
    account = _author_account(territory, author)
    values = _checked_fields(territory, account, fields)
    post = Post(territory_id=territory.id, author_id=author.id, created_at=now(), updated_at=now(), **values)
    db.session.add(post)
    db.session.flush()
    return post


def update_post(territory, post: Post, actor, fields: dict) -> None:
    if not may_edit(actor, post):
        raise TimebankError(_("Seul l'auteur d'une annonce ouverte peut la modifier."))
    account = _author_account(territory, actor)
    values = _checked_fields(territory, account, fields, current=post)
    for name, value in values.items():
        setattr(post, name, value)
    post.updated_at = now()


def close_post(territory, post: Post, actor) -> None:
    """The author, or a coordinator, takes the post down; it stays in the database (exchanges may link to it)."""
    if post.closed_at is not None:
        raise TimebankError(_("Cette annonce est déjà fermée."))
    if not may_close(actor, territory, post):
        raise TimebankError(_("Seul l'auteur de l'annonce ou un coordinateur peut la fermer."))
    post.closed_at = now()
    audit.record(
        "timebank.post_closed", actor=actor, territory=territory, obj=post, by_author=actor.id == post.author_id
    )


# -- posts: reading -------------------------------------------------------------------------------------------------


def _listed(territory):
    """Open, visible posts of active members, with their author and category loaded in the same query.

    A childcare offer is listed only while its author is verified for childcare.
    """
    verified = exists(
        select(Account.id).where(
            Account.territory_id == Post.territory_id,
            Account.user_id == Post.author_id,
            Account.childcare_status == CHILDCARE_VERIFIED,
        )
    )
    active_member = exists(
        select(Membership.id).where(
            Membership.territory_id == Post.territory_id,
            Membership.user_id == Post.author_id,
            Membership.status == MEMBERSHIP_ACTIVE,
        )
    )
    query = (
        scoped_select(Post, territory)
        .join(Post.category)
        .join(Post.author)
        .options(contains_eager(Post.category), contains_eager(Post.author))
        .where(
            Post.closed_at.is_(None),
            or_(Post.ends_on.is_(None), Post.ends_on >= local_today(territory)),
            User.disabled.is_(False),
            active_member,
            or_(Post.kind != Post.OFFER, Category.key != CHILDCARE, verified),
        )
    )
    return visible(query, Post)


def search_posts(
    territory, *, text: str = "", category_id: int | None = None, kind: str | None = None, neighbourhood=""
):
    """The statement listing open posts matching the filters, newest first (paginate it)."""
    query = _listed(territory)
    text = (text or "").strip()
    if text:
        words = text.lower()
        query = query.where(
            or_(
                func.lower(Post.title).contains(words, autoescape=True),
                func.lower(Post.description).contains(words, autoescape=True),
            )
        )
    if category_id:
        query = query.where(Post.category_id == category_id)
    if kind in KINDS:
        query = query.where(Post.kind == kind)
    neighbourhood = (neighbourhood or "").strip()
    if neighbourhood:
        query = query.where(func.lower(Post.neighbourhood).contains(neighbourhood.lower(), autoescape=True))
    return query.order_by(Post.created_at.desc(), Post.id.desc())


def neighbourhoods(territory) -> list[str]:
    """The neighbourhoods named in open posts, for the search form's suggestions."""
    rows = db.session.scalars(
        select(Post.neighbourhood)
        .where(Post.territory_id == territory.id, Post.closed_at.is_(None), Post.neighbourhood != "")
        .distinct()
        .order_by(Post.neighbourhood)
        .limit(100)
    )
    return list(rows)


def open_posts_of(territory, user) -> list[Post]:
    return list(
        db.session.scalars(_listed(territory).where(Post.author_id == user.id).order_by(Post.created_at.desc()))
    )


def other_posts_of(territory, user) -> list[Post]:
    """The author's own closed or expired posts (their profile shows them to them only)."""
    today = local_today(territory)
    query = (
        scoped_select(Post, territory)
        .where(
            Post.author_id == user.id,
            or_(Post.closed_at.is_not(None), and_(Post.ends_on.is_not(None), Post.ends_on < today)),
        )
        .order_by(Post.created_at.desc())
    )
    return list(db.session.scalars(query))


def territory_member(territory, user_id) -> User | None:
    """The user, when they are an active member of ``territory`` (not disabled, not erased); else None."""
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None
    return db.session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            User.id == user_id,
            User.disabled.is_(False),
            User.erased_at.is_(None),
            Membership.territory_id == territory.id,
            Membership.status == MEMBERSHIP_ACTIVE,
        )
    )


def balance_visible(territory, viewer, member) -> bool:
    """Balances are private to the member and the coordinators, unless the territory made them public."""
    if getattr(viewer, "id", None) == member.id or can(viewer, "timebank.coordinate", territory):
        return True
    return bool(services.settings(territory)["balances_public"]) and can(viewer, "territory.use", territory)


def search_results(territory, user, query) -> list[SearchResult]:
    """Open, visible posts whose title or description contains ``query``, for the territory's search box."""
    if not (query or "").strip() or not can(user, "territory.use", territory):
        return []
    posts = db.session.scalars(search_posts(territory, text=query).limit(SEARCH_LIMIT))
    return [
        SearchResult(
            title=post.title,
            url=url_for("timebank.post", post_id=post.id, territory=territory.slug),
            excerpt=f"{post.category.label} · {post.description[:200]}" if post.description else post.category.label,
            module="timebank",
        )
        for post in posts
    ]


# -- GDPR -----------------------------------------------------------------------------------------------------------


def export_posts(territory, user) -> list[dict]:
    """Every post of ``user`` in ``territory``, closed ones included, for the data export."""
    rows = db.session.scalars(
        scoped_select(Post, territory).where(Post.author_id == user.id).order_by(Post.created_at, Post.id)
    )
    return [
        {
            "kind": post.kind,
            "category": post.category.label,
            "title": post.title,
            "description": post.description,
            "availability": post.availability,
            "neighbourhood": post.neighbourhood,
            "ends_on": post.ends_on.isoformat() if post.ends_on else None,
            "created_at": post.created_at.isoformat(),
            "closed_at": post.closed_at.isoformat() if post.closed_at else None,
        }
        for post in rows
    ]


def erase_posts(territory, user) -> None:
    """Delete the user's posts in ``territory``. Exchanges that named one keep their transfer and lose the link (set
    here as well as by ``ON DELETE SET NULL``, which SQLite only applies with its foreign keys switched on)."""
    post_ids = select(Post.id).where(Post.territory_id == territory.id, Post.author_id == user.id)
    db.session.execute(
        update(Exchange)
        .where(Exchange.territory_id == territory.id, Exchange.post_id.in_(post_ids))
        .values(post_id=None)
    )
    db.session.execute(delete(Post).where(Post.territory_id == territory.id, Post.author_id == user.id))
