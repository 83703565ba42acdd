"""The whole catalogue of classic mistakes, graded sealed in one batch: a check too slow for the test suite.

    .venv/bin/python benchmarks/grade_catalogue_sealed.py [OUT_DIR]

tests/test_mistakes.py runs every catalogued mistake in-process, fast. This script grades each of them the
way a class is graded (`course.py grade`: the student's code in a sandboxed kernel, the tests in the grader)
and checks that each fails exactly its `caught_by` tests with its hint there too. It prints the time and the
mismatches, and exits 1 if there are any.
"""
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlpcourse import checks, grade, mistakes, samples  # noqa: E402
from mlpcourse.layout import EXERCISES, SOLUTIONS  # noqa: E402
from mlpcourse.notebooks import write_notebook  # noqa: E402


def build_class(folder):
    """One student per catalogued mistake; {(student, assignment, notebook): mistake}."""
    expected = {}
    for index, (assignment, notebook, mistake) in enumerate(mistakes.load_catalogue()):
        release = nbformat.read(EXERCISES / assignment / notebook, as_version=4)
        answers = samples.solution_sources(nbformat.read(SOLUTIONS / assignment / notebook, as_version=4))
        answers[mistake["cell"]] = mistakes.apply(answers[mistake["cell"]], mistake)
        student = f"m{index:03d}"
        path = folder / student / assignment / notebook
        path.parent.mkdir(parents=True, exist_ok=True)
        write_notebook(samples.filled_in(release, answers), path)
        expected[(student, assignment, notebook)] = mistake
    return expected


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="catalogue-"))
    expected = build_class(out / "class")
    checks.set_hint_level(3)  # the catalogue's hints are found at the full level
    started = time.perf_counter()
    rows = grade.grade(out / "class", out / "report", progress=lambda line: None)
    seconds = time.perf_counter() - started
    mismatches = 0
    for row in rows:
        mistake = expected.get((row.student, row.assignment, row.notebook))
        if mistake is None:
            continue  # the student's other notebooks of the assignment: not handed in
        failed = {test["id"]: test["message"] for test in row.tests if test["message"]}
        if set(failed) != set(mistake["caught_by"]) or not all(mistake["hint"] in failed[t] for t in mistake["caught_by"]):
            mismatches += 1
            print(f"MISMATCH {row.assignment}/{row.notebook} {mistake['cell']}: {mistake['new'][:50]!r} "
                  f"expected {mistake['caught_by']}, failed {sorted(failed)} ({row.status})")
    print(f"{len(expected)} catalogued mistakes graded sealed in {seconds:.0f} s; mismatches: {mismatches}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
