"""The core's own hook implementations: it uses the same contract as the modules (FlaskBB does the same)."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from platformcoop.accounts.permissions import can
from platformcoop.plugins.hookspecs import hookimpl
from platformcoop.plugins.manifest import NavItem, Stat, Widget


@hookimpl
def pc_navigation_items(territory, user):
    items = [
        NavItem(label=_("Accueil"), url=url_for("territory.home"), icon="home", order=0),
        NavItem(label=_("Organisations"), url=url_for("organisations.index"), icon="organisations", order=900),
    ]
    if can(user, "territory.admin", territory):
        items.append(NavItem(label=_("Administration"), url=url_for("admin.index"), icon="settings", order=1000))
    elif can(user, "territory.moderate", territory):
        items.append(NavItem(label=_("Modération"), url=url_for("moderation.queue"), icon="flag", order=1000))
    return items


@hookimpl
def pc_admin_menu_items(territory, user):
    if not can(user, "territory.admin", territory):
        return []
    return [
        NavItem(label=_("Tableau de bord"), url=url_for("admin.index"), order=0),
        NavItem(label=_("Modules"), url=url_for("admin.modules"), order=10),
        NavItem(label=_("Membres"), url=url_for("admin.members"), order=20),
        NavItem(label=_("Organisations"), url=url_for("organisations_admin.index"), order=30),
        NavItem(label=_("Jours de fermeture"), url=url_for("hours_admin.index"), order=35),
        NavItem(label=_("Modération"), url=url_for("moderation.queue"), order=40),
        NavItem(label=_("Identité et pages"), url=url_for("admin.identity"), order=50),
        NavItem(label=_("Journal des actions"), url=url_for("admin.journal"), order=60),
    ]


@hookimpl
def pc_dashboard_widgets(territory, user):
    if not territory.welcome_text:
        return []
    return [
        Widget(
            title=_("Bienvenue"),
            template="widgets/welcome.html",
            context={"text": territory.welcome_text},
            order=0,
        )
    ]


@hookimpl
def pc_territory_stats(territory, start, end):
    from sqlalchemy import func, select

    from platformcoop.extensions import db
    from platformcoop.tenancy.models import MEMBERSHIP_ACTIVE, Membership

    active = db.session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.territory_id == territory.id, Membership.status == MEMBERSHIP_ACTIVE)
    )
    joined = db.session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(
            Membership.territory_id == territory.id,
            Membership.status == MEMBERSHIP_ACTIVE,
            Membership.decided_at >= start,
            Membership.decided_at < end,
        )
    )
    return [
        Stat(key="members", label=_("Membres actifs"), value=active or 0),
        Stat(key="members_joined", label=_("Nouveaux membres sur la période"), value=joined or 0),
    ]
