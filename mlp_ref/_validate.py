"""Input checks shared by every layer: a wrong shape or dtype raises a ValueError that says what
was expected and what came, instead of a broadcasting accident three lines later."""
import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def as_float_array(name, x, ndim=None, dtype=None):
    """Return `x` as a floating-point ndarray, checking its number of dimensions and dtype.

    ndim: an int or a tuple of allowed ints (None: any). dtype: the dtype `x` must have (None: any float).
    """
    if not isinstance(x, np.ndarray):
        raise ValueError(f"{name}: expected a NumPy array, got {type(x).__name__}")
    if x.dtype.type not in FLOAT_DTYPES:
        raise ValueError(f"{name}: expected a float32 or float64 array, got dtype {x.dtype}")
    if dtype is not None and x.dtype != dtype:
        raise ValueError(f"{name}: expected dtype {np.dtype(dtype)} (the layer's parameters), got {x.dtype}")
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if allowed is not None and x.ndim not in allowed:
        wanted = " or ".join(f"{d}-D" for d in allowed)
        raise ValueError(f"{name}: expected a {wanted} array, got shape {x.shape}")
    return x


def check_shape(name, x, expected):
    """Raise unless x.shape == expected; None in `expected` matches any size."""
    ok = x.ndim == len(expected) and all(e is None or e == s for e, s in zip(expected, x.shape))
    if not ok:
        shown = "(" + ", ".join("N" if e is None else str(e) for e in expected) + ("," if len(expected) == 1 else "") + ")"
        raise ValueError(f"{name}: expected shape {shown}, got {x.shape}")
    return x
