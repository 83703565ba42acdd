r"""Gradient checking: compare a hand-written backward with centred finite differences.

Centred differences. For f: ℝⁿ → ℝ and each coordinate i,

    ∂f/∂xᵢ ≈ (f(x + ε eᵢ) − f(x − ε eᵢ)) / (2ε).

Taylor expansion gives a truncation error of ε² f'''/6 (the even terms cancel; a one-sided
difference would leave ε f''/2), and evaluating f in floating point adds a rounding error of
about ε_machine · |f| / ε. In float64 (ε_machine ≈ 2.2e-16) with ε = 1e-6 and f, f''' of order 1
to 10, both are around 1e-12 to 1e-9, so a correct backward agrees to a relative error of about
1e-8 to 1e-10. A wrong backward (a missing term, a wrong sum or mean, a transposed matrix) is off
by tens of percent. The default tolerance rtol = 1e-6 sits between the two, with a margin of
about 100 on each side. In float32 (ε_machine ≈ 1.2e-7) the rounding term alone would be of
order 0.1 at ε = 1e-6, which is why these functions insist on float64.

Kinks. Where f is not differentiable (ReLU at 0) the centred difference straddles the kink and
returns the average of the two one-sided slopes, which no backward reproduces: check at points
farther than ε from every kink.

Relative error. For two arrays a (analytic) and b (numerical) of the same shape,

    relative_error(a, b) = maxᵢ |aᵢ − bᵢ| / max(maxᵢ (|aᵢ| + |bᵢ|), tiny)

the largest disagreement measured against the scale of the whole tensor (tiny = the smallest
normal float64, so two zero arrays have error 0). Measuring each entry against its own size
instead (the CS231n form |a − b| / max(|a|, |b|)) flags entries that are zero in truth but carry
rounding noise of 1e-10 as 100 % wrong.
"""
from dataclasses import dataclass

import numpy as np

from ._rng import get_generator
from ._validate import as_float_array

TINY = np.finfo(np.float64).tiny


def numerical_gradient(f, x, eps=1e-6):
    """Centred-difference gradient of the scalar function f at x (any shape, float64).

    x is perturbed in place, one entry at a time, and every entry is restored to its exact
    original value before returning (so f may be a closure over x, e.g. over a layer's weights).
    Returns an array shaped like x.
    """
    as_float_array("numerical_gradient x", x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + eps
        f_plus = float(f(x))
        x[index] = original - eps
        f_minus = float(f(x))
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(a, b):
    """max|a − b| / max(max(|a| + |b|), tiny): see the module docstring for why this form."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: shapes differ, {a.shape} vs {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), TINY))


class GradcheckError(AssertionError):
    """Raised by gradcheck when an analytic gradient disagrees with the numerical one."""


@dataclass
class GradcheckReport:
    """errors: tensor name ("input", then parameter names) -> relative error; passed: all <= rtol."""
    errors: dict
    rtol: float

    @property
    def passed(self):
        return all(error <= self.rtol for error in self.errors.values())

    def failures(self):
        return {name: error for name, error in self.errors.items() if error > self.rtol}

    def __bool__(self):
        return self.passed


def gradcheck(module, x, rng=None, eps=1e-6, rtol=1e-6, raise_exception=True):
    """Check module.backward against centred differences, at input x (float64).

    The scalar checked is L(x, θ) = ⟨module(x), G⟩ = Σ module(x) ⊙ G for a random upstream
    gradient G ~ N(0, 1) (drawn from `rng`, default generator if None): its exact gradients are
    what backward(G) returns for the input and accumulates into each parameter's grad. A random
    G (rather than all ones) catches errors that a symmetric upstream gradient would hide.

    The module's forward must be deterministic (dropout in eval mode or with a fixed mask).
    Returns a GradcheckReport (truthy when every relative error is <= rtol); on failure raises
    GradcheckError naming the tensors that disagree, or returns the failing report when
    raise_exception is False. Leaves the module's grads holding the analytic gradients.
    """
    as_float_array("gradcheck input", x, dtype=np.float64)
    named = list(module.named_parameters())
    for name, param in named:
        if param.dtype != np.float64:
            raise ValueError(f"gradcheck: parameter {name} must be float64 (finite differences need it), got {param.dtype}")
    x = x.copy()
    output = module(x)
    upstream = get_generator(rng).standard_normal(output.shape)
    module.zero_grad()
    analytic = {"input": module.backward(upstream)}
    analytic.update((name, param.grad.copy()) for name, param in named)

    def loss(_):
        return np.sum(module(x) * upstream)

    numerical = {"input": numerical_gradient(loss, x, eps)}
    numerical.update((name, numerical_gradient(loss, param.data, eps)) for name, param in named)
    report = GradcheckReport({name: relative_error(analytic[name], numerical[name]) for name in analytic}, rtol)
    if raise_exception and not report.passed:
        details = ", ".join(f"{name}: {error:.3g}" for name, error in report.failures().items())
        raise GradcheckError(f"gradcheck of {type(module).__name__} failed (relative error > {rtol}): {details}")
    return report
