"""Hypothesis: the engine never raises, and its exemptions are invariant under quoting."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linter.analysis.engine import lint_sql
from linter.analysis.registry import load_rules
from linter.state.context import SUPPORTED_VERSIONS, Settings

RULES = load_rules(plugins=False)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

IDENT = st.from_regex(r"[a-z_][a-z0-9_]{0,20}", fullmatch=True).filter(
    lambda s: (
        s
        not in {
            "select",
            "table",
            "index",
            "create",
            "alter",
            "drop",
            "on",
            "to",
            "as",
            "do",
            "is",
            "in",
            "or",
            "and",
            "not",
            "null",
            "from",
            "user",
            "all",
            "end",
            "for",
            "only",
            "with",
            "default",
            "check",
            "primary",
            "references",
            "unique",
            "column",
            "using",
            "where",
            "constraint",
        }
    )
)
TYPES = st.sampled_from(
    [
        "int",
        "bigint",
        "text",
        "varchar(20)",
        "numeric(10,2)",
        "jsonb",
        "timestamptz",
        "boolean",
        "uuid",
        "serial",
        "json",
        "char(3)",
    ]
)


@st.composite
def statements(draw: st.DrawFn) -> str:
    t, c, c2 = draw(IDENT), draw(IDENT), draw(IDENT)
    typ = draw(TYPES)
    options = [
        f"CREATE TABLE {t} ({c} {typ});",
        f"CREATE TABLE IF NOT EXISTS {t} ({c} {typ} NOT NULL, {c2} int REFERENCES x(id));",
        f"CREATE {draw(st.sampled_from(['', 'UNIQUE ']))}INDEX "
        f"{draw(st.sampled_from(['', 'CONCURRENTLY ']))}ON {t} ({c});",
        f"DROP INDEX {draw(st.sampled_from(['', 'CONCURRENTLY ', 'IF EXISTS ']))}{t}_{c};",
        f"ALTER TABLE {t} ADD COLUMN {c} {typ}{draw(st.sampled_from(['', ' NOT NULL', ' DEFAULT 1', ' DEFAULT random()']))};",
        f"ALTER TABLE {t} ALTER COLUMN {c} TYPE {typ};",
        f"ALTER TABLE {t} ALTER COLUMN {c} {draw(st.sampled_from(['SET', 'DROP']))} NOT NULL;",
        f"ALTER TABLE {t} ADD CONSTRAINT {c}_ck CHECK ({c} IS NOT NULL){draw(st.sampled_from(['', ' NOT VALID']))};",
        f"ALTER TABLE {t} VALIDATE CONSTRAINT {c}_ck;",
        f"ALTER TABLE {t} ADD FOREIGN KEY ({c}) REFERENCES {c2}(id){draw(st.sampled_from(['', ' NOT VALID']))};",
        f"ALTER TABLE {t} DROP COLUMN {c};",
        f"DROP TABLE {t};",
        f"ALTER TABLE {t} RENAME TO {c};",
        f"ALTER TABLE {t} RENAME COLUMN {c} TO {c2};",
        draw(
            st.sampled_from(
                [
                    "BEGIN;",
                    "COMMIT;",
                    "ROLLBACK;",
                    "SET lock_timeout = '1s';",
                    "SET LOCAL statement_timeout = 0;",
                    "RESET lock_timeout;",
                ]
            )
        ),
        f"UPDATE {t} SET {c} = 1;",
        f"CREATE INDEX ON {t} ({c}",  # a syntax error
        f"REPACK (CONCURRENTLY) {t};",  # PostgreSQL 19 syntax the parser does not know
        f"VACUUM FULL {t};",
        f"CLUSTER {t} USING {c};",
    ]
    return draw(st.sampled_from(options))


@FAST
@given(st.text(max_size=400))
def test_never_raises_on_arbitrary_text(text: str) -> None:
    lint_sql(text, RULES)


@FAST
@given(
    st.lists(statements(), max_size=12),
    st.lists(statements(), max_size=6),
    st.integers(min_value=SUPPORTED_VERSIONS.start, max_value=SUPPORTED_VERSIONS.stop - 1),
    st.booleans(),
)
def test_never_raises_on_generated_ddl(
    stmts: list[str], history: list[str], version: int, in_tx: bool
) -> None:
    findings = lint_sql(
        "\n".join(stmts),
        RULES,
        Settings(target_version=version, assume_in_transaction=in_tx),
        history=["\n".join(history)],
    )
    for f in findings:
        assert f.line >= 1 and f.column >= 1
        assert f.end_line >= f.line


def _variants(name: str) -> st.SearchStrategy[tuple[str, str]]:
    return st.sampled_from(
        [
            (name, name),
            (name, f"public.{name}"),
            (f"public.{name}", name),
            (f'"{name}"', name),
            (name.upper(), name),
        ]
    )


@FAST
@given(IDENT.flatmap(_variants), IDENT)
def test_new_table_exemption_is_invariant_under_spelling(names: tuple[str, str], col: str) -> None:
    created, indexed = names
    sql = f"CREATE TABLE {created} ({col} int);\nCREATE INDEX ON {indexed} ({col});"
    assert [f for f in lint_sql(sql, RULES) if f.rule == "non-concurrent-index"] == []


@FAST
@given(IDENT, IDENT)
def test_suppression_removes_exactly_that_finding(table: str, col: str) -> None:
    bad = f"CREATE INDEX ON {table} ({col});\nALTER TABLE {table} DROP COLUMN {col};"
    before = [(f.rule, f.line) for f in lint_sql(bad, RULES)]
    quiet = f"-- sqlsafe: ignore non-concurrent-index\n{bad}"
    after = [(f.rule, f.line - 1) for f in lint_sql(quiet, RULES)]
    assert after == [x for x in before if x[0] != "non-concurrent-index"]


# -- histories: every file of a tree is accounted for, once -------------------------------
_DIRS = ["", "svc", "svc/db", "v1", "2024", "migrations", "migrations/20240101000000_init"]
_NAMES = [
    "001_init.sql",
    "002_more.up.sql",
    "002_more.down.sql",
    "up.sql",
    "down.sql",
    "migration.sql",
    "V1__init.sql",
    "R__views.sql",
    "20240101000000000000_x.postgres.up.sql",
    "20240101000000000000_x.mysql.up.sql",
    "20240101000000000000_x.up.sql",
    "schema.sql",
]
_TREES = st.lists(
    st.tuples(st.sampled_from(_DIRS), st.sampled_from(_NAMES), st.booleans()),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=_TREES)
def test_every_file_is_in_one_history_or_skipped(tree: list[tuple[str, str, bool]]) -> None:
    import tempfile
    from pathlib import Path

    from linter.api import describe_histories
    from linter.inputs.config import Config

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for directory, name, goose in tree:
            path = root / directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            text = (
                "-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n" if goose else "SELECT 1;\n"
            )
            path.write_text(text, encoding="utf-8")
        found = {str(p) for p in root.rglob("*.sql")}
        doc = describe_histories([str(root)], Config(root=root))
        histories: list[dict[str, object]] = doc["histories"]  # type: ignore[assignment]
        owner: dict[str, str] = {}
        for history in histories:
            listed = [*history["units"], *history["skipped"]]  # type: ignore[misc]
            for item in listed:
                path = item["path"]
                assert owner.setdefault(path, str(history["root"])) == history["root"], path
        assert set(owner) == found
        assert doc["errors"] == []
