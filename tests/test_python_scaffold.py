"""Scaffolds written as Alembic revisions and Django migrations: run by the framework itself
(``alembic upgrade`` / ``manage.py migrate``, then back) on the embedded PostgreSQL with rows
in the tables, and the SQL the framework renders for them lints as clean as the SQL layouts'
files of the same scaffold."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from scaffold_helpers import HISTORY, ROWS, columns, describe, fresh_database, query, setup

from linter.analysis.engine import Finding, lint_sources
from linter.analysis.registry import load_rules
from linter.cli import cli
from linter.inputs.frameworks.detect import detect_framework
from linter.inputs.source import Source
from linter.state.context import Settings
from linter.writers.python_history import HistoryError, alembic_head, django_app

pytest.importorskip("alembic")
pytest.importorskip("django")

INITIAL_ALEMBIC = '''"""initial"""
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""{history}""")


def downgrade() -> None:
    op.execute("DROP TABLE accounts; DROP TABLE users;")
'''

ENV_PY = """from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(connection=connection, transaction_per_migration=PER_MIGRATION)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
"""

ALEMBIC_INI = """[alembic]
script_location = %(here)s/migrations
sqlalchemy.url = {url}
"""


def _sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def alembic_project(root: Path, url: str, per_migration: bool = False) -> Path:
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "alembic.ini").write_text(ALEMBIC_INI.format(url=_sqlalchemy_url(url)))
    (root / "migrations" / "env.py").write_text(ENV_PY.replace("PER_MIGRATION", str(per_migration)))
    (root / "migrations" / "script.py.mako").write_text("")
    (root / "migrations" / "versions" / "0001_initial.py").write_text(
        INITIAL_ALEMBIC.format(history=HISTORY)
    )
    return root


def alembic(root: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


SETTINGS = """SECRET_KEY = "test"
INSTALLED_APPS = ["shop"]
DATABASES = {{"default": {{
    "ENGINE": "django.db.backends.postgresql",
    "NAME": {name!r}, "HOST": {host!r}, "PORT": {port!r}, "USER": {user!r},
    "PASSWORD": {password!r},
}}}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
"""

INITIAL_DJANGO = """from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Account",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.TextField()),
                ("user_id", models.BigIntegerField(null=True)),
            ],
            options={"db_table": "accounts"},
        ),
        migrations.CreateModel(
            name="User",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.TextField(null=True)),
            ],
            options={"db_table": "users"},
        ),
    ]
"""


def django_project(root: Path, url: str) -> Path:
    parts = urlsplit(url)
    query_of = parse_qs(parts.query)
    (root / "proj").mkdir(parents=True)
    (root / "shop" / "migrations").mkdir(parents=True)
    for package in ("proj", "shop", "shop/migrations"):
        (root / package / "__init__.py").write_text("")
    (root / "proj" / "settings.py").write_text(
        SETTINGS.format(
            name=parts.path.lstrip("/"),
            host=query_of.get("host", [parts.hostname or "127.0.0.1"])[0],
            port=query_of.get("port", [str(parts.port or 5432)])[0],
            user=parts.username or "postgres",
            password=parts.password or "",
        )
    )
    (root / "manage.py").write_text(
        "import os, sys\n"
        'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")\n'
        "from django.core.management import execute_from_command_line\n"
        "execute_from_command_line(sys.argv)\n"
    )
    (root / "shop" / "migrations" / "0001_initial.py").write_text(INITIAL_DJANGO)
    return root


def manage(root: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def scaffold(root: Path, *args: str) -> list[Path]:
    before = set(root.rglob("*.py"))
    result = CliRunner().invoke(cli, [*args, "--dir", str(root)])
    assert result.exit_code == 0, result.output
    return sorted(set(root.rglob("*.py")) - before)


def lint(history: str, rendered: dict[str, str], target: int = 15) -> list[Finding]:
    sources = [Source("<history>", history)] + [Source(p, t) for p, t in rendered.items()]
    result = lint_sources(
        sources,
        load_rules(),
        Settings(target_version=target),
        report=list(rendered),
        implicit_tx={p: False for p in rendered},
    )
    return result.findings


def sql_layout_findings(args: list[str], tmp: Path, target: int = 15) -> list[Finding]:
    """The findings on the plain SQL layout's files of the same scaffold."""
    folder = tmp / "sql"
    folder.mkdir()
    (folder / "0001_history.sql").write_text(HISTORY)
    result = CliRunner().invoke(cli, [*args, "--dir", str(folder), "--layout", "plain"])
    assert result.exit_code == 0, result.output
    files = sorted(p for p in folder.iterdir() if p.name != "0001_history.sql")
    return lint(HISTORY, {p.name: p.read_text() for p in files}, target)


def _rules(findings: list[Finding]) -> list[str]:
    return sorted(f.rule for f in findings)


SCAFFOLDS = {
    "new-column": [
        "new-column",
        "accounts",
        "email",
        "text",
        "--default",
        "''",
        "--not-null",
        "--index",
        "--batch-size",
        "700",
    ],
    "new-column-backfill": [
        "new-column",
        "accounts",
        "score",
        "bigint",
        "--backfill",
        "id * 2",
        "--not-null",
        "--unique",
        "--batch-size",
        "700",
    ],
    "new-table": ["new-table", "coupons", "--column", "code text NOT NULL", "--index", "code"],
    "new-index": ["new-index", "accounts", "name"],
    "new-index-partial": ["new-index", "accounts", "user_id", "--where", "user_id IS NOT NULL"],
    "backfill": ["backfill", "accounts", "--set", "name = upper(name)", "--batch-size", "600"],
}


# --------------------------------------------------------------------------- detection
def test_detection(tmp_path: Path) -> None:
    al = alembic_project(tmp_path / "al", "postgresql://x@127.0.0.1/x")
    dj = django_project(tmp_path / "dj", "postgresql://x@127.0.0.1/x")
    assert detect_framework(al) == "alembic"
    assert detect_framework(al / "migrations") == "alembic"
    assert detect_framework(al / "migrations" / "versions") == "alembic"
    assert detect_framework(dj) == "django"
    assert detect_framework(dj / "shop") == "django"
    assert detect_framework(dj / "shop" / "migrations") == "django"
    sql = tmp_path / "sql"
    sql.mkdir()
    (sql / "0001_x.sql").write_text("SELECT 1;")
    assert detect_framework(sql) is None


def test_writers_and_linter_tell_migration_files_alike(tmp_path: Path) -> None:
    """One test per framework serves the linter's layouts and the writers: a Django
    migration numbered past 9999 and an Alembic revision assigned from a name are both seen
    by each side, and a plain module by neither."""
    from linter.inputs.frameworks import alembic_layout, django_layout

    migrations = tmp_path / "app" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "__init__.py").write_text("")
    (migrations / "10000_big.py").write_text(
        "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
        "    dependencies = []\n    operations = []\n"
    )
    assert detect_framework(migrations) == "django"
    assert django_layout.detect(migrations)
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a1.py").write_text('REV = "a1"\nrevision = REV\ndown_revision = None\n')
    assert detect_framework(versions) == "alembic"
    assert alembic_layout.detect(versions)
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "0002_helpers.py").write_text("def f():\n    return 1\n")
    assert detect_framework(plain) is None
    assert not django_layout.detect(plain) and not alembic_layout.detect(plain)


def test_alembic_head_and_multiple_heads(tmp_path: Path) -> None:
    root = alembic_project(tmp_path, "postgresql://x@127.0.0.1/x")
    versions = root / "migrations" / "versions"
    assert alembic_head(versions, None) == "0001"
    for rev in ("aaa1", "bbb2"):
        (versions / f"{rev}_x.py").write_text(
            f'revision: str = "{rev}"\ndown_revision: str | None = "0001"\n'
        )
    with pytest.raises(HistoryError, match="2 heads"):
        alembic_head(versions, None)
    assert alembic_head(versions, "bbb") == "bbb2"
    result = CliRunner().invoke(
        cli, ["new-index", "accounts", "name", "--dir", str(root), "--stdout"]
    )
    assert result.exit_code == 2 and "--head REV" in result.output
    result = CliRunner().invoke(
        cli, ["new-index", "accounts", "name", "--dir", str(root), "--stdout", "--head", "aaa1"]
    )
    assert result.exit_code == 0, result.output
    assert "down_revision = 'aaa1'" in result.output


def test_django_latest_and_models(tmp_path: Path) -> None:
    root = django_project(tmp_path, "postgresql://x@127.0.0.1/x")
    app = django_app(root / "shop" / "migrations")
    assert (app.label, app.latest, app.next_number) == ("shop", "0001_initial", 2)
    assert app.model_for_table("accounts") is not None
    assert app.models["user"].table == "users"
    (root / "shop" / "migrations" / "0002_a.py").write_text(
        "from django.db import migrations\nclass Migration(migrations.Migration):\n"
        "    dependencies = [('shop', '0001_initial')]\n    operations = []\n"
    )
    (root / "shop" / "migrations" / "0002_b.py").write_text(
        "from django.db import migrations\nclass Migration(migrations.Migration):\n"
        "    dependencies = [('shop', '0001_initial')]\n    operations = []\n"
    )
    with pytest.raises(HistoryError, match="makemigrations --merge"):
        django_app(root / "shop" / "migrations")


def test_generated_files_are_valid_python(tmp_path: Path) -> None:
    al = alembic_project(tmp_path / "al", "postgresql://x@127.0.0.1/x")
    dj = django_project(tmp_path / "dj", "postgresql://x@127.0.0.1/x")
    for args in SCAFFOLDS.values():
        for root in (al, dj):
            for path in scaffold(root, *args):
                ast.parse(path.read_text())
            for path in root.rglob("*.py"):
                if path.name[:4] not in ("0001", "env.", "mana", "sett", "__in"):
                    path.unlink()


# ------------------------------------------------------------------------------ Alembic
def _alembic_rendered(root: Path) -> dict[str, str]:
    """``alembic upgrade --sql`` of the new revisions, without Alembic's own bookkeeping
    (``UPDATE alembic_version``: one row, not part of any migration)."""
    sql = alembic(root, "upgrade", "0001:head", "--sql")
    kept = [s for s in sql.split(";\n") if "alembic_version" not in s]
    return {"upgrade.sql": ";\n".join(kept)}


@pytest.mark.parametrize("name", list(SCAFFOLDS))
@pytest.mark.parametrize("per_migration", [False, True])
def test_alembic_runs_downgrades_and_lints_clean(
    pg_dsn: str, tmp_path: Path, name: str, per_migration: bool
) -> None:
    args = SCAFFOLDS[name]
    with fresh_database(pg_dsn) as url:
        root = alembic_project(tmp_path / "project", url, per_migration)
        written = scaffold(root, *args)
        assert written and all(p.parent.name == "versions" for p in written)
        alembic(root, "upgrade", "0001")
        setup(url, ROWS)
        alembic(root, "upgrade", "head")
        _check_applied(url, name)
        findings = lint(HISTORY, _alembic_rendered(root))
        baseline = sql_layout_findings(args, tmp_path)
        assert _rules(findings) == _rules(baseline), describe(findings)
        if name != "backfill":  # data changes have nothing to undo, the rest is reversed
            alembic(root, "downgrade", "0001")
            _check_reverted(url, name)


def _check_applied(url: str, name: str) -> None:
    if name == "new-column":
        assert columns(url, "accounts")["email"] == ("text", True)
        assert query(url, "SELECT count(*) FROM accounts WHERE email = ''")[0][0] == 2500
        assert (
            query(
                url,
                "SELECT indisvalid FROM pg_index WHERE indexrelid = 'accounts_email_idx'::regclass",
            )[0][0]
            is True
        )
    elif name == "new-column-backfill":
        assert columns(url, "accounts")["score"] == ("bigint", True)
        assert query(url, "SELECT count(*) FROM accounts WHERE score = id * 2")[0][0] == 2500
    elif name == "new-table":
        assert "code" in columns(url, "coupons")
    elif name.startswith("new-index"):
        valid = query(
            url,
            "SELECT bool_and(indisvalid), count(*) FROM pg_index "
            "WHERE indrelid = 'accounts'::regclass AND NOT indisprimary",
        )[0]
        assert valid == (True, 1)
    elif name == "backfill":
        assert query(url, "SELECT count(*) FROM accounts WHERE name <> upper(name)")[0][0] == 0


def _check_reverted(url: str, name: str) -> None:
    if name.startswith("new-column"):
        assert set(columns(url, "accounts")) == {"id", "name", "user_id"}
        assert (
            query(
                url,
                "SELECT count(*) FROM pg_constraint WHERE "
                "conrelid = 'accounts'::regclass AND contype IN ('c', 'f', 'u')",
            )[0][0]
            == 0
        )
    elif name == "new-table":
        assert query(url, "SELECT to_regclass('coupons')")[0][0] is None
    if name != "new-table":
        assert (
            query(
                url,
                "SELECT count(*) FROM pg_index WHERE indrelid = "
                "'accounts'::regclass AND NOT indisprimary",
            )[0][0]
            == 0
        )
    assert query(url, "SELECT count(*) FROM accounts")[0][0] == 2500


def test_alembic_drop_index_and_irreversible_downgrade(pg_dsn: str, tmp_path: Path) -> None:
    with fresh_database(pg_dsn) as url:
        root = alembic_project(tmp_path / "project", url)
        scaffold(root, "new-index", "accounts", "name")
        scaffold(root, "drop-index", "accounts_name_idx")
        alembic(root, "upgrade", "head")
        assert query(url, "SELECT to_regclass('accounts_name_idx')")[0][0] is None
        heads = alembic(root, "heads")
        assert heads.count("(head)") == 1
        done = subprocess.run(
            [sys.executable, "-m", "alembic", "downgrade", "-1"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode != 0 and "irreversible" in done.stderr


def test_alembic_plan_rename_column(pg_dsn: str, tmp_path: Path) -> None:
    with fresh_database(pg_dsn) as url:
        root = alembic_project(tmp_path / "project", url)
        written = scaffold(
            root,
            "plan",
            "rename-column",
            "accounts",
            "name",
            "title",
            "--type",
            "text",
            "--not-null",
        )
        versions = root / "migrations" / "versions"
        assert all(p.parent == versions for p in written if "release-" not in str(p))
        alembic(root, "upgrade", "0001")
        setup(url, ROWS)
        alembic(root, "upgrade", "head")
        assert columns(url, "accounts")["title"] == ("text", True)
        setup(url, "INSERT INTO accounts (name) VALUES ('via old')")
        assert query(url, "SELECT title FROM accounts WHERE name = 'via old'")[0][0] == "via old"
        held = [p for p in written if "release-2" in str(p)]
        assert held, written
        for path in held:
            path.rename(versions / path.name)
        alembic(root, "upgrade", "head")
        assert "name" not in columns(url, "accounts")


# ------------------------------------------------------------------------------- Django
def _django_rendered(root: Path, written: list[Path]) -> dict[str, str]:
    return {p.name: manage(root, "sqlmigrate", "shop", p.stem) for p in written}


@pytest.mark.parametrize("name", list(SCAFFOLDS))
def test_django_migrates_back_and_lints_clean(pg_dsn: str, tmp_path: Path, name: str) -> None:
    args = SCAFFOLDS[name]
    with fresh_database(pg_dsn) as url:
        root = django_project(tmp_path / "project", url)
        manage(root, "migrate", "shop", "0001")
        setup(url, ROWS)
        written = scaffold(root, *args)
        assert written and all(p.parent.name == "migrations" for p in written)
        manage(root, "migrate")
        _check_applied(url, name)
        findings = lint(HISTORY, _django_rendered(root, written))
        baseline = sql_layout_findings(args, tmp_path)
        assert _rules(findings) == _rules(baseline), describe(findings)
        manage(root, "migrate", "shop", "0001")
        if name != "backfill":
            _check_reverted(url, name)


def test_django_state_follows_the_sql(pg_dsn: str, tmp_path: Path) -> None:
    """After the generated migrations, Django's state has the field, NOT NULL and index
    the SQL made: a model written to match needs no new migration."""
    with fresh_database(pg_dsn) as url:
        root = django_project(tmp_path / "project", url)
        scaffold(root, *SCAFFOLDS["new-column"])
        scaffold(root, "new-column", "accounts", "owner_id", "bigint", "--references", "users(id)")
        scaffold(
            root,
            "new-table",
            "shop_coupon",
            "--column",
            "code text NOT NULL",
            "--column",
            "account_id bigint NOT NULL",
            "--references",
            "account_id=accounts(id)",
        )
        (root / "shop" / "models.py").write_text(
            "from django.db import models\n\n\n"
            "class Account(models.Model):\n"
            "    name = models.TextField()\n"
            "    user_id = models.BigIntegerField(null=True)\n"
            "    email = models.TextField()\n"
            '    owner = models.ForeignKey("User", on_delete=models.DO_NOTHING, null=True)\n\n'
            "    class Meta:\n"
            '        db_table = "accounts"\n'
            '        indexes = [models.Index(fields=["email"], name="accounts_email_idx")]\n\n\n'
            "class User(models.Model):\n"
            "    name = models.TextField(null=True)\n\n"
            "    class Meta:\n"
            '        db_table = "users"\n\n\n'
            "class Coupon(models.Model):\n"
            "    code = models.TextField()\n"
            "    account = models.ForeignKey(Account, on_delete=models.DO_NOTHING)\n"
            "    created_at = models.DateTimeField(auto_now_add=True)\n"
            "    updated_at = models.DateTimeField(auto_now=True)\n\n"
            "    class Meta:\n"
            '        db_table = "shop_coupon"\n'
        )
        manage(root, "makemigrations", "shop", "--check", "--dry-run")
        manage(root, "migrate")
        fks = query(
            url,
            "SELECT conrelid::regclass::text, convalidated FROM pg_constraint WHERE contype = 'f'",
        )
        assert sorted(fks) == [("accounts", True), ("shop_coupon", True)]
        manage(root, "migrate", "shop", "0001")
        assert query(url, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'")[0][0] == 0


def test_django_drop_index_uses_remove_index_concurrently(pg_dsn: str, tmp_path: Path) -> None:
    with fresh_database(pg_dsn) as url:
        root = django_project(tmp_path / "project", url)
        scaffold(root, "new-index", "accounts", "name")
        written = scaffold(root, "drop-index", "accounts_name_idx")
        assert "RemoveIndexConcurrently" in written[0].read_text()
        manage(root, "migrate")
        assert query(url, "SELECT to_regclass('accounts_name_idx')")[0][0] is None
        manage(root, "migrate", "shop", "0002")
        assert (
            query(
                url,
                "SELECT indisvalid FROM pg_index WHERE indexrelid = 'accounts_name_idx'::regclass",
            )[0][0]
            is True
        )


def test_django_refuses_a_table_that_is_no_model(tmp_path: Path) -> None:
    root = django_project(tmp_path, "postgresql://x@127.0.0.1/x")
    result = CliRunner().invoke(
        cli,
        [
            "new-column",
            "accounts",
            "org_id",
            "bigint",
            "--references",
            "orgs(id)",
            "--dir",
            str(root),
            "--stdout",
        ],
    )
    assert result.exit_code == 2 and "orgs is not the table of a model" in result.output
    result = CliRunner().invoke(
        cli, ["new-column", "orders", "email", "text", "--dir", str(root), "--stdout"]
    )
    assert result.exit_code == 2
    assert "not created by the migrations" in result.output or "not the table of a model" in (
        result.output
    )


ODD_COLUMN = 'Odd :name "q" \\ %s'
ODD_DEFAULT = "' :x %s \\ \"\"\" '''"


@pytest.mark.parametrize("framework", ["alembic", "django"])
def test_odd_names_and_literals_survive_the_python_files(
    pg_dsn: str, tmp_path: Path, framework: str
) -> None:
    """Quotes, backslashes, ``%`` and ``:name`` (a bind parameter to SQLAlchemy's text())
    reach PostgreSQL as written."""
    with fresh_database(pg_dsn) as url:
        if framework == "alembic":
            root = alembic_project(tmp_path / "project", url)
            scaffold(root, "new-column", "accounts", ODD_COLUMN, "text", "--default", ODD_DEFAULT)
            alembic(root, "upgrade", "0001")
            setup(url, ROWS)
            alembic(root, "upgrade", "head")
        else:
            root = django_project(tmp_path / "project", url)
            manage(root, "migrate", "shop", "0001")
            setup(url, ROWS)
            scaffold(root, "new-column", "accounts", ODD_COLUMN, "text", "--default", ODD_DEFAULT)
            manage(root, "migrate")
        assert ODD_COLUMN in columns(url, "accounts")
        (value,) = query(url, "SELECT DISTINCT " + '"Odd :name ""q"" \\ %s"' + " FROM accounts")[0]
        assert value == ' :x %s \\ """ \''


def test_django_plan_rename_column_across_releases(pg_dsn: str, tmp_path: Path) -> None:
    with fresh_database(pg_dsn) as url:
        root = django_project(tmp_path / "project", url)
        manage(root, "migrate", "shop", "0001")
        setup(url, ROWS)
        args = ["plan", "rename-column", "accounts", "name", "title", "--type", "text"]
        written = scaffold(root, *args, "--not-null")
        migrations_dir = root / "shop" / "migrations"
        held = [p for p in written if "release-2" in str(p)]
        assert held and all(p.parent != migrations_dir for p in held)
        manage(root, "migrate")
        assert columns(url, "accounts")["title"] == ("text", True)
        setup(url, "INSERT INTO accounts (name) VALUES ('via old')")
        assert query(url, "SELECT title FROM accounts WHERE name = 'via old'")[0][0] == "via old"
        for path in held:
            path.rename(migrations_dir / path.name)
        manage(root, "migrate")
        assert "name" not in columns(url, "accounts")
        (root / "shop" / "models.py").write_text(
            "from django.db import models\n\n\n"
            "class Account(models.Model):\n"
            "    user_id = models.BigIntegerField(null=True)\n"
            "    title = models.TextField()\n\n"
            "    class Meta:\n"
            '        db_table = "accounts"\n\n\n'
            "class User(models.Model):\n"
            "    name = models.TextField(null=True)\n\n"
            "    class Meta:\n"
            '        db_table = "users"\n'
        )
        manage(root, "makemigrations", "shop", "--check", "--dry-run")
