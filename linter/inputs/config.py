"""Configuration: ``[tool.sqlsafe]`` in pyproject.toml or ``.sqlsafe.toml``, validated."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..util.records import record
from .configsearch import find_config
from .settings import SUPPORTED_VERSIONS, Settings

SEVERITIES = ("error", "warning", "note")


class ConfigError(Exception):
    """A configuration file or option is wrong; the message names the file and key."""


@record
class Config:
    """Settings plus where they came from and the keys other commands read."""

    settings: Settings = field(default_factory=Settings)
    path: Path | None = None
    root: Path = field(default_factory=Path.cwd)
    history: str | None = None
    layout: str | None = None
    # Django: the settings module INSTALLED_APPS is read from (never its database)
    django_settings: str | None = None
    baseline: tuple[str, ...] = ()  # schema files applied before the history (--schema)
    explicit: frozenset[str] = frozenset()  # keys set in the file or on the command line
    # a file named alone reads the earlier files of its migrations directory (--no-history)
    implicit_history: bool = True
    # with --diff, what a file added by the change creates is new for its later files
    new_in_change: bool = True
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


def _strings(path: Path, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{path}: `{key}` must be a string or a list of strings, not {value!r}")


def _bool(path: Path, key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ConfigError(f"{path}: `{key}` must be true or false, not {value!r}")


def parse_version(value: Any, where: str) -> int:
    text = str(value).strip()
    # a major version, or major.minor as PostgreSQL prints it ("16", "16.4")
    version = int(text.split(".")[0]) if re.fullmatch(r"\d+(\.\d+)?", text) else -1
    if version not in SUPPORTED_VERSIONS:
        raise ConfigError(
            f"{where}: target-version must be a PostgreSQL major version from "
            f"{SUPPORTED_VERSIONS.start} to {SUPPORTED_VERSIONS.stop - 1}, not {value!r}"
        )
    return version


def _per_file(path: Path, key: str, value: Any) -> Mapping[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: `{key}` must be a table of glob = [rules]")
    return MappingProxyType({g: _strings(path, f"{key}.{g}", v) for g, v in value.items()})


def _severity(path: Path, key: str, value: Any) -> Mapping[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(f'{path}: `{key}` must be a table of rule = "error|warning|note"')
    for rule, sev in value.items():
        if sev not in SEVERITIES:
            raise ConfigError(
                f"{path}: `{key}.{rule}` must be one of {', '.join(SEVERITIES)}, not {sev!r}"
            )
    return MappingProxyType(dict(value))


def _fail_on(path: Path, key: str, value: Any) -> str:
    if value not in SEVERITIES:
        raise ConfigError(f"{path}: `{key}` must be one of {', '.join(SEVERITIES)}, not {value!r}")
    return str(value)


def _string(path: Path, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{path}: `{key}` must be a string, not {value!r}")
    return value


def _preamble(path: Path, key: str, value: Any) -> tuple[str, ...]:
    """SQL the runner executes before each file: strings that must parse."""
    from ..sql.parsing import parse

    statements = _strings(path, key, value)
    for sql in statements:
        for stmt in parse(sql).statements:
            if stmt.error:
                raise ConfigError(f"{path}: `{key}` entry {sql!r} is not valid SQL: {stmt.error}")
    return statements


def _layout(path: Path, key: str, value: Any) -> str:
    from .layouts import check_layout

    try:
        return check_layout(_string(path, key, value), f"{path}: `{key}`")
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


# key -> (Settings field or None for Config-level keys, converter)
_KEYS: dict[str, tuple[str | None, Callable[[Path, str, Any], Any]]] = {
    "target-version": ("target_version", lambda p, k, v: parse_version(v, f"{p}: `{k}`")),
    "assume-in-transaction": ("assume_in_transaction", _bool),
    "select": ("select", _strings),
    "ignore": ("ignore", _strings),
    "exclude": ("exclude", _strings),
    "per-file-ignores": ("per_file_ignores", _per_file),
    "severity": ("severity", _severity),
    "fail-on": ("fail_on", _fail_on),
    "preamble": ("preamble", _preamble),
    "history": (None, _string),
    "layout": (None, _layout),
    "django-settings": (None, _string),
    "schema": (None, _strings),
    "new-in-change": (None, _bool),
}


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?")


def duration_problem(text: str) -> str | None:
    """Why *text* is not a timeout for generated migrations ('2s', '500ms', '1min' or
    milliseconds), or ``None``. Zero is refused: it turns the timeout off."""
    match = _DURATION.fullmatch(text)
    if match is None:
        return "must be a duration such as '2s' or '500ms'"
    if float(match.group(1)) == 0:
        return "must be above zero (0 turns the timeout off)"
    return None


def _lock_timeout(path: Path, key: str, value: Any) -> str:
    """`lock-timeout` / `statement-timeout` for generated migrations."""
    text = str(value).strip() if isinstance(value, (str, int)) else ""
    problem = duration_problem(text)
    if problem is not None:
        raise ConfigError(f"{path}: `{key}` {problem}, not {value!r}")
    return text


# Keys owned by other commands (scaffolding, trace...); validated where they are used.
EXTRA_KEYS: dict[str, Callable[[Path, str, Any], Any]] = {
    "lock-timeout": _lock_timeout,
    "statement-timeout": _lock_timeout,
}


def load_config(path: Path | None = None, start: Path | None = None) -> Config:
    """Read and validate a config file (found by walking up when *path* is not given)."""
    if path is None:
        path = find_config((start or Path.cwd()).resolve())
        if path is None:
            return Config(root=(start or Path.cwd()).resolve())
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: config file is not valid UTF-8 ({exc.reason})") from exc
    if sys.version_info >= (3, 11):  # (imported only when a config file is read)
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    tool = data.get("tool")
    if isinstance(tool, dict) and "sqlsafe" in tool:
        table = tool["sqlsafe"]
    elif path.name == "pyproject.toml":
        table = {}
    else:
        table = data  # sqlsafe.toml: the keys at the top (a `tool` key is then unknown)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.sqlsafe] must be a table")
    values: dict[str, Any] = {}
    config_values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in table.items():
        if key in _KEYS:
            target, convert = _KEYS[key]
            if target is None:
                config_values[key] = convert(path, key, value)
            else:
                values[target] = convert(path, key, value)
        elif key in EXTRA_KEYS:
            extra[key] = EXTRA_KEYS[key](path, key, value)
        else:
            known = ", ".join(sorted([*_KEYS, *EXTRA_KEYS]))
            raise ConfigError(f"{path}: unknown key `{key}` (known keys: {known})")
    settings = replace(Settings(), **values)
    return Config(
        settings=settings,
        path=path,
        root=path.resolve().parent,
        history=config_values.get("history"),
        layout=config_values.get("layout"),
        django_settings=config_values.get("django-settings"),
        baseline=tuple(str(path.resolve().parent / p) for p in config_values.get("schema", ())),
        explicit=frozenset(table),
        new_in_change=config_values.get("new-in-change", True),
        extra=MappingProxyType(extra),
    )


def known_names(rules: Sequence[Any]) -> set[str]:
    """Every name a config or a command line may give a rule of *rules*: its name, code,
    group and aliases, and ``all``."""
    known = {"all", "ALL"}
    for rule in rules:
        known.update((rule.name, rule.code, rule.group, *rule.aliases))
    return known


def unknown_rule(config: Config, known: set[str]) -> str | None:
    """Why *config* names a rule that is not in *known* (select, ignore,
    per-file-ignores, severity; a code prefix in capitals matches), or ``None``."""
    settings = config.settings
    where = str(config.path) if config.path else "command line"
    names = [*settings.select, *settings.ignore, *settings.severity]
    for values in settings.per_file_ignores.values():
        names.extend(values)
    for name in names:
        if name in known or (name.isupper() and any(k.startswith(name) for k in known)):
            continue
        return f"{where}: unknown rule `{name}` (see `sqlsafe rules`)"
    return None


def settings_field_names() -> tuple[str, ...]:
    return tuple(f.name for f in fields(Settings))
