"""Learning-rate schedules, as torch.optim.lr_scheduler: they change `optimizer.lr` between steps.

Use them as in PyTorch, once per epoch (or per iteration) after the optimizer's step:

    for epoch in range(epochs):
        ...  # forward, backward, optimizer.step() for each mini-batch
        scheduler.step()

`last_epoch` counts the calls to `step()`: it is 0 right after construction, when the optimizer
still has its initial rate lr₀, and t after t calls, when the optimizer's rate is lr_t.
`get_last_lr()` returns [lr_t], a one-element list like torch's (which has one entry per
parameter group; mlp_ref optimizers have a single learning rate).
"""


class LRScheduler:
    """Base class. Subclasses define `get_lr()`: the rate for epoch `last_epoch`, computed, like
    torch's, from the optimizer's current rate (chainable) or from `base_lr` = lr₀."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        self._last_lr = [optimizer.lr]

    def get_lr(self):
        raise NotImplementedError(f"{type(self).__name__} does not define get_lr")

    def step(self):
        """Advance one epoch and give the optimizer that epoch's learning rate."""
        self.last_epoch += 1
        self.optimizer.lr = self.get_lr()
        self._last_lr = [self.optimizer.lr]

    def get_last_lr(self):
        """[the learning rate set by the latest step] (or lr₀ before any step)."""
        return list(self._last_lr)


class StepLR(LRScheduler):
    """Multiply the rate by `gamma` every `step_size` epochs: lr_t = lr₀ · gamma^⌊t / step_size⌋.
    Computed as torch does, by multiplying the current rate at each multiple of step_size."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        if not isinstance(step_size, int) or step_size <= 0:
            raise ValueError(f"StepLR: step_size must be a positive int, got {step_size!r}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def get_lr(self):
        if self.last_epoch % self.step_size == 0:
            return self.optimizer.lr * self.gamma
        return self.optimizer.lr


class ExponentialLR(LRScheduler):
    """Multiply the rate by `gamma` every epoch: lr_t = lr₀ · gamma^t (= lr₀ e^(−kt) with
    k = −ln gamma). Computed as torch does, one multiplication per step."""

    def __init__(self, optimizer, gamma):
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self):
        return self.optimizer.lr * self.gamma


class InverseTimeLR(LRScheduler):
    """1/t decay: lr_t = lr₀ / (1 + decay · t). PyTorch has no such class; it is
    LambdaLR(optimizer, lambda t: 1 / (1 + decay * t))."""

    def __init__(self, optimizer, decay):
        if decay < 0:
            raise ValueError(f"InverseTimeLR: decay must be >= 0, got {decay}")
        self.decay = decay
        super().__init__(optimizer)

    def get_lr(self):
        return self.base_lr / (1 + self.decay * self.last_epoch)
