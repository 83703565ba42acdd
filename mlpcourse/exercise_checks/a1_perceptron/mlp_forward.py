"""The checks of a1_perceptron/mlp_forward.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a1_perceptron/mlp_forward", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
from mlp_ref.activation import ReLU, Tanh
from mlp_ref.linear import Linear
from mlp_ref.mlp import MLP
from mlp_ref.module import Sequential
from mlpcourse.checks import call, CheckFailed, Hint, check_array, check_equal


def reference_network(weights, biases, make_activation):
    """mlp_ref's Linear → activation → ... → Linear with these parameters (no activation after the last)."""
    layers = []
    for W, b in zip(weights, biases):
        linear = Linear(W.shape[1], W.shape[0])
        linear.weight.data, linear.bias.data = np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)
        layers += [linear, make_activation()]
    return Sequential(*layers[:-1])


def random_network(seed, sizes, n):
    """A batch x (n, sizes[0]) and random weights (out, in) and biases (out,) for the layers between `sizes`."""
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal((n_out, n_in)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    biases = [rng.standard_normal(n_out) for n_out in sizes[1:]]
    return rng.standard_normal((n, sizes[0])), weights, biases


# ---- forward
def forward_variant(x, weights, biases, layer):
    """Run x through the layers with layer(a, W, b, is_last) computing each layer's output."""
    a = x
    for index, (W, b) in enumerate(zip(weights, biases)):
        a = layer(a, W, b, index == len(weights) - 1)
    return a


def forward_mistakes(x, weights, biases, g):
    """{hint: what mlp_forward returns after that classic mistake} (None where the mistake gives no answer)."""
    square = [W.shape[0] == W.shape[1] for W in weights]  # only there can W go in untransposed
    return {"the last layer has no activation: return its z = a Wᵀ + b as it is":
                forward_variant(x, weights, biases, lambda a, W, b, last: g(a @ W.T + b)),
            "each layer adds its bias: z = a Wᵀ + b":
                forward_variant(x, weights, biases, lambda a, W, b, last: a @ W.T if last else g(a @ W.T)),
            "apply the activation to z = a Wᵀ + b, after the linear map, not before it":
                forward_variant(x, weights, biases, lambda a, W, b, last: g(a) @ W.T + b),
            Hint(SHAPE_HINT + " (in the hidden layers)"): untransposed(x, weights, biases, g, "hidden") if all(square[:-1]) else None,
            Hint(SHAPE_HINT + " (in the last layer)"): untransposed(x, weights, biases, g, "last") if square[-1] else None,
            SKIPPED_HINT: forward_variant(x, weights[:-1], biases[:-1], lambda a, W, b, last: g(a @ W.T + b))
            if len(weights) > 1 else None}


def untransposed(x, weights, biases, g, where):
    """The output when W enters as a @ W (no transpose) in the hidden layers, or in the last layer."""
    return forward_variant(x, weights, biases, lambda a, W, b, last: (a @ (W if where == "last" else W.T) + b) if last
                           else g(a @ (W if where == "hidden" else W.T) + b))


SHAPE_HINT = "W has shape (out, in), so a batch (N, in) goes through a layer as a @ W.T + b, giving (N, out)"
SINGLE_LAYER_HINT = ("with a single layer, the first layer is also the last: the network is just x @ W.T + b, with "
                     "no activation. If you treat the first layer before the loop, it must not be applied again as "
                     "the last one: run every layer in one loop over zip(weights, biases)")
SKIPPED_HINT = Hint("a layer was skipped: every layer, the first and the last included, runs exactly once, in order",
                    fix="one loop over zip(weights, biases), the activation after every layer but the last")


def shape_error_hint(seed, sizes, n, g):
    """Which mistake a shape error in mlp_forward comes from, found by running it on a network of equal widths,
    where no shape can clash, and comparing with what each candidate mistake gives there (None if none fits)."""
    x, weights, biases = random_network(seed, [3] * len(sizes), n)
    try:
        got = mlp_forward(x, weights, biases, g)
    except Exception:  # it fails there too: no candidate to compare
        return None
    if len(weights) == 1:
        W, b = weights[0], biases[0]  # the first layer run before the loop, then again as the last one
        candidates = {SINGLE_LAYER_HINT: g(x @ W.T + b) @ W.T + b}
    else:
        candidates = {**forward_mistakes(x, weights, biases, g),
                      SKIPPED_HINT: forward_variant(x, weights[1:], biases[1:],
                                                    lambda a, W, b, last: a @ W.T + b if last else g(a @ W.T + b))}
    return next((hint for hint, wrong in candidates.items() if wrong is not None and np.shape(got) == wrong.shape
                 and np.allclose(got, wrong)), None)


def check_forward(seed, sizes, n, make_activation=ReLU):
    x, weights, biases = random_network(seed, sizes, n)
    module = make_activation()
    case = f"sizes {sizes}, N={n}, {type(module).__name__}"
    expected = reference_network(weights, biases, make_activation)(x)
    try:
        got = call(mlp_forward, x, weights, biases, module.function, case=case)
    except CheckFailed as failure:
        hint = shape_error_hint(seed, sizes, n, module.function) if isinstance(failure.__cause__, ValueError) else None
        if hint is None:  # not a shape mismatch, or none that a catalogued mistake explains
            raise
        raise CheckFailed(f"{failure}\n  hint: {hint}") from None
    check_array(got, expected, function="mlp_forward", case=case,
                mistakes=forward_mistakes(x, weights, biases, module.function))


# ---- xor
XOR_CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def xor_parameters():
    """The student's parameters as float arrays, after checking that they chain 2 → ... → 1."""
    result = call(xor_network, case="its weights and biases")
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(f"xor_network: return a pair (weights, biases) of lists, got {type(result).__name__}")
    weights, biases = result
    weights = [np.asarray(W, dtype=np.float64) for W in weights]
    biases = [np.asarray(b, dtype=np.float64).reshape(-1) for b in biases]
    previous = 2
    for layer, (W, b) in enumerate(zip(weights, biases), 1):
        if W.ndim != 2 or W.shape[1] != previous or b.shape != (W.shape[0],):
            raise CheckFailed(f"xor_network: layer {layer} has a weight of shape {W.shape} and a bias of shape "
                              f"{b.shape}; its input has {previous} features\n"
                              "  hint: a weight has shape (out, in) and its bias (out,)")
        previous = W.shape[0]
    if len(weights) != len(biases) or previous != 1:
        raise CheckFailed(f"xor_network: got {len(weights)} weights, {len(biases)} biases and {previous} outputs\n"
                          "  hint: one bias per weight, and the last layer has a single output (the score)")
    return weights, biases


def check_xor(points, case):
    network = reference_network(*xor_parameters(), ReLU)
    scores = network(points)[:, 0]
    labels = (points.round()[:, 0] != points.round()[:, 1]).astype(int)
    wrong = np.flatnonzero((scores > 0.5).astype(int) != labels)
    if wrong.size:
        shown = "\n".join(f"    x = {points[i].round(3)}: score {scores[i]:.3g}, expected class {labels[i]}"
                          for i in wrong[:4])
        raise CheckFailed(f"xor_network ({case}): {wrong.size} of {len(points)} points misclassified (the network "
                          f"predicts class 1 where its score is above 1/2):\n{shown}")


# ---- count
def check_count(sizes):
    expected = MLP(sizes).num_parameters()  # mlp_ref builds the layers; this counts their arrays' entries
    got = call(count_parameters, list(sizes), case=f"sizes {sizes}")
    pairs = list(zip(sizes[:-1], sizes[1:]))
    hints = {  # what a classic mistake counts: its hint
        sum(n_in * n_out for n_in, n_out in pairs): "each output unit also has a bias: (n_in + 1)·n_out per layer",
        sum(n_in * n_out for n_in, n_out in pairs) + sum(sizes):
            "the input units have no bias: only the units a layer computes do, so count sizes[1:], not every size",
        sum(n_in * (n_out + 1) for n_in, n_out in pairs):
            "the biases belong to the outputs of a layer: (n_in + 1)·n_out, not n_in·(n_out + 1)",
        2 * expected if len(sizes) == 2 else None:
            "with a single layer, the first layer is also the last: count it once",
        expected - (sizes[-2] + 1) * sizes[-1]:
            "one layer between each pair of consecutive sizes: len(sizes) − 1 layers",
    }
    check_equal(got, expected, function="count_parameters", case=f"sizes {sizes}", hint=hints.get(got))
