"""sqlsafe's built-in rules: one module, one class each, listed explicitly.

``BUILTIN`` names each rule's module and class, in dispatch order. ``BUILTIN_RULES`` (and
``RULES``) imports them all when first read. A lint does not: it dispatches through
``pglast_rules._index``, generated from these rules, and imports a rule's module only
when a statement it checks comes (``linter/analysis/rule_index.py``).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from linter.rule import Rule

BUILTIN: tuple[tuple[str, str], ...] = (
    ("syntax_error", "SyntaxError_"),
    ("non_concurrent_index", "NonConcurrentIndex"),
    ("non_concurrent_drop_index", "NonConcurrentDropIndex"),
    ("concurrently_in_transaction", "ConcurrentlyInTransaction"),
    ("alter_column_type", "AlterColumnType"),
    ("set_not_null", "SetNotNull"),
    ("add_not_null_column", "AddNotNullColumn"),
    ("volatile_default", "VolatileDefault"),
    ("drop_column", "DropColumn"),
    ("drop_table", "DropTable"),
    ("add_foreign_key", "AddForeignKey"),
    ("psql_meta_command", "PsqlMetaCommand"),
    ("invalid_suppression", "InvalidSuppression"),
    ("edited_applied_migration", "EditedAppliedMigration"),
    # part A (SS011-SS029)
    ("require_lock_timeout", "RequireLockTimeout"),
    ("require_statement_timeout", "RequireStatementTimeout"),
    ("long_lock_hold", "LongLockHold"),
    ("validate_in_same_transaction", "ValidateInSameTransaction"),
    ("transaction_nesting", "TransactionNesting"),
    ("uncommitted_transaction", "UncommittedTransaction"),
    ("add_check_constraint", "AddCheckConstraint"),
    ("add_unique_constraint", "AddUniqueConstraint"),
    ("add_primary_key", "AddPrimaryKey"),
    ("add_exclusion_constraint", "AddExclusionConstraint"),
    ("foreign_key_without_index", "ForeignKeyWithoutIndex"),
    ("rewrite_column", "RewriteColumn"),
    ("json_column", "JsonColumn"),
    ("rename_column", "RenameColumn"),
    ("rename_table", "RenameTable"),
    ("rename_object", "RenameObject"),
    ("prefer_robust_statements", "PreferRobustStatements"),
    ("drop_not_null", "DropNotNull"),
    ("drop_default", "DropDefault"),
    ("drop_constraint", "DropConstraint"),
    ("alter_enum", "AlterEnum"),
    # part B (SS040-SS056, SS100-SS106)
    ("reindex_non_concurrent", "ReindexNonConcurrent"),
    ("detach_partition_non_concurrent", "DetachPartitionNonConcurrent"),
    ("attach_partition", "AttachPartition"),
    ("vacuum_full_or_cluster", "VacuumFullOrCluster"),
    ("table_rewrite", "TableRewrite"),
    ("truncate", "Truncate"),
    ("drop_schema", "DropSchema"),
    ("drop_database", "DropDatabase"),
    ("drop_view", "DropView"),
    ("drop_function", "DropFunction"),
    ("drop_type", "DropType"),
    ("drop_sequence", "DropSequence"),
    ("drop_extension", "DropExtension"),
    ("create_trigger_on_existing_table", "CreateTriggerOnExistingTable"),
    ("index_on_partitioned_table", "IndexOnPartitionedTable"),
    ("domain_constraint", "DomainConstraint"),
    ("unbatched_backfill", "UnbatchedBackfill"),
    ("mixed_ddl_and_data", "MixedDdlAndData"),
    # issue 13: squawk's default catalogue (SS057)
    ("alter_identity", "AlterIdentity"),
    ("prefer_bigint", "PreferBigint"),
    ("prefer_identity", "PreferIdentity"),
    ("prefer_text", "PreferText"),
    ("prefer_timestamptz", "PreferTimestamptz"),
    ("ban_char", "BanChar"),
    ("identifier_too_long", "IdentifierTooLong"),
    # issue 12: runners as they are in the wild (SS120-SS121)
    ("do_block_commit", "DoBlockCommitInTransaction"),
    ("offset_batch_loop", "OffsetBatchLoop"),
    # issue 14: Python migrations (SS903)
    ("python_data_migration", "PythonDataMigration"),
)


def __getattr__(name: str) -> tuple[type[Rule], ...]:
    """``BUILTIN_RULES`` and ``RULES``: every built-in rule class, imported."""
    if name in ("BUILTIN_RULES", "RULES"):
        from importlib import import_module

        return tuple(getattr(import_module(f"{__name__}.{m}"), c) for m, c in BUILTIN)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["BUILTIN", "BUILTIN_RULES", "RULES"]
