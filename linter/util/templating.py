"""The Jinja environment over ``templates/`` (shipped in the wheel as ``linter.templates``)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import jinja2


def templates_dir() -> Path:
    """Installed: ``linter/templates`` inside the wheel; checkout: the top-level folder."""
    here = Path(__file__).resolve().parent.parent  # linter/
    for candidate in (here / "templates", here.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("sqlsafe's templates folder is missing from this installation")


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["dedent"] = lambda text: textwrap.dedent(str(text)).strip()
    env.filters["wrap"] = lambda text, width=100: "\n".join(textwrap.wrap(str(text), width=width))
    env.filters["pyrepr"] = repr  # a Python literal, in templates of Python files
    return env
