"""The lint settings from the config file and the command line, without click (the lint
fast path of :mod:`linter.cli` uses it; :mod:`linter.commands.options` wraps it)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from ..inputs.config import Config, ConfigError, load_config, parse_version


class UsageProblem(Exception):
    """A usage or configuration error (exit code 2; click shows it as a UsageError)."""


def split_names(values: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return tuple(out)


def make_config(
    config_file: str | None,
    target_version: str | None,
    assume_in_transaction: bool | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...] = (),
    layout: str | None = None,
    schema_files: tuple[str, ...] = (),
    no_history: bool = False,
    **extra: Any,
) -> Config:
    """Load the config file, then apply the command-line overrides. Raises UsageProblem."""
    try:
        config = load_config(Path(config_file) if config_file else None)
        overrides: dict[str, Any] = {}
        if target_version is not None:
            overrides["target_version"] = parse_version(target_version, "--target-version")
        if assume_in_transaction is not None:
            overrides["assume_in_transaction"] = assume_in_transaction
        if select:
            overrides["select"] = split_names(select)
        if ignore:
            overrides["ignore"] = (*config.settings.ignore, *split_names(ignore))
        if exclude:
            overrides["exclude"] = (*config.settings.exclude, *exclude)
        overrides.update({k: v for k, v in extra.items() if v is not None})
    except ConfigError as exc:
        raise UsageProblem(str(exc)) from exc
    explicit = (
        config.explicit | {"assume-in-transaction"}
        if assume_in_transaction is not None
        else config.explicit
    )
    return replace(
        config,
        settings=replace(config.settings, **overrides),
        layout=layout or config.layout,
        baseline=(*config.baseline, *schema_files),
        explicit=explicit,
        history=None if no_history else config.history,
        implicit_history=not no_history,
    )
