"""The hint level a learner asks `course.py check` for is the level of every message of the sealed grading: 1 says
what is off, 2 adds the concept, 3 the fix; the score does not depend on it."""
from pathlib import Path

import nbformat

from mlpcourse.check import check

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "samples" / "submitted" / "correct" / "a5_training" / "sgd_and_schedules.ipynb"


def test_each_level_adds_to_the_one_below_and_leaves_the_score(tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    answer = next(cell for cell in notebook.cells if cell.get("id") == "sgd_step")
    assert "        return param - lr * grad, None" in answer.source
    answer.source = answer.source.replace("        return param - lr * grad, None",
                                          "        param -= lr * grad\n        return param, None")
    path = tmp_path / "a5_training" / "sgd_and_schedules.ipynb"
    path.parent.mkdir()
    nbformat.write(notebook, path)
    results = {level: check(path, hints=level) for level in (1, 2, 3)}
    messages = {level: {test: message for test, _, _, message in rows if message} for level, rows in results.items()}
    assert set(messages[1]) == set(messages[2]) == set(messages[3]) == {"test_sgd_plain", "test_sgd_weight_decay"}
    assert [row[1] for row in results[1]] == [row[1] for row in results[2]] == [row[1] for row in results[3]]
    for test in messages[1]:
        what = "changed its input `param` in place"
        assert what in messages[1][test] and "hint:" not in messages[1][test] and "set_hint_level(2)" in messages[1][test]
        assert what in messages[2][test] and "hint: `a -= ...`" in messages[2][test] and "\n  fix: " not in messages[2][test]
        assert "set_hint_level(3)" in messages[2][test]
        assert messages[3][test].rstrip().endswith("fix: compute a new array instead (a = a - ...), or work on a.copy()")
