"""A failed check, as a student sees it in a notebook: the course's message first, no traceback through the
course's own code.

In a Jupyter kernel (JupyterLab, a headless run, nbgrader's Validate, which shows the error's traceback
lines), a `CheckFailed` shows as

    CheckFailed: linear_forward (batch of 1): wrong shape.
      expected: shape (1, 3), dtype float64
      got:      shape (3,), dtype float64

When the check failed because the student's own code raised (`checks.call`), the traceback of that error comes
first, from the student's function down (the frames of the check that called it are left out), so that the
student sees the line of their code that failed. Outside IPython (plain Python, the in-process grader)
nothing changes.
"""
from pathlib import Path

COURSE_CODE = str(Path(__file__).resolve().parent)   # mlpcourse/: the checks' own frames


def _from_student_code(traceback):
    """The traceback from its first frame outside the course's code on (None if there is none)."""
    while traceback is not None and traceback.tb_frame.f_code.co_filename.startswith(COURSE_CODE):
        traceback = traceback.tb_next
    return traceback


def failed_check_lines(shell, failure):
    """The lines IPython shows for `failure`: the student's own traceback, if their code raised, then the message."""
    lines = []
    cause = failure.__cause__
    student_traceback = _from_student_code(getattr(cause, "__traceback__", None))
    if student_traceback is not None:
        # the error alone: what it interrupted (a check retrying after an earlier failure) is the course's business
        context, cause.__context__ = cause.__context__, None
        try:
            lines += shell.InteractiveTB.structured_traceback(type(cause), cause, student_traceback)
        finally:
            cause.__context__ = context
        lines.append("\nThe error above, raised by your code, made the check fail:")
    return lines + shell.InteractiveTB.get_exception_only(type(failure), failure)


def show_failed_checks_as_messages(check_failed):
    """In an IPython kernel, show every uncaught `check_failed` (the CheckFailed class) by its message alone."""
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python without IPython installed
        return
    shell = get_ipython()
    if shell is None:
        return
    shell.set_custom_exc((check_failed,), _show)


def _show(shell, etype, value, tb, tb_offset=None):
    """IPython's custom exception handler: show the lines as the kernel shows any error (an error output)."""
    lines = failed_check_lines(shell, value)
    shell._showtraceback(etype, value, lines)
    return lines
