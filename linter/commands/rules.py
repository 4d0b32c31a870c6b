"""``sqlsafe rules`` and ``sqlsafe rule NAME``: the catalogue and each rule's page."""

from __future__ import annotations

import json

import click

from ..analysis.registry import RegistryError, load_rules
from ..rule import Rule
from .options import format_option


def rule_summary(rule: Rule) -> dict[str, object]:
    return {
        "name": rule.name,
        "code": rule.code,
        "summary": rule.summary,
        "severity": rule.severity.value,
        "group": rule.group,
        "lock": rule.lock.value if rule.lock else None,
        "versions": rule.versions(),
        "aliases": list(rule.aliases),
    }


@click.command()
@format_option("table", "json")
def rules(output_format: str) -> int:
    """List every rule: code, name, severity, summary (and aliases in JSON)."""
    loaded = sorted(_load(), key=lambda r: r.code)
    if output_format == "json":
        click.echo(json.dumps([rule_summary(r) for r in loaded], indent=2))
        return 0
    width = max(len(r.name) for r in loaded)
    for r in loaded:
        click.echo(f"{r.code}  {r.name:<{width}}  {r.severity.value:<7}  {r.summary}")
    return 0


def _load() -> tuple[Rule, ...]:
    try:
        return load_rules()
    except RegistryError as exc:  # a broken or clashing plugin: exit 2, no traceback
        raise click.UsageError(str(exc)) from exc


@click.command()
@click.argument("name")
def rule(name: str) -> int:
    """Show the full documentation of one rule (by name, code or alias)."""
    from ..output.docs import render_rule

    for candidate in _load():
        if name in (candidate.name, candidate.code, *candidate.aliases):
            page = render_rule(candidate)
            if page.startswith("<!--"):  # the generated-page marker is for the docs/ file
                page = page.split("\n", 1)[1]
            click.echo(page)
            return 0
    raise click.UsageError(f"unknown rule `{name}` (see `sqlsafe rules`)")
