"""The checks of a4_losses/classification_losses.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a4_losses/classification_losses", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
from mlp_ref.activation import log_softmax as reference_log_softmax
from mlp_ref.loss import BCELoss, CrossEntropyLoss, NLLLoss
from mlpcourse.checks import call, check_building_on, check_finite, CheckFailed, Hint, check_array, check_scalar

OVERFLOW_HINT = Hint("with large logits, e^1000 overflows to inf and e^(−1000) underflows to 0, whose log is −inf: "
                     "stay in the log domain, never log(softmax(x))",
                     fix="compute log-softmax as (x − m) − log Σ e^(x − m), with m each row's maximum")


def reference(criterion, input, target):
    """mlp_ref's value of the loss and its gradient with respect to the input."""
    value = criterion(input, target)
    return value, criterion.backward()


def class_case(seed, n, c, weighted, scale=1.0, shift=0.0):
    """Scores scale · N(0, 1) + shift of shape (n, c), labels (n,) and class weights (c,) in [0.2, 3] or None."""
    rng = np.random.default_rng(seed)
    scores, target = scale * rng.standard_normal((n, c)) + shift, rng.integers(0, c, n)
    return scores, target, rng.uniform(0.2, 3.0, c) if weighted else None


def describe_logits(scale=1.0, shift=0.0):
    return (f", logits of size about {scale:g}" if scale != 1 else "") + (f", every logit shifted by {shift:g}" if shift else "")


def describe(n, c, weight, scale=1.0, shift=0.0):
    return f"N={n}, C={c}" + (", class weights" if weight is not None else ", weight=None") + describe_logits(scale, shift)


DEFAULT_WEIGHT_HINT = Hint("weight=None means every CLASS weighs 1: the default has one weight per class, not one "
                           "per example", fix="np.ones(C), with C the number of columns, not np.ones(N)")
NOT_BY_N = Hint("a weighted mean divides by the total weight of the examples, not by N (with class weights they "
                "differ)", fix="divide by Σₙ w_{yₙ}, the sum of the weights of the examples' classes")
NOT_ALL_CLASSES = Hint("the total weight sums one class weight per EXAMPLE (its true class's), not one per class",
                       fix="divide by the weights of the examples' classes, Σₙ w_{yₙ}, not by the sum of all C class "
                           "weights")


def call_class_loss(function, scores, target, weight, case):
    """The student's function(scores (N, C), target (N,), weight); an IndexError with weight=None and fewer examples
    than classes is explained: a default weight array of length N cannot be indexed by the labels."""
    try:
        return call(function, scores, target, weight, case=case)
    except CheckFailed as failure:
        if isinstance(failure.__cause__, IndexError) and weight is None and len(target) < scores.shape[1]:
            raise CheckFailed(failure.full_message, hint=DEFAULT_WEIGHT_HINT) from failure.__cause__
        raise


# ---- bce
def bce_case(seed, shape, near_edges=False, soft=False):
    """Probabilities in (0, 1) and targets (0/1, or anywhere in [0, 1] when soft); near_edges puts some p at
    1e-6 and 1 − 1e-6, with both labels."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.02, 0.98, shape)
    y = rng.uniform(0, 1, shape) if soft else rng.integers(0, 2, shape).astype(np.float64)
    if near_edges:
        p.flat[:4] = 1e-6, 1 - 1e-6, 1e-6, 1 - 1e-6
        y.flat[:4] = 0.0, 1.0, 1.0, 0.0
    return p, y


def check_bce(seed, shape, part, near_edges=False, soft=False):
    p, y = bce_case(seed, shape, near_edges, soft)
    value, grad = reference(BCELoss(), p, y)
    m = p.size
    case = f"p of shape {shape}" + (", some p within 1e-6 of 0 or 1" if near_edges else "") + (
        ", soft targets" if soft else "")
    if part == "value":
        check_scalar(call(bce_loss, p.copy(), y.copy(), case=case), value, function="bce_loss", case=case, mistakes={
            Hint("the sign is flipped: the logs of probabilities are negative, and the loss is their NEGATIVE mean",
                 fix="check the minus sign in front of the mean"): -value,
            Hint("the loss is the MEAN over all elements, not the sum", fix="divide by M = p.size (or use np.mean)"):
                m * value,
            Hint("you left out the second term: it scores the elements whose target is 0",
                 fix="each element adds y log p + (1 − y) log(1 − p)"): -np.mean(y * np.log(p)),
            Hint("you left out the first term: it scores the elements whose target is 1",
                 fix="each element adds y log p + (1 − y) log(1 − p)"): -np.mean((1 - y) * np.log(1 - p))})
    else:
        got = call(bce_loss_grad, p.copy(), y.copy(), case=case)
        check_array(got, grad, function="bce_loss_grad", case=case, mistakes={
            Hint("that is the gradient with respect to the LOGIT: it still has the factor of the sigmoid's derivative "
                 "that the chain rule adds on the way from p to the logit",
                 fix="(p − y) / M is the gradient with respect to the logit; with respect to p, divide it by p(1 − p)"):
                (p - y) / m,
            Hint("the loss is a mean over M = p.size elements, and the mean scales its gradient too",
                 fix="divide by M"): m * grad,
            Hint("the sign is flipped: where y = 0, a larger p must raise the loss",
                 fix="check the sign: ∂L/∂p = (p − y) / (p(1 − p) M), not (y − p) / (p(1 − p) M)"): -grad,
            Hint("only the first term was differentiated: the second term depends on p too",
                 fix="differentiate both terms: −y/p from the first and +(1 − y)/(1 − p) from the second"): -y / p / m})


# ---- nll
def nll_mistakes(log_probs, target, weight, part):
    """{hint: wrong value or gradient} for the classic NLL mistakes."""
    n = len(target)
    w = np.ones(log_probs.shape[1]) if weight is None else weight
    picked, rows = log_probs[np.arange(n), target], np.arange(n)

    def with_denominator(denominator, weights=w[target]):
        if part == "value":
            return -np.sum(weights * picked) / denominator
        grad = np.zeros_like(log_probs)
        grad[rows, target] = -weights / denominator
        return grad

    return {NOT_BY_N: with_denominator(n),
            NOT_ALL_CLASSES: with_denominator(np.sum(w)),
            Hint("the class weights are missing from the sum: each example's term is weighted",
                 fix="multiply each example's term by its class weight w_{yₙ}"):
                with_denominator(np.sum(w[target]), np.ones(n)),
            Hint("the sign is flipped: log-probabilities are negative, and the loss is positive",
                 fix="check the sign: the loss is MINUS the log-probability of the true class"):
                -with_denominator(np.sum(w[target]))}


def check_nll(seed, n, c, part, weighted):
    log_probs, target, weight = class_case(seed, n, c, weighted)
    log_probs = reference_log_softmax(log_probs, dim=1)
    value, grad = reference(NLLLoss(weight=weight), log_probs, target)
    args = (log_probs.copy(), target.copy(), None if weight is None else weight.copy())
    mistakes, case = nll_mistakes(log_probs, target, weight, part), describe(n, c, weight)
    if part == "value":
        check_scalar(call_class_loss(nll_loss, *args, case), value, function="nll_loss", case=case, mistakes=mistakes)
    else:
        check_array(call_class_loss(nll_loss_grad, *args, case), grad, function="nll_loss_grad", case=case,
                    mistakes=mistakes)


# ---- log-softmax
def check_log_softmax(seed, n, c, scale=1.0, shift=0.0):
    logits, _, _ = class_case(seed, n, c, weighted=False, scale=scale, shift=shift)
    case = f"N={n}, C={c}" + describe_logits(scale, shift)
    got = call(log_softmax, logits.copy(), case=case)
    check_finite(got, function="log_softmax", case=case, hint=OVERFLOW_HINT)
    column_shift, row_shift = logits - logits.max(axis=0, keepdims=True), logits - logits.max(axis=1, keepdims=True)
    check_array(got, reference_log_softmax(logits, dim=1), function="log_softmax", case=case, mistakes={
        Hint("each ROW is one example: your max and sum run down the columns",
             fix="take the max and the sum along axis 1, not axis 0"):
            column_shift - np.log(np.exp(column_shift).sum(axis=0, keepdims=True)),
        Hint("each ROW is one example: your sum of the exponentials runs down the columns",
             fix="sum the exponentials along axis 1, not axis 0"):
            row_shift - np.log(np.exp(row_shift).sum(axis=0, keepdims=True)),
        Hint("subtracting the maximum is only half of it: the softmax's normalisation is missing",
             fix="also subtract log Σ e^(x − m)"):
            logits - logits.max(axis=1, keepdims=True)})


# ---- cross-entropy
def check_cross_entropy(seed, n, c, part, weighted, scale=1.0, shift=0.0):
    """Check the loss or its gradient and, if it is wrong, the functions it builds on, on the same case."""
    pieces = {"log_softmax": lambda: check_log_softmax(seed, n, c, scale, shift)}
    if part == "value":
        pieces["nll_loss"] = lambda: check_nll(seed, n, c, "value", weighted)
    check_building_on(lambda: check_cross_entropy_alone(seed, n, c, part, weighted, scale, shift), pieces,
                      f"cross_entropy_loss{'_grad' if part == 'grad' else ''}", namespace=globals())


def check_cross_entropy_alone(seed, n, c, part, weighted, scale, shift):
    logits, target, weight = class_case(seed, n, c, weighted, scale, shift)
    value, grad = reference(CrossEntropyLoss(weight=weight), logits, target)
    args = (logits.copy(), target.copy(), None if weight is None else weight.copy())
    case = describe(n, c, weight, scale, shift)
    w = np.ones(c) if weight is None else weight
    p, onehot = np.exp(reference_log_softmax(logits, dim=1)), np.eye(c)[target]
    # A log_softmax that overflows is judged by its own test and by check_finite below; a correct gradient
    # computed through it must not lose its points to the RuntimeWarning it prints (nbgrader zeroes a test
    # cell that writes to stderr).
    with np.errstate(all="ignore"):
        got = call_class_loss(cross_entropy_loss if part == "value" else cross_entropy_loss_grad, *args, case)
    if part == "value":
        check_finite(got, function="cross_entropy_loss", case=case, hint=OVERFLOW_HINT)
        check_scalar(got, value, function="cross_entropy_loss", case=case, mistakes={
            Hint("NLL was applied to the raw logits: cross-entropy is NLL of log-softmax(logits)",
                 fix="apply log_softmax to the logits first"):
                -np.sum(w[target] * logits[np.arange(n), target]) / np.sum(w[target]),
            NOT_BY_N: value * np.sum(w[target]) / n})
    else:
        check_finite(got, function="cross_entropy_loss_grad", case=case, hint=OVERFLOW_HINT)
        check_array(got, grad, function="cross_entropy_loss_grad", case=case, mistakes={
            Hint("you left out the class weights: the weighted NLL's gradient (section 2), which the log-softmax "
                 "backward receives as its upstream gradient, carries them",
                 fix="scale each row n by w_{yₙ} / Σₘ w_{yₘ}"): (p - onehot) / n,
            NOT_BY_N: grad * np.sum(w[target]) / n,
            NOT_ALL_CLASSES: grad * np.sum(w[target]) / np.sum(w),
            Hint("your gradient is the probabilities alone (scaled): the log-softmax backward also passes the "
                 "upstream gradient straight through, and that is not 0 at each example's true class",
                 fix="subtract the one-hot target: the gradient is p − onehot(y) (scaled), not p alone"):
                p * (w[target] / np.sum(w[target]))[:, None],
            Hint("the sign is flipped: raising the true class's logit must lower the loss",
                 fix="check the sign: (p − onehot(y)) scaled, not (onehot(y) − p)"): -grad})
