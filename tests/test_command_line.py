"""Bad input to the course's commands gives a one-line error and touches nothing."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True)


def test_unknown_command_is_named_with_the_list_of_commands():
    result = run("course.py", "grdae")
    assert result.returncode != 0
    assert result.stderr.strip() == "course.py: unknown command 'grdae'; the commands are: lab, test, grade, check, site, setup (see --help)"


def test_grading_a_missing_folder_says_so_in_one_line(tmp_path):
    result = run("-m", "mlpcourse.grade", str(tmp_path / "nowhere"), "--out", str(tmp_path / "report"))
    assert result.returncode != 0
    assert result.stderr.strip() == f"course.py grade: no such folder or archive: {tmp_path / 'nowhere'}"
    assert not (tmp_path / "report").exists()


def test_grading_never_overwrites_an_existing_report(tmp_path):
    report = tmp_path / "report"
    report.mkdir()
    (report / "mine.txt").write_text("keep me")
    result = run("-m", "mlpcourse.grade", "--out", str(report))
    assert result.returncode != 0 and "exists already" in result.stderr
    assert (report / "mine.txt").read_text() == "keep me"


def test_notebook_tool_reports_a_malformed_header_in_one_line(tmp_path):
    source = tmp_path / "bad.py"
    source.write_text("# %% [markdown] id=a\n# hi\n# %% nbgrader=tests\nx = 1\n")
    result = run("-m", "mlpcourse.notebooks", "to-ipynb", str(source), str(tmp_path / "bad.ipynb"))
    assert result.returncode != 0
    assert result.stderr.strip() == f"notebooks: {source}: cell bad-01: nbgrader=tests needs points=N"
    assert not (tmp_path / "bad.ipynb").exists()


def test_check_grades_a_learners_notebook_with_the_hidden_tests_and_shows_the_hints():
    result = run("-m", "mlpcourse.check", "samples/submitted/buggy/a3_backprop/linear_relu.ipynb")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "FAIL  test_linear_backward_bias  0/2" in lines
    assert "FAIL  test_relu_backward  0/2" in lines  # caught only by a hidden test (inputs exactly at 0)
    assert "PASS  test_linear_forward  2/2" in lines
    assert "hint: at x = 0 ReLU has no derivative, and the convention (PyTorch's) takes it as 0" in result.stdout
    assert "### BEGIN HIDDEN TESTS" not in result.stdout and "check_relu(52" not in result.stdout
    assert lines[-1] == "score: 7 / 11"


def test_check_names_a_file_that_is_not_an_exercise(tmp_path):
    stray = tmp_path / "notes.ipynb"
    stray.write_text("{}")
    result = run("-m", "mlpcourse.check", str(stray))
    assert result.returncode != 0 and result.stderr.startswith(f"course.py check: {stray} is not an exercise notebook")
