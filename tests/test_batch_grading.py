"""A whole class in one batch: hostile and broken submissions beside honest ones. Every submission gets
a score and a status with its reason, the batch never stops, and honest students get exactly the scores
they get when graded alone, and the scores plain nbgrader gives them."""
import base64
import copy
import csv
import hashlib
import os
import shutil
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from mlpcourse import grade
from mlpcourse.notebook_grader import Limits

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT, NOTEBOOK = "a3_backprop", "linear_relu.ipynb"
SAMPLES = ROOT / "samples" / "submitted"
FULL = 11.0  # the points of linear_relu.ipynb: 2 + 2 + 2 + 2 + 1 + 2
LIMITS = Limits(cell_timeout=8, total_timeout=40, memory=3 * 1024**3, max_output=5_000, workers=2)


def sample(student):
    return nbformat.read(SAMPLES / student / ASSIGNMENT / NOTEBOOK, as_version=4)


def cell(notebook, cell_id):
    return next(c for c in notebook.cells if c.id == cell_id)


def with_answer(cell_id, source, base="correct"):
    notebook = sample(base)
    cell(notebook, cell_id).source = source
    return notebook


def without(cell_id):
    notebook = sample("correct")
    notebook.cells = [c for c in notebook.cells if c.id != cell_id]
    return notebook


def duplicated(cell_id):
    notebook = sample("correct")
    index = next(i for i, c in enumerate(notebook.cells) if c.id == cell_id)
    twin = copy.deepcopy(notebook.cells[index])
    twin.id = cell_id + "-copy"
    notebook.cells.insert(index + 1, twin)
    return notebook


def retyped(cell_id):
    notebook = sample("correct")
    index = next(i for i, c in enumerate(notebook.cells) if c.id == cell_id)
    old = notebook.cells[index]
    markdown = nbformat.v4.new_markdown_cell(old.source, metadata=old.metadata)
    markdown.id = old.id
    notebook.cells[index] = markdown
    return notebook


def with_extra_cell(source, after, base="correct"):
    notebook = sample(base)
    index = next(i for i, c in enumerate(notebook.cells) if c.id == after)
    extra = nbformat.v4.new_code_cell(source)
    extra.id = "my-own-cell"
    notebook.cells.insert(index + 1, extra)
    return notebook


def tampered(base):
    notebook = sample(base)
    cell(notebook, "test_linear_backward_bias").source = "print('all good')"
    return notebook


RELU_BACKWARD_POINTS, BIAS_POINTS, RELU_FORWARD_POINTS = 2, 2, 1
BUGGY = FULL - BIAS_POINTS - RELU_BACKWARD_POINTS  # the buggy sample's score: its two catalogued mistakes
WRONG_RELU = FULL - RELU_FORWARD_POINTS            # correct, but for a relu_forward that does not work
# student -> (notebook or raw text, expected score, expected status, a word the detail must contain)
HOSTILE = {
    "hangs_ignoring_sigint": (with_answer("relu_forward", "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                                          "def relu_forward(x):\n    while True:\n        pass"),
                              # every linear test ran before the hang; relu's tests never ran
                              FULL - RELU_FORWARD_POINTS - RELU_BACKWARD_POINTS, "timed out", "time limit"),
    "kernel_dies": (with_answer("relu_backward", "import os\nos._exit(1)"),
                    FULL - RELU_FORWARD_POINTS - RELU_BACKWARD_POINTS, "kernel died", "relu_backward"),
    # relu_forward is never defined; relu_backward's test does not need it
    "eats_memory": (with_answer("relu_forward", "hog = bytearray(50 * 1024**3)"), WRONG_RELU, "out of memory", "relu_forward"),
    "prints_megabytes": (with_extra_cell("for i in range(200_000):\n    print('spam ' * 20)", after="setup"),
                         FULL, "graded", ""),
    "deleted_a_test_cell": (without("test_linear_backward_bias"), FULL, "cells missing (restored and graded)",
                            "test_linear_backward_bias"),
    "deleted_tests_to_hide_a_bug": (tampered("buggy"), BUGGY, "tests tampered with (restored and graded)", "test_linear_backward_bias"),
    "edited_a_test_cell": (tampered("correct"), FULL, "tests tampered with (restored and graded)", "test_linear_backward_bias"),
    "duplicated_cells": (duplicated("test_relu_forward"), FULL, "graded", "duplicated"),
    "retyped_an_answer": (retyped("relu_forward"), WRONG_RELU, "cells missing (restored and graded)", "relu_forward"),
    "empty_notebook": (nbformat.v4.new_notebook(), 0.0, "cells missing (restored and graded)", "linear_forward"),
    "malformed": ('{"cells": [ this is not json', 0.0, "malformed notebook", "JSON"),
    # the exercises' own footer line, pasted into a cell, is neither run nor flagged
    "grades_itself_from_the_footer": (with_extra_cell("from mlpcourse.check import report; report()", after="relu_backward"),
                                      FULL, "graded", ""),
}


def cheat(code):
    """The correct sample with relu_forward's answer replaced by `code`."""
    return with_answer("relu_forward", code)


ENCODED_TORCH = base64.b64encode(b"import torch\ndef relu_forward(x):\n    return torch.relu(torch.from_numpy(x)).numpy()").decode()
CLASS_FOLDER = "@CLASS_FOLDER@"  # replaced by the class's real folder when the submissions are written
VANDAL = f"""import os, shutil, glob
for target in [{str(ROOT / "mlpcourse" / "checks.py")!r}, {str(ROOT / "solutions")!r}, {str(ROOT / "exercises")!r},
               {str(ROOT / "grading")!r}, '{CLASS_FOLDER}']:
    for path in glob.glob(target + '/**', recursive=True) + [target]:
        try:
            if os.path.isdir(path):
                shutil.rmtree(path)
            else:
                open(path, 'w').write('vandalised')
        except OSError as error:
            print('refused:', path, error)
def relu_forward(x):
    return x
"""
# Submissions that try to get marks without the work, or to harm the course and classmates. Each earns at most
# what its wrong answer earns without the trick (less where the trick breaks its own kernel):
# student -> (notebook, the wrong answer's score, a flag the instructor sees or None)
CHEATS = {
    # exception-swallowing kernel hooks, on a notebook whose answers are all `raise NotImplementedError()`
    "swallows_errors_with_set_custom_exc": (with_extra_cell("get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)",
                                                            after="setup", base="untouched"), 0.0, "set_custom_exc"),
    "replaces_showtraceback": (with_extra_cell("ip = get_ipython()\nip.showtraceback = lambda *a, **k: None", after="setup",
                                               base="untouched"), 0.0, "showtraceback"),
    "clears_outputs_after_each_cell": (with_extra_cell("from IPython.display import clear_output\n"
                                                       "get_ipython().events.register('post_run_cell', lambda *a: clear_output())",
                                                       after="setup", base="untouched"), 0.0, "IPython"),
    # rebinding or patching the checks, with the buggy sample's answers
    "redefines_check_array": (with_extra_cell("def check_array(*args, **kwargs):\n    pass", after="setup", base="buggy"),
                              BUGGY, "check_array"),
    "rebinds_checks_through_globals": (with_extra_cell("globals()['check_array'] = lambda *a, **k: None", after="setup",
                                                       base="buggy"), BUGGY, "globals"),
    "rebinds_checks_through_exec": (with_extra_cell("exec('def check_' + 'array(*a, **k): pass')", after="setup",
                                                    base="buggy"), BUGGY, "exec"),
    "patches_the_checks_module": (with_extra_cell("import sys\nfor module in list(sys.modules.values()):\n"
                                                  "    if hasattr(module, 'check_array'):\n        module.check_array = lambda *a, **k: None",
                                                  after="setup", base="buggy"), BUGGY, "modules"),
    "patches_builtins": (with_extra_cell("import builtins\nbuiltins.all = builtins.any = lambda *a: True\n"
                                         "builtins.AssertionError = type('Never', (BaseException,), {})", after="setup", base="buggy"),
                         BUGGY, "builtins"),
    "patches_numpy_through_an_alias": (with_extra_cell("import numpy as xp\nxp.isclose = lambda a, b, **k: xp.ones(xp.shape(a), bool)\n"
                                                       "xp.allclose = xp.array_equal = lambda *a, **k: True", after="setup", base="buggy"),
                                       BUGGY, "xp.isclose"),
    # the reference or torch without an import statement
    "reference_through_sys_modules": (cheat("import sys\ndef relu_forward(x):\n    return sys.modules['mlp_ref'].ReLU()(x)"),
                                      WRONG_RELU, "modules"),
    "reference_through___import__": (cheat("def relu_forward(x):\n    return __import__('ml' + 'p_ref').ReLU()(x)"),
                                     WRONG_RELU, "__import__"),
    "reference_through_importlib": (cheat("import importlib\ndef relu_forward(x):\n"
                                          "    return importlib.import_module('mlp_ref.activation').ReLU()(x)"), WRONG_RELU, "importlib"),
    "torch_through_encoded_exec": (cheat(f"import base64\nexec(base64.b64decode({ENCODED_TORCH!r}).decode())"), WRONG_RELU, "exec"),
    # the expected value, read from the test's frame or smuggled through a rigged result
    "reads_the_callers_frame": (cheat("import sys\ndef relu_forward(x):\n    frame = sys._getframe(1)\n    while frame is not None:\n"
                                      "        for name in ('y_ref', 'expected'):\n            if name in frame.f_locals:\n"
                                      "                return frame.f_locals[name]\n        frame = frame.f_back\n    return x"),
                                WRONG_RELU, "_getframe"),
    "returns_an_ndarray_subclass_equal_to_anything": (cheat("import numpy as np\nclass Always(np.ndarray):\n"
                                                            "    def __eq__(self, other):\n        return np.ones(np.shape(other), bool)\n"
                                                            "def relu_forward(x):\n    return np.zeros_like(x).view(Always)"), WRONG_RELU, None),
    "returns_an_object_with_tricks": (cheat("class Anything:\n    shape = (3, 5)\n    def __eq__(self, other):\n        return True\n"
                                            "    def __array__(self, *args, **kwargs):\n        import sys\n"
                                            "        return sys._getframe(1).f_locals.get('expected')\n"
                                            "def relu_forward(x):\n    return Anything()"), WRONG_RELU, "_getframe"),
    # the hidden tests and solutions from disk; the course and classmates' work, vandalised
    "reads_the_hidden_tests_from_disk": (cheat(f"import glob\nfound = glob.glob({str(ROOT)!r} + '/**/*.ipynb', recursive=True)\n"
                                               "for path in found:\n    print(open(path).read())\n"
                                               "def relu_forward(x):\n    return x"), WRONG_RELU, None),
    "vandalises_the_course_and_classmates": (cheat(VANDAL), WRONG_RELU, None),
    # forging answers on the channel, signalling every process, flooding the output, leaving a daemon
    "forges_answers_on_the_channel": (with_extra_cell("import os\nfor fd in range(3, 64):\n    try:\n"
                                                      "        os.write(fd, b'\\x00\\x00\\x00\\x10{\"value\": 11.0} ')\n"
                                                      "    except OSError:\n        pass", after="setup", base="untouched"), 0.0, None),
    "signals_every_process": (with_extra_cell("import os, signal\nfor pid in range(1, 5000):\n    if pid != os.getpid():\n"
                                              "        try:\n            os.kill(pid, signal.SIGKILL)\n        except OSError:\n"
                                              "            pass\nos.kill(-1, signal.SIGSTOP)", after="relu_backward"), FULL, "kill"),
    "floods_the_output_four_ways": (with_extra_cell("import os, sys\nos.write(1, b'x' * 3_000_000)\nsys.__stdout__.write('y' * 3_000_000)\n"
                                                    "print('z' * 3_000_000)\nfrom IPython.display import display\n"
                                                    "display({'text/plain': 'w' * 3_000_000}, raw=True)\nraise ValueError('v' * 3_000_000)",
                                                    after="relu_backward"), FULL, None),
    "leaves_a_daemon": (with_extra_cell("import os, subprocess\nsubprocess.Popen(['sleep', '987654'], start_new_session=True)\n"
                                        "if os.fork() == 0:\n    os.setsid()\n    os.execvp('sleep', ['sleep', '987653'])",
                                        after="relu_backward"), FULL, "Popen"),
}
HONEST = {"honest_correct": (FULL, "graded"), "honest_buggy": (BUGGY, "graded"), "honest_untouched": (0.0, "graded")}


def write_submission(folder, student, notebook):
    path = folder / student / ASSIGNMENT / NOTEBOOK
    path.parent.mkdir(parents=True, exist_ok=True)
    text = notebook if isinstance(notebook, str) else nbformat.writes(notebook)
    path.write_text(text.replace(CLASS_FOLDER, str(folder)))


def write_honest(folder):
    for student, base in (("honest_correct", "correct"), ("honest_buggy", "buggy"), ("honest_untouched", "untouched")):
        write_submission(folder, student, sample(base))


def only_this_notebook(rows):
    return {r["student"]: r for r in rows if r["notebook"] in (NOTEBOOK, "")}


@pytest.fixture(scope="module")
def class_batch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    write_honest(folder)
    for student, (notebook, *_) in {**HOSTILE, **CHEATS}.items():
        write_submission(folder, student, notebook)
    (folder / "missing_notebook" / ASSIGNMENT).mkdir(parents=True)
    (folder / "wrong_folder" / "a9_no_such_assignment").mkdir(parents=True)
    write_submission(folder, "wrong_notebook", nbformat.read(another_notebook(), as_version=4))
    out = tmp_path_factory.mktemp("report") / "report"
    course_before, class_before = fingerprint(COURSE_FILES), fingerprint(sorted(folder.rglob("honest_*/**/*.ipynb")))
    rows = [vars(r) for r in grade.grade(folder, out, LIMITS, progress=lambda line: None)]
    return folder, out, rows, (course_before, class_before)


# the course's files a vandal would go for
COURSE_FILES = sorted([ROOT / "mlpcourse" / "checks.py"] + [path for folder in ("mlp_ref", "solutions", "exercises")
                                                             for path in (ROOT / folder).rglob("*")
                                                             if path.is_file() and "__pycache__" not in path.parts])


def fingerprint(paths):
    return {str(path): hashlib.sha256(path.read_bytes()).hexdigest() for path in paths}


def another_notebook():
    """A notebook of the course other than linear_relu (handed in under the wrong name)."""
    return next(p for p in sorted((ROOT / "solutions").rglob("*.ipynb")) if p.name != NOTEBOOK)


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_each_hostile_or_broken_submission_gets_its_score_and_reason(class_batch, student):
    _, _, rows, _ = class_batch
    _, score, status, detail_word = HOSTILE[student]
    row = only_this_notebook(rows)[student]
    assert row["status"] == status, row
    assert detail_word in row["detail"], row
    if score is not None:
        assert row["score"] == score, row
    assert row["max_score"] == FULL


def test_missing_and_misplaced_work_is_reported_not_fatal(class_batch):
    _, _, rows, _ = class_batch
    by_student = only_this_notebook(rows)
    assert by_student["missing_notebook"]["status"] == "missing notebook" and by_student["missing_notebook"]["score"] == 0
    assert by_student["wrong_folder"]["status"] == "wrong assignment"
    assert "a9_no_such_assignment" in by_student["wrong_folder"]["detail"]
    assert by_student["wrong_notebook"]["status"] == "wrong assignment"
    assert another_notebook().name in by_student["wrong_notebook"]["detail"]


def test_every_submission_is_in_the_report_csv_and_the_gradebook(class_batch):
    folder, out, rows, _ = class_batch
    students = {p.name for p in folder.iterdir()}
    with open(out / "scores.csv") as file:
        assert {row["student"] for row in csv.DictReader(file)} == students
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gradebook:
        for row in rows:
            if row["assignment"] == ASSIGNMENT and row["notebook"] == NOTEBOOK:
                stored = gradebook.find_submission_notebook(Path(NOTEBOOK).stem, ASSIGNMENT, row["student"])
                assert stored.score == row["score"], row


def test_feedback_shows_hidden_test_results_but_not_their_code(class_batch):
    _, out, _, _ = class_batch
    html = (out / "feedback" / "honest_buggy" / ASSIGNMENT / "linear_relu.html").read_text()
    assert "ReLU has no derivative, and the convention" in html  # the hint that only a hidden test triggers
    assert "BEGIN HIDDEN TESTS" not in html and "with_zeros=True" not in html


def test_honest_students_get_the_same_scores_alone_and_from_plain_nbgrader(class_batch, tmp_path):
    _, _, rows, _ = class_batch
    in_batch = {s: (r["score"], r["status"]) for s, r in only_this_notebook(rows).items() if s in HONEST}
    assert in_batch == {s: (score, status) for s, (score, status) in HONEST.items()}
    alone_folder = tmp_path / "alone"
    write_honest(alone_folder)
    alone = grade.grade(alone_folder, tmp_path / "alone-report", LIMITS, progress=lambda line: None)
    assert {r.student: (r.score, r.status) for r in alone if r.notebook == NOTEBOOK} == in_batch
    assert plain_nbgrader_scores(alone_folder, tmp_path / "nbgrader") == {s: v[0] for s, v in in_batch.items()}


def plain_nbgrader_scores(submissions, course):
    """The scores `nbgrader autograde` gives the same notebooks."""
    from nbgrader.api import Gradebook

    course.mkdir()
    grade.make_scratch_course(course)
    grade.generate_release(course, ASSIGNMENT)
    shutil.copytree(submissions, course / "grading" / "submitted")
    grade.nbgrader(course, "autograde", ASSIGNMENT)
    with Gradebook(f"sqlite:///{course / 'grading' / 'gradebook.db'}") as gradebook:
        return {s.name: gradebook.find_submission_notebook(Path(NOTEBOOK).stem, ASSIGNMENT, s.name).score
                for s in submissions.iterdir()}


def test_an_lms_zip_of_loose_notebooks_is_graded(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(f"alice_{NOTEBOOK}", nbformat.writes(sample("correct")))
        zipped.writestr(f"bob_{NOTEBOOK}", nbformat.writes(sample("buggy")))
        zipped.writestr(f"../../mallory_{NOTEBOOK}", nbformat.writes(sample("correct")))  # one unsafe member
    said = []
    rows = grade.grade(archive, tmp_path / "report", LIMITS, progress=said.append)
    scores = {(r.student, r.notebook): r.score for r in rows if r.notebook == NOTEBOOK}
    assert scores == {("alice", NOTEBOOK): FULL, ("bob", NOTEBOOK): BUGGY}
    assert any("skipped the unsafe path" in line and "mallory" in line for line in said)
    assert not (tmp_path.parent / f"mallory_{NOTEBOOK}").exists()


def test_the_command_exits_zero_for_students_faults_and_names_its_own(tmp_path):
    import subprocess

    folder = tmp_path / "subs"
    write_submission(folder, "broken", '{"not": "a notebook"')
    ok = subprocess.run([sys.executable, "-m", "mlpcourse.grade", str(folder), "--out", str(tmp_path / "r1")],
                        capture_output=True, text=True, cwd=ROOT)
    assert ok.returncode == 0 and "malformed notebook" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "mlpcourse.grade", str(tmp_path / "absent.zip"), "--out", str(tmp_path / "r2")],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode != 0 and bad.stderr.strip() == f"course.py grade: no such folder or archive: {tmp_path / 'absent.zip'}"


def test_shards_split_a_class_so_that_every_student_is_graded_exactly_once():
    students = [f"student{i}" for i in range(200)] + ["Zoë Ünïcode", "x"]
    for n in (1, 2, 3, 7):
        owners = [[k for k in range(n) if grade.in_shard(s, (k, n))] for s in students]
        assert all(len(o) == 1 for o in owners)
        if n > 1:
            assert len({o[0] for o in owners}) == n  # no shard is left empty by the hash


def test_an_archive_wrapped_in_one_folder_is_read_from_inside_it(tmp_path):
    from mlpcourse import intake

    layout, loose = tmp_path / "layout", tmp_path / "loose"
    (layout / "submitted" / "alice" / ASSIGNMENT).mkdir(parents=True)
    (layout / "submitted" / "alice" / ASSIGNMENT / NOTEBOOK).write_text("{}")
    (loose / "export").mkdir(parents=True)
    (loose / "export" / f"bob_{NOTEBOOK}").write_text("{}")
    assert intake.submissions_root(layout) == layout / "submitted"
    assert intake.submissions_root(loose) == loose / "export"
    assert intake.submissions_root(layout / "submitted") == layout / "submitted"  # one student: not stepped into


@pytest.mark.parametrize("student", sorted(CHEATS))
def test_no_cheat_earns_more_than_its_wrong_answer_and_the_instructor_sees_it(class_batch, student):
    _, out, rows, _ = class_batch
    _, score, flag = CHEATS[student]
    row = only_this_notebook(rows)[student]
    assert row["score"] <= score, row
    if flag is not None:
        # flagged, unless another status says more (a kernel the trick killed), and the flag is in the report either way
        assert row["status"] != "graded" and any(flag in reason for reason in row["flags"]), row
        with open(out / "scores.csv") as file:
            assert flag in next(r for r in csv.DictReader(file) if r["student"] == student and r["notebook"] == NOTEBOOK)["flagged"]
        assert flag in (out / "feedback" / student / ASSIGNMENT / "linear_relu.html").read_text()


def test_flags_reach_nbgraders_gradebook(class_batch):
    _, out, rows, _ = class_batch
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gradebook:
        for student in ("redefines_check_array", "honest_buggy"):
            stored = gradebook.find_submission_notebook(Path(NOTEBOOK).stem, ASSIGNMENT, student)
            assert stored.flagged == (student != "honest_buggy")
            if stored.flagged:
                assert any("check_array" in (comment.manual_comment or "") for comment in stored.comments)


def test_no_feedback_or_graded_notebook_shows_hidden_tests_or_solutions(class_batch):
    _, out, _, _ = class_batch
    for path in (out / "feedback").rglob("*.html"):  # what students get (the autograded notebooks are the instructor's)
        text = path.read_text()
        assert "BEGIN HIDDEN TESTS" not in text and "with_zeros=True" not in text, path
        assert "BEGIN SOLUTION" not in text and "return grad_output * (x > 0)" not in text, path
    for path in list((out / "feedback").rglob("*.html")) + list((out / "autograded").rglob("*.ipynb")):
        assert path.stat().st_size < 1_000_000, f"{path}: {path.stat().st_size} bytes despite the output limit"


def test_the_course_and_classmates_work_are_untouched_and_no_process_is_left(class_batch):
    folder, _, rows, (course_before, class_before) = class_batch
    assert fingerprint(COURSE_FILES) == course_before
    assert fingerprint(sorted(folder.rglob("honest_*/**/*.ipynb"))) == class_before
    left = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "987654" in text or "987653" in text:
            left.append(text)
    assert left == []


def test_grading_refuses_without_the_sandbox_unless_told(tmp_path):
    import subprocess

    env = dict(os.environ, PATH=str(Path(sys.executable).parent))  # no /usr/bin: no bwrap
    refused = subprocess.run([sys.executable, "-m", "mlpcourse.grade", "--out", str(tmp_path / "r")], capture_output=True,
                             text=True, cwd=ROOT, env=env)
    assert refused.returncode != 0 and "bubblewrap" in refused.stderr and "--unsandboxed" in refused.stderr
    assert not (tmp_path / "r").exists()
