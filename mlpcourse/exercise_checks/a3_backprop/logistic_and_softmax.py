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
from mlpcourse.checks import call, check_finite, CheckFailed, check_array, check_scalar, reaches

OVERFLOW_HINT = ("subtract each row's maximum from the logits before taking exp: e^1000 overflows to inf and inf / inf is nan, while the shift changes nothing mathematically")

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
            "the loss is the NEGATIVE mean log-likelihood: check the minus sign": -loss,
            "the loss is the mean over the batch: divide the sum by N": n * loss,
            "each example adds y log σ + (1 − y) log(1 − σ): you left out a term": -np.mean(y * np.log(p)),
            "each example adds y log σ + (1 − y) log(1 − σ): you left out the y log σ term": -np.mean((1 - y) * np.log(1 - p))})
    elif part == "w":
        got = gradient_part(X, y, w, b, 0, case)
        check_array(got, grad_w, function="logistic_gradient: ∂L/∂w", case=case, mistakes={
            "the loss is a mean: ∂L/∂w = (1/N) Σ (σᵢ − yᵢ) xᵢ; you summed without dividing by N": n * grad_w,
            "the gradient is Σ (σᵢ − yᵢ) xᵢ / N, not Σ (yᵢ − σᵢ) xᵢ / N: check the sign": -grad_w,
            "use the probability σ(z), not the score z = X w + b": X.T @ (z - y) / n,
            "with cross-entropy σ'(z) cancels: do not multiply by σ(1 − σ) (that is the squared-error gradient)":
                X.T @ ((p - y) * p * (1 - p)) / n})
    else:
        got = gradient_part(X, y, w, b, 1, case)
        check_scalar(got, grad_b, function="logistic_gradient: ∂L/∂b", case=case, mistakes={
            "the bias gradient is the MEAN of σᵢ − yᵢ over the batch, not their sum": n * grad_b,
            "∂L/∂b is the mean of σᵢ − yᵢ, not of yᵢ − σᵢ: check the sign": -grad_b,
            "use the probability σ(z), not the score z = X w + b": np.mean(z - y),
            "with cross-entropy σ'(z) cancels: do not multiply by σ(1 − σ)": np.mean((p - y) * p * (1 - p))})


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
        "each ROW is one example: normalise along axis 1, not axis 0": column_exps / column_exps.sum(axis=0, keepdims=True),
        "each ROW is one example: sum the exponentials along axis 1, not axis 0": row_exps / row_exps.sum(axis=0, keepdims=True),
        "you returned the exponentials without dividing by their row sum": row_exps})


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
        "the loss is the mean over the batch: divide p − onehot(y) by N": n * expected,
        "subtract 1 at each example's true class: the gradient is (p − onehot(y)) / N, not p / N": p / n,
        "the gradient is (p − onehot(y)) / N, not (onehot(y) − p) / N: check the sign": -expected,
        "index the true classes with both a row and a column, p[np.arange(N), targets]: p[targets] selects whole rows":
            rows_mistake,
        "your gradient follows (p − onehot(y)) / N, but the softmax it uses is wrong (each ROW of p must be "
        "positive and sum to 1): fix softmax first":
            gradient_from_your_softmax(logits, targets)
            if reaches(lambda: cross_entropy_gradient(logits.copy(), targets), "softmax", globals()) else None})
