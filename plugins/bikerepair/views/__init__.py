"""Pages under /<territory>/reparation-velo/ (the core mounts the blueprint and answers 404 where the module is off).

One blueprint, its routes split by area: finding a repairer and booking (``search``), the resident's bikes, booklets
and appointments (``resident``), and the repairer's back office (``backoffice``).
"""

from flask import Blueprint

bp = Blueprint("bikerepair", __name__, template_folder="../templates")

from plugins.bikerepair.views import (  # noqa: E402,F401  (routes)
    backoffice,
    backoffice_agenda,
    backoffice_settings,
    resident,
    search,
)
