"""Offers and requests ("annonces"), categories and members' profiles of the time bank."""

from __future__ import annotations

import html
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from platformcoop import clock
from platformcoop.audit import AuditLog
from platformcoop.extensions import db
from platformcoop.messaging.models import Conversation, Message
from platformcoop.moderation.models import ModeratedContent, Report
from platformcoop.plugins import SearchResult
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy.models import MEMBERSHIP_SUSPENDED
from platformcoop.tenancy.services import update_module_settings
from plugins.timebank import categories, posts, services
from plugins.timebank.models import CHILDCARE_VERIFIED, Category, Post
from plugins.timebank.services import TimebankError
from tests.conftest import create_user
from tests.plugins.timebank.support import BASE, client_for, count_queries, territory, user

# -- helpers --------------------------------------------------------------------------------------------------------


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def category_id(key: str, slug: str = "libercourt") -> int:
    return next(c.id for c in categories.categories(territory(slug), active_only=False) if c.key == key)


def category_id_in(app, key: str, slug: str = "libercourt") -> int:
    with app.app_context():
        return category_id(key, slug)


def open_account(user_id: int, slug: str = "libercourt", *, verified: bool = False) -> None:
    account = services.open_account(territory(slug), user(user_id))
    if verified:
        account.childcare_status = CHILDCARE_VERIFIED
    db.session.commit()


def joined(app, user_id: int) -> None:
    """The member joined the time bank (accepted the charter: their account is open)."""
    with app.app_context():
        open_account(user_id)


def make_post(user_id: int, slug: str = "libercourt", **fields) -> int:
    """A post published through the service (the author's account is opened first)."""
    t = territory(slug)
    author = user(user_id)
    services.open_account(t, author)
    values = {
        "kind": Post.OFFER,
        "category_id": category_id(fields.pop("category", "diy"), slug),
        "title": "Je répare les vélos",
        "description": "Crevaisons, freins, dérailleurs.",
        "availability": "Le samedi matin",
        "neighbourhood": "Centre",
        "ends_on": None,
    }
    values.update(fields)
    post = posts.create_post(t, author, values)
    db.session.commit()
    return post.id


def form_data(app, **overrides) -> dict:
    data = {
        "kind": "offer",
        "category_id": str(category_id_in(app, "diy")),
        "title": "Je répare les vélos",
        "description": "Crevaisons, freins.",
        "availability": "Le samedi matin",
        "neighbourhood": "Centre",
        "ends_on": "",
    }
    data.update(overrides)
    return data


def post_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Post))


def listed_titles(client, **args) -> str:
    response = client.get(f"{BASE}/annonces/", query_string=args)
    assert response.status_code == 200
    return text_of(response)


# -- categories -----------------------------------------------------------------------------------------------------


def test_the_default_categories_are_created_once(ctx, libercourt):
    t = territory()
    categories.ensure_default_categories(t)
    categories.ensure_default_categories(t)
    db.session.commit()
    rows = categories.categories(t)
    assert [c.key for c in rows] == [key for key, _label in categories.DEFAULT_CATEGORIES]
    assert categories.childcare_category(t).label == "Garde d'enfants"


def test_a_territory_without_categories_gets_them_when_they_are_read(ctx, libercourt):
    t = territory()
    db.session.execute(Category.__table__.delete())
    db.session.commit()
    assert len(categories.categories(t)) == len(categories.DEFAULT_CATEGORIES)
    assert categories.childcare_category(t).key == "childcare"


def test_a_plain_member_gets_403_on_the_categories_page(app, people):
    client = client_for(app, "anne@example.org")
    assert client.get(f"{BASE}/categories/").status_code == 403
    assert client.post(f"{BASE}/categories/ajouter", data={"label": "Musique"}).status_code == 403
    coordinator = client_for(app, "coord@example.org")
    assert coordinator.get(f"{BASE}/categories/").status_code == 403


def test_the_admin_adds_renames_reorders_and_deactivates_categories_with_an_audit_entry(app, libercourt_admin):
    client = libercourt_admin
    assert "Garde d'enfants" in text_of(client.get(f"{BASE}/categories/"))
    response = client.post(f"{BASE}/categories/ajouter", data={"label": "Écoute et compagnie"})
    assert response.status_code == 302
    with app.app_context():
        added = db.session.scalar(select(Category).where(Category.label == "Écoute et compagnie"))
        assert (added.key, added.active) == ("ecoute-et-compagnie", True)
        diy = category_id("diy")
        homework = category_id("homework")
    client.post(f"{BASE}/categories/{diy}/renommer", data={"label": "Petits travaux"})
    client.post(f"{BASE}/categories/{diy}/monter")
    client.post(f"{BASE}/categories/{diy}/desactiver")
    with app.app_context():
        ordered = categories.categories(territory(), active_only=False)
        assert [c.key for c in ordered[:3]] == ["childcare", "diy", "homework"]
        assert [c.label for c in ordered[:2]] == ["Garde d'enfants", "Petits travaux"]
        assert "diy" not in [c.key for c in categories.categories(territory())]
        actions = set(db.session.scalars(select(AuditLog.action).where(AuditLog.action.like("timebank.category%"))))
        assert actions == {
            "timebank.category_added",
            "timebank.category_renamed",
            "timebank.category_moved",
            "timebank.category_deactivated",
        }
    client.post(f"{BASE}/categories/{diy}/reactiver")
    with app.app_context():
        assert "diy" in [c.key for c in categories.categories(territory())]
        assert homework


def test_a_second_category_with_the_same_name_gets_a_french_refusal(app, libercourt_admin):
    response = libercourt_admin.post(f"{BASE}/categories/ajouter", data={"label": "  bricolage "})
    assert response.status_code == 422
    assert "Une catégorie porte déjà ce nom." in text_of(response)
    response = libercourt_admin.post(f"{BASE}/categories/ajouter", data={"label": ""})
    assert response.status_code == 422
    assert "Indiquez le nom de la catégorie." in text_of(response)
    with app.app_context():
        assert len(categories.categories(territory(), active_only=False)) == len(categories.DEFAULT_CATEGORIES)


def test_the_childcare_category_can_be_renamed_but_never_deactivated(app, libercourt_admin):
    with app.app_context():
        childcare = categories.childcare_category(territory()).id
    response = libercourt_admin.post(f"{BASE}/categories/{childcare}/desactiver")
    assert response.status_code == 409
    assert "ne peut pas être désactivée" in text_of(response)
    libercourt_admin.post(f"{BASE}/categories/{childcare}/renommer", data={"label": "Garde des petits"})
    with app.app_context():
        category = categories.childcare_category(territory())
        assert (category.label, category.active) == ("Garde des petits", True)
        with pytest.raises(TimebankError):
            categories.set_category_active(territory(), category, False, actor=None)


# -- writing posts --------------------------------------------------------------------------------------------------


def test_a_member_publishes_an_offer(app, people):
    joined(app, people["anne"])
    client = client_for(app, "anne@example.org")
    response = client.post(f"{BASE}/annonces/nouvelle", data=form_data(app, ends_on="31/12/2099"))
    assert response.status_code == 302
    with app.app_context():
        post = db.session.scalar(select(Post))
        assert (post.kind, post.title, post.neighbourhood, post.ends_on) == (
            "offer",
            "Je répare les vélos",
            "Centre",
            date(2099, 12, 31),
        )
        assert response.headers["Location"].endswith(f"/annonces/{post.id}")
    page = text_of(client.get(response.headers["Location"]))
    assert "Je répare les vélos" in page and "Le samedi matin" in page and "Anne" in page


def test_a_member_without_a_time_account_is_sent_to_the_module_home(app, people):
    client = client_for(app, "anne@example.org")
    response = client.get(f"{BASE}/annonces/nouvelle")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/libercourt/banque-de-temps/")
    assert "rejoignez d'abord la banque de temps" in text_of(client.get(response.headers["Location"]))
    assert client.post(f"{BASE}/annonces/nouvelle", data=form_data(app)).status_code == 302
    with app.app_context():
        assert post_count() == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": "  "}, "Donnez un titre à votre annonce."),
        ({"title": "x" * 121}, "120 caractères au plus."),
        ({"kind": "gift"}, "Choisissez : je propose ou je recherche."),
        ({"kind": ""}, "Choisissez : je propose ou je recherche."),
        ({"category_id": ""}, "Choisissez une catégorie."),
        ({"category_id": "999999"}, "Choisissez une catégorie de la liste."),
        ({"ends_on": "01/01/2020"}, "La date de fin ne peut pas être déjà passée."),
        ({"ends_on": "32/13/2026"}, "Indiquez une date valide"),
        ({"availability": "x" * 301}, "300 caractères au plus."),
    ],
)
def test_bad_input_is_refused_in_french_and_writes_nothing(app, people, overrides, message):
    joined(app, people["anne"])
    client = client_for(app, "anne@example.org")
    response = client.post(f"{BASE}/annonces/nouvelle", data=form_data(app, **overrides))
    assert response.status_code == 422
    assert message in text_of(response)
    with app.app_context():
        assert post_count() == 0


def test_a_deactivated_category_is_refused_for_a_new_post(app, people):
    with app.app_context():
        t = territory()
        categories.set_category_active(t, db.session.get(Category, category_id("diy")), False, actor=None)
        db.session.commit()
        open_account(people["anne"])
        with pytest.raises(TimebankError, match="Choisissez une catégorie de la liste"):
            make_post(people["anne"])
        db.session.rollback()
        assert post_count() == 0


def test_the_author_edits_the_post(app, people):
    with app.app_context():
        post_id = make_post(people["anne"])
    client = client_for(app, "anne@example.org")
    assert "Je répare les vélos" in text_of(client.get(f"{BASE}/annonces/{post_id}/modifier"))
    response = client.post(
        f"{BASE}/annonces/{post_id}/modifier",
        data=form_data(app, title="Je répare vélos et trottinettes", category_id=str(category_id_in(app, "other"))),
    )
    assert response.status_code == 302
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert (post.title, post.category.key) == ("Je répare vélos et trottinettes", "other")


def test_an_edit_with_bad_input_changes_nothing(app, people):
    with app.app_context():
        post_id = make_post(people["anne"])
    client = client_for(app, "anne@example.org")
    response = client.post(f"{BASE}/annonces/{post_id}/modifier", data=form_data(app, title="", ends_on="01/01/2020"))
    assert response.status_code == 422
    page = text_of(response)
    assert "Donnez un titre à votre annonce." in page
    with app.app_context():
        assert db.session.get(Post, post_id).title == "Je répare les vélos"


def test_only_the_author_edits_a_post(app, people):
    with app.app_context():
        post_id = make_post(people["anne"])
    bruno = client_for(app, "bruno@example.org")
    assert bruno.get(f"{BASE}/annonces/{post_id}/modifier").status_code == 403
    assert bruno.post(f"{BASE}/annonces/{post_id}/modifier", data=form_data(app, title="Piraté")).status_code == 403
    coordinator = client_for(app, "coord@example.org")
    assert (
        coordinator.post(f"{BASE}/annonces/{post_id}/modifier", data=form_data(app, title="Piraté")).status_code == 403
    )
    with app.app_context():
        assert db.session.get(Post, post_id).title == "Je répare les vélos"


def test_the_author_closes_the_post_and_it_leaves_the_list(app, people):
    with app.app_context():
        post_id = make_post(people["anne"])
    client = client_for(app, "anne@example.org")
    assert "Je répare les vélos" in listed_titles(client)
    response = client.post(f"{BASE}/annonces/{post_id}/fermer")
    assert response.status_code == 302
    assert "Je répare les vélos" not in listed_titles(client)
    assert "Cette annonce est fermée depuis le" in text_of(client.get(f"{BASE}/annonces/{post_id}"))
    again = client.post(f"{BASE}/annonces/{post_id}/fermer")
    assert again.status_code == 409
    assert "Cette annonce est déjà fermée." in text_of(again)
    with app.app_context():
        assert db.session.get(Post, post_id).closed_at is not None
        assert db.session.scalar(select(AuditLog).where(AuditLog.action == "timebank.post_closed")) is not None


def test_a_coordinator_closes_a_post_but_another_member_cannot(app, people):
    with app.app_context():
        post_id = make_post(people["anne"])
    assert client_for(app, "bruno@example.org").post(f"{BASE}/annonces/{post_id}/fermer").status_code == 403
    with app.app_context():
        assert db.session.get(Post, post_id).closed_at is None
    assert client_for(app, "coord@example.org").post(f"{BASE}/annonces/{post_id}/fermer").status_code == 302
    with app.app_context():
        assert db.session.get(Post, post_id).closed_at is not None


def test_an_expired_post_leaves_the_list(app, people):
    with app.app_context():
        tomorrow = posts.local_today(territory()) + timedelta(days=1)
        make_post(people["anne"], ends_on=tomorrow)
    client = client_for(app, "bruno@example.org")
    assert "Je répare les vélos" in listed_titles(client)
    with clock.travel(timedelta(days=2)):
        assert "Je répare les vélos" not in listed_titles(client)


# -- scenario 7 (first part): only a verified member offers childcare ----------------------------------------------


def test_an_unverified_member_cannot_offer_childcare_through_the_page(app, people):
    joined(app, people["anne"])
    client = client_for(app, "anne@example.org")
    page = text_of(client.get(f"{BASE}/annonces/nouvelle"))
    assert "un coordinateur doit d'abord vous rencontrer" in page
    childcare = category_id_in(app, "childcare")
    response = client.post(
        f"{BASE}/annonces/nouvelle", data=form_data(app, category_id=str(childcare), title="Je garde vos enfants")
    )
    assert response.status_code == 422
    assert "Pour proposer de la garde d'enfants, un coordinateur doit d'abord vous rencontrer" in text_of(response)
    with app.app_context():
        assert post_count() == 0


def test_an_unverified_member_cannot_offer_childcare_even_by_a_direct_post(app, people):
    joined(app, people["anne"])
    client = client_for(app, "anne@example.org")
    childcare = category_id_in(app, "childcare")
    response = client.post(
        f"{BASE}/annonces/nouvelle", data={"kind": "offer", "category_id": childcare, "title": "Garde"}
    )
    assert response.status_code == 422
    with app.app_context():
        assert post_count() == 0
        with pytest.raises(TimebankError, match="garde d'enfants"):
            make_post(people["anne"], category="childcare")


def test_an_unverified_member_cannot_turn_a_post_into_a_childcare_offer(app, people):
    with app.app_context():
        post_id = make_post(people["anne"], kind=Post.REQUEST, category="childcare", title="Cherche garde")
    client = client_for(app, "anne@example.org")
    response = client.post(
        f"{BASE}/annonces/{post_id}/modifier",
        data=form_data(app, kind="offer", category_id=str(category_id_in(app, "childcare")), title="Je garde"),
    )
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(Post, post_id).kind == Post.REQUEST


def test_a_verified_member_offers_childcare_and_parents_can_ask_for_a_session(app, people):
    with app.app_context():
        open_account(people["anne"], verified=True)
        post_id = make_post(people["anne"], category="childcare", title="Je garde vos enfants le mercredi")
    bruno = client_for(app, "bruno@example.org")
    page = text_of(bruno.get(f"{BASE}/annonces/{post_id}"))
    assert "Demander une garde" in page
    assert f"/libercourt/banque-de-temps/garde/demander?caregiver_id={people['anne']}" in page
    assert "vérifié(e) pour la garde d'enfants" in page
    assert "Je garde vos enfants le mercredi" in listed_titles(bruno)
    with app.app_context():  # verification withdrawn: the offer leaves the list and the page offers no booking
        services.member_account(territory(), user(people["anne"])).childcare_status = "refused"
        db.session.commit()
    assert "Je garde vos enfants le mercredi" not in listed_titles(bruno)
    assert "Demander une garde" not in text_of(bruno.get(f"{BASE}/annonces/{post_id}"))


# -- the post page's links -------------------------------------------------------------------------------------------


def test_an_offer_links_to_recording_the_service_received_and_a_request_to_the_service_given(app, people):
    with app.app_context():
        offer = make_post(people["anne"])
        request_ = make_post(people["anne"], kind=Post.REQUEST, title="Cherche aide pour un CV", category="paperwork")
    bruno = client_for(app, "bruno@example.org")
    page = text_of(bruno.get(f"{BASE}/annonces/{offer}"))
    assert "J'ai reçu ce service" in page
    assert f"/echanges/nouveau?provider_id={people['anne']}&post_id={offer}" in page
    assert "Signaler" in page  # the core's report control
    page = text_of(bruno.get(f"{BASE}/annonces/{request_}"))
    assert "J'ai rendu ce service" in page
    assert f"/echanges/nouveau?receiver_id={people['anne']}&post_id={request_}" in page
    own = text_of(client_for(app, "anne@example.org").get(f"{BASE}/annonces/{offer}"))
    assert "Modifier l'annonce" in own and "J'ai reçu ce service" not in own and "Contacter" not in own


def test_the_contact_button_starts_a_conversation_attached_to_the_post(app, people):
    with app.app_context():
        post_id = make_post(people["anne"])
    bruno = client_for(app, "bruno@example.org")
    assert "Contacter" in text_of(bruno.get(f"{BASE}/annonces/{post_id}"))
    response = bruno.post(f"{BASE}/annonces/{post_id}/contacter", data={"body": "Mon vélo a un pneu crevé."})
    assert response.status_code == 302
    with app.app_context():
        conversation = db.session.scalar(select(Conversation))
        assert (conversation.subject_type, conversation.subject_id, conversation.title) == (
            "timebank_post",
            post_id,
            "Je répare les vélos",
        )
        assert {p.user_id for p in conversation.participants} == {people["anne"], people["bruno"]}
        assert db.session.scalar(select(Message.body)) == "Mon vélo a un pneu crevé."
        assert response.headers["Location"].endswith(f"/libercourt/messages/{conversation.id}")


def test_an_empty_message_to_the_author_is_refused_in_french(app, people):
    with app.app_context():
        post_id = make_post(people["anne"])
    response = client_for(app, "bruno@example.org").post(f"{BASE}/annonces/{post_id}/contacter", data={"body": " "})
    assert response.status_code == 422
    assert "Écrivez votre message." in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Conversation)) == 0


# -- list and search -------------------------------------------------------------------------------------------------


@pytest.fixture
def three_posts(app, people):
    with app.app_context():
        make_post(
            people["anne"], title="Je répare les vélos", description="Freins et crevaisons", neighbourhood="Centre"
        )
        make_post(
            people["bruno"],
            kind=Post.REQUEST,
            category="computers",
            title="Cherche aide ordinateur",
            description="Installer une IMPRIMANTE",
            neighbourhood="Cité Saint-Henri",
        )
        make_post(
            people["bruno"], category="gardening", title="Tonte de pelouse", description="", neighbourhood="Le Bas"
        )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, {"Je répare les vélos", "Cherche aide ordinateur", "Tonte de pelouse"}),
        ({"q": "RÉPARE"}, {"Je répare les vélos"}),
        ({"q": "imprimante"}, {"Cherche aide ordinateur"}),  # in the description, whatever the case
        ({"q": "ORDINATEUR"}, {"Cherche aide ordinateur"}),
        ({"type": "demande"}, {"Cherche aide ordinateur"}),
        ({"type": "offre"}, {"Je répare les vélos", "Tonte de pelouse"}),
        ({"quartier": "saint-henri"}, {"Cherche aide ordinateur"}),
        ({"q": "100%"}, set()),
    ],
)
def test_search_filters(app, three_posts, args, expected):
    client = client_for(app, "coord@example.org")
    page = listed_titles(client, **args)
    titles = {"Je répare les vélos", "Cherche aide ordinateur", "Tonte de pelouse"}
    assert {t for t in titles if t in page} == expected


def test_search_by_category(app, three_posts):
    client = client_for(app, "coord@example.org")
    page = listed_titles(client, categorie=category_id_in(app, "gardening"))
    assert "Tonte de pelouse" in page and "Je répare les vélos" not in page and "Cherche aide ordinateur" not in page


def test_the_list_is_newest_first_and_paginated_by_twenty(app, people):
    with app.app_context():
        for number in range(25):
            with clock.travel(timedelta(minutes=number)):
                make_post(people["anne"], title=f"Annonce numéro {number:02d}")
    client = client_for(app, "bruno@example.org")
    first = listed_titles(client)
    assert "25 annonces trouvées." in first
    assert first.index("numéro 24") < first.index("numéro 23")
    assert "numéro 05" in first and "numéro 04" not in first
    second = listed_titles(client, page=2)
    assert "numéro 04" in second and "numéro 00" in second and "numéro 05" not in second


def test_a_post_hidden_by_moderation_is_not_listed_and_answers_404_to_others(app, people):
    with app.app_context():
        post_id = make_post(people["anne"])
        db.session.add(
            ModeratedContent(territory_id=territory().id, subject_type="timebank_post", subject_id=post_id, hidden=True)
        )
        db.session.commit()
        assert posts.search_results(territory(), user(people["bruno"]), "vélos") == []
    bruno = client_for(app, "bruno@example.org")
    assert "Je répare les vélos" not in listed_titles(bruno)
    assert bruno.get(f"{BASE}/annonces/{post_id}").status_code == 404
    assert bruno.post(f"{BASE}/annonces/{post_id}/contacter", data={"body": "Bonjour"}).status_code == 404
    author_page = text_of(client_for(app, "anne@example.org").get(f"{BASE}/annonces/{post_id}"))
    assert "masquée par la modération" in author_page


def test_the_posts_of_a_suspended_member_leave_the_list(app, people):
    with app.app_context():
        make_post(people["anne"])
        user(people["anne"]).membership_in(territory()).status = MEMBERSHIP_SUSPENDED
        db.session.commit()
    assert "Je répare les vélos" not in listed_titles(client_for(app, "bruno@example.org"))


def test_a_member_reports_a_post_through_the_core_control(app, people):
    with app.app_context():
        post_id = make_post(people["anne"])
    response = client_for(app, "bruno@example.org").post(
        "/libercourt/signaler",
        data={"subject_type": "timebank_post", "subject_id": post_id, "reason": "spam", "next": f"{BASE}/annonces/"},
    )
    assert response.status_code == 302
    with app.app_context():
        report = db.session.scalar(select(Report))
        assert (report.content.subject_type, report.content.subject_id) == ("timebank_post", post_id)


def test_the_list_runs_the_same_number_of_queries_for_10_and_200_posts(app, people):
    with app.app_context():
        t = territory()
        authors = [people["anne"], people["bruno"], people["coord"]]
        authors += [
            create_user(app, f"membre{n}@example.org", f"Membre {n}", libercourt=("resident",)) for n in range(17)
        ]
        keys = [key for key, _label in categories.DEFAULT_CATEGORIES if key != "childcare"]

        def add_posts(first: int, count: int) -> None:
            for number in range(first, first + count):
                db.session.add(
                    Post(
                        territory_id=t.id,
                        author_id=authors[number % len(authors)],
                        kind=Post.OFFER if number % 2 else Post.REQUEST,
                        category_id=category_id(keys[number % len(keys)]),
                        title=f"Annonce {number}",
                    )
                )
            db.session.commit()

        add_posts(0, 10)
    client = client_for(app, "anne@example.org")
    client.get(f"{BASE}/annonces/")  # warm up (categories, caches)
    with count_queries(app) as few:
        response = client.get(f"{BASE}/annonces/")
    assert text_of(response).count('class="card"') == 10
    with app.app_context():
        t = territory()
        add_posts(10, 190)
    with count_queries(app) as many:
        response = client.get(f"{BASE}/annonces/")
    assert text_of(response).count('class="card"') == 20
    assert len(few) == len(many)


# -- tenancy ---------------------------------------------------------------------------------------------------------


def test_a_post_id_of_another_territory_answers_404(app, people, lomme):
    create_user(app, "louis@example.org", "Louis", lomme=("resident",))
    with app.app_context():
        post_id = make_post(people["anne"])
    louis = client_for(app, "louis@example.org")
    lomme_base = "/lomme/banque-de-temps"
    assert louis.get(f"{lomme_base}/annonces/{post_id}").status_code == 404
    assert louis.get(f"{lomme_base}/annonces/{post_id}/modifier").status_code == 404
    assert louis.post(f"{lomme_base}/annonces/{post_id}/fermer").status_code == 404
    assert louis.post(f"{lomme_base}/annonces/{post_id}/contacter", data={"body": "Bonjour"}).status_code == 404
    assert louis.get(f"{BASE}/annonces/{post_id}").status_code == 403  # not a member of Libercourt
    assert "Je répare les vélos" not in text_of(louis.get(f"{lomme_base}/annonces/"))
    with app.app_context():
        assert db.session.get(Post, post_id).closed_at is None
        assert db.session.scalar(select(func.count()).select_from(Conversation)) == 0


def test_a_category_of_another_territory_is_refused(app, people, lomme):
    with app.app_context():
        lomme_category = category_id("diy", "lomme")
        assert lomme_category != category_id("diy")
    joined(app, people["anne"])
    client = client_for(app, "anne@example.org")
    response = client.post(f"{BASE}/annonces/nouvelle", data=form_data(app, category_id=str(lomme_category)))
    assert response.status_code == 422
    with app.app_context():
        assert post_count() == 0


# -- profiles --------------------------------------------------------------------------------------------------------


def test_a_profile_shows_the_members_open_posts_but_not_their_balance(app, people):
    with app.app_context():
        make_post(people["anne"], title="Je répare les vélos")
        closed = make_post(people["anne"], title="Ancienne annonce")
        posts.close_post(territory(), db.session.get(Post, closed), user(people["anne"]))
        db.session.commit()
    page = text_of(client_for(app, "bruno@example.org").get(f"{BASE}/membres/{people['anne']}"))
    assert "Anne" in page and "Je répare les vélos" in page
    assert "Ancienne annonce" not in page
    assert 'data-testid="member-balance"' not in page
    own = text_of(client_for(app, "anne@example.org").get(f"{BASE}/membres/{people['anne']}"))
    assert 'data-testid="member-balance">2 h<' in own
    assert "Ancienne annonce" in own  # the author finds their closed posts


def test_a_coordinator_sees_a_members_balance(app, people):
    with app.app_context():
        open_account(people["anne"])
    page = text_of(client_for(app, "coord@example.org").get(f"{BASE}/membres/{people['anne']}"))
    assert 'data-testid="member-balance">2 h<' in page


def test_balances_are_shown_to_members_when_the_territory_makes_them_public(app, people):
    with app.app_context():
        open_account(people["anne"])
        update_module_settings(get_registry(), territory(), "timebank", {"balances_public": True})
        db.session.commit()
    page = text_of(client_for(app, "bruno@example.org").get(f"{BASE}/membres/{people['anne']}"))
    assert 'data-testid="member-balance">2 h<' in page


def test_the_verified_badge_shows_on_the_profile(app, people):
    with app.app_context():
        open_account(people["anne"], verified=True)
    page = text_of(client_for(app, "bruno@example.org").get(f"{BASE}/membres/{people['anne']}"))
    assert "vérifié(e) pour la garde d'enfants" in page
    page = text_of(client_for(app, "anne@example.org").get(f"{BASE}/membres/{people['bruno']}"))
    assert "vérifié(e) pour la garde d'enfants" not in page


def test_the_profile_of_someone_who_is_not_a_member_here_answers_404(app, people, lomme):
    louis = create_user(app, "louis@example.org", "Louis", lomme=("resident",))
    client = client_for(app, "anne@example.org")
    assert client.get(f"{BASE}/membres/{louis}").status_code == 404
    assert client.get(f"{BASE}/membres/999999").status_code == 404


def test_author_names_link_to_their_profile(app, people):
    with app.app_context():
        make_post(people["anne"])
    page = text_of(client_for(app, "bruno@example.org").get(f"{BASE}/annonces/"))
    assert f'href="/libercourt/banque-de-temps/membres/{people["anne"]}"' in page


# -- hooks and GDPR --------------------------------------------------------------------------------------------------


def test_search_results_for_the_territory_search_box(app, three_posts, people):
    with app.test_request_context("/libercourt/"):
        t = territory()
        results = posts.search_results(t, user(people["coord"]), "ordinateur")
        assert len(results) == 1
        assert isinstance(results[0], SearchResult)
        assert results[0].title == "Cherche aide ordinateur"
        assert results[0].url.endswith("/libercourt/banque-de-temps/annonces/" + results[0].url.rsplit("/", 1)[1])
        assert posts.search_results(t, user(people["coord"]), "") == []


def test_export_and_erase_a_members_posts(app, people):
    with app.app_context():
        make_post(people["anne"], title="Je répare les vélos")
        make_post(people["bruno"], title="Tonte de pelouse", category="gardening")
        t = territory()
        exported = posts.export_posts(t, user(people["anne"]))
        assert [(row["title"], row["kind"], row["category"]) for row in exported] == [
            ("Je répare les vélos", "offer", "Bricolage")
        ]
        posts.erase_posts(t, user(people["anne"]))
        db.session.commit()
        assert list(db.session.scalars(select(Post.title))) == ["Tonte de pelouse"]
        assert posts.export_posts(t, user(people["anne"])) == []
