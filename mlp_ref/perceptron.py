r"""Rosenblatt's perceptron (1958): a linear threshold unit and its mistake-driven learning rule.

Conventions. Labels are −1 and +1 (not 0 and 1: the ±1 form makes the rule one line). The unit
computes the activation a = w·x + b and predicts

    ŷ = +1 if a ≥ 0, else −1          (sign, with sign(0) taken as +1).

Learning rule. For an example (x, y), when y·a ≤ 0 (a wrong prediction, or a point exactly on
the boundary a = 0, which counts as a mistake for either label because it is not separated):

    w ← w + η y x,    b ← b + η y           (the bias is a weight on a constant input 1)

and nothing changes otherwise. Starting from w = 0, b = 0, every weight vector is η times an
integer combination of examples, so η only rescales (w, b) and never changes the predictions or
the number of mistakes.

Convergence (Novikoff, 1962). If some unit vector u = (w*, b*) separates the data with margin
γ = minᵢ yᵢ (w*·xᵢ + b*) > 0 and R = maxᵢ ‖(xᵢ, 1)‖, the perceptron started from zero makes at
most (R/γ)² updates, in any order of presentation; after that it classifies every training
example correctly, with yᵢ aᵢ > 0. Which separating (w, b) it ends with depends on the order of
the examples: the solution is not unique. If the data are not linearly separable (XOR) every
epoch contains a mistake and the rule never settles.
"""
import numpy as np

from ._rng import get_generator
from ._validate import as_float_array, check_shape


class Perceptron:
    """A linear threshold unit with weight (n_features,) and a scalar bias, both starting at 0."""

    def __init__(self, n_features, lr=1.0):
        if lr <= 0:
            raise ValueError(f"Perceptron: lr must be positive, got {lr}")
        self.n_features, self.lr = n_features, lr
        self.weight = np.zeros(n_features)
        self.bias = 0.0

    def activation(self, X):
        """a = X w + b: (N, n_features) -> (N,), or one example (n_features,) -> a scalar."""
        as_float_array("Perceptron input", X, ndim=(1, 2))
        check_shape("Perceptron input", X, (None, self.n_features)[-X.ndim:])
        return X @ self.weight + self.bias

    def predict(self, X):
        """Labels in {−1, +1}, +1 where the activation is >= 0 (same shapes as `activation`)."""
        return np.where(self.activation(X) >= 0, 1, -1)

    def step(self, x, y):
        """Present one example x (n_features,) with label y ∈ {−1, +1}; update on a mistake
        (y·a ≤ 0). Returns True if the weights changed."""
        _check_labels(np.asarray(y))
        if y * self.activation(x) > 0:
            return False
        self.weight += self.lr * y * x
        self.bias += self.lr * y
        return True

    def fit(self, X, y, max_epochs=100, shuffle=True, generator=None):
        """Sweep through (X (N, n_features), y (N,) in {−1, +1}) applying `step`, in a new random
        order each epoch if `shuffle` (drawn from `generator`), until an epoch without a mistake or
        `max_epochs` epochs. Returns the history: the number of mistakes (= updates) in each epoch;
        it ends in 0 exactly when the perceptron has converged."""
        as_float_array("Perceptron X", X, ndim=2)
        check_shape("Perceptron X", X, (None, self.n_features))
        y = _check_labels(np.asarray(y))
        check_shape("Perceptron y", y, (X.shape[0],))
        rng = get_generator(generator)
        history = []
        for _ in range(max_epochs):
            order = rng.permutation(len(X)) if shuffle else range(len(X))
            history.append(sum(self.step(X[i], y[i]) for i in order))
            if history[-1] == 0:
                break
        return history


def _check_labels(y):
    if not np.all((y == 1) | (y == -1)):
        raise ValueError(f"Perceptron labels must be -1 or +1, got values {np.unique(y)[:5]}")
    return y
