#!/usr/bin/env python3
"""Time and peak memory of ``sqlsafe lint`` on generated pathological inputs, at 1x/2x/4x.

    python3 bench/scaling.py [--case NAME ...] [--scales 1,2,4] [--big] [--timeout S]
                             [--tiny] [--keep DIR]

Each case is one generated migration file whose size grows with the scale:

  in-list     one ``UPDATE ... WHERE id IN (...)`` of numbers: 5 MB at 1x, 20 MB at 4x
  case        one ``UPDATE ... SET x = CASE id WHEN ... THEN '...' ... END``: 5 / 20 MB
  fk-tables   N tables, each with a foreign key to the one before and its own index at
              the end of the file: N = 2,000 / 4,000 / 8,000 (``--big`` adds 50,000)
  add-column  one table, then N ``ALTER TABLE ... ADD COLUMN``: N = 12,500 / 25,000 /
              50,000
  drop-constraint, drop-default, rename-table
              N = 5,000 / 10,000 / 20,000 of ``ALTER TABLE t DROP CONSTRAINT cI``, of
              ``ALTER COLUMN cI DROP DEFAULT`` in one transaction, of ``RENAME TO`` back
              and forth

For each file it runs ``sqlsafe lint FILE --no-cache --format gcc`` once (output to
/dev/null) and prints the wall time, the peak RSS (``ru_maxrss`` from ``os.wait4``), the
ratio of both to the 1x run (linear growth: about 2 and 4) and the peak memory over the
input's size. ``--tiny`` makes every input a few kB (what the tests run).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MB = 1_000_000


def _in_list(size: int) -> Iterator[str]:
    """``UPDATE ... WHERE id IN (...)`` of about *size* characters."""
    yield "UPDATE accounts SET disabled = true WHERE id IN ("
    written, i = 0, 0
    while written < size:
        item = f"{1_000_000 + i * 7}, " if i % 16 else f"{1_000_000 + i * 7},\n"
        written += len(item)
        i += 1
        yield item
    yield f"{1_000_000 + i * 7});\n"


def _case(size: int) -> Iterator[str]:
    """``UPDATE ... SET plan = CASE id WHEN ... THEN ... END`` of about *size* characters."""
    yield "UPDATE accounts SET plan = CASE id\n"
    written, i = 0, 0
    while written < size:
        item = f"    WHEN {1_000_000 + i} THEN 'plan_{i % 97}'\n"
        written += len(item)
        i += 1
        yield item
    yield "    ELSE plan\nEND;\n"


def _fk_tables(count: int) -> Iterator[str]:
    """*count* tables, each referencing the one before; every other one gets its index at
    the end of the file (the foreign key's look-ahead finds it), the rest are findings."""
    yield "CREATE TABLE t0 (id bigint PRIMARY KEY);\n"
    for i in range(1, count):
        yield (
            f"CREATE TABLE t{i} (id bigint PRIMARY KEY, "
            f"parent_id bigint NOT NULL REFERENCES t{i - 1} (id), name text);\n"
        )
    for i in range(1, count, 2):
        yield f"CREATE INDEX t{i}_parent_id_idx ON t{i} (parent_id);\n"


def _add_column(count: int) -> Iterator[str]:
    """One table, then *count* ``ALTER TABLE ... ADD COLUMN`` statements."""
    yield "CREATE TABLE wide (id bigint PRIMARY KEY);\n"
    for i in range(count):
        yield f"ALTER TABLE wide ADD COLUMN c{i} integer;\n"


def _drop_constraint(count: int) -> Iterator[str]:
    """*count* ``DROP CONSTRAINT`` on one table (each looked for a re-add or a later drop)."""
    for i in range(count):
        yield f"ALTER TABLE accounts DROP CONSTRAINT accounts_c{i}_check;\n"


def _drop_default(count: int) -> Iterator[str]:
    """One transaction of *count* ``DROP DEFAULT`` (each looked for a later ``SET DEFAULT``
    in the transaction)."""
    yield "BEGIN;\n"
    for i in range(count):
        yield f"ALTER TABLE accounts ALTER COLUMN c{i} DROP DEFAULT;\n"
    yield "COMMIT;\n"


def _rename_table(count: int) -> Iterator[str]:
    """*count* ``RENAME TO``, back and forth (each looked for a view taking the old name)."""
    for i in range(count):
        old, new = ("accounts", "customers") if i % 2 == 0 else ("customers", "accounts")
        yield f"ALTER TABLE {old} RENAME TO {new};\n"


# name -> (generator, size at 1x, size with --tiny, what the size counts)
CASES: dict[str, tuple[Callable[[int], Iterator[str]], int, int, str]] = {
    "in-list": (_in_list, 5 * MB, 2_000, "characters"),
    "case": (_case, 5 * MB, 2_000, "characters"),
    "fk-tables": (_fk_tables, 2_000, 20, "tables"),
    "add-column": (_add_column, 12_500, 20, "statements"),
    "drop-constraint": (_drop_constraint, 5_000, 20, "statements"),
    "drop-default": (_drop_default, 5_000, 20, "statements"),
    "rename-table": (_rename_table, 5_000, 20, "statements"),
}
BIG = {"fk-tables": 50_000}  # --big: one more run of these cases at this size


def generate(case: str, size: int, path: Path) -> int:
    """Write the *case*'s input of *size* to *path*; returns its size in bytes."""
    make = CASES[case][0]
    with path.open("w", encoding="utf-8") as out:
        for part in make(size):
            out.write(part)
    return path.stat().st_size


def sqlsafe_cmd() -> list[str]:
    beside = Path(sys.executable).parent / "sqlsafe"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    return [sys.executable, "-m", "linter"]


def measure(cmd: Sequence[str], timeout: float) -> tuple[float, int, int | None]:
    """Wall seconds, peak RSS (KiB) and exit code (None: killed at *timeout*) of one run."""
    start = time.perf_counter()
    proc = os.posix_spawn(  # (no subprocess.Popen: os.wait4 gives this child's own peak)
        cmd[0],
        list(cmd),
        os.environ,
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
        ],
    )
    code: int | None = None
    while True:
        pid, status, usage = os.wait4(proc, os.WNOHANG)
        if pid:
            code = os.waitstatus_to_exitcode(status)
            break
        if time.perf_counter() - start > timeout:
            os.kill(proc, 9)
            _, status, usage = os.wait4(proc, 0)
            break
        time.sleep(0.02)
    return time.perf_counter() - start, int(usage.ru_maxrss), code


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--case", action="append", choices=sorted(CASES), dest="cases")
    parser.add_argument("--scales", default="1,2,4", help="comma-separated (default 1,2,4)")
    parser.add_argument("--big", action="store_true", help="add the 50,000-table run")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    parser.add_argument("--tiny", action="store_true", help="inputs of a few kB (tests)")
    parser.add_argument("--keep", type=Path, help="write the inputs here and keep them")
    args = parser.parse_args(argv)
    try:
        scales = [int(s) for s in args.scales.split(",")]
    except ValueError:
        parser.error(f"--scales: not a list of integers: {args.scales!r}")
    if not scales or min(scales) < 1:
        parser.error("--scales: each scale must be a positive integer")
    cmd = sqlsafe_cmd()
    print(f"sqlsafe: {' '.join(cmd)}")
    print(
        "| case | scale | size | input | time | peak RSS | time / 1x | peak / 1x | peak / input |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    tmp = tempfile.mkdtemp(prefix="sqlsafe-scaling-")
    where = args.keep or Path(tmp)
    where.mkdir(parents=True, exist_ok=True)
    try:
        for case in args.cases or list(CASES):
            _make, base, tiny, unit = CASES[case]
            runs = [(f"{s}x", (tiny if args.tiny else base) * s) for s in scales]
            if args.big and case in BIG and not args.tiny:
                runs.append(("big", BIG[case]))
            first: tuple[float, int] | None = None
            for label, size in runs:
                path = where / f"{case}-{label}.sql"
                nbytes = generate(case, size, path)
                elapsed, rss, code = measure(
                    [*cmd, "lint", str(path), "--no-cache", "--format", "gcc"], args.timeout
                )
                if code not in (0, 1, None):
                    raise SystemExit(f"sqlsafe lint {path} exited with {code}")
                first = first or (elapsed, rss)
                shown = f"{elapsed:.2f} s" if code is not None else f"> {args.timeout:.0f} s"
                print(
                    f"| {case} | {label} | {size:,} {unit} | {nbytes / MB:.2f} MB | {shown} | "
                    f"{rss / 1024:.0f} MB | {elapsed / first[0]:.2f} | {rss / first[1]:.2f} | "
                    f"{rss * 1024 / nbytes:.1f} |",
                    flush=True,
                )
                if args.keep is None:
                    path.unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
