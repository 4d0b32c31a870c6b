"""The existing objects a DROP statement removes (shared by the drop-* rules)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from ..sql import pgast
from ..sql.parsing import Statement
from ..sql.pgast import Node
from .context import Context
from .fold import object_key, rename_keys, rename_source_key, renamed_name
from .lookahead import LookAhead


@dataclass(frozen=True, slots=True)
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
        if key is None or ctx.schema.is_new_object(key):
            continue
        redefined = redefined_in_file(ctx.file.ahead, ctx.statement.index, key)
        yield DroppedObject(what, key, cascade, redefined, ctx.reverses("object", key), obj)


def redefined_in_file(ahead: LookAhead, index: int, key: str) -> bool:
    """Whether dropping *key* at statement *index* is part of redefining it in the same file.

    True when the file creates the name again after the drop (``DROP VIEW v; CREATE VIEW v``),
    or when the dropped name came from a rename earlier in the file whose old name the file
    creates again (``ALTER TYPE t RENAME TO t_old; CREATE TYPE t ...; DROP TYPE t_old``).
    """
    if ahead.created_after(key, index):
        return True
    return any(
        at < index and ahead.created_after(source, at)
        for at, source in ahead.indexed("fold:renamed-to", _renamed_to).get(key, ())
    )


def _renamed_to(statements: Sequence[Statement]) -> dict[str, list[tuple[int, str]]]:
    """Key a rename of the file gives -> ``(statement index, the key it had)``, in file
    order (once per file: a walk of the earlier statements for every DROP was quadratic)."""
    out: dict[str, list[tuple[int, str]]] = {}
    for stmt in statements:
        fields = pgast.unwrap(stmt.node or {}, "RenameStmt")
        source = rename_source_key(fields) if fields else None
        if source is not None:
            key = f"{source.split(':', 1)[0]}:{renamed_name(fields)}"
            out.setdefault(key, []).append((stmt.index, source))
    return out
