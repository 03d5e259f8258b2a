"""Which public names of the package lack a docstring, for `test_docstrings.py`.

A reader needs a docstring on:
- every public class (name without a leading underscore, at module level or nested in one);
- every public module-level function that another module of the package uses: imported by name
  (`from trtui.x import f`), or reached through an imported module (`fmt.safe(...)` after
  `from trtui.common import format as fmt`, `trtui.x.f` after `import trtui.x`);
- every public method of a `Protocol` class (a seam: what an implementation must promise);
- every public method or property of a public class whose name another module uses as an
  attribute (`x.name`): by its name, it may be called from elsewhere (the scan cannot know the type
  of `x`, so a name used anywhere else counts);
- every module (its docstring says what the module is for).
Dunder methods, `@overload` stubs and names inside functions are not counted.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from arch_scan import module_index


@dataclass(frozen=True, slots=True)
class Missing:
    module: str
    name: str  # "" for the module itself
    line: int
    kind: str  # "module" | "class" | "function" | "protocol method" | "method"

    def __str__(self) -> str:
        what = self.module if not self.name else f"{self.module}.{self.name}"
        return f"{what}:{self.line} ({self.kind})"


def _public(name: str) -> bool:
    return not name.startswith("_")


def _is_protocol(node: ast.ClassDef) -> bool:
    for base in node.bases:
        name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
        if name == "Protocol" or (isinstance(base, ast.Subscript) and "Protocol" in ast.unparse(base)):
            return True
    return False


def _is_overload(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any("overload" in ast.unparse(d) for d in node.decorator_list)


def used_from_elsewhere(index: dict[str, Path]) -> set[tuple[str, str]]:
    """(module, name) pairs that some other module of the package uses."""
    used: set[tuple[str, str]] = set()
    for this, path in index.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases: dict[str, str] = {}  # local name -> module
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = this.split(".") if is_pkg else this.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                for alias in node.names:
                    full = f"{mod}.{alias.name}"
                    if full in index:
                        aliases[alias.asname or alias.name] = full
                    elif mod in index and mod != this:
                        used.add((mod, alias.name))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in index:
                        aliases[alias.asname or alias.name] = alias.name
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                chain = ast.unparse(node.value)
                if chain in aliases and aliases[chain] != this:
                    used.add((aliases[chain], node.attr))
    return used


def attributes_used(index: dict[str, Path]) -> dict[str, set[str]]:
    """Attribute name -> the modules that use it (`x.name`)."""
    out: dict[str, set[str]] = {}
    for module, path in index.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                out.setdefault(node.attr, set()).add(module)
    return out


def missing_docstrings(package: Path) -> list[Missing]:
    index = module_index(package)
    used = used_from_elsewhere(index)
    attrs = attributes_used(index)
    out: list[Missing] = []

    def classes(body: list[ast.stmt], module: str, prefix: str) -> Iterator[Missing]:
        for node in body:
            if isinstance(node, ast.ClassDef) and _public(node.name):
                qual = prefix + node.name
                if ast.get_docstring(node) is None:
                    yield Missing(module, qual, node.lineno, "class")
                protocol = _is_protocol(node)
                for item in node.body:
                    if (
                        isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                        and _public(item.name)
                        and not _is_overload(item)
                        and ast.get_docstring(item) is None
                    ):
                        if protocol:
                            yield Missing(module, f"{qual}.{item.name}", item.lineno, "protocol method")
                        elif attrs.get(item.name, set()) - {module}:
                            yield Missing(module, f"{qual}.{item.name}", item.lineno, "method")
                yield from classes(node.body, module, qual + ".")

    for module, path in index.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if ast.get_docstring(tree) is None and not (path.name == "__init__.py" and not tree.body):
            out.append(Missing(module, "", 1, "module"))
        out.extend(classes(tree.body, module, ""))
        out.extend(
            Missing(module, node.name, node.lineno, "function")
            for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and _public(node.name)
            and not _is_overload(node)
            and (module, node.name) in used
            and ast.get_docstring(node) is None
        )
    return sorted(out, key=lambda m: (m.module, m.line))
