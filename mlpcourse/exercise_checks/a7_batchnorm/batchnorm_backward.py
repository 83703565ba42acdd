"""The checks of a7_batchnorm/batchnorm_backward.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a7_batchnorm/batchnorm_backward", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
from mlp_ref.batchnorm import BatchNorm1d as ReferenceBatchNorm
from mlp_ref.gradcheck import numerical_gradient, relative_error
from mlpcourse.checks import CheckFailed, Hint, call, check_array


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


# ---- graph
def check_backward_graph(seed, n, d, feature_scale=None, eps=1e-5):
    layer, x, g, _, _, gamma = random_case(seed, n, d, feature_scale, eps)
    expected = dict(zip(("x", "gamma", "beta"), (layer.backward(g), layer.weight.grad, layer.bias.grad)))
    _, cache = batchnorm_forward_graph(x, gamma, layer.bias.data.copy(), eps)
    case = f"N={n}, d={d}, eps={eps:g}, random upstream gradient" + (
        ", a feature whose variance is below eps" if feature_scale is not None else "")
    got = call(batchnorm_backward_graph, g.copy(), {name: np.copy(value) for name, value in cache.items()}, case=case)
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise CheckFailed(f"batchnorm_backward_graph ({case}): expected a tuple (grad_x, grad_gamma, grad_beta), got "
                          f"{type(got).__name__}")
    x_hat, inv_std = cache["x_hat"], cache["inv_std"]
    direct = g * gamma * inv_std
    without_mean = direct - x_hat * inv_std * (g * gamma * x_hat).mean(axis=0)
    without_square = direct - (g * gamma * inv_std).mean(axis=0)
    mistakes = {"x": {"c = x − μ feeds two nodes, q = c² and x̂ = c·r: its gradient is the sum of both contributions":
                          without_square,
                      "x feeds two nodes, μ and c = x − μ: add the gradient that comes back through μ": without_mean,
                      "only the last nodes were followed: carry the gradient on through s, v, q and μ": direct},
                "gamma": {"γ was broadcast over the batch: sum its gradient over axis 0": g * x_hat},
                "beta": {"β was broadcast over the batch: sum its gradient over axis 0": g}}
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
    wrong = {"you left out the path through the variance: subtract x̂ₙ Σₘ Gₘ x̂ₘ too": scale * (n * g - through_mean),
            "you left out the path through the mean: subtract Σₘ Gₘ too": scale * (n * g - through_var),
            "you kept only the direct path γ G / s: in training mode μ and σ² depend on x too (add the paths "
            "through the mean and the variance)": gamma * g / std,
            "the path through the variance is subtracted, not added": scale * (n * g - through_mean + through_var),
            "multiply by γ: y = γ x̂ + β, so every path to x passes through γ": scale / gamma * (n * g - through_mean - through_var),
            "divide by N s: the bracket holds N·G, so the factor in front is γ / (N s)": scale * n * (n * g - through_mean - through_var),
            "divide by s = √(σ² + eps), not by s²": scale / std * (n * g - through_mean - through_var),
            "the paths through the mean and the variance carry a 1/N: γ/s·(G − Σₘ Gₘ / N − x̂ₙ Σₘ Gₘ x̂ₘ / N), "
            "or γ/(N s)·(N G − ...)": gamma / std * (g - through_mean - through_var),
            Hint("Σₘ Gₘ " + SUM_EVERYTHING.concept, fix=SUM_EVERYTHING.fix): scale * (n * g - g.sum() - through_var),
            Hint("Σₘ Gₘ x̂ₘ " + SUM_EVERYTHING.concept, fix=SUM_EVERYTHING.fix): scale * (n * g - through_mean - x_hat * (g * x_hat).sum()),
            Hint("integer division: // rounds down to a whole number", fix="divide with /: γ / (N s)"):
                gamma // (n * std) * (n * g - through_mean - through_var),
            "N is the number of examples, grad_output.shape[0], not the number of features":
                None if g.shape[1] == n else gamma / (g.shape[1] * std) * (g.shape[1] * g - through_mean - through_var)}
    return {hint: wrong for hint, wrong in wrong.items() if wrong is not None}


def check_backward(seed, n, d, part, feature_scale=None, eps=1e-5):
    layer, _, g, x_hat, std, gamma = random_case(seed, n, d, feature_scale, eps)
    expected_x = layer.backward(g)
    expected = {"x": expected_x, "gamma": layer.weight.grad, "beta": layer.bias.grad}
    case = (f"N={n}, d={d}, eps={eps:g}, random upstream gradient" + (", a feature whose variance is below eps" if feature_scale is not None else "")
            + (", the smallest batch (two examples)" if n == 2 else "") + (", a single feature" if d == 1 else ""))
    got = call(batchnorm_backward, g.copy(), x_hat.copy(), std.copy(), gamma.copy(), case=case)
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise CheckFailed(f"batchnorm_backward ({case}): expected a tuple (grad_x, grad_gamma, grad_beta), got {type(got).__name__}")
    got = dict(zip(("x", "gamma", "beta"), got))
    mistakes = {"x": mistaken_input_gradients(g, x_hat, std, gamma),
                "gamma": {"γ is shared by every example: sum G ⊙ x̂ over the batch (axis 0)": g * x_hat,
                          "sum G ⊙ x̂ over the batch, do not average it": (g * x_hat).mean(axis=0),
                          "∂L/∂γ = Σₙ Gₙ x̂ₙ has no factor γ (y = γ x̂ + β is linear in γ)": gamma * (g * x_hat).sum(axis=0),
                          "∂L/∂γ = Σₙ Gₙ x̂ₙ (y = γ x̂ + β): you returned ∂L/∂β = Σₙ Gₙ": g.sum(axis=0),
                          "sum over the batch (axis 0), not over the features": (g * x_hat).sum(axis=1),
                          SUM_EVERYTHING: (g * x_hat).sum()},
                "beta": {"β is shared by every example: sum G over the batch (axis 0)": g,
                         "sum G over the batch, do not average it": g.mean(axis=0),
                         "∂L/∂β = Σₙ Gₙ: you returned ∂L/∂γ = Σₙ Gₙ x̂ₙ": (g * x_hat).sum(axis=0),
                         "sum over the batch (axis 0), not over the features": g.sum(axis=1),
                         SUM_EVERYTHING: g.sum()}}
    check_array(got[part], expected[part], function=f"batchnorm_backward: grad_{part}", case=case, mistakes=mistakes[part])
