"""Tenancy: every module object belongs to a territory, and every URL names one."""

from platformcoop.tenancy.scoping import current_territory, get_or_404, scoped_select, territory_context

__all__ = ["current_territory", "get_or_404", "scoped_select", "territory_context"]
