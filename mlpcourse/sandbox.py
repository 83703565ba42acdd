"""Start a student's kernel (mlpcourse.student_kernel) in a bubblewrap sandbox, and stop it with everything
it started.

Inside the sandbox the kernel sees a read-only system (/usr and the Python environment), nothing of the
course checkout, the solutions, the gradebook, the grader's scratch space or other students' work, and no
network; it runs as an unprivileged user in its own PID namespace (it cannot see or signal any process
outside), with a private working folder and /tmp that are deleted afterwards. Packages a student must not
reach (the reference `mlp_ref`, the course's grading tools, PyTorch) are hidden under empty folders; the
kernel gets only the student-side modules it needs (the channel, the kernel itself, `mlpcourse.given`).
Limits: address space, the size of any file written, and the time the grader waits for each answer.

Where bubblewrap is missing (macOS, Windows, or not installed) `Sandbox(sandboxed=False)` runs the same
kernel as a plain child process: the verdicts are still computed outside it, but it can see the machine.
"""
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from .channel import Peer

PACKAGE = Path(__file__).resolve().parent
STUDENT_MODULES = ("__init__.py", "channel.py", "student_kernel.py", "given.py")
HIDDEN_PACKAGES = ("mlp_ref", "mlpcourse", "torch", "torchgen", "functorch", "jax", "tensorflow")
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf", "/etc/fonts")
PASSED_ENVIRONMENT = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LANG")
MAX_FILE_BYTES = 64 * 2**20


def bubblewrap():
    """The path of bwrap, or None where it is not installed."""
    return shutil.which("bwrap")


def _package_dirs(names):
    """The folders the trusted Python would import these packages from."""
    found = []
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        for location in (spec.submodule_search_locations or []) if spec else []:
            found.append(Path(location).resolve())
    return found


def _bwrap_command(home, tmp, lib):
    """bwrap's arguments: a fresh root with only what a student's kernel needs, read-only."""
    command = [bubblewrap(), "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
               "--uid", "65534", "--gid", "65534", "--clearenv", "--proc", "/proc", "--dev", "/dev"]
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            command += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            command += ["--ro-bind", path, path]
    for path in SYSTEM_FILES:
        command += ["--ro-bind-try", path, path]
    # the private folders first: the Python environment may itself live under /tmp (a fresh clone there)
    command += ["--bind", str(home), "/home/student", "--bind", str(tmp), "/tmp"]
    # the Python environment at its real path, and where a link to it points from (a venv linked into a course)
    mounts = {(Path(prefix).resolve(), where) for prefix in (sys.base_prefix, sys.prefix)
              for where in (Path(prefix).resolve(), Path(os.path.abspath(prefix)))}
    mounts |= {(Path(system), Path(system)) for system in SYSTEM_DIRS}
    for real, where in sorted(mounts):
        if not any(str(where).startswith(system) for system in SYSTEM_DIRS):
            command += ["--ro-bind", str(real), str(where)]
    for hidden in _package_dirs(HIDDEN_PACKAGES):
        for real, where in sorted(mounts):
            if hidden.is_relative_to(real):
                command += ["--tmpfs", str(where / hidden.relative_to(real))]
    command += ["--ro-bind", str(lib), "/grader/lib", "--chdir", "/home/student"]
    environment = {"HOME": "/home/student", "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
                   "PYTHONPATH": "/grader/lib", "MPLCONFIGDIR": "/tmp/matplotlib", "TMPDIR": "/tmp",
                   "MPLBACKEND": "Agg"}
    for name, value in environment.items():
        command += ["--setenv", name, value]
    return command


def _student_environment(lib, home, tmp):
    """The environment of an unsandboxed kernel: the student-side modules first on the path."""
    environment = {"HOME": str(home), "PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(lib),
                   "MPLCONFIGDIR": str(tmp / "matplotlib"), "TMPDIR": str(tmp), "MPLBACKEND": "Agg"}
    return environment


class Sandbox:
    """One student kernel: `peer` talks to it; `stop()` kills it and everything it started, and deletes its
    folders. Use as a context manager."""

    def __init__(self, memory_bytes, sandboxed=True, on_notice=None):
        if sandboxed and not bubblewrap():
            raise RuntimeError("bubblewrap (bwrap) is not installed")
        self.scratch = Path(tempfile.mkdtemp(prefix="mlp-kernel-"))
        lib, home, tmp = self.scratch / "lib", self.scratch / "home", self.scratch / "tmp"
        (lib / "mlpcourse").mkdir(parents=True)
        home.mkdir()
        tmp.mkdir()
        for name in STUDENT_MODULES:
            shutil.copy(PACKAGE / name, lib / "mlpcourse" / name)
        for path in (self.scratch, home, tmp):
            path.chmod(0o777 if path != self.scratch else 0o755)
        requests_read, requests_write = os.pipe()
        answers_read, answers_write = os.pipe()
        python = [sys.executable, "-B", "-m", "mlpcourse.student_kernel", str(requests_read), str(answers_write)]
        if sandboxed:
            command, environment, cwd = _bwrap_command(home, tmp, lib) + python, {}, None
        else:
            command, environment, cwd = python, _student_environment(lib, home, tmp), home
        for name in PASSED_ENVIRONMENT + ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
            value = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}.get(name, os.environ.get(name))
            if value is not None:
                if sandboxed:  # after --clearenv, which would clear it again: bwrap applies its options in order
                    after_clearenv = command.index("--clearenv") + 1
                    command[after_clearenv:after_clearenv] = ["--setenv", name, value]
                else:
                    environment[name] = value

        self.process = subprocess.Popen(command, env=environment, cwd=cwd, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        pass_fds=(requests_read, answers_write), preexec_fn=lambda: _set_limits(memory_bytes),
                                        start_new_session=True)
        os.close(requests_read)
        os.close(answers_write)
        self.peer = Peer(answers_read, requests_write, trusted=True, on_notice=on_notice)

    def exited(self, within):
        """Whether the kernel has exited, or does within `within` seconds (its pipe closes a moment before)."""
        try:
            self.process.wait(timeout=within)
            return True
        except subprocess.TimeoutExpired:
            return False

    def stop(self):
        """Kill the kernel's whole process group (bwrap then takes down its PID namespace) and clean up."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except OSError:
            pass  # already gone
        self.process.wait()
        for fd in (self.peer.read_fd, self.peer.write_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _set_limits(memory_bytes):
    import resource

    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
