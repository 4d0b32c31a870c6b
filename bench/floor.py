#!/usr/bin/env python3
"""What any pglast-based linter written in Python pays before its first rule runs.

    python3 bench/floor.py [CORPUS] [--runs N]

Times, on a corpus of ``.sql`` files: starting Python (``python -c pass``), importing
pglast and orjson, reading every file, and parsing each one with ``parse_sql_json`` and
decoding the tree with ``orjson`` (nothing of sqlsafe runs). Each figure is the median of
*runs*. The last line estimates the wall time of that floor on two cores: start and imports
once, reading, parsing and decoding split in two.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"

_IMPORTS = (
    "import time; t = time.perf_counter(); import pglast.parser, orjson; "
    "print(time.perf_counter() - t)"
)


def _startup() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - start


def _imports() -> float:
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTS], check=True, capture_output=True, text=True
    )
    return float(done.stdout)


def _work(files: list[Path]) -> tuple[float, float, float]:
    """Seconds spent reading, parsing and decoding every file (in this process)."""
    import orjson
    from pglast import parser

    read = parse = decode = 0.0
    for path in files:
        t0 = time.perf_counter()
        text = path.read_bytes().decode("utf-8", "replace")
        t1 = time.perf_counter()
        try:
            tree = parser.parse_sql_json(text)
        except parser.ParseError:
            tree = None
        t2 = time.perf_counter()
        if tree is not None:
            orjson.loads(tree)
        t3 = time.perf_counter()
        read, parse, decode = read + t1 - t0, parse + t2 - t1, decode + t3 - t2
    return read, parse, decode


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    root = Path(args.corpus)
    if not root.is_dir():
        print(f"{root}: not a directory", file=sys.stderr)
        return 2
    files = sorted(root.rglob("*.sql"))
    startup = statistics.median(_startup() for _ in range(args.runs))
    imports = statistics.median(_imports() for _ in range(args.runs))
    runs = [_work(files) for _ in range(args.runs)]
    read, parse, decode = (statistics.median(r[i] for r in runs) for i in range(3))
    print(f"corpus: {root} ({len(files)} .sql files)")
    print(f"python -c pass           {startup * 1000:7.0f} ms")
    print(f"import pglast, orjson    {imports * 1000:7.0f} ms")
    print(f"read every file          {read * 1000:7.0f} ms")
    print(f"parse_sql_json           {parse * 1000:7.0f} ms")
    print(f"orjson.loads             {decode * 1000:7.0f} ms")
    two_cores = startup + imports + (read + parse + decode) / 2
    print(f"floor on two cores       {two_cores * 1000:7.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
