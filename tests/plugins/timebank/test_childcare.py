"""Childcare, the parent's profile and the vetting: the childcare home, children and emergency contact, asking to
offer childcare, the coordinators' vetting queue. The helpers here are shared by the other test_childcare_*.py files.

Saturday 14 March 2026 in Libercourt (Europe/Paris, UTC+1) is the day of the acceptance scenarios' session.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func, select

from platformcoop import audit, clock
from platformcoop.extensions import db
from platformcoop.notifications.models import Notification
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy.models import Territory
from platformcoop.tenancy.services import update_module_settings
from plugins.timebank import childcare, services
from plugins.timebank.models import Account, Child, Session, Transfer
from tests.conftest import create_user
from tests.plugins.timebank.support import BASE, client_for, territory, user

ANNE, BRUNO, CORALIE = "anne@example.org", "bruno@example.org", "coord@example.org"
MONDAY = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # Monday 9 March 2026, 10:00 in Libercourt
SATURDAY = date(2026, 3, 14)
GARDE = f"{BASE}/garde"


# -- helpers ---------------------------------------------------------------------------------------------------------


@contextmanager
def at(instant: datetime) -> Iterator[datetime]:
    with clock.frozen(instant):
        yield instant


def paris(day: date, hour: int, minute: int = 0) -> datetime:
    """A Libercourt wall-clock time as a UTC instant."""
    return childcare.local_instant(territory(), day, time(hour, minute))


def set_settings(**values) -> None:
    update_module_settings(get_registry(), territory(), "timebank", values)
    db.session.commit()


def account_of(person_id: int) -> Account:
    return services.member_account(territory(), user(person_id))


def family(people, *, children=2, contact=True, verify_bruno=True) -> dict[str, int]:
    """Anne (parent, with children and an emergency contact), Bruno (verified caregiver), Coralie (coordinator):
    their accounts are open (2 h each). Returns the account ids and the children's ids (``child_ids``)."""
    t = territory()
    anne, bruno, coord = (services.open_account(t, user(people[name])) for name in ("anne", "bruno", "coord"))
    known = [("Léa", 2019, "Allergique aux arachides"), ("Hugo", 2022, "Doudou bleu pour la sieste")]
    kids = [
        childcare.add_child(t, anne, first_name=name, birth_year=year, notes=notes)
        for name, year, notes in known[:children]
    ]
    if contact:
        childcare.set_emergency_contact(t, anne, "Mamie Josette", "06 12 34 56 78")
    if verify_bruno:
        childcare.request_vetting(t, bruno, "Papa de deux enfants, disponible le samedi.")
        childcare.verify(t, bruno, user(people["coord"]), "Rencontré au centre social.")
    db.session.commit()
    return {"anne": anne.id, "bruno": bruno.id, "coord": coord.id, "child_ids": [k.id for k in kids]}


def book(ids, day=SATURDAY, start=(14, 0), end=(17, 30), children=None, place="parent") -> Session:
    t = territory()
    starts_at, ends_at = childcare.local_interval(t, day, time(*start), time(*end))
    session = childcare.book_session(
        t,
        db.session.get(Account, ids["anne"]),
        db.session.get(Account, ids["bruno"]),
        starts_at=starts_at,
        ends_at=ends_at,
        child_ids=ids["child_ids"] if children is None else children,
        place=place,
        message="Le goûter est dans le placard.",
    )
    db.session.commit()
    return session


def accepted(ids, **kwargs) -> Session:
    session = book(ids, **kwargs)
    childcare.accept_session(territory(), session, db.session.get(Account, ids["bruno"]).user)
    db.session.commit()
    return session


def declared(ids, start=(14, 10), end=(17, 40), **kwargs) -> Session:
    """A session accepted on Monday, declared by Bruno on Saturday evening at 18:00."""
    session = accepted(ids, **kwargs)
    with at(paris(SATURDAY, 18)):
        actual = childcare.local_interval(territory(), SATURDAY, time(*start), time(*end))
        childcare.declare_session(territory(), session, db.session.get(Account, ids["bruno"]).user, *actual)
        db.session.commit()
    return session


def session_form(caregiver_id, child_ids, day="2026-03-14", start="14:00", end="17:30", place="parent", **extra):
    return {
        "caregiver": str(caregiver_id),
        "day": day,
        "start": start,
        "end": end,
        "children": [str(c) for c in child_ids],
        "place": place,
        "message": "Le goûter est dans le placard.",
        **extra,
    }


def page_text(response) -> str:
    """The page's HTML with its entities read (``d'abord``, not ``d&#39;abord``)."""
    return html.unescape(response.get_data(as_text=True))


def balances(*account_ids: int) -> tuple[int, ...]:
    db.session.expire_all()
    return tuple(db.session.get(Account, a).balance for a in account_ids)


def childcare_transfers() -> list[Transfer]:
    db.session.expire_all()
    return list(db.session.scalars(select(Transfer).where(Transfer.kind == "transfer").order_by(Transfer.id)))


def only_session() -> Session:
    db.session.expire_all()
    [session] = db.session.scalars(select(Session)).all()
    return session


def kinds_of(person_id: int) -> list[str]:
    return list(
        db.session.scalars(select(Notification.kind).where(Notification.user_id == person_id).order_by(Notification.id))
    )


def audit_actions(prefix: str) -> list[str]:
    return list(
        db.session.scalars(
            select(audit.AuditLog.action).where(audit.AuditLog.action.like(f"{prefix}%")).order_by(audit.AuditLog.id)
        )
    )


# -- the childcare home ----------------------------------------------------------------------------------------------


def test_a_member_without_an_account_is_sent_to_open_it_first(app, people):
    anne = client_for(app, ANNE)

    response = anne.get(f"{GARDE}/")

    assert response.status_code == 302 and response.location.endswith(f"{BASE}/")
    assert "Ouvrez d'abord votre compte de temps" in page_text(anne.get(f"{BASE}/", follow_redirects=True))


def test_the_home_shows_my_status_children_contact_sessions_and_the_verified_caregivers(app, people):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        book(ids)
    anne = client_for(app, ANNE)

    with at(MONDAY):
        home = page_text(anne.get(f"{GARDE}/"))

    assert "Demander à être vérifié(e)" in home  # Anne may ask to offer childcare
    assert "Léa" in home and "Hugo" in home and "Mamie Josette" in home
    assert "Mes gardes à venir" in home and "samedi 14 mars 2026, de 14:00 à 17:30" in home
    assert "Bruno" in home and f'href="{GARDE}/demander?caregiver_id={people["bruno"]}"' in home
    bruno = client_for(app, BRUNO)
    with at(MONDAY):
        bruno_html = page_text(bruno.get(f"{GARDE}/"))
    assert "Vous êtes vérifié(e) pour la garde d'enfants" in bruno_html
    assert "Répondre à la demande de Anne" in bruno_html


def test_the_home_tells_a_parent_what_is_missing_before_booking(app, people):
    with app.app_context():
        family(people, children=0, contact=False)
    home = page_text(client_for(app, ANNE).get(f"{GARDE}/"))
    assert "Ajoutez au moins un enfant à votre profil." in home
    assert "Indiquez un contact d'urgence" in home


# -- children and the emergency contact ------------------------------------------------------------------------------


def test_a_parent_adds_edits_and_removes_a_child(app, people, frozen_clock):
    with app.app_context():
        services.open_account(territory(), user(people["anne"]))
        db.session.commit()
    anne = client_for(app, ANNE)

    added = anne.post(f"{GARDE}/enfants/ajouter", data={"first_name": "Léa", "birth_year": "2019", "notes": "Asthme"})
    assert added.status_code == 302
    with app.app_context():
        [child] = db.session.scalars(select(Child)).all()
        child_id = child.id
        assert (child.first_name, child.birth_year, child.notes) == ("Léa", 2019, "Asthme")

    edited = anne.post(
        f"{GARDE}/enfants/{child_id}/modifier", data={"first_name": "Lélé", "birth_year": "2018", "notes": ""}
    )
    assert edited.status_code == 302
    with app.app_context():
        assert (db.session.get(Child, child_id).first_name, db.session.get(Child, child_id).notes) == ("Lélé", "")

    assert anne.post(f"{GARDE}/enfants/{child_id}/supprimer").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Child)) == 0


@pytest.mark.parametrize(
    ("birth_year", "message"),
    [
        ("2027", "L'année de naissance ne peut pas être dans le futur."),
        ("2008", "La garde d'enfants concerne les enfants de moins de 18 ans (nés en 2009 ou après)."),
        ("deux mille", "Indiquez un nombre entier."),
    ],
)
def test_an_implausible_birth_year_is_refused_next_to_the_field(app, people, frozen_clock, birth_year, message):
    with app.app_context():
        services.open_account(territory(), user(people["anne"]))
        db.session.commit()

    response = client_for(app, ANNE).post(
        f"{GARDE}/enfants/ajouter", data={"first_name": "Léa", "birth_year": birth_year}
    )

    assert response.status_code == 422
    assert message in page_text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Child)) == 0


def test_another_parents_child_is_not_found(app, people, frozen_clock):
    with app.app_context():
        ids = family(people)
    bruno = client_for(app, BRUNO)
    assert bruno.get(f"{GARDE}/enfants/{ids['child_ids'][0]}/modifier").status_code == 404
    assert bruno.post(f"{GARDE}/enfants/{ids['child_ids'][0]}/supprimer").status_code == 404


def test_a_child_of_an_open_session_cannot_be_removed(app, people):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        book(ids)
    with at(MONDAY):
        response = client_for(app, ANNE).post(f"{GARDE}/enfants/{ids['child_ids'][0]}/supprimer", follow_redirects=True)
    assert "Cet enfant est concerné par une garde en cours" in page_text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Child)) == 2


@pytest.mark.parametrize(("phone", "ok"), [("06 12 34 56 78", True), ("+33 6 12 34 56 78", True), ("12 34", False)])
def test_the_emergency_contact_needs_a_phone_one_can_call(app, people, phone, ok):
    with app.app_context():
        services.open_account(territory(), user(people["anne"]))
        db.session.commit()

    response = client_for(app, ANNE).post(f"{GARDE}/contact-urgence", data={"name": "Mamie", "phone": phone})

    assert response.status_code == (302 if ok else 422)
    with app.app_context():
        assert account_of(people["anne"]).emergency_contact_phone == (phone if ok else "")
    if not ok:
        assert "Indiquez un numéro de téléphone valable" in page_text(response)


# -- asking to offer childcare, the vetting queue --------------------------------------------------------------------


def test_asking_to_offer_childcare_needs_the_adult_declaration_and_tells_the_coordinators(app, people, outbox):
    with app.app_context():
        for name in ("anne", "coord"):
            services.open_account(territory(), user(people[name]))
        db.session.commit()
    anne = client_for(app, ANNE)

    without = anne.post(f"{GARDE}/proposer", data={"note": "Je garde mes neveux."})
    assert without.status_code == 422
    assert "seules les personnes majeures peuvent garder des enfants" in page_text(without)

    response = anne.post(f"{GARDE}/proposer", data={"note": "Je garde mes neveux.", "adult": "y"})

    assert response.status_code == 302
    with app.app_context():
        account = account_of(people["anne"])
        assert (account.childcare_status, account.childcare_request_note) == ("requested", "Je garde mes neveux.")
        assert kinds_of(people["coord"]) == ["timebank.coordination"]
        assert audit_actions("timebank.vetting") == ["timebank.vetting_requested"]
    [mail] = outbox.to(CORALIE)
    assert "Anne demande à être vérifié(e)" in mail["Subject"]
    assert "Je garde mes neveux." in outbox.body(mail)
    assert "Votre demande est en attente" in page_text(anne.get(f"{GARDE}/"))


def test_a_plain_member_gets_403_on_the_vetting_and_disputes_queues(app, people):
    with app.app_context():
        ids = family(people, verify_bruno=False)
        childcare.request_vetting(territory(), db.session.get(Account, ids["bruno"]), "")
        db.session.commit()
    anne = client_for(app, ANNE)
    assert anne.get(f"{BASE}/coordination/verifications/").status_code == 403
    assert anne.post(f"{BASE}/coordination/verifications/{ids['bruno']}/verifier").status_code == 403
    assert anne.get(f"{BASE}/coordination/litiges/").status_code == 403
    with app.app_context():
        assert account_of(people["bruno"]).childcare_status == "requested"


def test_a_coordinator_verifies_a_member_and_the_record_keeps_who_and_when(app, people, outbox, frozen_clock):
    with app.app_context():
        ids = family(people, verify_bruno=False)
        childcare.request_vetting(territory(), db.session.get(Account, ids["bruno"]), "Disponible le samedi.")
        db.session.commit()
    coord = client_for(app, CORALIE)
    queue = page_text(coord.get(f"{BASE}/coordination/verifications/"))
    assert "Bruno" in queue and "Disponible le samedi." in queue

    response = coord.post(
        f"{BASE}/coordination/verifications/{ids['bruno']}/verifier", data={f"compte-{ids['bruno']}-note": "Vu."}
    )

    assert response.status_code == 302
    with app.app_context():
        bruno = account_of(people["bruno"])
        assert bruno.childcare_status == "verified"
        assert (bruno.childcare_verified_by_id, bruno.childcare_verified_at) == (people["coord"], frozen_clock)
        assert audit_actions("timebank.vetting") == ["timebank.vetting_requested", "timebank.vetting_verified"]
    [mail] = outbox.to(BRUNO)
    assert mail["Subject"] == "Vous pouvez proposer de la garde d'enfants"
    assert "Vérifié(e) le" in page_text(coord.get(f"{BASE}/coordination/verifications/"))


def test_a_refusal_needs_a_note_that_the_member_receives(app, people, outbox):
    with app.app_context():
        ids = family(people, verify_bruno=False)
        childcare.request_vetting(territory(), db.session.get(Account, ids["bruno"]), "")
        db.session.commit()
    coord = client_for(app, CORALIE)
    url = f"{BASE}/coordination/verifications/{ids['bruno']}/refuser"

    without = coord.post(url, data={f"compte-{ids['bruno']}-note": " "})
    assert without.status_code == 422
    assert "Expliquez votre décision à la personne." in page_text(without)
    assert (
        coord.post(url, data={f"compte-{ids['bruno']}-note": "Nous n'avons pas pu vous rencontrer."}).status_code == 302
    )

    with app.app_context():
        bruno = account_of(people["bruno"])
        assert (bruno.childcare_status, bruno.childcare_verified_by_id) == ("refused", None)
    [mail] = outbox.to(BRUNO)
    assert "Nous n'avons pas pu vous rencontrer." in outbox.body(mail)
    # refused: not among the caregivers, and may ask again
    assert "Demander à être vérifié(e)" in page_text(client_for(app, BRUNO).get(f"{GARDE}/"))


def test_withdrawing_a_verification_cancels_the_caregivers_upcoming_sessions(app, people, outbox):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        session_id = accepted(ids).id
    coord = client_for(app, CORALIE)

    with at(MONDAY):
        response = coord.post(
            f"{BASE}/coordination/verifications/{ids['bruno']}/retirer",
            data={f"compte-{ids['bruno']}-note": "Plainte d'un parent."},
        )

    assert response.status_code == 302
    with app.app_context():
        assert account_of(people["bruno"]).childcare_status == "refused"
        session = db.session.get(Session, session_id)
        assert (session.status, session.late_cancel) == ("cancelled", False)
        assert audit_actions("timebank.vetting")[-1] == "timebank.vetting_withdrawn"
        assert childcare.verified_caregivers(territory()) == []
    assert "Plainte d'un parent." in outbox.body(outbox.to(BRUNO)[-1])
    assert "annulé" in outbox.to(ANNE)[-1]["Subject"]


def test_a_coordinator_cannot_verify_their_own_request(app, people):
    with app.app_context():
        t = territory()
        coord = services.open_account(t, user(people["coord"]))
        childcare.request_vetting(t, coord, "")
        db.session.commit()
        coord_id = coord.id
    response = client_for(app, CORALIE).post(f"{BASE}/coordination/verifications/{coord_id}/verifier")
    assert response.status_code == 422
    assert "Un autre coordinateur doit vérifier votre propre demande." in page_text(response)


def test_an_account_of_another_territory_is_not_found_in_the_vetting_queue(app, people, lomme):
    louis = create_user(app, "louis@example.org", "Louis", lomme=("resident",))
    with app.app_context():
        lomme_territory = db.session.query(Territory).filter_by(slug="lomme").one()
        account = services.open_account(lomme_territory, user(louis))
        childcare.request_vetting(lomme_territory, account, "")
        db.session.commit()
        account_id = account.id
    response = client_for(app, CORALIE).post(f"{BASE}/coordination/verifications/{account_id}/verifier")
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Account, account_id).childcare_status == "requested"
