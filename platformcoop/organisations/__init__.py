"""Organisations of a territory (repair workshops, ESS providers, relay points, object libraries, companies,
associations) and their staff. Modules attach their own data to an organisation through their own tables."""

from platformcoop.organisations.services import is_staff, organisations_of

__all__ = ["is_staff", "organisations_of"]
