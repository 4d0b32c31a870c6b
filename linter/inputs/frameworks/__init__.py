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
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Protocol

from .rendered import RenderedMigration

# layout name -> module of this package (imported on first use)
FRAMEWORKS: Mapping[str, str] = MappingProxyType(
    {"alembic": "alembic_layout", "django": "django_layout"}
)


class Framework(Protocol):
    """What a framework module provides (module-level functions)."""

    def detect(self, directory: Path) -> bool:
        """Whether *directory* holds this framework's migrations (no import of the framework)."""
        ...

    def migrations(self, directory: Path, files: Sequence[Path]) -> list[RenderedMigration]:
        """Every migration of the history at *directory*, in the runner's order."""
        ...


def framework(layout: str) -> Framework:
    """The module for *layout* (a key of :data:`FRAMEWORKS`)."""
    module = importlib.import_module(f"{__name__}.{FRAMEWORKS[layout]}")
    return module
