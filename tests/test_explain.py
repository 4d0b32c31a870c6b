"""``sqlsafe explain``: JSON shape, history order, held locks, new/existing, one lock model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from linter.api import lint_paths
from linter.cli import main
from linter.inputs.config import Config
from linter.lockmodel.effects import statement_effects
from linter.lockmodel.schema import Schema
from linter.sql.parsing import parse
from linter.state.context import Settings
from linter.state.fold import apply_schema

INIT = "CREATE TABLE accounts (id int PRIMARY KEY, email text);\n"
CHANGE = """\
BEGIN;
ALTER TABLE accounts ADD COLUMN note text;
SELECT count(*) FROM accounts;
CREATE TABLE audit (id int, account_id int REFERENCES accounts (id));
CREATE INDEX audit_account_idx ON audit (account_id);
COMMIT;
CREATE INDEX accounts_email_idx ON accounts (email);
"""


@pytest.fixture()
def history(tmp_path: Path) -> Path:
    (tmp_path / "1_init.sql").write_text(INIT, encoding="utf-8")
    (tmp_path / "2_change.sql").write_text(CHANGE, encoding="utf-8")
    return tmp_path


def explain_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code = main(["explain", "--format", "json", "--select", "non-concurrent-index", *args])
    assert code == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document


def test_json_shape(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # files named out of order are explained in history order
    doc = explain_json(capsys, str(history / "2_change.sql"), str(history / "1_init.sql"))
    statements = doc["statements"]
    assert [(Path(s["path"]).name, s["line"]) for s in statements] == [
        ("1_init.sql", 1),
        *[("2_change.sql", n) for n in range(1, 8)],
    ]
    for st in statements:
        assert {"path", "line", "sql", "in_transaction", "locks", "rewrites", "scans"} <= set(st)
        assert isinstance(st["findings"], list)
        assert all("." in rel for rel in st["locks"])  # schema-qualified
    alter = statements[2]
    assert alter["sql"] == "ALTER TABLE accounts ADD COLUMN note text"
    assert alter["in_transaction"] is True
    assert alter["locks"] == {"public.accounts": "AccessExclusiveLock"}
    assert alter["blocks"] == {"public.accounts": "blocks all reads and writes"}
    assert alter["rewrites"] == [] and alter["scans"] == []
    assert alter["objects"] == {"public.accounts": "existing"}
    last = statements[-1]
    assert last["in_transaction"] is False
    assert last["locks"] == {"public.accounts": "ShareLock"}
    assert last["scans"] == ["public.accounts"]
    assert [f["rule"] for f in last["findings"]] == ["non-concurrent-index"]


def test_locks_held_so_far_in_the_transaction(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    statements = explain_json(capsys, str(history))["statements"]
    select, create, index = statements[3], statements[4], statements[5]
    # a statement after an AccessExclusiveLock in the same transaction extends it
    assert select["locks"] == {}
    assert select["held_in_transaction"] == {"public.accounts": "AccessExclusiveLock"}
    # the foreign key's referenced table: ShareRowExclusiveLock, while AEL is still held
    assert create["locks"] == {"public.accounts": "ShareRowExclusiveLock"}
    assert create["held_in_transaction"]["public.accounts"] == "AccessExclusiveLock"
    # a table created in this file is new: locking it harms no one
    assert index["objects"] == {"public.audit": "new"}
    assert index["findings"] == []
    assert index["held_in_transaction"] == {
        "public.accounts": "AccessExclusiveLock",
        "public.audit": "ShareLock",
    }
    after_commit = statements[-1]
    assert after_commit["held_in_transaction"] == {}


def test_text_output(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--select", "non-concurrent-index", str(history)]) == 0
    out = capsys.readouterr().out
    assert "2_change.sql:2: ALTER TABLE accounts ADD COLUMN note text" in out
    assert "locks: public.accounts AccessExclusiveLock (blocks all reads and writes)" in out
    assert "still held from earlier in the transaction: public.accounts AccessExclusiveLock" in out
    assert "objects: public.audit (new)" in out
    assert "scans: public.accounts" in out
    assert "non-concurrent-index:" in out


def test_a_statement_that_does_not_parse_is_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "1.sql").write_text("CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN;\n")
    doc = explain_json(capsys, str(tmp_path / "1.sql"), "--select", "syntax-error")
    assert [(s["line"], [f["rule"] for f in s["findings"]]) for s in doc["statements"]] == [
        (1, []),
        (2, ["syntax-error"]),
    ]
    assert main(["explain", str(tmp_path / "1.sql")]) == 0
    out = capsys.readouterr().out
    assert "1.sql:2: ALTER TABLE a ADD COLUMN\n    not analysed: sqlsafe cannot read" in out


def test_unreadable_file_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "1_bad.sql"
    bad.write_bytes(b"\xff\xfe\x00")
    assert main(["explain", str(bad)]) == 1
    assert "binary file" in capsys.readouterr().err
    assert main(["explain"]) == 2


@pytest.mark.parametrize("target", [11, 15, 18])
def test_explain_uses_the_one_lock_model(history: Path, target: int) -> None:
    (history / "3_more.sql").write_text(
        "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(20);\n"
        "ALTER TABLE audit ADD CONSTRAINT fk FOREIGN KEY (id) REFERENCES accounts (id) "
        "NOT VALID;\n"
        "ALTER TABLE audit VALIDATE CONSTRAINT fk;\n"
        "ALTER TABLE accounts SET (fillfactor = 70);\n"
        "DROP INDEX accounts_email_idx;\n"
        "REINDEX TABLE accounts;\n",
        encoding="utf-8",
    )
    settings = Settings(target_version=target)
    result = lint_paths([str(history)], Config(root=history, settings=settings), explain=True)
    schema = Schema()
    expected = []
    for name in ("1_init.sql", "2_change.sql", "3_more.sql"):
        for stmt in parse((history / name).read_text(encoding="utf-8")).statements:
            effects = statement_effects(stmt.node, schema, target)
            expected.append((dict(effects.locks), effects.rewrites, effects.scans))
            schema = apply_schema(schema, stmt.node)
        schema = schema.end_file()
    got = [(dict(s.effects.locks), s.effects.rewrites, s.effects.scans) for s in result.statements]
    assert got == expected
    assert any(locks.get("public.accounts") for locks, _, _ in got[-6:])


def test_drop_if_exists_claims_what_the_history_says_exists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A table the history dropped: nothing locked. One it never named: locked only if it
    exists, which the text and the JSON (``conditional``) say."""
    (tmp_path / "1_init.sql").write_text(INIT + "CREATE TABLE old (id int);\nDROP TABLE old;\n")
    change = tmp_path / "2_change.sql"
    change.write_text("DROP TABLE IF EXISTS old;\nDROP TABLE IF EXISTS legacy;\n")
    doc = explain_json(capsys, str(change))
    gone, unknown = doc["statements"]
    assert gone["locks"] == {} and gone["conditional"] == []
    assert unknown["locks"] == {"public.legacy": "AccessExclusiveLock"}
    assert unknown["conditional"] == ["public.legacy"]
    assert main(["explain", str(change)]) == 0
    text = capsys.readouterr().out
    assert "locks: none on tables" in text
    assert (
        "public.legacy AccessExclusiveLock (blocks all reads and writes, only if the object "
        "dropped exists)" in text
    )


def test_each_relation_is_labelled_with_its_kind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The JSON's ``kinds`` says what each relation is; the text names the kind of every
    relation locked that is not a table (an index, a sequence)."""
    (tmp_path / "1_init.sql").write_text(
        "CREATE TABLE tickets (id serial PRIMARY KEY, n bigint GENERATED ALWAYS AS IDENTITY);\n"
        "CREATE VIEW open_tickets AS SELECT id FROM tickets;\n"
    )
    change = tmp_path / "2_change.sql"
    change.write_text("DROP TABLE tickets CASCADE;\nCREATE SEQUENCE s;\n")
    doc = explain_json(capsys, str(change))
    drop, create = doc["statements"]
    assert drop["kinds"] == {
        "public.tickets": "table",
        "public.tickets_pkey": "index",
        "public.tickets_id_seq": "sequence",
        "public.tickets_n_seq": "sequence",
    }
    assert set(drop["locks"]) == set(drop["kinds"])
    assert set(drop["objects"]) == set(drop["kinds"])  # (the old fields are unchanged)
    assert create["kinds"] == {}  # it locks nothing the model knows
    assert main(["explain", str(change)]) == 0
    text = capsys.readouterr().out
    assert "locks: public.tickets AccessExclusiveLock (blocks all reads and writes); " in text
    assert "index public.tickets_pkey AccessExclusiveLock" in text
    assert "sequence public.tickets_n_seq AccessExclusiveLock" in text
