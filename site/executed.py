"""The lectures run once, then kept: each executed notebook is cached under a key made of everything
its outputs depend on (its code cells, the course code it imports, the pinned versions), so a rebuild of
the site after a text edit runs no notebook at all (the pages take the text from the notebook as it is now)."""
import ast
import hashlib
import os
import re
import subprocess
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
LOCAL_PACKAGES = ("mlp_ref", "mlpcourse")


def local_imports(source, package=None):
    """Files of the course's own packages (mlp_ref, mlpcourse) that Python source imports directly."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package of the importing file
                base = ".".join(filter(None, [package, base]))
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] not in LOCAL_PACKAGES:
                continue
            for depth in range(1, len(parts) + 1):  # a.b.c imports a/__init__.py, a/b.py or a/b/__init__.py, ...
                stem = ROOT.joinpath(*parts[:depth])
                found |= {path for path in (stem.with_suffix(".py"), stem / "__init__.py") if path.is_file()}
    return found


def imported_files(notebook):
    """Every file of the course's packages that the notebook's code imports, directly or through others."""
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
    todo, seen = local_imports(code), set()
    while todo:
        path = todo.pop()
        seen.add(path)
        package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1]) if path.name != "__init__.py" \
            else ".".join(path.parent.relative_to(ROOT).parts)
        todo |= local_imports(path.read_text(encoding="utf-8"), package) - seen
    return sorted(seen)


def cache_key(path):
    """A digest of the notebook's code cells (ids and sources: its text cells do not change its outputs),
    the course's code it imports (transitively) and requirements.txt: a cached run is reused as long as none
    of them changed, so a text edit reruns nothing."""
    notebook = nbformat.read(path, as_version=4)
    digest = hashlib.sha256()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            digest.update(f"{cell.id}\0{cell.source}\0".encode())
    for source in imported_files(notebook):
        digest.update(source.relative_to(ROOT).as_posix().encode() + b"\0" + source.read_bytes())
    digest.update((ROOT / "requirements.txt").read_bytes())
    return digest.hexdigest()[:16]


def execute(path, target):
    """Run one notebook top to bottom in its own folder, figures inline, widget state kept; write it to target.
    Returns None, or the error's line when a cell failed, timed out or killed the kernel (then nothing is written)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    os.environ.pop("MPLBACKEND", None)  # the kernel's inline backend, so that figures become outputs
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")  # two notebooks run at once on a shared machine
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", store_widget_state=True,
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute(stderr=subprocess.DEVNULL)  # the kernel's own log (a warning per start), not the cells'
    except (CellExecutionError, CellTimeoutError, RuntimeError) as error:  # RuntimeError: the kernel died
        lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in str(error).splitlines() if line.strip()]
        return lines[-1] if lines else "a cell failed"  # the exception's line, without the terminal's colours
    partial = target.with_suffix(".partial")
    nbformat.write(notebook, partial)
    partial.replace(target)
    return None


def shown(path):
    """A path as the user knows it: from the course's folder when it is in it."""
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def executed_notebooks(paths, cache, jobs=2, log=print):
    """{source path: executed copy} for every notebook, running only those whose cache entry is missing.
    Raises RuntimeError naming every notebook that failed."""
    cache.mkdir(parents=True, exist_ok=True)
    targets = {path: cache / f"{path.stem}-{cache_key(path)}.ipynb" for path in paths}
    missing = [path for path, target in targets.items() if not target.exists()]
    if missing:
        log(f"running {len(missing)} of {len(paths)} lectures (the others are cached): "
            + ", ".join(path.stem for path in missing))
        with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(missing)))) as pool:
            errors = dict(zip(missing, pool.map(execute, missing, [targets[p] for p in missing])))
        failed = {path: error for path, error in errors.items() if error}
        if failed:
            raise RuntimeError("; ".join(f"{shown(path)} failed: {error}" for path, error in failed.items()))
    for path, target in targets.items():  # drop older cached runs of the same notebooks
        for stale in cache.glob(f"{path.stem}-*.ipynb"):
            if stale != target:
                stale.unlink()
    return targets
