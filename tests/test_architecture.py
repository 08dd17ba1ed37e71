"""The package's architecture as tests: layers import only downwards, no import cycles, no module over 600
lines, no use of another module's private names, and the tests folder mirrors the package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PKG = ROOT / "iitvalue"

# lowest first; a module may import from its own layer (without cycles) and from any layer below
LAYERS = [
    {"errors", "units", "tables", "__init__"},
    {"stats"},
    {"catalogue", "programmes"},
    {"termsheet"},
    {"model"},
    {"deal"},
    {"valuation"},
    {"montecarlo"},
    {"analysis"},
    {"excel", "report"},
    {"cli", "__main__"},
]
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    out = {}
    for f in sorted(PKG.rglob("*.py")):
        rel = f.relative_to(PKG).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        out["iitvalue." + ".".join(parts)] = f
    return out


def _layer(module: str) -> int:
    top = module.split(".")[1] if module.count(".") else "__init__"
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    raise AssertionError(f"{module}: its folder is in no layer of tests/test_architecture.py")


def _imports(module: str, path: Path, top_level_only: bool) -> list[tuple[str, list[str], int]]:
    """(imported iitvalue module, names imported from it, line) for each import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out = []
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("iitvalue"):
                out.append((target, [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names if a.name.startswith("iitvalue")]
    return out


MODULES = _modules()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_only_downwards(module):
    own = _layer(module)
    for target, names, line in _imports(module, MODULES[module], top_level_only=False):
        for name in names or [""]:
            full = f"{target}.{name}" if f"{target}.{name}" in MODULES else target
            if full == "iitvalue":
                continue  # the lazy public API (iitvalue.__version__, ...)
            assert _layer(full) <= own, f"{module}:{line} imports {full}, a higher layer"


def test_no_import_cycles():
    graph = {m: set() for m in MODULES}
    for m, path in MODULES.items():
        for target, names, _ in _imports(m, path, top_level_only=True):
            for name in names or [""]:
                full = f"{target}.{name}" if f"{target}.{name}" in MODULES else target
                if full in MODULES and full != m and not m.startswith(full + "."):
                    graph[m].add(full)
    state: dict[str, int] = {}

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for n in graph[m]:
            if state.get(n) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(n):] + [n]))
            if n not in state:
                visit(n, stack + [n])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [m])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_are_small(module):
    n = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{module} has {n} lines; split it by concept (limit {MAX_LINES})"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_names_of_other_modules(module):
    path = MODULES[module]
    for target, names, line in _imports(module, path, top_level_only=False):
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        assert not private, f"{module}:{line} imports private {private} from {target}"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("iitvalue")):
            aliases |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import):
            aliases |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name.startswith("iitvalue")}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and node.attr.startswith("_") and not node.attr.startswith("__")):
            assert False, f"{module}:{node.lineno} uses {node.value.id}.{node.attr}, a private name of another module"


def test_tests_mirror_the_package():
    """Every subpackage of iitvalue has a folder of tests of the same name."""
    for sub in sorted(p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").exists()):
        folder = ROOT / "tests" / sub
        assert folder.is_dir() and any(folder.glob("test_*.py")), f"tests/{sub}/ is missing"
