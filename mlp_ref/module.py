"""The module system: parameters with gradients, modules with forward and backward, and Sequential.

It mirrors torch.nn.Module, with one difference that is the point of the course: there is no
autograd. Each module's `forward` keeps what its `backward` needs, and `backward(grad_output)`
returns the gradient of the loss with respect to the module's input, adding the gradients of its
parameters into `param.grad` (accumulated, as in PyTorch, until `zero_grad()`).
"""
import numpy as np

# what modules' forward passes keep for their backward (never set before the first forward)
SAVED_BY_FORWARD = frozenset({"_input", "_output", "_normalized", "_inv_std", "_batch_statistics", "_local_grad",
                              "_terms_shape", "_scale"})


class BackwardBeforeForward(RuntimeError):
    """backward (or a value forward computes) was asked of a module whose forward has not run yet."""


class Parameter:
    """A trainable array (`data`) and the gradient of the loss with respect to it (`grad`, same shape)."""

    def __init__(self, data):
        self.data = np.asarray(data)
        self.grad = np.zeros_like(self.data)

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    def __repr__(self):
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class. Subclasses set Parameters and child Modules as attributes and define
    `forward(x) -> y` and `backward(grad_y) -> grad_x`."""

    def __init__(self):
        self.training = True

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def __getattr__(self, name):
        """Reached only for attributes that are not set: forward's saved values before any forward."""
        if name in SAVED_BY_FORWARD:
            raise BackwardBeforeForward(f"{type(self).__name__}: backward needs the values forward keeps; "
                                        f"call the module on an input (its forward) first")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def backward(self, grad_output):
        raise NotImplementedError(f"{type(self).__name__} does not define backward")

    def parameter_backward(self, grad_output):
        """Backward when nobody needs ∂L/∂input (the module's input is the data): only accumulate the
        parameters' gradients. By default this runs backward and drops the input's gradient; modules
        that can skip that work override it (torch skips it for inputs that do not require grad)."""
        self.backward(grad_output)

    def children(self):
        return [value for value in vars(self).values() if isinstance(value, Module)]

    def named_parameters(self, prefix=""):
        """Yield (name, Parameter) pairs, in the order they were set, children's with a dotted prefix."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
            elif isinstance(value, Module):
                yield from value.named_parameters(prefix + name + ".")

    def parameters(self):
        return [param for _, param in self.named_parameters()]

    def zero_grad(self):
        for param in self.parameters():
            param.grad[...] = 0

    def train(self, mode=True):
        """Set training mode (dropout drops, batch norm uses batch statistics) here and in every child."""
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ")
                 for name, child in vars(self).items() if isinstance(child, Module)]
        if not lines:
            return f"{type(self).__name__}({self.extra_repr()})"
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


class Sequential(Module):
    """Modules applied in order; backward runs them in reverse. Children are named "0", "1", ..."""

    def __init__(self, *modules):
        super().__init__()
        for index, module in enumerate(modules):
            setattr(self, str(index), module)

    def __iter__(self):
        return iter(self.children())

    def __len__(self):
        return len(self.children())

    def __getitem__(self, index):
        return self.children()[index]

    def forward(self, x):
        for module in self:
            x = module(x)
        return x

    def backward(self, grad_output):
        for module in reversed(self.children()):
            grad_output = module.backward(grad_output)
        return grad_output

    def parameter_backward(self, grad_output):
        """Backward through all modules but the first, which only accumulates its parameters' gradients."""
        modules = self.children()
        for module in reversed(modules[1:]):
            grad_output = module.backward(grad_output)
        if modules:
            modules[0].parameter_backward(grad_output)
