"""Optimizers: the update step that follows backward, as in torch.optim.

An optimizer holds a list of Parameters and a learning rate `lr` (a plain attribute, which the
schedulers of `mlp_ref.lr_scheduler` change between steps). `step()` reads every `param.grad` and
changes `param.data` in place; it never writes to `param.grad`. `zero_grad()` clears the gradients
that backward accumulates.
"""
import numpy as np

from .module import Parameter


class Optimizer:
    """Base class: keeps the parameters, the learning rate and per-parameter state (one dict each)."""

    def __init__(self, params, lr):
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        for index, param in enumerate(self.params):
            if not isinstance(param, Parameter):
                raise ValueError(f"optimizer: expected mlp_ref Parameters, got {type(param).__name__} at position {index}")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        self.lr = lr
        self.state = [{} for _ in self.params]

    def zero_grad(self):
        """Set every parameter's gradient to zero (in place, so the arrays stay the same objects)."""
        for param in self.params:
            param.grad[...] = 0

    def step(self):
        raise NotImplementedError(f"{type(self).__name__} does not define step")


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight
    decay: torch.optim.SGD's update rule. For each parameter w with gradient ∇ (μ = momentum,
    τ = dampening, λ = weight_decay, η = lr):

        g = ∇ + λ w                         weight decay is added to the gradient (L2 penalty ½λ‖w‖²)
        b = g                               momentum buffer, on the first step (no dampening)
        b = μ b + (1 − τ) g                 on later steps
        d = g + μ b   if nesterov, else b   the direction (d = g when μ = 0)
        w = w − η d

    Everything runs in place on arrays allocated once per parameter (a scratch array, the
    weight-decayed gradient when λ ≠ 0, the momentum buffer), so a step allocates nothing after
    the first, and every expression is evaluated in torch's order.
    """

    def __init__(self, params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        super().__init__(params, lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        self.momentum, self.dampening = momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov
        for param, state in zip(self.params, self.state):
            state["scratch"] = np.empty_like(param.data)
            if weight_decay != 0:
                state["decayed_grad"] = np.empty_like(param.data)

    def step(self):
        for param, state in zip(self.params, self.state):
            grad = self._decayed_gradient(param, state)
            direction = grad if self.momentum == 0 else self._momentum_direction(state, grad)
            _add_scaled(param.data, -self.lr, direction, state["scratch"])

    def _decayed_gradient(self, param, state):
        """g = ∇ + λ w; without weight decay, param.grad itself (only read, never written)."""
        if self.weight_decay == 0:
            return param.grad
        decayed = state["decayed_grad"]
        np.multiply(param.data, self.weight_decay, out=decayed)
        np.add(param.grad, decayed, out=decayed)
        return decayed

    def _momentum_direction(self, state, grad):
        """Update the buffer (b = g on the first step, b = μ b + (1 − τ) g afterwards) and return
        the direction: g + μ b (in `scratch`) with Nesterov, else b itself."""
        buffer, scratch = state.get("momentum_buffer"), state["scratch"]
        if buffer is None:
            buffer = state["momentum_buffer"] = grad.copy()
        else:
            np.multiply(buffer, self.momentum, out=buffer)
            _add_scaled(buffer, 1 - self.dampening, grad, scratch)
        if not self.nesterov:
            return buffer
        np.multiply(buffer, self.momentum, out=scratch)
        np.add(grad, scratch, out=scratch)
        return scratch


def _add_scaled(target, scale, x, scratch):
    """target += scale · x in place, with the product in `scratch` (x may be `scratch` itself)."""
    np.multiply(x, scale, out=scratch)
    np.add(target, scratch, out=target)
