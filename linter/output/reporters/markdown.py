"""A review-ready migration plan in Markdown (paste it in the pull request).

Per statement: the SQL, the locks it takes and what they block, rewrites and scans, the
transaction it runs in, the estimated lock duration when table statistics were given
(``--stats``), and each finding with its safe alternative.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, TextIO

from ...analysis.engine import Finding, LintResult
from ...lockmodel.locks import LockMode
from ...rule import Rule
from ..explain import statement_dict
from .text import summary_line

# Keys of ``statement_dict`` that, when a statistics provider fills them, give the lock
# duration estimate shown in the plan (the hook for ``--stats``).
DURATION_KEYS = ("estimated_lock_duration", "lock_duration_estimate")
_ICON = {"error": "🛑", "warning": "⚠️", "note": "ℹ️"}  # noqa: RUF001


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fence(sql: str) -> str:
    fence = "```"
    while fence in sql:
        fence += "`"
    return f"{fence}sql\n{sql.strip()}\n{fence}"


def _duration(entry: Mapping[str, Any]) -> str | None:
    for key in DURATION_KEYS:
        value = entry.get(key)
        if value:
            return str(value)
    return None


def _locks(entry: Mapping[str, Any]) -> str:
    locks: Mapping[str, str] = entry["locks"]
    if not locks:
        return "none on tables"
    return "; ".join(f"`{mode}` on `{rel}`: {LockMode(mode).blocks}" for rel, mode in locks.items())


def _finding(out: list[str], f: Mapping[str, Any] | Finding) -> None:
    d = f.as_dict() if isinstance(f, Finding) else f
    out.append(
        f"- {_ICON.get(str(d['severity']), '')} **{d['severity']}** `{d['rule']}` "
        f"({d['code']}), line {d['line']}: {d['message']}"
    )
    if d.get("help"):
        out.append(f"  - **Safe alternative:** {d['help']}")


class MarkdownReporter:
    def report(self, result: LintResult, rules: tuple[Rule, ...], out: TextIO) -> None:
        lines = ["# sqlsafe migration plan", ""]
        counts = Counter(f.severity.value for f in result.findings)
        lines.append(
            f"{len(result.statements)} statements in {result.files} "
            f"file{'s' if result.files != 1 else ''}; "
            + (
                ", ".join(f"{n} {sev}{'s' if n != 1 else ''}" for sev, n in sorted(counts.items()))
                or "no findings"
            )
            + "."
        )
        lines.append("")
        if result.errors:
            lines += ["## Files that could not be read", ""]
            lines += [f"- `{e.path}`: {e.reason}" for e in result.errors]
            lines.append("")
        attached: set[Finding] = set()
        current = None
        number = 0
        for st in result.statements:
            entry = statement_dict(st)
            if st.path != current:
                current, number = st.path, 0
                lines += [f"## `{st.path}`", ""]
            number += 1
            first = st.sql.strip().splitlines()[0] if st.sql.strip() else ""
            status = "✅"
            if st.findings:
                worst = max(st.findings, key=lambda f: f.severity.rank)
                status = _ICON[worst.severity.value]
            lines += [f"### {status} {number}. line {st.line}: `{_cell(first[:80])}`", ""]
            lines += [_fence(st.sql), ""]
            lines += ["| | |", "|---|---|"]
            lines.append(f"| Locks | {_cell(_locks(entry))} |")
            lines.append(
                f"| Rewrites | {_cell(', '.join(f'`{t}`' for t in entry['rewrites']) or 'no')} |"
            )
            lines.append(
                f"| Scans | {_cell(', '.join(f'`{t}`' for t in entry['scans']) or 'no')} |"
            )
            tx = "inside a transaction" if entry["in_transaction"] else "outside a transaction"
            if not entry["transactional"]:
                tx += "; cannot run inside a transaction block"
            held = {
                r: m for r, m in entry["held_in_transaction"].items() if entry["locks"].get(r) != m
            }
            if held:
                tx += "; still holding " + ", ".join(f"`{m}` on `{r}`" for r, m in held.items())
            lines.append(f"| Transaction | {_cell(tx)} |")
            objects = entry["objects"]
            if objects:
                lines.append(
                    "| Objects | "
                    + _cell(", ".join(f"`{r}` ({kind})" for r, kind in objects.items()))
                    + " |"
                )
            duration = _duration(entry)
            if duration:
                lines.append(f"| Estimated lock duration | {_cell(duration)} |")
            lines.append("")
            for f in st.findings:
                attached.add(f)
                _finding(lines, f)
            if st.findings:
                lines.append("")
        others = [f for f in result.findings if f not in attached]
        if others:
            lines += ["## Other findings", ""]
            for f in others:
                lines.append(f"- `{f.path}`:")
                _finding(lines, f)
            lines.append("")
        lines.append(f"_{summary_line(result)}_")
        out.write("\n".join(lines) + "\n")
