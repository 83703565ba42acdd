"""The book's source, made from the course: the executed lectures with a note on how to run each one,
the exercises in their student versions with how to work and grade them, the syllabus map, the docs,
the table of contents and the scripts the pages load (served by the site itself, never from a CDN).

Only exercises/ is published, never solutions/: the syllabus items come from mlpcourse.catalogue's table,
the points from the student notebooks' own metadata."""
import re
import shutil
from pathlib import Path

import nbformat

from mlpcourse.catalogue import SYLLABUS

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# What the pages load, from site/node_modules (npm ci), copied to the site's _static/ folder.
VENDOR = {
    "mathjax": "mathjax/es5",
    "html-manager": "@jupyter-widgets/html-manager/dist",
    "require.js": "requirejs/require.js",
}

RUN_LECTURE = """\
```{{admonition}} Run this lecture yourself
:class: tip run-it
This page is the lecture run once, with its figures and outputs. To change the code or move a slider, run the
notebook: {{download}}`download {name}.ipynb <{download}>` (stored without outputs), or get the whole course
and run `python course.py` in its folder (it installs the pinned packages on first use and opens JupyterLab),
then open `lectures/{name}.ipynb` and choose *Run › Run All Cells*. [How to use this site](../intro.md).
```"""

STATIC_WIDGET = """\
```{admonition} Moving the slider needs the notebook
:class: note widget-static
In the notebook, sliders redraw the figure above. This web page has no Python running behind it, so it shows
the figure at the sliders' starting values only (a slider that does show on this page changes nothing). To
move them, run the notebook: see *Run this lecture yourself* at the top.
```"""

STATIC_WIDGET_AGAIN = """\
```{admonition} Moving the slider needs the notebook
:class: note widget-static
As above: this figure is drawn at the sliders' starting values; run the notebook to move them.
```"""

WORK_EXERCISE = """\
```{{admonition}} Work this exercise and get it graded
:class: tip run-it
This is the student version ({points:g} points). {{download}}`Download {name} <{download}>`, or open
`exercises/{assignment}/{name}` in your copy of the course with `python course.py`. Replace each
`raise NotImplementedError()` with your code and run the test cell below it. To see the score the
autograder would give, with the hidden tests, save the notebook and run
`python course.py check exercises/{assignment}/{name}` in the course's folder.
[How the exercises work](../index.md).
```"""


def note(source, cell_id):
    """A text cell the site adds to a notebook (its id names it, apart from the notebook's own)."""
    return nbformat.v4.new_markdown_cell(source, id=cell_id)


def shows_a_widget(code_cell):
    """Whether a code cell's outputs hold an ipywidget (shown on the page as its PNG, or drawn from its state)."""
    return any(WIDGET_VIEW in output.get("data", {}) for output in code_cell.get("outputs", []))


def only_a_widget(output):
    """Whether an output is a widget with no picture of itself: the page must draw it from its saved state.
    (A live figure also carries a PNG, which the site shows instead: see nb_mime_priority_overrides.)"""
    data = output.get("data", {})
    return WIDGET_VIEW in data and not {"image/png", "text/html"} & set(data)


def lecture_page(executed, source):
    """The lecture as it is now with the outputs of its cached run (matched by cell id: only code cells
    change outputs), a note after its title on how to run it, and one after every widget."""
    notebook = nbformat.read(source, as_version=4)
    ran = nbformat.read(executed, as_version=4)
    outputs = {code.id: code for code in ran.cells if code.cell_type == "code"}
    if any(only_a_widget(output) for code in ran.cells for output in code.get("outputs", [])):
        notebook.metadata["widgets"] = ran.metadata.get("widgets", {})  # the page then loads the widget manager
    cells = []
    for index, code_or_text in enumerate(notebook.cells):
        cells.append(code_or_text)
        if code_or_text.cell_type == "code":
            code_or_text.outputs = outputs[code_or_text.id].outputs
            code_or_text.execution_count = outputs[code_or_text.id].execution_count
        if index == 0:
            cells.append(note(RUN_LECTURE.format(name=source.stem, download=f"../notebooks/lectures/{source.name}"),
                              "site-run-this-lecture"))
        if code_or_text.cell_type == "code" and shows_a_widget(code_or_text):
            first = not any(c.id.startswith("site-static-widget-") for c in cells)
            cells.append(note(STATIC_WIDGET if first else STATIC_WIDGET_AGAIN, f"site-static-widget-{code_or_text.id}"))
    notebook.cells = cells
    return nbformat.writes(notebook).encode()


def points(notebook):
    """The points of a notebook's graded cells (their nbgrader metadata, in the student version too)."""
    return sum(c.metadata.get("nbgrader", {}).get("points", 0) for c in notebook.cells
               if c.metadata.get("nbgrader", {}).get("grade"))


def exercise_page(path):
    """The student notebook, unexecuted, with a note after its title on how to work it and get graded."""
    notebook = nbformat.read(path, as_version=4)
    text = WORK_EXERCISE.format(name=path.name, assignment=path.parent.name, points=points(notebook),
                                download=f"../../notebooks/exercises/{path.parent.name}/{path.name}")
    notebook.cells.insert(1, note(text, "site-work-this-exercise"))
    return nbformat.writes(notebook).encode()


def lecture_exercises(lecture):
    """The exercise notebooks a lecture's opening names in its "**Exercise(s) that practise it:**" paragraph
    (`exercises/a1_x` for a whole assignment, `exercises/a1_x/nb.ipynb` for one notebook)."""
    opening = nbformat.read(lecture, as_version=4).cells[0].source
    paragraph = re.search(r"\*\*Exercises? that practises? it:\*\*(.*?)(?:\n\s*\n|$)", opening, re.S)
    found = []
    for folder, name in re.findall(r"`exercises/(\w+)(?:/(\w+\.ipynb))?`", paragraph[1] if paragraph else ""):
        found += [ROOT / "exercises" / folder / name] if name else sorted((ROOT / "exercises" / folder).glob("*.ipynb"))
    return [path for path in found if path.is_file()]


def title(path):
    """A notebook's first heading."""
    for text in nbformat.read(path, as_version=4).cells:
        heading = re.search(r"^#\s+(.+)$", text.source, re.M) if text.cell_type == "markdown" else None
        if heading:
            return heading[1].strip()
    return path.stem


def syllabus_map(lectures, built):
    """The syllabus map as MyST: lecture ↔ exercise notebook ↔ the syllabus item the exercise grades."""
    lines = ["# Syllabus map", "",
             "Each lecture, the exercise notebooks that practise it, and the item of the syllabus each exercise",
             "grades (its section number first). Lectures 1 to 9 follow the syllabus's sections 1 to 9; lecture 0",
             "shows how the grading works and lecture 10 puts everything together on real data.", "",
             "| lecture | exercise | syllabus item it grades | points |", "|---|---|---|--:|"]
    for lecture in lectures:
        name = title(lecture)
        link = f"[{name}](lectures/{lecture.stem}.ipynb)" if lecture in built else name
        for exercise in lecture_exercises(lecture) or [None]:
            if exercise is None:
                lines.append(f"| {link} | | | |")
                continue
            key = f"{exercise.parent.name}/{exercise.name}"
            lines.append(f"| {link} | [{exercise.stem}](exercises/{key}) ({exercise.parent.name}) | "
                         f"{SYLLABUS.get(key, '')} | {points(nbformat.read(exercise, as_version=4)):g} |")
            link = ""  # the lecture's further exercises: one lecture cell per group of rows
    return "\n".join(lines) + "\n"


def table_of_contents(lectures, exercises, docs):
    lines = ["format: jb-book", "root: intro", "parts:", "  - caption: Lectures", "    chapters:"]
    lines += [f"      - file: lectures/{path.stem}" for path in lectures]
    lines += ["  - caption: Exercises", "    chapters:", "      - file: exercises/index", "        sections:"]
    lines += [f"          - file: exercises/{path.parent.name}/{path.stem}" for path in exercises]
    lines += ["  - caption: Reference", "    chapters:", "      - file: syllabus"]
    lines += [f"      - file: docs/{path.stem}" for path in docs]
    return "\n".join(lines) + "\n"


class Book:
    """A folder of book sources that changes only where the content does: Sphinx then rebuilds only those
    pages. Whatever was not written during one staging is removed at the end of it."""

    def __init__(self, folder):
        self.folder = folder
        self.written = set()

    def write(self, relative, data):
        target = self.folder / relative
        self.written.add(target)
        if target.exists() and target.read_bytes() == data:
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def copy(self, source, relative):
        """Copy a file or folder, skipping files already there with the same size and time."""
        for path in sorted(source.rglob("*")) if source.is_dir() else [source]:
            if path.is_dir() or path.suffix == ".map":
                continue
            target = self.folder / relative / path.relative_to(source) if source.is_dir() else self.folder / relative
            self.written.add(target)
            stat = path.stat()
            if target.exists() and (target.stat().st_size, target.stat().st_mtime) == (stat.st_size, stat.st_mtime):
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)

    def remove_the_rest(self):
        for path in sorted(self.folder.rglob("*"), reverse=True):
            if path.is_file() and path not in self.written:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()


def stage(folder, executed, all_lectures):
    """Write the book's sources to folder. executed: {lecture source: executed notebook} of the lectures to
    publish (all of them, or a subset for a quick build); all_lectures: every lecture, for the syllabus map."""
    book = Book(folder)
    for name in ("_config.yml", "course_site.py", "favicon.svg", "intro.md", "exercises.md"):
        book.copy(SITE / "book" / name, "exercises/index.md" if name == "exercises.md" else name)
    book.copy(SITE / "widgets-config.js", "vendor/widgets-config.js")
    for name, package_path in VENDOR.items():
        book.copy(SITE / "node_modules" / package_path, f"vendor/{name}")
    lectures = sorted(executed)
    for source in lectures:
        book.write(f"lectures/{source.name}", lecture_page(executed[source], source))
        book.copy(source, f"notebooks/lectures/{source.name}")
    exercises = sorted((ROOT / "exercises").glob("*/*.ipynb"))
    for path in exercises:
        book.write(f"exercises/{path.parent.name}/{path.name}", exercise_page(path))
        book.copy(path, f"notebooks/exercises/{path.parent.name}/{path.name}")
    docs = sorted((ROOT / "docs").glob("*.md"))
    for path in docs:
        book.copy(path, f"docs/{path.name}")
    book.write("syllabus.md", syllabus_map(all_lectures, set(lectures)).encode())
    book.write("_toc.yml", table_of_contents(lectures, exercises, docs).encode())
    book.remove_the_rest()
