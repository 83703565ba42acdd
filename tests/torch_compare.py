"""Compare an mlp_ref module with its torch twin: forward output, gradient of the input and of every
parameter, for a random upstream gradient, all in float64.

Tolerance: both compute the same float64 expressions in possibly different orders (BLAS blocking,
summation order), so they differ by a few ulps times the number of terms summed; rtol 1e-10 is far
above that and far below any real error.
"""
import numpy as np
import torch

RTOL = 1e-10
ATOL = 1e-12


def assert_close(ours, theirs, what, rtol=RTOL, atol=ATOL):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype} vs torch {theirs.dtype}"
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=what)


def copy_parameters(ours, theirs):
    """Give the torch module the mlp_ref module's parameter values (same names, same shapes)."""
    with torch.no_grad():
        for name, param in ours.named_parameters():
            getattr_path(theirs, name).copy_(torch.from_numpy(param.data))


def getattr_path(obj, dotted):
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def compare_module(ours, theirs, x, rng, rtol=RTOL, atol=ATOL):
    """Run both on x (float64), backpropagate the same random upstream gradient, compare everything."""
    copy_parameters(ours, theirs)
    theirs.zero_grad()
    x_torch = torch.from_numpy(x.copy()).requires_grad_(True)
    y_ours, y_theirs = ours(x), theirs(x_torch)
    assert_close(y_ours, y_theirs, f"{type(ours).__name__} forward", rtol, atol)
    upstream = rng.standard_normal(y_ours.shape)
    ours.zero_grad()
    grad_x = ours.backward(upstream)
    y_theirs.backward(torch.from_numpy(upstream))
    assert_close(grad_x, x_torch.grad, f"{type(ours).__name__} grad of input", rtol, atol)
    for name, param in ours.named_parameters():
        assert_close(param.grad, getattr_path(theirs, name).grad, f"{type(ours).__name__} grad of {name}", rtol, atol)
