"""The module system: parameter discovery, train/eval, and backward that stops at the parameters."""
import numpy as np

from mlp_ref import MLP, BatchNorm1d, Dropout, Linear, ReLU, Sequential


def test_parameters_are_found_in_order_with_dotted_names():
    net = Sequential(Linear(3, 4), ReLU(), BatchNorm1d(4), Linear(4, 2))
    assert [name for name, _ in net.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias"]


def test_train_and_eval_reach_every_child():
    net = Sequential(Linear(3, 4), Dropout(0.5), Sequential(BatchNorm1d(4)))
    net.eval()
    assert not any(m.training for m in (net, net[1], net[2], net[2][0]))
    net.train()
    assert all(m.training for m in (net, net[1], net[2], net[2][0]))


def test_parameter_backward_gives_the_same_parameter_gradients_as_backward():
    rng = np.random.default_rng(0)
    net = MLP([5, 7, 6, 3], batch_norm=True, generator=rng)
    x, upstream = rng.standard_normal((8, 5)), rng.standard_normal((8, 3))
    net(x)
    net.backward(upstream)
    full = [p.grad.copy() for p in net.parameters()]
    net.zero_grad()
    net(x)
    assert net.parameter_backward(upstream) is None  # no gradient for the data is computed or returned
    for ours, expected in zip([p.grad for p in net.parameters()], full):
        np.testing.assert_array_equal(ours, expected)
