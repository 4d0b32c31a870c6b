"""Helpers shared by the CI reporters: rule lookup, portable paths, stable fingerprints."""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator

from ...analysis.engine import Finding
from ...rule import Rule

_SPACE = re.compile(r"\s+")


def rules_by_name(rules: Iterable[Rule]) -> dict[str, Rule]:
    return {r.name: r for r in rules}


def posix_path(path: str) -> str:
    """The path with forward slashes (what CI systems and SARIF URIs expect)."""
    return path.replace(os.sep, "/") if os.sep != "/" else path


def normalise_sql(sql: str) -> str:
    """Statement text with runs of whitespace collapsed: robust to re-indentation."""
    return _SPACE.sub(" ", sql).strip()


def fingerprints(findings: Iterable[Finding]) -> Iterator[tuple[Finding, str]]:
    """A stable id per finding: rule, path, statement text (not the line) and occurrence."""
    seen: Counter[str] = Counter()
    for f in findings:
        key = "\0".join((f.rule, posix_path(f.path), normalise_sql(f.sql or f.message)))
        seen[key] += 1
        digest = hashlib.sha256(f"{key}\0{seen[key]}".encode()).hexdigest()
        yield f, digest
