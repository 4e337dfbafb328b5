"""Uploads: images checked by content, size- and pixel-limited, re-encoded without EXIF, stored and served.

- ``storage.py``  the storage interface (save, open, delete, exists) and the local-directory backend;
- ``images.py``   checking and re-encoding an image (no database);
- ``models.py``   ``Upload``;
- ``services.py`` ``store_image``, ``delete_upload``, ``can_view``, the profile photo;
- ``forms.py``    ``ImageField`` for WTForms;
- ``views.py``    ``/media/<key>/<size>`` and the profile photo form.
"""

from platformcoop.media.images import MediaError
from platformcoop.media.services import can_view, delete_upload, media_url, store_image

__all__ = ["MediaError", "can_view", "delete_upload", "media_url", "store_image"]
