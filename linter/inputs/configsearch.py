"""Finding the configuration file: shared by :mod:`linter.inputs.config` and the cache replay
(:mod:`linter.output.replay`), which must find the same file without importing the linter."""

from __future__ import annotations

import sys
from pathlib import Path

CONFIG_FILES = (".sqlsafe.toml", "sqlsafe.toml", "pyproject.toml")


def config_candidates(start: Path) -> list[str]:
    """Every file the configuration search (:func:`find_config`) may look at."""
    return [str(d / name) for d in (start, *start.parents) for name in CONFIG_FILES]


def find_config(start: Path) -> Path | None:
    """The nearest config file walking up from *start*: ``.sqlsafe.toml`` or
    ``sqlsafe.toml``, or a ``pyproject.toml`` with a ``[tool.sqlsafe]`` table (one that
    is not valid TOML counts when its text has that table: loading it says what is
    wrong)."""
    for candidate in config_candidates(start):
        path = Path(candidate)
        if not path.is_file():
            continue
        if path.name != "pyproject.toml":
            return path
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if "sqlsafe" not in text and "\\u" not in text and "\\U" not in text:
            # (no key can spell sqlsafe: neither written out nor as an escape; the TOML
            # parser is not imported, ~3 ms of a one-file lint)
            continue
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - Python 3.10
            import tomli as tomllib

        try:
            tool = tomllib.loads(text).get("tool")
        except tomllib.TOMLDecodeError:
            if "[tool.sqlsafe" in text:
                return path
            continue
        if isinstance(tool, dict) and "sqlsafe" in tool:
            return path
    return None
