"""No import cycle among nbgen's modules, imports inside functions included.

The layers point one way: data -> models -> engine -> session -> ui. A cycle hidden behind
an import inside a function still ties the layers together (a change to the ui can break
``import nbgen.session``), so the test reads every ``import`` statement of every module,
wherever it stands, and looks for a cycle in the graph they make.

What counts as an edge from module ``m``:

- ``import nbgen.a.b`` and ``from .a.b import x`` (resolved against ``m``'s package) are edges
  to ``nbgen.a.b``; ``from .a import b`` is one to the submodule ``nbgen.a.b`` when there is
  one, else to ``nbgen.a`` (whose ``__init__`` defines ``b``);
- importing ``nbgen.a.b`` runs the package ``nbgen.a``'s ``__init__`` first, so it is also an
  edge to each enclosing package that does not already contain ``m`` (a package's own
  modules are imported from inside it: ``nbgen.ui.plots`` importing ``.arrays`` does not
  depend on ``nbgen.ui``'s ``__init__`` any more than that ``__init__`` depends on it).

Left out, and why:

- ``nbgen/__init__.py`` (the module ``nbgen``): the package's public face, which may import
  anything lazily (``nbgen.Session``, ``nbgen.load``...) and wires the layers together; every
  module's import runs it first, so counting it would make every lazy name a cycle;
- imports under ``if TYPE_CHECKING:``: they never run, they only name types for annotations.
"""

from __future__ import annotations

import ast
import os

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "nbgen")


def _modules() -> dict[str, str]:
    """nbgen module name -> file path."""
    out = {}
    for folder, _dirs, files in os.walk(ROOT):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(folder, f)
                rel = os.path.relpath(path, os.path.dirname(ROOT))[: -len(".py")].split(os.sep)
                if rel[-1] == "__init__":
                    rel = rel[:-1]
                out[".".join(rel)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement in ``tree`` (in functions and classes too), but those under
    ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def graph() -> dict[str, set[str]]:
    """nbgen module -> the nbgen modules its import statements run (see the module docstring)."""
    modules = _modules()
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.endswith("__init__.py")
        package = name if is_package else name.rpartition(".")[0]
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        targets: list[str] = []
        for node in _imports(tree):
            if isinstance(node, ast.Import):
                targets += [alias.name for alias in node.names]
                continue
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:  # ``from .a import b``: the submodule b if there is one, else a
                targets.append(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
        for target in targets:
            if target != "nbgen" and not target.startswith("nbgen."):
                continue
            parts = target.split(".")
            for i in range(2, len(parts) + 1):  # the module and the packages around it
                enclosing = ".".join(parts[:i])
                if enclosing not in modules or enclosing == name:
                    continue
                if i < len(parts) and name.startswith(enclosing + "."):
                    continue  # a package's own module: already inside it
                edges[name].add(enclosing)
    del edges["nbgen"]
    for targets in edges.values():
        targets.discard("nbgen")
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected group of modules (Tarjan), as a path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in edges.get(v, ()):
                groups.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return [_path(edges, set(group)) for group in sorted(groups)]


def groups(edges: dict[str, set[str]]) -> list[list[str]]:
    """The modules tied together by cycles, group by group (each a sorted list)."""
    reach = {}
    for v in edges:
        seen, todo = set(), [v]
        while todo:
            for w in edges.get(todo.pop(), ()):
                if w not in seen:
                    seen.add(w)
                    todo.append(w)
        reach[v] = seen
    found = {tuple(sorted(w for w in edges if w in reach[v] and v in reach[w])) for v in edges if v in reach[v]}
    return sorted(list(g) for g in found)


def _path(edges: dict[str, set[str]], group: set[str]) -> list[str]:
    """A cycle inside ``group``, from its first module back to it (breadth first: a shortest one)."""
    start = min(group)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(edges[v] & group):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, v, start]
                if w not in previous:
                    previous[w] = v
                    nxt.append(w)
        frontier = nxt
    return sorted(group)


def test_the_walk_sees_imports_inside_functions():
    edges = graph()
    assert "nbgen.data" in edges["nbgen.engine"]  # at the top
    assert "nbgen.callbacks" in edges["nbgen.session"]  # inside a method
    assert "nbgen.ui.plots" in edges["nbgen.ui.widget"]
    assert all("nbgen" not in targets for targets in edges.values())


def test_a_cycle_is_found():
    found = cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
    assert found == [["a", "b", "c", "a"]]
    assert groups({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    edges = graph()
    found = cycles(edges)
    assert not found, "import cycles among nbgen's modules:\n" + "\n".join(
        f"{' -> '.join(c)}  (tied together: {', '.join(g)})" for c, g in zip(found, groups(edges))
    )


MAX_LINES = 600  # issue 25: every module small enough to hold one job


def test_no_module_is_over_600_lines():
    sizes = {}
    for name, path in _modules().items():
        with open(path) as f:
            sizes[name] = len(f.read().splitlines())
    too_big = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert not too_big, f"split these modules (one job each): {too_big}"
