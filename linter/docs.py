"""Rule documentation rendered from the rules themselves (``docs/rules/<name>.md``)."""

from __future__ import annotations

from pathlib import Path

from .rule import Rule
from .templating import environment


def render_rule(rule: Rule) -> str:
    template = environment().get_template("docs/rule.md.j2")
    module = type(rule).__module__.rsplit(".", 1)[-1]
    return template.render(rule=rule, examples=rule.examples, module=module)


def render_index(rules: tuple[Rule, ...]) -> str:
    template = environment().get_template("docs/index.md.j2")
    return template.render(rules=rules)


def rule_pages(rules: tuple[Rule, ...]) -> dict[str, str]:
    """File name -> content for every rule page plus the index."""
    pages = {f"{r.name}.md": render_rule(r) for r in rules}
    pages["README.md"] = render_index(rules)
    return pages


def write_pages(rules: tuple[Rule, ...], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, content in rule_pages(rules).items():
        path = out / name
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
            written.append(path)
    return written
