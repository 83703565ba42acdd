"""exercises/ is exactly nbgrader's release of solutions/, leaks nothing, and grades as it should."""
import json
import re
from pathlib import Path

import nbformat
import pytest

from mlpcourse import grade, mistakes, samples

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
BLOCK = r"### BEGIN {0}\n(.*?)### END {0}"


def files_under(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts)


@pytest.fixture(scope="module")
def fresh_releases(tmp_path_factory):
    """Every assignment released by nbgrader today, from a scratch copy of solutions/."""
    course = tmp_path_factory.mktemp("course")
    grade.make_scratch_course(course)
    return {assignment: grade.generate_release(course, assignment) for assignment in ASSIGNMENTS}


def test_every_assignment_has_a_release():
    assert ASSIGNMENTS == sorted(p.name for p in (ROOT / "exercises").iterdir() if p.is_dir())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercises_are_exactly_what_nbgrader_generates(assignment, fresh_releases):
    committed, fresh = ROOT / "exercises" / assignment, fresh_releases[assignment]
    assert files_under(committed) == files_under(fresh)
    for relative in files_under(fresh):
        if relative.suffix == ".ipynb":
            same = json.loads((committed / relative).read_text()) == json.loads((fresh / relative).read_text())
        else:
            same = (committed / relative).read_bytes() == (fresh / relative).read_bytes()
        assert same, f"exercises/{assignment}/{relative} is out of date: regenerate it with nbgrader generate_assignment"


def hidden_lines(source_text, kind):
    """The non-trivial lines inside nbgrader's BEGIN/END markers of the given kind."""
    lines = set()
    for block in re.findall(BLOCK.format(kind), source_text, flags=re.DOTALL):
        lines.update(line.strip() for line in block.splitlines() if len(line.strip()) > 12)
    return lines


@pytest.mark.parametrize("notebook", sorted((ROOT / "solutions").rglob("*.ipynb")), ids=lambda p: p.parent.name + "/" + p.name)
def test_release_contains_no_solution_and_no_hidden_test(notebook):
    source = nbformat.read(notebook, as_version=4)
    release = nbformat.read(ROOT / "exercises" / notebook.relative_to(ROOT / "solutions"), as_version=4)
    release_text = "\n".join(cell.source for cell in release.cells)
    assert "### BEGIN" not in release_text and "### END" not in release_text
    for kind in ("SOLUTION", "HIDDEN TESTS"):
        # a line may also stand outside the markers (a visible test that a hidden one repeats, the API the markdown
        # specifies): that is no leak
        outside_markers = "\n".join(re.sub(BLOCK.format(kind), "", cell.source, flags=re.DOTALL) for cell in source.cells)
        for cell in source.cells:
            for line in {line for line in hidden_lines(cell.source, kind) if line not in outside_markers}:
                assert line not in release_text, f"{kind.lower()} line leaked into the release: {line!r}"


def test_bundled_samples_are_up_to_date():
    for relative, notebook in samples.build_samples().items():
        committed = ROOT / "samples" / "submitted" / relative
        assert committed.is_file(), f"missing sample {relative}: run python -m mlpcourse.samples"
        assert nbformat.read(committed, as_version=4) == notebook, f"sample {relative} is stale: run python -m mlpcourse.samples"


def test_grading_the_samples_gives_full_marks_zero_and_exactly_the_points_the_mistakes_cost(tmp_path):
    rows = grade.grade(ROOT / "samples" / "submitted", tmp_path / "report", progress=lambda line: None)
    expected_lost = {(assignment, notebook, cell) for assignment, notebook, mistake in mistakes.load_catalogue()
                     if mistake.get("in_sample") for cell in mistake["caught_by"]}
    by_student = {}
    for row in rows:
        assert row.status == "graded", row
        by_student.setdefault(row.student, []).append(row)
    assert all(row.score == row.max_score > 0 for row in by_student["correct"])
    assert all(row.score == 0 for row in by_student["untouched"])
    lost = {(row.assignment, row.notebook, cell) for row in by_student["buggy"]
            for cell, score in row.cell_scores.items() if score == 0}
    assert lost == expected_lost
    assert all(0 < row.score < row.max_score for row in by_student["buggy"])
    for student in by_student:
        assert list((tmp_path / "report" / "feedback" / student).rglob("*.html")), f"no feedback for {student}"


@pytest.mark.parametrize("notebook", sorted((ROOT / "exercises").rglob("*.ipynb")), ids=lambda p: p.parent.name + "/" + p.name)
def test_every_release_ends_with_how_to_grade_it_with_the_hidden_tests(notebook):
    last = nbformat.read(notebook, as_version=4).cells[-1]
    assert last.id == "grade-yourself" and "from mlpcourse.check import report; report()" in last.source


def test_report_asks_for_a_name_when_jupyter_gives_none(monkeypatch, capsys):
    from mlpcourse.check import report

    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    report()
    assert capsys.readouterr().out.strip() == "Name the notebook to grade: report('linear_relu.ipynb')"


def test_the_catalogue_of_graded_work_is_up_to_date_and_names_what_each_test_grades():
    from mlpcourse import catalogue

    assert (ROOT / "solutions" / "CATALOGUE.md").read_text(encoding="utf-8") == catalogue.render(), \
        "solutions/CATALOGUE.md is stale: run python -m mlpcourse.catalogue"
    for folder in (ROOT / "solutions").iterdir():
        if folder.is_dir():
            assert all(functions for *_, functions in catalogue.rows(folder)), f"a test cell of {folder.name} tests no answer"
            assert {f"{folder.name}/{p.name}" for p in folder.glob("*.ipynb")} <= set(catalogue.SYLLABUS)
