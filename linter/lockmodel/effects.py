"""The lock model: what each statement does to production, per target PostgreSQL version.

This is the ONE place that encodes PostgreSQL's locking, rewrite and scan behaviour (see
``docs/lock-model.md``).  Rules, ``sqlsafe explain`` and the docs read it; the trace tests
check it against a real server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from types import MappingProxyType

from ..sql import pgast
from ..sql.indexdef import statement_index
from ..sql.names import nextval_sequences
from ..sql.pgast import Node, TypeRef
from ..util.records import record
from .locks import LockMode, combined, strongest
from .schema import Constraint, Schema

AEL = LockMode.ACCESS_EXCLUSIVE
SUE = LockMode.SHARE_UPDATE_EXCLUSIVE
SRE = LockMode.SHARE_ROW_EXCLUSIVE


@record
class Fact:
    """One row of the model: a statement kind or ALTER TABLE subcommand."""

    lock: LockMode
    rewrite: bool = False
    scan: bool = False
    note: str = ""


# ALTER TABLE subcommands whose effect does not depend on arguments or version.
# Subcommands missing here take ACCESS EXCLUSIVE without rewrite or scan.
ALTER_TABLE_FACTS: Mapping[str, Fact] = MappingProxyType(
    {
        "AT_AddColumn": Fact(
            AEL,
            note="rewrite with a volatile default, identity, serial or "
            "stored generated column, or a domain with a constraint; before PG 11 with any "
            "default",
        ),
        "AT_DropColumn": Fact(
            AEL,
            note="column hidden, space reclaimed later; a foreign key's column: "
            "AccessExclusiveLock on the referenced table too; the sequences the column owns "
            "(identity, serial) are dropped",
        ),
        "AT_AlterColumnType": Fact(
            AEL,
            rewrite=True,
            note=(
                "no rewrite when binary-coercible; PG 12+ timestamp <-> timestamptz under "
                "a UTC session TimeZone: no rewrite, the indexes on the column are rebuilt; "
                "a foreign key's column: AccessExclusiveLock on the referenced table, which "
                "a rewrite also reads to re-validate the key"
            ),
        ),
        "AT_ColumnDefault": Fact(AEL),
        "AT_DropNotNull": Fact(AEL),
        "AT_SetNotNull": Fact(
            AEL, scan=True, note="PG 12+: no scan when a validated CHECK (col IS NOT NULL) exists"
        ),
        "AT_SetStatistics": Fact(SUE),
        "AT_SetOptions": Fact(SUE),
        "AT_ResetOptions": Fact(SUE),
        "AT_SetStorage": Fact(AEL),
        "AT_SetCompression": Fact(AEL),
        "AT_AddConstraint": Fact(
            AEL,
            scan=True,
            note="no scan with NOT VALID; foreign keys take ShareRowExclusiveLock on both tables",
        ),
        "AT_ValidateConstraint": Fact(
            SUE, scan=True, note="RowShareLock on a foreign key's referenced table"
        ),
        "AT_DropConstraint": Fact(
            AEL, note="a foreign key: AccessExclusiveLock on the referenced table too"
        ),
        "AT_AlterConstraint": Fact(AEL),
        "AT_EnableTrig": Fact(SRE),
        "AT_DisableTrig": Fact(SRE),
        "AT_EnableTrigAll": Fact(SRE),
        "AT_DisableTrigAll": Fact(SRE),
        "AT_EnableTrigUser": Fact(SRE),
        "AT_DisableTrigUser": Fact(SRE),
        "AT_EnableAlwaysTrig": Fact(SRE),
        "AT_EnableReplicaTrig": Fact(SRE),
        "AT_ClusterOn": Fact(SUE),
        "AT_DropCluster": Fact(SUE),
        "AT_AddInherit": Fact(AEL, note="ShareUpdateExclusiveLock on the parent"),
        "AT_DropInherit": Fact(AEL, note="AccessShareLock on the parent"),
        "AT_SetAccessMethod": Fact(AEL, rewrite=True, note="no rewrite when it stays heap"),
        "AT_SetTableSpace": Fact(AEL, rewrite=True, note="copies the data files"),
        "AT_SetLogged": Fact(
            AEL, rewrite=True, note="PG 15+: AccessExclusiveLock on each sequence it owns too"
        ),
        "AT_SetUnLogged": Fact(
            AEL, rewrite=True, note="PG 15+: AccessExclusiveLock on each sequence it owns too"
        ),
        "AT_AttachPartition": Fact(
            SUE,
            scan=True,
            note="AccessExclusiveLock on the attached "
            "table; its scan is skipped when a CHECK proves the bound",
        ),
        "AT_DetachPartition": Fact(AEL),
        "AT_DetachPartitionFinalize": Fact(SUE),
        "AT_AddIdentity": Fact(AEL),
        "AT_SetIdentity": Fact(AEL, note="ShareRowExclusiveLock on the identity's sequence"),
        "AT_DropIdentity": Fact(
            AEL, note="the identity's sequence is dropped (AccessExclusiveLock)"
        ),
        "AT_DropExpression": Fact(AEL),
        "AT_SetExpression": Fact(AEL, rewrite=True),
    }
)

# Storage parameters that only need ShareUpdateExclusiveLock (AlterTableGetLockLevel).
_SUE_RELOPTIONS = frozenset(
    {
        "fillfactor",
        "parallel_workers",
        "toast_tuple_target",
        "vacuum_truncate",
        "vacuum_index_cleanup",
        "log_autovacuum_min_duration",
        "user_catalog_table",
    }
)


# Index storage parameters that only need ShareUpdateExclusiveLock (btree's, traced)
_SUE_INDEX_OPTIONS = frozenset({"fillfactor", "deduplicate_items"})


def _option_names(cmd: Node) -> set[str]:
    """The storage parameters ``SET (...)`` / ``RESET (...)`` names."""
    options = pgast.unwrap(cmd.get("def") or {}, "List").get("items") or ()
    return {pgast.unwrap(o, "DefElem").get("defname", "") for o in options}


@record
class Effects:
    """What one statement does: locks by relation, rewrites, scans, transactionality."""

    locks: Mapping[str, LockMode] = field(default_factory=dict)
    rewrites: tuple[str, ...] = ()
    scans: tuple[str, ...] = ()
    transactional: bool = True  # may run inside a transaction block
    # relations locked only if the object a ``DROP ... IF EXISTS`` names exists, which the
    # model cannot tell (see :meth:`Schema.exists`)
    conditional: tuple[str, ...] = ()
    # indexes and sequences locked because their table is (dropped, truncated, reindexed,
    # made logged), and sequences a statement changes: explain and trace list them; rules
    # name the table (``named_locks``)
    implied: tuple[str, ...] = ()

    @property
    def named_locks(self) -> Mapping[str, LockMode]:
        """The locks but those on ``implied`` indexes and sequences: what a finding names."""
        if not self.implied:
            return self.locks
        return {rel: mode for rel, mode in self.locks.items() if rel not in self.implied}

    @property
    def strongest(self) -> LockMode | None:
        result: LockMode | None = None
        for mode in self.locks.values():
            result = strongest(result, mode)
        return result


def merge_effects(first: Effects, then: Effects) -> Effects:
    """What two statements run as one (a DO block's) lock, rewrite and scan together."""
    sure = {r for r in first.locks if r not in first.conditional} | {
        r for r in then.locks if r not in then.conditional
    }
    return Effects(
        MappingProxyType(combined(first.locks, then.locks)),
        (*first.rewrites, *(r for r in then.rewrites if r not in first.rewrites)),
        (*first.scans, *(r for r in then.scans if r not in first.scans)),
        first.transactional and then.transactional,
        tuple(dict.fromkeys(r for r in (*first.conditional, *then.conditional) if r not in sure)),
        tuple(dict.fromkeys((*first.implied, *then.implied))),
    )


class _Builder:
    __slots__ = ("conditional", "implied", "locks", "rewrites", "scans", "transactional")

    def __init__(self) -> None:
        self.locks: dict[str, LockMode] = {}
        self.rewrites: list[str] = []
        self.scans: list[str] = []
        self.transactional = True
        self.conditional: list[str] = []
        self.implied: list[str] = []

    def lock(self, rel: str, mode: LockMode) -> None:
        if rel:
            found = strongest(self.locks.get(rel), mode)
            assert found is not None
            self.locks[rel] = found

    def rewrite(self, rel: str) -> None:
        if rel and rel not in self.rewrites:
            self.rewrites.append(rel)

    def scan(self, rel: str) -> None:
        if rel and rel not in self.scans:
            self.scans.append(rel)

    def build(self) -> Effects:
        return Effects(
            MappingProxyType(self.locks),
            tuple(self.rewrites),
            tuple(self.scans),
            self.transactional,
            tuple(r for r in self.conditional if r in self.locks),
            tuple(dict.fromkeys(self.implied)),
        )


# ---------------------------------------------------------------------------- type changes
_VAR_LENGTH = frozenset({"varchar", "varbit"})
_PRECISION = frozenset({"timestamp", "timestamptz", "time", "timetz", "interval"})


def binary_coercible(old: TypeRef | None, new: TypeRef | None, target: int) -> bool:
    """True when ``ALTER COLUMN TYPE old -> new`` needs no table rewrite."""
    if old is None or new is None or old.array != new.array:
        return False
    if old.name == new.name:
        if old.mods == new.mods:
            return True
        if not new.mods:
            return old.name in _VAR_LENGTH | _PRECISION | {"numeric", "bpchar"} and (
                old.name != "bpchar"
            )
        if old.name in _VAR_LENGTH | _PRECISION:
            return bool(old.mods) and all(
                o is not None and n is not None and n >= o
                for o, n in zip(old.mods, new.mods, strict=False)
            )
        if old.name == "numeric" and len(old.mods) == len(new.mods) == 2:
            (p0, s0), (p1, s1) = old.mods, new.mods
            return p0 is not None and p1 is not None and p1 >= p0 and s0 == s1
        return False
    if old.name == "varchar" and new.name == "text":
        return True
    if old.name == "text" and new.name == "varchar" and not new.mods:
        return True
    if old.name == "cidr" and new.name == "inet":
        return True
    return False


_ZONED = frozenset({"timestamp", "timestamptz"})


def domain_check(fields: Node) -> str | None:
    """What an ALTER DOMAIN checks against every stored value of the domain (under
    ShareLock on each table with a column of it, traced on PostgreSQL 18): a new CHECK or
    NOT NULL constraint that is not NOT VALID, SET NOT NULL, or VALIDATE CONSTRAINT."""
    sub = fields.get("subtype")
    if sub == "C":
        con = pgast.unwrap(fields.get("def") or {}, "Constraint")
        if con.get("contype") in ("CONSTR_CHECK", "CONSTR_NOTNULL") and not (
            pgast.is_not_valid(con)
        ):
            return "a new constraint"
    elif sub == "O":
        return "SET NOT NULL"
    elif sub == "V":
        return "VALIDATE CONSTRAINT"
    return None


def utc_coercible(old: TypeRef | None, new: TypeRef | None, target: int) -> bool:
    """True for ``timestamp`` <-> ``timestamptz`` (no precision given) from PostgreSQL 12,
    which skips the table rewrite when the session's TimeZone is UTC; the indexes on the
    column are still rebuilt (traced)."""
    return (
        target >= 12
        and old is not None
        and new is not None
        and {old.name, new.name} == _ZONED
        and not old.mods
        and not new.mods
        and not old.array
        and not new.array
    )


def utc_change_work(schema: Schema, table: str, column: str) -> tuple[str, ...] | None:
    """What PostgreSQL still does for a UTC timestamp <-> timestamptz change of *column*
    (traced): rebuild the indexes that may use it (its own, partial ones, ones on
    expressions) and re-check the CHECK constraints and foreign keys on it, each a read of
    the table. ``None``: the history never created the table, so they are unknown."""
    model = schema.table(table)
    if model is None:
        return None
    work = [
        f"index `{i.name}`"
        for i in schema.indexes_of(table)
        if column in i.columns or i.partial or i.others
    ]
    work.extend(
        f"constraint `{c.name}`"
        for c in model.constraints.values()
        if c.kind in ("check", "foreign") and (column in c.columns or not c.columns)
    )
    return tuple(work)


# --------------------------------------------------------------------------- add column
def add_column_kind_rewrites(coldef: Node, target: int) -> str | None:
    """Why the *kind* of column added (serial, identity, stored generated) rewrites."""
    tref = pgast.type_ref(coldef.get("typeName"))
    if tref and tref.name in ("serial", "bigserial", "smallserial"):
        return f"a {tref.name} column fills every row from a sequence (volatile nextval())"
    for con in pgast.column_constraints(coldef):
        contype = con.get("contype")
        if contype == "CONSTR_IDENTITY":
            return "an identity column fills every existing row"
        if contype == "CONSTR_GENERATED" and (con.get("generated_kind") == "s" or target < 18):
            return "a stored generated column is computed and written for every row"
    return None


def add_column_rewrites(coldef: Node, target: int) -> str | None:
    """Why ADD COLUMN *coldef* rewrites the table on *target*, or ``None``."""
    kind_reason = add_column_kind_rewrites(coldef, target)
    if kind_reason:
        return kind_reason
    default = pgast.column_default(coldef)
    if default:
        volatile = pgast.volatile_call(default)
        if volatile:
            return f"the default calls {volatile}, which is volatile: every row is rewritten"
        if target < 11 and not pgast.is_null_const(default):
            return "before PostgreSQL 11 any non-NULL default rewrites the table"
    return None


def constrained_domain(schema: Schema, coldef: Node) -> str | None:
    """The domain with a CHECK or NOT NULL that column *coldef* is of: ADD COLUMN of it
    evaluates the constraints for every row and rewrites the table, with or without a
    default (traced on PostgreSQL 18; the same since PostgreSQL 11's fast defaults)."""
    tref = pgast.type_ref(coldef.get("typeName"))
    if tref is None or tref.array:  # an array of the domain is not a domain
        return None
    for name in {tref.name, pgast.qualify(None, tref.name)}:
        if f"constrained-type:{name}" in schema.objects:
            return name
    return None


# ------------------------------------------------------------------------------- model
def _alter_table(fields: Node, schema: Schema, target: int, b: _Builder, utc: bool) -> None:
    rel = pgast.relation_name(fields.get("relation"))
    objtype = fields.get("objtype", "OBJECT_TABLE")
    table = schema.table(rel)
    for item in fields.get("cmds") or ():
        cmd = pgast.unwrap(item, "AlterTableCmd")
        sub = cmd.get("subtype", "")
        fact = ALTER_TABLE_FACTS.get(sub, Fact(AEL))
        mode = fact.lock
        if objtype == "OBJECT_INDEX":
            mode = SUE if sub in ("AT_SetOptions", "AT_ResetOptions", "AT_SetStatistics") else AEL
            if sub in ("AT_SetRelOptions", "AT_ResetRelOptions"):
                # a btree's fillfactor and deduplicate_items: ShareUpdateExclusiveLock on the
                # index alone; GIN, BRIN and GiST options: AccessExclusiveLock (traced, 15/18)
                mode = SUE if _option_names(cmd) <= _SUE_INDEX_OPTIONS else AEL
            if sub == "AT_AttachPartition":
                mode = SUE
                # both indexes' tables are opened to match the definitions (traced)
                part = pgast.unwrap(cmd.get("def") or {}, "PartitionCmd")
                child = pgast.relation_name(part.get("name"))
                b.lock(_index_table(schema, rel), LockMode.ACCESS_SHARE)
                b.lock(_index_table(schema, child), LockMode.ACCESS_SHARE)
            b.lock(rel, mode)
            if sub == "AT_SetTableSpace":
                b.rewrite(rel)  # the index files are copied under the lock
            continue
        if sub in ("AT_SetRelOptions", "AT_ResetRelOptions"):
            names = _option_names(cmd)
            mode = (
                SUE
                if names
                and all(
                    n in _SUE_RELOPTIONS or n.startswith("autovacuum") or n.startswith("toast.")
                    for n in names
                )
                else AEL
            )
        definition = cmd.get("def") or {}
        if sub == "AT_AddConstraint":
            added = pgast.unwrap(definition, "Constraint")
            if added.get("contype") == "CONSTR_FOREIGN":
                mode = SRE  # AlterTableGetLockLevel: a foreign key needs ShareRowExclusiveLock
        b.lock(rel, mode)
        if sub in ("AT_AddInherit", "AT_DropInherit"):  # the parent, too (traced)
            parent = pgast.relation_name(pgast.unwrap(definition, "RangeVar"))
            b.lock(parent, SUE if sub == "AT_AddInherit" else LockMode.ACCESS_SHARE)
        if sub == "AT_AddColumn":
            coldef = pgast.unwrap(definition, "ColumnDef")
            if add_column_rewrites(coldef, target) or constrained_domain(schema, coldef):
                b.rewrite(rel)
            # a new column without a default is all NULL: its foreign key is not
            # checked against the rows (traced on PostgreSQL 18)
            default = pgast.column_default(coldef)
            filled = default is not None
            for seq in nextval_sequences(default):  # each row calls it (traced)
                _lock_sequence(seq, LockMode.ROW_EXCLUSIVE, b)
            for con in pgast.column_constraints(coldef):
                _constraint_effect(con, rel, schema, target, b, scan_needed=filled)
                if (
                    con.get("contype") == "CONSTR_NOTNULL"
                    and (default is None or pgast.is_null_const(default))
                    and not add_column_kind_rewrites(coldef, target)
                ):
                    b.scan(rel)  # every row is checked for its NULL: fails if any (traced)
        elif sub == "AT_AlterColumnType":
            coldef = pgast.unwrap(definition, "ColumnDef")
            column = cmd.get("name", "")
            old_type = getattr(schema.column(rel, column), "type", None)
            new = pgast.type_ref(coldef.get("typeName"))
            if pgast.changes_values(cmd):
                b.rewrite(rel)
            elif utc and utc_coercible(old_type, new, target):
                if utc_change_work(schema, rel, column) != ():
                    b.scan(rel)  # indexes rebuilt, constraints re-checked: the table is read
            elif not binary_coercible(old_type, new, target):
                b.rewrite(rel)
            elif any(column in ix.reads for ix in schema.indexes_of(rel)):
                # no rewrite, but an index on an expression of the column or with a
                # predicate on it is rebuilt: the table is read (traced on 18 and 15)
                b.scan(rel)
            _foreign_key_column(schema, rel, column, b, target=target)
            _referenced_column(schema, rel, (column,), b, target=target)
            _retyped_column_sequences(schema, rel, column, b, target)
        elif sub == "AT_SetNotNull":
            column = cmd.get("name", "")
            proven = (
                table is not None and target >= 12 and table.has_validated_not_null_check(column)
            )
            col = schema.column(rel, column)
            if not proven and not (col is not None and col.not_null):
                b.scan(rel)
        elif sub == "AT_AddConstraint":
            con = pgast.unwrap(definition, "Constraint")
            # a table created in the same file is empty: no row to look up (traced)
            _constraint_effect(
                con, rel, schema, target, b, scan_needed=True, empty=schema.is_new_table(rel)
            )
            if con.get("indexname"):  # ADD ... USING INDEX opens it (traced on 18 and 15)
                index = pgast.qualify(rel.partition(".")[0] or None, con["indexname"])
                renamed = con.get("conname") not in (None, con["indexname"])
                # and renames it to the constraint's name, as ALTER INDEX ... RENAME would
                mode = (SUE if target >= 12 else AEL) if renamed else LockMode.ACCESS_SHARE
                _lock_index(index, mode, b)
            if con.get("contype") == "CONSTR_PRIMARY" and con.get("indexname"):
                if not _index_columns_not_null(schema, rel, con["indexname"], target):
                    b.scan(rel)  # PRIMARY KEY USING INDEX sets its columns NOT NULL (traced)
        elif sub == "AT_ValidateConstraint":
            known = schema.constraint(rel, cmd.get("name", ""))
            if known is not None and known.validated:
                continue  # already valid: nothing is checked, nothing else locked (traced)
            b.scan(rel)
            if known is not None and known.references:
                b.lock(known.references, LockMode.ROW_SHARE)
                b.scan(known.references)  # the check joins the referenced table (traced)
                _foreign_key_checked(schema, rel, known.references, target, b)
        elif sub == "AT_AttachPartition":
            part = pgast.unwrap(definition, "PartitionCmd")
            child = pgast.relation_name(part.get("name"))
            b.lock(rel, SUE if target >= 12 else AEL)
            b.lock(child, AEL)
            _partitioned_indexes_extended(schema, rel, b)
            if not attach_bound_proven(schema, rel, child):
                b.scan(child)
            if not (part.get("bound") or {}).get("is_default"):
                _default_partition_checked(schema, rel, child, b)
        elif sub == "AT_ClusterOn":  # the index named is marked (traced)
            _lock_index(pgast.qualify(rel.partition(".")[0], cmd.get("name", "")), SUE, b)
        elif sub == "AT_DropColumn":
            # dropped with the column, the partitions' with theirs (traced)
            inh = bool((fields.get("relation") or {}).get("inh"))
            for owner in (rel, *(partitions_of(schema, rel) if inh else ())):
                for index in _column_indexes(schema, owner, cmd.get("name", "")):
                    _lock_index(index, AEL, b)
            for seq in schema.sequences_of(rel, cmd.get("name", "")):
                _lock_sequence(seq, AEL, b)  # its identity's, serial's, OWNED BY (traced)
            _foreign_key_column(schema, rel, cmd.get("name", ""), b)
            if cmd.get("behavior") == "DROP_CASCADE":
                _referenced_column(schema, rel, (cmd.get("name", ""),), b)
        elif sub == "AT_DropConstraint":
            known = schema.constraint(rel, cmd.get("name", ""))
            if known is not None and known.kind in ("primary", "unique", "exclusion"):
                # its index is dropped with it (traced)
                _lock_index(pgast.qualify(rel.partition(".")[0], known.name), AEL, b)
            if known is not None and known.references:
                # its triggers on the referenced table go too (traced)
                b.lock(known.references, AEL)
            if (
                known is not None
                and known.kind in ("primary", "unique")
                and cmd.get("behavior") == "DROP_CASCADE"
            ):  # the foreign keys that need its index go too (traced)
                for other, _ in schema.foreign_keys_to(rel, known.columns, exact=True):
                    b.lock(other, AEL)
        elif sub == "AT_DetachPartition":
            part = pgast.unwrap(definition, "PartitionCmd")
            child = pgast.relation_name(part.get("name"))
            widened = default_partition_of(schema, rel)
            if widened is not None and widened != child:
                b.lock(widened, AEL)  # the default's implicit bound widens (traced, 15 and 18)
            _partition_indexes_detached(schema, rel, child, b)
            if part.get("concurrent"):
                b.locks[rel] = SUE
                # SUE on both in its first transaction; after waiting for every older
                # snapshot, its second one takes AccessExclusiveLock on the partition (traced)
                b.lock(child, AEL)
                b.transactional = False
            else:
                b.lock(child, AEL)
        elif sub in ("AT_SetIdentity", "AT_DropIdentity"):
            known_column = schema.column(rel, cmd.get("name", ""))
            if known_column is not None and known_column.identity:
                # SET ...: the sequence is altered (ALTER SEQUENCE's lock); DROP IDENTITY
                # drops it (traced, 15 and 18)
                mode = SRE if sub == "AT_SetIdentity" else AEL
                _lock_sequence(known_column.identity, mode, b)
        elif sub == "AT_ColumnDefault" and target >= 18:
            # PostgreSQL 18 takes AccessShareLock on a sequence the new default calls (traced
            # on 18; 15 takes none; 16 and 17 not measured: modelled as 15)
            for seq in nextval_sequences(definition):
                _lock_sequence(seq, LockMode.ACCESS_SHARE, b)
        elif sub == "AT_SetAccessMethod":
            if cmd.get("name") not in (None, "", "heap"):  # heap to heap copies nothing (traced)
                b.rewrite(rel)
        elif sub == "AT_SetTableSpace" and table is not None and table.partitioned:
            pass  # a partitioned table has no data files: only the default changes (traced)
        elif fact.rewrite:
            b.rewrite(rel)
        elif fact.scan:
            b.scan(rel)
        if sub in ("AT_SetLogged", "AT_SetUnLogged") and target >= 15:
            # PostgreSQL 15+: the table's sequences change persistence with it (traced)
            for seq in schema.sequences_of(rel):
                _lock_sequence(seq, AEL, b)


def _retyped_column_sequences(
    schema: Schema, rel: str, column: str, b: _Builder, target: int
) -> None:
    """ALTER COLUMN TYPE: an identity's sequence is altered to the new type
    (ShareRowExclusiveLock, traced on 15 and 18); PostgreSQL 18 also takes AccessShareLock
    on the sequence the column's default calls (traced; 15 takes none; 16 and 17 not
    measured: modelled as 15)."""
    known = schema.column(rel, column)
    if known is None:
        return
    if known.identity:
        _lock_sequence(known.identity, SRE, b)
    if known.nextval and target >= 18:
        _lock_sequence(known.nextval, LockMode.ACCESS_SHARE, b)


def attach_bound_proven(schema: Schema, parent: str, child: str) -> bool:
    """ATTACH PARTITION can skip scanning *child*: a validated CHECK covers the partition key.

    An approximation of PostgreSQL's proof (the CHECK must imply the partition bound): the
    model needs the parent's key columns, a validated CHECK on the child that reads all of
    them, and the key columns NOT NULL on the child (a range bound, or a list without NULL,
    implies ``key IS NOT NULL``, which a CHECK such as ``k >= 10`` does not: traced).
    """
    table = schema.table(parent)
    attached = schema.table(child)
    if table is None or attached is None or not table.partition_key:
        return False
    key = set(table.partition_key)
    for name in key:
        column = attached.columns.get(name)
        if not (column is not None and column.not_null) and not (
            attached.has_validated_not_null_check(name)
        ):
            return False
    return any(
        con.kind == "check" and con.validated and key <= set(con.columns)
        for con in attached.constraints.values()
    )


def _lock_referenced(schema: Schema, rel: str, b: _Builder) -> None:
    """Dropping *rel* drops its foreign keys' triggers on the referenced tables."""
    table = schema.table(rel)
    for con in table.constraints.values() if table is not None else ():
        if con.references and con.references != rel:
            b.lock(con.references, AEL)


def referencing_tables(schema: Schema, rel: str) -> list[str]:
    """The other tables the model knows with a foreign key to *rel*."""
    return list(dict.fromkeys(other for other, _ in schema.foreign_keys_to(rel)))


def _lock_referencing(schema: Schema, rel: str, b: _Builder, *, transitive: bool) -> None:
    """``DROP TABLE ... CASCADE`` drops the foreign keys to *rel* (AccessExclusiveLock on
    each referencing table); ``TRUNCATE ... CASCADE`` (*transitive*) empties the
    referencing tables, and the tables referencing those, each under AccessExclusiveLock
    (traced on PostgreSQL 18)."""
    todo = [rel]
    seen = {rel}
    while todo:
        for other in referencing_tables(schema, todo.pop()):
            if other not in seen:
                seen.add(other)
                b.lock(other, AEL)
                if transitive:
                    todo.append(other)


def _foreign_key_column(
    schema: Schema, rel: str, column: str, b: _Builder, *, target: int | None = None
) -> None:
    """DROP COLUMN or ALTER COLUMN TYPE of a foreign key's column drops (and for a type
    change, *target* given, re-creates) the constraint's triggers on the referenced table:
    AccessExclusiveLock there. When the change rewrites *rel*, the re-created key is
    validated: the referenced table is read too (traced on PostgreSQL 18), through a
    planned query (:func:`_foreign_key_checked`)."""
    table = schema.table(rel)
    for con in table.constraints.values() if table is not None else ():
        if con.references and con.references != rel and column in con.columns:
            b.lock(con.references, AEL)
            if target is None:
                continue
            if rel in b.rewrites:
                b.scan(con.references)
                if con.validated:  # a NOT VALID key is re-created NOT VALID (traced)
                    _foreign_key_checked(schema, rel, con.references, target, b)
            _foreign_key_created(schema, con.references, schema.referenced_columns(con), target, b)


def _referenced_column(
    schema: Schema, rel: str, columns: tuple[str, ...], b: _Builder, *, target: int | None = None
) -> None:
    """DROP COLUMN ... CASCADE or ALTER COLUMN TYPE (*target* given) of a column other
    tables' foreign keys reference: the keys are dropped (and for a type change re-created),
    their triggers on each referencing table with them: AccessExclusiveLock there (traced on
    PostgreSQL 18 and 15). A rewriting type change re-validates each key: the referencing
    table is read, through a planned query (:func:`_foreign_key_checked`)."""
    for other, con in schema.foreign_keys_to(rel, columns):
        b.lock(other, AEL)
        if target is None:
            continue
        if rel in b.rewrites:
            b.scan(other)
            if con.validated:  # a NOT VALID key is re-created NOT VALID (traced)
                _foreign_key_checked(schema, other, rel, target, b)
        _foreign_key_created(schema, rel, schema.referenced_columns(con), target, b)


def other_tables_locked(effects: Effects, *own: str, schema: Schema | None = None) -> str:
    """A message's clause naming each table but *own* (and, given the *schema*, their
    partitions, which :func:`and_partitions` names) that *effects* lock under a lock that
    blocks writes (the other end of a foreign key), and what the lock blocks there (empty
    when there is none)."""
    mine = set(own)
    if schema is not None:
        mine.update(part for rel in own for part in partitions_of(schema, rel))
    parts = [
        f"`{rel}` ({mode.value}: {mode.blocks})"
        for rel, mode in effects.named_locks.items()
        if rel not in mine and mode.blocks_writes
    ]
    return f"; it also locks {', '.join(parts)}" if parts else ""


def command_effects(fields: Node, cmd: Node, schema: Schema, target: int) -> Effects:
    """The effects of one subcommand *cmd* of the ALTER TABLE *fields* alone (what a rule
    about that subcommand may attribute to it); *cmd* is the AlterTableCmd's fields."""
    b = _Builder()
    _alter_table({**fields, "cmds": [{"AlterTableCmd": cmd}]}, schema, target, b, utc=False)
    return b.build()


def commands_other_end(
    fields: Node, cmds: Sequence[Node], schema: Schema, target: int, own: str
) -> str:
    """:func:`other_tables_locked` for the subcommands *cmds* of the ALTER TABLE *fields*
    (not for the statement's other subcommands)."""
    effects = Effects()
    for cmd in cmds:
        effects = merge_effects(effects, command_effects(fields, cmd, schema, target))
    return other_tables_locked(effects, own, schema=schema)


def _index_columns_not_null(schema: Schema, rel: str, index: str, target: int) -> bool:
    """Every column of *index* is known NOT NULL (or proven by a validated CHECK)."""
    known = schema.indexes.get(pgast.qualify(rel.partition(".")[0] or None, index))
    table = schema.table(rel)
    if known is None or table is None or not known.columns:
        return False
    for name in known.columns:
        col = schema.column(rel, name)
        proven = target >= 12 and table.has_validated_not_null_check(name)
        if not proven and not (col is not None and col.not_null):
            return False
    return True


def plan_reads(schema: Schema, rel: str, target: int, b: _Builder) -> None:
    """A query that reads *rel* is planned: the planner opens every index of every relation
    it reads (``get_relation_info``), whatever plan it then picks, under AccessShareLock
    (traced on PostgreSQL 18 and 15: a constant-false WHERE or LIMIT 0 too). For a
    partitioned *rel*: the indexes of each leaf partition, and from PostgreSQL 16 those of
    the partitioned tables too (traced on 18; 15 skips them; 16 loads them for join removal
    on partitioned tables, commit 3c569049b7). Partitions that plan-time pruning removes
    are not opened at all: the model, which does not evaluate a WHERE clause, claims them."""
    known = schema.table(rel)
    partitioned = known is not None and known.partitioned
    for table in [rel, *partitions_of(schema, rel)] if partitioned else [rel]:
        sub = schema.table(table)
        if target >= 16 or sub is None or not sub.partitioned:
            _lock_indexes(schema, table, LockMode.ACCESS_SHARE, b)


def leaf_tables(schema: Schema, rel: str) -> list[str]:
    """*rel*, or the leaf partitions the model knows below partitioned *rel*."""
    known = schema.table(rel)
    if known is None or not known.partitioned:
        return [rel]
    return [
        part
        for part in partitions_of(schema, rel)
        if not ((sub := schema.table(part)) is not None and sub.partitioned)
    ]


def _foreign_key_checked(schema: Schema, rel: str, ref: str, target: int, b: _Builder) -> None:
    """A foreign key from *rel* to *ref* is validated (``RI_Initial_Check``): one planned
    query per leaf of *rel* (``FROM ONLY``) joined with *ref*, so the planner opens every
    index of both (:func:`plan_reads`; traced on PostgreSQL 18 and 15, partitioned
    tables on either side)."""
    for leaf in leaf_tables(schema, rel):
        _lock_indexes(schema, leaf, LockMode.ACCESS_SHARE, b)
    plan_reads(schema, ref, target, b)


def key_index(schema: Schema, table: str, columns: tuple[str, ...]) -> str | None:
    """The unique index a foreign key to *columns* of *table* uses (no *columns*: its
    primary key's), as the history knows it: a PRIMARY KEY or UNIQUE constraint's, or a
    plain unique index on exactly those columns."""
    cons = _constraints(schema, table)
    nsp = table.partition(".")[0]
    if not columns:
        found = [c for c in cons if c.kind == "primary"]
        return pgast.qualify(nsp, found[0].name) if found else None
    wanted = set(columns)
    for con in sorted(cons, key=lambda c: c.kind != "primary"):
        if con.kind in ("primary", "unique") and set(con.columns) == wanted:
            return pgast.qualify(nsp, con.name)
    for ix in schema.indexes_of(table):
        if ix.unique and not ix.partial and not ix.others and set(ix.columns) == wanted:
            return ix.name
    return None


def _constraints(schema: Schema, table: str) -> list[Constraint]:
    known = schema.table(table)
    return list(known.constraints.values()) if known is not None else []


def _foreign_key_created(
    schema: Schema, ref: str, columns: tuple[str, ...], target: int, b: _Builder
) -> None:
    """PostgreSQL 18 opens the referenced key's unique index (AccessShareLock) whenever it
    creates a foreign key, NOT VALID and in CREATE TABLE too, and on each partition of a
    partitioned *ref* (traced; PostgreSQL 15 does not: 16 and 17 are not measured and are
    taken as 15)."""
    if target < 18:
        return
    if not columns:  # the primary key's, on the partitions too
        columns = next((c.columns for c in _constraints(schema, ref) if c.kind == "primary"), ())
    for table in (ref, *partitions_of(schema, ref)):
        index = key_index(schema, table, columns)
        if index is not None:
            _lock_index(index, LockMode.ACCESS_SHARE, b)


def _constraint_effect(
    con: Node,
    rel: str,
    schema: Schema,
    target: int,
    b: _Builder,
    *,
    scan_needed: bool,
    empty: bool = False,
) -> None:
    contype = con.get("contype", "")
    if contype == "CONSTR_FOREIGN":
        ref = pgast.relation_name(con.get("pktable"))
        b.lock(ref, SRE)
        if not pgast.is_not_valid(con) and scan_needed:
            b.scan(rel)
            _foreign_key_checked(schema, rel, ref, target, b)
            if not empty:  # no row of an empty table to look up (traced)
                b.scan(ref)
        _foreign_key_created(schema, ref, tuple(pgast.strings(con.get("pk_attrs"))), target, b)
    elif contype == "CONSTR_CHECK":
        if not pgast.is_not_valid(con):
            b.scan(rel)
    elif contype in ("CONSTR_UNIQUE", "CONSTR_PRIMARY", "CONSTR_EXCLUSION"):
        if not con.get("indexname"):
            b.scan(rel)
    elif contype == "CONSTR_NOTNULL" and con.get("keys") and not pgast.is_not_valid(con):
        b.scan(rel)


def partitions_of(schema: Schema, parent: str) -> list[str]:
    """Partitions the model knows below *parent* (sub-partitions included)."""
    if not schema.may_have_partitions(parent):
        return []  # (the common case, without a look at every table)
    out: list[str] = []
    todo = [parent]
    while todo:
        current = todo.pop()
        for table in schema.tables.values():
            if table.partition_of == current and table.name not in out:
                out.append(table.name)
                todo.append(table.name)
    return out


def and_partitions(schema: Schema, rel: str) -> str:
    """`` and its N partitions`` for a finding about partitioned *rel*: a statement on it
    locks, rewrites or scans every partition the history knows (sub-partitions included)."""
    table = schema.table(rel)
    count = len(partitions_of(schema, rel)) if table is not None and table.partitioned else 0
    if not count:
        return ""
    return f" and its {count} partition{'' if count == 1 else 's'}"


def rows_rewritten(effects: Effects, schema: Schema, rel: str) -> bool:
    """The statement rewrites *rel*'s rows: its own, or those of its partitions."""
    if rel in effects.rewrites:
        return True
    table = schema.table(rel)
    return (
        table is not None
        and table.partitioned
        and any(part in effects.rewrites for part in partitions_of(schema, rel))
    )


def default_partition_of(schema: Schema, parent: str) -> str | None:
    """The DEFAULT partition the model knows of *parent*."""
    for table in schema.tables.values():
        if table.partition_of == parent and table.default_partition:
            return table.name
    return None


# ALTER TABLE subcommands that act on the partitioned table alone, not on each partition
_NOT_RECURSING = frozenset(
    {
        "AT_AttachPartition",
        "AT_DetachPartition",
        "AT_DetachPartitionFinalize",
        "AT_SetTableSpace",
        "AT_SetAccessMethod",
        "AT_SetRelOptions",
        "AT_ResetRelOptions",
    }
)


def _recurses(fields: Node, schema: Schema, target: int) -> bool:
    """ALTER TABLE (without ONLY) whose subcommands run on every partition too."""
    rel = pgast.relation_name(fields.get("relation"))
    return bool((fields.get("relation") or {}).get("inh")) and any(
        sub not in _NOT_RECURSING and not _drops_no_not_null(schema, rel, sub, cmd, target)
        for sub, cmd in pgast.alter_commands(fields)
    )


def _drops_no_not_null(schema: Schema, rel: str, sub: str, cmd: Node, target: int) -> bool:
    """DROP NOT NULL of a column the model knows nullable: PostgreSQL 18 finds no NOT NULL
    constraint to drop and does not visit the partitions; 15 locks each (traced)."""
    if sub != "AT_DropNotNull" or target < 18:
        return False
    column = schema.column(rel, cmd.get("name", ""))
    return column is not None and not column.not_null


def _spread_to_partitions(
    schema: Schema, rel: str, b: _Builder, *, scan_partitioned: bool = False
) -> None:
    """A statement on partitioned *rel* that recurses: every partition the model knows
    (sub-partitions too) takes *rel*'s lock, and *rel*'s rewrite and scan happen on the
    leaf partitions, which hold the rows (traced). *scan_partitioned*: the partitioned
    tables are read too (ANALYZE samples each through its partitions)."""
    table = schema.table(rel)
    parts = partitions_of(schema, rel) if table is not None and table.partitioned else []
    if not parts:
        return
    mode = b.locks.get(rel)
    rewrite, scan = rel in b.rewrites, rel in b.scans
    if rewrite:
        b.rewrites.remove(rel)
    if scan and not scan_partitioned:
        b.scans.remove(rel)
    for part in parts:
        known = schema.table(part)
        leaf = known is None or not known.partitioned
        if mode is not None:
            b.lock(part, mode)
        if rewrite and leaf:
            b.rewrite(part)
        if scan and (leaf or scan_partitioned):
            b.scan(part)


def _build_on_partitions(schema: Schema, table: str, signature: str, b: _Builder) -> None:
    """CREATE INDEX on partitioned *table*: a partition's own index of the same definition is
    attached (ShareLock on it, nothing read below it); the other leaves hold the rows and
    are read to build theirs (traced on 18 and 15)."""
    for part in [t for t in schema.tables.values() if t.partition_of == table]:
        match = schema.matching_index(part.name, signature)
        if match is not None:
            _lock_index(match.name, LockMode.SHARE, b)
        elif part.partitioned:
            _build_on_partitions(schema, part.name, signature, b)
        else:
            b.scan(part.name)


def _default_partition_checked(schema: Schema, parent: str, added: str, b: _Builder) -> None:
    """A new partition of *parent*: its DEFAULT partition is locked and read to prove no row
    of it belongs to the new bound (traced)."""
    default = default_partition_of(schema, parent)
    if default is not None and default != added:
        b.lock(default, AEL)
        b.scan(default)


def _index_finds_rows(schema: Schema, rel: str, fields: Node) -> bool:
    """The WHERE clause filters on the leading column of an index the model knows.

    An approximation of the planner: then PostgreSQL may fetch the rows through the index
    instead of reading the whole table; without WHERE, or on unindexed columns, it scans.
    """
    where = fields.get("whereClause")
    if not where:
        return False
    used = _own_columns(where, fields)
    return any(ix.columns and ix.columns[0] in used for ix in schema.indexes_of(rel))


def _own_columns(where: Node, fields: Node) -> set[str]:
    """The columns *where* names of the statement's own table: unqualified, or qualified by
    its name or alias (``a.id`` of a joined ``accounts a`` is not the target's ``id``)."""
    target = fields.get("relation") or {}
    alias = target.get("alias") or {}
    own = {target.get("relname"), alias.get("Alias", alias).get("aliasname")}
    out: set[str] = set()
    for sub in pgast.walk(where):
        names = pgast.strings(pgast.unwrap(sub, "ColumnRef").get("fields"))
        if names and (len(names) == 1 or names[-2] in own):
            out.add(names[-1])
    return out


def _joined_tables(fields: Node) -> list[str]:
    """The tables ``UPDATE ... FROM`` / ``DELETE ... USING`` reads (not CTEs, not inside
    subqueries): the statement takes AccessShareLock on each, and a join reads them."""
    ctes = {
        pgast.unwrap(cte, "CommonTableExpr").get("ctename")
        for cte in (fields.get("withClause") or {}).get("ctes") or ()
    }
    items = list(fields.get("fromClause") or fields.get("usingClause") or ())
    found: list[str] = []
    while items:
        item = items.pop(0)
        join = item.get("JoinExpr")
        if isinstance(join, dict):
            items[:0] = [join.get("larg") or {}, join.get("rarg") or {}]
            continue
        var = item.get("RangeVar")
        if isinstance(var, dict) and (var.get("schemaname") or var.get("relname") not in ctes):
            found.append(pgast.relation_name(var))
    return found


def known_indexes(schema: Schema, table: str) -> list[str]:
    """Every index of *table* the history knows: those it created, those behind its
    PRIMARY KEY, UNIQUE and EXCLUDE constraints (named as the constraint) and, on a
    partition, those PostgreSQL created from a partitioned index (named as it names them)."""
    found = [ix.name for ix in schema.indexes_of(table)]
    known = schema.table(table)
    if known is not None:
        nsp = table.partition(".")[0]
        for con in known.constraints.values():
            if con.kind in ("primary", "unique", "exclusion"):
                found.append(pgast.qualify(nsp, con.name))
    return found


def _partitioned_indexes_extended(schema: Schema, parent: str, b: _Builder) -> None:
    """A new partition of *parent* (CREATE TABLE ... PARTITION OF, ATTACH PARTITION): each
    index of *parent* gets the partition's index attached, under ShareUpdateExclusiveLock
    (traced on 18 and 15)."""
    for index in schema.indexes_of(parent):
        _lock_index(index.name, SUE, b)


def _partition_indexes_detached(schema: Schema, parent: str, child: str, b: _Builder) -> None:
    """DETACH PARTITION *child* of *parent*: the child's indexes attached to *parent*'s are
    detached, and a sub-partitioned child's partitions are locked too: AccessExclusiveLock
    (traced on 18 and 15)."""
    theirs = {ix.name for ix in schema.indexes_of(parent)}
    for index in schema.indexes_of(child):
        if index.parent in theirs:
            _lock_index(index.name, AEL, b)
    known = schema.table(child)
    if known is not None and known.partitioned:
        for part in partitions_of(schema, child):
            b.lock(part, AEL)


def _lock_stored_indexes(schema: Schema, table: str, mode: LockMode, b: _Builder) -> None:
    """The indexes of *table* with files of their own (a partitioned table's have none:
    TRUNCATE, REINDEX and a rewrite lock its partitions' instead; traced)."""
    known = schema.table(table)
    if known is None or not known.partitioned:
        _lock_indexes(schema, table, mode, b)


def _lock_indexes(schema: Schema, table: str, mode: LockMode, b: _Builder) -> None:
    for name in known_indexes(schema, table):
        _lock_index(name, mode, b)


def _lock_index(name: str, mode: LockMode, b: _Builder) -> None:
    """An index (or sequence) locked with its table (implied: findings name the table)."""
    if name not in b.locks:  # one the statement names itself stays named
        b.implied.append(name)
    b.lock(name, mode)


def _lock_sequence(name: str, mode: LockMode, b: _Builder) -> None:
    """A sequence locked with its table, or by a statement on it (implied: a finding names
    the table; nextval's RowExclusiveLock is all the application takes on it)."""
    _lock_index(name, mode, b)


def _column_indexes(schema: Schema, table: str, column: str) -> list[str]:
    """The indexes the history knows that DROP COLUMN of *column* drops with it."""
    found = [ix.name for ix in schema.indexes_of(table) if column in (*ix.columns, *ix.reads)]
    known = schema.table(table)
    if known is not None:
        found.extend(
            pgast.qualify(table.partition(".")[0], con.name)
            for con in known.constraints.values()
            if con.kind in ("primary", "unique", "exclusion") and column in con.columns
        )
    return found


def _index_table(schema: Schema, index: str) -> str:
    known = schema.indexes.get(index)
    return known.table if known else ""


# Statement kinds ``statement_effects`` can give table locks (rules that look at every lock
# dispatch on these; add a kind here when the model learns it).
LOCKING_STATEMENTS: tuple[str, ...] = (
    "AlterTableStmt",
    "IndexStmt",
    "DropStmt",
    "RenameStmt",
    "ReindexStmt",
    "VacuumStmt",
    "ClusterStmt",
    "TruncateStmt",
    "CreateTrigStmt",
    "UpdateStmt",
    "DeleteStmt",
    "InsertStmt",
    "MergeStmt",
    "LockStmt",
    "CreateStmt",
    "RefreshMatViewStmt",
    "ViewStmt",
    "AlterDomainStmt",
    "CreatePolicyStmt",
    "AlterPolicyStmt",
    "CommentStmt",
    "CreateTableAsStmt",
    "CreateStatsStmt",
)


def statement_effects(
    node: Node | None, schema: Schema, target: int, *, utc: bool = False
) -> Effects:
    """Locks, rewrites and scans of one top-level statement, before it is applied
    (*utc*: the file set the session's TimeZone to UTC, see ``TxState.utc``)."""
    b = _Builder()
    if not node:
        return b.build()
    kind = pgast.kind(node)
    fields = node[kind]
    if kind == "AlterTableStmt":
        if fields.get("missing_ok") and fields.get("objtype", "OBJECT_TABLE") == "OBJECT_TABLE":
            exists = schema.exists(f"table:{pgast.relation_name(fields.get('relation'))}")
            if exists is False:  # ALTER TABLE IF EXISTS of a table the history dropped
                return b.build()
            if exists is None:
                b.conditional.append(pgast.relation_name(fields.get("relation")))
        _alter_table(fields, schema, target, b, utc)
        if fields.get("objtype", "OBJECT_TABLE") == "OBJECT_TABLE" and _recurses(
            fields, schema, target
        ):
            _spread_to_partitions(schema, pgast.relation_name(fields.get("relation")), b)
    elif kind == "AlterDomainStmt":
        if domain_check(fields):  # every column of the domain is checked (traced)
            for table in schema.tables_using_type(pgast.object_name(fields.get("typeName") or [])):
                b.lock(table, LockMode.SHARE)
                b.scan(table)
    elif kind == "IndexStmt":
        relation = fields.get("relation") or {}
        rel = pgast.relation_name(relation)
        known = schema.table(rel)
        if fields.get("concurrent"):
            b.lock(rel, SUE)
            b.transactional = False
        else:
            b.lock(rel, LockMode.SHARE)
        if known is not None and known.partitioned:
            # the parent has no rows: each partition is locked and read (not with ON ONLY)
            if relation.get("inh"):
                for part in partitions_of(schema, rel):
                    b.lock(part, LockMode.SHARE)
                _build_on_partitions(schema, rel, statement_index(fields)[1], b)
        else:
            b.scan(rel)
    elif kind == "DropStmt":
        remove = fields.get("removeType", "")
        for obj in fields.get("objects") or ():
            before = set(b.locks)
            exists = _drop_target_exists(schema, remove, obj) if fields.get("missing_ok") else True
            if exists is False:  # IF EXISTS of what the history dropped: nothing is locked
                continue
            _drop_object(schema, fields, obj, b)
            if exists is None:  # locked only if it exists: the model cannot tell
                b.conditional.extend(rel for rel in b.locks if rel not in before)
    elif kind == "RenameStmt":
        rtype = fields.get("renameType", "")
        if fields.get("relation"):
            rel = pgast.relation_name(fields.get("relation"))
            b.lock(rel, SUE if rtype == "OBJECT_INDEX" and target >= 12 else AEL)
            if rtype == "OBJECT_INDEX" and target < 12:  # PG 12+: the table is not locked
                b.lock(_index_table(schema, rel), AEL)
            if rtype == "OBJECT_COLUMN" and fields["relation"].get("inh"):
                _spread_to_partitions(schema, rel, b)
    elif kind == "ReindexStmt":
        rel = pgast.relation_name(fields.get("relation"))
        concurrent = pgast.option_enabled(fields.get("params"), "concurrently")
        rkind = fields.get("kind", "")
        if rkind == "REINDEX_OBJECT_INDEX":
            table = _index_table(schema, rel)
            if concurrent:
                b.lock(table, SUE)
                b.lock(rel, SUE)
            else:
                b.lock(table, LockMode.SHARE)
                b.lock(rel, AEL)
            b.scan(table)
        elif rkind == "REINDEX_OBJECT_TABLE":
            b.lock(rel, SUE if concurrent else LockMode.SHARE)
            known = schema.table(rel)
            if not concurrent and not (known and known.partitioned):
                _lock_indexes(schema, rel, AEL, b)  # each index rebuilt in place (traced)
            b.scan(rel)
        elif rkind in ("REINDEX_OBJECT_SCHEMA", "REINDEX_OBJECT_DATABASE"):
            nsp = fields.get("name") if rkind == "REINDEX_OBJECT_SCHEMA" else None
            # each table is locked (PG 15 traced: one without an index too), indexed ones read
            indexed = set(_every_table(schema, nsp, indexed=True))
            for table in _every_table(schema, nsp, indexed=False):
                b.lock(table, SUE if concurrent else LockMode.SHARE)
                if not concurrent:  # each index rebuilt in place (traced)
                    _lock_stored_indexes(schema, table, AEL, b)
                if table in indexed:
                    b.scan(table)
                    _spread_to_partitions(schema, table, b)  # its leaves hold the rows
        owner = _index_table(schema, rel) if rkind == "REINDEX_OBJECT_INDEX" else rel
        if rkind in ("REINDEX_OBJECT_INDEX", "REINDEX_OBJECT_TABLE") and _reindex_partitions(
            schema, owner, b
        ):
            b.locks.pop(rel if rkind == "REINDEX_OBJECT_INDEX" else "", None)
            if not concurrent:  # each leaf's index rebuilt in its transaction (traced)
                _lock_leaf_indexes(schema, owner, rel if rkind == "REINDEX_OBJECT_INDEX" else "", b)
            concurrent = True  # one transaction per partition: not in a transaction block
        if concurrent or rkind in (
            "REINDEX_OBJECT_SCHEMA",
            "REINDEX_OBJECT_DATABASE",
            "REINDEX_OBJECT_SYSTEM",
        ):
            b.transactional = False
    elif kind == "VacuumStmt":
        full = pgast.option_enabled(fields.get("options"), "full")
        vacuum = bool(fields.get("is_vacuumcmd"))
        # each index of each table processed: VACUUM cleans it (RowExclusiveLock, INDEX_CLEANUP
        # off too), ANALYZE samples it (AccessShareLock); a partitioned table's own are not
        # opened, nor any with PROCESS_MAIN false (traced on 18 and 15, a blocked lock each)
        index_mode = LockMode.ROW_EXCLUSIVE if vacuum else LockMode.ACCESS_SHARE
        opened = full or not (vacuum and _option_off(fields.get("options"), "process_main"))
        if not fields.get("rels"):  # every table, each in its own transaction (traced)
            for table in _every_table(schema, None, indexed=False):
                b.lock(table, AEL if full else SUE)
                known = schema.table(table)
                if full:
                    b.rewrite(table)
                elif not (vacuum and known is not None and known.partitioned):
                    b.scan(table)
                if opened:
                    _lock_stored_indexes(schema, table, index_mode, b)
        for item in fields.get("rels") or ():
            rel = pgast.relation_name(pgast.unwrap(item, "VacuumRelation").get("relation"))
            if full:
                b.lock(rel, AEL)
                b.rewrite(rel)
            else:
                b.lock(rel, SUE)
                b.scan(rel)
            _spread_to_partitions(schema, rel, b, scan_partitioned=_analyzes(fields))
            if opened:
                for leaf in leaf_tables(schema, rel):
                    _lock_indexes(schema, leaf, index_mode, b)
        if vacuum:
            b.transactional = False
    elif kind == "ClusterStmt":
        if fields.get("relation"):
            tables = [pgast.relation_name(fields.get("relation"))]
        else:  # the previously clustered tables, each in its own transaction (traced)
            tables = list(dict.fromkeys(ix.table for ix in schema.indexes.values() if ix.clustered))
            b.transactional = False
        for rel in tables:
            b.lock(rel, AEL)
            b.rewrite(rel)
    elif kind == "TruncateStmt":
        for item in fields.get("relations") or ():
            rel = pgast.relation_name(pgast.unwrap(item, "RangeVar"))
            b.lock(rel, AEL)
            if fields.get("behavior") == "DROP_CASCADE":
                _lock_referencing(schema, rel, b, transitive=True)
            _spread_to_partitions(schema, rel, b)
        for rel in list(b.locks):  # each truncated table's indexes get new, empty files
            _lock_stored_indexes(schema, rel, AEL, b)
            if fields.get("restart_seqs"):  # RESTART IDENTITY: its sequences too (traced)
                for seq in schema.sequences_of(rel):
                    _lock_sequence(seq, AEL, b)
    elif kind == "CreateTrigStmt":
        b.lock(pgast.relation_name(fields.get("relation")), SRE)
        if fields.get("row"):  # a row trigger is cloned onto each partition (traced)
            _spread_to_partitions(schema, pgast.relation_name(fields.get("relation")), b)
    elif kind in ("UpdateStmt", "DeleteStmt", "InsertStmt", "MergeStmt"):
        rel = pgast.relation_name(fields.get("relation"))
        b.lock(rel, LockMode.ROW_EXCLUSIVE)
        if kind == "MergeStmt" or (
            kind in ("UpdateStmt", "DeleteStmt") and not _index_finds_rows(schema, rel, fields)
        ):
            b.scan(rel)
        for joined in _joined_tables(fields):  # UPDATE ... FROM / DELETE ... USING (traced)
            b.lock(joined, LockMode.ACCESS_SHARE)
            b.scan(joined)
        for source in read_relations(fields.get("sourceRelation") or {}):  # MERGE ... USING
            b.lock(source, LockMode.ACCESS_SHARE)
            b.scan(source)  # joined with the target, read in full (traced)
    elif kind == "LockStmt":
        mode = _LOCK_STMT_MODES.get(fields.get("mode", 8), AEL)
        for item in fields.get("relations") or ():
            b.lock(pgast.relation_name(pgast.unwrap(item, "RangeVar")), mode)
    elif kind == "CreateStmt":
        for elt in fields.get("tableElts") or ():
            for con in _inline_constraints(elt):
                if con.get("contype") == "CONSTR_FOREIGN":
                    ref = pgast.relation_name(con.get("pktable"))
                    b.lock(ref, SRE)
                    # a new table has no row to check: only the key's index is opened
                    keys = tuple(pgast.strings(con.get("pk_attrs")))
                    _foreign_key_created(schema, ref, keys, target, b)
        for elt in fields.get("tableElts") or ():  # LIKE: the source's definition is read
            like = pgast.unwrap(elt, "TableLikeClause")
            if like:
                b.lock(pgast.relation_name(like.get("relation")), LockMode.ACCESS_SHARE)
        for parent in fields.get("inhRelations") or ():
            parent_name = pgast.relation_name(pgast.unwrap(parent, "RangeVar"))
            # INHERITS: self-exclusive, so two children cannot race on relhassubclass
            b.lock(parent_name, AEL if fields.get("partbound") else SUE)
            bound = fields.get("partbound")
            if bound:
                _partitioned_indexes_extended(schema, parent_name, b)
            if bound and not bound.get("is_default"):
                _default_partition_checked(schema, parent_name, "", b)
    elif kind == "ViewStmt":
        view = pgast.relation_name(fields.get("view"))
        if fields.get("replace") and f"view:{view}" in schema.objects:
            b.lock(view, AEL)  # CREATE OR REPLACE of a view in use: every reader waits
        # the view's query is analysed: AccessShareLock on each relation it reads (traced)
        for rel in read_relations(fields.get("query") or {}):
            b.lock(rel, LockMode.ACCESS_SHARE)
    elif kind == "CreateTableAsStmt":
        _query_into(schema, fields.get("query") or {}, fields.get("into") or {}, target, b)
    elif kind == "SelectStmt" and fields.get("intoClause"):  # CREATE TABLE AS, spelt SELECT INTO
        query = {k: v for k, v in fields.items() if k != "intoClause"}
        _query_into(schema, query, fields["intoClause"], target, b)
    elif kind == "CreateStatsStmt":
        for item in fields.get("relations") or ():
            b.lock(pgast.relation_name(pgast.unwrap(item, "RangeVar")), SUE)
    elif kind == "RefreshMatViewStmt":
        rel = pgast.relation_name(fields.get("relation"))
        b.lock(rel, LockMode.EXCLUSIVE if fields.get("concurrent") else AEL)
        if not fields.get("skipData"):  # the view's query runs again (traced, 18 and 15)
            for read in schema.view_reads.get(rel, ()):
                b.lock(read, LockMode.ACCESS_SHARE)
                _query_reads(schema, read, target, b)
        if fields.get("concurrent"):
            b.scan(rel)  # compares the new result with the rows in place (traced)
            # and applies the difference: RowExclusiveLock on each index (traced, 18 and 15)
            _lock_indexes(schema, rel, LockMode.ROW_EXCLUSIVE, b)
        else:
            b.rewrite(rel)
    elif kind in ("CreatePolicyStmt", "AlterPolicyStmt"):
        b.lock(pgast.relation_name(fields.get("table")), AEL)
    elif kind == "CommentStmt":
        _comment(fields, b)
    elif kind in ("AlterSeqStmt", "CreateSeqStmt"):
        if kind == "AlterSeqStmt":  # (a sequence nobody names in a finding: implied)
            _lock_sequence(pgast.relation_name(fields.get("sequence")), SRE, b)
        owning = _owned_by_table(fields)
        if owning:
            b.lock(owning, LockMode.ACCESS_SHARE)  # OWNED BY reads the column (traced)
    elif kind == "CreatedbStmt" or kind == "DropdbStmt" or kind == "AlterSystemStmt":
        b.transactional = False
    for rel in list(b.rewrites):  # a rewritten table's indexes are rebuilt (traced)
        _lock_indexes(schema, rel, AEL, b)
    return b.build()


def _query_into(schema: Schema, query: Node, into: Node, target: int, b: _Builder) -> None:
    """CREATE TABLE / MATERIALIZED VIEW ... AS, SELECT ... INTO: the query runs, with
    AccessShareLock on what it reads, read in full (a partitioned table's partitions) and
    planned (:func:`plan_reads`) unless WITH NO DATA, which plans nothing (traced on 18 and
    15)."""
    for rel in read_relations(query):
        b.lock(rel, LockMode.ACCESS_SHARE)
        if not into.get("skipData"):
            _query_reads(schema, rel, target, b)


def _query_reads(schema: Schema, rel: str, target: int, b: _Builder) -> None:
    """A query that runs reads *rel* in full: a scan (of its partitions too) and the
    indexes its plan opens (:func:`plan_reads`)."""
    b.scan(rel)
    _spread_to_partitions(schema, rel, b)
    plan_reads(schema, rel, target, b)


def _drop_object(schema: Schema, fields: Node, obj: Node, b: _Builder) -> None:
    """The locks of dropping one object *obj* of the DROP statement *fields*."""
    remove = fields.get("removeType", "")
    concurrent = bool(fields.get("concurrent"))
    name = pgast.object_name(obj)
    if remove == "OBJECT_INDEX":
        table = _index_table(schema, name)
        b.lock(table, SUE if concurrent else AEL)
        b.lock(name, AEL)
        for child in schema.index_descendants(name):  # the partitions' go with it (traced)
            _lock_index(child.name, AEL, b)
        index = schema.indexes.get(name)
        if index is not None and index.unique and fields.get("behavior") == "DROP_CASCADE":
            # the foreign keys that use it go too, their triggers with them (traced)
            for other, _ in schema.foreign_keys_to(index.table, index.columns, exact=True):
                b.lock(other, AEL)
        _spread_to_partitions(schema, table, b)  # a partitioned index's are dropped
        if concurrent:
            b.transactional = False
    elif remove in (
        "OBJECT_TABLE",
        "OBJECT_VIEW",
        "OBJECT_MATVIEW",
        "OBJECT_SEQUENCE",
        "OBJECT_FOREIGN_TABLE",
    ):
        b.lock(name, AEL)
        if remove in ("OBJECT_TABLE", "OBJECT_MATVIEW"):
            # dropped with it, and its partitions' with them (traced)
            for table in (name, *partitions_of(schema, name)):
                _lock_indexes(schema, table, AEL, b)
            for seq in schema.sequences_of(name):  # its sequences too (traced)
                _lock_sequence(seq, AEL, b)
        if remove == "OBJECT_SEQUENCE" and fields.get("behavior") == "DROP_CASCADE":
            for table, _ in schema.nextval_users(name):  # the defaults calling it (traced)
                b.lock(table, AEL)
        _lock_referenced(schema, name, b)
        _spread_to_partitions(schema, name, b)
        _lock_partition_parent(schema, name, b)
        if fields.get("behavior") == "DROP_CASCADE":
            _lock_referencing(schema, name, b, transitive=False)
    elif remove in ("OBJECT_TRIGGER", "OBJECT_POLICY", "OBJECT_RULE"):
        b.lock(_owning_relation(obj), AEL)  # on the table it belongs to (traced)
    elif remove == "OBJECT_SCHEMA" and fields.get("behavior") == "DROP_CASCADE":
        # every relation in it goes, each under its own AccessExclusiveLock (traced)
        nsp = pgast.unwrap(obj, "String").get("sval", "")
        for key in schema.objects:  # its sequences, a table's own among them (traced)
            if key.startswith(f"sequence:{nsp}."):
                _lock_sequence(key.split(":", 1)[1], AEL, b)
        for member in schema.tables.values():
            if member.known and member.name.startswith(f"{nsp}."):
                b.lock(member.name, AEL)
                _lock_indexes(schema, member.name, AEL, b)  # dropped with it (traced)
                _lock_referenced(schema, member.name, b)
                # the foreign keys to it from tables outside the schema go too
                _lock_referencing(schema, member.name, b, transitive=False)


def _lock_partition_parent(schema: Schema, rel: str, b: _Builder) -> None:
    """Dropping partition *rel*: AccessExclusiveLock on its parent, and on the parent's
    DEFAULT partition, whose implicit bound widens (traced on 15 and 18)."""
    table = schema.table(rel)
    parent = table.partition_of if table is not None else None
    if parent is None:
        return
    b.lock(parent, AEL)
    default = default_partition_of(schema, parent)
    if default is not None and default != rel:
        b.lock(default, AEL)


def _drop_target_exists(schema: Schema, remove: str, obj: Node) -> bool | None:
    """Whether the object a ``DROP ... IF EXISTS`` names exists (:meth:`Schema.exists`);
    a trigger or policy when its table does."""
    name = pgast.object_name(obj)
    if remove in ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE"):
        return schema.exists(f"table:{name}")
    if remove == "OBJECT_INDEX":
        return schema.exists(f"index:{name}")
    if remove in ("OBJECT_VIEW", "OBJECT_MATVIEW"):
        return schema.exists(f"view:{name}")
    if remove == "OBJECT_SEQUENCE":
        return schema.exists(f"sequence:{name}")
    if remove in ("OBJECT_TRIGGER", "OBJECT_POLICY", "OBJECT_RULE"):
        table = schema.exists(f"table:{_owning_relation(obj)}")
        if table is False:
            return False
        if remove == "OBJECT_TRIGGER":
            trigger = pgast.strings(pgast.unwrap(obj, "List").get("items"))[-1:]
            found = schema.exists(f"trigger:{trigger[0]}") if trigger else None
            return None if found is True and table is None else found
        return None
    if remove == "OBJECT_SCHEMA":
        return schema.exists(f"schema:{pgast.unwrap(obj, 'String').get('sval', '')}")
    return None


def _every_table(schema: Schema, nsp: str | None, *, indexed: bool) -> list[str]:
    """The tables and materialized views the history knows (in schema *nsp*; with an index),
    for the statements that visit each: ANALYZE or VACUUM without a table, REINDEX SCHEMA /
    DATABASE. A materialized view is known by its indexes (the schema model records it as a
    view)."""
    keyed = {"primary", "unique", "exclusion"}
    with_index = {ix.table for ix in schema.indexes.values()} | {
        t.name
        for t in schema.tables.values()
        if any(c.kind in keyed for c in t.constraints.values())
    }
    plain = {t.name for t in schema.tables.values() if t.known}
    found = with_index & (plain | {k[5:] for k in schema.objects if k.startswith("view:")})
    if not indexed:
        found |= plain
    return sorted(n for n in found if nsp is None or n.startswith(f"{nsp}."))


def read_relations(query: Node) -> list[str]:
    """The relations a query names, less its own CTEs."""
    ctes: set[str | None] = set()
    read: list[Node] = []
    for n in pgast.walk(query):
        if "RangeVar" in n:
            read.append(n["RangeVar"])
        elif "CommonTableExpr" in n:
            ctes.add(n["CommonTableExpr"].get("ctename"))
    return [
        pgast.relation_name(var)
        for var in read
        if var.get("schemaname") or var.get("relname") not in ctes
    ]


def _owning_relation(obj: Node) -> str:
    """The table of a trigger, policy, rule or column named ``[schema.]table.name``."""
    names = pgast.strings(pgast.unwrap(obj, "List").get("items"))[:-1]
    return pgast.qualify(names[-2] if len(names) > 1 else None, names[-1]) if names else ""


_COMMENT_ON_RELATION = frozenset(
    {"OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_FOREIGN_TABLE", "OBJECT_INDEX"}
)
_COMMENT_ON_TABLE_OBJECT = frozenset(
    {"OBJECT_TRIGGER", "OBJECT_TABCONSTRAINT", "OBJECT_POLICY", "OBJECT_RULE"}
)


def _owned_by_table(fields: Node) -> str | None:
    """The table of a sequence's ``OWNED BY table.column``."""
    for item in fields.get("options") or ():
        opt = pgast.unwrap(item, "DefElem")
        if opt.get("defname") == "owned_by":
            names = pgast.strings(pgast.unwrap(opt.get("arg") or {}, "List").get("items"))
            if len(names) >= 2:
                return pgast.qualify(names[-3] if len(names) > 2 else None, names[-2])
    return None


def _comment(fields: Node, b: _Builder) -> None:
    """COMMENT ON: ShareUpdateExclusiveLock on a relation (or a column's table), an
    AccessShareLock on the table of a trigger, constraint, policy or rule (traced)."""
    objtype = fields.get("objtype", "")
    obj = fields.get("object") or {}
    if objtype in _COMMENT_ON_RELATION:
        b.lock(pgast.object_name(obj), SUE)
    elif objtype == "OBJECT_COLUMN":
        b.lock(_owning_relation(obj), SUE)
    elif objtype in _COMMENT_ON_TABLE_OBJECT:
        b.lock(_owning_relation(obj), LockMode.ACCESS_SHARE)
    elif objtype == "OBJECT_SEQUENCE":  # (blocks no nextval: implied)
        _lock_sequence(pgast.object_name(obj), SUE, b)


def _reindex_partitions(schema: Schema, table: str, b: _Builder) -> bool:
    """REINDEX of a partitioned table or index: each leaf partition's, one transaction each,
    after a first transaction that lists every partition under ShareLock (the partitioned
    ones below *table* too: seen on PostgreSQL 15 and 18, briefly; PostgreSQL's isolation
    test ``reindex-partitions`` shows a DROP of a partition waiting for it)."""
    known = schema.table(table)
    if known is None or not known.partitioned:
        return False
    _spread_to_partitions(schema, table, b)
    return True


def _lock_leaf_indexes(schema: Schema, table: str, index: str, b: _Builder) -> None:
    """REINDEX of partitioned *table* or of its partitioned *index*: the leaf partitions'
    indexes (those below *index*) are rebuilt, each under AccessExclusiveLock in its leaf's
    transaction. REINDEX INDEX's first transaction takes AccessExclusiveLock on *index* and
    lists the indexes below it under ShareLock (traced on 18 and 15; all brief)."""
    if index:
        _lock_index(index, AEL, b)
        for child in schema.index_descendants(index):
            known = schema.table(child.table)
            leaf = known is None or not known.partitioned
            _lock_index(child.name, AEL if leaf else LockMode.SHARE, b)
        return
    for part in leaf_tables(schema, table):
        _lock_indexes(schema, part, AEL, b)


def _option_off(options: Sequence[Node] | None, name: str) -> bool:
    """Whether ``DefElem`` option *name* is given and off (``(PROCESS_MAIN false)``)."""
    given = any(pgast.unwrap(o, "DefElem").get("defname") == name for o in options or ())
    return given and not pgast.option_enabled(options, name)


def _analyzes(fields: Node) -> bool:
    """ANALYZE, or VACUUM (ANALYZE)."""
    return not fields.get("is_vacuumcmd") or pgast.option_enabled(fields.get("options"), "analyze")


def _inline_constraints(elt: Node) -> list[Node]:
    col = pgast.unwrap(elt, "ColumnDef")
    if col:
        return list(pgast.column_constraints(col))
    con = pgast.unwrap(elt, "Constraint")
    return [con] if con else []


_LOCK_STMT_MODES = {
    1: LockMode.ACCESS_SHARE,
    2: LockMode.ROW_SHARE,
    3: LockMode.ROW_EXCLUSIVE,
    4: LockMode.SHARE_UPDATE_EXCLUSIVE,
    5: LockMode.SHARE,
    6: LockMode.SHARE_ROW_EXCLUSIVE,
    7: LockMode.EXCLUSIVE,
    8: LockMode.ACCESS_EXCLUSIVE,
}
