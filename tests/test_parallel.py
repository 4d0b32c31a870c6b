"""Linting a large history in two processes gives exactly the sequential result."""

from __future__ import annotations

import sys

import pytest

import linter.engine
from linter.context import Settings
from linter.engine import lint_sources
from linter.registry import load_rules
from linter.schema import Schema
from linter.source import Source, SourceError

RULES = load_rules(plugins=False)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork: Linux only")


def _history() -> list[Source | SourceError]:
    out: list[Source | SourceError] = [Source("0000.sql", "CREATE TABLE t (a int, b int);")]
    for i in range(1, 60):
        out.append(
            Source(
                f"{i:04d}.sql",
                f"CREATE INDEX i{i} ON t (a);\nALTER TABLE t ADD COLUMN c{i} int NOT NULL;\n"
                f"ALTER TABLE t DROP COLUMN c{i - 1};\nCREATE TABLE n{i} (id int REFERENCES t);",
            )
        )
        if i % 17 == 0:
            out.append(SourceError(f"{i:04d}_bad.sql", "not valid UTF-8"))
            out.append(Source(f"{i:04d}.down.sql", "DROP TABLE t;", apply=False))
    return out


@pytest.fixture
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linter.engine, "PARALLEL_MIN_CHARS", 100)
    monkeypatch.setattr(linter.engine, "PARALLEL_MIN_SOURCES", 2)


def test_two_processes_equal_one(small_threshold: None) -> None:
    sources = _history()
    keep = lambda i: i % 10 == 0  # noqa: E731
    one = lint_sources(sources, RULES, Settings(), jobs=1, keep_models=keep)
    two = lint_sources(sources, RULES, Settings(), jobs=2, keep_models=keep)
    assert linter.engine._split_point(sources, False, 2) is not None
    assert one.findings and two.findings == one.findings
    assert (two.files, two.errors, two.ends) == (one.files, one.errors, one.ends)
    assert two.models == one.models and len(one.models) == 7


def test_a_failing_child_falls_back(small_threshold: None, monkeypatch: pytest.MonkeyPatch) -> None:
    sources = _history()
    expected = lint_sources(sources, RULES, Settings(), jobs=1).findings

    def broken_fold(self: object, *a: object) -> tuple[Schema, list[tuple[int, int]]]:
        raise RuntimeError("boom")

    monkeypatch.setattr(linter.engine._Job, "fold", broken_fold)
    assert lint_sources(sources, RULES, Settings(), jobs=2).findings == expected


def test_small_inputs_stay_in_one_process() -> None:
    assert linter.engine._split_point(_history(), False, 2) is None  # below 1 MB
    assert linter.engine._split_point(_history(), True, 2) is None
