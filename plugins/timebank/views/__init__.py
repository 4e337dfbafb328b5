"""Pages under /<territory>/banque-de-temps/ (the core mounts the blueprint and answers 404 where the module is off).

One blueprint, its routes split by area: the member's account and exchanges (``account``), offers and requests
(``posts``), childcare (``childcare``), and the coordinators' pages (``coordination``, ``childcare_queues``).
``common`` holds what several areas share.
"""

from flask import Blueprint

bp = Blueprint("timebank", __name__, template_folder="../templates")

from plugins.timebank.views import account, childcare, childcare_queues, coordination, posts  # noqa: E402,F401  (routes)
