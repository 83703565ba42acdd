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


WRONG_SIDE = Hint("W has shape (out, in): row j of W holds the weights of output j, so a batch (N, in) meets W as "
                  "x Wᵀ; x W (or weight[:, j] for output j) mixes the inputs with the wrong weights",
                  fix="x @ weight.T + bias")


def random_case(seed, n, n_in, n_out):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, n_in)), rng.standard_normal((n_out, n_in)),
            rng.standard_normal(n_out), rng.standard_normal((n, n_out)))


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
        check_array(dx, dx_ref, function="linear_backward: grad_x", case=case,
                    mistakes={"grad_x should use W itself, not Wᵀ: G has shape (N, out) and W (out, in)": g @ W.T if n_out == n_in else None})
    if "weight" in parts:
        check_array(dW, dW_ref, function="linear_backward: grad_weight", case=case,
                    mistakes={"grad_weight was averaged over the batch: the loss already did that, sum instead": dW_ref / n if n > 1 else None,
                              "grad_weight must have W's shape (out, in): Gᵀ x, not xᵀ G": (x.T @ g).T if n_in == n_out else None})
    if "bias" in parts:
        check_array(db, db_ref, function="linear_backward: grad_bias", case=case,
                    mistakes={"the bias is shared by every row of the batch: sum G over the batch (axis 0)": g,
                              "grad_bias was averaged over the batch: sum instead": db_ref / n if n > 1 else None,
                              "grad_bias was summed over the wrong axis (axis 1 instead of 0)": g.sum(axis=1),
                              "grad_bias must have the bias's shape (out,): sum without keepdims=True":
                                  db_ref[None, :],
                              Hint("a sum without an axis adds up the whole of G, every example and every output, "
                                   "into one number", fix="sum over the batch axis only: G.sum(axis=0)"): g.sum()})


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
        check_array(call(relu_forward, x, case=case), y_ref, function="relu_forward", case=case,
                    mistakes={"negative inputs must become 0, not keep their value": x,
                              "ReLU keeps positive inputs and zeroes the negative ones, not the other way round": np.minimum(x, 0)})
    else:
        check_array(call(relu_backward, g, x, case=case), relu.backward(g), function="relu_backward", case=case,
                    mistakes={"ReLU's derivative is the step 1[x > 0], not sgn(x)": g * np.sign(x),
                              "at x = 0 take the derivative as 0: use x > 0, not x >= 0": g * (x >= 0),
                              "multiply the upstream gradient by the derivative 1[x > 0], not by ReLU(x) itself": g * y_ref,
                              "you returned the derivative alone: multiply it by grad_output (the chain rule)": (x > 0).astype(float)})
