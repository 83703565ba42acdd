"""Grade one submitted notebook: read it, restore its assignment's structure, flag suspicious code, run it
sealed (sealed.py: the student's code in a sandboxed kernel, every test in this process), score it from the
tests' verdicts, and make the feedback a student may see.

The pieces: intake.py finds the submissions, restore.py rebuilds each on its assignment's structure,
cheating.py flags suspicious code, sealed.py runs it; workers.py grades many in parallel; grade.py (the
`course.py grade` command) writes the gradebook and the report.
"""
import copy
import os
from dataclasses import dataclass, field

import nbformat

from . import cells, cheating, restore, sealed
from .statuses import (CELLS_MISSING, CHANNEL_BROKEN, FLAGGED, GRADED, MALFORMED, TAMPERED,
                       WRONG_ASSIGNMENT)


class GradingError(Exception):
    """A problem with the grading run itself (not with a student's work)."""


# the line each release's footer gives students to grade themselves: a cell of it is neither run nor flagged
SELF_GRADE_LINE = "from mlpcourse.check import report; report()"


@dataclass
class Limits:
    """The one place of the grading limits (nbgrader_config.py takes its own from here too)."""
    cell_timeout: int = 60          # seconds a cell may run
    total_timeout: int = 300        # seconds a notebook may run
    memory: int = 4 * 1024**3       # bytes of address space for the kernel
    max_output: int = 100_000       # characters a notebook may print
    # one more worker than cores: a worker waits on its kernel's start-up and replies part of the time
    # (measured here, 40 notebooks on 2 cores: 41.6 s with 2 workers, 32.1 s with 3, 35.2 s with 4)
    workers: int = (os.cpu_count() or 1) + 1
    max_lines: int = 200            # lines one output of a cell may show (nbgrader's LimitOutput.max_lines)


@dataclass
class Result:
    student: str
    assignment: str
    notebook: str
    score: float = 0.0
    max_score: float = 0.0
    status: str = GRADED
    detail: str = ""
    cell_scores: dict = None        # {grade id: points earned}
    tests: list = None              # [{"id", "points", "earned", "message"}]: each graded test, its failure message
                                    # (with every hint level: the class report matches mistakes by them) or None
    flags: list = field(default_factory=list)  # what looked like cheating, for a person to look at




def feedback_notebook(graded, release, flags=()):
    """The graded notebook as feedback: each test cell's code as the student saw it (hidden tests removed) and
    its errors as their message alone (a traceback would quote the hidden tests' code; nbgrader#917); on top,
    what the grader flagged for a person to look at, if anything."""
    visible = {cells.grade_id(c): c.source for c in release.cells if cells.grade_id(c)}
    shown = copy.deepcopy(graded)
    if flags:
        note = nbformat.v4.new_markdown_cell("**Flagged for your instructor to look at:** " + "; ".join(f"`{flag}`" for flag in flags) +
                                             ". The points above were computed as usual; a person decides.")
        note.id = "grader-flags"
        shown.cells.insert(0, note)
    for cell in cells.test_cells(shown):
        cell.source = visible.get(cells.grade_id(cell), "# (test code not shown)")
        for output in cell.outputs:
            if output.output_type == "error":
                output.traceback = [f"{output.ename}: {output.evalue}"]
    return shown


def grade_notebook(item, source, release, limits, other_notebooks, sandboxed=True):
    """Everything for one submitted notebook: read, restore, flag, run sealed, score.

    Returns (Result, the graded notebook), the notebook None when it could not be run (malformed, another
    assignment's). other_notebooks: {"<assignment>/<notebook>": grade ids} of every notebook of the course.
    """
    result = Result(item.student, item.assignment, item.notebook,
                    max_score=sum(cells.points(c) for c in cells.test_cells(source)))
    try:
        submitted = nbformat.read(item.path, as_version=4)
    except Exception as error:  # not JSON, not a notebook, wrong encoding, ...
        result.status, result.detail = MALFORMED, f"{type(error).__name__}: {str(error)[:200]}"
        return result, None
    theirs = {cells.grade_id(c) for c in submitted.cells if cells.grade_id(c)}
    matches = {name: len(theirs & ids) for name, ids in other_notebooks.items()}
    best = max(matches, key=matches.get)
    if matches[best] > matches[f"{item.assignment}/{item.notebook}"]:
        result.status, result.detail = WRONG_ASSIGNMENT, f"this notebook is {best}, not {item.assignment}/{item.notebook}"
        return result, None
    rebuilt = restore.restore(submitted, source, release)
    # the student's code: their answers, and cells of their own (an ungraded cell of the release left as it was
    # is the course's code, which may well use the reference: it is not run)
    released = {cell.source for cell in release.cells}
    code = [cell for cell in rebuilt.notebook.cells if cell.cell_type == "code"]
    theirs = [cell for cell in code if cell.id in rebuilt.student_cells and (cells.is_answer(cell) or cell.source not in released)
              and cell.source.strip() != SELF_GRADE_LINE]
    reference = cheating.reference_names(cell.source for cell in code if cell not in theirs)
    result.flags = sorted({reason for cell in theirs for reason in cheating.suspicious(cell.source, reference)})
    outcome = sealed.run_sealed(rebuilt.notebook, {cell.id for cell in theirs}, limits, sandboxed)
    result.cell_scores, result.tests = {}, []
    for cell in cells.test_cells(rebuilt.notebook):
        grade_id, points = cells.grade_id(cell), cells.points(cell)
        failure = outcome.verdicts.get(grade_id, "not run")
        result.cell_scores[grade_id] = 0.0 if failure else points
        result.tests.append({"id": grade_id, "points": points, "earned": result.cell_scores[grade_id], "message": failure})
    result.score = sum(result.cell_scores.values())
    if outcome.status == CHANNEL_BROKEN:
        result.flags.append("broke the grading channel")
    notes = ["flagged: " + "; ".join(result.flags)] if result.flags else []
    if rebuilt.tampered:
        notes.append("tests tampered with, restored: " + ", ".join(rebuilt.tampered))
    if rebuilt.missing or rebuilt.retyped:
        notes.append("cells missing or retyped, restored: " + ", ".join(rebuilt.missing + rebuilt.retyped))
    if rebuilt.duplicated:
        notes.append("duplicated cells dropped: " + ", ".join(rebuilt.duplicated))
    if not sandboxed:
        notes.append("graded WITHOUT a sandbox")
    if outcome.status != GRADED:
        result.status, notes = outcome.status, [outcome.detail, *notes]
    elif result.flags:
        result.status = FLAGGED
    elif rebuilt.tampered:
        result.status = TAMPERED
    elif rebuilt.missing or rebuilt.retyped:
        result.status = CELLS_MISSING
    result.detail = "; ".join(notes)
    return result, rebuilt.notebook


def grade_ids_by_notebook(sources):
    """{"<assignment>/<notebook>": set of grade ids} from {(assignment, notebook): source notebook}."""
    return {f"{a}/{n}": {cells.grade_id(c) for c in nb.cells if cells.grade_id(c)} for (a, n), nb in sources.items()}
