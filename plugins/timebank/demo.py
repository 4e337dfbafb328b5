"""Demo content: a Libercourt time bank that looks alive (``flask pc demo``).

Families with children, two verified caregivers, a member waiting for vetting, a coordinator, offers and requests,
four months of exchanges and childcare sessions at every stage (confirmed, declared, accepted, requested). Past
events are written with the clock set back, through the ledger's own services, so balances and sums are true.
Other territories get their categories only.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from platformcoop import clock
from platformcoop.accounts.models import User
from platformcoop.accounts.services import create_user
from platformcoop.extensions import db
from platformcoop.tenancy.services import add_member
from plugins.timebank import services
from plugins.timebank.categories import ensure_default_categories
from plugins.timebank.models import Category, Child, Exchange, Post, Session

DEMO_PASSWORD = "entraide-demo-2026"

# (e-mail, name, neighbourhood, roles) — created here, listed in docs/timebank.md and the README
MEMBERS = [
    ("martine.lefebvre@example.org", "Martine Lefebvre", "Centre", ("resident",)),
    ("julie.morel@example.org", "Julie Morel", "Cité Bruno", ("resident",)),
    ("paul.garnier@example.org", "Paul Garnier", "La Faisanderie", ("resident",)),
    ("brigitte.dupont@example.org", "Brigitte Dupont (CCAS)", "Centre", ("resident", "timebank.coordinator")),
]

# Members of Libercourt created by the core demo who take part in the time bank.
CORE_MEMBERS = ("camille.martin@example.org", "karim.benali@example.org", "aicha.diallo@example.org")

POSTS = [
    # (author, kind, category key, title, description, availability)
    (
        "martine.lefebvre@example.org",
        Post.OFFER,
        "childcare",
        "Garde d'enfants le mercredi et le samedi",
        "Retraitée, ancienne institutrice, je garde volontiers vos enfants chez vous ou chez moi.",
        "Mercredi après-midi, samedi",
    ),
    (
        "martine.lefebvre@example.org",
        Post.OFFER,
        "homework",
        "Aide aux devoirs (primaire et collège)",
        "Français, mathématiques, lecture. Patience garantie.",
        "En semaine après 16 h 30",
    ),
    (
        "julie.morel@example.org",
        Post.OFFER,
        "childcare",
        "Je garde vos enfants avec les miens",
        "Maman de deux enfants, je peux garder un ou deux enfants de plus chez moi.",
        "Samedi et dimanche",
    ),
    (
        "karim.benali@example.org",
        Post.OFFER,
        "diy",
        "Petites réparations et montage de meubles",
        "J'ai les outils. Étagères, meubles en kit, robinet qui fuit.",
        "Le soir et le week-end",
    ),
    (
        "paul.garnier@example.org",
        Post.OFFER,
        "computers",
        "Aide avec l'ordinateur et le téléphone",
        "Installer une application, faire une démarche en ligne, envoyer des photos.",
        "Lundi et jeudi",
    ),
    (
        "camille.martin@example.org",
        Post.REQUEST,
        "childcare",
        "Garde de Léa et Hugo un samedi par mois",
        "Je travaille un samedi par mois ; Léa a 9 ans et Hugo 6 ans.",
        "Un samedi par mois, de 14 h à 18 h",
    ),
    (
        "aicha.diallo@example.org",
        Post.OFFER,
        "cooking",
        "Cours de cuisine sénégalaise",
        "Je vous apprends le mafé et le thiéboudienne, dans votre cuisine ou la mienne.",
        "Le dimanche",
    ),
    (
        "aicha.diallo@example.org",
        Post.REQUEST,
        "paperwork",
        "Aide pour un dossier de la CAF",
        "J'ai besoin d'aide pour remplir un dossier en ligne.",
        "En semaine",
    ),
]

CHILDREN = {
    "camille.martin@example.org": [("Léa", 2017, "Allergique aux arachides."), ("Hugo", 2020, "")],
    "aicha.diallo@example.org": [("Inès", 2019, "Fait la sieste vers 14 h.")],
    "julie.morel@example.org": [("Nathan", 2016, ""), ("Zoé", 2018, "")],
}

EMERGENCY = {
    "camille.martin@example.org": ("Marc Martin (papa)", "06 12 34 56 78"),
    "aicha.diallo@example.org": ("Fatou Diallo (sœur)", "06 98 76 54 32"),
    "julie.morel@example.org": ("Sylvie Morel (grand-mère)", "03 21 00 11 22"),
}


def load(territory) -> None:
    ensure_default_categories(territory)
    if territory.slug != "libercourt":
        return
    start = clock.now() - timedelta(days=120)
    people = _people(territory)
    accounts = {}
    with clock.frozen(start):
        for email, user in people.items():
            accounts[email] = services.open_account(territory, user)
    categories = {c.key: c for c in db.session.scalars(select(Category).where(Category.territory_id == territory.id))}
    _vetting(territory, accounts, people)
    _family_details(territory, accounts)
    _posts(territory, people, categories)
    _exchanges(territory, accounts, people, categories, start)
    _sessions(territory, accounts, people, categories)
    db.session.flush()


def _people(territory) -> dict[str, User]:
    people = {}
    for email, name, neighbourhood, roles in MEMBERS:
        user = create_user(email, DEMO_PASSWORD, name, confirmed=True, neighbourhood=neighbourhood)
        add_member(territory, user, roles=roles)
        people[email] = user
    for email in CORE_MEMBERS:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            people[email] = user
    db.session.flush()
    return people


def _vetting(territory, accounts, people) -> None:
    coordinator = people["brigitte.dupont@example.org"]
    at = clock.now() - timedelta(days=100)
    for email in ("martine.lefebvre@example.org", "julie.morel@example.org"):
        account = accounts[email]
        account.childcare_status = "verified"
        account.childcare_requested_at = at - timedelta(days=3)
        account.childcare_request_note = "Je souhaite proposer de la garde d'enfants."
        account.childcare_verified_at = at
        account.childcare_verified_by_id = coordinator.id
        account.childcare_decision_note = "Rencontre au CCAS, références vérifiées."
    waiting = accounts["paul.garnier@example.org"]
    waiting.childcare_status = "requested"
    waiting.childcare_requested_at = clock.now() - timedelta(days=2)
    waiting.childcare_request_note = "Grand-père de trois petits-enfants, disponible le mercredi."


def _family_details(territory, accounts) -> None:
    for email, children in CHILDREN.items():
        for first_name, birth_year, notes in children:
            db.session.add(
                Child(
                    territory_id=territory.id,
                    account_id=accounts[email].id,
                    first_name=first_name,
                    birth_year=birth_year,
                    notes=notes,
                )
            )
    for email, (name, phone) in EMERGENCY.items():
        accounts[email].emergency_contact_name = name
        accounts[email].emergency_contact_phone = phone
    db.session.flush()


def _posts(territory, people, categories) -> None:
    for index, (email, kind, key, title, description, availability) in enumerate(POSTS):
        at = clock.now() - timedelta(days=60 - index * 6)
        db.session.add(
            Post(
                territory_id=territory.id,
                author_id=people[email].id,
                kind=kind,
                category_id=categories[key].id,
                title=title,
                description=description,
                availability=availability,
                neighbourhood=people[email].neighbourhood or "",
                created_at=at,
                updated_at=at,
            )
        )
    db.session.flush()


# (days ago, receiver, provider, minutes, category key, description)
EXCHANGES = [
    (110, "camille.martin@example.org", "karim.benali@example.org", 90, "diy", "Montage d'une armoire"),
    (95, "aicha.diallo@example.org", "paul.garnier@example.org", 60, "computers", "Démarches en ligne"),
    (80, "karim.benali@example.org", "aicha.diallo@example.org", 120, "cooking", "Cours de cuisine"),
    (66, "julie.morel@example.org", "martine.lefebvre@example.org", 60, "homework", "Devoirs de Nathan"),
    (52, "paul.garnier@example.org", "karim.benali@example.org", 45, "diy", "Robinet de la cuisine"),
    (38, "camille.martin@example.org", "martine.lefebvre@example.org", 90, "homework", "Lecture avec Léa"),
    (24, "martine.lefebvre@example.org", "paul.garnier@example.org", 60, "computers", "Installer la visio"),
    (10, "aicha.diallo@example.org", "julie.morel@example.org", 75, "sewing", "Ourlets de rideaux"),
    (3, "julie.morel@example.org", "karim.benali@example.org", 60, "diy", "Étagères de la chambre"),
]


def _exchanges(territory, accounts, people, categories, start) -> None:
    for days, receiver, provider, minutes, key, description in EXCHANGES:
        at = clock.now() - timedelta(days=days)
        with clock.frozen(at):
            record = services.transfer(
                territory,
                accounts[receiver],
                accounts[provider],
                minutes,
                actor=people[receiver],
                description=description,
                category_id=categories[key].id,
            )
            db.session.add(
                Exchange(
                    territory_id=territory.id,
                    receiver_account_id=accounts[receiver].id,
                    provider_account_id=accounts[provider].id,
                    minutes=minutes,
                    category_id=categories[key].id,
                    description=description,
                    initiated_by="receiver",
                    status=Exchange.DONE,
                    transfer_id=record.id,
                    created_by_id=people[receiver].id,
                    created_at=at,
                    decided_at=at,
                )
            )
    # A payment request waiting for Aïcha's answer.
    db.session.add(
        Exchange(
            territory_id=territory.id,
            receiver_account_id=accounts["aicha.diallo@example.org"].id,
            provider_account_id=accounts["karim.benali@example.org"].id,
            minutes=60,
            category_id=categories["diy"].id,
            description="Fixation d'un miroir",
            initiated_by="provider",
            status=Exchange.PENDING,
            created_by_id=people["karim.benali@example.org"].id,
            created_at=clock.now() - timedelta(days=1),
            expires_at=clock.now() + timedelta(days=6),
        )
    )
    db.session.flush()


def _local(territory, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(territory.timezone))


def _saturday(weeks: int) -> date:
    """The Saturday ``weeks`` weeks from this week's (negative: in the past)."""
    today = clock.now().date()
    return today + timedelta(days=(5 - today.weekday()) + 7 * weeks)


def _add_session(territory, parent, caregiver, starts, ends, status, children, **details) -> None:
    """A session row as the services would have left it at ``status`` (``details``: its dates, times and notes)."""
    details.setdefault("place", Session.PLACE_PARENT)
    details.setdefault("created_at", starts - timedelta(days=5))
    db.session.add(
        Session(
            territory_id=territory.id,
            parent_account_id=parent.id,
            caregiver_account_id=caregiver.id,
            starts_at=starts,
            ends_at=ends,
            status=status,
            children=children,
            **details,
        )
    )


def _sessions(territory, accounts, people, categories) -> None:
    childcare = categories["childcare"]
    camille, aicha = accounts["camille.martin@example.org"], accounts["aicha.diallo@example.org"]
    martine, julie = accounts["martine.lefebvre@example.org"], accounts["julie.morel@example.org"]
    children = {
        child.first_name: child for child in db.session.scalars(select(Child).where(Child.territory_id == territory.id))
    }
    # Past sessions, confirmed by the parent: the hours moved.
    for weeks, parent, caregiver, names, (h1, m1, h2, m2) in [
        (-12, camille, martine, ("Léa", "Hugo"), (14, 0, 17, 30)),
        (-9, aicha, julie, ("Inès",), (9, 0, 12, 0)),
        (-6, camille, julie, ("Léa", "Hugo"), (14, 0, 18, 0)),
        (-3, aicha, martine, ("Inès",), (14, 0, 16, 30)),
    ]:
        day = _saturday(weeks)
        starts, ends = _local(territory, day, h1, m1), _local(territory, day, h2, m2)
        minutes = int((ends - starts).total_seconds() // 60)
        with clock.frozen(ends + timedelta(hours=20)):
            record = services.transfer(
                territory,
                parent,
                caregiver,
                minutes,
                actor=parent.user,
                description="Garde d'enfants",
                category_id=childcare.id,
            )
        _add_session(
            territory,
            parent,
            caregiver,
            starts,
            ends,
            Session.CONFIRMED,
            [children[name] for name in names],
            decided_at=starts - timedelta(days=4),
            actual_start=starts,
            actual_end=ends,
            declared_at=ends + timedelta(hours=2),
            confirmed_at=ends + timedelta(hours=20),
            minutes=minutes,
            transfer_id=record.id,
        )
    # Last Saturday: Julie declared, Camille has to confirm.
    day = _saturday(-1)
    starts, ends = _local(territory, day, 14), _local(territory, day, 17)
    _add_session(
        territory,
        camille,
        julie,
        starts,
        ends,
        Session.DECLARED,
        [children["Léa"], children["Hugo"]],
        place=Session.PLACE_CAREGIVER,
        decided_at=starts - timedelta(days=3),
        actual_start=starts,
        actual_end=ends + timedelta(minutes=15),
        declared_at=ends + timedelta(hours=1),
        minutes=195,
    )
    # Two Saturdays ago: Aïcha disputed the hours Julie declared; it waits in the coordinators' disputes queue.
    day = _saturday(-2)
    starts, ends = _local(territory, day, 9), _local(territory, day, 12)
    _add_session(
        territory,
        aicha,
        julie,
        starts,
        ends,
        Session.DISPUTED,
        [children["Inès"]],
        place=Session.PLACE_CAREGIVER,
        decided_at=starts - timedelta(days=4),
        actual_start=starts,
        actual_end=ends + timedelta(minutes=30),
        declared_at=ends + timedelta(hours=3),
        minutes=210,
        disputed_at=ends + timedelta(days=1),
        dispute_reason="Je suis venue chercher Inès à 12 h, pas à 12 h 30.",
    )
    # Next Saturday: accepted; the one after: waiting for Martine's answer.
    for weeks, status, parent, caregiver, names in [
        (1, Session.ACCEPTED, aicha, martine, ("Inès",)),
        (2, Session.REQUESTED, camille, martine, ("Léa", "Hugo")),
    ]:
        day = _saturday(weeks)
        _add_session(
            territory,
            parent,
            caregiver,
            _local(territory, day, 14),
            _local(territory, day, 17, 30),
            status,
            [children[name] for name in names],
            message="Merci beaucoup !",
            created_at=clock.now() - timedelta(days=1),
            decided_at=clock.now() if status == Session.ACCEPTED else None,
        )
