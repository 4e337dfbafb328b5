"""Serving uploads at ``/media/<key>/<size>``, and the profile photo form of ``/compte/profil``.

Addresses carry the upload's random key, never its id or name, and a stored file never changes, so public files are
cached for a year (``immutable``). A private file is answered only to those :func:`~.services.can_view` lets in,
with ``Cache-Control: private, no-store``; anyone else gets the same 404 as for a key that does not exist.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from platformcoop.extensions import db
from platformcoop.media import services
from platformcoop.media.forms import AvatarForm
from platformcoop.media.models import VARIANTS, Upload
from platformcoop.media.storage import get_storage

bp = Blueprint("media", __name__)

PUBLIC_CACHE = "public, max-age=31536000, immutable"
PRIVATE_CACHE = "private, no-store"
KEY_LENGTH = 32


@bp.route("/media/<key>/<variant>")
def serve(key: str, variant: str):
    if len(key) != KEY_LENGTH or not key.isalnum() or not key.islower() or variant not in VARIANTS:
        abort(404)
    upload = db.session.scalar(select(Upload).where(Upload.key == key))
    if upload is None or not services.can_view(current_user, upload):
        abort(404)
    try:
        fh = get_storage().open(upload.variant_key(variant))
    except FileNotFoundError:
        abort(404)
    response = send_file(
        fh,
        mimetype=upload.content_type,
        conditional=True,
        etag=f"{upload.key}-{variant}",
        last_modified=upload.created_at,
        max_age=None,
    )
    response.headers["Cache-Control"] = PRIVATE_CACHE if upload.private else PUBLIC_CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    # An image needs nothing else: should a browser ever render the file as a page, it runs nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = f'inline; filename="{upload.key}.{upload.extension}"'
    return response


@bp.app_template_global()
def media_url(upload, size="original"):
    return services.media_url(upload, size)


@bp.app_template_global()
def avatar_url(user, size=400):
    """The address of ``user``'s profile photo at ``size``, or ``None`` when they have none."""
    return services.media_url(services.avatar_of(user), size)


@bp.app_template_global()
def new_avatar_form():
    return AvatarForm(formdata=None, prefix="photo")


@bp.route("/compte/profil/photo", methods=["POST"])
@login_required
def upload_avatar():
    form = AvatarForm(prefix="photo")
    if form.validate_on_submit():
        services.set_avatar(current_user, form.photo.prepared)
        db.session.commit()
        flash(_("Votre photo de profil est enregistrée."), "success")
        return redirect(url_for("accounts.profile"))
    return _profile_page(form)


@bp.route("/compte/profil/photo/supprimer", methods=["POST"])
@login_required
def remove_avatar():
    if FlaskForm().validate_on_submit() and services.remove_avatar(current_user):
        db.session.commit()
        flash(_("Votre photo de profil est retirée."), "success")
    return redirect(url_for("accounts.profile"))


def _profile_page(avatar_form: AvatarForm) -> str:
    from platformcoop.accounts.forms import ChangePasswordForm, ProfileForm

    return render_template(
        "accounts/profile.html",
        form=ProfileForm(obj=current_user),
        password_form=ChangePasswordForm(formdata=None, prefix="pw"),
        avatar_form=avatar_form,
    )
