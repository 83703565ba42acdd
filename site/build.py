"""Build the course's website: every lecture executed (cached while unchanged), the exercises' student
versions, the syllabus map and the docs, as static HTML that loads nothing from any other host.

    python course.py site                      build site/_build/html (open its index.html)
    python course.py site --serve              build, then serve it on http://127.0.0.1:8000
    python course.py site --lectures 01_perceptron,03_activations --out DIR
                                               a quick build of some lectures only (tests use it)

Offline once set up: the Python packages are the pinned ones of requirements.txt; MathJax, RequireJS and
the ipywidgets manager come from site/package-lock.json, fetched once by `npm ci` when site/node_modules
is missing or out of date.
"""
import argparse
import hashlib
import http.server
import shutil
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

SITE = Path(__file__).resolve().parent
ROOT = SITE.parent
sys.path.append(str(ROOT))  # mlpcourse, when run as a script

from executed import executed_notebooks  # noqa: E402
from pages import stage  # noqa: E402

LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))
NODE_MODULES = SITE / "node_modules"
NODE_STAMP = NODE_MODULES / ".course-lock.sha256"


def fail(message):
    sys.exit(f"course.py site: {message}")


def install_scripts():
    """npm ci, unless site/node_modules already holds what package-lock.json pins."""
    digest = hashlib.sha256((SITE / "package-lock.json").read_bytes()).hexdigest()
    if NODE_STAMP.exists() and NODE_STAMP.read_text().strip() == digest:
        return
    npm = shutil.which("npm")
    if npm is None:
        fail("npm is needed once, to fetch the scripts the site serves (MathJax, the widget manager): "
             "install Node.js (it comes with npm) and run this again")
    print("course.py site: fetching the site's scripts with npm ci (first use only)", flush=True)
    if subprocess.call([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=SITE):
        fail("npm ci failed (see its message above); run the same command again to retry")
    NODE_STAMP.write_text(digest + "\n")


def chosen_lectures(names):
    """The lectures named (by file name, with or without .ipynb), or all of them."""
    if not names:
        return LECTURES
    by_name = {path.stem: path for path in LECTURES}
    unknown = [name for name in names if name.removesuffix(".ipynb") not in by_name]
    if unknown:
        fail(f"no lecture named {', '.join(unknown)}; the lectures are: {', '.join(by_name)}")
    return [by_name[name.removesuffix(".ipynb")] for name in names]


def build_folder(path):
    """The build folder, made and marked on first use. A folder the build did not make is refused, since
    a rebuild removes from it what it no longer needs."""
    out, marker = path.resolve(), path.resolve() / ".course-site-build"
    if out != SITE / "_build" and out.exists() and any(out.iterdir()) and not marker.exists():
        fail(f"{path} holds files this command did not make; choose a new or empty folder for --out")
    out.mkdir(parents=True, exist_ok=True)
    marker.touch()
    return out


def build_html(book, html, doctrees):
    """Sphinx through Jupyter Book, warnings as errors; only the pages whose sources changed are rebuilt."""
    from jupyter_book.sphinx import build_sphinx

    result = build_sphinx(book, html, doctreedir=doctrees, noconfig=True, path_config=str(book / "_config.yml"),
                          confoverrides={"external_toc_path": (book / "_toc.yml").as_posix(),
                                         "latex_individualpages": False},
                          warningiserror=True, keep_going=True, quiet=True)
    if result:
        fail(f"Sphinx found problems in the pages (its warnings are above; {book}/X is the course's X)")


def serve(html, port):
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(html))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        print(f"course.py site: serving http://127.0.0.1:{port}/ (Ctrl+C stops)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


def main(argv=None):
    parser = argparse.ArgumentParser(prog="course.py site", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=SITE / "_build",
                        help="folder for the build; the website is its html/ (default: site/_build)")
    parser.add_argument("--lectures", type=lambda text: [n for n in text.split(",") if n],
                        help="comma-separated lecture names (e.g. 01_perceptron): build only these lectures")
    parser.add_argument("--jobs", type=int, default=2, help="lectures run at once (default: 2)")
    parser.add_argument("--serve", nargs="?", type=int, const=8000, metavar="PORT",
                        help="after building, serve the site on http://127.0.0.1:PORT (default 8000)")
    args = parser.parse_args(argv)
    start = time.monotonic()
    lectures = chosen_lectures(args.lectures)
    out = build_folder(args.out)
    install_scripts()
    try:
        executed = executed_notebooks(lectures, SITE / "_build" / "executed", jobs=args.jobs,
                                      log=lambda text: print(f"course.py site: {text}", flush=True))
    except RuntimeError as error:
        fail(str(error))
    stage(out / "book", executed, LECTURES)
    build_html(out / "book", out / "html", out / "doctrees")
    index = out / "html" / "index.html"
    print(f"course.py site: built in {time.monotonic() - start:.1f} s: {index}", flush=True)
    if args.serve:
        serve(out / "html", args.serve)
    return 0


if __name__ == "__main__":
    sys.exit(main())
