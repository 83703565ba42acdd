"""requirements.txt is the one place where versions are pinned; environment.yml must agree with it."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_requirements():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.txt: {line!r} is not pinned with =="
            pins[normalise(name)] = version
    return pins


def conda_environment():
    """Packages of environment.yml: conda ones as name=version, pip ones as name==version."""
    pins = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        match = re.match(r"^\s*-\s+([A-Za-z0-9_.\-]+)(==?)([^\s#]+)\s*$", line)
        if match and match[1] != "python":
            pins[normalise(match[1])] = match[3]
    return pins


def test_requirements_are_all_pinned_and_torch_is_the_local_cpu_build():
    pins = pinned_requirements()
    assert pins["torch"] == "2.13.0"
    assert pins["nbgrader"] == "0.9.6"
    assert pins["jupyterlab"].startswith("4.")


def test_environment_yml_lists_the_same_packages_at_the_same_versions():
    assert conda_environment() == pinned_requirements()


def test_the_installed_versions_are_the_pinned_ones():
    from importlib.metadata import version

    for name, pinned in pinned_requirements().items():
        installed = version(name).split("+")[0]
        assert installed == pinned, f"{name}: installed {installed}, requirements.txt pins {pinned}"
