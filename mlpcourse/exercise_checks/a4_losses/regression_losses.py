"""The checks of a4_losses/regression_losses.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a4_losses/regression_losses", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
from mlp_ref.loss import L1Loss, MSELoss, SmoothL1Loss
from mlpcourse.checks import call, CheckFailed, Hint, check_array, check_scalar, integer_division_hint


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
SUM_NOT_MEAN = Hint("the loss is the MEAN of the terms over all elements, not their sum",
                    fix="divide the sum by input.size (or use np.mean)")
MEAN_IN_GRADIENT = Hint("the loss is a mean over M = input.size elements, and the mean scales its gradient too",
                        fix="divide by M")
ROWS_NOT_ELEMENTS = Hint("the loss averages over every element of an (N, D) input, not over its N rows",
                         fix="divide by the number of elements, input.size, not by the number of rows")
FLIPPED_SIGN = Hint("the sign is flipped: d = input − target grows with the input, and so does the loss when d > 0",
                    fix="check the sign: differentiate with respect to the input, d = input − target, not target − input")


def check_mse(seed, shape, part):
    input, target = regression_case(seed, shape)
    value, grad = reference(MSELoss(), input, target)
    d, m, rows, case = input - target, input.size, len(input), describe(shape)
    if part == "value":
        got = call(mse_loss, input.copy(), target.copy(), case=case)
        check_scalar(got, value, function="mse_loss", case=case, mistakes={
            Hint("that is the root of the mean squared error (RMSE), not the MSE",
                 fix="leave out the square root"): np.sqrt(value),
            SUM_NOT_MEAN: np.sum(d**2),
            Hint("the mean of the errors was squared: errors of opposite signs cancel before anything is squared",
                 fix="square each error before averaging: mean(d²), not mean(d)²"): np.mean(d) ** 2,
            Hint("for an (N, D) input the mean runs over every element, not over the rows only",
                 fix="divide by input.size (or use np.mean), not by len(input)"): np.sum(d**2) / rows})
    else:
        got = call(mse_loss_grad, input.copy(), target.copy(), case=case)
        check_array(got, grad, function="mse_loss_grad", case=case, mistakes={
            Hint("you lost the factor that the power rule brings down from d²",
                 fix="the derivative of d² is 2d: you lost the factor 2"): d / m,
            MEAN_IN_GRADIENT: 2 * d,
            Hint("you lost two factors: the one the power rule brings down from d², and the mean's",
                 fix="the derivative of the mean of d² is 2d / M: you lost both the 2 and the 1/M"): d,
            ROWS_NOT_ELEMENTS: 2 * d / rows,
            FLIPPED_SIGN: -grad,
            integer_division_hint(): (2 * d) // m})


# ---- l1
def check_l1(seed, shape, part, exact_zeros=False):
    input, target = regression_case(seed, shape, exact_zeros=exact_zeros)
    value, grad = reference(L1Loss(), input, target)
    d, m, rows, case = input - target, input.size, len(input), describe(shape, exact_zeros)
    if part == "value":
        got = call(l1_loss, input.copy(), target.copy(), case=case)
        check_scalar(got, value, function="l1_loss", case=case, mistakes={
            SUM_NOT_MEAN: np.sum(np.abs(d)),
            Hint("the absolute value was taken of the mean: errors of opposite signs cancel before it",
                 fix="take the absolute value of each error before averaging: mean(|d|), not |mean(d)|"):
                np.abs(np.mean(d))})
    else:
        got = call(l1_loss_grad, input.copy(), target.copy(), case=case)
        if got is not None and np.isnan(np.asarray(got, dtype=np.float64)).any():
            raise CheckFailed(f"l1_loss_grad ({case}): your answer contains nan.",
                              hint=Hint("where input equals target, d / |d| is 0 / 0 = nan",
                                        fix="use np.sign(d), which is 0 there"))
        check_array(got, grad, function="l1_loss_grad", case=case, mistakes={
            Hint("the loss is a mean over M = input.size elements, and the mean scales its gradient too",
                 fix="divide the sign by M"): np.sign(d),
            ROWS_NOT_ELEMENTS: np.sign(d) / rows,
            Hint("the slope of |d| does not grow with d: |d| is two straight lines that meet at 0",
                 fix="the derivative of |d| is sign(d), not d"): d / m,
            Hint("where input equals target, |d| has a kink: the convention (PyTorch's) takes the gradient there as "
                 "0, not ±1", fix="use np.sign(d): np.sign(0) is 0"): np.where(d >= 0, 1.0, -1.0) / m,
            FLIPPED_SIGN: -grad})


# ---- smooth-l1
IGNORED_BETA = Hint("the beta argument was ignored: this is SmoothL1 with beta = 1",
                    fix="beta is both the switch point and the scale: d² / (2 beta) for |d| < beta, |d| − beta / 2 beyond")
SWITCH_AT_ONE = Hint("your pieces switch at |d| = 1 whatever beta is: where they switch is a parameter of the loss",
                     fix="compare |d| with beta, not with 1")
SWAPPED_PIECES = Hint("the two pieces are swapped: the quadratic one belongs near 0, where the errors are small",
                      fix="the quadratic piece is for the SMALL errors, |d| < beta, and the linear one for the large")


def smooth_l1_mistakes(d, beta, part):
    """{hint: wrong terms or local gradients} of the classic SmoothL1 mistakes, before the mean."""
    small, big = np.abs(d) < beta, np.abs(d) >= beta
    if part == "value":
        return {SWITCH_AT_ONE: np.where(np.abs(d) < 1, 0.5 * d**2 / beta, np.abs(d) - 0.5 * beta),
                Hint("beta multiplies the quadratic piece, where it should scale it down",
                     fix="the quadratic piece is d² / (2 beta): divide by beta, do not multiply"):
                    np.where(small, 0.5 * d**2 * beta, np.abs(d) - 0.5 * beta),
                Hint("the quadratic piece leaves out beta: with beta ≠ 1 the two pieces no longer meet at |d| = beta",
                     fix="the quadratic piece is d² / (2 beta), not d² / 2: divide by beta"):
                    np.where(small, 0.5 * d**2, np.abs(d) - 0.5 * beta),
                Hint("the linear piece's offset leaves out beta: with beta ≠ 1 the two pieces no longer meet at "
                     "|d| = beta", fix="the linear piece is |d| − beta / 2"):
                    np.where(small, 0.5 * d**2 / beta, np.abs(d) - 0.5),
                SWAPPED_PIECES: np.where(big, 0.5 * d**2 / beta, np.abs(d) - 0.5 * beta),
                IGNORED_BETA: np.where(np.abs(d) < 1, 0.5 * d**2, np.abs(d) - 0.5) if beta != 1 else None}
    return {SWITCH_AT_ONE: np.where(np.abs(d) < 1, d / beta, np.sign(d)),
            Hint("inside the switch point beta multiplies the slope, where it should scale it down",
                 fix="inside the switch point the slope is d / beta: divide by beta, do not multiply"):
                np.where(small, d * beta, np.sign(d)),
            Hint("inside the switch point the slope leaves out beta: with beta ≠ 1 the two slopes no longer meet at "
                 "|d| = beta", fix="inside the switch point the slope is d / beta, not d"):
                np.where(small, d, np.sign(d)),
            SWAPPED_PIECES: np.where(big, d / beta, np.sign(d)),
            IGNORED_BETA: np.where(np.abs(d) < 1, d, np.sign(d)) if beta != 1 else None}


def check_smooth_l1(seed, shape, part, beta, at_switch=False):
    input, target = regression_case(seed, shape, beta=beta if at_switch else None)
    value, grad = reference(SmoothL1Loss(beta=beta), input, target)
    d, m = input - target, input.size
    case = describe(shape, beta=beta if at_switch else None) + f", beta={beta:g}" + (" (not 1: beta matters)" if beta != 1 else "")
    wrong = smooth_l1_mistakes(d, beta, part)
    if part == "value":
        mistakes = {hint: None if terms is None else np.mean(terms) for hint, terms in wrong.items()}
        mistakes[SUM_NOT_MEAN] = m * value
        check_scalar(call(smooth_l1_loss, input.copy(), target.copy(), beta=beta, case=case), value,
                     function="smooth_l1_loss", case=case, mistakes=mistakes)
    else:
        mistakes = {hint: None if local is None else local / m for hint, local in wrong.items()}
        mistakes[MEAN_IN_GRADIENT] = m * grad
        check_array(call(smooth_l1_loss_grad, input.copy(), target.copy(), beta=beta, case=case), grad,
                    function="smooth_l1_loss_grad", case=case, mistakes=mistakes)
