"""``@record``: a frozen, slotted dataclass whose ``==``, ``hash()`` and ``repr()`` are shared.

``dataclasses.dataclass`` writes the source of ``__eq__``, ``__hash__`` and ``__repr__``
for each class and compiles it with ``exec`` when the class is defined. For the ~50
records a one-file ``sqlsafe lint`` defines, that compiling was a tenth of the run
(``docs/performance.md``, "What `sqlsafe lint` imports"). A record gets the same
``__init__``, immutability, slots, ``__match_args__``, ``fields()`` and ``replace()`` from
``dataclass(frozen=True, slots=True)``, and the three methods below, which read the
fields through one ``operator.attrgetter`` per class (built in C, no ``exec``). They
behave as the generated ones: ``==`` only between instances of the same class, over
the fields with ``compare=True``; ``hash()`` over the fields that ``dataclass`` would
hash; ``repr()`` of the fields with ``repr=True``. A method the class defines itself is
kept.
"""

from __future__ import annotations

from dataclasses import Field, dataclass, field, fields
from operator import attrgetter

TYPE_CHECKING = False  # (not ``typing``'s: importing ``typing`` costs ~3 ms at start)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    from typing_extensions import dataclass_transform  # (stubs only: never imported)

    _T = TypeVar("_T")
else:

    def dataclass_transform(**_options: object) -> object:
        return lambda decorator: decorator


def _getter(names: list[str]) -> Callable[[Any], Any]:
    """One value that stands for the named fields: equal exactly when every field is."""
    if len(names) > 1:
        return attrgetter(*names)
    get = attrgetter(*names) if names else None
    return lambda record: (get(record),) if get else ()


def _hashed(f: Field[Any]) -> bool:
    return f.compare if f.hash is None else f.hash


def _eq(self: Any, other: Any) -> bool:
    if other.__class__ is self.__class__:
        key = self.__class__.__record_compare__
        return bool(key(self) == key(other))
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(self.__class__.__record_hash__(self))


def _repr(self: Any) -> str:
    cls = self.__class__
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in cls.__record_repr__)
    return f"{cls.__qualname__}({shown})"


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[_T]) -> type[_T]:
    """*cls* as ``dataclass(frozen=True, slots=True)`` with the shared methods above."""
    own = {name for name in ("__eq__", "__hash__", "__repr__") if name in cls.__dict__}
    made: Any = dataclass(frozen=True, slots=True, eq=False, repr=False)(cls)
    all_fields = fields(made)
    made.__record_compare__ = _getter([f.name for f in all_fields if f.compare])
    made.__record_hash__ = _getter([f.name for f in all_fields if _hashed(f)])
    made.__record_repr__ = tuple(f.name for f in all_fields if f.repr)
    for name, method in (("__eq__", _eq), ("__hash__", _hash), ("__repr__", _repr)):
        if name not in own:
            setattr(made, name, method)
    return made
