"""Everything a rule imports, in one module: the names a plugin rule (``docs/plugins.md``)
imports, which are every name the built-in rules of ``pglast_rules/`` import from
``linter`` (``tests/test_architecture.py`` checks it).

The modules behind these names may move; the names stay here. Importing this module does
not import the engine: it holds the rule contract, the state a rule reads, the lock model
and the parse-tree helpers.
"""

from __future__ import annotations

from .lockmodel.effects import (
    LOCKING_STATEMENTS,
    Effects,
    add_column_kind_rewrites,
    and_partitions,
    attach_bound_proven,
    binary_coercible,
    commands_other_end,
    domain_check,
    other_tables_locked,
    rows_rewritten,
    utc_change_work,
    utc_coercible,
)
from .lockmodel.locks import LockMode
from .lockmodel.schema import Column, Constraint, Index, Schema, Table, may_be_type
from .rule import Bad, Example, Good, Rule, listing
from .sql import pgast
from .sql.parsing import Statement
from .sql.pgast import Node, TypeRef
from .sql.plpgsql import BodyLoop, InnerStatement, control_flow, file_line
from .state.advice import own_migration, set_before
from .state.context import (
    Context,
    FileInfo,
    Report,
    Settings,
    TxState,
    first_unguarded_lock,
    strongest_existing_lock,
)
from .state.deferred import serves
from .state.drops import DroppedObject, dropped_existing, renames_back
from .state.fold import (
    apply_schema,
    data_target,
    is_ddl,
    object_key,
    rename_source_key,
    renamed_name,
    slow_work,
)
from .state.severity import Severity

__all__ = [
    "LOCKING_STATEMENTS",
    "Bad",
    "BodyLoop",
    "Column",
    "Constraint",
    "Context",
    "DroppedObject",
    "Effects",
    "Example",
    "FileInfo",
    "Good",
    "Index",
    "InnerStatement",
    "LockMode",
    "Node",
    "Report",
    "Rule",
    "Schema",
    "Settings",
    "Severity",
    "Statement",
    "Table",
    "TxState",
    "TypeRef",
    "add_column_kind_rewrites",
    "and_partitions",
    "apply_schema",
    "attach_bound_proven",
    "binary_coercible",
    "commands_other_end",
    "control_flow",
    "data_target",
    "domain_check",
    "dropped_existing",
    "file_line",
    "first_unguarded_lock",
    "is_ddl",
    "listing",
    "may_be_type",
    "object_key",
    "other_tables_locked",
    "own_migration",
    "pgast",
    "rename_source_key",
    "renamed_name",
    "renames_back",
    "rows_rewritten",
    "serves",
    "set_before",
    "slow_work",
    "strongest_existing_lock",
    "utc_change_work",
    "utc_coercible",
]
