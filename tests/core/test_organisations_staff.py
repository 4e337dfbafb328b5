"""An organisation's staff: owners invite by e-mail, the invitee accepts once, owners remove staff but never the
last owner — also when two requests race (real threads; SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from platformcoop import clock
from platformcoop.accounts.models import User
from platformcoop.extensions import db
from platformcoop.notifications.models import OutboxMessage
from platformcoop.organisations import invitations
from platformcoop.organisations import services as organisations
from platformcoop.organisations.models import OWNER, STAFF, Organisation, OrganisationStaff
from tests.conftest import PASSWORD, create_user, login
from tests.core.test_organisations import add_organisation, mails_to


def staff_of(app, organisation_id: int) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(
            select(User.email, OrganisationStaff.role)
            .join(OrganisationStaff, OrganisationStaff.user_id == User.id)
            .where(OrganisationStaff.organisation_id == organisation_id)
        ).all()
        return dict(rows)


def member_id(app, organisation_id: int, email: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(OrganisationStaff.id)
            .join(User, OrganisationStaff.user_id == User.id)
            .where(OrganisationStaff.organisation_id == organisation_id, User.email == email)
        )


def invitation_path(app, email: str) -> str:
    (mail,) = mails_to(app, email)
    (link,) = re.findall(r"http://localhost(/\S+/invitation/\S+)", mail.text_body)
    return link


@pytest.fixture
def workshop(app, libercourt) -> int:
    create_user(app, "owner@example.org", "Dominique", libercourt=("resident",))
    return add_organisation(app, "libercourt", "Atelier du Vélo", owner="owner@example.org")


@pytest.fixture
def owner(app, workshop):
    client = app.test_client()
    login(client, "owner@example.org")
    return client


def invite(owner, workshop: int, email: str, role: str = STAFF):
    return owner.post(f"/libercourt/organisations/{workshop}/equipe/inviter", data={"email": email, "role": role})


def add_staff(app, organisation_id: int, email: str, role: str = STAFF) -> None:
    with app.app_context():
        user = db.session.scalars(select(User).filter_by(email=email)).one()
        organisations.add_staff(db.session.get(Organisation, organisation_id), user, role)
        db.session.commit()


# -- invitations --------------------------------------------------------------------------------------------------


def test_an_owner_invites_someone_who_accepts_once(app, owner, workshop):
    create_user(app, "sam@example.org", "Sam", libercourt=("resident",))

    assert invite(owner, workshop, "Sam@Example.org").status_code == 302
    path = invitation_path(app, "sam@example.org")
    sam = app.test_client()
    login(sam, "sam@example.org")
    page = sam.get(path).get_data(as_text=True)
    accepted = sam.post(path)
    again = sam.post(path)

    assert "Vous êtes invité·e à rejoindre l'équipe de Atelier du Vélo" in page
    assert accepted.headers["Location"] == f"/libercourt/organisations/{workshop}"
    assert staff_of(app, workshop) == {"owner@example.org": OWNER, "sam@example.org": STAFF}
    assert again.status_code == 410
    assert "Cette invitation a déjà été acceptée." in again.get_data(as_text=True)


def test_the_invitation_e_mail_says_who_invites_and_how_long_the_link_lasts(app, owner, workshop):
    invite(owner, workshop, "sam@example.org", role=OWNER)

    (mail,) = mails_to(app, "sam@example.org")
    assert mail.subject == "Invitation à rejoindre l'équipe de Atelier du Vélo"
    assert "Dominique vous invite à rejoindre l'équipe de Atelier du Vélo" in mail.text_body
    assert "« Responsable »" in mail.text_body
    assert "Ce lien est valable 7 jours et ne sert qu'une fois." in mail.text_body


def test_someone_without_an_account_registers_then_accepts(app, owner, workshop):
    invite(owner, workshop, "newcomer@example.org", role=OWNER)
    path = invitation_path(app, "newcomer@example.org")
    newcomer = app.test_client()

    page = newcomer.get(path).get_data(as_text=True)
    assert "Créer un compte" in page
    newcomer.post(
        f"/compte/inscription?next={path}",
        data={
            "display_name": "Alex",
            "email": "newcomer@example.org",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "accept_terms": "y",
        },
    )
    (confirm,) = [m for m in mails_to(app, "newcomer@example.org") if "/compte/confirmation/" in m.text_body]
    (confirm_link,) = re.findall(r"http://localhost(/compte/confirmation/\S+)", confirm.text_body)
    landed = newcomer.get(confirm_link)
    assert landed.headers["Location"].endswith(path)
    newcomer.post(path)

    assert staff_of(app, workshop)["newcomer@example.org"] == OWNER


def test_an_invitation_is_refused_to_another_address(app, owner, workshop):
    create_user(app, "other@example.org", "Other", libercourt=("resident",))
    invite(owner, workshop, "sam@example.org")
    other = app.test_client()
    login(other, "other@example.org")

    page = other.get(invitation_path(app, "sam@example.org")).get_data(as_text=True)
    other.post(invitation_path(app, "sam@example.org"))

    assert "Cette invitation a été envoyée à une autre adresse e-mail." in page
    assert "other@example.org" not in staff_of(app, workshop)


def test_an_expired_invitation_is_refused(app, owner, workshop):
    create_user(app, "sam@example.org", "Sam", libercourt=("resident",))
    invite(owner, workshop, "sam@example.org")
    sam = app.test_client()
    login(sam, "sam@example.org")

    with clock.travel(timedelta(days=7, minutes=1)):
        response = sam.post(invitation_path(app, "sam@example.org"))

    assert response.status_code == 410
    assert "Cette invitation a expiré." in response.get_data(as_text=True)
    assert "sam@example.org" not in staff_of(app, workshop)


def test_a_new_invitation_replaces_the_pending_one(app, owner, workshop):
    create_user(app, "sam@example.org", "Sam", libercourt=("resident",))
    invite(owner, workshop, "sam@example.org")
    first = invitation_path(app, "sam@example.org")
    with app.app_context():
        db.session.execute(delete(OutboxMessage))
        db.session.commit()
    invite(owner, workshop, "sam@example.org", role=OWNER)
    second = invitation_path(app, "sam@example.org")
    sam = app.test_client()
    login(sam, "sam@example.org")

    assert sam.post(first).status_code == 410
    sam.post(second)
    assert staff_of(app, workshop)["sam@example.org"] == OWNER


def test_an_invitation_link_works_only_in_its_territory(app, owner, workshop, lomme):
    create_user(app, "sam@example.org", "Sam", libercourt=("resident",), lomme=("resident",))
    invite(owner, workshop, "sam@example.org")
    sam = app.test_client()
    login(sam, "sam@example.org")

    response = sam.post(invitation_path(app, "sam@example.org").replace("/libercourt/", "/lomme/"))

    assert response.status_code == 410
    assert "sam@example.org" not in staff_of(app, workshop)


def test_inviting_someone_already_on_the_staff_is_refused(app, owner, workshop):
    response = invite(owner, workshop, "owner@example.org")

    assert response.status_code == 400
    assert "Cette personne fait déjà partie de l&#39;équipe." in response.get_data(as_text=True)
    assert mails_to(app, "owner@example.org") == []


def test_plain_staff_and_strangers_may_not_invite(app, owner, workshop):
    create_user(app, "staff@example.org", "Staff", libercourt=("resident",))
    add_staff(app, workshop, "staff@example.org")
    staff = app.test_client()
    login(staff, "staff@example.org")

    assert invite(staff, workshop, "friend@example.org").status_code == 403
    assert mails_to(app, "friend@example.org") == []


# -- removing staff -----------------------------------------------------------------------------------------------


def test_an_owner_removes_a_staff_member(app, owner, workshop):
    create_user(app, "staff@example.org", "Staff", libercourt=("resident",))
    add_staff(app, workshop, "staff@example.org")

    owner.post(f"/libercourt/organisations/{workshop}/equipe/{member_id(app, workshop, 'staff@example.org')}/retirer")

    assert staff_of(app, workshop) == {"owner@example.org": OWNER}


def test_the_last_owner_cannot_be_removed_nor_demoted(app, owner, workshop):
    own_id = member_id(app, workshop, "owner@example.org")

    removed = owner.post(f"/libercourt/organisations/{workshop}/equipe/{own_id}/retirer", follow_redirects=True)
    demoted = owner.post(
        f"/libercourt/organisations/{workshop}/equipe/{own_id}/role", data={"role": STAFF}, follow_redirects=True
    )

    assert "L&#39;organisation doit garder au moins un responsable." in removed.get_data(as_text=True)
    assert "L&#39;organisation doit garder au moins un responsable." in demoted.get_data(as_text=True)
    assert staff_of(app, workshop) == {"owner@example.org": OWNER}


def test_a_staff_member_leaves_but_cannot_remove_others(app, owner, workshop):
    create_user(app, "staff@example.org", "Staff", libercourt=("resident",))
    add_staff(app, workshop, "staff@example.org")
    staff = app.test_client()
    login(staff, "staff@example.org")

    refused = staff.post(
        f"/libercourt/organisations/{workshop}/equipe/{member_id(app, workshop, 'owner@example.org')}/retirer"
    )
    staff.post(f"/libercourt/organisations/{workshop}/equipe/{member_id(app, workshop, 'staff@example.org')}/retirer")

    assert refused.status_code == 403
    assert staff_of(app, workshop) == {"owner@example.org": OWNER}


def test_a_territory_admin_manages_any_organisation_s_staff(app, libercourt_admin, workshop):
    create_user(app, "second@example.org", "Second", libercourt=("resident",))
    add_staff(app, workshop, "second@example.org")

    libercourt_admin.post(
        f"/libercourt/organisations/{workshop}/equipe/{member_id(app, workshop, 'second@example.org')}/role",
        data={"role": OWNER},
    )
    libercourt_admin.post(
        f"/libercourt/organisations/{workshop}/equipe/{member_id(app, workshop, 'owner@example.org')}/retirer"
    )

    assert staff_of(app, workshop) == {"second@example.org": OWNER}


# -- races --------------------------------------------------------------------------------------------------------


def race(app, *actions) -> list[BaseException | None]:
    """Run each action in its own thread and app context, all released at the same instant."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[BaseException | None] = [None] * len(actions)

    def run(index, action):
        with app.app_context():
            try:
                barrier.wait()
                action()
                db.session.commit()
            except Exception as error:
                db.session.rollback()
                outcomes[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_two_owners_removing_each_other_at_once_leave_one_owner(app, workshop):
    create_user(app, "second@example.org", "Second", libercourt=("resident",))
    add_staff(app, workshop, "second@example.org", OWNER)
    first_id, second_id = member_id(app, workshop, "owner@example.org"), member_id(app, workshop, "second@example.org")

    def remove(target_id):
        return lambda: organisations.remove_staff(db.session.get(OrganisationStaff, target_id))

    outcomes = race(app, remove(first_id), remove(second_id))

    assert len(staff_of(app, workshop)) == 1
    assert sorted(type(o).__name__ for o in outcomes) == ["NoneType", "OrganisationError"]


def test_one_invitation_accepted_twice_at_once_adds_one_staff_member(app, owner, workshop):
    create_user(app, "sam@example.org", "Sam", libercourt=("resident",))
    invite(owner, workshop, "sam@example.org")
    token = invitation_path(app, "sam@example.org").rsplit("/", 1)[1]

    def accept():
        territory = db.session.get(Organisation, workshop).territory
        invitation = invitations.invitation_for_token(territory, token)
        invitations.accept_invitation(
            invitation, db.session.scalars(select(User).filter_by(email="sam@example.org")).one()
        )

    outcomes = race(app, accept, accept)

    assert staff_of(app, workshop)["sam@example.org"] == STAFF
    assert len(staff_of(app, workshop)) == 2
    assert sum(o is None for o in outcomes) == 1
