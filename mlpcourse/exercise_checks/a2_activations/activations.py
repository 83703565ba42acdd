"""The checks of a2_activations/activations.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a2_activations/activations", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals. A hint's concept (level 2) names the mistake without the
formula the student is asked to derive; its fix (level 3) may give it."""
import numpy as np


# ---- setup
from mlp_ref.activation import ELU, GELU, PReLU, ReLU, ReLU6, SELU, LeakyReLU, Sigmoid, Softplus, Tanh
from mlpcourse.checks import CheckFailed, Hint, call, check_array

# the reference of each activation without parameters (and with PyTorch's default ones), by the student's function name
REFERENCE = {"sigmoid": Sigmoid(), "tanh": Tanh(), "relu": ReLU(), "relu6": ReLU6(), "selu": SELU(),
             "softplus": Softplus(), "gelu": GELU()}
MISTAKES = {}  # {function name: {hint: f}}, f(x) being what a classic mistake returns; filled in section by section


def compare(name, student, module, part, seed, shape, kinks, mistakes, kink_points=()):
    """Compare student(x) with the module's function(x) (part="forward") or derivative(x) (part="derivative"),
    for x of the given shape drawn at random (over about ±10) with its first entries set to `kinks`.

    mistakes: {hint: f} where f(x) is what a classic mistake returns (None: it cannot happen here).
    kink_points: where the activation has no derivative; the case text names those among `kinks`.
    """
    x = 3 * np.random.default_rng(seed).standard_normal(shape)
    x.flat[:len(kinks)] = kinks
    case = f"shape {shape}" + (", including x = " + ", ".join(f"{k:g}" for k in kinks) if len(kinks) else "")
    at_kinks = [k for k in kink_points if k in kinks]
    if at_kinks:
        case += f" (the kink{'s' if len(at_kinks) > 1 else ''}: x = " + ", ".join(f"{k:g}" for k in at_kinks) + ")"
    expected = module.function(x) if part == "forward" else module.derivative(x)
    with np.errstate(all="ignore"):  # a mistaken formula may overflow: that is for the student's answer to show
        wrong = {hint: f(x) for hint, f in mistakes.items()}
    if getattr(student, "__name__", "") == "<lambda>":
        student.__name__ = name  # a call with its arguments, e.g. gelu(x, "tanh"): a failure names it so
    check_array(call(student, x, case=case), expected, function=name, case=case, mistakes=wrong)


def check_activation(name, student, seed, shape, kinks=()):
    """The student's function `name` (an activation's name in REFERENCE, or that name with "_derivative" after it)
    against the reference, at random inputs of the given shape that include `kinks`; the classic mistakes are
    MISTAKES[name]."""
    activation = name.removesuffix("_derivative")
    compare(name, student, REFERENCE[activation], "forward" if name == activation else "derivative", seed, shape,
            kinks, MISTAKES.get(name, {}), KINK_POINTS.get(activation, ()))


KINK_POINTS = {"relu": (0.0,), "relu6": (0.0, 6.0), "selu": (0.0,)}  # where REFERENCE's activations have no derivative


def sigmoid_by_numpy(x):
    return Sigmoid().function(x)


# ---- sigmoid
ZERO = np.array([0.0])
AT_ZERO = {"sigmoid_derivative": (0.25, "σ'(0) = 1/4"), "tanh_derivative": (1.0, "tanh'(0) = 1")}
INPUT_TAKEN_FOR_OUTPUT = ("{f}_derivative receives the input x, not the output y = {f}(x): your formula treats x as if "
                          "it were the output")
MISTAKES["sigmoid"] = {Hint("the sign of the exponent is flipped: this is σ(−x), the mirror image of σ",
                            fix="σ(x) = 1 / (1 + e^(−x)): the exponent is −x")
                       : lambda x: 1 / (1 + np.exp(x))}
MISTAKES["sigmoid_derivative"] = {
    Hint("σ' was taken of the output: σ is applied twice, σ(σ(x)), where the input goes through σ once",
         fix="s = sigmoid(x) once, then σ'(x) = s(1 − s)"):
        lambda x: sigmoid_by_numpy(sigmoid_by_numpy(x)) * (1 - sigmoid_by_numpy(sigmoid_by_numpy(x))),
    Hint(INPUT_TAKEN_FOR_OUTPUT.format(f="sigmoid"), fix="compute s = σ(x) first, then s(1 − s)"):
        lambda x: x * (1 - x),
    Hint("that is σ(x) itself, not its derivative (its slope)", fix="σ'(x) = σ(x)(1 − σ(x))"): sigmoid_by_numpy,
}


def check_at_zero(name, student):
    """The student's derivative `name` at x = 0, the value the notebook's text gives to check oneself."""
    expected, case = AT_ZERO[name]
    check_array(call(student, ZERO, case=case), np.array([expected]), function=name, case=case,
                mistakes={hint: wrong(ZERO) for hint, wrong in MISTAKES[name].items()})


# ---- large-inputs
OVERFLOW = {  # {function name: Hint} for an overflow on the way to a finite answer
    "sigmoid": Hint("e^(−x) overflows for large negative x (e^1000 = inf): a formula whose exponent can be large and "
                    "positive breaks even where its answer is fine (np.where does not help: it computes both branches "
                    "on every element)",
                    fix="compute e = e^(−|x|), at most 1, once, and use it in both branches: 1/(1 + e) for x >= 0, "
                        "e/(1 + e) for x < 0"),
    "softplus": Hint("e^(βx) overflows for large x, even in the branch np.where throws away (it computes both "
                     "branches on every element): an exponent that can be large and positive breaks the formula",
                     fix="use log(1 + e^z) = max(z, 0) + log1p(e^(−|z|)) with z = βx: its exponent is never positive"),
}


OVERFLOW["sigmoid_derivative"] = Hint(
    "σ' written with an exponential of its own overflows for large negative x (e^1000 = inf, and inf/inf is nan), "
    "even though σ'(x) is tiny there: the form in terms of σ(x) needs no exponential of its own (the one inside a "
    "sigmoid written without overflow is enough)", fix="s = sigmoid(x), then s * (1 - s)")


def overflows(f, x):
    """Whether f(x) raises a floating-point error (an overflow, say) under np.errstate(all="raise")."""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            f(x)
        except FloatingPointError:
            return True
        except Exception:
            return False
    return False


def check_without_overflow(name, student, x, case):
    """student(x) must equal REFERENCE[name].function(x) (or .derivative(x), for a name ending in "_derivative")
    with no overflow, invalid value or division by zero on the way. A derivative that overflows only through the
    student's own forward function (itself overflowing at x) is not counted here: the forward's test counts it."""
    activation = name.removesuffix("_derivative")
    module = REFERENCE[activation]
    expected = module.function(x) if name == activation else module.derivative(x)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            got = call(student, x, case=case)
        except CheckFailed as failure:  # the student's function raised: an overflow has its own hint
            if not isinstance(failure.__cause__, FloatingPointError):
                raise
            forward = globals().get(activation)
            if name != activation and callable(forward) and overflows(forward, x):
                globals()[activation] = module.function  # with an overflow-free forward, does it overflow itself?
                try:
                    own = overflows(student, x)
                finally:
                    globals()[activation] = forward
                if not own:  # the forward's overflow, counted by its own test: only the values count here
                    with np.errstate(all="ignore"):
                        got = call(student, x, case=case)
                    check_array(got, expected, function=name, case=case)
                    return
            raise CheckFailed(f"{name} ({case}): NumPy reports '{failure.__cause__}'", hint=OVERFLOW[name]) from None
    check_array(got, expected, function=name, case=case)


# ---- tanh
MISTAKES["tanh"] = {
    Hint("the argument of σ was not doubled: this is 2σ(x) − 1, a flatter curve", fix="2 * sigmoid(2 * x) - 1"):
        lambda x: 2 * sigmoid_by_numpy(x) - 1,
    Hint("σ(2x) lies in (0, 1), but tanh is stretched onto (−1, 1): the scale and the shift are missing",
         fix="2σ(2x) − 1"): lambda x: sigmoid_by_numpy(2 * x),
}
MISTAKES["tanh_derivative"] = {
    Hint(INPUT_TAKEN_FOR_OUTPUT.format(f="tanh"), fix="compute t = tanh(x) first, then 1 − t²"):
        lambda x: 1 - x**2,
    Hint("tanh' was taken of the output: the input goes through tanh once, not tanh(tanh(x))",
         fix="t = tanh(x) once, then 1 − t²"):
        lambda x: 1 - np.tanh(np.tanh(x)) ** 2,
    Hint("tanh is odd, so its derivative is even (the same at x and −x); yours is not: a power is missing",
         fix="tanh'(x) = 1 − tanh(x)², squared"): lambda x: 1 - np.tanh(x),
}


# ---- relu
MISTAKES["relu"] = {Hint("this is min(x, 0): ReLU keeps the positive inputs and zeroes the negative ones, not the "
                         "other way round", fix="np.maximum(x, 0)"): lambda x: np.minimum(x, 0)}
MISTAKES["relu_derivative"] = {
    Hint("ReLU's derivative is not sgn(x): for a negative input ReLU is flat, so its slope there is 0, not −1",
         fix="the step 1[x > 0]: (x > 0).astype(x.dtype)"): np.sign,
    Hint("at the kink x = 0 PyTorch takes ReLU's derivative as 0; you give 1 there",
         fix="use x > 0, not x >= 0"): lambda x: (x >= 0).astype(x.dtype),
    Hint("that is ReLU itself, not its derivative (its slope)", fix="the step 1[x > 0]: (x > 0).astype(x.dtype)"):
        lambda x: np.maximum(x, 0),
}


# ---- leaky-relu
IGNORED_SLOPE = Hint("the negative_slope argument was ignored: this is the default slope 0.01",
                     fix="use the negative_slope passed in")
LEAKY_RELU_MISTAKES = {  # {hint: f(x, a)}, what a classic mistake in LeakyReLU returns for the slope a
    Hint("np.maximum(x, a·x) is LeakyReLU only for a <= 1: for a larger (or a negative) slope it picks the wrong "
         "side", fix="follow the definition: np.where(x > 0, x, a·x)"): lambda x, a: np.maximum(x, a * x),
    Hint("the slope a was applied to the positive inputs: it belongs to the negative ones",
         fix="np.where(x > 0, x, a·x)"): lambda x, a: np.where(x > 0, a * x, x),
    IGNORED_SLOPE: lambda x, a: np.where(x > 0, x, 0.01 * x) if a != 0.01 else None,
}
LEAKY_RELU_DERIVATIVE_MISTAKES = {  # {hint: f(x, a)}, what a classic mistake in LeakyReLU's derivative returns
    Hint("at x = 0 PyTorch takes the slope of the negative side, a; you give 1 there",
         fix="use x > 0, not x >= 0"): lambda x, a: np.where(x >= 0, 1.0, a),
    Hint("that is ReLU's derivative: it is 0 for x <= 0, where LeakyReLU still has a slope",
         fix="the slope a, not 0, for x <= 0"): lambda x, a: (x > 0).astype(x.dtype),
    IGNORED_SLOPE: lambda x, a: np.where(x > 0, 1.0, 0.01) if a != 0.01 else None,
    Hint("the two slopes are on the wrong sides of the kink: read each side's slope off the definition",
         fix="np.where(x > 0, 1.0, a)"): lambda x, a: np.where(x > 0, a, 1.0),
}


def with_parameter(mistakes, parameter):
    """{hint: f(x)} from {hint: f(x, parameter)} (f returns None where the mistake cannot happen)."""
    return {hint: (lambda x, f=f: f(x, parameter)) for hint, f in mistakes.items()}


def check_leaky_relu(seed, shape, slope, part, kinks=()):
    if part == "forward":
        compare(f"leaky_relu(x, {slope})", lambda x: leaky_relu(x, slope), LeakyReLU(slope), part, seed, shape,
                kinks, with_parameter(LEAKY_RELU_MISTAKES, slope), (0.0,))
    else:
        compare(f"leaky_relu_derivative(x, {slope})", lambda x: leaky_relu_derivative(x, slope), LeakyReLU(slope),
                part, seed, shape, kinks, with_parameter(LEAKY_RELU_DERIVATIVE_MISTAKES, slope), (0.0,))


# ---- relu6
MISTAKES["relu6"] = {
    Hint("ReLU6 is a ReLU first: negative inputs must become 0, yours pass through",
         fix="np.clip(x, 0, 6), or np.minimum(np.maximum(x, 0), 6)"): lambda x: np.minimum(x, 6),
}
MISTAKES["relu6_derivative"] = {
    Hint("at both kinks, x = 0 and x = 6, PyTorch takes the derivative as 0; you give 1 there",
         fix="use 0 < x < 6, both strict"): lambda x: ((x >= 0) & (x <= 6)).astype(x.dtype),
    Hint("above 6 ReLU6 is constant, so its slope is 0 there too; yours is 1",
         fix="1 only where 0 < x < 6"): lambda x: (x > 0).astype(x.dtype),
    Hint("at the upper kink x = 6 PyTorch takes the derivative as 0, like the flat side above it; you give 1 there",
         fix="use x < 6, not x <= 6"): lambda x: ((x > 0) & (x <= 6)).astype(x.dtype),
    Hint("at the lower kink x = 0 PyTorch takes the derivative as 0, like ReLU's; you give 1 there",
         fix="use x > 0, not x >= 0"): lambda x: ((x >= 0) & (x < 6)).astype(x.dtype),
}


# ---- prelu
def prelu_case(seed, n, c, n_slopes, zeros=False):
    rng = np.random.default_rng(seed)
    x, grad_output = rng.standard_normal((n, c)), rng.standard_normal((n, c))
    if zeros:
        x[:, 0] = 0.0  # exactly at the kink
    weight = rng.uniform(-0.5, 0.5, n_slopes)
    module = PReLU(num_parameters=n_slopes)
    module.weight.data = weight.copy()
    expected = module(x)
    grad_x_expected = module.backward(grad_output)
    return x, grad_output, weight, expected, grad_x_expected, module.weight.grad


def check_prelu(seed, n, c, n_slopes, part, zeros=False):
    x, g, weight, expected, grad_x_expected, grad_weight_expected = prelu_case(seed, n, c, n_slopes, zeros)
    case = f"x of shape {(n, c)}, weight of shape {weight.shape}" + (", some x = 0" if zeros else "")
    if part == "forward":
        check_array(call(prelu, x, weight, case=case), expected, function="prelu", case=case,
                    mistakes={Hint("the slope multiplies the negative inputs; positive inputs pass unchanged: yours "
                                   "are the other way round", fix="np.where(x > 0, x, weight * x)"):
                                  np.where(x > 0, weight * x, x)})
        return
    grad_x, grad_weight = call(prelu_backward, g, x, weight, case=case)
    swapped = Hint("the two gradients are returned in the wrong order: these values are the other one's",
                   fix="return grad_x, grad_weight, in the order of the docstring")
    if part == "input":
        check_array(grad_x, grad_x_expected, function="prelu_backward: grad_x", case=case,
                    mistakes={Hint("for x <= 0 the derivative is not 0 (that would be ReLU's): the negative side "
                                   "has a slope", fix="G · np.where(x > 0, 1.0, weight)"): g * (x > 0),
                              Hint("at x = 0 PyTorch takes the negative side's slope a; you give 1 there",
                                   fix="use x > 0, not x >= 0"): g * np.where(x >= 0, 1.0, weight),
                              Hint("the upstream gradient is missing: ∂L/∂x needs ∂L/∂y (the chain rule)",
                                   fix="multiply the local derivative by grad_output"):
                                  np.where(x > 0, 1.0, weight) * np.ones_like(x),
                              swapped: grad_weight_expected})
        return
    per_entry = np.where(x > 0, 0.0, g * x)
    mistakes = {Hint("each slope is used by many entries: its gradient collects all their contributions, and has "
                     "weight's shape", fix="sum G·x (negative side only) over the entries that use the slope"):
                    per_entry,
                Hint("positive inputs do not use the slope (y = x there), so they add nothing to its gradient: "
                     "leave out the positive inputs", fix="np.where(x > 0, 0.0, G * x) before summing"):
                    np.array([(g * x).sum()]) if n_slopes == 1 else (g * x).sum(axis=0),
                Hint("each entry adds G times ∂y/∂a, and on the negative side ∂y/∂a is not 1: y = a·x there",
                     fix="multiply G by x on the negative side"):
                    np.array([(g * (x <= 0)).sum()]) if n_slopes == 1 else (g * (x <= 0)).sum(axis=0),
                Hint("a single slope is shared by every entry, of every feature: you summed over the batch only",
                     fix="sum over the whole array, into shape (1,)"):
                    per_entry.sum(axis=0) if n_slopes == 1 else None,
                Hint("one slope per feature: each collects only its own column, not the whole array",
                     fix="sum over the batch (axis 0) only, into shape (C,)"):
                    np.array([per_entry.sum()]) if n_slopes > 1 else None,
                Hint("grad_weight must have weight's shape (1,), not be a bare number", fix="e.g. np.array([total])"):
                    per_entry.sum() if n_slopes == 1 else None,
                swapped: grad_x_expected}
    check_array(grad_weight, grad_weight_expected, function="prelu_backward: grad_weight", case=case,
                mistakes={hint: wrong for hint, wrong in mistakes.items() if wrong is not None})


# ---- elu
ELU_MISTAKES = {  # {hint: f(x, α)}, what a classic mistake in ELU returns
    Hint("α multiplies the − 1 too: this is α·eˣ − 1 on the negative side",
         fix="alpha * np.expm1(x) for x <= 0"): lambda x, alpha: np.where(x > 0, x, alpha * np.exp(x) - 1),
    Hint("ELU is α(eˣ − 1) for x <= 0: the − 1 is missing (it makes ELU continuous at 0)",
         fix="alpha * (np.exp(x) - 1), or alpha * np.expm1(x)"): lambda x, alpha: np.where(x > 0, x, alpha * np.exp(x)),
    Hint("the α is missing on the negative side: this is ELU with α = 1", fix="alpha * np.expm1(x) for x <= 0"):
        lambda x, alpha: np.where(x > 0, x, np.expm1(x)),
}
ELU_DERIVATIVE_MISTAKES = {  # {hint: f(x, α)}, what a classic mistake in ELU's derivative returns
    Hint("the factor α of the negative branch was lost in differentiating: a constant factor stays, keep the α",
         fix="α·eˣ for x <= 0"): lambda x, alpha: np.where(x > 0, 1.0, np.exp(x)),
    Hint("at x = 0 PyTorch takes the left-hand derivative (the negative branch's); you give 1 there",
         fix="use x > 0, not x >= 0"): lambda x, alpha: np.where(x >= 0, 1.0, alpha * np.exp(x)),
    Hint("ELU(x) itself is not the negative branch's derivative: written with ELU(x), the constant + α was dropped",
         fix="α·eˣ, or ELU(x) + α"): lambda x, alpha: np.where(x > 0, 1.0, alpha * np.expm1(np.minimum(x, 0))),
    Hint("the two branches are on the wrong sides of the kink: each side's derivative comes from its own branch",
         fix="np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0)))"):
        lambda x, alpha: np.where(x > 0, alpha * np.exp(np.minimum(x, 0)), 1.0),
}


ELU_OVERFLOW = Hint("e^x overflows for a large positive x (e^1000 = inf), even in the branch np.where throws away (it "
                    "computes both branches on every element): the exponential must never see a large positive input",
                    fix="take the exponential of np.minimum(x, 0): the negative branch only needs x <= 0")
ELU_PRECISION = Hint("e^x − 1 loses most of its digits for a tiny |x|: e^x rounds to a float next to 1, and the "
                     "subtraction cancels the digits they share (for x = −10⁻¹² about 4 digits are left)",
                     fix="np.expm1(x) computes e^x − 1 without that cancellation")


def check_elu_extremes(alpha, part):
    """elu (part="forward") or elu_derivative at x = ±1000 and 710 without any overflow, and for the forward pass
    exact (to rtol 1e-8, no absolute tolerance) at tiny negative x, as the notebook's text asks."""
    function, name = (elu, f"elu(x, {alpha})") if part == "forward" else (elu_derivative, f"elu_derivative(x, {alpha})")
    module = ELU(alpha)
    reference = module.function if part == "forward" else module.derivative
    student = lambda x: function(x, alpha)
    student.__name__ = name
    x, case = np.array([1000.0, 710.0, -1000.0]), "x = 1000, 710, −1000: no overflow"
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            got = call(student, x, case=case)
        except CheckFailed as failure:  # the student's function raised: an overflow has its own hint
            if isinstance(failure.__cause__, FloatingPointError):
                raise CheckFailed(f"{name} ({case}): NumPy reports '{failure.__cause__}'", hint=ELU_OVERFLOW) from None
            raise
    check_array(got, reference(x), function=name, case=case)
    if part == "forward":
        x, case = np.array([-1e-12, -3e-10, -1e-8]), "tiny negative x = −10⁻¹², −3·10⁻¹⁰, −10⁻⁸, to full precision"
        check_array(call(student, x, case=case), reference(x), function=name, case=case, atol=0.0,
                    mistakes={ELU_PRECISION: alpha * (np.exp(x) - 1)})


def check_elu(seed, shape, alpha, part, kinks=()):
    if part == "forward":
        compare(f"elu(x, {alpha})", lambda x: elu(x, alpha), ELU(alpha), part, seed, shape, kinks,
                with_parameter(ELU_MISTAKES, alpha), (0.0,))
    else:
        compare(f"elu_derivative(x, {alpha})", lambda x: elu_derivative(x, alpha), ELU(alpha), part, seed, shape,
                kinks, with_parameter(ELU_DERIVATIVE_MISTAKES, alpha), (0.0,))


# ---- selu
def as_selu(elu_mistakes):
    """{hint: f(x)}, SELU's outputs for ELU's mistakes {hint: f(x, α)}: SELU is λ·ELU_α."""
    return {hint: (lambda x, f=f: SELU.SCALE * f(x, SELU.ALPHA)) for hint, f in elu_mistakes.items()}


MISTAKES["selu"] = {  # SELU is λ·ELU_α: ELU's own mistakes (made in elu or in selu) come last
    Hint("the scale λ multiplies both sides of SELU, the positive one too", fix="SELU_SCALE * elu(x, SELU_ALPHA)"):
        lambda x: np.where(x > 0, x, SELU.SCALE * SELU.ALPHA * np.expm1(np.minimum(x, 0))),
    Hint("the scale λ multiplies both sides of SELU, the negative one too", fix="SELU_SCALE * elu(x, SELU_ALPHA)"):
        lambda x: np.where(x > 0, SELU.SCALE * x, SELU.ALPHA * np.expm1(np.minimum(x, 0))),
    Hint("SELU uses ELU with α = SELU_ALPHA, not the default α = 1", fix="elu(x, SELU_ALPHA)"):
        lambda x: SELU.SCALE * np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    **as_selu(ELU_MISTAKES),
}
MISTAKES["selu_derivative"] = {
    Hint("the scale λ multiplies both sides of SELU, and so both sides of its derivative: the positive side was left "
         "unscaled", fix="λ for x > 0, not 1: SELU_SCALE * elu_derivative(x, SELU_ALPHA)"):
        lambda x: np.where(x > 0, 1.0, SELU.SCALE * SELU.ALPHA * np.exp(np.minimum(x, 0))),
    Hint("the scale λ multiplies both sides of SELU, and so both sides of its derivative: the negative side was left "
         "unscaled", fix="λ·α·eˣ for x <= 0: SELU_SCALE * elu_derivative(x, SELU_ALPHA)"):
        lambda x: np.where(x > 0, SELU.SCALE, SELU.ALPHA * np.exp(np.minimum(x, 0))),
    Hint("the factor α of the negative branch was lost in differentiating: a constant factor stays, keep the α",
         fix="λ·α·eˣ for x <= 0"):
        lambda x: SELU.SCALE * np.where(x > 0, 1.0, np.exp(np.minimum(x, 0))),
    Hint("at x = 0 PyTorch takes the left-hand derivative (the negative branch's); you give the right-hand one, λ",
         fix="use x > 0, not x >= 0"):
        lambda x: SELU.SCALE * np.where(x >= 0, 1.0, SELU.ALPHA * np.exp(np.minimum(x, 0))),
    **as_selu(ELU_DERIVATIVE_MISTAKES),
}


# ---- softplus
def softplus_without_threshold(x, beta):
    return (np.maximum(beta * x, 0) + np.log1p(np.exp(-np.abs(beta * x)))) / beta


SOFTPLUS_MISTAKES = {  # {hint: f(x, (β, threshold))}, what a classic mistake in softplus returns
    Hint("for βx > threshold PyTorch returns x itself (the two differ by less than e^(−threshold) there)",
         fix="np.where(beta * x > threshold, x, smooth)"):
        lambda x, p: softplus_without_threshold(x, p[0]),
    Hint("the factor 1/β in front is missing", fix="divide by β: (1/β)·log(1 + e^(βx))"):
        lambda x, p: np.where(p[0] * x > p[1], x, p[0] * softplus_without_threshold(x, p[0])),
    Hint("β was ignored: this is softplus with β = 1",
         fix="(1/β)·log(1 + e^(βx)), and the threshold applies to βx"):
        lambda x, p: np.where(x > p[1], x, softplus_without_threshold(x, 1.0)) if p[0] != 1 else None,
}
SOFTPLUS_DERIVATIVE_MISTAKES = {  # {hint: f(x, (β, threshold))}, what a classic mistake in its derivative returns
    Hint("by the chain rule the β stays inside the sigmoid's argument: yours got x alone",
         fix="sigmoid(beta * x)"):
        lambda x, p: np.where(p[0] * x > p[1], 1.0, sigmoid_by_numpy(x)),
    Hint("the chain rule's β cancels the 1/β in front: no factor β is left", fix="sigmoid(beta * x), without a factor β"):
        lambda x, p: np.where(p[0] * x > p[1], 1.0, p[0] * sigmoid_by_numpy(p[0] * x)),
    Hint("for βx > threshold the function is x itself, so its derivative is 1",
         fix="np.where(beta * x > threshold, 1.0, ...)"):
        lambda x, p: sigmoid_by_numpy(p[0] * x),
}


def check_softplus(seed, shape, beta, threshold, part, kinks=()):
    module = Softplus(beta, threshold)
    if part == "forward":
        compare(f"softplus(x, {beta}, {threshold})", lambda x: softplus(x, beta, threshold), module, part, seed,
                shape, kinks, with_parameter(SOFTPLUS_MISTAKES, (beta, threshold)))
    else:
        compare(f"softplus_derivative(x, {beta}, {threshold})", lambda x: softplus_derivative(x, beta, threshold),
                module, part, seed, shape, kinks, with_parameter(SOFTPLUS_DERIVATIVE_MISTAKES, (beta, threshold)))


# ---- gelu
GELU_APPROXIMATED = Hint('the tanh formula is an approximation of GELU; with approximate="none" the exact x·Φ(x) is '
                         'asked for', fix="Φ(x) = ½(1 + erf(x/√2)) with scipy's erf; the tanh formula only when "
                                          "approximate == \"tanh\"")


def normal_cdf(x):
    return 0.5 * (1 + erf(x / np.sqrt(2)))


MISTAKES["gelu"] = {
    Hint("erf's argument was not scaled: Φ is erf rescaled to the standard normal",
         fix="Φ(x) = ½(1 + erf(x/√2)): divide by √2 inside erf"): lambda x: 0.5 * x * (1 + erf(x)),
    Hint("Φ(x) = ½(1 + erf(x/√2)) lies in (0, 1): the ½ is missing, so yours is twice GELU",
         fix="0.5 * x * (1 + erf(x / np.sqrt(2)))"): lambda x: x * (1 + erf(x / np.sqrt(2))),
    GELU_APPROXIMATED: lambda x: GELU("tanh").function(x),
    Hint("x·σ(1.702x) is an approximation of GELU; the exact GELU is x·Φ(x)", fix=GELU_APPROXIMATED.fix):
        lambda x: x * sigmoid_by_numpy(1.702 * x),
}
MISTAKES["gelu_derivative"] = {
    GELU_APPROXIMATED: lambda x: GELU("tanh").derivative(x),
    Hint("in the product rule's term where Φ is differentiated, the other factor, x, stays as it is: yours lost it",
         fix="Φ(x) + x·φ(x): multiply the density by x"):
        lambda x: normal_cdf(x) + np.exp(-x**2 / 2) / np.sqrt(2 * np.pi),
    Hint("GELU is a product, x·Φ(x): by the product rule each factor is differentiated in turn, and yours has only "
         "the term in which x was", fix="Φ(x) + x·φ(x), with φ = Φ' the standard normal density"): normal_cdf,
    Hint("the density φ = Φ' has the wrong exponent: differentiate erf through its argument x/√2",
         fix="φ(x) = e^(−x²/2)/√(2π): the exponent is −x²/2"):
        lambda x: normal_cdf(x) + x * np.exp(-x**2) / np.sqrt(2 * np.pi),
    Hint("GELU is a product, x·Φ(x): by the product rule each factor is differentiated in turn, and yours has only "
         "the term in which Φ was; the other, Φ itself, is missing",
         fix="Φ(x) + x·φ(x), with Φ(x) = ½(1 + erf(x/√2))"):
        lambda x: x * np.exp(-x**2 / 2) / np.sqrt(2 * np.pi),
    Hint("the density φ = Φ' has the wrong constant in front: the chain rule's factor from erf's argument x/√2 "
         "was lost (φ must integrate to 1)", fix="φ(x) = e^(−x²/2)/√(2π), not /√π"):
        lambda x: normal_cdf(x) + x * np.exp(-x**2 / 2) / np.sqrt(np.pi),
}
GELU_TANH_IGNORED = Hint('approximate="tanh" asks for the tanh formula, not the exact erf one: the argument was ignored',
                         fix='branch on it: if approximate == "tanh", replace Φ(x) by ½(1 + tanh u)')


def check_gelu_tanh(seed, shape):
    """gelu and gelu_derivative with approximate="tanh", against mlp_ref's GELU("tanh")."""
    exact = GELU()
    compare('gelu(x, "tanh")', lambda x: gelu(x, "tanh"), GELU("tanh"), "forward", seed, shape, (),
            {GELU_TANH_IGNORED: exact.function})
    compare('gelu_derivative(x, "tanh")', lambda x: gelu_derivative(x, "tanh"), GELU("tanh"), "derivative",
            seed, shape, (), {GELU_TANH_IGNORED: exact.derivative, GELU_TANH_NO_CHAIN: gelu_tanh_without_chain})


GELU_TANH_NO_CHAIN = Hint("tanh is differentiated with respect to u, but u depends on x: the chain rule's factor "
                          "du/dx is missing from the second term",
                          fix="multiply ½·x·(1 − tanh²u) by du/dx = √(2/π)·(1 + 3·0.044715·x²)")


def gelu_tanh_without_chain(x):
    """The tanh-GELU's derivative without the chain factor du/dx."""
    t = np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t**2)
