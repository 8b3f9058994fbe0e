"""The apps form layers and imports only go down (docs/architecture.md, "Layers").

Every import statement counts, the ones inside functions too: that is how a circle hides. Tests
and migrations are not read. `config.urls` is the composition root, the one module allowed to
import every app; no app imports it.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# From the bottom up. An app may import itself and the apps listed before it, never one after.
LAYERS = [
    "config",
    "outbox",
    "crm",
    "notifications",
    "jobs",
    "scoring",
    "campaigns",
    "leads",
    "tracking",
    "followups",
    "sales",
    "imports",
    "nurture",
    "reports",
    "desk",
    "data_rights",
    "demo",
    "bench",
]
COMPOSITION_ROOT = "config.urls"
RANK = {app: rank for rank, app in enumerate(LAYERS)}


def modules():
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            yield app, path


def imported_apps(path: Path):
    """(line, imported module) for every import of one of our apps in the file."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            if name.split(".")[0] in RANK:
                yield node.lineno, name


def test_every_app_has_a_layer():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    unplaced = packages - set(RANK) - {"tests"}
    assert not unplaced, f"Put these packages in LAYERS (and docs/architecture.md): {sorted(unplaced)}"


def test_imports_only_go_down():
    upward = []
    for app, path in modules():
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if module == COMPOSITION_ROOT:
            continue
        for line, name in imported_apps(path):
            target = name.split(".")[0]
            if name == COMPOSITION_ROOT or name.startswith(COMPOSITION_ROOT + "."):
                upward.append(f"{path.relative_to(ROOT)}:{line} imports {name} (the composition root)")
            elif RANK[target] > RANK[app]:
                upward.append(f"{path.relative_to(ROOT)}:{line} ({app}) imports {name} ({target} is above {app})")
    assert not upward, "Imports that go up a layer:\n" + "\n".join(upward)


def test_the_graph_of_apps_has_no_circle():
    """What the layers imply, said directly: following imports from any app never leads back to it."""
    edges: dict[str, set[str]] = {app: set() for app in LAYERS}
    for app, path in modules():
        if ".".join(path.relative_to(ROOT).with_suffix("").parts) == COMPOSITION_ROOT:
            continue
        edges[app] |= {name.split(".")[0] for _, name in imported_apps(path)} - {app}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in edges[start]:
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    circles = sorted(app for app in LAYERS if reaches(app, app, set()))
    assert not circles, f"These apps reach themselves through imports: {circles}"
