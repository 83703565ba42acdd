"""The checks of a9_capstone/mnist1d_open.ipynb's tests: run in the notebook's namespace by its read-only cell
`load_checks("a9_capstone/mnist1d_open", globals())` (mlpcourse/exercise_checks/__init__.py says why they live here).
The student's functions are this namespace's globals."""
import numpy as np


# ---- baseline
from mlpcourse.checks import CheckFailed, Hint, call, check_equal

BASELINE = 0.68  # Greydanus & Kobak's MLP on MNIST-1D's test signals
ONE_CLASS_PER_ROW = Hint("one class per row of X: the argmax runs over the classes", fix="argmax(axis=1)")


def predicted_labels(count, case):
    """predict_mnist1d on the first `count` test signals, after checking that it returns one label per signal."""
    got = np.asarray(call(predict_mnist1d, X_test[:count].copy(), case=case))
    check_equal(got.shape, (count,), function="predict_mnist1d: the shape of the predictions", case=case,
                hint=ONE_CLASS_PER_ROW)
    if not np.issubdtype(got.dtype, np.integer) or got.min() < 0 or got.max() > 9:
        raise CheckFailed(f"predict_mnist1d ({case}): return integer class labels 0-9, got dtype {got.dtype}, values "
                          f"{got[:5]}...", hint=Hint("the labels are integers 0-9, the indices of the classes",
                                                     fix="return argmax's result as it is, with no conversion"))
    return got


def check_beats_baseline():
    case = "MNIST-1D's 1,000 test signals"
    got = np.asarray(call(predict_mnist1d, X_test.copy(), case=case))
    check_equal(got.shape, y_test.shape, function="predict_mnist1d: the shape of the predictions", case=case,
                hint=ONE_CLASS_PER_ROW)
    share_right = float(np.mean(got == y_test))
    print(f"test accuracy {share_right:.3f}, baseline {BASELINE}")
    if not share_right > BASELINE:
        raise CheckFailed(f"predict_mnist1d ({case}): accuracy {share_right:.1%}, not above the baseline's "
                          f"{BASELINE:.0%}", hint=Hint("Lecture 10, section 6, says why an MLP finds MNIST-1D hard"))
