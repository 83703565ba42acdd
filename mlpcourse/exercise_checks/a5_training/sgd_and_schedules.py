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
    "step uphill": "step against the gradient: w − lr·d, not w + lr·d",
    "decay subtracted": "weight decay adds +λ·w to the gradient (the gradient of ½λ‖w‖²); you subtracted it",
    "no decay": "weight decay is missing: add weight_decay · param to the gradient",
    "decoupled decay": "weight decay was applied to the weights apart from the gradient (AdamW's decoupled rule); "
                       "in SGD it is added to the gradient before the momentum buffer: g = ∇ + λ·w",
    "buffer from zero": "on the first step the buffer is the gradient itself, b = g (PyTorch): "
                        "no dampening, no start from 0",
    "dampening on the buffer": "dampening scales the new gradient, not the old buffer: b = μ·b + (1 − dampening)·g",
    "momentum on the gradient": "momentum multiplies the old buffer: b = μ·b + (1 − dampening)·g, not b + μ·g",
    "nesterov ignored": "with nesterov=True the direction is g + μ·b, with the buffer b already updated by this "
                        "step (g + μ·b_old is plain momentum's b)",
}

# Without weight decay in the gradient the buffer is the same whether the weights are decayed apart or not at all
BUFFER_HINTS = dict.fromkeys(["no decay", "decoupled decay"],
                             "weight decay must reach the momentum buffer: add λ·w to the gradient first, g = ∇ + λ·w "
                             "(decaying the weights apart from the gradient is AdamW's decoupled rule)")


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
            raise CheckFailed(f"sgd_step: new_velocity ({step_case}): None, with momentum {hyper['momentum']:g}\n"
                              f"  hint: with momentum the buffer b carries over to the next step: return the buffer "
                              f"of this step, b = μ·b + (1 − dampening)·g (g itself on the first step)")
        if hyper.get("momentum", 0) != 0:  # the buffer first: a wrong buffer explains a wrong step
            buffer_mistakes = {BUFFER_HINTS.get(mistake, PARAM_HINTS[mistake]): wrong_b for mistake, (_, wrong_b) in wrong.items()}
            buffer_mistakes["the velocity is the buffer of gradients b (PyTorch's), not the step −lr·b"] = -hyper["lr"] * buffer_ref
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


def check_exponential(lr0, gamma, epochs):
    check_rates(exponential_lr, (lr0, gamma),
                reference_rates(lambda opt: ExponentialLR(opt, gamma=gamma), lr0, epochs), f"lr0={lr0}, gamma={gamma}",
                {"off by one epoch: epoch 0 trains with lr0 itself, so η_t = lr0·gamma^t": lambda t: lr0 * gamma ** (t + 1.0),
                 OFF_BY_ONE_BACK: lambda t: lr0 * gamma ** (t - 1.0),
                 "gamma is the factor per epoch (η_t = lr0·gamma^t), not the k of lr0·e^(−k t)": lambda t: lr0 * np.exp(-gamma * t),
                 "the rate is multiplied by gamma, not reduced by it: η_t = lr0·gamma^t": lambda t: lr0 * (1 - gamma) ** t})


def check_inverse_time(lr0, decay, epochs):
    check_rates(inverse_time_lr, (lr0, decay),
                reference_rates(lambda opt: InverseTimeLR(opt, decay=decay), lr0, epochs), f"lr0={lr0}, decay={decay}",
                {"off by one epoch: epoch 0 trains with lr0 itself, so η_t = lr0 / (1 + decay·t)": lambda t: lr0 / (1 + decay * (t + 1)),
                 OFF_BY_ONE_BACK: lambda t: lr0 / (1 + decay * (t - 1)) if decay < 1 else None,
                 "1/t decay divides by (1 + decay·t), not by (1 + decay)^t (that is exponential decay)": lambda t: lr0 / (1 + decay) ** t,
                 "the decay rate is missing: η_t = lr0 / (1 + decay·t), not lr0 / (1 + t)": lambda t: lr0 / (1 + t),
                 "parentheses: lr0 / (1 + decay·t); lr0 / 1 + decay·t divides by 1 only": lambda t: lr0 + decay * t})


def check_step(lr0, step_size, gamma, epochs):
    check_rates(step_lr, (lr0, step_size, gamma),
                reference_rates(lambda opt: StepLR(opt, step_size=step_size, gamma=gamma), lr0, epochs),
                f"lr0={lr0}, step_size={step_size}, gamma={gamma}",
                {"the rate stays constant for step_size epochs: use the whole number ⌊t / step_size⌋ (t // step_size)":
                     lambda t: lr0 * gamma ** (t / step_size),
                 "off by one epoch: the first drop comes after step_size epochs, at t = step_size, so use t // step_size":
                     lambda t: lr0 * gamma ** ((t + 1) // step_size),
                 "off by one: ⌈t / step_size⌉ drops the rate already at t = 1; use ⌊t / step_size⌋":
                     lambda t: lr0 * gamma ** -(-t // step_size),
                 OFF_BY_ONE_BACK: lambda t: lr0 * gamma ** ((t - 1.0) // step_size),
                 "gamma is raised to the power ⌊t / step_size⌋ (gamma ** (t // step_size)), not multiplied by it":
                     lambda t: lr0 * gamma * (t // step_size)})
