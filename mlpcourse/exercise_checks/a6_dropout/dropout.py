"""The checks of a6_dropout/dropout.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a6_dropout/dropout", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
from mlp_ref.dropout import Dropout as ReferenceDropout
from mlpcourse.checks import CheckFailed, Hint, call, check_array, check_equal


# ---- dropout
def random_case(seed, shape, p):
    """An input, an upstream gradient and a keep-mask (about 1 − p of it True), all of the given shape."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape), rng.standard_normal(shape), rng.random(shape) >= p


def student_layer(p, seed=0):
    return Dropout(p, generator=np.random.default_rng(seed))


def run(layer, method, *args, case, **kwargs):
    """layer.<method>(*args, **kwargs) through checks.call: an error in it fails with a message naming
    Dropout.<method> and the case."""
    bound = getattr(layer, method)

    def named(*args, **kwargs):
        return bound(*args, **kwargs)
    named.__name__ = f"Dropout.{method}"
    return call(named, *args, case=case, **kwargs)


PARENTHESES_HINT = Hint("operator precedence: / binds before −, so the kept units were divided by 1 and p was "
                        "subtracted from every unit", fix="parentheses: x·mask / (1 − p); x·mask / 1 − p subtracts p")
KEEP_MASK = "the mask is True where a unit is KEPT"
DROP_PROBABILITY = "p is the DROP probability"


def mistaken_outputs(values, kept, p, scale):
    """What a classic scaling mistake makes of `values` (x forward, ∂L/∂y backward) with the keep-mask `kept`."""
    return {Hint("the kept units were not rescaled: inverted dropout keeps each unit's expected output equal to its "
                 "input", fix="the kept units must be divided by 1 − p (inverted dropout), or E[output] is (1 − p)·x, "
                              "not x"): values * kept,
            Hint(f"the kept units were divided by the drop probability: {DROP_PROBABILITY} (as in PyTorch), and the "
                 "rescaling makes up for the units that are kept", fix="divide by the KEEP probability 1 − p, not by p"):
                values * kept / p,
            Hint("the kept units were made smaller: inverted dropout rescales them the other way, so that their "
                 "expected value is the input", fix="divide the kept units by 1 − p, not multiply them by it"):
                values * kept * (1 - p),
            Hint(f"the kept and the dropped units are swapped: {KEEP_MASK}",
                 fix="multiply by the mask, not by its negation"): values * ~kept * scale,
            PARENTHESES_HINT: values * kept - p}


def check_forward_training(seed, shape, p, case):
    x, _, mask = random_case(seed, shape, p)
    expected = ReferenceDropout(p).forward(x, mask=mask)
    got = run(student_layer(p), "forward", x.copy(), mask=mask.copy(), case=case)
    check_array(got, expected, function="Dropout.forward (training)", case=case,
                mistakes=mistaken_outputs(x, mask, p, 1 / (1 - p)))


def check_forward_eval(seed, shape, p, case, pass_mask=True, after_training=False):
    x, _, mask = random_case(seed, shape, p)
    reference = ReferenceDropout(p)
    reference.eval()
    layer = student_layer(p)
    if after_training:
        run(layer, "forward", x.copy(), case=case)
    run(layer, "eval", case=case)
    got = run(layer, "forward", x.copy(), mask=mask.copy() if pass_mask else None, case=case)
    got_array = np.asarray(got) if got is not None else None
    kept = got_array != 0 if got_array is not None and got_array.shape == x.shape else mask
    check_array(got, reference.forward(x), function="Dropout.forward (evaluation)", case=case,
                mistakes={Hint("in evaluation mode dropout is the identity: no unit is dropped",
                               fix="apply no mask in evaluation mode (check self.training)"): x * kept / (1 - p),
                          Hint("inverted dropout scales in training, so nothing is scaled in evaluation (scaling by "
                               "1 − p at test time belongs to the original, not inverted, recipe)",
                               fix="return x as it is in evaluation mode"): x * (1 - p)})


def check_backward(seed, shape, p, case, evaluate=False):
    """Forward with a drawn mask, forward again with a given mask (then, if `evaluate`, once more in eval mode),
    then backward: it must use the mask of the last forward call (none in eval mode)."""
    x, grad_output, mask = random_case(seed, shape, p)
    layer = student_layer(p)
    earlier_kept = np.asarray(run(layer, "forward", np.abs(x) + 1.0, case=case)) != 0  # inputs ≥ 1: zeros = dropped
    run(layer, "forward", x.copy(), mask=mask.copy(), case=case)
    reference = ReferenceDropout(p)
    reference.forward(x, mask=mask)
    if evaluate:
        run(layer, "eval", case=case)
        reference.eval()
        run(layer, "forward", x.copy(), case=case)
        reference.forward(x)
    got = run(layer, "backward", grad_output.copy(), case=case)
    scale = 1 / (1 - p)
    mistakes = {Hint("backward used the training mask after a forward call in evaluation mode, where the layer is "
                     "the identity and so is its derivative", fix="in evaluation mode backward is the identity too: "
                     "pass grad_output through without the training mask"):
                grad_output * mask * scale if evaluate else None,
                Hint("backward used the mask of an earlier forward call: it differentiates the last one",
                     fix="keep the mask you used (given or drawn) in self.mask, and use that in backward"):
                grad_output * earlier_kept * scale if earlier_kept.shape == grad_output.shape else None,
                Hint("you returned the layer's local derivative alone: the chain rule multiplies it by the upstream "
                     "gradient", fix="multiply grad_output by the mask / (1 − p)"): mask * scale,
                Hint("backward scaled by 1 / (1 − p) twice",
                     fix="if self.mask already holds mask / (1 − p), do not scale again"):
                grad_output * mask * scale ** 2}
    got_array = np.asarray(got) if got is not None else None
    if got_array is not None and got_array.shape == grad_output.shape and not evaluate:
        own_kept = got_array != 0
        if not np.array_equal(own_kept, mask) and not np.array_equal(own_kept, earlier_kept):
            mistakes[Hint("backward drew a mask of its own: the gradient flows only through the units forward kept",
                          fix="use the mask of the forward pass (self.mask) in backward, not a new one")] = \
                grad_output * own_kept * scale
    mistakes.update(mistaken_outputs(grad_output, mask, p, scale) if not evaluate else {})
    check_array(got, reference.backward(grad_output), function="Dropout.backward" + (" (evaluation)" if evaluate else ""),
                case=case, mistakes=mistakes)


# ---- edge-cases
def check_ends(seed, shape, p, case):
    """p = 0 keeps every unit, p = 1 drops every unit: forward and backward, with masks drawn by the layer."""
    x, grad_output, _ = random_case(seed, shape, 0.5)
    reference = ReferenceDropout(p, generator=np.random.default_rng(seed))
    layer = student_layer(p, seed)
    try:
        with np.errstate(divide="raise", invalid="raise"):
            got = run(layer, "forward", x.copy(), case=f"p={p}, {case}")
            got_grad = run(layer, "backward", grad_output.copy(), case=f"p={p}, {case}")
    except CheckFailed as failure:
        error = failure.__cause__
        if not isinstance(error, (ZeroDivisionError, FloatingPointError)):
            raise
        hint = (Hint("with p = 1 every unit is dropped, and the scale 1 / (1 − p) is a division by zero",
                     fix="return zeros without computing 1 / (1 − p)") if p == 1 else
                Hint("with p = 0 the kept units are scaled by 1 / (1 − 0) = 1: your code divided by p",
                     fix="divide by the keep probability 1 − p, not by p"))
        raise CheckFailed(failure.full_message, hint=hint) from error  # checks.call's message: the error, your line
    check_array(got, reference.forward(x), function=f"Dropout.forward with p={p}", case=case,
                mistakes={Hint(f"with p = 0 every unit is kept and the output is x: {DROP_PROBABILITY}, and "
                               f"{KEEP_MASK}", fix="keep a unit where its random number is >= p"):
                              np.zeros_like(x) if p == 0 else None,
                          Hint(f"{DROP_PROBABILITY}: with p = 1 every unit is dropped",
                               fix="keep a unit where its random number is >= p, so that p = 1 keeps none"):
                              x if p == 1 else None,
                          PARENTHESES_HINT: np.full_like(x, -1.0) if p == 1 else None})  # x·0 / 1 − 1
    check_array(got_grad, reference.backward(grad_output), function=f"Dropout.backward with p={p}", case=case)


# ---- random
SIGMAS = 5  # a correct layer lands beyond 5 standard deviations with probability 5.7e-7 (two-sided normal tail)


def positive_input(seed, shape):
    """Inputs in [0.5, 1.5): never 0, so the zeros of the output are exactly the dropped units."""
    return np.random.default_rng(seed).uniform(0.5, 1.5, shape)


def check_drawn_values(p, seed, shape, case):
    """Every output is 0 or x / (1 − p), and backward uses the mask forward drew."""
    x = positive_input(seed, shape)
    layer = student_layer(p, seed + 1)  # a generator apart from the data's, so that the mask is independent of x
    y = np.asarray(run(layer, "forward", x.copy(), case=case))
    check_equal(y.shape, x.shape, function="Dropout.forward (drawn mask): the output's shape", case=case,
                hint=Hint("every element is dropped or kept on its own: one random number per element",
                          fix="draw the numbers with self.generator.random(x.shape)"))
    kept = y != 0
    mistakes = mistaken_outputs(x, kept, p, 1 / (1 - p))
    mistakes[PARENTHESES_HINT] = x * (y != -p) - p  # x·mask / 1 − p: its dropped units are exactly −p, not 0
    check_array(y, x * kept / (1 - p), function="Dropout.forward (drawn mask): the kept units should be x / (1 − p)",
                case=case, mistakes=mistakes)
    grad_output = np.random.default_rng(seed + 2).standard_normal(shape)
    grad_input = np.asarray(run(layer, "backward", grad_output, case=case))
    if grad_input.shape == shape and np.array_equal(grad_input != 0, ~kept):
        raise CheckFailed(f"Dropout.backward after a drawn mask ({case}): the gradient is zero exactly where forward kept "
                          "units.", hint=Hint(f"forward or backward uses the negation of the mask: {KEEP_MASK}",
                                              fix="multiply by the mask itself in both, not by ~mask"))
    if grad_input.shape != shape or not np.array_equal(grad_input != 0, kept):
        raise CheckFailed(f"Dropout.backward after a drawn mask ({case}): the gradient is not zero exactly where forward "
                          "dropped units.", hint=Hint("backward did not follow forward's mask: the gradient flows only "
                                                      "through the units forward kept",
                                                      fix="use the mask of the forward pass: keep the mask you drew in "
                                                          "self.mask"))
    return x, y


def check_keep_rate(p, seed, shape, case):
    _, y = check_drawn_values(p, seed, shape, case)
    n, rate = y.size, np.mean(y != 0)
    bound = SIGMAS * np.sqrt(p * (1 - p) / n)
    if abs(rate - (1 - p)) > bound:
        hint = (Hint(f"{DROP_PROBABILITY}: you kept units with probability p, not 1 − p",
                     fix="keep a unit where its random number is >= p") if abs(rate - p) <= bound else
                Hint("each unit must be kept with probability 1 − p",
                     fix="compare uniform numbers in [0, 1), self.generator.random(x.shape), with p: keep where >= p"))
        raise CheckFailed(f"Dropout.forward (drawn mask, {case}): kept {rate:.4f} of {n} units, expected 1 − p = "
                          f"{1 - p:.4f} ± {bound:.4f} ({SIGMAS} standard deviations)", hint=hint)


def check_mean(p, seed, shape, case):
    """The sum of y − x over all elements, in units of its standard deviation, is within ±SIGMAS."""
    x, y = check_drawn_values(p, seed, shape, case)
    z = np.sum(y - x) / np.sqrt(np.sum(x ** 2) * p / (1 - p))
    if abs(z) > SIGMAS:
        raise CheckFailed(f"Dropout.forward (drawn mask, {case}): the outputs average to x·{np.sum(y) / np.sum(x):.4f}, "
                          f"{z:.1f} standard deviations from x (allowed: {SIGMAS})",
                          hint=Hint("the probability of keeping a unit and the scale of the kept ones do not make up "
                                    "for each other, so E[output] is not x", fix="keep units with probability 1 − p "
                                                                                 "and scale them by 1 / (1 − p)"))


def check_fresh_draws(p, seed, shape, case):
    """Each element and each call gets its own draw; equal seeds give equal masks."""
    check_drawn_values(p, seed, shape, case)  # outputs of 0 or x / (1 − p) first: the zeros below show the mask
    x = positive_input(seed, shape)
    layer = student_layer(p, seed + 1)
    first, second = (np.asarray(run(layer, "forward", x.copy(), case=case)) != 0 for _ in range(2))
    if np.array_equal(first, second):
        raise CheckFailed(f"Dropout.forward (drawn mask, {case}): two calls dropped the same units.",
                          hint=Hint("the mask was drawn once and used again, or from a generator seeded anew",
                                    fix="draw a new mask at every forward call, from self.generator"))
    if shape[0] > 1 and (first == first[:1]).all():
        raise CheckFailed(f"Dropout.forward (drawn mask, {case}): every sample of the batch got the same mask.",
                          hint=Hint("every element is dropped on its own, not each feature for the whole batch",
                                    fix="draw one number per element, self.generator.random(x.shape), not one mask "
                                        "per feature"))
    if (first == first[..., :1]).all():
        raise CheckFailed(f"Dropout.forward (drawn mask, {case}): each sample was kept or dropped as a whole.",
                          hint=Hint("every element is dropped on its own, not each sample as a whole",
                                    fix="draw one number per element, self.generator.random(x.shape), not one per "
                                        "sample"))
    again = np.asarray(run(student_layer(p, seed + 1), "forward", x.copy(), case=case)) != 0
    if not np.array_equal(first, again):
        raise CheckFailed(f"Dropout.forward (drawn mask, {case}): two layers whose generators have the same seed dropped "
                          "different units.", hint=Hint("the mask does not come from self.generator alone, so a run "
                                                        "cannot be repeated", fix="draw from self.generator, not from "
                                                                                  "np.random or a new generator"))
