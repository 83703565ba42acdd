"""The course's website, `python course.py site`: built offline from the pinned environment, then every page
opened in Chromium (Debian's, driven by Playwright) from a local server. Nothing may be requested from any
other host, no script may fail, the math must be typeset, every lecture shows its figures and no error
output, and nothing of solutions/ is published.

To stay quick the site is built with two lectures (widgets, math and figures, about 30 s to run; cached in
site/_build/executed/ afterwards) and every other page; the full build is the same code with all lectures
(`COURSE_SITE_FULL=1 python course.py test tests/test_site.py` checks it, about 5 minutes the first time).
The first figure of each lecture is saved to site/_build/screenshots/ to be looked at."""
import functools
import http.server
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
# Two lectures (widgets, math and figures); COURSE_SITE_FULL=1 checks the full build, every lecture.
LECTURES = ([path.stem for path in sorted((ROOT / "lectures").glob("*.ipynb"))] if os.environ.get("COURSE_SITE_FULL")
            else ["01_perceptron", "03_activations"])
EXERCISES = sorted((ROOT / "exercises").glob("*/*.ipynb"))
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = (["intro", "syllabus", "exercises/index"] + [f"lectures/{name}" for name in LECTURES]
         + [f"exercises/{path.parent.name}/{path.stem}" for path in EXERCISES] + [f"docs/{path.stem}" for path in DOCS])
SCREENSHOTS = ROOT / "site" / "_build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def missing_part():
    """What this machine lacks to build and browse the site, or None."""
    if not CHROMIUM.exists():
        return "Debian's chromium is not installed (system-packages.txt)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    if shutil.which("npm") is None and not (ROOT / "site" / "node_modules").is_dir():
        return "npm is needed once to fetch the site's scripts"
    return None


def build(out):
    return subprocess.run([sys.executable, "course.py", "site", "--lectures", ",".join(LECTURES), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    reason = missing_part()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the website test: {reason}")
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("site")
    result = build(out)
    assert result.returncode == 0, f"the build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return out


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(QuietHandler, directory=str(site / "html"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


class Tab:
    """One browser tab, reused for every page: what a page requested, and every script error or failed load."""

    SUMMARY = """() => {
        const main = document.querySelector('main') || document.body;
        const copy = main.cloneNode(true);
        copy.querySelectorAll('pre, code, .highlight, mjx-container').forEach(e => e.remove());
        return {headings: document.querySelectorAll('h1').length,
                math: document.querySelectorAll('.math').length,
                untypeset: document.querySelectorAll('.math:not(:has(mjx-container))').length,
                text: copy.innerText}; }"""

    def __init__(self, page, server):
        self.page, self.server = page, server
        self.requests, self.errors = [], []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("response", lambda response: response.status >= 400
                and self.errors.append(f"HTTP {response.status} {response.url}"))

    def visit(self, path):
        """Open a page of the site; return a summary of it once MathJax (if it has math) has typeset it."""
        self.requests.clear()
        self.errors.clear()
        self.page.goto(f"http://{self.server}/{path}", wait_until="load")
        # MathJax typesets after load (its fonts are requested while it does): wait for it where the page has it.
        self.page.evaluate("async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise; }")
        return self.page.evaluate(self.SUMMARY)

    def elsewhere(self):
        return [url for url in self.requests if urlsplit(url).netloc != self.server and not url.startswith("data:")]


@pytest.fixture(scope="module")
def tab(browser, server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    yield Tab(page, server)
    page.close()


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_only_from_the_site_without_errors_and_with_math_typeset(tab, path):
    summary = tab.visit(f"{path}.html")
    if path.startswith("lectures/"):
        tab.page.wait_for_load_state("networkidle")  # figures, and widgets drawn from their saved state
        check_lecture(tab.page, path.split("/")[1])
        assert summary["math"] > 0
    assert tab.elsewhere() == [], "requests to other hosts"
    assert tab.errors == []
    assert summary["headings"] >= 1
    assert summary["untypeset"] == 0, "math left untypeset"
    raw_tex = [token for token in ("$$", "\\[", "\\(") if token in summary["text"]]
    assert raw_tex == [], "TeX left untypeset in the page's text"


def check_lecture(page, name):
    """Figures shown and loaded, no error output, the notes on running it and on its sliders; a screenshot."""
    figures = page.locator(".cell_output img")
    assert figures.count() > 0, "no figure"
    assert page.evaluate("() => [...document.querySelectorAll('.cell_output img')].every(i => i.naturalWidth > 0)")
    assert page.locator(".output.error, .output.traceback, .output.stderr").count() == 0
    assert page.locator(".run-it a.download").count() == 1, "no link to download the notebook"
    notebook = nbformat.read(ROOT / "lectures" / f"{name}.ipynb", as_version=4)
    if any("ipywidgets" in cell.source for cell in notebook.cells if cell.cell_type == "code"):
        assert page.locator(".widget-static").count() > 0, "a widget's figure without the note that it is static"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    figures.first.scroll_into_view_if_needed()
    figures.first.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_search_finds_pages_offline(tab):
    tab.visit("search.html?q=perceptron")
    results = tab.page.locator("#search-results li")
    results.first.wait_for(timeout=15000)
    assert results.count() > 0
    assert tab.elsewhere() == [] and tab.errors == []


def test_only_the_student_versions_are_published(site):
    """Downloads are the lectures and exercises as committed; no solution or hidden test anywhere in the site."""
    html = site / "html"
    exercises = sorted((ROOT / "exercises").glob("*/*.ipynb"))  # as they are now (others may edit them meanwhile)
    published = {path.read_bytes() for path in (ROOT / "lectures").glob("*.ipynb")} | \
                {path.read_bytes() for path in exercises}
    downloads = list(html.rglob("*.ipynb"))
    assert {path.name for path in downloads} >= {f"{name}.ipynb" for name in LECTURES} | {p.name for p in exercises}
    assert [path.name for path in downloads if path.read_bytes() not in published] == []
    for path in html.rglob("*"):
        if path.suffix in (".html", ".js", ".ipynb", ".txt"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text, path


def test_every_link_within_the_site_leads_to_a_file_of_it(site):
    html = site / "html"
    broken = set()
    for page in html.rglob("*.html"):
        for target in re.findall(r'<a [^>]*href="([^"#?]*)', page.read_text(encoding="utf-8")):
            if target and not re.match(r"^[a-z]+:", target) and not (page.parent / target).resolve().is_file():
                broken.add(f"{page.relative_to(html)} -> {target}")
    assert sorted(broken) == []


def test_syllabus_map_links_every_exercise(site):
    page = (site / "html" / "syllabus.html").read_text(encoding="utf-8")
    for path in EXERCISES:
        assert f'href="exercises/{path.parent.name}/{path.stem}.html"' in page, path


def load_site_module(name):
    """A module of site/ (not importable by name: the standard library has a module called site)."""
    spec = importlib.util.spec_from_file_location(f"course_site_{name}", ROOT / "site" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # so that its functions can be sent to worker processes
    spec.loader.exec_module(module)
    return module


def test_a_rebuild_runs_no_lecture(site):
    executed = load_site_module("executed")
    ran = []
    lectures = [ROOT / "lectures" / f"{name}.ipynb" for name in LECTURES]
    copies = executed.executed_notebooks(lectures, ROOT / "site" / "_build" / "executed", log=ran.append)
    assert ran == [] and all(copy.exists() for copy in copies.values())


def test_a_failing_cell_stops_the_build_with_the_notebook_and_its_error(tmp_path):
    executed = load_site_module("executed")
    broken = tmp_path / "broken.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("raise ValueError('on purpose')")]),
                   broken)
    with pytest.raises(RuntimeError, match=r"broken.ipynb failed: ValueError: on purpose"):
        executed.executed_notebooks([broken], tmp_path / "cache", log=lambda text: None)
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_text_edit_keeps_the_cached_run_and_a_code_edit_does_not(tmp_path):
    executed = load_site_module("executed")
    lecture = ROOT / "lectures" / f"{LECTURES[0]}.ipynb"
    notebook = nbformat.read(lecture, as_version=4)
    edited = tmp_path / lecture.name
    next(cell for cell in notebook.cells if cell.cell_type == "markdown").source += "\nOne sentence more."
    nbformat.write(notebook, edited)
    assert executed.cache_key(edited) == executed.cache_key(lecture)
    next(cell for cell in notebook.cells if cell.cell_type == "code").source += "\nanswer = 42"
    nbformat.write(notebook, edited)
    assert executed.cache_key(edited) != executed.cache_key(lecture)


def test_a_folder_the_build_did_not_make_is_refused_and_left_alone(tmp_path):
    mine = tmp_path / "notes.txt"
    mine.write_text("mine")
    result = subprocess.run([sys.executable, "course.py", "site", "--out", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "choose a new or empty folder" in result.stderr
    assert mine.read_text() == "mine" and sorted(tmp_path.iterdir()) == [mine]
