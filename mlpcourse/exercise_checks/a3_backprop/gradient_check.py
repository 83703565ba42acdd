"""The checks of a3_backprop/gradient_check.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a3_backprop/gradient_check", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
from mlp_ref.gradcheck import relative_error as reference_relative_error
from mlpcourse.checks import call, check_building_on, CheckFailed, check_array, check_equal, check_scalar, Hint


# ---- numerical-gradient
class Cubic:
    """f(x) = Σ (c x³ + d x²), a test function whose centred difference is known exactly.

    A cubic has f''' = 6c and no higher derivatives, so by Taylor's formula, exactly,
      centred difference  = f'(x) + h² c             with f'(x) = 3c x² + 2d x,
      one-sided (forward) = f'(x) + h (3c x + d) + h² c.
    The only other error is rounding, about 1e-16 |f| / h: below 1e-11 for the sizes used here.
    """

    def __init__(self, seed, shape):
        rng = np.random.default_rng(seed)
        self.c, self.d, self.x = rng.standard_normal(shape), rng.standard_normal(shape), rng.standard_normal(shape)

    def __call__(self, x):
        return float(np.sum(self.c * x**3 + self.d * x**2))

    def centred(self, eps):
        return 3 * self.c * self.x**2 + 2 * self.d * self.x + eps**2 * self.c

    def forward_difference(self, eps):
        return self.centred(eps) + eps * (3 * self.c * self.x + self.d)


class Recording:
    """f, keeping a copy of every point it is evaluated at."""

    def __init__(self, f):
        self.f, self.points = f, []

    def __call__(self, x):
        self.points.append(np.array(x, dtype=np.float64))
        return self.f(x)

    def check_each_entry_was_nudged(self, x, eps, case):
        """Fail unless f was evaluated, for every entry of x, at a point where that entry was moved by about eps."""
        nudged = {index for point in self.points if point.shape == x.shape
                  for index in zip(*np.nonzero(np.abs(point - x) > eps / 2))}
        untouched = [index for index in np.ndindex(x.shape) if index not in nudged]
        if untouched:
            raise CheckFailed(f"numerical_gradient ({case}): f was never evaluated with entry {untouched[0]} of x "
                              f"nudged ({len(untouched)} of {x.size} entries never were)",
                              hint=Hint("the gradient is estimated entry by entry, from the values of f with that "
                                        "entry moved a step away from x and every other entry held fixed",
                                        fix="evaluate f at x with each entry moved by +h and by −h in turn (then put "
                                            "it back)"))


# rtol 1e-7 sits far above the rounding (< 1e-11) and far below the one-sided error (about eps = 1e-3).
# atol 1e-9 is for entries whose derivative is close to 0, where rtol alone would ask for less than the rounding
# leaves: that rounding, about 1e-16 · Σ|cx³ + dx²| / eps, is at most 3e-11 for the cubics tested here.
GRADCHECK_RTOL, GRADCHECK_ATOL = 1e-7, 1e-9


def cubic_case(shape, eps):
    return f"a cubic, x of shape {shape}, eps={eps:g}"


def check_numerical_gradient(seed, shape, eps):
    f = Cubic(seed, shape)
    recording, x, case = Recording(f), f.x.copy(), cubic_case(shape, eps)
    got = call(numerical_gradient, recording, x, eps=eps, case=case)
    recording.check_each_entry_was_nudged(f.x, eps, case)
    centred, forward = f.centred(eps), f.forward_difference(eps)
    backward = 2 * centred - forward  # (f(x) − f(x − h)) / h
    check_array(got, centred, function="numerical_gradient", case=case,
                rtol=GRADCHECK_RTOL, atol=GRADCHECK_ATOL, mistakes={
                    Hint("that is the one-sided difference from x forward: its error is of order h, while the centred "
                         "one, symmetric about x, cancels that term", fix="use centred differences, "
                         "(f(x + h) − f(x − h)) / 2h"): forward,
                    Hint("that is the one-sided difference from x backward, (f(x) − f(x − h)) / h: its error is of "
                         "order h, while the centred one, symmetric about x, cancels that term",
                         fix="use centred differences, (f(x + h) − f(x − h)) / 2h"): backward,
                    Hint("your estimate is twice the gradient: the two points x + h and x − h are 2h apart",
                         fix="divide by 2h, not h"): 2 * centred,
                    Hint("your estimate has the opposite sign: a slope is the rise from the lower point to the upper one",
                         fix="f(x + h) − f(x − h), not f(x − h) − f(x + h): check the sign"): -centred})


def left_nudged(x, eps):
    """The classic ways of leaving x changed, as check_array's mistakes."""
    return {Hint("x still holds x − h after the call: the caller's array was left changed",
                 fix="put each entry of x back to its original value, saved before you nudge it"): x - eps,
            Hint("x still holds x + h after the call: the caller's array was left changed",
                 fix="put each entry of x back to its original value, saved before you nudge it"): x + eps}


def check_x_is_restored(seed, shape, eps):
    """x holds its original values after the call, and f was evaluated with each entry of x nudged (leaving x
    alone proves nothing if it was never perturbed)."""
    f = Cubic(seed, shape)
    recording, x, case = Recording(f), f.x.copy(), f"x of shape {shape} after the call"
    call(numerical_gradient, recording, x, eps=eps, case=cubic_case(shape, eps))
    # Putting the saved value back restores x exactly, and x + h − h differs from x by a rounding of about
    # 1e-16 · |x| (entries here are below 3), which we accept: atol 1e-12 (rtol 0, since the entries' size is known)
    # still catches an entry left off by h >= 1e-3.
    check_array(x, f.x, function="numerical_gradient", case=case, rtol=0, atol=1e-12,
                mistakes=left_nudged(f.x, eps))
    recording.check_each_entry_was_nudged(f.x, eps, case)


# Entries for which, with the step 1e-5, x + h − 2h + h (or x + h − h) is not x again in float64: 0.1 + 1e-5 − 2e-5 +
# 1e-5 is 0.1 − 1.4e-17, 0.7 and 1.1 come back off by 1.1e-16 and 2.2e-16 (0.3 would come back exactly).
ROUNDING_X, ROUNDING_EPS = np.array([0.1, 0.2, 0.7, 1.1]), 1e-5


def check_x_is_restored_exactly():
    """x holds exactly its original values after the call, for entries where adding and subtracting the step
    does not give them back in float64."""
    x, case = ROUNDING_X.copy(), f"x = {ROUNDING_X.tolist()} after the call, eps={ROUNDING_EPS:g}"
    recording = Recording(lambda x: float(np.sum(x**2)))
    call(numerical_gradient, recording, x, eps=ROUNDING_EPS, case=f"Σ x², x = {ROUNDING_X.tolist()}, eps={ROUNDING_EPS:g}")
    check_array(x, ROUNDING_X, function="numerical_gradient", case=case, rtol=0, atol=ROUNDING_EPS / 2,
                mistakes=left_nudged(ROUNDING_X, ROUNDING_EPS))
    changed = np.flatnonzero(x != ROUNDING_X)
    if changed.size:
        i = changed[0]
        raise CheckFailed(f"numerical_gradient ({case}): entry {i} of x is {float(x[i])!r}, was {float(ROUNDING_X[i])!r} (off by "
                          f"{x[i] - ROUNDING_X[i]:.1e}; {changed.size} of {x.size} entries changed)",
                          hint=Hint("x is back only up to rounding: in floating point, adding a step and taking it "
                                    "away again does not always give back the number you started with",
                                    fix="save each entry before you nudge it and assign the saved value back "
                                        "(x[index] = original), instead of adding and subtracting eps"))
    recording.check_each_entry_was_nudged(ROUNDING_X, ROUNDING_EPS, case)


# ---- relative-error
def error_pair(seed, shape, scale=1.0, zeros_in_truth=False):
    """A gradient a of size `scale` and an estimate b of it with small errors (noise 1e-7 · scale)."""
    rng = np.random.default_rng(seed)
    a = scale * rng.standard_normal(shape)
    if zeros_in_truth:
        a.flat[::2] = 0.0
    return a, a + 1e-7 * scale * rng.standard_normal(shape)


def check_relative_error(a, b, case):
    got = call(relative_error, a.copy(), b.copy(), case=case)
    if got is not None and np.isnan(np.asarray(got, dtype=np.float64)).any():
        raise CheckFailed(f"relative_error ({case}): returned nan.", hint=Hint(
            "two arrays of zeros agree perfectly, so their relative error is 0: yours divided 0 by 0",
            fix="take the denominator at least np.finfo(np.float64).tiny"))
    difference, size, sums = np.abs(a - b), np.maximum(np.abs(a), np.abs(b)), np.abs(a) + np.abs(b)
    norms, means = np.linalg.norm(a) + np.linalg.norm(b), np.mean(np.abs(a) + np.abs(b))
    check_scalar(got, reference_relative_error(a, b), function="relative_error", case=case, mistakes={
        Hint("a difference alone means nothing without the size of the gradients: you did not divide by the scale",
             fix="divide by max(|a| + |b|)"): np.max(difference),
        Hint("you measured entry by entry: an entry whose true value is 0 then counts as a 100 % error, although "
             "nothing is wrong", fix="measure against the scale of the whole array, max(|a| + |b|)"):
            np.max(np.divide(difference, size, out=np.zeros_like(size), where=size > 0)),
        Hint("you divided entry by entry, each |a_i − b_i| by its own |a_i| + |b_i|: an entry whose true value is "
             "0 then counts as a 100 % error, although nothing is wrong; the course measures the largest "
             "disagreement against the scale of the whole array",
             fix="divide the largest |a − b| by the largest |a| + |b|, max|a − b| / max(|a| + |b|)"):
            np.max(np.divide(difference, sums, out=np.zeros_like(sums), where=sums > 0)),
        Hint("your scale adds the largest entry of a to the largest entry of b, which may sit at different "
             "places: the course's scale pairs the entries at the same place before taking the largest",
             fix="divide by np.max(np.abs(a) + np.abs(b)), not np.max(np.abs(a)) + np.max(np.abs(b))"):
            np.max(difference) / max(np.max(np.abs(a)) + np.max(np.abs(b)), np.finfo(np.float64).tiny),
        Hint("you measured with norms: the course's relative error compares the largest entries",
             fix="use the maxima, max|a − b| / max(|a| + |b|), not the norms"):
            np.linalg.norm(a - b) / norms if norms else 0.0,
        Hint("you measured with means: the course's relative error compares the largest entries",
             fix="use the maxima, max|a − b| / max(|a| + |b|), not the means"):
            np.mean(difference) / means if means else 0.0})


# ---- gradient-is-correct
def sine_case(seed, shape):
    """f(x) = Σ x sin(x), with its true gradient sin(x) + x cos(x) and a wrong one missing the product rule."""
    x = np.random.default_rng(seed).standard_normal(shape)
    return (lambda x: float(np.sum(x * np.sin(x))), lambda x: np.sin(x) + x * np.cos(x),
            lambda x: x * np.cos(x), x)


def check_verdict(f, grad_f, x, expected, case, hint):
    def verdict():
        got = call(gradient_is_correct, f, grad_f, x.copy(), case=case)
        check_equal(bool(got) if isinstance(got, (bool, np.bool_)) else got, expected,
                    function="gradient_is_correct", case=case, hint=hint)

    check_building_on(verdict, {
        "numerical_gradient": lambda: check_numerical_gradient(0, (5,), eps=1e-3),
        "relative_error": lambda: (check_relative_error(*error_pair(2, (4, 3)), case="a (4, 3) gradient and a close estimate"),
                                   check_relative_error(np.zeros(3), np.zeros(3), case="two arrays of zeros"))},
        "gradient_is_correct", namespace=globals())


VERDICT_FIX = "correct means relative_error(grad_f(x), numerical_gradient(f, x, eps)) <= tolerance"
RELATIVE_FIX = "judge by relative_error of the two gradients, not by their absolute difference"


def check_sine_verdicts(seed, shape):
    f, right, wrong, x = sine_case(seed, shape)
    check_verdict(f, right, x, True, f"Σ x sin(x) at x of shape {shape}, the right gradient",
                  Hint("sin(x) + x cos(x) is the exact gradient: it should pass", fix=VERDICT_FIX))
    check_verdict(f, wrong, x, False, f"Σ x sin(x) at x of shape {shape}, a gradient missing sin(x)",
                  Hint("x cos(x) misses the product rule's sin(x) term: it should fail", fix=VERDICT_FIX))


def check_verdicts_at_extreme_scales(seed):
    """Verdicts where absolute and relative errors disagree (gradients of size 1e6 and 1e-8), and at zero."""
    x = np.random.default_rng(seed).standard_normal(6)
    check_verdict(lambda x: float(1e6 * np.sum(x**2)), lambda x: 2e6 * x, x, True, "f = 1e6 Σ x², the right gradient",
                  Hint("at this scale a correct gradient differs from the numerical one by about 1e-3, which is tiny "
                       "RELATIVE to gradients of size 1e6", fix=RELATIVE_FIX))
    check_verdict(lambda x: float(1e-8 * np.sum(x**3)), lambda x: 6e-8 * x**2, x, False,
                  "f = 1e-8 Σ x³, a gradient twice too large",
                  Hint("this gradient is twice the true one, but everything is of size 1e-8, so the ABSOLUTE "
                       "difference looks tiny", fix=RELATIVE_FIX))
    check_verdict(lambda x: 3.0, lambda x: np.zeros_like(x), x, True, "a constant f, gradient zero",
                  Hint("both gradients are exactly zero, so they agree perfectly: their relative error is 0, not nan, "
                       "and 0 passes any tolerance", fix=VERDICT_FIX))


# ---- bug-hunt
def check_wrong_backward_is_a_name():
    check_equal(wrong_backward in ("backward_a", "backward_b"), True, function="wrong_backward",
                case="is one of the two names",
                hint=Hint("wrong_backward is the name of one of the two functions, as a string",
                          fix='set wrong_backward to "backward_a" or "backward_b"'))


def check_wrong_backward():
    check_equal(wrong_backward, "backward_a", function="wrong_backward", case="the wrong one",
                hint=Hint("compare both with centred differences: the right one agrees to about 1e-9 relative error",
                          fix="call gradient_is_correct(hunt_loss, backward, W_HUNT.copy()) for each, and name the "
                              "one that fails"))
