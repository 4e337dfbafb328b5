"""Image uploads in WTForms: a field that checks the image by its content when the form validates.

Use it in any form (the form needs ``enctype="multipart/form-data"``)::

    class ListingForm(FlaskForm):
        photo = ImageField(_l("Photo"), validators=[FileRequired(_l("Choisissez une image."))])

    if form.validate_on_submit():
        upload = store_image(form.photo.prepared, g.territory, current_user)

A refused image gives the French reason next to the field, like any other error; ``form.photo.prepared`` holds the
checked, re-encoded image, so it is not decoded twice. Without ``FileRequired`` the field is optional and
``prepared`` stays ``None`` when no file was chosen. ``ValidImage`` is the validator alone, for a plain ``FileField``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms.validators import ValidationError

from platformcoop.media.images import MediaError
from platformcoop.media.services import check_image

ACCEPT = "image/jpeg,image/png,image/webp"


class ValidImage:
    """Check the chosen file with :func:`~platformcoop.media.services.check_image`; keep the result on the field."""

    def __call__(self, form, field):
        field.prepared = None
        if not field.data:
            return
        try:
            field.prepared = check_image(field.data)
        except MediaError as error:
            raise ValidationError(error.args[0])


class ImageField(FileField):
    """A file input for one image (JPEG, PNG or WebP), checked by content; see the module docstring."""

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"accept": ACCEPT, **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, [*(validators or []), ValidImage()], render_kw=render_kw, **kwargs)
        self.prepared = None


class AvatarForm(FlaskForm):
    photo = ImageField(
        _l("Photo de profil"),
        validators=[FileRequired(_l("Choisissez une image."))],
        description=_l(
            "Une image JPEG, PNG ou WebP. Elle est visible par les autres membres. "
            "Sa position GPS et les autres informations de l'appareil photo sont retirées."
        ),
    )
