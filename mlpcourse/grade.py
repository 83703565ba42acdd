"""Grade a class's submissions in one batch and write a report.

    python course.py grade [SUBMISSIONS] [--out DIR] [--workers N] [--timeout S] ...

SUBMISSIONS is a folder in nbgrader's submitted layout, `<student>/<assignment>/<notebook>.ipynb`, a .zip
of one, or a .zip of loose `<student>_<notebook>.ipynb` files as an LMS exports them (default: the
bundled samples in samples/submitted). `--shard K/N` grades one N-th of the students, so that N machines
can share a class (docs/grading.md). Every notebook is rebuilt on its assignment's structure (deleted,
retyped or edited test cells restored) and graded sealed: the student's code in a sandboxed kernel of its
own, the tests in the grader's process (docs/grading.md), within time, memory and output limits, in
parallel on every core. No student's submission stops the batch: each gets a score and a status with its
reason.

The report goes to DIR (default grading/reports/<date-time>/, never an existing folder): scores.csv
(one row per student and notebook), results.json (every test's points and message), report.html (what
the class got wrong; anonymous unless --names) with tests.csv and mistakes.csv, Canvas's and Moodle's
grade files, summary.txt, gradebook.db (nbgrader's gradebook, for `nbgrader export --db`), and each
student's graded notebooks and HTML feedback (hidden tests' results shown, their code not). Grading runs
in a scratch copy of the course: your own files are only read.
"""
import argparse
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path

import nbformat

from . import cells, class_report, intake, sandbox, workers
from .notebook_grader import GradingError, Limits, Result
from .layout import EXERCISES, GRADING, ROOT, SAMPLES, SOLUTIONS, course_assignments

FIELDS = ["student", "assignment", "notebook", "score", "max_score", "status", "flagged", "detail"]

SCRATCH_CONFIG = """\
c = get_config()
load_subconfig({repo_config!r})
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = "sqlite:///" + {db!r}
c.Exchange.root = {exchange!r}
"""


def nbgrader(course, *args):
    """Run one nbgrader command in a scratch course; return (exit code, combined output)."""
    bin_dir = Path(sys.executable).parent  # nbgrader runs `alembic` from PATH
    env = dict(os.environ, PATH=str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                            capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def make_scratch_course(course):
    """A course directory in `course` whose source is a copy of solutions/ and whose config is the repo's."""
    shutil.copytree(SOLUTIONS, course / "solutions")
    grading = course / "grading"
    grading.mkdir()
    (course / "nbgrader_config.py").write_text(SCRATCH_CONFIG.format(
        repo_config=str(ROOT / "nbgrader_config.py"), root=str(course),
        db=str(grading / "gradebook.db"), exchange=str(grading / "exchange")))


def generate_release(course, assignment):
    """nbgrader generate_assignment in the scratch course (it also records the assignment in the gradebook)."""
    code, log = nbgrader(course, "generate_assignment", assignment, "--force")
    if code:
        last_lines = "\n".join(log.strip().splitlines()[-5:])
        raise GradingError(f"nbgrader could not generate {assignment} from solutions/:\n{last_lines}")
    return course / "exercises" / assignment


def record_assignments(course, assignments):
    """Record `assignments` in the scratch course's gradebook, as nbgrader generate_assignment does. Generating
    takes seconds per assignment, so the gradebook is kept in grading/cache/, keyed by the solutions' content."""
    digest = hashlib.sha256()
    for assignment in assignments:
        for path in sorted((SOLUTIONS / assignment).rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    cached = GRADING / "cache" / f"gradebook-{digest.hexdigest()[:20]}.db"
    gradebook = course / "grading" / "gradebook.db"
    if cached.is_file():
        shutil.copy(cached, gradebook)
        return
    for assignment in assignments:
        generate_release(course, assignment)
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_name(f"{cached.name}.{os.getpid()}.part")
    shutil.copy(gradebook, partial)
    os.replace(partial, cached)  # atomic: a parallel run sees the whole file or none


class Report:
    """Collects results, writes them to nbgrader's gradebook (one writer: this process) and to the report folder."""

    def __init__(self, out, total, progress):
        self.out, self.total, self.progress = out, total, progress
        self.results = []

    def add(self, item, result, notebook_json=None, feedback_html=None):
        self.results.append(result)
        for text, folder, name in ((notebook_json, "autograded", result.notebook),
                                   (feedback_html, "feedback", Path(result.notebook).stem + ".html")):
            if text is not None:
                target = self.out / folder / result.student / result.assignment / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        self.progress(f"[{len(self.results)}/{self.total}] {result.student} {result.assignment}/{result.notebook}: "
                      f"{result.score:g}/{result.max_score:g} {result.status}")

    def _write_gradebook(self, gradebook_url):
        """Store every automatic score; this process is the gradebook's only writer, one transaction a notebook."""
        import warnings

        from nbgrader.api import Gradebook
        from sqlalchemy.exc import SAWarning

        with Gradebook(gradebook_url) as gradebook, warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)  # nbgrader's own autoflush notices, harmless
            for result in self.results:
                if result.cell_scores is None:
                    continue
                gradebook.update_or_create_student(result.student)
                gradebook.update_or_create_submission(result.assignment, result.student)
                notebook = Path(result.notebook).stem
                for grade_id, score in result.cell_scores.items():
                    gradebook.find_grade(grade_id, notebook, result.assignment, result.student).auto_score = score
                # formgrader shows a flag on the notebook; the reasons go in the comment on its first answer
                submitted = gradebook.find_submission_notebook(notebook, result.assignment, result.student)
                submitted.flagged = bool(result.flags)
                if result.flags and submitted.comments:
                    submitted.comments[0].manual_comment = "Flagged by the grader: " + "; ".join(result.flags)
                gradebook.db.commit()

    def write(self, gradebook_url):
        """Write the gradebook (None: no assignment of the course was handed in, so none) and the report."""
        if gradebook_url:
            self._write_gradebook(gradebook_url)
        rows = sorted(self.results, key=lambda r: (r.student, r.assignment, r.notebook))
        with open(self.out / "scores.csv", "w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=FIELDS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows({**vars(r), "flagged": "; ".join(r.flags)} for r in rows)
        (self.out / "summary.txt").write_text(format_table(rows) + "\n")
        # every notebook's record with each graded test's points and failure message, for the class report
        (self.out / "results.json").write_text(json.dumps([asdict(r) for r in rows], indent=1) + "\n")
        return rows


def format_table(rows):
    header = ("student", "notebook", "score", "status", "detail")
    lines = [(r.student, f"{r.assignment}/{r.notebook}" if r.notebook else r.assignment,
              f"{r.score:g} / {r.max_score:g}", r.status, r.detail[:120]) for r in rows]
    widths = [max(len(str(row[i])) for row in [header, *lines]) for i in range(len(header))]
    return "\n".join("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip()
                     for row in [header, *lines])


def in_shard(student, shard):
    """Whether `student` belongs to shard (k, n): students are split by a stable hash of their name, so that
    n machines each grading one shard grade every student exactly once."""
    k, n = shard
    return int(hashlib.sha256(student.encode()).hexdigest(), 16) % n == k


def grade(submissions, out, limits=None, progress=print, shard=(0, 1), sandboxed=True, names=False):
    """Grade everything under `submissions` (folder or zip); write the report to `out` (with the class report,
    which names students only when `names`); return the rows."""
    limits = limits or Limits()
    assignments = course_assignments()
    with tempfile.TemporaryDirectory(prefix="mlp-grade-") as scratch:
        scratch = Path(scratch)
        folder = submissions
        if submissions.suffix == ".zip" and submissions.is_file():
            folder = intake.unpack(submissions, scratch / "intake", warn=progress)
        items = [item for item in intake.collect(folder, assignments) if in_shard(item.student, shard)]
        course = scratch / "course"
        make_scratch_course(course)
        needed = sorted({item.assignment for item in items if item.assignment in assignments})
        # the gradebook is prepared while the notebooks are graded; the release used for grading is the
        # committed exercises/ (the test suite proves it equal to what nbgrader generates today)
        recorded = []
        recorder = threading.Thread(target=lambda: recorded.append(record_assignments(course, needed)))
        recorder.start()
        sources = {(a, n): nbformat.read(SOLUTIONS / a / n, as_version=4) for a in assignments for n in assignments[a]}
        releases = {(a, n): nbformat.read(EXERCISES / a / n, as_version=4) for a in needed for n in assignments[a]}
        out.mkdir(parents=True)
        report = Report(out, len(items), progress)
        runnable = []
        for item in items:
            if item.status:
                source = sources.get((item.assignment, item.notebook))
                max_score = sum(cells.points(c) for c in cells.test_cells(source)) if source else 0.0
                scores = {cells.grade_id(c): 0.0 for c in cells.test_cells(source)} if source else None
                report.add(item, Result(item.student, item.assignment, item.notebook, 0.0, max_score,
                                              item.status, item.detail, scores))
            else:
                runnable.append(item)
        workers.run_all(runnable, sources, releases, limits, report.add, sandboxed)
        recorder.join()
        if not recorded:
            raise GradingError("nbgrader could not generate the assignments from solutions/ (run nbgrader generate_assignment to see why)")
        rows = report.write(f"sqlite:///{course / 'grading' / 'gradebook.db'}" if needed else None)
        if needed:
            shutil.copy(course / "grading" / "gradebook.db", out / "gradebook.db")
    class_report.write_class_report([asdict(r) for r in rows], out, names=names)
    return rows


def main(argv=None):
    defaults = Limits()
    parser = argparse.ArgumentParser(prog="course.py grade", description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", nargs="?", type=Path, default=SAMPLES / "submitted",
                        help="folder <student>/<assignment>/<notebook>.ipynb or a .zip (default: the bundled samples)")
    parser.add_argument("--out", type=Path, help="where to write the report (a new folder)")
    parser.add_argument("--workers", type=int, default=defaults.workers, help="notebooks graded at once (default: one more than the cores)")
    parser.add_argument("--timeout", type=int, default=defaults.cell_timeout, help="seconds a cell may run (default 60)")
    parser.add_argument("--notebook-timeout", type=int, default=defaults.total_timeout, help="seconds a notebook may run (default 300)")
    parser.add_argument("--memory-mb", type=int, default=defaults.memory // 2**20, help="memory a kernel may use (default 4096)")
    parser.add_argument("--max-output", type=int, default=defaults.max_output, help="characters a notebook may print (default 100000)")
    parser.add_argument("--shard", default="1/1", help="K/N: grade only the K-th of N shards of the students (default 1/1)")
    parser.add_argument("--names", action="store_true", help="name students in the class report (default: anonymous ids)")
    parser.add_argument("--hints", type=int, choices=(1, 2, 3), default=3, help="hint level of the feedback: 1 what is "
                        "off, 2 and the concept involved, 3 (default: graded work is final) and the fix")
    parser.add_argument("--unsandboxed", action="store_true",
                        help="grade without the bubblewrap sandbox where it is missing (every report then says so)")
    args = parser.parse_args(argv)
    from .checks import set_hint_level
    set_hint_level(args.hints)  # the workers, forked, show their failures at this level
    if not args.unsandboxed and not sandbox.bubblewrap():
        sys.exit("course.py grade: the grading sandbox needs bubblewrap (`bwrap`), which is not installed: install it "
                 "(Debian/Ubuntu: apt-get install bubblewrap; see the README), or pass --unsandboxed to grade without it")
    try:
        k, n = (int(part) for part in args.shard.split("/"))
        if not 1 <= k <= n:
            raise ValueError
    except ValueError:
        sys.exit(f"course.py grade: --shard takes K/N with 1 <= K <= N, got {args.shard!r}")
    limits = Limits(args.timeout, args.notebook_timeout, args.memory_mb * 2**20, args.max_output, max(1, args.workers))
    out = args.out or GRADING / "reports" / time.strftime("%Y%m%d-%H%M%S")
    started = time.perf_counter()
    try:
        if out.exists():
            raise GradingError(f"{out} exists already; name a new folder with --out (nothing was overwritten)")
        rows = grade(args.submissions.resolve(), out.resolve(), limits, shard=(k - 1, n), sandboxed=not args.unsandboxed,
                     names=args.names)
    except (GradingError, intake.IntakeError) as error:
        sys.exit(f"course.py grade: {error}")
    print("\n" + format_table(rows))
    print(f"\n{len(rows)} notebook(s) graded in {time.perf_counter() - started:.1f} s; report: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
