"""The class report tells the instructor what the class got wrong, exactly.

A class of 60 students is built from the catalogue of classic mistakes (samples/mistakes/): each student's
linear_relu.ipynb is the solution with a known set of catalogued mistakes, or with one of four bugs the
catalogue does not know (a wrong sign, a raise, a wrong shape, a wrong dtype), or correct; one student calls
the reference (flagged) and one hands in a broken file. It is graded for real, together with the bundled
samples' linear_relu, and the report must give exactly the pass rates, mistake counts and groups of
unexplained failures that the class was built with.
"""
import csv
import json
import os
import shutil
import time
from collections import Counter, defaultdict
from pathlib import Path

import nbformat
import pytest

from mlpcourse import cells, class_report, grade, mistakes, samples
from mlpcourse.notebook_grader import Limits

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT, NOTEBOOK = "a3_backprop", "linear_relu.ipynb"
SOURCE = nbformat.read(ROOT / "solutions" / ASSIGNMENT / NOTEBOOK, as_version=4)
POINTS = {cells.grade_id(c): cells.points(c) for c in cells.test_cells(SOURCE)}
CATALOGUE = {m["hint"]: m for a, n, m in mistakes.load_catalogue() if (a, n) == (ASSIGNMENT, NOTEBOOK)}

# bugs the catalogue does not know: the change, the one test that fails, and how its message says it failed
UNCATALOGUED = {
    "wrong sign": ({"cell": "linear_forward", "old": "x @ weight.T + bias", "new": "-(x @ weight.T + bias)"},
                   "test_linear_forward", "linear_forward (N=4, in=3, out=2): wrong values"),
    "raises": ({"cell": "relu_forward", "old": "np.maximum(x, 0)", "new": "np.maximum(x, 0, axis=1)"},
               "test_relu_forward", "relu_forward (shape (3, 5)): raised TypeError"),
    "flattens": ({"cell": "relu_backward", "old": "grad_output * (x > 0)", "new": "(grad_output * (x > 0)).ravel()"},
                 "test_relu_backward", "relu_backward (shape (3, 5)): wrong shape: expected (3, 5), got (15,)"),
    "float32": ({"cell": "linear_backward", "old": "grad_output.T @ x", "new": "(grad_output.T @ x).astype(np.float32)"},
                "test_linear_backward_weight",
                "linear_backward: grad_weight (N=5, in=3, out=4): wrong dtype: expected float64, got float32"),
}
# (number of students, their mistakes: catalogue hints or UNCATALOGUED names): 58 students, and 2 more below
PROFILES = [
    (12, ()),
    (6, ("averaged over the batch",)), (4, ("sum G over the batch",)), (2, ("sum without keepdims=True",)),
    (3, ("transposed",)), (5, ("the bias was not added",)),
    (2, ("linear_forward (N=4, in=3, out=2): your function raised ValueError",)),
    (3, ("not the other way round",)), (2, ("not sgn(x)",)), (4, ("use x > 0, not x >= 0",)),
    (3, ("averaged over the batch", "use x > 0, not x >= 0")), (2, ("the bias was not added", "transposed")),
    (3, ("wrong sign",)), (3, ("raises",)), (2, ("flattens",)), (2, ("float32",)),
]
CHEATER, BROKEN = "learner_reference", "learner_broken"   # graded and flagged; a file that is not a notebook
SAMPLE_STUDENTS = ("correct", "buggy", "untouched")
IN_SAMPLE = tuple(m["hint"] for m in CATALOGUE.values() if m.get("in_sample"))
LIMITS = Limits(cell_timeout=20, total_timeout=60, memory=3 * 1024**3, max_output=5_000)


def answer_notebook(bugs):
    """The release of linear_relu filled in with the solution, with `bugs` made."""
    answers = samples.solution_sources(SOURCE)
    for bug in bugs:
        change = CATALOGUE[bug] if bug in CATALOGUE else UNCATALOGUED[bug][0]
        answers[change["cell"]] = mistakes.apply(answers[change["cell"]], change)
    return samples.filled_in(nbformat.read(ROOT / "exercises" / ASSIGNMENT / NOTEBOOK, as_version=4), answers)


def build_class(folder):
    """Write the class and the bundled samples' linear_relu to folder; return {student: bugs} of every student
    whose linear_relu runs its tests (the samples' `buggy` makes the catalogue's in_sample mistakes)."""
    made = {}
    for count, bugs in PROFILES:
        for _ in range(count):
            student = f"learner{len(made) + 1:02d}"
            made[student] = bugs
            path = folder / student / ASSIGNMENT / NOTEBOOK
            path.parent.mkdir(parents=True)
            nbformat.write(answer_notebook(bugs), path)
    cheat = answer_notebook(())  # right, but it imports the reference: flagged, and passes whether or not it may
    next(c for c in cheat.cells if c.id == "relu_forward").source += "\ntry:\n    import mlp_ref\nexcept ImportError:\n    pass"
    (folder / CHEATER / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(cheat, folder / CHEATER / ASSIGNMENT / NOTEBOOK)
    made[CHEATER] = ()
    (folder / BROKEN / ASSIGNMENT).mkdir(parents=True)
    (folder / BROKEN / ASSIGNMENT / NOTEBOOK).write_text('{"cells": [ this is not json')
    for student in SAMPLE_STUDENTS:  # the bundled samples' linear_relu (their other notebooks: missing)
        (folder / student / ASSIGNMENT).mkdir(parents=True)
        shutil.copy(ROOT / "samples" / "submitted" / student / ASSIGNMENT / NOTEBOOK, folder / student / ASSIGNMENT)
    made.update(correct=(), buggy=IN_SAMPLE, untouched=None)  # None: nothing written, every test fails
    return made


def failing_tests(bugs):
    if bugs is None:
        return set(POINTS)
    return {test for bug in bugs for test in (CATALOGUE[bug]["caught_by"] if bug in CATALOGUE else [UNCATALOGUED[bug][1]])}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class graded for real; the report written twice from its records (anonymous, and with names)."""
    folder = tmp_path_factory.mktemp("class")
    made = build_class(folder)
    out = tmp_path_factory.mktemp("report") / "report"
    started = time.perf_counter()
    grade.grade(folder, out, LIMITS, progress=lambda line: None)
    grading_seconds = time.perf_counter() - started
    assert (out / "report.html").is_file() and (out / "canvas_grades.csv").is_file()  # course.py grade writes them
    records = json.loads((out / "results.json").read_text())
    started = time.perf_counter()
    report = class_report.write_class_report(records, out)
    report_seconds = time.perf_counter() - started
    named = tmp_path_factory.mktemp("named")
    assert class_report.write_class_report(records, named, names=True) == named / "report.html"
    return made, out, named, records, grading_seconds, report_seconds, report


def read_csv(path):
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def test_pass_rates_are_exactly_the_class_made_and_hardest_come_first(graded):
    made, out, *_ = graded
    rows = read_csv(out / "tests.csv")
    ours = {row["test"]: row for row in rows if row["notebook"] == NOTEBOOK}
    failures = Counter(test for bugs in made.values() for test in failing_tests(bugs))
    assert set(ours) == set(POINTS)
    for test, row in ours.items():
        assert (int(row["attempts"]), int(row["passed"])) == (len(made), len(made) - failures[test]), test
    rates = [float(row["pass_rate"]) for row in rows]
    assert rates == sorted(rates)


def test_catalogued_mistakes_are_counted_exactly_with_their_students(graded):
    made, _, named, *_ = graded
    expected = defaultdict(set)
    for student, bugs in made.items():
        for bug in bugs or ():
            if bug in CATALOGUE:
                for test in CATALOGUE[bug]["caught_by"]:
                    expected[(test, bug)].add(student)
    found = {(row["test"], row["mistake"]): set(row["students"].split()) for row in read_csv(named / "mistakes.csv")
             if row["notebook"] == NOTEBOOK and row["catalogued"] == "yes"}
    assert found == expected
    for row in read_csv(named / "mistakes.csv"):
        assert int(row["count"]) == len(row["students"].split())


def test_failures_no_mistake_explains_form_one_group_per_bug(graded):
    made, _, named, *_ = graded
    expected = defaultdict(set)  # (test, the start of the group's label): students
    for student, bugs in made.items():
        for bug in bugs or ():
            if bug in UNCATALOGUED:
                _, test, label = UNCATALOGUED[bug]
                expected[(test, label)].add(student)
    for test in POINTS:  # the untouched sample wrote nothing: each test fails on the function it calls first
        function = "linear_backward" if test.startswith("test_linear_backward") else test.removeprefix("test_")
        expected[(test, function)].add("untouched")
    found = {(row["test"], frozenset(row["students"].split())): row["mistake"] for row in read_csv(named / "mistakes.csv")
             if row["notebook"] == NOTEBOOK and row["catalogued"] == "no"}
    assert len(found) == len(expected)
    for (test, label), students in expected.items():
        group = found.get((test, frozenset(students)))
        assert group is not None, f"no group of {test} holds exactly {sorted(students)} ({label})"
        assert group.startswith(label), (group, label)
        if students == {"untouched"}:
            assert group.endswith("): not written yet"), group


def test_statuses_name_the_flagged_broken_and_missing_work(graded):
    made, out, _, records, *_ = graded
    statuses = class_report.analyse(records).statuses
    assert [s for s, *_ in statuses["suspected cheating"]] == [CHEATER]
    assert [s for s, *_ in statuses["malformed notebook"]] == [BROKEN]
    # everyone handed in linear_relu alone: the other 3 notebooks of a3_backprop are missing
    assert Counter(s for s, *_ in statuses["missing notebook"]) == {s: 3 for s in [*made, BROKEN]}
    html = (out / "report.html").read_text()
    assert "suspected cheating" in html and "malformed notebook" in html and "missing notebook" in html


def test_the_report_shows_anonymous_ids_unless_asked_for_names(graded):
    made, out, named, *_ = graded
    anonymous, with_names = (out / "report.html").read_text(), (named / "report.html").read_text()
    key = {row["student"]: row["id"] for row in read_csv(out / "anonymous_ids.csv")}
    learners = [s for s in made if s.startswith("learner")] + [BROKEN]
    assert not [s for s in learners if s in anonymous]
    assert not [s for s in learners if s in (out / "mistakes.csv").read_text()]
    assert sorted(key.values()) == [f"S{n:02d}" for n in range(1, len(key) + 1)]
    averaged = CATALOGUE["averaged over the batch"]
    assert averaged["hint"] in anonymous and averaged["new"] in anonymous  # the hint and the mistake in code
    assert key["learner05"] in anonymous and "learner05" in with_names
    # rewriting the report keeps everyone's id
    records = json.loads((out / "results.json").read_text())
    class_report.write_class_report(records, out)
    assert {row["student"]: row["id"] for row in read_csv(out / "anonymous_ids.csv")} == key


def test_lms_gradebooks_hold_each_students_points_and_statuses(graded):
    made, out, *_ = graded
    possible = sum(cells.points(c) for path in (ROOT / "solutions" / ASSIGNMENT).glob("*.ipynb")
                   for c in cells.test_cells(nbformat.read(path, as_version=4)))
    canvas = list(csv.reader(open(out / "canvas_grades.csv", newline="")))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT, "Notes"]
    assert canvas[1][0].strip() == "Points Possible" and float(canvas[1][5]) == possible
    rows = {row[0]: row for row in canvas[2:]}
    moodle = {row["Username"]: row for row in read_csv(out / "moodle_grades.csv")}
    others = sorted(p.name for p in (ROOT / "solutions" / ASSIGNMENT).glob("*.ipynb") if p.name != NOTEBOOK)
    for student, bugs in made.items():
        points = sum(POINTS.values()) - sum(POINTS[test] for test in failing_tests(bugs))
        assert float(rows[student][5]) == points and rows[student][3] == student
        assert float(moodle[student][ASSIGNMENT]) == points
    missing = [f"{notebook}: missing notebook" for notebook in others]
    assert rows["learner01"][6] == "; ".join(f"{ASSIGNMENT}/{entry}" for entry in missing)
    assert moodle["learner01"][f"{ASSIGNMENT} status"] == "; ".join(missing)
    assert "linear_relu.ipynb: suspected cheating" in rows[CHEATER][6]
    assert float(rows[BROKEN][5]) == 0 and "linear_relu.ipynb: malformed notebook" in rows[BROKEN][6]


def test_making_the_report_costs_at_most_5_percent_of_the_grading(graded):
    *_, grading_seconds, report_seconds, _ = graded
    share = report_seconds / grading_seconds
    print(f"grading {grading_seconds:.1f} s, report {report_seconds:.2f} s: {share:.1%}")
    assert share <= 0.05


def test_the_report_opens_in_chromium_offline_without_errors_and_every_figure_shows(graded):
    *_, report = graded
    FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    missing = [] if Path("/usr/bin/chromium").exists() else ["/usr/bin/chromium (Debian package chromium)"]
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing.append("playwright (pip install -r requirements.txt)")
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the browser test; missing: " + ", ".join(missing))
        pytest.skip("needs " + ", ".join(missing))
    requests, errors = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        try:
            page = browser.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.goto(report.as_uri(), wait_until="load")
            images = page.evaluate("[...document.images].map(i => [i.alt, i.complete && i.naturalWidth > 0])")
            headings = page.evaluate("[...document.querySelectorAll('h2')].map(h => h.textContent)")
        finally:
            browser.close()
    assert [url for url in requests if url != report.as_uri() and not url.startswith("data:")] == []
    assert errors == []
    assert len(images) == report.read_text().count("<img") >= 1
    assert all(loaded for _, loaded in images), images
    assert "Catalogued mistakes, by test" in headings and "Statuses" in headings


# ------------------------------------------------------------------ the analysis on records made by hand

def record(student, assignment, notebook, tests, status="graded"):
    """A results.json record; tests: {test id: failure message or None}, 1 point each."""
    listed = [{"id": t, "points": 1.0, "earned": 0.0 if m else 1.0, "message": m} for t, m in tests.items()]
    return {"student": student, "assignment": assignment, "notebook": notebook, "status": status, "detail": "",
            "score": sum(t["earned"] for t in listed), "max_score": float(len(listed)),
            "cell_scores": {t["id"]: t["earned"] for t in listed}, "tests": listed}


def test_a_semester_shows_trajectories_and_the_tests_that_predict_a_low_capstone(tmp_path):
    # a1: test_x failed by s1-s3, test_y by s1 and s4; the capstone a8 (10 tests) scored 2, 4, 3, 9, 8, 10
    failed = {"test_x": {"s1", "s2", "s3"}, "test_y": {"s1", "s4"}, "test_z": {"s1"}}
    capstone = {"s1": 2, "s2": 4, "s3": 3, "s4": 9, "s5": 8, "s6": 10}
    records = []
    for student, right in capstone.items():
        records.append(record(student, "a1_perceptron", "perceptron.ipynb",
                              {t: ("CheckFailed: f (c): wrong values" if student in who else None) for t, who in failed.items()}))
        records.append(record(student, "a8_init", "orthogonal.ipynb",
                              {f"t{i}": (None if i < right else "CheckFailed: g (c): wrong values") for i in range(10)}))
    analysis = class_report.analyse(records)
    assert analysis.assignments == ["a1_perceptron", "a8_init"]
    assert analysis.fractions["s4"] == {"a1_perceptron": 2 / 3, "a8_init": 0.9}
    ranked = [(t.test, round(f, 4), round(p, 4), nf, np_) for t, f, p, nf, np_ in analysis.predictors]
    assert ranked == [("test_x", 0.3, 0.9, 3, 3), ("test_y", 0.55, 0.625, 2, 4)]  # test_z: one student failed it
    report = class_report.write_class_report(records, tmp_path)
    html = report.read_text()
    assert "The semester" in html and html.count("<img") == 2 and "Tests that most predict a low score on a8_init" in html


def test_odd_records_do_not_stop_the_report(tmp_path):
    records = [
        record("s1", "a3_backprop", NOTEBOOK, {"test_linear_forward": "CheckFailed: linear_forward (N=4, in=3, out=2): "
                                                "wrong values in 8 of 8 elements.\n  hint: the bias was not added"}),
        {"student": "s2", "assignment": "a3_backprop", "notebook": NOTEBOOK, "score": 0.0, "max_score": 11.0,
         "status": "timed out", "detail": "the notebook ran past its time limit", "cell_scores": None, "tests": None},
        {"student": "s3", "assignment": "a9_unknown", "notebook": "", "score": 0.0, "max_score": 0.0,
         "status": "wrong assignment", "detail": "no assignment is called 'a9_unknown'", "cell_scores": None, "tests": None},
        record("s4", "a0_not_in_the_catalogue", "other.ipynb", {"t1": "NameError: name 'f' is not defined", "t2": None,
                                                               "t3": "the test never ran (the notebook stopped before it)"}),
    ]
    report = class_report.write_class_report(records, tmp_path)
    assert report == tmp_path / "report.html"
    mistakes_found = {(row["test"], row["mistake"], row["catalogued"]) for row in read_csv(tmp_path / "mistakes.csv")}
    assert mistakes_found == {("test_linear_forward", "the bias was not added", "yes"), ("t1", "NameError", "no"),
                              ("t3", "never ran (the notebook stopped before it)", "no")}
    statuses = class_report.analyse(records).statuses
    assert set(statuses) == {"timed out", "wrong assignment"}
    canvas = list(csv.reader(open(tmp_path / "canvas_grades.csv", newline="")))
    assert "a9_unknown: wrong assignment" in {row[0]: row for row in canvas}["s3"][-1]


def test_the_command_rewrites_a_report_folder_and_explains_a_wrong_one(tmp_path, capsys):
    (tmp_path / "results.json").write_text(json.dumps([record("s1", "a3_backprop", NOTEBOOK, {"test_relu_forward": None})]))
    assert class_report.main([str(tmp_path), "--names"]) == 0
    assert "s1" in (tmp_path / "report.html").read_text()
    with pytest.raises(SystemExit) as failure:
        class_report.main([str(tmp_path / "nowhere")])
    assert "results.json not found" in str(failure.value)
    (tmp_path / "results.json").write_text("{not json")
    with pytest.raises(SystemExit) as failure:
        class_report.main([str(tmp_path)])
    assert "is not a grading's results" in str(failure.value)
