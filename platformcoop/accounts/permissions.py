"""One-level, server-side permission checks: ``can(user, permission, territory, obj=None)``.

A permission is held through a role of the user's active membership in the territory. The core declares its
permissions below; modules declare theirs in their manifest (permission -> roles).
"""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, g
from flask_login import current_user

CORE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "territory.use": ("resident", "moderator", "admin"),
    "territory.moderate": ("moderator", "admin"),
    "territory.admin": ("admin",),
}


def permission_roles(permission: str) -> tuple[str, ...]:
    if permission in CORE_PERMISSIONS:
        return CORE_PERMISSIONS[permission]
    from platformcoop.plugins.manager import get_registry

    for module in get_registry().modules.values():
        if permission in module.manifest.permissions:
            return tuple(module.manifest.permissions[permission])
    raise KeyError(f"unknown permission {permission!r}")


def can(user, permission: str, territory, obj=None) -> bool:
    """Whether ``user`` may do ``permission`` in ``territory`` (on ``obj``, which must belong to it)."""
    roles = permission_roles(permission)
    if user is None or not getattr(user, "is_authenticated", False) or territory is None:
        return False
    if obj is not None and getattr(obj, "territory_id", territory.id) != territory.id:
        return False
    if user.is_superadmin:
        return True
    membership = user.membership_in(territory)
    if membership is None or not membership.is_active:
        return False
    return bool(membership.roles & set(roles))


def permission_required(permission: str):
    """View decorator: login first (redirect), then 403 unless ``can`` in the current territory."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not can(current_user, permission, g.get("territory")):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
