"""mlp_ref's modules say so when backward comes before forward (not an AttributeError on a private name), and
expose what their forward computed through public names, which the exercises read."""
import numpy as np
import pytest

import mlp_ref
from mlp_ref.module import BackwardBeforeForward

MODULES = [mlp_ref.Linear(3, 2), mlp_ref.ReLU(), mlp_ref.Sigmoid(), mlp_ref.Softmax(dim=1), mlp_ref.LogSoftmax(dim=1),
           mlp_ref.PReLU(), mlp_ref.BatchNorm1d(3), mlp_ref.Dropout(0.5), mlp_ref.MSELoss(), mlp_ref.CrossEntropyLoss()]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: type(m).__name__)
def test_backward_before_forward_is_a_clear_error(module):
    with pytest.raises(BackwardBeforeForward, match=rf"^{type(module).__name__}: backward needs .* first$"):
        module.backward(np.ones((4, 2)))


def test_a_missing_public_attribute_is_still_an_attribute_error():
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'weights'"):
        mlp_ref.Linear(3, 2).weights
    assert not hasattr(mlp_ref.ReLU(), "_repr_html_")


def test_batchnorm_exposes_the_normalized_input_and_the_std_of_its_last_forward():
    x = np.random.default_rng(0).standard_normal((6, 3)) * 4 + 1
    layer = mlp_ref.BatchNorm1d(3, eps=1e-5)
    with pytest.raises(BackwardBeforeForward):
        layer.normalized
    layer(x)
    std = np.sqrt(x.var(axis=0) + 1e-5)   # by definition: the biased batch variance
    np.testing.assert_allclose(layer.std, std)
    np.testing.assert_allclose(layer.normalized, (x - x.mean(axis=0)) / std)
    layer.eval()
    layer(x)
    np.testing.assert_allclose(layer.std, np.sqrt(layer.running_var + 1e-5))


def test_the_initialisations_standard_deviations_are_public():
    weight = np.empty((20, 50))
    assert mlp_ref.init.xavier_std(weight) == pytest.approx(np.sqrt(2 / 70))
    assert mlp_ref.init.kaiming_std(weight, nonlinearity="relu") == pytest.approx(np.sqrt(2 / 50))
    assert mlp_ref.init.kaiming_std(weight, mode="fan_out", nonlinearity="tanh") == pytest.approx(5 / 3 / np.sqrt(20))
