"""A persistent (immutable, structure-sharing) mapping that keeps ``dict`` order.

The schema model is a value: every statement of a history yields a new one, and a rule's
context keeps the one from before its statement.  Copying plain dictionaries on every change
costs O(size) per statement, O(n²) over a long history.  :class:`PMap` shares structure
instead: the entries live in :data:`BUCKETS` small dictionaries chosen by key hash, so a
change copies one bucket and the tuple of buckets, and lookups cost two indexing steps.

Iteration follows ``dict`` semantics exactly (first insertion order; a key deleted and set
again moves to the end): every entry carries the sequence number of its insertion.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar, overload

K = TypeVar("K")
V = TypeVar("V")
D = TypeVar("D")

BUCKETS = 256
SMALL = 32  # up to this many entries, a map is one plain dict (copied on change)
_MASK = BUCKETS - 1
_EMPTY: dict[Any, tuple[int, Any]] = {}  # shared by every empty bucket; never mutated
_EMPTY_ROOT: tuple[dict[Any, tuple[int, Any]], ...] = (_EMPTY,) * BUCKETS


class PMap(Mapping[K, V], Generic[K, V]):
    """An immutable mapping; :meth:`set` and :meth:`delete` return new maps.

    Small maps are one ``dict`` (``_small``); larger ones are :data:`BUCKETS` dictionaries
    of ``key -> (insertion rank, value)`` (``_root``).
    """

    __slots__ = ("_len", "_next", "_order", "_root", "_small")

    _small: dict[K, V] | None
    _root: tuple[dict[K, tuple[int, V]], ...]
    _len: int
    _next: int
    _order: list[K] | None

    def __init__(self, items: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        small = dict(items)
        self._small = small
        self._root = _EMPTY_ROOT
        self._len = len(small)
        self._next = 0
        self._order = None
        if len(small) > SMALL:
            self._grow(small)

    def _grow(self, small: dict[K, V]) -> None:
        buckets: list[dict[K, tuple[int, V]]] = list(_EMPTY_ROOT)
        for seq, (key, value) in enumerate(small.items()):
            i = hash(key) & _MASK
            bucket = buckets[i]
            if bucket is _EMPTY:
                bucket = buckets[i] = {}
            bucket[key] = (seq, value)
        self._small = None
        self._root = tuple(buckets)
        self._len = self._next = len(small)

    @classmethod
    def _make(
        cls,
        small: dict[K, V] | None,
        root: tuple[dict[K, tuple[int, V]], ...],
        length: int,
        nxt: int,
    ) -> PMap[K, V]:
        new: PMap[K, V] = cls.__new__(cls)
        new._small = small
        new._root = root
        new._len = length
        new._next = nxt
        new._order = None
        return new

    # -- Mapping --------------------------------------------------------------------------
    def __getitem__(self, key: K) -> V:
        small = self._small
        if small is not None:
            return small[key]
        entry = self._root[hash(key) & _MASK].get(key)
        if entry is None:
            raise KeyError(key)
        return entry[1]

    @overload
    def get(self, key: K) -> V | None: ...

    @overload
    def get(self, key: K, default: D) -> V | D: ...

    def get(self, key: K, default: Any = None) -> Any:
        small = self._small
        if small is not None:
            return small.get(key, default)
        entry = self._root[hash(key) & _MASK].get(key)
        return default if entry is None else entry[1]

    def __contains__(self, key: object) -> bool:
        small = self._small
        if small is not None:
            return key in small
        return key in self._root[hash(key) & _MASK]

    def __len__(self) -> int:
        return self._len

    def _keys_in_order(self) -> list[K]:
        order = self._order
        if order is None:
            entries = [(seq, key) for bucket in self._root for key, (seq, _) in bucket.items()]
            entries.sort(key=lambda e: e[0])
            order = self._order = [key for _, key in entries]
        return order

    def __iter__(self) -> Iterator[K]:
        small = self._small
        if small is not None:
            return iter(small)
        return iter(self._keys_in_order())

    def __repr__(self) -> str:
        return f"PMap({dict(self.items())!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), list(self.items())))

    # -- persistent updates -----------------------------------------------------------------
    def seq(self, key: K) -> int:
        """Insertion rank of *key* (what orders iteration); ``-1`` when absent."""
        small = self._small
        if small is not None:
            for rank, name in enumerate(small):
                if name == key:
                    return rank
            return -1
        entry = self._root[hash(key) & _MASK].get(key)
        return -1 if entry is None else entry[0]

    def set(self, key: K, value: V) -> PMap[K, V]:
        small = self._small
        if small is not None:
            if key in small and small[key] is value:
                return self
            new_small = dict(small)
            new_small[key] = value
            if len(new_small) > SMALL:
                return type(self)(new_small)
            return self._make(new_small, _EMPTY_ROOT, len(new_small), 0)
        i = hash(key) & _MASK
        bucket = self._root[i]
        old = bucket.get(key)
        if old is not None and old[1] is value:
            return self
        new_bucket = dict(bucket)
        root = list(self._root)
        root[i] = new_bucket
        if old is None:
            new_bucket[key] = (self._next, value)
            return self._make(None, tuple(root), self._len + 1, self._next + 1)
        new_bucket[key] = (old[0], value)
        made = self._make(None, tuple(root), self._len, self._next)
        made._order = self._order  # same keys, same order
        return made

    def rename(self, old: K, new: K, value: V) -> PMap[K, V]:
        """The map with *old* replaced by *new* (bound to *value*) at *old*'s place in the
        iteration order, as ``{(new if k == old else k): v ...}`` then ``[new] = value``
        would make it; *self* when *old* is absent. Costs one or two buckets, not a copy."""
        small = self._small
        if small is not None:
            if old not in small:
                return self
            renamed = {(new if k == old else k): v for k, v in small.items()}
            renamed[new] = value
            return self._make(renamed, _EMPTY_ROOT, len(renamed), 0)
        entry = self._root[hash(old) & _MASK].get(old)
        if entry is None:
            return self
        rank = entry[0]
        other = self._root[hash(new) & _MASK].get(new)
        if other is not None and new != old:
            rank = min(rank, other[0])
        root = list(self._root)
        length = self._len
        for key in (old, new):
            i = hash(key) & _MASK
            if key in root[i]:
                bucket = dict(root[i])
                del bucket[key]
                root[i] = bucket if bucket else _EMPTY
                length -= 1
        i = hash(new) & _MASK
        bucket = dict(root[i])
        bucket[new] = (rank, value)
        root[i] = bucket
        return self._make(None, tuple(root), length + 1, self._next)

    def delete(self, key: K) -> PMap[K, V]:
        small = self._small
        if small is not None:
            if key not in small:
                return self
            new_small = dict(small)
            del new_small[key]
            return self._make(new_small, _EMPTY_ROOT, len(new_small), 0)
        i = hash(key) & _MASK
        bucket = self._root[i]
        if key not in bucket:
            return self
        new_bucket = dict(bucket)
        del new_bucket[key]
        root = list(self._root)
        root[i] = new_bucket if new_bucket else _EMPTY
        return self._make(None, tuple(root), self._len - 1, self._next)


def _rebuild(cls: type[PMap[Any, Any]], items: list[tuple[Any, Any]]) -> PMap[Any, Any]:
    return cls(items)
