"""Spot code in a student's cells that gets its marks without doing the work: calling the reference
or PyTorch (directly, or through the names the notebook's own read-only cells import or define around
them), or patching NumPy or the checks so that the tests pass. This only flags; a person decides.

A read-only cell can hand students a reference function on purpose: its import line then carries the
comment `# students may use`.
"""
import ast

from .cells import parse_code
from .exercise_checks import loaded_checks

FORBIDDEN_MODULES = ("torch", "mlp_ref", "mlpcourse", "jax", "tensorflow", "autograd")
ALLOWED_MODULES = ("mlpcourse.given",)  # what the exercises give students to use
PATCHABLE = ("np", "numpy", "mlp_ref", "mlpcourse", "checks", "builtins", "sys", "math")
CHECK_NAMES = ("check_array", "check_scalar", "check_equal", "CheckFailed")
# what exercise answers never need: code that runs code, inspects the caller, hooks the kernel or starts processes
INTROSPECTION_CALLS = ("exec", "eval", "compile", "globals", "__import__", "_getframe", "currentframe", "import_module",
                       "set_custom_exc", "register", "kill", "killpg", "fork", "system", "Popen", "execv", "execvp")
INTROSPECTION_MODULES = ("subprocess", "ctypes", "importlib", "inspect", "signal", "IPython", "multiprocessing", "gc")


REFERENCE_MODULES = ("torch", "mlp_ref")
ALLOWED_MARK = "# students may use"


def reference_names(sources):
    """Names that the notebook's own (not the student's) code binds to the reference: names imported from
    mlp_ref or torch, and functions or classes defined around them, however deeply. `sources`: the course's cells
    (and, through their `load_checks` lines, the exercise's checks)."""
    names, definitions = set(), []
    sources = list(sources)
    for source in sources:  # a list that grows as it is walked: the checks a cell loads count as the course's code
        tree = parse_code(source)
        if tree is None:
            continue
        sources += loaded_checks(tree)
        lines = source.splitlines()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and ALLOWED_MARK not in lines[node.lineno - 1]:
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(m.split(".")[0] in REFERENCE_MODULES for m in modules):
                    names.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                definitions.append((node.name, used))
    grown = True
    while grown:
        grown = False
        for name, used in definitions:
            if name not in names and used & names:
                names.add(name)
                grown = True
    return names


def _root_name(node):
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def suspicious(source, reference=frozenset()):
    """Reasons this code looks like cheating (an empty list when it does not). `reference`: the names the
    notebook's own cells bind to the reference implementation (see reference_names)."""
    tree = parse_code(source)
    if tree is None:
        return []
    reasons = [f"uses the reference implementation ({node.id})" for node in ast.walk(tree)
               if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in reference]
    # a module the cell imports, under any alias, is patched when an attribute of it is assigned
    patchable = set(PATCHABLE) | {(alias.asname or alias.name).split(".")[0] for node in ast.walk(tree)
                                  if isinstance(node, ast.Import) for alias in node.names}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                if name.split(".")[0] in FORBIDDEN_MODULES and name not in ALLOWED_MODULES:
                    reasons.append(f"imports {name.split('.')[0]}")
                elif name.split(".")[0] in INTROSPECTION_MODULES:
                    reasons.append(f"imports {name.split('.')[0]}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("__import__", "setattr", "exec", "eval"):
            first = node.args[0] if node.args else None
            if node.func.id == "setattr" and first is not None and _root_name(first) in patchable:
                reasons.append(f"patches {_root_name(first)} with setattr")
            elif node.func.id == "__import__" and isinstance(first, ast.Constant) and str(first.value).split(".")[0] in FORBIDDEN_MODULES:
                reasons.append(f"imports {first.value} with __import__")
        if isinstance(node, ast.Call):
            called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if called in INTROSPECTION_CALLS:
                reasons.append(f"calls {called}()")
        if isinstance(node, ast.Attribute) and node.attr in ("modules", "__code__", "__globals__", "f_locals", "f_back", "showtraceback"):
            reasons.append(f"reaches .{node.attr}")
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, (ast.Attribute, ast.Subscript)) and _root_name(target) in patchable:
                    reasons.append(f"patches {ast.unparse(target)}")
                elif isinstance(target, ast.Name) and target.id in CHECK_NAMES:
                    reasons.append(f"redefines {target.id}")
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in CHECK_NAMES:
            reasons.append(f"redefines {node.name}")
    return sorted(set(reasons))
