"""The rule registry: built-in rules plus plugins from the ``sqlsafe.rules`` entry points."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..rule import Rule

ENTRY_POINT_GROUP = "sqlsafe.rules"


class RegistryError(Exception):
    """Two rules share a code or a name, or a plugin does not load."""


def _may_declare_plugins() -> bool:
    """Whether an installed distribution may declare a ``sqlsafe.rules`` entry point.

    ``importlib.metadata`` (~15 ms to import, more to scan) is only needed when one does:
    this looks where it looks (the ``*.dist-info`` and ``*.egg-info`` directories of
    ``sys.path``) for an ``entry_points.txt`` naming the group. Anything it cannot read
    the same way (a zip file on ``sys.path``, a finder of distributions other than the
    path finder's) answers yes."""
    import os
    import sys
    from importlib.machinery import PathFinder

    for finder in sys.meta_path:
        if finder is not PathFinder and hasattr(finder, "find_distributions"):
            return True
    for entry in sys.path:
        directory = entry or "."
        try:
            with os.scandir(directory) as entries:
                infos = [e.path for e in entries if e.name.endswith((".dist-info", ".egg-info"))]
        except NotADirectoryError:
            return True  # (a zip file)
        except OSError:
            continue
        for info in infos:
            try:
                with open(os.path.join(info, "entry_points.txt"), "rb") as handle:
                    if ENTRY_POINT_GROUP.encode() in handle.read():
                        return True
            except FileNotFoundError:
                continue
            except OSError:
                return True
    return False


def _plugin_rule_classes() -> list[type[Rule]]:
    if not _may_declare_plugins():
        return []
    from importlib.metadata import entry_points

    found: list[type[Rule]] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = ep.load()
        except Exception as exc:  # a broken plugin must not crash the linter silently
            raise RegistryError(f"plugin {ep.name!r} ({ep.value}) failed to load: {exc}") from exc
        items = getattr(loaded, "RULES", loaded)
        if isinstance(items, type):
            items = (items,)
        for item in items:
            if not (isinstance(item, type) and issubclass(item, Rule)):
                raise RegistryError(f"plugin {ep.name!r} exports {item!r}, which is not a Rule")
            found.append(item)
    return found


def validate(classes: Iterable[type[Rule]]) -> tuple[Rule, ...]:
    codes: dict[str, str] = {}
    names: dict[str, str] = {}
    out: list[Rule] = []
    for cls in classes:
        where = f"{cls.__module__}.{cls.__qualname__}"
        if cls.code in codes:
            raise RegistryError(f"rule code {cls.code} of {where} clashes with {codes[cls.code]}")
        if cls.name in names:
            raise RegistryError(f"rule name {cls.name} of {where} clashes with {names[cls.name]}")
        codes[cls.code] = where
        names[cls.name] = where
        out.append(cls())
    return tuple(out)


def load_rules(plugins: bool = True, extra: Sequence[type[Rule]] = ()) -> tuple[Rule, ...]:
    """Every rule instance: built-ins first, then plugins, with clashes refused. The
    built-ins come from their index and import their modules when first used
    (:mod:`linter.analysis.rule_index`)."""
    from pglast_rules._index import INDEX

    from .rule_index import indexed_classes

    classes: list[type[Rule]] = [*indexed_classes(INDEX), *extra]
    if plugins:
        for cls in _plugin_rule_classes():
            if cls.code.startswith("SS"):
                raise RegistryError(
                    f"plugin rule {cls.__module__}.{cls.__qualname__} uses code {cls.code}: "
                    "the SS prefix is reserved for sqlsafe's own rules"
                )
            classes.append(cls)
    return validate(classes)
