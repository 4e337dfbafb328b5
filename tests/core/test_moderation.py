"""Reports and moderation: members report module content, repeated reports hide it, moderators decide.

The sample module's ``SampleItem`` is made reportable for these tests, as a real module would do for its listings.
"""

from __future__ import annotations

import html

import pytest
from flask import render_template_string, url_for
from flask_login import login_user
from sqlalchemy import func, select

from platformcoop.accounts.models import User
from platformcoop.audit import AuditLog
from platformcoop.extensions import db
from platformcoop.moderation import is_hidden, register_reportable, unregister_reportable, visible
from platformcoop.moderation.models import ModeratedContent, Report
from platformcoop.notifications.models import Notification
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy import scoped_select
from platformcoop.tenancy import services as territories
from platformcoop.tenancy.models import Territory
from tests.conftest import create_user, login
from tests.sample_plugin import SampleItem


@pytest.fixture(autouse=True)
def reportable_sample_items():
    register_reportable(
        SampleItem, title_attr="title", url_func=lambda item: url_for("sample.item", item_id=item.id), module="sample"
    )
    yield
    unregister_reportable(SampleItem)


@pytest.fixture
def item(app, libercourt) -> int:
    with app.app_context():
        obj = SampleItem(territory_id=libercourt, title="Vélo à donner")
        db.session.add(obj)
        db.session.commit()
        return obj.id


@pytest.fixture
def moderator(app, libercourt) -> int:
    return create_user(app, "modo@libercourt.example.org", "Morgane", libercourt=("resident", "moderator"))


def member_client(app, email: str, **roles):
    create_user(app, email, email.split("@")[0].title(), **(roles or {"libercourt": ("resident",)}))
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def report(client, item_id: int, reason: str = "spam", details: str = "", territory: str = "libercourt"):
    return client.post(
        f"/{territory}/signaler",
        data={
            "subject_type": "sample_item",
            "subject_id": item_id,
            "reason": reason,
            "details": details,
            "next": f"/{territory}/exemple/",
        },
    )


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def case_of(item_id: int) -> ModeratedContent | None:
    return db.session.scalar(
        select(ModeratedContent).where(
            ModeratedContent.subject_type == "sample_item", ModeratedContent.subject_id == item_id
        )
    )


def notifications_of(email: str) -> list[Notification]:
    user = db.session.scalars(select(User).filter_by(email=email)).one()
    return list(db.session.scalars(select(Notification).filter_by(user_id=user.id).order_by(Notification.id)))


def set_threshold(app, territory_id: int, threshold: int) -> None:
    with app.app_context():
        db.session.get(Territory, territory_id).moderation_threshold = threshold
        db.session.commit()


def reported_by(app, item_id: int, count: int) -> None:
    for number in range(count):
        assert report(member_client(app, f"voisin{number}@example.org"), item_id).status_code == 302


# -- reporting --------------------------------------------------------------------------------------------------------


def test_a_member_reports_an_item_and_the_moderators_are_told(app, item, moderator, libercourt_admin):
    resident = member_client(app, "camille@example.org")

    response = report(resident, item, reason="abuse", details="Des insultes dans la description.")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/libercourt/exemple/")
    assert "Votre signalement est transmis" in page_text(resident.get("/libercourt/exemple/"))
    with app.app_context():
        [row] = db.session.scalars(select(Report)).all()
        assert (row.reason, row.details, row.status, row.subject_title) == (
            "abuse",
            "Des insultes dans la description.",
            "open",
            "Vélo à donner",
        )
        assert row.subject_url == f"/libercourt/exemple/objets/{item}"
        assert case_of(item).hidden is False
        for email in ("modo@libercourt.example.org", "admin@libercourt.example.org"):
            [note] = notifications_of(email)
            assert note.kind == "core.content_reported"
            assert "Vélo à donner" in note.title
        assert notifications_of("camille@example.org") == []
        assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "moderation.reported"))


def test_a_member_reports_an_object_only_once(app, item):
    resident = member_client(app, "camille@example.org")
    report(resident, item)

    second = report(resident, item, reason="fraud")

    assert second.status_code == 302
    assert "Vous avez déjà signalé ce contenu" in page_text(resident.get("/libercourt/exemple/"))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == 1


def test_the_report_form_page_opens_for_one_object(app, item):
    resident = member_client(app, "camille@example.org")

    page = page_text(resident.get(f"/libercourt/signaler?subject_type=sample_item&subject_id={item}"))

    assert "Vous signalez : « Vélo à donner »." in page
    assert 'name="reason"' in page and "Publicité ou spam" in page


def test_another_reason_needs_a_few_words_and_nothing_is_recorded_without_them(app, item):
    resident = member_client(app, "camille@example.org")

    response = report(resident, item, reason="other", details="  ")

    assert response.status_code == 400
    assert "Précisez la raison du signalement." in page_text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0
        assert db.session.scalar(select(func.count()).select_from(ModeratedContent)) == 0


def test_an_unknown_reason_is_refused_in_french(app, item):
    response = report(member_client(app, "camille@example.org"), item, reason="boring")

    assert response.status_code == 400
    assert "Le formulaire contient des erreurs" in page_text(response)


def test_an_object_of_another_territory_cannot_be_reported_from_here(app, item, lomme):
    with app.app_context():
        lomme_item = SampleItem(territory_id=lomme, title="Objet de Lomme")
        db.session.add(lomme_item)
        db.session.commit()
        lomme_item_id = lomme_item.id
    resident = member_client(app, "camille@example.org")

    assert report(resident, lomme_item_id).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0


def test_a_model_that_is_not_reportable_answers_404(app, item):
    resident = member_client(app, "camille@example.org")

    response = resident.post(
        "/libercourt/signaler", data={"subject_type": "membership", "subject_id": 1, "reason": "spam"}
    )

    assert response.status_code == 404


def test_nothing_can_be_reported_in_a_module_the_territory_switched_off(app, item, libercourt):
    resident = member_client(app, "camille@example.org")
    with app.app_context():
        territories.disable_module(get_registry(), db.session.get(Territory, libercourt), "sample")
        db.session.commit()

    assert report(resident, item).status_code == 404


def test_only_active_members_report(app, item, lomme):
    visitor = app.test_client()
    assert report(visitor, item).status_code == 302  # to the login page
    outsider = member_client(app, "lommois@example.org", lomme=("resident",))
    assert report(outsider, item).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0


# -- automatic hiding ---------------------------------------------------------------------------------------------


def test_three_distinct_members_reporting_hide_the_content_automatically(app, item, moderator, libercourt):
    reported_by(app, item, 2)
    with app.app_context():
        assert case_of(item).hidden is False

    reported_by_third = member_client(app, "troisieme@example.org")
    report(reported_by_third, item)

    with app.app_context():
        content = case_of(item)
        assert (content.hidden, content.auto) == (True, True)
        territory = db.session.get(Territory, libercourt)
        obj = db.session.get(SampleItem, item)
        assert is_hidden(obj)
        listed = db.session.scalars(visible(scoped_select(SampleItem, territory), SampleItem)).all()
        assert listed == []
        titles = [note.title for note in notifications_of("modo@libercourt.example.org")]
        assert len(titles) == 2 and "plusieurs signalements" in titles[1]
        [entry] = db.session.scalars(select(AuditLog).filter_by(action="moderation.auto_hidden")).all()
        assert entry.details["reporters"] == 3


def test_the_threshold_is_the_territory_setting(app, item, libercourt):
    set_threshold(app, libercourt, 2)

    reported_by(app, item, 2)

    with app.app_context():
        assert case_of(item).hidden is True


def test_hidden_content_of_one_territory_stays_visible_in_listings_of_others(app, item, lomme, libercourt):
    with app.app_context():
        other = SampleItem(territory_id=lomme, title="Objet de Lomme")
        db.session.add(other)
        db.session.commit()
    set_threshold(app, libercourt, 1)

    reported_by(app, item, 1)

    with app.app_context():
        lomme_territory = db.session.get(Territory, lomme)
        listed = db.session.scalars(visible(scoped_select(SampleItem, lomme_territory), SampleItem)).all()
        assert [obj.title for obj in listed] == ["Objet de Lomme"]


# -- the report button -----------------------------------------------------------------------------------------------


BUTTON = '{% from "moderation/_report_button.html" import report_button %}{{ report_button(obj) }}'


def render_button(app, item_id: int, email: str | None) -> str:
    with app.test_request_context("/libercourt/exemple/"):
        from flask import g

        g.territory = db.session.scalars(select(Territory).filter_by(slug="libercourt")).one()
        if email:
            login_user(db.session.scalars(select(User).filter_by(email=email)).one())
        return render_template_string(BUTTON, obj=db.session.get(SampleItem, item_id))


def test_the_report_button_is_a_form_that_works_without_javascript(app, item):
    create_user(app, "camille@example.org", libercourt=("resident",))

    button = render_button(app, item, "camille@example.org")

    assert "<details" in button and "<summary" in button
    assert 'action="/libercourt/signaler"' in button
    assert 'name="subject_type" value="sample_item"' in button
    assert f'name="subject_id" value="{item}"' in button
    assert 'name="next" value="/libercourt/exemple/"' in button
    assert f'<label for="signaler-sample_item-{item}-raison-1">' in button


def test_the_report_button_is_not_shown_to_visitors_nor_for_other_models(app, item):
    assert render_button(app, item, None).strip() == ""
    create_user(app, "camille@example.org", libercourt=("resident",))
    unregister_reportable(SampleItem)

    assert render_button(app, item, "camille@example.org").strip() == ""


# -- the queue and the decisions ----------------------------------------------------------------------------------


@pytest.fixture
def moderator_client(app, moderator):
    client = app.test_client()
    assert login(client, "modo@libercourt.example.org").status_code == 302
    return client


def test_the_moderator_sees_reported_content_in_the_queue(app, item, moderator_client):
    report(member_client(app, "camille@example.org"), item, reason="spam")

    page = page_text(moderator_client.get("/libercourt/admin/moderation/"))

    assert "Vélo à donner" in page
    assert "1 signalement à traiter" in page and "Publicité ou spam (1)" in page
    assert "Module d'exemple" in page


def test_the_moderation_queue_is_closed_to_residents_and_other_territories(app, item, lomme_admin):
    resident = member_client(app, "camille@example.org")
    report(resident, item)
    with app.app_context():
        content_id = case_of(item).id

    for client in (resident, lomme_admin):
        assert client.get("/libercourt/admin/moderation/").status_code == 403
        assert client.get(f"/libercourt/admin/moderation/{content_id}").status_code == 403
        response = client.post(f"/libercourt/admin/moderation/{content_id}/masquer", data={"masquer-reason": "Non"})
        assert response.status_code == 403
    with app.app_context():
        assert case_of(item).hidden is False


def test_a_case_of_another_territory_is_not_found(app, item, lomme):
    report(member_client(app, "camille@example.org"), item)
    create_user(app, "modo@lomme.example.org", lomme=("resident", "moderator"))
    lomme_moderator = app.test_client()
    login(lomme_moderator, "modo@lomme.example.org")
    with app.app_context():
        content_id = case_of(item).id

    assert lomme_moderator.get(f"/lomme/admin/moderation/{content_id}").status_code == 404


def test_the_moderator_restores_content_hidden_by_reports_with_a_reason(app, item, moderator_client, libercourt):
    set_threshold(app, libercourt, 2)
    reported_by(app, item, 2)
    with app.app_context():
        content_id = case_of(item).id

    response = moderator_client.post(
        f"/libercourt/admin/moderation/{content_id}/retablir", data={"retablir-reason": "Annonce conforme."}
    )

    assert response.status_code == 302
    assert "Le contenu est de nouveau visible." in page_text(moderator_client.get(response.headers["Location"]))
    with app.app_context():
        content = case_of(item)
        assert content.hidden is False
        reports = db.session.scalars(select(Report)).all()
        assert {(r.status, r.decision_reason) for r in reports} == {("dismissed", "Annonce conforme.")}
        entry = db.session.scalars(select(AuditLog).filter_by(action="moderation.restored")).one()
        assert entry.details["reason"] == "Annonce conforme." and entry.details["reports"] == 2
        assert (
            entry.actor_id == db.session.scalars(select(User.id).filter_by(email="modo@libercourt.example.org")).one()
        )


def test_the_moderator_hides_reported_content(app, item, moderator_client):
    report(member_client(app, "camille@example.org"), item)
    with app.app_context():
        content_id = case_of(item).id

    moderator_client.post(
        f"/libercourt/admin/moderation/{content_id}/masquer", data={"masquer-reason": "Vente interdite."}
    )

    with app.app_context():
        content = case_of(item)
        assert (content.hidden, content.auto, content.hidden_reason) == (True, False, "Vente interdite.")
        assert db.session.scalars(select(Report.status)).all() == ["actioned"]


def test_the_moderator_dismisses_unfounded_reports(app, item, moderator_client):
    report(member_client(app, "camille@example.org"), item)
    with app.app_context():
        content_id = case_of(item).id

    moderator_client.post(
        f"/libercourt/admin/moderation/{content_id}/classer", data={"classer-reason": "Rien d'anormal."}
    )

    with app.app_context():
        assert case_of(item).hidden is False
        assert db.session.scalars(select(Report.status)).all() == ["dismissed"]
    assert "Rien à traiter" in page_text(moderator_client.get("/libercourt/admin/moderation/"))


def test_a_decision_without_a_reason_is_refused_and_changes_nothing(app, item, moderator_client):
    report(member_client(app, "camille@example.org"), item)
    with app.app_context():
        content_id = case_of(item).id

    response = moderator_client.post(f"/libercourt/admin/moderation/{content_id}/masquer", data={"masquer-reason": ""})

    assert response.status_code == 400
    assert "Indiquez la raison de votre décision." in page_text(response)
    with app.app_context():
        assert case_of(item).hidden is False
        assert db.session.scalars(select(Report.status)).all() == ["open"]


def test_visible_content_cannot_be_restored(app, item, moderator_client):
    report(member_client(app, "camille@example.org"), item)
    with app.app_context():
        content_id = case_of(item).id

    response = moderator_client.post(
        f"/libercourt/admin/moderation/{content_id}/retablir", data={"retablir-reason": "Pour voir."}
    )

    assert response.status_code == 400
    assert "Ce contenu n'est pas masqué." in page_text(response)


def test_after_a_restore_new_reports_count_from_zero(app, item, moderator_client, libercourt):
    set_threshold(app, libercourt, 2)
    reported_by(app, item, 2)
    with app.app_context():
        content_id = case_of(item).id
    moderator_client.post(f"/libercourt/admin/moderation/{content_id}/retablir", data={"retablir-reason": "Conforme."})

    report(member_client(app, "nouveau@example.org"), item)

    with app.app_context():
        assert case_of(item).hidden is False


def test_a_moderator_who_is_not_an_admin_reaches_the_queue_from_the_menu(app, moderator_client):
    home = page_text(moderator_client.get("/libercourt/"))

    assert 'href="/libercourt/admin/moderation/"' in home
    assert moderator_client.get("/libercourt/admin/moderation/").status_code == 200
    assert moderator_client.get("/libercourt/admin/").status_code == 403


def test_a_moderator_who_reports_is_not_told_about_their_own_report(app, item, moderator_client, libercourt_admin):
    report(moderator_client, item)

    with app.app_context():
        assert notifications_of("modo@libercourt.example.org") == []
        assert len(notifications_of("admin@libercourt.example.org")) == 1
