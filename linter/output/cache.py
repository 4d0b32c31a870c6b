"""A content-hash cache of lint results.

Two levels, both in one index file per *configuration* (sqlsafe's version, the rule set
and the modules that define it, the settings):

* **per file**: each reported file's findings, under the *chain hash* of its own path and
  content and of every file before it in the history (the schema model a file is judged
  against depends on them).  Every few hundred files, and after the last two, the schema
  model is stored too.  When some file changed, the history resumes from the last stored
  model before it: only the files from there on are parsed and linted.
* **per run** (``sqlsafe lint DIR...``): the hash of everything the file discovery reads
  (every ``*.sql`` and ``*.py`` file's path and content, and the layout files ``*.conf``,
  ``metadata.toml`` and ``migration_lock.toml``), the arguments and the working directory,
  mapped to the run's reported files.  A hit answers without detecting layouts, building
  migration units or parsing anything.

A missing, stale or corrupt cache file is treated as empty: the cache can make a run
faster, never different.  Files are written with :mod:`marshal` (plain data only: loading
one never runs code) behind a checksum of their bytes (:mod:`linter.output.checksum`: a file
whose bytes changed on disk is a miss, and is written again by the run) and replaced
atomically.

Location: ``$SQLSAFE_CACHE_DIR`` when set; else ``.sqlsafe_cache/`` next to the config file
when there is one; else ``$XDG_CACHE_HOME/sqlsafe`` (``~/.cache/sqlsafe``).
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import sys
import tempfile
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..inputs.source import Source, SourceError
from ..inputs.tree import AUX_NAMES, SOURCE_SUFFIXES, read_regular, scan_tree
from ..rule import Rule, Severity
from ..state.context import Settings
from ..state.deferred import has_deferred, resolve, without
from ..state.reversal import uncut
from ..util.records import record
from .checksum import seal, unseal

if TYPE_CHECKING:
    from ..analysis.engine import Finding, LintResult
    from ..lockmodel.schema import Schema

CACHE_FORMAT = 7
DIR_NAME = ".sqlsafe_cache"
CHECKPOINT_EVERY = 512  # store the schema model after every this many files (and the last 2)
MARKED_FILES = 16  # up to this many reported files, the model before each is stored too
MAX_STATES = 64  # schema models kept per configuration (the last two of each history)
MAX_RUNS = 32  # run entries kept per configuration
MAX_INDEXES = 4  # configurations kept (the oldest index and its models are removed)
SMALL_FILE = 1 << 20  # aux files above this size are stamped by size and mtime

LintFn = Callable[..., "LintResult"]


# a file list's whole result is stored when the trees it is linted from hold at most this
# many files per named file, and this many more (``files_run_key``)
LIST_TREE_FACTOR = 2
LIST_TREE_SLACK = 64


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


def _file_stamp(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return f"{path}:missing"
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def _package_files(module: str) -> list[str]:
    """The source files of *module*'s package (all of them, imported or not)."""
    mod = sys.modules.get(module)
    path = getattr(mod, "__file__", None)
    if not path:
        return []
    if os.path.basename(path) != "__init__.py":
        return [path]
    out: list[str] = []
    for root, dirs, files in os.walk(os.path.dirname(path)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        out.extend(os.path.join(root, f) for f in sorted(files) if f.endswith(".py"))
    return out


def config_key(rules: Sequence[Rule], settings: Settings) -> str:
    """Hash of everything except the inputs that a file's findings depend on."""
    modules = sorted({"linter", *(type(r).__module__ for r in rules)})
    stamped: set[str] = set()
    walked: set[str] = set()  # (each of sqlsafe's own packages is walked once)
    for module in modules:
        top = module.split(".", 1)[0]
        if top in walked:
            continue
        files = _package_files(top) if top in ("linter", "pglast_rules") else []
        if files:
            walked.add(top)
        stamped.update(_file_stamp(f) for f in (files or _package_files(module)))
    version = {m: str(getattr(sys.modules.get(m), "__version__", "")) for m in modules}
    payload = {
        "format": CACHE_FORMAT,
        "version": __version__,
        "rules": [(r.name, r.code, type(r).__module__, type(r).__qualname__) for r in rules],
        "modules": sorted(set(stamped)),
        "module_versions": sorted(version.items()),
        "settings": [(f.name, _canonical(getattr(settings, f.name))) for f in fields(settings)],
    }
    return hashlib.blake2b(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _source_stamp(source: Source | SourceError) -> bytes:
    if isinstance(source, SourceError):
        return f"error\0{source.path}\0{source.reason}".encode()
    meta = repr(replace(source, text=""))
    return meta.encode() + b"\0" + source.text.encode("utf-8", "surrogatepass")


def chain_keys(
    sources: Sequence[Source | SourceError], base: str, edited: Collection[str]
) -> list[bytes]:
    """The chain hash after each source (it covers the source and all before it)."""
    chain = hashlib.blake2b(base.encode(), digest_size=20)
    out: list[bytes] = []
    for source in sources:
        flags = f"\0{source.path in edited}\0".encode()
        chain.update(hashlib.blake2b(_source_stamp(source) + flags, digest_size=20).digest())
        out.append(chain.digest())
    return out


def entry_keys(
    sources: Sequence[Source | SourceError],
    base: str,
    report: Collection[str] | None,
    edited: Collection[str],
) -> dict[str, str]:
    """path -> key for each reported file: the chain hash after its last unit."""
    keys: dict[str, str] = {}
    for source, key in zip(sources, chain_keys(sources, base, edited), strict=True):
        if isinstance(source, Source) and (report is None or source.path in report):
            keys[source.path] = key.hex()
    return keys


# -------------------------------------------------------------------------- findings
def _encode(finding: Finding) -> tuple[Any, ...]:
    return (
        finding.path,
        finding.line,
        finding.column,
        finding.end_line,
        finding.end_column,
        finding.rule,
        finding.code,
        finding.severity.value,
        finding.message,
        finding.help,
        finding.statement,
        finding.sql,
        finding.deferred,
    )


_SEVERITIES = {s.value: s for s in Severity}


def _decode_all(encoded: Any) -> list[Finding]:
    """Findings from :func:`_encode` tuples; ``ValueError``/``KeyError`` when malformed."""
    from ..analysis.engine import Finding

    out: list[Finding] = []
    for data in encoded:
        path, line, col, end_line, end_col, rule, code, sev, message, help_, stmt, sql, wanted = (
            data
        )
        if not (isinstance(path, str) and isinstance(message, str) and isinstance(line, int)):
            raise ValueError("malformed finding")
        if wanted is not None:
            table, columns, file = wanted
            wanted = (str(table), tuple(str(c) for c in columns), int(file))
        out.append(
            Finding(
                path,
                line,
                col,
                end_line,
                end_col,
                rule,
                code,
                _SEVERITIES[sev],
                message,
                help_,
                stmt,
                sql,
                wanted,
            )
        )
    return out


def _encode_error(error: SourceError) -> tuple[str, str]:
    return (error.path, error.reason)


def _decode_error(data: Any) -> SourceError:
    if not (isinstance(data, tuple) and len(data) == 2 and all(isinstance(v, str) for v in data)):
        raise ValueError("malformed error")
    return SourceError(data[0], data[1])


# -------------------------------------------------------------------------- run keys
Tree = tuple[list[tuple[str, bool]], list[tuple[str, str]]]  # (path, content hashed), unreadable


def _tree_files(root: str) -> Tree:
    """The files of *root* that file discovery reads, sorted, each with whether its
    content is hashed (or its stamp: a large layout file), and the directories that could
    not be listed, with the reason."""
    found: list[tuple[str, bool]] = []
    unreadable: list[tuple[str, str]] = []
    for entry in scan_tree(root, unreadable=unreadable):
        name = entry.name
        try:
            if entry.is_dir(follow_symlinks=False):
                continue
            if name.endswith(SOURCE_SUFFIXES):
                found.append((entry.path, True))
            elif name in AUX_NAMES or name.endswith(".conf"):
                found.append((entry.path, entry.stat().st_size <= SMALL_FILE))
        except OSError:
            continue
    found.sort()
    return found, unreadable


def _digest_tree(root: str, h: Any, tree: Tree | None = None) -> None:
    """Feed *h* with every file of *root* that file discovery reads (*tree*, when already
    listed: :func:`_tree_files`), in a stable order."""
    found, unreadable = tree if tree is not None else _tree_files(root)
    for current, why in unreadable:
        h.update(f"\0unreadable\0{current}\0{why}".encode("utf-8", "surrogateescape"))
    for path, content in found:
        h.update(b"\0" + path.encode("utf-8", "surrogateescape") + b"\0")
        if content:
            _digest_file(path, h)
        else:
            h.update(_file_stamp(path).encode("utf-8", "surrogateescape"))


def _digest_file(path: str, h: Any) -> None:
    try:
        h.update(hashlib.blake2b(read_regular(path), digest_size=20).digest())
    except OSError as exc:  # (a FIFO or a device is not read: NotRegularFile)
        h.update(f"\0error {exc.errno} {exc}".encode("utf-8", "surrogateescape"))


def run_key(
    base: str, paths: Sequence[str], context: Sequence[str], extra: Sequence[object]
) -> str | None:
    """Key of a whole run over the directories *paths* (with the history and schema files
    or directories *context*), or ``None`` when a file or stdin is named (the per-file
    cache still applies)."""
    h = hashlib.blake2b(base.encode(), digest_size=20)
    h.update(repr((os.getcwd(), tuple(paths), tuple(context), tuple(extra))).encode())
    for path in paths:
        if path == "-" or not os.path.isdir(path):
            return None
    for path in (*paths, *context):
        _digest_path(path, h)
    return h.hexdigest()


def _digest_path(path: str, h: Any) -> None:
    """Feed *h* with the name of *path* and the tree, file or absence it names."""
    h.update(b"\0path\0" + os.path.abspath(path).encode("utf-8", "surrogateescape"))
    if os.path.isdir(path):
        _digest_tree(path, h)
    elif os.path.isfile(path):
        _digest_file(path, h)
    else:
        h.update(b"\0missing")


def files_run_key(
    base: str,
    paths: Sequence[str],
    roots: Iterable[str],
    context: Sequence[str],
    extra: Sequence[object],
) -> str | None:
    """Key of a whole run over the files *paths* (none a directory or standard input), whose
    output depends on nothing else than them, the trees of the directories *roots* and
    the files and directories *context* (see :func:`run_key`): the key a file list
    (``lint f1 ... fN``) is answered by as its directory is. Each named file's content is
    hashed once: through the tree that holds it, or alone.

    ``None`` when the trees hold more than :data:`LIST_TREE_FACTOR` files per named file
    (and :data:`LIST_TREE_SLACK` more): a file named alone in a large tree (a repository's
    root, a long history) is answered by the per-file cache, which reads only its history,
    rather than by hashing the whole tree."""
    trees: dict[str, Tree] = {}
    for root in sorted({os.path.abspath(r) for r in roots}, key=lambda r: (len(r), r)):
        parent, current = os.path.dirname(root), root
        while parent != current and parent not in trees:  # (inside a tree hashed whole?)
            parent, current = os.path.dirname(parent), parent
        if parent not in trees:
            trees[root] = _tree_files(root)
    if sum(len(f) for f, _ in trees.values()) > LIST_TREE_FACTOR * len(paths) + LIST_TREE_SLACK:
        return None
    h = hashlib.blake2b(base.encode(), digest_size=20)
    h.update(repr((os.getcwd(), "files", tuple(paths), tuple(context), tuple(extra))).encode())
    covered: set[str] = set()
    for root, tree in trees.items():
        h.update(b"\0tree\0" + root.encode("utf-8", "surrogateescape"))
        _digest_tree(root, h, tree)
        covered.update(path for path, content in tree[0] if content)
    cwd = os.getcwd()
    for path in paths:
        absolute = os.path.normpath(os.path.join(cwd, path))  # (``abspath``, one getcwd)
        h.update(b"\0file\0" + absolute.encode("utf-8", "surrogateescape"))
        if absolute in covered:
            continue
        if os.path.isfile(path):
            _digest_file(path, h)
        else:
            h.update(b"\0missing")
    for path in context:
        _digest_path(path, h)
    return h.hexdigest()


# -------------------------------------------------------------------------- the cache
@dataclass(slots=True)
class _Plan:
    """One history: its chain keys, what the cache answered, where linting resumes."""

    items: list[Source | SourceError]
    keys: list[bytes]
    reported: list[bool]
    start: int  # the first position to lint again (len(items): none)
    schema: Schema | None  # the model before ``items[start]``
    result: LintResult  # the cached results of ``items[:start]``
    final: Schema | None = None  # the model after the last item, once linted here
    # positions just before a reported file, when few are reported (a file named alone,
    # standard input in its directory: the next run, its text changed, resumes there)
    marks: frozenset[int] = frozenset()

    def keep(self, position: int) -> bool:
        """Whether to store the model after ``items[start + position]``."""
        at = self.start + position
        return at >= len(self.items) - 2 or (at + 1) % CHECKPOINT_EVERY == 0 or at in self.marks


@dataclass(slots=True)
class _Index:
    """What one configuration's index file holds."""

    entries: dict[bytes, tuple[Any, ...]]  # chain key -> encoded findings of that file
    states: dict[bytes, str]  # chain key -> file holding the schema model after it
    runs: dict[str, tuple[Any, ...]]  # run key -> (chain keys, files, errors)


@record
class ResultCache:
    directory: Path
    # the index this object last read or wrote, per configuration: one run reads and
    # writes it several times (run lookup, per-file results, the run entry)
    _held: dict[str, _Index] = field(default_factory=dict, compare=False, repr=False)

    def _index_file(self, base: str) -> Path:
        return self.directory / f"index-{base[:40]}.bin"

    def _state_file(self, name: str) -> Path:
        return self.directory / name

    # -- reading and writing ----------------------------------------------------------
    def _load(self, base: str) -> _Index:
        held = self._held.get(base)
        if held is not None:
            return held
        index = self._read(base)
        self._held[base] = index
        return index

    def _read_sealed(self, target: Path) -> Any:
        """The data stored in *target* by :meth:`_write`; ``ValueError`` when its checksum
        does not match (see :mod:`linter.output.checksum`), ``OSError`` when it cannot be read."""
        payload = unseal(target.read_bytes())
        if payload is None:
            raise ValueError(f"{target}: checksum mismatch")
        return marshal.loads(payload)

    def _read(self, base: str) -> _Index:
        empty = _Index({}, {}, {})
        try:
            data = self._read_sealed(self._index_file(base))
        except (OSError, ValueError, EOFError, TypeError):
            return empty
        if not (
            isinstance(data, tuple)
            and len(data) == 5
            and data[0] == CACHE_FORMAT
            and data[1] == base
            and all(isinstance(d, dict) for d in data[2:])
        ):
            return empty
        return _Index(data[2], data[3], data[4])

    def _write(self, target: Path, payload: bytes) -> None:
        """Store *payload* in *target* behind its checksum, atomically."""
        payload = seal(payload)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            ignore = self.directory / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# created by sqlsafe\n*\n", encoding="utf-8")
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
            os.replace(tmp, target)
        except OSError:
            pass  # a read-only or full disk only costs speed

    def _store(self, base: str, index: _Index) -> None:
        self._held[base] = index
        payload = marshal.dumps((CACHE_FORMAT, base, index.entries, index.states, index.runs))
        self._write(self._index_file(base), payload)

    def _load_state(self, name: str) -> Schema | None:
        from ..lockmodel.schema import schema_from_data

        try:
            return schema_from_data(self._read_sealed(self._state_file(name)))
        except (OSError, ValueError, EOFError, TypeError):
            return None

    # -- whole runs ---------------------------------------------------------------------
    def base_key(self, rules: Sequence[Rule], settings: Settings) -> str:
        return config_key(rules, settings)

    def load_run(self, base: str, key: str) -> LintResult | None:
        """The result of an identical earlier run (see :func:`run_key`), if stored."""
        from ..analysis.engine import LintResult

        index = self._load(base)
        run = index.runs.get(key)
        if run is None:
            return None
        try:
            chain, files, errors, dropped, *rest = run
            result = LintResult(files=int(files))
            result.notes = [str(n) for n in rest[0]] if rest else []
            for k in chain:
                result.findings.extend(_decode_all(index.entries[k]))
            result.findings = without(result.findings, (int(i) for i in dropped))
            result.errors = [_decode_error(e) for e in errors]
        except (TypeError, ValueError, KeyError):
            return None
        return result

    def store_run(
        self,
        base: str,
        key: str,
        result: LintResult,
        chain: Sequence[bytes],
        dropped: Sequence[int] = (),
    ) -> None:
        """Remember that the run *key* reported the files *chain* (already stored), less
        the findings at positions *dropped* among theirs (see :meth:`lint_histories`)."""
        index = self._load(base)
        if any(k not in index.entries for k in chain):
            return
        runs = {k: v for k, v in index.runs.items() if k != key}
        while len(runs) >= MAX_RUNS:
            runs.pop(next(iter(runs)))
        runs[key] = (
            tuple(chain),
            result.files,
            tuple(_encode_error(e) for e in result.errors),
            tuple(dropped),
            tuple(result.notes),
        )
        index.runs = runs
        self._store(base, index)

    # -- histories ------------------------------------------------------------------------
    def lint_histories(
        self,
        histories: Sequence[Sequence[Source | SourceError]],
        rules: Sequence[Rule],
        settings: Settings,
        *,
        report: Iterable[str] | None = None,
        edited: Collection[str] = (),
        lint: LintFn | None = None,
        base: str | None = None,
        reported_chain: list[bytes] | None = None,
        dropped: list[int] | None = None,
        **kwargs: Any,
    ) -> LintResult:
        """``engine.lint_histories`` with per-file results served from and stored in the
        cache: one result for all the *histories*, in order.

        In each history, files from the first one whose result is missing are linted
        again, starting from the last stored schema model before it.  *reported_chain*,
        when given, receives the chain keys of the reported files (what
        :meth:`store_run` records) and *dropped* the positions, among their stored
        findings, of those a later migration answers (``linter.state.deferred``: the stored
        per-file findings are the ones before that).  *lint* replaces
        ``engine.lint_sources`` (one call per history; for tests).
        """
        from ..analysis.engine import History, lint_histories, merge_results

        wanted = None if report is None else frozenset(report)
        edited_set = frozenset(edited)
        base = base or config_key(rules, settings)
        index = self._load(base)
        plans = [self._plan(list(items), base, wanted, edited_set, index) for items in histories]
        todo = [plan for plan in plans if plan.start < len(plan.items)]
        if lint is not None:
            fresh = [
                lint(
                    plan.items[plan.start :],
                    rules,
                    settings,
                    report=wanted,
                    edited=edited_set,
                    schema=plan.schema,
                    keep_models=plan.keep,
                    resolve=False,
                    **kwargs,
                )
                for plan in todo
            ]
        else:
            fresh = lint_histories(
                [History(p.items[p.start :], p.schema, p.keep) for p in todo],
                rules,
                settings,
                report=wanted,
                edited=edited_set,
                resolve=False,
                **kwargs,
            )
        stored = False
        for plan, part in zip(todo, fresh, strict=True):
            stored = self._absorb(base, index, plan, part) or stored
            plan.result = merge_results([plan.result, part])
            plan.final = part.final
        if stored:
            self._trim(base, index, [k for plan in plans for k in plan.keys])
        offset = 0
        for plan in plans:
            if reported_chain is not None:
                reported_chain.extend(k for k, r in zip(plan.keys, plan.reported, strict=True) if r)
            raw = plan.result.findings
            if has_deferred(raw):
                final = plan.final or self._final_model(plan, index)
                if final is None:  # its model was not kept: lint the history again for it
                    final = lint_histories(
                        [History(plan.items)],
                        rules,
                        settings,
                        report=wanted,
                        edited=edited_set,
                        resolve=False,
                    )[0].final
                drop = resolve(raw, final)
                if drop:
                    plan.result.findings = without(raw, drop)
                    if dropped is not None:
                        dropped.extend(offset + i for i in drop)
            offset += len(raw)
        return merge_results([plan.result for plan in plans])

    def _final_model(self, plan: _Plan, index: _Index) -> Schema | None:
        """The stored model after the history's last file, if kept."""
        name = index.states.get(plan.keys[-1]) if plan.keys else None
        return None if name is None else self._load_state(name)

    def _plan(
        self,
        items: list[Source | SourceError],
        base: str,
        wanted: frozenset[str] | None,
        edited: frozenset[str],
        index: _Index,
    ) -> _Plan:
        """What of one history the cache answers, and where linting must resume."""
        from ..analysis.engine import LintResult

        keys = chain_keys(items, base, edited)
        reported = [isinstance(s, Source) and (wanted is None or s.path in wanted) for s in items]
        entries = index.entries
        first_miss = next(
            (i for i, k in enumerate(keys) if reported[i] and k not in entries), len(items)
        )
        # resume from the last stored model before the first miss
        start, schema = 0, None
        if first_miss < len(items):
            kept = uncut(items)  # a down migration is linted after its up, in one run
            for i in range(first_miss - 1, -1, -1):
                if i + 1 in kept:
                    continue
                name = index.states.get(keys[i])
                if name is not None:
                    schema = self._load_state(name)
                    if schema is not None:
                        start = i + 1
                        break
        else:
            start = len(items)
        result = LintResult()
        try:
            for i in range(start):
                source = items[i]
                if isinstance(source, SourceError):
                    result.errors.append(source)
                elif reported[i]:
                    result.files += 1
                    result.findings.extend(_decode_all(entries[keys[i]]))
        except (TypeError, ValueError, KeyError):
            start, schema, result = 0, None, LintResult()
        named = [i for i, r in enumerate(reported) if r]
        few = len(named) <= MARKED_FILES and len(named) < len(items)
        marks = frozenset(i - 1 for i in named) if few else frozenset()
        return _Plan(items, keys, reported, start, schema, result, marks=marks)

    def _absorb(self, base: str, index: _Index, plan: _Plan, fresh: LintResult) -> bool:
        """Add the findings and models of a history linted from ``plan.start`` to *index*
        (the model files are written now, the index later); False if it cannot."""
        from ..lockmodel.schema import schema_to_data

        items, keys, start = plan.items, plan.keys, plan.start
        if len(fresh.ends) != len(items) - start:
            return False  # a custom lint function that does not report its progress
        begin = 0
        for i, end in zip(range(start, len(items)), fresh.ends, strict=True):
            if plan.reported[i]:
                index.entries[keys[i]] = tuple(_encode(f) for f in fresh.findings[begin:end])
            begin = end
        for position, model in fresh.models.items():
            key = keys[start + position]
            name = f"state-{base[:16]}-{key.hex()[:40]}.bin"
            self._write(self._state_file(name), marshal.dumps(schema_to_data(model)))
            index.states[key] = name
        return True

    def _trim(self, base: str, index: _Index, keys: Sequence[bytes]) -> None:
        """Bound the index (entries of other histories and old models go first), store
        it, and remove old configurations."""
        if len(index.entries) > 4 * max(len(keys), 1000):  # keep the file bounded
            current = set(keys)
            index.entries = {k: v for k, v in index.entries.items() if k in current}
        while len(index.states) > MAX_STATES:
            old = next(iter(index.states))
            try:
                self._state_file(index.states.pop(old)).unlink()
            except OSError:
                pass
        self._store(base, index)
        self._collect(base)

    def _collect(self, base: str) -> None:
        """Remove the oldest configurations' files beyond :data:`MAX_INDEXES`."""
        try:
            indexes = sorted(self.directory.glob("index-*.bin"), key=lambda p: p.stat().st_mtime_ns)
            for old in indexes[: max(0, len(indexes) - MAX_INDEXES)]:
                prefix = old.name[len("index-") :][:16]
                if prefix == base[:16]:
                    continue
                for state in self.directory.glob(f"state-{prefix}-*.bin"):
                    state.unlink()
                old.unlink()
        except OSError:
            pass
