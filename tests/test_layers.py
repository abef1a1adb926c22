"""The layers of console/ hold: core < store < sync < hub, cli, ui, demo.

Every import of every module is read with `ast` (those inside functions too)
and checked:
(a) no module imports from a layer above its own;
(b) no cycle of imports joins modules of different layers or packages;
(c) no module imports a private name (a leading underscore) of another package;
(d) the core imports nothing of ours outside the core.
A failure names each offending import as file:line.
"""

import ast
from pathlib import Path

CONSOLE = Path(__file__).resolve().parents[1] / "console"

CORE, STORE, SYNC, TOP = 0, 1, 2, 3
LAYER_NAMES = {CORE: "core", STORE: "store", SYNC: "sync", TOP: "hub/cli/ui/demo"}
# top-level modules: console/__init__.py, paths.py and logs.py sit with the core (they
# may import only what the core may), settings.py is the store's (until it moves into it)
TOP_LEVEL = {"console": CORE, "console.paths": CORE, "console.logs": CORE, "console.settings": STORE,
             "console.selftest": TOP, "console.demo": TOP, "console.__main__": TOP, "console.telephony_relay": TOP}
PACKAGES = {"console.core": CORE, "console.store": STORE, "console.sync": SYNC, "console.hub": TOP,
            "console.cli": TOP, "console.ui": TOP, "console.demo": TOP}

# Edges allowed to break the rules: none. An entry here needs a reason beside it.
KNOWN: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(CONSOLE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(CONSOLE.rglob("*.py"))}


def layer(name: str) -> int:
    if name in TOP_LEVEL:
        return TOP_LEVEL[name]
    for package, level in PACKAGES.items():
        if name == package or name.startswith(package + "."):
            return level
    return TOP  # any other top-level module (cli_calls.py, cli_sync.py, …) is a command or window


def resolve(name: str, known: dict) -> str:
    """The module of ours that `name` (a module, or a name inside one) is."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name


def imports(name: str, path: Path, known: dict):
    """(target module, private names imported, line) for each import of ours in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "console" or alias.name.startswith("console."):
                    yield resolve(alias.name, known), [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            if not (base == "console" or base.startswith("console.")):
                continue
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in known:
                    yield submodule, [], node.lineno
                else:
                    private = [alias.name] if alias.name.startswith("_") and not alias.name.startswith("__") else []
                    yield resolve(base, known), private, node.lineno


def graph() -> tuple[dict, list]:
    """{module: {imported module: first line}}, and every import as (source, target, private, where)."""
    known = modules()
    edges: dict[str, dict[str, str]] = {name: {} for name in known}
    found = []
    for name, path in known.items():
        for target, private, line in imports(name, path, known):
            where = f"{path.relative_to(CONSOLE.parent)}:{line}"
            found.append((name, target, private, where))
            if target != name:
                edges[name].setdefault(target, where)
    return edges, found


def strongly_connected(edges: dict) -> list[list[str]]:
    """Tarjan's components of more than one module."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return components


def test_no_module_imports_from_a_layer_above_its_own():
    _, found = graph()
    upward = [f"{where}: {source} ({LAYER_NAMES[layer(source)]}) imports {target} ({LAYER_NAMES[layer(target)]})"
              for source, target, _, where in found
              if layer(target) > layer(source) and (source, target) not in KNOWN]
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def unit(name: str, known: dict) -> str:
    """The package a module belongs to under console/ (console.store, console.hub, …),
    or the module itself for a top-level one (console.cli, console.paths, …)."""
    parts = name.split(".")
    if parts[-1] == "__main__":  # a program's entry point: nothing imports it, so it closes no cycle
        return name
    return ".".join(parts[:2]) if len(parts) > 2 or known[name].name == "__init__.py" else name


def test_no_cycle_joins_different_layers_or_packages():
    """Modules of one package may import each other in a circle; packages (and the
    top-level modules) may not, nor may any cycle span two layers."""
    known = modules()
    edges, _ = graph()
    units: dict[str, dict[str, str]] = {}
    for source, targets in edges.items():
        for target, where in targets.items():
            if (source, target) not in KNOWN and unit(source, known) != unit(target, known):
                units.setdefault(unit(source, known), {}).setdefault(unit(target, known), where)
    problems = []
    for component in strongly_connected(units):
        members = set(component)
        problems += [f"{where}: {source} imports {target}" for source, targets in edges.items()
                     for target, where in targets.items()
                     if unit(source, known) in members and unit(target, known) in members
                     and unit(source, known) != unit(target, known) and (source, target) not in KNOWN]
    assert not problems, "imports in a cycle across packages or layers:\n" + "\n".join(problems)


def test_no_module_imports_a_private_name_of_another_package():
    known = modules()
    private = [f"{where}: {source} imports {', '.join(names)} from {target}"
               for source, target, names, where in graph()[1]
               if names and unit(source, known) != unit(target, known) and (source, target) not in KNOWN]
    assert not private, "private names imported across packages:\n" + "\n".join(private)


def test_the_core_imports_only_the_core():
    """console/paths.py and logs.py sit in the base layer for the rest; the core itself
    imports nothing of ours outside console.core."""
    outside = [f"{where}: {source} imports {target}" for source, target, _, where in graph()[1]
               if source.startswith("console.core.") and not target.startswith("console.core")]
    assert not outside, "the core imports from outside it:\n" + "\n".join(outside)


def test_the_walk_sees_imports_inside_functions():
    """The check reads nested imports, so a lazy import cannot hide an upward one."""
    _, found = graph()
    lazy = {(source, target) for source, target, _, _ in found}
    assert ("console.store.connection", "console.store.schema") in lazy  # imported inside open_cache
