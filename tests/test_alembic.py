"""Alembic revisions linted as the SQL they run, on the lines of the .py file that wrote it.

The tests build a small Alembic project of their own: an ``env.py`` that needs a
``DATABASE_URL`` that is not set (sqlsafe never runs it), and a revision graph with a
branch and a merge point whose file names sort differently from the graph's order.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from linter.api import gather, lint_paths
from linter.inputs.config import Config
from linter.inputs.frameworks import read_history
from linter.inputs.frameworks.alembic_layout import detect
from linter.inputs.frameworks.rendered import RenderedMigration

pytest.importorskip("alembic")

ENV_PY = """\
import os

from alembic import context

# needs a database: sqlsafe must never run this file
url = os.environ["DATABASE_URL"]
context.configure(url=url, transaction_per_migration=True)
"""

# file name -> source; the graph: base -> (email, orders) -> merge -> tail
REVISIONS = {
    "a1_base.py": '''\
        """base"""
        import sqlalchemy as sa
        from alembic import op

        revision = "1000base"
        down_revision = None
        branch_labels = None
        depends_on = None


        def upgrade():
            op.create_table(
                "users",
                sa.Column("id", sa.BigInteger(), primary_key=True),
                sa.Column("name", sa.Text(), nullable=False),
            )


        def downgrade():
            op.drop_table("users")
        ''',
    "c3_email.py": '''\
        """email"""
        import sqlalchemy as sa
        from alembic import op

        revision: str = "2000email"
        down_revision: str | None = "1000base"


        def upgrade() -> None:
            op.add_column("users", sa.Column("email", sa.Text(), nullable=True))
            op.create_index("ix_users_email", "users", ["email"])
            # sqlsafe: ignore add-not-null-column -- the table is empty everywhere
            op.add_column("users", sa.Column("age", sa.BigInteger(), nullable=False))
            op.add_column("users", sa.Column("score", sa.BigInteger(), nullable=False))
            op.execute(
                """
                UPDATE users
                   SET email = lower(email)
                """
            )


        def downgrade() -> None:
            op.drop_column("users", "score")
            op.drop_column("users", "age")
            op.drop_index("ix_users_email", table_name="users")
            op.drop_column("users", "email")
        ''',
    "b2_orders.py": """\
        import sqlalchemy as sa
        from alembic import op

        revision = "3000orders"
        down_revision = "1000base"


        def upgrade():
            op.create_table(
                "orders",
                sa.Column("id", sa.BigInteger(), primary_key=True),
                sa.Column("user_id", sa.BigInteger()),
            )


        def downgrade():
            op.drop_table("orders")
        """,
    "a9_merge.py": """\
        from alembic import op

        revision = "4000merge"
        down_revision = ("2000email", "3000orders")


        def upgrade():
            with op.get_context().autocommit_block():
                op.create_index(
                    "ix_orders_user", "orders", ["user_id"], postgresql_concurrently=True
                )
            op.create_index("ix_users_name", "users", ["name"], postgresql_concurrently=True)


        def downgrade():
            with op.get_context().autocommit_block():
                op.drop_index("ix_users_name", table_name="users", postgresql_concurrently=True)
                op.drop_index("ix_orders_user", table_name="orders", postgresql_concurrently=True)
        """,
    "0_tail.py": """\
        from alembic import op

        revision = "5000tail"
        down_revision = "4000merge"
        depends_on = "3000orders"


        def upgrade():
            op.alter_column("orders", "user_id", new_column_name="customer_id")
        """,
}


def write_project(root: Path, revisions: dict[str, str] | None = None) -> Path:
    """An Alembic project in *root*; returns its versions directory."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "migrations" / "env.py").write_text(ENV_PY)
    (root / "migrations" / "script.py.mako").write_text("${upgrades}\n")
    for name, source in (revisions or REVISIONS).items():
        (versions / name).write_text(textwrap.dedent(source))
    return versions


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    write_project(tmp_path)
    return tmp_path


def sqlsafe(
    *args: str, cwd: Path, env: dict[str, str] | None = None, block_alembic: bool = False
) -> subprocess.CompletedProcess[str]:
    """``sqlsafe ARGS`` in a fresh interpreter (*block_alembic*: alembic not importable)."""
    blocker = "import sys; sys.modules['alembic'] = None; " if block_alembic else ""
    code = f"{blocker}import sys; from linter.cli import main; sys.exit(main())"
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )


def gcc(out: str) -> list[tuple[str, int, str]]:
    """(file, line, rule) of each gcc-format finding."""
    found = []
    for line in out.splitlines():
        path, lineno, _col, rest = line.split(":", 3)
        found.append((os.path.basename(path), int(lineno), rest.rsplit("[", 1)[1].rstrip("]")))
    return found


def test_detected_and_ordered_by_the_graph(project: Path) -> None:
    versions = project / "migrations" / "versions"
    assert detect(versions)
    assert not detect(project / "migrations")  # (env.py is not a revision)
    inputs = gather(["migrations/versions"], Config(root=project))
    ups = [os.path.basename(u.path) for u in inputs.units if u.direction == "up"]
    assert ups == ["a1_base.py", "b2_orders.py", "c3_email.py", "a9_merge.py", "0_tail.py"]
    downs = {os.path.basename(u.path): u for u in inputs.units if u.direction == "down"}
    assert set(downs) == {"a1_base.py", "b2_orders.py", "c3_email.py", "a9_merge.py"}
    assert not downs["c3_email.py"].applies
    assert downs["c3_email.py"].undoes == os.path.join("migrations", "versions", "c3_email.py")
    assert all(u.layout == "alembic" for u in inputs.units)
    # the whole project named: env.py, script.py.mako and the ini are not linted
    whole = gather(["."], Config(root=project))
    assert {os.path.basename(u.path) for u in whole.units} == set(REVISIONS)


def test_findings_point_at_the_op_line(project: Path) -> None:
    done = sqlsafe("lint", "migrations/versions", "--no-cache", "--format", "gcc", cwd=project)
    assert done.returncode == 1, done.stderr
    found = gcc(done.stdout)
    # the non-concurrent index on an existing table, at its op.create_index line
    assert ("c3_email.py", 11, "non-concurrent-index") in found
    # the suppressed NOT NULL column (line 13) is not reported; the next one is
    assert ("c3_email.py", 13, "add-not-null-column") not in found
    assert ("c3_email.py", 14, "add-not-null-column") in found
    # op.execute's SQL sits on the lines of its string: the UPDATE starts on line 17
    assert ("c3_email.py", 17, "unbatched-backfill") in found
    # CONCURRENTLY inside autocommit_block is fine; outside it, it fails in the transaction
    assert not [f for f in found if f[0] == "a9_merge.py" and f[1] == 9 and f[2].startswith("con")]
    assert ("a9_merge.py", 12, "concurrently-in-transaction") in found
    # a rename after the merge, in the revision that depends on it
    assert ("0_tail.py", 9, "rename-column") in found
    assert "statically" not in done.stderr
    assert not [f for f in found if f[0] in ("env.py", "script.py.mako")]


def test_downgrade_is_a_down_migration(project: Path) -> None:
    done = sqlsafe("lint", "migrations/versions", "--no-cache", "--format", "json", cwd=project)
    findings = json.loads(done.stdout)["findings"]
    found = {(os.path.basename(f["path"]), f["line"], f["rule"]) for f in findings}
    # downgrade()'s first op waits for its lock with no lock_timeout; dropping the columns
    # its upgrade() added is what a down migration is for (not reported)
    assert ("c3_email.py", 24, "require-lock-timeout") in found
    assert not [f for f in found if f[2] == "drop-column"]
    listing = sqlsafe("histories", "migrations/versions", cwd=project).stdout
    assert re.search(r"c3_email\.py +down, not applied", listing), listing


def test_ignore_file(project: Path) -> None:
    path = project / "migrations" / "versions" / "c3_email.py"
    path.write_text("# sqlsafe: ignore-file -- reviewed\n" + path.read_text())
    done = sqlsafe("lint", "migrations/versions", "--no-cache", "--format", "gcc", cwd=project)
    assert not [f for f in gcc(done.stdout) if f[0] == "c3_email.py"]


def test_a_revision_named_alone_reads_its_history(project: Path) -> None:
    one = "migrations/versions/c3_email.py"
    done = sqlsafe("lint", one, "--no-cache", "--format", "gcc", cwd=project)
    found = gcc(done.stdout)
    assert {f[0] for f in found} == {"c3_email.py"}
    # users was created by the base revision: an existing table
    assert ("c3_email.py", 11, "non-concurrent-index") in found
    # env.py named alone (a pre-commit hook's file list): not a migration, nothing linted
    env = sqlsafe("lint", "migrations/env.py", "--no-cache", "--format", "gcc", cwd=project)
    assert env.stdout == "" and env.returncode == 0, env.stderr


def test_layout_option_and_config(project: Path) -> None:
    done = sqlsafe("lint", ".", "--layout", "alembic", "--no-cache", "--format", "gcc", cwd=project)
    assert ("c3_email.py", 11, "non-concurrent-index") in gcc(done.stdout)
    (project / "sqlsafe.toml").write_text('layout = "alembic"\n')
    again = sqlsafe("lint", ".", "--no-cache", "--format", "gcc", cwd=project)
    assert again.returncode == 1, again.stderr
    assert again.stdout == done.stdout


def test_static_fallback_without_alembic(project: Path) -> None:
    done = sqlsafe(
        "lint",
        "migrations/versions",
        "--no-cache",
        "--format",
        "gcc",
        cwd=project,
        block_alembic=True,
    )
    found = gcc(done.stdout)
    assert ("c3_email.py", 11, "non-concurrent-index") in found
    assert ("c3_email.py", 13, "add-not-null-column") not in found
    assert ("c3_email.py", 14, "add-not-null-column") in found
    assert ("c3_email.py", 17, "unbatched-backfill") in found
    assert ("a9_merge.py", 12, "concurrently-in-transaction") in found
    assert ("0_tail.py", 9, "rename-column") in found
    assert ("c3_email.py", 24, "require-lock-timeout") in found
    notes = [line for line in done.stderr.splitlines() if "read statically" in line]
    assert len(notes) == 1, done.stderr
    assert notes[0].startswith("sqlsafe: 5 Alembic revisions read statically")
    assert "alembic is not importable" in notes[0]
    as_json = sqlsafe(
        "lint",
        "migrations/versions",
        "--no-cache",
        "--format",
        "json",
        cwd=project,
        block_alembic=True,
    )
    assert json.loads(as_json.stdout)["summary"]["notes"] == [notes[0].removeprefix("sqlsafe: ")]


def test_a_revision_that_cannot_be_imported_is_read_statically(project: Path) -> None:
    path = project / "migrations" / "versions" / "c3_email.py"
    path.write_text(
        path.read_text().replace(
            "from alembic import op", "from alembic import op\nimport myapp.models  # noqa"
        )
    )
    result = lint_paths(["migrations/versions"], Config(root=project))
    assert result.notes == [
        "1 Alembic revision read statically (migrations/versions/c3_email.py): "
        "ModuleNotFoundError: No module named 'myapp'"
    ]
    # the import line moved everything one line down
    assert ("c3_email.py", 12, "non-concurrent-index") in {
        (os.path.basename(f.path), f.line, f.rule) for f in result.findings
    }


def test_render_cache_is_used(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    env = {
        "SQLSAFE_CACHE_DIR": str(tmp_path_factory.mktemp("cache")),
        "SQLSAFE_RENDER_STATS": "1",
    }
    first = sqlsafe("lint", "migrations/versions", "--format", "gcc", cwd=project, env=env)
    assert "5 rendered, 0 cached" in first.stderr
    path = project / "migrations" / "versions" / "0_tail.py"
    path.write_text(path.read_text().replace("customer_id", "client_id"))
    second = sqlsafe("lint", "migrations/versions", "--format", "gcc", cwd=project, env=env)
    assert "1 rendered, 4 cached" in second.stderr
    assert gcc(second.stdout) == gcc(first.stdout)  # (the same findings at the same lines)


def test_rendered_sql_runs_on_postgresql(project: Path, pg_db: str) -> None:
    """What the renderer says Alembic sends is SQL PostgreSQL accepts, in the graph's order,
    up and (with rows in the tables) down again."""
    import psycopg
    from pglast import split

    versions = project / "migrations" / "versions"
    ordered = read_history("alembic", versions, sorted(versions.glob("*.py")))
    assert [m.ident for m in ordered] == [
        "1000base",
        "3000orders",
        "2000email",
        "4000merge",
        "5000tail",
    ]
    assert all(not m.static_reason for m in ordered)

    def run(conn: psycopg.Connection, migration: RenderedMigration, down: bool) -> None:
        """One statement at a time, as Alembic sends them; the transactions of a migration
        with an autocommit block are written out (BEGIN ... COMMIT around the block)."""
        chunks = migration.down if down else migration.up
        statements = [s for c in chunks or () for s in split(c.sql)]
        with contextlib.ExitStack() as stack:
            if migration.in_transaction:
                stack.enter_context(conn.transaction())
            for statement in statements:
                if "ix_users_name" in statement and not down:
                    # sqlsafe's concurrently-in-transaction: PostgreSQL agrees
                    with pytest.raises(psycopg.errors.ActiveSqlTransaction):
                        conn.execute(statement.encode())
                    conn.execute(b"ROLLBACK")
                    conn.execute(statement.encode())  # (where it belongs: outside)
                    conn.execute(b"BEGIN")
                    continue
                conn.execute(statement.encode())

    with psycopg.connect(pg_db, autocommit=True) as conn:
        for migration in ordered:
            run(conn, migration, down=False)
        conn.execute(b"INSERT INTO users (name, age, score) VALUES ('a', 1, 2), ('b', 3, 4)")
        for migration in reversed(ordered):
            run(conn, migration, down=True)
        left = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
        assert left == (0,)


def _new_revision_on_a_branch(project: Path) -> None:
    """The project committed on main, then a branch adding a revision with a hazard."""
    from conftest import git

    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "base")
    git(project, "checkout", "-q", "-b", "feature")
    (project / "migrations" / "versions" / "f1_more.py").write_text(
        textwrap.dedent(
            """\
            from alembic import op

            revision = "6000more"
            down_revision = "5000tail"


            def upgrade():
                op.create_index("ix_orders_customer", "orders", ["customer_id"])
            """
        )
    )


def test_diff_reports_the_changed_revisions(project: Path) -> None:
    _new_revision_on_a_branch(project)
    done = sqlsafe("lint", "migrations/versions", "--diff", "main", "--format", "gcc", cwd=project)
    found = gcc(done.stdout)
    # only the new revision is reported; its history (the column renamed by 0_tail) is read
    assert {f[0] for f in found} == {"f1_more.py"}, done.stderr
    assert ("f1_more.py", 8, "non-concurrent-index") in found


def test_github_action_annotates_the_new_revision(project: Path, repo: Path) -> None:
    import yaml

    _new_revision_on_a_branch(project)
    action = yaml.safe_load((repo / "action.yml").read_text(encoding="utf-8"))
    (step,) = [s for s in action["runs"]["steps"] if s.get("name") == "Lint changed migrations"]
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
        "BASE_REF": "main",
        "PATHS": "migrations/versions",
        "ARGS": "",
    }
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]], cwd=project, env=env, capture_output=True, text=True
    )
    assert done.returncode == 1, done.stderr
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert annotations and all(
        "file=migrations/versions/f1_more.py,line=8" in line for line in annotations
    ), annotations


def test_generated_benchmark_project_renders_in_graph_order(
    tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``bench/alembic_project.py`` (the benchmark's project): every revision rendered (none
    read statically), each after its parents, branches merged back."""
    monkeypatch.syspath_prepend(str(repo / "bench"))
    from alembic_project import write_project

    versions = write_project(tmp_path / "gen", 60)
    ordered = read_history("alembic", versions, sorted(versions.glob("*.py")))
    assert len(ordered) == 61 and not [m for m in ordered if m.static_reason]
    seen: set[str] = set()
    for migration in ordered:
        assert set(migration.parents) <= seen, migration.path
        seen.add(migration.ident)
    assert any(len(m.parents) == 2 for m in ordered)  # the merge point
    assert [m.path for m in ordered] != sorted(m.path for m in ordered)


AUTOGENERATED = '''\
"""autogenerated

Revision ID: d4auto
Revises: 5000tail
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "d4auto"
down_revision: Union[str, None] = "5000tail"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Enum("a", "b", name="event_kind"), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_events_user_id"), "events", ["user_id"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("active", sa.Boolean(), server_default="t", nullable=False))
        batch_op.alter_column("name", existing_type=sa.TEXT(), type_=sa.String(length=100))
        batch_op.create_foreign_key("fk_users_orders", "orders", ["id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("fk_users_orders", type_="foreignkey")
        batch_op.drop_column("active")
    op.drop_index(op.f("ix_events_user_id"), table_name="events")
    op.drop_table("events")
'''


@pytest.mark.parametrize("blocked", [False, True], ids=["rendered", "static"])
def test_autogenerated_revision_with_batch_operations(project: Path, blocked: bool) -> None:
    """An autogenerate-style revision: each batch operation reported on its own line (Alembic
    runs them when the block ends), the same findings rendered and read statically."""
    (project / "migrations" / "versions" / "d4_auto.py").write_text(AUTOGENERATED)
    one = "migrations/versions/d4_auto.py"
    done = sqlsafe("lint", one, "--no-cache", "--format", "gcc", cwd=project, block_alembic=blocked)
    found = {(f[1], f[2]) for f in gcc(done.stdout)}
    assert (32, "alter-column-type") in found, done.stdout
    assert (33, "add-foreign-key") in found, done.stdout
    assert not [f for f in found if f[1] == "non-concurrent-index"]  # (a new table's index)
    assert not [f for f in found if f[0] == 31]  # (a constant default: no rewrite)
    assert ("statically" in done.stderr) == blocked


def test_fix_and_stdin_leave_python_migrations_alone(project: Path) -> None:
    path = project / "migrations" / "versions" / "c3_email.py"
    before = path.read_text()
    done = sqlsafe("fix", "migrations/versions", "--write", cwd=project)
    assert path.read_text() == before
    assert done.returncode == 1
    assert "c3_email.py: not fixed: sqlsafe fix does not rewrite alembic migrations" in done.stderr
    piped = subprocess.run(
        [sys.executable, "-m", "linter", "lint", "-", "--stdin-filename", str(path)],
        input=before,
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "a Python migration is read from its file" in piped.stdout + piped.stderr
    assert "syntax-error" not in piped.stdout


OFFLINE_ENV = """\
from alembic import context

context.configure(url="postgresql://", literal_binds=True, transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
"""


def _statements(sql: str) -> list[str]:
    """The statements of *sql*, whitespace collapsed, without the transaction around it
    and the bookkeeping of ``alembic_version``."""
    from pglast import split

    found = [" ".join(s.split()) for s in split(sql)]
    found = [s for s in found if "alembic_version" not in s]
    if found and found[0] == "BEGIN":
        found = found[1:]
    if found and found[-1] == "BEGIN":  # (alembic's output: the next revision's BEGIN)
        found = found[:-1]
    if found and found[-1] == "COMMIT":
        found = found[:-1]
    return found


def test_rendered_like_alembic_upgrade_sql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each revision's statements are those ``alembic upgrade head --sql`` prints for it
    (run here with an offline env.py of the test's own)."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    root = tmp_path / "copy"
    versions = write_project(root)
    (root / "migrations" / "env.py").write_text(OFFLINE_ENV)
    monkeypatch.chdir(root)  # (alembic reads script_location from the working directory)
    out = io.StringIO()
    config = AlembicConfig(str(root / "alembic.ini"), output_buffer=out)
    command.upgrade(config, "head", sql=True)
    printed: dict[str, list[str]] = {}
    for part in re.split(r"^-- Running upgrade ", out.getvalue(), flags=re.MULTILINE)[1:]:
        head, _, body = part.partition("\n")
        printed[head.rsplit("-> ", 1)[1].strip()] = _statements(body)
    rendered = {
        m.ident: _statements("\n".join(c.sql for c in m.up))
        for m in read_history("alembic", versions, sorted(versions.glob("*.py")))
    }
    assert rendered == printed


def test_columns_point_at_the_operation_and_the_sql_text(project: Path) -> None:
    result = lint_paths(["migrations/versions"], Config(root=project))
    at = {(os.path.basename(f.path), f.line, f.rule): f.column for f in result.findings}
    assert at["c3_email.py", 11, "non-concurrent-index"] == 5  # `op.create_index(`
    assert at["c3_email.py", 17, "unbatched-backfill"] == 9  # `UPDATE` inside the string


SAFE_SHAPES = {
    "a1_init.py": """
        from alembic import op
        import sqlalchemy as sa
        revision = "a1"
        down_revision = None

        def upgrade():
            op.create_table("orders", sa.Column("id", sa.BigInteger, primary_key=True))
        """,
    "a2_backfill.py": '''
        from alembic import op
        revision = "a2"
        down_revision = "a1"

        def upgrade():
            # commits what ran before: this revision runs in a transaction of its own
            with op.get_context().autocommit_block():
                pass
            op.execute("SET LOCAL lock_timeout = '2s';")
            op.execute("""DO $$
        DECLARE
            last orders.id%TYPE;
        BEGIN
            RAISE NOTICE 'at %', last;
        END
        $$;""")

        def downgrade():
            raise RuntimeError("irreversible: the backfill cannot be undone")
        ''',
}


def test_what_alembic_sends_not_what_its_offline_mode_prints(tmp_path: Path) -> None:
    """An empty autocommit_block() (COMMIT and BEGIN on one line) opens a transaction that
    the revision's end commits; ``%`` reaches PostgreSQL once (offline mode prints ``%%``);
    SQL ending in ``;`` is not followed by an empty statement; a downgrade() that raises
    makes the revision irreversible, not unreadable."""
    write_project(tmp_path, SAFE_SHAPES)
    done = sqlsafe("lint", "migrations/versions", "--no-cache", "--format", "gcc", cwd=tmp_path)
    rules = {rule for name, _line, rule in gcc(done.stdout) if name == "a2_backfill.py"}
    assert not rules & {"transaction-nesting", "uncommitted-transaction", "syntax-error"}, (
        done.stdout
    )
    assert "read statically" not in done.stderr, done.stderr
    versions = tmp_path / "migrations" / "versions"
    (backfill,) = [
        m
        for m in read_history("alembic", versions, sorted(versions.glob("*.py")))
        if m.ident == "a2"
    ]
    assert backfill.down is None and not backfill.static_reason
    sql = " ".join(c.sql for c in backfill.up)
    assert "%TYPE" in sql and "%%" not in sql and ";;" not in sql
