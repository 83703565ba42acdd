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
    with pytest.raises(CheckFailed, match=r"^linear_forward \(N=3\): your function raised ValueError: matmul"):
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
