#!/usr/bin/env python3
"""Benchmark sqlsafe against squawk on a corpus of migrations.

    python3 bench/bench.py [CORPUS] [--runs N] [--skip-scaling] [--alembic] [--venv]

``--venv`` measures a plain (not editable) install of this checkout, with squawk-cli, in a
new virtual environment: what ``pip install sqlsafe`` and pre-commit's own environments
give. Without it, the install of the Python running this script is measured; an editable
install adds its import hook to every start of that Python, ``python -c pass`` included.

Runs the commands alternately (sqlsafe, squawk, sqlsafe, ...) so that machine noise hits
both alike, and prints the median wall time of each, the ratio, and each process's peak
memory (``ru_maxrss`` from ``os.wait4``). Both tools print one line per finding (sqlsafe
``--format gcc``, squawk ``--reporter gcc``) to /dev/null.

Measured:
  cold      whole corpus, no cache (``--no-cache``) vs squawk
  warm      whole corpus again with a warm result cache vs squawk
  file list every ``.sql`` file of the corpus named on the command line (what ``pre-commit
            run --all-files`` or ``xargs`` pass), cold and warm, vs the directory (the
            ratio of the two, measured alternately in the same run)
  one file  ``sqlsafe lint --no-cache`` on one small file alone (a copy outside any
            migrations directory: start-up and imports) vs ``python -c pass``
  in history the newest small migration of the largest migrations directory (Lemmy's 686
            diesel files when present), where it lies (what pre-commit runs): linted after
            its directory's history, cold (``--no-cache``) and with a warm cache, vs
            ``python -c pass``
  stdin     that file's text on standard input (``sqlsafe lint - --stdin-filename F``,
            what an editor runs on its buffer), cold, and warm with a text changed since
            the last run (a comment appended), vs ``python -c pass``

sqlsafe's modules are byte-compiled first (``compileall``), as they are once installed.
  scaling   1x, 2x and 4x copies of the corpus (separate histories side by side in a
            temporary directory): time and peak memory should grow linearly
  alembic   (``--alembic``) a generated 200-revision Alembic project
            (``bench/alembic_project.py``): importing alembic and SQLAlchemy vs
            ``python -c pass``; a cold lint (``--no-cache``: every revision rendered); a
            warm one (nothing changed); a warm one after editing the newest revision
            (199 revisions from the render cache, the history resumed from the result
            cache); each vs ``python -c pass``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"


def executable(name: str) -> str | None:
    """*name* installed next to this Python (not through a pyenv or asdf shim, a shell
    script that costs ~65 ms per start on the reference machine), else on ``PATH``."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def in_fresh_venv(argv: Sequence[str]) -> int:
    """Run this script, with *argv*, in a new virtual environment holding a plain install
    of this checkout and squawk-cli (from the package index)."""
    with tempfile.TemporaryDirectory(prefix="sqlsafe-bench-venv-") as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        python = venv / "bin" / "python"
        install = [str(python), "-m", "pip", "install", "-q", str(REPO), "squawk-cli"]
        subprocess.run(install, check=True)
        return subprocess.run([str(python), __file__, *argv], check=False).returncode


def installed_from() -> str:
    """Where this Python imports sqlsafe from, and whether that install is editable."""
    found = subprocess.run(  # (not from this checkout's directory: from the install)
        [sys.executable, "-c", "import linter, sys; print(linter.__file__)"],
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
        check=False,
    ).stdout.strip()
    where = str(Path(found).parent) if found else "(not importable)"
    inside = found and Path(found).resolve().is_relative_to(REPO)
    return f"{where} ({'editable: this checkout' if inside else 'a plain install'})"


def sqlsafe_cmd() -> list[str]:
    exe = executable("sqlsafe")
    return [exe] if exe else [sys.executable, "-m", "linter"]


# Every command runs from the temporary directory, where no configuration file is found:
# from this checkout, sqlsafe would read its pyproject.toml, which names sqlsafe and so
# is parsed (~3 ms for the TOML parser), though it configures nothing.
NEUTRAL = tempfile.gettempdir()


def measure(
    cmd: Sequence[str], env: dict[str, str] | None = None, stdin: bytes | None = None
) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one run; output discarded, *stdin* fed."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        cwd=NEUTRAL,
    )
    if stdin is not None:
        assert proc.stdin is not None
        proc.stdin.write(stdin)
        proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited with {proc.returncode}")
    return elapsed, int(usage.ru_maxrss)


# a command, its extra environment, and what it reads on standard input (a function of
# the run's number: an editor's buffer changes between runs)
Command = tuple[list[str], "dict[str, str] | None", "Callable[[int], bytes] | None"]


def alternate(commands: dict[str, Command], runs: int) -> dict[str, tuple[float, int]]:
    times: dict[str, list[float]] = {name: [] for name in commands}
    peaks: dict[str, int] = {name: 0 for name in commands}
    for cmd, env, feed in commands.values():  # one warm-up run each (file system cache)
        measure(cmd, env, feed(-1) if feed else None)
    for run in range(runs):
        for name, (cmd, env, feed) in commands.items():
            elapsed, rss = measure(cmd, env, feed(run) if feed else None)
            times[name].append(elapsed)
            peaks[name] = max(peaks[name], rss)
    return {name: (statistics.median(times[name]), peaks[name]) for name in commands}


def in_history(corpus: Path) -> Path:
    """The newest small migration of the largest migrations directory (Lemmy's, when the
    corpus holds it): a file named alone reads its whole directory as history."""
    lemmy = corpus / "LemmyNet__lemmy" / "migrations"
    top = (
        lemmy
        if lemmy.is_dir()
        else max({p.parent for p in corpus.rglob("*.sql")}, key=lambda d: len(list(d.iterdir())))
    )
    small = [p for p in sorted(top.rglob("*.sql")) if 200 < p.stat().st_size < 2000]
    ups = [p for p in small if p.name != "down.sql"]
    return (ups or small)[-1]


def row(label: str, a: str, b: str, res: dict[str, tuple[float, int]]) -> str:
    (ta, ma), (tb, mb) = res[a], res[b]
    return (
        f"| {label} | {ta * 1000:.0f} ms ({ma / 1024:.0f} MB) | {tb * 1000:.0f} ms "
        f"({mb / 1024:.0f} MB) | {ta / tb:.2f} |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument(
        "--alembic", action="store_true", help="also time a 200-revision Alembic project"
    )
    parser.add_argument(
        "--venv",
        action="store_true",
        help="measure a plain install of this checkout in a new virtual environment",
    )
    args = parser.parse_args(argv)
    if args.venv:
        return in_fresh_venv(
            [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--venv"]
        )
    corpus = Path(args.corpus).resolve()
    if not corpus.is_dir():
        raise SystemExit(f"{corpus}: not a directory")
    sqlsafe = sqlsafe_cmd()
    squawk = executable("squawk")
    # byte-compile sqlsafe as an installed package is (PYTHONDONTWRITEBYTECODE would make
    # every run compile its modules again)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            str(REPO / "linter"),
            str(REPO / "pglast_rules"),
        ],
        check=False,
        stdout=subprocess.DEVNULL,
    )
    small = next(p for p in sorted(corpus.rglob("*.sql")) if 200 < p.stat().st_size < 2000)
    deep = in_history(corpus)
    files = sorted(str(p) for p in corpus.rglob("*.sql"))

    print(f"corpus: {corpus} ({len(files)} .sql files)")
    print(f"sqlsafe: {' '.join(sqlsafe)}; squawk: {squawk or 'not installed'}")
    print(f"python: {sys.executable} {sys.version.split()[0]}; sqlsafe from: {installed_from()}")
    print(f"cpus: {os.cpu_count()}; runs per command: {args.runs} (medians)")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print("| measurement | sqlsafe | other | ratio |")
    print("|---|---|---|---|")

    with tempfile.TemporaryDirectory(prefix="sqlsafe-bench-") as tmp:
        cache_env = {"SQLSAFE_CACHE_DIR": str(Path(tmp) / "cache")}
        lint = [*sqlsafe, "lint", str(corpus), "--format", "gcc"]
        listed = [*sqlsafe, "lint", *files, "--format", "gcc"]
        commands: dict[str, Command] = {
            "cold": ([*lint, "--no-cache"], None, None),
            "list cold": ([*listed, "--no-cache"], None, None),
            "warm": (lint, cache_env, None),
            "list warm": (listed, cache_env, None),
        }
        if squawk:
            commands["squawk"] = (
                [squawk, "--reporter", "gcc", str(corpus / "**" / "*.sql")],
                None,
                None,
            )
        res = alternate(commands, args.runs)
        if squawk:
            print(row("whole corpus, cold (no cache) vs squawk", "cold", "squawk", res))
            print(row("whole corpus, warm cache vs squawk", "warm", "squawk", res))
            print(row("file list, warm cache vs squawk", "list warm", "squawk", res))
        else:
            print(row("whole corpus, warm vs cold", "warm", "cold", res))
        many = f"the corpus as a list of {len(files)} files"
        print(row(f"{many}, cold, vs the directory cold", "list cold", "cold", res))
        print(row(f"{many}, warm, vs the directory warm", "list warm", "warm", res))

        alone = Path(tmp) / "alone" / small.name
        alone.parent.mkdir()
        shutil.copyfile(small, alone)
        lint_deep = [*sqlsafe, "lint", str(deep)]
        text = deep.read_bytes()
        stdin = [*sqlsafe, "lint", "-", "--stdin-filename", str(deep)]

        def edited(run: int) -> bytes:
            return text + f"\n-- edit {run}\n".encode()

        one: dict[str, Command] = {
            "one": ([*sqlsafe, "lint", str(alone), "--no-cache"], None, None),
            "cold": ([*lint_deep, "--no-cache"], None, None),
            "warm": (lint_deep, cache_env, None),
            "stdin cold": ([*stdin, "--no-cache"], None, lambda run: text),
            "stdin warm": (stdin, cache_env, edited),
            "pass": ([sys.executable, "-c", "pass"], None, None),
        }
        res_one = alternate(one, max(args.runs, 15))
        versus = "vs `python -c pass`"
        print(row(f"one small file alone ({small.name}) {versus}", "one", "pass", res_one))
        where = f"{deep.parent.name}/{deep.name} in its history ({deep.parent.parent.name}/)"
        print(row(f"{where}, cold, {versus}", "cold", "pass", res_one))
        print(row(f"{where}, warm cache, {versus}", "warm", "pass", res_one))
        print(row(f"that file on stdin (`lint -`), cold, {versus}", "stdin cold", "pass", res_one))
        print(
            row(
                f"that file on stdin, edited since the last run, warm cache, {versus}",
                "stdin warm",
                "pass",
                res_one,
            )
        )
        print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

        if not args.skip_scaling:
            base: tuple[float, int] | None = None
            for copies in (1, 2, 4):
                root = Path(tmp) / f"x{copies}"
                for i in range(copies):
                    shutil.copytree(corpus, root / f"copy{i}")
                cmd = [*sqlsafe, "lint", str(root), "--format", "gcc", "--no-cache"]
                t, m = alternate({"s": (cmd, None, None)}, max(3, args.runs // 2))["s"]
                base = base or (t, m)
                print(
                    f"| scaling {copies}x corpus | {t * 1000:.0f} ms ({m / 1024:.0f} MB) | "
                    f"1x: {base[0] * 1000:.0f} ms | {t / base[0]:.2f} |"
                )
                shutil.rmtree(root)
        if args.alembic:
            for line in alembic_rows(sqlsafe, args.runs, Path(tmp)):
                print(line)
    return 0


def alembic_rows(sqlsafe: Sequence[str], runs: int, tmp: Path, revisions: int = 200) -> list[str]:
    """The rows of a generated Alembic project (see the module's docstring)."""
    from alembic_project import write_project

    versions = write_project(tmp / "alembic", revisions)
    cache_env = {"SQLSAFE_CACHE_DIR": str(tmp / "alembic-cache")}
    lint = [*sqlsafe, "lint", str(versions), "--format", "gcc"]
    imports = "import alembic.operations, alembic.runtime.migration, sqlalchemy"
    res = alternate(
        {
            "import": ([sys.executable, "-c", imports], None, None),
            "cold": ([*lint, "--no-cache"], None, None),
            "warm": (lint, cache_env, None),
            "pass": ([sys.executable, "-c", "pass"], None, None),
        },
        runs,
    )
    newest = max(versions.glob("*.py"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))
    text = newest.read_text()
    edited: list[float] = []
    peak = 0
    for i in range(runs + 1):  # (the first run fills the caches)
        newest.write_text(f"{text}\n# edit {i}\n")
        elapsed, rss = measure(lint, cache_env, None)
        if i:
            edited.append(elapsed)
            peak = max(peak, rss)
    res["edited"] = (statistics.median(edited), peak)
    label = f"{revisions}-revision Alembic project"
    versus = "vs `python -c pass`"
    return [
        row(f"import alembic + SQLAlchemy {versus}", "import", "pass", res),
        row(f"{label}, cold (every revision rendered) {versus}", "cold", "pass", res),
        row(f"{label}, warm (nothing changed) {versus}", "warm", "pass", res),
        row(f"{label}, warm, newest revision edited {versus}", "edited", "pass", res),
    ]


if __name__ == "__main__":
    sys.exit(main())
