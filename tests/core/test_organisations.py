"""Organisations: a resident proposes one, an administrator decides, the public sees the active ones."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from platformcoop.accounts.models import User
from platformcoop.audit import AuditLog
from platformcoop.extensions import db
from platformcoop.notifications.models import Notification, OutboxMessage
from platformcoop.organisations import is_staff, organisations_of
from platformcoop.organisations import services as organisations
from platformcoop.organisations.models import ACTIVE, DECLINED, OWNER, PROPOSED, SUSPENDED, Organisation
from platformcoop.tenancy.models import Territory
from tests.conftest import create_user, login

WORKSHOP = {
    "kind": "repairer",
    "name": "L'Atelier du Vélo",
    "description": "Atelier associatif d'autoréparation.\n\nOuvert à tous.",
    "address": "12 rue de la Gare",
    "postcode": "62820",
    "city": "Libercourt",
    "latitude": "50,4823",
    "longitude": "3,0154",
    "contact_email": "contact@atelier-velo.example.org",
    "contact_phone": "03 21 00 00 00",
    "website": "https://atelier-velo.example.org",
}


def add_organisation(app, slug: str, name: str, *, status: str = ACTIVE, kind: str = "repairer", owner=None) -> int:
    with app.app_context():
        territory = db.session.scalars(select(Territory).filter_by(slug=slug)).one()
        owner_user = db.session.scalars(select(User).filter_by(email=owner)).one() if owner else None
        organisation = organisations.create_organisation(territory, {"kind": kind, "name": name}, owner=owner_user)
        organisation.status = status
        db.session.commit()
        return organisation.id


def organisation(app, organisation_id: int) -> Organisation:
    with app.app_context():
        found = db.session.get(Organisation, organisation_id)
        db.session.expunge(found)
        return found


def mails_to(app, address: str) -> list[OutboxMessage]:
    with app.app_context():
        return db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address)).all()


@pytest.fixture
def resident(app, libercourt):
    create_user(app, "camille@example.org", "Camille", libercourt=("resident",))
    client = app.test_client()
    login(client, "camille@example.org")
    return client


@pytest.fixture
def proposal(app, resident, libercourt_admin) -> int:
    response = resident.post("/libercourt/organisations/proposer", data=WORKSHOP)
    assert response.status_code == 302
    with app.app_context():
        return db.session.scalars(select(Organisation.id)).one()


# -- proposing ----------------------------------------------------------------------------------------------------


def test_a_resident_proposes_an_organisation_and_the_admins_are_told(app, resident, libercourt_admin):
    response = resident.post("/libercourt/organisations/proposer", data=WORKSHOP)

    with app.app_context():
        proposed = db.session.scalars(select(Organisation)).one()
        assert proposed.status == PROPOSED
        assert proposed.created_by.email == "camille@example.org"
        assert (proposed.latitude, proposed.longitude) == (50.4823, 3.0154)
        assert proposed.staff == []  # owner only once approved
        admin_note = db.session.scalars(select(Notification).where(Notification.kind == "organisation.proposed")).one()
        assert "L'Atelier du Vélo" in admin_note.title
    assert response.headers["Location"] == f"/libercourt/organisations/{proposed.id}"
    (mail,) = mails_to(app, "admin@libercourt.example.org")
    assert "Camille propose d'ajouter l'organisation « L'Atelier du Vélo »" in mail.text_body


def test_a_proposal_with_errors_is_refused_in_french_and_nothing_is_saved(app, resident):
    data = dict(WORKSHOP, name="", postcode="6282", longitude="")

    response = resident.post("/libercourt/organisations/proposer", data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Indiquez le nom de l'organisation." in page
    assert "Le code postal compte 5 chiffres." in page
    assert "Indiquez la latitude et la longitude, ou aucune des deux." in page
    with app.app_context():
        assert db.session.scalars(select(Organisation)).all() == []


def test_visitors_are_sent_to_log_in_and_non_members_may_not_propose(app, client, libercourt):
    create_user(app, "outsider@example.org", "Outsider")
    outsider = app.test_client()
    login(outsider, "outsider@example.org")

    assert client.get("/libercourt/organisations/proposer").status_code == 302
    assert outsider.get("/libercourt/organisations/proposer").status_code == 403


def test_a_proposal_is_hidden_from_the_public_but_shown_to_its_proposer(app, client, resident, proposal):
    assert client.get(f"/libercourt/organisations/{proposal}").status_code == 404
    assert "L&#39;Atelier du Vélo" not in client.get("/libercourt/organisations/").get_data(as_text=True)

    own_page = resident.get(f"/libercourt/organisations/{proposal}").get_data(as_text=True)
    listing = resident.get("/libercourt/organisations/").get_data(as_text=True)
    assert "En attente de validation" in own_page
    assert "Vos organisations" in listing and "En attente de validation" in listing


# -- the administrators' decisions ---------------------------------------------------------------------------------


def test_an_admin_approves_a_proposal_and_its_proposer_becomes_owner(app, client, libercourt_admin, proposal):
    response = libercourt_admin.post(
        f"/libercourt/admin/organisations/{proposal}/approuver", data={"message": "Bienvenue !"}
    )

    assert response.status_code == 302
    approved = organisation(app, proposal)
    assert approved.status == ACTIVE
    with app.app_context():
        camille = db.session.scalars(select(User).filter_by(email="camille@example.org")).one()
        assert is_staff(camille, db.session.get(Organisation, proposal), OWNER)
        assert [o.id for o in organisations_of(camille, db.session.get(Territory, approved.territory_id))] == [proposal]
        assert db.session.scalars(select(AuditLog.action).where(AuditLog.action == "organisation.approved")).one()
    (mail,) = mails_to(app, "camille@example.org")
    assert mail.subject == "Votre organisation « L'Atelier du Vélo » est validée"
    assert "Bienvenue !" in mail.text_body
    public = client.get(f"/libercourt/organisations/{proposal}").get_data(as_text=True)
    assert "Atelier associatif d&#39;autoréparation." in public
    assert "12 rue de la Gare" in public


def test_a_decision_is_taken_once(app, libercourt_admin, proposal):
    libercourt_admin.post(f"/libercourt/admin/organisations/{proposal}/approuver", data={})

    again = libercourt_admin.post(f"/libercourt/admin/organisations/{proposal}/refuser", data={}, follow_redirects=True)

    assert "Impossible : cette organisation est « Active »." in again.get_data(as_text=True)
    assert organisation(app, proposal).status == ACTIVE
    with app.app_context():
        assert len(db.session.get(Organisation, proposal).staff) == 1


def test_an_admin_declines_a_proposal_and_the_proposer_is_told(app, libercourt_admin, proposal):
    libercourt_admin.post(f"/libercourt/admin/organisations/{proposal}/refuser", data={"message": "Hors territoire."})

    assert organisation(app, proposal).status == DECLINED
    with app.app_context():
        assert db.session.get(Organisation, proposal).staff == []
    (mail,) = mails_to(app, "camille@example.org")
    assert "n'a pas été retenue" in mail.text_body and "Hors territoire." in mail.text_body


def test_a_suspended_organisation_leaves_the_directory_until_it_is_reactivated(app, client, libercourt_admin):
    workshop = add_organisation(app, "libercourt", "Atelier du Centre")

    libercourt_admin.post(f"/libercourt/admin/organisations/{workshop}/suspendre", data={"message": ""})

    assert organisation(app, workshop).status == SUSPENDED
    assert "Atelier du Centre" not in client.get("/libercourt/organisations/").get_data(as_text=True)
    assert client.get(f"/libercourt/organisations/{workshop}").status_code == 404

    libercourt_admin.post(f"/libercourt/admin/organisations/{workshop}/reactiver", data={"message": ""})

    assert "Atelier du Centre" in client.get("/libercourt/organisations/").get_data(as_text=True)


def test_an_admin_registers_an_organisation_directly_and_edits_it(app, libercourt_admin):
    response = libercourt_admin.post("/libercourt/admin/organisations/nouvelle", data=dict(WORKSHOP, kind="relay"))
    with app.app_context():
        created = db.session.scalars(select(Organisation)).one()
    assert response.headers["Location"] == f"/libercourt/organisations/{created.id}/equipe"
    assert created.status == ACTIVE and created.kind == "relay"

    libercourt_admin.post(f"/libercourt/admin/organisations/{created.id}", data=dict(WORKSHOP, name="Relais Gare"))

    assert organisation(app, created.id).name == "Relais Gare"


def test_the_admin_list_puts_proposals_first(app, libercourt_admin):
    add_organisation(app, "libercourt", "Association Alpha")
    add_organisation(app, "libercourt", "Zébulon", status=PROPOSED)

    page = libercourt_admin.get("/libercourt/admin/organisations/").get_data(as_text=True)

    assert page.index("Zébulon") < page.index("Association Alpha")
    assert 'href="/libercourt/admin/organisations/"' in page  # the admin menu entry


# -- the public directory ------------------------------------------------------------------------------------------


def test_the_directory_lists_active_organisations_and_filters_by_kind(app, client, libercourt):
    add_organisation(app, "libercourt", "Atelier du Centre", kind="repairer")
    add_organisation(app, "libercourt", "Objethèque des Voisins", kind="library")
    add_organisation(app, "libercourt", "Relais en attente", kind="relay", status=PROPOSED)

    everything = client.get("/libercourt/organisations/").get_data(as_text=True)
    libraries = client.get("/libercourt/organisations/?type=library").get_data(as_text=True)

    assert "Atelier du Centre" in everything and "Objethèque des Voisins" in everything
    assert "Relais en attente" not in everything
    assert "Objethèque des Voisins" in libraries and "Atelier du Centre" not in libraries
    assert re.search(r'<option value="library" selected>Bibliothèque d.objets</option>', libraries)


def test_owners_edit_their_organisation_and_plain_staff_may_not(app, libercourt):
    create_user(app, "owner@example.org", "Owner", libercourt=("resident",))
    create_user(app, "staff@example.org", "Staff", libercourt=("resident",))
    workshop = add_organisation(app, "libercourt", "Atelier", owner="owner@example.org")
    with app.app_context():
        staff_user = db.session.scalars(select(User).filter_by(email="staff@example.org")).one()
        organisations.add_staff(db.session.get(Organisation, workshop), staff_user, "staff")
        db.session.commit()
    owner, staff = app.test_client(), app.test_client()
    login(owner, "owner@example.org")
    login(staff, "staff@example.org")

    assert staff.get(f"/libercourt/organisations/{workshop}/modifier").status_code == 403
    response = owner.post(f"/libercourt/organisations/{workshop}/modifier", data=dict(WORKSHOP, name="Atelier Neuf"))

    assert response.status_code == 302
    assert organisation(app, workshop).name == "Atelier Neuf"


# -- isolation -----------------------------------------------------------------------------------------------------


def test_a_lomme_admin_gets_403_on_libercourt_s_organisation_admin(app, lomme_admin, libercourt):
    workshop = add_organisation(app, "libercourt", "Atelier", status=PROPOSED)

    assert lomme_admin.get("/libercourt/admin/organisations/").status_code == 403
    assert lomme_admin.post(f"/libercourt/admin/organisations/{workshop}/approuver").status_code == 403
    assert lomme_admin.get("/libercourt/admin/jours-feries/").status_code == 403
    assert organisation(app, workshop).status == PROPOSED


def test_a_libercourt_organisation_opened_through_lomme_is_not_found(app, lomme_admin, libercourt):
    workshop = add_organisation(app, "libercourt", "Atelier")

    assert lomme_admin.get(f"/lomme/organisations/{workshop}").status_code == 404
    assert lomme_admin.get(f"/lomme/admin/organisations/{workshop}").status_code == 404
    assert lomme_admin.get(f"/lomme/organisations/{workshop}/horaires").status_code == 404


def test_residents_get_403_on_the_organisation_admin(app, resident):
    assert resident.get("/libercourt/admin/organisations/").status_code == 403


def test_every_organisation_page_renders_for_its_people(app, libercourt_admin, resident, proposal):
    pages = [
        "/libercourt/organisations/",
        "/libercourt/organisations/proposer",
        f"/libercourt/organisations/{proposal}",
        f"/libercourt/organisations/{proposal}/modifier",
        f"/libercourt/organisations/{proposal}/equipe",
        f"/libercourt/organisations/{proposal}/horaires",
        "/libercourt/admin/organisations/",
        "/libercourt/admin/organisations/?statut=proposed",
        "/libercourt/admin/organisations/nouvelle",
        f"/libercourt/admin/organisations/{proposal}",
        "/libercourt/admin/jours-feries/",
    ]

    assert {page: libercourt_admin.get(page).status_code for page in pages} == dict.fromkeys(pages, 200)
    assert "Valider" in libercourt_admin.get(f"/libercourt/admin/organisations/{proposal}").get_data(as_text=True)
