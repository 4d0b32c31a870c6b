"""The indexes a DDL statement reads through a planned query or check (issue 13), in shapes
``tests/test_claims.py``'s schema lacks: a foreign key to a UNIQUE constraint and to a plain
unique index, tables with several indexes, partitioned tables (sub-partitioned too) on
either side of a key, the query of CREATE TABLE AS. Every partition's index is named by the
history (created on the partition and attached), so that the model knows each: the claim on
every index is compared with ``pg_locks`` on PostgreSQL 18 and 15, both ways."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from linter.analysis.engine import lint_sources
from linter.analysis.registry import load_rules
from linter.inputs.source import Source
from linter.lockmodel.locks import LockMode
from linter.server.trace_db import connect, scratch_database
from linter.state.context import Settings

psycopg = pytest.importorskip("psycopg")

RULES = load_rules(plugins=False)

SETUP = """
CREATE TABLE p (id bigint PRIMARY KEY, code text, other integer);
CREATE UNIQUE INDEX p_code_key ON p (code);
CREATE INDEX p_other_idx ON p (other);
CREATE TABLE pu (id bigint, code text CONSTRAINT pu_code_uniq UNIQUE, n integer);
CREATE INDEX pu_n_idx ON pu (n);
CREATE TABLE c (id bigint PRIMARY KEY, pid bigint, code text, x integer);
CREATE INDEX c_x_idx ON c (x);
CREATE UNIQUE INDEX c_x_key ON c (x);
ALTER TABLE c ADD CONSTRAINT c_nv FOREIGN KEY (pid) REFERENCES p (id) NOT VALID;
CREATE TABLE v (id bigint PRIMARY KEY, pid bigint REFERENCES p (id), code text REFERENCES pu (code));
CREATE TABLE pp (id bigint NOT NULL, k integer NOT NULL) PARTITION BY RANGE (k);
CREATE TABLE pp1 PARTITION OF pp FOR VALUES FROM (0) TO (100);
CREATE TABLE pp2 PARTITION OF pp FOR VALUES FROM (100) TO (1000) PARTITION BY RANGE (k);
CREATE TABLE pp2a PARTITION OF pp2 FOR VALUES FROM (100) TO (1000);
ALTER TABLE pp1 ADD CONSTRAINT pp1_pkey PRIMARY KEY (id, k);
ALTER TABLE pp2a ADD CONSTRAINT pp2a_pkey PRIMARY KEY (id, k);
ALTER TABLE ONLY pp2 ADD CONSTRAINT pp2_pkey PRIMARY KEY (id, k);
ALTER INDEX pp2_pkey ATTACH PARTITION pp2a_pkey;
ALTER TABLE ONLY pp ADD CONSTRAINT pp_pkey PRIMARY KEY (id, k);
ALTER INDEX pp_pkey ATTACH PARTITION pp1_pkey;
ALTER INDEX pp_pkey ATTACH PARTITION pp2_pkey;
CREATE INDEX pp1_k ON pp1 (k);
CREATE INDEX pp2a_k ON pp2a (k);
CREATE INDEX pp2_k ON ONLY pp2 (k);
ALTER INDEX pp2_k ATTACH PARTITION pp2a_k;
CREATE INDEX pp_k ON ONLY pp (k);
ALTER INDEX pp_k ATTACH PARTITION pp1_k;
ALTER INDEX pp_k ATTACH PARTITION pp2_k;
CREATE TABLE cp (id bigint, pid bigint, k integer, x integer) PARTITION BY RANGE (k);
CREATE TABLE cp1 PARTITION OF cp FOR VALUES FROM (0) TO (100);
CREATE TABLE cp2 PARTITION OF cp FOR VALUES FROM (100) TO (1000);
CREATE INDEX cp1_x ON cp1 (x);
CREATE INDEX cp2_x ON cp2 (x);
CREATE INDEX cp_x ON ONLY cp (x);
ALTER INDEX cp_x ATTACH PARTITION cp1_x;
ALTER INDEX cp_x ATTACH PARTITION cp2_x;
CREATE TABLE c2 (id bigint PRIMARY KEY, pid bigint, k integer);
INSERT INTO p SELECT g, 'c' || g, g FROM generate_series(1, 300) g;
INSERT INTO pu SELECT g, 'c' || g, g FROM generate_series(1, 300) g;
INSERT INTO c SELECT g, g, 'c' || g, g FROM generate_series(1, 300) g;
INSERT INTO v SELECT g, g, 'c' || g FROM generate_series(1, 300) g;
INSERT INTO pp SELECT g, g FROM generate_series(1, 300) g;
INSERT INTO cp SELECT g, g, g, g FROM generate_series(1, 300) g;
INSERT INTO c2 SELECT g, g, g FROM generate_series(1, 300) g;
"""

CASES = [
    # a foreign key's validation: every index of both tables; 18 also opens the key's index
    "ALTER TABLE c ADD CONSTRAINT f FOREIGN KEY (pid) REFERENCES p (id)",
    "ALTER TABLE c ADD CONSTRAINT f FOREIGN KEY (pid) REFERENCES p",
    "ALTER TABLE c ADD CONSTRAINT f FOREIGN KEY (pid) REFERENCES p (id) NOT VALID",
    "ALTER TABLE c ADD CONSTRAINT f FOREIGN KEY (code) REFERENCES p (code)",
    "ALTER TABLE c ADD CONSTRAINT f FOREIGN KEY (code) REFERENCES p (code) NOT VALID",
    "ALTER TABLE c ADD CONSTRAINT f FOREIGN KEY (code) REFERENCES pu (code)",
    "ALTER TABLE c ADD CONSTRAINT f FOREIGN KEY (code) REFERENCES pu (code) NOT VALID",
    "ALTER TABLE c VALIDATE CONSTRAINT c_nv",
    "ALTER TABLE v VALIDATE CONSTRAINT v_pid_fkey",  # already valid: nothing is read
    "ALTER TABLE c ADD CONSTRAINT f FOREIGN KEY (pid) REFERENCES c (id)",
    "ALTER TABLE c ADD COLUMN pid2 bigint REFERENCES p (id)",
    "ALTER TABLE c ADD COLUMN pid2 bigint DEFAULT 1 REFERENCES p (id)",
    # partitioned tables on either side: each leaf's indexes; on 18 the partitioned ones of
    # the referenced side too, and each partition's key index
    "ALTER TABLE c2 ADD CONSTRAINT f FOREIGN KEY (pid, k) REFERENCES pp (id, k)",
    "ALTER TABLE c2 ADD CONSTRAINT f FOREIGN KEY (pid, k) REFERENCES pp (id, k) NOT VALID",
    "ALTER TABLE cp ADD CONSTRAINT f FOREIGN KEY (pid) REFERENCES p (id)",
    "ALTER TABLE cp ADD CONSTRAINT f FOREIGN KEY (pid, k) REFERENCES pp (id, k)",
    "CREATE TABLE n (id bigint REFERENCES p (id), code text REFERENCES pu (code))",
    "CREATE TABLE n (id bigint, k integer, FOREIGN KEY (id, k) REFERENCES pp)",
    # a type change re-creates the keys: a rewrite validates them again, a NOT VALID one not
    "ALTER TABLE v ALTER COLUMN pid TYPE integer",
    "ALTER TABLE v ALTER COLUMN code TYPE varchar(20)",
    "ALTER TABLE c ALTER COLUMN pid TYPE integer",
    # a query's plan: every index of each table it reads, whatever the plan
    "CREATE TABLE t AS SELECT * FROM p",
    "CREATE TABLE t AS SELECT * FROM p WHERE false",
    "CREATE TABLE t AS SELECT p.id FROM p LEFT JOIN c ON c.id = p.id",
    "CREATE TABLE t AS SELECT (SELECT count(*) FROM c) AS n",
    "CREATE TABLE t AS WITH w AS (SELECT * FROM c) SELECT * FROM w",
    "CREATE TABLE t AS SELECT * FROM pp",
    "CREATE TABLE t AS SELECT * FROM p WITH NO DATA",
    "SELECT * INTO t FROM pu",
    "CREATE MATERIALIZED VIEW t AS SELECT * FROM cp",
    "ANALYZE c",
    "ANALYZE pp",
    "ALTER TABLE c ADD CONSTRAINT c_x_uniq UNIQUE USING INDEX c_x_key",
]

_INDEXES = """
SELECT oid, 'public.' || relname FROM pg_class
WHERE relkind IN ('i', 'I') AND relnamespace = 'public'::regnamespace
"""
_LOCKS = "SELECT relation, mode FROM pg_locks WHERE pid = pg_backend_pid() AND relation IS NOT NULL"


def _observed(conn: psycopg.Connection, sql: str) -> dict[str, str]:
    """The strongest lock *sql* takes on each index that existed before it (by its name
    then: ADD ... USING INDEX renames the index)."""
    before = dict(conn.execute(_INDEXES).fetchall())
    conn.execute("BEGIN")
    try:
        conn.execute(sql)
        found: dict[str, str] = {}
        for oid, mode in conn.execute(_LOCKS):
            rel = before.get(oid)
            if rel is not None:
                held = found.get(rel)
                if held is None or LockMode(mode).strength > LockMode(held).strength:
                    found[rel] = mode
        return found
    finally:
        conn.execute("ROLLBACK")


def _claimed(sql: str, version: int, indexes: set[str]) -> dict[str, str]:
    sources = [Source("setup.sql", SETUP), Source("case.sql", sql)]
    linted = lint_sources(
        sources, RULES, Settings(target_version=version), report={"case.sql"}, explain=True
    )
    effects = linted.statements[-1].effects
    return {
        rel: mode.value
        for rel, mode in effects.locks.items()
        if rel in indexes or rel in effects.implied
    }


def _indexes(conn: psycopg.Connection) -> set[str]:
    return {name for _, name in conn.execute(_INDEXES)}


@pytest.fixture(scope="module")
def db18(pg_dsn: str) -> Iterator[psycopg.Connection]:
    with scratch_database(pg_dsn, "pidx_") as db, connect(db) as conn:
        conn.execute(SETUP)
        conn.execute("ANALYZE")
        yield conn


@pytest.fixture(scope="module")
def db15() -> Iterator[psycopg.Connection]:
    from scaffold_helpers import pg15_server

    with pg15_server() as dsn:
        if dsn is None:
            pytest.skip("PostgreSQL 15 is not installed in /usr/lib/postgresql/15/bin")
        with scratch_database(dsn, "pidx_") as db, connect(db) as conn:
            conn.execute(SETUP)
            conn.execute("ANALYZE")
            yield conn


@pytest.mark.parametrize("sql", CASES)
def test_index_claims_match_postgresql_18(db18: psycopg.Connection, sql: str) -> None:
    observed = _observed(db18, sql)
    assert _claimed(sql, 18, _indexes(db18)) == observed


@pytest.mark.parametrize("sql", CASES)
def test_index_claims_match_postgresql_15(db15: psycopg.Connection, sql: str) -> None:
    observed = _observed(db15, sql)
    assert _claimed(sql, 15, _indexes(db15)) == observed


def test_cases_read_indexes() -> None:
    """The cases are not vacuous: most claim an index lock on 18."""
    claimed = [sql for sql in CASES if _claimed(sql, 18, set())]
    assert len(claimed) >= len(CASES) - 2, set(CASES) - set(claimed)
