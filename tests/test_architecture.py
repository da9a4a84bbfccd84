"""The one direction of imports (DESIGN.md section 2) and where the packages resolve.

synth -> verifiers -> gem_env -> toolkits: a package may import only packages to its
right. PyPI has unrelated packages named `verifiers`, `synth` and `toolkits`; the
project's must be the ones imported.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["synth", "verifiers", "gem_env", "toolkits"]


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """``(line, dotted module)`` of every absolute import; ``from pkg import name`` counts
    as ``pkg.name`` (it may be a submodule)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return found


def _project_imports(path: Path) -> list[tuple[int, str]]:
    """``(line, project package)`` of each import statement of a project package."""
    tops = dict.fromkeys((line, name.split(".")[0]) for line, name in _imported_modules(path))
    return [(line, top) for line, top in tops if top in ORDER]


@pytest.mark.parametrize("package", ORDER)
def test_imports_point_only_to_the_right(package: str) -> None:
    allowed = set(ORDER[ORDER.index(package) :])
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package} has no modules"
    bad = [
        f"{path.relative_to(ROOT)}:{line} imports {top}"
        for path in files
        for line, top in _project_imports(path)
        if top not in allowed
    ]
    assert not bad, (
        "imports against the direction synth -> verifiers -> gem_env -> toolkits:\n"
        + "\n".join(bad)
    )


def test_the_direction_check_fires(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import synth.cli\nfrom gem_env import x\nimport json\n")
    assert _project_imports(module) == [(1, "synth"), (2, "gem_env")]


@pytest.mark.parametrize("package", ORDER)
def test_packages_resolve_inside_the_repository(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__file__ is not None, (
        f"{package} resolved to a namespace package, not the project's"
    )
    assert Path(module.__file__).resolve().parent == ROOT / package


#: gem_env modules that verifiers may import: data, never the env or its participants.
GEM_ENV_DATA_MODULES = {
    "gem_env.errors",
    "gem_env.goals",
    "gem_env.messages",
    "gem_env.parsing",
    "gem_env.protocols",
    "gem_env.scenario",
    "gem_env.trajectory",
}


def _gem_env_imports(path: Path) -> list[tuple[int, str]]:
    """``(line, gem_env module)`` of each import from gem_env (``gem_env.x``)."""
    return [
        (line, ".".join(name.split(".")[:2]))
        for line, name in _imported_modules(path)
        if name.split(".")[0] == "gem_env"
    ]


def test_verifiers_import_only_gem_env_data_modules() -> None:
    bad = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted((ROOT / "verifiers").rglob("*.py"))
        for line, name in _gem_env_imports(path)
        if name not in GEM_ENV_DATA_MODULES
    ]
    assert not bad, "verifiers must check any trajectory without the env:\n" + "\n".join(bad)


def test_the_data_module_check_fires(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from gem_env.env import ToolUseEnv\nfrom gem_env import participants\n")
    names = [n for _, n in _gem_env_imports(module)]
    assert names == ["gem_env.env", "gem_env.participants"]
    assert not set(names) & GEM_ENV_DATA_MODULES
