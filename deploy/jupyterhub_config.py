"""JupyterHub's configuration for the course on one machine (deploy/deploy.py install copies it to PREFIX/etc/
and writes its settings beside it, in deploy.json; docs/hub.md explains each part)."""
import grp
import json
from pathlib import Path

c = get_config()  # noqa: F821 (JupyterHub provides it)

ETC = Path(__file__).resolve().parent
settings = json.loads((ETC / "deploy.json").read_text())
PREFIX = Path(settings["prefix"])
COURSE = settings["course_id"]
VENV_BIN = PREFIX / "venv" / "bin"


def members(group):
    """The Unix group's members (deploy.py add-users keeps the groups), without the grading service's user."""
    return sorted(set(grp.getgrnam(group).gr_mem) - {settings["grader_user"]})


instructors = members(f"{COURSE}-staff")
students = sorted(set(members(COURSE)) - set(instructors))

# Addresses: the hub and its proxy talk over loopback; the public port is loopback too unless --ip says otherwise
# (serve it to the campus through a TLS reverse proxy, docs/hub.md).
c.JupyterHub.ip = settings["ip"]
c.JupyterHub.port = settings["port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = settings["hub_port"]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['proxy_api_port']}"
c.ConfigurableHTTPProxy.command = [str(PREFIX / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(PREFIX / "hub" / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{PREFIX / 'hub' / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(PREFIX / "hub" / "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every user's server

# Real system users, who log in with their system password (PAM); only members of the hub's group may.
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.allowed_groups = {settings["hub_group"]}
c.Authenticator.admin_users = set()

# Each user's server runs as that user, in their home (0700), from the course's environment.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(VENV_BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.ip = "127.0.0.1"
c.Spawner.environment = {"PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin"}
c.Spawner.http_timeout = 60
c.Spawner.start_timeout = 60


def roles_of_user(spawner):
    """Students and other non-instructors get a server without formgrader, the course list and assignment
    creation. The gradebook and solutions are protected by their owner's 0700 home, not by this; this keeps
    the instructor's tools out of the students' menus."""
    if spawner.user.name not in members(f"{COURSE}-staff"):
        spawner.environment["JUPYTER_CONFIG_PATH"] = str(ETC / "jupyter-student")


c.Spawner.pre_spawn_hook = roles_of_user

# nbgrader's JupyterHub integration: the groups name the course's students and instructors, and a server may
# read its own user's groups (nbgrader's JupyterHubAuthPlugin asks for them).
c.JupyterHub.load_groups = {
    f"nbgrader-{COURSE}": {"users": students},
    f"formgrade-{COURSE}": {"users": instructors},
}
c.JupyterHub.load_roles = [
    {"name": "server", "scopes": ["access:servers!server", "users:activity!user", "read:users:name!user",
                                  "read:users:groups!user"]},
    {"name": "course-admin", "services": ["course-admin"],
     "scopes": ["admin:users", "admin:servers", "tokens", "groups", "list:users", "read:users"]},
]
c.JupyterHub.services = [
    # for scripts run by root on this machine: its token is in PREFIX/hub/admin-token (readable by root only)
    {"name": "course-admin", "api_token": (PREFIX / "hub" / "admin-token").read_text().strip()},
]
if settings["grade_on_submit"] != "off":
    # grades each submission as it arrives, as its own Unix user (docs/hub.md, "Feedback on submit")
    c.JupyterHub.services.append({
        "name": "grade-on-submit", "user": settings["grader_user"],
        "command": [str(VENV_BIN / "python"), "-m", "mlpcourse.hub_on_submit", str(ETC / "deploy.json")],
        "cwd": str(PREFIX / "grader"),
        "environment": {"PATH": f"{VENV_BIN}:/usr/bin:/bin", "HOME": str(PREFIX / "grader")},
    })
