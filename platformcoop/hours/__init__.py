"""Opening hours shared by the modules: weekly ranges, closures, public and territory holidays.

A :class:`~platformcoop.hours.models.Schedule` belongs to anything (an organisation, a module's relay point…) through
a generic ``(owner_type, owner_id)``, or is referenced by a module's own foreign key. The one question modules ask is
:func:`~platformcoop.hours.services.open_intervals`: when is it open between two instants?
"""

from platformcoop.hours.services import open_intervals

__all__ = ["open_intervals"]
