"""The course as a student meets it: JupyterLab started by the README's own `python course.py` (with the course's
settings, on a fresh profile), driven in a real browser (Debian's Chromium through Playwright).

- Every lecture opens and Run All finishes with no error, nothing on stderr and no console error, and its
  figures fit the notebook column.
- Every live figure is moved, by keyboard and by mouse, three times per control: each move redraws it, with
  something on it.
- An exercise with wrong answers shows the course's message without a traceback through the course's code, in
  the cell and in nbgrader's Validate dialog; formgrader lists the assignments with Release available.

Screenshots go to tests/screenshots/. Without Chromium or Playwright these tests skip, except on CI (CI=true),
where they fail.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))
SCREENSHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 1024}    # a laptop screen; JupyterLab's file browser stays open
RUN_ALL_TIMEOUT_MS = 240_000
STDERR = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"   # errors and stderr alike
REDRAW_TIMEOUT_MS = 60_000


def require_browser():
    """Skip (fail on CI) unless Debian's Chromium and Playwright are installed."""
    reason = None
    if not CHROMIUM.exists():
        reason = f"Chromium is not installed at {CHROMIUM} (Debian's package `chromium`, see system-packages.txt)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "Playwright is not installed (it is pinned in requirements.txt)"
    if reason and os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; on CI the browser tests must run")
    if reason:
        pytest.skip(reason)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running JupyterLab: its address and token, and its REST API."""

    def __init__(self, port, token):
        self.base, self.token = f"http://127.0.0.1:{port}", token

    def url(self, path):
        return f"{self.base}/{path}{'&' if '?' in path else '?'}token={self.token}"

    def api(self, path, method="GET"):
        request = urllib.request.Request(self.url(f"api/{path}"), method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self):
        for kernel in self.api("kernels"):
            self.api(f"kernels/{kernel['id']}", method="DELETE")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`python course.py` with JupyterLab's flags, on a fresh profile whose one setting serves the tests: autosave
    is off, so that running the lectures leaves them as committed."""
    require_browser()
    profile = tmp_path_factory.mktemp("jupyter-profile")
    user_settings = profile / "user-settings"
    autosave = user_settings / "@jupyterlab" / "docmanager-extension" / "plugin.jupyterlab-settings"
    autosave.parent.mkdir(parents=True)
    autosave.write_text(json.dumps({"autosave": False}))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(profile / "config"), JUPYTERLAB_SETTINGS_DIR=str(user_settings),
               JUPYTERLAB_WORKSPACES_DIR=str(profile / "workspaces"), JUPYTER_RUNTIME_DIR=str(profile / "runtime"))
    port, token = free_port(), "browser-test-token"
    log = open(profile / "lab.log", "wb")
    server = subprocess.Popen([sys.executable, "course.py", "--no-browser", f"--port={port}",
                               f"--IdentityProvider.token={token}"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    running = Lab(port, token)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                running.api("status")
                break
            except OSError:
                assert server.poll() is None, f"JupyterLab exited: {(profile / 'lab.log').read_text()[-2000:]}"
                assert time.monotonic() < deadline, "JupyterLab did not answer within 90 s"
                time.sleep(0.5)
        yield running
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium.new_context(viewport=VIEWPORT)   # one context: its pages share JupyterLab's cached scripts
        chromium.close()


class Tab:
    """One browser page on the lab, recording console errors."""

    def __init__(self, browser, lab):
        self.lab, self.page = lab, browser.new_page()
        self.console_errors = []
        self.page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        self.page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    def open_notebook(self, path):
        self.page.goto(self.lab.url(f"lab/tree/{path}?reset"))   # a fresh workspace: this notebook alone
        self.page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=60_000)
        self.wait_idle(60_000)
        self.page.wait_for_timeout(1000)
        select_kernel = self.page.locator(".jp-Dialog button", has_text=re.compile("^Select$"))
        if select_kernel.count():   # JupyterLab sometimes asks, though the notebook names its kernel: take it
            select_kernel.click()
            self.wait_idle(60_000)

    def wait_idle(self, timeout):
        self.page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=timeout)

    def menu(self, menu, item):
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).click()

    def run(self, item="Run All Cells", timeout=RUN_ALL_TIMEOUT_MS):
        """Run cells from the Run menu and wait until no cell is queued or running."""
        before = self.prompts()
        self.menu("Run", item)
        self.page.wait_for_function(r"""(before) => {
            const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')]
                .map(p => p.textContent);
            const started = prompts.some((p, i) => p !== before[i]);
            const idle = document.querySelector(".jp-Notebook-ExecutionIndicator[data-status='idle']");
            const finished = prompts.every(p => /^\[\d+\]:$/.test(p.trim()))
                || document.querySelector(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']");
            return started && idle && finished && !prompts.some(p => p.includes('*'));
        }""", arg=before, timeout=timeout, polling=500)

    def prompts(self):
        return self.page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").all_text_contents()

    def stderr_outputs(self):
        """Text of every output JupyterLab shows as an error or on stderr."""
        return self.page.locator(STDERR).all_text_contents()

    def close(self):
        self.page.close()


def figure_state(image):
    """Size, share of non-white pixels and a digest of the pixels of a figure's <img>."""
    return image.evaluate("""async (img) => {
        for (let attempt = 1; ; attempt++) {  // a redraw that replaces the image mid-decode rejects: decode the new one
            try { await img.decode(); break; }
            catch (error) { if (attempt >= 20) throw error; await new Promise(done => setTimeout(done, 100)); }
        }
        const canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth;
        canvas.height = img.naturalHeight;
        const context = canvas.getContext('2d');
        context.drawImage(img, 0, 0);
        const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
        let digest = 0, ink = 0;
        for (let i = 0; i < pixels.length; i += 4) {
            const value = pixels[i] + pixels[i + 1] + pixels[i + 2];
            if (value < 720) ink++;
            digest = (Math.imul(digest, 31) + value) >>> 0;
        }
        return {width: canvas.width, height: canvas.height, ink: ink / (pixels.length / 4), digest: digest};
    }""")


SETTLED_MS = 1_000  # a drag redraws at values it passes through: the figure has settled when it stays this long


def wait_for_redraw(page, image, before, what):
    """Wait until the figure's pixels differ from `before` and then stay the same for SETTLED_MS (a drag's
    intermediate values must not be taken for its end); return the new state."""
    deadline = time.monotonic() + REDRAW_TIMEOUT_MS / 1000
    while True:
        state = figure_state(image)
        if state["digest"] != before["digest"]:
            while True:
                page.wait_for_timeout(SETTLED_MS)
                settled = figure_state(image)
                if settled["digest"] == state["digest"] or time.monotonic() > deadline:
                    return settled
                state = settled
        if time.monotonic() > deadline:
            page.screenshot(path=str(SCREENSHOTS / "failed-move.png"))
            pytest.fail(f"the figure did not change after {what}")
        page.wait_for_timeout(200)


def slider_moves(page, control):
    """Move a slider three times: arrow key, drag with the mouse to the other side, arrow key back."""
    handle, track = control.locator(".noUi-handle"), control.locator(".noUi-target")

    def fraction():
        box, bar = handle.bounding_box(), track.bounding_box()
        return (box["x"] + box["width"] / 2 - bar["x"]) / bar["width"]

    def key_toward_middle():
        handle.focus()
        page.keyboard.press("ArrowLeft" if fraction() > 0.5 else "ArrowRight")

    def drag_to_other_side():
        box, bar = handle.bounding_box(), track.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        target = bar["x"] + bar["width"] * (0.2 if fraction() > 0.5 else 0.8)
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(target, y, steps=8)
        page.mouse.up()

    return [key_toward_middle, drag_to_other_side, key_toward_middle]


def dropdown_moves(page, control):
    """Change a dropdown three times: arrow key, a choice with the mouse, arrow key."""
    select = control.locator("select")

    def key():
        select.click()      # opens the list; the arrow key and Enter choose in it
        page.keyboard.press("ArrowUp" if select.evaluate("s => s.selectedIndex") > 0 else "ArrowDown")
        page.keyboard.press("Enter")

    def choose():
        index = select.evaluate("s => s.selectedIndex")
        count = select.evaluate("s => s.options.length")
        select.select_option(index=(index + count // 2) % count)

    return [key, choose, key]


def move_every_control(page, figure, name):
    """Move each control of a live figure three times; every move must redraw a figure that is not blank."""
    figure.scroll_into_view_if_needed()
    image = figure.locator("img.widget-image")
    state = figure_state(image)
    assert state["width"] > 0 and state["ink"] > 0.01, f"{name}: the figure is blank before any move"
    scale = image.evaluate("i => i.clientWidth / i.naturalWidth")
    assert 0.9 <= scale <= 1.01, f"{name}: the figure is shown at {scale:.0%} of its size (text too small or blurred)"
    controls = figure.locator(":scope > .widget-slider, :scope > .widget-dropdown").all()
    assert controls, f"{name}: a live figure without controls"
    for control in controls:
        label = control.locator(".widget-label").first
        assert label.inner_text().strip(), f"{name}: a control without a label"
        assert label.evaluate("l => l.scrollWidth <= l.clientWidth"), f"{name}: label {label.inner_text()!r} is cut"
        moves = dropdown_moves(page, control) if "widget-dropdown" in control.get_attribute("class") \
            else slider_moves(page, control)
        for move in moves:
            move()
            state = wait_for_redraw(page, image, state, f"{name}: {move.__name__} on {label.inner_text()!r}")
            assert state["ink"] > 0.01, f"{name}: blank figure after moving {label.inner_text()!r}"
    figure.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    return len(controls)


def live_figure_calls(path):
    """How many live figures the lecture's code shows (calls of live_figure)."""
    notebook = nbformat.read(path, as_version=4)
    return sum(len(re.findall(r"^live_figure\(", cell.source, flags=re.M))
               for cell in notebook.cells if cell.cell_type == "code")


def test_lab_opens_on_the_first_lecture_without_a_news_pop_up(lab, browser):
    tab = Tab(browser, lab)
    try:
        tab.page.goto(lab.url(""))  # the server's default page: the course's first lecture
        tab.page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
        assert tab.page.locator(".lm-TabBar-tab.jp-mod-current .lm-TabBar-tabLabel").inner_text() == \
            "00_how_this_course_works.ipynb"
        tab.page.wait_for_timeout(3000)   # the news question appears a moment after the page
        tab.page.screenshot(path=str(SCREENSHOTS / "lab-first-lecture.png"))
        assert "Jupyter news" not in tab.page.locator("body").inner_text()
        assert not tab.console_errors, tab.console_errors
    finally:
        tab.close()
        lab.shut_down_kernels()


@pytest.mark.parametrize("path", LECTURES, ids=lambda path: path.stem)
def test_lecture_runs_all_and_every_live_figure_follows_its_controls(lab, browser, path):
    tab = Tab(browser, lab)
    try:
        tab.open_notebook(path.relative_to(ROOT).as_posix())
        tab.run()
        unrun = [prompt for prompt in tab.prompts() if not re.fullmatch(r"\[\d+\]:", prompt.strip())]
        assert not unrun, f"Run All stopped, {len(unrun)} cells did not run: {tab.stderr_outputs()}"
        assert not tab.stderr_outputs(), tab.stderr_outputs()[0][:3000]
        column = tab.page.locator(".jp-Notebook .jp-OutputArea-output").first.evaluate("o => o.clientWidth")
        widths = tab.page.locator(".jp-Notebook .jp-OutputArea-output img").evaluate_all("images => images.map(i => i.naturalWidth)")
        too_wide = [width for width in widths if width > 1.1 * column]
        assert not too_wide, f"figures {too_wide} px wide are shrunk into the {column} px column"
        figures = tab.page.locator(".live-figure").all()
        assert len(figures) == live_figure_calls(path)
        for number, figure in enumerate(figures, 1):
            move_every_control(tab.page, figure, f"{path.stem}-figure-{number}")
        assert not tab.stderr_outputs(), tab.stderr_outputs()[0][:3000]
        assert not tab.console_errors, tab.console_errors
    finally:
        tab.close()
        lab.shut_down_kernels()


WRONG_ANSWERS = {
    "linear_forward": "def linear_forward(x, weight, bias):\n    return x @ weight.T\n",         # forgets the bias
    "linear_backward": "def linear_backward(grad_output, x, weight):\n    return grad_output @ x\n",  # raises
}


@pytest.fixture
def wrong_exercise():
    """A copy of an exercise with two wrong answers, in grading/ (git ignores it), removed afterwards."""
    folder = ROOT / "grading" / f"browser-test-{os.getpid()}"
    folder.mkdir(parents=True)
    notebook = nbformat.read(ROOT / "exercises" / "a3_backprop" / "linear_relu.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.get("id") in WRONG_ANSWERS:
            cell.source = WRONG_ANSWERS[cell.id]
    nbformat.write(notebook, folder / "linear_relu.ipynb")
    yield folder / "linear_relu.ipynb"
    shutil.rmtree(folder)


def test_a_wrong_answer_shows_the_course_message_without_its_traceback(lab, browser, wrong_exercise):
    tab = Tab(browser, lab)
    try:
        tab.open_notebook(wrong_exercise.relative_to(ROOT).as_posix())
        tab.run()                                     # stops at the first failed test
        tab.page.wait_for_selector(STDERR, state="attached")
        errors = tab.stderr_outputs()
        assert len(errors) == 1
        assert errors[0].startswith("CheckFailed: linear_forward (N=4, in=3, out=2)"), errors[0]
        assert "hint: the bias was not added" in errors[0]
        assert "Traceback" not in errors[0] and "mlpcourse/" not in errors[0]   # no frame of the course's files
        tab.page.locator(".jp-CodeCell", has_text="def linear_backward(").locator(".jp-InputPrompt").click()
        tab.run("Run Selected Cell and All Below")
        tab.page.locator(STDERR).nth(1).wait_for(state="attached")
        raised = tab.stderr_outputs()[1]
        tab.page.locator(STDERR).nth(1).screenshot(path=str(SCREENSHOTS / "exercise-student-error.png"))
        assert "in linear_backward" in raised and "return grad_output @ x" in raised      # the student's own frame
        assert re.search(r"CheckFailed: linear_backward \(N=\d+, in=\d+, out=\d+\): your function raised ValueError", raised)
        assert "mlpcourse/" not in raised and "check_linear_backward" not in raised
        tab.page.locator(STDERR).first.screenshot(path=str(SCREENSHOTS / "exercise-check-failed.png"))

        tab.page.locator(".jp-NotebookPanel-toolbar").get_by_text("Validate", exact=True).click()
        dialog = tab.page.locator(".jp-Dialog")
        dialog.get_by_text("CheckFailed", exact=False).first.wait_for(timeout=120_000)
        report = dialog.inner_text()
        tab.page.screenshot(path=str(SCREENSHOTS / "exercise-validate.png"))
        assert "CheckFailed: linear_forward (N=4, in=3, out=2)" in report and "the bias was not added" in report
        assert "CheckFailed: linear_backward (N=" in report
        assert "checks.py" not in report and "mlpcourse/" not in report and "Traceback" not in report.split("linear_backward")[0]
        assert not tab.console_errors, tab.console_errors
    finally:
        tab.close()
        lab.shut_down_kernels()


def test_formgrader_lists_the_assignments_with_release_available(lab, browser):
    assignments = sorted(path.name for path in (ROOT / "solutions").iterdir() if path.is_dir())
    released = [name for name in assignments if (ROOT / "exercises" / name).is_dir()]   # what Release publishes
    tab = Tab(browser, lab)
    try:
        tab.page.goto(lab.url("formgrader/manage_assignments"))
        rows = tab.page.locator("#main-table tr:has(td.name)")
        tab.page.wait_for_function("n => document.querySelectorAll('#main-table td.name').length >= n",
                                   arg=len(assignments), timeout=60_000)
        tab.page.screenshot(path=str(SCREENSHOTS / "formgrader.png"), full_page=True)
        assert sorted(rows.locator("td.name").all_text_contents()) == assignments
        assert tab.page.locator("#warning-exchange").count() == 0
        releasable = [row.locator("td.name").text_content() for row in rows.all() if row.locator("td.release a").count()]
        assert sorted(releasable) == released
    finally:
        tab.close()
