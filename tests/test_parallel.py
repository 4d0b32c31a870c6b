"""Linting a large history in two processes gives exactly the sequential result."""

from __future__ import annotations

import pickle
import sys

import pytest

import linter.analysis.engine
from linter.analysis.engine import History, lint_histories, lint_sources
from linter.analysis.registry import load_rules
from linter.inputs.source import Source, SourceError
from linter.lockmodel.schema import Schema
from linter.state.context import Settings

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
    monkeypatch.setattr(linter.analysis.engine, "PARALLEL_MIN_CHARS", 100)
    monkeypatch.setattr(linter.analysis.engine, "PARALLEL_MIN_SOURCES", 2)


def test_two_processes_equal_one(small_threshold: None) -> None:
    sources = _history()
    keep = lambda i: i % 10 == 0  # noqa: E731
    one = lint_sources(sources, RULES, Settings(), jobs=1, keep_models=keep)
    two = lint_sources(sources, RULES, Settings(), jobs=2, keep_models=keep)
    assert linter.analysis.engine._split_point(sources, False, 2) is not None
    assert one.findings and two.findings == one.findings
    assert (two.files, two.errors, two.ends) == (one.files, one.errors, one.ends)
    assert two.models == one.models and len(one.models) == 7


def test_a_failing_child_falls_back(small_threshold: None, monkeypatch: pytest.MonkeyPatch) -> None:
    sources = _history()
    expected = lint_sources(sources, RULES, Settings(), jobs=1).findings

    def broken_fold(self: object, *a: object) -> tuple[Schema, list[tuple[int, int]]]:
        raise RuntimeError("boom")

    monkeypatch.setattr(linter.analysis.engine._Job, "fold", broken_fold)
    assert lint_sources(sources, RULES, Settings(), jobs=2).findings == expected


def test_small_inputs_stay_in_one_process() -> None:
    assert linter.analysis.engine._split_point(_history(), False, 2) is None  # below 1 MB
    assert linter.analysis.engine._split_point(_history(), True, 2) is None


def _histories() -> list[History]:
    base = _history()
    out = []
    for n in range(5):
        items = [
            Source(f"h{n}/{s.path}", s.text, s.in_transaction, s.apply)
            if isinstance(s, Source)
            else SourceError(f"h{n}/{s.path}", s.reason)
            for s in base[: 10 + 9 * n]
        ]
        out.append(History(items, keep_models=lambda i: i % 4 == 0))
    return out


def test_histories_in_two_processes_equal_one(small_threshold: None) -> None:
    histories = _histories()
    assert linter.analysis.engine._balanced_bins(histories, False, 2) is not None
    one = lint_histories(histories, RULES, Settings(), jobs=1)
    two = lint_histories(histories, RULES, Settings(), jobs=2)
    assert len(one) == len(two) == 5
    for a, b in zip(one, two, strict=True):
        assert a.findings and b.findings == a.findings
        assert (b.files, b.errors, b.ends) == (a.files, a.errors, a.ends)
        assert b.models == a.models and a.models
    # each history is linted on its own: the same files give the same findings
    first = [f.message for f in one[0].findings]
    assert [f.message for f in one[1].findings][: len(first)] == first


def test_histories_child_failure_falls_back(
    small_threshold: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    histories = _histories()
    expected = [r.findings for r in lint_histories(histories, RULES, Settings(), jobs=1)]
    monkeypatch.setattr(pickle, "dumps", _boom)  # the child cannot send its results
    got = [r.findings for r in lint_histories(histories, RULES, Settings(), jobs=2)]
    assert got == expected


def _boom(*args: object, **kwargs: object) -> bytes:
    raise RuntimeError("boom")


def test_one_dominant_history_is_split_instead(small_threshold: None) -> None:
    big = History(_history())
    small = History([Source("x/1.sql", "SELECT 1;")])
    assert linter.analysis.engine._balanced_bins([big, small], False, 2) is None
    assert linter.analysis.engine._balanced_bins([big], False, 2) is None
