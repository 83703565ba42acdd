"""Build the bundled sample submissions in samples/submitted/, from exercises/ and solutions/:

- untouched: the release as a student receives it;
- correct:   the release with every answer cell filled in with the solution;
- buggy:     the correct one with the classic mistakes listed in samples/bugs.json.

    python -m mlpcourse.samples          rewrite samples/submitted/
"""
import json
import re
import sys
from pathlib import Path

import nbformat

from .notebooks import write_notebook

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n", re.MULTILINE)


def solution_sources(source_notebook):
    """{cell id: solution code without nbgrader's markers} for the answer cells of a source notebook."""
    return {cell.id: MARKER.sub("", cell.source) for cell in source_notebook.cells
            if cell.metadata.get("nbgrader", {}).get("solution")}


def filled_in(release, answers, bugs=None):
    """A copy of the release notebook with its answer cells replaced by `answers`, then `bugs` applied."""
    notebook = nbformat.from_dict(json.loads(json.dumps(release)))
    for cell in notebook.cells:
        if cell.id in answers:
            cell.source = answers[cell.id]
            bug = (bugs or {}).get(cell.id)
            if bug:
                if bug["old"] not in cell.source:
                    raise ValueError(f"samples/bugs.json: {bug['old']!r} is not in the solution of cell {cell.id}")
                cell.source = cell.source.replace(bug["old"], bug["new"])
    return notebook


def build_samples():
    """{relative path under samples/submitted: notebook} for every notebook named in bugs.json."""
    bugs = json.loads((SAMPLES / "bugs.json").read_text())
    built = {}
    for notebook_path, notebook_bugs in bugs.items():
        if notebook_path.startswith("_"):
            continue
        release = nbformat.read(ROOT / "exercises" / notebook_path, as_version=4)
        answers = solution_sources(nbformat.read(ROOT / "solutions" / notebook_path, as_version=4))
        built[f"untouched/{notebook_path}"] = release
        built[f"correct/{notebook_path}"] = filled_in(release, answers)
        built[f"buggy/{notebook_path}"] = filled_in(release, answers, notebook_bugs)
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
