"""Put a submitted notebook back into the shape of its assignment before it is graded.

Students delete, duplicate, retype and edit cells. nbgrader alone grades what it finds: a deleted
test cell silently becomes "needs manual grade", and every cell with hidden tests logs a false
"checksum changed" (nbgrader#1961). Here the notebook to execute is rebuilt from the instructor's
source notebook instead:

- every graded or locked cell (tests, read-only setup) is taken from the source, with its hidden tests;
- every answer cell is the student's, if they still have it as a cell of the right type, else the
  release's stub (so it scores zero but the rest still runs);
- the student's own extra cells stay where they were, after the graded cell that preceded them;
- a second copy of a graded cell is dropped.

Edits are detected by comparing with the release the student was given, not with checksums, so a
cell is reported as tampered with only when its text really changed.
"""
import copy
from collections import defaultdict
from dataclasses import dataclass, field

import nbformat

from .cells import grade_id, is_answer


@dataclass
class Restoration:
    notebook: nbformat.NotebookNode
    missing: list = field(default_factory=list)     # graded/answer cells the student deleted (restored)
    tampered: list = field(default_factory=list)    # locked cells whose text the student changed (restored)
    retyped: list = field(default_factory=list)     # cells whose type the student changed (restored)
    duplicated: list = field(default_factory=list)  # extra copies of graded cells (dropped)
    student_cells: list = field(default_factory=list)  # ids of the cells whose code is the student's


def restore(submitted, source, release):
    """Rebuild `submitted` on the structure of `source`; `release` is what the student was given."""
    source_ids = {grade_id(cell) for cell in source.cells if grade_id(cell)}
    released = {grade_id(cell): cell for cell in release.cells if grade_id(cell)}
    result = Restoration(notebook=nbformat.v4.new_notebook(metadata=source.metadata))

    theirs, after = {}, defaultdict(list)  # the student's graded cells; their own cells after each graded one
    anchor = None
    for cell in submitted.cells:
        key = grade_id(cell)
        if key in source_ids:
            if key in theirs:
                result.duplicated.append(key)
            else:
                theirs[key] = cell
                anchor = key
            continue
        own = copy.deepcopy(cell)
        own.metadata.pop("nbgrader", None)  # a grade id this assignment does not know gives no points
        after[anchor].append(own)

    cells = list(after[None])
    for cell in source.cells:
        key = grade_id(cell)
        if key is None:
            continue  # the source's ungraded cells are the student's to keep or change: they are in `after`
        student = theirs.get(key)
        if student is None:
            result.missing.append(key)
        elif student.cell_type != cell.cell_type:
            result.retyped.append(key)
        elif not is_answer(cell) and student.source != released[key].source:
            result.tampered.append(key)
        if is_answer(cell):
            usable = student is not None and student.cell_type == cell.cell_type
            chosen = copy.deepcopy(student if usable else released[key])
            chosen.metadata["nbgrader"] = dict(released[key].metadata["nbgrader"])
            chosen.id = cell.id
            if usable:
                result.student_cells.append(chosen.id)
        else:
            chosen = copy.deepcopy(cell)
        cells.append(chosen)
        cells.extend(after[key])
    seen = set()
    for index, cell in enumerate(cells):
        if cell.get("id") in seen or not cell.get("id"):  # a pasted copy can repeat an id
            cell.id = f"cell-{index}"
        seen.add(cell.id)
        if "nbgrader" not in cell.metadata:
            result.student_cells.append(cell.id)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    result.notebook.cells = cells
    return result
