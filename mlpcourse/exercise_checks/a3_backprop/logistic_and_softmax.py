"""The checks of a3_backprop/logistic_and_softmax.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a3_backprop/logistic_and_softmax", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
import warnings


from mlp_ref.activation import Sigmoid
from mlp_ref.activation import softmax as reference_softmax
from mlp_ref.linear import Linear
from mlp_ref.loss import BCELoss, CrossEntropyLoss
from mlpcourse.checks import call, check_finite, CheckFailed, check_array, check_scalar, Hint, reaches

OVERFLOW_HINT = Hint("e^1000 overflows to inf, and inf / inf is nan; the softmax of a row does not change when every "
                     "logit of the row is shifted by the same amount, and a well-chosen shift keeps every exponent <= 0",
                     fix="subtract each row's maximum from the logits before taking exp")

# the mistakes that logistic_gradient's two parts share
SIGN_HINT = Hint("your gradient has the opposite sign: the minus in front of the loss carries into ∂L/∂z",
                 fix="check the sign: the residual is σᵢ − yᵢ, not yᵢ − σᵢ")
SCORE_HINT = Hint("the label is compared with the model's probability, not the score z = X w + b",
                  fix="use σ(z) − y")
CANCEL_HINT = Hint("with cross-entropy σ'(z) cancels against the denominator of ∂L/∂σ in the chain rule: your "
                   "residual still has it (it stays in the squared-error gradient)",
                   fix="do not multiply by σ(1 − σ): the residual is σ(z) − y")

# `sigmoid(z)` is σ(z) = 1 / (1 + e^(−z)) computed without overflow for any |z|: use it in your answers.


# ---- logistic
def logistic_case(seed, n, d, labels=None):
    """A random batch X (n, d) with labels (0/1, or all equal to `labels`), weights w (d,) and bias b."""
    rng = np.random.default_rng(seed)
    X, w, b = rng.standard_normal((n, d)), rng.standard_normal(d), float(rng.standard_normal())
    y = rng.integers(0, 2, n).astype(np.float64) if labels is None else np.full(n, float(labels))
    return X, y, w, b


def reference_logistic(X, y, w, b):
    """mlp_ref's loss and gradients for Linear(D, 1) → Sigmoid → BCELoss with these parameters."""
    layer = Linear(X.shape[1], 1)
    layer.weight.data, layer.bias.data = w[None, :].copy(), np.array([b])
    activation, criterion = Sigmoid(), BCELoss()
    loss = criterion(activation(layer(X)), y[:, None])
    layer.backward(activation.backward(criterion.backward()))
    return loss, layer.weight.grad[0], layer.bias.grad[0]


def gradient_part(X, y, w, b, index, case):
    """Part `index` of the pair (∂L/∂w, ∂L/∂b) that the student's logistic_gradient returns."""
    result = call(logistic_gradient, X, y, w, b, case=case)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(f"logistic_gradient ({case}): return a pair (∂L/∂w, ∂L/∂b), got "
                          f"{type(result).__name__}")
    return result[index]


def check_logistic(seed, n, d, part, labels=None):
    X, y, w, b = logistic_case(seed, n, d, labels)
    loss, grad_w, grad_b = reference_logistic(X, y, w, b)
    z = X @ w + b
    p = sigmoid(z)
    case = f"N={n}, D={d}" + ("" if labels is None else f", every label {labels}")
    if part == "loss":
        check_scalar(call(logistic_loss, X, y, w, b, case=case), loss, function="logistic_loss", case=case, mistakes={
            Hint("your loss has the wrong sign: a log-probability is at most 0, and the loss is the NEGATIVE mean "
                 "log-likelihood, at least 0", fix="check the minus sign in front of the mean"): -loss,
            Hint("the loss is the mean over the batch, not the sum: yours is N times too large",
                 fix="divide the sum by N (or take np.mean)"): n * loss,
            Hint("each example's loss has a term for each label, 1 and 0: you left out a term",
                 fix="add the (1 − y) log(1 − σ) term"): -np.mean(y * np.log(p)),
            Hint("each example's loss has a term for each label, 1 and 0: you left out the y log σ term",
                 fix="add the y log σ term"): -np.mean((1 - y) * np.log(1 - p))})
    elif part == "w":
        got = gradient_part(X, y, w, b, 0, case)
        check_array(got, grad_w, function="logistic_gradient: ∂L/∂w", case=case, mistakes={
            Hint("the loss is a mean, so its gradient is the mean of the examples' gradients: you summed without "
                 "dividing by N", fix="∂L/∂w = (1/N) Σ (σᵢ − yᵢ) xᵢ: divide by N"): n * grad_w,
            SIGN_HINT: -grad_w,
            SCORE_HINT: X.T @ (z - y) / n,
            CANCEL_HINT: X.T @ ((p - y) * p * (1 - p)) / n})
    else:
        got = gradient_part(X, y, w, b, 1, case)
        check_scalar(got, grad_b, function="logistic_gradient: ∂L/∂b", case=case, mistakes={
            Hint("the loss is a mean, so ∂L/∂b is the MEAN of the examples' contributions over the batch, not their sum",
                 fix="divide the sum by N (or take the mean)"): n * grad_b,
            SIGN_HINT: -grad_b,
            SCORE_HINT: np.mean(z - y),
            CANCEL_HINT: np.mean((p - y) * p * (1 - p))})


# ---- softmax
def softmax_case(seed, n, c, scale=1.0, shift=0.0):
    """Logits scale · N(0, 1) + shift of shape (n, c) and random labels."""
    rng = np.random.default_rng(seed)
    return scale * rng.standard_normal((n, c)) + shift, rng.integers(0, c, n)


def describe(n, c, scale, shift):
    return f"N={n}, C={c}" + (f", logits of size about {scale:g}" if scale != 1 else "") + (
        f", every logit shifted by {shift:g}" if shift else "")


def check_softmax(seed, n, c, scale=1.0, shift=0.0):
    logits, _ = softmax_case(seed, n, c, scale, shift)
    expected, case = reference_softmax(logits, dim=1), describe(n, c, scale, shift)
    got = call(softmax, logits.copy(), case=case)
    check_finite(got, function="softmax", case=case, hint=OVERFLOW_HINT)
    column_exps = np.exp(logits - logits.max(axis=0, keepdims=True))
    row_exps = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    check_array(got, expected, function="softmax", case=case, mistakes={
        Hint("each ROW is one example: your probabilities sum to 1 down the columns, across examples",
             fix="normalise along axis 1, not axis 0"): column_exps / column_exps.sum(axis=0, keepdims=True),
        Hint("each ROW is one example: your probabilities are divided by sums down the columns, across examples",
             fix="sum the exponentials along axis 1, not axis 0"): row_exps / row_exps.sum(axis=0, keepdims=True),
        Hint("your rows do not sum to 1: the exponentials are not normalised",
             fix="divide the exponentials by their row sum"): row_exps})


def gradient_from_your_softmax(logits, targets):
    """(p − onehot(y)) / N with p from YOUR softmax, or None where that softmax does not give an array of
    the right shape: when your gradient is wrong only because your softmax is, the hint says so.

    Your softmax runs quietly here: a softmax that overflows is judged by its own test, and its warnings must
    not cost a right gradient its points (nbgrader zeroes a test cell that writes to stderr)."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = np.array(softmax(logits.copy()), dtype=np.float64)
    except Exception:  # an unfinished or broken softmax may raise anything
        return None
    if p.shape != logits.shape:
        return None
    p[np.arange(len(targets)), targets] -= 1
    return p / len(targets)


def check_cross_entropy_gradient(seed, n, c, scale=1.0, shift=0.0):
    logits, targets = softmax_case(seed, n, c, scale, shift)
    criterion = CrossEntropyLoss()
    criterion(logits, targets)
    expected, case = criterion.backward(), describe(n, c, scale, shift)
    got = call(cross_entropy_gradient, logits.copy(), targets, case=case)
    check_finite(got, function="cross_entropy_gradient", case=case, hint=OVERFLOW_HINT)
    p = reference_softmax(logits, dim=1)
    rows_mistake = None
    if targets.max() < n:  # p[targets] -= 1 only runs when every label is also a row index
        rows_mistake = p.copy()
        rows_mistake[targets] -= 1
        rows_mistake /= n
    check_array(got, expected, function="cross_entropy_gradient", case=case, mistakes={
        Hint("the loss is the mean over the batch, so every logit's gradient carries a 1/N: yours is N times too large",
             fix="divide p − onehot(y) by N"): n * expected,
        Hint("the true class's logit enters its example's loss a second time, through the numerator of p_y: that "
             "part of the gradient is missing", fix="subtract 1 at each example's true class: (p − onehot(y)) / N, "
             "not p / N"): p / n,
        Hint("your gradient has the opposite sign: raising the true class's logit lowers the loss −log p_y",
             fix="check the sign: (p − onehot(y)) / N, not (onehot(y) − p) / N"): -expected,
        Hint("p[targets] selects whole rows (row targets[n] for example n), not one entry per example",
             fix="index the true classes with both a row and a column: p[np.arange(N), targets]"): rows_mistake,
        Hint("your gradient is right for the softmax it uses, but that softmax is wrong (each ROW of p must be "
             "positive and sum to 1)", fix="fix softmax first"):
            gradient_from_your_softmax(logits, targets)
            if reaches(lambda: cross_entropy_gradient(logits.copy(), targets), "softmax", globals()) else None})
