"""The checks of a4_losses/regression_losses.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a4_losses/regression_losses", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
from mlp_ref.loss import L1Loss, MSELoss, SmoothL1Loss
from mlpcourse.checks import call, CheckFailed, Hint, check_array, check_scalar


def regression_case(seed, shape, exact_zeros=False, beta=None):
    """Predictions and targets of the given shape; with exact_zeros some errors are exactly 0, with beta some
    are exactly ±beta (SmoothL1's switch point)."""
    rng = np.random.default_rng(seed)
    target = rng.standard_normal(shape)
    error = 2 * rng.standard_normal(shape)
    if exact_zeros:
        error.flat[::3] = 0.0
    if beta is not None:
        error.flat[1::4] = beta
        error.flat[2::4] = -beta
    return target + error, target


def describe(shape, exact_zeros=False, beta=None):
    return (f"input of shape {shape}" + (", some errors exactly 0" if exact_zeros else "")
            + (f", some errors exactly ±{beta:g}" if beta is not None else ""))


def reference(criterion, input, target):
    """mlp_ref's value of the loss and its gradient with respect to the input."""
    value = criterion(input, target)
    return value, criterion.backward()


# ---- mse
INTEGER_DIVISION = Hint("integer division: // rounds down to a whole number, even for float arrays",
                        fix="divide with /")


def check_mse(seed, shape, part):
    input, target = regression_case(seed, shape)
    value, grad = reference(MSELoss(), input, target)
    d, m, rows, case = input - target, input.size, len(input), describe(shape)
    if part == "value":
        got = call(mse_loss, input.copy(), target.copy(), case=case)
        check_scalar(got, value, function="mse_loss", case=case, mistakes={
            "that is the root of the mean squared error: leave out the square root": np.sqrt(value),
            "the loss is the MEAN of the squared errors, not their sum": np.sum(d**2),
            "square each error before averaging: mean(d²), not mean(d)²": np.mean(d) ** 2,
            "average over every element (input.size), not over the rows only": np.sum(d**2) / rows})
    else:
        got = call(mse_loss_grad, input.copy(), target.copy(), case=case)
        check_array(got, grad, function="mse_loss_grad", case=case, mistakes={
            "the derivative of d² is 2d: you lost the factor 2": d / m,
            "the loss is a mean over M = input.size elements: divide by M": 2 * d,
            "the derivative of the mean of d² is 2d / M: you lost both the 2 and the 1/M": d,
            "divide by the number of elements, input.size, not by the number of rows": 2 * d / rows,
            "the gradient with respect to the input is 2(x − y) / M, not 2(y − x) / M: check the sign": -grad,
            INTEGER_DIVISION: (2 * d) // m})


# ---- l1
def check_l1(seed, shape, part, exact_zeros=False):
    input, target = regression_case(seed, shape, exact_zeros=exact_zeros)
    value, grad = reference(L1Loss(), input, target)
    d, m, rows, case = input - target, input.size, len(input), describe(shape, exact_zeros)
    if part == "value":
        got = call(l1_loss, input.copy(), target.copy(), case=case)
        check_scalar(got, value, function="l1_loss", case=case, mistakes={
            "the loss is the MEAN of the absolute errors, not their sum": np.sum(np.abs(d)),
            "take the absolute value of each error before averaging: mean(|d|), not |mean(d)|": np.abs(np.mean(d))})
    else:
        got = call(l1_loss_grad, input.copy(), target.copy(), case=case)
        if got is not None and np.isnan(np.asarray(got, dtype=np.float64)).any():
            raise CheckFailed(f"l1_loss_grad ({case}): your answer contains nan.\n  hint: where input equals target, "
                              "d / |d| is 0 / 0 = nan: use np.sign(d), which is 0 there")
        check_array(got, grad, function="l1_loss_grad", case=case, mistakes={
            "the loss is a mean over M = input.size elements: divide the sign by M": np.sign(d),
            "divide by the number of elements, input.size, not by the number of rows": np.sign(d) / rows,
            "the derivative of |d| is sign(d), not d": d / m,
            "where input equals target take the gradient as 0 (np.sign(0) is 0), not ±1":
                np.where(d >= 0, 1.0, -1.0) / m,
            "the gradient with respect to the input is sign(x − y) / M, not sign(y − x) / M": -grad})


# ---- smooth-l1
IGNORED_BETA = Hint("the beta argument was ignored: this is SmoothL1 with beta = 1",
                    fix="beta is both the switch point and the scale: d² / (2 beta) for |d| < beta, |d| − beta / 2 beyond")


def smooth_l1_mistakes(d, beta, part):
    """{hint: wrong terms or local gradients} of the classic SmoothL1 mistakes, before the mean."""
    small, big = np.abs(d) < beta, np.abs(d) >= beta
    if part == "value":
        return {"compare |d| with beta, not with 1: beta is the switch point":
                    np.where(np.abs(d) < 1, 0.5 * d**2 / beta, np.abs(d) - 0.5 * beta),
                "the quadratic piece is d² / (2 beta): divide by beta, do not multiply":
                    np.where(small, 0.5 * d**2 * beta, np.abs(d) - 0.5 * beta),
                "the quadratic piece is d² / (2 beta), not d² / 2: divide by beta":
                    np.where(small, 0.5 * d**2, np.abs(d) - 0.5 * beta),
                "the linear piece is |d| − beta / 2, so that both pieces meet at |d| = beta":
                    np.where(small, 0.5 * d**2 / beta, np.abs(d) - 0.5),
                "the quadratic piece is for the SMALL errors, |d| < beta, and the linear one for the large":
                    np.where(big, 0.5 * d**2 / beta, np.abs(d) - 0.5 * beta),
                IGNORED_BETA: np.where(np.abs(d) < 1, 0.5 * d**2, np.abs(d) - 0.5) if beta != 1 else None}
    return {"compare |d| with beta, not with 1: beta is the switch point": np.where(np.abs(d) < 1, d / beta, np.sign(d)),
            "inside the switch point the slope is d / beta: divide by beta, do not multiply":
                np.where(small, d * beta, np.sign(d)),
            "inside the switch point the slope is d / beta, not d": np.where(small, d, np.sign(d)),
            "the quadratic piece is for the SMALL errors, |d| < beta, and the linear one for the large":
                np.where(big, d / beta, np.sign(d)),
            IGNORED_BETA: np.where(np.abs(d) < 1, d, np.sign(d)) if beta != 1 else None}


def check_smooth_l1(seed, shape, part, beta, at_switch=False):
    input, target = regression_case(seed, shape, beta=beta if at_switch else None)
    value, grad = reference(SmoothL1Loss(beta=beta), input, target)
    d, m = input - target, input.size
    case = describe(shape, beta=beta if at_switch else None) + f", beta={beta:g}" + (" (not 1: beta matters)" if beta != 1 else "")
    wrong = smooth_l1_mistakes(d, beta, part)
    if part == "value":
        mistakes = {hint: None if terms is None else np.mean(terms) for hint, terms in wrong.items()}
        mistakes["the loss is the MEAN of the terms, not their sum"] = m * value
        check_scalar(call(smooth_l1_loss, input.copy(), target.copy(), beta=beta, case=case), value,
                     function="smooth_l1_loss", case=case, mistakes=mistakes)
    else:
        mistakes = {hint: None if local is None else local / m for hint, local in wrong.items()}
        mistakes["the loss is a mean over M = input.size elements: divide by M"] = m * grad
        check_array(call(smooth_l1_loss_grad, input.copy(), target.copy(), beta=beta, case=case), grad,
                    function="smooth_l1_loss_grad", case=case, mistakes=mistakes)
