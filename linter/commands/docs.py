"""``sqlsafe docs``: (re)generate the rule pages from the rules."""

from __future__ import annotations

from pathlib import Path

import click

from ..analysis.registry import load_rules
from ..output.docs import NotGenerated, render_lock_model, rule_pages, stale_pages, write_pages
from ..util.atomic import WriteError


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default="docs/rules",
    show_default=True,
    help="Directory to write the pages to.",
)
@click.option(
    "--lock-model",
    "lock_model",
    type=click.Path(dir_okay=False),
    default="docs/lock-model.md",
    show_default=True,
    help="Where to write the lock-model page (rendered from linter/lockmodel/effects.py).",
)
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 when a page is missing or out of date."
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace files in the pages' places that `sqlsafe docs` did not generate.",
)
def docs(out: str, lock_model: str, check: bool, force: bool) -> int:
    """Render one Markdown page per rule (plus an index) from the rules themselves, and
    the lock-model page from the lock model.

    Pages are written all or none, and a file that `sqlsafe docs` did not generate (its
    first line is not the generated-page header) is never replaced without --force.
    """
    rules = load_rules(plugins=False)
    target = Path(out)
    pages = {target / name: content for name, content in rule_pages(rules).items()}
    pages[Path(lock_model)] = render_lock_model()
    if check:
        stale = stale_pages(pages)
        for path in stale:
            click.echo(f"{path}: out of date (run `sqlsafe docs --out {out}`)")
        return 1 if stale else 0
    try:
        written = write_pages(pages, force)
    except NotGenerated as exc:
        raise click.UsageError(str(exc)) from exc
    except WriteError as exc:
        raise click.ClickException(str(exc)) from exc
    for path in written:
        click.echo(f"wrote {path}")
    return 0
