"""Grade each submission as it arrives in nbgrader's exchange, and give its student feedback within seconds.

    python -m mlpcourse.hub_on_submit PREFIX/etc/deploy.json

The hub starts it as a managed service, as its own Unix user (deploy/jupyterhub_config.py), when the
deployment turns grading on submit on (`deploy.py install --grade-on-submit visible|all|none`). Twice a second
it looks for finished submissions in the course's inbound folder and grades those it has not seen with the
course's grader (`python -m mlpcourse.grade`, the same sealed grading as `course.py grade`), all of them in
one batch: a class submitting at the deadline queues and is graded in parallel batches. The feedback is
published where nbgrader's Assignments tab and `nbgrader fetch_feedback` find it: the exchange's feedback
folder, under the hash of the submission's secret (only the student who submitted knows it).

What the feedback shows is the instructor's choice (`grade_on_submit` in deploy.json):
- visible: the results of the visible tests only (graded with a copy of the course whose hidden tests are
  removed, so nothing of the hidden tests reaches the student);
- all: every test's result, hidden ones included (their code is not shown);
- none: graded now, but nothing is shown before the assignment's deadline (`deadlines` in deploy.json);
  then the feedback of every submission is published.

A submission is claimed before it is graded (an exclusive mkdir in the service's state folder), so it is
never graded twice, even by two copies of the service; every grading is one line of state/graded.log.
A submission is filed under the Unix user who owns it, not the name it carries (mlpcourse/hub_exchange.py).
"""
import datetime
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from nbgrader.utils import notebook_hash

from .hub_exchange import submitter

POLL_SECONDS = 0.5
GATHER_SECONDS = 0.5


def parse_deadline(text):
    moment = datetime.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def finished_submissions(inbound):
    """Submission folders `nbgrader submit` has finished writing (its last step makes the folder 0777)."""
    for entry in sorted(inbound.iterdir()):
        if entry.is_dir() and not entry.is_symlink() and entry.stat().st_mode & 0o777 == 0o777 \
                and (entry / "submission_secret.txt").is_file():
            yield entry


def in_batches(submissions):
    """Split submissions so that a batch holds at most one of each (student, assignment): the grader reads a
    folder <student>/<assignment>/, so two submissions of one student go to two batches, in order."""
    batches = []
    for submission in submissions:
        key = (submitter(submission), submission.name.rsplit("+", 3)[1])
        batch = next((b for b in batches if key not in b), None)
        if batch is None:
            batch = {}
            batches.append(batch)
        batch[key] = submission
    return batches


class Service:
    """Claims new submissions, grades them in batches and delivers their feedback (this module's docstring)."""

    def __init__(self, settings):
        prefix = Path(settings["prefix"])
        self.course = Path(settings["exchange"]) / settings["course_id"]
        self.show = settings["grade_on_submit"]
        self.deadlines = {a: parse_deadline(t) for a, t in settings.get("deadlines", {}).items()}
        self.grader = prefix / "grader" / ("visible" if self.show == "visible" else "all")
        self.state = prefix / "grader" / "state"
        for name in ("claimed", "held", "work"):
            (self.state / name).mkdir(exist_ok=True)

    def claim(self, submission):
        """True for the one caller that claims the submission first."""
        try:
            (self.state / "claimed" / submission.name).mkdir()
            return True
        except FileExistsError:
            return False

    def poll(self):
        """Grade every new submission; publish held feedback whose deadline has passed. Stopped in the middle
        (the hub stops its services with SIGINT, then SIGTERM), it gives back the claims it has not graded."""
        new = [s for s in finished_submissions(self.course / "inbound") if self.claim(s)]
        if new:  # submissions made at the same moment finish a little apart: grade them in one batch
            time.sleep(GATHER_SECONDS)
            new += [s for s in finished_submissions(self.course / "inbound") if self.claim(s)]
        try:
            for batch in in_batches(new):
                try:
                    self.grade(batch)
                except Exception:  # noqa: BLE001 (the service goes on; this batch stays claimed, not retried forever:
                    traceback.print_exc()  # the instructor's grading after collect covers it)
                new = [s for s in new if s not in batch.values()]
        finally:
            for submission in new:
                (self.state / "claimed" / submission.name).rmdir()
        self.release_due()

    def grade(self, batch):
        with tempfile.TemporaryDirectory(dir=self.state / "work") as work:
            staged = Path(work) / "submissions"
            for (student, assignment), submission in batch.items():
                target = staged / student / assignment
                target.mkdir(parents=True)
                for notebook in submission.glob("*.ipynb"):
                    shutil.copy(notebook, target / notebook.name)
            started = time.time()
            result = subprocess.run([sys.executable, "-m", "mlpcourse.grade", str(staged), "--out", f"{work}/report"],
                                    cwd=self.grader, capture_output=True, text=True)
            if result.returncode:
                print(f"grading {', '.join(s.name for s in batch.values())} failed:\n{result.stderr[-2000:]}",
                      file=sys.stderr, flush=True)
                return
            print(f"graded {', '.join(s.name for s in batch.values())} in {time.time() - started:.1f} s", flush=True)
            rows = json.loads(Path(f"{work}/report/results.json").read_text())
            for row in rows:
                submission = batch.get((row["student"], row["assignment"]))
                feedback = Path(work, "report", "feedback", row["student"], row["assignment"], Path(row["notebook"]).stem + ".html")
                if submission is not None and feedback.is_file():
                    self.deliver(feedback, submission, row)
            with open(self.state / "graded.log", "a") as log:
                for (student, assignment), submission in batch.items():
                    scores = {r["notebook"]: [r["score"], r["max_score"], r["status"]] for r in rows
                              if (r["student"], r["assignment"]) == (student, assignment)}
                    log.write(json.dumps({"submission": submission.name, "student": student, "assignment": assignment,
                                          "show": self.show, "scores": scores,
                                          "seconds": round(time.time() - started, 1)}) + "\n")

    def deliver(self, feedback, submission, row):
        secret = (submission / "submission_secret.txt").read_text()
        name = notebook_hash(secret=secret, notebook_id=Path(row["notebook"]).stem) + ".html"
        deadline = self.deadlines.get(row["assignment"])
        if self.show == "none" and (deadline is None or deadline > datetime.datetime.now(datetime.timezone.utc)):
            held = self.state / "held" / row["assignment"]
            held.mkdir(exist_ok=True)
            shutil.copy(feedback, held / name)
        else:
            self.publish(feedback, name)

    def publish(self, feedback, name):
        """Put the feedback into the exchange at once (a temporary name, then a rename), readable by name only."""
        partial = self.course / "feedback" / f".{name}.part"
        shutil.copy(feedback, partial)
        partial.chmod(0o644)
        partial.replace(self.course / "feedback" / name)

    def release_due(self):
        now = datetime.datetime.now(datetime.timezone.utc)
        for folder in (self.state / "held").iterdir():
            if folder.name in self.deadlines and self.deadlines[folder.name] <= now:
                for feedback in folder.glob("*.html"):
                    self.publish(feedback, feedback.name)
                shutil.rmtree(folder)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.exit("usage: python -m mlpcourse.hub_on_submit PREFIX/etc/deploy.json")
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, lambda *_: sys.exit(0))
    service = Service(json.loads(Path(argv[0]).read_text()))
    print(f"grading submissions to {service.course} on arrival; feedback shows: {service.show}", flush=True)
    while True:
        service.poll()
        time.sleep(POLL_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
