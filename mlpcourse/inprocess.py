"""Run a notebook's code cells in this Python process, one namespace, no kernel: fast enough to run
an exercise notebook once per catalogued mistake in the test suite (a kernel start alone costs ~1 s).

Exercise notebooks are plain Python (no magics), which is what makes this possible.
"""
import contextlib
import io
import os
import warnings


def run_cells(notebook, replacements=None, cwd=None):
    """Execute the code cells in order, `replacements` ({cell id: source}) taking the place of theirs.

    Returns {cell id: failure}, where failure is None for a cell that ran cleanly, else the exception
    ("TypeError: ...") or, for a cell that ran but wrote to stderr, "stderr: <text>" (nbgrader gives
    zero to a test cell that writes to stderr).
    """
    import matplotlib

    matplotlib.use("Agg")
    replacements = replacements or {}
    namespace = {"__name__": "__main__"}
    results = {}
    previous = os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            source = replacements.get(cell.id, cell.source)
            warnings.simplefilter("default")  # as a kernel does per cell: a warning shows again in a new cell
            stderr = io.StringIO()
            try:
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(stderr):
                    exec(compile(source, f"<cell {cell.id}>", "exec"), namespace)
                results[cell.id] = f"stderr: {stderr.getvalue()}" if stderr.getvalue() else None
            except Exception as error:  # the student's code may raise anything
                results[cell.id] = f"{type(error).__name__}: {error}"
    finally:
        os.chdir(previous)
    return results
