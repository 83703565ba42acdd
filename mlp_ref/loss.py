"""Loss functions, as torch.nn's criteria of the same names, defaults and semantics.

`value = criterion(input, target)` computes one loss term per element (regression and binary losses)
or per sample (class losses) and reduces them:
    reduction="none": the terms themselves,
    reduction="sum":  their sum (a 0-d array),
    reduction="mean": their sum divided by their number (NLLLoss and CrossEntropyLoss with class
                      weights divide by the summed weights of the targets instead, as torch does).
`criterion.backward(grad_output=1.0)` returns ∂L/∂input, with grad_output = ∂(whatever follows)/∂value:
a scalar for "mean" and "sum", an array shaped like the value for "none".

Each loss computes, in one pass, its terms and their local gradients (∂termᵢ/∂input); the base class
`Loss` applies the reduction to both, so every subclass states its math in one place.
"""
import numpy as np

from ._validate import as_float_array, check_shape
from .activation import LogSoftmax, sigmoid, softplus
from .module import Module

REDUCTIONS = ("mean", "sum", "none")


class Loss(Module):
    """Base class. Subclasses define `check(input, target)` and
    `terms_and_gradients(input, target) -> (terms, local_grad)`, where local_grad has input's shape
    and holds ∂termᵢ/∂input for the term each input entry feeds (one term per element, or per row)."""

    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction

    def check(self, input, target):
        raise NotImplementedError

    def terms_and_gradients(self, input, target):
        raise NotImplementedError

    def mean_denominator(self, target):
        """What reduction="mean" divides the summed terms by: their number."""
        return target.size

    def forward(self, input, target):
        self.check(input, target)
        terms, self._local_grad = self.terms_and_gradients(input, target)
        self._terms_shape = terms.shape
        if self.reduction == "none":
            return terms
        if self.reduction == "sum":
            self._scale = 1
            return np.asarray(terms.sum())
        self._scale = 1 / float(self.mean_denominator(target))
        return np.asarray(terms.sum() * self._scale)

    def backward(self, grad_output=1.0):
        grad_output = np.asarray(grad_output, dtype=self._local_grad.dtype)
        if self.reduction == "none":
            check_shape(f"{type(self).__name__} grad_output", grad_output, self._terms_shape)
            # one term per row: its upstream gradient reaches every entry of that row
            extra_axes = self._local_grad.ndim - grad_output.ndim
            return self._local_grad * grad_output.reshape(grad_output.shape + (1,) * extra_axes)
        if grad_output.ndim != 0:
            raise ValueError(f"{type(self).__name__} grad_output: expected a scalar for reduction="
                             f"{self.reduction!r}, got shape {grad_output.shape}")
        return self._local_grad * (grad_output * self._scale)

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


def check_weight(name, weight, dtype, shape):
    """A per-element or per-class weight must be a float array of the input's dtype that
    broadcasts to `shape` without changing it."""
    as_float_array(name, weight, dtype=dtype)
    try:
        broadcasts = np.broadcast_shapes(weight.shape, shape) == shape
    except ValueError:
        broadcasts = False
    if not broadcasts:
        raise ValueError(f"{name}: expected a shape that broadcasts to {shape}, got {weight.shape}")


class ElementwiseLoss(Loss):
    """A loss with one term per input element; target: a float array of the input's shape and dtype."""

    def check(self, input, target):
        name = type(self).__name__
        as_float_array(f"{name} input", input)
        as_float_array(f"{name} target", target, dtype=input.dtype)
        check_shape(f"{name} target", target, input.shape)


class MSELoss(ElementwiseLoss):
    """Terms (x − y)²; local gradient 2(x − y). Minimising it fits the mean, the maximum-likelihood
    estimate under Gaussian noise."""

    def terms_and_gradients(self, input, target):
        difference = input - target
        return difference**2, 2 * difference


class L1Loss(ElementwiseLoss):
    """Terms |x − y|; local gradient sign(x − y), 0 where x = y (as torch). Minimising it fits the
    median, the maximum-likelihood estimate under Laplace noise, and outliers pull on it less."""

    def terms_and_gradients(self, input, target):
        difference = input - target
        return np.abs(difference), np.sign(difference)


class SmoothL1Loss(ElementwiseLoss):
    """With d = x − y: terms ½d²/β for |d| < β, |d| − ½β otherwise (quadratic near 0, linear for
    outliers; β = 0 gives L1Loss). Local gradient d/β for |d| < β, sign(d) otherwise; the two pieces
    meet with equal value and slope at |d| = β.

    Note: torch's HuberLoss(δ) is δ times this loss with β = δ.
    """

    def __init__(self, reduction="mean", beta=1.0):
        if beta < 0:
            raise ValueError(f"SmoothL1Loss: beta must be non-negative, got {beta}")
        super().__init__(reduction)
        self.beta = beta

    def terms_and_gradients(self, input, target):
        difference = input - target
        quadratic = np.abs(difference) < self.beta
        safe_beta = self.beta if self.beta > 0 else 1  # β = 0 never takes the quadratic branch
        terms = np.where(quadratic, 0.5 * difference**2 / safe_beta, np.abs(difference) - 0.5 * self.beta)
        return terms, np.where(quadratic, difference / safe_beta, np.sign(difference))


class BCELoss(ElementwiseLoss):
    """Binary cross-entropy of probabilities x ∈ [0, 1] against targets y ∈ [0, 1]:
    terms −w[y log x + (1 − y) log(1 − x)], each log clamped at −100 (as torch, so x = 0 or 1 gives
    a finite loss). Local gradient w(x − y) / (x(1 − x)), its denominator clamped at 1e-12 (torch's
    constant, which is the float32 nearest 1e-12).

    `weight` (optional) multiplies each term; it broadcasts to the input's shape.
    """

    LOG_FLOOR = -100.0
    EPSILON = float(np.float32(1e-12))

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = weight

    def check(self, input, target):
        super().check(input, target)
        if not np.all((input >= 0) & (input <= 1)):
            raise ValueError("BCELoss input: expected probabilities in [0, 1] (apply a sigmoid first, "
                             "or use BCEWithLogitsLoss on the raw scores)")
        if self.weight is not None:
            check_weight("BCELoss weight", self.weight, input.dtype, input.shape)

    def terms_and_gradients(self, input, target):
        with np.errstate(divide="ignore"):  # log(0) = −inf, clamped just below
            log_p = np.maximum(np.log(input), self.LOG_FLOOR)
            log_not_p = np.maximum(np.log1p(-input), self.LOG_FLOOR)
        terms = -(target * log_p + (1 - target) * log_not_p)
        local_grad = (input - target) / np.maximum(input * (1 - input), self.EPSILON)
        weight = 1 if self.weight is None else self.weight
        return weight * terms, weight * local_grad


class BCEWithLogitsLoss(ElementwiseLoss):
    """Binary cross-entropy of raw scores (logits) x, i.e. BCELoss(σ(x)) computed stably:
    with log σ(x) = −softplus(−x) and log(1 − σ(x)) = log σ(x) − x, the terms are
        w[(1 − y) x − (1 + (p − 1) y) log σ(x)],
    with p = pos_weight (weight of the positive class, broadcast along the last axis; 1 if None).
    Local gradient w[(1 + (p − 1) y) σ(x) − p y], which is w(σ(x) − y) when p = 1.
    """

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.weight, self.pos_weight = weight, pos_weight

    def check(self, input, target):
        super().check(input, target)
        for name in ("weight", "pos_weight"):
            if getattr(self, name) is not None:
                check_weight(f"BCEWithLogitsLoss {name}", getattr(self, name), input.dtype, input.shape)

    def terms_and_gradients(self, input, target):
        pos_weight = 1 if self.pos_weight is None else self.pos_weight
        weight = 1 if self.weight is None else self.weight
        log_weight = 1 + (pos_weight - 1) * target
        terms = (1 - target) * input + log_weight * softplus(-input)
        local_grad = log_weight * sigmoid(input) - pos_weight * target
        return weight * terms, weight * local_grad


class HingeEmbeddingLoss(Loss):
    """For targets y = ±1 (similar / dissimilar pairs, x typically a distance):
    terms x where y = 1 and max(0, margin − x) where y = −1.
    Local gradient 1 where y = 1; −1 where y = −1 and x ≤ margin (torch lets the gradient through at
    x = margin exactly), 0 beyond the margin.
    """

    def __init__(self, margin=1.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = margin

    def check(self, input, target):
        as_float_array("HingeEmbeddingLoss input", input)
        if not isinstance(target, np.ndarray):
            raise ValueError(f"HingeEmbeddingLoss target: expected a NumPy array, got {type(target).__name__}")
        check_shape("HingeEmbeddingLoss target", target, input.shape)
        if not np.isin(target, (-1, 1)).all():
            raise ValueError("HingeEmbeddingLoss target: expected every entry to be 1 or -1")

    def terms_and_gradients(self, input, target):
        similar = target == 1
        gap = self.margin - input
        terms = np.where(similar, input, np.maximum(gap, 0))
        local_grad = np.where(similar, 1, np.where(gap >= 0, -1, 0)).astype(input.dtype)
        return terms, local_grad

    def extra_repr(self):
        return f"margin={self.margin}, reduction={self.reduction!r}"


class ClassLoss(Loss):
    """A loss with one term per sample: input (N, C) scores, target (N,) integer class indices in
    [0, C), optional `weight` (C,) of per-class weights."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        if weight is not None:
            as_float_array(f"{type(self).__name__} weight", weight, ndim=1)
        self.weight = weight

    def check(self, input, target):
        name = type(self).__name__
        as_float_array(f"{name} input", input, ndim=2)
        if not isinstance(target, np.ndarray) or not np.issubdtype(target.dtype, np.integer):
            found = f"dtype {target.dtype}" if isinstance(target, np.ndarray) else type(target).__name__
            raise ValueError(f"{name} target: expected an integer array of class indices, got {found}")
        check_shape(f"{name} target", target, (input.shape[0],))
        num_classes = input.shape[1]
        outside = target[(target < 0) | (target >= num_classes)]
        if outside.size:
            raise ValueError(f"{name} target: class index {outside[0]} is out of range for "
                             f"{num_classes} classes (expected 0 <= target < {num_classes})")
        if self.weight is not None:
            as_float_array(f"{name} weight", self.weight, dtype=input.dtype)
            check_shape(f"{name} weight", self.weight, (num_classes,))

    def target_weights(self, target):
        """w_{yₙ} for each sample n (all ones without class weights)."""
        return np.ones(target.shape) if self.weight is None else self.weight[target]


class NLLLoss(ClassLoss):
    """Negative log-likelihood of log-probabilities x (N, C), e.g. the output of LogSoftmax:
    terms −w_{yₙ} x_{n,yₙ}; reduction="mean" gives the weighted mean Σₙ −w_{yₙ} x_{n,yₙ} / Σₙ w_{yₙ}.
    Local gradient: −w_{yₙ} at (n, yₙ), 0 elsewhere.
    """

    def terms_and_gradients(self, input, target):
        rows = np.arange(target.size)
        weights = self.target_weights(target).astype(input.dtype)
        local_grad = np.zeros_like(input)
        local_grad[rows, target] = -weights
        return -weights * input[rows, target], local_grad

    def mean_denominator(self, target):
        total_weight = self.target_weights(target).sum()
        if total_weight == 0:
            raise ValueError(f"{type(self).__name__}: the targets' class weights sum to 0, so their weighted "
                             "mean is undefined (torch returns nan); use reduction='sum'")
        return total_weight


class CrossEntropyLoss(NLLLoss):
    """NLLLoss of LogSoftmax(x) for raw scores (logits) x (N, C): terms −w_{yₙ} log softmax(xₙ)_{yₙ},
    stable for logits of any size. Gradient w_{yₙ}(softmax(xₙ) − onehot(yₙ)), divided by Σₙ w_{yₙ}
    for reduction="mean": the classic "p − y".
    """

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(weight, reduction)
        self.log_softmax = LogSoftmax(dim=1)

    def forward(self, input, target):
        as_float_array("CrossEntropyLoss input", input, ndim=2)
        return super().forward(self.log_softmax(input), target)

    def backward(self, grad_output=1.0):
        return self.log_softmax.backward(super().backward(grad_output))


class MultiMarginLoss(ClassLoss):
    """The multi-class hinge loss (one target class yₙ per sample): with zᵢ = margin − x_{yₙ} + xᵢ,
    terms  w_{yₙ} Σ_{i ≠ yₙ} max(0, zᵢ)^p / C  for p = 1 or 2 (C classes; torch divides by C).
    A sample costs nothing once its target score beats every other score by the margin.
    Local gradient for i ≠ yₙ: w_{yₙ} p zᵢ^(p−1) / C where zᵢ > 0 (0 at zᵢ = 0, as torch), and for
    the target score minus the sum of those.
    """

    def __init__(self, p=1, margin=1.0, weight=None, reduction="mean"):
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: p must be 1 or 2, got {p!r}")
        super().__init__(weight, reduction)
        self.p, self.margin = p, margin

    def terms_and_gradients(self, input, target):
        rows = np.arange(target.size)
        num_classes = input.shape[1]
        violations = self.margin - input[rows, target][:, None] + input
        active = violations > 0
        active[rows, target] = False
        hinge = np.where(active, violations, 0)
        weights = self.target_weights(target).astype(input.dtype)[:, None]
        terms = (weights * hinge**self.p).sum(axis=1) / num_classes
        local_grad = weights * active * (self.p * hinge ** (self.p - 1)) / num_classes
        local_grad[rows, target] = -local_grad.sum(axis=1)
        return terms, local_grad

    def extra_repr(self):
        return f"p={self.p}, margin={self.margin}, reduction={self.reduction!r}"
