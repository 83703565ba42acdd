"""The checks of a4_losses/multi_margin_loss.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a4_losses/multi_margin_loss", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
from mlp_ref.loss import MultiMarginLoss
from mlpcourse.checks import Hint, call, check_array, check_scalar, integer_division_hint


# ---- margin
def margin_case(seed, n, c, integer_scores=False, satisfied=False):
    """Scores (n, c) and labels (n,). integer_scores: whole numbers, so that with margin 1 some terms are
    exactly at the kink; satisfied: every true score already beats the others by more than the margin."""
    rng = np.random.default_rng(seed)
    scores = rng.integers(-2, 3, (n, c)).astype(np.float64) if integer_scores else rng.standard_normal((n, c))
    target = rng.integers(0, c, n)
    if satisfied:
        scores[np.arange(n), target] = scores.max(axis=1) + 1.5
    return scores, target


def describe(n, c, margin, integer_scores, satisfied):
    return (f"N={n}, C={c}, margin={margin:g}" + (", whole-number scores (some terms exactly at the kink)"
            if integer_scores else "") + (", every example beyond the margin" if satisfied else ""))


MARGIN_HINT = Hint("the `margin` argument was ignored: the margin is not always 1",
                   fix="use the `margin` argument where your terms have a 1")
BY_C = Hint("PyTorch divides each example's sum by the number of classes C: yours does not",
            fix="divide by the number of classes C, as PyTorch does")
NOT_C_MINUS_1 = Hint("each example's sum has C − 1 terms, but PyTorch divides it by C",
                     fix="divide by the number of classes C, not by the C − 1 terms")
BY_N = Hint("the loss is the MEAN over the examples, not their sum", fix="divide by N")


def margin_mistakes(scores, target, margin, value, grad, part):
    """{hint: wrong value or gradient} for the classic mistakes."""
    n, c = scores.shape
    rows = np.arange(n)
    z = margin - scores[rows, target][:, None] + scores
    margin_one = MultiMarginLoss(margin=1.0)  # what an answer that ignores `margin` computes
    value_one = margin_one(scores, target)
    ignored_margin = {} if margin == 1 else {MARGIN_HINT: value_one if part == "value" else margin_one.backward()}
    if part == "value":
        flipped = np.maximum(0, margin + scores[rows, target][:, None] - scores)
        flipped[rows, target] = 0
        return {Hint("the true class's own term was counted: it always adds max(0, margin) / C",
                     fix="leave the true class out of the sum (set its term to 0)"): value + margin / c,
                BY_C: value * c,
                NOT_C_MINUS_1: value * c / (c - 1) if c > 1 else value,
                BY_N: value * n,
                Hint("the true score and the other class's score are swapped in each term",
                     fix="each term is max(0, margin − x_y + x_i): the true score comes with a minus sign"):
                    flipped.sum() / (n * c), **ignored_margin,
                integer_division_hint(): np.floor(value)}  # s // (N C) is ⌊s / (N C)⌋
    at_kink = (z >= 0).astype(np.float64)
    at_kink[rows, target] = 0
    at_kink[rows, target] = -at_kink.sum(axis=1)
    only_others = grad.copy()
    only_others[rows, target] = 0
    active_rows = only_others.copy()  # the true class's entry −1 in a row with an active term, not −(their number)
    active_rows[rows, target] = np.where(only_others.sum(axis=1) > 0, -1.0, 0.0) / (n * c)
    own_term_counted = grad.copy()  # the true class's own term, margin − x_y + x_y = margin, counted as active
    own_term_counted[rows, target] -= 1 / (n * c) if margin > 0 else 0
    return {Hint("terms exactly at the kink z = 0 were counted as active; PyTorch takes them as inactive",
                 fix="use > 0, not >= 0"): at_kink / (n * c),
            Hint("the true score appears in every active term, with a minus sign: its entry of the gradient is not 0",
                 fix="give the true class's entry minus the number of the row's active terms (before dividing by "
                     "N C)"): only_others,
            Hint("the true score appears once in EVERY active term of its row: its entry collects one −1 per active "
                 "term, not a single −1 for the row",
                 fix="give the true class's entry minus the number of the row's active terms (before dividing by "
                     "N C): -grad.sum(axis=1) once its own entry is 0"): active_rows,
            BY_C: grad * c,
            NOT_C_MINUS_1: grad * c / (c - 1) if c > 1 else grad,
            BY_N: grad * n, **ignored_margin,
            integer_division_hint(): np.floor(grad),
            Hint("the true class has no term of its own, but its own term (margin − x_y + x_y = margin > 0) was "
                 "counted among the active terms", fix="zero the true class's entry before counting the active terms "
                 "of each row (or subtract it)"): own_term_counted if margin > 0 else None}


def check_margin(seed, n, c, part, margin=1.0, integer_scores=False, satisfied=False):
    scores, target = margin_case(seed, n, c, integer_scores, satisfied)
    criterion = MultiMarginLoss(margin=margin)
    value = criterion(scores, target)
    grad = criterion.backward()
    mistakes = margin_mistakes(scores, target, margin, value, grad, part)
    case = describe(n, c, margin, integer_scores, satisfied)
    if part == "value":
        check_scalar(call(multi_margin_loss, scores.copy(), target.copy(), margin=margin, case=case), value,
                     function="multi_margin_loss", case=case, mistakes=mistakes)
    else:
        check_array(call(multi_margin_loss_grad, scores.copy(), target.copy(), margin=margin, case=case), grad,
                    function="multi_margin_loss_grad", case=case, mistakes=mistakes)
