"""Work grows linearly with the input (issue 11 §3); the generator of bench/scaling.py runs.

No wall-clock assertion here: the work of linting is counted as Python function calls
(deterministic for a given input), and a change of the schema model as the memory it
allocates. ``python bench/scaling.py`` times the full-size inputs.
"""

from __future__ import annotations

import gc
import importlib.util
import io
import subprocess
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any
from unittest.mock import patch

import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from linter.analysis.engine import lint_sql
from linter.analysis.registry import load_rules
from linter.lockmodel.schema import Column, Table
from linter.sql import parsing
from linter.sql.parsing import parse
from linter.state.lookahead import LookAhead
from linter.util.pmap import PMap

RULES = load_rules()


def _scaling() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_scaling", REPO / "bench/scaling.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCALING = _scaling()


def _text(case: str, size: int) -> str:
    make: Callable[[int], Iterator[str]] = SCALING.CASES[case][0]
    return "".join(make(size))


def _calls(sql: str) -> int:
    """Python and C function calls made while linting *sql* (a measure of work)."""
    count = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        lint_sql(sql, RULES)
    finally:
        sys.setprofile(None)
    return count


def test_the_generator_runs_every_case_at_a_tiny_size() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench/scaling.py"), "--tiny", "--scales", "1,2"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    rows = [line.split(" | ") for line in done.stdout.splitlines() if line.startswith("| ")]
    assert [(r[0], r[1]) for r in rows[1:]] == [
        (f"| {case}", scale) for case in SCALING.CASES for scale in ("1x", "2x")
    ]
    assert all(r[4].endswith(" s") and r[5].endswith(" MB") for r in rows[1:])


def test_the_generator_refuses_bad_scales() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench/scaling.py"), "--scales", "0,x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--scales" in done.stderr


@pytest.mark.parametrize(
    "case", ["fk-tables", "add-column", "drop-constraint", "drop-default", "rename-table"]
)
def test_every_generated_statement_parses(case: str) -> None:
    findings = lint_sql(_text(case, 20), RULES)
    assert not [f for f in findings if f.rule == "syntax-error"]


def _renames(count: int) -> str:
    """A table with *count* columns, then a RENAME COLUMN of each (rename-column asked,
    per rename, whether an earlier statement of the file added the column)."""
    columns = ", ".join(f"c{i} int" for i in range(count))
    renames = "".join(f"ALTER TABLE t RENAME COLUMN c{i} TO d{i};\n" for i in range(count))
    return f"CREATE TABLE t (id bigint, {columns});\n{renames}"


def _fk_changes(statement: str, count: int) -> str:
    """*count* tables in a chain of foreign keys, then *statement* on each (what the far
    end of a key each changes locks is looked up, not found by a walk over every table)."""
    tables = "CREATE TABLE t0 (id bigint PRIMARY KEY);\n" + "".join(
        f"CREATE TABLE t{i} (id bigint PRIMARY KEY, "
        f"parent_id bigint REFERENCES t{i - 1} (id), name varchar(10));\n"
        for i in range(1, count)
    )
    return tables + "".join(statement.format(i=i) for i in range(1, count))


_LOCAL = {
    "rename-column": _renames,
    "fk-renames": partial(_fk_changes, "ALTER TABLE t{i} RENAME TO u{i};\n"),
    "fk-retypes": partial(_fk_changes, "ALTER TABLE t{i} ALTER COLUMN id TYPE numeric;\n"),
}


@pytest.mark.parametrize(
    ("case", "size"),
    [
        ("fk-renames", 100),
        ("fk-retypes", 100),
        ("fk-tables", 100),
        ("add-column", 100),
        ("in-list", 20_000),
        ("case", 20_000),
        ("rename-column", 100),
        ("drop-constraint", 100),
        ("drop-default", 100),
        ("rename-table", 100),
    ],
)
def test_linting_work_grows_linearly(case: str, size: int) -> None:
    """4x the input costs about 4x the calls."""
    make = _LOCAL.get(case) or partial(_text, case)
    small, large = _calls(make(size)), _calls(make(4 * size))
    assert large / small < 5, (small, large)


def test_adding_a_column_to_a_wide_table_does_not_copy_its_columns() -> None:
    table = Table("public.wide", 0)
    for i in range(20_000):
        table = table.with_column(Column(f"c{i}"))
    tracemalloc.start()
    try:
        wider = table.with_column(Column("one_more"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64_000  # a copy of the 20,000 columns' map takes ~600 kB
    assert list(wider.columns)[-1] == "one_more" and "one_more" not in table.columns
    assert len(wider.columns) == 20_001 and len(table.columns) == 20_000


def test_the_look_ahead_indexes_what_later_statements_create() -> None:
    parsed = parse(
        "CREATE INDEX a_early ON a (x);\n"  # 0
        "CREATE TABLE b (id int REFERENCES a (id));\n"  # 1
        "CREATE INDEX a_part ON a (x, y) WHERE x IS NOT NULL;\n"  # 2
        "ALTER TABLE a ADD CONSTRAINT a_u UNIQUE (y), ADD COLUMN c int;\n"  # 3
        "ALTER TABLE a ADD PRIMARY KEY (id), ADD CONSTRAINT c CHECK (x > 0);\n"  # 4
        "CREATE INDEX b_x ON b (x);\n"  # 5
        "ALTER TABLE b ADD COLUMN c int;\n"  # 6
        "ALTER TABLE a DROP COLUMN c, ADD COLUMN c text;\n"  # 7
    )
    ahead = LookAhead(parsed.statements)
    assert list(ahead.indexes_after("public.a", 1)) == [
        (2, ("x", "y"), True, ("x",)),
        (3, ("y",), False, ()),
        (4, ("id",), False, ()),
    ]
    assert list(ahead.indexes_after("public.a", 3)) == [(4, ("id",), False, ())]
    assert list(ahead.indexes_after("public.b", 5)) == []
    assert list(ahead.indexes_after("public.c", 0)) == []
    # where a column was first added
    assert ahead.column_added_at("public.a", "c") == 3
    assert ahead.column_added_at("public.b", "c") == 6
    assert ahead.column_added_at("public.a", "x") == -1


def test_thinning_long_in_lists_and_case_branches_keeps_every_finding() -> None:
    history = ("CREATE TABLE accounts (id bigint PRIMARY KEY, plan text, disabled bool);",)
    sql = "\n".join(
        [
            "BEGIN;",
            "ALTER TABLE accounts ADD COLUMN tier text;",
            _text("case", 60_000).replace("WHEN 1000007 THEN", "WHEN 1000007 THEN now()::text ||"),
            _text("in-list", 60_000),
            "DELETE FROM accounts WHERE id NOT IN (" + ", ".join(map(str, range(9_000))) + ");",
            "CREATE INDEX accounts_tier ON accounts (tier);",
            "COMMIT;",
        ]
    )
    assert len(sql) > parsing.THIN_FROM
    blanked = sum(a != b for a, b in zip(sql, parsing._thin_lists(sql), strict=True))
    assert blanked > 120_000  # most of the three lists
    thinned = lint_sql(sql, RULES, history=history)
    with patch.object(parsing, "THIN_FROM", len(sql)):
        whole = lint_sql(sql, RULES, history=history)
    assert [(f.rule, f.line, f.column, f.message) for f in thinned] == [
        (f.rule, f.line, f.column, f.message) for f in whole
    ]
    assert {"unbatched-backfill", "non-concurrent-index"} <= {f.rule for f in thinned}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 90), max_size=80, unique=True),
    st.integers(0, 90),
    st.integers(0, 90),
)
def test_renaming_a_key_of_a_persistent_map_keeps_dict_order(
    keys: list[int], old: int, new: int
) -> None:
    """``PMap.rename`` (what RENAME COLUMN now uses) orders keys as the dict it replaced."""
    plain = {f"k{k}": k for k in keys}
    persistent = PMap(plain)
    renamed = persistent.rename(f"k{old}", f"k{new}", -1)
    if f"k{old}" in plain:
        expected = {(f"k{new}" if k == f"k{old}" else k): v for k, v in plain.items()}
        expected[f"k{new}"] = -1
    else:
        expected = plain
    assert list(renamed.items()) == list(expected.items()) and len(renamed) == len(expected)
    assert dict(persistent) == plain  # unchanged
    assert list(renamed.set("extra", 0).items())[-1] == ("extra", 0)


def _peak(sql: str) -> int:
    """The most memory (bytes, Python's allocations) that linting *sql* held at once."""
    tracemalloc.start()
    try:
        lint_sql(sql, RULES)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(("case", "size"), [("fk-tables", 300), ("add-column", 800)])
def test_peak_memory_is_a_small_multiple_of_a_statement_heavy_input(case: str, size: int) -> None:
    """Every statement's decoded tree held to the end of the file took ~200 times the
    input; now one statement's tree at a time, and the schema model and findings remain
    (~25x for these: a finding per statement or a table per statement)."""
    small, large = _text(case, size), _text(case, 4 * size)
    with patch.object(parsing, "LAZY_FROM", 30_000):  # (smaller inputs: a quicker test)
        assert len(small) > parsing.LAZY_FROM
        peak_small, peak_large = _peak(small), _peak(large)
    assert peak_large < 40 * len(large), (peak_large, len(large))
    assert peak_large / peak_small < 5, (peak_small, peak_large)


_LAZY_INPUTS: dict[str, Callable[[int], str]] = {
    "drop-column": lambda n: (
        "BEGIN;\n"
        + "".join(f"ALTER TABLE accounts DROP COLUMN c{i};\n" for i in range(n))
        + "COMMIT;\n"
    ),
    "transactions": lambda n: "".join(
        f"BEGIN;\nUPDATE accounts SET c = {i} WHERE id = {i};\nCOMMIT;\n" for i in range(n)
    ),
    "drop-view": lambda n: "".join(f"DROP VIEW v{i};\n" for i in range(n)),
    **{case: partial(_text, case) for case in SCALING.CASES if case not in ("in-list", "case")},
}


@pytest.mark.parametrize("case", sorted(_LAZY_INPUTS))
def test_a_file_parsed_lazily_is_still_linted_in_linear_work(case: str) -> None:
    """With every statement decoded when read, a rule that walks the file from its start
    for each statement decodes the whole file again each time."""
    make = _LAZY_INPUTS[case]
    with patch.multiple(parsing, LAZY_FROM=0, _KEEP=0):
        small, large = _calls(make(60)), _calls(make(240))
    assert large / small < 5, (small, large)


def test_the_cli_lints_with_fewer_garbage_collections(tmp_path: Path) -> None:
    """The collector's full passes over the schema model cost a third of the time at
    20,000 tables; the CLI slows it down while linting, the library API does not."""
    from linter import api
    from linter.api import lint_paths
    from linter.cli import main
    from linter.util import collector

    seen: list[tuple[int, ...]] = []

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.get_threshold())
        return lint_paths(*args, **kwargs)

    (tmp_path / "one.sql").write_text("CREATE TABLE t (id bigint);\n", encoding="utf-8")
    before = gc.get_threshold()
    with patch.object(api, "lint_paths", recording):  # (the lint command imports it when run)
        code = main(["lint", "--no-cache", "--format", "gcc", str(tmp_path / "one.sql")])
    assert code == 0 and seen == [collector.LINT_THRESHOLDS]
    assert gc.get_threshold() == before != collector.LINT_THRESHOLDS
    lint_sql("CREATE TABLE t (id bigint);", RULES)
    assert gc.get_threshold() == before


def test_the_gcc_report_of_many_findings_is_written_in_pieces() -> None:
    """Building the whole report as one string (then joined, then with its newline) held
    three copies of it: ~15 times the input of a file with a finding per statement."""
    from linter.analysis.engine import LintResult
    from linter.output.reporters import get_reporter

    findings = lint_sql(_text("add-column", 3_000), RULES)
    writes: list[int] = []

    class Recorded(io.StringIO):
        def write(self, text: str) -> int:
            writes.append(len(text))
            return super().write(text)

    out = Recorded()
    get_reporter("gcc").report(LintResult(findings=findings), RULES, out)
    assert len(out.getvalue().splitlines()) == len(findings) == 3_000
    assert max(writes) < len(out.getvalue()) / 2
