"""The installed subsystems: one list, and the core's one way to reach what they contribute.

:data:`INSTALLED` names the subsystem packages (Django's ``INSTALLED_APPS``); ``ECOSENTRY_SUBSYSTEMS``
(comma-separated package names, read from the environment only, because it decides the shape of the settings
object itself) replaces it for one deployment or test. Each package's ``SUBSYSTEM``
(:class:`ecosentry.contracts.subsystem.Subsystem`) names its parts as ``"module:attribute"``; this module
resolves them on demand. It is the only place where the core loads subsystem code, always by those names,
never by an ``import`` statement: the layer check (``tests/test_layers.py``) holds the core to that.
"""

from __future__ import annotations

import importlib
import os
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from ecosentry.contracts.subsystem import MenuEntry, Subsystem
from ecosentry.said import Said

__all__ = ["INSTALLED", "installed", "installed_names", "resolve", "menu_entries", "template_dirs", "locale_dirs",
           "settings_sections", "former_settings", "each", "load_schemas", "migration_dirs", "fuzz_targets",
           "start_early"]

#: The subsystems this platform runs, in order (pages, menus and commands appear in this order).
INSTALLED: tuple[str, ...] = (
    "ecosentry.subsystems.monitoring",
    "ecosentry.subsystems.power",
    "ecosentry.subsystems.gates",
    "ecosentry.subsystems.park",
    "ecosentry.subsystems.om",
)


def installed_names() -> tuple[str, ...]:
    """:data:`INSTALLED`, or the packages ``ECOSENTRY_SUBSYSTEMS`` names."""
    raw = os.environ.get("ECOSENTRY_SUBSYSTEMS", "").strip()
    if not raw:
        return INSTALLED
    return tuple(dict.fromkeys(n.strip() for n in raw.split(",") if n.strip()))


class SubsystemError(Said):
    """A listed subsystem that cannot be loaded or contradicts another one (said in the reader's language)."""


@lru_cache(maxsize=8)
def _load(names: tuple[str, ...]) -> tuple[Subsystem, ...]:
    out: list[Subsystem] = []
    seen_names: dict[str, str] = {}
    seen_kinds: dict[str, str] = {}
    seen_sections: dict[str, str] = {}
    for package in names:
        try:
            sub = importlib.import_module(package).SUBSYSTEM
        except (ImportError, AttributeError) as exc:
            raise SubsystemError("The subsystem package %(package)s cannot be loaded (%(error)s): correct "
                                 "ECOSENTRY_SUBSYSTEMS or install the package.", package=package, error=exc) from exc
        if not isinstance(sub, Subsystem):
            raise SubsystemError("%(package)s.SUBSYSTEM is not a subsystem declaration "
                                 "(ecosentry.contracts.subsystem.Subsystem).", package=package)
        for what, keys, seen in (("name", [sub.name], seen_names), ("record kind", sub.sinks, seen_kinds),
                                 ("settings section", sub.settings, seen_sections)):
            for key in keys:
                if key in seen:
                    raise SubsystemError("The subsystems %(first)s and %(second)s both declare %(key)s: remove one of "
                                         "them from ECOSENTRY_SUBSYSTEMS.", first=seen[key], second=package,
                                         key=f"{what} {key!r}")
                seen[key] = package
        out.append(sub)
    return tuple(out)


def installed(names: tuple[str, ...] | None = None) -> tuple[Subsystem, ...]:
    """The installed subsystems' declarations, in list order."""
    return _load(names if names is not None else installed_names())


def resolve(ref: str) -> Any:
    """The object a ``"package.module:attribute"`` reference names."""
    module, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in filter(None, attr.split(".")):
        obj = getattr(obj, part)
    return obj


def each(field: str, names: tuple[str, ...] | None = None) -> list[tuple[Subsystem, Any]]:
    """(subsystem, resolved part) for every reference in ``field`` (a tuple of references or one reference)."""
    out: list[tuple[Subsystem, Any]] = []
    for sub in installed(names):
        value = getattr(sub, field)
        refs = value if isinstance(value, tuple) else (value,) if value else ()
        out.extend((sub, resolve(ref)) for ref in refs)
    return out


def menu_entries(names: tuple[str, ...] | None = None) -> list[MenuEntry]:
    """Every subsystem's menu entries, each group in order."""
    return sorted((e for sub in installed(names) for e in sub.menu), key=lambda e: (e.group, e.order))


def _package_dir(package: str) -> Path:
    module = importlib.import_module(package)
    return Path(module.__file__ or "").parent


def template_dirs(names: tuple[str, ...] | None = None) -> list[Path]:
    """The subsystems' ``templates/`` folders, in list order."""
    return [_package_dir(sub.templates) / "templates" for sub in installed(names) if sub.templates]


def locale_dirs(names: tuple[str, ...] | None = None) -> list[Path]:
    """The subsystems' ``locale/`` folders (``<lang>/LC_MESSAGES/messages.po``)."""
    return [_package_dir(sub.locale) / "locale" for sub in installed(names) if sub.locale]


def settings_sections(names: tuple[str, ...] | None = None) -> dict[str, type]:
    """Section name → pydantic model, from every subsystem."""
    return {name: resolve(ref) for sub in installed(names) for name, ref in sub.settings.items()}


def fuzz_targets(names: tuple[str, ...] | None = None) -> dict[str, str]:
    """Target name → reference of every subsystem's fuzz targets (resolved only in the fuzzing process)."""
    return {k: v for sub in installed(names) for k, v in sub.fuzz_targets.items()}


def former_settings(names: tuple[str, ...] | None = None) -> dict[str, str]:
    """Section → the prefix of its variables before it was a section (still read, with a warning)."""
    return {k: v for sub in installed(names) for k, v in sub.former_settings.items()}


def load_schemas(names: tuple[str, ...] | None = None) -> list[ModuleType]:
    """Import every subsystem's ``schema`` module, so the shared metadata (:mod:`ecosentry.store.schema`) holds
    their tables beside the core's (what Alembic compares the database with)."""
    return [importlib.import_module(sub.schema.partition(":")[0]) for sub in installed(names) if sub.schema]


def migration_dirs(names: tuple[str, ...] | None = None) -> list[Path]:
    """The folders of the subsystems' ``migrations`` packages: Alembic version locations, one per subsystem,
    each holding a branch of its own that depends on a core revision (:func:`ecosentry.store.db.migrate`)."""
    return [_package_dir(sub.migrations) for sub in installed(names) if sub.migrations]


def start_early(argv: list[str]) -> None:
    """Let every installed subsystem begin the work of the command ``argv`` names before the command line is
    assembled (:attr:`Subsystem.early`): ``ecosentry detect`` parses its data file while Typer, pydantic and
    every command's module are imported (issue 13 item 3). Nothing here may stop the command: a subsystem that
    cannot be loaded, or a hook that fails, is left to the command line, which says what is wrong."""
    try:
        hooks = [hook for _, hook in each("early")]
    except Exception:  # noqa: BLE001 - the command line reports a broken installation itself
        return
    for hook in hooks:
        try:
            hook(list(argv))
        except Exception:  # noqa: BLE001 - a head start only: the command does the work anyway
            pass
