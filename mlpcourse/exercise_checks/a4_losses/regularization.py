"""The checks of a4_losses/regularization.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a4_losses/regularization", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
from mlp_ref.module import Parameter
from mlp_ref.regularization import add_l1_grad, add_l2_grad, l1_penalty as reference_l1_penalty
from mlp_ref.regularization import l2_penalty as reference_l2_penalty
from mlpcourse.checks import call, CheckFailed, Hint, check_array, check_equal, check_scalar


def weights_case(seed, shapes, zeros=False):
    """One random array per shape (entries N(0, 1)); with zeros, every third entry is exactly 0."""
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(shape) for shape in shapes]
    if zeros:
        for w in weights:
            w.flat[::3] = 0.0
    return weights


def reference_gradient(add_grad, weights, strength):
    """mlp_ref's penalty gradient: add it into zeroed Parameters and read their .grad."""
    params = [Parameter(w.copy()) for w in weights]
    add_grad(params, strength)
    return [param.grad for param in params]


def describe(shapes, strength, zeros):
    return f"arrays of shapes {shapes}, strength {strength:g}" + (", some weights exactly 0" if zeros else "")


def check_gradient_list(got, expected, function, case, mistakes):
    """Check a list of gradient arrays; mistakes: {hint: list of wrong arrays}."""
    if not isinstance(got, (list, tuple)):
        raise CheckFailed(f"{function} ({case}): returned a {type(got).__name__}.", hint=Hint(
            "the weights are a list of arrays, and so is their gradient: one gradient array per weight array",
            fix="return a list with one gradient array per weight array, in the same order"))
    check_equal(len(got), len(expected), function=function, case=case + ": the number of gradient arrays",
                hint=Hint("each weight array has its own gradient array",
                          fix="return one gradient array per weight array, in the same order"))
    for index, (got_array, expected_array) in enumerate(zip(got, expected)):
        check_array(got_array, expected_array, function=f"{function}: array {index}", case=case,
                    mistakes={hint: wrong[index] for hint, wrong in mistakes.items()})


def copies(weights):
    return [w.copy() for w in weights]


IN_PLACE_HINT = Hint("do not write the gradient into the weights (w *= λ, np.multiply(w, λ, out=w)): the optimizer "
                     "is what updates them, and it needs them as they were",
                     fix="compute new arrays (no *=, no out=) and return them")
ONLY_FIRST = Hint("only the first array of the list counts in your penalty: it covers every weight of the network",
                  fix="sum over EVERY array in the list, not only the first")


RAGGED = Hint("the weights are a list of arrays of different shapes, which NumPy cannot turn into one array: a NumPy "
               "function of the whole list (np.abs(weights), np.sum(weights), ...) tries to, and fails",
               fix="take the arrays one at a time: {fix}")
RAGGED_FIX = {"value": "compute each array's sum on its own, then add the sums: sum(... for w in weights)",
              "grad": "one gradient array per weight array: [... for w in weights]"}


def call_on_weights(function, weights, strength, case, part):
    """function(weights, strength); when NumPy fails to stack the differently shaped arrays of the list into one
    (the message "setting an array element with a sequence ... inhomogeneous shape"), the failure says why.
    part: "value" for a penalty, "grad" for its gradient."""
    try:
        return call(function, weights, strength, case=case)
    except CheckFailed as failure:
        if not (isinstance(failure.__cause__, ValueError) and "inhomogeneous" in str(failure.__cause__)):
            raise
        raise CheckFailed(failure.full_message, hint=RAGGED.format(fix=RAGGED_FIX[part])) from failure.__cause__


def call_leaving_weights_alone(function, weights, strength, gradient, case):
    """function(weights, strength) on copies of the weights, failing if it changed them; `gradient` is the right
    gradient list, which the weights hold after a function that computed it in place."""
    given = copies(weights)
    result = call_on_weights(function, given, strength, case, "grad")
    for index, (after, before) in enumerate(zip(given, weights)):
        check_array(after, before, function=f"{function.__name__}: weight array {index} after the call", case=case,
                    rtol=0, atol=0, mistakes={IN_PLACE_HINT: gradient[index]})
    return result


# ---- l1
def check_l1(seed, shapes, strength, part, zeros=False):
    weights, case = weights_case(seed, shapes, zeros), describe(shapes, strength, zeros)
    if part == "value":
        value = reference_l1_penalty(weights, strength)
        got = call_on_weights(l1_penalty, copies(weights), strength, case, "value")
        check_scalar(got, value, function="l1_penalty", case=case, mistakes={
            Hint("the signs of the weights cancel in your sum: the penalty measures their sizes",
                 fix="take the absolute value of each weight: Σ|w|, not Σw"): strength * sum(w.sum() for w in weights),
            Hint("the strength λ is missing", fix="multiply the sum by the strength λ"):
                sum(np.abs(w).sum() for w in weights),
            ONLY_FIRST: strength * np.abs(weights[0]).sum(),
            Hint("that is the L2 penalty, not the L1 one", fix="this is the L1 penalty λ Σ|w|"):
                strength / 2 * sum((w**2).sum() for w in weights)})
    else:
        gradient = reference_gradient(add_l1_grad, weights, strength)
        got = call_leaving_weights_alone(l1_penalty_grad, weights, strength, gradient, case)
        if isinstance(got, (list, tuple)) and any(g is not None and np.isnan(np.asarray(g, dtype=np.float64)).any() for g in got):
            raise CheckFailed(f"l1_penalty_grad ({case}): your answer contains nan.",
                              hint=Hint("at w = 0, w / |w| is 0 / 0 = nan", fix="use np.sign(w), which is 0 there"))
        check_gradient_list(got, gradient, "l1_penalty_grad", case, mistakes={
            Hint("the slope of |w| does not grow with w: |w| is two straight lines that meet at 0",
                 fix="the derivative of |w| is sign(w), not w"): [strength * w for w in weights],
            Hint("the strength λ is missing from the gradient", fix="multiply the sign by the strength λ"):
                [np.sign(w) for w in weights],
            Hint("at w = 0, where |w| has a kink, the convention takes the gradient as 0, not ±λ",
                 fix="use np.sign(w): np.sign(0) is 0"): [strength * np.where(w >= 0, 1.0, -1.0) for w in weights],
            Hint("the gradient points the way the penalty grows, and |w| grows as w moves away from 0: your gradient "
                 "has the opposite sign (the minus of the descent step is the optimizer's, not the gradient's)",
                 fix="λ·sign(w), without the minus"): [-strength * np.sign(w) for w in weights],
            Hint("that is each weight's share of the penalty, λ|w|, not its slope: differentiate |w| with respect to w",
                 fix="the derivative of λ|w| is λ·sign(w)"): [strength * np.abs(w) for w in weights]})


# ---- l2
def check_l2(seed, shapes, strength, part, zeros=False):
    weights, case = weights_case(seed, shapes, zeros), describe(shapes, strength, zeros)
    if part == "value":
        value = reference_l2_penalty(weights, strength)
        squares = sum(np.square(w).sum() for w in weights)
        got = call_on_weights(l2_penalty, copies(weights), strength, case, "value")
        check_scalar(got, value, function="l2_penalty", case=case, mistakes={
            Hint("the ½ is missing: this course's L2 penalty has it (see the conventions)",
                 fix="this course's L2 penalty is (λ/2) Σw², with the ½"): strength * squares,
            Hint("that is the norm of the weights, √Σw², not its square",
                 fix="the penalty is (λ/2) Σw², the squared norm, not the norm: leave out the square root"):
                strength / 2 * np.sqrt(squares),
            ONLY_FIRST: strength / 2 * np.square(weights[0]).sum(),
            Hint("the strength λ is missing", fix="multiply by the strength: (λ/2) Σw²"): squares / 2})
    else:
        gradient = reference_gradient(add_l2_grad, weights, strength)
        check_gradient_list(call_leaving_weights_alone(l2_penalty_grad, weights, strength, gradient, case), gradient,
                            "l2_penalty_grad", case, mistakes={
                                Hint("your gradient is twice too large: the ½ in the penalty cancels the factor that "
                                     "the derivative of w² brings down",
                                     fix="with the ½ in the penalty (λ/2) Σw², the gradient is λw, not 2λw"):
                                    [2 * strength * w for w in weights],
                                Hint("your gradient is half the right one: the derivative of w² brings down a factor",
                                     fix="the derivative of (λ/2) w² is λw, not (λ/2) w"):
                                    [strength / 2 * w for w in weights],
                                Hint("that is the L1 penalty's gradient, not the L2 one",
                                     fix="the L2 gradient is λw, not λ sign(w)"): [strength * np.sign(w) for w in weights],
                                Hint("the gradient points the way the penalty grows, and w² grows as w moves away from "
                                     "0: your gradient has the opposite sign (the minus of the descent step is the "
                                     "optimizer's, not the gradient's)", fix="λw, without the minus"):
                                    [-strength * w for w in weights]})
