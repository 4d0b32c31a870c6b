"""The indexes PostgreSQL creates on partitions by itself, folded into the schema model.

An index (or PRIMARY KEY / UNIQUE / EXCLUDE constraint) of a partitioned table has an index
on every partition, attached to it: PostgreSQL attaches a partition's index of the same
definition when there is one, and otherwise creates one, named by ``ChooseIndexName``
(:mod:`linter.sql.names`). It does so at CREATE INDEX (on each existing partition),
at CREATE TABLE ... PARTITION OF and at ATTACH PARTITION; DETACH PARTITION detaches them,
DROP INDEX of the partitioned index drops them. Verified on PostgreSQL 18 and 15
(tests/test_partition_indexes.py).
"""

from __future__ import annotations

from dataclasses import replace

from ..lockmodel.schema import Index, Schema
from ..sql import pgast
from ..sql.names import choose_index_name


def direct_partitions(schema: Schema, table: str) -> list[str]:
    """The partitions directly below *table* (not their own partitions)."""
    return [t.name for t in schema.tables.values() if t.partition_of == table]


def to_partitions(schema: Schema, index: Index) -> Schema:
    """Partitioned *index* on each partition of its table (see :func:`attach_or_clone`)."""
    for part in direct_partitions(schema, index.table):
        schema = attach_or_clone(schema, index, part)
    return schema


def attach_or_clone(schema: Schema, parent: Index, partition: str) -> Schema:
    """The partition *partition* gets the partitioned index *parent*: its own index of the
    same definition (behind the same kind of constraint, when *parent* is) is attached;
    without one PostgreSQL creates one and names it (on a partitioned partition, below it
    too)."""
    own = schema.matching_index(partition, parent.signature, parent.constraint)
    if own is not None:
        return schema.put_index(replace(own, parent=parent.name))
    nsp, _, base = partition.partition(".")

    def taken(name: str) -> bool:
        qualified = pgast.qualify(nsp, name)
        return schema.relation_name_taken(qualified) or (
            bool(parent.constraint) and schema.constraint_named(nsp, name)
        )

    name = pgast.qualify(nsp, choose_index_name(base, parent.colnames, parent.constraint, taken))
    clone = replace(
        parent, name=name, table=partition, file=schema.file, parent=parent.name, clustered=False
    )
    return to_partitions(schema.put_index(clone), clone)


def adopt_parent_indexes(schema: Schema, parent: str, partition: str) -> Schema:
    """CREATE TABLE ... PARTITION OF / ATTACH PARTITION: every index of *parent* on the
    new partition."""
    for index in schema.indexes_of(parent):
        schema = attach_or_clone(schema, index, partition)
    return schema


def detach_indexes(schema: Schema, parent: str, partition: str) -> Schema:
    """DETACH PARTITION: the partition's indexes attached to *parent*'s are detached."""
    theirs = {ix.name for ix in schema.indexes_of(parent)}
    for own in schema.indexes_of(partition):
        if own.parent in theirs:
            schema = schema.put_index(replace(own, parent=None))
    return schema


def drop_with_descendants(schema: Schema, name: str) -> Schema:
    """DROP of index *name*: the partitions' indexes attached below it go too."""
    for child in schema.index_descendants(name):
        schema = schema.drop_index(child.name).mark_absent(f"index:{child.name}")
    return schema.drop_index(name)


def renamed_parent(schema: Schema, old: str, new: str) -> Schema:
    """RENAME of partitioned index *old*: its partitions' indexes stay attached to it."""
    for child in schema.index_children(old):
        schema = schema.put_index(replace(child, parent=new))
    return schema
