#!/usr/bin/env python3
"""How long an editor waits for sqlsafe's diagnostics: didOpen -> publishDiagnostics.

    python3 bench/lsp_latency.py [MIGRATIONS_DIR] [--runs N]

Starts ``sqlsafe lsp`` (``--debounce 0``), opens the last migration of a history, and
times each didOpen until the server publishes its diagnostics: the first (cold: the
server's first lint of the whole history) and then, closing and reopening it, the warm
ones (the history is read from disk again; the lint resumes from the model kept before
the file, see linter/lsp/checkpoints.py); then each didChange (an edit at the end of the
buffer) until its diagnostics. Wall time, and the server's CPU time (from /proc: other
jobs on the machine inflate the wall time, not the CPU time). Without MIGRATIONS_DIR, a
temporary history of 100 generated migrations (tables, columns, indexes, backfills) is
used. Prints the median and the slowest warm time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from lsp_client import LspClient, uri  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) process *pid* has used so far (Linux; else 0)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def generated_history(directory: Path, count: int = 100) -> list[Path]:
    """*count* migrations of the kinds a real history holds, in a plain layout."""
    files = []
    for n in range(1, count + 1):
        table = f"t{(n - 1) // 4}"
        kind = (n - 1) % 4
        if kind == 0:
            sql = (
                f"CREATE TABLE {table} (\n    id bigint GENERATED ALWAYS AS IDENTITY "
                "PRIMARY KEY,\n    name text NOT NULL,\n    created_at timestamptz NOT NULL "
                "DEFAULT now()\n);\n"
                f"CREATE INDEX {table}_created_at ON {table} (created_at);\n"
            )
        elif kind == 1:
            sql = (
                f"ALTER TABLE {table} ADD COLUMN owner_id bigint;\n"
                f"ALTER TABLE {table} ADD COLUMN note text;\n"
                f"COMMENT ON COLUMN {table}.note IS 'free text';\n"
            )
        elif kind == 2:
            sql = (
                "SET lock_timeout = '2s';\n"
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {table}_owner ON {table} (owner_id);\n"
            )
        else:
            sql = (
                f"UPDATE {table} SET note = '' WHERE note IS NULL AND id < 1000;\n"
                f"ALTER TABLE {table} ALTER COLUMN name SET DEFAULT '';\n"
            )
        path = directory / f"{n:04d}_step.sql"
        path.write_text(sql)
        files.append(path)
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", nargs="?", type=Path)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        if args.directory is None:
            migrations = work / "migrations"
            migrations.mkdir()
            files = generated_history(migrations)
        else:
            files = sorted(args.directory.rglob("*.sql"))
        target = files[-1]
        text = target.read_text()
        client = LspClient(work, "--debounce", "0")
        try:
            client.initialize(work)
            doc = uri(target)
            pid = client.process.pid
            times, cpu = [], []
            for run in range(args.runs + 1):
                count = len(client.published(doc))
                start, used = time.perf_counter(), cpu_seconds(pid)
                client.open(target, text=text, version=run + 1)
                client.diagnostics_after(doc, count)
                times.append(time.perf_counter() - start)
                cpu.append(cpu_seconds(pid) - used)
                client.notify("textDocument/didClose", {"textDocument": {"uri": doc}})
                client.diagnostics_after(doc, count + 1)  # (the close clears them)
            client.open(target, text=text, version=1)
            typing, typing_cpu = [], []
            for run in range(args.runs):
                count = len(client.published(doc))
                start, used = time.perf_counter(), cpu_seconds(pid)
                client.change(doc, f"{text}\n-- edit {run}\n", run + 2)
                client.diagnostics_after(doc, count)
                typing.append(time.perf_counter() - start)
                typing_cpu.append(cpu_seconds(pid) - used)
        finally:
            client.close()
    warm = times[1:]
    load = os.getloadavg()[0]
    print(f"history: {len(files)} files; opened: {target.name}; load average {load:.1f}")
    print("                         wall ms   server CPU ms")
    print(f"open, cold (first lint)  {times[0] * 1000:7.1f}   {cpu[0] * 1000:7.1f}")
    print(
        f"open, warm median        {statistics.median(warm) * 1000:7.1f}   "
        f"{statistics.median(cpu[1:]) * 1000:7.1f}  ({len(warm)} runs)"
    )
    print(f"open, warm slowest       {max(warm) * 1000:7.1f}")
    print(
        f"change, median           {statistics.median(typing) * 1000:7.1f}   "
        f"{statistics.median(typing_cpu) * 1000:7.1f}  (debounce 0)"
    )
    print(f"change, slowest          {max(typing) * 1000:7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
