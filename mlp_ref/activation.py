"""Element-wise activation functions and softmax, as torch.nn's modules of the same names.

Each elementwise activation defines `function(x)` and `derivative(x)` (dy/dx, elementwise); the
module's backward is then the chain rule  ∂L/∂x = ∂L/∂y ⊙ g'(x).
"""
import numpy as np

from ._validate import as_float_array
from .module import Module


class Elementwise(Module):
    """Base for activations applied element by element: y = g(x), ∂L/∂x = ∂L/∂y ⊙ g'(x)."""

    def function(self, x):
        raise NotImplementedError

    def derivative(self, x):
        raise NotImplementedError

    def forward(self, x):
        as_float_array(f"{type(self).__name__} input", x)
        self._input = x
        return self.function(x)

    def backward(self, grad_output):
        return grad_output * self.derivative(self._input)


class ReLU(Elementwise):
    """ReLU(x) = max(0, x). Its derivative is the step 1[x > 0]: not sgn(x), and taken as 0 at x = 0
    (where ReLU has no derivative; PyTorch makes the same choice)."""

    def function(self, x):
        return np.maximum(x, 0)

    def derivative(self, x):
        return (x > 0).astype(x.dtype)
