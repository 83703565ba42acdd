"""The checks behind every exercise test cell say what went wrong in terms a student can act on."""
import numpy as np
import pytest

from mlpcourse.checks import CheckFailed, check_array, check_equal, check_scalar


def failure(*args, **kwargs):
    with pytest.raises(CheckFailed) as raised:
        (kwargs.pop("check", check_array))(*args, function="f", case="a case", **kwargs)
    return str(raised.value)


def test_a_correct_answer_passes_within_the_stated_tolerance():
    expected = np.linspace(-3, 3, 7)
    check_array(expected * (1 + 1e-12), expected, function="f", case="c")
    check_scalar(2.0, np.float64(2.0), function="f", case="c")


def test_wrong_values_name_the_function_case_worst_element_and_errors():
    message = failure(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0]))
    assert message.splitlines()[0] == "f (a case): wrong values in 1 of 3 elements."
    assert "worst element at index (2,): expected 4, got 3" in message
    assert "max abs error 1, max rel error 0.25" in message


def test_a_matching_classic_mistake_gives_its_hint():
    expected = np.array([2.0, 4.0])
    message = failure(expected / 2, expected, mistakes={"you divided by N": expected / 2, "other": expected * 3})
    assert message.endswith("hint: you divided by N")


def test_shape_dtype_none_and_overflow_have_their_own_messages():
    assert "hint: the shape is transposed" in failure(np.ones((2, 3)), np.ones((3, 2)))
    assert "wrong dtype" in failure(np.ones(2, dtype=np.float32), np.ones(2))
    assert "returned None. Did you forget a `return` statement?" in failure(None, np.ones(2))
    assert "inf or nan where the expected one is finite" in failure(np.array([np.nan, 1.0]), np.ones(2))
    assert "relative error undefined" not in failure(np.array([0.0, 5.0]), np.zeros(2))
    assert "max rel error undefined (expected 0)" in failure(np.array([0.0, 5.0]), np.zeros(2))


def test_scalar_and_equality_checks():
    assert "expected a single number, got shape (3,)" in failure(np.ones(3), 1.0, check=check_scalar)
    assert failure(3, 4, check=check_equal, hint="count the biases") == "f (a case): expected 4, got 3\n  hint: count the biases"


def test_call_turns_a_crash_in_the_students_code_into_a_named_failure():
    from mlpcourse.checks import call

    def linear_forward(x):
        return x @ np.ones((2, 2))

    assert call(linear_forward, np.ones((1, 2)), case="c").shape == (1, 2)
    with pytest.raises(CheckFailed, match=r"^linear_forward \(N=3\): your function raised ValueError, shapes that do not fit"):
        call(linear_forward, np.ones((3, 5)), case="N=3")

    def stub(x):
        raise NotImplementedError()

    with pytest.raises(CheckFailed, match=r"^stub \(c\): not written yet"):
        call(stub, 1, case="c")

    def caller(x):
        return stub(x)

    with pytest.raises(CheckFailed, match=r"^stub \(c\): not written yet"):  # names the stub, not its caller
        call(caller, 1, case="c")


def test_a_mistake_that_cannot_happen_in_a_case_is_given_as_none_and_skipped():
    check_scalar(1.0, 1.0, function="f", case="c", mistakes={"impossible here": None})
    assert "hint" not in failure(2.0, 1.0, check=check_scalar, mistakes={"impossible here": None})


def raised_by(function, *args, level=3, **kwargs):
    from mlpcourse.checks import call, hints_at

    with hints_at(level), pytest.raises(CheckFailed) as raised:
        call(function, *args, case="N=5", **kwargs)
    return str(raised.value)


def test_a_matmul_of_shapes_that_do_not_fit_names_the_line_the_sizes_and_the_transpose():
    def linear_backward(grad_output, x, weight):
        return grad_output @ weight.T

    message = raised_by(linear_backward, np.ones((5, 4)), np.ones((5, 3)), np.ones((4, 3)))
    lines = message.splitlines()
    assert lines[0] == ("linear_backward (N=5): your function raised ValueError, shapes that do not fit: a matrix product "
                        "whose inner sizes differ: 4 (the last size of the left operand) and 3 (the first size of the right one), in your line")
    assert lines[1].strip() == "return grad_output @ weight.T"
    assert "the arguments' shapes: (5, 4), (5, 3), (4, 3)" in message
    assert "hint: in A @ B the last size of A must equal the first size of B" in message and "fix: " in message


def test_a_reduction_without_keepdims_and_a_transposed_operand_are_told_apart():
    def centre(x):
        return x - x.mean(axis=1)

    def subtract_transpose(x):
        return x - x.T

    assert "an axis was dropped ((5, 4) became (5,))" in raised_by(centre, np.ones((5, 4)))
    assert "keepdims=True" in raised_by(centre, np.ones((5, 4)))
    transposed = raised_by(subtract_transpose, np.ones((5, 4)))
    assert "(5, 4) and (4, 5) are each other's transpose" in transposed and "keepdims" not in transposed


def test_other_errors_keep_numpys_message():
    def broken(x):
        return int("x")

    assert raised_by(broken, 1).startswith("broken (N=5): your function raised ValueError: invalid literal")


def test_changing_an_input_in_place_fails_only_where_asked():
    from mlpcourse.checks import call

    def step(param, grad):
        param -= grad
        return param

    assert call(step, np.ones(3), np.ones(3), case="c") is not None  # not asked: no check
    message = raised_by(step, np.ones(3), np.ones(3), unchanged=True)
    assert message.startswith("step (N=5): changed its input argument 1 in place (shape (3,))")
    named = raised_by(step, np.ones(3), np.ones(3), unchanged=("param", "grad"))
    assert named.startswith("step (N=5): changed its input `param` in place")

    def new_array(param, grad):
        return param - grad

    param = np.ones(3)
    call(new_array, param, np.ones(3), case="c", unchanged=True)
    assert (param == 1).all()


def test_hint_levels_show_what_is_off_then_the_concept_then_the_fix():
    from mlpcourse.checks import Hint, hints_at

    hint = Hint("the bias is shared by every row", fix="sum over axis 0")
    expected = np.array([2.0, 4.0])
    shown = {}
    for level in (1, 2, 3):
        with hints_at(level):
            shown[level] = failure(expected / 2, expected, mistakes={hint: expected / 2})
    assert all(text.startswith("f (a case): wrong values in 2 of 2 elements.") for text in shown.values())
    assert "the bias is shared" not in shown[1] and "set_hint_level(2)" in shown[1]
    assert "hint: the bias is shared by every row" in shown[2] and "sum over axis 0" not in shown[2]
    assert "set_hint_level(3)" in shown[2]
    assert shown[3].endswith("hint: the bias is shared by every row\n  fix: sum over axis 0")
    with hints_at(1):  # a plain-text hint is a concept: hidden at level 1, shown from 2 on
        assert "count the biases" not in failure(3, 4, check=check_equal, hint="count the biases")
    assert failure(3, 4, check=check_equal, hint="count the biases").endswith("hint: count the biases")


def test_the_hint_level_comes_from_the_setting_then_the_environment(monkeypatch):
    from mlpcourse import checks

    monkeypatch.setenv("MLPCOURSE_HINTS", "1")
    assert checks.hint_level() == 1
    with checks.hints_at(3):
        assert checks.hint_level() == 3
    monkeypatch.setenv("MLPCOURSE_HINTS", "7")  # not a level: the default
    assert checks.hint_level() == checks.DEFAULT_HINT_LEVEL == 2
    with pytest.raises(ValueError, match="the hint level is 1"):
        checks.set_hint_level(4)
