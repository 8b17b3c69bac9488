"""The architecture contract in pyproject.toml (`lint-imports`, run by `make lint`): kept by the code as it is, and
broken by a wrong-way import, so it cannot pass by checking nothing."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("accounts", "config", "forces", "reviews")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of the project's packages and configuration, to break on purpose."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_import(tree: Path, module: str, line: str) -> None:
    path = tree / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text() + f"\n{line}\n")


def test_the_code_keeps_every_contract(tree):
    result = lint_imports(tree)

    assert result.returncode == 0, result.stdout
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # Down the layers: a selector may not reach up into the part's own views.
        (
            "reviews.quality.selectors",
            "from reviews.quality import views",
            "Each part of reviews imports only downwards",
        ),
        # Across parts: no part imports another's views.
        (
            "reviews.results.selectors",
            "from reviews.workflow import views",
            "No other part imports the workflow's views",
        ),
        # The foundations import no part of the job.
        (
            "reviews.models",
            "from reviews.workflow import services",
            "Models, permissions and errors import no part of the job",
        ),
        # accounts and forces sit below reviews.
        ("accounts.selectors", "from reviews import models", "forces and accounts never import reviews"),
    ],
)
def test_a_wrong_way_import_breaks_the_contract(tree, module, line, contract):
    add_import(tree, module, line)

    result = lint_imports(tree)

    assert result.returncode == 1
    assert f"{contract} BROKEN" in result.stdout


def python_files(*folders: str) -> list[Path]:
    return [
        path
        for folder in folders
        for path in (ROOT / folder).rglob("*.py")
        if "migrations" not in path.parts and "__pycache__" not in path.parts
    ]


def test_no_module_of_reviews_but_its_models_is_over_500_lines():
    long = {
        str(path.relative_to(ROOT)): length
        for path in python_files("reviews")
        if path.name != "models.py" and (length := len(path.read_text().splitlines())) > 500
    }

    assert long == {}


def test_no_function_is_over_60_lines():
    long = {}
    for path in python_files("accounts", "bench", "config", "forces", "reviews", "tests"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno >= 60:
                long[f"{path.relative_to(ROOT)}:{node.name}"] = node.end_lineno - node.lineno + 1

    assert long == {}
