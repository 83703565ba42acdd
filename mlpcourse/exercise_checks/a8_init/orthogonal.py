"""The checks of a8_init/orthogonal.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a8_init/orthogonal", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import re

import numpy as np


# ---- setup
from mlpcourse.checks import CheckFailed, Hint, call, check_array, check_filled_in_place


# ---- orthogonal
SIGMAS = 6
DRAWS = 400
QR_MODE_FIX = ("np.linalg.qr's default mode 'reduced' gives Q the shape of A, (max(rows, cols), min(rows, cols)), "
               "while mode 'complete' gives a square Q")
ROW_SIGNS = Hint("the signs of R's diagonal go with Q's columns, not its rows (A = QR matches column j of Q with R's "
                 "diagonal entry j): shaped as a column, (k, 1), as [:, None] makes them, they scale Q's rows",
                 fix="multiply Q by the sign vector as it is, q * np.sign(np.diag(r)): broadcasting lines it up with "
                     "the columns")
SQUARE_Q = Hint("Q came out square: it must have the shape of A, one column per entry of R's diagonal, to fit the "
                "weight (transposed if the weight is wide)", fix=f"{QR_MODE_FIX}; use the default")
WIDE_HINT = Hint("a wide weight (rows < cols) can only have orthonormal rows: its columns are too many to be orthonormal",
                 fix="factor a tall (cols, rows) matrix and transpose Q")


def shape_error_hint(error, shape):
    """The Hint for a NumPy error that orthogonal_ raised on a weight of `shape`, or None if it is not one it explains:
    a Q of another shape than the weight's (written into it, or scaled by the signs of R's diagonal); or the signs
    lined up with Q's rows."""
    text = str(error) if isinstance(error, ValueError) else ""
    rows, cols = shape
    tall, short = max(rows, cols), min(rows, cols)
    written = re.search(r"could not broadcast input array from shape \((\d+),(\d+)\)", text)  # weight[...] = Q
    if written:
        q_shape = tuple(int(size) for size in written.groups())
        if rows < cols and q_shape in ((rows, rows), (cols, rows)):  # a wide A factored, or Q not transposed
            return Hint(WIDE_HINT.concept + "; Q must have the weight's shape (rows, cols)", fix=WIDE_HINT.fix)
        if q_shape == (tall, tall):
            return SQUARE_Q
        return Hint("Q must have the weight's shape (rows, cols)", fix=f"{QR_MODE_FIX}; factor a ({tall}, {short}) A")
    if "broadcast" in text and f"({tall},{short})" in text and f"({short},1)" in text:
        return ROW_SIGNS
    if "broadcast" in text and f"({tall},{tall})" in text and f"({short},)" in text:  # a square Q and R's diagonal
        return SQUARE_Q
    return None


def drawn(shape, gain, generator, case):
    """orthogonal_ on a new array of `shape`: it must fill it in place and return it."""
    weight = np.full(shape, np.nan)
    try:
        result = call(orthogonal_, weight, gain=gain, generator=generator, case=case)
    except CheckFailed as failure:
        hint = shape_error_hint(failure.__cause__, shape)
        if hint is None:
            raise
        message = failure.full_message.split("\n  hint: ")[0]  # NumPy's general hint on shapes: this one is more precise
        raise CheckFailed(message, hint=hint) from failure.__cause__
    check_filled_in_place(weight, result, function="orthogonal_", case=case, fill="gain * q")
    return weight


def check_orthonormal(shape, gain=1.0, seed=0):
    """WᵀW = gain²·I for a tall or square weight, WWᵀ = gain²·I for a wide one."""
    case = f"shape {shape}, gain={gain:.6g}"
    check_orthonormal_weight(drawn(shape, gain, np.random.default_rng(seed), case), gain, case)


def check_orthonormal_weight(weight, gain, case):
    shape = weight.shape
    wide = shape[0] < shape[1]
    product, name = (weight @ weight.T, "W Wᵀ") if wide else (weight.T @ weight, "Wᵀ W")
    identity = np.eye(min(shape))
    other = weight.T @ weight if wide else weight @ weight.T
    mistakes = {Hint("the gain argument was ignored: multiply Q by the gain", fix="weight[...] = gain * q"):
                identity if gain != 1 else None,
                Hint("the product of W with itself holds the gain twice: you scaled Q by gain², not by the gain",
                     fix="multiply Q by the gain, not by gain²"): gain ** 4 * identity,
                WIDE_HINT: other if other.shape == product.shape else None}
    check_array(product, gain ** 2 * identity, function=f"orthogonal_: {name} should be gain²·I", case=case,
                mistakes=mistakes)


def check_random_draws(shape, seed):
    """(Semi-)orthogonal weights, new at every call, the same for the same seed, and an average over many draws of 0."""
    case = f"shape {shape}"
    generator = np.random.default_rng(seed)
    first, second = (drawn(shape, 1.0, generator, case).copy() for _ in range(2))
    check_orthonormal_weight(first, 1.0, case)  # random, and orthogonal too
    if np.array_equal(first, second):
        raise CheckFailed(f"orthogonal_ ({case}): two calls with the same generator gave the same weights.",
                          hint=Hint("the weights repeat: a generator seeded anew at every call starts over",
                                    fix="draw a new random matrix at every call, from the generator passed in"))
    if not np.array_equal(first, drawn(shape, 1.0, np.random.default_rng(seed), case)):
        raise CheckFailed(f"orthogonal_ ({case}): two generators with the same seed gave different weights.",
                          hint=Hint("the draws ignore the generator passed in: draw from the generator passed in",
                                    fix="generator.standard_normal, not np.random or a generator of your own"))
    samples = np.array([drawn(shape, 1.0, generator, case) for _ in range(DRAWS)])
    z = samples.mean(axis=0) / (samples.std(axis=0) / np.sqrt(DRAWS))
    worst = np.unravel_index(np.argmax(np.abs(z)), shape)
    if abs(z[worst]) > SIGMAS:
        raise CheckFailed(
            f"orthogonal_ ({case}): over {DRAWS} draws, entry {tuple(int(i) for i in worst)} averages "
            f"{samples.mean(axis=0)[worst]:.3f}, {z[worst]:.1f} standard errors from 0 (allowed: {SIGMAS}).",
            hint=Hint("a uniformly random orthogonal matrix averages to 0, and yours do not: either A is not drawn from "
                      "the standard normal distribution, or Q still carries np.linalg.qr's sign convention (the sign "
                      "of R's diagonal follows a fixed pattern, and Q's columns with it)",
                      fix="generator.standard_normal (not generator.random), and multiply each column of Q by the "
                          "sign of the matching diagonal entry of R: np.sign(np.diag(r))"))
