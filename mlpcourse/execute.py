"""Execute one notebook in a fresh Jupyter kernel, within limits, and say how it ended.

Limits, each a fact of the outcome rather than a crash of the grader:
- time: every cell stops at `cell_timeout` seconds and the whole notebook at `total_timeout`; the kernel
  is then killed (SIGKILL via jupyter_client), so code that ignores SIGINT is stopped too;
- memory: the kernel's address space is capped (RLIMIT_AS, inherited from this process): a student's
  allocation beyond it fails with MemoryError inside the kernel;
- output: the kernel's stdout and stderr are capped at `max_output` characters per notebook; more is
  dropped with one note, so a print loop cannot swamp the grader or the feedback.
"""
import subprocess
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

# Runs in the kernel before the notebook (and is removed from the result): caps what it prints.
OUTPUT_CAP = """
import sys as _sys
class _CappedStream:
    def __init__(self, stream, budget):
        self._stream, self._budget = stream, budget
    def write(self, text):
        if self._budget[0] <= 0:
            return len(text)
        kept = text[: self._budget[0]]
        self._budget[0] -= len(text)
        self._stream.write(kept if self._budget[0] > 0 else kept + "\\n[output cut: the notebook printed more than {limit} characters]\\n")
        return len(text)
    def __getattr__(self, name):
        return getattr(self._stream, name)
_budget = [{limit}]
_sys.stdout = _CappedStream(_sys.stdout, _budget)
_sys.stderr = _CappedStream(_sys.stderr, _budget)
del _CappedStream, _budget, _sys
"""


class Outcome:
    """How an execution ended: 'ok', 'timed out', 'kernel died' or 'out of memory', with a detail."""

    def __init__(self, status="ok", detail=""):
        self.status, self.detail = status, detail


def limit_memory(max_bytes):
    """Cap this process's address space; the kernel it starts inherits the cap (POSIX only)."""
    import resource

    if max_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))


def execute(notebook, cwd, cell_timeout=60, total_timeout=300, max_output=100_000, on_kernel_start=None):
    """Run the notebook's code cells in order (errors do not stop it, as in nbgrader's autograde).

    Fills in the cells' outputs in place and returns an Outcome. `on_kernel_start(pid)` is called
    with the kernel's process id, so that a watchdog outside can kill it.
    """
    cap = nbformat.v4.new_code_cell(OUTPUT_CAP.format(limit=max_output))
    cap.id = "grader-output-cap"
    notebook.cells.insert(0, cap)
    client = NotebookClient(notebook, timeout=cell_timeout, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}})
    deadline = time.monotonic() + total_timeout
    outcome, cell = Outcome(), cap
    try:
        # the kernel process's own stderr is jupyter's chatter, not the student's output (that comes over iopub)
        with client.setup_kernel(stderr=subprocess.DEVNULL):
            if on_kernel_start:
                on_kernel_start(client.km.provisioner.pid)
            for index, cell in enumerate(notebook.cells):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CellTimeoutError(f"the notebook ran past its {total_timeout} s limit")
                client.timeout = int(min(cell_timeout, max(1, remaining)))
                client.execute_cell(cell, index)
    except CellTimeoutError:
        outcome = Outcome("timed out", f"cell {cell.id} ran past the time limit ({cell_timeout} s a cell, {total_timeout} s in all)")
    except DeadKernelError:
        outcome = Outcome("kernel died", f"the kernel died while running cell {cell.id}")
    finally:
        notebook.cells.remove(cap)
    if outcome.status == "ok":
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error" and output.get("ename") == "MemoryError":
                    return Outcome("out of memory", f"cell {cell.id} ran out of memory")
    return outcome
