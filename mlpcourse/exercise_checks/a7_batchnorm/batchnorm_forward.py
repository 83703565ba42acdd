"""The checks of a7_batchnorm/batchnorm_forward.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a7_batchnorm/batchnorm_forward", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
from mlp_ref.batchnorm import BatchNorm1d as ReferenceBatchNorm
from mlpcourse.checks import CheckFailed, Hint, call, check_array, integer_division_hint


def random_batch(seed, n, d, feature_scale=None):
    """A batch x (n, d) whose features have means and scales of their own, and random γ, β (d,).

    feature_scale: (d,) standard deviations of the features; by default drawn between 0.5 and 2.
    """
    rng = np.random.default_rng(seed)
    scale = rng.uniform(0.5, 2.0, d) if feature_scale is None else np.asarray(feature_scale, dtype=np.float64)
    x = rng.uniform(-3.0, 3.0, d) + scale * rng.standard_normal((n, d))
    return x, rng.uniform(0.5, 2.0, d), rng.uniform(-1.0, 1.0, d)


def reference_layer(gamma, beta, eps=1e-5, momentum=0.1):
    """mlp_ref's BatchNorm1d with the given γ and β (in training mode, as a new layer is)."""
    layer = ReferenceBatchNorm(len(gamma), eps=eps, momentum=momentum)
    layer.weight.data[...] = gamma
    layer.bias.data[...] = beta
    return layer


def unpack(got, names, function, case):
    """The student's tuple as a list, or a clear failure when it is not a tuple of len(names) items."""
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        raise CheckFailed(f"{function} ({case}): expected a tuple of {len(names)} items ({', '.join(names)}), "
                          f"got {type(got).__name__}" + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else ""))
    return list(got)


# ---- train
EPS_INSIDE = Hint("eps goes inside the square root: outside it does not protect a feature whose variance is below eps",
                  fix="√(σ² + eps), not √σ² + eps")


def mistaken_normalisations(x, eps):
    """{hint: the x_hat that a classic mistake gives} (each one is WRONG)."""
    n = len(x)
    centred = x - x.mean(axis=0)
    var = x.var(axis=0)
    wrong = {Hint("normalise with the BIASED batch variance: the normalisation divides by N (the running variance is "
                  "the one that divides by N − 1)", fix="x.var(axis=0), without ddof"):
             centred / np.sqrt(var * n / (n - 1) + eps) if n > 1 else None,
             EPS_INSIDE: centred / (np.sqrt(var) + eps),
             Hint("x̂ has unit variance when you divide by the standard deviation, not by the variance",
                  fix="divide by √(σ² + eps)"): centred / (var + eps),
             Hint("you left out eps: a (nearly) constant feature then divides by (almost) 0",
                  fix="divide by √(σ² + eps)"): centred / np.sqrt(var)}
    if eps != 1e-5:
        wrong[Hint("the eps argument was ignored: use the eps argument, not a fixed 1e-5", fix="√(σ² + eps) with the eps passed in")] = (
            centred / np.sqrt(var + 1e-5))
    whole = x - x.mean()
    wrong[Hint("every feature has its own mean and variance, taken over the batch, not over the whole array",
               fix="x.mean(axis=0) and x.var(axis=0)")] = whole / np.sqrt(x.var() + eps)
    wrong[Hint("every feature has its own mean: not x.mean() over the whole array", fix="x.mean(axis=0)")] = (
        whole / np.sqrt(whole.var(axis=0) + eps))
    rows = x - x.mean(axis=1, keepdims=True)
    wrong[Hint("normalise every feature over the batch (axis 0, down the columns), not every example over its "
               "features", fix="axis=0 for the mean and the variance")] = rows / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    return wrong


def check_forward_train(seed, n, d, eps=1e-5, feature_scale=None, parts=("y",)):
    x, gamma, beta = random_batch(seed, n, d, feature_scale)
    reference = reference_layer(gamma, beta, eps)
    expected = {"y": reference.forward(x),
                "x_hat": reference.normalized,  # x̂ and √(σ² + eps) of the reference's last forward
                "std": reference.std}
    case = f"N={n}, d={d}, eps={eps:g}" + (", a feature whose variance is below eps" if feature_scale is not None else "")
    function = "batchnorm_forward_train"
    got = dict(zip(("y", "x_hat", "std"), unpack(call(batchnorm_forward_train, x.copy(), gamma.copy(), beta.copy(), eps, case=case),
                                                 ("y", "x_hat", "std"), function, case)))
    wrong_x_hat = mistaken_normalisations(x, eps)
    wrong = {"y": {hint: None if w is None else gamma * w + beta for hint, w in wrong_x_hat.items()},
             "x_hat": wrong_x_hat, "std": {}}
    wrong["y"][Hint("γ scales and β shifts: γ and β are swapped", fix="y = γ·x̂ + β")] = beta * expected["x_hat"] + gamma
    wrong["y"][Hint("the first item you returned is x̂, not the layer's output", fix="return y first, then x̂ and std")] = (
        expected["x_hat"])
    wrong["std"][Hint("std is the standard deviation, not the variance σ² + eps", fix="std = √(σ² + eps)")] = (
        expected["std"] ** 2)
    wrong["std"][EPS_INSIDE] = np.sqrt(expected["std"] ** 2 - eps) + eps
    wrong["std"][Hint("return the standard deviation itself, not its inverse", fix="std = √(σ² + eps), not 1 / √(σ² + eps)")] = (
        1 / expected["std"])
    for part in parts:
        check_array(got[part], expected[part], function=f"{function}: {part}", case=case, mistakes=wrong[part])


# ---- running
def moving_average(start, values, weight_of_new):
    """start, then start moved towards each of `values` in turn, keeping each intermediate value."""
    averages, current = [], start
    for value in values:
        current = (1 - weight_of_new) * current + weight_of_new * value
        averages.append(current)
    return averages


def check_running_stats(seed, n, d, batches, momentum=0.1, start=None):
    """Feed `batches` batches through update_running_stats and through the reference; compare after each one.

    start: (running_mean, running_var) to begin with; by default a new layer's, zeros and ones.
    """
    xs = [random_batch(seed + k, n, d)[0] for k in range(batches)]
    reference = ReferenceBatchNorm(d, momentum=momentum)
    if start is not None:
        reference.running_mean[...], reference.running_var[...] = start
    mean, var = reference.running_mean.copy(), reference.running_var.copy()
    start_mean, start_var = mean.copy(), var.copy()
    means, biased_vars = [x.mean(axis=0) for x in xs], [x.var(axis=0) for x in xs]
    unbiased_vars = [v * n / (n - 1) for v in biased_vars]
    flipped = Hint("momentum is the weight of the NEW batch (PyTorch's meaning), and you gave it to the old value",
                   fix="(1 − momentum)·running + momentum·batch")
    fixed_momentum = Hint("the momentum argument was ignored: use the momentum argument, not a fixed 0.1",
                          fix="weigh the new batch by the momentum passed in")
    wrong_means = {flipped: moving_average(start_mean, means, 1 - momentum)}
    wrong_vars = {Hint("the running variance averages the UNBIASED batch variance: it estimates the data's variance, "
                       "which σ² underestimates", fix="average σ²·N/(N − 1)"):
                  moving_average(start_var, biased_vars, momentum),
                  flipped: moving_average(start_var, unbiased_vars, 1 - momentum),
                  Hint("average the variance, not the standard deviation", fix="drop the square root"):
                  moving_average(start_var, np.sqrt(unbiased_vars), momentum),
                  Hint("the unbiased variance is larger than σ²: you multiplied by (N − 1)/N", fix="multiply by N/(N − 1)"):
                  moving_average(start_var, [v * (n - 1) / n for v in biased_vars], momentum)}
    wrong_means[Hint("every feature has its own running mean: not x.mean() over the whole array",
                     fix="average x.mean(axis=0)")] = moving_average(start_mean, [np.full(d, x.mean()) for x in xs], momentum)
    wrong_vars[integer_division_hint("use / for the factor N / (N − 1)")] = (
        moving_average(start_var, [(v * n) // (n - 1) for v in biased_vars], momentum))
    if momentum != 0.1:
        wrong_means[fixed_momentum] = moving_average(start_mean, means, 0.1)
        wrong_vars[fixed_momentum] = moving_average(start_var, unbiased_vars, 0.1)
    start_text = "from a new layer's statistics" if start is None else "from given running statistics"
    for k, x in enumerate(xs):
        reference.forward(x)
        case = f"N={n}, d={d}, momentum={momentum:g}, {start_text}, after batch {k + 1} of {batches}"
        got = unpack(call(update_running_stats, mean.copy(), var.copy(), x.copy(), momentum, case=case,
                          unchanged=("running_mean", "running_var", "x")),
                     ("running_mean", "running_var"), "update_running_stats", case)
        mean, var = (np.asarray(value) for value in got)
        check_array(mean, reference.running_mean, function="update_running_stats: running_mean", case=case,
                    mistakes={hint: values[k] for hint, values in wrong_means.items()})
        check_array(var, reference.running_var, function="update_running_stats: running_var", case=case,
                    mistakes={hint: values[k] for hint, values in wrong_vars.items()})


# ---- eval
def check_forward_eval(seed, n, d, eps=1e-5, trained_batches=0):
    """Evaluation with running statistics drawn at random, or learnt by the reference from `trained_batches` batches."""
    x, gamma, beta = random_batch(seed, n, d)
    reference = reference_layer(gamma, beta, eps)
    for k in range(trained_batches):
        reference.forward(random_batch(seed + 1 + k, 8, d)[0])
    if not trained_batches:
        rng = np.random.default_rng(seed + 1000)
        reference.running_mean[...] = rng.uniform(-2.0, 2.0, d)
        reference.running_var[...] = rng.uniform(0.2, 3.0, d)
    running_mean, running_var = reference.running_mean.copy(), reference.running_var.copy()
    reference.eval()
    expected = reference.forward(x)
    if n > 1:
        batch_statistics = reference_layer(gamma, beta, eps).forward(x)
    else:  # one example normalised by its own statistics: x − μ = 0, so y = β
        batch_statistics = np.broadcast_to(beta, x.shape)
    centred = x - running_mean
    mistakes = {Hint("in evaluation mode use the running statistics, not the batch's own mean and variance: a "
                     "prediction must not depend on the other examples of the batch",
                     fix="normalise with running_mean and running_var"): batch_statistics,
                Hint("eps goes inside the square root", fix="√(running_var + eps), not √running_var + eps"):
                gamma * centred / (np.sqrt(running_var) + eps) + beta,
                Hint("running_var is a variance: normalising divides by a standard deviation",
                     fix="divide by √(running_var + eps)"): gamma * centred / (running_var + eps) + beta,
                Hint("the eps argument was ignored: use the eps argument, not a fixed 1e-5",
                     fix="√(running_var + eps) with the eps passed in"):
                gamma * centred / np.sqrt(running_var + 1e-5) + beta if eps != 1e-5 else None,
                Hint("you left out eps", fix="divide by √(running_var + eps)"): gamma * centred / np.sqrt(running_var) + beta,
                Hint("β is missing: the layer scales and shifts in evaluation mode too", fix="y = γ·x̂ + β"):
                gamma * centred / np.sqrt(running_var + eps),
                Hint("γ is missing: the layer scales and shifts in evaluation mode too", fix="y = γ·x̂ + β"):
                centred / np.sqrt(running_var + eps) + beta}
    case = f"N={n}, d={d}, eps={eps:g}, " + (f"running statistics of {trained_batches} training batches"
                                             if trained_batches else "random running statistics")
    got = call(batchnorm_forward_eval, x.copy(), gamma.copy(), beta.copy(), running_mean.copy(), running_var.copy(), eps,
               case=case)
    check_array(got, expected, function="batchnorm_forward_eval", case=case, mistakes=mistakes)
