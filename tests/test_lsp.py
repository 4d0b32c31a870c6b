"""``sqlsafe lsp`` end to end: a real client drives the server subprocess over stdio."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linter.analysis.registry import load_rules

pytest.importorskip("pygls", reason="sqlsafe[lsp] is not installed")

from lsp_client import LspClient, apply_edits, uri

CREATE = "CREATE TABLE users (id bigint PRIMARY KEY, email varchar(50));\n"
INDEX = "CREATE INDEX users_email ON users (email);\n"
ALTER = "ALTER TABLE users ALTER COLUMN email TYPE varchar(100);\n"
SAFE = "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);\n"
DOCS = "https://github.com/sqlsafe/sqlsafe/blob/main/docs/rules/"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A migrations directory with a history: the table (0001), an index on it (0002),
    a type change (0003); the config silences the timeout rules."""
    (tmp_path / ".sqlsafe.toml").write_text(
        'ignore = ["require-lock-timeout", "require-statement-timeout"]\n'
    )
    migrations = tmp_path / "db" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "0001_create.sql").write_text(CREATE)
    (migrations / "0002_index.sql").write_text(INDEX)
    (migrations / "0003_alter.sql").write_text(ALTER)
    (tmp_path / "scratch").mkdir()
    return tmp_path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LspClient]:
    """One server for the module (each test works in a directory of its own)."""
    root = tmp_path_factory.mktemp("lsp")
    lsp = LspClient(root, "--debounce", "150")
    lsp.initialize(root)
    yield lsp
    assert lsp.close() == 0  # shutdown, then exit: a clean exit code


@pytest.fixture
def client(server: LspClient) -> LspClient:
    return server


def rules_of(diagnostics: list[dict[str, Any]]) -> list[str]:
    return [d["code"] for d in diagnostics]


def code_actions(
    client: LspClient, doc: str, diagnostic: dict[str, Any], only: list[str] | None = None
) -> list[Any]:
    context: dict[str, Any] = {"diagnostics": [diagnostic]}
    if only is not None:
        context["only"] = only
    params = {"textDocument": {"uri": doc}, "range": diagnostic["range"], "context": context}
    return list(client.request("textDocument/codeAction", params) or [])


def hover(client: LspClient, doc: str, line: int, character: int) -> Any:
    params = {"textDocument": {"uri": doc}, "position": {"line": line, "character": character}}
    return client.request("textDocument/hover", params)


def test_open_lints_the_buffer_after_its_history_with_the_config(
    client: LspClient, project: Path
) -> None:
    doc = client.open(project / "db/migrations/0002_index.sql")
    [found] = client.diagnostics_after(doc, 0)
    assert found["code"] == "non-concurrent-index"
    assert found["source"] == "sqlsafe"
    assert found["severity"] == 1  # error -> Error
    assert found["codeDescription"]["href"] == DOCS + "non-concurrent-index.md"
    assert "existing table `public.users`" in found["message"]
    assert found["range"] == {
        "start": {"line": 0, "character": 0},
        "end": {"line": 0, "character": len(INDEX) - 2},  # the statement, before its ';'
    }
    # a note is Information; the buffer, not the disk, is what is linted
    first = client.open(project / "db/migrations/0001_create.sql", text=CREATE)
    [note] = client.diagnostics_after(first, 0)
    assert (note["code"], note["severity"]) == ("prefer-text", 3)
    assert note["range"]["start"] == {"line": 0, "character": CREATE.index("varchar")}


def test_change_is_debounced_and_safe_sql_clears(client: LspClient, project: Path) -> None:
    doc = client.open(project / "db/migrations/0002_index.sql")
    assert rules_of(client.diagnostics_after(doc, 0)) == ["non-concurrent-index"]
    client.change(doc, "CREATE INDEX", 2)  # typing...
    client.change(doc, "CREATE INDEX CONCURRENTLY", 3)
    client.change(doc, SAFE, 4)
    assert client.diagnostics_after(doc, 1) == []
    time.sleep(0.4)  # longer than the debounce: a lint of an older text would show by now
    published = client.published(doc)
    assert len(published) == 2 and published[1]["version"] == 4
    client.notify("textDocument/didSave", {"textDocument": {"uri": doc}})
    assert client.diagnostics_after(doc, 2) == []


def test_a_syntax_error_mid_typing_is_a_diagnostic(client: LspClient, project: Path) -> None:
    doc = client.open(project / "db/migrations/0002_index.sql")
    client.diagnostics_after(doc, 0)
    client.change(doc, "CREATE INDEX users_email ON users (\n", 2)
    [error] = client.diagnostics_after(doc, 1)
    assert (error["code"], error["severity"]) == ("syntax-error", 1)
    # the server is still there: the next change is linted
    client.change(doc, INDEX, 3)
    assert rules_of(client.diagnostics_after(doc, 2)) == ["non-concurrent-index"]
    assert "cannot read" not in hover(client, doc, 0, 3)["contents"]["value"]


def test_hover_says_what_explain_says(client: LspClient, project: Path) -> None:
    doc = client.open(project / "db/migrations/0002_index.sql")
    client.diagnostics_after(doc, 0)
    found = hover(client, doc, 0, 5)
    text = found["contents"]["value"]
    assert found["contents"]["kind"] == "markdown"
    assert "`public.users` **SHARE**: blocks writes" in text
    assert "scans: `public.users`" in text
    assert "`public.users` (existing)" in text
    assert "non-concurrent-index" in text
    first = client.open(project / "db/migrations/0001_create.sql", text=CREATE + INDEX)
    client.diagnostics_after(first, 0)
    assert "`public.users` (new)" in hover(client, first, 1, 2)["contents"]["value"]
    client.change(doc, "CREATE INDEX users_email ON (\n", 2)
    client.diagnostics_after(doc, 1)
    assert "cannot read this statement" in hover(client, doc, 0, 2)["contents"]["value"]
    assert hover(client, doc, 5, 0) is None  # (past the end: no statement there)


def lint_text(path: Path, text: str) -> list[str]:
    """What ``sqlsafe lint`` says of *text* as the file *path* (CLI, standard input)."""
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "linter",
            "lint",
            "--no-cache",
            "--format",
            "gcc",
            "-",
            "--stdin-filename",
            str(path),
        ],
        input=text,
        capture_output=True,
        text=True,
        cwd=path.parent,
    )
    assert run.returncode in (0, 1), run.stderr
    return run.stdout.splitlines()


def test_the_fix_action_applies_the_rewrite_of_sqlsafe_fix(
    client: LspClient, project: Path
) -> None:
    path = project / "db/migrations/0002_index.sql"
    doc = client.open(path)
    [diagnostic] = client.diagnostics_after(doc, 0)
    actions = code_actions(client, doc, diagnostic)
    [fix] = [a for a in actions if a["title"] == "sqlsafe fix: non-concurrent-index"]
    assert fix["kind"] == "quickfix" and fix["isPreferred"]
    fixed = apply_edits(INDEX, fix["edit"]["changes"][doc])
    assert fixed == SAFE
    assert lint_text(path, fixed) == []
    # the file-wide action is there too, alone when only source actions are asked for
    assert any(a["kind"] == "source.fixAll.sqlsafe" for a in actions)
    [fix_all] = code_actions(client, doc, diagnostic, only=["source"])
    assert apply_edits(INDEX, fix_all["edit"]["changes"][doc]) == SAFE
    quick = code_actions(client, doc, diagnostic, only=["quickfix"])
    assert {a["kind"] for a in quick} == {"quickfix"}
    client.change(doc, fixed, 2)
    assert client.diagnostics_after(doc, 1) == []


def test_a_fix_that_moves_the_statement_creates_the_new_migration(
    client: LspClient, project: Path
) -> None:
    path = project / "db/migrations/0004_tx.sql"
    text = "-- sqlsafe: transaction\nCREATE INDEX users_id2 ON users (id);\n"
    path.write_text(text)
    doc = client.open(path)
    [diagnostic] = client.diagnostics_after(doc, 0)
    [fix] = [
        a
        for a in code_actions(client, doc, diagnostic)
        if a["title"].startswith("sqlsafe fix: non-concurrent-index")
    ]
    assert fix["title"].endswith("(new migration 0005_create_users_id2.sql)")
    changes = fix["edit"]["documentChanges"]
    assert [c.get("kind", "edit") for c in changes] == ["edit", "create", "edit"]
    new = changes[1]["uri"]
    assert new == uri(project / "db/migrations/0005_create_users_id2.sql")
    # apply it as an editor does, then lint the directory: nothing left
    path.write_text(apply_edits(text, changes[0]["edits"]))
    (project / "db/migrations/0005_create_users_id2.sql").write_text(
        apply_edits("", changes[2]["edits"])
    )
    run = subprocess.run(
        [sys.executable, "-m", "linter", "lint", "--no-cache", "--format", "gcc", "db"],
        capture_output=True,
        text=True,
        cwd=project,
    )
    assert "0004_tx.sql" not in run.stdout and "0005" not in run.stdout


def test_suppress_inserts_the_comment_with_the_statements_indentation(
    client: LspClient, project: Path
) -> None:
    path = project / "db/migrations/0002_index.sql"
    text = "SELECT 1;\n    " + INDEX
    doc = client.open(path, text=text)
    [diagnostic] = client.diagnostics_after(doc, 0)
    assert diagnostic["range"]["start"] == {"line": 1, "character": 4}
    [suppress] = [
        a
        for a in code_actions(client, doc, diagnostic)
        if a["title"] == "Suppress non-concurrent-index here"
    ]
    suppressed = apply_edits(text, suppress["edit"]["changes"][doc])
    assert suppressed == (
        "SELECT 1;\n    -- sqlsafe: ignore non-concurrent-index -- reason: TODO\n    " + INDEX
    )
    client.change(doc, suppressed, 2)
    assert client.diagnostics_after(doc, 1) == []
    assert lint_text(path, suppressed) == []
    # a statement after another on the same line gets the comment on a line of its own
    same_line = "SELECT 1; " + INDEX
    client.change(doc, same_line, 3)
    [diagnostic] = client.diagnostics_after(doc, 2)
    [suppress] = [a for a in code_actions(client, doc, diagnostic) if "Suppress" in a["title"]]
    client.change(doc, apply_edits(same_line, suppress["edit"]["changes"][doc]), 4)
    assert client.diagnostics_after(doc, 3) == []


def test_editing_an_earlier_file_relints_the_later_open_file(
    client: LspClient, project: Path
) -> None:
    later = client.open(project / "db/migrations/0003_alter.sql")
    assert client.diagnostics_after(later, 0) == []  # varchar(50) -> varchar(100): no rewrite
    first = client.open(project / "db/migrations/0001_create.sql")
    client.diagnostics_after(first, 0)
    # unsaved: the later file reads the buffer, not the disk
    client.change(first, CREATE.replace("varchar(50)", "integer"), 2)
    assert rules_of(client.diagnostics_after(later, 1)) == ["alter-column-type"]
    client.change(first, CREATE, 3)
    assert client.diagnostics_after(later, 2) == []
    # a file changed on disk (not open): the client's watcher says so
    client.notify("textDocument/didClose", {"textDocument": {"uri": first}})
    (project / "db/migrations/0001_create.sql").write_text(CREATE.replace("varchar(50)", "int"))
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": first, "type": 2}]})
    assert rules_of(client.diagnostics_after(later, 3)) == ["alter-column-type"]
    assert any(r["method"] == "client/registerCapability" for r in client.server_requests)


def test_a_file_outside_migrations_is_linted_alone_and_other_files_are_ignored(
    client: LspClient, project: Path
) -> None:
    notes = project / "notes.md"
    notes.write_text("CREATE INDEX i ON users (email);\n")
    client.open(notes)
    assert hover(client, uri(notes), 0, 2) is None
    alone = project / "scratch" / "query.sql"
    doc = client.open(alone, text=CREATE + INDEX)
    found = client.diagnostics_after(doc, 0)
    assert "non-concurrent-index" not in rules_of(found)  # its own table: new
    client.change(doc, ALTER, 2)
    # alone, nothing says what email was: the type change is reported as a rewrite
    assert "alter-column-type" in rules_of(client.diagnostics_after(doc, 1))
    assert client.published(uri(notes)) == []


def test_positions_count_utf16_code_units(client: LspClient, project: Path) -> None:
    text = '-- café\nALTER TABLE "🐘x" ADD COLUMN n varchar(20);\n'
    doc = client.open(project / "scratch" / "emoji.sql", text=text)
    [found] = [d for d in client.diagnostics_after(doc, 0) if d["code"] == "prefer-text"]
    line = text.split("\n")[1]
    before = line[: line.index("varchar")]
    assert found["range"]["start"] == {
        "line": 1,
        "character": len(before.encode("utf-16-le")) // 2,
    }


def test_config_errors_are_a_diagnostic(client: LspClient, project: Path) -> None:
    config = project / ".sqlsafe.toml"
    config.write_text('ignore = ["no-such-rule"]\n')
    doc = client.open(project / "db/migrations/0002_index.sql")
    [problem] = client.diagnostics_after(doc, 0)
    assert "no-such-rule" in problem["message"] and problem["severity"] == 1
    # the config fixed on disk: the watcher's notice re-lints the open buffers
    config.write_text('ignore = ["require-lock-timeout"]\n')
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri(config), "type": 2}]})
    assert rules_of(client.diagnostics_after(doc, 1)) == [
        "non-concurrent-index",
        "require-statement-timeout",
    ]


def test_files_the_config_excludes_get_no_diagnostics(client: LspClient, project: Path) -> None:
    (project / ".sqlsafe.toml").write_text('exclude = ["db/migrations/0002_*"]\n')
    doc = client.open(project / "db/migrations/0002_index.sql")
    assert client.diagnostics_after(doc, 0) == []
    other = client.open(project / "scratch" / "query.sql", text=INDEX)
    assert "non-concurrent-index" in rules_of(client.diagnostics_after(other, 0))


def test_without_the_extra_the_command_says_what_to_install(tmp_path: Path) -> None:
    script = (
        "import sys; sys.modules['pygls'] = None\n"
        "from linter.cli import main\n"
        "sys.exit(main(['lsp']))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path
    )
    assert run.returncode == 2
    assert "pip install 'sqlsafe[lsp]'" in run.stderr
    assert "Traceback" not in run.stderr


def test_lint_does_not_import_the_language_server(project: Path) -> None:
    script = (
        "import sys\n"
        "from linter.cli import main\n"
        "main(['lint', '--no-cache', 'db'])\n"
        "print(sorted(m for m in sys.modules if m.startswith(('pygls', 'lsprotocol', "
        "'linter.lsp'))))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=project
    )
    assert run.stdout.splitlines()[-1] == "[]"


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="ab ;\n\u00e9\U0001f418", max_size=30),
    st.text(alphabet="ab ;\n\u00e9\U0001f418", max_size=30),
    st.sampled_from(["utf-16", "utf-8", "utf-32"]),
)
def test_buffer_edits_turn_the_buffer_into_the_fixed_text(
    original: str, fixed: str, encoding: str
) -> None:
    """(the code actions' edits, in each position encoding a client may choose)"""
    from linter.lsp.fixes import buffer_edits
    from linter.lsp.positions import PositionMap

    where = PositionMap(original, encoding)
    edits = buffer_edits(original, fixed, where)
    spans = [(where.offset(e.range.start), where.offset(e.range.end), e.new_text) for e in edits]
    text = original
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    assert text == fixed


def test_positions_in_each_encoding() -> None:
    from linter.lsp.positions import PositionMap

    text = "ab\n\u00e9\U0001f418x"
    assert [PositionMap(text, e).position(5).character for e in ("utf-8", "utf-16", "utf-32")] == [
        6,
        3,
        2,
    ]


def _goose_history(directory: Path) -> list[Path]:
    """Migrations with up and down sections (a down must not be resumed apart from its
    up), tables, indexes and type changes whose findings depend on the history."""
    directory.mkdir(parents=True)
    bodies = [
        ("CREATE TABLE users (id bigint PRIMARY KEY, email varchar(50));", "DROP TABLE users;"),
        ("CREATE INDEX users_email ON users (email);", "DROP INDEX users_email;"),
        (
            "ALTER TABLE users ALTER COLUMN email TYPE varchar(100);",
            "ALTER TABLE users ALTER COLUMN email TYPE varchar(50);",
        ),
        (
            "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);",
            "DROP TABLE orders;",
        ),
        ("ALTER TABLE users ADD COLUMN age int NOT NULL;", "ALTER TABLE users DROP COLUMN age;"),
        ("CREATE INDEX orders_user ON orders (user_id);", "DROP INDEX orders_user;"),
    ]
    files = []
    for n, (up, down) in enumerate(bodies, 1):
        path = directory / f"2024010100000{n}_step.sql"
        path.write_text(f"-- +goose Up\n{up}\n\n-- +goose Down\n{down}\n")
        files.append(path)
    return files


def test_resuming_from_a_checkpoint_finds_what_a_whole_lint_finds(tmp_path: Path) -> None:
    """(the server keeps the model before each buffer's file: it must change nothing)"""
    from linter.lsp.analysis import analyse
    from linter.lsp.checkpoints import Checkpoints

    rules = load_rules()
    files = _goose_history(tmp_path / "db" / "migrations")
    corpus = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "documenso__documenso"
    if corpus.is_dir():
        found = sorted(corpus.rglob("migration.sql"))
        files.extend((found[len(found) // 3], found[-1]))
    checkpoints = Checkpoints()
    for path in files:
        text = path.read_text()
        for edited in (text, text + "\nALTER TABLE users ADD COLUMN z text;\n"):
            whole = analyse(str(path), edited, rules)
            for _ in range(2):  # the first run stores the model, the second resumes from it
                resumed = analyse(str(path), edited, rules, checkpoints=checkpoints)
                assert resumed.findings == whole.findings, path
                assert resumed.statements == whole.statements, path
    assert checkpoints.models  # (it did keep models)


def test_the_clients_debounce_wins_over_the_commands() -> None:
    from lsprotocol import types

    from linter.lsp.server import _debounce

    def params(options: object) -> types.InitializeParams:
        return types.InitializeParams(
            capabilities=types.ClientCapabilities(), initialization_options=options
        )

    assert _debounce(params({"debounce": 120}), 0.3) == 0.12
    assert _debounce(params({"debounce": "fast"}), 0.3) == 0.3  # (not a number: the default)
    assert _debounce(params(None), 0.3) == 0.3
