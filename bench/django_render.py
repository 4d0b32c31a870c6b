#!/usr/bin/env python3
"""Time rendering a generated Django project of N migrations (issue 14 §6).

    python3 bench/django_render.py [--count 200] [--runs 3]

Prints, for a project of two apps (tests/django_project.py ``write_long_project``):
cold (no render cache: Django's start-up and the rendering of every migration, in its own
process), warm (every migration answered by the render cache: no Django at all), the
same project whose last migration drops a foreign key (Django introspects the table:
the embedded server starts and the migrations before it are replayed on it), and the
embedded server's start alone. Each is the best of --runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from django_project import write_long_project  # noqa: E402

from linter.inputs.frameworks.django_layout import migrations  # noqa: E402
from linter.output.rendercache import RenderCache  # noqa: E402


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def best(runs: int, fn: Callable[[], object]) -> tuple[float, float]:
    """The best wall time of *runs* and the CPU time (this process and its children,
    the embedded server's processes not included) of that run."""
    times = []
    for _ in range(runs):
        started, cpu = time.perf_counter(), _cpu()
        fn()
        times.append((time.perf_counter() - started, _cpu() - cpu))
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        plain = write_long_project(root / "plain", args.count)
        replay = write_long_project(root / "replay", args.count, introspect=True)
        cache_dir = root / "cache"

        def warm() -> None:
            cache = RenderCache(cache_dir, "bench")
            found = migrations(plain, [], cache)
            assert cache.misses == 0 and len(found) == args.count
            cache.save()

        filled = RenderCache(cache_dir, "bench")
        cold = best(args.runs, lambda: migrations(plain, [], None))
        migrations(plain, [], filled)
        filled.save()
        hot = best(args.runs, warm)
        replayed = best(args.runs, lambda: migrations(replay, [], None))

        from linter.server.pgserver import embedded_server

        def server() -> None:
            with embedded_server():
                pass

        start = best(args.runs, server)
    rows = (
        ("cold (Django renders all, offline)", cold),
        ("warm (every migration from the render cache)", hot),
        ("cold, the last needs the database (server, replay)", replayed),
        ("the embedded server's start and stop alone", start),
    )
    print(f"{args.count} migrations; wall s (CPU s of sqlsafe and its children)")
    for label, (wall, cpu) in rows:
        print(f"  {label:52} {wall:7.2f} ({cpu:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
