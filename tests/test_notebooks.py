"""Every notebook is committed as source (no outputs, stable readable ids) and runs top to bottom
headless and offline; the solution notebooks pass all their own tests without writing to stderr
(nbgrader gives zero to a test cell that writes to stderr)."""
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from mlpcourse.notebooks import notebook_to_text, text_to_notebook

ROOT = Path(__file__).resolve().parent.parent
LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").rglob("*.ipynb"))
ALL = LECTURES + SOLUTIONS + sorted((ROOT / "exercises").rglob("*.ipynb")) + sorted((ROOT / "samples").rglob("*.ipynb"))


def name(path):
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", ALL, ids=name)
def test_committed_without_outputs_and_with_unique_ids(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    ids = [cell.get("id") for cell in notebook.cells]
    assert all(ids) and len(set(ids)) == len(ids), "every cell needs its own id"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"cell {cell.id} has outputs: clear them"


@pytest.mark.parametrize("path", LECTURES + SOLUTIONS, ids=name)
def test_text_format_round_trips(path):
    notebook = nbformat.read(path, as_version=4)
    again = text_to_notebook(notebook_to_text(notebook), path.stem)
    assert [(c.id, c.cell_type, c.source, c.metadata.get("nbgrader")) for c in again.cells] == \
           [(c.id, c.cell_type, c.source, c.metadata.get("nbgrader")) for c in notebook.cells]


def execute(path):
    notebook = nbformat.read(path, as_version=4)
    os.environ["MPLBACKEND"] = "Agg"
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return notebook


@pytest.mark.parametrize("path", SOLUTIONS, ids=name)
def test_solution_passes_its_tests_and_writes_nothing_to_stderr(path):
    for cell in execute(path).cells:
        for output in cell.get("outputs", []):
            assert output.get("name") != "stderr", f"cell {cell.id} wrote to stderr: {output.get('text', '')[:500]}"
