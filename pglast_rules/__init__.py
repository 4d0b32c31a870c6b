"""sqlsafe's built-in rules: one module, one class each, listed explicitly."""

from __future__ import annotations

from linter.rule import Rule

from .add_check_constraint import AddCheckConstraint
from .add_exclusion_constraint import AddExclusionConstraint
from .add_foreign_key import AddForeignKey
from .add_not_null_column import AddNotNullColumn
from .add_primary_key import AddPrimaryKey
from .add_unique_constraint import AddUniqueConstraint
from .alter_column_type import AlterColumnType
from .alter_enum import AlterEnum
from .alter_identity import AlterIdentity

# part B (SS040-SS056, SS100-SS106)
from .attach_partition import AttachPartition
from .ban_char import BanChar
from .concurrently_in_transaction import ConcurrentlyInTransaction
from .create_trigger_on_existing_table import CreateTriggerOnExistingTable
from .detach_partition_non_concurrent import DetachPartitionNonConcurrent
from .do_block_commit import DoBlockCommitInTransaction
from .domain_constraint import DomainConstraint
from .drop_column import DropColumn
from .drop_constraint import DropConstraint
from .drop_database import DropDatabase
from .drop_default import DropDefault
from .drop_extension import DropExtension
from .drop_function import DropFunction
from .drop_not_null import DropNotNull
from .drop_schema import DropSchema
from .drop_sequence import DropSequence
from .drop_table import DropTable
from .drop_type import DropType
from .drop_view import DropView
from .edited_applied_migration import EditedAppliedMigration
from .foreign_key_without_index import ForeignKeyWithoutIndex
from .identifier_too_long import IdentifierTooLong
from .index_on_partitioned_table import IndexOnPartitionedTable
from .invalid_suppression import InvalidSuppression
from .json_column import JsonColumn
from .long_lock_hold import LongLockHold
from .mixed_ddl_and_data import MixedDdlAndData
from .non_concurrent_drop_index import NonConcurrentDropIndex
from .non_concurrent_index import NonConcurrentIndex
from .offset_batch_loop import OffsetBatchLoop
from .prefer_bigint import PreferBigint
from .prefer_identity import PreferIdentity
from .prefer_robust_statements import PreferRobustStatements
from .prefer_text import PreferText
from .prefer_timestamptz import PreferTimestamptz
from .psql_meta_command import PsqlMetaCommand
from .python_data_migration import PythonDataMigration
from .reindex_non_concurrent import ReindexNonConcurrent
from .rename_column import RenameColumn
from .rename_object import RenameObject
from .rename_table import RenameTable
from .require_lock_timeout import RequireLockTimeout
from .require_statement_timeout import RequireStatementTimeout
from .rewrite_column import RewriteColumn
from .set_not_null import SetNotNull
from .syntax_error import SyntaxError_
from .table_rewrite import TableRewrite
from .transaction_nesting import TransactionNesting
from .truncate import Truncate
from .unbatched_backfill import UnbatchedBackfill
from .uncommitted_transaction import UncommittedTransaction
from .vacuum_full_or_cluster import VacuumFullOrCluster
from .validate_in_same_transaction import ValidateInSameTransaction
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
    EditedAppliedMigration,
    # part A (SS011-SS029)
    RequireLockTimeout,
    RequireStatementTimeout,
    LongLockHold,
    ValidateInSameTransaction,
    TransactionNesting,
    UncommittedTransaction,
    AddCheckConstraint,
    AddUniqueConstraint,
    AddPrimaryKey,
    AddExclusionConstraint,
    ForeignKeyWithoutIndex,
    RewriteColumn,
    JsonColumn,
    RenameColumn,
    RenameTable,
    RenameObject,
    PreferRobustStatements,
    DropNotNull,
    DropDefault,
    DropConstraint,
    AlterEnum,
    # part B (SS040-SS056, SS100-SS106)
    ReindexNonConcurrent,
    DetachPartitionNonConcurrent,
    AttachPartition,
    VacuumFullOrCluster,
    TableRewrite,
    Truncate,
    DropSchema,
    DropDatabase,
    DropView,
    DropFunction,
    DropType,
    DropSequence,
    DropExtension,
    CreateTriggerOnExistingTable,
    IndexOnPartitionedTable,
    DomainConstraint,
    UnbatchedBackfill,
    MixedDdlAndData,
    # issue 13: squawk's default catalogue (SS057)
    AlterIdentity,
    PreferBigint,
    PreferIdentity,
    PreferText,
    PreferTimestamptz,
    BanChar,
    IdentifierTooLong,
    # issue 12: runners as they are in the wild (SS120-SS121)
    DoBlockCommitInTransaction,
    OffsetBatchLoop,
    # issue 14: Python migrations (SS903)
    PythonDataMigration,
)

RULES = BUILTIN_RULES

__all__ = ["BUILTIN_RULES", "RULES"]
