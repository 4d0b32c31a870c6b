"""``sqlsafe docs``: (re)generate the rule pages from the rules."""

from __future__ import annotations

from pathlib import Path

import click

from ..docs import render_lock_model, rule_pages, write_pages
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
    "--lock-model",
    "lock_model",
    type=click.Path(dir_okay=False),
    default="docs/lock-model.md",
    show_default=True,
    help="Where to write the lock-model page (rendered from linter/effects.py).",
)
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 when a page is missing or out of date."
)
def docs(out: str, lock_model: str, check: bool) -> int:
    """Render one Markdown page per rule (plus an index) from the rules themselves, and
    the lock-model page from the lock model."""
    rules = load_rules(plugins=False)
    target = Path(out)
    model_path = Path(lock_model)
    model = render_lock_model()
    if check:
        pages = {target / name: content for name, content in rule_pages(rules).items()}
        pages[model_path] = model
        stale = [
            path
            for path, content in pages.items()
            if not path.is_file() or path.read_text(encoding="utf-8") != content
        ]
        for path in stale:
            click.echo(f"{path}: out of date (run `sqlsafe docs --out {out}`)")
        return 1 if stale else 0
    try:
        for path in write_pages(rules, target):
            click.echo(f"wrote {path}")
        if not model_path.is_file() or model_path.read_text(encoding="utf-8") != model:
            model_path.parent.mkdir(parents=True, exist_ok=True)
            model_path.write_text(model, encoding="utf-8")
            click.echo(f"wrote {model_path}")
    except OSError as exc:
        where = exc.filename or out
        raise click.UsageError(f"{where}: cannot write: {exc.strerror or exc}") from exc
    return 0
