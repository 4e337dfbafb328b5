"""The time bank's block on the territory home page: the member's balance and what to do next, or an invitation."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from platformcoop.accounts.permissions import can
from platformcoop.plugins import Widget
from plugins.timebank import exchange_queries, services


def dashboard_widgets(territory, user) -> list[Widget]:
    if not can(user, "territory.use", territory):
        return []  # visitors and other territories' people: the module's card on the home page is enough
    account = services.member_account(territory, user)
    context = {
        "account": account,
        "account_url": url_for("timebank.index"),
        "posts_url": url_for("timebank.posts"),
    }
    if account is not None:
        context["record_url"] = url_for("timebank.record_exchange")
        context["to_answer"] = len(exchange_queries.waiting_for(territory, account))
    return [
        Widget(
            title=_("Banque de temps"),
            template="widgets/timebank.html",
            context=context,
            order=30,
            module=services.NAME,
        )
    ]
