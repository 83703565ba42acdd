"""The checks of a8_init/scaled_init.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a8_init/scaled_init", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
from mlp_ref import init as reference_init
from mlpcourse.checks import (RTOL, CheckFailed, Hint, call, check_building_on, check_equal, check_filled_in_place,
                               check_scalar, integer_division_hint, reaches, replaced_in_student_code)

TANH_HINT = Hint("tanh's gain is upside down (some notes print it so): tanh shrinks what passes through it, and "
                 "the gain, which makes up for that, is above 1", fix="return 5 / 3 for \"tanh\", not 3 / 5")
FANS_HINT = Hint("the fans are swapped: a weight has shape (out, in), and its fan-in is the number of inputs each "
                 "output sums over", fix="fan_in = weight.shape[1], fan_out = weight.shape[0]")
OTHER_FAN_HINT = Hint("the other fan: a weight has shape (out, in), fan_in counts its inputs and fan_out its outputs; "
                      "mode picks one of them",
                      fix="fan_in = weight.shape[1] when mode is \"fan_in\", fan_out = weight.shape[0] when it is \"fan_out\"")


def describe_arguments(kwargs):
    """The keyword arguments of a test call, for its failure message."""
    text = ", ".join(f"{key}={value:.6g}" if isinstance(value, float) else f"{key}={value!r}" for key, value in kwargs.items())
    return text or "the default arguments"


def wrong_gains(nonlinearity, param=None):
    """{hint: the gain a classic mistake gives} for one row of the gain table (each one is WRONG)."""
    if nonlinearity == "tanh":
        return {TANH_HINT: 3 / 5}
    if nonlinearity == "relu":
        return {Hint("the gain scales the standard deviation: relu's is not 2 (2 scales the variance)",
                     fix="take the square root of the variance factor: √2"): 2.0}
    if nonlinearity != "leaky_relu":
        return {}
    slope = 0.01 if param is None else param
    wrong = {Hint("take the square root: the gain is the square root of the variance factor (it scales a standard "
                  "deviation)", fix="√(2 / (1 + a²))"): 2 / (1 + slope ** 2)}
    if slope not in (0, 1):
        wrong[Hint("the negative side passes a fraction a² of the variance, not a: square the slope",
                   fix="√(2 / (1 + a²)), not √(2 / (1 + a))")] = math.sqrt(2 / (1 + slope))
    if param == 0:
        wrong[Hint("a = 0 is a slope of 0 (leaky_relu is then relu), not a missing one",
                   fix="use the default 0.01 only when param is None (`param or 0.01` also replaces 0)")] = (
            math.sqrt(2 / (1 + 0.01 ** 2)))
    if param is None:
        wrong[Hint("without param the slope is PyTorch's default 0.01, not 0",
                   fix="slope = 0.01 if param is None else param")] = math.sqrt(2.0)
    return wrong


# ---- gain
def check_gain(nonlinearity, param=None):
    args = f"{nonlinearity!r}" + ("" if param is None else f", {param!r}")
    case = f"calculate_gain({args})"
    check_scalar(call(calculate_gain, nonlinearity, param, case=case), reference_init.calculate_gain(nonlinearity, param),
                 function="calculate_gain", case=case, mistakes=wrong_gains(nonlinearity, param))


def check_unknown_nonlinearity(name):
    try:
        gain = calculate_gain(name)
    except ValueError:
        return
    except NotImplementedError:
        raise CheckFailed(f"calculate_gain ({name!r}): not written yet: replace `raise NotImplementedError()` with "
                          "your code") from None
    except Exception as error:
        raise CheckFailed(f"calculate_gain({name!r}): raised {type(error).__name__}, expected ValueError.",
                          hint=Hint("an unknown name must raise the error PyTorch raises",
                                    fix="raise ValueError(...) yourself for a name that is not in the table")) from None
    raise CheckFailed(f"calculate_gain({name!r}): returned {gain!r}, expected a ValueError.",
                      hint=Hint("a name that is not in the table is a mistake (a typo?): it must not give a gain",
                                fix="raise ValueError for any other name"))


# ---- fans
def check_fans(shape):
    weight = np.zeros(shape)
    expected = reference_init.fan_in_and_fan_out(weight)
    got = call(fan_in_and_fan_out, weight, case=f"a weight of shape {shape}")
    got = tuple(got) if isinstance(got, (tuple, list)) else got
    check_equal(got, expected, function="fan_in_and_fan_out", case=f"a weight of shape {shape}",
                hint=FANS_HINT if got == expected[::-1] else None)


# ---- std
def xavier_std_mistakes(weight, gain):
    """{hint: the std a classic mistake gives} for Xavier (each one is WRONG)."""
    fan_in, fan_out = weight.shape[1], weight.shape[0]
    right = reference_init.xavier_std(weight, gain)
    wrong = {Hint("that is the variance (times gain²), not the standard deviation", fix="take the square root"):
             gain ** 2 * 2 / (fan_in + fan_out),
             Hint("the harmonic mean of the two variances is twice their product over their sum: a factor 2 is missing",
                  fix="std = gain·√(2 / (fan_in + fan_out))"): gain / math.sqrt(fan_in + fan_out),
             Hint("that is the bound of the uniform version (larger than the std by a fixed factor), not the std",
                  fix="std = gain·√(2 / (fan_in + fan_out))"): math.sqrt(3) * right}
    if fan_in != fan_out:  # with one fan only, Xavier is LeCun's (fan_in) or its mirror (fan_out)
        for fan, name in ((fan_in, "fan_in"), (fan_out, "fan_out")):
            for formula, wrong_std in ((f"1 / {name}", gain / math.sqrt(fan)), (f"2 / {name}", gain * math.sqrt(2 / fan))):
                wrong[Hint(f"Xavier averages the two fans: you used {name} alone (a variance of gain²·{formula})",
                           fix="std = gain·√(2 / (fan_in + fan_out)), with both fans")] = wrong_std
    if 2 // (fan_in + fan_out) != 2 / (fan_in + fan_out):
        wrong[integer_division_hint("divide with /: 2 / (fan_in + fan_out)")] = gain * math.sqrt(2 // (fan_in + fan_out))
    if gain != 1:
        wrong[Hint("the gain argument was ignored: multiply by the gain", fix="std = gain·(the std for gain 1)")] = right / gain
        wrong[Hint("the gain multiplies the std, gain² the variance: you multiplied the std by gain²",
                   fix="multiply the std by the gain once")] = right * gain
    return wrong


def fixed_relu_gain(weight, a, mode, nonlinearity):
    """The std with ReLU's gain √2 whatever the nonlinearity, or None where that is right."""
    fan = weight.shape[1] if mode == "fan_in" else weight.shape[0]
    return None if math.isclose(reference_init.calculate_gain(nonlinearity, a), math.sqrt(2)) else math.sqrt(2 / fan)


def kaiming_std_mistakes(weight, a, mode, nonlinearity):
    """{hint: the std a classic mistake gives} for Kaiming (each one is WRONG)."""
    fan_in, fan_out = weight.shape[1], weight.shape[0]
    fan, other_fan = (fan_in, fan_out) if mode == "fan_in" else (fan_out, fan_in)
    gain = reference_init.calculate_gain(nonlinearity, a)
    wrong = {Hint(f"the gain of {nonlinearity!r} is wrong: {hint.concept}", fix=hint.fix): wrong_gain / math.sqrt(fan)
             for hint, wrong_gain in wrong_gains(nonlinearity, a).items()}
    if other_fan != fan:
        wrong[OTHER_FAN_HINT] = gain / math.sqrt(other_fan)
    wrong[Hint("the fan divides the variance, so its square root divides the std: divide the gain by the square root "
               "of the fan", fix="gain / √fan")] = gain / fan
    forgot_a = reference_init.calculate_gain(nonlinearity) / math.sqrt(fan)
    if forgot_a != gain / math.sqrt(fan):  # the slope changes only leaky_relu's gain, and then by far more than rounding
        wrong[Hint("the slope a was not passed on to the gain: pass the slope on",
                   fix="calculate_gain(nonlinearity, a), not calculate_gain(nonlinearity)")] = forgot_a
    wrong[Hint("a fixed √2 is ReLU's gain; the gain depends on the nonlinearity",
               fix="use calculate_gain(nonlinearity, a)")] = fixed_relu_gain(weight, a, mode, nonlinearity)
    wrong[Hint("that is the bound of the uniform version (larger than the std by a fixed factor), not the std",
               fix="std = gain / √fan")] = (
        gain * math.sqrt(3 / fan))
    return {hint: std for hint, std in wrong.items() if std is not None}


def check_xavier_std(shape, gain=1.0):
    weight = np.zeros(shape)
    case = f"a weight of shape {shape}, gain={gain:.6g}"
    check_building_on(lambda: check_scalar(call(xavier_std, weight, gain, case=case), reference_init.xavier_std(weight, gain),
                                           function="xavier_std", case=case, mistakes=xavier_std_mistakes(weight, gain)),
                      {"fan_in_and_fan_out": lambda: check_fans(shape)}, "xavier_std", namespace=globals())


def check_kaiming_std(shape, **kwargs):
    weight = np.zeros(shape)
    settings = dict(dict(a=0, mode="fan_in", nonlinearity="leaky_relu"), **kwargs)
    arguments = describe_arguments(kwargs)
    case = f"a weight of shape {shape}, {arguments}"
    check_building_on(lambda: check_scalar(call(kaiming_std, weight, case=case, **kwargs),
                                           reference_init.kaiming_std(weight, **settings), function="kaiming_std",
                                           case=case, mistakes=kaiming_std_mistakes(weight, **settings)),
                      {"calculate_gain": lambda: check_gain(settings["nonlinearity"], settings["a"]),
                       "fan_in_and_fan_out": lambda: check_fans(shape)}, "kaiming_std", namespace=globals())


# ---- draws
KS_SIGNIFICANCE = 1e-6
SIGMAS = 5  # a two-sided normal tail beyond 5 standard errors has probability 5.7e-7
BOUND_RTOL = 1e-3
BOUND_MIN_DRAWS = 20_000
ERF = np.frompyfunc(math.erf, 1, 1)
# generator.normal(std, size=shape) draws N(std, 1): root mean square √(1 + std²)
LOC_HINT = Hint("generator.normal(loc, scale, size) takes the MEAN first (and scale defaults to 1): your std "
                "became the mean", fix="generator.normal(0.0, std, weight.shape)")


def filled(function, shape, generator, case, **kwargs):
    """function(weight, generator=generator, **kwargs) on a new array of `shape`: it must fill and return it."""
    weight = np.full(shape, np.nan)
    result = call(function, weight, generator=generator, case=case, **kwargs)
    name = function.__name__
    check_filled_in_place(weight, result, function=name, case=case, fill="draws")
    if weight.size > 1 and np.all(weight == 0):
        raise CheckFailed(f"{name} ({case}): every entry is 0.",
                          hint=Hint("draws with a standard deviation (or a bound) of 0 are all 0: the std it used is 0 "
                                    "(an integer division such as 2 // n gives 0)", fix="divide with /"))
    if weight.size > 1 and np.all(weight == weight.flat[0]):
        raise CheckFailed(f"{name} ({case}): every entry got the same number.",
                          hint=Hint("one draw was shared by every entry: draw one number per entry",
                                    fix="size=weight.shape"))
    return weight


def ks_distance(draws, cdf):
    """The Kolmogorov–Smirnov distance between the empirical distribution of the draws and `cdf`."""
    values = cdf(np.sort(draws.ravel()))
    n = values.size
    return max(np.max(np.arange(1, n + 1) / n - values), np.max(values - np.arange(n) / n))


def check_shape_of_distribution(draws, cdf, function, case, hint):
    distance, limit = ks_distance(draws, cdf), math.sqrt(math.log(2 / KS_SIGNIFICANCE) / (2 * draws.size))
    if distance > limit:
        raise CheckFailed(f"{function} ({case}): the {draws.size} draws do not follow the target distribution: "
                          f"Kolmogorov–Smirnov distance {distance:.4f}, allowed {limit:.4f} (significance "
                          f"{KS_SIGNIFICANCE:g})", hint=hint)


def check_uniform_draws(draws, bound, function, case, mistakes=None):
    """Draws of U(−bound, bound): the bound respected exactly, approached, and the distribution uniform."""
    largest = float(np.max(np.abs(draws)))
    if draws.size >= BOUND_MIN_DRAWS:
        check_scalar(largest, bound, function=f"{function}: the largest |draw| of {draws.size}, which approaches b",
                     case=case, rtol=BOUND_RTOL, mistakes=mistakes)
    if largest > bound * (1 + 1e-12):  # 1e-12: room for the rounding of −b + 2b·u, nothing more
        raise CheckFailed(f"{function} ({case}): a draw of size {largest:.6g} lies outside [−b, b], b = {bound:.6g}")
    if draws.size < BOUND_MIN_DRAWS:
        return
    if draws.min() >= 0:
        raise CheckFailed(f"{function} ({case}): every draw is ≥ 0.",
                          hint=Hint("the draws must be symmetric around 0: the interval runs from −b to b",
                                    fix="draw from U(−b, b), not U(0, b)"))
    check_shape_of_distribution(draws, lambda w: (w + bound) / (2 * bound), function, case,
                                Hint("the draws are not uniform: draw uniformly",
                                     fix="generator.uniform(-b, b, weight.shape)"))


def check_normal_draws(draws, std, function, case, mistakes=None):
    """Draws of N(0, std²): their root mean square, mean and distribution."""
    n = draws.size
    check_scalar(math.sqrt(np.mean(draws ** 2)), std, rtol=SIGMAS / math.sqrt(2 * n), mistakes=mistakes,
                 function=f"{function}: the standard deviation (root mean square) of {n} draws", case=case)
    mean, allowed = float(np.mean(draws)), SIGMAS * std / math.sqrt(n)
    if abs(mean) > allowed:
        raise CheckFailed(f"{function} ({case}): the draws average {mean:.4g}, expected 0 ± {allowed:.2g}",
                          hint=Hint("the draws must be centred on 0", fix="draw from N(0, std²): mean 0"))
    check_shape_of_distribution(draws, lambda w: 0.5 * (1 + ERF(w / (std * math.sqrt(2))).astype(np.float64)),
                                function, case, Hint("the draws are not normal: draw from a normal distribution",
                                                     fix="generator.normal(0.0, std, weight.shape)"))


def check_fresh_draws(function, shape, seed, **kwargs):
    """New numbers at every call (every entry its own: see filled); the same seed gives the same weights."""
    name, case = function.__name__, f"shape {shape}"
    generator = np.random.default_rng(seed)
    first, second = (filled(function, shape, generator, case, **kwargs) for _ in range(2))
    if np.array_equal(first, second):
        raise CheckFailed(f"{name} ({case}): two calls with the same generator gave the same weights.",
                          hint=Hint("the draws repeat: a generator seeded anew at every call starts over",
                                    fix="draw new numbers at every call, from the generator passed in"))
    again = filled(function, shape, np.random.default_rng(seed), case, **kwargs)
    if not np.array_equal(first, again):
        raise CheckFailed(f"{name} ({case}): two generators with the same seed gave different weights.",
                          hint=Hint("the draws ignore the generator passed in: draw from the generator passed in",
                                    fix="generator.uniform / generator.normal, not np.random or a generator of your own"))


def check_uniform_with_std(shape, std, seed):
    case = f"shape {shape}, std={std:g}"
    draws = filled(uniform_with_std_, shape, np.random.default_rng(seed), case, std=std)
    bound = math.sqrt(3) * std
    check_uniform_draws(draws, bound, "uniform_with_std_", case, mistakes={
        Hint("the bound of U(−b, b) is larger than its standard deviation: compute the variance of U(−b, b), the "
             "bound is not the std itself", fix="b = √3·std"): std,
        Hint("the bound of U(−b, b) is larger than its standard deviation, not smaller: you divided where you should "
             "multiply", fix="b = √3·std"): std / math.sqrt(3),
        Hint("√6 appears in Xavier's bound written with the fans (its std already holds a √2); from a std the bound "
             "has no √2", fix="b = √3·std"): math.sqrt(6) * std,
        Hint("b = 3·std is the normal distribution's rule of thumb (almost every normal draw lies within 3 standard "
             "deviations), not the uniform's: a uniform's spread relates to its bound by a factor you get from ∫x² "
             "over the interval", fix="b = √3·std (the variance of U(−b, b) is b²/3)"): 3 * std,
        Hint("the bound is not twice the std (2b is the interval's length, not its spread): a uniform's spread "
             "relates to its bound by a factor you get from ∫x² over the interval",
             fix="b = √3·std (the variance of U(−b, b) is b²/3)"): 2 * std})


NORMAL_SCALE_HINT = Hint("generator.normal takes the standard deviation as `scale`, not the variance",
                         fix="generator.normal(0.0, std, weight.shape)")


def check_normal_with_std(shape, std, seed):
    case = f"shape {shape}, std={std:g}"
    draws = filled(normal_with_std_, shape, np.random.default_rng(seed), case, std=std)
    check_normal_draws(draws, std, "normal_with_std_", case, mistakes={
        NORMAL_SCALE_HINT: std ** 2,
        LOC_HINT: math.sqrt(1 + std ** 2),
        Hint("that is the bound of a uniform distribution with this std: the normal's scale is the std itself",
             fix="generator.normal(0.0, std, weight.shape)"): math.sqrt(3) * std})


# ---- fills
def own_helper_hint(name, own_value, right, helper_mistakes, fill, shape, **kwargs):
    """{hint: the student's own helper's value} when a fill function inherits a wrong std from it (section 3): the
    helper is wrong and the fill calls it."""
    try:
        own = float(own_value())
    except Exception:  # the helper is not written yet, or fails: its own test says why
        return {}
    if math.isclose(own, right, rel_tol=RTOL) or not reaches(
            lambda: fill(np.zeros(shape), generator=np.random.default_rng(0), **kwargs), name, globals()):
        return {}
    cause = next((hint for hint, wrong in helper_mistakes.items()
                  if wrong is not None and math.isclose(own, wrong, rel_tol=RTOL)), None)
    culprit = next((piece for piece in ("calculate_gain", "fan_in_and_fan_out") if inherited(own_value, right, piece)), name)
    through = f" (through {name}, which uses it)" if culprit != name else ""
    concept = cause.concept if isinstance(cause, Hint) else cause
    fix = cause.fix if isinstance(cause, Hint) and cause.fix else ""
    return {Hint(f"this follows from your {culprit}{through}: {name} returns {own:.6g} instead of {right:.6g}"
                 + (f" ({concept})" if concept else ""),
                 fix=f"fix {culprit} first" + (f": {fix}" if fix else "")): own}


def inherited(own_value, right, piece):
    """Whether the student's helper is wrong only because their `piece` (a function of section 1 or 2) is: with the
    reference's version of that piece in its place, the helper returns the right value."""
    try:
        with replaced_in_student_code(globals(), **{piece: getattr(reference_init, piece)}):
            return math.isclose(float(own_value()), right, rel_tol=RTOL)
    except Exception:  # the helper fails even then: not the piece's doing
        return False


def fill_mistakes(kind, right, std_mistakes):
    """{hint: the wrong std a classic mistake gives} for a <kind> fill whose right std is `right`: the mistakes
    of the fill itself, then those of the std it uses (made in the fill, or inherited from the student's helper)."""
    if kind == "uniform":
        wrong = {Hint("the draws' bound equals the std: the bound of U(−b, b) is larger than its standard deviation, "
                      "not the std itself", fix="b = √3·std"): right / math.sqrt(3)}
    else:
        wrong = {NORMAL_SCALE_HINT: right ** 2, LOC_HINT: math.sqrt(1 + right ** 2)}
    wrong.update(std_mistakes)
    return wrong


def xavier_mistakes(fill, weight, gain, kind):
    right, std_mistakes = reference_init.xavier_std(weight, gain), xavier_std_mistakes(weight, gain)
    own = own_helper_hint("xavier_std", lambda: xavier_std(np.zeros(weight.shape), gain), right, std_mistakes,
                          fill, weight.shape, gain=gain)
    return {**own, **fill_mistakes(kind, right, std_mistakes)}  # a wrong helper of the student's explains the most


def kaiming_mistakes(fill, weight, a, mode, nonlinearity, kind):
    right, std_mistakes = (reference_init.kaiming_std(weight, a, mode, nonlinearity),
                           kaiming_std_mistakes(weight, a, mode, nonlinearity))
    own = own_helper_hint("kaiming_std", lambda: kaiming_std(np.zeros(weight.shape), a, mode, nonlinearity),
                          right, std_mistakes, fill, weight.shape, a=a, mode=mode, nonlinearity=nonlinearity)
    wrong = fill_mistakes(kind, right, std_mistakes)
    relu_std = fixed_relu_gain(weight, a, mode, nonlinearity)
    if kind == "uniform" and relu_std is not None:  # a classic: the ReLU bound √(6 / fan) for every nonlinearity
        wrong = {Hint("√(6 / fan) is the bound for ReLU only (gain √2): other nonlinearities have other gains",
                      fix="b = √3 times kaiming_std, with gain = calculate_gain(nonlinearity, a)"): relu_std, **wrong}
    return {**own, **wrong}


def check_fill(function, shape, seed, **kwargs):
    """function on a weight of `shape`: the bound (uniform) or std (normal) it draws with must be the reference's."""
    weight = np.zeros(shape)
    kind = "uniform" if "uniform" in function.__name__ else "normal"
    if function.__name__.startswith("xavier"):
        gain = kwargs.get("gain", 1.0)
        std, mistakes = reference_init.xavier_std(weight, gain), xavier_mistakes(function, weight, gain, kind)
    else:
        settings = dict(dict(a=0, mode="fan_in", nonlinearity="leaky_relu"), **kwargs)
        std, mistakes = reference_init.kaiming_std(weight, **settings), kaiming_mistakes(function, weight, kind=kind, **settings)
    arguments = describe_arguments(kwargs)
    case = f"a weight of shape {shape}, {arguments}"
    piece, piece_check = FILL_PIECES[kind]
    if piece_at_fault(function, shape, piece, piece_check, **kwargs):
        mistakes = {}  # the fill's hints presume that it drew right from a wrong std: here its piece draws wrong
    elif kind == "uniform" and not reaches(
            lambda: function(np.zeros(shape), generator=np.random.default_rng(0), **kwargs), piece, globals()):
        # the fill draws by itself: a bound of 3·std may be a rule of thumb as well as a std that was already a bound
        own = {hint: wrong for hint, wrong in mistakes.items() if "follows from your" in getattr(hint, "concept", hint)}
        mistakes = {**own, **{hint: factor * std / math.sqrt(3) for hint, factor in OWN_BOUND_MISTAKES.items()}, **mistakes}

    def run():
        draws = filled(function, shape, np.random.default_rng(seed), case, **kwargs)
        if kind == "uniform":  # the draws show the bound b = √3·std; so do the mistakes
            check_uniform_draws(draws, math.sqrt(3) * std, function.__name__, case,
                                mistakes={hint: math.sqrt(3) * wrong for hint, wrong in mistakes.items()})
        else:
            check_normal_draws(draws, std, function.__name__, case, mistakes=mistakes)
    check_building_on(run, {piece: piece_check}, function.__name__, namespace=globals())


OWN_BOUND_MISTAKES = {  # {hint: the draws' bound over the std} of a fill that computes its bound itself
    Hint("the draws' bound is 3 times the std: 3σ is the normal distribution's rule of thumb, not the uniform's bound "
         "(or the std you started from was already a bound): a uniform's spread relates to its bound by a factor you "
         "get from ∫x² over the interval", fix="b = √3·std, with the std of section 3"): 3.0,
    Hint("the draws' bound is twice the std (2b is the interval's length, not its spread): a uniform's spread relates "
         "to its bound by a factor you get from ∫x² over the interval", fix="b = √3·std, with the std of section 3"): 2.0}


# the function of section 4 a fill builds on, and a check of it (the first visible one of its test)
FILL_PIECES = {"uniform": ("uniform_with_std_", lambda: check_uniform_with_std((400, 600), std=0.05, seed=0)),
               "normal": ("normal_with_std_", lambda: check_normal_with_std((400, 600), std=0.05, seed=2))}


def piece_at_fault(fill, shape, piece, piece_check, **kwargs):
    """Whether `fill` draws through the student's `piece` (uniform_with_std_ or normal_with_std_) and that is wrong:
    then the fill's failure is the piece's doing, and a hint about the fill's own std would have a false premise."""
    try:
        piece_check()
    except Exception:  # a broken piece may raise anything
        return reaches(lambda: fill(np.zeros(shape), generator=np.random.default_rng(0), **kwargs), piece, globals())
    return False
