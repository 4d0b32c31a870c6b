"""The existing objects a DROP statement removes (shared by the drop-* rules)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..sql import pgast
from ..sql.pgast import Node
from ..util.records import record
from .context import Context
from .fold import object_key, rename_keys
from .lookahead import redefined_in_file


@record
class DroppedObject:
    kind: str  # how the rule names it: "view", "materialized view", "function"...
    key: str  # the schema model's key ("view:public.v")
    cascade: bool
    redefined: bool  # created again later in the same file
    # a down migration drops what its paired up migration created (``Context.reverses``)
    undone: bool = False
    node: Node | None = None  # the object as the DROP names it (where a finding points)

    @property
    def name(self) -> str:
        return self.key.split(":", 1)[1]


def renames_back(node: Node, ctx: Context) -> bool:
    """In a down migration, the RenameStmt *node* gives back a name its up renamed away."""
    keys = rename_keys(node)
    return keys is not None and ctx.reverses("rename", *keys)


def dropped_existing(node: Node, ctx: Context, kinds: Mapping[str, str]) -> Iterator[DroppedObject]:
    """Objects of *kinds* (``removeType`` -> name) that *node* drops and this file did not
    create (objects created earlier in the same file are new: dropping them harms no one)."""
    fields = pgast.unwrap(node)
    remove = fields.get("removeType", "")
    what = kinds.get(remove)
    if what is None:
        return
    cascade = fields.get("behavior") == "DROP_CASCADE"
    for obj in fields.get("objects") or ():
        key = object_key(remove, obj)
        if key is None or ctx.schema.is_new_object(key) or ctx.gone(fields, key):
            continue
        redefined = redefined_in_file(ctx.file.ahead, ctx.statement.index, key)
        yield DroppedObject(what, key, cascade, redefined, ctx.reverses("object", key), obj)
