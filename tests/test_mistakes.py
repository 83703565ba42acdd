"""Every classic mistake in the catalogue (samples/mistakes/) loses exactly the points of the test
that should catch it, and that test's message gives the hint (at hint level 3) and blames no other of the
student's functions than the one the mistake is in; the solutions themselves lose nothing."""
import ast
import re
import warnings
from pathlib import Path

import nbformat
import pytest

from mlpcourse import checks, inprocess, mistakes

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = mistakes.load_catalogue()
SOLUTIONS = sorted((ROOT / "solutions").rglob("*.ipynb"))


BLAME = re.compile(r"follows from your (\w+)|fix (\w+) first|builds on your other functions, and one of them is "
                   r"wrong:\n\s*\w+: (\w+)")


def blamed_functions(message):
    """The student's functions a failure message blames for it."""
    return {name for match in BLAME.findall(message) for name in match if name}


@pytest.fixture(autouse=True)
def every_hint_level():
    """The catalogue's hints are checked at the full level (3: what is off, the concept and the fix)."""
    with checks.hints_at(3):
        yield


def graded_failures(path, replacements=None):
    notebook = nbformat.read(path, as_version=4)
    graded = {cell.id for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")}
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # as in a kernel: warnings are shown (on stderr), not raised
        results = inprocess.run_cells(notebook, replacements, cwd=path.parent)
    return {cell_id: failure for cell_id, failure in results.items() if cell_id in graded and failure}


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_solution_passes_every_graded_test(path):
    assert graded_failures(path) == {}


@pytest.mark.parametrize("assignment, notebook, mistake", CATALOGUE,
                         ids=[f"{a}/{n}:{m['cell']}:{m['new'][:30]}" for a, n, m in CATALOGUE])
def test_each_mistake_is_caught_by_its_test_with_its_hint(assignment, notebook, mistake):
    path = ROOT / "solutions" / assignment / notebook
    cell = next(c for c in nbformat.read(path, as_version=4).cells if c.id == mistake["cell"])
    mistaken = mistakes.apply(cell.source, mistake)
    failures = graded_failures(path, {cell.id: mistaken})
    assert set(failures) == set(mistake["caught_by"])
    changed = {node.name for node in ast.walk(ast.parse(mistaken)) if isinstance(node, ast.FunctionDef)}
    for cell_id in mistake["caught_by"]:
        assert mistake["hint"] in failures[cell_id], f"{cell_id} failed without the hint:\n{failures[cell_id]}"
        # a hint that blames another of the student's functions is true only if the mistake is in that function
        assert blamed_functions(failures[cell_id]) <= changed, failures[cell_id]
