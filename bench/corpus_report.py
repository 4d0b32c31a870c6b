"""Lint every repository of the migration corpus with sqlsafe and with squawk; compare.

    python3 bench/corpus_report.py [--corpus DIR] [--write docs/corpus-report.md]
                                   [--samples bench/corpus-samples.json]

Each repository directory is one history with its layout detected (what ``sqlsafe lint
DIR`` does).  squawk (``squawk`` on PATH) lints the same files one by one, with
``--assume-in-transaction`` for the files sqlsafe believes run in a transaction, and
``--pg-version`` set to sqlsafe's target.  Findings are matched through the rules'
``aliases`` (the squawk name of the same hazard).  The tables replace the part of the report
between the ``corpus-tables`` markers; the rest of the report is prose written by a person.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from linter.analysis.registry import load_rules  # noqa: E402
from linter.api import gather, lint_paths  # noqa: E402
from linter.inputs.config import Config  # noqa: E402
from linter.inputs.layouts import MigrationUnit, detect_layout  # noqa: E402
from linter.inputs.settings import DEFAULT_TARGET_VERSION  # noqa: E402

START, END = "<!-- corpus-tables:start -->", "<!-- corpus-tables:end -->"


@dataclass
class RepoResult:
    name: str
    layout: str
    files: int = 0
    units_down: int = 0
    sqlsafe: Counter[str] = field(default_factory=Counter)
    sqlsafe_down: Counter[str] = field(default_factory=Counter)
    squawk: Counter[str] = field(default_factory=Counter)
    # (rule or squawk rule) -> [(path, line)]
    sqlsafe_at: dict[str, set[tuple[str, int]]] = field(default_factory=lambda: defaultdict(set))
    squawk_at: dict[str, set[tuple[str, int]]] = field(default_factory=lambda: defaultdict(set))


def run_squawk(files: list[str], in_tx: bool, cwd: Path) -> list[dict[str, object]]:
    if not files:
        return []
    args = ["squawk", "--reporter", "json", f"--pg-version={DEFAULT_TARGET_VERSION}.0"]
    if in_tx:
        args.append("--assume-in-transaction")
    out: list[dict[str, object]] = []
    for i in range(0, len(files), 200):
        done = subprocess.run(
            [*args, *files[i : i + 200]], cwd=cwd, capture_output=True, text=True, timeout=600
        )
        text = done.stdout.strip()
        if text:
            out.extend(json.loads(text))
    return out


def lint_repo(repo: Path, corpus: Path) -> RepoResult:
    os.chdir(corpus)
    name = repo.name
    config = Config(root=repo)
    inputs = gather([name], config)
    units = [u for u in inputs.units if isinstance(u, MigrationUnit)]
    result = RepoResult(name, detect_layout(repo) or "plain")
    result.files = len({u.path for u in units})
    result.units_down = sum(1 for u in units if not u.applies)
    down_lines: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for u in units:
        if not u.applies:
            first = next((i for i, c in enumerate(u.text) if not c.isspace()), len(u.text))
            last = len(u.text.rstrip())
            down_lines[u.path].append(
                (u.text.count("\n", 0, first) + 1, u.text.count("\n", 0, last) + 1)
            )
    linted = lint_paths([name], config)
    for f in linted.findings:
        is_down = any(lo <= f.line <= hi for lo, hi in down_lines.get(f.path, ()))
        (result.sqlsafe_down if is_down else result.sqlsafe)[f.rule] += 1
        result.sqlsafe_at[f.rule].add((f.path, f.line))
    # squawk: one run for the files sqlsafe treats as transactional, one for the others
    by_tx: dict[bool, list[str]] = {True: [], False: []}
    for path in dict.fromkeys(u.path for u in units):
        tx = next(u.in_transaction for u in units if u.path == path)
        by_tx[bool(tx)].append(path)
    for in_tx, files in by_tx.items():
        for v in run_squawk(files, in_tx, corpus):
            rule = str(v.get("rule_name"))
            result.squawk[rule] += 1
            line = v.get("line")
            # squawk's lines count from 0
            result.squawk_at[rule].add(
                (str(v.get("file")), int(line) + 1 if isinstance(line, int) else 0)
            )
    return result


def hazard_groups(squawk_rules: set[str]) -> list[tuple[list[str], list[str]]]:
    """(squawk rules, sqlsafe rules) per hazard: connected through names and aliases."""
    rules = load_rules(plugins=False)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    for sq in squawk_rules:
        find("squawk:" + sq)
    for r in rules:
        find("sqlsafe:" + r.name)
        for alias in (r.name, *r.aliases):
            if alias in squawk_rules:
                union("sqlsafe:" + r.name, "squawk:" + alias)
    groups: dict[str, tuple[list[str], list[str]]] = {}
    for node in list(parent):
        tool, _, name = node.partition(":")
        sq, ours = groups.setdefault(find(node), ([], []))
        (sq if tool == "squawk" else ours).append(name)
    return sorted(
        ((sorted(sq), sorted(ours)) for sq, ours in groups.values()),
        key=lambda g: (not g[0], g[0] or g[1]),
    )


def squawk_rule_names() -> set[str]:
    """Every squawk rule: the names sqlsafe's aliases use that look like squawk's."""
    names = {"syntax-error"}
    for r in load_rules(plugins=False):
        names.update(a for a in r.aliases if "-" in a and a[:1].islower())
    return names


def tables(results: list[RepoResult]) -> str:
    total_ss: Counter[str] = Counter()
    total_down: Counter[str] = Counter()
    total_sq: Counter[str] = Counter()
    for r in results:
        total_ss.update(r.sqlsafe)
        total_down.update(r.sqlsafe_down)
        total_sq.update(r.squawk)
    groups = hazard_groups(set(total_sq) | squawk_rule_names())
    lines = [START, ""]
    lines.append("### Per repository\n")
    lines.append(
        "| repository | layout | files | down units | sqlsafe (up) | sqlsafe (down) "
        "| squawk | syntax errors (sqlsafe / squawk) |"
    )
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        syntax = r.sqlsafe["syntax-error"] + r.sqlsafe_down["syntax-error"]
        lines.append(
            f"| {r.name} | {r.layout} | {r.files} | {r.units_down} | {sum(r.sqlsafe.values())} "
            f"| {sum(r.sqlsafe_down.values())} | {sum(r.squawk.values())} "
            f"| {syntax} / {r.squawk['syntax-error']} |"
        )
    lines.append("\n### Per hazard\n")
    lines.append(
        "A row per hazard: the squawk rules and the sqlsafe rules that name each other "
        "(by rule name or alias). sqlsafe counts findings in up migrations and in down "
        "migrations separately; squawk lints whole files, so its count covers both.\n"
    )
    lines.append("| squawk rules | squawk | sqlsafe rules | sqlsafe (up) | sqlsafe (down) |")
    lines.append("|---|---:|---|---:|---:|")
    for sq, ours in groups:
        theirs = sum(total_sq[n] for n in sq)
        up = sum(total_ss[n] for n in ours)
        down = sum(total_down[n] for n in ours)
        if not (theirs or up or down):
            continue
        lines.append(
            f"| {', '.join(sq) or '(none)'} | {theirs} | {', '.join(ours) or '(none)'} "
            f"| {up} | {down} |"
        )
    lines.append("\n### Per repository and hazard, where the counts differ by more than 5\n")
    lines.append("| repository | squawk rules | squawk | sqlsafe rules | sqlsafe (up + down) |")
    lines.append("|---|---|---:|---|---:|")
    for r in results:
        for sq, ours in groups:
            theirs = sum(r.squawk[n] for n in sq)
            mine = sum(r.sqlsafe[n] + r.sqlsafe_down[n] for n in ours)
            if abs(mine - theirs) > 5:
                lines.append(
                    f"| {r.name} | {', '.join(sq) or '(none)'} | {theirs} "
                    f"| {', '.join(ours) or '(none)'} | {mine} |"
                )
    lines += ["", END]
    return "\n".join(lines)


def samples(results: list[RepoResult], limit: int = 10) -> dict[str, object]:
    """Locations flagged by one tool and not the other, per hazard (for reading by hand)."""
    every: set[str] = set()
    for r in results:
        every |= set(r.squawk)
    out: dict[str, object] = {}
    for sq, ours in hazard_groups(every | squawk_rule_names()):
        only_squawk: list[str] = []
        only_sqlsafe: list[str] = []
        for r in results:
            theirs: set[tuple[str, int]] = set()
            for n in sq:
                theirs |= r.squawk_at.get(n, set())
            mine: set[tuple[str, int]] = set()
            for n in ours:
                mine |= r.sqlsafe_at.get(n, set())
            only_squawk += [f"{p}:{n}" for p, n in sorted(theirs - mine)]
            only_sqlsafe += [f"{p}:{n}" for p, n in sorted(mine - theirs)]
        step_q = max(1, len(only_squawk) // limit)
        step_s = max(1, len(only_sqlsafe) // limit)
        out[" + ".join(sq + ours)] = {
            "only_squawk": {"count": len(only_squawk), "sample": only_squawk[::step_q][:limit]},
            "only_sqlsafe": {"count": len(only_sqlsafe), "sample": only_sqlsafe[::step_s][:limit]},
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", default=str(REPO.parent / "shared" / "corpus"))
    parser.add_argument("--write", default=None, help="report file whose tables to replace")
    parser.add_argument("--samples", default=None, help="write disagreement samples (JSON)")
    args = parser.parse_args()
    corpus = Path(args.corpus).resolve()
    if not corpus.is_dir():
        print(f"{corpus}: no corpus here", file=sys.stderr)
        return 2
    if shutil.which("squawk") is None:
        print("squawk is not on PATH (pip install squawk-cli)", file=sys.stderr)
        return 2
    results = [lint_repo(p, corpus) for p in sorted(corpus.iterdir()) if p.is_dir()]
    text = tables(results)
    if args.write:
        report = Path(args.write)
        if not report.is_absolute():
            report = REPO / report
        old = report.read_text(encoding="utf-8") if report.exists() else f"{START}\n{END}\n"
        head, _, rest = old.partition(START)
        _, _, tail = rest.partition(END)
        report.write_text(head + text + tail, encoding="utf-8")
    else:
        print(text)
    if args.samples:
        Path(args.samples).write_text(json.dumps(samples(results), indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
