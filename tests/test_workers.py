"""The batch grader's pool of workers (mlpcourse/workers.py): every worker's answer is read, also one that arrives
after the pool last looked at the pipes and whose worker has exited since; only a worker that never answered is
reported as stopped."""
import time

import nbformat

from mlpcourse import workers
from mlpcourse.intake import Item
from mlpcourse.layout import EXERCISES, SOLUTIONS
from mlpcourse.notebook_grader import Limits
from mlpcourse.statuses import WRONG_ASSIGNMENT

COURSE = {("a3_backprop", "linear_relu.ipynb"), ("a1_perceptron", "mlp_forward.ipynb")}


def test_an_answer_that_arrives_after_the_pool_looked_is_read_not_taken_for_a_dead_worker(tmp_path, monkeypatch):
    sources = {key: nbformat.read(SOLUTIONS / key[0] / key[1], as_version=4) for key in COURSE}
    releases = {key: nbformat.read(EXERCISES / key[0] / key[1], as_version=4) for key in COURSE}
    handed_in = tmp_path / "linear_relu.ipynb"  # another notebook under linear_relu's name: answered at once
    nbformat.write(releases[("a1_perceptron", "mlp_forward.ipynb")], handed_in)
    items = [Item(f"student{i}", "a3_backprop", "linear_relu.ipynb", handed_in) for i in range(3)]

    def never_ready(connections, timeout):  # the pool's look at the pipes always comes too early
        time.sleep(timeout)
        return []

    monkeypatch.setattr(workers, "wait_for_answers", never_ready)
    results = []
    workers.run_all(items, sources, releases, Limits(workers=2), lambda item, result, *_: results.append(result))
    assert sorted(r.student for r in results) == ["student0", "student1", "student2"]
    assert {r.status for r in results} == {WRONG_ASSIGNMENT}, [r.detail for r in results]
