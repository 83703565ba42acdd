"""Checks used by the exercises' test cells. A failed check is feedback a student can act on:
which function and which case, expected vs got (shape, dtype, the worst element, max abs and
rel error) and, when the answer matches a classic mistake, what the student probably did.

    check_array(got, expected, function="linear_forward", case="batch of 1",
                mistakes={"the bias gradient was not summed over the batch": wrong})
"""
import contextlib
import traceback

import numpy as np

# Relative tolerance for float64 answers that follow a different but exact order of operations than
# the reference: rounding differences stay around 1e-15 relative; 1e-8 leaves room for sums over long
# batches and is still a million times smaller than any mistake the hints describe.
RTOL = 1e-8
ATOL = 1e-10


# In a notebook graded sealed (mlpcourse.sealed) the grader's namespace holds, under this name, the student's
# kernel's global names: replaced_in_student_code changes them there.
STUDENT_KERNEL = "__student_kernel__"


class CheckFailed(AssertionError):
    """A student's answer differs from the reference; the message says how."""


def _describe(array):
    return f"shape {array.shape}, dtype {array.dtype}"


def _matches(got, candidate, rtol, atol):
    if candidate is None:  # a mistake that cannot happen in this case
        return False
    candidate = np.asarray(candidate)
    return candidate.shape == got.shape and np.allclose(got, candidate, rtol=rtol, atol=atol)


def _as_array(got, function, case):
    if got is None:
        raise CheckFailed(f"{function} ({case}): returned None. Did you forget a `return` statement?")
    try:
        array = np.asarray(got)
    except Exception as error:  # a student's object that NumPy cannot read
        raise CheckFailed(f"{function} ({case}): returned a {type(got).__name__}, not an array ({error})") from None
    if array.dtype == object:
        raise CheckFailed(f"{function} ({case}): returned a {type(got).__name__} NumPy cannot turn into numbers")
    return array


def check_array(got, expected, *, function, case, rtol=RTOL, atol=ATOL, mistakes=None, check_dtype=True):
    """Raise CheckFailed unless `got` equals `expected` (shape, dtype, values within rtol/atol).

    mistakes: {hint: array} the outputs that classic mistakes would give; when `got` matches one,
    its hint is added to the message.
    """
    expected = np.asarray(expected)
    got = _as_array(got, function, case)
    header = f"{function} ({case})"
    hint = next((text for text, wrong in (mistakes or {}).items() if _matches(got, wrong, rtol, atol)), None)
    hint_line = f"\n  hint: {hint}" if hint else ""
    if got.shape != expected.shape:
        transposed = got.ndim == 2 and got.shape == expected.shape[::-1]
        extra = "\n  hint: the shape is transposed: check which side of the product the matrix is on" if transposed and not hint else ""
        raise CheckFailed(f"{header}: wrong shape.\n  expected: {_describe(expected)}\n  got:      {_describe(got)}{hint_line}{extra}")
    if check_dtype and got.dtype != expected.dtype:
        raise CheckFailed(f"{header}: wrong dtype.\n  expected: {_describe(expected)}\n  got:      {_describe(got)}\n"
                          f"  hint: keep the input's dtype; do not build arrays with a fixed dtype like np.float32 or int")
    if not np.issubdtype(got.dtype, np.number) and got.dtype != bool:
        raise CheckFailed(f"{header}: expected numbers, got dtype {got.dtype}")
    got_f, expected_f = got.astype(np.float64), expected.astype(np.float64)
    finite_mismatch = ~np.isfinite(got_f) & np.isfinite(expected_f)
    close = np.isclose(got_f, expected_f, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return
    error = np.abs(got_f - expected_f)
    error = np.where(np.isnan(error) & ~close, np.inf, error)
    wrong = np.where(close, -1.0, error)
    worst = np.unravel_index(np.argmax(wrong), got.shape) if got.ndim else ()
    # relative error is measured where the expected value is not zero (elsewhere it is undefined)
    nonzero = ~close & (expected_f != 0)
    relative = np.divide(error, np.abs(expected_f), out=np.zeros_like(error), where=nonzero)
    where = f"at index {tuple(int(i) for i in worst)}" if got.ndim else "(a scalar)"
    rel_text = f"{relative.max():.3g}" if nonzero.any() else "undefined (expected 0)"
    lines = [
        f"{header}: wrong values in {int((~close).sum())} of {got.size} elements.",
        f"  expected: {_describe(expected)}; got: {_describe(got)}",
        f"  worst element {where}: expected {float(expected_f[worst]):.6g}, got {float(got_f[worst]):.6g}",
        f"  max abs error {np.max(np.where(close, 0, error)):.3g}, max rel error {rel_text}"
        f" (allowed: rtol {rtol:g}, atol {atol:g})",
    ]
    if finite_mismatch.any():
        lines.append("  your answer has inf or nan where the expected one is finite: an overflow? (exp of a large number)")
    raise CheckFailed("\n".join(lines) + hint_line)


def check_scalar(got, expected, *, function, case, rtol=RTOL, atol=ATOL, mistakes=None):
    """check_array for a single number; a 0-d array or a Python/NumPy scalar are both accepted."""
    got_array = _as_array(got, function, case)
    if got_array.size != 1:
        raise CheckFailed(f"{function} ({case}): expected a single number, got shape {got_array.shape}"
                          " (did you forget to sum or average?)")
    check_array(got_array.reshape(()), np.asarray(expected).reshape(()), function=function, case=case,
                rtol=rtol, atol=atol, mistakes=mistakes, check_dtype=False)


def check_equal(got, expected, *, function, case, hint=None):
    """Raise CheckFailed unless got == expected exactly (for integers, strings, shapes)."""
    if got != expected:
        raise CheckFailed(f"{function} ({case}): expected {expected!r}, got {got!r}" + (f"\n  hint: {hint}" if hint else ""))


def check_finite(got, *, function, case, hint):
    """Raise CheckFailed if the answer holds inf or nan (every expected answer in the exercises is finite,
    so they come from an overflow); answers that are not numbers are left to check_array to explain."""
    if got is None:
        return
    try:
        values = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return
    if not np.isfinite(values).all():
        raise CheckFailed(f"{function} ({case}): your answer contains inf or nan.\n  hint: {hint}")


def check_building_on(check, piece_checks, function):
    """Run `check()`; when it fails, run the checks of the functions `function` builds on (zero-argument
    callables) and report the first that fails too: a wrong piece makes everything built on it wrong."""
    try:
        check()
    except CheckFailed as failure:
        for piece_check in piece_checks:
            try:
                piece_check()
            except Exception as piece_failure:  # a broken piece may raise anything
                raise CheckFailed(f"{failure}\n  {function} builds on your other functions, and one of them is "
                                  f"wrong:\n  {type(piece_failure).__name__}: {piece_failure}") from None
        raise


def call(function, *args, case, **kwargs):
    """Call a student's function; if it raises, fail with a message that names the function and the case
    (the student's own traceback stays attached, below it)."""
    name = getattr(function, "__name__", repr(function))
    try:
        return function(*args, **kwargs)
    except CheckFailed:
        raise
    except NotImplementedError as error:
        # the function still to write, maybe one that `function` calls (from the kernel's frames when graded sealed)
        frames = getattr(error, "remote_frames", None)
        stub = frames[-1][2] if frames else traceback.extract_tb(error.__traceback__)[-1].name
        raise CheckFailed(f"{stub} ({case}): not written yet: replace `raise NotImplementedError()` with your code") from None
    except Exception as error:  # whatever the student's code raises
        raise CheckFailed(f"{name} ({case}): your function raised {type(error).__name__}: {error}") from error


@contextlib.contextmanager
def replaced_in_student_code(namespace, **replacements):
    """While the block runs, the student's code sees `replacements` under these global names: a test of one
    function runs it with the reference's versions of the student's others, so that a mistake costs only its
    own test. `namespace` is the notebook's globals(); graded sealed, the names change in the student's kernel."""
    kernel = namespace.get(STUDENT_KERNEL)
    if kernel is not None:
        previous, absent = kernel.replace(replacements)
        try:
            yield
        finally:
            kernel.replace(previous, absent)
        return
    missing = object()
    saved = {name: namespace.get(name, missing) for name in replacements}
    namespace.update(replacements)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


from mlpcourse.feedback_display import show_failed_checks_as_messages  # noqa: E402 (in Jupyter: the message, no traceback)
show_failed_checks_as_messages(CheckFailed)
