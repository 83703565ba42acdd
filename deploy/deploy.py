#!/usr/bin/env python3
"""Deploy the course on a JupyterHub on one Linux machine, with real system users (run as root).

    python3 deploy/deploy.py install [--prefix /opt/mlp-course] [--grade-on-submit visible] ...
    python3 deploy/deploy.py add-users CLASS.csv
    python3 deploy/deploy.py start
    python3 deploy/deploy.py remove-users CLASS.csv

`install` builds everything the hub needs under PREFIX and may be run again at any time (after a course
update, or to change a setting; it redoes only what changed): the course's environment (a virtual
environment every user can read, with the versions of requirements.txt and JupyterHub), JupyterHub's proxy
(npm, deploy/package.json), the lectures (read-only for students), the shared nbgrader exchange, the Unix
groups of the course and the hub's configuration. `add-users` creates the users of a class list: a CSV with
the columns username, role (student, instructor, or user: a hub account outside the course), and optionally
password, first_name, last_name, email. `start` runs the hub in the foreground (a systemd unit or the
like keeps it running). docs/hub.md explains the design and what each setting protects against.

Standard library only: it runs with the system's Python 3.10+.
"""
import argparse
import csv
import grp
import hashlib
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
COURSE_ID = "mlp-from-scratch"
HUB_GROUP = "jupyterhub-users"
GRADER_USER = "mlp-grader"
ROLES = ("student", "instructor", "user")
USERNAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
# what of the checkout a course copy needs (not git, environments, grading output, the website's build)
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "grading", "site", "node_modules", "__pycache__", "*.egg-info",
                                    ".pytest_cache", ".hypothesis", ".ipynb_checkpoints", "benchmarks", "build")
SHOWS = ("visible", "all", "none")


class DeployError(Exception):
    """A problem with the machine or the input, reported as one line."""


def run(*command, **kwargs):
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)
    if result.returncode:
        raise DeployError(f"{' '.join(map(str, command[:3]))} ... failed: {(result.stderr or result.stdout).strip()[-500:]}")
    return result.stdout


def settings_path(prefix):
    return Path(prefix) / "etc" / "deploy.json"


def load_settings(prefix):
    path = settings_path(prefix)
    if not path.is_file():
        raise DeployError(f"{prefix} holds no deployment; run `deploy.py install --prefix {prefix}` first")
    return json.loads(path.read_text())


def digest(*paths):
    """sha256 over the files (and the files under the folders) given, in a stable order."""
    sha = hashlib.sha256()
    for path in paths:
        files = sorted(p for p in Path(path).rglob("*") if p.is_file() and "__pycache__" not in p.parts) if Path(path).is_dir() else [Path(path)]
        for file in files:
            sha.update(str(file.relative_to(path if Path(path).is_dir() else file.parent)).encode() + file.read_bytes())
    return sha.hexdigest()


def chown_tree(path, user, group=None):
    shutil.chown(path, user, group)
    for parent, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(parent, name), pwd.getpwnam(user).pw_uid,
                      grp.getgrnam(group).gr_gid if group else pwd.getpwnam(user).pw_gid)


def make_dir(path, mode, user="root", group="root"):
    """A folder with exactly this owner and mode (modes are enforced on every install, not only at creation)."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.chown(path, user, group)
    os.chmod(path, mode)


def ensure_group(name):
    try:
        grp.getgrnam(name)
    except KeyError:
        run("groupadd", "--system", name)


# ---------------------------------------------------------------------------------------------- install

def install_environment(prefix, python, log):
    """PREFIX/venv: the course's environment, readable by every user, with the course's packages installed.
    The pinned requirements are installed when they change (minutes: pip downloads them), the course's own
    packages (mlp_ref, mlpcourse) whenever the course changes (seconds)."""
    venv = prefix / "venv"
    source = prefix / "src"
    pip = [venv / "bin" / "python", "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    steps = [
        ("requirements", digest(source / "requirements.txt"), [*pip, "-r", source / "requirements.txt"]),
        ("course", digest(source / "pyproject.toml", source / "mlp_ref", source / "mlpcourse"),
         [*pip, "--no-deps", "--no-build-isolation", "--force-reinstall", source]),
    ]
    for name, wanted, command in steps:
        stamp = venv / f"deploy-{name}.sha256"
        if stamp.is_file() and stamp.read_text().strip() == wanted:
            continue
        if not (venv / "bin" / "python").exists():
            log(f"creating the course's environment in {venv} with {python}")
            run(python, "-m", "venv", venv)
        log(f"installing the {name} into {venv}" + (" (half a minute to a few: pip downloads them)" if name == "requirements" else ""))
        run(*command)
        run("chmod", "-R", "a+rX,go-w", venv)
        stamp.write_text(wanted + "\n")
    # course.py accepts an environment whose stamp matches its pins: the instructors' copies link to this one
    course_stamp = hashlib.sha256((source / "requirements.txt").read_bytes() + (source / "pyproject.toml").read_bytes())
    (venv / "course-installed.sha256").write_text(course_stamp.hexdigest() + "\n")


def install_proxy(prefix, log):
    """PREFIX/proxy: configurable-http-proxy from npm at the version of deploy/package-lock.json."""
    proxy = prefix / "proxy"
    stamp = proxy / "installed.sha256"
    wanted = digest(HERE / "package.json", HERE / "package-lock.json")
    if stamp.is_file() and stamp.read_text().strip() == wanted:
        return
    if not shutil.which("npm"):
        raise DeployError("npm is not installed (JupyterHub's proxy comes from npm; docs/hub.md says how to install Node.js)")
    log("installing configurable-http-proxy with npm ci")
    proxy.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(HERE / name, proxy / name)
    run("npm", "ci", "--no-audit", "--no-fund", "--omit=dev", cwd=proxy)
    run("chmod", "-R", "a+rX,go-w", proxy)
    stamp.write_text(wanted + "\n")


def copy_course(source, target, owner, mode=0o700, keep=()):
    """A fresh copy of the course at `target` (replaced at once), owned by `owner`; the folders `keep` of the
    old copy are moved into the new one."""
    fresh = target.with_name(target.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(source, fresh, ignore=NOT_COPIED, symlinks=True)
    for name in keep:
        if (target / name).is_dir():
            (target / name).rename(fresh / name)
    chown_tree(fresh, owner)
    os.chmod(fresh, mode)
    if target.exists():
        old = target.with_name(target.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
        fresh.rename(target)
        shutil.rmtree(old)
    else:
        fresh.rename(target)


def strip_hidden_tests(course):
    """Remove nbgrader's hidden tests from the copy's solutions, as nbgrader's release does: grading this copy
    gives the results of the visible tests only."""
    hidden = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.S)
    for path in (course / "solutions").rglob("*.ipynb"):
        notebook = json.loads(path.read_text())
        for cell in notebook["cells"]:
            text = "".join(cell["source"])
            if "### BEGIN HIDDEN TESTS" in text:
                cell["source"] = hidden.sub("", text).splitlines(keepends=True)
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")


def nbgrader_hub_config(settings):
    """nbgrader's configuration for every user of the hub (the environment's etc/jupyter/nbgrader_config.py)."""
    return f'''\
"""nbgrader on the course's JupyterHub (written by deploy/deploy.py install; docs/hub.md)."""
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {settings["course_id"]!r}
# The shared exchange: a folder per course that only its members may enter (docs/hub.md, "The exchange").
c.Exchange.root = {settings["exchange"]!r}
c.Exchange.path_includes_course = True
# The exchange's folders are owned by root and the course's Unix groups, not by one instructor.
c.CourseDirectory.groupshared = True
# Course membership comes from the hub's groups nbgrader-<course> (students) and formgrade-<course> (instructors).
c.Authenticator.plugin_class = "nbgrader.auth.JupyterHubAuthPlugin"
# A submission belongs to the user who owns it, whatever name --student gave it (mlpcourse/hub_exchange.py).
c.ExchangeFactory.collect = "mlpcourse.hub_exchange.OwnerCollect"
'''


def course_config(course, prefix):
    """The nbgrader_config.py of an instructor's course copy: the repository's own, then the hub's."""
    return f'''\
"""The course on the hub (written by deploy/deploy.py): the repository's configuration, then the hub's."""
c = get_config()  # noqa: F821
load_subconfig({str(course / "nbgrader_config.course.py")!r})  # noqa: F821  (the repository's nbgrader_config.py)
load_subconfig({str(prefix / "venv" / "etc" / "jupyter" / "nbgrader_config.py")!r})  # noqa: F821
'''


STUDENT_SERVER_CONFIG = {"ServerApp": {"jpserver_extensions": {
    "nbgrader.server_extensions.formgrader": False, "nbgrader.server_extensions.course_list": False}}}
STUDENT_LAB_CONFIG = {"disabledExtensions": {
    "@jupyter/nbgrader:formgrader": True, "@jupyter/nbgrader:course-list": True, "@jupyter/nbgrader:create-assignment": True}}


def install_configuration(prefix, settings):
    etc = prefix / "etc"
    make_dir(etc, 0o755)
    shutil.copy(HERE / "jupyterhub_config.py", etc / "jupyterhub_config.py")
    settings_path(prefix).write_text(json.dumps(settings, indent=1) + "\n")
    jupyter = prefix / "venv" / "etc" / "jupyter"
    jupyter.mkdir(parents=True, exist_ok=True)
    (jupyter / "nbgrader_config.py").write_text(nbgrader_hub_config(settings))
    # students' servers: no formgrader, course list or assignment creation (JUPYTER_CONFIG_PATH, see the hub config)
    student = etc / "jupyter-student"
    (student / "labconfig").mkdir(parents=True, exist_ok=True)
    (student / "jupyter_server_config.json").write_text(json.dumps(STUDENT_SERVER_CONFIG, indent=1) + "\n")
    (student / "labconfig" / "page_config.json").write_text(json.dumps(STUDENT_LAB_CONFIG, indent=1) + "\n")
    run("chmod", "-R", "a+rX,go-w", etc, jupyter)
    hub = prefix / "hub"
    make_dir(hub, 0o700)
    token = hub / "admin-token"
    if not token.exists():
        token.write_text(secrets.token_hex(32) + "\n")
        os.chmod(token, 0o600)


def install_exchange(exchange, course_id):
    """The shared exchange: only the course's members enter its folder; students may drop submissions into
    inbound and read what they know the name of in feedback, but list neither (docs/hub.md)."""
    staff = f"{course_id}-staff"
    make_dir(exchange, 0o755)
    make_dir(exchange / course_id, 0o2750, group=course_id)
    make_dir(exchange / course_id / "outbound", 0o2775, group=staff)
    make_dir(exchange / course_id / "inbound", 0o3773, group=staff)   # sticky: nobody renames another's submission
    make_dir(exchange / course_id / "feedback", 0o2771, group=staff)


def install_lectures(source, prefix):
    """PREFIX/lectures: read-only for everyone; replaced whole on an update (students' own copies are elsewhere)."""
    copy_course(source / "lectures", prefix / "lectures", "root", 0o755)
    run("chmod", "-R", "a+rX,a-w", prefix / "lectures")
    os.chmod(prefix / "lectures", 0o555)


def install_graders(source, prefix):
    """The course copies the grading-on-submit service grades with, readable by its user only."""
    grader_home = prefix / "grader"
    make_dir(grader_home, 0o700, GRADER_USER, GRADER_USER)
    for show in ("all", "visible"):
        copy_course(source, grader_home / show, GRADER_USER, keep=["grading"])  # grading/cache: generated gradebooks
        if show == "visible":
            strip_hidden_tests(grader_home / show)
    make_dir(grader_home / "state", 0o700, GRADER_USER, GRADER_USER)


def install(args, log=print):
    prefix = Path(args.prefix).resolve()
    settings = {
        "prefix": str(prefix), "course_id": COURSE_ID, "exchange": str(Path(args.exchange or prefix / "exchange").resolve()),
        "ip": args.ip, "port": args.port, "hub_port": args.hub_port, "proxy_api_port": args.proxy_api_port,
        "hub_group": HUB_GROUP, "grader_user": GRADER_USER,
        "grade_on_submit": args.grade_on_submit, "deadlines": dict(d.split("=", 1) for d in args.deadline),
    }
    for group in (HUB_GROUP, COURSE_ID, f"{COURSE_ID}-staff"):
        ensure_group(group)
    try:
        pwd.getpwnam(GRADER_USER)
    except KeyError:
        run("useradd", "--system", "--no-create-home", "--home-dir", prefix / "grader", "--shell", "/usr/sbin/nologin", GRADER_USER)
    run("usermod", "-a", "-G", f"{COURSE_ID},{COURSE_ID}-staff", GRADER_USER)
    make_dir(prefix, 0o755)
    log(f"copying the course to {prefix / 'src'}")
    copy_course(REPO, prefix / "src", "root")
    install_environment(prefix, args.python, log)
    install_proxy(prefix, log)
    install_configuration(prefix, settings)
    install_exchange(Path(settings["exchange"]), COURSE_ID)
    install_lectures(prefix / "src", prefix)
    install_graders(prefix / "src", prefix)
    log(f"installed in {prefix}; next: deploy.py add-users CLASS.csv --prefix {prefix}, then deploy.py start --prefix {prefix}")


# ---------------------------------------------------------------------------------------------- users

def read_class_list(path):
    """[(username, role, row)] from a CSV class list, checked whole before anything is changed."""
    try:
        with open(path, newline="") as file:
            rows = list(csv.DictReader(file))
    except OSError as error:
        raise DeployError(f"cannot read the class list {path}: {error.strerror}")
    users = []
    for number, row in enumerate(rows, start=2):
        name, role = (row.get("username") or "").strip(), (row.get("role") or "student").strip()
        if not USERNAME.match(name):
            raise DeployError(f"{path}, line {number}: {name!r} is not a valid username (lowercase letters, digits, - and _)")
        if role not in ROLES:
            raise DeployError(f"{path}, line {number}: role {role!r} is none of {', '.join(ROLES)}")
        users.append((name, role, row))
    if not users:
        raise DeployError(f"{path} lists no users (columns: username, role, and optionally password, first_name, last_name, email)")
    return users


def as_user(name, prefix, *command, cwd):
    """Run a command as `name` with the course's environment first on PATH (nbgrader runs `alembic` from it)."""
    env = {"PATH": f"{prefix / 'venv' / 'bin'}:/usr/bin:/bin", "HOME": pwd.getpwnam(name).pw_dir, "USER": name, "LANG": "C.UTF-8"}
    return run(shutil.which("runuser"), "-u", name, "--", *command, cwd=cwd, env=env)


def setup_instructor(name, prefix):
    """The instructor's course directory ~/mlp-from-scratch: a copy of the course, with the hub's exchange."""
    home = Path(pwd.getpwnam(name).pw_dir)
    course = home / COURSE_ID
    if not course.exists():
        copy_course(prefix / "src", course, name)
        (course / "nbgrader_config.py").rename(course / "nbgrader_config.course.py")
        (course / "nbgrader_config.py").write_text(course_config(course, prefix))
        (course / ".venv").symlink_to(prefix / "venv")
        (course / "grading").mkdir()
        chown_tree(course, name)
    jupyter = home / ".jupyter"
    jupyter.mkdir(exist_ok=True)
    (jupyter / "nbgrader_config.py").write_text(
        f'c = get_config()  # noqa: F821\nload_subconfig({str(course / "nbgrader_config.py")!r})  # noqa: F821\n')
    chown_tree(jupyter, name)
    return course


def add_users(args, log=print):
    prefix = Path(args.prefix).resolve()
    load_settings(prefix)
    users = read_class_list(args.class_list)
    for name, role, row in users:
        try:
            pwd.getpwnam(name)
        except KeyError:
            run("useradd", "--create-home", "--shell", "/bin/bash", "--comment",
                " ".join(filter(None, (row.get("first_name"), row.get("last_name")))) or name, name)
        home = Path(pwd.getpwnam(name).pw_dir)
        os.chmod(home, 0o700)  # useradd makes 0755 homes: everyone could read everyone's notebooks
        groups = [HUB_GROUP] + ([COURSE_ID] if role != "user" else []) + ([f"{COURSE_ID}-staff"] if role == "instructor" else [])
        run("usermod", "-a", "-G", ",".join(groups), name)
        if row.get("password"):
            run("chpasswd", input=f"{name}:{row['password']}\n")
        lectures = home / "lectures"
        if not lectures.is_symlink():
            lectures.symlink_to(prefix / "lectures")
            os.lchown(lectures, pwd.getpwnam(name).pw_uid, pwd.getpwnam(name).pw_gid)
        if role == "instructor":
            setup_instructor(name, prefix)
        log(f"{name}: {role}")
    enroll_students(prefix, [(name, row) for name, role, row in users if role == "student"])


def enroll_students(prefix, students):
    """Record the students in every instructor's gradebook (so that one who never submits is graded 0)."""
    if not students:
        return
    instructors = [m for m in grp.getgrnam(f"{COURSE_ID}-staff").gr_mem if m != GRADER_USER]
    for instructor in instructors:
        course = Path(pwd.getpwnam(instructor).pw_dir) / COURSE_ID
        roster = course / "grading" / "students-added.csv"
        with open(roster, "w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=["id", "first_name", "last_name", "email"])
            writer.writeheader()
            for name, row in students:
                writer.writerow({"id": name, "first_name": row.get("first_name") or "", "last_name": row.get("last_name") or "",
                                 "email": row.get("email") or ""})
        shutil.chown(roster, instructor)
        # the hub's groups come from the Unix groups (deploy/jupyterhub_config.py), not from nbgrader's JupyterHub plugin
        as_user(instructor, prefix, prefix / "venv" / "bin" / "nbgrader", "db", "student", "import", roster,
                "--Authenticator.plugin_class=nbgrader.auth.NoAuthPlugin", cwd=course)
        roster.unlink()


def remove_users(args, log=print):
    users = read_class_list(args.class_list)
    for name, _, _ in users:
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
        run("userdel", "--remove", name)
        log(f"{name}: removed")


# ---------------------------------------------------------------------------------------------- start

def start(args):
    prefix = Path(args.prefix).resolve()
    load_settings(prefix)
    os.chdir(prefix / "hub")
    hub = prefix / "venv" / "bin" / "jupyterhub"
    os.execv(hub, [str(hub), "-f", str(prefix / "etc" / "jupyterhub_config.py")])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="deploy.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("install", "add-users", "remove-users", "start"):
        sub = commands.add_parser(name)
        sub.add_argument("--prefix", default="/opt/mlp-course", help="where the deployment lives (default /opt/mlp-course)")
        if name in ("add-users", "remove-users"):
            sub.add_argument("class_list", help="CSV: username, role (student, instructor, user), optional password, first_name, last_name, email")
    install_parser = commands.choices["install"]
    install_parser.add_argument("--python", default="/usr/bin/python3", help="a Python 3.10+ every user can run (default /usr/bin/python3)")
    install_parser.add_argument("--exchange", help="the shared nbgrader exchange (default PREFIX/exchange)")
    install_parser.add_argument("--ip", default="127.0.0.1", help="address the hub listens on (default 127.0.0.1: put a TLS proxy in front)")
    install_parser.add_argument("--port", type=int, default=8000)
    install_parser.add_argument("--hub-port", type=int, default=8081)
    install_parser.add_argument("--proxy-api-port", type=int, default=8001)
    install_parser.add_argument("--grade-on-submit", choices=("off",) + SHOWS, default="off",
                                help="grade each submission as it arrives; the feedback shows the visible tests, all tests, "
                                     "or nothing before the assignment's deadline (default off)")
    install_parser.add_argument("--deadline", action="append", default=[], metavar="ASSIGNMENT=ISO-TIME",
                                help="with --grade-on-submit none: when an assignment's feedback is released (UTC)")
    args = parser.parse_args(argv)
    try:
        if args.command != "start" and os.geteuid() != 0:
            raise DeployError("run as root (it creates users, groups and folders they own)")
        {"install": install, "add-users": add_users, "remove-users": remove_users, "start": start}[args.command](args)
    except DeployError as error:
        sys.exit(f"deploy.py: {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
