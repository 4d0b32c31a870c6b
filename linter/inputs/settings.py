"""What a run is configured with: the target PostgreSQL version, rule selection, severities.

Read from configuration files and the command line (:mod:`linter.inputs.config`); the engine and
every rule see it as ``ctx.settings``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from types import MappingProxyType

from ..util.records import record

DEFAULT_TARGET_VERSION = 15
SUPPORTED_VERSIONS = range(10, 20)


def _no_mapping() -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({})


@record
class Settings:
    """Everything configurable, resolved from config files and the command line."""

    target_version: int = DEFAULT_TARGET_VERSION
    assume_in_transaction: bool = False
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=_no_mapping)
    severity: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    fail_on: str = "warning"
    preamble: tuple[str, ...] = ()  # SQL the runner executes before each file
