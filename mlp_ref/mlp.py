"""A multilayer perceptron built from layer sizes: the network every later lecture trains."""
import inspect

import numpy as np

from .activation import ELU, GELU, SELU, LeakyReLU, PReLU, ReLU, ReLU6, Sigmoid, Softplus, Tanh
from .batchnorm import BatchNorm1d
from .dropout import Dropout
from .linear import Linear
from .module import Module, Sequential

# torch.nn.functional's names for the hidden-layer activations, and the mlp_ref.activation class of each
ACTIVATION_CLASSES = {
    "relu": ReLU, "leaky_relu": LeakyReLU, "prelu": PReLU, "relu6": ReLU6, "elu": ELU,
    "selu": SELU, "gelu": GELU, "softplus": Softplus, "sigmoid": Sigmoid, "tanh": Tanh,
}


def activation_class(activation):
    """The Module class for an activation given by name ("relu", "tanh", ...) or already as a class."""
    if isinstance(activation, type) and issubclass(activation, Module):
        return activation
    if activation not in ACTIVATION_CLASSES:
        raise ValueError(f"Unknown activation {activation!r}; expected a Module class or one of "
                         f"{', '.join(ACTIVATION_CLASSES)}")
    return ACTIVATION_CLASSES[activation]


def make_activation(cls, dtype):
    """An instance of `cls` with default arguments; one with parameters (PReLU) gets the network's dtype."""
    if "dtype" in inspect.signature(cls).parameters:
        return cls(dtype=dtype)
    return cls()


class MLP(Sequential):
    """Fully connected layers of the given sizes, e.g. MLP([784, 256, 10]).

    Each hidden layer is  Linear → [BatchNorm1d] → activation → [Dropout];  the last layer is a bare
    Linear, so the network outputs scores (logits) for a loss such as CrossEntropyLoss to take.
    BatchNorm1d is included when batch_norm=True, Dropout(p=dropout) when dropout is not 0.
    Shapes: x (N, sizes[0]) -> (N, sizes[-1]). Layers are the Sequential's children "0", "1", ... in
    that order, so the same network in torch.nn.Sequential has the same parameter names.
    """

    def __init__(self, sizes, activation="relu", dropout=0.0, batch_norm=False, dtype=np.float64, generator=None):
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP sizes: expected at least an input and an output size, got {sizes}")
        activation = activation_class(activation)
        layers = []
        for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
            layers.append(Linear(n_in, n_out, dtype=dtype, generator=generator))
            if batch_norm:
                layers.append(BatchNorm1d(n_out, dtype=dtype))
            layers.append(make_activation(activation, dtype))
            if dropout != 0:  # Dropout itself rejects p outside [0, 1]
                layers.append(Dropout(dropout, generator=generator))
        layers.append(Linear(sizes[-2], sizes[-1], dtype=dtype, generator=generator))
        super().__init__(*layers)
        self.sizes = sizes

    def num_parameters(self):
        """The number of trainable numbers: Σ over layers of (n_in + 1)·n_out, plus 2·n per batch norm."""
        return sum(param.data.size for param in self.parameters())
