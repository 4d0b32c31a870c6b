"""``sqlsafe explain``: per statement, the locks, rewrites, scans and findings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from ..analysis.engine import LintResult, StatementReport
from ..lockmodel.locks import LockMode


def statement_dict(report: StatementReport) -> dict[str, Any]:
    """One statement as JSON (shared by ``explain`` and ``trace``)."""
    touched = sorted(
        set(report.effects.locks) | set(report.effects.rewrites) | set(report.effects.scans)
    )
    return {
        "path": report.path,
        "line": report.line,
        "sql": report.sql,
        "in_transaction": report.in_transaction,
        "locks": {rel: mode.value for rel, mode in report.effects.locks.items()},
        # locked only if the object a DROP ... IF EXISTS names exists (unknown to the model)
        "conditional": list(report.effects.conditional),
        "blocks": {rel: mode.blocks for rel, mode in report.effects.locks.items()},
        "held_in_transaction": dict(report.held),
        "rewrites": list(report.effects.rewrites),
        "scans": list(report.effects.scans),
        "transactional": report.effects.transactional,
        "objects": {rel: ("new" if rel in report.new_tables else "existing") for rel in touched},
        # what each relation is (table, index, sequence, view), where the model knows it
        "kinds": {rel: report.kinds[rel] for rel in touched if rel in report.kinds},
        "findings": [f.as_dict() for f in report.findings],
    }


def explain_document(result: LintResult) -> dict[str, Any]:
    return {
        "statements": [statement_dict(s) for s in result.statements],
        "errors": [{"path": e.path, "message": e.reason} for e in result.errors],
    }


def _locks_text(
    locks: dict[str, str], conditional: Sequence[str] = (), kinds: Mapping[str, str] | None = None
) -> str:
    parts = []
    for rel, mode in locks.items():
        maybe = ", only if the object dropped exists" if rel in conditional else ""
        kind = (kinds or {}).get(rel, "table")
        label = "" if kind == "table" else f"{kind} "  # (a table is the default)
        parts.append(f"{label}{rel} {mode} ({LockMode(mode).blocks}{maybe})")
    return "; ".join(parts)


def render_text(statements: Sequence[dict[str, Any]], out: TextIO) -> None:
    for st in statements:
        first = st["sql"].splitlines()[0] if st["sql"] else ""
        more = " ..." if "\n" in st["sql"] else ""
        out.write(f"{st['path']}:{st['line']}: {first}{more}\n")
        if any(f["rule"] == "syntax-error" for f in st["findings"]):
            out.write("    not analysed: sqlsafe cannot read this statement\n")
        else:
            _write_effects(st, out)
        for f in st["findings"]:
            out.write(f"    {f['severity']} {f['rule']}: {f['message']}\n")
        if "observed" in st:
            observed = f"    observed on a real server: {st.get('duration_ms', 0):.1f} ms"
            if st.get("error"):
                observed += f", error: {st['error']}"
            out.write(observed + "\n")
        out.write("\n")


def _write_effects(st: dict[str, Any], out: TextIO) -> None:
    tx = "yes" if st["in_transaction"] else "no"
    out.write(f"    in transaction: {tx}\n")
    if st["locks"]:
        locks = _locks_text(st["locks"], st.get("conditional", ()), st.get("kinds"))
        out.write(f"    locks: {locks}\n")
    else:
        out.write("    locks: none on tables\n")
    earlier = {
        rel: mode
        for rel, mode in st.get("held_in_transaction", {}).items()
        if rel not in st["locks"] or st["locks"][rel] != mode
    }
    if earlier:
        held = _locks_text(earlier, (), st.get("kinds"))
        out.write(f"    still held from earlier in the transaction: {held}\n")
    if st["rewrites"]:
        out.write(f"    rewrites: {', '.join(st['rewrites'])}\n")
    if st["scans"]:
        out.write(f"    scans: {', '.join(st['scans'])}\n")
    if not st.get("transactional", True):
        out.write("    cannot run inside a transaction block\n")
    if st["objects"]:
        objects = ", ".join(f"{rel} ({kind})" for rel, kind in st["objects"].items())
        out.write(f"    objects: {objects}\n")
