"""sqlsafe's built-in rules: one module, one class each, listed explicitly."""

from __future__ import annotations

from linter.rule import Rule

from .add_foreign_key import AddForeignKey
from .add_not_null_column import AddNotNullColumn
from .alter_column_type import AlterColumnType
from .concurrently_in_transaction import ConcurrentlyInTransaction
from .drop_column import DropColumn
from .drop_table import DropTable
from .invalid_suppression import InvalidSuppression
from .non_concurrent_drop_index import NonConcurrentDropIndex
from .non_concurrent_index import NonConcurrentIndex
from .psql_meta_command import PsqlMetaCommand
from .set_not_null import SetNotNull
from .syntax_error import SyntaxError_
from .volatile_default import VolatileDefault

BUILTIN_RULES: tuple[type[Rule], ...] = (
    SyntaxError_,
    NonConcurrentIndex,
    NonConcurrentDropIndex,
    ConcurrentlyInTransaction,
    AlterColumnType,
    SetNotNull,
    AddNotNullColumn,
    VolatileDefault,
    DropColumn,
    DropTable,
    AddForeignKey,
    PsqlMetaCommand,
    InvalidSuppression,
)

RULES = BUILTIN_RULES

__all__ = ["BUILTIN_RULES", "RULES"]
