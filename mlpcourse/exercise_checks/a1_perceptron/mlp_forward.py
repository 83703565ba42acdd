"""The checks of a1_perceptron/mlp_forward.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a1_perceptron/mlp_forward", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import re

import numpy as np


# ---- setup
from mlp_ref.activation import ReLU, Tanh
from mlp_ref.linear import Linear
from mlp_ref.mlp import MLP
from mlp_ref.module import Sequential
from mlpcourse.checks import DOT_ERROR, MATMUL_ERROR, call, CheckFailed, Hint, check_array, check_equal, shape_feedback


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
    right = forward_variant(x, weights, biases, lambda a, W, b, last: a @ W.T + b if last else g(a @ W.T + b))
    return {COLUMNS_NOT_TURNED_BACK: right.T if right.ndim == 2 and right.shape[0] != right.shape[1] else None,
            Hint("the last layer has no activation: it returns the scores z of the output layer as they are",
                 fix="apply the activation after every layer but the last"):
                forward_variant(x, weights, biases, lambda a, W, b, last: g(a @ W.T + b)),
            Hint("each layer adds its bias, the last one too", fix="z = a Wᵀ + b in every layer"):
                forward_variant(x, weights, biases, lambda a, W, b, last: a @ W.T if last else g(a @ W.T)),
            Hint("a layer applies its activation after the linear map, to z, not before it to the layer's input",
                 fix="a = g(a Wᵀ + b), not g(a) Wᵀ + b"):
                forward_variant(x, weights, biases, lambda a, W, b, last: g(a) @ W.T + b),
            shape_hint("in the hidden layers"): untransposed(x, weights, biases, g, "hidden") if all(square[:-1]) else None,
            shape_hint("in the last layer"): untransposed(x, weights, biases, g, "last") if square[-1] else None,
            SKIPPED_HINT: forward_variant(x, weights[:-1], biases[:-1], lambda a, W, b, last: g(a @ W.T + b))
            if len(weights) > 1 else None,
            **{bias_column_hint(where): bias_column(x, weights, biases, g, where)
               for where in ("in every layer", "in the hidden layers", "in the last layer")}}


def bias_column(x, weights, biases, g, where):
    """The output when b enters as a column b[:, None] (shape (out, 1)) in the layers `where` says (None where
    NumPy refuses it)."""
    def layer(a, W, b, last):
        column = where == "in every layer" or (where == "in the last layer") == last
        z = a @ W.T + (b[:, None] if column else b)
        return z if last else g(z)
    try:
        return forward_variant(x, weights, biases, layer)
    except ValueError:
        return None


def bias_column_hint(where):
    """The hint of a bias broadcast as a column, b[:, None], `where` ("in every layer", ...)."""
    return Hint(f"broadcasting matches sizes from the right; two sizes must be equal, or one of them 1: your bias, made "
                f"a column of shape (out, 1) ({where}), meets z of shape (N, out) with its out against z's N, and with "
                f"a batch of one it stretches into an (out, out) table instead of failing",
                fix="add b as it is, of shape (out,): a @ W.T + b lines it up with z's last axis")


def bias_column_error(numpy_text, x, weights):
    """The hint of a bias broadcast as a column, if NumPy refused to broadcast z (N, out) with b[:, None] (out, 1)."""
    match = re.search(r"broadcast together with (?:remapped )?shapes \((\d+),(\d+)\) \((\d+),1\)", numpy_text)
    if match and int(match.group(1)) == len(x) and match.group(2) == match.group(3) and any(
            W.shape[0] == int(match.group(2)) for W in weights):
        return bias_column_hint("in the layer that failed")
    return None


def untransposed(x, weights, biases, g, where):
    """The output when W enters as a @ W (no transpose) in the hidden layers, or in the last layer."""
    return forward_variant(x, weights, biases, lambda a, W, b, last: (a @ (W if where == "last" else W.T) + b) if last
                           else g(a @ (W if where == "hidden" else W.T) + b))


def shape_hint(where):
    """The hint of a W that enters a layer untransposed, `where` ("in the last layer", ...)."""
    return Hint(f"W has shape (out, in) ({where}): row j holds the weights of output unit j, so the batch's `in` "
                "axis must meet W's `in` axis, and the result has shape (N, out)", fix="a @ W.T + b")


COLUMNS_NOT_TURNED_BACK = Hint(
    "your values are right, but with one example per column, shape (out, N): the products of a column form (W on "
    "the left) are fine, yet mlp_forward returns one example per row, (N, out), so the result must be turned back "
    "into rows at the end", fix="transpose the last layer's result before returning it, e.g. return (W @ a + "
                               "b[:, None]).T, or work in rows throughout with a @ W.T + b")
SINGLE_LAYER_HINT = Hint("with a single layer, the first layer is also the last: the network is linear, with no "
                         "activation, and a first layer treated before the loop must not be applied again as the last",
                         fix="run every layer in one loop over zip(weights, biases), the activation after every layer "
                             "but the last")
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


def product_sizes(numpy_text):
    """(the last size of the left operand, the first size of the right one) of a matrix product that NumPy refused,
    or None."""
    matmul, dot = MATMUL_ERROR.search(numpy_text), DOT_ERROR.search(numpy_text)
    if matmul:
        return int(matmul.group(3)), int(matmul.group(2))
    if dot:
        left, right = (tuple(int(n) for n in shape.strip("()").split(",") if n.strip()) for shape in dot.groups())
        return left[-1], right[0]
    return None


def layers_met(numpy_text, x, weights):
    """Which layer's W has the two sizes NumPy could not match, and what it meets there: the layer's input, of
    shape (N, in); the shapes of every layer if no W has them."""
    sizes = product_sizes(numpy_text)
    met = [f"layer {index}'s W, of shape {W.shape} (out, in), which meets that layer's input a, of shape "
           f"{(len(x), W.shape[1])} (N, in)" for index, W in enumerate(weights, 1)
           if sizes is not None and sorted(sizes) == sorted(W.shape)]
    if met:
        return f"NumPy's sizes {sizes[0]} and {sizes[1]} are those of " + "; or of ".join(met)
    return ("the shapes in this case: the input x " + str(x.shape) + " (N, in); the weights (out, in) "
            + ", ".join(f"W{index} {W.shape}" for index, W in enumerate(weights, 1)))


def shape_error(failure, x, weights, case, hint):
    """The failure of a shape error in mlp_forward, told in the network's terms: the W and what it meets (the
    arguments' shapes say little here: two of them are lists)."""
    error = failure.__cause__
    what, generic = shape_feedback(error)
    if what is None:
        return failure
    return CheckFailed(f"mlp_forward ({case}): your function raised ValueError, shapes that do not fit: {what}\n"
                       f"  {layers_met(str(error), x, weights)}\n  NumPy said: {str(error).strip()}",
                       hint=hint or generic)


def check_forward(seed, sizes, n, make_activation=ReLU):
    x, weights, biases = random_network(seed, sizes, n)
    module = make_activation()
    case = f"sizes {sizes}, N={n}, {type(module).__name__}"
    expected = reference_network(weights, biases, make_activation)(x)
    try:
        got = call(mlp_forward, x, weights, biases, module.function, case=case)
    except CheckFailed as failure:
        if not isinstance(failure.__cause__, ValueError):
            raise
        hint = (bias_column_error(str(failure.__cause__), x, weights)
                or shape_error_hint(seed, sizes, n, module.function))
        raise shape_error(failure, x, weights, case, hint) from None
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
                              f"{b.shape}; its input has {previous} features",
                              hint=Hint("a weight has shape (out, in) and its bias (out,): a layer's `in` is the "
                                        "number of outputs of the layer before it (2 for the first)",
                                        fix="for 2 → h → 1: W1 of shape (h, 2), b1 (h,), W2 (1, h), b2 (1,)"))
        previous = W.shape[0]
    if len(weights) != len(biases) or previous != 1:
        raise CheckFailed(f"xor_network: got {len(weights)} weights, {len(biases)} biases and {previous} outputs",
                          hint=Hint("one bias per weight, and the last layer has a single output (the score)",
                                    fix="return as many biases as weights, the last weight of shape (1, h)"))
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
                          f"predicts class 1 where its score is above 1/2):\n{shown}",
                          hint=xor_hint(points[wrong].round(), labels[wrong]))


def xor_hint(corners, labels):
    """What is off when only the points at (1, 1) get class 1: the hidden unit that is active only there (if the
    network has one) must cancel the other units' score at (1, 1)."""
    if not (corners == 1).all() or labels.any():
        return None
    weights, biases = xor_parameters()
    if len(weights) != 2:
        return ONLY_AND_HINT
    hidden = np.maximum(XOR_CORNERS @ weights[0].T + biases[0], 0)
    only_at_11 = np.flatnonzero((np.abs(hidden[:3]) < 1e-9).all(axis=0) & (hidden[3] > 1e-9))
    if only_at_11.size == 0:
        return ONLY_AND_HINT
    units = ", ".join(str(j + 1) for j in only_at_11)
    return Hint(f"the corner (1, 1) gets class 1: XOR is OR but not AND, and your hidden unit {units} (active only at "
                f"(1, 1)) must cancel there the score that the other hidden units give",
                fix="its output weight must take back all of that score, and yours takes back too little: make it "
                    "more negative, so that the score at (1, 1) (the other units' part plus this unit's activation "
                    "times its weight) falls to 0, well below 1/2")


ONLY_AND_HINT = Hint("the corner (1, 1) gets class 1: XOR is OR but not AND, and the output layer can take (1, 1) back "
                     "only with a hidden unit that is active there and nowhere else on the square",
                     fix="a hidden unit relu(x1 + x2 − 1) (zero on the other corners) with a negative output weight "
                         "that cancels the score at (1, 1)")


# ---- count
def check_count(sizes):
    expected = MLP(sizes).num_parameters()  # mlp_ref builds the layers; this counts their arrays' entries
    got = call(count_parameters, list(sizes), case=f"sizes {sizes}")
    pairs = list(zip(sizes[:-1], sizes[1:]))
    hints = {  # what a classic mistake counts: its hint
        sum(n_in * n_out for n_in, n_out in pairs):
            Hint("each output unit also has a bias, besides its weights", fix="count (n_in + 1)·n_out per layer"),
        sum(n_in * n_out for n_in, n_out in pairs) + sum(sizes):
            Hint("the input units have no bias: only the units a layer computes do",
                 fix="count a bias for each size in sizes[1:], not for every size"),
        sum(n_in * (n_out + 1) for n_in, n_out in pairs):
            Hint("the biases belong to the outputs of a layer, not to its inputs",
                 fix="(n_in + 1)·n_out, not n_in·(n_out + 1)"),
        2 * expected if len(sizes) == 2 else None:
            Hint("with a single layer, the first layer is also the last: it was counted twice",
                 fix="count every layer in one loop, with no first or last layer apart"),
        expected - (sizes[-2] + 1) * sizes[-1]:
            Hint("a layer is missing from the count: there is one layer between each pair of consecutive sizes, the "
                 "last pair included", fix="zip(sizes[:-1], sizes[1:]) gives the len(sizes) − 1 layers"),
    }
    check_equal(got, expected, function="count_parameters", case=f"sizes {sizes}", hint=hints.get(got))
