"""Run one rebuilt notebook sealed: the student's code in a sandboxed kernel, every verdict in this process.

The cells are taken in the notebook's order, each where it belongs:
- the student's code (answer cells, cells of their own, course cells they changed) runs in the kernel;
- read-only cells (the setup and the tests' helpers, from the instructor's source) run here, in the grader's
  namespace, where the reference `mlp_ref` and the checks live; those marked `student_setup` (the imports
  and helpers the answers use) run in the kernel too;
- each graded test cell runs here: the names it needs from the student's code (functions, classes,
  values) are looked up in the kernel and stand in the grader's namespace as plain data or as handles to the
  kernel's objects (channel.py), so that a test calls the student's function, gets plain data back and judges
  it with code the student never reaches. A test passes when it runs to its end without raising; warnings
  from the student's code are shown as advice and cost nothing.
- the course's own ungraded cells that the student left as they were (demonstrations, which may use the
  reference) are not run.

Nothing the kernel does can write a verdict: it can only give wrong answers, fail to answer (then the test
earns nothing), or break the channel (then every test still to come earns nothing).
"""
import ast
import builtins
import contextlib
import io
import time
from dataclasses import dataclass, field

import nbformat

from . import cells
from .channel import ChannelBroken, ChannelTimeout
from .checks import STUDENT_KERNEL, at_level, hint_level
from .exercise_checks import loaded_checks
from .sandbox import Sandbox
from .statuses import CHANNEL_BROKEN, GRADED, KERNEL_DIED, OUT_OF_MEMORY, TIMED_OUT

BUILTIN_NAMES = set(dir(builtins))
KEPT_MIME_TYPES = ("text/plain", "image/png")  # never HTML or scripts from a student's kernel into feedback


@dataclass
class Outcome:
    """How a sealed run ended, and each graded test's verdict: {grade id: failure message or None}."""
    status: str = GRADED
    detail: str = ""
    verdicts: dict = field(default_factory=dict)


def loaded_names(tree):
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def module_level_names(tree):
    """The names a cell binds in the notebook's namespace (not inside its functions, classes or comprehensions)."""
    bound = set()

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
            return
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return bound


class KernelNames:
    """The student's kernel's global names, for checks.replaced_in_student_code."""

    def __init__(self, peer):
        self.peer = peer

    def replace(self, values, absent=()):
        """Set `values` and delete `absent` in the kernel; return (the values they replaced, the names that were unset)."""
        previous, missing = self.peer.request("replace", values=dict(values), absent=list(absent))
        return previous, missing


class SealedRun:
    """The grader's namespace beside one student kernel."""

    def __init__(self, limits, sandboxed):
        self.limits = limits
        self.kernel = Sandbox(limits.memory, sandboxed=sandboxed, on_notice=self._notice)
        self.namespace = {"__name__": "__main__", "__builtins__": builtins, STUDENT_KERNEL: KernelNames(self.kernel.peer)}
        self.grader_bound, self.grader_loaded, self.from_kernel = set(), set(), set()
        self.notices = []
        self.out_of_memory_in = None   # the first student cell that ran out of memory
        self.output_left = limits.max_output
        self.deadline = time.monotonic() + limits.total_timeout

    def _notice(self, text):
        if text not in self.notices:
            self.notices.append(text)

    def _arm(self):
        """The time this cell may take: its own limit, within what is left of the notebook's."""
        if time.monotonic() >= self.deadline:
            raise ChannelTimeout("the notebook ran past its time limit")
        self.kernel.peer.deadline = min(time.monotonic() + self.limits.cell_timeout, self.deadline)

    def _cap(self, text):
        """`text` within the limits: max_lines lines for one output, max_output characters for the notebook."""
        kept = text[:max(self.output_left, 0)]
        self.output_left -= len(text)
        if len(kept) < len(text):
            kept += f"\n[output cut: the notebook printed more than {self.limits.max_output} characters]\n"
        lines = kept.splitlines(keepends=True)
        if len(lines) > self.limits.max_lines:
            kept = "".join(lines[:self.limits.max_lines]) + f"[{len(lines) - self.limits.max_lines} more lines not shown]\n"
        return kept

    # ---- the kernel's cells ------------------------------------------------------------------------------
    def run_in_kernel(self, cell):
        """Execute a cell in the student's kernel; its outputs (capped, text and PNG only) go into the cell."""
        self._arm()
        answer = self.kernel.peer.request("exec", code=cell.source, budget=max(self.output_left, 0))
        outputs = answer.get("outputs", []) if isinstance(answer, dict) else []
        cell.outputs = [output for output in map(self._as_output, outputs if isinstance(outputs, list) else []) if output]
        if any(output.output_type == "error" and output.ename == "MemoryError" for output in cell.outputs):
            self.out_of_memory_in = self.out_of_memory_in or cell.id

    def _as_output(self, output):
        if not isinstance(output, dict):
            return None
        kind = output.get("kind")
        if kind == "stream" and output.get("name") in ("stdout", "stderr"):
            return nbformat.v4.new_output("stream", name=output["name"], text=self._cap(str(output.get("text", ""))))
        if kind == "display" and isinstance(output.get("data"), dict):
            data = {k: str(v) for k, v in output["data"].items() if k in KEPT_MIME_TYPES}
            if "text/plain" in data:
                data["text/plain"] = self._cap(data["text/plain"])
            if len(data.get("image/png", "")) > 4 * 2**20:
                data.pop("image/png")
            return nbformat.v4.new_output("display_data", data=data) if data else None
        if kind == "error":
            name, message = str(output.get("type", "Error"))[:100], self._cap(str(output.get("message", "")))
            return nbformat.v4.new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])
        return None

    # ---- the grader's cells ------------------------------------------------------------------------------
    def _bring_student_names(self, tree):
        """Make the names the grader's code uses, and does not bind itself, stand for the kernel's objects."""
        for code in [tree, *map(cells.parse_code, loaded_checks(tree))]:  # the exercise's checks, if the cell loads them
            self.grader_bound |= module_level_names(code)
            self.grader_loaded |= loaded_names(code)
        wanted = sorted(self.grader_loaded - self.grader_bound - BUILTIN_NAMES)
        if not wanted:
            return
        self._arm()
        found = self.kernel.peer.request("lookup", names=wanted)
        found = found if isinstance(found, dict) else {}
        for name in self.from_kernel - set(found):
            self.namespace.pop(name, None)  # deleted or renamed by the student since: a NameError, as in Jupyter
        for name in wanted:
            if name in found:
                self.namespace[name] = found[name]
        self.from_kernel = set(found)

    def run_here(self, cell):
        """Execute a read-only or test cell in the grader's namespace; return its failure message or None."""
        tree = cells.parse_code(cell.source)
        if tree is None:
            raise SyntaxError(f"the course's cell {cell.id} does not parse")
        self._bring_student_names(tree)
        self.notices = []
        printed = io.StringIO()
        failure = None
        self._arm()
        try:
            with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
                exec(compile(tree, f"<{cell.id}>", "exec"), self.namespace)
        except Exception as error:  # the verdict: a check failed, or the student's code raised
            failure = f"{type(error).__name__}: {getattr(error, 'full_message', error)}"  # every hint level: the record
        text = printed.getvalue()
        if self.notices:
            text += "note: your code gave warnings (they cost nothing, but may point to a problem):\n" + \
                    "".join(f"  {notice}\n" for notice in self.notices)
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=self._cap(text))] if text else []
        if failure:
            message = self._cap(at_level(failure, hint_level()))  # what the student sees: the chosen hint level
            name, _, value = message.partition(": ")
            cell.outputs.append(nbformat.v4.new_output("error", ename=name, evalue=value, traceback=[message]))
        return failure

    def stop(self):
        self.kernel.stop()


def run_sealed(notebook, student_cell_ids, limits, sandboxed=True):
    """Run `notebook` (restored: the course's cells from the source) sealed; fill in the cells' outputs and
    execution counts; return an Outcome with every graded test's verdict."""
    outcome = Outcome()
    tests = cells.test_cells(notebook)
    run = SealedRun(limits, sandboxed)
    count, cell = 0, None
    try:
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            if cells.is_test(cell) or cells.is_readonly(cell):
                if cells.is_student_setup(cell):
                    run.run_in_kernel(cell)
                failure = run.run_here(cell)
                if cells.is_test(cell):
                    outcome.verdicts[cells.grade_id(cell)] = failure
            elif cells.is_answer(cell) or cell.id in student_cell_ids:
                run.run_in_kernel(cell)
            else:
                continue  # the course's own demonstration, untouched by the student
            count += 1
            cell.execution_count = count
    except ChannelTimeout:
        outcome.status = TIMED_OUT
        outcome.detail = (f"cell {cell.id} ran past the time limit ({limits.cell_timeout} s a cell, "
                          f"{limits.total_timeout} s in all)")
    except ChannelBroken as error:
        died = run.kernel.exited(within=2)
        outcome.status = KERNEL_DIED if died else CHANNEL_BROKEN
        outcome.detail = (f"the kernel died while running cell {cell.id}" if died else
                          f"the kernel broke the grading channel in cell {cell.id}: {error}")
    finally:
        run.stop()
    for test in tests:
        grade_id = cells.grade_id(test)
        if grade_id not in outcome.verdicts:
            outcome.verdicts[grade_id] = f"not run: {outcome.detail or 'the notebook stopped before this test'}"
    if outcome.status == GRADED and run.out_of_memory_in:
        outcome.status, outcome.detail = OUT_OF_MEMORY, f"cell {run.out_of_memory_in} ran out of memory"
    elif outcome.status == GRADED and any("MemoryError" in (message or "") for message in outcome.verdicts.values()):
        outcome.status, outcome.detail = OUT_OF_MEMORY, "the student's code ran out of memory in a test"
    return outcome
