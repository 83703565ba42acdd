"""Weight initialisation, as torch.nn.init: each function fills a NumPy array in place and returns it.

Use it on a layer's parameter: `init.kaiming_normal_(layer.weight.data, nonlinearity="relu")`.
A weight of a fully connected layer has shape (out_features, in_features), so
fan_in = in_features (inputs summed into one output) and fan_out = out_features.

The scaled initialisations keep the variance of the signal roughly constant from layer to layer:
    Xavier/Glorot:  Var(w) = gain² · 2 / (fan_in + fan_out)   (a compromise between forward and backward)
    Kaiming/He:     Var(w) = gain² / fan                       (fan = fan_in or fan_out, chosen by `mode`)
    LeCun:          Var(w) = 1 / fan_in                        (Kaiming with gain 1)
A uniform distribution on [−b, b] has variance b²/3, so each uniform version uses b = √3 · std.
"""
import math

import numpy as np

from ._rng import get_generator
from ._validate import as_float_array

LINEAR_NONLINEARITIES = ("linear", "conv1d", "conv2d", "conv3d",
                         "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
NONLINEARITIES = LINEAR_NONLINEARITIES + ("sigmoid", "tanh", "relu", "leaky_relu", "selu")
FAN_MODES = ("fan_in", "fan_out")


def calculate_gain(nonlinearity, param=None):
    r"""The factor by which to scale a weight's standard deviation for a given nonlinearity (torch's table).

        linear, conv*, sigmoid   1
        tanh                     5/3        (not 3/5)
        relu                     √2         (ReLU halves the second moment; the gain restores it)
        leaky_relu               √(2 / (1 + a²)), a = param, the negative slope (default 0.01)
        selu                     3/4
    """
    if nonlinearity in LINEAR_NONLINEARITIES or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param!r} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity!r}; expected one of {', '.join(NONLINEARITIES)}")


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel): in·k and out·k with k = Π kernel (1 for 2-D)."""
    _check_target(tensor)
    if tensor.ndim < 2:
        raise ValueError(f"Fan in and fan out need an array of at least 2 dimensions, got shape {tensor.shape}")
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight: (in, out) for a Linear weight of shape (out, in)."""
    return _calculate_fan_in_and_fan_out(tensor)


def _calculate_correct_fan(tensor, mode):
    if mode not in FAN_MODES:
        raise ValueError(f"Mode {mode!r} not supported; expected one of {', '.join(FAN_MODES)}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _check_target(tensor):
    """Init functions fill float arrays in place (an integer array would silently truncate the draws)."""
    return as_float_array("init target", tensor)


def _fill(tensor, values):
    tensor[...] = values
    return tensor


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with draws from U(a, b)."""
    _check_target(tensor)
    return _fill(tensor, get_generator(generator).uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with draws from N(mean, std²)."""
    _check_target(tensor)
    return _fill(tensor, get_generator(generator).normal(mean, std, tensor.shape))


def constant_(tensor, val):
    _check_target(tensor)
    return _fill(tensor, val)


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def _uniform_with_std(tensor, std, generator):
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def xavier_std(tensor, gain=1.0):
    """The standard deviation both Xavier initialisations give: gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(−b, b) with b = gain · √(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    return _uniform_with_std(tensor, xavier_std(tensor, gain), generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, std²) with std = gain · √(2 / (fan_in + fan_out))."""
    return normal_(tensor, 0.0, xavier_std(tensor, gain), generator)


def kaiming_std(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """The standard deviation both Kaiming initialisations give: gain / √fan (arguments as kaiming_uniform_)."""
    return calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(−b, b) with b = gain · √(3 / fan) (He et al., 2015); for ReLU, b = √(6 / fan_in).

    a: the negative slope of the leaky ReLU that follows (used only with nonlinearity="leaky_relu";
    the default a = 0 makes it a ReLU). mode: "fan_in" keeps the forward signal's variance,
    "fan_out" the backward gradient's.
    """
    return _uniform_with_std(tensor, kaiming_std(tensor, a, mode, nonlinearity), generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std²) with std = gain / √fan; arguments as kaiming_uniform_."""
    return normal_(tensor, 0.0, kaiming_std(tensor, a, mode, nonlinearity), generator)


def lecun_uniform_(tensor, generator=None):
    """U(−b, b) with b = √(3 / fan_in), i.e. std 1/√fan_in (LeCun et al., 1998). Not in torch.nn.init;
    it equals kaiming_uniform_(tensor, nonlinearity="linear")."""
    return kaiming_uniform_(tensor, nonlinearity="linear", generator=generator)


def lecun_normal_(tensor, generator=None):
    """N(0, 1/fan_in). Not in torch.nn.init; it equals kaiming_normal_(tensor, nonlinearity="linear")."""
    return kaiming_normal_(tensor, nonlinearity="linear", generator=generator)


def orthogonal_(tensor, gain=1.0, generator=None):
    """A (semi-)orthogonal matrix times gain (Saxe et al., 2014), drawn as torch draws it.

    The array is seen as rows = shape[0] by cols = (size / rows). A (rows, cols) matrix of N(0, 1)
    draws is factored A = QR (transposed first if it is wide); multiplying each column of Q by the sign
    of R's diagonal makes the factorisation unique and Q uniformly (Haar) distributed (Mezzadri, 2007).
    Result: a tall matrix has orthonormal columns (WᵀW = gain²·I), a wide one orthonormal rows
    (WWᵀ = gain²·I).
    """
    _check_target(tensor)
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_ needs an array of at least 2 dimensions, got shape {tensor.shape}")
    if tensor.size == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.size // rows
    flattened = get_generator(generator).standard_normal((rows, cols))
    wide = rows < cols
    if wide:
        flattened = flattened.T
    q, r = np.linalg.qr(flattened)
    q *= np.sign(np.diag(r))
    if wide:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))
