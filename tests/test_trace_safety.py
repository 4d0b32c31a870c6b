"""``sqlsafe trace`` changes nothing outside its scratch database (issue 11 §1).

Each test snapshots the real cluster (databases and a victim database's catalog, roles with
their passwords, role settings, memberships, tablespaces, ``postgresql.auto.conf``, shared
comments, the files a ``COPY`` could write) before and after tracing a hostile migration,
and requires them equal: with a superuser ``--dsn``, a CREATEDB-only ``--dsn``, and the
embedded server (where no shell command may run on this machine).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from linter.cli import main

pytest.importorskip("psycopg")

from psycopg.conninfo import make_conninfo

from linter.server.trace_db import connect

_CLUSTER = {
    "databases": "SELECT datname, datdba::regrole::text, datacl::text, datallowconn "
    "FROM pg_database ORDER BY 1",
    "roles": "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolcanlogin, "
    "rolreplication, rolbypassrls, rolpassword FROM pg_authid ORDER BY 1",
    "role_settings": "SELECT setdatabase, setrole::regrole::text, setconfig::text "
    "FROM pg_db_role_setting ORDER BY 1, 2",
    "memberships": "SELECT roleid::regrole::text, member::regrole::text, admin_option "
    "FROM pg_auth_members ORDER BY 1, 2",
    "tablespaces": "SELECT spcname, spcacl::text FROM pg_tablespace ORDER BY 1",
    "shared_comments": "SELECT objoid, classoid, description FROM pg_shdescription ORDER BY 1",
    "auto_conf": "SELECT pg_read_file('postgresql.auto.conf')",
    "reload_time": "SELECT pg_conf_load_time()",
    "subscriptions": "SELECT count(*) FROM pg_subscription",
    "replication_origins": "SELECT count(*) FROM pg_replication_origin",
}
_VICTIM = {
    "tables": "SELECT relname, relacl::text FROM pg_class WHERE relnamespace = "
    "'public'::regnamespace ORDER BY 1",
    "rows": "SELECT count(*) FROM precious",
    "extensions": "SELECT extname FROM pg_extension ORDER BY 1",
    "settings": "SELECT setconfig::text FROM pg_db_role_setting "
    "WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())",
}


@pytest.fixture()
def host_dir() -> Iterator[Path]:
    """An empty directory the server's OS user may write to (as root, the server runs as
    another user, who cannot reach pytest's private temporary directories)."""
    folder = Path(tempfile.mkdtemp(prefix="sqlsafe-guard-"))
    os.chmod(folder, 0o777)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture()
def victim(pg_dsn: str, host_dir: Path) -> Iterator[dict[str, str]]:
    """A database ``app_<hex>`` with a table, a role, and a writable directory for files."""
    tag = secrets.token_hex(4)
    app, role = f"app_{tag}", f"victim_{tag}"
    with connect(pg_dsn) as admin:
        admin.execute(f'CREATE DATABASE "{app}"')
        admin.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD 'victim'")
    with connect(make_conninfo(pg_dsn, dbname=app)) as conn:
        conn.execute("CREATE TABLE precious (id int); INSERT INTO precious VALUES (1)")
    try:
        yield {"app": app, "role": role, "dir": str(host_dir), "dsn": pg_dsn}
    finally:
        with connect(pg_dsn) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{app}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def _snapshot(pg_dsn: str, app: str, folder: str) -> dict[str, Any]:
    with connect(pg_dsn) as admin:
        out: dict[str, Any] = {k: admin.execute(q).fetchall() for k, q in _CLUSTER.items()}
    with connect(make_conninfo(pg_dsn, dbname=app)) as conn:
        out.update({f"app {k}": conn.execute(q).fetchall() for k, q in _VICTIM.items()})
    out["files"] = sorted(os.listdir(folder))
    return out


def _hostile(v: dict[str, str]) -> tuple[str, str]:
    """Every kind of statement that reached the real server before the guard: a history
    file and a traced file (``(history, traced)``)."""
    app, role, folder = v["app"], v["role"], v["dir"]
    top = f"""
DROP DATABASE {app};
CREATE DATABASE {app}_copy;
ALTER DATABASE {app} SET work_mem = '1MB';
ALTER DATABASE {app} RENAME TO {app}_gone;
COMMENT ON DATABASE {app} IS 'owned';
REVOKE CONNECT ON DATABASE {app} FROM PUBLIC;
ALTER SYSTEM SET work_mem = '7MB';
CREATE ROLE evil SUPERUSER LOGIN PASSWORD 'evil';
ALTER ROLE CURRENT_USER SET work_mem = '2MB';
ALTER ROLE CURRENT_USER PASSWORD 'changed';
ALTER ROLE {role} SUPERUSER;
ALTER USER {role} PASSWORD 'changed';
GRANT pg_execute_server_program TO CURRENT_USER;
GRANT {role} TO CURRENT_USER;
CREATE TABLESPACE evil_space LOCATION '{folder}';
COPY (SELECT 1) TO PROGRAM 'touch {folder}/program_ran';
COPY (SELECT 'x') TO '{folder}/copied';
SELECT pg_reload_conf();
SELECT lo_import('/etc/hostname');
SELECT pg_read_file('postgresql.auto.conf');
CREATE EXTENSION dblink;
SELECT dblink_exec('dbname={app}', 'DROP TABLE precious');
CREATE EXTENSION file_fdw;
SELECT set_config('role', '{role}', false);
SET ROLE {role};
SET SESSION AUTHORIZATION {role};
"""
    ordinary = """
ALTER TABLE IF EXISTS nothing OWNER TO ghost_role;
CREATE TABLE kept (id int);
GRANT SELECT ON kept TO ghost_role;
"""
    blocks = f"""
DO $$
BEGIN
  EXECUTE 'ALTER ROLE CURRENT_USER SET work_mem = ''3MB''';
  ALTER ROLE CURRENT_USER PASSWORD 'changed';
  PERFORM pg_reload_conf();
  COPY (SELECT 1) TO PROGRAM 'touch {folder}/do_program_ran';
END $$;
DO $$
BEGIN
  EXECUTE format('ALTER ROLE %I SET work_mem = %L', current_user, '4MB');
  EXECUTE format('COPY (SELECT 1) TO PROGRAM %L', 'touch {folder}/format_ran');
END $$;
DO LANGUAGE plperlu $$ system('touch {folder}/perl_ran') $$;
CREATE FUNCTION sneaky() RETURNS void LANGUAGE sql
  AS $f$ ALTER ROLE CURRENT_USER SET work_mem = '5MB' $f$;
"""
    dynamic = f"""
DO $$
BEGIN
  EXECUTE 'ALTER ROLE ' || quote_ident(current_user) || ' SET work_mem = ''4MB''';
  EXECUTE 'ALTER ROLE ' || quote_ident(current_user) || ' PASSWORD ''changed''';
  EXECUTE 'COPY (SELECT 1) TO PROGRAM ' || quote_literal('touch {folder}/dynamic_ran');
END $$;
"""
    return top + blocks, top + ordinary + blocks + dynamic


def _run_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, files: tuple[str, str], *args: str
) -> dict[str, Any]:
    """Trace *files* (history, traced); the JSON document."""
    (tmp_path / "001_history.sql").write_text(files[0])
    target = tmp_path / "002_traced.sql"
    target.write_text(files[1])
    main(["trace", str(target), "--rows", "5", "--format", "json", *args])
    out, err = capsys.readouterr()
    assert out, err
    doc: dict[str, Any] = json.loads(out)
    return doc


def _check_statements(doc: dict[str, Any]) -> None:
    by_sql = {s["sql"].split("\n")[0]: s for s in doc["statements"]}
    kept = by_sql["CREATE TABLE kept (id int)"]
    assert kept["observed"] and kept["error"] is None  # skipped ones stop nothing
    assert by_sql["DROP DATABASE " + doc["_app"]]["skipped"].startswith("drops a database")
    assert "ghost_role" in by_sql["GRANT SELECT ON kept TO ghost_role"]["skipped"]
    program = by_sql[next(k for k in by_sql if "TO PROGRAM" in k and k.startswith("COPY"))]
    assert "runs a program" in program["skipped"]
    assert doc["skipped_in_history"], "the history's hostile statements were skipped too"
    assert all(s["error"] is None for s in doc["statements"] if s["skipped"])


def test_superuser_dsn_changes_nothing_outside(
    victim: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(victim["dsn"], victim["app"], victim["dir"])
    doc = _run_json(capsys, tmp_path, _hostile(victim), "--dsn", victim["dsn"])
    assert _snapshot(victim["dsn"], victim["app"], victim["dir"]) == before
    assert doc["protection"].startswith("restricted role sqlsafe_trace_")
    doc["_app"] = victim["app"]
    _check_statements(doc)
    last = doc["statements"][-1]  # dynamic SQL: run, as the restricted role, which fails
    assert "built at run time" in last["note"]
    assert last["error"] is not None


@contextlib.contextmanager
def _login_role(pg_dsn: str, attributes: str) -> Iterator[str]:
    """A DSN for a new role with *attributes* (dropped after)."""
    role = f"dsn_{secrets.token_hex(4)}"
    with connect(pg_dsn) as admin:
        admin.execute(f"CREATE ROLE \"{role}\" LOGIN {attributes} PASSWORD 'secret'")
    try:
        yield make_conninfo(pg_dsn, user=role, password="secret")
    finally:
        with connect(pg_dsn) as admin:
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.fixture()
def createdb_dsn(pg_dsn: str) -> Iterator[str]:
    with _login_role(pg_dsn, "CREATEDB") as dsn:
        yield dsn


def test_createrole_dsn_changes_nothing_outside(
    victim: dict[str, str], pg_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with _login_role(pg_dsn, "CREATEDB CREATEROLE") as dsn:
        before = _snapshot(victim["dsn"], victim["app"], victim["dir"])
        doc = _run_json(capsys, tmp_path, _hostile(victim), "--dsn", dsn)
        assert _snapshot(victim["dsn"], victim["app"], victim["dir"]) == before
    assert doc["protection"].startswith("restricted role sqlsafe_trace_")
    doc["_app"] = victim["app"]
    _check_statements(doc)


def test_createdb_only_dsn_changes_nothing_outside(
    victim: dict[str, str], createdb_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(victim["dsn"], victim["app"], victim["dir"])
    doc = _run_json(capsys, tmp_path, _hostile(victim), "--dsn", createdb_dsn)
    after = _snapshot(victim["dsn"], victim["app"], victim["dir"])
    assert after == before
    assert doc["protection"].startswith("statement guard only")
    doc["_app"] = victim["app"]
    _check_statements(doc)
    last = doc["statements"][-1]  # dynamic SQL, no restricted role: not run
    assert "no restricted role protects this run" in last["skipped"]


def test_embedded_server_runs_no_program_on_this_machine(
    tmp_path: Path, host_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = host_dir
    migration = _hostile({"app": "app", "role": "someone", "dir": str(folder)})
    doc = _run_json(capsys, tmp_path, migration)
    assert os.listdir(folder) == []  # no program ran, no file was written
    assert doc["protection"].startswith("restricted role sqlsafe_trace_")
    assert "embedded server" in doc["protection"]
    doc["_app"] = "app"
    _check_statements(doc)


def test_allow_server_programs_runs_them_on_the_embedded_server_only(
    tmp_path: Path, host_dir: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = host_dir
    target = tmp_path / "001_copy.sql"
    target.write_text(
        f"COPY (SELECT 1) TO PROGRAM 'touch {folder}/ran';\nALTER SYSTEM SET work_mem = '9MB';\n"
    )
    code = main(["trace", str(target), "--dsn", pg_dsn, "--allow-server-programs"])
    _, err = capsys.readouterr()
    assert code == 2 and "embedded server only" in err
    code = main(["trace", str(target), "--allow-server-programs", "--format", "json"])
    doc = json.loads(capsys.readouterr()[0])
    assert code == 0, doc
    assert os.listdir(folder) == ["ran"]
    assert doc["statements"][0]["observed"]
    assert "ALTER SYSTEM" not in doc["statements"][1]["skipped"]  # still refused
    assert doc["statements"][1]["skipped"].startswith("changes the server configuration")


ORDINARY_HISTORY = "CREATE TABLE accounts (id bigserial PRIMARY KEY, email text);\n"
ORDINARY = """CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE notes (id bigserial PRIMARY KEY, account_id bigint REFERENCES accounts (id),
                    body citext, embedding vector(3));
CREATE INDEX notes_account_id_idx ON notes (account_id);
GRANT SELECT ON notes TO PUBLIC;
COMMENT ON EXTENSION vector IS 'vectors';
ALTER TABLE accounts ADD COLUMN name text;
"""


def _unguarded(pg_db: str) -> list[dict[str, Any]]:
    """The same migration traced the way it was before the guard: as the superuser."""
    from linter.analysis.engine import lint_sources
    from linter.analysis.registry import load_rules
    from linter.inputs.config import Settings
    from linter.inputs.source import Source
    from linter.server.trace import apply_history, trace_file
    from linter.server.trace_rows import fill_tables

    sources = [Source("001_init.sql", ORDINARY_HISTORY), Source("002_notes.sql", ORDINARY)]
    linted = lint_sources(sources, load_rules(), Settings(), report={"002_notes.sql"}, explain=True)
    with connect(pg_db) as conn, connect(pg_db) as watcher:
        apply_history(conn, sources[0])
        fill_tables(conn, 20)
        traced = trace_file(conn, watcher, sources[1], linted.statements, False)
        return [t.as_dict() for t in traced]


_OBSERVED = ("locks", "rewrites", "scans", "created", "dropped", "constraints", "error")


def test_ordinary_migration_traces_as_before(
    tmp_path: Path, pg_dsn: str, pg_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "001_init.sql").write_text(ORDINARY_HISTORY)
    target = tmp_path / "002_notes.sql"
    target.write_text(ORDINARY)
    code = main(["trace", str(target), "--dsn", pg_dsn, "--rows", "20", "--format", "json"])
    doc = json.loads(capsys.readouterr()[0])
    assert code == 0, doc
    st = doc["statements"]
    assert [s["observed"] for s in st] == [True] * 7
    assert all(s["error"] is None and s["skipped"] is None for s in st)
    # vector is not a trusted extension: the server connection's role creates it
    assert "role of the server connection" in st[1]["note"]
    assert st[0]["note"] is None  # citext is trusted: the restricted role creates it
    before = _unguarded(pg_db)
    assert [{k: s[k] for k in _OBSERVED} for s in st] == [
        {k: s[k] for k in _OBSERVED} for s in before
    ]


def test_roundtrip_changes_nothing_outside(
    victim: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history, traced = _hostile(victim)
    (tmp_path / "1_init.up.sql").write_text(history + "CREATE TABLE a (id int);\n")
    (tmp_path / "1_init.down.sql").write_text(traced.replace("CREATE TABLE kept", "DROP TABLE a"))
    before = _snapshot(victim["dsn"], victim["app"], victim["dir"])
    main(["trace", "--roundtrip", str(tmp_path), "--dsn", victim["dsn"], "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert _snapshot(victim["dsn"], victim["app"], victim["dir"]) == before
    assert doc["protection"].startswith("restricted role sqlsafe_trace_")
    assert any(f"DROP DATABASE {victim['app']}" in item for item in doc["skipped"])


@pytest.mark.parametrize(
    ("sql", "refused"),
    [
        ("CREATE TABLE t (id int)", None),
        ("GRANT SELECT ON t TO PUBLIC", None),
        ("COPY t FROM STDIN", None),
        ("COPY t TO STDOUT", None),
        ("CREATE EXTENSION citext", None),
        ("SELECT set_config('search_path', 'app', false)", None),
        ("DO $$ BEGIN IF NOT EXISTS (SELECT 1) THEN CREATE INDEX ON t (id); END IF; END $$", None),
        ("DO $$ BEGIN EXECUTE format('ALTER TABLE %I ADD COLUMN c int', 't'); END $$", None),
        (
            "CREATE FUNCTION f(_t regclass) RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
            "EXECUTE format('CREATE TRIGGER x BEFORE UPDATE ON %s FOR EACH ROW "
            "EXECUTE PROCEDURE g()', _t); END $$",
            None,
        ),
        (
            "CREATE FUNCTION g() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
            None,
        ),
        ("ALTER DATABASE app REFRESH COLLATION VERSION", "cluster"),
        ("ALTER GROUP g ADD USER u", "cluster"),
        ("REVOKE g FROM u", "cluster"),
        ("ALTER TABLESPACE t SET (seq_page_cost = 1)", "cluster"),
        ("LOAD 'auto_explain'", "cluster"),
        ("CHECKPOINT", "cluster"),
        ("REASSIGN OWNED BY a TO b", "cluster"),
        ("DROP OWNED BY a", "cluster"),
        ("RESET ROLE", "cluster"),
        ("SET LOCAL ROLE postgres", "cluster"),
        ("CREATE SERVER s FOREIGN DATA WRAPPER w", "cluster"),
        ("CREATE USER MAPPING FOR CURRENT_USER SERVER s", "cluster"),
        ("CREATE FOREIGN DATA WRAPPER w", "cluster"),
        ("CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p", "cluster"),
        ("CREATE EXTENSION postgres_fdw", "cluster"),
        ("CREATE EXTENSION adminpack", "cluster"),
        ("CREATE LANGUAGE plpython3u", "cluster"),
        ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity", "cluster"),
        ("SELECT * FROM t WHERE pg_cancel_backend(1)", "cluster"),
        ("SELECT pg_create_logical_replication_slot('s', 'pgoutput')", "cluster"),
        ("SELECT set_config('role', 'postgres', false)", "cluster"),
        ("GRANT SET ON PARAMETER work_mem TO app", "cluster"),
        ("SECURITY LABEL ON ROLE r IS 'x'", "cluster"),
        ("REINDEX SYSTEM app", "cluster"),
        ("CREATE OPERATOR !!! (PROCEDURE = pg_reload_conf, RIGHTARG = int)", "cluster"),
        (
            "CREATE AGGREGATE a (int) (SFUNC = pg_catalog.pg_terminate_backend, STYPE = int)",
            "cluster",
        ),
        ("CREATE TRIGGER t AFTER INSERT ON t EXECUTE FUNCTION pg_ls_dir()", "host"),
        ("UPDATE pg_authid SET rolsuper = true", "cluster"),
        ("UPDATE pg_proc SET probin = '/tmp/evil.so' WHERE proname = 'f'", "cluster"),
        ("UPDATE pg_catalog.pg_class SET relowner = 10 WHERE relname = 'pg_authid'", "cluster"),
        ("INSERT INTO pg_language SELECT * FROM pg_language", "cluster"),
        ("DELETE FROM pg_catalog.pg_db_role_setting", "cluster"),
        ("TRUNCATE pg_shdescription", "cluster"),
        ("INSERT INTO t SELECT datname FROM pg_database", None),
        ("UPDATE pg_index SET indisready = false WHERE indrelid = 't'::regclass", None),
        ("COPY t FROM '/etc/passwd'", "host"),
        ("SELECT pg_ls_dir('.')", "host"),
        ("SELECT pg_stat_file('postgresql.conf')", "host"),
        ("SELECT lo_export(1, '/tmp/x')", "host"),
        ("INSERT INTO t SELECT pg_read_binary_file('x')", "host"),
        ("CREATE FUNCTION f() RETURNS int LANGUAGE plperlu AS 'system(1)'", "host"),
        ("CREATE FUNCTION f() RETURNS int LANGUAGE c AS 'lib', 'sym'", "host"),
        (
            "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ DECLARE x text; "
            "BEGIN x := pg_read_file('/etc/passwd'); END $$",
            "host",
        ),
        ("DO $$ BEGIN RAISE NOTICE '%', dblink('x', 'y'); END $$", "cluster"),
        ("DO $$ BEGIN EXECUTE format('SELECT %s', 'pg_reload_conf()'); END $$", "cluster"),
        ("DO $$ DECLARE q text := 'x'; BEGIN EXECUTE q; END $$", "unchecked"),
        ("DO $$ DECLARE q text; BEGIN EXECUTE format('SELECT %s', q); END $$", "unchecked"),
        (
            "DO $$ DECLARE r record; BEGIN FOR r IN EXECUTE 'SELECT ' || 1 LOOP END LOOP; END $$",
            "unchecked",
        ),
        ("DO LANGUAGE plv8 $$ plv8.execute('ALTER ROLE x') $$", "unchecked"),
        (
            "CREATE FUNCTION h(_t regclass) RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
            "DECLARE _t text := 'pg_reload_conf()'; BEGIN EXECUTE format('SELECT %s', _t); "
            "END; END $$",
            "unchecked",
        ),
    ],
)
def test_guard_classifies(sql: str, refused: str | None) -> None:
    from linter.server.server_guard import refusal
    from linter.sql.parsing import parse

    (statement,) = parse(sql).statements
    assert statement.node is not None
    found = refusal(statement.node)
    assert (found.reach.value if found else None) == refused, found


def test_guard_decides_on_roles_and_protection() -> None:
    from linter.server.trace_guard import Guard
    from linter.sql.parsing import parse

    def node(sql: str) -> Any:
        return parse(sql).statements[0].node

    restricted = Guard(frozenset({"postgres", "app"}), "sqlsafe_trace_ab", True, may_elevate=True)
    guard_only = Guard(frozenset({"postgres", "app"}), "migrator", False)
    missing = restricted.decide(node("GRANT SELECT ON t TO ghost"))
    assert missing.skip and "role ghost, which does not exist" in missing.skip
    assert restricted.decide(node("GRANT SELECT ON t TO app")).skip is None
    given = restricted.decide(node("ALTER TABLE t OWNER TO postgres"))
    assert given.skip and "may not give objects away" in given.skip
    assert guard_only.decide(node("ALTER TABLE t OWNER TO postgres")).skip is None
    dynamic = "DO $$ DECLARE q text := 'x'; BEGIN EXECUTE q; END $$"
    ran = restricted.decide(node(dynamic))
    assert ran.skip is None and ran.note and "restricted role sqlsafe_trace_ab" in ran.note
    refused = guard_only.decide(node(dynamic)).skip
    assert refused and "no restricted role protects this run" in refused
    assert guard_only.decide(None).skip  # unparsable: not run without the role
    assert restricted.decide(None).skip is None
    host = Guard(frozenset(), "postgres", False, allow_host=True)
    assert host.decide(node("COPY (SELECT 1) TO PROGRAM 'true'")).skip is None
    assert host.decide(node("ALTER SYSTEM SET work_mem = '1MB'")).skip


SUPERUSER_ONLY = """BEGIN;
ALTER TABLE orders DISABLE TRIGGER ALL;
UPDATE pg_index SET indisready = false WHERE indrelid = 'orders'::regclass
    AND indexrelid <> 'orders_pkey'::regclass;
UPDATE orders SET total = 1;
UPDATE pg_index SET indisready = true WHERE indrelid = 'orders'::regclass;
ALTER TABLE orders ENABLE TRIGGER ALL;
SELECT 1 FROM pg_authid;
COMMIT;
"""


def _trace_two(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, dsn: str, history: str, traced: str
) -> tuple[int, list[dict[str, Any]]]:
    """Trace *traced* after *history* with 5 rows; the exit code and the statements."""
    (tmp_path / "001_init.sql").write_text(history)
    target = tmp_path / "002_change.sql"
    target.write_text(traced)
    code = main(["trace", str(target), "--dsn", dsn, "--rows", "5", "--format", "json"])
    statements: list[dict[str, Any]] = json.loads(capsys.readouterr()[0])["statements"]
    return code, statements


def test_superuser_only_statements_run_as_superuser_for_themselves(
    tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # what a real migration does (LemmyNet/lemmy): switch off foreign-key triggers and
    # index maintenance during a bulk update; they need a superuser, and touch only the db
    history = (
        "CREATE TABLE accounts (id int PRIMARY KEY);\n"
        "CREATE TABLE orders (id int PRIMARY KEY, account_id int REFERENCES accounts,"
        " total int);\nCREATE INDEX orders_total ON orders (total);\n"
    )
    code, st = _trace_two(capsys, tmp_path, pg_dsn, history, SUPERUSER_ONLY)
    assert code == 1  # the last SELECT: the role is not a superuser once the others ran
    assert [s["error"] for s in st[:6]] == [None] * 6
    assert "made superuser for this statement only" in st[1]["note"]
    assert "made superuser for this statement only" in st[2]["note"]
    assert st[3]["note"] is None
    assert "permission denied for table pg_authid" in st[6]["error"]


def test_superuser_only_refused_when_migration_code_could_run(
    tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    history = (
        "CREATE TABLE t (id int PRIMARY KEY);\n"
        "CREATE FUNCTION public.lower(oid) RETURNS oid LANGUAGE sql AS 'SELECT 1::oid';\n"
    )
    traced = "UPDATE pg_index SET indisready = true WHERE indrelid = lower(0::oid);\n"
    code, st = _trace_two(capsys, tmp_path, pg_dsn, history, traced)
    assert code == 1
    assert "permission denied for table pg_index" in st[0]["error"]


@pytest.mark.parametrize(
    ("sql", "eligible"),
    [
        ("ALTER TABLE t DISABLE TRIGGER ALL", True),
        ("ALTER TABLE t ENABLE TRIGGER ALL, ENABLE REPLICA TRIGGER x", True),
        ("ALTER TABLE t DISABLE TRIGGER ALL, ADD COLUMN c int", False),
        ("UPDATE pg_index SET indisready = false WHERE indrelid = 't'::regclass", True),
        ("UPDATE pg_index SET indisready = f() WHERE indrelid = 't'::regclass", True),  # DB check
        ("UPDATE pg_index SET indisready = public.f()", False),
        ("UPDATE pg_index SET indisready = false WHERE indrelid OPERATOR(public.=) 1", False),
        ("UPDATE pg_index SET indisready = false WHERE indrelid IN (SELECT id FROM t)", False),
        ("UPDATE pg_index SET indisready = false FROM generate_series(1, 2) g", False),
        ("UPDATE t SET x = 1", False),
        ("UPDATE pg_authid SET rolsuper = true", False),
        ("UPDATE pg_proc SET probin = '/tmp/evil.so' WHERE proname = 'f'", False),
        ("UPDATE pg_class SET relowner = 10 WHERE relname = 'pg_authid'", False),
        ("UPDATE pg_index SET indisready = false, indrelid = 1", False),
        ("UPDATE pg_trigger SET tgenabled = 'D' WHERE tgrelid = 't'::regclass", True),
        ("UPDATE pg_constraint SET convalidated = true WHERE conname = 'c'", True),
        ("DELETE FROM pg_index WHERE indrelid = 't'::regclass", False),
        ("INSERT INTO pg_index SELECT * FROM pg_index", False),
        ("ALTER TABLE pg_class DISABLE TRIGGER ALL", False),
        ("SELECT 1", False),
    ],
)
def test_superuser_only_classification(sql: str, eligible: bool) -> None:
    from linter.server.server_guard import superuser_only
    from linter.sql.parsing import parse

    node = parse(sql).statements[0].node
    assert node is not None
    assert (superuser_only(node) is not None) is eligible


def test_no_superuser_while_a_migration_operator_could_run(
    tmp_path: Path, pg_dsn: str, host_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # an operator the observation queries would pick (name || text) whose function runs
    # SQL built at run time: were the role made superuser, the program would run
    history = f"""CREATE TABLE a (id int PRIMARY KEY);
CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a);
CREATE FUNCTION public.cat(name, text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE 'COPY (SELECT 1) TO PROGRAM ' || quote_literal('touch {host_dir}/ran');
  END IF;
  RETURN $1::text || $2;
END $$;
CREATE OPERATOR public.|| (LEFTARG = name, RIGHTARG = text, FUNCTION = public.cat);
"""
    code, st = _trace_two(capsys, tmp_path, pg_dsn, history, "ALTER TABLE b DISABLE TRIGGER ALL;\n")
    assert code == 1
    assert "is a system trigger" in st[0]["error"]
    assert os.listdir(host_dir) == []


def test_untrusted_extension_not_run_privileged_once_the_migration_wrote_code(
    tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    history = (
        "CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql"
        " AS $$ BEGIN RETURN NEW; END $$;\n"
    )
    code, st = _trace_two(capsys, tmp_path, pg_dsn, history, "CREATE EXTENSION vector;\n")
    assert code == 1
    assert "run as the restricted role" in st[0]["note"]
    assert "permission denied to create extension" in st[0]["error"]


def test_superuser_decision_needs_a_superuser_connection() -> None:
    from linter.server.trace_guard import Guard
    from linter.sql.parsing import parse

    node = parse("ALTER TABLE t DISABLE TRIGGER ALL").statements[0].node
    createrole = Guard(frozenset(), "sqlsafe_trace_ab", True, may_elevate=False)
    superuser = Guard(frozenset(), "sqlsafe_trace_ab", True, may_elevate=True)
    assert createrole.decide(node).superuser is None
    assert superuser.decide(node).superuser is not None
