"""What a module declares about itself, and the small data shapes hooks return.

A manifest's typed settings are the single source for three things: the defaults, the validation of a territory's
settings (unknown keys and out-of-bounds values are refused), and the admin form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

SETTING_TYPES = ("int", "bool", "str", "choice")


@dataclass(frozen=True)
class Setting:
    """One typed module setting. ``label`` and ``help`` are shown in the admin form (French)."""

    name: str
    type: str
    default: Any
    label: str
    help: str = ""
    min: int | None = None
    max: int | None = None
    choices: tuple[tuple[str, str], ...] = ()
    max_length: int = 500

    def __post_init__(self) -> None:
        if self.type not in SETTING_TYPES:
            raise ValueError(f"setting {self.name}: unknown type {self.type!r}")
        errors = validate_value(self, self.default)
        if errors:
            raise ValueError(f"setting {self.name}: default is invalid ({errors})")


@dataclass(frozen=True)
class ModuleManifest:
    name: str
    label: str
    label_en: str
    segment: str
    description: str = ""
    icon: str = "module"
    requires: tuple[str, ...] = ()
    default_enabled: bool = True
    settings: tuple[Setting, ...] = ()
    # permission name -> roles that hold it, e.g. {"timebank.coordinate": ("timebank.coordinator", "admin")}
    permissions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # module roles that an admin may give to members, e.g. {"timebank.coordinator": "Coordinateur"}
    roles: dict[str, str] = field(default_factory=dict)
    # notification kind -> French label, for the preferences page
    notification_kinds: dict[str, str] = field(default_factory=dict)

    def defaults(self) -> dict[str, Any]:
        return {setting.name: setting.default for setting in self.settings}

    def setting(self, name: str) -> Setting | None:
        return next((s for s in self.settings if s.name == name), None)


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    icon: str = ""
    order: int = 100
    module: str = ""


@dataclass(frozen=True)
class Widget:
    """A block on the territory home page. ``template`` is rendered with ``context``."""

    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100
    module: str = ""


@dataclass(frozen=True)
class Stat:
    """A named figure for the municipality dashboard. ``chart``: also draw it month by month (a few key figures)."""

    key: str
    label: str
    value: int | float
    unit: str = ""
    module: str = ""
    chart: bool = True


@dataclass(frozen=True)
class SearchResult:
    title: str
    url: str
    excerpt: str = ""
    module: str = ""


@dataclass(frozen=True)
class JobSpec:
    """A sweep job: ``function(territory, now)`` is run on ``trigger`` for every territory using the module."""

    id: str
    function: Any
    trigger: str = "interval"
    trigger_args: dict[str, Any] = field(default_factory=lambda: {"minutes": 1})


class SettingsError(ValueError):
    """Invalid module settings; ``errors`` maps a setting name (or ``"__all__"``) to French messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def validate_value(setting: Setting, value: Any) -> list[str]:
    """French error messages for ``value`` against ``setting``; empty when valid."""
    if setting.type == "bool":
        return [] if isinstance(value, bool) else [_("Cette valeur doit être oui ou non.")]
    if setting.type == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return [_("Cette valeur doit être un nombre entier.")]
        if setting.min is not None and value < setting.min:
            return [_("La valeur doit être au moins %(min)s.", min=setting.min)]
        if setting.max is not None and value > setting.max:
            return [_("La valeur doit être au plus %(max)s.", max=setting.max)]
        return []
    if setting.type == "choice":
        allowed = [key for key, _label in setting.choices]
        return [] if value in allowed else [_("Ce choix n'est pas proposé.")]
    if not isinstance(value, str):
        return [_("Cette valeur doit être un texte.")]
    if len(value) > setting.max_length:
        return [_("Le texte ne doit pas dépasser %(num)s caractères.", num=setting.max_length)]
    return []


def validate_settings(manifest: ModuleManifest, values: dict[str, Any]) -> dict[str, Any]:
    """Return the complete settings (defaults filled in) or raise :class:`SettingsError`."""
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(values) - {s.name for s in manifest.settings})
    if unknown:
        errors["__all__"] = [_("Réglage inconnu : %(name)s.", name=name) for name in unknown]
    cleaned = manifest.defaults()
    for setting in manifest.settings:
        if setting.name not in values:
            continue
        problems = validate_value(setting, values[setting.name])
        if problems:
            errors[setting.name] = problems
        else:
            cleaned[setting.name] = values[setting.name]
    if errors:
        raise SettingsError(errors)
    return cleaned
