"""The checks of a5_training/training_loop.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a5_training/training_loop", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
from functools import wraps


from mlp_ref.data import iterate_minibatches as reference_minibatches
from mlp_ref.data import load_digits
from mlp_ref.loss import CrossEntropyLoss
from mlp_ref.lr_scheduler import ExponentialLR, StepLR
from mlp_ref.mlp import MLP
from mlp_ref.optim import SGD
from mlp_ref.train import accuracy, train_step
from mlp_ref.train import fit as reference_fit
from mlpcourse.checks import CheckFailed, Hint, call, check_array, check_equal, check_scalar, replaced_in_student_code


# ---- minibatches
def numbered_data(n, d=3):
    """X whose row i is (i, i + 0.5, i + 1, ...) and y = i: a batch shows which samples it holds."""
    return np.arange(n, dtype=np.float64)[:, None] + 0.5 * np.arange(d), np.arange(n)


def one_epoch(X, y, batch_size, generator, case):
    """The student's batches of one epoch, as a list of (X_batch, y_batch) pairs of arrays; fails if the call
    changed the caller's X or y (given copies, so that the caller's X and y stay as they were)."""
    X_given, y_given = X.copy(), y.copy()
    # list() runs a generator function's body: wrapped so that an error there names iterate_minibatches too
    batches = call(wraps(iterate_minibatches)(lambda: list(iterate_minibatches(X_given, y_given, batch_size, generator))),
                   case=case)
    if not (np.array_equal(X_given, X) and np.array_equal(y_given, y)):
        raise CheckFailed(f"iterate_minibatches ({case}): the X or y passed in was changed; the caller's X and y must "
                          "stay as they were.",
                          hint=Hint("shuffling in place changes the caller's arrays", fix="do not shuffle X and y in "
                                    "place; index them with a permutation, X[order]"))
    for index, pair in enumerate(batches):
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise CheckFailed(f"iterate_minibatches ({case}): batch {index} is a {type(pair).__name__}, "
                              "expected a pair (X_batch, y_batch)")
    return [(np.asarray(X_batch), np.asarray(y_batch)) for X_batch, y_batch in batches]


def epoch_order(batches):
    return np.concatenate([y_batch for _, y_batch in batches]) if batches else np.array([], dtype=int)


SHUFFLE_THEN_CUT = "shuffle the samples, then cut the batches"


def size_hint(sizes, expected):
    """What the batch sizes `sizes` (expected: `expected`) say about the mistake."""
    if sizes == expected[:-1]:
        return Hint("the last, smaller batch is missing: the N mod batch_size samples left over form a batch of their "
                    "own", fix="go up to N, e.g. range(0, N, batch_size)")
    if sorted(sizes) == sorted(expected):
        return Hint("the short batch is not the last one: the order of the batches was shuffled, not the samples",
                    fix=SHUFFLE_THEN_CUT)
    if sum(sizes) > sum(expected):
        return Hint("the batches hold more samples than N: the last batch repeats or pads samples",
                    fix="the last batch must hold only the N mod batch_size samples that are left: stop the slices at N")
    return f"{len(expected)} batches: batch_size samples each, the last one the N mod batch_size left over"


def check_minibatch_contents(n, batch_size, seed, case):
    """Sizes, every sample once, X and y kept together, the caller's arrays unchanged."""
    X, y = numbered_data(n)
    batches = one_epoch(X, y, batch_size, np.random.default_rng(seed), case)
    expected_sizes = [min(batch_size, n - start) for start in range(0, n, batch_size)]
    sizes = [len(y_batch) for _, y_batch in batches]
    check_equal(sizes, expected_sizes, function="iterate_minibatches: the batch sizes", case=case,
                hint=size_hint(sizes, expected_sizes))
    order = epoch_order(batches)
    check_equal(sorted(order.tolist()), list(range(n)), function="iterate_minibatches: the samples of the epoch, sorted",
                case=case, hint=Hint("every sample exactly once per epoch: indices drawn at random repeat some samples "
                                     "and miss others", fix="take a permutation (generator.permutation(N)), not N "
                                                            "random indices drawn with replacement"))
    for index, (X_batch, y_batch) in enumerate(batches):
        if not np.array_equal(X_batch, X[y_batch]):
            raise CheckFailed(f"iterate_minibatches ({case}): in batch {index} the rows of X_batch are not the samples "
                              "whose labels are in y_batch.",
                              hint=Hint("X and y were reordered apart: the images lost their labels",
                                        fix="reorder X and y with the SAME permutation (draw it once, then X[order] "
                                            "and y[order])"))


def check_minibatch_shuffling(n, batch_size, seed, case):
    """A random order at each call, batches of new samples each epoch, drawn from `generator` only."""
    X, y = numbered_data(n)
    generator = np.random.default_rng(seed)
    first = one_epoch(X, y, batch_size, generator, case)
    second = one_epoch(X, y, batch_size, generator, case)
    if np.array_equal(epoch_order(first), np.arange(n)):
        raise CheckFailed(f"iterate_minibatches ({case}): the samples come in their original order 0, 1, 2, ...",
                          hint=Hint("the samples were not shuffled: batches of neighbouring samples are no fair random "
                                    "samples of the data", fix="shuffle: draw a random order with generator.permutation(N)"))
    if np.array_equal(epoch_order(first), epoch_order(second)):
        raise CheckFailed(f"iterate_minibatches ({case}): two calls with the same generator gave the same order.",
                          hint=Hint("each epoch needs an order of its own: the order was drawn once, or from a "
                                    "generator seeded anew", fix="draw a new permutation at every call (every epoch), "
                                                                 "inside the function, from `generator`"))
    same_batches = {frozenset(b.tolist()) for _, b in first} == {frozenset(b.tolist()) for _, b in second}
    if 1 < batch_size < n and same_batches:  # with one sample per batch, or one batch, no shuffle changes the batches
        raise CheckFailed(f"iterate_minibatches ({case}): each batch held the same samples in both epochs.",
                          hint=Hint("you shuffled the order of the batches: each batch kept its samples",
                                    fix=SHUFFLE_THEN_CUT))
    again = one_epoch(X, y, batch_size, np.random.default_rng(seed), case)
    if not np.array_equal(epoch_order(first), epoch_order(again)):
        raise CheckFailed(f"iterate_minibatches ({case}): two generators with the same seed gave different orders.",
                          hint=Hint("the order does not come from the generator passed in alone, so a run cannot be "
                                    "repeated", fix="draw the order from the `generator` argument only (not np.random "
                                                    "or a new generator)"))


# ---- train-epoch
SIZES = [5, 8, 3]  # a small MLP: 5 inputs, 8 hidden ReLU units, 3 classes


def classification_data(seed, n):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, SIZES[0])), rng.integers(0, SIZES[-1], n)


def make_training(seed, lr=0.1, momentum=0.9, make_scheduler=None):
    """A fresh model, loss, optimizer (and scheduler): equal seeds give equal models."""
    model = MLP(SIZES, generator=np.random.default_rng(seed))
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)
    return model, CrossEntropyLoss(), optimizer, make_scheduler(optimizer) if make_scheduler else None


def flat_parameters(model):
    return np.concatenate([param.data.ravel() for param in model.parameters()])


def fixed_batches(X, y, batch_size):
    return [(X[start:start + batch_size], y[start:start + batch_size]) for start in range(0, len(X), batch_size)]


def reference_epoch(model, loss_fn, optimizer, batches, zero_grad=True):
    """The batch losses of one epoch trained by mlp_ref's train_step (or by a loop that never zeroes the gradients)."""
    losses = []
    for X_batch, y_batch in batches:
        if zero_grad:
            loss, _ = train_step(model, loss_fn, optimizer, X_batch, y_batch)
        else:
            loss = float(loss_fn(model(X_batch), y_batch))
            model.backward(loss_fn.backward())
            optimizer.step()
        losses.append(loss)
    return np.array(losses)


def reference_train_epoch(model, loss_fn, optimizer, batches):
    """The mean loss per sample of one epoch, trained by mlp_ref."""
    batches = list(batches)
    if not batches:
        raise CheckFailed("fit: an epoch got no mini-batches.",
                          hint=Hint("a generator is used up after one pass: the first epoch's batches cannot be "
                                    "used again", fix="call iterate_minibatches anew in every epoch"))
    losses = reference_epoch(model, loss_fn, optimizer, batches)
    return float(np.sum(losses * [len(y_batch) for _, y_batch in batches]) / sum(len(y_batch) for _, y_batch in batches))


def check_epoch_parameters(seed, n, batch_size, case):
    X, y = classification_data(seed, n)
    batches = fixed_batches(X, y, batch_size)
    model, loss_fn, optimizer, _ = make_training(seed)
    initial = flat_parameters(model)
    call(train_epoch, model, loss_fn, optimizer, iter(batches), case=case)
    expected_model, expected_loss_fn, expected_optimizer, _ = make_training(seed)
    reference_epoch(expected_model, expected_loss_fn, expected_optimizer, batches)
    accumulating, accumulating_loss_fn, accumulating_optimizer, _ = make_training(seed)
    reference_epoch(accumulating, accumulating_loss_fn, accumulating_optimizer, batches, zero_grad=False)
    check_array(flat_parameters(model), flat_parameters(expected_model),
                function="train_epoch: all the parameters after one epoch, flattened", case=case,
                mistakes={Hint("gradients accumulate over backward calls: every step used the sum of all the "
                               "gradients so far", fix="zero the gradients before backward in every step "
                                                       "(optimizer.zero_grad())"): flat_parameters(accumulating),
                          Hint("the parameters did not change: no step was taken, or the gradients were cleared "
                               "between backward and the step", fix="call optimizer.step() after backward; zero the "
                               "gradients before backward, not between backward and the step"): initial})


def check_epoch_loss(seed, n, batch_size, case):
    """The returned mean loss, with lr = 0 so that it does not depend on the update: only on the averaging."""
    X, y = classification_data(seed, n)
    batches = fixed_batches(X, y, batch_size)
    model, loss_fn, optimizer, _ = make_training(seed, lr=0.0)
    got = call(train_epoch, model, loss_fn, optimizer, iter(batches), case=case)
    losses = reference_epoch(*make_training(seed, lr=0.0)[:3], batches)
    sizes = np.array([len(y_batch) for _, y_batch in batches])
    check_scalar(got, np.sum(sizes * losses) / n, function="train_epoch: the returned mean loss", case=case,
                 mistakes={Hint("the mean of the batch losses counts a short last batch as much as a full one: every "
                                "sample must count once", fix="weight each batch's loss by its size, Σ n_b·L_b / N"):
                               losses.mean(),
                           Hint("the sum of the batch losses grows with the number of batches: the epoch's loss is a "
                                "mean per sample", fix="return the mean loss per sample, not the sum of the batch "
                                                       "losses"): losses.sum(),
                           Hint("each batch loss is already a mean: weighted by the batch sizes they add up to the "
                                "epoch's total loss, not to its mean", fix="divide Σ n_b·L_b by N"): np.sum(sizes * losses),
                           Hint("the loss of the last batch alone is not the epoch's loss",
                                fix="return the mean over the whole epoch, not the loss of the last batch"): losses[-1]})


# ---- fit
def reference_iterate_minibatches(X, y, batch_size, generator):
    return reference_minibatches(X, y, batch_size, generator=generator)


def run_student_fit(*args, case, **kwargs):
    """The student's fit, run with the reference's iterate_minibatches and train_epoch in place of theirs."""
    with replaced_in_student_code(globals(), iterate_minibatches=reference_iterate_minibatches,
                                  train_epoch=reference_train_epoch):
        return call(fit, *args, case=case, **kwargs)


def mistaken_fit(seed, X, y, epochs, batch_size, make_scheduler, mistake):
    """(parameters, epoch losses) of a fit that makes a classic `mistake`, for the hints."""
    model, loss_fn, optimizer, scheduler = make_training(seed, make_scheduler=make_scheduler)
    generator = np.random.default_rng(seed)
    losses = []
    for epoch in range(epochs):
        if mistake == "scheduler stepped per batch":
            batches = list(reference_iterate_minibatches(X, y, batch_size, generator))
            total = 0.0
            for batch in batches:
                total += reference_train_epoch(model, loss_fn, optimizer, [batch]) * len(batch[1])
                if scheduler is not None:
                    scheduler.step()
            losses.append(total / len(y))
            continue
        if scheduler is not None and mistake == "scheduler stepped first":
            scheduler.step()
        if epoch == 0 or mistake != "shuffled once":
            batches = list(reference_iterate_minibatches(X, y, batch_size, generator))
        losses.append(reference_train_epoch(model, loss_fn, optimizer, batches))
        if scheduler is not None and mistake != "scheduler stepped first":
            scheduler.step()
    return flat_parameters(model), np.array(losses)


FIT_HINTS = {
    "scheduler stepped first": Hint("the scheduler was stepped before the epoch's training: epoch 0 trains with the "
                                    "initial rate", fix="step the scheduler at the END of each epoch"),
    "shuffled once": Hint("every epoch needs a new shuffle: the batches were drawn once and used again",
                          fix="call iterate_minibatches inside the epoch loop"),
    "no scheduler": Hint("the scheduler was not stepped: the learning rate never changed",
                         fix="call scheduler.step() once after every epoch"),
    "scheduler stepped per batch": Hint("the scheduler was stepped more than once per epoch (after every "
                                        "mini-batch?): a schedule's t counts epochs", fix="call scheduler.step() once "
                                        "per epoch, after the epoch's last batch"),
}


def check_fit(seed, n, batch_size, epochs, make_scheduler, case):
    X, y = classification_data(seed, n)
    model, loss_fn, optimizer, scheduler = make_training(seed, make_scheduler=make_scheduler)
    losses = run_student_fit(model, loss_fn, optimizer, X, y, epochs, batch_size, np.random.default_rng(seed),
                             scheduler=scheduler, case=case)
    expected_model, expected_loss_fn, expected_optimizer, expected_scheduler = make_training(seed, make_scheduler=make_scheduler)
    history = reference_fit(expected_model, expected_loss_fn, expected_optimizer, X, y, epochs, batch_size,
                            scheduler=expected_scheduler, generator=np.random.default_rng(seed))
    wrong = {FIT_HINTS[mistake]: mistaken_fit(seed, X, y, epochs, batch_size,
                                              make_scheduler if mistake != "no scheduler" else None, mistake)
             for mistake in FIT_HINTS}
    if losses is None or not hasattr(losses, "__len__"):
        raise CheckFailed(f"fit ({case}): return the list of the epochs' mean losses, got {type(losses).__name__}")
    check_equal(len(losses), epochs, function="fit: the number of epoch losses returned", case=case,
                hint=Hint("one mean loss per epoch", fix="append the epoch's mean loss after each epoch"))
    check_array(np.array(losses, dtype=np.float64), np.array(history["train_loss"]), function="fit: the epoch losses",
                case=case, mistakes={hint: wrong_losses for hint, (_, wrong_losses) in wrong.items()})
    check_array(flat_parameters(model), flat_parameters(expected_model),
                function="fit: all the parameters after training, flattened", case=case,
                mistakes={hint: wrong_parameters for hint, (wrong_parameters, _) in wrong.items()})


# ---- digits
def schedule_hint(lr, expected=0.05 * 0.1 ** 2):
    """What the learning rate left after the 10 epochs says (StepLR(step_size=5, gamma=0.1) from 0.05), or None."""
    if np.isclose(lr, expected):
        return None
    steps = "more than once per epoch" if lr < expected else "less than once per epoch"
    return Hint(f"the learning rate after the 10 epochs is {lr:.3g}, not {expected:.3g}: the scheduler was stepped "
                f"{steps}", fix="call scheduler.step() once per epoch, after the epoch's last batch")


LOOP_HINT = Hint("a correct loop reaches about 96%; a loss that hardly falls means the steps do not follow the "
                 "gradient of the data: images apart from their labels, or gradients that pile up",
                 fix="check that X and y are reordered with the SAME permutation, and zero the gradients before "
                     "backward in every step; the tests above point at the function to fix")


def check_digits(model_seed, shuffle_seed, bar=0.93):
    """Train a 64-64-10 MLP on the digits with the student's fit (seeds `model_seed`, `shuffle_seed`): its test
    accuracy must reach `bar`."""
    X_train, y_train, X_test, y_test = load_digits()
    model = MLP([64, 64, 10], generator=np.random.default_rng(model_seed))
    optimizer = SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    scheduler = StepLR(optimizer, step_size=5, gamma=0.1)
    losses = call(fit, model, CrossEntropyLoss(), optimizer, X_train, y_train, epochs=10, batch_size=32,
                  generator=np.random.default_rng(shuffle_seed), scheduler=scheduler,
                  case=f"the digits, seeds {model_seed}/{shuffle_seed}")
    test_accuracy, lr = accuracy(model, X_test, y_test), optimizer.lr
    loss_text = " ".join(f"{float(loss):.3f}" for loss in losses) if isinstance(losses, (list, tuple)) else repr(losses)
    print(f"seeds {model_seed}/{shuffle_seed}: epoch losses {loss_text} - test accuracy {test_accuracy:.1%}")
    if not test_accuracy >= bar:
        raise CheckFailed(f"the digit classifier (seeds {model_seed}/{shuffle_seed}) reached {test_accuracy:.1%} test "
                          f"accuracy; the bar is {bar:.0%}.", hint=schedule_hint(lr) or LOOP_HINT)
