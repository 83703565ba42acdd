"""L1 and L2 penalties on the weights: terms added to the loss, and their gradients.

Conventions (λ = strength ≥ 0, the sums run over every entry of every parameter):
    L1:  λ · Σ|w|       gradient λ · sign(w), taking 0 at w = 0 (a subgradient, as torch's abs)
    L2:  (λ/2) · Σw²    gradient λ · w, which is exactly SGD's weight_decay = λ
The L1 gradient has the same size for small and large weights, so it pushes small weights all the way
to 0 (sparse weights); the L2 gradient shrinks each weight in proportion to its size (small weights).

The penalties accept Parameters or plain arrays; the add_*_grad functions need Parameters and add into
their `.grad` (so call them after the loss's backward, before the optimizer's step).
"""
import numpy as np

from .module import Parameter


def _arrays(params):
    arrays = []
    for param in params:
        if isinstance(param, Parameter):
            arrays.append(param.data)
        elif isinstance(param, np.ndarray):
            arrays.append(param)
        else:
            raise ValueError(f"expected Parameters or NumPy arrays, got {type(param).__name__}")
    return arrays


def _parameters(params):
    params = list(params)
    for param in params:
        if not isinstance(param, Parameter):
            raise ValueError(f"expected Parameters (which have a .grad to add into), got {type(param).__name__}")
    return params


def _check_strength(strength):
    if strength < 0:
        raise ValueError(f"the penalty strength must be non-negative, got {strength}")


def l1_penalty(params, strength=1.0):
    """λ · Σ|w| over every entry of every parameter, as a float."""
    _check_strength(strength)
    return strength * float(sum(np.abs(w).sum() for w in _arrays(params)))


def l2_penalty(params, strength=1.0):
    """(λ/2) · Σw² over every entry of every parameter, as a float."""
    _check_strength(strength)
    return strength / 2 * float(sum(np.square(w).sum() for w in _arrays(params)))


def add_l1_grad(params, strength):
    """Add ∂(λ·Σ|w|)/∂w = λ · sign(w) (0 where w = 0) into each parameter's grad."""
    _check_strength(strength)
    for param in _parameters(params):
        param.grad += strength * np.sign(param.data)


def add_l2_grad(params, strength):
    """Add ∂((λ/2)·Σw²)/∂w = λ · w into each parameter's grad (weight decay)."""
    _check_strength(strength)
    for param in _parameters(params):
        param.grad += strength * param.data
