"""Grade a whole class: every notebook in its own worker process and kernel, all cores busy, one
writer for the gradebook, and a score with a reason for every submission that went in.

The pieces: intake.py finds the submissions, restore.py rebuilds each on its assignment's structure,
cheating.py flags suspicious code, execute.py runs it within limits; this module schedules the workers,
scores the results, writes the gradebook and the report.
"""
import copy
import json
import multiprocessing
import os
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from . import cheating, execute, restore
from .notebooks import write_notebook


@dataclass
class Limits:
    cell_timeout: int = 60          # seconds a cell may run
    total_timeout: int = 300        # seconds a notebook may run
    memory: int = 4 * 1024**3       # bytes of address space for the kernel
    max_output: int = 100_000       # characters a notebook may print
    # one more worker than cores: a worker waits on its kernel's start-up and replies part of the time
    # (measured here, 40 notebooks on 2 cores: 41.6 s with 2 workers, 32.1 s with 3, 35.2 s with 4)
    workers: int = (os.cpu_count() or 1) + 1


@dataclass
class Result:
    student: str
    assignment: str
    notebook: str
    score: float = 0.0
    max_score: float = 0.0
    status: str = "graded"
    detail: str = ""
    cell_scores: dict = None        # {grade id: points earned}
    tests: list = None              # [{"id", "points", "earned", "message"}]: each graded test, its failure message or None


def grade_cells(notebook):
    return [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]


def cell_score(cell):
    """nbgrader's rule for a graded code cell: no points if it raised or wrote to stderr; and none if it
    never ran (the notebook timed out or its kernel died before reaching it)."""
    if cell.get("execution_count") is None:
        return 0.0
    failed = any(o.output_type == "error" or (o.output_type == "stream" and o.name == "stderr") for o in cell.outputs)
    return 0.0 if failed else float(cell.metadata["nbgrader"]["points"])


def failure_message(cell):
    """Why a graded cell earned nothing, or None when it passed (nbgrader: an error or any stderr fails it).
    The error comes first: it carries the test's message and hint."""
    outputs = cell.get("outputs", [])
    errors = [f"{o.ename}: {o.evalue}" for o in outputs if o.output_type == "error"]
    stderr = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stderr").strip()
    if stderr:
        errors.append("the cell wrote to stderr, which costs a graded cell its points:\n" + stderr)
    if cell.get("execution_count") is None:
        errors.append("the test never ran (the notebook stopped before it)")
    return "\n".join(errors) or None


def feedback_notebook(graded, release):
    """The graded notebook as feedback: each test cell's code as the student saw it (hidden tests removed) and
    its errors as their message alone (a traceback would quote the hidden tests' code; nbgrader#917)."""
    visible = {c.metadata["nbgrader"]["grade_id"]: c.source for c in release.cells if "nbgrader" in c.metadata}
    shown = copy.deepcopy(graded)
    for cell in grade_cells(shown):
        cell.source = visible.get(cell.metadata["nbgrader"]["grade_id"], "# (test code not shown)")
        for output in cell.outputs:
            if output.output_type == "error":
                output.traceback = [f"{output.ename}: {output.evalue}"]
    return shown


def grade_notebook(item, source, release, limits, other_notebooks, on_kernel_start=None):
    """Everything for one submitted notebook: read, restore, flag, execute, score.

    Returns (Result, the graded notebook), the notebook None when it could not be run (malformed, another
    assignment's). other_notebooks: {"<assignment>/<notebook>": grade ids} of every notebook of the course.
    """
    result = Result(item.student, item.assignment, item.notebook,
                    max_score=sum(float(c.metadata["nbgrader"]["points"]) for c in grade_cells(source)))
    try:
        submitted = nbformat.read(item.path, as_version=4)
    except Exception as error:  # not JSON, not a notebook, wrong encoding, ...
        result.status, result.detail = "malformed notebook", f"{type(error).__name__}: {str(error)[:200]}"
        return result, None
    theirs = {restore.grade_id(c) for c in submitted.cells if restore.grade_id(c)}
    matches = {name: len(theirs & ids) for name, ids in other_notebooks.items()}
    best = max(matches, key=matches.get)
    if matches[best] > matches[f"{item.assignment}/{item.notebook}"]:
        result.status, result.detail = "wrong assignment", f"this notebook is {best}, not {item.assignment}/{item.notebook}"
        return result, None
    rebuilt = restore.restore(submitted, source, release)
    # the student's code: their answers, and cells of their own (an ungraded cell of the release left as it was
    # is the course's code, which may well use the reference)
    released = {cell.source for cell in release.cells}
    code = [cell for cell in rebuilt.notebook.cells if cell.cell_type == "code"]
    theirs = [cell for cell in code if cell.id in rebuilt.student_cells and (restore.is_answer(cell) or cell.source not in released)]
    reference = cheating.reference_names(cell.source for cell in code if cell not in theirs)
    reasons = sorted({reason for cell in theirs for reason in cheating.suspicious(cell.source, reference)})
    outcome = execute.execute(rebuilt.notebook, item.path.parent, limits.cell_timeout, limits.total_timeout,
                              limits.max_output, on_kernel_start=on_kernel_start)
    result.cell_scores = {c.metadata["nbgrader"]["grade_id"]: cell_score(c) for c in grade_cells(rebuilt.notebook)}
    result.score = sum(result.cell_scores.values())
    result.tests = [{"id": c.metadata["nbgrader"]["grade_id"], "points": float(c.metadata["nbgrader"]["points"]),
                     "earned": cell_score(c), "message": failure_message(c)} for c in grade_cells(rebuilt.notebook)]
    notes = ["flagged: " + "; ".join(reasons)] if reasons else []
    if rebuilt.tampered:
        notes.append("tests tampered with, restored: " + ", ".join(rebuilt.tampered))
    if rebuilt.missing or rebuilt.retyped:
        notes.append("cells missing or retyped, restored: " + ", ".join(rebuilt.missing + rebuilt.retyped))
    if rebuilt.duplicated:
        notes.append("duplicated cells dropped: " + ", ".join(rebuilt.duplicated))
    if outcome.status != "ok":
        result.status, notes = outcome.status, [outcome.detail, *notes]
    elif reasons:
        result.status = "suspected cheating"
    elif rebuilt.tampered:
        result.status = "tests tampered with (restored and graded)"
    elif rebuilt.missing or rebuilt.retyped:
        result.status = "cells missing (restored and graded)"
    result.detail = "; ".join(notes)
    return result, rebuilt.notebook


def _write(job_dir, result):
    (job_dir / "result.json").write_text(json.dumps(asdict(result)))


def _worker(item, source, release, limits, job_dir, other_notebooks):
    """One worker process: grade one notebook, leave result.json, graded.ipynb and feedback.html in job_dir."""
    os.setsid()  # its own process group, so that a watchdog can stop it and whatever it started
    try:
        execute.limit_memory(limits.memory)
        result, graded = grade_notebook(item, source, release, limits, other_notebooks,
                                        on_kernel_start=lambda pid: (job_dir / "kernel.pid").write_text(str(pid)))
        if graded is not None:
            write_notebook(graded, job_dir / "graded.ipynb")
            html, _ = EXPORTER.from_notebook_node(feedback_notebook(graded, release))
            (job_dir / "feedback.html").write_text(html, encoding="utf-8")
        _write(job_dir, result)
    except Exception as error:  # a bug of ours or a broken environment: say so in the report, go on
        _write(job_dir, Result(item.student, item.assignment, item.notebook, status="grader error",
                               detail=f"{type(error).__name__}: {error}"))


def _kill(job_dir, process):
    """Stop a worker that overran, with its kernel (in a process group of its own)."""
    pid_file = job_dir / "kernel.pid"
    for group in ([int(pid_file.read_text())] if pid_file.exists() else []) + [process.pid]:
        try:
            os.killpg(group, signal.SIGKILL)
        except OSError:
            pass  # already gone


EXPORTER = HTMLExporter()


def grade_ids_by_notebook(sources):
    """{"<assignment>/<notebook>": set of grade ids} from {(assignment, notebook): source notebook}."""
    return {f"{a}/{n}": {restore.grade_id(c) for c in nb.cells if restore.grade_id(c)} for (a, n), nb in sources.items()}


def run_all(items, sources, releases, limits, work_dir, on_result):
    """Grade `items` in parallel worker processes; call on_result(item, Result, job_dir) as each one ends."""
    EXPORTER.from_notebook_node(nbformat.v4.new_notebook())  # load its templates once; the workers inherit them
    context = multiprocessing.get_context("fork")
    other_notebooks = grade_ids_by_notebook(sources)
    queue = list(enumerate(items))
    running = {}
    watchdog = limits.total_timeout + 60
    while queue or running:
        while queue and len(running) < limits.workers:
            index, item = queue.pop(0)
            job_dir = work_dir / f"job-{index:05d}"
            job_dir.mkdir(parents=True)
            key = (item.assignment, item.notebook)
            process = context.Process(target=_worker, args=(item, sources[key], releases[key], limits, job_dir, other_notebooks))
            process.start()
            running[process] = (item, job_dir, time.monotonic())
        time.sleep(0.05)
        for process, (item, job_dir, started) in list(running.items()):
            if process.is_alive() and time.monotonic() - started < watchdog:
                continue
            result_file = job_dir / "result.json"
            if process.is_alive() or not result_file.exists():
                _kill(job_dir, process)  # overran, or died and may have left its kernel behind
            process.join()
            del running[process]
            if result_file.exists():
                result = Result(**json.loads(result_file.read_text()))
            else:
                result = Result(item.student, item.assignment, item.notebook, status="timed out",
                                detail=f"the grading worker was stopped after {watchdog} s")
            on_result(item, result, job_dir)
