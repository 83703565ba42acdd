"""The checks of a5_training/sgd_and_schedules.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a5_training/sgd_and_schedules", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- setup
from mlp_ref.lr_scheduler import ExponentialLR, InverseTimeLR, StepLR
from mlp_ref.module import Parameter
from mlp_ref.optim import SGD
from mlpcourse.checks import CheckFailed, Hint, call, check_array


# ---- sgd
def copy_or_none(array):
    return None if array is None else array.copy()


def reference_steps(param, grads, hyper):
    """mlp_ref's SGD run on one parameter through the gradients `grads`. For each step, yields
    (param before, buffer before (None at first), gradient, param after, buffer after (None without momentum))."""
    weight = Parameter(param.copy())
    optimizer = SGD([weight], **hyper)
    state = optimizer.state[0]
    for grad in grads:
        before, buffer_before = weight.data.copy(), copy_or_none(state.get("momentum_buffer"))
        weight.grad[...] = grad
        optimizer.step()
        yield before, buffer_before, grad, weight.data.copy(), copy_or_none(state.get("momentum_buffer"))


def mistaken_step(mistake, w, grad, buffer, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    """(param, buffer) after one step made with a classic `mistake`, for the hints."""
    sign = -1 if mistake == "decay subtracted" else 1
    g = grad if mistake in ("no decay", "decoupled decay") else grad + sign * weight_decay * w
    if mistake == "half decay":
        g = grad + 0.5 * weight_decay * w
    if momentum == 0:
        direction, new_buffer = g, None
    else:
        if buffer is None:
            new_buffer = (1 - dampening) * g if mistake == "buffer from zero" else g
        elif mistake == "dampening on the buffer":
            new_buffer = (1 - dampening) * momentum * buffer + g
        elif mistake == "momentum on the gradient":
            new_buffer = buffer + momentum * g
        else:
            new_buffer = momentum * buffer + (1 - dampening) * g
        use_nesterov = nesterov if mistake != "nesterov ignored" else False
        direction = g + momentum * new_buffer if use_nesterov else new_buffer
    new_w = w + lr * direction if mistake == "step uphill" else w - lr * direction
    if mistake == "decoupled decay":
        new_w = new_w - lr * weight_decay * w
    return new_w, new_buffer


PARAM_HINTS = {
    "step uphill": Hint("the step went uphill: the gradient points to where the loss grows, so a descent step goes "
                        "the other way", fix="step against the gradient: w − lr·d, not w + lr·d"),
    "decay subtracted": Hint("weight decay pulls every weight towards 0: its part of the gradient is the gradient of "
                             "the penalty ½λ‖w‖², which has the sign of w; you subtracted it",
                             fix="add +λ·w to the gradient: g = ∇ + λ·w"),
    "no decay": Hint("weight decay is missing: the penalty ½λ‖w‖² on the loss adds its own gradient to ∇",
                     fix="add weight_decay · param to the gradient before the buffer and the step use it"),
    "decoupled decay": Hint("weight decay was applied to the weights apart from the gradient (AdamW's decoupled rule); "
                            "in SGD the penalty's gradient joins ∇ before the momentum buffer sees it",
                            fix="add λ·w to the gradient first, g = ∇ + λ·w, and use g for the buffer and the step"),
    "half decay": Hint("the penalty's gradient came out half as large: differentiating the square ‖w‖² brings down "
                       "a factor 2, which cancels the ½ in front of the penalty ½λ‖w‖²",
                       fix="add λ·w to the gradient, not ½·λ·w: g = ∇ + λ·w"),
    "buffer from zero": Hint("the first buffer is the first gradient itself, not damped: PyTorch does not start the "
                             "buffer at 0 and apply the usual update to it (with dampening, that would scale the "
                             "first gradient down)",
                             fix="on the first step (velocity None) set b = g, without the factor (1 − dampening)"),
    "dampening on the buffer": Hint("dampening scales the new gradient, not the old buffer",
                                    fix="b = μ·b + (1 − dampening)·g"),
    "momentum on the gradient": Hint("momentum multiplies the old buffer (how much of the past is kept), not the new "
                                     "gradient", fix="b = μ·b + (1 − dampening)·g, not b + μ·g"),
    "nesterov ignored": Hint("with nesterov=True your direction equals plain momentum's (the buffer of this step); "
                             "Nesterov's looks one step further ahead, along the updated buffer",
                             fix="with nesterov=True the direction is g + μ·b, with the buffer b already updated by "
                                 "this step (g + μ·b_old, with the old buffer, is plain momentum's b)"),
}

# Without weight decay in the gradient the buffer is the same whether the weights are decayed apart or not at all
BUFFER_HINTS = dict.fromkeys(["no decay", "decoupled decay"],
                             Hint("weight decay must reach the momentum buffer: the buffer sums gradients that include "
                                  "the penalty's part (decaying the weights apart from the gradient is AdamW's "
                                  "decoupled rule)",
                                  fix="add λ·w to the gradient first, g = ∇ + λ·w, then update the buffer with g"))
VELOCITY_IS_STEP_HINT = Hint("the velocity is the buffer of gradients b (PyTorch's convention), not the step the "
                             "weights take", fix="return the buffer b, not the step −lr·b")
LOST_BUFFER_HINT = Hint("with momentum the buffer b carries over to the next step: the velocity you return is the "
                        "next call's input", fix="return the buffer of this step, b = μ·b + (1 − dampening)·g "
                                                 "(g itself on the first step)")


def check_sgd(seed, shape, steps, case, **hyper):
    """Compare sgd_step with mlp_ref's SGD for `steps` steps, each from the reference's state before it."""
    rng = np.random.default_rng(seed)
    param = rng.standard_normal(shape)
    grads = [rng.standard_normal(shape) for _ in range(steps)]
    for step, (w, buffer, grad, w_ref, buffer_ref) in enumerate(reference_steps(param, grads, hyper), 1):
        step_case = f"{case}, step {step}" + (" (velocity None)" if buffer is None else "")
        result = call(sgd_step, w.copy(), grad.copy(), copy_or_none(buffer), case=step_case,
                      unchanged=("param", "grad", "velocity"), **hyper)
        if not isinstance(result, tuple) or len(result) != 2:
            raise CheckFailed(f"sgd_step ({step_case}): return a tuple (new_param, new_velocity), got {type(result).__name__}")
        new_w, new_buffer = result
        wrong = {mistake: mistaken_step(mistake, w, grad, buffer, **hyper) for mistake in PARAM_HINTS}
        if hyper.get("momentum", 0) != 0 and new_buffer is None:
            raise CheckFailed(f"sgd_step: new_velocity ({step_case}): None, with momentum {hyper['momentum']:g}",
                              hint=LOST_BUFFER_HINT)
        if hyper.get("momentum", 0) != 0:  # the buffer first: a wrong buffer explains a wrong step
            buffer_mistakes = {BUFFER_HINTS.get(mistake, PARAM_HINTS[mistake]): wrong_b for mistake, (_, wrong_b) in wrong.items()}
            buffer_mistakes[VELOCITY_IS_STEP_HINT] = -hyper["lr"] * buffer_ref
            check_array(new_buffer, buffer_ref, function="sgd_step: new_velocity", case=step_case, mistakes=buffer_mistakes)
        check_array(new_w, w_ref, function="sgd_step: new_param", case=step_case,
                    mistakes={PARAM_HINTS[mistake]: wrong_w for mistake, (wrong_w, _) in wrong.items()})


# ---- schedules
def reference_rates(make_scheduler, lr0, epochs):
    """The learning rate of epochs 0 .. epochs − 1 as an mlp_ref scheduler sets it (stepped after every epoch)."""
    optimizer = SGD([Parameter(np.zeros(1))], lr=lr0)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(epochs):
        rates.append(optimizer.lr)
        scheduler.step()
    return np.array(rates)


def check_rates(schedule, arguments, expected, case, mistakes):
    """schedule(*arguments, t) for t = 0 .. len(expected) − 1 against the reference's rates; mistakes: {hint: f(t)}."""
    t = np.arange(len(expected))
    name = schedule.__name__
    rates = [call(schedule, *arguments, int(epoch), case=f"{case}, t={epoch}") for epoch in t]
    try:
        got = np.array([float(np.asarray(rate, dtype=np.float64).reshape(())) for rate in rates])
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} ({case}): return one number, the rate of epoch t; for t=0 it returned "
                          f"{rates[0]!r}") from None
    check_array(got, expected, function=f"{name}, the rates of epochs 0 to {len(t) - 1}", case=case, check_dtype=False,
                mistakes={hint: f(t) for hint, f in mistakes.items()})


OFF_BY_ONE_BACK = Hint("off by one epoch: t counts from 0, so epoch 0 trains with lr0 itself; with t − 1 epoch 0 "
                       "gets a rate from before the start", fix="use t as it is: the rate of epoch t")
EPOCH_ZERO = "off by one epoch: epoch 0 trains with lr0 itself, and the rate first changes at the end of epoch 0"


def check_exponential(lr0, gamma, epochs):
    check_rates(exponential_lr, (lr0, gamma),
                reference_rates(lambda opt: ExponentialLR(opt, gamma=gamma), lr0, epochs), f"lr0={lr0}, gamma={gamma}",
                {Hint(EPOCH_ZERO, fix="η_t = lr0·gamma^t: t factors of gamma at epoch t"): lambda t: lr0 * gamma ** (t + 1.0),
                 OFF_BY_ONE_BACK: lambda t: lr0 * gamma ** (t - 1.0),
                 Hint("gamma is the factor per epoch, not a rate k in an exponential",
                      fix="η_t = lr0·gamma^t, not lr0·e^(−gamma·t)"): lambda t: lr0 * np.exp(-gamma * t),
                 Hint("the rate is multiplied by gamma, not reduced by it: gamma is the part of the rate that each "
                      "epoch keeps", fix="η_t = lr0·gamma^t, not lr0·(1 − gamma)^t"): lambda t: lr0 * (1 - gamma) ** t})


def check_inverse_time(lr0, decay, epochs):
    check_rates(inverse_time_lr, (lr0, decay),
                reference_rates(lambda opt: InverseTimeLR(opt, decay=decay), lr0, epochs), f"lr0={lr0}, decay={decay}",
                {Hint(EPOCH_ZERO, fix="η_t = lr0 / (1 + decay·t), with t as it is"): lambda t: lr0 / (1 + decay * (t + 1)),
                 OFF_BY_ONE_BACK: lambda t: lr0 / (1 + decay * (t - 1)) if decay < 1 else None,
                 Hint("1/t decay: the reciprocal of the rate grows by the same amount every epoch, linearly in t; "
                      "dividing by a power with the exponent t is exponential decay",
                      fix="divide by (1 + decay·t), not by (1 + decay)^t"): lambda t: lr0 / (1 + decay) ** t,
                 Hint("the decay rate is missing: it sets how fast the rate falls",
                      fix="η_t = lr0 / (1 + decay·t), not lr0 / (1 + t)"): lambda t: lr0 / (1 + t),
                 Hint("operator precedence: / binds before +, so lr0 was divided by 1 only and decay·t added to it",
                      fix="parentheses: lr0 / (1 + decay·t)"): lambda t: lr0 + decay * t})


def check_step(lr0, step_size, gamma, epochs):
    check_rates(step_lr, (lr0, step_size, gamma),
                reference_rates(lambda opt: StepLR(opt, step_size=step_size, gamma=gamma), lr0, epochs),
                f"lr0={lr0}, step_size={step_size}, gamma={gamma}",
                {Hint("the rate stays constant for step_size epochs, then drops at once: the number of drops so far is "
                      "a whole number", fix="use the whole number ⌊t / step_size⌋ (t // step_size)"):
                     lambda t: lr0 * gamma ** (t / step_size),
                 Hint("off by one epoch: the first drop comes after step_size epochs, at t = step_size",
                      fix="count the drops with t // step_size"):
                     lambda t: lr0 * gamma ** ((t + 1) // step_size),
                 Hint("off by one: rounding t / step_size up drops the rate already at t = 1",
                      fix="round down: ⌊t / step_size⌋ (t // step_size)"):
                     lambda t: lr0 * gamma ** -(-t // step_size),
                 OFF_BY_ONE_BACK: lambda t: lr0 * gamma ** ((t - 1.0) // step_size),
                 Hint("gamma is raised to a power, one factor per drop so far, not multiplied by it",
                      fix="gamma ** (t // step_size), not gamma * (t // step_size)"):
                     lambda t: lr0 * gamma * (t // step_size)})
