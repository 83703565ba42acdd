"""Where the course keeps what: the one place of the repository's layout (nbgrader_config.py agrees)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"        # nbgrader's source: the instructor's notebooks with hidden tests
EXERCISES = ROOT / "exercises"        # nbgrader's release: what students get
SAMPLES = ROOT / "samples"            # sample submissions and the catalogue of classic mistakes
GRADING = ROOT / "grading"            # everything grading produces (git ignores it)


def course_assignments():
    """{assignment: [notebook file names]} from solutions/."""
    return {folder.name: sorted(p.name for p in folder.glob("*.ipynb"))
            for folder in sorted(SOLUTIONS.iterdir()) if folder.is_dir()}
