"""What a notebook cell is to nbgrader and to the course, read from its metadata in one place; and its code
as a syntax tree.

(nbgrader.utils has is_grade, is_solution and is_locked too, but importing nbgrader costs about 1.5 s,
which `course.py check` does not pay.)
"""
import ast
import re

MAGIC_LINE = re.compile(r"^\s*[%!].*$", re.MULTILINE)


def parse_code(source):
    """The syntax tree of a code cell's source, its IPython magics (%, !) left out; None if it does not parse."""
    try:
        return ast.parse(MAGIC_LINE.sub("", source))
    except SyntaxError:
        return None


def _nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def grade_id(cell):
    """nbgrader's id of a graded, answer or locked cell; None for other cells."""
    return _nbgrader(cell).get("grade_id")


def points(cell):
    return float(_nbgrader(cell)["points"])


def is_answer(cell):
    """A cell the student writes (an autograded or manually graded answer)."""
    return bool(_nbgrader(cell).get("solution"))


def is_test(cell):
    """A graded test cell: code with points, not an answer."""
    return cell.cell_type == "code" and bool(_nbgrader(cell).get("grade")) and not is_answer(cell)


def is_hand_graded(cell):
    """An answer with points that a person grades (nbgrader's manually graded answer: a written analysis)."""
    return bool(_nbgrader(cell).get("grade")) and is_answer(cell)


def is_readonly(cell):
    """A locked cell that is neither a test nor an answer: setup and the tests' helpers."""
    return bool(_nbgrader(cell).get("locked")) and not _nbgrader(cell).get("grade") and not is_answer(cell)


def is_student_setup(cell):
    """A read-only cell whose imports and helpers the answers use: graded sealed, it runs in the student's kernel too."""
    return bool(cell.metadata.get("mlpcourse", {}).get("student_setup"))


def test_cells(notebook):
    return [cell for cell in notebook.cells if is_test(cell)]
