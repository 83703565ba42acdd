"""SGD and the learning-rate schedulers follow torch.optim step for step.

Both optimizers get the same parameters and, at every step, the same random gradients (float64);
after each step the parameters must agree to rtol 1e-12, atol 1e-13. The arithmetic is the same,
in the same order, but torch fuses some multiply-adds (FMA, one rounding instead of two), so the
two drift apart by an ulp or so of the step now and then: measured over these 60 steps, at most
2e-15 in absolute terms on parameters of size 1 to 15. Relative to an entry that passes close to
zero that can reach 1e-12 (8.8e-13 seen on an entry of size 2e-3), hence the atol of 1e-13, still
50 times above the drift. Any wrong rule (dampening on the first step, a buffer started at zero,
weight decay added after momentum) is off by more than 1e-4 within a few steps.
"""
import itertools

import numpy as np
import pytest
import torch

from mlp_ref.lr_scheduler import ExponentialLR, InverseTimeLR, StepLR
from mlp_ref.module import Parameter
from mlp_ref.optim import SGD

STEPS = 60
SHAPES = [(4, 3), (3,), (2, 5)]
LR = 0.1


def sgd_settings():
    """Every valid combination: nesterov only with momentum > 0 and zero dampening (torch's rule)."""
    for momentum, dampening, nesterov, weight_decay in itertools.product((0.0, 0.9), (0.0, 0.5), (False, True), (0.0, 0.01)):
        if not nesterov or (momentum > 0 and dampening == 0):
            yield dict(momentum=momentum, dampening=dampening, nesterov=nesterov, weight_decay=weight_decay)


SCHEDULERS = {  # name -> (ours, torch's twin)
    "none": None,
    "step": (lambda opt: StepLR(opt, step_size=7, gamma=0.5),
             lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.5)),
    "exponential": (lambda opt: ExponentialLR(opt, gamma=0.95),
                    lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.95)),
    "inverse_time": (lambda opt: InverseTimeLR(opt, decay=0.3),
                     lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1 / (1 + 0.3 * t))),
}


def make_twins(rng):
    values = [rng.standard_normal(shape) for shape in SHAPES]
    ours = [Parameter(v.copy()) for v in values]
    theirs = [torch.nn.Parameter(torch.from_numpy(v.copy())) for v in values]
    return ours, theirs


def feed_same_gradients(ours, theirs, rng):
    for mine, their in zip(ours, theirs):
        grad = rng.standard_normal(mine.shape)
        mine.grad[...] = grad
        their.grad = torch.from_numpy(grad.copy())


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("settings", list(sgd_settings()), ids=lambda s: "-".join(f"{k}={v}" for k, v in s.items()))
def test_sgd_follows_torch_step_for_step(settings, scheduler):
    rng = np.random.default_rng(7)
    ours, theirs = make_twins(rng)
    optimizer, torch_optimizer = SGD(ours, lr=LR, **settings), torch.optim.SGD(theirs, lr=LR, **settings)
    schedulers = None
    if SCHEDULERS[scheduler] is not None:
        schedulers = (SCHEDULERS[scheduler][0](optimizer), SCHEDULERS[scheduler][1](torch_optimizer))
    for step in range(STEPS):
        feed_same_gradients(ours, theirs, rng)
        optimizer.step()
        torch_optimizer.step()
        for index, (mine, their) in enumerate(zip(ours, theirs)):
            np.testing.assert_allclose(mine.data, their.detach().numpy(), rtol=1e-12, atol=1e-13,
                                       err_msg=f"parameter {index} after step {step + 1}")
        if schedulers is not None:
            for s in schedulers:
                s.step()
            assert schedulers[0].last_epoch == schedulers[1].last_epoch == step + 1
            assert optimizer.lr == pytest.approx(torch_optimizer.param_groups[0]["lr"], rel=1e-15)


@pytest.mark.parametrize("scheduler", ["step", "exponential"])
def test_multiplicative_schedules_equal_torchs_rates_exactly(scheduler):
    """Both multiply the current rate by gamma in the same order, so the floats are identical."""
    ours_factory, torch_factory = SCHEDULERS[scheduler]
    ours = ours_factory(SGD([Parameter(np.zeros(1))], lr=0.3))
    theirs = torch_factory(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.3))
    assert ours.get_last_lr() == theirs.get_last_lr() == [0.3]
    for _ in range(100):
        theirs.optimizer.step()
        ours.step()
        theirs.step()
        assert ours.get_last_lr() == theirs.get_last_lr()
        assert ours.optimizer.lr == ours.get_last_lr()[0]


def test_inverse_time_rate_equals_torch_lambda_lr_to_the_last_bits():
    """Ours divides lr₀ by (1 + decay t); LambdaLR multiplies lr₀ by 1 / (1 + decay t): one
    extra rounding, so the two agree to a couple of ulps (rel 1e-15), not bit for bit."""
    ours = InverseTimeLR(SGD([Parameter(np.zeros(1))], lr=0.3), decay=0.05)
    torch_optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.3)
    theirs = torch.optim.lr_scheduler.LambdaLR(torch_optimizer, lambda t: 1 / (1 + 0.05 * t))
    for t in range(1, 101):
        torch_optimizer.step()
        ours.step()
        theirs.step()
        assert ours.get_last_lr()[0] == pytest.approx(theirs.get_last_lr()[0], rel=1e-15)
        assert ours.get_last_lr()[0] == pytest.approx(0.3 / (1 + 0.05 * t), rel=1e-15)


def test_schedules_match_their_closed_forms():
    """Independent of torch: the formulas of the docstrings, at t = 0..40."""
    for t_max in (0, 1, 9, 10, 11, 40):
        step = StepLR(SGD([Parameter(np.zeros(1))], lr=1.0), step_size=10, gamma=0.5)
        exponential = ExponentialLR(SGD([Parameter(np.zeros(1))], lr=2.0), gamma=0.9)
        for _ in range(t_max):
            step.step()
            exponential.step()
        assert step.last_epoch == exponential.last_epoch == t_max
        assert step.optimizer.lr == pytest.approx(0.5 ** (t_max // 10), rel=1e-14)
        assert exponential.optimizer.lr == pytest.approx(2.0 * 0.9**t_max, rel=1e-13)


def test_step_updates_in_place_and_leaves_gradients_alone():
    param = Parameter(np.array([1.0, -2.0]))
    param.grad[...] = [0.5, 1.0]
    data = param.data
    optimizer = SGD([param], lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True)
    optimizer.step()
    assert param.data is data
    np.testing.assert_array_equal(param.grad, [0.5, 1.0])
    # by hand: g = ∇ + 0.1 w = [0.6, 0.8]; b = g; d = g + 0.9 b = 1.9 g; w − 0.1 d
    np.testing.assert_allclose(param.data, [1.0 - 0.19 * 0.6, -2.0 - 0.19 * 0.8], rtol=1e-15)
    optimizer.zero_grad()
    np.testing.assert_array_equal(param.grad, [0.0, 0.0])


def test_float32_parameters_stay_float32():
    param = Parameter(np.ones(3, dtype=np.float32))
    param.grad[...] = 1
    SGD([param], lr=0.1, momentum=0.9, weight_decay=0.01).step()
    assert param.data.dtype == np.float32


@pytest.mark.parametrize("kwargs", [dict(nesterov=True), dict(nesterov=True, momentum=0.9, dampening=0.1),
                                    dict(lr=-0.1), dict(momentum=-0.5), dict(weight_decay=-1.0)])
def test_invalid_settings_raise_like_torch(kwargs):
    settings = dict(lr=0.1) | kwargs
    with pytest.raises(ValueError) as torch_error:
        torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], **settings)
    with pytest.raises(ValueError) as our_error:
        SGD([Parameter(np.zeros(1))], **settings)
    assert str(our_error.value) == str(torch_error.value)


def test_empty_or_wrong_parameter_lists_are_rejected():
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="expected mlp_ref Parameters, got ndarray"):
        SGD([np.zeros(3)], lr=0.1)
