"""Cleanup always happens, waits are bounded, secrets stay secret (``trace``, ``doctor``,
``stats``), each checked for real: ``sqlsafe`` runs as a subprocess and gets real signals,
the servers are real, and a cleanup is made to fail by a real lack of privilege."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from linter.cli import main
from linter.server.trace_db import connect

psycopg = pytest.importorskip("psycopg")
from psycopg.conninfo import conninfo_to_dict, make_conninfo  # noqa: E402

SLEEP = "SELECT pg_sleep(30);\n"
PASSWORD = "s3cretpw0rd"
SCRATCH = "sqlsafe_trace_%"


# ------------------------------------------------------------------------------ helpers
def _migrations(tmp_path: Path, last: str = SLEEP) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "001_table.sql").write_text("CREATE TABLE a (id int);\n")
    (folder / "002_last.sql").write_text(last)
    return folder / "002_last.sql"


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "linter", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(*args: str, timeout: float = 120, env: dict[str, str] | None = None) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "linter", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    return done.returncode, done.stdout + done.stderr


def _wait_for(probe: object, what: str, seconds: float = 90) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()  # type: ignore[operator]
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _sleeping_database(dsn: str, proc: subprocess.Popen[str]) -> str:
    """The scratch database where the traced ``pg_sleep`` runs (waits until it does)."""

    def probe() -> str | None:
        if proc.poll() is not None:
            raise AssertionError(f"sqlsafe ended early: {proc.communicate()}")
        with connect(dsn) as conn:
            row = conn.execute(
                "SELECT datname FROM pg_stat_activity WHERE state = 'active' "
                "AND query LIKE 'SELECT pg_sleep(%%' AND pid <> pg_backend_pid()"
            ).fetchone()
        return str(row[0]) if row else None

    return str(_wait_for(probe, "the traced statement"))


def _leftovers(dsn: str) -> list[str]:
    with connect(dsn) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s "
            "UNION ALL SELECT rolname FROM pg_roles WHERE rolname LIKE %s",
            (SCRATCH, SCRATCH),
        ).fetchall()
    return [str(r[0]) for r in rows]


def _signal_and_wait(proc: subprocess.Popen[str], sig: int) -> tuple[int, str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out + err


def _server_dirs(pid: int) -> list[Path]:
    """The ``sqlsafe-pg-*`` directories the sqlsafe process *pid* made."""
    found = []
    for parent in Path(tempfile.gettempdir()).glob("sqlsafe-pg-*"):
        with contextlib.suppress(OSError):
            if (parent / "sqlsafe-owner").read_text().split()[0] == str(pid):
                found.append(parent)
    return found


def _embedded_dsn(parent: Path) -> str | None:
    """The DSN of the embedded server in *parent*, from its ``postmaster.pid``."""
    with contextlib.suppress(OSError, IndexError):
        lines = (parent / "data" / "postmaster.pid").read_text().splitlines()
        if len(lines) >= 8 and "ready" in lines[7]:
            return f"host={lines[4]} port={lines[3]} user=postgres dbname=postgres"
    return None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError):
        if " Z" in Path(f"/proc/{pid}/stat").read_text().split(")")[-1][:3]:
            return False  # a zombie
    return True


def _embedded_sleeping(proc: subprocess.Popen[str]) -> tuple[Path, int, str]:
    """Wait until the embedded trace of *proc* runs its pg_sleep: (dir, postmaster, dsn)."""

    def probe() -> tuple[Path, str] | None:
        if proc.poll() is not None:
            raise AssertionError(f"sqlsafe ended early: {proc.communicate()}")
        for parent in _server_dirs(proc.pid):
            dsn = _embedded_dsn(parent)
            if dsn:
                return parent, dsn
        return None

    parent, dsn = _wait_for(probe, "the embedded server")  # type: ignore[misc]
    _sleeping_database(dsn, proc)
    postmaster = int((parent / "data" / "postmaster.pid").read_text().split()[0])
    return parent, postmaster, dsn


def _gone(parent: Path, postmaster: int) -> bool:
    return not parent.exists() and not _running(postmaster)


# ------------------------------------------------------------------- cleanup on signals
SIGNALS = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP]


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_a_signal_drops_the_scratch_database(pg_dsn: str, tmp_path: Path, sig: int) -> None:
    proc = _start("trace", "--dsn", pg_dsn, str(_migrations(tmp_path)))
    name = _sleeping_database(pg_dsn, proc)
    assert name in _leftovers(pg_dsn)
    started = time.monotonic()
    code, output = _signal_and_wait(proc, sig)
    assert code == 128 + sig, output
    assert time.monotonic() - started < 15  # the running statement is cancelled
    assert f"interrupted by {signal.Signals(sig).name}" in output
    assert "Traceback" not in output
    assert _leftovers(pg_dsn) == []


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_a_signal_stops_the_embedded_server(tmp_path: Path, sig: int) -> None:
    proc = _start("trace", str(_migrations(tmp_path)))
    try:
        parent, postmaster, _ = _embedded_sleeping(proc)
        code, output = _signal_and_wait(proc, sig)
    finally:
        proc.kill()
    assert code == 128 + sig, output
    assert f"interrupted by {signal.Signals(sig).name}; cleaned up" in output
    assert _gone(parent, postmaster)


# -------------------------------------------------------------- leftovers of killed runs
def test_a_killed_run_is_swept_by_the_next_one_and_a_live_run_is_not(
    pg_dsn: str, tmp_path: Path
) -> None:
    killed = _start("trace", "--dsn", pg_dsn, str(_migrations(tmp_path / "a")))
    name = _sleeping_database(pg_dsn, killed)
    with connect(pg_dsn) as conn:  # the login role a trace makes for the migration
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone():
            conn.execute(f'CREATE ROLE "{name}"')
        # names the sweep must never touch: the tests' prefix, an unrelated database
        spared = f"t_{secrets.token_hex(6)}"
        conn.execute(f'CREATE DATABASE "{spared}"')
    killed.kill()
    killed.communicate()
    assert name in _leftovers(pg_dsn)  # kill -9: nothing could clean up
    live = _start("trace", "--dsn", pg_dsn, str(_migrations(tmp_path / "b")))
    try:
        # (the killed run's pg_sleep goes on on the server: look for the other database)
        others = _wait_for(
            lambda: [n for n in _leftovers(pg_dsn) if n != name], "the live run's database"
        )
        # a third run sweeps the killed run's leftovers, but not the live run's database
        code, output = _run("trace", "--dsn", pg_dsn, str(_migrations(tmp_path / "c", "")))
        assert code == 0, output
        remaining = _leftovers(pg_dsn)
        assert name not in remaining
        assert set(others) <= set(remaining)  # type: ignore[call-overload]
    finally:
        live.send_signal(signal.SIGTERM)
        live.communicate(timeout=60)
    with connect(pg_dsn) as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (spared,)).fetchone()
        conn.execute(f'DROP DATABASE "{spared}"')
    assert _leftovers(pg_dsn) == []


@pytest.fixture()
def private_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary directory of this test's own for the sqlsafe processes it starts, so that
    no other test's embedded server start sweeps what this test left on purpose (it is
    world-readable: the server runs as another user than root)."""
    private = Path(tempfile.mkdtemp(prefix="sqlsafe-lifecycle-"))
    os.chmod(private, 0o755)
    monkeypatch.setenv("TMPDIR", str(private))
    monkeypatch.setattr(tempfile, "tempdir", None)  # this process reads TMPDIR again
    yield private
    shutil.rmtree(private, ignore_errors=True)


def test_a_killed_embedded_server_is_stopped_by_the_next_run(
    tmp_path: Path, private_tmp: Path
) -> None:
    proc = _start("trace", str(_migrations(tmp_path)))
    try:
        parent, postmaster, _ = _embedded_sleeping(proc)
    finally:
        proc.kill()
        proc.communicate()
    assert parent.parent == private_tmp
    # kill -9 left them; only this test's next run looks in its temporary directory
    assert parent.exists() and _running(postmaster)
    code, output = _run("trace", str(_migrations(tmp_path, "")))
    assert code == 0, output
    assert _gone(parent, postmaster)


# ------------------------------------------------------------------ a cleanup that fails
@pytest.fixture()
def weak_dsn(pg_dsn: str) -> Iterator[str]:
    """A DSN for a role that may create databases (and roles) but is no superuser."""
    role = f"tl_{secrets.token_hex(4)}"
    with connect(pg_dsn) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN CREATEDB CREATEROLE")
    yield make_conninfo(pg_dsn, user=role)
    with connect(pg_dsn) as conn:
        for (name,) in conn.execute(
            "SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba "
            "WHERE r.rolname = 'postgres' AND datname LIKE %s",
            (SCRATCH,),
        ).fetchall():
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        for (name,) in conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (SCRATCH,)
        ).fetchall():
            conn.execute(f'DROP ROLE "{name}"')
        conn.execute(f"DROP ROLE {role}")


def _take_away(pg_dsn: str, name: str) -> None:
    """The scratch database now belongs to the superuser: the DSN's role cannot drop it."""
    with connect(pg_dsn) as conn:
        conn.execute(f'ALTER DATABASE "{name}" OWNER TO postgres')


def test_a_failed_cleanup_after_a_finished_trace_exits_non_zero(
    pg_dsn: str, weak_dsn: str, tmp_path: Path
) -> None:
    proc = _start("trace", "--dsn", weak_dsn, str(_migrations(tmp_path, "SELECT pg_sleep(10);\n")))
    _take_away(pg_dsn, _sleeping_database(pg_dsn, proc))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, out + err
    assert "002_last.sql:1: SELECT pg_sleep(10)" in out  # the trace itself is still shown
    assert "cleanup failed" in err and "must be owner" in err


def test_a_failed_cleanup_after_a_signal_is_reported(
    pg_dsn: str, weak_dsn: str, tmp_path: Path
) -> None:
    proc = _start("trace", "--dsn", weak_dsn, str(_migrations(tmp_path)))
    _take_away(pg_dsn, _sleeping_database(pg_dsn, proc))
    code, output = _signal_and_wait(proc, signal.SIGTERM)
    assert code == 128 + signal.SIGTERM, output
    assert "cleanup failed" in output and "interrupted by SIGTERM" in output
    assert "cleaned up" not in output


# ----------------------------------------------------------------------- bounded waits
@pytest.fixture()
def silent_server() -> Iterator[str]:
    """A DSN for a server that accepts TCP connections and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    try:
        yield f"postgresql://someone:{PASSWORD}@127.0.0.1:{port}/app"
    finally:
        listener.close()


@pytest.mark.parametrize("command", ["trace", "doctor", "stats"])
def test_a_server_that_never_answers_fails_within_the_timeout(
    silent_server: str, tmp_path: Path, command: str
) -> None:
    args = [command, "--dsn", silent_server, "--timeout", "2"]
    if command == "trace":
        args.append(str(_migrations(tmp_path, "")))
    started = time.monotonic()
    code, output = _run(*args, timeout=60)
    took = time.monotonic() - started
    assert code == 2, output
    assert took < 15, took
    assert "cannot connect" in output and "no answer within 2 s" in output
    assert PASSWORD not in output


@pytest.fixture()
def locked_table(pg_db: str) -> Iterator[str]:
    """*pg_db* where another session, in an open transaction, holds ACCESS EXCLUSIVE locks:
    on public.busy and its index busy_v (DROP INDEX), on the index of public.indexed only
    (REINDEX INDEX), and on a sub-partition of public.parted."""
    with connect(pg_db) as conn:
        conn.execute("CREATE TABLE busy (id int PRIMARY KEY, v int); CREATE TABLE calm (id int)")
        conn.execute("CREATE INDEX busy_v ON busy (v); CREATE INDEX busy_v2 ON busy (v)")
        conn.execute("CREATE TABLE indexed (v int); CREATE INDEX indexed_v ON indexed (v)")
        conn.execute("CREATE TABLE parted (v int) PARTITION BY RANGE (v)")
        conn.execute(
            "CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10) "
            "PARTITION BY RANGE (v)"
        )
        conn.execute("CREATE TABLE parted_1a PARTITION OF parted_1 FOR VALUES FROM (0) TO (5)")
        conn.execute("INSERT INTO calm SELECT generate_series(1, 100)")
    with connect(pg_db) as holder:
        holder.execute("BEGIN")
        holder.execute("DROP INDEX busy_v")
        holder.execute("REINDEX INDEX indexed_v")
        holder.execute("LOCK TABLE ONLY parted_1a IN ACCESS EXCLUSIVE MODE")
        yield pg_db
        holder.execute("ROLLBACK")


def test_stats_does_not_wait_behind_an_access_exclusive_lock(locked_table: str) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "linter", "stats", "--dsn", locked_table, "--timeout", "3"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert time.monotonic() - started < 15
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert list(doc["tables"]) == ["public.calm"]
    assert doc["not_measured"] == ["public.busy", "public.indexed", "public.parted"]
    assert "public.busy not measured" in done.stderr


def test_doctor_gives_up_on_a_lock_within_the_timeout(locked_table: str) -> None:
    started = time.monotonic()
    code, output = _run("doctor", "--dsn", locked_table, "--timeout", "2", timeout=60)
    assert time.monotonic() - started < 15
    assert code == 2, output
    assert "gave up after 2 s" in output and "lock another session holds" in output
    assert "Traceback" not in output


# ----------------------------------------------------------------------- secrets
MALFORMED = [
    f"postgresql://someone:{PASSWORD}@[::1/app",  # unclosed [
    f"postgresql://someone:{PASSWORD}%zz@localhost/app",  # bad % escape
    f"postgresql://someone:pre%zz{PASSWORD}@localhost/app",
    f"host=localhost password={PASSWORD} stray",  # keyword DSN with a stray token
    f"host=localhost password=pre {PASSWORD} port=5432",
    f"host=localhost password='{PASSWORD}",  # unclosed quote
    f"postgresql://someone@localhost/app?password={PASSWORD}&bogus=1",
    f"postgresql://someone@localhost/app?bogus=1&password={PASSWORD}",
    f"postgresql://someone:{PASSWORD}@localhost:99999/app",  # a bad port: valid syntax
]


@pytest.mark.parametrize("dsn", MALFORMED)
@pytest.mark.parametrize("command", ["trace", "doctor", "stats"])
def test_no_message_prints_a_password(
    dsn: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [command, "--dsn", dsn, "--timeout", "2"]
    if command == "trace":
        args.append(str(_migrations(tmp_path, "")))
    code = main(args)
    out, err = capsys.readouterr()
    assert code == 2
    assert "cannot connect" in err
    assert PASSWORD not in out + err
    assert "***" in err or "password" not in dsn


def test_pgpassword_is_never_echoed(silent_server: str, tmp_path: Path) -> None:
    env = {**os.environ, "PGPASSWORD": "envs3cretpw"}
    dsn = make_conninfo(silent_server, password="")
    assert "envs3cretpw" not in dsn
    code, output = _run("doctor", "--dsn", dsn, "--timeout", "2", timeout=60, env=env)
    assert code == 2 and "envs3cretpw" not in output


def test_the_redacted_dsn_keeps_what_helps(silent_server: str) -> None:
    from linter.server.redact import redact

    shown = redact(silent_server)
    assert PASSWORD not in shown
    assert conninfo_to_dict(shown)["host"] == "127.0.0.1"


def test_a_dsn_without_secrets_is_shown_as_it_is() -> None:
    from linter.server.redact import redact, scrub

    for dsn in (
        "host=db port=5432 dbname=app user=me",
        "postgresql://me@db:5432/app?sslmode=require",
    ):
        assert redact(dsn) == dsn
        assert scrub(f'no "{dsn}"', dsn) == f'no "{dsn}"'


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_the_server_sweep_only_stops_what_sqlsafe_started(tmp_path: Path) -> None:
    from linter.server.pgserver import OWNER_FILE, sweep_servers

    stranger = subprocess.Popen(["sleep", "60"])  # not a postmaster of ours
    try:
        orphan = tmp_path / "sqlsafe-pg-orphan"
        (orphan / "data").mkdir(parents=True)
        (orphan / OWNER_FILE).write_text(f"{_dead_pid()} 1.0\n")
        (orphan / "data" / "postmaster.pid").write_text(f"{stranger.pid}\n{orphan}/data\n")
        foreign = tmp_path / "sqlsafe-pg-foreign"  # no owner file: not ours to judge
        (foreign / "data").mkdir(parents=True)
        alive = tmp_path / "sqlsafe-pg-alive"  # its owner (this process) still runs
        (alive / "data").mkdir(parents=True)
        (alive / OWNER_FILE).write_text(f"{os.getpid()} None\n")
        assert sweep_servers(tmp_path) == [orphan]
        assert not orphan.exists() and foreign.exists() and alive.exists()
        assert stranger.poll() is None  # a process sqlsafe did not start is never signalled
    finally:
        stranger.kill()
        stranger.wait()
