"""The checks of a2_activations/softmax.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a2_activations/softmax", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals. A hint's concept (level 2) names the mistake without the
formula the student is asked to derive; its fix (level 3) may give it."""
import numpy as np


# ---- setup
from mlp_ref.activation import LogSoftmax, Softmax
from mlpcourse.checks import call, CheckFailed, Hint, check_array

AXIS_HINT = Hint("the classes lie along the last axis for every shape the function must take, (C,), (N, C), "
                 "(..., C): an axis counted from the front, such as axis=1, is not always that one",
                 fix="reduce along axis=-1, with keepdims=True so that the result broadcasts against x")


def logits(seed, shape, scale=3.0):
    return scale * np.random.default_rng(seed).standard_normal(shape)


def call_student(function, *args, case, overflow_hint, unstable=None):
    """The student's function(*args), any exception it raises turned into a failed check naming the function and
    the case: NumPy's floating-point warnings (overflow, 0/0, log(0)) become errors whose hint is `overflow_hint`,
    or the hint of `unstable` ({hint: output}, classic mistakes that fail in the same way) whose output the
    function gives when run again without the errors; a shape error that has no hint yet (a wrong axis) gets one
    that explains the axes."""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            return call(function, *args, case=case)
        except CheckFailed as failure:
            cause = failure.__cause__
            if isinstance(cause, FloatingPointError):
                raise CheckFailed(f"{function.__name__} ({case}): NumPy reports '{cause}'",
                                  hint=unstable_mistake(function, args, unstable or {}) or overflow_hint) from None
            if isinstance(cause, ValueError) and "\n  hint: " not in failure.full_message:
                raise CheckFailed(failure.full_message, hint=AXIS_HINT) from None
            raise


def unstable_mistake(function, args, unstable):
    """The hint of `unstable` ({hint: output}) whose output function(*args) gives when NumPy's floating-point
    errors are ignored (None: none, or the function fails anyway)."""
    with np.errstate(all="ignore"):
        try:
            got = np.asarray(call(function, *args, case="again, NumPy's warnings ignored"))
        except CheckFailed:
            return None
    return next((hint for hint, wrong in unstable.items()
                 if wrong.shape == got.shape and np.allclose(got, wrong, equal_nan=True)), None)


def naive(formula, x):
    """What a classic mistake returns, computed quietly (a mistaken formula may overflow)."""
    with np.errstate(all="ignore"):
        return formula(x)


# ---- softmax
SOFTMAX_OVERFLOW_HINT = Hint("e^x overflows for a large logit (e^1000 = inf, and inf/inf = nan), and a row of very "
                             "negative logits gives 0/0: shift the logits first, as softmax does not change when the "
                             "same number is subtracted from every logit of a row",
                             fix="subtract each row's maximum m = x.max(axis=-1, keepdims=True) before exp")


def softmax_mistakes(x):
    """{hint: what softmax returns after that classic mistake}."""
    row_exps = naive(lambda x: np.exp(x - x.max(axis=-1, keepdims=True)), x)
    mistakes = {Hint("normalised over the whole array: each row (along the last axis) is a probability vector of its own",
                     fix="max and sum along axis=-1, with keepdims=True"):
                    naive(lambda x: np.exp(x - x.max()) / np.exp(x - x.max()).sum(), x),
                Hint("each row was divided by the sum over the whole array, not by its own sum",
                     fix="exps.sum(axis=-1, keepdims=True)"):
                    row_exps / row_exps.sum()}
    if x.ndim == 2:
        mistakes[Hint("each row is one example: normalise over its classes, not over the batch (axis 0)",
                      fix="axis=-1, with keepdims=True")] = \
            naive(lambda x: np.exp(x - x.max(axis=0)) / np.exp(x - x.max(axis=0)).sum(axis=0), x)
    if x.ndim == 2 and x.shape[0] == x.shape[1]:
        mistakes[Hint("the reduced axis was dropped, so the maxima and sums line up with the wrong rows (broadcasting "
                      "matches sizes from the right)", fix="keep the reduced axis: keepdims=True")] = \
            naive(lambda x: np.exp(x - x.max(axis=-1)) / np.exp(x - x.max(axis=-1)).sum(axis=-1), x)
    return mistakes


GLOBAL_SHIFT_HINT = Hint("you shifted by the maximum of the whole array, but the shift that leaves softmax unchanged "
                         "is one per row: a row far below the array's maximum underflows to 0/0",
                         fix="subtract each row's own maximum, x.max(axis=-1, keepdims=True)")


def check_softmax(x, case):
    expected = Softmax()(x)
    global_shift = naive(lambda x: np.exp(x - x.max()) / np.exp(x - x.max()).sum(axis=-1, keepdims=True), x)
    got = call_student(softmax, x.copy(), case=case, overflow_hint=SOFTMAX_OVERFLOW_HINT,
                       unstable={GLOBAL_SHIFT_HINT: global_shift})
    check_array(got, expected, function="softmax", case=case, mistakes=softmax_mistakes(x))


# ---- log-softmax
LOG_SOFTMAX_OVERFLOW_HINT = Hint("log(softmax(x)) takes log(0) = −inf when a probability underflows, and e^x overflows "
                                 "for a large logit: take the log of the stable quotient on paper and simplify it "
                                 "(the log-sum-exp trick)",
                                 fix="(x − m) − log Σ e^(x − m), with m the row's maximum (keepdims=True)")


def check_log_softmax(x, case):
    expected = LogSoftmax()(x)
    shifted = x - x.max()
    global_shift = naive(lambda x: shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True)), x)
    got = call_student(log_softmax, x.copy(), case=case, overflow_hint=LOG_SOFTMAX_OVERFLOW_HINT,
                       unstable={GLOBAL_SHIFT_HINT: global_shift})
    m = x.max(axis=-1, keepdims=True)
    check_array(got, expected, function="log_softmax", case=case,
                mistakes={Hint("the shift m was taken inside the log-sum but not from x: the two terms must be "
                               "shifted alike", fix="subtract m from x as well (or add it back to the sum)"):
                              naive(lambda x: x - np.log(np.exp(x - m).sum(axis=-1, keepdims=True)), x),
                          Hint("that is softmax itself, not its logarithm",
                               fix="(x − m) − log Σ e^(x − m), with m the row's maximum"): Softmax()(x)})


# ---- backward
FIRST_AXIS_HINT = Hint("the sum runs over the first axis, down the batch: the backward pass, like the forward one, "
                       "acts on each row (the classes, the last axis) separately",
                       fix="sum along axis=-1, with keepdims=True")


def backward_case(seed, shape, module):
    """The module's output for random logits, a random upstream gradient, and the module's ∂L/∂x."""
    rng = np.random.default_rng(seed)
    output, g = module(3 * rng.standard_normal(shape)), rng.standard_normal(shape)
    return output, g, module.backward(g)


def check_softmax_backward(seed, shape):
    y, g, expected = backward_case(seed, shape, Softmax())
    case = f"shape {shape}, random upstream gradient"
    got = call_student(softmax_backward, g.copy(), y.copy(), case=case,
                       overflow_hint=SOFTMAX_OVERFLOW_HINT)
    check_array(got, expected, function="softmax_backward", case=case,
                mistakes={Hint("softmax is not element by element: yours keeps only the Jacobian's diagonal, each "
                               "output's dependence on its own input, and drops the sum over the row",
                               fix="y_j(G_j − Σᵢ G_i y_i)"):
                              g * y * (1 - y),
                          Hint("the sum over the row lost its weights: the sum is weighted by y",
                               fix="y_j(G_j − Σᵢ G_i y_i), not y_j(G_j − Σᵢ G_i)"):
                              y * (g - g.sum(axis=-1, keepdims=True)),
                          Hint("the upstream gradient is missing: the backward pass multiplies by ∂L/∂y (the chain rule)",
                               fix="y_j(G_j − Σᵢ G_i y_i), with G = grad_output"): y * (1 - y),
                          FIRST_AXIS_HINT: y * (g - (g * y).sum(axis=0, keepdims=True)) if y.ndim > 1 else None})


def check_log_softmax_backward(seed, shape):
    z, g, expected = backward_case(seed, shape, LogSoftmax())
    y = np.exp(z)
    case = f"shape {shape}, random upstream gradient"
    got = call_student(log_softmax_backward, g.copy(), z.copy(), case=case,
                       overflow_hint=LOG_SOFTMAX_OVERFLOW_HINT)
    check_array(got, expected, function="log_softmax_backward", case=case,
                mistakes={Hint("the second term lost the upstream gradient: every z_i of the row depends on x_j, so "
                               "it collects the gradient of the whole row",
                               fix="G_j − y_j Σᵢ G_i: multiply softmax by the row sum of the upstream gradient"): g - y,
                          Hint("the second term pairs y_j with G_j alone, but every z_i of the row depends on x_j: it "
                               "collects the whole row", fix="G_j − y_j Σᵢ G_i, not G_j − y_j G_j"):
                              g - y * g,
                          Hint("z is the log-softmax, not the softmax: the softmax is y = e^z", fix="np.exp(z)"):
                              g - z * g.sum(axis=-1, keepdims=True),
                          FIRST_AXIS_HINT: g - y * g.sum(axis=0, keepdims=True) if y.ndim > 1 else None})
