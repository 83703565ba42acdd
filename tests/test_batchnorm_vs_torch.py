"""BatchNorm1d equals torch.nn.BatchNorm1d in float64: forward, input gradient, weight and bias gradients
(rtol 1e-10, see torch_compare.py), running statistics over several steps, eval mode, and the options."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from mlp_ref.batchnorm import BatchNorm1d
from torch_compare import assert_close, compare_module


def make_pair(num_features, rng, **options):
    """Our layer with random γ, β (so that their gradients are tested at a generic point) and torch's twin."""
    ours = BatchNorm1d(num_features, **options)
    if ours.affine:
        ours.weight.data[...] = rng.uniform(0.5, 2.0, num_features)
        ours.bias.data[...] = rng.standard_normal(num_features)
    return ours, torch.nn.BatchNorm1d(num_features, dtype=torch.float64, **options)


def random_batch(rng, n, c):
    """Features with their own offsets and scales, as real pre-activations have."""
    return rng.normal(rng.normal(0, 3, c), rng.uniform(0.5, 3, c), size=(n, c))


def assert_same_running_statistics(ours, theirs, step):
    assert_close(ours.running_mean, theirs.running_mean, f"running_mean after step {step}")
    assert_close(ours.running_var, theirs.running_var, f"running_var after step {step}")
    assert ours.num_batches_tracked == theirs.num_batches_tracked.item()


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 9), c=st.integers(1, 6), affine=st.booleans(),
       momentum=st.sampled_from([0.1, 0.5, None]), seed=st.integers(0, 2**32 - 1))
def test_training_step_matches_torch(n, c, affine, momentum, seed):
    rng = np.random.default_rng(seed)
    ours, theirs = make_pair(c, rng, affine=affine, momentum=momentum)
    compare_module(ours, theirs, random_batch(rng, n, c), rng)
    assert_same_running_statistics(ours, theirs, 1)


@pytest.mark.parametrize("momentum", [0.1, None])
def test_several_training_steps_then_eval_match_torch(momentum):
    rng = np.random.default_rng(10)
    ours, theirs = make_pair(4, rng, momentum=momentum)
    for step, n in enumerate([5, 2, 8, 3, 6], start=1):
        theirs.zero_grad()  # compare_module zeroes only our gradients; torch's would accumulate
        compare_module(ours, theirs, random_batch(rng, n, 4), rng)
        assert_same_running_statistics(ours, theirs, step)
    ours.eval(), theirs.eval()
    for n in (1, 7):  # eval mode normalises with the running statistics, so even one sample is fine
        theirs.zero_grad()
        compare_module(ours, theirs, random_batch(rng, n, 4), rng)
    assert_same_running_statistics(ours, theirs, "eval (no update)")


def test_running_variance_uses_the_unbiased_batch_variance():
    x = np.array([[1.0], [2.0], [6.0]])  # mean 3, squared deviations 4 + 1 + 9 = 14
    layer = BatchNorm1d(1, momentum=1.0)  # momentum 1 replaces the running statistics by the batch's
    layer(x)
    assert layer.running_mean[0] == pytest.approx(3.0, rel=1e-15)
    assert layer.running_var[0] == pytest.approx(14 / 2, rel=1e-15)  # divides by N - 1, not N
    expected = (x - 3.0) / np.sqrt(14 / 3 + 1e-5)  # while normalising divides by N
    np.testing.assert_allclose(layer(x), expected, rtol=1e-14)


@pytest.mark.parametrize("training", [True, False])
def test_without_running_statistics_batch_statistics_are_used_in_both_modes(training):
    rng = np.random.default_rng(11)
    ours, theirs = make_pair(3, rng, track_running_stats=False)
    ours.train(training), theirs.train(training)
    compare_module(ours, theirs, random_batch(rng, 6, 3), rng)
    assert ours.running_mean is None and theirs.running_mean is None
    assert ours.num_batches_tracked is None and theirs.num_batches_tracked is None


def test_a_batch_of_one_is_rejected_when_batch_statistics_are_needed_like_torch():
    x = np.ones((1, 3))
    for options in ({}, {"track_running_stats": False}):
        ours, theirs = BatchNorm1d(3, **options), torch.nn.BatchNorm1d(3, dtype=torch.float64, **options)
        with pytest.raises(ValueError, match="Expected more than 1 value per channel") as torch_error:
            theirs(torch.from_numpy(x))
        with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
            ours(x)
        assert "when training" in str(torch_error.value)


def test_parameters_start_at_gamma_one_beta_zero_like_torch():
    ours, theirs = BatchNorm1d(5), torch.nn.BatchNorm1d(5, dtype=torch.float64)
    assert [name for name, _ in ours.named_parameters()] == [name for name, _ in theirs.named_parameters()]
    assert_close(ours.weight.data, theirs.weight, "initial weight")
    assert_close(ours.bias.data, theirs.bias, "initial bias")
    assert_close(ours.running_mean, theirs.running_mean, "initial running_mean")
    assert_close(ours.running_var, theirs.running_var, "initial running_var")
    assert BatchNorm1d(5, affine=False).parameters() == []


def test_wrong_inputs_are_rejected_with_a_clear_message():
    layer = BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"BatchNorm1d input: expected shape \(N, 3\), got \(4, 2\)"):
        layer(np.ones((4, 2)))
    with pytest.raises(ValueError, match="expected dtype float64 .*got float32"):
        layer(np.ones((4, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="expected a 2-D array"):
        layer(np.ones(3))
