"""Every lecture runs top to bottom, headless and offline (its own file, so that pytest-xdist can run
the lectures on one worker while the other runs the rest)."""
import pytest

from test_notebooks import LECTURES, execute, name


@pytest.mark.parametrize("path", LECTURES, ids=name)
def test_lecture_runs_top_to_bottom(path):
    execute(path)
