"""Baselines: record today's findings so that only new ones fail the run.

A finding is matched by rule, path (relative to the baseline file) and the statement's
text with whitespace normalised, never by line number: edits above a recorded finding do
not bring it back.  Identical statements are counted, so a second copy of a recorded
hazard is still reported.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from ..analysis.engine import Finding
from ..util.atomic import write_file
from ..util.records import record

FORMAT_VERSION = 1


class BaselineError(Exception):
    """The baseline file cannot be read or is not a sqlsafe baseline."""


def _normalise(sql: str) -> str:
    return " ".join(sql.split())


def _rel(path: str, base: Path) -> str:
    if path.startswith("<"):  # <stdin> and other pseudo paths
        return path
    try:
        rel = os.path.relpath(os.path.abspath(path), base)
    except ValueError:
        rel = os.path.abspath(path)
    return rel.replace(os.sep, "/")


def finding_key(finding: Finding, base: Path) -> tuple[str, str, str]:
    return (finding.rule, _rel(finding.path, base), _normalise(finding.sql or finding.message))


@record
class Baseline:
    base: Path  # directory the recorded paths are relative to
    counts: Counter[tuple[str, str, str]]

    def filter(self, findings: Iterable[Finding]) -> tuple[list[Finding], int]:
        """The findings not in the baseline, and how many were matched (hidden)."""
        left = Counter(self.counts)
        new: list[Finding] = []
        hidden = 0
        for f in findings:
            key = finding_key(f, self.base)
            if left[key] > 0:
                left[key] -= 1
                hidden += 1
            else:
                new.append(f)
        return new, hidden


def check_writable(path: Path) -> None:
    """Refuse to write a baseline over anything but an earlier baseline (a migration named
    by mistake in FILE's place, say)."""
    if path.suffix.lower() == ".sql":
        raise BaselineError(
            f"{path}: looks like a migration; the baseline is a JSON file "
            "(such as sqlsafe-baseline.json)"
        )
    if not path.exists() or (path.is_file() and path.stat().st_size == 0):
        return
    try:
        load_baseline(path)
    except BaselineError as exc:
        raise BaselineError(
            f"{path}: exists and is not a sqlsafe baseline; not overwritten ({exc})"
        ) from exc


def write_baseline(path: Path, findings: Iterable[Finding]) -> int:
    base = path.resolve().parent
    counts = Counter(finding_key(f, base) for f in findings)
    entries = [
        {"rule": rule, "path": p, "sql": sql, "count": n}
        for (rule, p, sql), n in sorted(counts.items())
    ]
    document = {"sqlsafe-baseline": FORMAT_VERSION, "findings": entries}
    # all or nothing, through a temporary file of its own (linter.util.atomic); a baseline that
    # is a symlink stays one
    write_file(path, (json.dumps(document, indent=2) + "\n").encode("utf-8"))
    return sum(counts.values())


def load_baseline(path: Path) -> Baseline:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BaselineError(
            f"{path}: no such baseline file (create it with `sqlsafe baseline write {path}`)"
        ) from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc}") from exc
    if not isinstance(data, dict) or data.get("sqlsafe-baseline") != FORMAT_VERSION:
        raise BaselineError(f"{path}: not a sqlsafe baseline (version {FORMAT_VERSION})")
    entries = data.get("findings", [])
    if not isinstance(entries, list):
        raise BaselineError(f"{path}: `findings` must be a list")
    counts: Counter[tuple[str, str, str]] = Counter()
    for i, entry in enumerate(entries):
        try:
            key = (str(entry["rule"]), str(entry["path"]), str(entry["sql"]))
            counts[key] += int(entry.get("count", 1))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BaselineError(f"{path}: entry {i} is malformed ({exc!r})") from exc
    return Baseline(path.resolve().parent, counts)
