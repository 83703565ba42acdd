"""mlp_ref's losses equal torch.nn's, value and gradient of the input, in float64 (rtol 1e-10, see
torch_compare.py): over random shapes (batch size 1 included), every reduction, with and without
weights, for a random upstream gradient; at the kinks; for extreme logits; and bad inputs raise
ValueErrors that say what was expected."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from mlp_ref import loss
from torch_compare import assert_close

seeds = st.integers(0, 2**32 - 1)
reductions = st.sampled_from(["mean", "sum", "none"])
shapes = st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple)
batch_sizes = st.integers(1, 6)
class_counts = st.integers(1, 6)


def as_torch(array):
    return None if array is None else torch.from_numpy(np.array(array))


def compare_loss(ours, theirs, input, target, rng):
    """Value of both criteria on the same data, then ∂L/∂input for the same random upstream gradient
    (a scalar for "mean"/"sum", one per loss term for "none")."""
    input_torch = as_torch(input).requires_grad_(True)
    value_ours, value_theirs = ours(input, target), theirs(input_torch, as_torch(target))
    assert_close(value_ours, value_theirs, f"{type(ours).__name__} value")
    upstream = rng.standard_normal(value_ours.shape)
    grad_ours = ours.backward(upstream if upstream.ndim else float(upstream))
    value_theirs.backward(as_torch(upstream))
    assert_close(grad_ours, input_torch.grad, f"{type(ours).__name__} grad of input")


# ---------------------------------------------------------------- losses with one term per element

REGRESSION = {"MSELoss": (loss.MSELoss, torch.nn.MSELoss), "L1Loss": (loss.L1Loss, torch.nn.L1Loss)}


@pytest.mark.parametrize("name", REGRESSION)
@settings(max_examples=30, deadline=None)
@given(shape=shapes, reduction=reductions, seed=seeds)
def test_regression_losses_match_torch(name, shape, reduction, seed):
    rng = np.random.default_rng(seed)
    ours, theirs = REGRESSION[name]
    input, target = rng.standard_normal(shape), rng.standard_normal(shape)
    target.flat[::3] = input.flat[::3]  # exact ties: L1's kink, where the gradient is taken as 0
    compare_loss(ours(reduction=reduction), theirs(reduction=reduction), input, target, rng)


@settings(max_examples=40, deadline=None)
@given(shape=shapes, reduction=reductions, beta=st.sampled_from([0.0, 0.5, 1.0, 2.0]), seed=seeds)
def test_smooth_l1_loss_matches_torch(shape, reduction, beta, seed):
    rng = np.random.default_rng(seed)
    input, target = 2 * rng.standard_normal(shape), rng.standard_normal(shape)
    ours, theirs = loss.SmoothL1Loss(reduction, beta), torch.nn.SmoothL1Loss(reduction=reduction, beta=beta)
    compare_loss(ours, theirs, input, target, rng)


@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0])
def test_smooth_l1_and_l1_match_torch_at_their_kinks(beta):
    """Differences of exactly 0 and ±β (the joints of SmoothL1's pieces)."""
    input = np.array([[0.0, 0.5, -0.5, 1.0, -1.0, 3.0]])
    target = np.zeros_like(input)
    rng = np.random.default_rng(0)
    compare_loss(loss.SmoothL1Loss("sum", beta), torch.nn.SmoothL1Loss(reduction="sum", beta=beta), input, target, rng)
    compare_loss(loss.L1Loss("sum"), torch.nn.L1Loss(reduction="sum"), input, target, rng)


def weight_shapes(shape):
    """None, a full weight, or one weight per entry of the last axis (broadcast)."""
    return st.sampled_from([None, shape, shape[-1:]])


@settings(max_examples=40, deadline=None)
@given(shape=shapes, reduction=reductions, data=st.data(), hard_targets=st.booleans(), seed=seeds)
def test_bce_loss_matches_torch(shape, reduction, data, hard_targets, seed):
    rng = np.random.default_rng(seed)
    weight_shape = data.draw(weight_shapes(shape), label="weight shape")
    weight = None if weight_shape is None else rng.uniform(0.1, 2, weight_shape)
    probabilities = rng.uniform(0.01, 0.99, shape)
    target = rng.integers(0, 2, shape).astype(float) if hard_targets else rng.uniform(0, 1, shape)
    compare_loss(loss.BCELoss(weight, reduction), torch.nn.BCELoss(as_torch(weight), reduction=reduction),
                 probabilities, target, rng)


def test_bce_loss_matches_torch_for_probabilities_of_exactly_0_and_1():
    """log(0) is clamped at -100 and the gradient's denominator x(1-x) at 1e-12, as in torch."""
    probabilities = np.array([0.0, 0.0, 1.0, 1.0, 0.5])
    target = np.array([0.0, 1.0, 0.0, 1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for reduction in ("sum", "none"):
            compare_loss(loss.BCELoss(reduction=reduction), torch.nn.BCELoss(reduction=reduction),
                         probabilities, target, np.random.default_rng(0))


@settings(max_examples=40, deadline=None)
@given(shape=shapes, reduction=reductions, data=st.data(), with_pos_weight=st.booleans(), seed=seeds)
def test_bce_with_logits_loss_matches_torch(shape, reduction, data, with_pos_weight, seed):
    rng = np.random.default_rng(seed)
    weight_shape = data.draw(weight_shapes(shape), label="weight shape")
    weight = None if weight_shape is None else rng.uniform(0.1, 2, weight_shape)
    pos_weight = rng.uniform(0.2, 5, shape[-1:]) if with_pos_weight else None  # one per class (last axis)
    logits, target = 3 * rng.standard_normal(shape), rng.uniform(0, 1, shape)
    ours = loss.BCEWithLogitsLoss(weight, reduction, pos_weight)
    theirs = torch.nn.BCEWithLogitsLoss(as_torch(weight), reduction=reduction, pos_weight=as_torch(pos_weight))
    compare_loss(ours, theirs, logits, target, rng)


def test_bce_with_logits_is_stable_for_logits_of_1e4():
    logits = np.array([[1e4, -1e4, 1e4, -1e4, 0.0]])
    target = np.array([[1.0, 0.0, 0.0, 1.0, 1.0]])
    pos_weight = np.array([2.0, 2.0, 2.0, 2.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = loss.BCEWithLogitsLoss(reduction="none", pos_weight=pos_weight)(logits, target)
        compare_loss(loss.BCEWithLogitsLoss(reduction="none", pos_weight=pos_weight),
                     torch.nn.BCEWithLogitsLoss(reduction="none", pos_weight=as_torch(pos_weight)),
                     logits, target, np.random.default_rng(0))
    # confidently right costs 0; confidently wrong costs |logit| (times pos_weight for a missed positive)
    np.testing.assert_array_equal(value, [[0.0, 0.0, 1e4, 2e4, 2 * np.log(2)]])


@settings(max_examples=30, deadline=None)
@given(shape=shapes, reduction=reductions, margin=st.sampled_from([0.5, 1.0, 2.0]), seed=seeds)
def test_hinge_embedding_loss_matches_torch(shape, reduction, margin, seed):
    rng = np.random.default_rng(seed)
    distances = 2 * rng.standard_normal(shape)
    target = rng.choice([-1.0, 1.0], shape)
    distances.flat[::4] = margin  # the kink of max(0, margin - x): torch passes the gradient there
    ours, theirs = loss.HingeEmbeddingLoss(margin, reduction), torch.nn.HingeEmbeddingLoss(margin, reduction=reduction)
    compare_loss(ours, theirs, distances, target, rng)


# ------------------------------------------------------------------ losses with one term per sample

def class_weights(draw_weights, num_classes, rng):
    return rng.uniform(0.1, 3, num_classes) if draw_weights else None


@pytest.mark.parametrize("ours, theirs", [(loss.NLLLoss, torch.nn.NLLLoss),
                                          (loss.CrossEntropyLoss, torch.nn.CrossEntropyLoss)])
@settings(max_examples=40, deadline=None)
@given(n=batch_sizes, num_classes=class_counts, reduction=reductions, weighted=st.booleans(), seed=seeds)
def test_nll_and_cross_entropy_match_torch(ours, theirs, n, num_classes, reduction, weighted, seed):
    rng = np.random.default_rng(seed)
    weight = class_weights(weighted, num_classes, rng)
    scores, target = 3 * rng.standard_normal((n, num_classes)), rng.integers(0, num_classes, n)
    compare_loss(ours(weight, reduction), theirs(as_torch(weight), reduction=reduction), scores, target, rng)


def test_weighted_nll_mean_divides_by_the_summed_weights_of_the_targets():
    log_probs = np.log(np.array([[0.5, 0.5], [0.1, 0.9], [0.8, 0.2]]))
    target, weight = np.array([0, 1, 1]), np.array([3.0, 1.0])
    expected = -(3 * log_probs[0, 0] + log_probs[1, 1] + log_probs[2, 1]) / (3 + 1 + 1)
    np.testing.assert_allclose(loss.NLLLoss(weight)(log_probs, target), expected, rtol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_is_stable_for_logits_of_1e4(reduction):
    logits = np.array([[1e4, -1e4, 0.0], [1e4, 1e4, -1e4], [-1e4, 0.0, 1e4]])
    target = np.array([1, 0, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = loss.CrossEntropyLoss(reduction=reduction)(logits, target)
        compare_loss(loss.CrossEntropyLoss(np.array([1.0, 2.0, 0.5]), reduction),
                     torch.nn.CrossEntropyLoss(torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64), reduction=reduction),
                     logits, target, np.random.default_rng(0))
    assert np.isfinite(value).all()


def test_cross_entropy_gradient_is_softmax_minus_one_hot_over_n():
    logits = np.array([[2.0, 1.0, 0.1], [0.0, 0.0, 0.0]])
    target = np.array([0, 2])
    criterion = loss.CrossEntropyLoss()
    criterion(logits, target)
    exps = np.exp(logits)
    probabilities = exps / exps.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(criterion.backward(), (probabilities - np.eye(3)[target]) / 2, rtol=1e-14)


@settings(max_examples=40, deadline=None)
@given(n=batch_sizes, num_classes=class_counts, reduction=reductions, p=st.sampled_from([1, 2]),
       margin=st.sampled_from([0.5, 1.0, 2.0]), weighted=st.booleans(), seed=seeds)
def test_multi_margin_loss_matches_torch(n, num_classes, reduction, p, margin, weighted, seed):
    rng = np.random.default_rng(seed)
    weight = class_weights(weighted, num_classes, rng)
    scores, target = rng.standard_normal((n, num_classes)), rng.integers(0, num_classes, n)
    ours = loss.MultiMarginLoss(p, margin, weight, reduction)
    theirs = torch.nn.MultiMarginLoss(p, margin, as_torch(weight), reduction=reduction)
    compare_loss(ours, theirs, scores, target, rng)


@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_loss_matches_torch_at_its_kink(p):
    """Row 0: class 1 sits exactly at the margin (z = 0); row 1: inside it; row 2: target wins clearly."""
    scores = np.array([[2.0, 1.0, -3.0], [0.5, 0.0, 0.2], [5.0, 0.0, 1.0]])
    target = np.array([0, 1, 0])
    compare_loss(loss.MultiMarginLoss(p), torch.nn.MultiMarginLoss(p), scores, target, np.random.default_rng(0))


def test_multi_margin_loss_is_the_hinge_sum_divided_by_the_number_of_classes():
    scores, target = np.array([[0.5, 0.0, 0.2]]), np.array([1])
    # margin 1: classes 0 and 2 violate it by 1 + 0.5 - 0 and 1 + 0.2 - 0
    assert loss.MultiMarginLoss()(scores, target) == pytest.approx((1.5 + 1.2) / 3, rel=1e-15)


def test_backward_defaults_to_an_upstream_gradient_of_one():
    rng = np.random.default_rng(4)
    input, target = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    criterion = loss.MSELoss()
    criterion(input, target)
    np.testing.assert_allclose(criterion.backward(), 2 * (input - target) / 6, rtol=1e-15)


# ---------------------------------------------------------------------------------- bad inputs

def test_class_losses_reject_float_targets_and_indices_out_of_range():
    scores = np.zeros((2, 3))
    with pytest.raises(ValueError, match="NLLLoss target: expected an integer array of class indices, got dtype float64"):
        loss.NLLLoss()(scores, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss target: class index 3 is out of range for 3 classes"):
        loss.CrossEntropyLoss()(scores, np.array([0, 3]))
    with pytest.raises(ValueError, match="class index -1 is out of range"):
        loss.MultiMarginLoss()(scores, np.array([-1, 0]))
    with pytest.raises(ValueError, match=r"NLLLoss target: expected shape \(2,\), got \(2, 1\)"):
        loss.NLLLoss()(scores, np.array([[0], [1]]))
    with pytest.raises(ValueError, match="got list"):
        loss.NLLLoss()(scores, [0, 1])


def test_class_losses_reject_wrong_input_shapes_and_weights():
    with pytest.raises(ValueError, match="CrossEntropyLoss input: expected a 2-D array, got shape"):
        loss.CrossEntropyLoss()(np.zeros(3), np.array([0]))
    with pytest.raises(ValueError, match=r"NLLLoss weight: expected shape \(3,\), got \(2,\)"):
        loss.NLLLoss(np.ones(2))(np.zeros((2, 3)), np.array([0, 1]))
    with pytest.raises(ValueError, match="MultiMarginLoss: p must be 1 or 2, got 3"):
        loss.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="weights sum to 0"):
        loss.NLLLoss(np.array([0.0, 1.0]))(np.zeros((2, 2)), np.array([0, 0]))


def test_elementwise_losses_reject_mismatched_targets():
    with pytest.raises(ValueError, match=r"MSELoss target: expected shape \(2, 3\), got \(3, 2\)"):
        loss.MSELoss()(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="L1Loss target: expected dtype float64 .*got float32"):
        loss.L1Loss()(np.zeros(3), np.zeros(3, dtype=np.float32))
    with pytest.raises(ValueError, match="BCELoss input: expected probabilities in \\[0, 1\\]"):
        loss.BCELoss()(np.array([0.5, 1.5]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"BCEWithLogitsLoss pos_weight: expected a shape that broadcasts to \(2, 3\)"):
        loss.BCEWithLogitsLoss(pos_weight=np.ones(2))(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="HingeEmbeddingLoss target: expected every entry to be 1 or -1"):
        loss.HingeEmbeddingLoss()(np.zeros(2), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="SmoothL1Loss: beta must be non-negative"):
        loss.SmoothL1Loss(beta=-1.0)


def test_reduction_and_upstream_gradient_are_checked():
    with pytest.raises(ValueError, match=r"reduction must be one of \('mean', 'sum', 'none'\), got 'average'"):
        loss.MSELoss(reduction="average")
    per_sample = loss.CrossEntropyLoss(reduction="none")
    per_sample(np.zeros((4, 3)), np.array([0, 1, 2, 0]))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss grad_output: expected shape \(4,\), got \(\)"):
        per_sample.backward(1.0)
    averaged = loss.MSELoss()
    averaged(np.zeros(4), np.ones(4))
    with pytest.raises(ValueError, match=r"expected a scalar for reduction='mean', got shape \(4,\)"):
        averaged.backward(np.ones(4))
