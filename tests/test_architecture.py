"""The package layout (``docs/architecture.md``): imports only go down the layers, no module
imports another that imports it back, and the rule contract does not need the engine.

Every ``import`` and ``from ... import`` of ``linter/`` and ``pglast_rules/`` counts, at
module level, inside functions and under ``TYPE_CHECKING``: an import moved into a function
hides a cycle from Python, not from the design."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from conftest import REPO

# Bottom to top. A module may import its own layer and the layers below it, never above.
# ``linter`` is the package's ``__init__`` (the version); a name without a dot below it is
# a top-level module of ``linter/``.
LAYERS: tuple[str, ...] = (
    "linter",
    "linter.util",  # no SQL, no PostgreSQL: forking, signals, atomic writes, templates
    "linter.sql",  # statements and parse trees
    "linter.inputs",  # files, layouts, configuration
    "linter.lockmodel",  # schema model, lock modes, statement effects
    "linter.state",  # what a rule reads: context, fold, look-ahead, shared rule helpers
    "linter.rule",  # the rule contract
    "linter.plugin",  # everything a rule imports, re-exported
    "linter.context",  # the plugins' import path of earlier releases (re-exports plugin)
    "pglast_rules",  # the built-in rules
    "linter.analysis",  # the engine and the rule registry
    "linter.output",  # reporters, explain, baseline, cache, replay, docs
    "linter.api",  # gather inputs, lint through the cache
    "linter.server",  # trace, doctor, stats: a real PostgreSQL
    "linter.writers",  # scaffold, plan, fix
    "linter.lsp",  # the language server (the sqlsafe[lsp] extra: the only pygls importer)
    "linter.commands",  # one module per sub-command
    "linter.app",  # the click application
    "linter.cli",  # the entry point (light: replays a cached run before importing click)
    "linter.__main__",
)

# Subpackages whose __init__ must stay empty of imports: importing one module of a layer
# must not import its siblings (the cache replay imports linter.output.replay and
# linter.inputs.configsearch without the engine, click or pglast).
LIGHT_PACKAGES = (
    "linter",
    "linter.util",
    "linter.sql",
    "linter.inputs",
    "linter.lockmodel",
    "linter.state",
    "linter.analysis",
    "linter.output",
    "linter.server",
    "linter.writers",
    "linter.lsp",
    "linter.commands",
)


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    is_package: bool

    @property
    def package(self) -> str:
        return self.name if self.is_package else self.name.rpartition(".")[0]


def modules() -> dict[str, Module]:
    found: dict[str, Module] = {}
    for top in ("linter", "pglast_rules"):
        for path in sorted((REPO / top).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            found[".".join(parts)] = Module(".".join(parts), path, is_package)
    return found


def _known(name: str, known: dict[str, Module]) -> str | None:
    """The longest prefix of *name* that is one of our modules (``linter.sql.pgast.Node``
    -> ``linter.sql.pgast``); None for other distributions' modules."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: Module, known: dict[str, Module]) -> Iterator[tuple[str, int]]:
    """(imported module of ours, line) for every import statement anywhere in *module*."""
    tree = ast.parse(module.path.read_text(encoding="utf-8"), str(module.path))
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                base = module.package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join([*base, node.module] if node.module else base)
            else:
                stem = node.module or ""
            # ``from pkg import mod`` imports the module pkg.mod (and pkg's __init__)
            targets = [stem, *(f"{stem}.{alias.name}" for alias in node.names)]
        for target in targets:
            found = _known(target, known)
            if found is not None and found != module.name:
                yield found, node.lineno


def graph() -> dict[str, dict[str, int]]:
    known = modules()
    return {name: dict(imports(mod, known)) for name, mod in known.items()}


def layer_of(name: str) -> int:
    """Index in LAYERS of the longest layer that is *name* or a package above it."""
    best = -1
    for i, layer in enumerate(LAYERS):
        if (name == layer or name.startswith(layer + ".")) and (
            best < 0 or len(layer) > len(LAYERS[best])
        ):
            best = i
    return best


def test_every_module_has_a_layer() -> None:
    # a new top-level module of linter/ must be placed in LAYERS (and docs/architecture.md)
    unplaced = [
        name
        for name in modules()
        if layer_of(name) < 0 or (LAYERS[layer_of(name)] == "linter" and name != "linter")
    ]
    assert not unplaced, f"not in a layer of tests/test_architecture.py: {unplaced}"


def test_imports_only_go_down() -> None:
    upward = [
        f"{importer} (line {line}) imports {imported}: "
        f"{LAYERS[layer_of(importer)]} is below {LAYERS[layer_of(imported)]}"
        for importer, targets in graph().items()
        for imported, line in targets.items()
        if layer_of(imported) > layer_of(importer)
    ]
    assert not upward, "\n".join(upward)


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles() -> None:
    edges = graph()
    assert not cycles(edges), "\n".join(" <-> ".join(component) for component in cycles(edges))


def test_the_cycle_check_sees_function_level_imports(tmp_path: Path) -> None:
    # the check itself: a cycle closed by an import inside a function is still one
    pkg = tmp_path / "linter"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import f\n")
    (pkg / "b.py").write_text("def f():\n    from .a import g\n")
    known = {
        name: Module(name, pkg / f"{file}.py", name == "linter")
        for name, file in (("linter", "__init__"), ("linter.a", "a"), ("linter.b", "b"))
    }
    edges = {name: dict(imports(mod, known)) for name, mod in known.items()}
    assert cycles(edges) == [["linter.a", "linter.b"]]


def test_layer_packages_import_nothing_in_their_init() -> None:
    known = modules()
    heavy = [
        f"{name}/__init__.py imports {target}"
        for name in LIGHT_PACKAGES
        for target in dict(imports(known[name], known))
    ]
    assert not heavy, "\n".join(heavy)


def _imported_by(statement: str) -> set[str]:
    script = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    return set(proc.stdout.split())


def test_the_rule_contract_does_not_import_the_engine() -> None:
    for statement in ("import linter.rule", "import linter.plugin"):
        loaded = _imported_by(statement)
        assert "linter.rule" in loaded
        engine = sorted(m for m in loaded if m.startswith(("linter.analysis", "pglast_rules")))
        assert not engine, f"{statement} imports {engine}"
    # and the probe can fail: the registry does import the engine's package
    assert "linter.analysis.registry" in _imported_by("import linter.analysis.registry")


def test_plugin_re_exports_every_name_the_built_in_rules_import() -> None:
    import linter.plugin

    missing: list[str] = []
    for path in sorted((REPO / "pglast_rules").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module):
                continue
            if node.module.split(".")[0] != "linter":
                continue
            source = __import__(node.module, fromlist=["_"])
            for alias in node.names:
                exported = getattr(linter.plugin, alias.name, None)
                if alias.name not in linter.plugin.__all__ or exported is not getattr(
                    source, alias.name
                ):
                    missing.append(f"{path.name}: {node.module}.{alias.name}")
    assert not missing, "linter.plugin lacks:\n" + "\n".join(sorted(set(missing)))


def test_the_earlier_plugin_import_path_still_works() -> None:
    """docs/plugins.md of earlier releases: ``from linter.context import Context, Report``."""
    code = (
        "from linter.context import Context, Report\n"
        "from linter.rule import Bad, Good, Rule, Severity\n"
        "import linter.plugin as p\n"
        "assert Context is p.Context and Report is p.Report\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
