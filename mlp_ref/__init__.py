"""mlp_ref: multilayer perceptrons in NumPy, with PyTorch's names, shapes and defaults.

Every forward value and every gradient here is tested equal to torch autograd (tests/), so that
student answers can be graded against it and lectures can build networks with it.
"""
from ._rng import manual_seed
from .activation import ReLU
from .linear import Linear
from .module import Module, Parameter, Sequential

__all__ = ["Linear", "Module", "Parameter", "ReLU", "Sequential", "manual_seed"]
