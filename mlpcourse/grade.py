"""Grade a folder of submissions with nbgrader and print a score table.

    python course.py grade [SUBMISSIONS] [--out DIR]

SUBMISSIONS is a folder in nbgrader's submitted layout, `<student>/<assignment>/<notebook>.ipynb`
(default: the bundled samples in samples/submitted). Grading runs in a fresh scratch course
directory built from solutions/, so the instructor's own gradebook and files are never touched.
The report goes to DIR (default grading/reports/<date-time>/, never an existing folder):
scores.csv, and each student's autograded notebooks and HTML feedback.
"""
import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "submitted"

SCRATCH_CONFIG = """\
c = get_config()
load_subconfig({repo_config!r})
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = "sqlite:///" + {db!r}
c.Exchange.root = {exchange!r}
"""


class GradingError(Exception):
    """A problem with the grading run itself (not with a student's work)."""


def find_submissions(folder):
    """{assignment: [student, ...]} from a folder laid out as <student>/<assignment>/*.ipynb."""
    if not folder.is_dir():
        raise GradingError(f"no such folder: {folder}")
    found = {}
    for student in sorted(p for p in folder.iterdir() if p.is_dir()):
        for assignment in sorted(p for p in student.iterdir() if p.is_dir()):
            found.setdefault(assignment.name, []).append(student.name)
    if not found:
        raise GradingError(f"{folder} holds no submissions (expected <student>/<assignment>/<notebook>.ipynb)")
    unknown = sorted(a for a in found if not (ROOT / "solutions" / a).is_dir())
    if unknown:
        known = ", ".join(sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir()))
        raise GradingError(f"unknown assignment(s) {', '.join(unknown)}; the assignments are: {known}")
    return found


def nbgrader(course, *args):
    """Run one nbgrader command in the scratch course; return its combined output."""
    bin_dir = Path(sys.executable).parent  # nbgrader runs `alembic` from PATH
    env = dict(os.environ, PATH=str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                            capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def generate_release(course, assignment):
    """nbgrader generate_assignment in the scratch course (it also records the assignment in the gradebook)."""
    code, log = nbgrader(course, "generate_assignment", assignment, "--force")
    if code:
        last_lines = "\n".join(log.strip().splitlines()[-5:])
        raise GradingError(f"nbgrader could not generate {assignment} from solutions/:\n{last_lines}")
    return course / "exercises" / assignment


def make_scratch_course(course):
    """A course directory in `course` whose source is a copy of solutions/ and whose config is the repo's."""
    shutil.copytree(ROOT / "solutions", course / "solutions")
    grading = course / "grading"
    grading.mkdir()
    (course / "nbgrader_config.py").write_text(SCRATCH_CONFIG.format(
        repo_config=str(ROOT / "nbgrader_config.py"), root=str(course),
        db=str(grading / "gradebook.db"), exchange=str(grading / "exchange")))


def grade(submissions, out):
    """Autograde every submission under `submissions`; write the report to `out`; return the score rows."""
    found = find_submissions(submissions)
    rows = []
    with tempfile.TemporaryDirectory(prefix="mlp-grade-") as scratch:
        course = Path(scratch)
        make_scratch_course(course)
        for assignment, students in found.items():
            generate_release(course, assignment)
            for student in students:
                shutil.copytree(submissions / student / assignment, course / "grading" / "submitted" / student / assignment)
            print(f"grading {assignment}: {len(students)} submission(s)", flush=True)
            nbgrader(course, "autograde", assignment)  # a failing notebook is reported below, not fatal
            nbgrader(course, "generate_feedback", assignment)
        rows = read_scores(course, found)
        out.mkdir(parents=True)
        for folder in ("autograded", "feedback"):
            if (course / "grading" / folder).is_dir():
                shutil.copytree(course / "grading" / folder, out / folder)
    write_csv(rows, out / "scores.csv")
    return rows


def read_scores(course, found):
    from nbgrader.api import Gradebook, MissingEntry

    rows = []
    with Gradebook(f"sqlite:///{course / 'grading' / 'gradebook.db'}") as gradebook:
        for assignment, students in found.items():
            max_score = gradebook.find_assignment(assignment).max_score
            for student in students:
                try:
                    submission = gradebook.find_submission(assignment, student)
                    score, status = submission.score, "graded"
                    lost = [grade.name for notebook in submission.notebooks for grade in notebook.grades
                            if (grade.score or 0) < grade.max_score]
                except MissingEntry:
                    score, status, lost = 0.0, "not graded (see nbgrader's log)", []
                rows.append(dict(student=student, assignment=assignment, score=score, max_score=max_score,
                                 status=status, lost_points_in=" ".join(sorted(lost))))
    return rows


def write_csv(rows, path):
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=["student", "assignment", "score", "max_score", "status", "lost_points_in"])
        writer.writeheader()
        writer.writerows(rows)


def format_table(rows):
    header = ("student", "assignment", "score", "status", "lost points in")
    lines = [(r["student"], r["assignment"], f"{r['score']:g} / {r['max_score']:g}", r["status"], r["lost_points_in"])
             for r in rows]
    widths = [max(len(str(row[i])) for row in [header, *lines]) for i in range(len(header))]
    return "\n".join("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip()
                     for row in [header, *lines])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="course.py grade", description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", nargs="?", type=Path, default=SAMPLES,
                        help="folder laid out as <student>/<assignment>/<notebook>.ipynb (default: the bundled samples)")
    parser.add_argument("--out", type=Path, help="where to write the report (a new folder)")
    args = parser.parse_args(argv)
    out = args.out or ROOT / "grading" / "reports" / time.strftime("%Y%m%d-%H%M%S")
    try:
        if out.exists():
            raise GradingError(f"{out} exists already; name a new folder with --out (nothing was overwritten)")
        started = time.perf_counter()
        rows = grade(args.submissions.resolve(), out.resolve())
    except GradingError as error:
        sys.exit(f"course.py grade: {error}")
    print(format_table(rows))
    print(f"\n{len(rows)} submission(s) graded in {time.perf_counter() - started:.1f} s; report: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
