"""Checks used by the exercises' test cells. A failed check is feedback a student can act on:
which function and which case, expected vs got (shape, dtype, the worst element, max abs and
rel error) and, when the answer matches a classic mistake, what the student probably did.

    check_array(got, expected, function="linear_forward", case="batch of 1",
                mistakes={Hint("the bias is shared by every row of the batch", fix="sum G over axis 0"): wrong})

Hints come in levels, which the learner chooses (`set_hint_level(3)` in a notebook, the environment variable
MLPCOURSE_HINTS, `course.py check --hints 3`; the instructor's `course.py grade --hints N`):
  1  what is off: the function, the case, expected against got, shapes, the worst element;
  2  and the concept involved: the `hint:` lines (a plain-text hint names the mistake and shows from here);
  3  and the fix: the `fix:` lines.
A CheckFailed's message is cut to the level when it is made, so every test cell's message obeys it.
"""
import contextlib
import os
import re
import traceback
from dataclasses import dataclass

import numpy as np

# Relative tolerance for float64 answers that follow a different but exact order of operations than
# the reference: rounding differences stay around 1e-15 relative; 1e-8 leaves room for sums over long
# batches and is still a million times smaller than any mistake the hints describe.
RTOL = 1e-8
ATOL = 1e-10


# In a notebook graded sealed (mlpcourse.sealed) the grader's namespace holds, under this name, the student's
# kernel's global names: replaced_in_student_code changes them there.
STUDENT_KERNEL = "__student_kernel__"


HINT_LEVELS = {1: "what is off", 2: "the concept involved", 3: "the fix"}
DEFAULT_HINT_LEVEL = 2      # in a notebook and for `course.py check`; `course.py grade` shows level 3
_hint_level = None          # set_hint_level's choice; None: the environment's MLPCOURSE_HINTS, else the default
HINT_LINE = re.compile(r"^\s*hint: ")
FIX_LINE = re.compile(r"^\s*fix: ")
MORE_AT = {1: "  (a hint matches this failure: raise the hint level to see it: in the notebook, "
              "`from mlpcourse.checks import set_hint_level; set_hint_level(2)`, or course.py check --hints 2)",
           2: "  (the fix: raise the hint level to 3: set_hint_level(3) from mlpcourse.checks, or course.py check --hints 3)"}


def hint_level():
    """The hint level failures are shown at (1, 2 or 3)."""
    if _hint_level is not None:
        return _hint_level
    text = os.environ.get("MLPCOURSE_HINTS", "")
    return int(text) if text in ("1", "2", "3") else DEFAULT_HINT_LEVEL


def set_hint_level(level):
    """Show failures from now on at `level`: 1 what is off, 2 and the concept, 3 and the fix."""
    global _hint_level
    if level not in HINT_LEVELS:
        raise ValueError(f"the hint level is 1 (what is off), 2 (and the concept) or 3 (and the fix), not {level!r}")
    _hint_level = level


@contextlib.contextmanager
def hints_at(level):
    """Within the block, failures are shown at `level` (then the level before comes back)."""
    global _hint_level
    previous = _hint_level
    set_hint_level(level)
    try:
        yield
    finally:
        _hint_level = previous


@dataclass(frozen=True)
class Hint:
    """A hint in levels: `concept` names the mistake and the idea it misses (level 2), `fix` says what to
    change (level 3). A plain string where a hint is expected is a concept."""
    concept: str
    fix: str = ""

    def __str__(self):
        return self.concept + (f"\n  fix: {self.fix}" if self.fix else "")

    def format(self, **values):
        """This hint with its {placeholders} filled in from `values`."""
        return Hint(self.concept.format(**values), self.fix.format(**values))


def at_level(message, level):
    """`message` with the hint lines above `level` left out, and a line saying that there is more."""
    kept, hidden, skipping = [], 0, False
    for line in message.splitlines():
        if line in MORE_AT.values():
            continue
        shown_from = 2 if HINT_LINE.match(line) else 3 if FIX_LINE.match(line) else None
        if shown_from is None and skipping and line.startswith("    "):
            continue  # a hidden hint's continuation line
        skipping = shown_from is not None and shown_from > level
        if skipping:
            hidden = hidden or shown_from
            continue
        kept.append(line)
    if hidden:
        kept.append(MORE_AT[level])
    return "\n".join(kept)


class CheckFailed(AssertionError):
    """A student's answer differs from the reference; the message says how, at the hint level of the moment
    (`full_message` keeps every level). `hint`: a Hint (or text) that names the likely mistake."""

    def __init__(self, message="", hint=None):
        self.full_message = str(message) + (f"\n  hint: {hint}" if hint else "")
        super().__init__(at_level(self.full_message, hint_level()))


SQUEEZED_HINT = Hint("an axis of size 1 was dropped (a batch of one, a single feature or output): squeeze(), "
                     "indexing with [0], or a reduction without keepdims removes it",
                     fix="keep the axis: no squeeze(); x[0:1] instead of x[0]; keepdims=True")
ONE_NUMBER_HINT = Hint("one number came out where an array is expected: a sum, mean or max without an axis "
                       "reduces the whole array", fix="reduce over the one axis meant (axis=0: over the batch)")
KEPT_AXIS_HINT = Hint("the result has an extra axis of size 1: a sum or mean with keepdims=True, or x[None] or a "
                      "reshape, kept an axis the answer does not have",
                      fix="reduce without keepdims=True where the answer loses the axis")
INTEGER_DIVISION = "integer division: // rounds down to a whole number, even for float arrays (2 // 8 is 0)"


def integer_division_hint(fix="divide with /"):
    """The hint for `//` where `/` was meant: one concept for every exercise, the fix in the exercise's terms."""
    return Hint(INTEGER_DIVISION, fix=fix)


# float32 keeps about 7 significant digits: values that agree to 1e-6 but not to RTOL passed through float32
FLOAT32_RTOL = 1e-6
FLOAT32_HINT = Hint("your values agree with the expected ones to about 7 digits, the precision of float32: a float32 "
                    "number or array entered the computation (np.float32(...), dtype=np.float32, astype)",
                    fix="compute in the inputs' float64: drop the float32")


def _dtype_hint(dtype):
    """What an answer of the wrong `dtype` says about the mistake."""
    if dtype == bool:
        return Hint("keep the input's dtype: a comparison such as x > 0 gives True/False (dtype bool), not numbers",
                    fix="turn it into numbers of the input's dtype: (x > 0).astype(x.dtype)")
    if np.issubdtype(dtype, np.integer):
        return Hint("keep the input's dtype: whole numbers came out (an int array, np.zeros(..., dtype=int), or a // b)",
                    fix="build arrays from the input (np.zeros_like(x)), divide with /")
    return Hint("keep the input's dtype; do not build arrays with a fixed dtype like np.float32 or int",
                fix="np.zeros_like(x), x.dtype, or no dtype= at all")


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
        squeezed = 1 in expected.shape and got.shape == tuple(size for size in expected.shape if size != 1)
        kept = 1 in got.shape and expected.shape == tuple(size for size in got.shape if size != 1)
        extra = ("\n  hint: the shape is transposed: check which side of the product the matrix is on" if transposed and not hint
                 else f"\n  hint: {SQUEEZED_HINT}" if squeezed and not hint
                 else f"\n  hint: {KEPT_AXIS_HINT}" if kept and not hint
                 else f"\n  hint: {ONE_NUMBER_HINT}" if got.ndim == 0 and expected.ndim and not hint else "")
        raise CheckFailed(f"{header}: wrong shape.\n  expected: {_describe(expected)}\n  got:      {_describe(got)}{hint_line}{extra}")
    if check_dtype and got.dtype != expected.dtype:
        raise CheckFailed(f"{header}: wrong dtype.\n  expected: {_describe(expected)}\n  got:      {_describe(got)}\n"
                          f"  hint: {_dtype_hint(got.dtype)}")
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
        # (+ 0.0 shows a negative zero as 0)
        f"  worst element {where}: expected {float(expected_f[worst]) + 0.0:.6g}, got {float(got_f[worst]) + 0.0:.6g}",
        f"  max abs error {np.max(np.where(close, 0, error)):.3g}, max rel error {rel_text}"
        f" (allowed: rtol {rtol:g}, atol {atol:g})",
    ]
    if finite_mismatch.any():
        lines.append("  your answer has inf or nan where the expected one is finite: an overflow? (exp of a large number)")
    if not hint and np.allclose(got_f, expected_f, rtol=FLOAT32_RTOL, atol=0) and np.issubdtype(got.dtype, np.floating):
        hint_line = f"\n  hint: {FLOAT32_HINT}"
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


def check_filled_in_place(weight, result, *, function, case, fill):
    """Raise CheckFailed unless an initialisation filled the array `weight` it was given (the test passes one full
    of NaN) and returned that same array. `fill`: what the fix assigns, e.g. "draws" (weight[...] = draws)."""
    if np.isnan(weight).any():
        raise CheckFailed(f"{function} ({case}): the array passed in was not filled.",
                          hint=Hint("fill it in place: assigning to the name `weight` only rebinds the name",
                                    fix=f"weight[...] = {fill}, then return weight"))
    if result is not weight:
        raise CheckFailed(f"{function} ({case}): returned a {type(result).__name__}, not the array it filled.",
                          hint=Hint("the function returns the array it filled", fix="end with `return weight`"))


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


def check_building_on(check, piece_checks, function, namespace=None):
    """Run `check()`; when it fails, run the checks of the functions `function` builds on and report the first
    that fails too: a wrong piece makes everything built on it wrong.

    piece_checks: zero-argument callables, or {the piece's function name: its check}; with names and the notebook's
    globals() as `namespace`, a piece is blamed only if `function` calls it (its premise: see `reaches`)."""
    try:
        check()
    except CheckFailed as failure:
        named = piece_checks.items() if isinstance(piece_checks, dict) else ((None, c) for c in piece_checks)
        for name, piece_check in named:
            try:
                piece_check()
            except Exception as piece_failure:  # a broken piece may raise anything
                if name is not None and namespace is not None and not reaches(check, name, namespace):
                    continue  # the piece is wrong, but this function does not use it
                piece_message = getattr(piece_failure, "full_message", piece_failure)
                raise CheckFailed(f"{failure.full_message}\n  {function} builds on your other functions, and one of them is "
                                  f"wrong:\n  {type(piece_failure).__name__}: {piece_message}") from None
        raise


PROBE = "the grader's probe"


def _probe(*args, **kwargs):
    raise LookupError(PROBE)


def reaches(run, name, namespace):
    """Whether `run()` calls the student's function `name` (the premise of a hint that blames it): with `name`
    replaced by a probe that raises, does the probe's error come out? `namespace`: the notebook's globals()."""
    with replaced_in_student_code(namespace, **{name: _probe}):
        try:
            run()
        except Exception as error:  # the probe's LookupError, or CheckFailed naming it, or another failure
            return PROBE in str(error) or PROBE in str(getattr(error, "full_message", ""))
    return False


MATMUL_ERROR = re.compile(r"matmul: Input operand (\d) has a mismatch in its core dimension \d.*\(size (\d+) is different from (\d+)\)")
DOT_ERROR = re.compile(r"shapes (\([\d, ]*\)) and (\([\d, ]*\)) not aligned")
BROADCAST_ERROR = re.compile(r"could not be broadcast together with (?:remapped )?shapes ((?:\([\d,]*\)\s*)+)")
OUTPUT_ERROR = re.compile(r"non-broadcastable output operand with shape (\([\d,]*\)) doesn't match the broadcast shape (\([\d,]*\))")
SHAPE = re.compile(r"\(([\d,]*)\)")
TRANSPOSE_HINT = Hint("in A @ B the last size of A must equal the first size of B; one matrix is on the wrong side of "
                      "the product, or transposed when it should not be (or not when it should)",
                      fix="write each operand's shape under it, and the shape of the result you need: the shapes "
                          "tell which transpose goes where")


def _shapes(text):
    return [tuple(int(n) for n in group.split(",") if n) for group in SHAPE.findall(text)]


def _student_line(error):
    """Where in the student's code `error` arose (its last frame outside NumPy and the course), as "your line"
    and, when that line is in another of their functions than the first one called, that function's name; or None."""
    frames = getattr(error, "remote_frames", None)
    if frames is None:
        frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(error.__traceback__)]
    own = [frame for frame in frames if "/numpy/" not in str(frame[0]) and "mlpcourse" not in str(frame[0])]
    line = str(own[-1][3]).strip() if own else ""
    if not line:
        return None
    inner = own[-1][2] if len(own) > 1 and own[-1][2] != own[0][2] and not own[-1][2].startswith("<") else None
    return (f"your line (in your {inner})" if inner else "your line") + f"\n      {line}"


def _broadcast_hint(first, second):
    """What two shapes that do not broadcast together say about the mistake."""
    small, large = sorted((first, second), key=len)
    if len(large) == len(small) + 1 and any(large[:axis] + large[axis + 1:] == small for axis in range(len(large))):
        return Hint(f"an axis was dropped ({large} became {small}), by a sum, mean or max without keepdims or by "
                    f"indexing such as x[rows, labels], so the result no longer lines up with the array it came "
                    f"from: broadcasting matches sizes from the right",
                    fix="keep the axis: keepdims=True (e.g. x.sum(axis=1, keepdims=True)), or index with [:, None]")
    if len(first) == len(second) == 2 and first == second[::-1]:
        return Hint(f"{first} and {second} are each other's transpose: one operand is transposed",
                    fix="write the shape of each array in the line under it and drop (or add) the .T that does not fit")
    return Hint("broadcasting matches sizes from the right; two sizes must be equal, or one of them 1",
                fix="write the shape of each array in the line under it; a missing keepdims=True or a transposed "
                    "operand are the usual causes")


def shape_feedback(error):
    """(what happened, Hint) for a NumPy error about shapes that do not fit; (None, None) for any other error."""
    text = str(error)
    matmul, dot = MATMUL_ERROR.search(text), DOT_ERROR.search(text)
    broadcast, output = BROADCAST_ERROR.search(text), OUTPUT_ERROR.search(text)
    if matmul:
        what = (f"a matrix product whose inner sizes differ: {matmul.group(3)} (the last size of the left operand) "
                f"and {matmul.group(2)} (the first size of the right one)")
        hint = TRANSPOSE_HINT
    elif dot:
        what = f"a matrix product of shapes {dot.group(1)} and {dot.group(2)}, whose inner sizes differ"
        hint = TRANSPOSE_HINT
    elif broadcast:
        shapes = _shapes(broadcast.group(1))
        what = "arrays of shapes " + " and ".join(map(str, shapes)) + " that do not broadcast together"
        hint = _broadcast_hint(*shapes[:2]) if len(shapes) >= 2 else None
    elif output:
        target, needed = _shapes(output.group(0))[:2]
        what = f"an in-place update (+=, -=, out=) of an array of shape {target} by a result of shape {needed}"
        hint = Hint("an in-place operation cannot change the shape of the array it writes into",
                    fix="give the right-hand side the shape of the left (sum over the batch axis, or keepdims=True)")
    else:
        return None, None
    line = _student_line(error)
    return what + (f", in {line}" if line else ""), hint


def _arrays_in(args, kwargs, names=()):
    """(label, array) of the array arguments; `names` names the positional ones (as the function's parameters)."""
    label = lambda i: f"`{names[i]}`" if i < len(names) else f"argument {i + 1}"
    return [(label(i), a) for i, a in enumerate(args) if isinstance(a, np.ndarray)] + \
           [(f"`{k}`", a) for k, a in kwargs.items() if isinstance(a, np.ndarray)]


def _shape_of(argument):
    """An argument as a failure message shows it: an array's shape, a list or tuple of arrays as their shapes."""
    if isinstance(argument, np.ndarray):
        return str(argument.shape)
    if isinstance(argument, (list, tuple)) and argument and all(isinstance(a, np.ndarray) for a in argument):
        shapes = ", ".join(str(a.shape) for a in argument)
        return f"[{shapes}]" if isinstance(argument, list) else f"({shapes})"
    if isinstance(argument, (int, float, np.number)):
        return repr(argument)
    return type(argument).__name__


def call(function, *args, case, unchanged=False, **kwargs):
    """Call a student's function; if it raises, fail with a message that names the function and the case
    (the student's own traceback stays attached, below it; NumPy's errors about shapes become the shapes
    that met and their likely cause). unchanged=True: fail if the function changed an array argument in place
    (where the instructions say it must not); unchanged=("param", "grad", ...) names the positional arguments."""
    name = getattr(function, "__name__", repr(function))
    names = unchanged if isinstance(unchanged, tuple) else ()
    before = [(label, array, array.copy()) for label, array in _arrays_in(args, kwargs, names)] if unchanged else []
    shapes = ", ".join(map(_shape_of, args))
    try:
        result = function(*args, **kwargs)
    except CheckFailed:
        raise
    except NotImplementedError as error:
        # the function still to write, maybe one that `function` calls (from the kernel's frames when graded sealed)
        frames = getattr(error, "remote_frames", None)
        stub = frames[-1][2] if frames else traceback.extract_tb(error.__traceback__)[-1].name
        raise CheckFailed(f"{stub} ({case}): not written yet: replace `raise NotImplementedError()` with your code") from None
    except Exception as error:  # whatever the student's code raises
        what, hint = shape_feedback(error) if isinstance(error, ValueError) else (None, None)
        if what:
            raise CheckFailed(f"{name} ({case}): your function raised ValueError, shapes that do not fit: {what}\n"
                              f"  the arguments' shapes: {shapes}\n  NumPy said: {str(error).strip()}"
                              + (f"\n  hint: {hint}" if hint else "")) from error
        line = _student_line(error)
        raise CheckFailed(f"{name} ({case}): your function raised {type(error).__name__}: {error}"
                          + (f"\n  in {line}" if line else "")) from error
    for label, array, copy in before:
        if array.shape != copy.shape or not np.array_equal(array, copy, equal_nan=True):
            raise CheckFailed(f"{name} ({case}): changed its input {label} in place (shape {copy.shape}); the caller's "
                              f"array must stay as it was\n  hint: `a -= ...`, `a *= ...`, `a[...] = ...` and out= "
                              f"write into the caller's array\n  fix: compute a new array instead (a = a - ...), or "
                              f"work on a.copy()")
    return result


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
