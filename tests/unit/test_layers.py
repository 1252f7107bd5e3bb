"""The packages of ``app/`` import each other downwards only (issue 13, point 2).

Read from the source (the AST), so nothing of ``app`` is imported here. A *module* is a file of
``app/``; a *unit* is a subpackage (``app/plans/``) or a top-level module (``app/web.py``). The
import graph counts every import of an ``app`` module anywhere in a file, late imports inside
functions included, except under ``if TYPE_CHECKING:`` (types only, nothing runs).

:data:`ORDER` is the one list of layers, bottom first; a unit may import units of its own layer or
of a layer below, never above, and the unit graph has no cycle. Why this order:

- foundation: plumbing any layer may use (clock, settings, crypto, database, audit log, forms,
  rendering, versioned writes and list positions, the typed ``app.state`` accessors); it knows
  no feature.
- migrations: frozen history, so they use foundation only, never today's models.
- auth: accounts (users and their organisations, ``app/auth/models.py``), sign-in, sessions,
  codes, how people are named (``app/auth/labels.py``) and the account notices.
- live: broker, presence and stream limits, services that carry ids and versions for any plan
  page; they know who a person is (auth) but nothing of plans.
- plans: the plan, its grants (who may see a plan is part of the plan) and the one access check
  (``app/plans/access.py``), and the plan's live stream (``app/plans/stream.py``).
- sharing: giving and taking back grants, and the caseworker's side of them (the caseload,
  enrolling a person, confirming a code): it needs plans.
- contacts: the plan's contacts and the alarm; it uses plan access (and the plan-route seam).
- diary: the stalking log and its evidence (the victim's own); it uses the add-once keys of
  plans.
- actions: the agreed actions across agencies (who helps, actions, meetings, legal steps); it
  uses the plan-route seam, the live stream and the log's date helpers.
- orgs: the org admin (caseworkers, the organisation's plan template, its hotlines); it uses
  plans' templates and the contacts' hotline rows.
- exit: the quick exit; it needs only auth, and nothing below imports it.
- info: the open information pages (Markdown content), public; the phone's worker keeps them.
- phone: the phone's offline copy of plan and contacts.
- rights: the person's data rights: everything held about her (every part above), and erasure.
- top: the application (``app/main.py``), the home page, the public statements, the demo data,
  operations (``app/ops/``: backup, checks, logs, health; it reads every model)
  and the console.

Besides the order: a module with a top-level ``routes`` list (a *route module*) is imported by
``app/main.py`` only, so no route depends on another route module's internals; a models module
(``*/models.py``, the audit log) imports only foundation and other models, so the tables load
without any service; and a foundation module imports no subpackage.
"""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"

ORDER: list[tuple[str, ...]] = [
    (
        "clock",
        "resources",
        "assets",
        "settings",
        "crypto",
        "ratelimit",
        "security",
        "i18n",
        "db",
        "audit",
        "versions",
        "ordering",
        "inputs",
        "web",
        "language",
        "state",
    ),
    ("migrations",),
    ("auth",),
    ("live",),
    ("plans",),
    ("sharing",),
    ("contacts",),
    ("diary",),
    ("actions",),
    ("orgs",),
    ("exit",),
    ("info",),
    ("phone",),
    ("rights",),
    ("home", "statements", "demo", "ops", "main", "__main__"),
]
FOUNDATION = frozenset(ORDER[0])
APPLICATION = "app.main"


@dataclass(frozen=True)
class Edge:
    source: str  # module that imports
    target: str  # module imported
    line: int

    def __str__(self) -> str:
        return f"{self.source} imports {self.target} (line {self.line})"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(APP.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def unit_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def resolve(name: str, modules: set[str]) -> str:
    """``app.auth`` + ``codes`` names the module ``app.auth.codes`` when it exists."""
    return name if name in modules else name.rsplit(".", 1)[0]


def imports(module: str, tree: ast.Module, modules: set[str]) -> list[Edge]:
    is_package = (APP.parent / module.replace(".", "/")).is_dir()
    package = module if is_package else module.rsplit(".", 1)[0]
    found: list[Edge] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "app":
                    found.append(Edge(module, alias.name, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if base.split(".")[0] == "app":
                for alias in node.names:
                    target = resolve(f"{base}.{alias.name}", modules)
                    found.append(Edge(module, target, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return [e for e in found if e.target != module]


def defines_routes(tree: ast.Module) -> bool:
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        if any(isinstance(t, ast.Name) and t.id == "routes" for t in targets):
            return True
    return False


@dataclass
class Graph:
    edges: list[Edge]
    route_modules: set[str]
    modules: set[str]


def build() -> Graph:
    files = {module_name(p): p for p in APP.rglob("*.py")}
    modules = set(files) | {unit for m in files for unit in (".".join(m.split(".")[:2]),)}
    trees = {m: ast.parse(p.read_text(encoding="utf-8"), str(p)) for m, p in files.items()}
    edges = [e for m, tree in trees.items() for e in imports(m, tree, modules)]
    routes = {m for m, tree in trees.items() if defines_routes(tree)}
    return Graph(edges, routes, set(files))


def unit_edges(edges: list[Edge]) -> dict[str, dict[str, Edge]]:
    """unit → imported unit → one module edge that shows it."""
    graph: dict[str, dict[str, Edge]] = defaultdict(dict)
    for e in sorted(edges, key=lambda e: (e.source, e.target)):
        a, b = unit_of(e.source), unit_of(e.target)
        if a != b:
            graph[a].setdefault(b, e)
    return graph


def find_cycle(graph: dict[str, dict[str, Edge]]) -> list[str] | None:
    done: set[str] = set()
    path: list[str] = []

    def walk(unit: str) -> list[str] | None:
        if unit in path:
            return [*path[path.index(unit) :], unit]
        if unit in done:
            return None
        path.append(unit)
        for nxt in sorted(graph.get(unit, {})):
            if cycle := walk(nxt):
                return cycle
        path.pop()
        done.add(unit)
        return None

    for unit in sorted(graph):
        if cycle := walk(unit):
            return cycle
    return None


GRAPH = build()


def test_the_graph_is_read_at_all():
    """Guards the other tests against passing on an empty graph (a moved directory)."""
    units = unit_edges(GRAPH.edges)
    assert {"auth", "plans", "sharing", "contacts"} <= set(units["main"])
    assert "app.main" in GRAPH.modules and len(GRAPH.route_modules) > 5


def test_every_unit_has_a_place_in_the_order():
    placed = {unit for layer in ORDER for unit in layer}
    units = {unit_of(m) for m in GRAPH.modules}
    missing = sorted(units - placed)
    assert not missing, f"units not in ORDER (tests/unit/test_layers.py): {missing}"


def test_no_cycle_between_units():
    graph = unit_edges(GRAPH.edges)
    cycle = find_cycle(graph)
    if cycle:
        steps = "\n".join(f"  {a} -> {b}: {graph[a][b]}" for a, b in itertools.pairwise(cycle))
        raise AssertionError(f"import cycle {' -> '.join(cycle)}:\n{steps}")


def test_route_modules_are_imported_by_the_application_only():
    wrong = [
        str(e) for e in GRAPH.edges if e.target in GRAPH.route_modules and e.source != APPLICATION
    ]
    assert not wrong, "a route module is imported by something else than app/main.py:\n  " + (
        "\n  ".join(wrong)
    )


def test_models_import_only_foundation_and_models():
    def is_models(module: str) -> bool:
        return module.endswith(".models") or module == "app.audit"

    wrong = [
        str(e)
        for e in GRAPH.edges
        if is_models(e.source) and not (is_models(e.target) or unit_of(e.target) in FOUNDATION)
    ]
    assert not wrong, "a models module imports more than foundation and models:\n  " + (
        "\n  ".join(wrong)
    )


def test_foundation_imports_no_subpackage():
    wrong = [
        str(e)
        for e in GRAPH.edges
        if unit_of(e.source) in FOUNDATION and unit_of(e.target) not in FOUNDATION
    ]
    assert not wrong, "a foundation module imports a package above it:\n  " + "\n  ".join(wrong)


def test_units_import_downwards_only():
    level = {unit: i for i, layer in enumerate(ORDER) for unit in layer}
    wrong = [
        f"{e}: {unit_of(e.source)} (layer {level[unit_of(e.source)]}) may not import "
        f"{unit_of(e.target)} (layer {level[unit_of(e.target)]})"
        for e in GRAPH.edges
        if unit_of(e.source) in level
        and unit_of(e.target) in level
        and level[unit_of(e.target)] > level[unit_of(e.source)]
    ]
    assert not wrong, "upward imports (see ORDER in tests/unit/test_layers.py):\n  " + (
        "\n  ".join(wrong)
    )
