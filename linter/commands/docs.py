"""``sqlsafe docs``: (re)generate the rule pages from the rules."""

from __future__ import annotations

from pathlib import Path

import click

from ..docs import rule_pages, write_pages
from ..registry import load_rules


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default="docs/rules",
    show_default=True,
    help="Directory to write the pages to.",
)
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 when a page is missing or out of date."
)
def docs(out: str, check: bool) -> int:
    """Render one Markdown page per rule (plus an index) from the rules themselves."""
    rules = load_rules(plugins=False)
    target = Path(out)
    if check:
        stale = [
            name
            for name, content in rule_pages(rules).items()
            if not (target / name).is_file()
            or (target / name).read_text(encoding="utf-8") != content
        ]
        for name in stale:
            click.echo(f"{target / name}: out of date (run `sqlsafe docs --out {out}`)")
        return 1 if stale else 0
    for path in write_pages(rules, target):
        click.echo(f"wrote {path}")
    return 0
