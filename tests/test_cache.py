"""The per-file result cache: same results warm or cold, never stale, never corrupt."""

from __future__ import annotations

import json
import marshal
import random
from pathlib import Path

import pytest
from conftest import CORE_RULES

from linter.analysis.engine import lint_sources
from linter.analysis.registry import load_rules
from linter.cli import main
from linter.inputs.source import Source
from linter.output.cache import ResultCache, config_key, default_cache_dir
from linter.output.checksum import seal, unseal
from linter.state.context import Settings

RULES = load_rules(plugins=False)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SQLSAFE_CACHE_DIR", str(tmp_path / "cache"))
    m = tmp_path / "migrations"
    m.mkdir()
    (m / "0001_init.sql").write_text("CREATE TABLE accounts (id bigint, email text);\n")
    (m / "0002_idx.sql").write_text(
        "CREATE INDEX i ON accounts (email);\nALTER TABLE x ADD COLUM y int;\n"
    )
    return tmp_path


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    main(["lint", "migrations", "--format", "json", "--select", ",".join(CORE_RULES), *args])
    return capsys.readouterr().out


def cache_files(project: Path) -> list[Path]:
    return sorted((project / "cache").glob("*.bin"))


def test_warm_equals_cold(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cold = lint(capsys, "--no-cache")
    assert not (project / "cache").exists()
    first = lint(capsys)
    assert cache_files(project)
    warm = lint(capsys)
    assert cold == first == warm
    assert json.loads(warm)["summary"]["findings"] == 2


def test_warm_run_does_not_parse(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lint(capsys)
    import linter.analysis.engine

    def boom(*a: object, **k: object) -> None:
        raise AssertionError("parsed on a warm run")

    monkeypatch.setattr(linter.analysis.engine, "parse", boom)
    assert json.loads(lint(capsys))["summary"]["findings"] == 2


def test_changing_an_earlier_file_invalidates(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lint(capsys)
    # the index is now on a table created in the same file... of an earlier file: still
    # existing; but dropping the table from history changes what the model knows
    (project / "migrations" / "0001_init.sql").write_text("CREATE TABLE other (id int);\n")
    warm = lint(capsys)
    assert warm == lint(capsys, "--no-cache")


def test_settings_and_rules_are_part_of_the_key(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lint(capsys)
    out = lint(capsys, "--ignore", "non-concurrent-index")
    assert json.loads(out)["summary"]["findings"] == 1
    a = config_key(RULES, Settings())
    assert a == config_key(RULES, Settings())
    assert a != config_key(RULES, Settings(target_version=12))
    assert a != config_key(RULES[:-1], Settings())


@pytest.mark.parametrize("garbage", ["", "{", "[]", '{"key": "x"}', "\x00\x01"])
def test_corrupt_cache_is_ignored(
    project: Path, capsys: pytest.CaptureFixture[str], garbage: str
) -> None:
    expected = lint(capsys, "--no-cache")
    lint(capsys)
    for f in cache_files(project):
        f.write_text(garbage)
    assert lint(capsys) == expected
    assert lint(capsys) == expected


def test_tampered_entry_is_ignored(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # entries whose checksum matches (written so) but whose content is not what sqlsafe wrote
    expected = lint(capsys, "--no-cache")
    lint(capsys)
    for f in cache_files(project):
        payload = unseal(f.read_bytes())
        assert payload is not None
        data = marshal.loads(payload)
        if f.name.startswith("index-"):
            for key in data[2]:
                data[2][key] = ({"bogus": 1},)
            f.write_bytes(seal(marshal.dumps(data)))
        elif f.name.startswith("state-"):
            f.write_bytes(seal(marshal.dumps(("not", "a", "schema"))))
    assert lint(capsys) == expected


def test_bit_flips_in_stored_entries_never_change_the_output(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Random bits flipped anywhere in the stored files (the replay, the index, the schema
    models; their headers and length fields too): every run prints exactly what an
    uncached run prints. Before the checksums, 8 of 25 such trials printed changed line
    numbers or messages."""
    import linter.output.replay

    monkeypatch.setattr(linter.output.replay, "RACY_NS", -(10**15))  # new files: replay anyway
    last = project / "migrations" / "0002_idx.sql"
    variants = [last.read_text(), "SELECT 1;\nDROP INDEX i;\nCREATE INDEX j ON accounts (id);\n"]
    files = ["migrations/0001_init.sql", "migrations/0002_idx.sql"]
    argvs = [["migrations"], files]  # a directory (replay, run key) or files (per file)

    def run(variant: int, argv: list[str], *extra: str) -> tuple[int, str]:
        last.write_text(variants[variant])
        code = main(["lint", *argv, "--select", ",".join(CORE_RULES), *extra])
        return code, capsys.readouterr().out

    expected = {(v, i): run(v, argv, "--no-cache") for v in (0, 1) for i, argv in enumerate(argvs)}
    for _ in range(2):  # store everything: replay, run entry, per-file entries, models
        for i, argv in enumerate(argvs):
            assert run(0, argv) == expected[(0, i)]
    stored = {f: f.read_bytes() for f in cache_files(project)}
    kinds = {f.name.split("-")[0] for f in stored}
    assert kinds == {"index", "state", "replay"}
    rng = random.Random(11)
    for trial in range(200):
        for f in cache_files(project):
            if f not in stored:
                f.unlink()
        for f, data in stored.items():
            f.write_bytes(data)
        flipped: list[tuple[str, int]] = []
        for f in rng.sample(sorted(stored), rng.randint(1, len(stored))):
            data = bytearray(stored[f])
            for _ in range(rng.randint(1, 3)):
                # a third of the flips in the first 64 bytes: checksum, length, header
                high = 64 if rng.random() < 0.33 else len(data)
                at = rng.randrange(min(high, len(data)))
                data[at] ^= 1 << rng.randrange(8)
                flipped.append((f.name, at))
            f.write_bytes(bytes(data))
        variant, mode = rng.randrange(2), rng.randrange(2)
        got = run(variant, argvs[mode])
        assert got == expected[(variant, mode)], f"trial {trial}: flipped {flipped}"


def test_a_corrupt_entry_is_written_again(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import linter.output.replay

    monkeypatch.setattr(linter.output.replay, "RACY_NS", -(10**15))
    expected = lint(capsys, "--no-cache")
    lint(capsys)
    corrupted: dict[Path, bytes] = {}
    for f in cache_files(project):
        if not f.name.startswith("state-"):  # (models are read only when a file changed)
            data = bytearray(f.read_bytes())
            data[-1] ^= 0x10  # the replay's output, the index's last entry
            corrupted[f] = bytes(data)
            f.write_bytes(corrupted[f])
    assert {f.name.split("-")[0] for f in corrupted} == {"index", "replay"}
    assert lint(capsys) == expected
    for f, data in corrupted.items():
        assert f.read_bytes() != data, f"{f.name} was not written again"


def test_unwritable_cache_dir_only_costs_speed(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = ResultCache(blocker / "sub")
    sources = [Source("a.sql", "CREATE INDEX i ON t (a);")]
    got = cache.lint_histories([sources], RULES, Settings(), report=["a.sql"])
    assert got.findings == lint_sources(sources, RULES, Settings(), report=["a.sql"]).findings


def test_api_round_trip_is_exact(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    sources = [
        Source("h.sql", "CREATE TABLE t (a int);"),
        Source("a.sql", "CREATE INDEX i ON t (a);\nALTER TABLE t DROP COLUMN a;"),
    ]
    cold = cache.lint_histories([sources], RULES, Settings(), report=["a.sql"])
    warm = cache.lint_histories([sources], RULES, Settings(), report=["a.sql"])
    assert cold.findings == warm.findings and cold.files == warm.files == 1


def test_default_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SQLSAFE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir(None) == tmp_path / "xdg" / "sqlsafe"
    assert default_cache_dir(tmp_path / "pyproject.toml") == tmp_path.resolve() / ".sqlsafe_cache"
    monkeypatch.setenv("SQLSAFE_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir(None) == tmp_path / "c"


def test_warm_run_skips_discovery(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = lint(capsys)
    import linter.api

    def boom(*a: object, **k: object) -> None:
        raise AssertionError("gathered files on a warm run")

    monkeypatch.setattr(linter.api, "gather", boom)
    assert lint(capsys) == expected


def test_aux_layout_file_is_part_of_the_run_key(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lint(capsys)
    (project / "migrations" / "metadata.toml").write_text("run_in_transaction = false\n")
    assert lint(capsys) == lint(capsys, "--no-cache")


def _history(n: int) -> list[Source]:
    out = [Source("0000.sql", "CREATE TABLE t (a int, b int);")]
    for i in range(1, n):
        out.append(
            Source(f"{i:04d}.sql", f"CREATE INDEX i{i} ON t (a);\nALTER TABLE t ADD c{i} int;")
        )
    return out


def test_partial_hit_resumes_from_a_stored_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A changed last file is linted alone, against the stored model of the history."""
    import linter.output.cache

    monkeypatch.setattr(linter.output.cache, "CHECKPOINT_EVERY", 4)
    cache = ResultCache(tmp_path)
    sources = _history(11)
    cache.lint_histories([sources], RULES, Settings())
    sources[-1] = Source("0010.sql", "ALTER TABLE t DROP COLUMN c3;\nDROP INDEX i2;")
    linted: list[int] = []

    def counting(items: list[Source], *a: object, **k: object) -> object:
        linted.append(len(items))
        return lint_sources(items, *a, **k)  # type: ignore[arg-type]

    got = cache.lint_histories([sources], RULES, Settings(), lint=counting)
    assert linted == [1]
    assert got.findings == lint_sources(sources, RULES, Settings()).findings
    assert got.files == 11
    # a change in the middle resumes from the model stored before it
    sources[6] = Source("0006.sql", "ALTER TABLE t ALTER COLUMN a SET NOT NULL;")
    linted.clear()
    got = cache.lint_histories([sources], RULES, Settings(), lint=counting)
    assert linted == [7]  # from after the 4th file (every 4th model is stored)
    assert got.findings == lint_sources(sources, RULES, Settings()).findings


def test_schema_model_round_trips_through_plain_data() -> None:
    from linter.analysis.engine import lint_sources as run
    from linter.lockmodel.schema import schema_from_data, schema_to_data

    models: list[object] = []
    models.extend(run(_history(6), RULES, Settings(), keep_models=lambda i: True).models.values())
    for model in models:
        back = schema_from_data(marshal.loads(marshal.dumps(schema_to_data(model))))  # type: ignore[arg-type]
        assert back == model
        assert list(back.tables) == list(model.tables)  # type: ignore[attr-defined]
        assert list(back.indexes) == list(model.indexes)  # type: ignore[attr-defined]


def test_stored_model_keeps_trigger_functions_and_renamed_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """drop-function and drop-type answer the same from a model resumed from the cache."""
    import linter.output.cache

    monkeypatch.setattr(linter.output.cache, "CHECKPOINT_EVERY", 2)
    sources = [
        Source(
            "0000.sql",
            "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RETURN NEW; END $$;\n"
            'CREATE TYPE "Mood" AS ENUM (\'A\');\nCREATE TABLE p (id bigint, m "Mood");',
        ),
        Source("0001.sql", 'ALTER TYPE "Mood" RENAME TO "Mood_old";'),
        Source("0002.sql", "SELECT 1;"),
        Source("0003.sql", 'DROP FUNCTION touch();\nDROP TYPE "Mood_old";'),
    ]
    select = Settings(select=("drop-function", "drop-type"))
    cache = ResultCache(tmp_path)
    cold = cache.lint_histories([sources], RULES, select)
    sources[-1] = Source("0003.sql", 'DROP FUNCTION touch();\nDROP TYPE "Mood_old";\n')
    linted: list[int] = []

    def counting(items: list[Source], *a: object, **k: object) -> object:
        linted.append(len(items))
        return lint_sources(items, *a, **k)  # type: ignore[arg-type]

    warm = cache.lint_histories([sources], RULES, select, lint=counting)
    assert linted and linted[0] < len(sources)  # resumed from a stored model
    assert [f.rule for f in cold.findings] == [f.rule for f in warm.findings] == ["drop-type"]


def test_histories_are_cached_each_on_their_own(tmp_path: Path) -> None:
    """A change in one history relints that history only; results keep history order."""
    cache = ResultCache(tmp_path)
    first = [Source(f"a/{s.path}", s.text) for s in _history(5)]
    second = [Source(f"b/{s.path}", s.text) for s in _history(6)]
    cold = cache.lint_histories([first, second], RULES, Settings())
    expected = [
        *lint_sources(first, RULES, Settings()).findings,
        *lint_sources(second, RULES, Settings()).findings,
    ]
    assert cold.findings == expected and cold.files == 11
    second[-1] = Source("b/0005.sql", "ALTER TABLE t ALTER COLUMN a SET NOT NULL;")
    linted: list[str] = []

    def counting(items: list[Source], *a: object, **k: object) -> object:
        linted.extend(s.path for s in items)
        return lint_sources(items, *a, **k)  # type: ignore[arg-type]

    got = cache.lint_histories([first, second], RULES, Settings(), lint=counting)
    assert linted == ["b/0005.sql"]
    assert got.findings == [
        *lint_sources(first, RULES, Settings()).findings,
        *lint_sources(second, RULES, Settings()).findings,
    ]


def test_a_file_named_alone_is_cached_with_the_history_it_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The pre-commit hook names one file: its directory's earlier files are its history,
    and changing one of them (or adding one) changes the result of a warm run."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SQLSAFE_CACHE_DIR", str(tmp_path / "cache"))
    m = tmp_path / "migrations"
    m.mkdir()
    (m / "0001_init.sql").write_text("CREATE TABLE users (id bigint, email varchar(255));\n")
    (m / "0002_widen.sql").write_text("ALTER TABLE users ALTER COLUMN email TYPE varchar(320);\n")

    def run(*args: str) -> list[str]:
        main(["lint", "migrations/0002_widen.sql", "--format", "json", "--select", "SS004", *args])
        return [f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]]

    assert run() == [] and cache_files(tmp_path)
    assert run() == []
    # the sibling now says varchar(400): 320 narrows it, a rewrite
    (m / "0001_init.sql").write_text("CREATE TABLE users (id bigint, email varchar(400));\n")
    assert run() == ["alter-column-type"] == run("--no-cache")
    (m / "0001_init.sql").write_text("CREATE TABLE users (id bigint, email varchar(255));\n")
    assert run() == []
    # a file added before it changes the history too
    (m / "0001a_text.sql").write_text("ALTER TABLE users ALTER COLUMN email TYPE text;\n")
    assert run() == ["alter-column-type"] == run("--no-cache")


def test_a_model_of_a_change_round_trips() -> None:
    from linter.lockmodel.schema import Schema, schema_from_data, schema_to_data

    model = Schema(file=4).begin_file(True).end_file().begin_file(True)
    assert model.change_from == 4 and model.created_new(4) and not model.created_new(3)
    back = schema_from_data(marshal.loads(marshal.dumps(schema_to_data(model))))
    assert back == model and back.change_from == 4
    assert model.begin_file(False).change_from is None
