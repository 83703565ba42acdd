"""Batch grading against plain nbgrader, in one run on the same submissions.

    .venv/bin/python benchmarks/bench_grading.py [--submissions 40]

Builds N submissions of exercises/a3_backprop/linear_relu.ipynb (a mix of correct, buggy and untouched
ones from samples/submitted), grades them with `course.py grade` (parallel workers, one per core) and with
plain sequential `nbgrader autograde`, and prints seconds per submission for both and the ratio. It also
checks that both give every submission the same score.
"""
import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlpcourse import grade  # noqa: E402
from mlpcourse.notebook_grader import Limits  # noqa: E402

ASSIGNMENT, NOTEBOOK = "a3_backprop", "linear_relu.ipynb"


def make_class(folder, count):
    kinds = ("correct", "buggy", "untouched")
    for index in range(count):
        kind = kinds[index % len(kinds)]
        target = folder / f"student{index:03d}_{kind}" / ASSIGNMENT
        target.mkdir(parents=True)
        shutil.copy(ROOT / "samples" / "submitted" / kind / ASSIGNMENT / NOTEBOOK, target / NOTEBOOK)


def plain_nbgrader(submissions, course):
    """Seconds for `nbgrader autograde` of the whole folder, and the scores it gave."""
    from nbgrader.api import Gradebook

    grade.make_scratch_course(course)
    grade.generate_release(course, ASSIGNMENT)
    shutil.copytree(submissions, course / "grading" / "submitted")
    started = time.perf_counter()
    code, log = grade.nbgrader(course, "autograde", ASSIGNMENT)
    seconds = time.perf_counter() - started
    with Gradebook(f"sqlite:///{course / 'grading' / 'gradebook.db'}") as gradebook:
        scores = {s.name: gradebook.find_submission_notebook(Path(NOTEBOOK).stem, ASSIGNMENT, s.name).score
                  for s in submissions.iterdir()}
    return seconds, scores


def ours(submissions, out):
    started = time.perf_counter()
    rows = grade.grade(submissions, out, Limits(), progress=lambda line: None)
    return time.perf_counter() - started, {r.student: r.score for r in rows if r.notebook == NOTEBOOK}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=40)
    count = parser.parse_args().submissions
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        make_class(scratch / "class", count)
        (scratch / "nbgrader").mkdir()
        ours_seconds, ours_scores = ours(scratch / "class", scratch / "report")
        plain_seconds, plain_scores = plain_nbgrader(scratch / "class", scratch / "nbgrader")
    same = ours_scores == plain_scores
    print(f"{count} submissions of {ASSIGNMENT}/{NOTEBOOK}, {Limits().workers} worker(s)")
    print(f"course.py grade        {ours_seconds:7.1f} s   {ours_seconds / count:.2f} s per submission")
    print(f"nbgrader autograde     {plain_seconds:7.1f} s   {plain_seconds / count:.2f} s per submission")
    print(f"ratio (ours / nbgrader): {ours_seconds / plain_seconds:.2f}")
    print(f"same score for every submission: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
