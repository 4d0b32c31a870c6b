"""Third-party rules through the ``sqlsafe.rules`` entry-point group.

The plugin is a real distribution: a package plus a ``*.dist-info`` directory with an
``entry_points.txt``, put on ``sys.path`` of a child ``sqlsafe`` process (what ``pip
install`` leaves behind, without the network or a virtualenv).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO

PLUGIN = """
from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from linter.plugin import Bad, Context, Good, Report, Rule, Severity


class NoTruncate(Rule):
    code = "{code}"
    name = "{name}"
    summary = "TRUNCATE is not allowed in migrations"
    why = "It empties a table."
    safe_alternative = "Delete the rows in batches."
    severity = Severity.ERROR
    node_types: ClassVar[tuple[str, ...]] = ("TruncateStmt",)
    examples = (Bad("TRUNCATE t;"), Good("DELETE FROM t WHERE false;"))

    def check(self, node, ctx: Context) -> Iterator[Report]:
        yield self.report("TRUNCATE empties the table (plugin rule)")


RULES = [NoTruncate]
"""


def make_plugin(root: Path, dist: str, code: str, name: str) -> Path:
    """A minimal installed distribution ``dist`` exporting one rule."""
    site = root / f"site-{dist}"
    package = site / dist
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(PLUGIN.format(code=code, name=name), encoding="utf-8")
    info = site / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(f"[sqlsafe.rules]\n{dist} = {dist}\n", encoding="utf-8")
    return site


def run(tmp: Path, sites: list[Path], *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*(str(s) for s in sites), str(REPO)])
    return subprocess.run(
        [sys.executable, "-m", "linter", *args],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_plugin_rule_runs(tmp_path: Path) -> None:
    site = make_plugin(tmp_path, "acme_rules", "ACME001", "no-truncate")
    migration = tmp_path / "1.sql"
    migration.write_text("TRUNCATE accounts;\n", encoding="utf-8")
    listed = run(tmp_path, [site], "rules", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert "ACME001" in listed.stdout
    done = run(tmp_path, [site], "lint", "--select", "ACME", "--format", "json", str(migration))
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert [(f["code"], f["rule"], f["line"]) for f in findings] == [("ACME001", "no-truncate", 1)]
    assert "plugin rule" in findings[0]["message"]
    # the suppression comment knows plugin rules too
    migration.write_text("TRUNCATE accounts;  -- sqlsafe: ignore no-truncate\n", encoding="utf-8")
    assert run(tmp_path, [site], "lint", "--select", "ACME", str(migration)).returncode == 0


def test_clashing_codes_are_refused(tmp_path: Path) -> None:
    first = make_plugin(tmp_path, "acme_rules", "ACME001", "no-truncate")
    second = make_plugin(tmp_path, "other_rules", "ACME001", "no-truncate-either")
    migration = tmp_path / "1.sql"
    migration.write_text("SELECT 1;\n", encoding="utf-8")
    for command in ("lint", "explain", "rules"):
        args = [command, str(migration)] if command != "rules" else [command]
        done = run(tmp_path, [first, second], *args)
        assert done.returncode == 2, command
        assert "ACME001" in done.stderr and "clashes" in done.stderr
        assert "Traceback" not in done.stderr


def test_builtin_prefix_is_reserved(tmp_path: Path) -> None:
    site = make_plugin(tmp_path, "sneaky_rules", "SS999", "no-truncate")
    migration = tmp_path / "1.sql"
    migration.write_text("SELECT 1;\n", encoding="utf-8")
    done = run(tmp_path, [site], "lint", str(migration))
    assert done.returncode == 2
    assert "SS999" in done.stderr and "reserved" in done.stderr
    assert "Traceback" not in done.stderr


def test_broken_plugin_is_a_clear_error(tmp_path: Path) -> None:
    site = make_plugin(tmp_path, "broken_rules", "BRK001", "broken")
    (site / "broken_rules" / "__init__.py").write_text("raise ImportError('nope')\n")
    migration = tmp_path / "1.sql"
    migration.write_text("SELECT 1;\n", encoding="utf-8")
    done = run(tmp_path, [site], "lint", str(migration))
    assert done.returncode == 2
    assert "broken_rules" in done.stderr and "nope" in done.stderr
    assert "Traceback" not in done.stderr
