"""A resident hears about the administrators' decisions in their notification inbox, on a desktop and on a small
phone: the unread badge in the header, marking one then all as read, the e-mail preferences on the profile page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from platformcoop.accounts.models import User
from platformcoop.extensions import db
from platformcoop.organisations import services as organisations
from platformcoop.tenancy import services as territories
from platformcoop.tenancy.models import JOIN_APPROVAL, Territory
from tests.conftest import create_territory, create_user
from tests.e2e.helpers import flash, sign_in

pytestmark = pytest.mark.e2e

ADMIN = "admin@example.org"
RESIDENT = "camille@example.org"
ORGANISATION = "Repair café des Marais"
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture
def waiting_resident(live) -> dict[str, int]:
    """Camille proposed an organisation in Libercourt and asked to join Lomme; Dominique runs both territories."""
    create_territory(live.app, "libercourt", "Libercourt")
    create_territory(live.app, "lomme", "Lomme", kind="commune_associee", join_policy=JOIN_APPROVAL)
    create_user(live.app, ADMIN, "Dominique", libercourt=("resident", "admin"), lomme=("resident", "admin"))
    create_user(live.app, RESIDENT, "Camille", libercourt=("resident",))
    with live.app.test_request_context():
        resident = db.session.scalar(select(User).where(User.email == RESIDENT))
        libercourt = db.session.scalar(select(Territory).where(Territory.slug == "libercourt"))
        lomme = db.session.scalar(select(Territory).where(Territory.slug == "lomme"))
        membership = territories.join_territory(lomme, resident, "J'habite près de la gare.")
        organisation = organisations.propose_organisation(
            libercourt, resident, {"kind": "repairer", "name": ORGANISATION, "city": "Libercourt"}
        )
        db.session.commit()
        ids = {"membership": membership.id, "organisation": organisation.id}
        db.session.remove()
    return ids


def notifications_link(page, unread: int = 0):
    """The header link; its accessible name tells the unread count, its visible badge shows the number."""
    if not unread:
        return page.get_by_role("link", name="Notifications", exact=True)
    noun = "non lue" if unread == 1 else "non lues"
    return page.get_by_role("link", name=f"Notifications, {unread} {noun}", exact=True)


def admin_approves_both(admin, ids: dict[str, int]) -> None:
    sign_in(admin, ADMIN)
    admin.visit("/lomme/admin/membres")
    request = admin.get_by_role("listitem").filter(has=admin.get_by_role("heading", name="Camille"))
    admin.follow(request.get_by_role("button", name="Accepter Camille"))
    expect(flash(admin, "Camille a été accepté·e.")).to_be_visible()

    admin.visit(f"/libercourt/admin/organisations/{ids['organisation']}")
    admin.follow(admin.get_by_role("button", name="Valider"))
    expect(flash(admin, f"L'organisation « {ORGANISATION} » est validée.")).to_be_visible()


@pytest.mark.parametrize("screen", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_resident_reads_and_clears_their_notifications(waiting_resident, new_page, screen):
    admin = new_page()
    admin_approves_both(admin, waiting_resident)

    resident = new_page(**screen)
    sign_in(resident, RESIDENT)
    resident.visit("/libercourt/")
    header_link = notifications_link(resident, unread=2)
    expect(header_link).to_be_visible()
    expect(header_link.locator(".count-badge")).to_have_text("2")
    resident.follow(header_link)
    expect(resident.get_by_role("heading", level=1)).to_have_text("Mes notifications")
    expect(resident.get_by_text("2 notifications non lues.")).to_be_visible()

    inbox = resident.get_by_role("list").filter(has=resident.locator(".notification"))
    items = inbox.get_by_role("listitem")
    expect(items).to_have_count(2)
    organisation_news = items.filter(has_text=f"Votre organisation « {ORGANISATION} » est validée")
    membership_news = items.filter(has_text="Votre demande pour rejoindre Lomme")
    expect(organisation_news).to_contain_text("Non lue :")  # said to screen readers, shown by the style
    expect(organisation_news).to_contain_text("Libercourt ·")
    expect(membership_news).to_contain_text("Lomme ·")

    resident.follow(
        organisation_news.get_by_role("button", name=re.compile(r"^Marquer comme lue : Votre organisation"))
    )
    expect(notifications_link(resident, unread=1)).to_be_visible()
    expect(resident.get_by_text("1 notification non lue.")).to_be_visible()
    expect(organisation_news.get_by_role("button")).to_have_count(0)
    expect(organisation_news).not_to_contain_text("Non lue :")
    expect(membership_news.get_by_role("button", name=re.compile(r"^Marquer comme lue"))).to_be_visible()

    resident.follow(resident.get_by_role("button", name="Tout marquer comme lu"))
    expect(flash(resident, "Toutes vos notifications sont marquées comme lues.")).to_be_visible()
    expect(notifications_link(resident)).to_be_visible()
    expect(resident.get_by_role("button", name=re.compile(r"^Marquer comme lue"))).to_have_count(0)
    expect(items).to_have_count(2)  # still there, read

    if screen is PHONE:
        width = resident.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the inbox is {width}px wide on a 360px phone"

    resident.follow(membership_news.get_by_role("link", name="Votre demande pour rejoindre Lomme"))
    expect(resident.get_by_role("heading", level=1)).to_have_text("Lomme")

    # No e-mail for decisions about organisations from now on; the inbox keeps them.
    menu_button = resident.locator("summary", has_text="Menu")
    if menu_button.is_visible():  # on a phone the account links sit in the folded menu
        menu_button.click()
    resident.follow(resident.get_by_role("link", name=re.compile(r"^Mon profil")))
    choices = resident.get_by_role("group", name="Décision sur une organisation dont je fais partie")
    expect(choices.get_by_label("Un e-mail tout de suite")).to_be_checked()
    choices.get_by_label("Pas d'e-mail").check()
    resident.follow(resident.get_by_role("button", name="Enregistrer mes choix"))
    expect(flash(resident, "Vos préférences de notification sont enregistrées.")).to_be_visible()
    expect(resident.page).to_have_url(re.compile(r"/compte/profil#notifications$"))
    expect(choices.get_by_label("Pas d'e-mail")).to_be_checked()
    other = resident.get_by_role("group", name="Réponse à ma demande pour rejoindre un territoire")
    expect(other.get_by_label("Un e-mail tout de suite")).to_be_checked()
    if screen is PHONE:
        width = resident.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the profile page is {width}px wide on a 360px phone"
