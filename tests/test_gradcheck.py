"""Gradient checking: centred differences agree with known derivatives, gradcheck passes on
correct backwards (Linear, ReLU, a small network) and fails on wrong ones.

Tolerances (float64, eps = 1e-6; see mlp_ref/gradcheck.py): a correct gradient agrees to about
1e-9 relative (rounding ε_machine·|f|/eps plus truncation eps²·f'''/6), so these tests use 1e-7 for
known functions and gradcheck's default rtol 1e-6; the wrong backwards are off by more than 0.1.
"""
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import mlp_ref
from mlp_ref.gradcheck import GradcheckError, gradcheck, numerical_gradient, relative_error

seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(1, 5)


def test_numerical_gradient_of_sum_of_squares_is_2x():
    x = np.random.default_rng(0).standard_normal((4, 3))
    assert relative_error(numerical_gradient(lambda v: np.sum(v**2), x), 2 * x) < 1e-7


def test_numerical_gradient_of_log_sum_exp_is_softmax():
    x = np.random.default_rng(1).standard_normal(6)
    softmax = np.exp(x) / np.exp(x).sum()
    assert relative_error(numerical_gradient(lambda v: np.log(np.exp(v).sum()), x), softmax) < 1e-7


def test_centred_difference_truncation_error_is_eps_squared():
    """For f = Σx³: ((x+ε)³ − (x−ε)³) / 2ε = 3x² + ε², exactly. A one-sided difference would be
    off by 3xε instead."""
    x = np.random.default_rng(2).uniform(-2, 2, 5)
    eps = 1e-3
    error = numerical_gradient(lambda v: np.sum(v**3), x, eps=eps) - 3 * x**2
    np.testing.assert_allclose(error, eps**2, rtol=1e-3)


def test_numerical_gradient_restores_x_exactly():
    x = np.random.default_rng(3).standard_normal((3, 2))
    before = x.copy()
    numerical_gradient(lambda v: np.sum(np.sin(v)), x)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_rejects_float32():
    with pytest.raises(ValueError, match="expected dtype float64"):
        numerical_gradient(np.sum, np.zeros(3, dtype=np.float32))


def test_relative_error_definition():
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    # max|a − b| = 0.5, max(|a| + |b|) = 4 + 3.5
    assert relative_error(np.array([1.0, 4.0]), np.array([1.0, 3.5])) == pytest.approx(0.5 / 7.5)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    with pytest.raises(ValueError, match="shapes differ"):
        relative_error(np.zeros(3), np.zeros(4))


@settings(max_examples=20, deadline=None)
@given(n=sizes, n_in=sizes, n_out=sizes, bias=st.booleans(), seed=seeds)
def test_gradcheck_passes_on_linear(n, n_in, n_out, bias, seed):
    rng = np.random.default_rng(seed)
    layer = mlp_ref.Linear(n_in, n_out, bias=bias, generator=rng)
    report = gradcheck(layer, rng.standard_normal((n, n_in)), rng=rng)
    assert report.passed and set(report.errors) == {"input", "weight"} | ({"bias"} if bias else set())
    assert max(report.errors.values()) < 1e-8


@settings(max_examples=20, deadline=None)
@given(n=sizes, d=sizes, seed=seeds)
def test_gradcheck_passes_on_relu_away_from_its_kink(n, d, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.1, 2.0, (n, d)) * rng.choice([-1.0, 1.0], (n, d))  # |x| >= 0.1 >> eps
    assert gradcheck(mlp_ref.ReLU(), x, rng=rng).errors["input"] < 1e-8


@settings(max_examples=20, deadline=None)
@given(n=sizes, hidden=st.integers(2, 6), seed=seeds)
def test_gradcheck_passes_on_a_small_network(n, hidden, seed):
    rng = np.random.default_rng(seed)
    model = mlp_ref.Sequential(mlp_ref.Linear(3, hidden, generator=rng), mlp_ref.ReLU(),
                               mlp_ref.Linear(hidden, 2, generator=rng))
    x = rng.standard_normal((n, 3))
    # a perturbation of 1e-6 moves a hidden pre-activation by at most ~1e-5: stay 1e-3 away from 0
    assume(np.abs(model[0](x)).min() > 1e-3)
    report = gradcheck(model, x, rng=rng)
    assert set(report.errors) == {"input", "0.weight", "0.bias", "2.weight", "2.bias"}
    assert max(report.errors.values()) < 1e-8


class LinearWithAveragedBiasGrad(mlp_ref.Linear):
    """A classic bug: the bias gradient averaged over the batch instead of summed."""

    def backward(self, grad_output):
        grad_input = super().backward(grad_output)
        self.bias.grad -= grad_output.sum(axis=0) - grad_output.mean(axis=0)
        return grad_input


class ReLUWithSignDerivative(mlp_ref.ReLU):
    """The seed's error: ReLU's derivative written as sgn(x) instead of the step 1[x > 0]."""

    def derivative(self, x):
        return np.sign(x)


def test_gradcheck_fails_on_an_averaged_bias_gradient():
    rng = np.random.default_rng(4)
    layer = LinearWithAveragedBiasGrad(3, 2, generator=rng)
    x = rng.standard_normal((5, 3))
    with pytest.raises(GradcheckError, match="bias"):
        gradcheck(layer, x, rng=rng)
    report = gradcheck(layer, x, rng=rng, raise_exception=False)
    assert not report and set(report.failures()) == {"bias"}
    assert report.errors["bias"] > 0.1 and report.errors["weight"] < 1e-8


def test_gradcheck_fails_on_relu_with_sign_derivative():
    rng = np.random.default_rng(5)
    x = rng.uniform(0.1, 2.0, (4, 3)) * np.array([1.0, -1.0, 1.0])
    report = gradcheck(ReLUWithSignDerivative(), x, rng=rng, raise_exception=False)
    assert not report.passed and report.errors["input"] > 0.1


def test_gradcheck_at_the_kink_disagrees_which_is_why_checks_avoid_kinks():
    """At x = 0 the centred difference of ReLU is (ε − 0) / 2ε = ½; backward says 0."""
    report = gradcheck(mlp_ref.ReLU(), np.zeros((1, 1)), rng=np.random.default_rng(6), raise_exception=False)
    assert report.errors["input"] == pytest.approx(1.0)  # |0 − g/2| / (0 + |g/2|)


def test_gradcheck_rejects_float32():
    layer = mlp_ref.Linear(2, 2, dtype=np.float32)
    with pytest.raises(ValueError, match="float64"):
        gradcheck(layer, np.zeros((1, 2), dtype=np.float32))
