"""Write notebooks as plain text and back: the course's notebooks are edited as percent-format
Python files and stored as .ipynb without outputs, with stable cell ids (so diffs stay readable).

The text format, one cell per `# %%` header:

    # %% [markdown] id=intro
    # # A title
    # Markdown lines carry a "# " prefix.
    # %% id=linear-forward nbgrader=solution
    def linear_forward(x, weight, bias):
        ...
    # %% id=test-linear-forward nbgrader=tests points=2
    check_array(...)

`id` is the cell id (and nbgrader's grade_id); without one, the cell gets `<file stem>-<index>`.
`nbgrader` marks the cell for nbgrader: `solution` (an autograded answer), `tests` (graded tests,
with `points`), `readonly` (locked), `manual` (a manually graded answer, with `points`).
`student_setup=yes` marks a read-only cell whose imports and helpers the answers use: when the notebook is
graded sealed (mlpcourse.sealed) it runs in the student's kernel too, where the reference is not available.

    python -m mlpcourse.notebooks to-ipynb SOURCE.py NOTEBOOK.ipynb
    python -m mlpcourse.notebooks to-py NOTEBOOK.ipynb SOURCE.py
"""
import re
import sys
from pathlib import Path

import nbformat

HEADER = re.compile(r"^# %%(?P<markdown> \[markdown\])?(?P<attrs>(?: \S+=\S+)*)\s*$")
KINDS = {
    "solution": dict(grade=False, solution=True, locked=False),
    "tests": dict(grade=True, solution=False, locked=True),
    "readonly": dict(grade=False, solution=False, locked=True),
    "manual": dict(grade=True, solution=True, locked=False),
}
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _nbgrader_metadata(kind, grade_id, points):
    if kind not in KINDS:
        raise ValueError(f"unknown nbgrader kind {kind!r}; the kinds are {', '.join(KINDS)}")
    meta = dict(KINDS[kind], grade_id=grade_id, schema_version=3, task=False)
    if meta["grade"]:
        if points is None:
            raise ValueError(f"cell {grade_id}: nbgrader={kind} needs points=N")
        meta["points"] = float(points) if "." in points else int(points)
    return meta


def text_to_notebook(text, stem):
    """Parse the percent format into an nbformat v4.5 notebook without outputs."""
    cells, current = [], None
    for number, line in enumerate(text.splitlines(), 1):
        match = HEADER.match(line)
        if line.startswith("# %%") and not match:
            raise ValueError(f"line {number}: malformed cell header {line!r}")
        if match:
            attrs = dict(token.split("=", 1) for token in match["attrs"].split())
            current = {"markdown": bool(match["markdown"]), "attrs": attrs, "lines": []}
            cells.append(current)
        elif current is None:
            if line.strip():
                raise ValueError(f"line {number}: text before the first '# %%' cell header")
        else:
            current["lines"].append(line)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    seen = set()
    for index, cell in enumerate(cells):
        attrs, lines = cell["attrs"], cell["lines"]
        while lines and not lines[-1].strip():
            lines.pop()
        cell_id = attrs.pop("id", f"{stem}-{index:02d}")
        if cell_id in seen:
            raise ValueError(f"duplicate cell id {cell_id!r}")
        seen.add(cell_id)
        if cell["markdown"]:
            body = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines)
            new = nbformat.v4.new_markdown_cell(body)
        else:
            new = nbformat.v4.new_code_cell("\n".join(lines))
        new.id = cell_id
        kind, points = attrs.pop("nbgrader", None), attrs.pop("points", None)
        if kind:
            new.metadata["nbgrader"] = _nbgrader_metadata(kind, cell_id, points)
        if attrs.pop("student_setup", None) == "yes":
            new.metadata["mlpcourse"] = {"student_setup": True}
        if attrs:
            raise ValueError(f"cell {cell_id}: unknown attributes {sorted(attrs)}")
        notebook.cells.append(new)
    nbformat.validate(notebook)
    return notebook


def notebook_to_text(notebook):
    """The inverse of text_to_notebook (outputs are dropped)."""
    chunks = []
    for cell in notebook.cells:
        header = "# %% [markdown]" if cell.cell_type == "markdown" else "# %%"
        header += f" id={cell.id}"
        meta = cell.metadata.get("nbgrader")
        if meta:
            kind = next(k for k, v in KINDS.items() if all(meta.get(f) == v[f] for f in v))
            header += f" nbgrader={kind}" + (f" points={meta['points']:g}" if meta.get("grade") else "")
        if cell.metadata.get("mlpcourse", {}).get("student_setup"):
            header += " student_setup=yes"
        if cell.cell_type == "markdown":
            body = "\n".join(("# " + line) if line else "#" for line in cell.source.splitlines())
        else:
            body = cell.source
        chunks.append(header + ("\n" + body if body else ""))
    return "\n\n".join(chunks) + "\n"


def write_notebook(notebook, path):
    Path(path).write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")


def main(argv):
    if len(argv) != 3 or argv[0] not in ("to-ipynb", "to-py"):
        print(__doc__)
        return 2
    command, source, target = argv[0], Path(argv[1]), Path(argv[2])
    if not source.is_file():
        sys.exit(f"notebooks: no such file: {source}")
    try:
        if command == "to-ipynb":
            write_notebook(text_to_notebook(source.read_text(encoding="utf-8"), target.stem), target)
        else:
            target.write_text(notebook_to_text(nbformat.read(source, as_version=4)), encoding="utf-8")
    except (ValueError, nbformat.ValidationError) as error:
        sys.exit(f"notebooks: {source}: {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
