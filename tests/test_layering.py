"""The layers stay apart: the library (``graph/``) never imports the web layer or the CLI, and no module imports a
private name (``_name``) of another."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Where each package of the import package lives (pyproject's package-dir).
PACKAGES = {"reformkg.graph": ROOT / "graph", "reformkg.api": ROOT / "api"}
#: What the library may not import: the web layer and the command line.
FORBIDDEN_IN_LIBRARY = ("reformkg.api", "typer")


def modules(package: str) -> list[tuple[str, Path]]:
    """Every module of a package, as (dotted name, file)."""
    folder = PACKAGES[package]
    found = []
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(folder).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found.append((".".join((package, *parts)), path))
    return found


def imports(module: str, path: Path) -> list[tuple[str, list[str], int]]:
    """What a module imports, anywhere in it (also inside functions): (absolute module, names, line)."""
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:  # relative: resolve against this module's package
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, *([target] if target else [])])
            found.append((target, [alias.name for alias in node.names], node.lineno))
    return found


def _within(target: str, prefix: str) -> bool:
    return target == prefix or target.startswith(prefix + ".")


def test_the_walk_finds_the_library_and_resolves_relative_imports(tmp_path):
    names = [name for name, _ in modules("reformkg.graph")]
    assert {"reformkg.graph", "reformkg.graph.store", "reformkg.graph.ownership", "reformkg.graph.queries"} <= set(
        names
    )
    probe = tmp_path / "probe.py"
    probe.write_text("from ..api import app\nfrom . import store\nimport typer\n\ndef f():\n    from x import _y\n")
    assert imports("reformkg.graph.probe", probe) == [
        ("reformkg.api", ["app"], 1),
        ("reformkg.graph", ["store"], 2),
        ("typer", [], 3),
        ("x", ["_y"], 6),
    ]


@pytest.mark.parametrize(("module", "path"), modules("reformkg.graph"), ids=lambda value: str(value))
def test_the_library_imports_neither_the_web_layer_nor_the_cli(module, path):
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: {target}"
        for target, names, line in imports(module, path)
        for full in [target, *(f"{target}.{n}" for n in names)]
        if any(_within(full, forbidden) for forbidden in FORBIDDEN_IN_LIBRARY)
    ]
    assert wrong == [], "the library must not depend on reformkg.api or typer"


def test_no_module_imports_another_modules_private_names():
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: from {target} import {name}"
        for package in PACKAGES
        for module, path in modules(package)
        for target, names, line in imports(module, path)
        for name in names
        if name.startswith("_") and not name.startswith("__") and _within(target, "reformkg")
    ]
    assert wrong == []


def test_no_name_the_ingest_package_exports_is_also_one_of_its_modules():
    """The package loads its modules on first use; a module named like an export would replace that export on the
    package once imported (``ingest.accept`` the module instead of ``accept`` the function)."""
    import pkgutil

    import reformkg.graph.ingest as ingest

    modules = {m.name for m in pkgutil.iter_modules(ingest.__path__)}
    assert not modules & set(ingest.__all__)
    assert set(ingest.__all__) == set(ingest._EXPORTS)
    assert all(callable(getattr(ingest, name)) or isinstance(getattr(ingest, name), str) for name in ingest.__all__)
