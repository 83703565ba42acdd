"""Grade your own exercise notebook with the hidden tests, as the instructor's autograder would.

    python course.py check exercises/a3_backprop/linear_relu.ipynb      (in a terminal)
    from mlpcourse.check import report; report()                         (in a cell of the notebook)

Save the notebook first. It is graded in a scratch copy of the course (your file is only read) and
every graded test is listed with its points and, when it failed, the message it gave. The hidden tests'
code is not shown, only their results.
"""
import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

from .grade import ROOT, GradingError, generate_release, make_scratch_course, nbgrader

STUDENT = "you"


def failure_message(cell):
    """The error a graded cell ended with, or None when it passed (nbgrader: an error or any stderr fails)."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return f"{output.ename}: {output.evalue}"
        if output.output_type == "stream" and output.name == "stderr":
            return "the cell wrote to stderr (a graded cell must not):\n" + output.text.strip()
    return None


def locate(notebook_path):
    """(assignment, notebook name) of a notebook under exercises/<assignment>/ (or any folder named like one)."""
    path = notebook_path.resolve()
    if not path.is_file():
        raise GradingError(f"no such notebook: {notebook_path}")
    assignment = path.parent.name
    if not (ROOT / "solutions" / assignment / path.name).is_file():
        known = sorted(p.relative_to(ROOT / "solutions").as_posix() for p in (ROOT / "solutions").rglob("*.ipynb"))
        raise GradingError(f"{notebook_path} is not an exercise notebook (expected <assignment>/<notebook>.ipynb, "
                           f"one of: {', '.join(known)})")
    try:
        nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises several kinds for a damaged file
        raise GradingError(f"{notebook_path} is not a readable notebook ({type(error).__name__}: {error})") from None
    return assignment, path


def check(notebook_path):
    """Autograde one notebook; return [(test cell id, points earned, points possible, failure or None)]."""
    assignment, path = locate(notebook_path)
    with tempfile.TemporaryDirectory(prefix="mlp-check-") as scratch:
        course = Path(scratch)
        make_scratch_course(course)
        generate_release(course, assignment)
        submitted = course / "grading" / "submitted" / STUDENT / assignment
        submitted.mkdir(parents=True)
        shutil.copy(path, submitted / path.name)
        code, log = nbgrader(course, "autograde", assignment)
        graded_path = course / "grading" / "autograded" / STUDENT / assignment / path.name
        if not graded_path.is_file():
            last_lines = "\n".join(log.strip().splitlines()[-8:])
            raise GradingError(f"nbgrader could not grade {notebook_path}:\n{last_lines}")
        graded = nbformat.read(graded_path, as_version=4)
    results = []
    for cell in graded.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and cell.cell_type == "code":
            failure = failure_message(cell)
            results.append((meta["grade_id"], 0 if failure else meta["points"], meta["points"], failure))
    return results


def print_results(results):
    for test, earned, possible, failure in results:
        print(f"{'PASS' if not failure else 'FAIL'}  {test}  {earned:g}/{possible:g}")
        if failure:
            print("      " + failure.replace("\n", "\n      "))
    total, possible = sum(r[1] for r in results), sum(r[2] for r in results)
    print(f"\nscore: {total:g} / {possible:g}")


def report(notebook=None):
    """Grade a saved notebook from inside Jupyter and print the results: `notebook` defaults to the notebook
    this kernel belongs to (Jupyter names it in JPY_SESSION_NAME). Save the notebook first."""
    path = Path(notebook or os.environ.get("JPY_SESSION_NAME", ""))
    if not path.name.endswith(".ipynb"):
        print("Name the notebook to grade: report('linear_relu.ipynb')")
        return
    try:
        print_results(check(path))
    except GradingError as error:
        print(f"could not grade: {error}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="course.py check", description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", type=Path, help="your exercise notebook, e.g. exercises/a3_backprop/linear_relu.ipynb")
    args = parser.parse_args(argv)
    try:
        results = check(args.notebook)
    except GradingError as error:
        sys.exit(f"course.py check: {error}")
    print_results(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
