"""Fail on an import circle among our modules, or on an `actions/` module importing above its layer.

    .venv/bin/python scripts/check_imports.py [--root DIR] [PACKAGE ...]

Checks every .py file under the packages named (default: actions servicedesk) below --root
(default: the project). `make test` runs it (`make imports`).

Every import counts, wherever it is written: module level, inside a function, under
`if TYPE_CHECKING:`, relative, `from pkg import module`, `import a.b.c` and
`importlib.import_module("a.b")`. A function-level import still closes a circle the moment the
function runs, and a TYPE_CHECKING one is a circle waiting for its guard to go. Importing `a.b.c`
also runs the `__init__` of `a` and `a.b`; that implicit run is not an edge (every module would
otherwise form a circle with its own package), but an explicit import of a package (`import a`,
`from a import __version__`) is an edge to its `__init__`, when that file exists and has code.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import deque
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PACKAGES = ("actions", "servicedesk")

# The layers of `actions/`, bottom to top. A module may import modules of its own package and of
# the packages below it, never above: lower layers stay usable (and testable) without the upper.
LAYERED_PACKAGE = "actions"
LAYERS = (
    "core",
    "owner",
    "providers",
    "store",
    "notify",
    "handoff",
    "devices",
    "calls",
    "journeys",
)

# What else each part of `actions/` may import, beyond the layer rule. A part is a package under
# `actions/` (by its name) or a top-level module: "runtime", "server", and "__init__" for
# `actions/__init__.py`. "*" means anything. A part named in neither table is an error: a new
# package or top-level module must be placed here first. Nothing lists "server", so nothing may
# import it.
EXTRA_IMPORTS: dict[str, tuple[str, ...]] = {
    # The composition root builds every capability's services.
    "runtime": LAYERS,
    # The capabilities at the top reach their services through the composition root.
    "handoff": ("runtime",),
    "devices": ("runtime",),
    "calls": ("runtime",),
    "journeys": ("runtime",),
    # The entry point starts everything.
    "server": ("*",),
    # Importing the package installs log masking (actions/providers/log_masking.py) before
    # anything logs, so the package itself may reach only what holds that installer.
    "__init__": ("core", "providers"),
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (one of ours)
    path: Path
    line: int
    where: str  # "", "in a function" or "under TYPE_CHECKING": where a reader must look

    def at(self, root: Path) -> str:
        place = f"{self.path.relative_to(root)}:{self.line}"
        return f"{place} ({self.where})" if self.where else place


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def has_code(path: Path) -> bool:
    """Whether a file does anything when imported (a docstring alone does not)."""
    body = ast.parse(path.read_text()).body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return bool(body)


def find_modules(root: Path, packages: list[str]) -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            modules[module_name(path, root)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_names(tree: ast.Module) -> list[tuple[ast.AST, str]]:
    """Every import statement (and constant import_module call) in the file, with where it is."""
    found: list[tuple[ast.AST, str]] = []

    def visit(node: ast.AST, where: str) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append((node, where))
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if (
                name == "import_module"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.append((node, where))
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, where or "under TYPE_CHECKING")
            for child in node.orelse:
                visit(child, where)
            return
        inner = where
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            inner = "in a function"
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, "")
    return found


def find_imports(modules: dict[str, Path]) -> list[Import]:
    """Every import of one of `modules` by another (or itself), in file and line order."""
    # A package is a target only if importing it runs something; an empty __init__ cannot close
    # a circle or break a layer.
    importable = {
        name for name, path in modules.items() if path.name != "__init__.py" or has_code(path)
    }
    imports: list[Import] = []
    for source, path in modules.items():
        package = source if path.name == "__init__.py" else source.rpartition(".")[0]
        for node, where in _imported_names(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.Call):
                targets = [node.args[0].value]
            else:
                assert isinstance(node, ast.ImportFrom)
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*anchor, *([base] if base else [])])
                for alias in node.names:
                    # `from pkg import module` imports the submodule; any other name comes from
                    # the package's (or module's) own code.
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in modules else base)
            for target in dict.fromkeys(targets):
                if target in importable:
                    imports.append(Import(source, target, path, node.lineno, where))
    return imports


def strongly_connected(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (a deep import chain must not hit the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def find_circles(imports: list[Import], modules: dict[str, Path]) -> list[list[Import]]:
    """One shortest example circle per strongly connected component, as the imports along it."""
    first: dict[tuple[str, str], Import] = {}
    for imp in imports:
        first.setdefault((imp.source, imp.target), imp)
    graph: dict[str, list[str]] = {name: [] for name in modules}
    for source, target in first:
        graph[source].append(target)
    circles = []
    for component in strongly_connected(graph):
        start = component[0]
        if len(component) == 1 and start not in graph[start]:
            continue
        members = set(component)
        # Breadth-first from `start` back to it, within the component: the shortest circle.
        came_from: dict[str, str] = {}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            if start in graph[node]:
                path = [start]
                while node != start:
                    path.append(node)
                    node = came_from[node]
                path.append(start)
                path.reverse()
                circles.append([first[edge] for edge in pairwise(path)])
                break
            for child in sorted(graph[node]):
                if child in members and child not in came_from and child != start:
                    came_from[child] = node
                    queue.append(child)
    return circles


def part_of(module: str) -> str | None:
    """The part of the layered package a module belongs to (see EXTRA_IMPORTS), or None."""
    parts = module.split(".")
    if parts[0] != LAYERED_PACKAGE:
        return None
    return "__init__" if len(parts) == 1 else parts[1]


def allowed(part: str) -> set[str] | None:
    """The parts `part` may import, or None when the tables do not place it."""
    if part not in LAYERS and part not in EXTRA_IMPORTS:
        return None
    below = set(LAYERS[: LAYERS.index(part) + 1]) if part in LAYERS else {part}
    return below | set(EXTRA_IMPORTS.get(part, ()))


def find_layer_violations(imports: list[Import], modules: dict[str, Path], root: Path) -> list[str]:
    problems = []
    for module, path in modules.items():
        part = part_of(module)
        if part is not None and allowed(part) is None:
            problems.append(
                f"{path.relative_to(root)}: {module} is in no layer: place "
                f"'{part}' in LAYERS or EXTRA_IMPORTS in scripts/check_imports.py"
            )
    for imp in imports:
        source, target = part_of(imp.source), part_of(imp.target)
        if source is None or target is None or source == target:
            continue
        may = allowed(source)
        if may is None or "*" in may or target in may:
            continue
        shown = may if source in LAYERS else may - {source}
        names = ", ".join(label(part) for part in sorted(shown, key=_order))
        problems.append(
            f"{imp.at(root)}: {imp.source} imports {imp.target}, "
            f"but {label(source)} may import only: {names}"
        )
    return problems


def label(part: str) -> str:
    return "actions/__init__.py" if part == "__init__" else part


def _order(part: str) -> tuple[int, str]:
    """Layers bottom to top, then the top-level modules by name."""
    return (LAYERS.index(part), "") if part in LAYERS else (len(LAYERS), part)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the directory holding them")
    parser.add_argument("packages", nargs="*", default=list(DEFAULT_PACKAGES))
    args = parser.parse_args(argv)
    root = args.root.resolve()
    missing = [p for p in args.packages if not (root / p).is_dir()]
    if missing:
        print(f"check_imports: no such package under {root}: {', '.join(missing)}")
        return 2
    modules = find_modules(root, args.packages)
    try:
        imports = find_imports(modules)
    except SyntaxError as error:
        print(f"check_imports: cannot parse {error.filename}:{error.lineno}: {error.msg}")
        return 1

    circles = find_circles(imports, modules)
    for circle in circles:
        names = " -> ".join([circle[0].source, *(imp.target for imp in circle)])
        print(f"import circle: {names}")
        for imp in circle:
            print(f"  {imp.at(root)}: {imp.source} imports {imp.target}")
    violations = (
        find_layer_violations(imports, modules, root) if LAYERED_PACKAGE in args.packages else []
    )
    for problem in violations:
        print(f"layering: {problem}")
    if circles or violations:
        print(
            f"check_imports: {len(circles)} import circle(s), {len(violations)} layering "
            f"violation(s) in {len(modules)} modules"
        )
        return 1
    print(
        f"check_imports: {len(modules)} modules, {len(imports)} imports: "
        "no circles, layers respected"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
