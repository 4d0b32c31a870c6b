"""Migrations written in Python (Alembic revisions, Django migrations), read as the SQL they run.

A framework module renders each migration file to the SQL its runner would send to
PostgreSQL (or, when the framework cannot be imported, reads what it can statically with
:mod:`ast`), as a :class:`~linter.inputs.frameworks.rendered.RenderedMigration`.
:func:`~linter.inputs.frameworks.rendered.place` lays that SQL out on the lines of the ``.py``
file that wrote it, so findings, suppression comments and baselines work as for SQL files.

The registry is explicit: :data:`FRAMEWORKS` names the modules of this package, each
providing the :class:`Framework` protocol, imported only when a layout needs it.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from .rendered import RenderedMigration, order

if TYPE_CHECKING:
    from .store import OpenStore, RenderStore

# layout name -> module of this package (imported on first use)
FRAMEWORKS: Mapping[str, str] = MappingProxyType(
    {"alembic": "alembic_layout", "django": "django_layout"}
)


class Framework(Protocol):
    """What a framework module provides (module-level functions)."""

    def detect(self, directory: Path) -> bool:
        """Whether *directory* holds this framework's migrations (no import of the framework)."""
        ...

    def migrations(
        self,
        directory: Path,
        files: Sequence[Path],
        cache: RenderStore | None = None,
        **options: Any,
    ) -> list[RenderedMigration]:
        """Every migration among *files* of the history at *directory* (files that are not
        migrations are left out), each ``path`` as given in *files*; *cache* (when given)
        answers migrations rendered before (:class:`.store.RenderStore`)."""
        ...


def framework(layout: str) -> Framework:
    """The module for *layout* (a key of :data:`FRAMEWORKS`)."""
    module = importlib.import_module(f"{__name__}.{FRAMEWORKS[layout]}")
    return module


# how the notes name one migration of each layout
LABELS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "alembic": ("Alembic revision", "Alembic revisions"),
        "django": ("Django migration", "Django migrations"),
    }
)


def detect_framework(directory: Path, layout: str | None = None) -> str | None:
    """The framework whose migrations *directory* holds (only *layout*'s when it is one of
    :data:`FRAMEWORKS`; none when *layout* names a SQL layout)."""
    if layout is not None and layout not in FRAMEWORKS:
        return None
    for name in [layout] if layout is not None else list(FRAMEWORKS):
        try:
            module = framework(name)
        except ImportError:  # (a framework module not written yet)
            continue
        if module.detect(directory):
            return name
    return None


def spans_directories(layout: str) -> bool:
    """Whether a *layout* history is a project of several migrations directories (Django:
    every app's), read whole by its framework rather than one directory's files."""
    return hasattr(framework(layout), "history_root")


def history_of(layout: str, directory: Path) -> Path:
    """The history a directory of *layout* migrations belongs to: the directory itself, or
    the project its framework reads whole (a Django app's ``migrations`` -> the project)."""
    module = framework(layout)
    root = getattr(module, "history_root", None)
    return Path(root(directory)) if root is not None else directory


def read_history(
    layout: str,
    directory: Path,
    files: Sequence[Path],
    stores: OpenStore | None = None,
    options: Mapping[str, Any] | None = None,
) -> list[RenderedMigration]:
    """The migrations among *files* of the *layout* history at *directory*, in the order
    the runner applies them, rendered (or read from the store *stores* opens for it);
    *options* are the framework's own (``settings_module`` for Django)."""
    cache = stores(f"{layout}\0{directory.absolute()}") if stores is not None else None
    found = framework(layout).migrations(directory, files, cache, **(options or {}))
    if cache is not None:
        cache.save()
        if os.environ.get("SQLSAFE_RENDER_STATS"):  # (the tests count renders with it)
            print(
                f"sqlsafe: render {layout} {directory}: "
                f"{cache.misses} rendered, {cache.hits} cached",
                file=sys.stderr,
            )
    return order(found)


def static_notes(layout: str, reasons: Sequence[tuple[str, str]]) -> list[str]:
    """What to say once about the migrations read statically: (path, reason) pairs grouped
    by reason, a line each."""
    by_reason: dict[str, list[str]] = {}
    for path, reason in reasons:
        by_reason.setdefault(reason, []).append(path)
    one, many = LABELS.get(layout, (f"{layout} migration", f"{layout} migrations"))
    lines = []
    for reason, paths in by_reason.items():
        names = ", ".join(paths[:3]) + (", ..." if len(paths) > 3 else "")
        label = one if len(paths) == 1 else many
        lines.append(f"{len(paths)} {label} read statically ({names}): {reason}")
    return lines
