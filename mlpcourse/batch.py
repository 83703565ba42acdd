"""Grade notebooks: one (`grade_notebook`) or a whole class in parallel workers (`run_all`), each worker
with its own sandboxed student kernel, and a score with a reason for every submission that went in.

The pieces: intake.py finds the submissions, restore.py rebuilds each on its assignment's structure,
cheating.py flags suspicious code, sealed.py runs it (student code in the sandbox, tests here); this module
scores one notebook and schedules the workers; grade.py writes the gradebook and the report.
"""
import copy
import functools
import multiprocessing
import multiprocessing.connection
import os
import signal
import time
from dataclasses import asdict, dataclass, field

import nbformat

from . import cells, cheating, restore, sealed
from .statuses import (CELLS_MISSING, CHANNEL_BROKEN, FLAGGED, GRADED, GRADER_ERROR, MALFORMED,
                       TAMPERED, TIMED_OUT, WRONG_ASSIGNMENT)


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
    tests: list = None              # [{"id", "points", "earned", "message"}]: each graded test, its failure message or None
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


def _worker(item, source, release, limits, other_notebooks, sandboxed, connection):
    """One worker process: grade one notebook and send (result, graded notebook, feedback HTML) back through
    `connection`, a pipe of this worker's own that no student's kernel can reach."""
    os.setsid()  # its own process group, so that a watchdog can stop it and whatever it started
    try:
        result, graded = grade_notebook(item, source, release, limits, other_notebooks, sandboxed)
        notebook_json = html = None
        if graded is not None:
            notebook_json = nbformat.writes(graded)
            html, _ = exporter().from_notebook_node(feedback_notebook(graded, release, result.flags))
        connection.send((asdict(result), notebook_json, html))
    except Exception as error:  # a bug of ours or a broken environment: say so in the report, go on
        connection.send((asdict(Result(item.student, item.assignment, item.notebook, status=GRADER_ERROR,
                                       detail=f"{type(error).__name__}: {error}")), None, None))
    connection.close()


@functools.cache
def exporter():
    """nbconvert's HTML exporter, made once (it is slow to import and to load its templates)."""
    from nbconvert import HTMLExporter

    return HTMLExporter()


def grade_ids_by_notebook(sources):
    """{"<assignment>/<notebook>": set of grade ids} from {(assignment, notebook): source notebook}."""
    return {f"{a}/{n}": {cells.grade_id(c) for c in nb.cells if cells.grade_id(c)} for (a, n), nb in sources.items()}


def run_all(items, sources, releases, limits, on_result, sandboxed=True):
    """Grade `items` in parallel worker processes; call on_result(item, Result, graded notebook JSON, feedback
    HTML) as each one ends (the last two None when there are none)."""
    exporter().from_notebook_node(nbformat.v4.new_notebook())  # load its templates once; the workers inherit them
    import mlp_ref  # noqa: F401 (imported once here, inherited by the workers, whose tests all import it)
    context = multiprocessing.get_context("fork")
    other_notebooks = grade_ids_by_notebook(sources)
    queue = list(items)
    running = {}
    watchdog = limits.total_timeout + 60
    while queue or running:
        while queue and len(running) < limits.workers:
            item = queue.pop(0)
            key = (item.assignment, item.notebook)
            receiving, sending = context.Pipe(duplex=False)
            process = context.Process(target=_worker, args=(item, sources[key], releases[key], limits,
                                                            other_notebooks, sandboxed, sending))
            process.start()
            sending.close()
            running[process] = (item, receiving, time.monotonic())
        ready = multiprocessing.connection.wait([receiving for _, receiving, _ in running.values()], timeout=0.5)
        for process, (item, receiving, started) in list(running.items()):
            answer = None
            if receiving in ready:
                try:
                    answer = receiving.recv()
                except (EOFError, OSError):
                    answer = None  # the worker died without answering
            elif process.is_alive() and time.monotonic() - started < watchdog:
                continue
            if answer is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)  # overran or died: stop it and whatever it started
                except OSError:
                    pass
            process.join()
            receiving.close()
            del running[process]
            if answer is None:
                result = Result(item.student, item.assignment, item.notebook, status=TIMED_OUT,
                                detail=f"the grading worker was stopped after {watchdog} s, or died")
                on_result(item, result, None, None)
            else:
                fields, notebook_json, html = answer
                on_result(item, Result(**fields), notebook_json, html)
