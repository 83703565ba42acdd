"""What did the class get wrong? A class report from a graded batch's records (results.json).

    python -m mlpcourse.class_report REPORT_DIR [--names]     (re)write the class report of a report folder

The grading calls `write_class_report(records, out_dir, names=False)` at the end of a batch. It writes, next to
scores.csv:

- report.html: self-contained and offline (figures embedded as PNG, no script, nothing fetched): the score
  distribution of each assignment and notebook; each test's pass rate, hardest first; for each test the
  catalogued mistakes the class made (samples/mistakes/) with their hint and how often; failures that match no
  catalogued mistake, grouped by where and how they failed; the statuses other than "graded" with the students
  concerned; and, when several assignments were graded, each student's trajectory and the tests that most
  predict a low score on the last assignment (the capstone);
- tests.csv (pass rates) and mistakes.csv (mistake x test x count x students), the same figures as data;
- canvas_grades.csv and moodle_grades.csv, the grades as those LMSs import them (lms_export.py);
- anonymous_ids.csv, the key from anonymous ids to students.

Students are named only with names=True (--names); by default the report and its CSVs say S01, S02, ...
(numbered in a random order, kept when the report is rewritten), so the page can be shown in class.
docs/class_report.md explains every part.
"""
import argparse
import base64
import csv
import html
import io
import json
import random
import re
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from . import lms_export, mistakes

FLAGGED = "flagged too (with a status above)"  # the statuses section's row for flags on a record of another status
CHEATING = "suspected cheating"  # the grading's status of a flagged notebook graded normally
NOT_WRITTEN = "not written yet"  # a test reached a stub: the student did not attempt the function


# ---------------------------------------------------------------------------------------------- the analysis

@dataclass
class TestStat:
    """One graded test: how many students ran it and who failed it."""
    assignment: str
    notebook: str
    test: str
    points: float
    ran: list = field(default_factory=list)      # students whose notebook ran the test
    failed: list = field(default_factory=list)   # students who failed it

    @property
    def attempts(self):
        return len(self.ran)

    @property
    def passed(self):
        return self.attempts - len(self.failed)

    @property
    def pass_rate(self):
        return self.passed / self.attempts if self.attempts else 0.0


@dataclass
class FailureGroup:
    """Students who failed one test the same way: a catalogued mistake (`catalogued`), or else the same function,
    case, kind of failure (shape, dtype, values, exception type, ...) and hint."""
    assignment: str
    notebook: str
    test: str
    catalogued: bool
    label: str          # the catalogue's hint text, or "<function (case)>: <kind>"
    hint: str           # the hint line the students saw ("" if none)
    change: str = ""    # for a catalogued mistake: the code change it stands for
    example: str = ""   # one full failure message
    students: list = field(default_factory=list)


@dataclass
class Analysis:
    records: list
    students: list
    tests: list              # [TestStat], hardest first
    mistakes: list           # [FailureGroup] catalogued, most frequent first
    unmatched: list          # [FailureGroup] not catalogued, most frequent first
    statuses: dict           # {status: [(student, "assignment/notebook", detail)]}
    assignments: list        # in course order
    fractions: dict          # {student: {assignment: score / max score}}
    predictors: list         # [(TestStat, capstone mean if failed, if passed, n failed, n passed)]


def split_header(text):
    """("function (case)", rest) for a check's message "function (case): rest"; ("", text) if it has none."""
    depth = 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0 and text.startswith(": ", index + 1):
                return text[: index + 1], text[index + 3:]
    return "", text


def hint_of(message):
    """The text of the message's last `hint:` line, or ""."""
    hints = [line.strip()[len("hint:"):].strip() for line in message.splitlines() if line.strip().startswith("hint:")]
    return hints[-1] if hints else ""


def failure_kind(message):
    """(where, kind) of a failure message: where is the function and case the check names; kind says how it
    failed (wrong shape with both shapes, wrong dtype with both dtypes, wrong values, raised <exception type>,
    not written yet, ...). Errors that are not a check's (NameError in a test, ...) are their exception type."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    if first.startswith("the cell wrote to stderr"):
        return "", "wrote to stderr"
    if first.startswith("the test never ran"):
        return "", "never ran (the notebook stopped before it)"
    exception, _, text = first.partition(": ")
    if exception == "NotImplementedError":
        return "", NOT_WRITTEN
    if exception != "CheckFailed":
        return "", exception or first
    where, rest = split_header(text)
    lines = message.splitlines()
    if rest.startswith("wrong shape") or rest.startswith("wrong dtype"):
        attribute = "shape" if rest.startswith("wrong shape") else "dtype"
        pattern = r"shape (\(.*?\)), dtype" if attribute == "shape" else r"dtype (\w+)"
        found = [re.search(pattern, line) for line in lines if line.strip().startswith(("expected:", "got:"))]
        values = [match[1] for match in found if match]
        kind = f"wrong {attribute}" + (f": expected {values[0]}, got {values[-1]}" if len(values) >= 2 else "")
    elif rest.startswith("wrong values"):
        kind = "wrong values"
    elif rest.startswith("your function raised"):
        kind = "raised " + rest[len("your function raised "):].split(":")[0]
    elif NOT_WRITTEN in rest:
        kind = NOT_WRITTEN
    else:  # another of the checks' messages: its words, numbers left out so that answers group together
        kind = re.sub(r"-?\d+(\.\d+)?(e[-+]?\d+)?", "#", rest)[:100]
    if "builds on your other functions" in message:
        kind += " (a function it builds on is wrong)"
    return where, kind


def catalogue_index():
    """{(assignment, notebook): [mistake]} from samples/mistakes/."""
    index = defaultdict(list)
    for assignment, notebook, mistake in mistakes.load_catalogue():
        index[(assignment, notebook)].append(mistake)
    return index


def match_mistake(test, message, candidates):
    """The catalogued hint a failure matches: the test is in the mistake's caught_by and its hint is in the
    message (the longest such hint when several are), or None."""
    hints = [m["hint"] for m in candidates if test in m.get("caught_by", ()) and m.get("hint") and m["hint"] in message]
    return max(hints, key=len) if hints else None


def semester(records):
    """(assignments in course order, {student: {assignment: score / max score}})."""
    totals = defaultdict(lambda: [0.0, 0.0])
    for record in records:
        if record.get("assignment") and record.get("notebook"):
            total = totals[(record.get("student", "?"), record["assignment"])]
            total[0] += float(record.get("score") or 0)
            total[1] += float(record.get("max_score") or 0)
    fractions = defaultdict(dict)
    for (student, assignment), (score, max_score) in totals.items():
        if max_score > 0:
            fractions[student][assignment] = score / max_score
    assignments = sorted({assignment for marks in fractions.values() for assignment in marks})
    return assignments, dict(fractions)


def predictors(tests, assignments, fractions, minimum=2):
    """The tests of earlier assignments whose failure goes with a low score on the last one (the capstone):
    [(TestStat, failed mean, passed mean, n failed, n passed)] by the gap between the capstone's mean score of
    the students who passed the test and of those who failed it, largest first; only tests with at least
    `minimum` students on each side among those with a capstone score."""
    if len(assignments) < 2:
        return []
    capstone = assignments[-1]
    ranked = []
    for test in tests:
        if test.assignment == capstone:
            continue
        failed = {s for s in test.failed if capstone in fractions.get(s, {})}
        passed = {s for s in test.ran if capstone in fractions.get(s, {})} - failed
        if len(failed) >= minimum and len(passed) >= minimum:
            mean_failed = statistics.fmean(fractions[s][capstone] for s in failed)
            mean_passed = statistics.fmean(fractions[s][capstone] for s in passed)
            ranked.append((test, mean_failed, mean_passed, len(failed), len(passed)))
    return sorted(ranked, key=lambda row: row[1] - row[2])


def analyse(records):
    """Everything the report shows, from the grading's records (results.json). Never fails on odd records: one
    without tests counts only in the statuses, a notebook missing from the catalogue has no catalogued mistakes."""
    catalogue = catalogue_index()
    tests, groups = {}, {}
    statuses = defaultdict(list)
    for record in records:
        student, assignment, notebook = record.get("student", "?"), record.get("assignment", ""), record.get("notebook", "")
        where = f"{assignment}/{notebook}" if notebook else assignment
        if record.get("status", "graded") != "graded":
            statuses[record["status"]].append((student, where, record.get("detail") or ""))
        if record.get("flags") and record.get("status") != CHEATING:  # flagged, and e.g. timed out too
            statuses[FLAGGED].append((student, where, "; ".join(record["flags"])))
        for test in record.get("tests") or []:
            key = (assignment, notebook, test.get("id", "?"))
            stat = tests.setdefault(key, TestStat(*key, float(test.get("points") or 0)))
            stat.ran.append(student)
            message = test.get("message")
            if message is None:
                continue
            stat.failed.append(student)
            hint = match_mistake(key[2], message, catalogue.get((assignment, notebook), []))
            if hint:
                group_key = (*key, True, hint, "")
            else:
                where, kind = failure_kind(message)
                group_key = (*key, False, f"{where}: {kind}" if where else kind, hint_of(message))
            group = groups.get(group_key)
            if group is None:
                change = "; ".join(f"{m['old']} → {m['new']}" for m in catalogue.get((assignment, notebook), [])
                                   if hint and m.get("hint") == hint and key[2] in m.get("caught_by", ()))
                group = groups[group_key] = FailureGroup(*group_key[:5], hint=hint_of(message) if hint else group_key[5],
                                                         change=change, example=message)
            group.students.append(student)
    ordered_tests = sorted(tests.values(), key=lambda t: (t.pass_rate, t.assignment, t.notebook))
    by_size = sorted(groups.values(), key=lambda g: (-len(g.students), g.assignment, g.notebook, g.test, g.label))
    assignments, fractions = semester(records)
    return Analysis(records, sorted({r.get("student", "?") for r in records}), ordered_tests,
                    [g for g in by_size if g.catalogued], [g for g in by_size if not g.catalogued],
                    dict(sorted(statuses.items(), key=lambda item: (item[0] == FLAGGED, item[0]))), assignments, fractions, predictors(ordered_tests, assignments, fractions))


# --------------------------------------------------------------------------------------- anonymous students

def anonymous_ids(students, key_file):
    """{student: "S01", ...}: numbered in a random order (the numbers say nothing of names or order), and kept
    from key_file when the report is rewritten; the key is written back to key_file."""
    known = {}
    if key_file.is_file():
        with open(key_file, newline="") as file:
            known = {row["student"]: row["id"] for row in csv.DictReader(file)}
    new = [s for s in students if s not in known]
    random.SystemRandom().shuffle(new)  # unseeded on purpose: the order must not be reproducible from the names
    width = max(2, len(str(len(known) + len(new))))
    used = {int(i[1:]) for i in known.values() if i[1:].isdigit()}
    numbers = (n for n in range(1, len(known) + len(new) + len(used) + 2) if n not in used)
    ids = dict(known, **{student: f"S{next(numbers):0{width}d}" for student in new})
    with open(key_file, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["id", "student"])
        writer.writerows(sorted((i, s) for s, i in ids.items()))
    return ids


class Identities:
    """How students are shown: their names, or anonymous ids with their names blotted out of any text shown."""

    def __init__(self, students, key_file, names):
        self.names = names
        self.ids = {s: s for s in students} if names else anonymous_ids(students, key_file)
        shown = sorted((s for s in students if s), key=len, reverse=True)
        self.pattern = None if names or not shown else re.compile(
            r"(?<![\w])(" + "|".join(map(re.escape, shown)) + r")(?![\w])")

    def of(self, student):
        return self.ids.get(student, student)

    def list(self, students):
        return sorted({self.of(s) for s in students})

    def redact(self, text):
        return self.pattern.sub(lambda m: self.ids[m[1]], text) if self.pattern else text


# ------------------------------------------------------------------------------------------------ figures

def png(figure):
    """A matplotlib figure as a data: URI (the page stays one self-contained file)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


BINS = 10  # score bins of 10 % of the points


def score_rows(records):
    """[(label, [students per score bin])]: each assignment (its notebooks' points summed per student, a notebook
    that did not run counting 0) followed by each of its notebooks that ran."""
    def binned(fractions):
        counts = [0] * BINS
        for fraction in fractions:
            counts[min(BINS - 1, int(fraction * BINS))] += 1
        return counts

    assignments, fractions = semester(records)
    rows = []
    for assignment in assignments:
        rows.append((f"{assignment} (all notebooks)", binned(m[assignment] for m in fractions.values() if assignment in m)))
        ran = [r for r in records if r.get("assignment") == assignment and r.get("tests") is not None
               and float(r.get("max_score") or 0) > 0]
        for notebook in sorted({r.get("notebook") or "" for r in ran}):
            rows.append((notebook.removesuffix(".ipynb"),
                         binned(float(r.get("score") or 0) / float(r["max_score"]) for r in ran if r.get("notebook") == notebook)))
    return rows


def score_figure(rows):
    """The score distributions as one heat map: a row per assignment and notebook, a column per 10 % of the
    points, each cell the number of students there, its colour their share of the row."""
    from matplotlib.figure import Figure

    shares = [[count / max(1, sum(counts)) for count in counts] for _, counts in rows]
    figure = Figure(figsize=(9, 0.9 + 0.25 * len(rows)))
    axes = figure.add_subplot()
    axes.imshow(shares, aspect="auto", cmap="Blues", vmin=0, vmax=1)
    for y, (_, counts) in enumerate(rows):
        for x, count in enumerate(counts):
            if count:
                axes.text(x, y, count, ha="center", va="center", fontsize=7, color="white" if shares[y][x] > 0.5 else "black")
    axes.set_yticks(range(len(rows)), [label for label, _ in rows], fontsize=7)
    for label in axes.get_yticklabels():
        label.set_fontweight("bold" if label.get_text().endswith("(all notebooks)") else "normal")
    axes.set_xticks([x - 0.5 for x in range(BINS + 1)], [f"{100 * x // BINS}%" for x in range(BINS + 1)], fontsize=7)
    axes.set_xlabel("score (% of the points); each cell: the number of students", fontsize=8)
    figure.subplots_adjust(left=0.25, right=0.98, top=1 - 0.15 / figure.get_figheight(), bottom=0.6 / figure.get_figheight())
    return png(figure)


def trajectory_figure(assignments, fractions):
    """Each student's score on each assignment (thin lines) and the class median (thick)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 3.2))
    axes = figure.add_subplot()
    positions = range(len(assignments))
    for marks in fractions.values():
        points = [(i, 100 * marks[a]) for i, a in enumerate(assignments) if a in marks]
        axes.plot(*zip(*points), color="#4477aa", alpha=0.25, linewidth=0.8, marker="o", markersize=2)
    medians = [100 * statistics.median(m[a] for m in fractions.values() if a in m) for a in assignments]
    axes.plot(positions, medians, color="#cc3311", linewidth=2.5, label="class median")
    axes.set_xticks(positions, assignments, fontsize=7)
    axes.set_ylim(-3, 103)
    axes.set_ylabel("score (% of the points)", fontsize=8)
    axes.legend(fontsize=7)
    figure.subplots_adjust(left=0.08, right=0.98, top=0.95, bottom=0.12)
    return png(figure)


# ---------------------------------------------------------------------------------------------------- HTML

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; } .meta { color: #666; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; white-space: nowrap; }
code, pre { background: #f6f6f6; } td code { white-space: pre-wrap; } pre { padding: 0.5em; white-space: pre-wrap; font-size: 0.85em; }
img { max-width: 100%; } .bar { width: 160px; height: 0.8em; background: #eee; }
.bar span { display: block; height: 100%; } .headline li { margin: 0.3em 0; } details summary { cursor: pointer; color: #335; }
"""


def e(text):
    return html.escape(str(text))


def percent(part, whole):
    return f"{100 * part / whole:.0f}%" if whole else "–"


def student_list(identities, students):
    shown = identities.list(students)
    if len(shown) <= 12:
        return e(", ".join(shown))
    return f"<details><summary>{len(shown)} students</summary>{e(', '.join(shown))}</details>"


def table(header, rows):
    """An HTML table; cells are already HTML; a cell given as (html, "num") is right-aligned."""
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="num">{c[0]}</td>' if isinstance(c, tuple) else f"<td>{c}</td>"
                                    for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def headline(analysis):
    """The five catalogued mistakes and the two uncatalogued groups that the most students made, each with its
    share of the students whose notebook ran the test."""
    attempts = {(t.assignment, t.notebook, t.test): t.attempts for t in analysis.tests}

    def size(group):
        return len(group.students), len(group.students) / attempts[(group.assignment, group.notebook, group.test)]

    def share(group):
        whole = attempts[(group.assignment, group.notebook, group.test)]
        return (f"<b>{len(group.students) / whole:.0%}</b> ({len(group.students)} of the {whole} whose "
                f"{e(group.notebook)} ran)")

    items = [f"<li>{share(g)}: {e(g.hint or g.label)} <span class=meta>(<code>{e(g.test)}</code>)</span></li>"
             for g in sorted(analysis.mistakes, key=size, reverse=True)[:5]]
    items += [f"<li>{share(g)} failed <code>{e(g.test)}</code> the same way, which no catalogued mistake explains: "
              f"{e(g.label)}</li>" for g in sorted(analysis.unmatched, key=size, reverse=True)[:2] if len(g.students) >= 2]
    return f"<ul class=headline>{''.join(items)}</ul>" if items else "<p>No test failed.</p>"


def bar(share, color):
    """A share (0..1) as a bar drawn by the page's style (no script, no image)."""
    return f'<div class=bar><span style="width:{100 * share:.1f}%;background:{color}"></span></div>'


def section_scores(analysis):
    rows = score_rows(analysis.records)
    if not rows:
        return "<h2>Scores</h2><p>No notebook ran.</p>"
    missing = sum(1 for r in analysis.records if r.get("notebook") and r.get("tests") is None)
    return ("<h2>Scores</h2>"
            f'<img alt="score distribution of each assignment and notebook" src="{score_figure(rows)}">'
            + (f"<p class=meta>{missing} notebook(s) did not run (see Statuses): they count as 0 in their assignment's "
               "total and are left out of their notebook's row.</p>" if missing else ""))


def section_tests(analysis):
    if not analysis.tests:
        return "<h2>Tests, hardest first</h2><p>No test ran.</p>"
    header = ["assignment", "notebook", "test", "points", "passed", "pass rate", ""]
    rows = [(e(t.assignment), e(t.notebook), f"<code>{e(t.test)}</code>", (f"{t.points:g}", "num"),
             (f"{t.passed} / {t.attempts}", "num"), (percent(t.passed, t.attempts), "num"), bar(t.pass_rate, "#228833"))
            for t in analysis.tests]
    shown = 15
    rest = (f"<details><summary>the other {len(rows) - shown} tests</summary>{table(header, rows[shown:])}</details>"
            if len(rows) > shown else "")
    return "<h2>Tests, hardest first</h2>" + table(header, rows[:shown]) + rest


def section_mistakes(analysis, identities):
    if not analysis.mistakes:
        return "<h2>Catalogued mistakes</h2><p>No failure matched a catalogued mistake.</p>"
    by_test = defaultdict(list)
    for group in analysis.mistakes:
        by_test[(group.assignment, group.notebook, group.test)].append(group)
    parts = []
    for test in sorted(analysis.tests, key=lambda t: -len(t.failed)):  # the tests most students failed first
        groups = by_test.get((test.assignment, test.notebook, test.test))
        if not groups:
            continue
        rows = [(e(g.hint or g.label), f"<code>{e(g.change)}</code>", (len(g.students), "num"),
                 (percent(len(g.students), test.attempts), "num"), bar(len(g.students) / test.attempts, "#cc6677"),
                 student_list(identities, g.students)) for g in groups]
        caught = sum(len(g.students) for g in groups)
        parts.append(f"<h3>{e(test.notebook)}: <code>{e(test.test)}</code></h3>"
                     f"<p class=meta>{len(test.failed)} of {test.attempts} failed it; {caught} of these failures are "
                     "catalogued mistakes.</p>"
                     + table(["the hint students saw", "the mistake in code", "students", "share", "", "who"], rows))
    return ("<h2>Catalogued mistakes, by test</h2>"
            "<p>A failure is a catalogued mistake when its test is one that catches the mistake "
            "(samples/mistakes/) and the failure message shows the mistake's hint.</p>" + "".join(parts))


def section_unmatched(analysis, identities):
    title = "<h2>Failures no catalogued mistake explains</h2>"
    if not analysis.unmatched:
        return title + "<p>None: every failure matched a catalogued mistake.</p>"
    header = ["notebook", "test", "where and how", "hint", "students", "who", "example"]

    def rows(groups):
        return [(e(g.notebook), f"<code>{e(g.test)}</code>", e(g.label), e(g.hint), (len(g.students), "num"),
                 student_list(identities, g.students),
                 f"<details><summary>message</summary><pre>{e(identities.redact(g.example))}</pre></details>")
                for g in groups]

    unwritten = [g for g in analysis.unmatched if g.label.endswith(NOT_WRITTEN)]
    shared = [g for g in analysis.unmatched if g not in unwritten and len(g.students) > 1]
    single = [g for g in analysis.unmatched if g not in unwritten and len(g.students) == 1]
    parts = [title, "<p>Grouped by test, the function and case that failed, how (shape, dtype, values, exception type) "
             "and the hint shown: a large group is a common mistake the catalogue does not know yet.</p>",
             table(header, rows(shared)) if shared else "<p>No two students failed a test the same unexplained way.</p>"]
    for groups, what in ((single, "failures of one student each"), (unwritten, "tests that reached code not written yet")):
        if groups:
            parts.append(f"<details><summary>{len(groups)} {what} ({sum(len(g.students) for g in groups)} "
                         f"failures)</summary>{table(header, rows(groups))}</details>")
    return "".join(parts)


def section_statuses(analysis, identities):
    if not analysis.statuses:
        return "<h2>Statuses</h2><p>Every notebook was graded normally.</p>"
    rows = []
    for status, entries in analysis.statuses.items():
        details = sorted({identities.redact(detail) for _, _, detail in entries if detail})
        shown = "<br>".join(e(d[:200]) for d in details[:5]) + (f"<br>… and {len(details) - 5} more" if len(details) > 5 else "")
        rows.append((e(status), (len(entries), "num"), (len({s for s, _, _ in entries}), "num"),
                     student_list(identities, [s for s, _, _ in entries]), shown))
    return "<h2>Statuses</h2>" + table(["status", "notebooks", "students", "who", "reasons"], rows)


def section_semester(analysis, identities):
    if len(analysis.assignments) < 2:
        return ""
    capstone = analysis.assignments[-1]
    figure = trajectory_figure(analysis.assignments, analysis.fractions)
    rows = [(e(identities.of(student)), *[(percent(analysis.fractions[student][a], 1) if a in analysis.fractions[student]
                                           else "–", "num") for a in analysis.assignments])
            for student in sorted(analysis.fractions, key=identities.of)]
    trajectories = table(["student", *analysis.assignments], rows)
    if analysis.predictors:
        predictor_rows = [(e(t.assignment), e(t.notebook), f"<code>{e(t.test)}</code>", (f"{failed} / {passed}", "num"),
                           (percent(mean_failed, 1), "num"), (percent(mean_passed, 1), "num"))
                          for t, mean_failed, mean_passed, failed, passed in analysis.predictors[:10]]
        predicting = table(["assignment", "notebook", "test", "failed / passed it", f"{capstone} if failed",
                            f"{capstone} if passed"], predictor_rows)
    else:
        predicting = "<p>Too few students took both (at least 2 must have failed and 2 passed a test).</p>"
    return ("<h2>The semester</h2>"
            f'<img alt="each student\'s score on each assignment" src="{figure}">'
            f"<details><summary>each student's scores</summary>{trajectories}</details>"
            f"<h3>Tests that most predict a low score on {e(capstone)} (the last assignment graded)</h3>"
            "<p>The students who failed these tests scored lowest on the capstone compared with those who passed "
            "them: a signal to revisit the topic early, not proof of cause.</p>" + predicting)


def render(analysis, identities):
    graded = sum(1 for r in analysis.records if r.get("tests") is not None)
    who = "students are named" if identities.names else "students are shown by anonymous id (the key: anonymous_ids.csv)"
    return "".join([
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">',
        f"<title>Class report</title><style>{STYLE}</style></head><body>",
        "<h1>Class report</h1>",
        f"<p class=meta>{len(analysis.students)} students, {len(analysis.records)} notebooks ({graded} ran their tests); "
        f"{who}. Written {e(time.strftime('%Y-%m-%d %H:%M'))}.</p>",
        "<h2>What the class got wrong most often</h2>", headline(analysis),
        section_scores(analysis), section_tests(analysis), section_mistakes(analysis, identities),
        section_unmatched(analysis, identities), section_statuses(analysis, identities),
        section_semester(analysis, identities), "</body></html>\n"])


# ------------------------------------------------------------------------------------------------- the files

def write_csvs(analysis, identities, out_dir):
    with open(out_dir / "tests.csv", "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["assignment", "notebook", "test", "points", "attempts", "passed", "pass_rate"])
        writer.writerows([t.assignment, t.notebook, t.test, f"{t.points:g}", t.attempts, t.passed, f"{t.pass_rate:.4f}"]
                         for t in analysis.tests)
    with open(out_dir / "mistakes.csv", "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["assignment", "notebook", "test", "catalogued", "mistake", "hint", "count", "students"])
        writer.writerows([g.assignment, g.notebook, g.test, "yes" if g.catalogued else "no", g.label, g.hint,
                          len(g.students), " ".join(identities.list(g.students))]
                         for g in analysis.mistakes + analysis.unmatched)


def write_class_report(records, out_dir, names=False):
    """Write report.html, tests.csv, mistakes.csv, anonymous_ids.csv and the LMS gradebooks to out_dir from the
    grading's records (results.json); return the report's path. names: name students instead of anonymous ids.
    It never stops the grading: on a fault of its own it says so on stderr and returns None."""
    out_dir = Path(out_dir)
    try:
        analysis = analyse(records)
        identities = Identities(analysis.students, out_dir / "anonymous_ids.csv", names)
        write_csvs(analysis, identities, out_dir)
        lms_export.write_gradebooks(records, out_dir)
        report = out_dir / "report.html"
        report.write_text(render(analysis, identities), encoding="utf-8")
        return report
    except Exception as error:  # a bug of ours must not cost the instructor the grading itself
        print(f"class report: not written ({type(error).__name__}: {error})", file=sys.stderr)
        return None


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mlpcourse.class_report", description=__doc__.split("\n\n")[0])
    parser.add_argument("report_dir", type=Path, help="a report folder of `course.py grade` (it holds results.json)")
    parser.add_argument("--names", action="store_true", help="name the students (default: anonymous ids)")
    args = parser.parse_args(argv)
    results = args.report_dir / "results.json"
    if not results.is_file():
        sys.exit(f"class_report: {results} not found (give a report folder written by `course.py grade`)")
    try:
        records = json.loads(results.read_text())
        if not isinstance(records, list):
            raise ValueError("not a list of records")
    except ValueError as error:
        sys.exit(f"class_report: {results} is not a grading's results ({error})")
    report = write_class_report(records, args.report_dir, names=args.names)
    if report is None:
        return 1
    print(f"wrote {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
