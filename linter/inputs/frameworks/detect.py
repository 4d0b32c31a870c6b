"""Which Python migration framework a directory belongs to, from its files alone.

Pure and cheap: no framework is imported, files are only read. Alembic: an ``alembic.ini``,
a script directory (``env.py`` beside ``versions/``), or a directory of revision files
(``revision = ...`` and ``down_revision = ...`` at module level). Django: a
``manage.py``, or a ``migrations`` package of ``NNNN_name.py`` files (four digits or more)
holding ``class Migration``.

The tests that tell one migration file are here only: the linter's layouts
(:mod:`.alembic_layout`, :mod:`.django_graph`) and the writers use the same ones.
"""

from __future__ import annotations

import re
from pathlib import Path

_REVISION = re.compile(r"^revision\s*(?::[^=\n]*)?=", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=\n]*)?=", re.MULTILINE)
MIGRATION_FILE = re.compile(r"^\d{4,}_\w+\.py$")
_MIGRATION_CLASS = re.compile(r"^class Migration\b", re.MULTILINE)


def _read(path: Path, limit: int = 65536) -> str:
    """The first *limit* characters of *path* (all of it for -1); "" when unreadable."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return handle.read(limit)
    except OSError:
        return ""


def is_revision_text(text: str) -> bool:
    """*text* assigns ``revision`` and ``down_revision`` at module level."""
    return bool(_REVISION.search(text) and _DOWN_REVISION.search(text))


def is_alembic_revision(path: Path) -> bool:
    """A ``.py`` file that declares ``revision`` and ``down_revision`` at module level."""
    if path.suffix != ".py" or not path.is_file():
        return False
    return is_revision_text(_read(path))


def is_django_migration(path: Path) -> bool:
    """A ``NNNN_name.py`` file (four digits or more) holding ``class Migration``."""
    if not MIGRATION_FILE.match(path.name) or not path.is_file():
        return False
    return bool(_MIGRATION_CLASS.search(_read(path, -1)))


def _py_files(directory: Path) -> list[Path]:
    try:
        return sorted(p for p in directory.iterdir() if p.suffix == ".py")
    except OSError:
        return []


def detect_framework(directory: Path) -> str | None:
    """``"alembic"``, ``"django"`` or None for *directory* (a project root, an Alembic
    script or versions directory, a Django app or its ``migrations`` package)."""
    if not directory.is_dir():
        return None
    if (directory / "alembic.ini").is_file():
        return "alembic"
    if (directory / "env.py").is_file() and (directory / "versions").is_dir():
        return "alembic"
    if (directory / "manage.py").is_file():
        return "django"
    files = _py_files(directory)
    if any(is_django_migration(p) for p in files):
        return "django"
    if any(is_alembic_revision(p) for p in files):
        return "alembic"
    if (directory / "migrations").is_dir() and any(
        is_django_migration(p) for p in _py_files(directory / "migrations")
    ):
        return "django"
    if directory.name == "versions" and (directory.parent / "env.py").is_file():
        return "alembic"
    return None
