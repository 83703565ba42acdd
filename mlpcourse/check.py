"""Grade your own exercise notebook with the hidden tests, as the instructor's autograder would.

    python course.py check exercises/a3_backprop/linear_relu.ipynb      (in a terminal)
    from mlpcourse.check import report; report()                         (in a cell of the notebook)

Save the notebook first. It is graded exactly as `course.py grade` grades a class (restored test cells,
a fresh kernel, the time and output limits; your file is only read), and every graded test is listed with
its points and, when it failed, the message it gave. The hidden tests' code is not shown, only their results.
Hints come in levels (mlpcourse.checks): 1 says what is off, 2 (the default) adds the concept involved, 3 the
fix: `course.py check NB --hints 3`, `report(hints=3)`.
"""
import argparse
import os
import sys
from pathlib import Path

import nbformat

from . import cells, checks, intake, notebook_grader, sandbox
from .notebook_grader import GradingError
from .layout import EXERCISES, SOLUTIONS, course_assignments
from .statuses import GRADED

STUDENT = "you"


def locate(notebook_path):
    """(assignment, notebook name) of a notebook under exercises/<assignment>/ (or any folder named like one)."""
    path = notebook_path.resolve()
    if not path.is_file():
        raise GradingError(f"no such notebook: {notebook_path}")
    assignment = path.parent.name
    if not (SOLUTIONS / assignment / path.name).is_file():
        known = sorted(p.relative_to(SOLUTIONS).as_posix() for p in SOLUTIONS.rglob("*.ipynb"))
        raise GradingError(f"{notebook_path} is not an exercise notebook (expected <assignment>/<notebook>.ipynb, "
                           f"one of: {', '.join(known)})")
    try:
        nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises several kinds for a damaged file
        raise GradingError(f"{notebook_path} is not a readable notebook ({type(error).__name__}: {error})") from None
    return assignment, path


def check(notebook_path, hints=None):
    """Grade one notebook as the batch grader does, its failures shown at hint level `hints` (default: the level
    set in this process, else checks.DEFAULT_HINT_LEVEL); return [(test cell id, points earned, points possible, failure)]."""
    level = hints or checks.hint_level()
    with checks.hints_at(level):
        results = _check(notebook_path)
    return [(test, earned, points, failure and checks.at_level(failure, level)) for test, earned, points, failure in results]


def _check(notebook_path):
    if os.name == "nt":  # the student's kernel talks to the grader over POSIX pipes (select, process groups)
        raise GradingError("grading needs Linux or macOS: on Windows, run the course in WSL (Windows Subsystem for Linux)")
    assignment, path = locate(notebook_path)
    sources = {(a, n): nbformat.read(SOLUTIONS / a / n, as_version=4)
               for a, notebooks in course_assignments().items() for n in notebooks}
    release = nbformat.read(EXERCISES / assignment / path.name, as_version=4)
    item = intake.Item(STUDENT, assignment, path.name, path)
    result, graded = notebook_grader.grade_notebook(item, sources[(assignment, path.name)], release, notebook_grader.Limits(),
                                          notebook_grader.grade_ids_by_notebook(sources), sandboxed=sandbox.bubblewrap() is not None)
    if graded is None:
        raise GradingError(f"{notebook_path}: {result.status}: {result.detail}")
    if result.status != GRADED:
        print(f"note: {result.status}: {result.detail}")
    return [(test["id"], test["earned"], test["points"], test["message"]) for test in result.tests]


def hand_graded_points(notebook_path):
    """The points of the notebook's answers that a person grades (not part of `check`'s score)."""
    assignment, path = locate(notebook_path)
    source = nbformat.read(SOLUTIONS / assignment / path.name, as_version=4)
    return sum(cells.points(cell) for cell in source.cells if cells.is_hand_graded(cell))


def print_results(results, by_hand=0.0):
    for test, earned, possible, failure in results:
        print(f"{'PASS' if not failure else 'FAIL'}  {test}  {earned:g}/{possible:g}")
        if failure:
            print("      " + failure.replace("\n", "\n      "))
    total, possible = sum(r[1] for r in results), sum(r[2] for r in results)
    print(f"\nscore: {total:g} / {possible:g}")
    if by_hand:
        print(f"(and {by_hand:g} more points for your written answers, which your instructor grades by hand)")


def report(notebook=None, hints=None):
    """Grade a saved notebook from inside Jupyter and print the results: `notebook` defaults to the notebook
    this kernel belongs to (Jupyter names it in JPY_SESSION_NAME); `hints` is the hint level (1 what is off,
    2 and the concept, 3 and the fix; default: the notebook's). Save the notebook first."""
    path = Path(notebook or os.environ.get("JPY_SESSION_NAME", ""))
    if not path.name.endswith(".ipynb"):
        print("Name the notebook to grade: report('linear_relu.ipynb')")
        return
    try:
        print_results(check(path, hints), hand_graded_points(path))
    except (GradingError, ValueError) as error:
        print(f"could not grade: {error}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="course.py check", description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", type=Path, help="your exercise notebook, e.g. exercises/a3_backprop/linear_relu.ipynb")
    parser.add_argument("--hints", type=int, choices=sorted(checks.HINT_LEVELS), default=None,
                        help=f"hint level: 1 what is off, 2 and the concept involved, 3 and the fix "
                             f"(default {checks.DEFAULT_HINT_LEVEL}, or the environment's MLPCOURSE_HINTS)")
    args = parser.parse_args(argv)
    try:
        results = check(args.notebook, args.hints)
    except GradingError as error:
        sys.exit(f"course.py check: {error}")
    print_results(results, hand_graded_points(args.notebook))
    return 0


if __name__ == "__main__":
    sys.exit(main())
