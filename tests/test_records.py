"""``@record`` behaves as ``dataclass(frozen=True, slots=True)`` does, with one compiled
``__init__`` per class and every other method shared."""

from __future__ import annotations

import copy
import pickle
from dataclasses import FrozenInstanceError, InitVar, dataclass, field, fields, replace

import pytest

from linter.util.records import record


@record
class Point:
    x: int
    y: int = 0
    note: str = field(default="", compare=False)
    cached: tuple[int, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Reference:
    x: int
    y: int = 0
    note: str = field(default="", compare=False)
    cached: tuple[int, ...] = field(default=(), repr=False, compare=False)


@record
class Single:
    value: float


@record
class Empty:
    pass


@record
class Keyed:
    name: str
    weight: int = field(default=0, hash=False)

    def __repr__(self) -> str:
        return f"<{self.name}>"


def test_equality_and_hash_follow_the_compared_fields() -> None:
    assert Point(1, 2, note="a") == Point(1, 2, note="b")
    assert Point(1, 2) != Point(1, 3)
    assert hash(Point(1, 2, note="a")) == hash(Point(1, 2, note="b"))
    assert len({Point(1, 2), Point(1, 2, cached=(1,)), Point(2, 2)}) == 2
    # another class with equal fields is not equal, as with dataclass
    assert Point(1, 2) != Reference(1, 2)  # type: ignore[comparison-overlap]
    assert (Point(1, 2) == Point(1, 2)) == (Reference(1, 2) == Reference(1, 2))


def test_a_field_kept_out_of_the_hash_still_compares() -> None:
    assert Keyed("a", 1) != Keyed("a", 2)
    assert hash(Keyed("a", 1)) == hash(Keyed("a", 2))


def test_one_field_and_no_field() -> None:
    nan = float("nan")
    assert Single(nan) == Single(nan)  # (identical values, as a dataclass's tuple compares)
    assert Single(1.0) == Single(1)
    assert Empty() == Empty() and hash(Empty()) == hash(Empty())
    assert repr(Empty()) == "Empty()"


def test_repr_is_the_dataclass_repr() -> None:
    ours = repr(Point(1, 2, note="n", cached=(3,)))
    theirs = repr(Reference(1, 2, note="n", cached=(3,)))
    assert ours == theirs.replace("Reference", "Point") == "Point(x=1, y=2, note='n')"


def test_methods_the_class_defines_are_kept() -> None:
    assert repr(Keyed("k")) == "<k>"


def test_frozen_slotted_and_replaceable() -> None:
    p = Point(1, 2)
    with pytest.raises(FrozenInstanceError):
        p.x = 3  # type: ignore[misc]
    for instance in (p, Reference(1, 2)):  # a new attribute: refused as dataclass refuses
        with pytest.raises((AttributeError, TypeError)):
            instance.extra = 1  # type: ignore[union-attr]
    assert not hasattr(p, "__dict__")
    assert replace(p, y=5) == Point(1, 5)
    assert [f.name for f in fields(Point)] == ["x", "y", "note", "cached"]
    assert Point.__match_args__ == ("x", "y", "note", "cached")
    assert pickle.loads(pickle.dumps(Point(1, 2, note="n"))) == Point(1, 2)


@record
class Made:
    name: str
    tags: list[str] = field(default_factory=list)
    size: int = 3
    total: int = -1

    def __post_init__(self) -> None:
        if self.total < 0:
            object.__setattr__(self, "total", self.size * 2)


def test_defaults_factories_and_post_init_as_dataclass_applies_them() -> None:
    a, b = Made("a"), Made("b")
    assert a.tags == [] and a.tags is not b.tags  # (a new list for each)
    assert (a.size, a.total) == (3, 6)
    assert Made("c", ["x"], 5) == Made("c", ["x"], size=5, total=10)
    assert replace(a, size=4).total == 6  # (replace passes every field, total included)
    with pytest.raises(TypeError):
        Made()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Made("a", nope=1)  # type: ignore[call-arg]


def test_copies_and_pickles_keep_every_field() -> None:
    made = Made("m", ["t"], 2)
    for twin in (copy.copy(made), copy.deepcopy(made), pickle.loads(pickle.dumps(made))):
        assert twin == made and twin.tags == ["t"] and twin.total == 4
    with pytest.raises(FrozenInstanceError):
        del made.name


def test_fields_it_cannot_take_are_refused_by_name() -> None:
    with pytest.raises(TypeError, match="'hidden'"):

        @record
        class Hidden:
            hidden: int = field(default=0, init=False)

    with pytest.raises(TypeError, match="'named'"):

        @record
        class Keyword:
            named: int = field(default=0, kw_only=True)

    with pytest.raises(TypeError, match="InitVar"):

        @record
        class Passing:
            seed: InitVar[int]
