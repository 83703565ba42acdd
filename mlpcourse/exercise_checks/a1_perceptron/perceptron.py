"""The checks of a1_perceptron/perceptron.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a1_perceptron/perceptron", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
from mlp_ref.perceptron import Perceptron
from mlpcourse.checks import call, CheckFailed, Hint, check_array, check_equal, check_scalar, replaced_in_student_code


def separable_data(seed, n, d, margin=0.1):
    """n examples in d dimensions, labelled ±1 by a random hyperplane, none closer to it than `margin`."""
    rng = np.random.default_rng(seed)
    w_true = rng.standard_normal(d)
    w_true /= np.linalg.norm(w_true)
    b_true = rng.uniform(-0.3, 0.3)
    X = rng.uniform(-1, 1, (20 * n, d))
    a = X @ w_true + b_true
    keep = np.abs(a) > margin
    return X[keep][:n], np.where(a[keep][:n] > 0, 1, -1)


def reference_perceptron(w, b, lr=1.0):
    """mlp_ref's Perceptron with these weights."""
    unit = Perceptron(len(w), lr=lr)
    unit.weight, unit.bias = np.array(w, dtype=np.float64), float(b)
    return unit


# ---- predict
def check_predict(X, w, b, case):
    expected = reference_perceptron(w, b).predict(X)
    a = X @ w + b
    check_array(call(perceptron_predict, X, w, b, case=case), expected, function="perceptron_predict", case=case,
                check_dtype=False,
                mistakes={Hint("a point exactly on the boundary (w·x + b = 0) is predicted +1, and yours gets −1",
                               fix="use >= 0, not > 0"): np.where(a > 0, 1, -1),
                          Hint("the labels are -1 and +1, not 0 and 1",
                               fix="give −1 where the activation is negative"): np.where(a >= 0, 1, 0),
                          Hint("np.sign(0) is 0, but a point on the boundary must be predicted +1",
                               fix="choose the label with np.where on a >= 0 test, not with np.sign"): np.sign(a)})


# ---- step
def reference_step(w, b, x, y, lr=1.0):
    """mlp_ref's step: (w, b, mistake) after presenting (x, y)."""
    unit = reference_perceptron(w, b, lr)
    mistake = unit.step(x, y)
    return unit.weight, unit.bias, mistake


def mistake_hint(w, b, x, y, expected):
    if expected and x @ w + b == 0:
        return Hint("a point exactly on the boundary (w·x + b = 0) counts as a mistake: it is not separated, "
                    "whatever its label", fix="test y·(w·x + b) <= 0, not < 0")
    if ((y * x) @ w + b <= 0) != expected:  # what `y * x @ w + b <= 0` decides: Python reads it as (y·x)·w + b
        return Hint("y multiplies the whole activation w·x + b, but Python reads y * x @ w + b as (y·x)·w + b",
                    fix="write y * (x @ w + b)")
    if not expected:
        return Hint("a correctly classified example (y·(w·x + b) > 0) is no mistake: nothing changes",
                    fix="update only when y·(w·x + b) <= 0; otherwise return w, b as they are and False")
    return Hint("a mistake is an example whose activation has the wrong sign, or is 0",
                fix="report a mistake exactly when y·(w·x + b) <= 0")


def check_step(w, b, x, y, lr, case, expected=None):
    """Compare perceptron_step with `expected` = (w, b, mistake) if given, else with mlp_ref's step."""
    w_expected, b_expected, mistake_expected = expected or reference_step(w, b, x, y, lr)
    result = call(perceptron_step, w.copy(), b, x.copy(), y, lr, case=case)
    if not isinstance(result, tuple) or len(result) != 3:
        raise CheckFailed(f"perceptron_step ({case}): return a tuple (w, b, mistake), got {result!r}")
    w_got, b_got, mistake_got = result
    check_equal(bool(mistake_got), mistake_expected, function="perceptron_step: mistake", case=case,
                hint=mistake_hint(w, b, x, y, mistake_expected))
    check_array(w_got, w_expected, function="perceptron_step: w", case=case,
                mistakes={Hint("the update moves w away from y·x: it must turn the example's activation towards "
                               "its label", fix="move w towards y·x: w + η·y·x, not away from it"): w - lr * y * x,
                          Hint("with ±1 labels the update η·(y − ŷ)·x, made for 0/1 labels, is twice the step",
                               fix="add η·y·x, not η·(y − ŷ)·x"): w + 2 * lr * y * x,
                          Hint("the update leaves out the learning rate η",
                               fix="multiply the update by the learning rate: w + η·y·x"): w + y * x if lr != 1 else None})
    bias_mistakes = {Hint("update the bias too: it is a weight on a constant input 1", fix="b ← b + η·y on a mistake"): b}
    if lr != 1:
        bias_mistakes[Hint("the bias update leaves out the learning rate η",
                           fix="multiply the bias update by the learning rate too: b + η·y")] = b + y
    check_scalar(b_got, b_expected, function="perceptron_step: b", case=case, mistakes=bias_mistakes)


# ---- fit
def run_student_fit(X, y, lr, max_epochs, case):
    """The student's perceptron_fit, run with mlp_ref's step in place of perceptron_step, so that a mistake in
    perceptron_step costs only its own points; returns (w, b, history) after checking their kinds."""
    with replaced_in_student_code(globals(), perceptron_step=reference_step):
        result = call(perceptron_fit, X.copy(), y.copy(), lr=lr, max_epochs=max_epochs, case=case)
    if not isinstance(result, tuple) or len(result) != 3:
        raise CheckFailed(f"perceptron_fit ({case}): return a tuple (w, b, history), got {type(result).__name__}")
    w, b, history = result
    return w, b, [int(count) for count in history]


def history_hint(history, max_epochs, expected, n_examples):
    """What a wrong history says, or None: each hint fires only for the history its mistake gives, computed from
    mlp_ref's history `expected` (run to max_epochs, stopping at the first epoch without a mistake)."""
    padded = expected + [0] * (max_epochs - len(expected))  # the counts of a run that never stops
    cumulative = np.cumsum(padded).tolist()                 # a count never reset: it never reaches 0, never stops
    restarted = [expected[0]] * max_epochs if expected[0] > 0 else None  # w, b reset: every epoch is the first
    if history == cumulative and history == restarted:
        return Hint("every epoch reports the first epoch's count: either the mistake count runs on across the epochs, "
                    "or w and b start again from 0 at each epoch",
                    fix="start each epoch's count at 0, and set w = 0, b = 0 once, before the loop over the epochs")
    if history == cumulative:
        return Hint("the mistake count runs on across the epochs: it never comes back to 0, so the loop never stops",
                    fix="count the mistakes of each epoch separately: start each epoch's count at 0")
    if history == restarted:
        return Hint("w and b start again from 0 at every epoch, so every epoch repeats the first one",
                    fix="set w = 0, b = 0 once, before the loop over the epochs")
    if history == [n_examples] * max_epochs and expected[0] != n_examples:
        return Hint("every epoch counts all its examples: the count must grow only on a mistake",
                    fix="add the step's mistake flag (0 or 1), not 1 for every example")
    if history == padded and len(expected) < max_epochs:
        return Hint("the loop runs on after an epoch without a mistake, where the rule has converged",
                    fix="stop after the first epoch without a mistake")
    if history == expected[:-1]:
        return Hint("the history lacks the last epoch, the one without a mistake (its 0)",
                    fix="append each epoch's count to the history before deciding to stop")
    return None


def check_separates(X, y, lr, case):
    w, b, history = run_student_fit(X, y, lr, max_epochs=100, case=case)
    expected_history = Perceptron(X.shape[1], lr=lr).fit(X, y, max_epochs=100, shuffle=False)
    margins = y * (X @ w + b)
    if not np.all(margins > 0):
        raise CheckFailed(f"perceptron_fit ({case}): {int(np.sum(margins <= 0))} of {len(y)} training examples are "
                          f"still misclassified or on the boundary after training (history {history[:8]}...); the "
                          "data are linearly separable, so the rule must reach an epoch without a mistake",
                          hint=history_hint(history, 100, expected_history, len(y)))
    check_equal(history[-1], 0, function="perceptron_fit: mistakes in the last epoch", case=case,
                hint=history_hint(history, 100, expected_history, len(y)))


def check_history(X, y, lr, max_epochs, case):
    """Compare the student's history of mistakes with mlp_ref's; returns (w, b) and the trained reference unit."""
    w, b, history = run_student_fit(X, y, lr, max_epochs, case)
    unit = Perceptron(X.shape[1], lr=lr)
    expected_history = unit.fit(X, y, max_epochs=max_epochs, shuffle=False)
    check_equal(history, expected_history, function="perceptron_fit: history", case=case,
                hint=history_hint(history, max_epochs, expected_history, len(y)))
    return w, b, unit


def check_matches_reference(X, y, lr, max_epochs, case):
    w, b, unit = check_history(X, y, lr, max_epochs, case)
    # From w = 0, b = 0 every update is lr·y·x, so the learning rate scales the weights without changing a single
    # decision: a loop that does not pass lr on to the step (which then uses 1) ends with w / lr and b / lr.
    lr_hint = Hint("the learning rate does not reach the step, which then uses lr = 1: from w = 0 that divides the "
                   "final w and b by lr", fix="pass the learning rate on: call perceptron_step(w, b, x, y, lr)")
    check_array(w, unit.weight, function="perceptron_fit: w", case=case,
                mistakes={lr_hint: unit.weight / lr} if lr != 1 else None)
    check_scalar(b, unit.bias, function="perceptron_fit: b", case=case,
                 mistakes={lr_hint: unit.bias / lr} if lr != 1 else None)


# ---- xor
XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([-1, 1, 1, -1])


def check_never_separates(X, y, max_epochs, case):
    """On data no line separates, the student's loop runs all `max_epochs` epochs, each with a mistake."""
    _, _, history = run_student_fit(X, y, lr=1.0, max_epochs=max_epochs, case=case)
    check_equal(len(history), max_epochs, function="perceptron_fit: number of epochs", case=case,
                hint=Hint("no line separates these data, so every epoch has a mistake and the loop never meets its "
                          "stopping condition", fix="run max_epochs epochs, then stop"))
    if min(history) == 0:
        raise CheckFailed(f"perceptron_fit ({case}): an epoch without a mistake is impossible on data no line "
                          f"separates; history {history}")


# ---- orders
def reference_fit(X, y, lr=1.0, max_epochs=100):
    """mlp_ref's perceptron trained from zero in the order of the rows: (w, b, history)."""
    unit = Perceptron(X.shape[1], lr=lr)
    history = unit.fit(X, y, max_epochs=max_epochs, shuffle=False)
    return unit.weight, unit.bias, history


def check_two_orders(X, y, case):
    with replaced_in_student_code(globals(), perceptron_fit=reference_fit):
        result = call(two_orders, X.copy(), y.copy(), case=case)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(f"two_orders ({case}): return a pair of orders (order_a, order_b), got {type(result).__name__}")
    orders = [np.asarray(order) for order in result]
    directions = []
    for name, order in zip(("order_a", "order_b"), orders):
        if order.shape != (len(y),) or not np.issubdtype(order.dtype, np.integer) or \
                not np.array_equal(np.sort(order), np.arange(len(y))):
            raise CheckFailed(f"two_orders ({case}): {name} must be a permutation of range({len(y)}), each example "
                              f"presented once; got {order[:8]}{'...' if order.size > 8 else ''} (dtype {order.dtype})",
                              hint=order_hint(order, len(y)))
        w, b, _ = reference_fit(X[order], y[order])
        if not np.all(y * (X @ w + b) > 0):
            raise CheckFailed(f"two_orders ({case}): training in {name} did not separate the data")
        line = np.append(w, b)
        directions.append(line / np.linalg.norm(line))
    angle = np.degrees(np.arccos(np.clip(directions[0] @ directions[1], -1.0, 1.0)))
    print(f"{case}: the two lines are {angle:.2f} degrees apart")
    if angle < 1:
        raise CheckFailed(f"two_orders ({case}): the two orders give lines only {angle:.3g} degrees apart; they must "
                          "differ by at least 1 degree", hint=same_line_hint(*orders))


def order_hint(order, n_examples):
    """What an order that is not a permutation of range(n_examples) says about the mistake, or None."""
    if order.shape != (n_examples,) or np.issubdtype(order.dtype, np.integer):
        return None
    if np.array_equal(np.sort(order), np.arange(n_examples)):
        return Hint(f"the order holds the right indices as {order.dtype} numbers: an order is an array of "
                    "indices, and X[order] takes integers only", fix="keep the integer dtype of np.arange or "
                    "permutation: no conversion to float")
    return None


def same_line_hint(order_a, order_b):
    """What two orders whose lines coincide say about the mistake."""
    if np.array_equal(order_a, order_b):
        return Hint("two_orders returned the same order twice, and one order always gives one line",
                    fix="return two different orders, chosen so that their lines differ")
    if np.array_equal(order_a[::-1], order_b):
        return Hint("two_orders returned an order and its reverse, and on these data the two give the same line: "
                    "no fixed pair of orders works on every data set", fix="try orders (random permutations, say) "
                    "until perceptron_fit gives a line at least 1 degree from the first one, and return that pair")
    return Hint("the two orders you return give the same line; a fixed pair of orders cannot be relied on",
                fix="try others until one does not: perceptron_fit tells you each one's line")
