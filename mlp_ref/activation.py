"""Activation functions and softmax, as torch.nn's modules of the same names, defaults and semantics.

Each elementwise activation defines `function(x)` and `derivative(x)` (dy/dx, elementwise); the
module's backward is then the chain rule  ∂L/∂x = ∂L/∂y ⊙ g'(x).

At a kink (ReLU at 0, ReLU6 at 0 and 6, LeakyReLU/ELU/SELU/PReLU at 0) the function has no
derivative; every module here takes the value PyTorch's autograd takes, which is stated in its
docstring. Softmax and LogSoftmax mix the elements of a row, so their backward is a
Jacobian-vector product instead.

The plain functions `sigmoid`, `softplus`, `softmax` and `log_softmax` are the numerically stable
formulas, shared with the losses (as torch.nn.functional is).
"""
import math

import numpy as np

from ._validate import as_float_array
from .module import Module, Parameter


def sigmoid(x):
    """σ(x) = 1 / (1 + e^(−x)), computed without overflow: e^(−|x|) never exceeds 1, and
    σ(x) = 1 / (1 + e^(−x)) for x ≥ 0,  σ(x) = e^x / (1 + e^x) for x < 0."""
    small = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + small), small / (1 + small))


def softplus(x):
    """log(1 + e^x) = max(x, 0) + log(1 + e^(−|x|)), which never overflows. Its derivative is σ(x)."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def softmax(x, dim=-1):
    """softmax(x)ᵢ = e^(xᵢ − m) / Σⱼ e^(xⱼ − m) along `dim`, with m the maximum along `dim`.

    Subtracting m changes nothing mathematically (it cancels) but keeps every exponent ≤ 0, so
    logits such as 1e4 give finite results instead of inf / inf.
    """
    exps = np.exp(x - x.max(axis=dim, keepdims=True))
    return exps / exps.sum(axis=dim, keepdims=True)


def log_softmax(x, dim=-1):
    """log softmax(x)ᵢ = xᵢ − logsumexp(x), with logsumexp(x) = m + log Σⱼ e^(xⱼ − m), m the maximum.

    Computed this way rather than as log(softmax(x)), which gives log(0) = −inf for a very
    unlikely class.
    """
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


def _erf(x):
    """scipy's vectorised erf, imported on first use: importing scipy.special costs every kernel that
    imports mlp_ref about 0.2 s, and only GELU needs it."""
    from scipy.special import erf

    return erf(x)


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


class Sigmoid(Elementwise):
    """σ(x) = 1 / (1 + e^(−x)), the logistic function, squashing ℝ onto (0, 1).

    σ'(x) = σ(x)(1 − σ(x)), largest at x = 0 where σ'(0) = 1/4: a sigmoid layer shrinks every
    gradient passing back through it at least fourfold. Computed without overflow for any |x|.
    """

    def function(self, x):
        return sigmoid(x)

    def derivative(self, x):
        s = sigmoid(x)
        return s * (1 - s)


class Tanh(Elementwise):
    """tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x)) = 2σ(2x) − 1, a sigmoid rescaled onto (−1, 1)
    and centred at 0.

    tanh'(x) = 1 − tanh²(x), so tanh'(0) = 1 (four times σ'(0)).
    """

    def function(self, x):
        return np.tanh(x)

    def derivative(self, x):
        return 1 - np.tanh(x) ** 2


class ReLU(Elementwise):
    """ReLU(x) = max(0, x). Its derivative is the step 1[x > 0]: not sgn(x), and taken as 0 at x = 0
    (where ReLU has no derivative; PyTorch makes the same choice)."""

    def function(self, x):
        return np.maximum(x, 0)

    def derivative(self, x):
        return (x > 0).astype(x.dtype)


class LeakyReLU(Elementwise):
    """LeakyReLU(x) = x for x > 0, negative_slope · x otherwise.

    Derivative: 1 for x > 0, negative_slope for x ≤ 0 (at the kink x = 0 torch takes negative_slope).
    """

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def function(self, x):
        return np.where(x > 0, x, self.negative_slope * x)

    def derivative(self, x):
        return np.where(x > 0, 1, self.negative_slope).astype(x.dtype)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class ELU(Elementwise):
    """ELU(x) = x for x > 0, α(e^x − 1) otherwise: smooth for negative inputs, tending to −α.

    Derivative: 1 for x > 0, α e^x for x ≤ 0 (at x = 0 torch takes α, the left-hand value; it is 1
    from the right, so the two sides meet only when α = 1).
    """

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = alpha

    def function(self, x):
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))

    def derivative(self, x):
        return np.where(x > 0, 1, self.alpha * np.exp(np.minimum(x, 0))).astype(x.dtype)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class SELU(ELU):
    """SELU(x) = scale · ELU_α(x) with torch's constants α ≈ 1.6733 and scale ≈ 1.0507 (Klambauer et
    al. 2017), chosen so that activations keep mean 0 and variance 1 through many layers.

    Derivative: scale for x > 0, scale · α e^x for x ≤ 0 (scale · α at the kink x = 0, as torch).
    """

    ALPHA = 1.6732632423543772848170429916717
    SCALE = 1.0507009873554804934193349852946

    def __init__(self):
        super().__init__(alpha=self.ALPHA)

    def function(self, x):
        return self.SCALE * super().function(x)

    def derivative(self, x):
        return self.SCALE * super().derivative(x)

    def extra_repr(self):
        return ""


class ReLU6(Elementwise):
    """ReLU6(x) = min(max(0, x), 6), a ReLU capped at 6.

    Derivative: 1 for 0 < x < 6, 0 elsewhere, including both kinks x = 0 and x = 6 (as torch).
    """

    def function(self, x):
        return np.clip(x, 0, 6)

    def derivative(self, x):
        return ((x > 0) & (x < 6)).astype(x.dtype)


class Softplus(Elementwise):
    """Softplus(x) = (1/β) log(1 + e^(βx)), a smooth ReLU; for βx > threshold it returns x itself
    (the two agree there to within e^(−threshold)/β), as torch does.

    Derivative: σ(βx) for βx ≤ threshold, 1 above it.
    """

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def function(self, x):
        scaled = self.beta * x
        return np.where(scaled > self.threshold, x, softplus(scaled) / self.beta)

    def derivative(self, x):
        scaled = self.beta * x
        return np.where(scaled > self.threshold, 1, sigmoid(scaled)).astype(x.dtype)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class GELU(Elementwise):
    """GELU(x) = x Φ(x), with Φ the standard normal CDF: Φ(x) = ½(1 + erf(x/√2)).

    Derivative: Φ(x) + x φ(x), with φ(x) = e^(−x²/2)/√(2π) the normal density.

    approximate="tanh" uses Φ(x) ≈ ½(1 + tanh(u)), u = √(2/π)(x + 0.044715x³), whose derivative is
    ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²).
    """

    KAPPA = 0.044715

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def _tanh_argument(self, x):
        return math.sqrt(2 / math.pi) * (x + self.KAPPA * x**3)

    def function(self, x):
        if self.approximate == "tanh":
            return 0.5 * x * (1 + np.tanh(self._tanh_argument(x)))
        return 0.5 * x * (1 + _erf(x / math.sqrt(2)))

    def derivative(self, x):
        if self.approximate == "tanh":
            t = np.tanh(self._tanh_argument(x))
            return 0.5 * (1 + t) + 0.5 * x * (1 - t**2) * math.sqrt(2 / math.pi) * (1 + 3 * self.KAPPA * x**2)
        cdf = 0.5 * (1 + _erf(x / math.sqrt(2)))
        pdf = np.exp(-0.5 * x**2) / math.sqrt(2 * math.pi)
        return cdf + x * pdf

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class PReLU(Elementwise):
    """PReLU(x) = x for x > 0, a · x otherwise, with the slope a learned (Parameter `weight`).

    num_parameters=1 shares one slope over all inputs; num_parameters=C gives each channel
    (the features axis 1 of an (N, C, ...) input) its own slope. Initial slope `init`.

    Backward: ∂L/∂x = ∂L/∂y ⊙ (1 for x > 0, a for x ≤ 0; a at the kink, as torch), and
    ∂L/∂a = Σ ∂L/∂y ⊙ x over the entries with x ≤ 0 that share that slope (all of them, or one
    channel's), since each slope is used by many entries.
    """

    def __init__(self, num_parameters=1, init=0.25, dtype=np.float64):
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = Parameter(np.full(num_parameters, init, dtype=dtype))

    def forward(self, x):
        as_float_array("PReLU input", x, dtype=self.weight.dtype)
        if self.num_parameters > 1 and (x.ndim < 2 or x.shape[1] != self.num_parameters):
            raise ValueError(f"PReLU input: expected {self.num_parameters} channels on axis 1 "
                             f"(one per slope), got shape {x.shape}")
        return super().forward(x)

    def _slope(self, x):
        """The slopes, shaped to broadcast against x: one value, or one per entry along axis 1."""
        if self.num_parameters == 1:
            return self.weight.data[0]
        return self.weight.data.reshape((1, -1) + (1,) * (x.ndim - 2))

    def function(self, x):
        return np.where(x > 0, x, self._slope(x) * x)

    def derivative(self, x):
        return np.where(x > 0, 1, self._slope(x)).astype(x.dtype)

    def backward(self, grad_output):
        x = self._input
        slope_grad = np.where(x > 0, 0, grad_output * x)
        if self.num_parameters == 1:
            self.weight.grad += slope_grad.sum()
        else:
            self.weight.grad += slope_grad.sum(axis=tuple(a for a in range(x.ndim) if a != 1))
        return super().backward(grad_output)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Softmax(Module):
    """y = softmax(x) along `dim`: positive entries summing to 1, e.g. class probabilities.

    Backward (a Jacobian-vector product, since every output depends on every input of its row):
    ∂yᵢ/∂xⱼ = yᵢ(δᵢⱼ − yⱼ), so  ∂L/∂x = y ⊙ (g − Σⱼ gⱼ yⱼ)  for the upstream gradient g = ∂L/∂y.
    """

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        as_float_array("Softmax input", x)
        self._output = softmax(x, self.dim)
        return self._output

    def backward(self, grad_output):
        y = self._output
        return y * (grad_output - (grad_output * y).sum(axis=self.dim, keepdims=True))

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """y = log softmax(x) = x − logsumexp(x) along `dim`, computed stably.

    Backward: ∂yᵢ/∂xⱼ = δᵢⱼ − softmax(x)ⱼ, so  ∂L/∂x = g − softmax(x) · Σᵢ gᵢ,  with softmax(x) = e^y.
    """

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        as_float_array("LogSoftmax input", x)
        self._output = log_softmax(x, self.dim)
        return self._output

    def backward(self, grad_output):
        return grad_output - np.exp(self._output) * grad_output.sum(axis=self.dim, keepdims=True)

    def extra_repr(self):
        return f"dim={self.dim}"
