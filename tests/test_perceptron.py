"""The perceptron: the learning rule by hand, convergence on separable data within Novikoff's
bound, no convergence on XOR, and different separating solutions for different orders."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from mlp_ref.perceptron import Perceptron

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([-1, 1, 1, -1])


def separable_data(rng, n=60, d=2, min_margin=0.1):
    """Points labelled by a known unit vector u = (w*, b*) in the augmented space (x, 1), keeping
    only those at distance >= min_margin from its hyperplane. Returns X, y, u."""
    u = rng.standard_normal(d + 1)
    u /= np.linalg.norm(u)
    X = rng.uniform(-1, 1, (20 * n, d))
    scores = X @ u[:d] + u[d]
    keep = np.abs(scores) >= min_margin
    return X[keep][:n], np.where(scores[keep][:n] > 0, 1, -1), u


def test_step_applies_the_rule_only_on_mistakes():
    p = Perceptron(2, lr=0.5)
    x = np.array([1.0, -2.0])
    assert p.step(x, 1)  # w = 0: activation 0 is on the boundary, a mistake
    np.testing.assert_array_equal(p.weight, [0.5, -1.0])
    assert p.bias == 0.5
    assert not p.step(x, 1)  # activation 0.5 + 2 + 0.5 > 0: correct, unchanged
    np.testing.assert_array_equal(p.weight, [0.5, -1.0])
    assert p.step(x, -1)  # wrong sign: w ← w − η x, b ← b − η
    np.testing.assert_array_equal(p.weight, [0.0, 0.0])
    assert p.bias == 0.0


def test_predict_is_the_sign_with_zero_as_plus_one():
    p = Perceptron(2)
    p.weight[...] = [1.0, -1.0]
    np.testing.assert_array_equal(p.predict(np.array([[2.0, 1.0], [1.0, 2.0], [1.0, 1.0]])), [1, -1, 1])
    assert p.predict(np.array([0.0, 3.0])) == -1


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 5), lr=st.sampled_from([1.0, 0.01, 3.0]),
       shuffle=st.booleans())
def test_converges_on_separable_data_within_novikoffs_bound(seed, d, lr, shuffle):
    rng = np.random.default_rng(seed)
    X, y, u = separable_data(rng, d=d)
    augmented = np.hstack([X, np.ones((len(X), 1))])
    gamma = np.min(y * (augmented @ u))  # u is a unit vector: this is its margin
    radius = np.max(np.linalg.norm(augmented, axis=1))
    p = Perceptron(d, lr=lr)
    history = p.fit(X, y, max_epochs=1000, shuffle=shuffle, generator=rng)
    assert history[-1] == 0, "did not converge"
    assert all(mistakes > 0 for mistakes in history[:-1])
    assert sum(history) <= (radius / gamma) ** 2
    assert np.all(y * (X @ p.weight + p.bias) > 0), "the final boundary does not separate the data"
    np.testing.assert_array_equal(p.predict(X), y)


def test_never_converges_on_xor():
    p = Perceptron(2)
    history = p.fit(XOR_X, XOR_Y, max_epochs=200, generator=np.random.default_rng(0))
    assert len(history) == 200 and min(history) > 0
    assert np.any(p.predict(XOR_X) != XOR_Y)


def test_different_orders_give_different_separating_solutions():
    X, y, _ = separable_data(np.random.default_rng(11), n=40)
    directions = []
    for seed in (1, 2):
        p = Perceptron(2)
        assert p.fit(X, y, max_epochs=1000, generator=np.random.default_rng(seed))[-1] == 0
        assert np.all(y * (X @ p.weight + p.bias) > 0)
        solution = np.append(p.weight, p.bias)
        directions.append(solution / np.linalg.norm(solution))
    assert not np.allclose(directions[0], directions[1], atol=1e-3)


def test_rejects_zero_one_labels_and_wrong_shapes():
    p = Perceptron(2)
    with pytest.raises(ValueError, match="labels must be -1 or \\+1"):
        p.fit(XOR_X, np.array([0, 1, 1, 0]))
    with pytest.raises(ValueError, match=r"expected shape \(N, 2\), got \(4, 3\)"):
        p.fit(np.zeros((4, 3)), XOR_Y)
    with pytest.raises(ValueError, match=r"expected shape \(4,\), got \(3,\)"):
        p.fit(XOR_X, XOR_Y[:3])
