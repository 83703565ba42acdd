"""A whole class in one batch: hostile and broken submissions beside honest ones. Every submission gets
a score and a status with its reason, the batch never stops, and honest students get exactly the scores
they get when graded alone, and the scores plain nbgrader gives them."""
import copy
import csv
import shutil
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from mlpcourse import batch, grade

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT, NOTEBOOK = "a3_backprop", "linear_relu.ipynb"
SAMPLES = ROOT / "samples" / "submitted"
FULL = 11.0  # the points of linear_relu.ipynb: 2 + 2 + 2 + 2 + 1 + 2
LIMITS = batch.Limits(cell_timeout=8, total_timeout=40, memory=3 * 1024**3, max_output=5_000, workers=2)


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
# student -> (notebook or raw text, expected score, expected status, a word the detail must contain)
HOSTILE = {
    "hangs_ignoring_sigint": (with_answer("relu_forward", "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                                          "def relu_forward(x):\n    while True:\n        pass"),
                              # every linear test ran before the hang; relu's tests never ran
                              FULL - RELU_FORWARD_POINTS - RELU_BACKWARD_POINTS, "timed out", "time limit"),
    "kernel_dies": (with_answer("relu_backward", "import os\nos._exit(1)"),
                    FULL - RELU_FORWARD_POINTS - RELU_BACKWARD_POINTS, "kernel died", "relu_backward"),
    # relu_forward is never defined; relu_backward's test does not need it
    "eats_memory": (with_answer("relu_forward", "hog = bytearray(50 * 1024**3)"),
                    FULL - RELU_FORWARD_POINTS, "out of memory", "relu_forward"),
    "prints_megabytes": (with_extra_cell("for i in range(200_000):\n    print('spam ' * 20)", after="setup"),
                         FULL, "graded", ""),
    "deleted_a_test_cell": (without("test_linear_backward_bias"), FULL, "cells missing (restored and graded)",
                            "test_linear_backward_bias"),
    "deleted_tests_to_hide_a_bug": (tampered("buggy"), FULL - BIAS_POINTS - RELU_BACKWARD_POINTS,
                                    "tests tampered with (restored and graded)", "test_linear_backward_bias"),
    "edited_a_test_cell": (tampered("correct"), FULL, "tests tampered with (restored and graded)", "test_linear_backward_bias"),
    "duplicated_cells": (duplicated("test_relu_forward"), FULL, "graded", "duplicated"),
    "retyped_an_answer": (retyped("relu_forward"), FULL - RELU_FORWARD_POINTS,
                          "cells missing (restored and graded)", "relu_forward"),
    "patches_numpy": (with_extra_cell("import numpy\nnumpy.isclose = lambda a, b, **k: numpy.ones(numpy.shape(a), bool)",
                                      after="setup", base="buggy"), None, "suspected cheating", "numpy.isclose"),
    "patches_the_checks": (with_extra_cell("def check_array(*args, **kwargs):\n    pass", after="helpers-relu", base="buggy"),
                           None, "suspected cheating", "check_array"),
    "calls_torch": (with_answer("relu_forward", "import torch\ndef relu_forward(x):\n    return torch.relu(torch.tensor(x)).numpy()"),
                    FULL, "suspected cheating", "torch"),
    "calls_a_reference_the_notebook_imported": (with_answer("relu_forward", "def relu_forward(x):\n    return mlp_ref.ReLU()(x)"),
                                                FULL, "suspected cheating", "mlp_ref"),
    "calls_the_reference": (with_answer("relu_forward", "from mlp_ref.activation import ReLU\ndef relu_forward(x):\n"
                                                         "    return ReLU()(x)"), FULL, "suspected cheating", "mlp_ref"),
    "empty_notebook": (nbformat.v4.new_notebook(), 0.0, "cells missing (restored and graded)", "linear_forward"),
    "malformed": ('{"cells": [ this is not json', 0.0, "malformed notebook", "JSON"),
}
HONEST = {"honest_correct": (FULL, "graded"), "honest_buggy": (FULL - BIAS_POINTS - RELU_BACKWARD_POINTS, "graded"),
          "honest_untouched": (0.0, "graded")}


def write_submission(folder, student, notebook):
    path = folder / student / ASSIGNMENT / NOTEBOOK
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(notebook, str):
        path.write_text(notebook)
    else:
        path.write_text(nbformat.writes(notebook))


def write_honest(folder):
    for student, base in (("honest_correct", "correct"), ("honest_buggy", "buggy"), ("honest_untouched", "untouched")):
        write_submission(folder, student, sample(base))


def only_this_notebook(rows):
    return {r["student"]: r for r in rows if r["notebook"] in (NOTEBOOK, "")}


@pytest.fixture(scope="module")
def class_batch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    write_honest(folder)
    for student, (notebook, *_) in HOSTILE.items():
        write_submission(folder, student, notebook)
    (folder / "missing_notebook" / ASSIGNMENT).mkdir(parents=True)
    (folder / "wrong_folder" / "a9_no_such_assignment").mkdir(parents=True)
    write_submission(folder, "wrong_notebook", nbformat.read(another_notebook(), as_version=4))
    out = tmp_path_factory.mktemp("report") / "report"
    rows = [vars(r) for r in grade.grade(folder, out, LIMITS, progress=lambda line: None)]
    return folder, out, rows


def another_notebook():
    """A notebook of the course other than linear_relu (handed in under the wrong name)."""
    return next(p for p in sorted((ROOT / "solutions").rglob("*.ipynb")) if p.name != NOTEBOOK)


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_each_hostile_or_broken_submission_gets_its_score_and_reason(class_batch, student):
    _, _, rows = class_batch
    _, score, status, detail_word = HOSTILE[student]
    row = only_this_notebook(rows)[student]
    assert row["status"] == status, row
    assert detail_word in row["detail"], row
    if score is not None:
        assert row["score"] == score, row
    assert row["max_score"] == FULL


def test_missing_and_misplaced_work_is_reported_not_fatal(class_batch):
    _, _, rows = class_batch
    by_student = only_this_notebook(rows)
    assert by_student["missing_notebook"]["status"] == "missing notebook" and by_student["missing_notebook"]["score"] == 0
    assert by_student["wrong_folder"]["status"] == "wrong assignment"
    assert "a9_no_such_assignment" in by_student["wrong_folder"]["detail"]
    assert by_student["wrong_notebook"]["status"] == "wrong assignment"
    assert another_notebook().name in by_student["wrong_notebook"]["detail"]


def test_every_submission_is_in_the_report_csv_and_the_gradebook(class_batch):
    folder, out, rows = class_batch
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
    _, out, _ = class_batch
    html = (out / "feedback" / "honest_buggy" / ASSIGNMENT / "linear_relu.html").read_text()
    assert "at x = 0 take the derivative as 0" in html  # the hint that only a hidden test triggers
    assert "BEGIN HIDDEN TESTS" not in html and "with_zeros=True" not in html


def test_honest_students_get_the_same_scores_alone_and_from_plain_nbgrader(class_batch, tmp_path):
    _, _, rows = class_batch
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
    rows = grade.grade(archive, tmp_path / "report", LIMITS, progress=lambda line: None)
    scores = {(r.student, r.notebook): r.score for r in rows}
    assert scores[("alice", NOTEBOOK)] == FULL
    assert scores[("bob", NOTEBOOK)] == FULL - BIAS_POINTS - RELU_BACKWARD_POINTS


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
