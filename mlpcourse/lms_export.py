"""The grades of a batch as Canvas and Moodle import them: points per assignment and each notebook's status.

- canvas_grades.csv, Canvas's gradebook layout: Student, ID, SIS User ID, SIS Login ID, Section, one column per
  assignment, then Notes (the statuses other than "graded"); the second row is Canvas's "Points Possible".
- moodle_grades.csv, for Moodle's "Import grades from CSV": Username, then per assignment its points and a
  "<assignment> status" column to map to that grade item's feedback.

docs/class_report.md says which field maps where and what to check before importing.
"""
import csv
from collections import defaultdict


def gradebook(records):
    """(assignments in course order, {assignment: points possible}, {student: {assignment: points}},
    {student: {assignment: [(notebook, status)] of the notebooks not graded normally}})."""
    points, possible, unusual = defaultdict(dict), defaultdict(dict), defaultdict(lambda: defaultdict(list))
    for record in records:
        student, assignment, notebook = record.get("student", "?"), record.get("assignment") or "", record.get("notebook") or ""
        status = record.get("status") or "graded"
        if status != "graded":
            unusual[student][assignment].append((notebook, status))
        if not notebook:  # a folder named after no assignment: nothing to score
            continue
        points[student][assignment] = points[student].get(assignment, 0.0) + float(record.get("score") or 0)
        possible[student][assignment] = possible[student].get(assignment, 0.0) + float(record.get("max_score") or 0)
    assignments = sorted({a for marks in points.values() for a in marks})
    maximum = {a: max(p.get(a, 0.0) for p in possible.values()) for a in assignments}
    return assignments, maximum, points, unusual


def status_text(entries, assignment=None):
    """"linear_relu.ipynb: timed out; ..." (prefixed by the assignment when `assignment` is given)."""
    where = (lambda notebook: f"{assignment}/{notebook}" if notebook else assignment) if assignment else (lambda n: n or "the folder")
    return "; ".join(f"{where(notebook)}: {status}" for notebook, status in entries)


def write_gradebooks(records, out_dir):
    """Write canvas_grades.csv and moodle_grades.csv to out_dir (students by their nbgrader id)."""
    assignments, maximum, points, unusual = gradebook(records)
    students = sorted(set(points) | set(unusual))
    with open(out_dir / "canvas_grades.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *assignments, "Notes"])
        writer.writerow(["    Points Possible", "", "", "", "", *(f"{maximum[a]:g}" for a in assignments), ""])
        for student in students:
            notes = "; ".join(status_text(entries, a) for a, entries in sorted(unusual[student].items()))
            writer.writerow([student, "", "", student, "",
                             *(f"{points[student][a]:g}" if a in points[student] else "" for a in assignments), notes])
    with open(out_dir / "moodle_grades.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["Username", *(column for a in assignments for column in (a, f"{a} status"))])
        for student in students:
            row = [student]
            for a in assignments:
                handed_in = a in points[student]
                row += [f"{points[student][a]:g}" if handed_in else "",
                        (status_text(unusual[student][a]) or "graded") if handed_in else ""]
            writer.writerow(row)
