"""Linear and ReLU equal torch.nn's, forward and backward, in float64, over random shapes."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import mlp_ref
from torch_compare import compare_module

sizes = st.integers(min_value=1, max_value=9)


@settings(max_examples=40, deadline=None)
@given(n=sizes, n_in=sizes, n_out=sizes, bias=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_linear_matches_torch(n, n_in, n_out, bias, seed):
    rng = np.random.default_rng(seed)
    ours = mlp_ref.Linear(n_in, n_out, bias=bias, generator=rng)
    theirs = torch.nn.Linear(n_in, n_out, bias=bias, dtype=torch.float64)
    compare_module(ours, theirs, rng.standard_normal((n, n_in)), rng)


@settings(max_examples=40, deadline=None)
@given(n=sizes, d=sizes, seed=st.integers(0, 2**32 - 1))
def test_relu_matches_torch_including_exact_zeros(n, d, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    x.flat[::2] = 0.0  # ReLU's kink: both take the derivative at 0 as 0
    compare_module(mlp_ref.ReLU(), torch.nn.ReLU(), x, rng)


def test_linear_default_init_has_torchs_bounds():
    layer = mlp_ref.Linear(400, 300, generator=np.random.default_rng(0))
    bound = 1 / np.sqrt(400)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    # uniform on [-bound, bound] has variance bound²/3; 120,000 samples pin it to about 0.5%
    assert layer.weight.data.var() == pytest.approx(bound**2 / 3, rel=0.02)


def test_linear_rejects_wrong_shapes_and_dtypes_with_a_clear_message():
    layer = mlp_ref.Linear(3, 2)
    with pytest.raises(ValueError, match=r"Linear input: expected shape \(N, 3\), got \(4, 5\)"):
        layer(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="expected dtype float64 .*got float32"):
        layer(np.zeros((4, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="expected a 2-D array, got shape"):
        layer(np.zeros(3))
