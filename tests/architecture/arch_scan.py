"""The import graph of a package, read from its source (AST), for `test_architecture.py`.

Every import of a module of the package is recorded with where it sits:
- "module": runs when the module is imported (top level, class bodies, module-level try/if/with);
- "function": inside a function or method body (a lazy import: runs when the function is called);
- "type_checking": under `if TYPE_CHECKING:` (never runs; for the type checker only).

`import a.b.c` and `from a.b import c` (c a module) both point at `a.b.c`; `from a.b import name`
points at `a.b`. Relative imports are resolved. `importlib.import_module("x")` and
`__import__("x")` with a literal name count as imports of x. The implicit import of a parent
package's `__init__` is not recorded (every module would then depend on its package).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

Where = str  # "module" | "function" | "type_checking"


@dataclass(frozen=True, slots=True)
class Edge:
    source: str  # importing module, dotted ("trtui.ui.app")
    target: str  # imported module of the package, dotted
    line: int
    where: Where

    def __str__(self) -> str:
        return f"{self.source}:{self.line} -> {self.target} ({self.where})"


def module_index(package: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py under `package` (a package's name is its folder's)."""
    out: dict[str, Path] = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _raw_imports(tree: ast.Module, this: str, is_package: bool) -> Iterator[tuple[list[str], int, Where]]:
    """(candidate dotted names, most specific first, line, where) for each import in `tree`."""

    def absolute(module: str | None, level: int) -> str:
        if level == 0:
            return module or ""
        base = this.split(".") if is_package else this.split(".")[:-1]
        base = base[: len(base) - (level - 1)]
        return ".".join(base + ([module] if module else []))

    def visit(nodes: Iterable[ast.AST], where: Where) -> Iterator[tuple[list[str], int, Where]]:
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                yield from visit(node.body, "type_checking")
                yield from visit(node.orelse, where)
                continue
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield [alias.name], node.lineno, where
            elif isinstance(node, ast.ImportFrom):
                mod = absolute(node.module, node.level)
                for alias in node.names:
                    yield [f"{mod}.{alias.name}", mod], node.lineno, where
            elif isinstance(node, ast.Call) and node.args:
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                arg = node.args[0]
                literal = isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                if name in ("import_module", "__import__") and literal:
                    yield [str(getattr(arg, "value", ""))], node.lineno, where
            is_function = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            inner = "function" if is_function else where
            yield from visit(ast.iter_child_nodes(node), inner)

    yield from visit(tree.body, "module")


def edges(package: Path) -> list[Edge]:
    """Every import from a module of `package` to a module of `package`."""
    index = module_index(package)
    out: list[Edge] = []
    for name, path in index.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for candidates, line, where in _raw_imports(tree, name, path.name == "__init__.py"):
            for cand in candidates:
                target = cand
                while target and target not in index:
                    target = target.rpartition(".")[0]
                if target:
                    if target != name:
                        out.append(Edge(name, target, line, where))
                    break
    return sorted(set(out), key=lambda e: (e.source, e.line, e.target, e.where))


def package_of(module: str) -> str:
    """The node of the package rule: "trtui.X" for anything in subpackage X, the module itself
    for a top-level module ("trtui.cli"), and "trtui" for the package's own `__init__`."""
    parts = module.split(".")
    return ".".join(parts[:2])


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan), each sorted, in sorted order."""
    nodes = sorted(set(graph) | {w for ws in graph.values() for w in ws})
    succ = {v: sorted(set(graph.get(v, ()))) for v in nodes}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        # Iterative Tarjan: (node, iterator position) frames.
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on_stack.add(v)
            recurse = False
            for j in range(i, len(succ[v])):
                w = succ[v][j]
                if w not in index:
                    work.append((v, j + 1))
                    work.append((w, 0))
                    recurse = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if recurse:
                continue
            if low[v] == index[v]:
                comp: list[str] = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    return sorted(found)


def module_graph(all_edges: Iterable[Edge]) -> dict[str, set[str]]:
    """Module -> modules it imports, every kind of import counted: module-level, lazy (inside a
    function) and `if TYPE_CHECKING:` alike (each is a dependency a reader has to follow)."""
    graph: dict[str, set[str]] = {}
    for e in all_edges:
        graph.setdefault(e.source, set()).add(e.target)
    return graph


def package_graph(all_edges: Iterable[Edge]) -> dict[str, set[str]]:
    """Package node (`package_of`) -> package nodes it imports, every kind of import counted."""
    graph: dict[str, set[str]] = {}
    for e in all_edges:
        a, b = package_of(e.source), package_of(e.target)
        if a != b:
            graph.setdefault(a, set()).add(b)
    return graph


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write a toy package for the scans' own tests: relative path -> text under `root`; returns
    `root / "trtui"`."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "trtui"
