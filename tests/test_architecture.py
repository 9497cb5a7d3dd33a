"""The layout's rules that the import contract (``lint-imports``) does not see.

Function-local imports of chainrule modules would hide a cycle from the
contract; only the facades (methods that hand a job to the layer that
does it) may have one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import chainrule

PACKAGE = Path(chainrule.__file__).parent

#: (module, imported module) pairs allowed inside a function: Network.fit, .explain, .save, Trace.to_html (2 pages).
FACADES = {
    ("chainrule.core.network", "chainrule.training.loop"),
    ("chainrule.core.network", "chainrule.teaching.trace"),
    ("chainrule.core.network", "chainrule.io"),
    ("chainrule.teaching.trace", "chainrule.web.explainer"),
    ("chainrule.teaching.trace", "chainrule.web.practice"),  # Trace.to_html(practice=True)
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _local_imports():
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.ImportFrom):
                    target = _resolve(module, node, path.name == "__init__.py")
                    if target.startswith("chainrule"):
                        yield module, target
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.name.startswith("chainrule"):
                            yield module, alias.name


def test_only_the_facades_import_inside_functions():
    found = set(_local_imports())
    assert found - FACADES == set()


def test_the_facades_are_still_there():
    # If a facade goes away, drop it from FACADES and from the contract's ignore_imports in pyproject.toml.
    assert set(_local_imports()) == FACADES


def test_the_page_assets_ship_as_package_data():
    assets = PACKAGE / "web" / "assets"
    assert {p.name for p in assets.iterdir()} >= {"explainer.css", "explainer.js", "report.css"}
    page = chainrule.Network([2, 2, 1], seed=0).explain([[0.0, 1.0]], [[1.0]]).to_html()
    assert (assets / "explainer.js").read_text(encoding="utf-8") in page
    assert (assets / "explainer.css").read_text(encoding="utf-8") in page
