"""The checks of a2_activations/activations.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a2_activations/activations", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
from mlp_ref.activation import ELU, GELU, PReLU, ReLU, ReLU6, SELU, LeakyReLU, Sigmoid, Softplus, Tanh
from mlpcourse.checks import CheckFailed, Hint, check_array

MISTAKES = {}  # {function name: {hint: f}}, f(x) being what a classic mistake returns; filled in section by section


def check_activation(name, student, module, part, seed, shape, kinks=(), mistakes=None):
    """Compare student(x) with the module's function(x) (part="forward") or derivative(x) (part="derivative"),
    for x of the given shape drawn at random (over about ±10) with its first entries set to `kinks`.

    mistakes: {hint: f} where f(x) is what a classic mistake returns (default: MISTAKES[name]).
    """
    x = 3 * np.random.default_rng(seed).standard_normal(shape)
    x.flat[:len(kinks)] = kinks
    case = f"shape {shape}" + (", including x = " + ", ".join(f"{k:g}" for k in kinks) if len(kinks) else "")
    expected = module.function(x) if part == "forward" else module.derivative(x)
    with np.errstate(all="ignore"):  # a mistaken formula may overflow: that is for the student's answer to show
        wrong = {hint: f(x) for hint, f in (mistakes or MISTAKES.get(name, {})).items()}
    check_array(student(x), expected, function=name, case=case, mistakes=wrong)


def sigmoid_by_numpy(x):
    return Sigmoid().function(x)


# ---- sigmoid
ZERO = np.array([0.0])  # where σ'(0) = 1/4 and tanh'(0) = 1
MISTAKES["sigmoid"] = {"σ(x) = 1 / (1 + e^(−x)): mind the minus sign in the exponent": lambda x: 1 / (1 + np.exp(x))}
MISTAKES["sigmoid_derivative"] = {
    "σ' was taken of the output: σ'(x) = σ(x)(1 − σ(x)) uses σ of the input x once, not σ(σ(x))":
        lambda x: sigmoid_by_numpy(sigmoid_by_numpy(x)) * (1 - sigmoid_by_numpy(sigmoid_by_numpy(x))),
    "x(1 − x) is σ' in terms of the output y = σ(x); here x is the input: compute s = σ(x), then s(1 − s)":
        lambda x: x * (1 - x),
    "that is σ(x) itself; its derivative is σ(x)(1 − σ(x))": sigmoid_by_numpy,
}


# ---- large-inputs
def check_without_overflow(name, student, module, x, case, hint):
    """student(x) must equal module.function(x) with no overflow, invalid value or division by zero on the way."""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            got = student(x)
        except FloatingPointError as error:
            raise CheckFailed(f"{name} ({case}): NumPy reports '{error}'\n  hint: {hint}") from None
    check_array(got, module.function(x), function=name, case=case)


# ---- tanh
MISTAKES["tanh"] = {"tanh(x) = 2σ(2x) − 1: the argument of σ is doubled too": lambda x: 2 * sigmoid_by_numpy(x) - 1,
                    "tanh(x) = 2σ(2x) − 1, not σ(2x)": lambda x: sigmoid_by_numpy(2 * x)}
MISTAKES["tanh_derivative"] = {
    "1 − x² is tanh' in terms of the output y = tanh(x); here x is the input: use 1 − tanh²(x)":
        lambda x: 1 - x**2,
    "tanh' was taken of the output: 1 − tanh²(x) uses tanh of the input x once, not tanh(tanh(x))":
        lambda x: 1 - np.tanh(np.tanh(x)) ** 2,
    "tanh'(x) = 1 − tanh(x)², squared": lambda x: 1 - np.tanh(x),
}


# ---- relu
MISTAKES["relu"] = {"ReLU keeps positive inputs and zeroes negative ones, not the other way round":
                        lambda x: np.minimum(x, 0)}
MISTAKES["relu_derivative"] = {
    "ReLU's derivative is the step 1[x > 0], not sgn(x): it is 0, not −1, for negative inputs": np.sign,
    "at the kink x = 0 take ReLU's derivative as 0, as PyTorch does: use x > 0, not x >= 0":
        lambda x: (x >= 0).astype(x.dtype),
    "that is ReLU itself; its derivative is the step 1[x > 0]": lambda x: np.maximum(x, 0),
}


# ---- leaky-relu
IGNORED_SLOPE = Hint("the negative_slope argument was ignored: this is the default slope 0.01",
                     fix="use the negative_slope passed in")


def check_leaky_relu(seed, shape, slope, part, kinks=()):
    if part == "forward":
        check_activation(f"leaky_relu(x, {slope})", lambda x: leaky_relu(x, slope), LeakyReLU(slope), part,
                         seed, shape, kinks,
                         mistakes={"np.maximum(x, a·x) is LeakyReLU only for a <= 1: use np.where(x > 0, x, a·x)":
                                       lambda x: np.maximum(x, slope * x),
                                   "the slope a applies to the negative side: x for x > 0, a·x otherwise":
                                       lambda x: np.where(x > 0, slope * x, x),
                                   IGNORED_SLOPE: lambda x: np.where(x > 0, x, 0.01 * x) if slope != 0.01 else None})
    else:
        check_activation(f"leaky_relu_derivative(x, {slope})", lambda x: leaky_relu_derivative(x, slope),
                         LeakyReLU(slope), part, seed, shape, kinks,
                         mistakes={"at x = 0 PyTorch takes the slope of the negative side, a: use x > 0, not x >= 0":
                                       lambda x: np.where(x >= 0, 1.0, slope),
                                   "the derivative is 1 for x > 0 and a (not 0) for x <= 0":
                                       lambda x: (x > 0).astype(x.dtype),
                                   IGNORED_SLOPE: lambda x: np.where(x > 0, 1.0, 0.01) if slope != 0.01 else None,
                                   Hint("the two slopes are on the wrong sides of the kink: the slope is 1 where "
                                        "x > 0 (there y = x) and a where x <= 0",
                                        fix="np.where(x > 0, 1.0, a)"):
                                       lambda x: np.where(x > 0, slope, 1.0)})


# ---- relu6
MISTAKES["relu6"] = {
    "ReLU6 is a ReLU first: negative inputs become 0, then the result is capped at 6": lambda x: np.minimum(x, 6),
}
MISTAKES["relu6_derivative"] = {
    "at both kinks, x = 0 and x = 6, take the derivative as 0 (PyTorch): use 0 < x < 6":
        lambda x: ((x >= 0) & (x <= 6)).astype(x.dtype),
    "above 6 ReLU6 is constant, so its derivative is 0 there too": lambda x: (x > 0).astype(x.dtype),
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
        check_array(prelu(x, weight), expected, function="prelu", case=case,
                    mistakes={"the slope multiplies the negative inputs; positive inputs pass unchanged":
                                  np.where(x > 0, weight * x, x)})
        return
    grad_x, grad_weight = prelu_backward(g, x, weight)
    if part == "input":
        check_array(grad_x, grad_x_expected, function="prelu_backward: grad_x", case=case,
                    mistakes={"for x <= 0 the derivative is the slope a, not 0 (that would be ReLU's)": g * (x > 0),
                              "at x = 0 PyTorch takes the negative side's slope a: use x > 0, not x >= 0":
                                  g * np.where(x >= 0, 1.0, weight),
                              "multiply the derivative by grad_output (the chain rule)":
                                  np.where(x > 0, 1.0, weight) * np.ones_like(x)})
        return
    per_entry = np.where(x > 0, 0.0, g * x)
    mistakes = {"each slope is used by many entries: sum G·x over all of them (the gradient has weight's shape)":
                    per_entry,
                "∂y/∂a is x where x <= 0 and 0 where x > 0: leave out the positive inputs":
                    np.array([(g * x).sum()]) if n_slopes == 1 else (g * x).sum(axis=0),
                "∂y/∂a = x on the negative side: multiply G by x": np.array([(g * (x <= 0)).sum()])
                    if n_slopes == 1 else (g * (x <= 0)).sum(axis=0),
                "a single slope is shared by every entry: sum over the whole array, into shape (1,)":
                    per_entry.sum(axis=0) if n_slopes == 1 else None,
                "one slope per feature: sum over the batch (axis 0) only, into shape (C,)":
                    np.array([per_entry.sum()]) if n_slopes > 1 else None,
                "grad_weight must have weight's shape (1,): e.g. np.array([total])":
                    per_entry.sum() if n_slopes == 1 else None}
    check_array(grad_weight, grad_weight_expected, function="prelu_backward: grad_weight", case=case,
                mistakes={hint: wrong for hint, wrong in mistakes.items() if wrong is not None})


# ---- elu
ELU_MISTAKES = {  # {hint: f(x, α)}, what a classic mistake in ELU returns
    "ELU is α(eˣ − 1) for x <= 0: α multiplies the −1 too": lambda x, alpha: np.where(x > 0, x, alpha * np.exp(x) - 1),
    Hint("ELU is α(eˣ − 1) for x <= 0: the − 1 is missing (it makes ELU continuous at 0)",
         fix="alpha * (np.exp(x) - 1), or alpha * np.expm1(x)"): lambda x, alpha: np.where(x > 0, x, alpha * np.exp(x)),
    "multiply the negative side by α: α(eˣ − 1)": lambda x, alpha: np.where(x > 0, x, np.expm1(x)),
}
ELU_DERIVATIVE_MISTAKES = {  # {hint: f(x, α)}, what a classic mistake in ELU's derivative returns
    "for x <= 0 the derivative of α(eˣ − 1) is α·eˣ: keep the α": lambda x, alpha: np.where(x > 0, 1.0, np.exp(x)),
    "at x = 0 PyTorch takes the left-hand derivative α: use x > 0, not x >= 0":
        lambda x, alpha: np.where(x >= 0, 1.0, alpha * np.exp(x)),
    Hint("for x <= 0 the derivative α·eˣ equals ELU(x) + α: the constant + α was dropped", fix="α·eˣ, or ELU(x) + α"):
        lambda x, alpha: np.where(x > 0, 1.0, alpha * np.expm1(np.minimum(x, 0))),
    Hint("the two branches are on the wrong sides of the kink: 1 where x > 0, α·eˣ where x <= 0",
         fix="np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0)))"):
        lambda x, alpha: np.where(x > 0, alpha * np.exp(np.minimum(x, 0)), 1.0),
}


def with_alpha(mistakes, alpha, scale=1.0):
    """{hint: f(x)} from {hint: f(x, α)}, scaled by `scale` (SELU is λ·ELU_α)."""
    return {hint: (lambda x, f=f: scale * f(x, alpha)) for hint, f in mistakes.items()}


def check_elu(seed, shape, alpha, part, kinks=()):
    if part == "forward":
        check_activation(f"elu(x, {alpha})", lambda x: elu(x, alpha), ELU(alpha), part, seed, shape, kinks,
                         mistakes=with_alpha(ELU_MISTAKES, alpha))
    else:
        check_activation(f"elu_derivative(x, {alpha})", lambda x: elu_derivative(x, alpha), ELU(alpha), part,
                         seed, shape, kinks, mistakes=with_alpha(ELU_DERIVATIVE_MISTAKES, alpha))


# ---- selu
MISTAKES["selu"] = {  # SELU is λ·ELU_α: ELU's own mistakes (made in elu or in selu) come last
    "the scale λ multiplies both sides of SELU, the positive one too":
        lambda x: np.where(x > 0, x, SELU.SCALE * SELU.ALPHA * np.expm1(np.minimum(x, 0))),
    "SELU uses ELU with α = SELU_ALPHA, not the default α = 1":
        lambda x: SELU.SCALE * np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    **with_alpha(ELU_MISTAKES, SELU.ALPHA, SELU.SCALE),
}
MISTAKES["selu_derivative"] = {
    "the scale λ multiplies both sides of SELU's derivative: λ for x > 0, not 1":
        lambda x: np.where(x > 0, 1.0, SELU.SCALE * SELU.ALPHA * np.exp(np.minimum(x, 0))),
    "for x <= 0 the derivative is λ·α·eˣ: keep the α":
        lambda x: SELU.SCALE * np.where(x > 0, 1.0, np.exp(np.minimum(x, 0))),
    "at x = 0 PyTorch takes the left-hand derivative λα: use x > 0, not x >= 0":
        lambda x: SELU.SCALE * np.where(x >= 0, 1.0, SELU.ALPHA * np.exp(np.minimum(x, 0))),
    **with_alpha(ELU_DERIVATIVE_MISTAKES, SELU.ALPHA, SELU.SCALE),
}


# ---- softplus
def softplus_without_threshold(x, beta):
    return (np.maximum(beta * x, 0) + np.log1p(np.exp(-np.abs(beta * x)))) / beta


def check_softplus(seed, shape, beta, threshold, part, kinks=()):
    module = Softplus(beta, threshold)
    if part == "forward":
        check_activation(f"softplus(x, {beta}, {threshold})", lambda x: softplus(x, beta, threshold), module, part,
                         seed, shape, kinks,
                         mistakes={"for βx > threshold PyTorch returns x itself":
                                       lambda x: softplus_without_threshold(x, beta),
                                   "divide by β: softplus(x) = (1/β) log(1 + e^(βx))":
                                       lambda x: np.where(beta * x > threshold, x,
                                                          beta * softplus_without_threshold(x, beta)),
                                   Hint("β was ignored: this is softplus with β = 1", fix="(1/β)·log(1 + e^(βx)), and "
                                        "the threshold applies to βx"):
                                       lambda x: np.where(x > threshold, x, softplus_without_threshold(x, 1.0))
                                       if beta != 1 else None})
    else:
        check_activation(f"softplus_derivative(x, {beta}, {threshold})",
                         lambda x: softplus_derivative(x, beta, threshold), module, part, seed, shape, kinks,
                         mistakes={"the derivative is σ(βx): the β stays inside the sigmoid":
                                       lambda x: np.where(beta * x > threshold, 1.0, sigmoid_by_numpy(x)),
                                   "the chain rule's β cancels the 1/β in front: σ(βx), not β·σ(βx)":
                                       lambda x: np.where(beta * x > threshold, 1.0, beta * sigmoid_by_numpy(beta * x)),
                                   "for βx > threshold the function is x itself, so its derivative is 1":
                                       lambda x: sigmoid_by_numpy(beta * x)})


# ---- gelu
GELU_APPROXIMATED = Hint('the tanh formula is an approximation of GELU; with approximate="none" the exact x·Φ(x) is '
                         'asked for', fix="Φ(x) = ½(1 + erf(x/√2)) with scipy's erf; the tanh formula only when approximate == \"tanh\"")


def normal_cdf(x):
    return 0.5 * (1 + erf(x / np.sqrt(2)))


MISTAKES["gelu"] = {
    "Φ(x) = ½(1 + erf(x/√2)): divide by √2 inside erf": lambda x: 0.5 * x * (1 + erf(x)),
    "GELU(x) = x·Φ(x), with Φ(x) = ½(1 + erf(x/√2)): keep the ½": lambda x: x * (1 + erf(x / np.sqrt(2))),
    GELU_APPROXIMATED: lambda x: GELU("tanh").function(x),
    Hint("x·σ(1.702x) is an approximation of GELU; the exact GELU is x·Φ(x)", fix=GELU_APPROXIMATED.fix):
        lambda x: x * sigmoid_by_numpy(1.702 * x),
}
MISTAKES["gelu_derivative"] = {
    GELU_APPROXIMATED: lambda x: GELU("tanh").derivative(x),
    "GELU is a product, x·Φ(x): by the product rule its derivative is Φ(x) + x·φ(x), not Φ(x) alone": normal_cdf,
    "φ(x) = e^(−x²/2)/√(2π): the exponent is −x²/2":
        lambda x: normal_cdf(x) + x * np.exp(-x**2) / np.sqrt(2 * np.pi),
}


def check_gelu_tanh(seed, shape):
    """gelu and gelu_derivative with approximate="tanh", against mlp_ref's GELU("tanh")."""
    exact, hint = GELU(), 'approximate="tanh" asks for the tanh formula, not the exact erf one'
    check_activation('gelu(x, "tanh")', lambda x: gelu(x, "tanh"), GELU("tanh"), "forward", seed, shape,
                     mistakes={hint: exact.function})
    check_activation('gelu_derivative(x, "tanh")', lambda x: gelu_derivative(x, "tanh"), GELU("tanh"), "derivative",
                     seed, shape, mistakes={hint: exact.derivative})
