"""Fold one statement into the migration state (schema model + transaction state)."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from . import pgast
from .context import TxState
from .effects import Effects
from .locks import LockMode, strongest
from .pgast import Node
from .schema import Column, Constraint, Index, Schema, Table

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


# ------------------------------------------------------------------------ transactions
def _end_transaction(tx: TxState) -> TxState:
    lock_timeout = None if "lock_timeout" in tx.local_settings else tx.lock_timeout
    statement_timeout = None if "statement_timeout" in tx.local_settings else tx.statement_timeout
    return TxState(implicit=False, lock_timeout=lock_timeout, statement_timeout=statement_timeout)


def _setting_value(fields: Node) -> str | None:
    kind = fields.get("kind", "")
    if kind in ("VAR_RESET", "VAR_SET_DEFAULT"):
        return None
    args = fields.get("args") or ()
    if not args:
        return None
    value = pgast.const_value(args[0])
    return None if value is None else str(value)


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
                found[name.lower()] = (None if value is None else str(value), bool(local))
    return found


def _set_timeout(tx: TxState, name: str, value: str | None, local: bool) -> TxState:
    if name not in ("lock_timeout", "statement_timeout"):
        return tx
    if value is not None and value.strip() in ("0", "0s", "0ms"):
        value = None  # 0 disables the timeout
    local_settings = tx.local_settings | {name} if local else tx.local_settings - {name}
    if local and not tx.in_transaction:
        return tx  # SET LOCAL outside a transaction has no effect (PostgreSQL warns)
    if name == "lock_timeout":
        return replace(tx, local_settings=local_settings, lock_timeout=value)
    return replace(tx, local_settings=local_settings, statement_timeout=value)


def advance_tx(tx: TxState, node: Node | None, index: int, effects: Effects) -> TxState:
    """Transaction state after the statement."""
    if node is None:
        return tx
    kind = pgast.kind(node)
    fields = node[kind]
    if kind == "TransactionStmt":
        tkind = fields.get("kind", "")
        if tkind in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
            return replace(tx, explicit=True, began_at=index)
        if tkind in (
            "TRANS_STMT_COMMIT",
            "TRANS_STMT_ROLLBACK",
            "TRANS_STMT_COMMIT_PREPARED",
            "TRANS_STMT_ROLLBACK_PREPARED",
            "TRANS_STMT_PREPARE",
        ):
            if not tx.explicit and tx.implicit:
                # COMMIT inside a runner-managed transaction ends it; the rest runs without one
                return _end_transaction(tx)
            return _end_transaction(tx)
        return tx
    if kind == "VariableSetStmt":
        name = (fields.get("name") or "").lower()
        if fields.get("kind") == "VAR_RESET_ALL":
            return replace(tx, lock_timeout=None, statement_timeout=None)
        return _set_timeout(tx, name, _setting_value(fields), bool(fields.get("is_local")))
    if kind == "SelectStmt" and "set_config" in str(node):
        for name, (value, local) in _timeouts_from_set_config(node).items():
            tx = _set_timeout(tx, name, value, local)
        return tx
    if not tx.in_transaction:
        return tx
    held = dict(tx.held)
    for rel, mode in effects.locks.items():
        found = strongest(held.get(rel), mode)
        assert found is not None
        held[rel] = found
    return replace(
        tx,
        held=MappingProxyType(held),
        ddl=tx.ddl or kind not in _DDL_KINDS_EXCLUDED,
        dml=tx.dml or kind in _DML_KINDS,
        not_valid_added=tx.not_valid_added | _not_valid_constraints(kind, fields),
    )


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
def _column(coldef: Node) -> Column:
    not_null = any(
        c.get("contype") in ("CONSTR_NOTNULL", "CONSTR_PRIMARY", "CONSTR_IDENTITY")
        for c in pgast.column_constraints(coldef)
    ) or bool(coldef.get("is_not_null"))
    has_default = pgast.column_default(coldef) is not None or any(
        c.get("contype") in ("CONSTR_IDENTITY", "CONSTR_GENERATED")
        for c in pgast.column_constraints(coldef)
    )
    tref = pgast.type_ref(coldef.get("typeName"))
    if tref is not None and tref.name in ("serial", "bigserial", "smallserial"):
        not_null, has_default = True, True
    return Column(coldef.get("colname", ""), tref, not_null, has_default)


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
    return Constraint(
        name, kind, tuple(keys), not pgast.is_not_valid(con), not_null_column, references, file
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
    if model.kind == "primary":
        for col in model.columns:
            current = table.columns.get(col)
            if current is not None:
                table = table.with_column(replace(current, not_null=True))
    if model.kind in ("primary", "unique", "exclusion"):
        index_name = pgast.qualify(table.name.split(".", 1)[0], con.get("indexname") or model.name)
        schema = schema.put_index(
            Index(index_name, table.name, model.columns, model.kind != "exclusion", schema.file)
        )
    return schema, table


def _create_table(schema: Schema, fields: Node) -> Schema:
    name = pgast.relation_name(fields.get("relation"))
    if fields.get("if_not_exists") and name in schema.tables:
        return schema
    table = Table(name, file=schema.file, partitioned=bool(fields.get("partspec")))
    pending: list[tuple[Node, tuple[str, ...]]] = []
    for elt in fields.get("tableElts") or ():
        coldef = pgast.unwrap(elt, "ColumnDef")
        if coldef:
            table = table.with_column(_column(coldef))
            for con in pgast.column_constraints(coldef):
                if con.get("contype") in _CONTYPES and con.get("contype") != "CONSTR_NOTNULL":
                    pending.append((con, (coldef.get("colname", ""),)))
            continue
        con = pgast.unwrap(elt, "Constraint")
        if con:
            pending.append((con, ()))
    for con, cols in pending:
        schema, table = _apply_constraint(schema, table, con, cols)
    return schema.put_table(table)


def _ensure_table(schema: Schema, name: str) -> Table:
    table = schema.table(name)
    return table if table is not None else Table(name, file=-1, known=False)


def _alter_table(schema: Schema, fields: Node) -> Schema:
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
            table = table.with_column(_column(coldef))
            for con in pgast.column_constraints(coldef):
                if con.get("contype") in _CONTYPES and con.get("contype") != "CONSTR_NOTNULL":
                    schema, table = _apply_constraint(
                        schema, table, con, (coldef.get("colname", ""),)
                    )
        elif sub == "AT_DropColumn":
            table = table.without_column(colname)
        elif sub == "AT_AlterColumnType":
            coldef = pgast.unwrap(definition, "ColumnDef")
            current = table.columns.get(colname, Column(colname))
            table = table.with_column(replace(current, type=pgast.type_ref(coldef.get("typeName"))))
        elif sub in ("AT_SetNotNull", "AT_DropNotNull"):
            current = table.columns.get(colname, Column(colname))
            table = table.with_column(replace(current, not_null=sub == "AT_SetNotNull"))
        elif sub == "AT_ColumnDefault":
            current = table.columns.get(colname, Column(colname))
            table = table.with_column(replace(current, has_default=bool(definition)))
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
            table = table.without_constraint(colname)
            schema = schema.drop_index(pgast.qualify(name.split(".", 1)[0], colname))
    return schema.put_table(table)


def _rename(schema: Schema, fields: Node) -> Schema:
    rtype = fields.get("renameType", "")
    rel = pgast.relation_name(fields.get("relation"))
    newname = fields.get("newname", "")
    if rtype == "OBJECT_TABLE":
        return schema.rename_table(rel, pgast.qualify(rel.split(".", 1)[0], newname))
    if rtype == "OBJECT_COLUMN":
        table = schema.table(rel)
        if table is None:
            return schema
        old = fields.get("subname", "")
        column = table.columns.get(old)
        if column is None:
            return schema
        table = table.without_column(old).with_column(replace(column, name=newname))
        return schema.put_table(table)
    if rtype == "OBJECT_INDEX":
        index = schema.indexes.get(rel)
        if index is not None:
            newq = pgast.qualify(rel.split(".", 1)[0], newname)
            return schema.drop_index(rel).put_index(replace(index, name=newq))
    return schema


_OBJECT_KINDS = {
    "OBJECT_SEQUENCE": "sequence",
    "OBJECT_VIEW": "view",
    "OBJECT_MATVIEW": "view",
    "OBJECT_TYPE": "type",
    "OBJECT_DOMAIN": "type",
    "OBJECT_FUNCTION": "function",
    "OBJECT_PROCEDURE": "function",
    "OBJECT_SCHEMA": "schema",
    "OBJECT_EXTENSION": "extension",
    "OBJECT_TRIGGER": "trigger",
}


def _drop(schema: Schema, fields: Node) -> Schema:
    remove = fields.get("removeType", "")
    for obj in fields.get("objects") or ():
        name = pgast.object_name(obj)
        if remove == "OBJECT_TABLE":
            schema = schema.drop_table(name)
        elif remove == "OBJECT_INDEX":
            schema = schema.drop_index(name)
        elif remove in _OBJECT_KINDS:
            schema = schema.drop_object(f"{_OBJECT_KINDS[remove]}:{name}")
    return schema


def apply_schema(schema: Schema, node: Node | None) -> Schema:
    """The schema model after the statement."""
    if node is None:
        return schema
    kind = pgast.kind(node)
    fields = node[kind]
    if kind == "CreateStmt":
        return _create_table(schema, fields)
    if kind == "AlterTableStmt":
        return _alter_table(schema, fields)
    if kind == "IndexStmt":
        table = pgast.relation_name(fields.get("relation"))
        idx = fields.get("idxname")
        if not idx:
            cols = pgast.index_columns(fields.get("indexParams"))
            idx = f"{table.split('.', 1)[1]}_{'_'.join(cols) or 'expr'}_idx"
        qualified = pgast.qualify(table.split(".", 1)[0], idx)
        if fields.get("if_not_exists") and qualified in schema.indexes:
            return schema
        return schema.put_index(
            Index(
                qualified,
                table,
                pgast.index_columns(fields.get("indexParams")),
                bool(fields.get("unique")),
                schema.file,
                bool(fields.get("whereClause")),
            )
        )
    if kind == "DropStmt":
        return _drop(schema, fields)
    if kind == "RenameStmt":
        return _rename(schema, fields)
    if kind in ("CreateTableAsStmt",):
        into = pgast.unwrap(fields.get("into") or {}, "IntoClause") or fields.get("into") or {}
        name = pgast.relation_name(into.get("rel"))
        if fields.get("objtype") == "OBJECT_MATVIEW":
            return schema.put_object(f"view:{name}")
        return schema.put_table(Table(name, file=schema.file))
    if kind == "ViewStmt":
        return schema.put_object(f"view:{pgast.relation_name(fields.get('view'))}")
    if kind == "CreateSeqStmt":
        return schema.put_object(f"sequence:{pgast.relation_name(fields.get('sequence'))}")
    if kind in ("CreateEnumStmt", "CompositeTypeStmt", "CreateDomainStmt", "CreateRangeStmt"):
        names = fields.get("typeName") or pgast.unwrap(fields.get("typevar") or {}, "RangeVar")
        if isinstance(names, list):
            return schema.put_object(f"type:{pgast.object_name(names)}")
        if fields.get("domainname"):
            return schema.put_object(f"type:{pgast.object_name(fields['domainname'])}")
        if fields.get("typevar"):
            return schema.put_object(f"type:{pgast.relation_name(fields['typevar'])}")
        return schema
    if kind == "CreateFunctionStmt":
        return schema.put_object(f"function:{pgast.object_name(fields.get('funcname') or [])}")
    if kind == "CreateSchemaStmt":
        return schema.put_object(f"schema:{fields.get('schemaname', '')}")
    if kind == "CreateTrigStmt":
        return schema.put_object(f"trigger:{fields.get('trigname', '')}")
    return schema
