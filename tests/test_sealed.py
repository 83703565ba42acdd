"""The pieces of sealed grading: the channel carries plain data only, the sandbox hides the course, and a
correct answer that warns keeps its points. (A whole class of cheats is graded in test_batch_grading.py.)"""
import json
import os
import shutil
import struct
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from mlpcourse import check, sandbox
from mlpcourse.channel import ChannelBroken, Peer, Remote

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "submitted"

needs_bwrap = pytest.mark.skipif(not sandbox.bubblewrap() and os.environ.get("CI") != "true",
                                 reason="bubblewrap (bwrap) is not installed: apt-get install bubblewrap")


@pytest.fixture(scope="module")
def kernel():
    """One sandboxed student kernel for the module's tests (bubblewrap is required on CI)."""
    with sandbox.Sandbox(2 * 1024**3, sandboxed=bool(sandbox.bubblewrap()) or os.environ.get("CI") == "true") as running:
        running.peer.deadline = None
        yield running


def run(kernel, code):
    kernel.peer.deadline = time.monotonic() + 30
    answer = kernel.peer.request("exec", code=code, budget=100_000)
    return "".join(o.get("text", "") + o.get("message", "") for o in answer["outputs"])


def student(kernel, name):
    kernel.peer.deadline = time.monotonic() + 30
    return kernel.peer.request("lookup", names=[name])[name]


def test_plain_data_crosses_with_its_exact_types(kernel):
    run(kernel, "def echo(*args):\n    return args")
    echo = student(kernel, "echo")
    values = (None, True, 3, 2.5, 1 + 2j, "text", np.float32(1.5), np.int64(7), np.bool_(True), np.array(4.0),
              np.arange(6, dtype=np.int16).reshape(2, 3), np.zeros((0, 3)), np.array([True, False]),
              [1, (2.0, "x")], {"a": np.ones(2), 3: [None]})
    back = echo(*values)
    assert isinstance(back, tuple) and len(back) == len(values)
    for sent, got in zip(values, back):
        assert type(got) is type(sent), (sent, got)
        if isinstance(sent, np.ndarray):
            assert got.dtype == sent.dtype and got.shape == sent.shape and np.array_equal(got, sent)
        elif isinstance(sent, dict):
            assert list(got) == list(sent) and np.array_equal(got["a"], sent["a"]) and got[3] == [None]
        else:
            assert got == sent


def test_what_is_not_plain_data_stays_behind_a_handle(kernel):
    run(kernel, "import numpy as np\nclass Rigged(np.ndarray):\n    def __eq__(self, other):\n        return True\n"
                "class Anything:\n    def __array__(self, *args, **kwargs):\n        raise SystemExit('ran on the grader')\n"
                "def subclass():\n    return np.arange(3.0).view(Rigged)\ndef anything():\n    return Anything()\n"
                "def objects():\n    return np.array([1, 'a'], dtype=object)")
    rigged = student(kernel, "subclass")()
    assert type(rigged) is np.ndarray and not (rigged == np.zeros(3)).all()  # the data, without the class
    assert isinstance(student(kernel, "anything")(), Remote)
    assert np.asarray(student(kernel, "anything")()).dtype == object  # NumPy never reaches its __array__
    assert isinstance(student(kernel, "objects")(), Remote)  # an object array is not data


def test_arrays_changed_in_place_come_back_and_a_returned_argument_is_the_callers(kernel):
    run(kernel, "def fill_(weight, value):\n    weight[...] = value\n    return weight\n"
                "def step(param, grad):\n    param -= 0.5 * grad")
    weight = np.zeros((2, 2))
    assert student(kernel, "fill_")(weight, 3.0) is weight and (weight == 3.0).all()
    param = np.ones(3)
    assert student(kernel, "step")(param, np.full(3, 2.0)) is None and np.array_equal(param, np.zeros(3))


def test_a_student_class_is_driven_and_the_tests_objects_are_called_back(kernel):
    run(kernel, "class Layer:\n    def __init__(self, scale, generator):\n        self.scale, self.generator = scale, generator\n"
                "    def forward(self, x):\n        return self.scale * x + self.generator.random(x.shape)\n"
                "def train(model, batches):\n    return [float(model(x)) for x in batches]")
    layer = student(kernel, "Layer")(2.0, np.random.default_rng(0))
    got = layer.forward(np.ones(3))
    assert np.allclose(got, 2.0 + np.random.default_rng(0).random(3))
    layer.scale = 0.0
    assert layer.scale == 0.0
    assert student(kernel, "train")(lambda x: x.sum(), iter([np.ones(2), np.ones(3)])) == [2.0, 3.0]


def test_student_errors_keep_their_builtin_type_and_frames(kernel):
    run(kernel, "def stub(x):\n    raise NotImplementedError()\ndef broken(x):\n    return x @ x.T.T")
    with pytest.raises(NotImplementedError) as raised:
        student(kernel, "stub")(1)
    assert raised.value.remote_frames[-1][2] == "stub"
    with pytest.raises(ValueError, match="matmul"):
        student(kernel, "broken")(np.ones((2, 3)))


@needs_bwrap
def test_the_sandbox_hides_the_course_the_reference_and_the_network(kernel):
    out = run(kernel, f"import os, socket\nprint(os.path.exists({str(ROOT / 'solutions')!r}), os.getuid())\n"
                      "try:\n    import mlp_ref\nexcept ImportError as e:\n    print('no mlp_ref')\n"
                      "import torch\nprint('torch has', [n for n in dir(torch) if not n.startswith('_')])\n"
                      "try:\n    socket.create_connection(('127.0.0.1', 22), timeout=1)\nexcept OSError as e:\n    print('no network')\n"
                      "open('/tmp/mine', 'w').write('ok')\ntry:\n    open('/usr/evil', 'w')\nexcept OSError:\n    print('read-only')")
    assert "False 65534" in out and "no mlp_ref" in out and "torch has []" in out
    assert "no network" in out and "read-only" in out


def test_a_forged_frame_breaks_the_channel_instead_of_being_believed():
    read_fd, write_fd = os.pipe()
    junk = json.dumps({"value": {"float": "11.0"}, "op": 7}).encode()
    os.write(write_fd, struct.pack(">I", len(junk)) + junk + struct.pack(">I", 0))
    peer = Peer(read_fd, write_fd, trusted=True)
    with pytest.raises(ChannelBroken):  # a request for op 7: not one of the protocol's
        peer.request("exec", code="")
    os.close(read_fd)
    os.close(write_fd)


def test_a_correct_answer_that_warns_keeps_its_points_and_shows_the_warning(tmp_path):
    """The textbook σ(z) = 1 / (1 + e^(−z)) overflows in e^(−z) for very negative z (a RuntimeWarning on stderr,
    which nbgrader's rule punishes) yet gives the right value, 0."""
    notebook = nbformat.read(SAMPLES / "correct" / "a3_backprop" / "two_layer_sigmoid.ipynb", as_version=4)
    index = next(i for i, c in enumerate(notebook.cells) if c.id == "student-setup")
    own = nbformat.v4.new_code_cell("def sigmoid(z):\n    return 1 / (1 + np.exp(-z))")
    own.id = "my-sigmoid"
    notebook.cells.insert(index + 1, own)
    path = tmp_path / "a3_backprop" / "two_layer_sigmoid.ipynb"
    path.parent.mkdir()
    nbformat.write(notebook, path)
    results = check.check(path)
    assert [failure for *_, failure in results if failure] == []
    assert sum(earned for _, earned, _, _ in results) == sum(possible for _, _, possible, _ in results)


def test_grading_without_bubblewrap_still_keeps_the_verdict_outside(tmp_path, monkeypatch):
    """A learner on macOS or Windows: `course.py check` runs the kernel as a plain child process."""
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
    assert sandbox.bubblewrap() is None
    results = check.check(SAMPLES / "buggy" / "a3_backprop" / "linear_relu.ipynb")
    assert {test for test, earned, _, _ in results if earned == 0} == {"test_linear_backward_bias", "test_relu_backward"}
