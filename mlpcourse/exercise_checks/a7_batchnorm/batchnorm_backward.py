"""The checks of a7_batchnorm/batchnorm_backward.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a7_batchnorm/batchnorm_backward", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
from mlp_ref.batchnorm import BatchNorm1d as ReferenceBatchNorm
from mlp_ref.gradcheck import numerical_gradient, relative_error
from mlpcourse.checks import CheckFailed, Hint, call, check_array, integer_division_hint


def random_case(seed, n, d, feature_scale=None, eps=1e-5):
    """A batch through the reference layer in training mode, with random γ, β and upstream gradient G.

    Returns (reference layer after forward, x (n, d), G (n, d), x_hat (n, d), std (d,), gamma (d,)).
    feature_scale: (d,) standard deviations of the features; by default drawn between 0.5 and 2.
    """
    rng = np.random.default_rng(seed)
    scale = rng.uniform(0.5, 2.0, d) if feature_scale is None else np.asarray(feature_scale, dtype=np.float64)
    x = rng.uniform(-3.0, 3.0, d) + scale * rng.standard_normal((n, d))
    layer = ReferenceBatchNorm(d, eps=eps)
    layer.weight.data[...] = rng.uniform(0.5, 2.0, d)
    layer.bias.data[...] = rng.uniform(-1.0, 1.0, d)
    layer.forward(x)
    # x̂ and √(σ² + eps) of the reference's forward: they are what batchnorm_backward receives
    return layer, x, rng.standard_normal((n, d)), layer.normalized.copy(), layer.std.copy(), layer.weight.data.copy()


# ---- wrong axis
OVER_FEATURES = Hint("you summed over the wrong axis: axis 1 adds up each example's features and leaves one value per "
                     "example, but γ and β have one value per feature, shared by every example",
                     fix="sum over the batch, axis=0, not axis=1")
WRONG_AXIS = Hint("an array of shape (N,), one value per example, does not line up with the others: a sum (or mean) "
                  "over the wrong axis made it, axis 1, which adds up each example's features, while μ, σ², γ, β and "
                  "their gradients have one value per feature",
                  fix="every sum of the backward pass runs over the batch: axis=0, not axis=1")


def calling(function, *args, case):
    """call(function, *args) whose NumPy error about an (N,) array that meets an (N, d) or (d,) one says what made the
    (N,) array: in batch norm's backward pass only a sum over the features, axis 1, gives one value per example."""
    n, d = args[0].shape
    try:
        return call(function, *args, case=case)
    except CheckFailed as failure:
        text = str(failure.__cause__) if isinstance(failure.__cause__, ValueError) else ""
        if n == d or "broadcast" not in text or f"({n},)" not in text:  # NumPy writes the shape (N,) as "(8,)"
            raise
        message = failure.full_message.split("\n  hint: ")[0]  # the shapes' general hint does not fit: no axis was to be kept
        raise CheckFailed(message, hint=WRONG_AXIS) from failure.__cause__


# ---- graph
def graph_backward(g, cache, sum_at_node_7=True, sum_at_node_2=True, slope_of_inverse=-1.0):
    """∂L/∂x by the graph's nodes from 8 down to 1; the options make the classic mistakes: a broadcast node's gradient
    left with one value per row (no sum over the batch at node 7 or 2), the derivative of r = 1/s with its sign flipped."""
    n = len(g)
    grad_x_hat = g * cache["gamma"]
    grad_inv_std = grad_x_hat * cache["centred"]                                        # 7
    grad_inv_std = grad_inv_std.sum(axis=0) if sum_at_node_7 else grad_inv_std
    grad_std = slope_of_inverse * grad_inv_std / cache["std"] ** 2                       # 6
    grad_variance = grad_std / (2 * cache["std"])                                        # 5
    grad_centred = grad_x_hat * cache["inv_std"] + 2 * cache["centred"] * grad_variance / n   # 7, 4 and 3
    grad_mean = -grad_centred.sum(axis=0) if sum_at_node_2 else -grad_centred            # 2
    return grad_centred + grad_mean / n                                                  # 1


BROADCAST_NODE = ("{value} has one value per feature, {shape}, and node {node} broadcast it over the N rows of the batch: "
                  "broadcasting forwards is summing backwards, so its gradient must have its shape, {shape}; yours kept "
                  "one value per row, (N, d), and the next nodes broadcast it without an error")


def mistaken_graph_gradients(g, cache):
    """{hint: the ∂L/∂x that a classic mistake in the node-by-node backward pass gives} (each one is WRONG)."""
    x_hat, inv_std, std, gamma = cache["x_hat"], cache["inv_std"], cache["std"], cache["gamma"]
    direct = g * gamma * inv_std                                          # through x̂ = c·r only, with c's other uses lost
    through_variance = -x_hat * inv_std * (g * gamma * x_hat).mean(axis=0)  # c's second use, q = c²
    through_mean = -(g * gamma * inv_std).mean(axis=0)                      # x's second use, μ
    return {
        Hint("c = x − μ feeds two nodes, q = c² and x̂ = c·r: its gradient is the sum of both contributions, and the "
             "one through q (on to v, s and r) is missing",
             fix="at node 3 add to grad_centred the gradient that comes down through q: 2·c times q's gradient"):
            direct + through_mean,
        Hint("x feeds two nodes, μ and c = x − μ: the gradient that comes back through μ is missing",
             fix="at node 1 add μ's gradient, spread evenly over the N rows (μ is a mean): grad_mean / N"):
            direct + through_variance,
        Hint("the gradient reaches μ through c = x − μ, whose derivative with respect to μ is −1: the path through the "
             "mean came back with the wrong sign",
             fix="at node 2, grad_mean is minus the sum of c's gradient over the batch"):
            direct + through_variance - through_mean,
        Hint("only the last nodes were followed: in training mode μ and σ² depend on x too",
             fix="carry the gradient on through r, s, v, q and μ, down to node 1"): direct,
        Hint("the gradient of the variance came out s times too large or too small: count the powers of s in the "
             "derivatives of r = 1/s (node 6) and of s = √(v + eps) (node 5)",
             fix="node 6: grad_std = −grad_inv_std / s²; node 5: grad_variance = grad_std / (2 s)"):
            direct + std * through_variance + through_mean,
        Hint("the derivative of r = 1/s is negative (a larger s gives a smaller r): the gradient that reaches s "
             "came back with the wrong sign", fix="node 6: grad_std = −grad_inv_std / s², with the minus"):
            graph_backward(g, cache, slope_of_inverse=1.0),
        Hint(BROADCAST_NODE.format(value="r = 1/s", shape="(d,)", node="7 (x̂ = c·r)"),
             fix="node 7: sum r's gradient over the batch, .sum(axis=0)"): graph_backward(g, cache, sum_at_node_7=False),
        Hint(BROADCAST_NODE.format(value="μ", shape="(d,)", node="2 (c = x − μ)"),
             fix="node 2: grad_mean = −grad_centred.sum(axis=0)"): graph_backward(g, cache, sum_at_node_2=False),
        Hint("v is a mean over the batch: each qₙ enters it with weight 1/N, and that 1/N is missing",
             fix="node 4: spread v's gradient over the N rows divided by N"): direct + len(g) * through_variance + through_mean}


def check_backward_graph(seed, n, d, feature_scale=None, eps=1e-5):
    layer, x, g, _, _, gamma = random_case(seed, n, d, feature_scale, eps)
    expected = dict(zip(("x", "gamma", "beta"), (layer.backward(g), layer.weight.grad, layer.bias.grad)))
    _, cache = batchnorm_forward_graph(x, gamma, layer.bias.data.copy(), eps)
    case = f"N={n}, d={d}, eps={eps:g}, random upstream gradient" + (
        ", a feature whose variance is below eps" if feature_scale is not None else "")
    got = calling(batchnorm_backward_graph, g.copy(), {name: np.copy(value) for name, value in cache.items()}, case=case)
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise CheckFailed(f"batchnorm_backward_graph ({case}): expected a tuple (grad_x, grad_gamma, grad_beta), got "
                          f"{type(got).__name__}")
    mistakes = {"x": mistaken_graph_gradients(g, cache),
                "gamma": {Hint("γ was broadcast over the batch (node 8): its gradient collects every row's contribution",
                               fix="sum G ⊙ x̂ over axis 0"): g * cache["x_hat"],
                          OVER_FEATURES: (g * cache["x_hat"]).sum(axis=1)},
                "beta": {Hint("β was broadcast over the batch (node 8): its gradient collects every row's contribution",
                              fix="sum G over axis 0"): g,
                         OVER_FEATURES: g.sum(axis=1)}}
    for part, value in zip(("x", "gamma", "beta"), got):
        check_array(value, expected[part], function=f"batchnorm_backward_graph: grad_{part}", case=case,
                    mistakes=mistakes[part])


# ---- backward
SUM_EVERYTHING = Hint("a sum without an axis adds up the whole array, every example and every feature, into one number",
                      fix="sum over the batch only, axis=0: one value per feature")


def mistaken_input_gradients(g, x_hat, std, gamma):
    """{hint: the ∂L/∂x that a classic mistake gives} (each one is WRONG)."""
    n = len(g)
    through_mean, through_var = g.sum(axis=0), x_hat * (g * x_hat).sum(axis=0)
    scale = gamma / (n * std)
    wrong = {
        Hint("you left out the path through the variance: σ² depends on every xₙ too",
             fix="subtract x̂ₙ Σₘ Gₘ x̂ₘ inside the bracket too"): scale * (n * g - through_mean),
        Hint("you left out the path through the mean: μ depends on every xₙ too",
             fix="subtract Σₘ Gₘ inside the bracket too"): scale * (n * g - through_var),
        Hint("you kept only the direct path: in training mode μ and σ² depend on x too",
             fix="add the paths through the mean and the variance (two sums over the batch)"): gamma * g / std,
        Hint("the path through the variance has the wrong sign: a larger σ² shrinks x̂, so it pulls against the "
             "direct path, as the path through the mean does", fix="subtract x̂ₙ Σₘ Gₘ x̂ₘ, do not add it"):
            scale * (n * g - through_mean + through_var),
        Hint("a factor γ is missing: y = γ x̂ + β, so every path to x passes through γ", fix="multiply by γ"):
            scale / gamma * (n * g - through_mean - through_var),
        Hint("the factor in front is N² times too large: the bracket already holds N·G",
             fix="divide by N s: γ / (N s)"): scale * n * (n * g - through_mean - through_var),
        Hint("x̂ = (x − μ)/s divides by s, and so does every path from x to the loss: yours multiplies by s",
             fix="divide by s: γ / (N s), not γ s / N"): gamma * std / n * (n * g - through_mean - through_var),
        Hint("x̂ = (x − μ)/s depends on s to the first power: dividing by s² is one s too many",
             fix="divide by s = √(σ² + eps), not by s²"): scale / std * (n * g - through_mean - through_var),
        Hint("the paths through the mean and the variance carry a 1/N (μ and σ² are means over the batch), which is "
             "missing", fix="γ/s·(G − Σₘ Gₘ / N − x̂ₙ Σₘ Gₘ x̂ₘ / N), or γ/(N s)·(N G − ...)"):
            gamma / std * (g - through_mean - through_var),
        Hint("Σₘ Gₘ is a sum over the batch, one value per feature: " + SUM_EVERYTHING.concept,
             fix=SUM_EVERYTHING.fix): scale * (n * g - g.sum() - through_var),
        Hint("Σₘ Gₘ x̂ₘ is a sum over the batch, one value per feature: " + SUM_EVERYTHING.concept,
             fix=SUM_EVERYTHING.fix): scale * (n * g - through_mean - x_hat * (g * x_hat).sum()),
        integer_division_hint("divide with /: γ / (N s)"):
            gamma // (n * std) * (n * g - through_mean - through_var),
        Hint("N is the number of examples, not the number of features", fix="N = grad_output.shape[0]"):
            None if g.shape[1] == n else gamma / (g.shape[1] * std) * (g.shape[1] * g - through_mean - through_var),
        Hint("the path through the mean carries a 1/N (μ is a mean over the batch): where its term needs a mean over "
             "the batch, yours sums", fix="average G over the batch in that term: .mean(axis=0), not .sum(axis=0)"):
            gamma / std * (g - through_mean - through_var / n),
        Hint("the path through the variance carries a 1/N (σ² is a mean over the batch): where its term needs a mean "
             "over the batch, yours sums",
             fix="average G ⊙ x̂ over the batch in that term: .mean(axis=0), not .sum(axis=0)"):
            gamma / std * (g - through_mean / n - through_var)}
    # the sums or means of the paths through μ and σ² taken over the features, axis 1, with keepdims=True (no error)
    for paths in (("mean", "variance"), ("mean",), ("variance",)):
        for kind, reduce, factor in (("mean", np.mean, 1), ("sum", np.sum, n)):
            term_mean = reduce(g, axis=1, keepdims=True) if "mean" in paths else through_mean * factor / n
            term_var = x_hat * reduce(g * x_hat, axis=1, keepdims=True) if "variance" in paths else through_var * factor / n
            names = " and the ".join(paths)
            wrong[Hint(f"the {kind} in the term of the {names} path{'s' if len(paths) > 1 else ''} runs over axis 1, "
                       f"each example's features: μ and σ² are statistics of each feature over the batch, so their "
                       f"terms reduce over the batch, one value per feature",
                       fix=f"take that {kind} over axis=0, not axis=1")] = gamma / (factor * std) * (factor * g - term_mean - term_var)
    return {hint: wrong for hint, wrong in wrong.items() if wrong is not None}


def check_backward(seed, n, d, part, feature_scale=None, eps=1e-5):
    layer, _, g, x_hat, std, gamma = random_case(seed, n, d, feature_scale, eps)
    expected_x = layer.backward(g)
    expected = {"x": expected_x, "gamma": layer.weight.grad, "beta": layer.bias.grad}
    case = (f"N={n}, d={d}, eps={eps:g}, random upstream gradient" + (", a feature whose variance is below eps" if feature_scale is not None else "")
            + (", the smallest batch (two examples)" if n == 2 else "") + (", a single feature" if d == 1 else ""))
    got = calling(batchnorm_backward, g.copy(), x_hat.copy(), std.copy(), gamma.copy(), case=case)
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise CheckFailed(f"batchnorm_backward ({case}): expected a tuple (grad_x, grad_gamma, grad_beta), got {type(got).__name__}")
    got = dict(zip(("x", "gamma", "beta"), got))
    mistakes = {"x": mistaken_input_gradients(g, x_hat, std, gamma),
                "gamma": {Hint("γ is shared by every example: its gradient collects every example's contribution",
                               fix="sum G ⊙ x̂ over the batch (axis 0)"): g * x_hat,
                          Hint("γ's gradient is a sum of the examples' contributions, not their average",
                               fix="sum G ⊙ x̂ over the batch, do not average it"): (g * x_hat).mean(axis=0),
                          Hint("∂L/∂γ has no factor γ: y = γ x̂ + β is linear in γ",
                               fix="drop the γ: sum G ⊙ x̂ over the batch"): gamma * (g * x_hat).sum(axis=0),
                          Hint("you returned ∂L/∂β (γ multiplies x̂, so its gradient weighs G by x̂)",
                               fix="sum G ⊙ x̂ over the batch"): g.sum(axis=0),
                          OVER_FEATURES: (g * x_hat).sum(axis=1),
                          SUM_EVERYTHING: (g * x_hat).sum()},
                "beta": {Hint("β is shared by every example: its gradient collects every example's contribution",
                              fix="sum G over the batch (axis 0)"): g,
                         Hint("β's gradient is a sum of the examples' contributions, not their average",
                              fix="sum G over the batch, do not average it"): g.mean(axis=0),
                         Hint("you returned ∂L/∂γ (β is added, so its gradient is G itself, summed)",
                              fix="sum G over the batch, without x̂"): (g * x_hat).sum(axis=0),
                         OVER_FEATURES: g.sum(axis=1),
                         SUM_EVERYTHING: g.sum()}}
    check_array(got[part], expected[part], function=f"batchnorm_backward: grad_{part}", case=case, mistakes=mistakes[part])
