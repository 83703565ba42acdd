"""Batch normalization over a batch of feature vectors, as torch.nn.BatchNorm1d."""
import numpy as np

from ._validate import as_float_array, check_shape
from .module import Module, Parameter


class BatchNorm1d(Module):
    r"""Normalise every feature over the batch, then scale and shift it.

    Shapes: x (N, num_features) -> y (N, num_features); weight γ and bias β (num_features,).

    Training mode (per feature, over the N rows of the batch):
        μ = (1/N) Σₙ xₙ,   σ² = (1/N) Σₙ (xₙ − μ)²       (the biased variance normalises)
        x̂ = (x − μ) / √(σ² + eps),   y = γ x̂ + β
    and the running statistics (buffers, not parameters) move towards the batch's:
        running_mean ← (1 − momentum)·running_mean + momentum·μ
        running_var  ← (1 − momentum)·running_var  + momentum·σ²·N/(N − 1)   (the UNBIASED variance)
    With momentum=None the factor is 1/num_batches_tracked instead: a plain average of all batches so far.

    Eval mode uses the running statistics in place of μ and σ², so y is an affine function of x.
    Without running statistics (track_running_stats=False) the batch statistics are used in both modes.
    As in torch, a single sample cannot be normalised by its own statistics: N = 1 raises ValueError.

    Backward, with G = ∂L/∂y and s = √(σ² + eps):
        ∂L/∂β = Σₙ Gₙ,   ∂L/∂γ = Σₙ Gₙ ⊙ x̂ₙ
        batch statistics: x reaches y directly, through μ and through σ²; the three paths add up to
            ∂L/∂x = (γ / (N s)) ⊙ (N G − Σₙ Gₙ − x̂ ⊙ Σₙ Gₙ ⊙ x̂ₙ)
        running statistics (constants):  ∂L/∂x = G ⊙ γ / √(running_var + eps)
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 dtype=np.float64):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(np.ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype=dtype)) if affine else None
        self.dtype = np.dtype(dtype)
        if track_running_stats:
            self.running_mean = np.zeros(num_features, dtype=dtype)
            self.running_var = np.ones(num_features, dtype=dtype)
            self.num_batches_tracked = 0
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def _uses_batch_statistics(self):
        return self.training or not self.track_running_stats

    def forward(self, x):
        as_float_array("BatchNorm1d input", x, ndim=2, dtype=self.dtype)
        check_shape("BatchNorm1d input", x, (None, self.num_features))
        if self._uses_batch_statistics():
            if x.shape[0] < 2:
                raise ValueError(f"Expected more than 1 value per channel when training, got input size {x.shape}")
            mean, var = x.mean(axis=0), x.var(axis=0)
            if self.training and self.track_running_stats:
                self._update_running_statistics(mean, var, x.shape[0])
        else:
            mean, var = self.running_mean, self.running_var
        self._inv_std = 1.0 / np.sqrt(var + self.eps)
        self._normalized = (x - mean) * self._inv_std
        self._batch_statistics = self._uses_batch_statistics()
        if not self.affine:
            return self._normalized
        return self._normalized * self.weight.data + self.bias.data

    @property
    def normalized(self):
        """x̂ of the last forward: (x − μ) / √(σ² + eps), shape (N, num_features)."""
        return self._normalized

    @property
    def std(self):
        """√(σ² + eps) of the last forward, per feature (the batch's σ² or the running one, as forward used)."""
        return 1.0 / self._inv_std

    def _update_running_statistics(self, mean, var, n):
        self.num_batches_tracked += 1
        factor = 1.0 / self.num_batches_tracked if self.momentum is None else self.momentum
        unbiased_var = var * (n / (n - 1))
        self.running_mean[...] = (1 - factor) * self.running_mean + factor * mean
        self.running_var[...] = (1 - factor) * self.running_var + factor * unbiased_var

    def backward(self, grad_output):
        """∂L/∂x for the last forward's input; adds ∂L/∂γ and ∂L/∂β into the parameters' grad."""
        check_shape("BatchNorm1d grad_output", grad_output, self._normalized.shape)
        x_hat = self._normalized
        if self.affine:
            self.weight.grad += (grad_output * x_hat).sum(axis=0)
            self.bias.grad += grad_output.sum(axis=0)
        scale = self._inv_std * self.weight.data if self.affine else self._inv_std
        if not self._batch_statistics:
            return grad_output * scale
        n = grad_output.shape[0]
        direct = n * grad_output
        through_mean = grad_output.sum(axis=0)
        through_var = x_hat * (grad_output * x_hat).sum(axis=0)
        return (scale / n) * (direct - through_mean - through_var)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")
