"""In a Jupyter kernel a failed check shows the course's message, without a traceback through the course's code;
when the student's code raised, the student's own frames come first."""
import re

import pytest
from jupyter_client.manager import start_new_kernel

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def kernel():
    manager, client = start_new_kernel(kernel_name="python3")
    yield client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def errors_of(client, code):
    """The error outputs (ename, traceback text without colours) that running `code` shows."""
    message_id = client.execute(code)
    errors = []
    while True:
        message = client.get_iopub_msg(timeout=60)
        if message["parent_header"].get("msg_id") != message_id:
            continue
        if message["msg_type"] == "error":
            errors.append((message["content"]["ename"], ANSI.sub("", "\n".join(message["content"]["traceback"]))))
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            return errors


def test_a_wrong_answer_shows_the_message_alone(kernel):
    errors_of(kernel, "import numpy as np\nfrom mlpcourse.checks import call, check_array")
    errors = errors_of(kernel, "def add_one(x):\n    return x\n"
                               "check_array(call(add_one, np.zeros(3), case='zeros'), np.ones(3), function='add_one', "
                               "case='zeros', mistakes={'forgot to add one': np.zeros(3)})")
    assert len(errors) == 1
    name, text = errors[0]
    assert name == "CheckFailed"
    assert text.startswith("CheckFailed: add_one (zeros): wrong values") and "forgot to add one" in text
    assert "Traceback" not in text and "mlpcourse/" not in text   # no frame of the course's code (its files)


def test_an_error_in_the_student_code_keeps_the_student_frames(kernel):
    errors_of(kernel, "import numpy as np\nfrom mlpcourse.checks import call, check_array")
    errors = errors_of(kernel, "def product(a, b):\n    return a @ b\n"
                               "check_array(call(product, np.ones((2, 3)), np.ones((2, 3)), case='2x3'), np.ones((2, 2)), "
                               "function='product', case='2x3')")
    name, text = errors[0]
    assert name == "CheckFailed"
    assert "in product" in text and "return a @ b" in text and "ValueError" in text
    assert text.index("return a @ b") < text.index("CheckFailed: product (2x3)")
    assert "mlpcourse/" not in text and "in call(" not in text


def test_other_errors_keep_their_usual_traceback(kernel):
    [(name, text)] = errors_of(kernel, "def divide(a):\n    return a / 0\ndivide(1)")
    assert name == "ZeroDivisionError" and "Traceback" in text and "return a / 0" in text


def test_a_check_that_retries_after_a_failure_shows_the_last_error_alone(kernel):
    errors_of(kernel, "import numpy as np\nfrom mlpcourse.checks import CheckFailed, call")
    [(name, text)] = errors_of(kernel, "def product(a, b):\n    return a @ b\n"
                                       "try:\n    call(product, np.ones((2, 3)), np.ones((2, 3)), case='first')\n"
                                       "except CheckFailed:\n    call(product, np.ones((2, 3)), np.ones((2, 2)), case='retry')")
    assert name == "CheckFailed" and "product (retry)" in text and "product (first)" not in text
    assert text.count("Traceback") == 1 and "mlpcourse/" not in text
