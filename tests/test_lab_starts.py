"""The README's first command, `python course.py`, leaves JupyterLab answering with the course open."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


def test_course_py_starts_jupyterlab_on_the_course():
    port, token = free_port(), "course-test-token"
    server = subprocess.Popen([sys.executable, "course.py", "lab", "--no-browser", f"--port={port}",
                               f"--IdentityProvider.token={token}"], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)  # course.py runs jupyter as a child: stop the whole group
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, _ = get(f"{base}/api/status?token={token}")
                break
            except OSError:
                assert server.poll() is None, "JupyterLab exited instead of serving"
                assert time.monotonic() < deadline, "JupyterLab did not answer within 90 s"
                time.sleep(0.5)
        assert status == 200
        status, page = get(f"{base}/lab?token={token}")
        assert status == 200 and b"JupyterLab" in page
        _, listing = get(f"{base}/api/contents?token={token}")
        names = {entry["name"] for entry in json.loads(listing)["content"]}
        assert {"lectures", "exercises", "README.md"} <= names
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
