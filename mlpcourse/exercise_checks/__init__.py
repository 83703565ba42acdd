"""The checks behind the exercises' tests, kept out of the notebooks the students receive.

A check computes what a student's function should return (from `mlp_ref`) and what each classic mistake would
return, and names the mistake it recognises. Inside the exercise, that code would hand over the answers: the
expected values are built from the formulas the student is asked to derive, and the hints name the fixes. So each
exercise notebook has one read-only cell,

    from mlpcourse.exercise_checks import load_checks
    load_checks("a3_backprop/two_layer_sigmoid", globals())

which runs `mlpcourse/exercise_checks/a3_backprop/two_layer_sigmoid.py` in the notebook's namespace, as a cell
would be run: its check functions find the student's functions under their names (and, graded sealed, the
grader's proxies of them: mlpcourse.sealed). The test cells then call them. The file stays readable for anyone
who looks (the instructor, a curious student), but the notebook shows the task and its specification only.
"""
import ast
from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def checks_path(notebook):
    """The file of the checks of `notebook`, "<assignment>/<notebook name without .ipynb>"."""
    return FOLDER / f"{notebook}.py"


def load_checks(notebook, namespace):
    """Run the checks of `notebook` in `namespace` (the notebook's globals())."""
    path = checks_path(notebook)
    if not path.is_file():
        raise FileNotFoundError(f"no checks for the exercise {notebook!r}: {path} is missing (reinstall the course)")
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)


def loaded_checks(tree):
    """The source texts of the checks that a cell's code (its parsed `tree`) loads: the grader reads them as the
    cell's own code, for the student's names they use (mlpcourse.sealed) and those they bind to the reference
    (mlpcourse.cheating)."""
    return [checks_path(node.args[0].value).read_text(encoding="utf-8") for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "load_checks" and node.args
            and isinstance(node.args[0], ast.Constant) and checks_path(str(node.args[0].value)).is_file()]
