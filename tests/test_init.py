"""mlp_ref.init against torch.nn.init: the gain table exactly, each random initialisation's exact
distribution (Kolmogorov–Smirnov) with torch's parameters, and orthogonal_ as torch draws it."""
import math

import numpy as np
import pytest
import torch
from scipy import stats

from mlp_ref import init

SHAPE = (400, 600)  # (out, in): fan_in = 600, fan_out = 400; 240,000 draws per sample
KS_SIGNIFICANCE = 1e-3  # fixed seeds make each KS test deterministic; a correct sampler fails with probability 0.001


@pytest.mark.parametrize("name", init.NONLINEARITIES)
def test_gain_equals_torchs_for_every_nonlinearity(name):
    assert init.calculate_gain(name) == torch.nn.init.calculate_gain(name)


@pytest.mark.parametrize("slope", [None, 0, 0.2, 1, 3.5])
def test_leaky_relu_gain_uses_the_negative_slope_like_torch(slope):
    assert init.calculate_gain("leaky_relu", slope) == torch.nn.init.calculate_gain("leaky_relu", slope)


def test_gain_table_values_from_the_math():
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3, rel=1e-15)  # 5/3, not 3/5
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2), rel=1e-15)
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)), rel=1e-15)
    assert init.calculate_gain("selu") == 0.75
    assert init.calculate_gain("sigmoid") == 1


def test_bad_names_modes_and_slopes_raise_and_list_the_valid_choices():
    with pytest.raises(ValueError, match="Unsupported nonlinearity 'softmax'; expected one of linear, .*selu"):
        init.calculate_gain("softmax")
    with pytest.raises(ValueError, match="Mode 'fan_avg' not supported; expected one of fan_in, fan_out"):
        init.kaiming_uniform_(np.empty((3, 4)), mode="fan_avg")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="float32 or float64"):
        init.zeros_(np.empty((3, 4), dtype=int))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(np.empty(5))


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3, 3)])
def test_fan_in_and_fan_out_equal_torchs(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init._calculate_fan_in_and_fan_out(np.empty(shape)) == expected


def uniform(low, high):
    return stats.uniform(loc=low, scale=high - low)


def symmetric_uniform(bound):
    return uniform(-bound, bound)


def normal(mean, std):
    return stats.norm(loc=mean, scale=std)


# (ours, torch's, the exact distribution written from the formula, with fan_in = 600 and fan_out = 400)
DISTRIBUTIONS = {
    "uniform": (lambda w, g: init.uniform_(w, -0.3, 0.7, generator=g),
                lambda t, g: torch.nn.init.uniform_(t, -0.3, 0.7, generator=g),
                uniform(-0.3, 0.7)),
    "normal": (lambda w, g: init.normal_(w, 0.5, 2.0, generator=g),
               lambda t, g: torch.nn.init.normal_(t, 0.5, 2.0, generator=g),
               normal(0.5, 2.0)),
    "xavier_uniform tanh": (lambda w, g: init.xavier_uniform_(w, gain=5 / 3, generator=g),
                            lambda t, g: torch.nn.init.xavier_uniform_(t, gain=5 / 3, generator=g),
                            symmetric_uniform(5 / 3 * math.sqrt(6 / (600 + 400)))),
    "xavier_normal relu": (lambda w, g: init.xavier_normal_(w, gain=math.sqrt(2), generator=g),
                           lambda t, g: torch.nn.init.xavier_normal_(t, gain=math.sqrt(2), generator=g),
                           normal(0.0, math.sqrt(2) * math.sqrt(2 / (600 + 400)))),
    "kaiming_uniform defaults": (lambda w, g: init.kaiming_uniform_(w, generator=g),
                                 lambda t, g: torch.nn.init.kaiming_uniform_(t, generator=g),
                                 symmetric_uniform(math.sqrt(6 / 600))),  # He: √(6/fan_in) for ReLU
    "kaiming_uniform leaky fan_out": (
        lambda w, g: init.kaiming_uniform_(w, a=0.2, mode="fan_out", generator=g),
        lambda t, g: torch.nn.init.kaiming_uniform_(t, a=0.2, mode="fan_out", generator=g),
        symmetric_uniform(math.sqrt(2 / (1 + 0.2**2)) * math.sqrt(3 / 400))),
    "kaiming_normal relu": (lambda w, g: init.kaiming_normal_(w, nonlinearity="relu", generator=g),
                            lambda t, g: torch.nn.init.kaiming_normal_(t, nonlinearity="relu", generator=g),
                            normal(0.0, math.sqrt(2 / 600))),
    "kaiming_normal tanh fan_out": (
        lambda w, g: init.kaiming_normal_(w, mode="fan_out", nonlinearity="tanh", generator=g),
        lambda t, g: torch.nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="tanh", generator=g),
        normal(0.0, 5 / 3 / math.sqrt(400))),
    # torch has no LeCun functions; its kaiming_* with the linear gain are the same initialisation
    "lecun_uniform": (lambda w, g: init.lecun_uniform_(w, generator=g),
                      lambda t, g: torch.nn.init.kaiming_uniform_(t, nonlinearity="linear", generator=g),
                      symmetric_uniform(math.sqrt(3 / 600))),
    "lecun_normal": (lambda w, g: init.lecun_normal_(w, generator=g),
                     lambda t, g: torch.nn.init.kaiming_normal_(t, nonlinearity="linear", generator=g),
                     normal(0.0, 1 / math.sqrt(600))),
}


@pytest.mark.parametrize("case", DISTRIBUTIONS)
def test_distribution_is_exact_and_uses_torchs_parameters(case):
    fill_ours, fill_torch, distribution = DISTRIBUTIONS[case]
    weight = np.empty(SHAPE)
    returned = fill_ours(weight, np.random.default_rng(20))
    assert returned is weight  # filled in place
    theirs = fill_torch(torch.empty(SHAPE, dtype=torch.float64), torch.Generator().manual_seed(20)).numpy()

    # both samples come from the distribution written above from the formula (torch's confirms the formula)
    assert stats.kstest(weight.ravel(), distribution.cdf).pvalue > KS_SIGNIFICANCE
    assert stats.kstest(theirs.ravel(), distribution.cdf).pvalue > KS_SIGNIFICANCE
    low, high = distribution.support()
    assert low <= weight.min() and weight.max() <= high  # uniform bounds (the normal's support is infinite)

    # the same spread as torch's sample: the sd of a sample std of n = 240,000 draws is at most
    # σ/√(2n) ≈ 0.15% of σ (normal; uniform's is smaller), so the ratio of two is within 1% by > 4.5 sd
    assert weight.std() / theirs.std() == pytest.approx(1.0, abs=0.01)


def test_constant_zeros_and_ones_fill_in_place():
    weight = np.empty((3, 4))
    assert init.constant_(weight, 0.25) is weight
    np.testing.assert_array_equal(weight, np.full((3, 4), 0.25))
    np.testing.assert_array_equal(init.zeros_(weight), np.zeros((3, 4)))
    np.testing.assert_array_equal(init.ones_(weight), np.ones((3, 4)))


def semi_orthogonal_identity(w):
    """WᵀW for a tall (or square) matrix, WWᵀ for a wide one: the product of the smaller size."""
    return w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T


@pytest.mark.parametrize("shape", [(8, 3), (3, 8), (6, 6)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_has_orthonormal_rows_or_columns_as_torchs(shape, gain):
    ours = init.orthogonal_(np.empty(shape), gain=gain, generator=np.random.default_rng(30))
    theirs = torch.nn.init.orthogonal_(torch.empty(shape, dtype=torch.float64), gain=gain).numpy()
    identity = gain**2 * np.eye(min(shape))
    np.testing.assert_allclose(semi_orthogonal_identity(theirs), identity, atol=1e-12)  # torch's convention
    np.testing.assert_allclose(semi_orthogonal_identity(ours), identity, atol=1e-12)


def gram_schmidt(a):
    """The Q of A = QR with R's diagonal positive (unique), by modified Gram–Schmidt on A's columns."""
    q = a.astype(float).copy()
    for j in range(q.shape[1]):
        for i in range(j):
            q[:, j] -= (q[:, i] @ q[:, j]) * q[:, i]
        q[:, j] /= np.linalg.norm(q[:, j])
    return q


@pytest.mark.parametrize("shape", [(7, 4), (4, 7)])
def test_orthogonal_is_the_sign_corrected_qr_of_a_gaussian_matrix(shape):
    # the sign correction is what makes Q uniformly distributed; without it LAPACK's Householder QR
    # returns a Q whose signs depend on the input's, and this comparison fails
    ours = init.orthogonal_(np.empty(shape), gain=1.5, generator=np.random.default_rng(31))
    gaussian = np.random.default_rng(31).standard_normal(shape)
    if shape[0] < shape[1]:
        expected = gram_schmidt(gaussian.T).T
    else:
        expected = gram_schmidt(gaussian)
    np.testing.assert_allclose(ours, 1.5 * expected, rtol=1e-10, atol=1e-12)
