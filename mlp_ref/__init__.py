"""mlp_ref: multilayer perceptrons in NumPy, with PyTorch's names, shapes and defaults.

Every forward value and every gradient here is tested equal to torch autograd (tests/), so that
student answers can be graded against it and lectures can build networks with it. The submodules
mirror torch's: `mlp_ref.init` (torch.nn.init), `mlp_ref.optim` (torch.optim), `mlp_ref.lr_scheduler`
(torch.optim.lr_scheduler); `mlp_ref.data` and `mlp_ref.train` load data offline and run training loops;
`mlp_ref.gradcheck` and `mlp_ref.perceptron` serve the lectures on backpropagation and the perceptron.
"""
from . import data, gradcheck, init, lr_scheduler, optim, perceptron, regularization, train
from ._rng import manual_seed
from .activation import (ELU, GELU, LeakyReLU, LogSoftmax, PReLU, ReLU, ReLU6, SELU, Sigmoid, Softmax,
                         Softplus, Tanh)
from .batchnorm import BatchNorm1d
from .dropout import Dropout
from .linear import Linear
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HingeEmbeddingLoss, L1Loss, MSELoss,
                   MultiMarginLoss, NLLLoss, SmoothL1Loss)
from .mlp import MLP
from .module import Module, Parameter, Sequential

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "CrossEntropyLoss", "Dropout", "ELU", "GELU",
    "HingeEmbeddingLoss", "L1Loss", "LeakyReLU", "Linear", "LogSoftmax", "MLP", "MSELoss", "Module",
    "MultiMarginLoss", "NLLLoss", "PReLU", "Parameter", "ReLU", "ReLU6", "SELU", "Sequential", "Sigmoid",
    "SmoothL1Loss", "Softmax", "Softplus", "Tanh", "data", "gradcheck", "init", "lr_scheduler", "manual_seed",
    "optim", "perceptron", "regularization", "train",
]
