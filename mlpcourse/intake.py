"""Find the submissions to grade: a folder in nbgrader's submitted layout, or a .zip archive of one,
or a .zip of loose notebooks as an LMS exports them (`<student>_<notebook>.ipynb`, any prefix before
the notebook's own name taken as the student's name)."""
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .statuses import MISSING, WRONG_ASSIGNMENT


class IntakeError(Exception):
    """The submissions cannot be read at all (the grader's problem, not one student's)."""


@dataclass
class Item:
    student: str
    assignment: str
    notebook: str          # the notebook's file name, e.g. linear_relu.ipynb
    path: Path = None      # None when the student did not submit it
    status: str = ""       # set when the item cannot be graded: "missing notebook", "wrong assignment"
    detail: str = ""


def unpack(archive, into, warn=print):
    """Extract a zip archive safely: a member with an absolute path or '..' is skipped (with a warning), the
    others are extracted. Return the folder that holds the submissions."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            for member in zipped.namelist():
                if member.startswith(("/", "\\")) or ".." in Path(member.replace("\\", "/")).parts:
                    warn(f"{archive.name}: skipped the unsafe path {member!r} inside the archive")
                else:
                    zipped.extract(member, into)
    except zipfile.BadZipFile:
        raise IntakeError(f"{archive} is not a zip archive") from None
    return submissions_root(into)


def submissions_root(folder):
    """Step down through lone wrapper folders (an archive of `submitted/` or `export/`) to the folder that
    holds loose notebooks or <student>/<assignment>/<notebook>.ipynb."""
    while not list(folder.glob("*.ipynb")) and not list(folder.glob("*/*/*.ipynb")):
        entries = [p for p in folder.iterdir() if not p.name.startswith(("__MACOSX", "."))]
        if len(entries) != 1 or not entries[0].is_dir():
            break
        folder = entries[0]
    return folder


def collect(folder, assignments):
    """Items for every (student, assignment, notebook) found under `folder`.

    assignments: {assignment: [notebook file names]} of the course. A known assignment's notebook that a
    student did not hand in becomes a "missing notebook" item; a folder for an unknown assignment, a
    "wrong assignment" item.
    """
    if not folder.exists():
        raise IntakeError(f"no such folder or archive: {folder}")
    loose = sorted(folder.glob("*.ipynb"))
    items = _collect_loose(loose, assignments) if loose else _collect_layout(folder, assignments)
    if not items:
        raise IntakeError(f"{folder} holds no submissions (expected <student>/<assignment>/<notebook>.ipynb, "
                          "or <student>_<notebook>.ipynb files)")
    return items


def _collect_layout(folder, assignments):
    items = []
    for student in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for handed_in in sorted(p for p in student.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if handed_in.name not in assignments:
                items.append(Item(student.name, handed_in.name, "", None, WRONG_ASSIGNMENT,
                                  f"no assignment is called {handed_in.name!r}; the assignments are {', '.join(sorted(assignments))}"))
                continue
            for notebook in assignments[handed_in.name]:
                path = handed_in / notebook
                items.append(Item(student.name, handed_in.name, notebook, path if path.is_file() else None,
                                  "" if path.is_file() else MISSING,
                                  "" if path.is_file() else f"{notebook} was not handed in"))
    return items


def _collect_loose(files, assignments):
    owner = {notebook: assignment for assignment, notebooks in assignments.items() for notebook in notebooks}
    found = {}
    for path in files:
        notebook = next((n for n in sorted(owner, key=len, reverse=True)
                         if path.name == n or path.name.endswith("_" + n)), None)
        if notebook is None:
            raise IntakeError(f"{path.name}: not named after any notebook of the course (<student>_<notebook>.ipynb)")
        student = re.sub(r"[^\w.-]+", "_", path.name[: -len(notebook)].rstrip("_")) or "unknown"
        found[(student, owner[notebook], notebook)] = path
    items = []
    for student, assignment in sorted({(s, a) for s, a, _ in found}):
        for notebook in assignments[assignment]:
            path = found.get((student, assignment, notebook))
            items.append(Item(student, assignment, notebook, path, "" if path else MISSING,
                              "" if path else f"{notebook} was not handed in"))
    return items
