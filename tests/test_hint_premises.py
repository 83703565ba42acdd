"""A hint that blames something fires only when its premise holds: an earlier function is blamed only when the
later one calls it, a history hint only for the history its mistake gives, a shape error's hint only for the mistake
that the same function shows on shapes that cannot clash. Each test makes a mistake twice, once where the premise
holds (the hint must show) and once where it does not (it must not), and tests/test_mistakes.py checks, for every
catalogued mistake, that a function blamed by name is the one the mistake is in."""
import warnings
from pathlib import Path

import nbformat
import pytest

from mlpcourse import checks, inprocess

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def every_hint_level():
    with checks.hints_at(3):
        yield


def failures(notebook, **mistakes):
    """{graded test id: failure message} of the solution `notebook` with `mistakes` ({cell id: (old, new), ...})."""
    path = ROOT / "solutions" / notebook
    cells = {cell.id: cell for cell in nbformat.read(path, as_version=4).cells}
    replacements = {}
    for cell_id, (old, new) in mistakes.items():
        assert old in cells[cell_id].source, f"{cell_id}: {old!r} is not in the solution any more"
        replacements[cell_id] = cells[cell_id].source.replace(old, new, 1)
    graded = {cell_id for cell_id, cell in cells.items() if cell.metadata.get("nbgrader", {}).get("grade")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = inprocess.run_cells(nbformat.read(path, as_version=4), replacements, cwd=path.parent)
    return {cell_id: failure for cell_id, failure in results.items() if cell_id in graded and failure}


WRONG_SIGMOID_DERIVATIVE = ("    return s * (1 - s)", "    return s * (1 + s)")


def test_a_piece_is_blamed_only_when_the_function_built_on_it_calls_it():
    calls_it = failures("a3_backprop/two_layer_sigmoid.ipynb", sigmoid_derivative=WRONG_SIGMOID_DERIVATIVE)
    assert "hidden_residual builds on your other functions" in calls_it["test_hidden_residual"]
    assert "sigmoid_derivative" in calls_it["test_hidden_residual"].split("builds on")[1]
    inlined = failures("a3_backprop/two_layer_sigmoid.ipynb", sigmoid_derivative=WRONG_SIGMOID_DERIVATIVE,
                       hidden_residual=("* sigmoid_derivative(z1)", "* sigmoid(z1)"))  # wrong, and on its own
    assert "test_hidden_residual" in inlined and "builds on" not in inlined["test_hidden_residual"]


WRONG_KAIMING_STD = ('fan = fan_in if mode == "fan_in" else fan_out', "fan = fan_in")


def test_a_fill_is_blamed_on_the_students_helper_only_when_it_calls_it():
    calls_it = failures("a8_init/scaled_init.ipynb", init_std=WRONG_KAIMING_STD)
    assert "this follows from your kaiming_std" in calls_it["test_kaiming_fills"]
    inline = ("return uniform_with_std_(weight, kaiming_std(weight, a, mode, nonlinearity), generator)",
              "return uniform_with_std_(weight, calculate_gain(nonlinearity, a) / math.sqrt(weight.shape[1]), generator)")
    own = failures("a8_init/scaled_init.ipynb", init_std=WRONG_KAIMING_STD, xavier_and_kaiming=inline)
    assert "test_kaiming_fills" in own  # the same mistake, made in kaiming_uniform_ itself
    assert "follows from your kaiming_std" not in own["test_kaiming_fills"]
    assert "mode picks one of them" in own["test_kaiming_fills"]  # the mistake is still named


def test_a_perceptron_history_is_explained_by_the_mistake_that_gives_it():
    start = "    w, b = np.zeros(X.shape[1]), 0.0\n    history = []\n    for _ in range(max_epochs):\n"
    reset = failures("a1_perceptron/perceptron.ipynb", perceptron_fit=(
        start, "    history = []\n    for _ in range(max_epochs):\n        w, b = np.zeros(X.shape[1]), 0.0\n"))
    never_zeroed = failures("a1_perceptron/perceptron.ipynb", perceptron_fit=(
        start + "        mistakes = 0\n", "    w, b = np.zeros(X.shape[1]), 0.0\n    history = []\n    mistakes = 0\n"
                                        "    for _ in range(max_epochs):\n"))
    reset_text, never_zeroed_text = "\n".join(reset.values()), "\n".join(never_zeroed.values())
    assert "w and b start again from 0 at every epoch" in reset_text and "count at 0" not in reset_text
    assert "start each epoch's count at 0" in never_zeroed_text and "start again" not in never_zeroed_text


def test_a_shape_error_in_mlp_forward_is_explained_by_what_the_function_does_where_shapes_cannot_clash():
    skipped = failures("a1_perceptron/mlp_forward.ipynb", mlp_forward=(
        "zip(weights[:-1], biases[:-1])", "zip(weights[1:-1], biases[1:-1])"))["test_mlp_forward"]
    untransposed = failures("a1_perceptron/mlp_forward.ipynb", mlp_forward=(
        "a = activation(a @ W.T + b)", "a = activation(a @ W + b)"))["test_mlp_forward"]
    assert "a layer was skipped" in skipped and "W has shape (out, in)" not in skipped
    assert "W has shape (out, in)" in untransposed and "a layer was skipped" not in untransposed


def test_a_lost_momentum_buffer_is_not_taken_for_a_missing_return():
    lost = failures("a5_training/sgd_and_schedules.ipynb", sgd_step=(
        "    return param - lr * direction, velocity", "    return param - lr * direction, None"))
    assert lost and all("the buffer b carries over" in message and "`return`" not in message for message in lost.values())


def test_a_parameter_is_called_ignored_only_where_it_differs_from_its_default():
    ignored = failures("a4_losses/regression_losses.ipynb", smooth_l1_loss=(
        "np.abs(d) < beta, 0.5 * d**2 / beta, np.abs(d) - 0.5 * beta", "np.abs(d) < 1, 0.5 * d**2, np.abs(d) - 0.5"))
    message = ignored["test_smooth_l1_loss"]
    assert "the beta argument was ignored" in message and "beta=1)" not in message.splitlines()[0]


BOUND_OF_THREE_STDS = ("bound = math.sqrt(3.0) * std", "bound = 3.0 * std")
UNIFORM_HINT = "bound of the uniform version"


def test_a_fills_hint_about_the_bound_shows_only_when_the_fill_itself_scales_the_std():
    helper_wrong = failures("a8_init/scaled_init.ipynb", fill_with_std=BOUND_OF_THREE_STDS)
    blamed = helper_wrong["test_xavier_fills"].split("xavier_uniform_ builds on your other functions")
    assert len(blamed) == 2 and "CheckFailed: uniform_with_std_" in blamed[1]
    assert UNIFORM_HINT not in helper_wrong["test_xavier_fills"]  # 3σ is not √3 times the bound: the helper is at fault
    fill_wrong = failures("a8_init/scaled_init.ipynb", xavier_and_kaiming=(
        "return uniform_with_std_(weight, xavier_std(weight, gain), generator)",
        "return uniform_with_std_(weight, math.sqrt(3.0) * xavier_std(weight, gain), generator)"))
    assert UNIFORM_HINT in fill_wrong["test_xavier_fills"] and "builds on" not in fill_wrong["test_xavier_fills"]
