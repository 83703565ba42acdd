"""No lecture hands over a graded answer: no line of a solution (between BEGIN and END SOLUTION in
solutions/) appears in a lecture's code, compared after normalising both (comments and whitespace
dropped), apart from lines too short or too generic to give anything away (`return w, b`, `else:`)."""
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
MIN_LENGTH = 16  # characters of a normalised line, spaces removed: shorter lines say nothing specific
# names, attributes and calls without code in their arguments, returned or assigned: `return w, b`, `t = time.time()`
TRIVIAL = re.compile(r"(return|yield|[\w,]+=)?[\w.,()\[\]]*:?")


def normalise(line):
    """The line without its comment and without any whitespace ('a @ W.T + b' and 'a@W.T+b' are one line)."""
    code = line.split("#", 1)[0] if "'" not in line and '"' not in line else line
    return re.sub(r"\s+", "", code)


def telling(line):
    """Whether a normalised line is specific enough that seeing it gives an answer away."""
    return len(line) >= MIN_LENGTH and not TRIVIAL.fullmatch(line)


def solution_lines(notebook):
    """The normalised telling lines between ### BEGIN SOLUTION and ### END SOLUTION of a notebook's code cells."""
    lines, inside = set(), False
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            marker = line.strip()
            if marker == "### BEGIN SOLUTION":
                inside = True
            elif marker == "### END SOLUTION":
                inside = False
            elif inside and telling(normalise(line)):
                lines.add(normalise(line))
    return lines


def code_lines(notebook):
    """Every normalised line of a notebook's code cells."""
    return {normalise(line) for cell in notebook.cells if cell.cell_type == "code" for line in cell.source.splitlines()}


def test_normalising_drops_comments_and_spacing_only():
    assert normalise("    a = activation(a @ W.T + b)  # the hidden layers") == "a=activation(a@W.T+b)"
    assert normalise('print("# not a comment")') == 'print("#notacomment")'
    assert not telling(normalise("    return w, b, history"))
    assert not telling(normalise("else:"))
    assert not telling(normalise("start = time.perf_counter()"))
    assert telling(normalise("return np.where(X @ w + b >= 0, 1, -1)"))


SOLUTIONS = sorted((ROOT / "solutions").glob("*/*.ipynb"))
LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))


def test_there_are_solutions_and_lectures_to_compare():
    assert len(SOLUTIONS) >= 19 and len(LECTURES) >= 11
    assert all(solution_lines(nbformat.read(path, as_version=4)) for path in SOLUTIONS)


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda path: path.stem)
def test_no_solution_line_appears_in_the_lecture(lecture):
    lecture_lines = code_lines(nbformat.read(lecture, as_version=4))
    found = [f"{path.parent.name}/{path.stem}: {line}"
             for path in SOLUTIONS for line in sorted(solution_lines(nbformat.read(path, as_version=4)))
             if line in lecture_lines]
    assert not found, f"{lecture.name} hands over {len(found)} solution lines:\n" + "\n".join(found)
