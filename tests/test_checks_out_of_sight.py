"""The exercises students receive show the task and its specification, not the answers: the checks behind their
tests (the expected values, the classic mistakes' outputs and the hints that name the fixes) live in
mlpcourse/exercise_checks/, run by one read-only cell per notebook (mlpcourse/exercise_checks/__init__.py)."""
import ast
import re
from pathlib import Path

import nbformat
import pytest

from mlpcourse import cells
from mlpcourse.exercise_checks import FOLDER, checks_path

ROOT = Path(__file__).resolve().parent.parent
RELEASED = sorted((ROOT / "exercises").glob("*/*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*/*.ipynb"))
LOAD = re.compile(r'^load_checks\("([\w/]+)", globals\(\)\)$', re.MULTILINE)
# what a check is made of: the checking API, a table of mistakes, a hint
CHECK_MACHINERY = re.compile(r"\bcheck_(array|scalar|equal|finite|building_on)\(|\bmistakes=|\bHint\(|hint: |fix: |"
                             r"\bCheckFailed\(")
LONGEST_SPEC_WORDS = 10  # a longer text shared by the checks and the notebook is a leaked hint (not a case name)


def notebook_name(path):
    return f"{path.parent.name}/{path.stem}"


def code_cells(path):
    return [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


@pytest.mark.parametrize("path", SOLUTIONS, ids=notebook_name)
def test_each_notebook_loads_its_own_checks_once_in_a_read_only_cell(path):
    loads = [(cell, name) for cell in code_cells(path) for name in LOAD.findall(cell.source)]
    assert [name for _, name in loads] == [notebook_name(path)]
    assert cells.is_readonly(loads[0][0]) and not cells.is_student_setup(loads[0][0])
    assert checks_path(notebook_name(path)).is_file()


def test_every_checks_file_belongs_to_a_notebook():
    files = {f"{p.parent.name}/{p.stem}" for p in FOLDER.glob("*/*.py")}
    assert files == {notebook_name(p) for p in SOLUTIONS}


@pytest.mark.parametrize("path", RELEASED, ids=notebook_name)
def test_the_release_holds_no_check_machinery(path):
    """No expected values, mistakes or hints in any code cell a student receives (the checks are called by name)."""
    leaks = [f"{cell.id}: {line.strip()}" for cell in code_cells(path) for line in cell.source.splitlines()
             if CHECK_MACHINERY.search(line)]
    assert leaks == []


def texts_of(source):
    """The string constants of a Python source, f-strings' literal parts included."""
    return [node.value for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


@pytest.mark.parametrize("path", RELEASED, ids=notebook_name)
def test_no_hint_of_the_checks_appears_in_the_release(path):
    """A hint's words (longer than a few) are nowhere in the notebook, not in its markdown either."""
    hints = [" ".join(text.split()) for text in texts_of(checks_path(notebook_name(path)).read_text(encoding="utf-8"))
             if len(text.split()) > LONGEST_SPEC_WORDS]
    notebook = " ".join(" ".join(cell.source.split()) for cell in nbformat.read(path, as_version=4).cells)
    assert [hint for hint in hints if hint in notebook] == []


def test_the_checks_run_in_the_notebooks_namespace(tmp_path):
    """load_checks runs the file as a cell would: its functions see the notebook's names, globals() included."""
    from mlpcourse import exercise_checks
    namespace = {"student_answer": lambda: 42}
    exercise_checks.FOLDER, saved = tmp_path, exercise_checks.FOLDER
    try:
        (tmp_path / "a0").mkdir()
        (tmp_path / "a0" / "nb.py").write_text("def check():\n    return student_answer(), 'check' in globals()\n")
        exercise_checks.load_checks("a0/nb", namespace)
        with pytest.raises(FileNotFoundError, match="no checks for the exercise 'a0/missing'"):
            exercise_checks.load_checks("a0/missing", namespace)
    finally:
        exercise_checks.FOLDER = saved
    assert namespace["check"]() == (42, True)
