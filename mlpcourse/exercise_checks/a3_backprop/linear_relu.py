"""The checks of a3_backprop/linear_relu.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a3_backprop/linear_relu", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
import mlp_ref
from mlpcourse.checks import call, CheckFailed, Hint, check_array


def reference_linear(x, weight, bias, grad_output):
    """mlp_ref's output and gradients for a Linear layer with these parameters."""
    layer = mlp_ref.Linear(weight.shape[1], weight.shape[0])
    layer.weight.data, layer.bias.data = weight.copy(), bias.copy()
    y = layer(x)
    return y, layer.backward(grad_output), layer.weight.grad, layer.bias.grad


def describe(n, n_in, n_out):
    """The case's sizes, and what is special about them (a hidden case's failure then says what to try)."""
    facts = [fact for fact, holds in (("a batch of one", n == 1), ("square W: in = out", n_in == n_out),
                                      ("one input feature", n_in == 1), ("one output", n_out == 1)) if holds]
    return f"N={n}, in={n_in}, out={n_out}" + (f" ({', '.join(facts)})" if facts else "")


WRONG_SIDE = Hint("W has shape (out, in): row j of W holds the weights of output j, so x W (or weight[:, j] for "
                  "output j) mixes the inputs with the weights of the wrong outputs; it only ran because W is square",
                  fix="x @ weight.T + bias")
NO_BIAS = Hint("the bias was not added: each output has a bias, added to it for every example",
               fix="add the bias to every row: x @ weight.T + bias (broadcasting adds it to each row)")


def random_case(seed, n, n_in, n_out):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, n_in)), rng.standard_normal((n_out, n_in)),
            rng.standard_normal(n_out), rng.standard_normal((n, n_out)))


# ---- linear-forward
def check_linear_forward(seed, n, n_in, n_out):
    x, W, b, g = random_case(seed, n, n_in, n_out)
    y_ref, _, _, _ = reference_linear(x, W, b, g)
    case = describe(n, n_in, n_out)
    check_array(call(linear_forward, x, W, b, case=case), y_ref, function="linear_forward", case=case,
                mistakes={NO_BIAS: x @ W.T, WRONG_SIDE: x @ W + b if n_in == n_out else None})


# ---- linear-backward
def check_linear_backward(seed, n, n_in, n_out, parts):
    x, W, b, g = random_case(seed, n, n_in, n_out)
    case = describe(n, n_in, n_out)
    try:
        result = call(linear_backward, g, x, W, case=case)
    except CheckFailed as failure:
        if "x" in parts or n_in == n_out or "shapes that do not fit" not in str(failure):
            raise
        # it cannot run where out ≠ in (grad_x's test says why): its grad_weight and grad_bias are checked on a
        # square W instead, so that a mistake in grad_x costs only grad_x's points
        x, W, b, g = random_case(seed, n, n_in, n_in)
        case = describe(n, n_in, n_in) + ", since your function raised where out ≠ in"
        result = call(linear_backward, g, x, W, case=case)
    _, dx_ref, dW_ref, db_ref = reference_linear(x, W, b, g)
    n_out = W.shape[0]
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        raise CheckFailed(f"linear_backward ({case}): return a tuple (grad_x, grad_weight, grad_bias)")
    dx, dW, db = result
    if "x" in parts:
        check_array(dx, dx_ref, function="linear_backward: grad_x", case=case, mistakes={
            Hint("grad_x has x's shape (N, in) and G has shape (N, out): a transposed W maps the wrong way round "
                 "(it only ran because W is square here)",
                 fix="use W itself, not Wᵀ: grad_output @ weight, (N, out) @ (out, in)"):
                g @ W.T if n_out == n_in else None})
    if "weight" in parts:
        check_array(dW, dW_ref, function="linear_backward: grad_weight", case=case, mistakes={
            Hint("grad_weight was averaged over the batch: G already carries the loss's 1/N, so the examples' "
                 "contributions to a shared weight add up", fix="sum over the examples: no division by N"):
                dW_ref / n if n > 1 else None,
            Hint("grad_weight came out transposed: it must have W's shape (out, in), and the order of the product "
                 "decides which", fix="Gᵀ x, not xᵀ G: grad_output.T @ x"):
                dW_ref.T})  # xᵀ G: the transpose of Gᵀ x, recognised in a square W's case too
    if "bias" in parts:
        check_array(db, db_ref, function="linear_backward: grad_bias", case=case, mistakes={
            Hint("the bias is shared by every row of the batch: its gradient collects the contributions of all the rows",
                 fix="sum G over the batch (axis 0)"): g,
            Hint("grad_bias was averaged over the batch: G already carries the loss's 1/N, so the rows' contributions "
                 "add up", fix="sum instead: grad_output.sum(axis=0)"): db_ref / n if n > 1 else None,
            Hint("grad_bias was summed over the outputs (axis 1): the bias has one entry per output, and each entry "
                 "collects every example", fix="sum over the batch, axis 0"): g.sum(axis=1),
            Hint("grad_bias has an extra axis: it must have the bias's shape (out,)",
                 fix="sum without keepdims=True"): db_ref[None, :],
            Hint("a sum without an axis adds up the whole of G, every example and every output, into one number",
                 fix="sum over the batch axis only: G.sum(axis=0)"): g.sum()})


# ---- relu
def check_relu(seed, shape, part, with_zeros=False):
    rng = np.random.default_rng(seed)
    x, g = rng.standard_normal(shape), rng.standard_normal(shape)
    if with_zeros:
        x.flat[::3] = 0.0  # exactly at the kink
    relu = mlp_ref.ReLU()
    y_ref = relu(x)
    case = f"shape {shape}" + (", some inputs exactly 0" if with_zeros else "")
    if part == "forward":
        check_array(call(relu_forward, x, case=case), y_ref, function="relu_forward", case=case, mistakes={
            Hint("negative inputs must become 0, not keep their value", fix="np.maximum(x, 0)"): x,
            Hint("ReLU keeps positive inputs and zeroes the negative ones, not the other way round",
                 fix="the maximum of x and 0, not the minimum"): np.minimum(x, 0)})
    else:
        check_array(call(relu_backward, g, x, case=case), relu.backward(g), function="relu_backward", case=case,
                    mistakes={
            Hint("you multiplied by sgn(x): ReLU is flat for negative inputs, so its slope there is not −1",
                 fix="ReLU's derivative is the step 1[x > 0], not sgn(x): grad_output * (x > 0)"): g * np.sign(x),
            Hint("at x = 0 ReLU has no derivative, and the convention (PyTorch's) takes it as 0: yours is 1 there",
                 fix="use x > 0, not x >= 0"): g * (x >= 0),
            Hint("the chain rule multiplies the upstream gradient by ReLU's derivative, not by ReLU(x) itself",
                 fix="grad_output * (x > 0)"): g * y_ref,
            Hint("you returned the derivative alone: the chain rule carries the upstream gradient through it",
                 fix="multiply it by grad_output"): (x > 0).astype(float)})
