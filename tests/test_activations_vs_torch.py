"""mlp_ref's activations equal torch.nn's, forward and backward (input and PReLU slope), in float64:
over random shapes, at every kink (where torch's autograd convention is the reference), and for
inputs large enough to overflow a naive formula."""
import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from mlp_ref import activation as act
from torch_compare import compare_module

F64 = torch.float64
seeds = st.integers(0, 2**32 - 1)
shapes = st.lists(st.integers(1, 6), min_size=1, max_size=3).map(tuple)

# (name, our module, torch's module), constructed fresh for each example
ELEMENTWISE = [
    ("Sigmoid", act.Sigmoid, torch.nn.Sigmoid),
    ("Tanh", act.Tanh, torch.nn.Tanh),
    ("ReLU", act.ReLU, torch.nn.ReLU),
    ("LeakyReLU", act.LeakyReLU, torch.nn.LeakyReLU),
    ("LeakyReLU(0.2)", lambda: act.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2)),
    ("ELU", act.ELU, torch.nn.ELU),
    ("ELU(0.5)", lambda: act.ELU(0.5), lambda: torch.nn.ELU(0.5)),
    ("SELU", act.SELU, torch.nn.SELU),
    ("ReLU6", act.ReLU6, torch.nn.ReLU6),
    ("Softplus", act.Softplus, torch.nn.Softplus),
    ("Softplus(2, 12)", lambda: act.Softplus(2.0, 12.0), lambda: torch.nn.Softplus(2.0, 12.0)),
    ("GELU", act.GELU, torch.nn.GELU),
    ("GELU(tanh)", lambda: act.GELU("tanh"), lambda: torch.nn.GELU("tanh")),
    ("PReLU", act.PReLU, lambda: torch.nn.PReLU(dtype=F64)),
    ("PReLU(init=-0.7)", lambda: act.PReLU(init=-0.7), lambda: torch.nn.PReLU(init=-0.7, dtype=F64)),
]
elementwise = pytest.mark.parametrize("make_ours, make_theirs", [case[1:] for case in ELEMENTWISE],
                                      ids=[case[0] for case in ELEMENTWISE])

# Every kink of the modules above: 0 (ReLU family, ELU, SELU, PReLU), 6 (ReLU6), βx = threshold for
# Softplus (x = 20 for the default, x = 6 for β = 2, threshold = 12), and -0.0.
KINKS = np.array([[0.0, -0.0, 6.0, 20.0, 1.0, -1.0], [6.0, 0.0, -0.0, 5.0, 20.5, 6.5]])


@elementwise
@settings(max_examples=20, deadline=None)
@given(shape=shapes, seed=seeds)
def test_elementwise_activation_matches_torch(make_ours, make_theirs, shape, seed):
    rng = np.random.default_rng(seed)
    compare_module(make_ours(), make_theirs(), 4 * rng.standard_normal(shape), rng)


@elementwise
def test_elementwise_activation_matches_torch_at_its_kinks(make_ours, make_theirs):
    compare_module(make_ours(), make_theirs(), KINKS.copy(), np.random.default_rng(0))


@elementwise
def test_elementwise_activation_is_finite_and_silent_for_huge_inputs(make_ours, make_theirs):
    x = np.array([[-1e4, -1e3, -750.0, -40.0, 40.0, 750.0, 1e3, 1e4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow RuntimeWarning would fail the test
        compare_module(make_ours(), make_theirs(), x, np.random.default_rng(1))


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 5), channels=st.integers(1, 5), length=st.integers(0, 4),
       init=st.floats(-1, 1), seed=seeds)
def test_prelu_with_one_slope_per_channel_matches_torch(n, channels, length, init, seed):
    """The slopes live on axis 1 of (N, C) or (N, C, L) inputs; each slope's gradient sums its channel."""
    rng = np.random.default_rng(seed)
    shape = (n, channels) if length == 0 else (n, channels, length)
    ours = act.PReLU(channels, init=init)
    theirs = torch.nn.PReLU(channels, init=init, dtype=F64)
    compare_module(ours, theirs, rng.standard_normal(shape), rng)


@pytest.mark.parametrize("ours, theirs", [(act.Softmax, torch.nn.Softmax), (act.LogSoftmax, torch.nn.LogSoftmax)])
@settings(max_examples=30, deadline=None)
@given(shape=shapes, data=st.data(), seed=seeds)
def test_softmax_and_log_softmax_match_torch_along_any_dim(ours, theirs, shape, data, seed):
    rng = np.random.default_rng(seed)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    compare_module(ours(dim), theirs(dim), 5 * rng.standard_normal(shape), rng)


@pytest.mark.parametrize("ours, theirs", [(act.Softmax, torch.nn.Softmax), (act.LogSoftmax, torch.nn.LogSoftmax)])
def test_softmax_and_log_softmax_are_stable_for_logits_of_1e4(ours, theirs):
    x = np.array([[1e4, -1e4, 0.0], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compare_module(ours(), theirs(dim=-1), x, np.random.default_rng(2))
        assert np.isfinite(ours()(x)).all()


def test_softmax_rows_are_probabilities():
    y = act.Softmax()(np.random.default_rng(3).standard_normal((4, 7)))
    assert (y > 0).all()
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-14)


def gradient_at(module, points):
    """dy/dx of an elementwise module at the given points (backward of an upstream gradient of ones)."""
    x = np.asarray(points, dtype=np.float64)
    module(x)
    return module.backward(np.ones_like(x))


def test_sigmoid_and_tanh_derivatives_at_zero_are_a_quarter_and_one():
    assert gradient_at(act.Sigmoid(), [0.0]).tolist() == [0.25]
    assert gradient_at(act.Tanh(), [0.0]).tolist() == [1.0]


def test_tanh_is_a_rescaled_sigmoid():
    x = np.linspace(-8, 8, 33)
    np.testing.assert_allclose(act.Tanh()(x), 2 * act.Sigmoid()(2 * x) - 1, rtol=1e-12, atol=1e-15)


def test_relu_derivative_is_a_step_not_the_sign():
    # sgn(x) would give -1 for x < 0 (a common mistake); the derivative is 1[x > 0]
    np.testing.assert_array_equal(gradient_at(act.ReLU(), [-2.0, 0.0, 3.0]), [0.0, 0.0, 1.0])


def test_gelu_is_x_times_the_normal_cdf():
    x = np.array([-2.0, -0.5, 0.0, 1.0, 3.0])
    normal_cdf = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])
    np.testing.assert_allclose(act.GELU()(x), x * normal_cdf, rtol=1e-15)


def test_prelu_rejects_a_channel_count_that_does_not_match_its_slopes():
    with pytest.raises(ValueError, match=r"PReLU input: expected 3 channels on axis 1 .*got shape \(4, 5\)"):
        act.PReLU(3)(np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"expected 3 channels .*got shape \(3,\)"):
        act.PReLU(3)(np.zeros(3))


def test_activations_reject_non_float_or_wrong_dtype_inputs():
    with pytest.raises(ValueError, match="Sigmoid input: expected a float32 or float64 array, got dtype int64"):
        act.Sigmoid()(np.arange(3))
    with pytest.raises(ValueError, match="Softmax input: expected a NumPy array, got list"):
        act.Softmax()([1.0, 2.0])
    with pytest.raises(ValueError, match="PReLU input: expected dtype float64 .*got float32"):
        act.PReLU()(np.zeros(3, dtype=np.float32))


def test_gelu_rejects_an_unknown_approximation():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'erf'"):
        act.GELU("erf")
