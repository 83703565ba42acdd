"""Build the bundled sample submissions in samples/submitted/, from exercises/ and solutions/:

- untouched: the release as a student receives it;
- correct:   the release with every answer cell filled in with the solution;
- buggy:     the correct one with the catalogue's mistakes marked `in_sample` (samples/mistakes/).

    python -m mlpcourse.samples          rewrite samples/submitted/
"""
import copy
import re
import sys

import nbformat

from . import cells, mistakes
from .layout import EXERCISES, ROOT, SAMPLES, SOLUTIONS
from .notebooks import write_notebook

MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n", re.MULTILINE)


def solution_sources(source_notebook):
    """{cell id: solution code without nbgrader's markers} for the answer cells of a source notebook."""
    return {cell.id: MARKER.sub("", cell.source) for cell in source_notebook.cells
            if cells.is_answer(cell)}


def filled_in(release, answers):
    """A copy of the release notebook with its answer cells replaced by `answers` ({cell id: source})."""
    notebook = copy.deepcopy(release)
    for cell in notebook.cells:
        if cell.id in answers:
            cell.source = answers[cell.id]
    return notebook


def build_samples():
    """{relative path under samples/submitted: notebook} for every notebook with an `in_sample` mistake."""
    sampled = {}
    for assignment, notebook, mistake in mistakes.load_catalogue():
        if mistake.get("in_sample"):
            sampled.setdefault(f"{assignment}/{notebook}", []).append(mistake)
    built = {}
    for notebook_path, sample_mistakes in sampled.items():
        release = nbformat.read(EXERCISES / notebook_path, as_version=4)
        answers = solution_sources(nbformat.read(SOLUTIONS / notebook_path, as_version=4))
        buggy = dict(answers)
        for mistake in sample_mistakes:
            buggy[mistake["cell"]] = mistakes.apply(buggy[mistake["cell"]], mistake)
        built[f"untouched/{notebook_path}"] = release
        built[f"correct/{notebook_path}"] = filled_in(release, answers)
        built[f"buggy/{notebook_path}"] = filled_in(release, buggy)
    return built


def main():
    for relative, notebook in build_samples().items():
        path = SAMPLES / "submitted" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        write_notebook(notebook, path)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
