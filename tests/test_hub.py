"""The course on a JupyterHub, end to end, with real system users (issue #13; docs/hub.md).

deploy/deploy.py installs the hub exactly as docs/hub.md says, adds a class from a CSV (one instructor, three
students, one hub user outside the course), and starts it. The tests then drive a semester's loop through the
hub's REST API and the users' own Jupyter servers (nbgrader's Assignments and formgrader APIs, as the
JupyterLab extensions call them; the instructor's shell commands with runuser), try every attack the issue
lists, check grading on submit under load, and do what a student and the instructor do in a real browser.

It needs root (users, the spawner), npm (JupyterHub's proxy), Debian's chromium and Python (for the shared
environment). Without them it skips with the reason, except under CI=true, where it fails. The shared
environment under /opt/mlp-course-test is kept between runs (installing it takes half a minute to two);
the users, the hub's state and every process are removed at the end, also when a test fails.
"""
import csv
import datetime
import fcntl
import io
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy" / "deploy.py"
PREFIX = Path("/opt/mlp-course-test")
COURSE = "mlp-from-scratch"
SAMPLES = ROOT / "samples" / "submitted"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FEEDBACK_SECONDS = 30


def missing_requirement():
    """Why the hub cannot run here, or None."""
    if not sys.platform.startswith("linux"):
        return "JupyterHub with system users is tested on Linux only"
    if os.geteuid() != 0:
        return "needs root: it creates system users and runs JupyterHub's spawner (run the suite as root, as CI does)"
    for tool in ("useradd", "runuser", "npm", "node"):
        if not shutil.which(tool):
            return f"{tool} is not installed (docs/hub.md lists what the hub needs)"
    if not Path("/usr/bin/python3").exists() or not Path(CHROMIUM).exists():
        return "Debian's python3 and chromium are needed (system-packages.txt)"
    try:
        import playwright  # noqa: F401
        import requests  # noqa: F401
    except ImportError as error:
        return f"{error.name} is not installed (requirements.txt)"
    return None


MISSING = missing_requirement()
ON_CI = os.environ.get("CI") == "true"


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def deploy(*args):
    result = subprocess.run([sys.executable, DEPLOY, *map(str, args)], capture_output=True, text=True)
    assert result.returncode == 0, f"deploy.py {args[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def max_points(assignment, notebook):
    """The notebook's points, read from the instructor's source notebook."""
    cells = json.loads((ROOT / "solutions" / assignment / notebook).read_text())["cells"]
    return sum(float(c["metadata"]["nbgrader"]["points"]) for c in cells if c["metadata"].get("nbgrader", {}).get("grade"))


class Hub:
    """The running hub, seen from outside: its REST API (as the course-admin service) and each user's server."""

    def __init__(self, port, users, passwords):
        import requests

        self.requests = requests
        self.url = f"http://127.0.0.1:{port}"
        self.users, self.passwords = users, passwords
        self.admin = {"Authorization": f"token {(PREFIX / 'hub' / 'admin-token').read_text().strip()}"}
        self.tokens = {}
        self.exchange = PREFIX / "exchange" / COURSE
        self.clock = time.monotonic()

    def mark(self, step):
        """Print how long the step since the last mark took (the test's time is quoted in docs/hub.md)."""
        now = time.monotonic()
        print(f"\n  {step}: {now - self.clock:.1f} s", end="")
        self.clock = now

    def api(self, method, path, **kwargs):
        return self.requests.request(method, f"{self.url}/hub/api{path}", headers=self.admin, timeout=60, **kwargs)

    def start_servers(self, names):
        def spawn(name):  # the hub answers a spawn request when the server is up or after 10 s: ask all at once
            self.api("POST", f"/users/{name}")  # 409 when the hub knows the user already (from its groups)
            assert self.api("POST", f"/users/{name}/server").status_code in (201, 202)
        spawning = [threading.Thread(target=spawn, args=(name,)) for name in names]
        for thread in spawning:
            thread.start()
        for thread in spawning:
            thread.join()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if all(self.api("GET", f"/users/{n}").json()["servers"].get("", {}).get("ready") for n in names):
                break
            time.sleep(0.5)
        else:
            raise AssertionError("the users' servers did not start within 90 s")
        for name in names:
            self.token(name)

    def token(self, name):
        """An API token of `name` (what their server gets), made by the course-admin service."""
        self.api("POST", f"/users/{name}")
        response = self.api("POST", f"/users/{name}/tokens", json={"note": "test_hub", "expires_in": 3600})
        assert response.status_code == 201, response.text
        self.tokens[name] = response.json()["token"]

    def server(self, name, method, path, as_user=None, **kwargs):
        """A request to `name`'s own server, authenticated as `as_user` (default: `name`)."""
        headers = {"Authorization": f"token {self.tokens[as_user or name]}"}
        return self.requests.request(method, f"{self.url}/user/{name}/{path}", headers=headers, timeout=120,
                                     allow_redirects=False, **kwargs)

    def assignments(self, name, action, assignment):
        """An action of nbgrader's Assignments tab (fetch, submit, fetch_feedback) in `name`'s server."""
        response = self.server(name, "POST", f"assignments/{action}", data={"course_id": COURSE, "assignment_id": assignment})
        assert response.status_code == 200, response.text
        return response.json()

    def formgrader(self, action, assignment, **kwargs):
        instructor = self.users["inst"]
        method = "PUT" if action == "" else "POST"
        response = self.server(instructor, method, f"formgrader/api/assignment/{assignment}{'/' + action if action else ''}", **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def save_notebook(self, name, assignment, notebook, source):
        """Write a notebook into the student's fetched assignment through their server's contents API."""
        content = json.loads(Path(source).read_text())
        path = f"api/contents/{COURSE}/{assignment}/{notebook}"
        response = self.server(name, "PUT", path, json={"type": "notebook", "format": "json", "content": content})
        assert response.status_code in (200, 201), response.text

    def as_user(self, name, *command, cwd=None):
        """Run a shell command as `name` (what the user can do in a terminal of their server)."""
        env = {"PATH": f"{PREFIX / 'venv' / 'bin'}:/usr/bin:/bin", "HOME": pwd.getpwnam(name).pw_dir, "USER": name,
               "LANG": "C.UTF-8", "JUPYTERHUB_API_URL": f"{self.url}/hub/api", "JUPYTERHUB_USER": name,
               "JUPYTERHUB_API_TOKEN": self.tokens.get(name, "")}
        return subprocess.run([shutil.which("runuser"), "-u", name, "--", *map(str, command)], capture_output=True, text=True,
                              env=env, cwd=cwd or pwd.getpwnam(name).pw_dir, timeout=300)

    def home(self, role):
        return Path(pwd.getpwnam(self.users[role]).pw_dir)

    def status(self, name, assignment):
        """The assignment's status in `name`'s Assignments tab (released, fetched, submitted), or None if not listed."""
        listed = self.server(name, "GET", "assignments", params={"course_id": COURSE}).json()["value"]
        return next((a["status"] for a in listed if a["assignment_id"] == assignment), None)

    def has_feedback(self, name, assignment):
        """Whether the Assignments tab of `name` shows feedback ready for every notebook of their last submission."""
        listed = self.server(name, "GET", "assignments", params={"course_id": COURSE}).json()["value"]
        submitted = [a for a in listed if a["assignment_id"] == assignment and a["status"] == "submitted"]
        if not submitted:
            return False
        last = max(submitted[0]["submissions"], key=lambda s: s["timestamp"])
        return all(nb["has_exchange_feedback"] for nb in last["notebooks"])


def stop_process_group(process, grace=20):
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def leftover_processes(users):
    """PIDs of processes the test started that still run: any process of a test user or of the test's prefix."""
    uids = {pwd.getpwnam(u).pw_uid for u in users if _exists(u)}
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            uid = entry.stat().st_uid
        except OSError:
            continue
        if uid in uids or str(PREFIX) in cmdline:
            found.append(int(entry.name))
    return found


def _exists(user):
    try:
        pwd.getpwnam(user)
        return True
    except KeyError:
        return False


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    if MISSING and ON_CI:
        pytest.fail(f"CI=true, but the hub cannot run: {MISSING}")
    if MISSING:
        pytest.skip(MISSING)
    # one hub test at a time on a machine: two suites running at once share /opt/mlp-course-test
    lock = open(PREFIX.with_name(PREFIX.name + ".lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    started = time.monotonic()
    tag = secrets.token_hex(2)
    users = {role: f"mlptest{tag}-{role}" for role in ("inst", "s1", "s2", "s3", "out")}
    passwords = {role: secrets.token_urlsafe(12) for role in users}
    roles = {"inst": "instructor", "s1": "student", "s2": "student", "s3": "student", "out": "user"}
    class_list = tmp_path_factory.mktemp("hub") / "class.csv"
    with open(class_list, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["username", "role", "password", "first_name", "last_name"])
        for role, name in users.items():
            writer.writerow([name, roles[role], passwords[role], role.upper(), "Test"])
    port, hub_port, proxy_port = free_ports(3)
    for state in ("exchange", "hub", "grader/state"):  # the previous run's state; the environment is kept
        shutil.rmtree(PREFIX / state, ignore_errors=True)
    process = None
    PREFIX.mkdir(parents=True, exist_ok=True)
    log = open(PREFIX / "jupyterhub-test.log", "w")  # kept, with the hub's state, until the next run
    try:
        deploy("install", "--prefix", PREFIX, "--port", port, "--hub-port", hub_port, "--proxy-api-port", proxy_port,
               "--grade-on-submit", "visible")
        print(f"\n  installed: {time.monotonic() - started:.1f} s", end="")
        deploy("add-users", "--prefix", PREFIX, class_list)
        print(f"\n  users added: {time.monotonic() - started:.1f} s", end="")
        process = subprocess.Popen([sys.executable, DEPLOY, "start", "--prefix", PREFIX], stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        running = Hub(port, users, passwords)
        deadline = time.monotonic() + 60
        while True:
            try:
                if running.api("GET", "/").status_code == 200:
                    break
            except running.requests.ConnectionError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, f"the hub did not start: see {log.name}"
            time.sleep(0.3)
        running.log = log.name
        print(f"\nhub installed and up in {time.monotonic() - started:.1f} s")
        yield running
    finally:
        stop_process_group(process)
        for pid in leftover_processes(users.values()):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deploy("remove-users", "--prefix", PREFIX, class_list)
        log.close()
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()
        print(f"\nhub tests took {time.monotonic() - started:.1f} s in all")
        assert not leftover_processes(users.values()), "processes of the test survived it"
        assert not any(_exists(u) for u in users.values()), "test users survived the test"


def test_semester_loop_with_grading_on_submit(hub):
    u = hub.users
    a1 = "a1_perceptron"
    notebooks = sorted(p.name for p in (ROOT / "solutions" / a1).glob("*.ipynb"))
    full = sum(max_points(a1, nb) for nb in notebooks)
    hub.start_servers([u[role] for role in ("inst", "s1", "s2", "s3")])
    hub.token(u["out"])  # the user outside the course works in a terminal (nbgrader's commands, as their server runs them)
    hub.mark("four servers started")

    # the instructor releases; enrolled students fetch it, the user outside the course cannot
    assert hub.formgrader("release", a1)["success"]
    for role in ("s1", "s2", "s3"):
        hub.assignments(u[role], "fetch", a1)
        assert hub.status(u[role], a1) == "fetched" and (hub.home(role) / COURSE / a1 / notebooks[0]).is_file()
    refused = hub.as_user(u["out"], "nbgrader", "fetch_assignment", a1, "--course", COURSE)
    assert refused.returncode != 0 and "You do not have access to this course" in refused.stderr
    assert not (hub.home("out") / COURSE).exists()
    hub.mark("released and fetched")

    # s1 submits a correct answer; with grading on submit, the Assignments tab shows feedback within 30 s
    for nb in notebooks:
        hub.save_notebook(u["s1"], a1, nb, SAMPLES / "correct" / a1 / nb)
    assert hub.assignments(u["s1"], "submit", a1)["success"]
    submitted = time.monotonic()
    while not hub.has_feedback(u["s1"], a1):
        assert time.monotonic() - submitted < FEEDBACK_SECONDS, f"no feedback on submit within 30 s (see {hub.log})"
        time.sleep(0.5)
    print(f"\n  feedback on submit after {time.monotonic() - submitted:.1f} s", end="")
    hub.mark("submitted, feedback on submit")

    # the deadline passes; s2 submits a buggy answer late; s3 never submits
    time.sleep(1.1)
    due = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    hub.formgrader("", a1, json={"duedate_notimezone": due.strftime("%Y-%m-%dT%H:%M:%S"), "duedate_timezone": "UTC"})
    time.sleep(1.1)
    for nb in notebooks:
        hub.save_notebook(u["s2"], a1, nb, SAMPLES / "buggy" / a1 / nb)
    assert hub.assignments(u["s2"], "submit", a1)["success"]
    hub.mark("due date, late submission")

    # collect, grade with the course's grader, bring its report into nbgrader, release the feedback
    collected = hub.formgrader("collect", a1)
    assert collected["success"], collected
    course = Path(pwd.getpwnam(u["inst"]).pw_dir) / COURSE
    assert sorted(p.name for p in (course / "grading" / "submitted").iterdir()) == [u["s1"], u["s2"]]
    graded = hub.as_user(u["inst"], "python3", "-m", "mlpcourse.grade", "grading/submitted", "--out", "grading/reports/a1", cwd=course)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    hub.mark("collected and graded")
    imported = hub.as_user(u["inst"], "python3", "-m", "mlpcourse.hub_report", "grading/reports/a1", cwd=course)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert hub.formgrader("release_feedback", a1)["success"]
    hub.mark("report imported, feedback released")

    # formgrader shows each graded notebook with its score, flagged when the grader's status is not plain "graded"
    for row in json.loads((course / "grading" / "reports" / "a1" / "results.json").read_text()):
        shown = hub.server(u["inst"], "GET", f"formgrader/api/submitted_notebooks/{a1}/{Path(row['notebook']).stem}").json()
        mine = [n for n in shown if n["student"] == row["student"]]
        assert len(mine) == 1 and mine[0]["score"] == row["score"] and mine[0]["flagged"] == (row["status"] != "graded")

    # each student fetches their own feedback: the instructor's feedback for them, nobody else's
    for role in ("s1", "s2"):
        hub.assignments(u[role], "fetch_feedback", a1)
    for role in ("s1", "s2", "s3", "out"):
        home = Path(pwd.getpwnam(u[role]).pw_dir)
        received = sorted((home / COURSE / a1 / "feedback").glob("*/*.html"))
        if role in ("s3", "out"):
            assert not received, f"{role} received feedback without submitting"
            continue
        assert sorted(p.name for p in received) == sorted(Path(nb).stem + ".html" for nb in notebooks)
        for path in received:
            own = course / "grading" / "feedback" / u[role] / a1 / path.name
            assert path.read_bytes() == own.read_bytes()
            other = course / "grading" / "feedback" / u["s2" if role == "s1" else "s1"] / a1 / path.name
            assert path.read_bytes() != other.read_bytes()

    # the instructor exports the grades: full marks, fewer for the buggy late one, zero for the one who never submitted
    exported = hub.as_user(u["inst"], "nbgrader", "export", "--to", "grading/grades.csv", cwd=course)
    assert exported.returncode == 0, exported.stderr
    rows = {r["student_id"]: r for r in csv.DictReader(io.StringIO((course / "grading" / "grades.csv").read_text()))}
    assert set(rows) == {u["s1"], u["s2"], u["s3"]}
    report = (course / "grading" / "reports" / "a1" / "summary.txt").read_text()
    assert float(rows[u["s1"]]["score"]) == full, report
    assert 0 < float(rows[u["s2"]]["score"]) < full
    assert float(rows[u["s3"]]["score"]) == 0 and not rows[u["s3"]]["timestamp"]
    parse = lambda text: datetime.datetime.fromisoformat(text.strip()).replace(tzinfo=datetime.timezone.utc)  # noqa: E731
    assert parse(rows[u["s1"]]["timestamp"]) < due < parse(rows[u["s2"]]["timestamp"])
    assert all(float(r["max_score"]) == full for r in rows.values())

    # feedback on submit showed the visible tests only: the hidden tests that cost s2 points were not run then
    on_submit = {g["student"]: g for g in map(json.loads, (PREFIX / "grader" / "state" / "graded.log").read_text().splitlines())}
    assert on_submit[u["s2"]]["show"] == "visible"
    assert sum(score for score, _, _ in on_submit[u["s2"]]["scores"].values()) > float(rows[u["s2"]]["score"])


def test_attacks_fail(hub):
    u = hub.users
    a1 = "a1_perceptron"
    course = Path(pwd.getpwnam(u["inst"]).pw_dir) / COURSE

    # homes are private: no student reads another's home, the solutions or the gradebook
    for role in u:
        assert Path(pwd.getpwnam(u[role]).pw_dir).stat().st_mode & 0o777 == 0o700
    for target in (Path(pwd.getpwnam(u["s2"]).pw_dir) / COURSE / a1 / "perceptron.ipynb",
                   course / "grading" / "gradebook.db", course / "solutions" / a1 / "perceptron.ipynb"):
        attempt = hub.as_user(u["s1"], "cat", target)
        assert attempt.returncode != 0 and "Permission denied" in attempt.stderr, target

    # the lectures are everyone's to read and nobody's to change
    lecture = hub.home("s1") / "lectures" / sorted(p.name for p in (ROOT / "lectures").glob("*.ipynb"))[0]
    assert hub.as_user(u["s1"], "cat", lecture).returncode == 0
    assert hub.as_user(u["s1"], "touch", lecture).returncode != 0
    assert hub.as_user(u["s1"], "touch", lecture.parent / "mine.ipynb").returncode != 0

    # students cannot list the exchange's submissions or feedback, nor read the cache that names theirs
    for folder in ("inbound", "feedback"):
        attempt = hub.as_user(u["s2"], "ls", hub.exchange / folder)
        assert attempt.returncode != 0 and "Permission denied" in attempt.stderr
    attempt = hub.as_user(u["s2"], "ls", Path(pwd.getpwnam(u["s1"]).pw_dir) / ".local")
    assert attempt.returncode != 0

    # s3 submits under s1's name: collect --update (formgrader's collect) files it as s3's, s1's work stays
    before = {p.name: p.read_bytes() for p in (course / "grading" / "submitted" / u["s1"] / a1).glob("*.ipynb")}
    no_check = "--Authenticator.plugin_class=nbgrader.auth.NoAuthPlugin"  # the attacker's own client, unchecked
    forged = hub.as_user(u["s3"], "nbgrader", "submit", a1, "--course", COURSE, "--student", u["s1"], no_check)
    assert forged.returncode == 0, forged.stderr
    assert hub.formgrader("collect", a1)["success"]
    after = {p.name: p.read_bytes() for p in (course / "grading" / "submitted" / u["s1"] / a1).glob("*.ipynb")}
    assert after == before
    assert (course / "grading" / "submitted" / u["s3"] / a1).is_dir()

    # formgrader is not in a student's server, and a student's token does not open the instructor's
    assert hub.server(u["s1"], "GET", "formgrader").status_code == 404
    assert hub.server(u["s1"], "GET", "formgrader/api/assignments").status_code == 404
    assert hub.server(u["inst"], "GET", "formgrader/api/assignments", as_user=u["s1"]).status_code in (302, 403, 404)

    # outside the course: nothing is listed and submitting is refused; the exchange is closed to them even
    # with nbgrader's course check turned off
    shutil.copytree(SAMPLES / "correct" / a1, hub.home("out") / COURSE / a1)  # work of their own to submit
    subprocess.run(["chown", "-R", u["out"], hub.home("out") / COURSE], check=True)
    attempts = {"list": ["list"], "refused": ["submit", a1], "fetched": ["fetch_assignment", a1, no_check],
                "forced": ["submit", a1, no_check]}
    outcome = {}
    running = [threading.Thread(target=lambda k=k, a=a: outcome.update({k: hub.as_user(u["out"], "nbgrader", *a, "--course", COURSE)}))
               for k, a in attempts.items()]  # independent of each other: at once
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    assert outcome["list"].returncode == 0 and a1 not in outcome["list"].stdout + outcome["list"].stderr
    assert outcome["refused"].returncode != 0 and "You do not have access to this course" in outcome["refused"].stderr
    assert outcome["fetched"].returncode != 0 and "Assignment not found" in outcome["fetched"].stderr
    assert outcome["forced"].returncode != 0 and "Inbound directory doesn't exist" in outcome["forced"].stderr
    assert hub.as_user(u["out"], "ls", hub.exchange / COURSE).returncode != 0
    assert not any(p.name.startswith(u["out"] + "+") for p in (hub.exchange / "inbound").iterdir())


def test_grading_on_submit_under_load(hub):
    """All three students submit at once: each gets feedback within 30 s, and each submission is graded once."""
    u = hub.users
    a6 = "a6_dropout"
    notebooks = sorted(p.name for p in (ROOT / "solutions" / a6).glob("*.ipynb"))
    assert hub.formgrader("release", a6)["success"]
    students = [u["s1"], u["s2"], u["s3"]]
    for name, sample in zip(students, ("correct", "buggy", "correct")):
        hub.assignments(name, "fetch", a6)
        for nb in notebooks:
            hub.save_notebook(name, a6, nb, SAMPLES / sample / a6 / nb)
    results = {}
    threads = [threading.Thread(target=lambda n=n: results.update({n: hub.assignments(n, "submit", a6)})) for n in students]
    submitted = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(results[n]["success"] for n in students)
    waiting = set(students)
    while True:
        waiting = {n for n in waiting if not hub.has_feedback(n, a6)}
        if not waiting:
            break
        assert time.monotonic() - submitted < FEEDBACK_SECONDS, f"no feedback within 30 s for {sorted(waiting)} (see {hub.log})"
        time.sleep(0.5)
    print(f"\nthree simultaneous submissions had their feedback after {time.monotonic() - submitted:.1f} s")
    time.sleep(2)  # a few more rounds of the service: nothing is graded again
    graded = [json.loads(line) for line in (PREFIX / "grader" / "state" / "graded.log").read_text().splitlines()]
    mine = [g for g in graded if g["assignment"] == a6]
    assert sorted(g["student"] for g in mine) == sorted(students)
    assert len({g["submission"] for g in graded}) == len(graded), "a submission was graded twice"
    correct = next(g for g in mine if g["student"] == u["s1"])
    assert all(score == maximum for score, maximum, _ in correct["scores"].values())


def test_student_and_instructor_in_a_real_browser(hub):
    from playwright.sync_api import sync_playwright

    u = hub.users
    a6 = "a6_dropout"
    inbound = lambda: sorted(p.name for p in (hub.exchange / "inbound").iterdir() if p.name.startswith(f"{u['s1']}+{a6}+"))  # noqa: E731
    before = inbound()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(60000)
            login(page, hub, "s1")
            page.goto(f"{hub.url}/user/{u['s1']}/lab/tree/{COURSE}/{a6}/dropout.ipynb")
            page.get_by_text("Python 3 (ipykernel) | Idle").wait_for()  # a cell run before the kernel is up is dropped
            cell = page.locator(".jp-Notebook .jp-CodeCell").first
            cell.locator(".jp-InputArea-editor").click()
            page.keyboard.press("Shift+Enter")
            page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt", has_text="[1]").first.wait_for()
            page.get_by_text("Nbgrader", exact=True).click()
            page.get_by_text("Assignment List", exact=True).click()
            row = page.locator("#fetched_assignments_list .list_item", has_text=a6)
            row.get_by_role("button", name="Submit").click()
            deadline = time.monotonic() + 30
            while inbound() == before:
                assert time.monotonic() < deadline, "the Assignments tab's Submit made no submission"
                time.sleep(0.3)

            instructor = browser.new_page()
            instructor.set_default_timeout(60000)
            login(instructor, hub, "inst")
            instructor.goto(f"{hub.url}/user/{u['inst']}/formgrader/manage_submissions/a1_perceptron")
            for role in ("s1", "s2"):
                instructor.get_by_text(u[role]).first.wait_for()
        except Exception:
            for number, open_page in enumerate(p for context in browser.contexts for p in context.pages):
                open_page.screenshot(path=PREFIX / f"browser-failure-{number}.png")
            raise
        finally:
            browser.close()


def login(page, hub, role):
    page.goto(f"{hub.url}/hub/login")
    page.fill("input[name=username]", hub.users[role])
    page.fill("input[name=password]", hub.passwords[role])
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{hub.users[role]}/**")


def test_feedback_on_submit_is_held_until_the_deadline_when_it_shows_nothing(tmp_path):
    """--grade-on-submit none: the graded feedback reaches the exchange only once the deadline has passed."""
    from nbgrader.utils import notebook_hash

    from mlpcourse.hub_on_submit import Service

    course = tmp_path / "exchange" / COURSE
    for folder in ("inbound", "feedback"):
        (course / folder).mkdir(parents=True)
    (tmp_path / "grader" / "state").mkdir(parents=True)
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).isoformat()
    service = Service({"prefix": str(tmp_path), "exchange": str(tmp_path / "exchange"), "course_id": COURSE,
                       "grade_on_submit": "none", "deadlines": {"a1_perceptron": later}})
    submission = course / "inbound" / "ada+a1_perceptron+2027-01-01 10:00:00.000000 UTC+abc"
    submission.mkdir()
    (submission / "submission_secret.txt").write_text("f00d" * 32)
    feedback = tmp_path / "perceptron.html"
    feedback.write_text("<p>feedback</p>")
    published = course / "feedback" / (notebook_hash(secret="f00d" * 32, notebook_id="perceptron") + ".html")

    service.deliver(feedback, submission, {"assignment": "a1_perceptron", "notebook": "perceptron.ipynb"})
    service.release_due()
    assert not published.exists()
    service.deadlines["a1_perceptron"] = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
    service.release_due()
    assert published.read_text() == "<p>feedback</p>"
