"""The checks of a3_backprop/two_layer_sigmoid.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a3_backprop/two_layer_sigmoid", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
from mlp_ref.activation import Sigmoid
from mlp_ref.linear import Linear
from mlp_ref.loss import BCELoss
from mlpcourse.checks import call, check_building_on, CheckFailed, check_array, check_finite, Hint

# `sigmoid(z)` is σ(z) = 1 / (1 + e^(−z)) computed without overflow for any |z|: use it in your answers.


class ReferenceNetwork:
    """mlp_ref's Linear → Sigmoid → Linear → Sigmoid with the given parameters, and the loss above.

    Keeps every intermediate of the forward pass and, from mlp_ref's backward pass, the residuals
    δ = N · ∂L/∂z (per example) and the gradients of the four parameters.
    """

    def __init__(self, x, y, W1, b1, W2, b2):
        n = len(x)
        self.layer1, self.layer2 = Linear(W1.shape[1], W1.shape[0]), Linear(W2.shape[1], W2.shape[0])
        for layer, W, b in ((self.layer1, W1, b1), (self.layer2, W2, b2)):
            layer.weight.data, layer.bias.data = W.copy(), b.copy()
        sigmoid1, sigmoid2, criterion = Sigmoid(), Sigmoid(), BCELoss(reduction="sum")
        self.z1 = self.layer1(x)
        self.a1 = sigmoid1(self.z1)
        self.z2 = self.layer2(self.a1)
        self.a2 = sigmoid2(self.z2)
        criterion(self.a2, y)
        grad_z2 = sigmoid2.backward(criterion.backward(1 / n))  # the mean over examples: 1/N times the sum
        grad_z1 = sigmoid1.backward(self.layer2.backward(grad_z2))
        self.layer1.backward(grad_z1)
        self.delta2, self.delta1 = n * grad_z2, n * grad_z1
        self.grads = (self.layer1.weight.grad, self.layer1.bias.grad, self.layer2.weight.grad, self.layer2.bias.grad)


def network_case(seed, n, d, h, k, scale=1.0):
    """x (n, d), targets y (n, k) of 0/1, and parameters W1 (h, d), b1, W2 (k, h), b2 of size about `scale`."""
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((n, d)), rng.integers(0, 2, (n, k)).astype(np.float64)
    W1, b1 = scale * rng.standard_normal((h, d)), scale * rng.standard_normal(h)
    W2, b2 = scale * rng.standard_normal((k, h)), scale * rng.standard_normal(k)
    return x, y, W1, b1, W2, b2


def describe(n, d, h, k, scale=1.0):
    return f"N={n}, D={d}, H={h}, K={k}" + (f", weights of size about {scale:g}" if scale != 1 else "")


def call_for_results(count, function, *args, case):
    """The student's function(*args), which must return a tuple of `count` results."""
    result = call(function, *args, case=case)
    if not isinstance(result, (tuple, list)) or len(result) != count:
        raise CheckFailed(f"{function.__name__} ({case}): return a tuple of {count} arrays, got "
                          f"{len(result) if isinstance(result, (tuple, list)) else type(result).__name__}")
    return result


def sigmoid_derivative_of_output(a):
    """σ'(a) = σ(a)(1 − σ(a)): the classic slip of passing the activation a = σ(z) where z was meant."""
    return sigmoid(a) * (1 - sigmoid(a))


A1_HINT = Hint("σ' is taken at the pre-activation z⁽¹⁾: passing the activation a⁽¹⁾ = σ(z⁽¹⁾) to sigmoid_derivative "
               "applies σ a second time", fix="sigmoid_derivative(z1), not sigmoid_derivative(a1)")


SIGMOID_NOT_DERIVATIVE_HINT = Hint("the residual passes back through the hidden sigmoid by the chain rule, which "
                                  "multiplies by the sigmoid's derivative at z⁽¹⁾: you multiplied by σ(z⁽¹⁾) itself",
                                  fix="multiply by sigmoid_derivative(z1), not sigmoid(z1): (δ⁽²⁾ W⁽²⁾) * σ'(z⁽¹⁾)")


OVERFLOW_HINT = Hint("an overflow? e^(−z) is inf for z = −1000, and inf / inf is nan: a formula of σ' with an "
                     "exponential of its own overflows where the sigmoid's output does not",
                     fix="write σ' in terms of s = sigmoid(z), computed once: it is stable for any z")


# ---- sigmoid-derivative
def check_sigmoid_derivative(seed, shape, scale=1.0, extremes=False):
    z = scale * np.random.default_rng(seed).standard_normal(shape)
    if z.size > 1:
        z.flat[0] = 0.0  # σ'(0) = 1/4
    if extremes:
        z.flat[-2:] = -1000.0, 1000.0  # a formula with e^(−z) overflows here
    s = sigmoid(z)
    case = f"z of shape {shape}" + (f" and size about {scale:g}" if scale != 1 else "") + (
        ", some z = ±1000" if extremes else "")
    got = call(sigmoid_derivative, z.copy(), case=case)
    check_finite(got, function="sigmoid_derivative", case=case, hint=OVERFLOW_HINT)
    check_array(got, Sigmoid().derivative(z), function="sigmoid_derivative", case=case, mistakes={
        Hint("the form of σ' written in the sigmoid's output applies to σ(z), not to the pre-activation z: you put z "
             "where σ(z) belongs", fix="compute s = sigmoid(z) first, then σ'(z) = s(1 − s)"): z * (1 - z),
        Hint("that is σ(z) itself, not its derivative", fix="σ'(z) = σ(z)(1 − σ(z))"): s,
        Hint("you mixed σ(z) and z in one formula: the form of σ' written in the sigmoid's output uses σ(z) alone",
             fix="σ'(z) = σ(z)(1 − σ(z)), not σ(z)(1 − z)"): s * (1 - z)})


# ---- forward
def check_forward(seed, n, d, h, k, scale=1.0):
    x, y, W1, b1, W2, b2 = network_case(seed, n, d, h, k, scale)
    ref, case = ReferenceNetwork(x, y, W1, b1, W2, b2), describe(n, d, h, k, scale)
    z1, a1, z2, a2 = call_for_results(4, two_layer_forward, x, W1, b1, W2, b2, case=case)
    check_array(z1, ref.z1, function="two_layer_forward: z1", case=case, mistakes={
        Hint("the bias b1 is missing from z1", fix="add the bias b1 to every row: z1 = x W1ᵀ + b1"): ref.z1 - b1})
    check_array(a1, ref.a1, function="two_layer_forward: a1", case=case)
    check_array(z2, ref.z2, function="two_layer_forward: z2", case=case, mistakes={
        Hint("the second layer's input is the hidden layer's activation, not its pre-activation",
             fix="z2 = a1 W2ᵀ + b2 with a1 = σ(z1), not z1"): z1 @ W2.T + b2,
        Hint("the bias b2 is missing from z2", fix="add the bias b2 to every row: z2 = a1 W2ᵀ + b2"): ref.z2 - b2})
    check_array(a2, ref.a2, function="two_layer_forward: a2", case=case, mistakes={
        Hint("a2 came out as z2: the output layer has a sigmoid too", fix="apply the sigmoid to the second layer "
             "too: a2 = σ(z2)"): ref.z2})


# ---- residuals
def check_output_residual(seed, n, d, h, k, scale=1.0):
    x, y, W1, b1, W2, b2 = network_case(seed, n, d, h, k, scale)
    ref = ReferenceNetwork(x, y, W1, b1, W2, b2)
    case = describe(n, d, h, k, scale)
    check_array(call(output_residual, ref.a2.copy(), y, case=case), ref.delta2, function="output_residual",
                case=case, mistakes={
        Hint("your residual has the opposite sign: the loss grows as a⁽²⁾ moves away from y, and δ⁽²⁾ = ∂ℓ/∂z⁽²⁾ "
             "must say so (mind the minus in front of the loss)", fix="check the sign: a⁽²⁾ − y, not y − a⁽²⁾"):
            -ref.delta2,
        Hint("with cross-entropy the factor σ'(z⁽²⁾) of the chain rule cancels against the denominator of ∂ℓ/∂a: "
             "your residual still has it", fix="drop the factor a⁽²⁾(1 − a⁽²⁾): δ⁽²⁾ = a⁽²⁾ − y"):
            ref.delta2 * ref.a2 * (1 - ref.a2),
        Hint("δ⁽²⁾ is the residual of ONE example: the 1/N of the mean comes in the gradients of W and b, not here",
             fix="do not divide by N: δ⁽²⁾ = a⁽²⁾ − y"): ref.delta2 / n})


def check_hidden_residual(seed, n, d, h, k, scale=1.0):
    check_building_on(lambda: check_hidden_residual_alone(seed, n, d, h, k, scale),
                      {"sigmoid_derivative": lambda: check_sigmoid_derivative(seed, (n, h))}, "hidden_residual",
                      namespace=globals())


def check_hidden_residual_alone(seed, n, d, h, k, scale):
    x, y, W1, b1, W2, b2 = network_case(seed, n, d, h, k, scale)
    ref = ReferenceNetwork(x, y, W1, b1, W2, b2)
    backward, case = ref.delta2 @ W2, describe(n, d, h, k, scale)
    check_array(call(hidden_residual, ref.delta2.copy(), W2, ref.z1.copy(), case=case), ref.delta1,
                function="hidden_residual", case=case, mistakes={
        Hint("the form of σ' written in the sigmoid's output applies to the activation a⁽¹⁾ = σ(z⁽¹⁾), not "
             "to the pre-activation z⁽¹⁾",
             fix="use sigmoid_derivative(z1)"): backward * ref.z1 * (1 - ref.z1),
        Hint("the residual passes back through the hidden layer's sigmoid too: its derivative is missing",
             fix="multiply by σ'(z⁽¹⁾): (δ⁽²⁾ W⁽²⁾) * sigmoid_derivative(z1)"): backward,
        A1_HINT: backward * sigmoid_derivative_of_output(ref.a1),
        SIGMOID_NOT_DERIVATIVE_HINT: backward * ref.a1,
        Hint("the lecture's W⁽²⁾ᵀ δ⁽²⁾ is for one example as a column; with the examples as rows the whole "
             "expression is transposed, and transposing a product reverses its order and undoes each transpose "
             "(it only ran because K = H here)", fix="δ⁽²⁾ W⁽²⁾, (N, K) @ (K, H): delta2 @ W2, not delta2 @ W2.T"):
            (ref.delta2 @ W2.T) * ref.a1 * (1 - ref.a1) if k == h else None})


# ---- gradients
def gradient_mistakes(grad_W, grad_b, delta, a_prev):
    """The wrong (grad_W, grad_b) that the classic mistakes give, as hints for each."""
    n = len(delta)
    return (
        {Hint("the loss L is the mean over the batch, so each example's contribution to ∂L/∂W carries a 1/N: yours "
              "is N times too large", fix="divide Δᵀ A by N"): n * grad_W,
         Hint("∂L/∂W came out transposed: it must have W's shape (out, in), and the order of the product decides it",
              fix="Δᵀ A, not Aᵀ Δ: delta.T @ a_prev"):
             (a_prev.T @ delta / n) if delta.shape[1] == a_prev.shape[1] else None},
        {Hint("the bias is shared by every example: its gradient collects all the examples' residuals, one entry "
              "per unit", fix="sum the residuals over the batch (axis 0) and divide by N"): delta / n,
         Hint("grad_b has an extra axis: it must have the bias's shape (out,)",
              fix="sum over axis 0 without keepdims=True"): grad_b[None, :],
         Hint("the loss L is the mean over the batch: your grad_b is N times too large",
              fix="divide the summed residuals by N"): n * grad_b,
         Hint("you summed over the units (axis 1): the bias has one entry per unit, and each collects every example",
              fix="sum the residuals over the batch (axis 0), not over the units (axis 1)"): delta.sum(axis=1) / n,
         Hint("you averaged over the units (axis 1): the bias has one entry per unit, and each collects every "
              "example", fix="average over the batch (axis 0), not over the units (axis 1): delta.sum(axis=0) / N"):
             delta.mean(axis=1),
         Hint("you summed over the units (axis 1), and without the 1/N of the mean: the bias has one entry per unit, "
              "and each collects every example", fix="sum the residuals over the batch (axis 0), not over the units "
                                                     "(axis 1), and divide by N"): delta.sum(axis=1)})


def check_layer_gradients(seed, n, d_in, d_out, part):
    rng = np.random.default_rng(seed)
    delta, a_prev = rng.standard_normal((n, d_out)), rng.standard_normal((n, d_in))
    layer = Linear(d_in, d_out)
    layer(a_prev)
    layer.backward(delta / n)  # δ is per example, ∂L/∂z = δ / N for the mean loss
    case = f"N={n}, in={d_in}, out={d_out}"
    grad_W, grad_b = call_for_results(2, layer_gradients, delta.copy(), a_prev.copy(), case=case)
    weight_mistakes, bias_mistakes = gradient_mistakes(layer.weight.grad, layer.bias.grad, delta, a_prev)
    if part == "W":
        check_array(grad_W, layer.weight.grad, function="layer_gradients: grad_W", case=case, mistakes=weight_mistakes)
    else:
        check_array(grad_b, layer.bias.grad, function="layer_gradients: grad_b", case=case, mistakes=bias_mistakes)


def check_two_layer_gradients(seed, n, d, h, k, layer, scale=1.0):
    """Check the gradients of one layer (1 or 2) and, if they are wrong, the functions they build on: the output
    layer's gradients (layer 2) come from a⁽¹⁾ and δ⁽²⁾ alone, so hidden_residual and sigmoid_derivative (which make
    δ⁽¹⁾) are not blamed for them."""
    pieces = {
        "two_layer_forward": lambda: check_forward(seed, n, d, h, k, scale),
        "sigmoid_derivative": lambda: check_sigmoid_derivative(seed, (n, h)),
        "output_residual": lambda: check_output_residual(seed, n, d, h, k, scale),
        "hidden_residual": lambda: check_hidden_residual(seed, n, d, h, k, scale),
        "layer_gradients": lambda: [check_layer_gradients(seed, n, d_in, d_out, part) for part in "Wb"
                                    for d_in, d_out in {1: [(d, h)], 2: [(h, k)]}[layer]]}
    if layer == 2:
        pieces = {name: pieces[name] for name in ("two_layer_forward", "output_residual", "layer_gradients")}
    check_building_on(lambda: check_layer_of_network(seed, n, d, h, k, layer, scale), pieces, "two_layer_gradients",
                      namespace=globals())


def check_layer_of_network(seed, n, d, h, k, layer, scale):
    x, y, W1, b1, W2, b2 = network_case(seed, n, d, h, k, scale)
    ref, case = ReferenceNetwork(x, y, W1, b1, W2, b2), describe(n, d, h, k, scale)
    grads = call_for_results(4, two_layer_gradients, x, y, W1, b1, W2, b2, case=case)
    inputs = {1: x, 2: ref.a1}[layer]
    delta = {1: ref.delta1, 2: ref.delta2}[layer]
    weight_mistakes, bias_mistakes = gradient_mistakes(*ref.grads[2 * layer - 2: 2 * layer], delta, inputs)
    if layer == 2:
        weight_mistakes[Hint("the second layer's input is the hidden activation, not the pre-activation z1",
                             fix="use a1 = σ(z1), not z1, as the input of the output layer")] = delta.T @ ref.z1 / n
    else:
        weight_mistakes[Hint("the first layer's gradient uses its own residual δ⁽¹⁾, which has passed back through "
                             "the hidden sigmoid", fix="multiply δ⁽²⁾ W⁽²⁾ by σ'(z⁽¹⁾)")] = \
            (ref.delta2 @ W2).T @ x / n
        delta1_of_a1 = (ref.delta2 @ W2) * sigmoid_derivative_of_output(ref.a1)
        weight_mistakes[A1_HINT], bias_mistakes[A1_HINT] = delta1_of_a1.T @ x / n, delta1_of_a1.sum(axis=0) / n
        delta1_of_sigmoid = (ref.delta2 @ W2) * ref.a1
        weight_mistakes[SIGMOID_NOT_DERIVATIVE_HINT] = delta1_of_sigmoid.T @ x / n
        bias_mistakes[SIGMOID_NOT_DERIVATIVE_HINT] = delta1_of_sigmoid.sum(axis=0) / n
    for name, got, expected, mistakes in ((f"grad_W{layer}", grads[2 * layer - 2], ref.grads[2 * layer - 2], weight_mistakes),
                                          (f"grad_b{layer}", grads[2 * layer - 1], ref.grads[2 * layer - 1], bias_mistakes)):
        check_array(got, expected, function=f"two_layer_gradients: {name}", case=case, mistakes=mistakes)
