"""The catalogue of graded work, solutions/CATALOGUE.md, made from the notebooks themselves: every
assignment, notebook, graded test cell (its grade id and points), the student's functions it tests,
and the syllabus items each notebook practises.

    python -m mlpcourse.catalogue        rewrite solutions/CATALOGUE.md
"""
import ast
import sys

import nbformat

from .layout import ROOT
from .exercise_checks import checks_path

CATALOGUE = ROOT / "solutions" / "CATALOGUE.md"

# The syllabus items marked [ex] (../shared/SYLLABUS.md) that each notebook practises.
SYLLABUS = {
    "a1_perceptron/perceptron.ipynb": "1. Perceptron learning rule; convergence on separable data",
    "a1_perceptron/mlp_forward.ipynb": "2. Forward pass in matrix form, batched; XOR by an MLP; number of parameters",
    "a2_activations/activations.ipynb": "3. Activation functions and their derivatives (σ'(0) = 1/4, tanh'(0) = 1)",
    "a2_activations/softmax.ipynb": "3. Numerically stable softmax (and log-softmax)",
    "a3_backprop/linear_relu.ipynb": "4. Gradients of W and b; backward through a layer and ReLU",
    "a3_backprop/logistic_and_softmax.ipynb": "4. Logistic regression gradient; softmax + cross-entropy gradient p − y",
    "a3_backprop/two_layer_sigmoid.ipynb": "4. Residuals δ and the hidden-layer recursion; two-layer sigmoid network by hand",
    "a3_backprop/gradient_check.ipynb": "4. Gradient checking with centred differences and relative error",
    "a4_losses/regression_losses.ipynb": "5. Regression losses: MSE, L1, SmoothL1",
    "a4_losses/classification_losses.ipynb": "5. Classification losses: BCE, NLL with class weights, cross-entropy",
    "a4_losses/multi_margin_loss.ipynb": "5. Multi-class margin (hinge) loss",
    "a4_losses/regularization.ipynb": "5. L1 and L2 regularization and their gradients",
    "a5_training/sgd_and_schedules.ipynb": "6. SGD (momentum, weight decay); learning-rate decay: exponential, 1/t, step",
    "a5_training/training_loop.ipynb": "6. The training loop; mini-batches with shuffling; an MLP trained on real digits",
    "a6_dropout/dropout.ipynb": "7. Inverted dropout, train vs eval",
    "a7_batchnorm/batchnorm_forward.ipynb": "8. Batch norm training transform; inference with running averages (unbiased)",
    "a7_batchnorm/batchnorm_backward.ipynb": "8. Backward pass through batch norm (all three paths)",
    "a8_init/scaled_init.ipynb": "9. Gains; Xavier/Glorot and He/Kaiming, uniform and normal, fan modes",
    "a8_init/orthogonal.ipynb": "9. Orthogonal initialization",
    "a9_capstone/mnist_mlp.ipynb": "6. An MLP trained on real digit images, hidden sizes 128 and 256 (784-128-256-10, "
                                   "all of it the student's own code; held-out accuracy bar)",
    "a9_capstone/mnist1d_open.ipynb": "6. Over- and underfitting: beat the MNIST-1D MLP baseline, with a written "
                                      "analysis graded by hand",
}


MANUAL = "graded by hand (nbgrader's manual grading)"


def answer_functions(notebook):
    """Names of what the student writes: the functions, classes and variables the answer cells define."""
    names = []
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            for node in ast.parse(cell.source).body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    names.append(node.name)
                elif isinstance(node, ast.Assign):
                    names += [target.id for target in node.targets if isinstance(target, ast.Name)]
    return names


def names_in(source):
    """The names a piece of code uses (not the words of its strings: a hint that names a function does not call it)."""
    return {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}


def tested_functions(test_source, helpers, functions):
    """The student's functions a test cell calls, directly or through the checks' functions, however deeply."""
    used, waiting = set(), names_in(test_source)
    while waiting:
        name = waiting.pop()
        if name not in used:
            used.add(name)
            waiting |= names_in(helpers[name]) if name in helpers else set()
    return [f for f in functions if f in used]


def rows(assignment_folder):
    """(notebook, grade id, points, tested functions) for every graded cell of one assignment."""
    found = []
    for path in sorted(assignment_folder.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        functions = answer_functions(notebook)
        checks = checks_path(f"{assignment_folder.name}/{path.stem}")
        helper_sources = [checks.read_text(encoding="utf-8")] if checks.is_file() else []
        helper_sources += [cell.source for cell in notebook.cells if cell.cell_type == "code"
                           and not cell.metadata.get("nbgrader", {}).get("solution")
                           and not cell.metadata.get("nbgrader", {}).get("grade")]
        helpers = {node.name: ast.get_source_segment(source, node)
                   for source in helper_sources for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)}
        for cell in notebook.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                found.append((path.name, meta["grade_id"], meta["points"],  # an answer with points: graded by hand
                              MANUAL if meta.get("solution") else tested_functions(cell.source, helpers, functions)))
    return found


def described(functions):
    """A test's functions for the table: `a`, `b`; or that a manual answer is graded by hand."""
    return MANUAL if functions == MANUAL else ", ".join(f"`{f}`" for f in functions) or "—"


def render():
    lines = ["# Catalogue of graded work", "",
             "Made by `python -m mlpcourse.catalogue` from the notebooks (the test suite checks it is up to date).",
             "Every graded test cell, its points, the student's functions it tests, and the syllabus item",
             "(`../shared/SYLLABUS.md`, items marked [ex]) each notebook practises.", ""]
    total = 0
    for folder in sorted(p for p in (ROOT / "solutions").iterdir() if p.is_dir()):
        found = rows(folder)
        points = sum(r[2] for r in found)
        total += points
        lines += [f"## {folder.name} ({points:g} points)", ""]
        for notebook in sorted({r[0] for r in found}):
            lines += [f"### {notebook}: {SYLLABUS[f'{folder.name}/{notebook}']}", "",
                      "| grade id | points | tests |", "|---|---|---|"]
            lines += [f"| `{grade_id}` | {points:g} | {described(functions)} |"
                      for name, grade_id, points, functions in found if name == notebook]
            lines.append("")
    lines.append(f"Total: {total:g} points.")
    return "\n".join(lines) + "\n"


def main():
    CATALOGUE.write_text(render(), encoding="utf-8")
    print(f"wrote {CATALOGUE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
