"""Dropout equals torch's F.dropout for the same mask, forward and backward, is the identity in eval
mode, and draws masks whose keep rate and mean output are those of inverted dropout."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from mlp_ref.dropout import Dropout
from torch_compare import assert_close

drop_probabilities = st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.8, 1.0])


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 8), d=st.integers(1, 8), p=drop_probabilities, seed=st.integers(0, 2**31 - 1))
def test_forward_and_backward_match_torch_for_torchs_own_mask(n, d, p, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))  # no exact zeros, so torch's output reveals its mask
    torch.manual_seed(seed)
    x_torch = torch.from_numpy(x.copy()).requires_grad_(True)
    y_torch = F.dropout(x_torch, p, training=True)
    mask = (y_torch != 0).numpy()

    layer = Dropout(p)
    assert_close(layer(x, mask=mask), y_torch, "Dropout forward")
    assert layer.mask is mask
    upstream = rng.standard_normal((n, d))
    y_torch.backward(torch.from_numpy(upstream))
    assert_close(layer.backward(upstream), x_torch.grad, "Dropout grad of input")


def test_eval_mode_is_the_identity_like_torch():
    rng = np.random.default_rng(1)
    x, upstream = rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    layer = Dropout(0.5).eval()
    x_torch = torch.from_numpy(x.copy()).requires_grad_(True)
    y_torch = torch.nn.Dropout(0.5).eval()(x_torch)
    y_torch.backward(torch.from_numpy(upstream))
    assert_close(layer(x), y_torch, "Dropout eval forward")
    assert_close(layer.backward(upstream), x_torch.grad, "Dropout eval grad of input")
    assert layer.mask is None
    with pytest.raises(ValueError, match="eval mode"):
        layer(x, mask=np.ones((6, 5), dtype=bool))


def test_drawn_masks_keep_one_minus_p_of_the_units():
    p, shape = 0.3, (400, 500)
    layer = Dropout(p, generator=np.random.default_rng(2))
    x = np.random.default_rng(3).standard_normal(shape)
    y = layer(x)
    n = x.size
    kept = int(layer.mask.sum())
    # kept ~ Binomial(n, 1 - p): mean n(1 - p), sd √(n p (1 - p)) ≈ 205; 5 sd bounds a correct
    # implementation's failure probability by 6e-7 (and a keep rate of p instead of 1 - p misses by 400 sd)
    assert abs(kept - n * (1 - p)) <= 5 * np.sqrt(n * p * (1 - p))
    # kept units are scaled by 1/(1 - p); multiplying by 1/(1 - p) and dividing by (1 - p) may differ by an ulp
    np.testing.assert_allclose(y[layer.mask], x[layer.mask] / (1 - p), rtol=1e-15, atol=0)
    np.testing.assert_array_equal(y[~layer.mask], 0.0)


def test_the_output_is_x_in_expectation():
    p, repeats = 0.5, 20_000
    row = np.random.default_rng(4).uniform(0.5, 2.0, size=(1, 30))
    y = Dropout(p, generator=np.random.default_rng(5))(np.repeat(row, repeats, axis=0))
    # each column's mean over the repeats has mean x_j and sd x_j √(p / (1 - p)) / √repeats;
    # 5 sd on each of 30 columns: a correct implementation fails with probability < 2e-5
    standard_error = row[0] * np.sqrt(p / (1 - p)) / np.sqrt(repeats)
    assert np.all(np.abs(y.mean(axis=0) - row[0]) <= 5 * standard_error)


def test_p_zero_keeps_everything_and_p_one_drops_everything():
    x = np.random.default_rng(6).standard_normal((50, 40))
    np.testing.assert_array_equal(Dropout(0.0)(x), x)
    everything_dropped = Dropout(1.0)
    np.testing.assert_array_equal(everything_dropped(x), np.zeros_like(x))
    np.testing.assert_array_equal(everything_dropped.backward(np.ones_like(x)), np.zeros_like(x))


def test_the_same_generator_seed_draws_the_same_mask():
    x = np.ones((20, 20))
    first = Dropout(0.5, generator=np.random.default_rng(7))
    second = Dropout(0.5, generator=np.random.default_rng(7))
    first(x), second(x)
    np.testing.assert_array_equal(first.mask, second.mask)


def test_bad_probabilities_and_masks_are_rejected():
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1, but got -0.1"):
        Dropout(-0.1)
    layer, x = Dropout(0.5), np.ones((3, 4))
    with pytest.raises(ValueError, match=r"Dropout mask: expected shape \(3, 4\), got \(4, 3\)"):
        layer(x, mask=np.ones((4, 3), dtype=bool))
    with pytest.raises(ValueError, match="expected a boolean NumPy array, got float64"):
        layer(x, mask=np.ones((3, 4)))
