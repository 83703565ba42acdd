"""Bring a report of `course.py grade` into an nbgrader course directory, where nbgrader looks for it.

    python -m mlpcourse.hub_report REPORT [--course DIR]

After `nbgrader collect` and `python course.py grade grading/submitted --out REPORT`, this puts:
- the scores into the course's gradebook (the one `nbgrader_config.py` names), so that formgrader and
  `nbgrader export` show them; each submission keeps its submission time (lateness is computed from it), and a
  notebook whose status is not plain "graded" (timed out, tests tampered with, suspected cheating, ...) is
  flagged for a person to look at. The assignment's notebooks and cells are recorded as the report graded them;
- the graded notebooks into the course's autograded folder (formgrader shows them);
- the HTML feedback into the course's feedback folder, with the submission's timestamp.txt and
  submission_secret.txt beside it, so that `nbgrader release_feedback` releases it to each student.

DIR is the course directory (default: the current folder). Only what the report holds is replaced.
"""
import argparse
import json
import shutil
import sys
import warnings
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import parse_utc
from traitlets.config.loader import PyFileConfigLoader

SUBMISSION_FILES = ("timestamp.txt", "submission_secret.txt")


class ReportError(Exception):
    """A report or course directory that cannot be imported, said in one line."""


def course_directory(course):
    """nbgrader's CourseDirectory for the course at `course`, configured by its nbgrader_config.py."""
    if not (course / "nbgrader_config.py").is_file():
        raise ReportError(f"{course} is not an nbgrader course directory (no nbgrader_config.py)")
    config = PyFileConfigLoader("nbgrader_config.py", str(course)).load_config()
    return CourseDirectory(config=config)


def copy_structure(source, target, assignment):
    """Record `assignment` (its notebooks and cells) from the gradebook `source` in the gradebook `target`."""
    found = source.find_assignment(assignment)
    target.update_or_create_assignment(assignment)
    for notebook in found.notebooks:
        target.update_or_create_notebook(notebook.name, assignment)
        for cell in notebook.grade_cells:
            target.update_or_create_grade_cell(cell.name, notebook.name, assignment, max_score=cell.max_score,
                                               cell_type=cell.cell_type)
        for cell in notebook.task_cells:
            target.update_or_create_task_cell(cell.name, notebook.name, assignment, max_score=cell.max_score,
                                              cell_type=cell.cell_type)
        for cell in notebook.solution_cells:
            target.update_or_create_solution_cell(cell.name, notebook.name, assignment)
        for cell in notebook.source_cells:
            target.update_or_create_source_cell(cell.name, notebook.name, assignment, cell_type=cell.cell_type,
                                                locked=cell.locked, source=cell.source, checksum=cell.checksum)


def submission_time(folder):
    stamp = folder / "timestamp.txt"
    return parse_utc(stamp.read_text().strip()) if stamp.is_file() else None


def import_report(report, course, progress=print):
    """Import the report folder `report` into the course directory `course`; return the rows imported."""
    report, course = Path(report).resolve(), Path(course).resolve()
    if not (report / "results.json").is_file():
        raise ReportError(f"{report} is not a report of `course.py grade` (no results.json)")
    rows = [row for row in json.loads((report / "results.json").read_text()) if row["cell_scores"] is not None]
    coursedir = course_directory(course)
    folder = lambda step, row: Path(coursedir.format_path(step, row["student"], row["assignment"]))  # noqa: E731
    with warnings.catch_warnings(), Gradebook(coursedir.db_url, coursedir.course_id) as gradebook, \
            Gradebook(f"sqlite:///{report / 'gradebook.db'}") as graded:
        warnings.simplefilter("ignore")  # nbgrader's own SQLAlchemy autoflush notices
        for assignment in sorted({row["assignment"] for row in rows}):
            copy_structure(graded, gradebook, assignment)  # what was graded (kept: the due date, other submissions)
        for student, assignment in sorted({(row["student"], row["assignment"]) for row in rows}):
            gradebook.update_or_create_student(student)
            submitted = folder(coursedir.submitted_directory, {"student": student, "assignment": assignment})
            gradebook.update_or_create_submission(assignment, student, timestamp=submission_time(submitted))
            for step in (coursedir.autograded_directory, coursedir.feedback_directory):
                target = folder(step, {"student": student, "assignment": assignment})
                shutil.rmtree(target, ignore_errors=True)
                target.mkdir(parents=True)
                for name in SUBMISSION_FILES:
                    if (submitted / name).is_file():
                        shutil.copy(submitted / name, target / name)
        for row in rows:
            notebook = Path(row["notebook"]).stem
            for grade_id, score in row["cell_scores"].items():
                gradebook.find_grade(grade_id, notebook, row["assignment"], row["student"]).auto_score = score
            gradebook.find_submission_notebook(notebook, row["assignment"], row["student"]).flagged = row["status"] != "graded"
            for kind, step, name in (("autograded", coursedir.autograded_directory, row["notebook"]),
                                     ("feedback", coursedir.feedback_directory, notebook + ".html")):
                made = report / kind / row["student"] / row["assignment"] / name
                if made.is_file():
                    shutil.copy(made, folder(step, row) / name)
            progress(f"{row['student']} {row['assignment']}/{row['notebook']}: {row['score']:g}/{row['max_score']:g} {row['status']}")
        gradebook.db.commit()
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mlpcourse.hub_report", description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, help="a report folder of `course.py grade` (results.json, gradebook.db, ...)")
    parser.add_argument("--course", type=Path, default=Path.cwd(), help="the nbgrader course directory (default: here)")
    args = parser.parse_args(argv)
    try:
        rows = import_report(args.report, args.course)
    except ReportError as error:
        sys.exit(f"hub_report: {error}")
    print(f"{len(rows)} notebook(s) imported into {args.course.resolve()}; release the feedback with nbgrader release_feedback")
    return 0


if __name__ == "__main__":
    sys.exit(main())
