"""The MLP builder: its layer structure, its parameter count, and a whole network (batch norm, dropout)
equal to the same torch.nn.Sequential with copied weights, forward and backward, in float64."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from mlp_ref.activation import ReLU
from mlp_ref.batchnorm import BatchNorm1d
from mlp_ref.dropout import Dropout
from mlp_ref.linear import Linear
from mlp_ref.mlp import ACTIVATION_CLASSES, MLP
from mlp_ref.module import Module
from torch_compare import assert_close, compare_module, copy_parameters, getattr_path


def layer_types(model):
    return [type(layer) for layer in model]


def test_hidden_layers_are_linear_batchnorm_activation_dropout_and_the_last_is_linear():
    model = MLP([4, 8, 6, 3], batch_norm=True, dropout=0.2)
    hidden = [Linear, BatchNorm1d, ReLU, Dropout]
    assert layer_types(model) == hidden + hidden + [Linear]
    assert [(layer.in_features, layer.out_features) for layer in model if isinstance(layer, Linear)] == \
        [(4, 8), (8, 6), (6, 3)]
    assert [layer.num_features for layer in model if isinstance(layer, BatchNorm1d)] == [8, 6]
    assert [layer.p for layer in model if isinstance(layer, Dropout)] == [0.2, 0.2]


def test_without_options_there_is_no_batchnorm_or_dropout_and_one_size_pair_is_one_linear():
    assert layer_types(MLP([4, 8, 6, 3])) == [Linear, ReLU, Linear, ReLU, Linear]
    assert layer_types(MLP([5, 2])) == [Linear]


# torch's module for each activation name (torch.nn.functional's names)
TORCH_ACTIVATIONS = {
    "relu": torch.nn.ReLU, "leaky_relu": torch.nn.LeakyReLU, "prelu": torch.nn.PReLU, "relu6": torch.nn.ReLU6,
    "elu": torch.nn.ELU, "selu": torch.nn.SELU, "gelu": torch.nn.GELU, "softplus": torch.nn.Softplus,
    "sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh,
}


@pytest.mark.parametrize("name", TORCH_ACTIVATIONS)
def test_activation_names_give_the_module_torch_gives_that_name(name):
    model = MLP([3, 4, 5, 2], activation=name)
    activations = [model[1], model[3]]
    assert all(type(layer).__name__ == TORCH_ACTIVATIONS[name].__name__ for layer in activations)
    assert activations[0] is not activations[1]  # one instance per layer (PReLU's slope is per layer)


def test_every_offered_name_is_tested():
    assert set(ACTIVATION_CLASSES) == set(TORCH_ACTIVATIONS)


def test_activation_can_be_given_as_a_module_class():
    class Square(Module):
        def forward(self, x):
            return x * x

    model = MLP([3, 4, 2], activation=Square)
    assert layer_types(model) == [Linear, Square, Linear]


def test_unknown_activation_and_too_few_sizes_are_rejected():
    with pytest.raises(ValueError, match="Unknown activation 'swish'; expected a Module class or one of relu, "):
        MLP([3, 4, 2], activation="swish")
    with pytest.raises(ValueError, match=r"expected at least an input and an output size, got \[3\]"):
        MLP([3])
    with pytest.raises(ValueError, match="between 0 and 1"):
        MLP([3, 4, 2], dropout=1.5)


@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.integers(1, 9), min_size=2, max_size=5), batch_norm=st.booleans())
def test_parameter_count_follows_the_formula_and_equals_torchs(sizes, batch_norm):
    model = MLP(sizes, batch_norm=batch_norm)
    expected = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes, sizes[1:]))
    if batch_norm:
        expected += sum(2 * n for n in sizes[1:-1])
    assert model.num_parameters() == expected
    assert model.num_parameters() == sum(p.numel() for p in torch_twin(sizes, batch_norm=batch_norm).parameters())


def torch_twin(sizes, activation=torch.nn.ReLU, batch_norm=False, dropout=0.0):
    """The torch.nn.Sequential with the same layers in the same order (so the same parameter names)."""
    layers = []
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
        layers.append(torch.nn.Linear(n_in, n_out, dtype=torch.float64))
        if batch_norm:
            layers.append(torch.nn.BatchNorm1d(n_out, dtype=torch.float64))
        layers.append(activation())
        if dropout:
            layers.append(torch.nn.Dropout(dropout))
    layers.append(torch.nn.Linear(sizes[-2], sizes[-1], dtype=torch.float64))
    return torch.nn.Sequential(*layers)


def randomize_batchnorm_parameters(model, rng):
    """Move γ and β away from 1 and 0, so that their role in every gradient is tested."""
    for layer in model:
        if isinstance(layer, BatchNorm1d):
            layer.weight.data[...] = rng.uniform(0.5, 2.0, layer.num_features)
            layer.bias.data[...] = rng.normal(0.0, 0.5, layer.num_features)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_network_with_batchnorm_matches_torch_in_train_then_eval_mode(activation):
    rng = np.random.default_rng(40)
    sizes = [6, 10, 8, 4]
    ours = MLP(sizes, activation=activation, batch_norm=True, generator=rng)
    randomize_batchnorm_parameters(ours, rng)
    theirs = torch_twin(sizes, TORCH_ACTIVATIONS[activation], batch_norm=True)
    compare_module(ours, theirs, rng.standard_normal((16, 6)), rng)
    ours.eval(), theirs.eval()
    theirs.zero_grad()  # compare_module zeroes only our gradients
    compare_module(ours, theirs, rng.standard_normal((5, 6)), rng)  # now with the running statistics


def test_network_with_dropout_matches_torch_for_torchs_masks():
    rng = np.random.default_rng(41)
    sizes, p = [5, 12, 9, 3], 0.4
    ours = MLP(sizes, dropout=p, batch_norm=True, generator=rng)
    randomize_batchnorm_parameters(ours, rng)
    theirs = torch_twin(sizes, batch_norm=True, dropout=p)
    copy_parameters(ours, theirs)

    torch_outputs = []
    for layer in theirs:
        if isinstance(layer, torch.nn.Dropout):
            layer.register_forward_hook(lambda module, inputs, output: torch_outputs.append(output.detach()))
    x = rng.standard_normal((20, 5))
    x_torch = torch.from_numpy(x.copy()).requires_grad_(True)
    torch.manual_seed(41)
    y_theirs = theirs(x_torch)
    # torch's keep-mask, read from its output: where the ReLU output was 0 the mask cannot be read,
    # but there it changes nothing (the output is 0 either way and ReLU's backward passes no gradient)
    masks = [(output != 0).numpy() for output in torch_outputs]

    h = x
    for layer in ours:  # our forward, layer by layer, so that each Dropout gets torch's mask
        h = layer(h, mask=masks.pop(0)) if isinstance(layer, Dropout) else layer(h)
    assert_close(h, y_theirs, "MLP with dropout forward")
    upstream = rng.standard_normal(h.shape)
    y_theirs.backward(torch.from_numpy(upstream))
    assert_close(ours.backward(upstream), x_torch.grad, "MLP with dropout grad of input")
    for name, param in ours.named_parameters():
        assert_close(param.grad, getattr_path(theirs, name).grad, f"MLP with dropout grad of {name}")


def test_same_generator_seed_builds_the_same_network_in_the_requested_dtype():
    first = MLP([4, 6, 2], activation="prelu", dtype=np.float32, generator=np.random.default_rng(42))
    second = MLP([4, 6, 2], activation="prelu", dtype=np.float32, generator=np.random.default_rng(42))
    assert all(p.dtype == np.float32 for p in first.parameters())
    for (name, a), (_, b) in zip(first.named_parameters(), second.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)
    assert first(np.ones((3, 4), dtype=np.float32)).dtype == np.float32
