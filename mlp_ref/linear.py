"""The fully connected layer."""
import math

import numpy as np

from ._rng import get_generator
from ._validate import as_float_array, check_shape
from .module import Module, Parameter


class Linear(Module):
    r"""y = x Wᵀ + b, applied to a batch of row vectors.

    Shapes: x (N, in_features) -> y (N, out_features); weight (out_features, in_features); bias (out_features,).

    Initialised as torch.nn.Linear: weight and bias uniform on [-1/√in_features, 1/√in_features]
    (which is kaiming_uniform_ with a = √5).

    Backward, for an upstream gradient G = ∂L/∂y of shape (N, out):
        ∂L/∂x = G W         (N, in)
        ∂L/∂W = Gᵀ x        (out, in)   summed over the batch by the product itself
        ∂L/∂b = Σₙ Gₙ       (out,)      the bias is shared by every row, so its gradient is summed
    """

    def __init__(self, in_features, out_features, bias=True, dtype=np.float64, generator=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        rng = get_generator(generator)
        bound = 1.0 / math.sqrt(in_features) if in_features > 0 else 0.0
        self.weight = Parameter(rng.uniform(-bound, bound, (out_features, in_features)).astype(dtype))
        self.bias = Parameter(rng.uniform(-bound, bound, out_features).astype(dtype)) if bias else None

    def forward(self, x):
        as_float_array("Linear input", x, ndim=2, dtype=self.weight.dtype)
        check_shape("Linear input", x, (None, self.in_features))
        self._input = x
        y = x @ self.weight.data.T
        if self.bias is not None:
            y += self.bias.data
        return y

    def backward(self, grad_output):
        self.parameter_backward(grad_output)
        return grad_output @ self.weight.data

    def parameter_backward(self, grad_output):
        """∂L/∂W and ∂L/∂b only, skipping ∂L/∂x (a third of the work) when x is the data."""
        check_shape("Linear grad_output", grad_output, (self._input.shape[0], self.out_features))
        self.weight.grad += grad_output.T @ self._input
        if self.bias is not None:
            self.bias.grad += grad_output.sum(axis=0)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
