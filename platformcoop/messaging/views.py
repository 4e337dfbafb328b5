"""Messaging pages under ``/<territory>/messages``: the list, a conversation, writing to someone.

A conversation the reader may not open answers 404, whoever asks: its existence is not revealed.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from platformcoop.accounts.models import User
from platformcoop.accounts.permissions import can, permission_required
from platformcoop.extensions import db
from platformcoop.messaging import services
from platformcoop.messaging.forms import MessageForm
from platformcoop.organisations.models import Organisation
from platformcoop.tenancy import get_or_404
from platformcoop.tenancy.models import MEMBERSHIP_ACTIVE, Membership
from platformcoop.web import current_locale

bp = Blueprint("messaging", __name__, url_prefix="/<territory>/messages")

PER_PAGE = 20


@bp.app_template_global()
def unread_message_count() -> int:
    """The header's counter: one COUNT query, once per request, for a member of the current territory."""
    territory = g.get("territory")
    if territory is None or not can(current_user, "territory.use", territory):
        return 0
    if "unread_message_count" not in g:
        g.unread_message_count = services.unread_count(territory, current_user)
    return g.unread_message_count


@bp.app_template_filter("message_time")
def message_time(instant) -> str:
    """An instant in the territory's timezone and the reader's language: "10 mars 2026 10:05"."""
    territory = g.get("territory")
    zone = ZoneInfo(territory.timezone if territory else "Europe/Paris")
    locale = current_locale()
    day = format_skeleton("yMMMd", instant, tzinfo=zone, locale=locale)
    return f"{day} {format_time(instant, 'short', tzinfo=zone, locale=locale)}"


@bp.route("/")
@permission_required("territory.use")
def index():
    page = max(request.args.get("page", 1, type=int), 1)
    rows = db.session.execute(
        services.conversations_of(g.territory, current_user).limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)
    ).all()
    has_next, rows = len(rows) > PER_PAGE, rows[:PER_PAGE]
    conversations = [row[0] for row in rows]
    return render_template(
        "messaging/index.html",
        rows=rows,
        labels=services.participant_labels(conversations, current_user),
        page=page,
        has_next=has_next,
    )


@bp.route("/<int:conversation_id>", methods=["GET", "POST"])
@login_required
def thread(conversation_id: int):
    conversation = services.conversation_for(g.territory, current_user, conversation_id)
    if conversation is None:
        abort(404)
    if not can(current_user, "territory.use", g.territory, conversation):
        abort(403)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            message = services.post_message(conversation, current_user, form.body.data)
        except services.MessagingError as error:
            db.session.rollback()
            form.body.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Votre message est envoyé."), "success")
            return redirect(url_for(".thread", conversation_id=conversation.id, _anchor=f"message-{message.id}"))
    elif request.method == "GET":
        services.mark_read(conversation, current_user)
        db.session.commit()
    messages = conversation.messages
    return render_template(
        "messaging/thread.html",
        conversation=conversation,
        messages=messages,
        names=", ".join(services.participant_labels([conversation], current_user)[conversation.id])
        or str(services.FORMER_MEMBER),
        organisations=services.organisation_names(m.organisation_id for m in messages),
        author_label=services.author_label,
        form=form,
    )


@bp.route("/nouveau", methods=["GET", "POST"])
@permission_required("territory.use")
def new():
    """Write to a member (``?membre=<id>``) or an organisation (``?organisation=<id>``) of the territory."""
    with_user, with_organisation = _recipient_or_404()
    recipient_name = with_organisation.name if with_organisation else services.author_label(with_user)
    problem = services.contact_problem(g.territory, current_user, with_user, with_organisation)
    form = MessageForm()
    if problem is None and form.validate_on_submit():
        try:
            conversation = services.start_conversation(
                g.territory,
                current_user,
                with_user=with_user,
                with_organisation=with_organisation,
                first_message=form.body.data,
            )
        except services.MessagingError as error:
            db.session.rollback()
            form.body.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Votre message est envoyé."), "success")
            return redirect(url_for(".thread", conversation_id=conversation.id))
    return render_template("messaging/new.html", form=form, recipient_name=recipient_name, problem=problem)


def _recipient_or_404():
    if "organisation" in request.args:
        return None, get_or_404(Organisation, request.args["organisation"])
    if "membre" in request.args:
        try:
            user_id = int(request.args["membre"])
        except ValueError:
            abort(404)
        user = db.session.scalar(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                User.id == user_id, Membership.territory_id == g.territory.id, Membership.status == MEMBERSHIP_ACTIVE
            )
        )
        if user is None:
            abort(404)
        return user, None
    abort(404)
