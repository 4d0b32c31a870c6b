"""A content-hash cache of per-file lint results.

Each reported file's findings are stored under a key that hashes sqlsafe's version, the
rule set (names, codes, the modules that define them and their files' size and mtime),
the settings, the file's own path and content, and the path and content of every file
before it in the history (the schema model a file is judged against depends on them).
When every reported file of a run has an entry, the run is answered from the cache
without parsing anything; otherwise the history is linted as usual and the entries are
rewritten.  A missing, stale or corrupt cache file is treated as empty: the cache can make
a run faster, never different.

Location: ``$SQLSAFE_CACHE_DIR`` when set; else ``.sqlsafe_cache/`` next to the config file
when there is one; else ``$XDG_CACHE_HOME/sqlsafe`` (``~/.cache/sqlsafe``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from . import __version__
from .context import Settings
from .engine import Finding, LintResult, lint_sources
from .rule import Rule, Severity
from .source import Source, SourceError

CACHE_FORMAT = 1
DIR_NAME = ".sqlsafe_cache"
_FINDING_FIELDS = tuple(f.name for f in fields(Finding))

LintFn = Callable[..., LintResult]


def default_cache_dir(config_path: Path | None) -> Path:
    env = os.environ.get("SQLSAFE_CACHE_DIR")
    if env:
        return Path(env)
    if config_path is not None:
        return config_path.resolve().parent / DIR_NAME
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "sqlsafe"


def _canonical(value: Any) -> Any:
    if isinstance(value, Mapping):
        return sorted((str(k), _canonical(v)) for k, v in value.items())
    if isinstance(value, (tuple, list, frozenset, set)):
        items = [_canonical(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def _module_stamp(module: str) -> str:
    mod = sys.modules.get(module)
    path = getattr(mod, "__file__", None)
    version = getattr(mod, "__version__", "")
    if not path:
        return f"{module}:{version}"
    try:
        st = os.stat(path)
    except OSError:
        return f"{module}:{version}"
    return f"{module}:{version}:{st.st_size}:{st.st_mtime_ns}"


def config_key(rules: Sequence[Rule], settings: Settings) -> str:
    """Hash of everything except the inputs that a file's findings depend on."""
    engine_modules = sorted(m for m in sys.modules if m == "linter" or m.startswith("linter."))
    rule_modules = sorted({type(r).__module__ for r in rules})
    payload = {
        "format": CACHE_FORMAT,
        "version": __version__,
        "rules": [(r.name, r.code, type(r).__module__, type(r).__qualname__) for r in rules],
        "modules": [_module_stamp(m) for m in (*engine_modules, *rule_modules)],
        "settings": [(f.name, _canonical(getattr(settings, f.name))) for f in fields(settings)],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _source_stamp(source: Source | SourceError) -> bytes:
    if isinstance(source, SourceError):
        return f"error\0{source.path}\0{source.reason}".encode()
    meta = repr(replace(source, text=""))
    return meta.encode() + b"\0" + source.text.encode("utf-8", "surrogatepass")


def entry_keys(
    sources: Sequence[Source | SourceError],
    base: str,
    report: Collection[str] | None,
    edited: Collection[str],
) -> dict[str, str]:
    """path -> key for each reported file: the chain hash after its last unit."""
    chain = hashlib.sha256(base.encode())
    keys: dict[str, str] = {}
    for source in sources:
        flags = f"\0{source.path in edited}\0".encode()
        chain.update(hashlib.sha256(_source_stamp(source) + flags).digest())
        if isinstance(source, Source) and (report is None or source.path in report):
            keys[source.path] = chain.hexdigest()
    return keys


def _encode(finding: Finding) -> dict[str, Any]:
    data = {name: getattr(finding, name) for name in _FINDING_FIELDS}
    data["severity"] = finding.severity.value
    return data


def _decode(data: Any) -> Finding:
    if not isinstance(data, dict) or set(data) != set(_FINDING_FIELDS):
        raise ValueError("malformed finding")
    values = dict(data)
    values["severity"] = Severity(values["severity"])
    return Finding(**values)


@dataclass(frozen=True, slots=True)
class ResultCache:
    directory: Path

    def _file(self, key: str) -> Path:
        return self.directory / f"results-{key[:40]}.json"

    def _load(self, key: str) -> dict[str, list[Any]]:
        try:
            data = json.loads(self._file(key).read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            return {}
        if not isinstance(data, dict) or data.get("key") != key:
            return {}
        entries = data.get("entries")
        return entries if isinstance(entries, dict) else {}

    def _store(self, key: str, entries: Mapping[str, list[Any]]) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            ignore = self.directory / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# created by sqlsafe\n*\n", encoding="utf-8")
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"key": key, "entries": entries}, handle, separators=(",", ":"))
            os.replace(tmp, self._file(key))
        except OSError:
            pass  # a read-only or full disk only costs speed

    def lint(
        self,
        sources: Iterable[Source | SourceError],
        rules: Sequence[Rule],
        settings: Settings,
        *,
        report: Iterable[str] | None = None,
        edited: Collection[str] = (),
        lint: LintFn = lint_sources,
        **kwargs: Any,
    ) -> LintResult:
        """``lint_sources`` with per-file results served from and stored in the cache."""
        items = list(sources)
        wanted = None if report is None else frozenset(report)
        edited_set = frozenset(edited)
        base = config_key(rules, settings)
        keys = entry_keys(items, base, wanted, edited_set)
        stored = self._load(base)
        cached = self._from_cache(items, keys, stored)
        if cached is not None:
            return cached
        result = lint(items, rules, settings, report=wanted, edited=edited_set, **kwargs)
        by_path: dict[str, list[Any]] = {path: [] for path in keys}
        for f in result.findings:
            if f.path in by_path:
                by_path[f.path].append(_encode(f))
        entries = {**stored, **{keys[p]: v for p, v in by_path.items()}}
        if len(entries) > 4 * max(len(keys), 1000):  # keep the file bounded
            entries = {keys[p]: v for p, v in by_path.items()}
        self._store(base, entries)
        return result

    @staticmethod
    def _from_cache(
        items: Sequence[Source | SourceError],
        keys: Mapping[str, str],
        stored: Mapping[str, Any],
    ) -> LintResult | None:
        if not keys or any(k not in stored for k in keys.values()):
            return None
        result = LintResult()
        done: set[str] = set()
        try:
            for source in items:
                if isinstance(source, SourceError):
                    result.errors.append(source)
                    continue
                if source.path not in keys:
                    continue
                result.files += 1
                if source.path in done:
                    continue
                done.add(source.path)
                raw = stored[keys[source.path]]
                if not isinstance(raw, list):
                    return None
                result.findings.extend(_decode(d) for d in raw)
        except (TypeError, ValueError, KeyError):
            return None
        return result
