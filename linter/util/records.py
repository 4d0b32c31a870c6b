"""``@record``: a frozen, slotted dataclass that costs one compiled function to define.

``dataclass(frozen=True, slots=True)`` writes the source of six methods for each class
(``__init__``, ``__setattr__``, ``__delattr__``, ``__eq__``, ``__hash__``, ``__repr__``) and
compiles each with ``exec`` when the class is defined. A one-file ``sqlsafe lint``
defines ~50 records, and that compiling was a third of its CPU after the interpreter's
start (``docs/performance.md``, "What `sqlsafe lint` imports"). A record is still a
dataclass (``fields()``, ``replace()``, ``__match_args__``, slots, pickling), built by
``dataclass(slots=True)`` with none of those methods; then:

- ``__init__`` is compiled for the class, as the frozen dataclass's is: each field set
  with ``object.__setattr__``, defaults and ``default_factory`` as ``dataclass`` applies
  them, then ``__post_init__()`` when the class has one;
- ``__setattr__`` and ``__delattr__`` are shared and raise ``FrozenInstanceError``;
  ``__getstate__`` / ``__setstate__`` (for ``pickle`` and ``copy``) are shared;
- ``==``, ``hash()`` and ``repr()`` are shared and read the fields through one
  ``operator.attrgetter`` per class (built in C, no ``exec``): ``==`` only between
  instances of the same class, over the fields with ``compare=True``; ``hash()`` over
  the fields ``dataclass`` would hash; ``repr()`` of the fields with ``repr=True``.

A method the class defines itself is kept. A field ``__init__`` does not take
(``init=False``), a keyword-only field or an ``InitVar`` is refused: declare such a class
with ``dataclass(frozen=True, slots=True)``. ``tests/test_records.py`` checks all of this
against ``dataclass``.
"""

from __future__ import annotations

from dataclasses import MISSING, Field, FrozenInstanceError, InitVar, dataclass, field, fields
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


def _setattr(self: Any, name: str, value: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, f.name) for f in fields(self)]


def _setstate(self: Any, state: list[Any]) -> None:
    for f, value in zip(fields(self), state, strict=True):
        object.__setattr__(self, f.name, value)


_FACTORY = object()  # (the default of a parameter whose field has a default_factory)


def _init(cls: type, all_fields: tuple[Field[Any], ...]) -> Any:
    """The frozen dataclass's ``__init__`` for *all_fields*, compiled in one ``exec``."""
    scope: dict[str, Any] = {"_set": object.__setattr__, "_FACTORY": _FACTORY}
    params, body = ["self"], []
    for f in all_fields:
        value = f.name
        if f.default is not MISSING:
            scope[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        elif f.default_factory is not MISSING:
            scope[f"_factory_{f.name}"] = f.default_factory
            params.append(f"{f.name}=_FACTORY")
            value = f"_factory_{f.name}() if {f.name} is _FACTORY else {f.name}"
        else:
            params.append(f.name)
        body.append(f"  _set(self, {f.name!r}, {value})")
    if hasattr(cls, "__post_init__"):
        body.append("  self.__post_init__()")
    source = f"def __init__({', '.join(params)}):\n" + ("\n".join(body) or "  pass") + "\n"
    exec(source, scope)  # (the source is built above from the fields' names)
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _is_initvar(f: Field[Any]) -> bool:
    kind = f.type
    return isinstance(kind, InitVar) or kind is InitVar or "InitVar" in str(kind)


def _refused(all_fields: tuple[Field[Any], ...], initvars: int) -> str | None:
    """Why ``_init`` cannot build the class's ``__init__``, if it cannot."""
    if initvars:
        return "an InitVar field"
    for f in all_fields:
        if not f.init or f.kw_only:
            return f"field {f.name!r} is init=False or keyword-only"
    return None


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[_T]) -> type[_T]:
    """*cls* as ``dataclass(frozen=True, slots=True)``, defined as described above."""
    own = {name for name in ("__eq__", "__hash__", "__repr__") if name in cls.__dict__}
    documented = bool(cls.__dict__.get("__doc__"))
    if not documented:  # (else dataclass asks inspect for a signature: ~5 ms at first)
        cls.__doc__ = cls.__name__
    made: Any = dataclass(slots=True, init=False, eq=False, repr=False)(cls)
    all_fields = fields(made)
    # (``fields`` leaves out the InitVar pseudo-fields, which are parameters of __init__)
    initvars = sum(1 for f in made.__dataclass_fields__.values() if _is_initvar(f))
    problem = _refused(all_fields, initvars)
    if problem is not None:
        raise TypeError(f"@record {cls.__qualname__}: {problem}; use dataclass(frozen=True)")
    made.__init__ = _init(made, all_fields)
    made.__setattr__, made.__delattr__ = _setattr, _delattr
    made.__getstate__, made.__setstate__ = _getstate, _setstate
    if not documented:  # (what ``dataclass`` writes: the class and its fields)
        made.__doc__ = f"{made.__name__}({', '.join(f.name for f in all_fields)})"
    made.__record_compare__ = _getter([f.name for f in all_fields if f.compare])
    made.__record_hash__ = _getter([f.name for f in all_fields if _hashed(f)])
    made.__record_repr__ = tuple(f.name for f in all_fields if f.repr)
    for name, method in (("__eq__", _eq), ("__hash__", _hash), ("__repr__", _repr)):
        if name not in own:
            setattr(made, name, method)
    return made
