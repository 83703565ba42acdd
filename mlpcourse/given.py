"""What the exercises give students to use in their answers. This module is all of the course's code that a
student's kernel can import when it is graded (the reference `mlp_ref` is not there): keep it small.

    from mlpcourse.given import sigmoid
"""
import numpy as np


def sigmoid(x):
    """σ(x) = 1 / (1 + e^(−x)) element by element, without overflow for any x.

    With s = e^(−|x|) ≤ 1:  σ(x) = 1 / (1 + s) where x ≥ 0, and σ(x) = s / (1 + s) where x < 0.
    """
    s = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + s), s / (1 + s))
