#!/usr/bin/env python3
"""The course's one entry point. It needs nothing but Python 3.10+ (standard library only).

    python course.py [FLAGS]    set up on first use, then open JupyterLab on the first lecture (FLAGS: JupyterLab's)
    python course.py test       set up on first use, then run the test suite
    python course.py check NB   grade your exercise notebook NB with the hidden tests
    python course.py site       build the course's website in site/_build/html (see `python course.py site --help`)
    python course.py grade ...  grade a folder of submissions (see `python course.py grade --help`)
    python course.py setup      only set up (create .venv and install the pinned requirements)

Setting up means: a virtual environment in `.venv/` beside this file, with the versions pinned in
`requirements.txt` and this repository installed in editable mode. It is redone whenever
`requirements.txt` or `pyproject.toml` change, and skipped otherwise.
"""
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / "course-installed.sha256"
PINNED_FILES = ("requirements.txt", "pyproject.toml")


def fail(message):
    sys.exit(f"course.py: {message}")


def pinned_digest():
    digest = hashlib.sha256()
    for name in PINNED_FILES:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def run(command, **kwargs):
    """Run a command with the course's environment first on PATH (nbgrader calls `alembic` from PATH)."""
    env = dict(os.environ, VIRTUAL_ENV=str(VENV), PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""))
    env.pop("PYTHONHOME", None)
    return subprocess.call([str(c) for c in command], cwd=ROOT, env=env, **kwargs)


def setup():
    """Create .venv and install the pinned requirements, unless that is already done for these pins."""
    if sys.version_info < (3, 10):
        fail(f"Python 3.10 or newer is needed, this is {sys.version.split()[0]}")
    digest = pinned_digest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == digest:
        return
    if not PYTHON.exists():
        print("course.py: creating the virtual environment in .venv/ (first use only)", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("course.py: installing the pinned requirements (about a minute on first use)", flush=True)
    pip = [PYTHON, "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    if run(pip + ["-r", ROOT / "requirements.txt"]) or run(pip + ["--no-deps", "--config-settings", "editable_mode=compat", "-e", ROOT]):
        fail("installing the requirements failed (see pip's message above); run the same command again to retry")
    STAMP.write_text(digest + "\n")


def main(argv):
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["lab", *argv]  # `python course.py --no-browser`: JupyterLab's own flags
    command, rest = argv[0], argv[1:]
    if command in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    commands = {
        "lab": lambda: run([PYTHON, "-m", "jupyter", "lab", *lab_settings, *as_root, *rest]),
        "test": lambda: run([PYTHON, "-m", "pytest", *rest]),
        "grade": lambda: run([PYTHON, "-m", "mlpcourse.grade", *rest]),
        "check": lambda: run([PYTHON, "-m", "mlpcourse.check", *rest]),
        "site": lambda: run([PYTHON, ROOT / "site" / "build.py", *rest]),
        "setup": lambda: 0,
    }
    if command not in commands:
        fail(f"unknown command {command!r}; the commands are: {', '.join(commands)} (see --help)")
    setup()
    return commands[command]()


# JupyterLab opens on the first lecture, with the course's settings (jupyter-settings/overrides.json: widgets'
# messages on the kernel's main thread, no news pop-up) as its defaults; a learner's own settings still win.
lab_settings = [f"--ServerApp.root_dir={ROOT}", f"--LabApp.app_settings_dir={ROOT / 'jupyter-settings'}",
                "--LabApp.default_url=/lab/tree/lectures/00_how_this_course_works.ipynb"]
# Jupyter refuses to start as root unless told to; containers and CI machines often run as root.
as_root = ["--allow-root"] if getattr(os, "geteuid", lambda: 1)() == 0 else []


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
