"""Offers and requests: browse, search, post, edit, close, contact the author; members' profiles; categories for the
administrators. Every view: load (scoped by territory) → check the permission → call ``posts`` → render."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from platformcoop.accounts.permissions import can, permission_required
from platformcoop.admin.forms import ActionForm
from platformcoop.admin.pagination import page_args, paginate, requested_page
from platformcoop.extensions import db
from platformcoop.messaging import services as messaging
from platformcoop.messaging.forms import MessageForm
from platformcoop.moderation import is_hidden
from platformcoop.tenancy import get_or_404
from plugins.timebank import categories as category_rules
from plugins.timebank import posts, services
from plugins.timebank.forms_posts import KIND_FILTERS, CategoryForm, PostForm, PostSearchForm
from plugins.timebank.models import CHILDCARE, CHILDCARE_VERIFIED, Category, Post
from plugins.timebank.services import TimebankError
from plugins.timebank.views import bp
from plugins.timebank.views.common import member_account_or_redirect, save_form

TAB = "timebank.posts"


@bp.record_once
def _reportable_posts(state) -> None:
    """Members may report posts: registered when the app mounts the blueprint (not at import)."""
    posts.register_reportable_posts()


def _categories(active_only: bool = True) -> list[Category]:
    """The territory's categories; a territory that switched the module on before categories existed gets the
    defaults now, committed at once."""
    if category_rules.ensure_default_categories(g.territory):
        db.session.commit()
    return category_rules.categories(g.territory, active_only=active_only)


# -- the list -------------------------------------------------------------------------------------------------------


@bp.route("/annonces/", endpoint="posts")
@permission_required("territory.use")
def posts_list():
    categories = _categories()
    form = PostSearchForm(request.args)
    form.categorie.choices = [("", _("Toutes les catégories")), *((c.id, c.label) for c in categories)]
    filtered = any(request.args.get(name) for name in ("q", "categorie", "type", "quartier"))
    if form.validate():
        statement = posts.search_posts(
            g.territory,
            text=form.q.data or "",
            category_id=form.categorie.data,
            kind=KIND_FILTERS.get(form.type.data or ""),
            neighbourhood=form.quartier.data or "",
        )
    else:
        statement = posts.search_posts(g.territory)
    page = paginate(statement, requested_page(), per_page=posts.PER_PAGE)
    return render_template(
        "timebank/posts/index.html",
        form=form,
        page=page,
        page_args=page_args,
        filtered=filtered,
        neighbourhoods=posts.neighbourhoods(g.territory),
        timebank_tab=TAB,
    )


# -- writing --------------------------------------------------------------------------------------------------------


def _require_account():
    """(the member's time account, None), or (None, a redirect to the module's home, where they join: the charter)."""
    return member_account_or_redirect(
        _("Pour publier une annonce, rejoignez d'abord la banque de temps : lisez et acceptez sa charte.")
    )


def _post_form(categories: list[Category], post: Post | None = None) -> PostForm:
    form = PostForm(obj=post)
    choices = [(c.id, c.label) for c in categories]
    if post is not None and post.category_id not in {c.id for c in categories}:
        choices.append((post.category_id, post.category.label))  # a category deactivated since: the post keeps it
    form.category_id.choices = [("", _("Choisissez une catégorie")), *choices]
    return form


@bp.route("/annonces/nouvelle", methods=["GET", "POST"])
@permission_required("territory.use")
def new_post():
    account, refused = _require_account()
    if refused is not None:
        return refused
    form = _post_form(_categories())
    if request.method == "GET" and request.args.get("type") in KIND_FILTERS:
        form.kind.data = KIND_FILTERS[request.args["type"]]
    done, status = save_form(
        form,
        lambda: posts.create_post(g.territory, current_user, form.fields_for_service()),
        _("Votre annonce est publiée."),
        lambda post: url_for("timebank.post", post_id=post.id),
    )
    if done is not None:
        return done
    return _post_form_page(form, None, account, status)


@bp.route("/annonces/<int:post_id>/modifier", methods=["GET", "POST"])
@permission_required("territory.use")
def edit_post(post_id: int):
    post = get_or_404(Post, post_id)
    if post.author_id != current_user.id:
        abort(403)
    if is_hidden(post):
        abort(404)
    if post.closed_at is not None:
        flash(_("Cette annonce est fermée : elle ne peut plus être modifiée."), "warning")
        return redirect(url_for("timebank.post", post_id=post.id))
    account, refused = _require_account()
    if refused is not None:
        return refused
    form = _post_form(_categories(), post)
    done, status = save_form(
        form,
        lambda: posts.update_post(g.territory, post, current_user, form.fields_for_service()),
        _("Votre annonce est modifiée."),
        lambda _result: url_for("timebank.post", post_id=post.id),
    )
    if done is not None:
        return done
    return _post_form_page(form, post, account, status)


def _post_form_page(form: PostForm, post: Post | None, account, status: int):
    page = render_template(
        "timebank/posts/form.html",
        form=form,
        post=post,
        childcare_verified=account.childcare_status == CHILDCARE_VERIFIED,
        timebank_tab=TAB,
    )
    return page, status


@bp.route("/annonces/<int:post_id>/fermer", methods=["POST"])
@permission_required("territory.use")
def close_post(post_id: int):
    post, hidden = _viewable_post(post_id)
    if not (post.author_id == current_user.id or can(current_user, "timebank.coordinate", g.territory)):
        abort(403)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        posts.close_post(g.territory, post, current_user)
    except TimebankError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _render_post(post, hidden, status=409)
    db.session.commit()
    flash(_("L'annonce est fermée : elle n'apparaît plus dans la liste."), "success")
    return redirect(url_for("timebank.post", post_id=post_id))


# -- one post -------------------------------------------------------------------------------------------------------


def _viewable_post(post_id: int) -> tuple[Post, bool]:
    """The post and whether moderation hid it; a hidden post exists only for its author and the moderators."""
    post = get_or_404(Post, post_id)
    hidden = is_hidden(post)
    if hidden and not (post.author_id == current_user.id or can(current_user, "territory.moderate", g.territory)):
        abort(404)
    return post, hidden


def _exchange_link(post: Post, author_account) -> tuple[str, str] | None:
    """What a reader can do about someone else's open post, besides writing to them."""
    if post.kind == Post.REQUEST:
        return _("J'ai rendu ce service"), url_for(
            "timebank.record_exchange", receiver_id=post.author_id, post_id=post.id
        )
    if post.category.key == CHILDCARE:
        if author_account is not None and author_account.childcare_status == CHILDCARE_VERIFIED:
            return _("Demander une garde"), url_for("timebank.new_session", caregiver_id=post.author_id)
        return None  # childcare is booked with verified caregivers only
    return _("J'ai reçu ce service"), url_for("timebank.record_exchange", provider_id=post.author_id, post_id=post.id)


def _render_post(post: Post, hidden: bool, contact_form: MessageForm | None = None, status: int = 200):
    author_account = services.member_account(g.territory, post.author)
    is_author = post.author_id == current_user.id
    open_ = posts.is_open(post, posts.local_today(g.territory))
    contactable = open_ and not hidden and not is_author
    if contact_form is None:
        contact_form = MessageForm(formdata=None)
        contact_form.body.data = _("Bonjour, votre annonce « %(title)s » m'intéresse.", title=post.title)
    return render_template(
        "timebank/posts/show.html",
        post=post,
        hidden=hidden,
        is_open=open_,
        is_author=is_author,
        author_verified=author_account is not None and author_account.childcare_status == CHILDCARE_VERIFIED,
        may_edit=is_author and not hidden and posts.may_edit(current_user, post),
        may_close=posts.may_close(current_user, g.territory, post),
        contact_form=contact_form if contactable else None,
        contact_problem=messaging.contact_problem(g.territory, current_user, with_user=post.author)
        if contactable
        else None,
        exchange_link=_exchange_link(post, author_account) if contactable else None,
        action_form=ActionForm(formdata=None),
        timebank_tab=TAB,
    ), status


@bp.route("/annonces/<int:post_id>")
@permission_required("territory.use")
def post(post_id: int):
    post, hidden = _viewable_post(post_id)
    return _render_post(post, hidden)


@bp.route("/annonces/<int:post_id>/contacter", methods=["POST"])
@permission_required("territory.use")
def contact_post(post_id: int):
    """Write to the post's author through the core messaging, in a conversation attached to the post."""
    post, hidden = _viewable_post(post_id)
    if hidden or post.author_id == current_user.id:
        abort(404 if hidden else 400)
    if not posts.is_open(post, posts.local_today(g.territory)):
        flash(_("Cette annonce n'est plus en ligne : vous ne pouvez plus répondre à son auteur."), "error")
        return _render_post(post, hidden, status=409)
    form = MessageForm()
    if not form.validate_on_submit():
        return _render_post(post, hidden, contact_form=form, status=422)
    try:
        conversation = messaging.start_conversation(
            g.territory,
            current_user,
            post,
            with_user=post.author,
            title=post.title,
            url=url_for("timebank.post", post_id=post.id),
            first_message=form.body.data,
        )
    except messaging.MessagingError as error:
        db.session.rollback()
        form.body.errors.append(str(error))
        return _render_post(post, hidden, contact_form=form, status=409)
    db.session.commit()
    flash(_("Votre message est envoyé."), "success")
    return redirect(url_for("messaging.thread", conversation_id=conversation.id))


# -- a member's profile ---------------------------------------------------------------------------------------------


@bp.route("/membres/<int:user_id>")
@permission_required("territory.use")
def member(user_id: int):
    person = posts.territory_member(g.territory, user_id)
    if person is None:
        abort(404)
    account = services.member_account(g.territory, person)
    is_self = person.id == current_user.id
    return render_template(
        "timebank/posts/member.html",
        person=person,
        account=account,
        is_self=is_self,
        verified=account is not None and account.childcare_status == CHILDCARE_VERIFIED,
        show_balance=account is not None and posts.balance_visible(g.territory, current_user, person),
        open_posts=posts.open_posts_of(g.territory, person),
        other_posts=posts.other_posts_of(g.territory, person) if is_self else [],
        may_write=not is_self and messaging.contact_problem(g.territory, current_user, with_user=person) is None,
        timebank_tab=TAB,
    )


# -- categories (administrators) ------------------------------------------------------------------------------------


def _categories_page(form: CategoryForm | None = None, error: str | None = None, error_for=None, status: int = 200):
    return render_template(
        "timebank/posts/categories.html",
        categories=_categories(active_only=False),
        form=form or CategoryForm(formdata=None),
        action_form=ActionForm(formdata=None),
        error=error,
        error_for=error_for,
        childcare_key=CHILDCARE,
    ), status


@bp.route("/categories/")
@permission_required("territory.admin")
def categories():
    return _categories_page()


@bp.route("/categories/ajouter", methods=["POST"])
@permission_required("territory.admin")
def add_category():
    form = CategoryForm()
    if not form.validate_on_submit():
        return _categories_page(form=form, status=422)
    try:
        category = category_rules.add_category(g.territory, form.label.data, actor=current_user)
    except TimebankError as error:
        db.session.rollback()
        return _categories_page(form=form, error=str(error), error_for="new", status=422)
    db.session.commit()
    flash(_("La catégorie « %(label)s » est ajoutée.", label=category.label), "success")
    return redirect(url_for("timebank.categories"))


@bp.route("/categories/<int:category_id>/<action>", methods=["POST"])
@permission_required("territory.admin")
def change_category(category_id: int, action: str):
    """``renommer`` (with ``label``), ``monter``, ``descendre``, ``desactiver``, ``reactiver``."""
    category = get_or_404(Category, category_id)
    if action not in ("renommer", "monter", "descendre", "desactiver", "reactiver"):
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        if action == "renommer":
            category_rules.rename_category(g.territory, category, request.form.get("label", ""), actor=current_user)
        elif action in ("monter", "descendre"):
            category_rules.move_category(g.territory, category, -1 if action == "monter" else 1, actor=current_user)
        else:
            category_rules.set_category_active(g.territory, category, action == "reactiver", actor=current_user)
    except TimebankError as error:
        db.session.rollback()
        status = 409 if action == "desactiver" else 422
        return _categories_page(error=str(error), error_for=category_id, status=status)
    db.session.commit()
    flash(_("La catégorie « %(label)s » est enregistrée.", label=category.label), "success")
    return redirect(url_for("timebank.categories"))
