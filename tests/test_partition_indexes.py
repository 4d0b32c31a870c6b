"""The indexes PostgreSQL creates and names itself on partitions: the schema model knows
each by the name the server gives it, attached to the same partitioned index (PostgreSQL
18, and 15 where its binaries are installed)."""

from __future__ import annotations

import pytest

from linter.lockmodel.schema import Schema
from linter.server.trace_db import connect, scratch_database
from linter.sql.names import choose_index_name, make_object_name
from linter.sql.parsing import parse
from linter.state.fold import apply_schema

psycopg = pytest.importorskip("psycopg")

LONG_TABLE = "a_rather_long_table_name_for_partitioned_measurements_of_day"  # 60 bytes
LONG_COLUMN = "reading_taken_by_the_sensor_in_the_north_wing_of_the_building"

# Each step is one migration statement; after the whole script the server's indexes (name,
# table, partitioned index it is attached to) must be the model's.
SCRIPT = [
    "CREATE TABLE p (a int NOT NULL, b int NOT NULL, c text, d int) PARTITION BY RANGE (a)",
    "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10)",
    "CREATE TABLE p2 PARTITION OF p FOR VALUES FROM (10) TO (20) PARTITION BY RANGE (a)",
    "CREATE TABLE p2a PARTITION OF p2 FOR VALUES FROM (10) TO (15)",
    # a plain column, named or not; two columns; expressions named by what they compute
    "CREATE INDEX ON p (b)",
    "CREATE INDEX named ON p (b, c)",
    "CREATE INDEX ON p ((b + 1))",
    "CREATE INDEX ON p ((b + 1), (c || 'x'))",
    "CREATE INDEX ON p (lower(c))",
    "CREATE INDEX ON p ((c::integer), (b::text), coalesce(d, 0))",
    "CREATE INDEX ON p (b) INCLUDE (d)",
    "CREATE INDEX ON p (b, b)",
    # the same name again: a number is added, on the parent and on each partition
    "CREATE INDEX ON p (b) WHERE d > 0",
    "CREATE UNIQUE INDEX ON p (a, d)",
    # constraints: pkey and key
    "ALTER TABLE p ADD PRIMARY KEY (a, b)",
    "ALTER TABLE p ADD UNIQUE (a, c)",
    "ALTER TABLE p ADD CONSTRAINT uq UNIQUE (a, d)",
    # a partition created later gets every index
    "CREATE TABLE p3 PARTITION OF p FOR VALUES FROM (20) TO (30)",
    # ATTACH: an index of the same definition is attached, the others created
    "CREATE TABLE p4 (a int NOT NULL, b int NOT NULL, c text, d int)",
    "CREATE INDEX p4_b_idx ON p4 (b)",
    "CREATE INDEX p4own ON p4 (b, c)",
    "CREATE INDEX p4_partial ON p4 (b) WHERE d > 1",
    "ALTER TABLE p ATTACH PARTITION p4 FOR VALUES FROM (30) TO (40)",
    # a name taken by a table: the next number
    "CREATE TABLE p5_pkey (id int)",
    "CREATE TABLE p5 PARTITION OF p FOR VALUES FROM (40) TO (50)",
    # DETACH keeps the partition's indexes, detached; DROP INDEX drops the partitions' too
    "ALTER TABLE p DETACH PARTITION p1",
    "DROP INDEX p_lower_idx",
    "ALTER INDEX named RENAME TO renamed",
    "CREATE TABLE p6 PARTITION OF p FOR VALUES FROM (50) TO (60)",
    # a sub-partitioned table attached: its partitions get the indexes too
    "CREATE TABLE p7 (a int NOT NULL, b int NOT NULL, c text, d int) PARTITION BY RANGE (a)",
    "CREATE TABLE p7a PARTITION OF p7 FOR VALUES FROM (60) TO (65)",
    "ALTER TABLE p ATTACH PARTITION p7 FOR VALUES FROM (60) TO (70)",
    # truncation to 63 bytes, and a collision after it
    f"CREATE TABLE {LONG_TABLE} (a int, {LONG_COLUMN} int) PARTITION BY LIST (a)",
    f"CREATE INDEX ON {LONG_TABLE} ({LONG_COLUMN})",
    f"CREATE TABLE {LONG_TABLE}_1 PARTITION OF {LONG_TABLE} FOR VALUES IN (1)",
    # CREATE INDEX ... ON ONLY: the partitions get none until ALTER INDEX ... ATTACH
    "CREATE TABLE q (a int, b int) PARTITION BY LIST (a)",
    "CREATE TABLE q1 PARTITION OF q FOR VALUES IN (1)",
    "CREATE INDEX q_b_idx ON ONLY q (b)",
    "CREATE INDEX q1_b ON q1 (b)",
    "ALTER INDEX q_b_idx ATTACH PARTITION q1_b",
    # CREATE INDEX on the partitioned table attaches a partition's own index of its definition
    "CREATE INDEX q1_mine ON q1 (a)",
    "CREATE INDEX ON q (a)",
    # a plain parent index takes a partition's constraint index; a constraint, a plain index not
    "CREATE TABLE u (a int NOT NULL, b int) PARTITION BY RANGE (a)",
    "CREATE TABLE u1 (a int NOT NULL, b int, CONSTRAINT u1_uniq UNIQUE (a))",
    "ALTER TABLE u ATTACH PARTITION u1 FOR VALUES FROM (0) TO (10)",
    "CREATE UNIQUE INDEX ON u (a)",
    "CREATE TABLE u2 (a int NOT NULL, b int)",
    "CREATE UNIQUE INDEX u2_plain ON u2 (a, b)",
    "ALTER TABLE u ATTACH PARTITION u2 FOR VALUES FROM (10) TO (20)",
    "ALTER TABLE u ADD CONSTRAINT u_ab UNIQUE (a, b)",
    # DROP TABLE of a partitioned table drops its partitions and all their indexes
    "CREATE TABLE gone (a int, b int) PARTITION BY LIST (a)",
    "CREATE TABLE gone1 PARTITION OF gone FOR VALUES IN (1)",
    "CREATE INDEX ON gone (b)",
    "DROP TABLE gone",
]

_INDEXES = """
SELECT n.nspname || '.' || c.relname, n.nspname || '.' || t.relname,
       pn.nspname || '.' || p.relname
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_inherits h ON h.inhrelid = c.oid
LEFT JOIN pg_class p ON p.oid = h.inhparent
LEFT JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE n.nspname = 'public'
"""


def _model() -> set[tuple[str, str, str | None]]:
    schema = Schema()
    for sql in SCRIPT:
        for stmt in parse(sql).statements:
            schema = apply_schema(schema, stmt.node)
    return {(ix.name, ix.table, ix.parent) for ix in schema.indexes.values()}


def _server(dsn: str) -> set[tuple[str, str, str | None]]:
    with scratch_database(dsn, "pi_") as db, connect(db) as conn:
        for sql in SCRIPT:
            conn.execute(sql)
        return {(name, table, parent) for name, table, parent in conn.execute(_INDEXES)}


def _compare(dsn: str) -> None:
    server, model = _server(dsn), _model()
    assert server == model, (sorted(server - model), sorted(model - server))


def test_model_names_partition_indexes_as_postgresql_18(pg_dsn: str) -> None:
    _compare(pg_dsn)


def test_model_names_partition_indexes_as_postgresql_15(pg15_dsn: str) -> None:
    _compare(pg15_dsn)


def test_the_script_exercises_each_naming_case() -> None:
    """The cases above are there: a number after a collision, a name cut to 63 bytes,
    expressions named after their function, a matching index attached."""
    names = {name for name, _, _ in _model()}
    assert {"public.p3_b_idx1", "public.p5_pkey1", "public.p3_c_b_coalesce_idx"} - names == set()
    assert "public.p3_expr_idx" in names and "public.p4_b_idx" in names
    assert ("public.q1_mine", "public.q1", "public.q_a_idx") in _model()
    assert any(len(n.split(".")[1]) == 63 for n in names)


def test_make_object_name_cuts_the_longer_name_first() -> None:
    name = make_object_name("t" * 70, "c" * 10, "idx")
    assert len(name) == 63 and name.endswith("_" + "c" * 10 + "_idx")
    assert make_object_name("é" * 40, None, "pkey").encode().__len__() <= 63
    taken = {"t_a_idx", "t_a_idx1"}
    assert choose_index_name("t", ("a",), "", taken.__contains__) == "t_a_idx2"
    assert choose_index_name("t", ("a",), "primary", taken.__contains__) == "t_pkey"
