"""The default random generator, used wherever a function is not handed one (like torch's global seed)."""
import numpy as np

_default = np.random.default_rng(0)


def manual_seed(seed):
    """Reseed the default generator (as torch.manual_seed does for torch's)."""
    global _default
    _default = np.random.default_rng(seed)
    return _default


def get_generator(generator=None):
    """`generator` if given, else the default one."""
    return _default if generator is None else generator
