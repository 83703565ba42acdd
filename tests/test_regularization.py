"""L1 and L2 penalties: their values and the gradients they add into param.grad equal torch autograd
of the same expressions (λ·Σ|w| and (λ/2)·Σw²) in float64, and the L2 gradient is SGD's weight decay."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from mlp_ref.module import Parameter
from mlp_ref.regularization import add_l1_grad, add_l2_grad, l1_penalty, l2_penalty
from torch_compare import assert_close

param_shapes = st.lists(st.lists(st.integers(1, 4), min_size=1, max_size=2).map(tuple), min_size=1, max_size=3)
strengths = st.floats(0, 2)


def random_parameters(shapes, rng):
    """Parameters with random values (some exactly 0, L1's kink) and random gradients already accumulated."""
    params = []
    for shape in shapes:
        param = Parameter(rng.standard_normal(shape))
        param.data.flat[::3] = 0.0
        param.grad = rng.standard_normal(shape)
        params.append(param)
    return params


def torch_penalty_and_grads(params, penalty):
    tensors = [torch.from_numpy(p.data.copy()).requires_grad_(True) for p in params]
    value = penalty(tensors)
    value.backward()
    return value, [t.grad for t in tensors]


@pytest.mark.parametrize("ours, add_grad, theirs", [
    (l1_penalty, add_l1_grad, lambda ws, lam: lam * sum(w.abs().sum() for w in ws)),
    (l2_penalty, add_l2_grad, lambda ws, lam: lam / 2 * sum((w**2).sum() for w in ws)),
], ids=["L1", "L2"])
@settings(max_examples=30, deadline=None)
@given(shapes=param_shapes, strength=strengths, seed=st.integers(0, 2**32 - 1))
def test_penalty_and_its_gradient_match_torch_autograd(ours, add_grad, theirs, shapes, strength, seed):
    params = random_parameters(shapes, np.random.default_rng(seed))
    grads_before = [p.grad.copy() for p in params]
    value, torch_grads = torch_penalty_and_grads(params, lambda ws: theirs(ws, strength))
    assert_close(np.asarray(ours(params, strength)), value, "penalty value")
    add_grad(params, strength)
    for param, before, torch_grad in zip(params, grads_before, torch_grads):
        assert_close(param.grad - before, torch_grad, "gradient added into param.grad")
        assert_close(param.grad, before + torch_grad.numpy(), "gradient accumulated")


def test_penalties_accept_plain_arrays():
    w = np.array([[1.0, -2.0], [0.0, 3.0]])
    assert l1_penalty([w], 0.5) == 0.5 * 6
    assert l2_penalty([w, np.array([2.0])], 0.5) == 0.25 * (1 + 4 + 9 + 4)


def test_l1_subgradient_is_zero_at_zero():
    param = Parameter(np.array([-0.5, 0.0, 2.0]))
    add_l1_grad([param], 0.1)
    np.testing.assert_array_equal(param.grad, [-0.1, 0.0, 0.1])


@settings(max_examples=20, deadline=None)
@given(lr=st.floats(0.001, 1), weight_decay=st.floats(0, 1), seed=st.integers(0, 2**32 - 1))
def test_l2_gradient_is_torch_sgd_weight_decay(lr, weight_decay, seed):
    """One plain SGD step with the L2 gradient added equals torch.optim.SGD(weight_decay=λ)."""
    rng = np.random.default_rng(seed)
    param = Parameter(rng.standard_normal((3, 4)))
    param.grad = rng.standard_normal((3, 4))
    weight = torch.nn.Parameter(torch.from_numpy(param.data.copy()))
    weight.grad = torch.from_numpy(param.grad.copy())
    torch.optim.SGD([weight], lr=lr, weight_decay=weight_decay).step()
    add_l2_grad([param], weight_decay)
    assert_close(param.data - lr * param.grad, weight, "parameter after one SGD step")


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="penalty strength must be non-negative, got -1"):
        l2_penalty([np.ones(2)], -1)
    with pytest.raises(ValueError, match=r"expected Parameters \(which have a .grad to add into\), got ndarray"):
        add_l1_grad([np.ones(2)], 0.1)
    with pytest.raises(ValueError, match="expected Parameters or NumPy arrays, got list"):
        l1_penalty([[1.0, 2.0]])
