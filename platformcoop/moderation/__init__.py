"""Reports and moderation, shared by every module.

A module makes a model reportable (``register_reportable``), shows the report button
(``{% from "moderation/_report_button.html" import report_button %}{{ report_button(obj) }}``) and keeps hidden
objects out of its pages (``visible(statement, Model)`` for lists, ``is_hidden(obj)`` for one object).
"""

from platformcoop.moderation.registry import register_reportable, unregister_reportable
from platformcoop.moderation.services import is_hidden, visible

__all__ = ["is_hidden", "register_reportable", "unregister_reportable", "visible"]
