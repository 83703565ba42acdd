"""Grade many notebooks at once: one worker process per notebook (each with its own sandboxed student kernel),
one more worker than there are cores, a watchdog over each, and every result back through a pipe of the
worker's own, which no student's kernel can reach.
"""
import functools
import multiprocessing
from multiprocessing.connection import wait as wait_for_answers
import os
import signal
import time
from dataclasses import asdict

import nbformat

from .notebook_grader import Result, feedback_notebook, grade_ids_by_notebook, grade_notebook
from .statuses import GRADER_ERROR, TIMED_OUT


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
        ready = wait_for_answers([receiving for _, receiving, _ in running.values()], timeout=0.5)
        for process, (item, receiving, started) in list(running.items()):
            answer = None
            # a worker that answered and exited after `wait` returned: its answer is in the pipe (poll also sees EOF)
            if receiving in ready or (not process.is_alive() and receiving.poll()):
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
