"""The checks of a4_losses/regularization.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a4_losses/regularization", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
from mlp_ref.module import Parameter
from mlp_ref.regularization import add_l1_grad, add_l2_grad, l1_penalty as reference_l1_penalty
from mlp_ref.regularization import l2_penalty as reference_l2_penalty
from mlpcourse.checks import call, CheckFailed, check_array, check_equal, check_scalar


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
        raise CheckFailed(f"{function} ({case}): returned a {type(got).__name__}.\n  hint: return a list with one "
                          "gradient array per weight array, in the same order")
    check_equal(len(got), len(expected), function=function, case=case + ": the number of gradient arrays",
                hint="return one gradient array per weight array, in the same order")
    for index, (got_array, expected_array) in enumerate(zip(got, expected)):
        check_array(got_array, expected_array, function=f"{function}: array {index}", case=case,
                    mistakes={hint: wrong[index] for hint, wrong in mistakes.items()})


def copies(weights):
    return [w.copy() for w in weights]


IN_PLACE_HINT = ("do not write the gradient into the weights (w *= λ, np.multiply(w, λ, out=w)): return new "
                 "arrays and leave the weights as they were; the optimizer is what updates them")


def call_leaving_weights_alone(function, weights, strength, gradient, case):
    """function(weights, strength) on copies of the weights, failing if it changed them; `gradient` is the right
    gradient list, which the weights hold after a function that computed it in place."""
    given = copies(weights)
    result = call(function, given, strength, case=case)
    for index, (after, before) in enumerate(zip(given, weights)):
        check_array(after, before, function=f"{function.__name__}: weight array {index} after the call", case=case,
                    rtol=0, atol=0, mistakes={IN_PLACE_HINT: gradient[index]})
    return result


# ---- l1
def check_l1(seed, shapes, strength, part, zeros=False):
    weights, case = weights_case(seed, shapes, zeros), describe(shapes, strength, zeros)
    if part == "value":
        value = reference_l1_penalty(weights, strength)
        got = call(l1_penalty, copies(weights), strength, case=case)
        check_scalar(got, value, function="l1_penalty", case=case, mistakes={
            "take the absolute value of each weight: Σ|w|, not Σw": strength * sum(w.sum() for w in weights),
            "multiply the sum by the strength λ": sum(np.abs(w).sum() for w in weights),
            "sum over EVERY array in the list, not only the first": strength * np.abs(weights[0]).sum(),
            "this is the L1 penalty λ Σ|w|, not the L2 one": strength / 2 * sum((w**2).sum() for w in weights)})
    else:
        gradient = reference_gradient(add_l1_grad, weights, strength)
        got = call_leaving_weights_alone(l1_penalty_grad, weights, strength, gradient, case)
        if isinstance(got, (list, tuple)) and any(g is not None and np.isnan(np.asarray(g, dtype=np.float64)).any() for g in got):
            raise CheckFailed(f"l1_penalty_grad ({case}): your answer contains nan.\n  hint: at w = 0, w / |w| is "
                              "0 / 0 = nan: use np.sign(w), which is 0 there")
        check_gradient_list(got, gradient, "l1_penalty_grad", case, mistakes={
            "the derivative of |w| is sign(w), not w": [strength * w for w in weights],
            "multiply the sign by the strength λ": [np.sign(w) for w in weights],
            "at w = 0 take the gradient as 0 (np.sign(0) is 0), not ±λ": [strength * np.where(w >= 0, 1.0, -1.0) for w in weights]})


# ---- l2
def check_l2(seed, shapes, strength, part, zeros=False):
    weights, case = weights_case(seed, shapes, zeros), describe(shapes, strength, zeros)
    if part == "value":
        value = reference_l2_penalty(weights, strength)
        squares = sum(np.square(w).sum() for w in weights)
        got = call(l2_penalty, copies(weights), strength, case=case)
        check_scalar(got, value, function="l2_penalty", case=case, mistakes={
            "this course's L2 penalty is (λ/2) Σw², with the ½ (its gradient is then λw, SGD's weight decay)":
                strength * squares,
            "the penalty is (λ/2) Σw², the squared norm, not the norm √Σw²": strength / 2 * np.sqrt(squares),
            "sum over EVERY array in the list, not only the first": strength / 2 * np.square(weights[0]).sum(),
            "multiply by the strength: (λ/2) Σw²": squares / 2})
    else:
        gradient = reference_gradient(add_l2_grad, weights, strength)
        check_gradient_list(call_leaving_weights_alone(l2_penalty_grad, weights, strength, gradient, case), gradient,
                            "l2_penalty_grad", case, mistakes={
                                "with the ½ in the penalty (λ/2) Σw², the gradient is λw, not 2λw": [2 * strength * w for w in weights],
                                "the derivative of (λ/2) w² is λw, not (λ/2) w": [strength / 2 * w for w in weights],
                                "that is the L1 gradient λ sign(w); the L2 one is λw": [strength * np.sign(w) for w in weights]})
