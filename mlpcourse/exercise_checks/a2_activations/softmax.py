"""The checks of a2_activations/softmax.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a2_activations/softmax", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
from mlp_ref.activation import LogSoftmax, Softmax
from mlpcourse.checks import call, CheckFailed, check_array

AXIS_HINT = ("reduce along the last axis with axis=-1 and keepdims=True, so that the result broadcasts against x of "
             "any shape: (C,), (N, C), ...")


def logits(seed, shape, scale=3.0):
    return scale * np.random.default_rng(seed).standard_normal(shape)


def call_student(function, *args, case, overflow_hint):
    """The student's function(*args), any exception it raises turned into a failed check naming the function and
    the case: NumPy's floating-point warnings (overflow, 0/0, log(0)) become errors whose hint is `overflow_hint`,
    and a shape error gets a hint that explains the axes."""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            return call(function, *args, case=case)
        except CheckFailed as failure:
            cause = failure.__cause__
            if isinstance(cause, FloatingPointError):
                raise CheckFailed(f"{function.__name__} ({case}): NumPy reports '{cause}'\n"
                                  f"  hint: {overflow_hint}") from None
            if isinstance(cause, ValueError):
                raise CheckFailed(f"{failure}\n  hint: {AXIS_HINT}") from None
            raise


def naive(formula, x):
    """What a classic mistake returns, computed quietly (a mistaken formula may overflow)."""
    with np.errstate(all="ignore"):
        return formula(x)


# ---- softmax
SOFTMAX_OVERFLOW_HINT = ("e^x overflows for a large logit (e^1000 = inf, and inf/inf = nan), and a row of very "
                         "negative logits gives 0/0: subtract each row's maximum m = x.max(axis=-1, keepdims=True) "
                         "before exp (softmax(x − m) = softmax(x))")


def softmax_mistakes(x):
    """{hint: what softmax returns after that classic mistake}."""
    row_exps = naive(lambda x: np.exp(x - x.max(axis=-1, keepdims=True)), x)
    mistakes = {"normalise each row by its own sum over the last axis (axis=-1), not over the whole array":
                    naive(lambda x: np.exp(x - x.max()) / np.exp(x - x.max()).sum(), x),
                "divide each row by its own sum, exps.sum(axis=-1, keepdims=True), not by the sum over the whole array":
                    row_exps / row_exps.sum()}
    if x.ndim == 2:
        mistakes["each row is one example: normalise over the last axis (axis=-1), not over the batch (axis 0)"] = \
            naive(lambda x: np.exp(x - x.max(axis=0)) / np.exp(x - x.max(axis=0)).sum(axis=0), x)
    if x.ndim == 2 and x.shape[0] == x.shape[1]:
        mistakes["keep the reduced axis (keepdims=True), or the maxima and sums line up with the wrong rows"] = \
            naive(lambda x: np.exp(x - x.max(axis=-1)) / np.exp(x - x.max(axis=-1)).sum(axis=-1), x)
    return mistakes


def check_softmax(x, case):
    expected = Softmax()(x)
    got = call_student(softmax, x.copy(), case=case, overflow_hint=SOFTMAX_OVERFLOW_HINT)
    check_array(got, expected, function="softmax", case=case, mistakes=softmax_mistakes(x))


# ---- log-softmax
LOG_SOFTMAX_OVERFLOW_HINT = ("log(softmax(x)) takes log(0) = −inf when a probability underflows, and e^x overflows "
                             "for a large logit: use the log-sum-exp trick, (x − m) − log Σ e^(x − m)")


def check_log_softmax(x, case):
    expected = LogSoftmax()(x)
    got = call_student(log_softmax, x.copy(), case=case, overflow_hint=LOG_SOFTMAX_OVERFLOW_HINT)
    m = x.max(axis=-1, keepdims=True)
    check_array(got, expected, function="log_softmax", case=case,
                mistakes={"log Σ e^x = m + log Σ e^(x − m): subtract m from x as well (or add it back to the sum)":
                              naive(lambda x: x - np.log(np.exp(x - m).sum(axis=-1, keepdims=True)), x),
                          "that is softmax itself; take its logarithm": Softmax()(x)})


# ---- backward
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
                mistakes={"softmax is not element by element: y_j(g_j − Σᵢ gᵢyᵢ), not y_j(1 − y_j)g_j alone":
                              g * y * (1 - y),
                          "the sum is weighted by y: y_j(g_j − Σᵢ gᵢ yᵢ), not y_j(g_j − Σᵢ gᵢ)":
                              y * (g - g.sum(axis=-1, keepdims=True)),
                          "multiply by the upstream gradient (the chain rule)": y * (1 - y)})


def check_log_softmax_backward(seed, shape):
    z, g, expected = backward_case(seed, shape, LogSoftmax())
    y = np.exp(z)
    case = f"shape {shape}, random upstream gradient"
    got = call_student(log_softmax_backward, g.copy(), z.copy(), case=case,
                       overflow_hint=LOG_SOFTMAX_OVERFLOW_HINT)
    check_array(got, expected, function="log_softmax_backward", case=case,
                mistakes={"g_j − y_j Σᵢ gᵢ: multiply softmax by the row sum of the upstream gradient": g - y,
                          "the Jacobian is δᵢⱼ − y_j: the second term is y_j Σᵢ gᵢ (whole row), not y_j g_j":
                              g - y * g,
                          "the softmax is y = e^z, not z itself": g - z * g.sum(axis=-1, keepdims=True)})
