"""dbt Python models read their settings with ``dbt.config.get(key)``. dbt passes a key to the
model only when its parser finds that call, and the parser looks at statements and call
arguments only: a call nested in an expression (``int(dbt.config.get("k") or 7)``) is never
found, and the model silently runs with its default. int_ltv_scores ran that way for a while.
Here every ``dbt.config.get`` in every Python model must be one dbt's own parser finds."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from dbt.parser.models import PythonParseVisitor

from orchestration.lib.settings import DBT_PROJECT_DIR

PYTHON_MODELS = sorted((DBT_PROJECT_DIR / "models").rglob("*.py"))


def _config_gets_in_source(tree: ast.AST) -> list[str]:
    """Every dbt.config.get("key", ...) call, wherever it sits."""
    keys = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and PythonParseVisitor._flatten_attr(node.func) == "dbt.config.get"
        ):
            keys.append(ast.literal_eval(node.args[0]))
    return sorted(keys)


def _config_gets_dbt_finds(tree: ast.AST) -> list[str]:
    visitor = PythonParseVisitor(dbt_node=None)
    visitor.visit(tree)
    return sorted(args[0] for func, args, _ in visitor.dbt_function_calls if func == "get")


def test_there_are_python_models():
    assert any(p.name == "int_ltv_scores.py" for p in PYTHON_MODELS)


@pytest.mark.parametrize("path", PYTHON_MODELS, ids=lambda p: p.stem)
def test_every_config_get_is_found_by_dbt(path: Path):
    tree = ast.parse(path.read_text())
    assert _config_gets_dbt_finds(tree) == _config_gets_in_source(tree)


def test_a_nested_config_get_is_what_this_test_catches():
    tree = ast.parse('def model(dbt, s):\n    n = int(dbt.config.get("k") or 7)\n')
    assert _config_gets_in_source(tree) == ["k"]
    assert _config_gets_dbt_finds(tree) == []
