"""The checks of a7_batchnorm/batchnorm_forward.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a7_batchnorm/batchnorm_forward", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
from mlp_ref.batchnorm import BatchNorm1d as ReferenceBatchNorm
from mlpcourse.checks import CheckFailed, Hint, call, check_array


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
def mistaken_normalisations(x, eps):
    """{hint: the x_hat that a classic mistake gives} (each one is WRONG)."""
    n = len(x)
    centred = x - x.mean(axis=0)
    var = x.var(axis=0)
    wrong = {"normalise with the BIASED batch variance (divide by N, not N − 1)":
             centred / np.sqrt(var * n / (n - 1) + eps) if n > 1 else None,
             "eps goes inside the square root: √(σ² + eps), not √σ² + eps": centred / (np.sqrt(var) + eps),
             "divide by the standard deviation √(σ² + eps), not by the variance σ² + eps": centred / (var + eps),
             "you left out eps: divide by √(σ² + eps)": centred / np.sqrt(var)}
    if eps != 1e-5:
        wrong["use the eps argument, not a fixed 1e-5"] = centred / np.sqrt(var + 1e-5)
    whole = x - x.mean()
    wrong["every feature has its own mean and variance: take them over the batch, x.mean(axis=0) and x.var(axis=0), "
          "not over the whole array"] = whole / np.sqrt(x.var() + eps)
    wrong["every feature has its own mean: x.mean(axis=0), not x.mean() over the whole array"] = (
        whole / np.sqrt(whole.var(axis=0) + eps))
    rows = x - x.mean(axis=1, keepdims=True)
    wrong["normalise every feature over the batch (axis 0, down the columns), not every example over its features"] = (
        rows / np.sqrt(x.var(axis=1, keepdims=True) + eps))
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
    wrong["y"]["γ scales and β shifts: y = γ·x̂ + β, not β·x̂ + γ"] = beta * expected["x_hat"] + gamma
    wrong["y"]["return y = γ·x̂ + β first, then x̂ and std"] = expected["x_hat"]
    wrong["std"]["std is √(σ² + eps), the standard deviation, not the variance σ² + eps"] = expected["std"] ** 2
    wrong["std"]["eps goes inside the square root: √(σ² + eps), not √σ² + eps"] = np.sqrt(expected["std"] ** 2 - eps) + eps
    wrong["std"]["return the standard deviation √(σ² + eps) itself, not its inverse 1 / √(σ² + eps)"] = 1 / expected["std"]
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
    flipped = ("momentum is the weight of the NEW batch: (1 − momentum)·running + momentum·batch, "
               "not momentum·running + (1 − momentum)·batch")
    wrong_means = {flipped: moving_average(start_mean, means, 1 - momentum)}
    wrong_vars = {"the running variance averages the UNBIASED batch variance σ²·N/(N − 1), not σ²":
                  moving_average(start_var, biased_vars, momentum),
                  flipped: moving_average(start_var, unbiased_vars, 1 - momentum),
                  "average the variance, not the standard deviation": moving_average(start_var, np.sqrt(unbiased_vars), momentum),
                  "the unbiased variance is σ²·N/(N − 1), larger than σ²: you multiplied by (N − 1)/N":
                  moving_average(start_var, [v * (n - 1) / n for v in biased_vars], momentum)}
    wrong_means["every feature has its own running mean: average x.mean(axis=0), not x.mean() over the whole array"] = (
        moving_average(start_mean, [np.full(d, x.mean()) for x in xs], momentum))
    wrong_vars[Hint("integer division: // rounds down to a whole number", fix="use / for the factor N / (N − 1)")] = (
        moving_average(start_var, [(v * n) // (n - 1) for v in biased_vars], momentum))
    if momentum != 0.1:
        wrong_means["use the momentum argument, not a fixed 0.1"] = moving_average(start_mean, means, 0.1)
        wrong_vars["use the momentum argument, not a fixed 0.1"] = moving_average(start_var, unbiased_vars, 0.1)
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
    mistakes = {"in evaluation mode use the running statistics, not the batch's own mean and variance": batch_statistics,
                "eps goes inside the square root: √(running_var + eps), not √running_var + eps":
                gamma * centred / (np.sqrt(running_var) + eps) + beta,
                "running_var is a variance: divide by its square root √(running_var + eps)":
                gamma * centred / (running_var + eps) + beta,
                "use the eps argument, not a fixed 1e-5": gamma * centred / np.sqrt(running_var + 1e-5) + beta if eps != 1e-5 else None,
                "you left out eps: divide by √(running_var + eps)": gamma * centred / np.sqrt(running_var) + beta,
                "β is missing: y = γ·x̂ + β in evaluation mode too": gamma * centred / np.sqrt(running_var + eps),
                "γ is missing: y = γ·x̂ + β in evaluation mode too": centred / np.sqrt(running_var + eps) + beta}
    case = f"N={n}, d={d}, eps={eps:g}, " + (f"running statistics of {trained_batches} training batches"
                                             if trained_batches else "random running statistics")
    got = call(batchnorm_forward_eval, x.copy(), gamma.copy(), beta.copy(), running_mean.copy(), running_var.copy(), eps,
               case=case)
    check_array(got, expected, function="batchnorm_forward_eval", case=case, mistakes=mistakes)
