"""Fold one statement into the migration state (schema model + transaction state)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from types import MappingProxyType

from ..lockmodel.effects import Effects, partitions_of, read_relations
from ..lockmodel.locks import LockMode, combined, strongest
from ..lockmodel.schema import Column, Constraint, Index, Schema, Table
from ..sql import pgast
from ..sql.indexdef import constraint_index, statement_index
from ..sql.names import choose_index_name, make_object_name, nextval_sequences
from ..sql.parsing import Statement
from ..sql.pgast import Node
from . import partition_indexes as parts
from .txstate import TxState, is_new_relation

_CONTYPES = {
    "CONSTR_CHECK": "check",
    "CONSTR_FOREIGN": "foreign",
    "CONSTR_UNIQUE": "unique",
    "CONSTR_PRIMARY": "primary",
    "CONSTR_EXCLUSION": "exclusion",
    "CONSTR_NOTNULL": "notnull",
}

_DDL_KINDS_EXCLUDED = frozenset(
    {
        "TransactionStmt",
        "VariableSetStmt",
        "VariableShowStmt",
        "SelectStmt",
        "InsertStmt",
        "UpdateStmt",
        "DeleteStmt",
        "MergeStmt",
        "CopyStmt",
        "ExplainStmt",
        "LockStmt",
        "DoStmt",
        "CallStmt",
        "CheckPointStmt",
        "DiscardStmt",
        "NotifyStmt",
        "ListenStmt",
    }
)
_DML_KINDS = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "CopyStmt"})


def is_ddl(kind: str) -> bool:
    """A statement kind that changes the schema (what ``TxState.ddl`` records)."""
    return kind not in _DDL_KINDS_EXCLUDED


def is_dml(kind: str) -> bool:
    """A statement kind that changes data (what ``TxState.dml`` records)."""
    return kind in _DML_KINDS


def data_target(node: Node) -> frozenset[str]:
    """The table whose rows a top-level INSERT/UPDATE/DELETE/MERGE/COPY FROM changes."""
    kind = pgast.kind(node)
    if kind not in _DML_KINDS:
        return frozenset()
    fields = node[kind]
    if kind == "CopyStmt" and not fields.get("is_from"):
        return frozenset()  # COPY ... TO reads
    rel = pgast.relation_name(fields.get("relation"))
    return frozenset({rel}) if rel and not pgast.is_catalog(rel) else frozenset()


# ------------------------------------------------------------------------ transactions
_TIMEOUTS = ("lock_timeout", "statement_timeout")
# the session settings the fold follows through SET, SET LOCAL, COMMIT and ROLLBACK
_SETTINGS = (*_TIMEOUTS, "timezone")
_END_KINDS = frozenset(
    {
        "TRANS_STMT_COMMIT",
        "TRANS_STMT_ROLLBACK",
        "TRANS_STMT_PREPARE",
    }
)
_UNKNOWN_VALUE = "(expression)"  # set from an expression sqlsafe cannot evaluate


def _timeouts(tx: TxState) -> dict[str, str | None]:
    return {
        "lock_timeout": tx.lock_timeout,
        "statement_timeout": tx.statement_timeout,
        "timezone": tx.timezone,
    }


def _begin(tx: TxState, index: int) -> TxState:
    """BEGIN: remember what COMMIT keeps and ROLLBACK restores."""
    if tx.explicit:
        return tx  # PostgreSQL ignores a nested BEGIN (with a warning)
    if tx.implicit:
        return replace(tx, explicit=True, began_at=index)  # joins the runner's transaction
    snapshot = MappingProxyType(_timeouts(tx))
    return replace(
        tx, explicit=True, began_at=index, commit_timeouts=snapshot, rollback_timeouts=snapshot
    )


def begin_block(tx: TxState) -> TxState:
    """The state inside a DO block: the block's transaction when there is none yet."""
    if tx.in_transaction:
        return tx
    snapshot = MappingProxyType(_timeouts(tx))
    return replace(tx, implicit=True, commit_timeouts=snapshot, rollback_timeouts=snapshot)


def end_block(outer: TxState, inner: TxState) -> TxState:
    """The state after a DO block entered from *outer* and left as *inner*: inside a
    transaction the block's statements carry on in it; outside one the block's own
    transaction commits (its session-level SETs stay, SET LOCAL ends)."""
    return inner if outer.in_transaction else _end_transaction(inner, commit=True)


def _end_transaction(tx: TxState, commit: bool = True) -> TxState:
    """COMMIT keeps session-level SETs made in the transaction and drops SET LOCAL; ROLLBACK
    restores the values the transaction started with."""
    saved = tx.commit_timeouts if commit else tx.rollback_timeouts
    values = {name: saved.get(name) for name in _SETTINGS} if tx.in_transaction else _timeouts(tx)
    # what the next (implicit) transaction keeps on COMMIT and restores on ROLLBACK
    snapshot = MappingProxyType(values)
    return TxState(
        implicit=tx.single_query,  # the rest of a multi-statement query: a new implicit block
        single_query=tx.single_query,
        lock_timeout=values["lock_timeout"],
        statement_timeout=values["statement_timeout"],
        timezone=values["timezone"],
        commit_timeouts=snapshot,
        rollback_timeouts=snapshot,
        locked_without_lock_timeout=tx.locked_without_lock_timeout,
        locked_without_statement_timeout=tx.locked_without_statement_timeout,
    )


def _setting_value(fields: Node) -> str | None:
    kind = fields.get("kind", "")
    if kind in ("VAR_RESET", "VAR_SET_DEFAULT"):
        return None
    args = fields.get("args") or ()
    if not args:
        return None
    value = pgast.const_value(args[0])
    return _UNKNOWN_VALUE if value is None else str(value)


def _timeouts_from_set_config(node: Node) -> dict[str, tuple[str | None, bool]]:
    """``SELECT set_config('lock_timeout', '1s', is_local)`` calls in a statement."""
    found: dict[str, tuple[str | None, bool]] = {}
    for sub in pgast.walk(node):
        call = pgast.unwrap(sub, "FuncCall")
        if not call or pgast.func_name(call) != "set_config":
            continue
        args: list[Node] = list(call.get("args") or [])
        if len(args) >= 2:
            name = pgast.const_value(args[0])
            value = pgast.const_value(args[1])
            local = len(args) > 2 and pgast.const_value(args[2]) in (True, "t", "true", "on")
            if isinstance(name, str):
                text = _UNKNOWN_VALUE if value is None else str(value)
                found[name.lower()] = (text, bool(local))
    return found


def _disabled(value: str | None) -> bool:
    """``0`` (any unit) turns a timeout off; so does an empty string."""
    if value is None:
        return True
    digits = value.strip().lower().rstrip("abcdefghijklmnopqrstuvwxyz").strip()
    return digits in ("", "0", "0.0", "-1") and value.strip() != _UNKNOWN_VALUE


def _set_timeout(tx: TxState, name: str, value: str | None, local: bool) -> TxState:
    """SET [LOCAL] of a followed setting (the timeouts, and the TimeZone)."""
    if name not in _SETTINGS:
        return tx
    if name in _TIMEOUTS and _disabled(value):
        value = None
    if local and not tx.in_transaction:
        return tx  # SET LOCAL outside a transaction has no effect (PostgreSQL warns)
    local_settings = tx.local_settings | {name} if local else tx.local_settings - {name}
    if name == "lock_timeout":
        tx = replace(tx, local_settings=local_settings, lock_timeout=value)
    elif name == "statement_timeout":
        tx = replace(tx, local_settings=local_settings, statement_timeout=value)
    else:
        tx = replace(tx, local_settings=local_settings, timezone=value)
    if tx.in_transaction and not local:
        # a session-level SET inside a transaction survives its COMMIT
        kept = dict(tx.commit_timeouts)
        kept[name] = value
        tx = replace(tx, commit_timeouts=MappingProxyType(kept))
    return tx


def _unguarded(tx: TxState, node: Node, effects: Effects, schema: Schema | None) -> TxState:
    """Record a lock on an existing relation taken while a timeout was off (for the
    statement_timeout, only by a statement that then works for a while: see
    :func:`slow_work`)."""
    if not effects.locks or pgast.is_concurrent_drop(node):
        return tx
    if schema is None:
        mode = effects.strongest
    else:
        mode = None
        for rel, lock in effects.named_locks.items():
            if not is_new_relation(schema, rel):
                mode = strongest(mode, lock)
    if mode is None:
        return tx
    by_lock = tx.locked_without_lock_timeout
    by_statement = tx.locked_without_statement_timeout
    if tx.lock_timeout is None:
        by_lock = strongest(by_lock, mode)
    if tx.statement_timeout is None and slow_work(node, effects, schema) is not None:
        by_statement = strongest(by_statement, mode)
    if (
        by_lock is tx.locked_without_lock_timeout
        and by_statement is tx.locked_without_statement_timeout
    ):
        return tx
    return replace(
        tx, locked_without_lock_timeout=by_lock, locked_without_statement_timeout=by_statement
    )


# Statements that may run for long whatever their locks: data changes and opaque code.
_SLOW_KINDS = frozenset({"UpdateStmt", "DeleteStmt", "MergeStmt", "CopyStmt", "DoStmt", "CallStmt"})
# Statements that do no work at all.
_INSTANT_KINDS = frozenset(
    {"TransactionStmt", "VariableSetStmt", "VariableShowStmt", "CommentStmt", "GrantStmt"}
)


def slow_work(node: Node, effects: Effects, schema: Schema | None) -> str | None:
    """What makes this statement run for a while once it has its locks (``it rewrites
    ...``), or ``None`` for a catalog-only change that is instant then (*schema*: the
    model before it; ``None``: every relation counts as existing)."""
    kind = pgast.kind(node)
    fields = node[kind]
    if kind in _INSTANT_KINDS:
        return None
    if kind in _SLOW_KINDS:
        if kind == "DoStmt":
            from ..sql.plpgsql import inner_statements

            if inner_statements(node):
                return None  # the statements it runs are judged one by one
        return "it runs arbitrary code" if kind in ("DoStmt", "CallStmt") else "it changes data"
    for rel in effects.rewrites:
        if schema is None or not is_new_relation(schema, rel):
            return f"it rewrites `{rel}`"
    for rel in effects.scans:
        if schema is None or not is_new_relation(schema, rel):
            return f"it scans `{rel}`"
    if kind == "InsertStmt" and fields.get("selectStmt"):
        select = pgast.unwrap(fields["selectStmt"], "SelectStmt")
        if select.get("fromClause"):
            return "it copies rows from a query"
    if kind == "SelectStmt" and fields.get("fromClause"):
        return "it runs a query"
    if kind == "CreateTableAsStmt":  # CREATE TABLE / MATERIALIZED VIEW ... AS SELECT
        query = pgast.unwrap(fields.get("query") or {}, "SelectStmt")
        if query.get("fromClause") and not fields.get("into", {}).get("skipData"):
            return "it copies rows from a query"
    return None


def _slow_reason(node: Node, tx: TxState, effects: Effects, schema: Schema) -> str | None:
    """Why this statement may take a while (its work, or a wait for a lock with no
    lock_timeout), or ``None`` for quick catalog-only changes."""
    work = slow_work(node, effects, schema)
    if work is not None or pgast.kind(node) in _INSTANT_KINDS:
        return work
    if tx.lock_timeout is not None:
        return None  # a wait for another lock is bounded by lock_timeout
    for rel, mode in effects.named_locks.items():
        if is_new_relation(schema, rel):
            continue
        held = tx.held.get(rel)
        index = schema.indexes.get(rel)
        if index is not None and held is None:
            held = tx.held.get(index.table)  # nobody else can hold an index of a locked table
        if held is None or held.strength < mode.strength:
            return f"it must first wait for {mode.value} on `{rel}`"
    return None


HoldExtension = tuple[str, str, LockMode]


def _locked_as_strongly(effects: Effects, rel: str, held: LockMode) -> bool:
    mine = effects.locks.get(rel)
    return mine is not None and mine.strength >= held.strength


def lock_hold_extension(
    tx: TxState, node: Node, effects: Effects, schema: Schema
) -> HoldExtension | None:
    """``(why it is slow, relation, held lock)`` when *node* does slow work while the
    transaction already holds a write-blocking lock on an existing relation."""
    if not tx.in_transaction:
        return None
    blocking = {
        rel: mode
        for rel, mode in tx.held.items()
        if mode.blocks_writes
        and not is_new_relation(schema, rel)
        # a table the statement locks as strongly itself is blocked by the statement's own
        # work anyway: what says so (a rewrite or scan finding, require-lock-timeout for a
        # wait) is not repeated
        and not _locked_as_strongly(effects, rel, mode)
    }
    if not blocking:
        return None
    reason = _slow_reason(node, tx, effects, schema)
    if reason is None:
        return None
    rel, mode = max(blocking.items(), key=lambda item: item[1].strength)
    return reason, rel, mode


def advance_tx(
    tx: TxState,
    node: Node | None,
    index: int,
    effects: Effects,
    schema: Schema | None = None,
    *,
    extension: Callable[[], HoldExtension | None] | None = None,
) -> TxState:
    """Transaction state after the statement (*schema*: the model before it).

    *extension* returns ``lock_hold_extension`` for the statement when the caller has it
    already (``Context.hold_extension``: the ``long-lock-hold`` rule asks for it too).
    """
    if node is None:
        return tx
    kind = pgast.kind(node)
    fields = node[kind]
    if kind == "TransactionStmt":
        tkind = fields.get("kind", "")
        if tkind in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
            return _begin(tx, index)
        if tkind in _END_KINDS:
            ended = _end_transaction(tx, commit=tkind != "TRANS_STMT_ROLLBACK")
            if fields.get("chain") and tx.in_transaction:
                return _begin(ended, index)  # COMMIT AND CHAIN starts the next one at once
            return ended
        return tx
    if kind == "VariableSetStmt":
        name = (fields.get("name") or "").lower()
        if fields.get("kind") == "VAR_RESET_ALL":
            for setting in _SETTINGS:
                tx = _set_timeout(tx, setting, None, False)
            return tx
        return _set_timeout(tx, name, _setting_value(fields), bool(fields.get("is_local")))
    if kind == "SelectStmt" and "set_config" in str(node):
        for name, (value, local) in _timeouts_from_set_config(node).items():
            tx = _set_timeout(tx, name, value, local)
        return tx
    tx = _unguarded(tx, node, effects, schema)
    if not tx.in_transaction:
        return tx
    if (
        tx.hold_extended_at is None
        and schema is not None
        and (
            extension() if extension is not None else lock_hold_extension(tx, node, effects, schema)
        )
        is not None
    ):
        tx = replace(tx, hold_extended_at=index)
    return replace(
        tx,
        held=MappingProxyType(combined(tx.held, effects.named_locks)),
        ddl=tx.ddl or kind not in _DDL_KINDS_EXCLUDED,
        dml=tx.dml or kind in _DML_KINDS,
        dml_tables=tx.dml_tables | data_target(node),
        not_valid_added=tx.not_valid_added | _not_valid_constraints(kind, fields),
    )


def preamble_tx(preamble: Sequence[str], implicit: bool, schema: Schema, target: int) -> TxState:
    """The transaction state a file starts in after the runner's *preamble* statements.

    The preamble runs in the file's session (inside the runner's transaction when the runner
    wraps files in one), so its ``SET``s hold for the file.
    """
    from ..lockmodel.effects import statement_effects
    from ..sql.parsing import parse

    tx = TxState(implicit=implicit)
    for sql in preamble:
        for stmt in parse(sql).statements:
            if stmt.node is not None:
                effects = statement_effects(stmt.node, schema, target)
                tx = advance_tx(tx, stmt.node, -1, effects, schema)
    return tx


def _not_valid_constraints(kind: str, fields: Node) -> frozenset[tuple[str, str]]:
    if kind != "AlterTableStmt":
        return frozenset()
    rel = pgast.relation_name(fields.get("relation"))
    out = set()
    for item in fields.get("cmds") or ():
        cmd = pgast.unwrap(item, "AlterTableCmd")
        if cmd.get("subtype") == "AT_AddConstraint":
            con = pgast.unwrap(cmd.get("def") or {}, "Constraint")
            if pgast.is_not_valid(con) and con.get("conname"):
                out.add((rel, con["conname"]))
    return frozenset(out)


def held_lock(tx: TxState, rel: str) -> LockMode | None:
    return tx.held.get(rel)


# ------------------------------------------------------------------------------ schema
_NOT_NULL_CONTYPES = frozenset({"CONSTR_NOTNULL", "CONSTR_PRIMARY", "CONSTR_IDENTITY"})
SERIAL_TYPES = frozenset({"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"})
_DEFAULT_CONTYPES = frozenset({"CONSTR_IDENTITY", "CONSTR_GENERATED"})


def _column(coldef: Node) -> Column:
    contypes = {c.get("contype") for c in pgast.column_constraints(coldef)}
    not_null = bool(contypes & _NOT_NULL_CONTYPES) or bool(coldef.get("is_not_null"))
    has_default = pgast.column_default(coldef) is not None or bool(contypes & _DEFAULT_CONTYPES)
    tref = pgast.type_ref(coldef.get("typeName"))
    if tref is not None and tref.name in SERIAL_TYPES:
        not_null, has_default = True, True
    generated = any(
        c.get("contype") == "CONSTR_GENERATED" and c.get("generated_kind") != "v"
        for c in pgast.column_constraints(coldef)
    )
    return Column(coldef.get("colname", ""), tref, not_null, has_default, generated)


def _constraint(con: Node, table: str, columns: tuple[str, ...], file: int, n: int) -> Constraint:
    kind = _CONTYPES.get(con.get("contype", ""), "other")
    keys = pgast.strings(con.get("keys")) or pgast.strings(con.get("fk_attrs")) or columns
    name = con.get("conname") or _default_name(table, kind, keys, n)
    not_null_column = None
    if kind == "check":
        not_null_column = pgast.not_null_check_column(con.get("raw_expr"))
    elif kind == "notnull":
        not_null_column = keys[0] if keys else None
    references = pgast.relation_name(con.get("pktable")) if kind == "foreign" else None
    ref_columns = pgast.strings(con.get("pk_attrs")) if kind == "foreign" else ()
    if kind == "check" and not con.get("keys"):
        # the columns the expression reads (ATTACH PARTITION looks for a proof on the key)
        refs = pgast.column_refs(con.get("raw_expr") or {})
        keys = (*keys, *sorted(refs - set(keys)))
    return Constraint(
        name,
        kind,
        tuple(keys),
        not pgast.is_not_valid(con),
        not_null_column,
        references,
        file,
        tuple(ref_columns),
    )


def _default_name(table: str, kind: str, keys: tuple[str, ...], n: int) -> str:
    base = table.split(".", 1)[1]
    suffix = {
        "primary": "pkey",
        "unique": "key",
        "foreign": "fkey",
        "check": "check",
        "exclusion": "excl",
        "notnull": "not_null",
    }.get(kind, "con")
    if kind == "primary":
        return f"{base}_pkey"
    return f"{base}_{'_'.join(keys) or n}_{suffix}"


def _apply_constraint(
    schema: Schema, table: Table, con: Node, columns: tuple[str, ...]
) -> tuple[Schema, Table]:
    model = _constraint(con, table.name, columns, schema.file, len(table.constraints))
    table = table.with_constraint(model)
    if model.kind == "primary" or (model.kind == "notnull" and model.validated):
        for col in model.columns:  # (PG18: ADD CONSTRAINT name NOT NULL col)
            current = table.columns.get(col)
            if current is not None:
                table = table.with_column(replace(current, not_null=True))
    if model.kind in ("primary", "unique", "exclusion"):
        index_name = pgast.qualify(table.name.split(".", 1)[0], con.get("indexname") or model.name)
        colnames, signature = constraint_index(con, model.columns)
        index = Index(
            index_name,
            table.name,
            model.columns,
            model.kind != "exclusion",
            schema.file,
            colnames=colnames,
            signature=signature,
            constraint=model.kind,
        )
        schema = schema.put_index(index)
        if table.partitioned and not con.get("indexname"):
            schema = parts.to_partitions(schema, index)  # each partition gets one (traced)
    return schema, table


def _create_table(schema: Schema, fields: Node) -> Schema:
    name = pgast.relation_name(fields.get("relation"))
    if fields.get("if_not_exists") and name in schema.tables:
        return schema
    partspec = fields.get("partspec") or {}
    columns: dict[str, Column] = {}  # (one Table at the end, not one per column)
    pending: list[tuple[Node, tuple[str, ...]]] = []
    for elt in fields.get("tableElts") or ():
        coldef = pgast.unwrap(elt, "ColumnDef")
        if coldef:
            schema, column = _column_sequences(schema, name, _column(coldef), coldef)
            columns[column.name] = column
            for con in pgast.column_constraints(coldef):
                if con.get("contype") in _CONTYPES and con.get("contype") != "CONSTR_NOTNULL":
                    pending.append((con, (coldef.get("colname", ""),)))
            continue
        con = pgast.unwrap(elt, "Constraint")
        if con:
            pending.append((con, ()))
    table = Table(
        name,
        file=schema.file,
        columns=MappingProxyType(columns),
        partitioned=bool(partspec),
        partition_key=_partition_key(partspec),
        partition_of=_partition_parent(fields),
        default_partition=bool((fields.get("partbound") or {}).get("is_default")),
    )
    for con, cols in pending:
        schema, table = _apply_constraint(schema, table, con, cols)
    schema = schema.put_table(table)
    if table.partition_of is not None:  # the parent's indexes, on the new partition
        schema = parts.adopt_parent_indexes(schema, table.partition_of, name)
    return schema


# ------------------------------------------------------------------------------ sequences
def choose_sequence_name(schema: Schema, table: str, column: str) -> str:
    """The name PostgreSQL gives the sequence of a serial or identity column of *table*
    (``ChooseRelationName``): ``table_column_seq`` cut to 63 bytes, ``seq1``, ``seq2``...
    while a relation the model knows in the table's schema has it (a table renamed away
    leaves its sequences' names behind: traced)."""
    nsp, _, base = table.partition(".")
    for n in range(1000):
        name = pgast.qualify(nsp, make_object_name(base, column, "seq" if n == 0 else f"seq{n}"))
        if not schema.relation_name_taken(name):
            return name
    return pgast.qualify(nsp, make_object_name(base, column, "seq"))


def _sequence_name_option(options: Sequence[Node] | None, table: str) -> str | None:
    """``SEQUENCE NAME`` of an identity's options (unqualified: in the table's schema)."""
    for item in options or ():
        opt = pgast.unwrap(item, "DefElem")
        if opt.get("defname") == "sequence_name":
            names = pgast.strings(pgast.unwrap(opt.get("arg") or {}, "List").get("items"))
            if names:
                nsp = names[-2] if len(names) > 1 else table.split(".")[0]
                return pgast.qualify(nsp, names[-1])
    return None


def _identity_sequence(schema: Schema, table: str, column: str, con: Node) -> str:
    return _sequence_name_option(con.get("options"), table) or choose_sequence_name(
        schema, table, column
    )


def _column_sequences(
    schema: Schema, table: str, column: Column, coldef: Node
) -> tuple[Schema, Column]:
    """A new column's sequences: a serial's (its default's too), an identity's."""
    if column.type is not None and column.type.name in SERIAL_TYPES:
        name = choose_sequence_name(schema, table, column.name)
        schema = schema.put_object(f"sequence:{name}")
        column = replace(column, owned=(*column.owned, name), nextval=name)
    else:
        used = nextval_sequences(pgast.column_default(coldef))
        if used:
            column = replace(column, nextval=used[0])
    for con in pgast.column_constraints(coldef):
        if con.get("contype") == "CONSTR_IDENTITY":
            name = _identity_sequence(schema, table, column.name, con)
            schema = schema.put_object(f"sequence:{name}")
            column = replace(column, identity=name)
    return schema, column


def _sequences_gone(schema: Schema, names: Sequence[str]) -> Schema:
    for name in names:
        schema = schema.drop_object(f"sequence:{name}").mark_absent(f"sequence:{name}")
    return schema


def _owned_by(schema: Schema, fields: Node) -> Schema:
    """CREATE / ALTER SEQUENCE ... OWNED BY table.column (or NONE)."""
    seq = pgast.relation_name(fields.get("sequence"))
    for item in fields.get("options") or ():
        opt = pgast.unwrap(item, "DefElem")
        if opt.get("defname") != "owned_by":
            continue
        names = pgast.strings(pgast.unwrap(opt.get("arg") or {}, "List").get("items"))
        schema = _disown(schema, seq)
        if len(names) >= 2:
            table = pgast.qualify(names[-3] if len(names) > 2 else None, names[-2])
            model = schema.table(table)
            column = model.columns.get(names[-1]) if model is not None else None
            if model is not None and column is not None:
                owned = replace(column, owned=(*column.owned, seq))
                schema = schema.put_table(model.with_column(owned))
    return schema


def _map_sequence(schema: Schema, seq: str, new: str | None, *, default: bool) -> Schema:
    """Every column's reference to the sequence *seq* renamed to *new* (None: removed; a
    default that calls it too when *default*: dropped by ``DROP SEQUENCE ... CASCADE``)."""
    for table in list(schema.tables.values()):
        changed = table
        for column in table.columns.values():
            if seq not in column.sequences and column.nextval != seq:
                continue
            if new is None:
                owned = tuple(s for s in column.owned if s != seq)
            else:
                owned = tuple(new if s == seq else s for s in column.owned)
            identity = new if column.identity == seq else column.identity
            moved = replace(column, identity=identity, owned=owned)
            if column.nextval == seq:
                if new is not None:
                    moved = replace(moved, nextval=new)
                elif default:
                    moved = replace(moved, nextval=None, has_default=False)
            changed = changed.with_column(moved)
        if changed is not table:
            schema = schema.put_table(changed)
    return schema


def _disown(schema: Schema, seq: str) -> Schema:
    owner = schema.sequence_owner(seq)
    if owner is None:
        return schema
    model = schema.table(owner[0])
    column = model.columns.get(owner[1]) if model is not None else None
    if model is None or column is None:
        return schema
    owned = tuple(s for s in column.owned if s != seq)
    return schema.put_table(model.with_column(replace(column, owned=owned)))


def _partition_parent(fields: Node) -> str | None:
    if not fields.get("partbound"):
        return None
    for parent in fields.get("inhRelations") or ():
        return pgast.relation_name(pgast.unwrap(parent, "RangeVar"))
    return None


def _partition_key(partspec: Node) -> tuple[str, ...]:
    """Columns of ``PARTITION BY ... (a, (b + 1))``: plain columns and those in expressions."""
    cols: list[str] = []
    for param in partspec.get("partParams") or ():
        elem = pgast.unwrap(param, "PartitionElem")
        expr = elem.get("expr") or {}
        found = [elem["name"]] if elem.get("name") else sorted(pgast.column_refs(expr))
        cols.extend(c for c in found if c not in cols)
    return tuple(cols)


def _ensure_table(schema: Schema, name: str) -> Table:
    table = schema.table(name)
    return table if table is not None else Table(name, file=-1, known=False)


def _alter_table(schema: Schema, fields: Node) -> Schema:
    if fields.get("objtype") == "OBJECT_INDEX":
        return _alter_index(schema, fields)
    if fields.get("objtype", "OBJECT_TABLE") not in ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE"):
        return schema
    name = pgast.relation_name(fields.get("relation"))
    if name not in schema.tables and fields.get("missing_ok"):
        return schema
    table = _ensure_table(schema, name)
    for item in fields.get("cmds") or ():
        cmd = pgast.unwrap(item, "AlterTableCmd")
        sub = cmd.get("subtype", "")
        colname = cmd.get("name", "")
        definition = cmd.get("def") or {}
        if sub == "AT_AddColumn":
            coldef = pgast.unwrap(definition, "ColumnDef")
            schema, added = _column_sequences(schema, name, _column(coldef), coldef)
            table = table.with_column(added)
            for con in pgast.column_constraints(coldef):
                if con.get("contype") in _CONTYPES and con.get("contype") != "CONSTR_NOTNULL":
                    schema, table = _apply_constraint(
                        schema, table, con, (coldef.get("colname", ""),)
                    )
        elif sub == "AT_DropColumn":  # its indexes and constraints go with it
            if cmd.get("behavior") == "DROP_CASCADE":  # and the foreign keys to it
                schema = schema.without_foreign_keys_to(name, (colname,))
            gone = table.columns.get(colname)  # its sequences go with it (traced)
            schema = _sequences_gone(schema, gone.sequences if gone is not None else ())
            table = table.without_column(colname)
            for index in schema.indexes_of(name):
                if colname in index.columns:
                    schema = parts.drop_with_descendants(schema, index.name)
        elif sub == "AT_AlterColumnType":
            coldef = pgast.unwrap(definition, "ColumnDef")
            current = table.columns.get(colname, Column(colname))
            table = table.with_column(replace(current, type=pgast.type_ref(coldef.get("typeName"))))
        elif sub in ("AT_SetNotNull", "AT_DropNotNull"):
            current = table.columns.get(colname, Column(colname))
            table = table.with_column(replace(current, not_null=sub == "AT_SetNotNull"))
        elif sub == "AT_ColumnDefault":
            current = table.columns.get(colname, Column(colname))
            used = nextval_sequences(definition) if definition else []
            calls = used[0] if used else None
            table = table.with_column(replace(current, has_default=bool(definition), nextval=calls))
        elif sub == "AT_AddIdentity":
            current = table.columns.get(colname, Column(colname))
            con = pgast.unwrap(definition, "Constraint")
            seq = _identity_sequence(schema, name, colname, con)
            schema = schema.put_object(f"sequence:{seq}")
            table = table.with_column(replace(current, identity=seq, not_null=True))
        elif sub == "AT_DropIdentity":  # its sequence is dropped (traced)
            had = table.columns.get(colname)
            if had is not None and had.identity:
                schema = _sequences_gone(schema, (had.identity,))
                table = table.with_column(replace(had, identity=None))
        elif sub == "AT_DropExpression":  # a plain column now: no longer computed
            current = table.columns.get(colname, Column(colname))
            table = table.with_column(replace(current, has_default=False, generated=False))
        elif sub == "AT_AddConstraint":
            con = pgast.unwrap(definition, "Constraint")
            schema, table = _apply_constraint(schema, table, con, ())
        elif sub == "AT_ValidateConstraint":
            known = table.constraints.get(colname)
            if known is not None:
                table = table.with_constraint(replace(known, validated=True))
            elif not table.known:
                table = table.with_constraint(Constraint(colname, "unknown"))
        elif sub == "AT_DropConstraint":
            dropped = table.constraints.get(colname)
            if dropped is not None and cmd.get("behavior") == "DROP_CASCADE":
                schema = schema.without_foreign_keys_to(name, dropped.columns, exact=True)
            table = table.without_constraint(colname)
            schema = schema.drop_index(pgast.qualify(name.split(".", 1)[0], colname))
        elif sub in ("AT_AttachPartition", "AT_DetachPartition"):
            schema = _attach(schema, name, pgast.unwrap(definition, "PartitionCmd"), sub)
        elif sub in ("AT_ClusterOn", "AT_DropCluster"):
            schema = mark_clustered(schema, name, colname if sub == "AT_ClusterOn" else None)
    return schema.put_table(table)


def _index_reads(fields: Node) -> tuple[str, ...]:
    """The columns an index's expressions and predicate read (see ``Index.reads``)."""
    found: set[str] = set()
    for param in fields.get("indexParams") or ():
        found |= pgast.column_refs(pgast.unwrap(param, "IndexElem").get("expr") or {})
    found |= pgast.column_refs(fields.get("whereClause") or {})
    return tuple(sorted(found))


def mark_clustered(schema: Schema, table: str, index: str | None) -> Schema:
    """*index* (unqualified; None: none) becomes the one index of *table* marked clustered."""
    wanted = pgast.qualify(table.split(".", 1)[0], index) if index else None
    for ix in schema.indexes_of(table):
        if ix.clustered != (ix.name == wanted):
            schema = schema.put_index(replace(ix, clustered=ix.name == wanted))
    return schema


def _attach(schema: Schema, parent: str, part: Node, sub: str) -> Schema:
    """ATTACH / DETACH PARTITION: the child becomes (or stops being) a partition of *parent*,
    its indexes attached to (detached from) the parent's."""
    child = pgast.relation_name(part.get("name"))
    if child == parent:
        return schema
    table = _ensure_table(schema, child)
    if sub == "AT_DetachPartition":
        schema = parts.detach_indexes(schema, parent, child)
        return schema.put_table(replace(table, partition_of=None, default_partition=False))
    default = bool((part.get("bound") or {}).get("is_default"))
    schema = schema.put_table(replace(table, partition_of=parent, default_partition=default))
    return parts.adopt_parent_indexes(schema, parent, child)


def _alter_index(schema: Schema, fields: Node) -> Schema:
    """ALTER INDEX parent ATTACH PARTITION child: the partition's index is attached."""
    parent = pgast.relation_name(fields.get("relation"))
    for sub, cmd in pgast.alter_commands(fields):
        if sub != "AT_AttachPartition":
            continue
        spec = pgast.unwrap(cmd.get("def") or {}, "PartitionCmd")
        child = schema.indexes.get(pgast.relation_name(spec.get("name")))
        if child is not None and parent in schema.indexes:
            schema = schema.put_index(replace(child, parent=parent))
    return schema


def _rename(schema: Schema, fields: Node) -> Schema:
    rtype = fields.get("renameType", "")
    rel = pgast.relation_name(fields.get("relation"))
    newname = fields.get("newname", "")
    if rtype == "OBJECT_TABLE":
        new = pgast.qualify(rel.split(".", 1)[0], newname)
        if rel not in schema.tables:
            return schema
        renamed = schema.rename_table(rel, new)
        return renamed.mark_absent(f"table:{rel}") if new != rel else renamed
    if rtype == "OBJECT_COLUMN":
        return schema.rename_column(rel, fields.get("subname", ""), newname)
    if rtype == "OBJECT_INDEX":
        index = schema.indexes.get(rel)
        if index is not None:
            newq = pgast.qualify(rel.split(".", 1)[0], newname)
            schema = schema.drop_index(rel).put_index(replace(index, name=newq))
            return parts.renamed_parent(schema, rel, newq)
    if rtype in _OBJECT_KINDS:
        old = rename_source_key(fields)
        if old is None:
            return schema
        prefix, old_name = old.split(":", 1)
        new = f"{prefix}:{renamed_name(fields)}"
        if prefix == "type":
            schema = schema.rename_type(old_name, new.split(":", 1)[1])
        if prefix == "sequence":  # the columns that own or call it follow it (by OID)
            schema = _map_sequence(schema, old_name, new.split(":", 1)[1], default=False)
        if schema.is_trigger_function(old):
            schema = schema.rename_object(f"trigger-{old}", f"trigger-{new}")
        if old in schema.objects:
            return schema.rename_object(old, new)
    return schema


_UNQUALIFIED_KINDS = frozenset({"OBJECT_SCHEMA", "OBJECT_EXTENSION", "OBJECT_DATABASE"})


def object_key(remove_type: str, obj: Node) -> str | None:
    """Schema-model key (``"view:public.v"``) of an object named in DROP/ALTER, if modelled."""
    prefix = _OBJECT_KINDS.get(remove_type)
    if prefix is None:
        return None
    if remove_type in _UNQUALIFIED_KINDS:
        return f"{prefix}:{pgast.unwrap(obj, 'String').get('sval', '')}"
    return f"{prefix}:{pgast.object_name(obj)}"


def rename_source_key(fields: Node) -> str | None:
    """Key of the object a RenameStmt renames (objects other than tables and columns)."""
    rtype = fields.get("renameType", "")
    prefix = _OBJECT_KINDS.get(rtype)
    if prefix is None:
        return None
    if rtype in _UNQUALIFIED_KINDS:
        return f"{prefix}:{fields.get('subname', '')}"
    if fields.get("relation"):
        return f"{prefix}:{pgast.relation_name(fields['relation'])}"
    return f"{prefix}:{pgast.object_name(fields.get('object') or {})}"


def renamed_name(fields: Node) -> str:
    """The new name of a RenameStmt, qualified like the old one."""
    newname: str = fields.get("newname", "")
    if fields.get("renameType") in _UNQUALIFIED_KINDS:
        return newname
    old = rename_source_key(fields) or ""
    schema = old.split(":", 1)[-1].split(".", 1)[0] if "." in old else None
    return pgast.qualify(schema, newname)


def rename_keys(node: Node | None) -> tuple[str, str] | None:
    """``(old key, new key)`` of a RenameStmt: ``table:public.t``, ``column:public.t:c``,
    ``index:public.i`` or an object's model key (``type:public.mood``); ``None`` otherwise."""
    fields = pgast.unwrap(node or {}, "RenameStmt")
    if not fields:
        return None
    rtype = fields.get("renameType", "")
    newname = fields.get("newname", "")
    if rtype in ("OBJECT_TABLE", "OBJECT_COLUMN", "OBJECT_INDEX"):
        rel = pgast.relation_name(fields.get("relation"))
        if rtype == "OBJECT_COLUMN":
            return f"column:{rel}:{fields.get('subname', '')}", f"column:{rel}:{newname}"
        prefix = "table" if rtype == "OBJECT_TABLE" else "index"
        return f"{prefix}:{rel}", f"{prefix}:{pgast.qualify(rel.split('.', 1)[0], newname)}"
    old = rename_source_key(fields)
    if old is None:
        return None
    return old, f"{old.split(':', 1)[0]}:{renamed_name(fields)}"


def created_keys(stmt: Statement) -> set[str]:
    """Model keys (``"view:public.v"``, ``"table:public.t"``) that *stmt* creates."""
    if stmt.node is None:
        return set()
    after = apply_schema(Schema(), stmt.node)
    keys = {key for key in after.objects if not key.startswith("absent:")}
    keys.update(f"table:{name}" for name in after.tables)
    renamed = pgast.unwrap(stmt.node, "RenameStmt")
    source = rename_source_key(renamed) if renamed else None
    if source is not None:  # ALTER TYPE t_new RENAME TO t gives the name t back
        keys.add(f"{source.split(':', 1)[0]}:{renamed_name(renamed)}")
    return keys


_OBJECT_KINDS = {
    "OBJECT_SEQUENCE": "sequence",
    "OBJECT_VIEW": "view",
    "OBJECT_MATVIEW": "view",
    "OBJECT_TYPE": "type",
    "OBJECT_DOMAIN": "type",
    "OBJECT_FUNCTION": "function",
    "OBJECT_PROCEDURE": "function",
    "OBJECT_ROUTINE": "function",
    "OBJECT_SCHEMA": "schema",
    "OBJECT_EXTENSION": "extension",
    "OBJECT_TRIGGER": "trigger",
    "OBJECT_DATABASE": "database",
}


def _drop(schema: Schema, fields: Node) -> Schema:
    remove = fields.get("removeType", "")
    for obj in fields.get("objects") or ():
        name = pgast.object_name(obj)
        if remove == "OBJECT_TABLE":
            if fields.get("behavior") == "DROP_CASCADE":
                schema = schema.without_foreign_keys_to(name)
            # its partitions go with it, and every index and sequence of each
            for table in (name, *partitions_of(schema, name)):
                gone = [ix.name for ix in schema.indexes_of(table)]
                schema = _sequences_gone(schema, schema.sequences_of(table))
                schema = schema.drop_table(table).mark_absent(f"table:{table}")
                for index in gone:
                    schema = schema.mark_absent(f"index:{index}")
        elif remove == "OBJECT_INDEX":
            dropped = schema.indexes.get(name)
            if dropped is not None and dropped.unique and fields.get("behavior") == "DROP_CASCADE":
                schema = schema.without_foreign_keys_to(dropped.table, dropped.columns, exact=True)
            schema = parts.drop_with_descendants(schema, name).mark_absent(f"index:{name}")
        else:
            key = object_key(remove, obj)
            if remove == "OBJECT_SEQUENCE":  # CASCADE: the defaults that call it go too
                cascade = fields.get("behavior") == "DROP_CASCADE"
                schema = _map_sequence(schema, name, None, default=cascade)
            if key is not None:
                schema = schema.drop_object(key).mark_absent(key)
                if key.startswith("function:"):
                    schema = schema.drop_object("trigger-" + key)
    return schema


def _put_object(schema: Schema, key: str, if_not_exists: bool) -> Schema:
    """``CREATE ... IF NOT EXISTS`` of an object the history already has creates nothing."""
    if if_not_exists and key in schema.objects:
        return schema
    return schema.put_object(key)


def apply_schema(schema: Schema, node: Node | None) -> Schema:
    """The schema model after the statement."""
    if node is None:
        return schema
    kind = pgast.kind(node)
    fields = node[kind]
    if kind == "CreateStmt":
        return _create_table(schema, fields)
    if kind == "DoStmt":  # the statements the block runs (every branch, as if taken)
        from ..sql.plpgsql import inner_statements

        for inner in inner_statements(node):
            schema = apply_schema(schema, inner.node)
        return schema
    if kind == "AlterTableStmt":
        return _alter_table(schema, fields)
    if kind == "IndexStmt":
        table = pgast.relation_name(fields.get("relation"))
        nsp, _, base = table.partition(".")
        colnames, signature = statement_index(fields)
        idx = fields.get("idxname") or choose_index_name(
            base, colnames, "", lambda n: schema.relation_name_taken(pgast.qualify(nsp, n))
        )
        qualified = pgast.qualify(nsp, idx)
        if fields.get("if_not_exists") and qualified in schema.indexes:
            return schema
        index = Index(
            qualified,
            table,
            pgast.index_columns(fields.get("indexParams")),
            bool(fields.get("unique")),
            schema.file,
            bool(fields.get("whereClause")),
            pgast.null_filtered(fields.get("whereClause")),
            len(pgast.index_columns(fields.get("indexParams")))
            < len(fields.get("indexParams") or ())
            or bool(fields.get("indexIncludingParams")),
            reads=_index_reads(fields),
            colnames=colnames,
            signature=signature,
        )
        schema = schema.put_index(index)
        known = schema.table(table)
        if known is not None and known.partitioned and (fields.get("relation") or {}).get("inh"):
            schema = parts.to_partitions(schema, index)  # each partition gets one (traced)
        return schema
    if kind == "ClusterStmt" and fields.get("relation") and fields.get("indexname"):
        table = pgast.relation_name(fields.get("relation"))
        return mark_clustered(schema, table, fields["indexname"])
    if kind == "DropStmt":
        return _drop(schema, fields)
    if kind == "RenameStmt":
        return _rename(schema, fields)
    if kind == "CreateTableAsStmt" or (kind == "SelectStmt" and fields.get("intoClause")):
        into = fields.get("into") or fields.get("intoClause") or {}
        into = pgast.unwrap(into, "IntoClause") or into
        name = pgast.relation_name(into.get("rel"))
        if fields.get("objtype") == "OBJECT_MATVIEW":  # (REFRESH runs its query again)
            reads = read_relations(fields.get("query") or {})
            return schema.put_object(f"view:{name}").with_view_reads(name, reads)
        return schema.put_table(Table(name, file=schema.file))
    if kind == "ViewStmt":
        return schema.put_object(f"view:{pgast.relation_name(fields.get('view'))}")
    if kind == "CreateSeqStmt":
        key = f"sequence:{pgast.relation_name(fields.get('sequence'))}"
        if bool(fields.get("if_not_exists")) and key in schema.objects:
            return schema
        return _owned_by(schema.put_object(key), fields)
    if kind == "AlterSeqStmt":
        return _owned_by(schema, fields)
    if kind in ("CreateEnumStmt", "CompositeTypeStmt", "CreateDomainStmt", "CreateRangeStmt"):
        names = fields.get("typeName") or pgast.unwrap(fields.get("typevar") or {}, "RangeVar")
        if isinstance(names, list):
            return schema.put_object(f"type:{pgast.object_name(names)}")
        if fields.get("domainname"):
            name = pgast.object_name(fields["domainname"])
            if fields.get("constraints"):  # ADD COLUMN of it rewrites the table (effects)
                schema = schema.put_object(f"constrained-type:{name}")
            return schema.put_object(f"type:{name}")
        if fields.get("typevar"):
            return schema.put_object(f"type:{pgast.relation_name(fields['typevar'])}")
        return schema
    if kind == "CreateFunctionStmt":
        name = pgast.object_name(fields.get("funcname") or [])
        schema = schema.put_object(f"function:{name}")
        returns = pgast.type_ref(fields.get("returnType"))
        if returns is not None and returns.name == "trigger":
            # only triggers call it (by OID): its name is not part of the application's SQL
            schema = schema.put_object(f"trigger-function:{name}")
        return schema
    if kind == "CreateSchemaStmt":
        key = f"schema:{fields.get('schemaname', '')}"
        return _put_object(schema, key, bool(fields.get("if_not_exists")))
    if kind == "CreateTrigStmt":
        return schema.put_object(f"trigger:{fields.get('trigname', '')}")
    if kind == "CreateExtensionStmt":
        key = f"extension:{fields.get('extname', '')}"
        return _put_object(schema, key, bool(fields.get("if_not_exists")))
    if kind == "CreatedbStmt":
        return schema.put_object(f"database:{fields.get('dbname', '')}")
    if kind == "DropdbStmt":
        return schema.drop_object(f"database:{fields.get('dbname', '')}")
    return schema
