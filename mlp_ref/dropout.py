"""Inverted dropout, as torch.nn.Dropout."""
import numpy as np

from ._rng import get_generator
from ._validate import as_float_array, check_shape
from .module import BackwardBeforeForward, Module


class Dropout(Module):
    r"""During training, zero each element independently with probability p and scale the survivors.

    `p` is the probability of DROPPING a unit, as in PyTorch. Some texts (and the original dropout
    paper) write p for the probability of KEEPING a unit; their p is our 1 − p.

    Training mode, with a keep-mask M whose entries are 1 with probability 1 − p:
        y = x ⊙ M / (1 − p)                     shapes: x, M, y all (N, features) (any shape works)
    Dividing by 1 − p during training ("inverted" dropout) keeps E[y] = x, so at test time nothing
    has to be rescaled: in eval mode y = x. For p = 1 every unit is dropped and y = 0 (as in torch).

    Backward: y is linear in x, so  ∂L/∂x = ∂L/∂y ⊙ M / (1 − p)  (0 for p = 1).

    `forward(x, mask=None)` accepts a boolean keep-mask (True = keep) of x's shape instead of drawing
    one, so that tests can reproduce a given mask; the mask used is kept in `self.mask`. In eval mode
    there is no mask (`self.mask` is None) and passing one is an error.
    """

    def __init__(self, p=0.5, generator=None):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.generator = generator
        self.mask = None

    def _scale(self):
        return 0.0 if self.p == 1.0 else 1.0 / (1.0 - self.p)

    def forward(self, x, mask=None):
        as_float_array("Dropout input", x)
        if not self.training:
            if mask is not None:
                raise ValueError("Dropout: a mask was given in eval mode, where dropout is the identity")
            self.mask = None
            return x
        if mask is None:
            mask = get_generator(self.generator).random(x.shape) >= self.p
        elif not (isinstance(mask, np.ndarray) and mask.dtype == bool):
            raise ValueError(f"Dropout mask: expected a boolean NumPy array, got {getattr(mask, 'dtype', type(mask))}")
        check_shape("Dropout mask", mask, x.shape)
        self.mask = mask
        return x * (mask * self._scale()).astype(x.dtype)

    def backward(self, grad_output):
        if not self.training:
            return grad_output
        if self.mask is None:
            raise BackwardBeforeForward("Dropout: backward needs the mask forward draws; call the module on an "
                                        "input (its forward, in training mode) first")
        check_shape("Dropout grad_output", grad_output, self.mask.shape)
        return grad_output * (self.mask * self._scale()).astype(grad_output.dtype)

    def extra_repr(self):
        return f"p={self.p}"
