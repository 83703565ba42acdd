"""The README's first command, `python course.py`, leaves JupyterLab answering with the course open: on the first
lecture, with the course's settings, JupyterLab's own flags passed through."""
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


def test_course_py_starts_jupyterlab_on_the_course(tmp_path):
    port, token = free_port(), "course-test-token"
    server = subprocess.Popen([sys.executable, "course.py", "--no-browser", f"--port={port}",
                               f"--IdentityProvider.token={token}"], cwd=ROOT,
                              env=dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(tmp_path)),  # a fresh profile
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
        with urllib.request.urlopen(f"{base}/?token={token}", timeout=5) as response:   # where the browser opens
            assert response.url.split("?")[0] == f"{base}/lab/tree/lectures/00_how_this_course_works.ipynb"
        _, kernels = get(f"{base}/lab/api/settings/@jupyterlab/apputils-extension:kernels-settings?token={token}")
        assert json.loads(kernels)["schema"]["properties"]["commsOverSubshells"]["default"] == "disabled"
        _, notifications = get(f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification?token={token}")
        assert json.loads(notifications)["schema"]["properties"]["fetchNews"]["default"] == "false"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
