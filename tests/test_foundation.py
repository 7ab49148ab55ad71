"""The foundation: install layout, dependency agreement, cache hygiene, the README's commands."""

from __future__ import annotations

import ast
import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from packaging.markers import Marker
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
JUPYTER_MODULES = ("jupyterlab", "jupyter_server", "jupyter_bokeh", "ipywidgets", "bokeh",
                   "IPython", "ipykernel", "notebook", "voila", "nbformat", "papermill")


# --------------------------------------------------------------------------- core without Jupyter
def test_library_sources_import_no_jupyter_package():
    """No module under dynsim/ imports a Jupyter library (static check of every import)."""
    offenders = []
    for path in sorted((ROOT / "dynsim").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in JUPYTER_MODULES or name.startswith("dynsim.widgets"):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert offenders == []


BLOCKER = textwrap.dedent(
    """
    import importlib.abc, pkgutil, sys
    BLOCKED = {blocked!r}

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{{name}} is blocked: the core must not need it")
            return None

    sys.meta_path.insert(0, Blocker())
    import dynsim
    names = []
    for info in pkgutil.walk_packages(dynsim.__path__, "dynsim."):
        if info.name.startswith("dynsim.widgets"):
            continue
        __import__(info.name)
        names.append(info.name)
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    print(len(names), loaded)
    """
)


def test_core_imports_with_jupyter_blocked(tmp_path):
    """``import dynsim`` and every submodule work where no Jupyter package can be imported."""
    code = BLOCKER.format(blocked=set(JUPYTER_MODULES))
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    count, loaded = out.stdout.strip().split(" ", 1)
    assert int(count) >= 3  # errors, engine, _paths at least; the emulators as they land
    assert loaded == "[]"
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- dependency sets
def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _applies_311(req: Requirement) -> bool:
    env = {"python_version": "3.11", "python_full_version": "3.11.7", "sys_platform": "linux",
           "platform_system": "Linux", "implementation_name": "cpython"}
    return req.marker is None or Marker(str(req.marker)).evaluate(env)


def pyproject_requirements(extras: tuple[str, ...]) -> dict[str, str]:
    """Map normalised name -> specifier of the core + extras that apply on Python 3.11."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    reqs = [Requirement(line) for line in lines]
    return {_norm(r.name): str(r.specifier) for r in reqs if _applies_311(r)}


def environment_yml_requirements(text: str) -> dict[str, str]:
    """Map normalised name -> specifier of environment.yml (conda and pip sections)."""
    env = yaml.safe_load(text)
    out = {}
    skip = {"python", "pip", "cxx-compiler", "make"}
    for dep in env["dependencies"]:
        entries = dep["pip"] if isinstance(dep, dict) else [dep]
        for entry in entries:
            name = re.match(r"[A-Za-z0-9_.\-]+", entry)
            if entry.startswith("-") or name is None or _norm(name.group()) in skip:
                continue
            req = Requirement(entry)
            out[_norm(req.name)] = str(req.specifier)
    return out


def dependency_drift(expected: dict[str, str], actual: dict[str, str]) -> list[str]:
    """Describe every difference between two name -> specifier maps."""
    problems = []
    for name in sorted(set(expected) | set(actual)):
        if name not in actual:
            problems.append(f"{name} missing")
        elif name not in expected:
            problems.append(f"{name} extra")
        elif set(expected[name].split(",")) != set(actual[name].split(",")):
            problems.append(f"{name}: {expected[name]} != {actual[name]}")
    return problems


def test_environment_yml_has_the_pyproject_dependency_set():
    expected = pyproject_requirements(("lab", "test", "dev"))
    actual = environment_yml_requirements((ROOT / "environment.yml").read_text())
    assert dependency_drift(expected, actual) == []
    assert "python=3.11" in (ROOT / "environment.yml").read_text()


def test_drift_check_catches_a_removed_dependency():
    """Removing one dependency from either file is reported (the check can fail)."""
    text = (ROOT / "environment.yml").read_text()
    expected = pyproject_requirements(("lab", "test", "dev"))
    for name in ("bokeh", "hypothesis", "brian2", "ruff"):
        mutated = re.sub(rf"^\s*- {name}[=<>!].*\n", "", text, flags=re.MULTILINE)
        assert mutated != text
        assert f"{name} missing" in dependency_drift(expected,
                                                     environment_yml_requirements(mutated))
    smaller = dict(expected)
    smaller.pop("numpy")
    assert "numpy extra" in dependency_drift(smaller, environment_yml_requirements(text))


def test_binder_requirements_match_core_and_lab():
    lines = [line.split("#")[0].strip()
             for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()]
    reqs = [Requirement(line) for line in lines if line and not line.startswith("-")]
    actual = {_norm(r.name): str(r.specifier) for r in reqs if _applies_311(r)}
    assert dependency_drift(pyproject_requirements(("lab",)), actual) == []


def test_course_material_with_matplotlib_runs_in_the_lab_environment():
    """matplotlib (the seed course's plots, most course material) is a lab dependency.

    The lab extra holds it, so environment.yml and binder/requirements.txt do too (the two
    tests above), and a figure can be drawn in this environment.
    """
    assert "matplotlib" in pyproject_requirements(("lab",))
    code = ("import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt; "
            "fig, ax = plt.subplots(); ax.plot([0, 1], [1, 0]); fig.canvas.draw(); "
            "print(fig.canvas.get_width_height())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(640, 480)"  # matplotlib's default 6.4 x 4.8 in at 100 dpi


@pytest.mark.parametrize(("version", "brian2", "numpy_ok", "numpy_bad"), [
    ("3.11", "2.9.0", "2.3.5", "2.4.0"),
    ("3.12", "2.10.1", "2.4.0", None),
    ("3.13", "2.11.0", "2.4.0", None),
])
def test_pins_follow_the_python_version(version, brian2, numpy_ok, numpy_bad):
    """Python 3.11 gets Brian2 2.9 with numpy < 2.4; newer Pythons get the newer Brian2."""
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    env = {"python_version": version, "python_full_version": f"{version}.0"}
    active = [Requirement(d) for d in deps]
    active = [r for r in active if r.marker is None or r.marker.evaluate(env)]
    by_name = {}
    for r in active:
        by_name.setdefault(_norm(r.name), []).append(r)
    assert all(r.specifier.contains(brian2) for r in by_name["brian2"])
    assert all(r.specifier.contains(numpy_ok) for r in by_name["numpy"])
    if numpy_bad:
        assert not all(r.specifier.contains(numpy_bad) for r in by_name["numpy"])


# --------------------------------------------------------------------------- generated files
def _untracked_files() -> set[str]:
    """Every file under the repository that git does not track, ignored ones included."""
    out = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "--ignored",
                          "--directory", "--no-empty-directory"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    untracked = subprocess.run(["git", "ls-files", "--others", "--exclude-standard"],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return {p for p in (out + untracked).splitlines() if not p.startswith(".venv")}


SIMULATION = textwrap.dedent(
    """
    import dynsim._brian
    dynsim._brian.configure()
    from brian2 import NeuronGroup, Network, ms, prefs
    from dynsim.engine import codeobj_class
    group = NeuronGroup(3, "dv/dt = -v/(10*ms) : 1", threshold="v > 0.5", reset="v = 0",
                        method="exact", name="foundation_probe", dt=0.1 * ms,
                        codeobj_class=codeobj_class("cython"))
    group.v = [0.2, 0.6, 1.0]
    net = Network(group, name="foundation_probe_net")
    net.run(2 * ms)
    print(prefs.codegen.runtime.cython.cache_dir)
    """
)


def test_simulation_leaves_no_files_outside_the_cache(tmp_path):
    """A compiled simulation writes only to $DYNSIM_CACHE_DIR: nothing in cwd or the repo."""
    work = tmp_path / "work"
    cache = tmp_path / "cache"
    work.mkdir()
    before = _untracked_files()
    env = dict(os.environ, DYNSIM_CACHE_DIR=str(cache), PYTHONPYCACHEPREFIX=str(cache / "pyc"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = subprocess.run([sys.executable, "-c", SIMULATION], cwd=work, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert Path(out.stdout.strip().splitlines()[-1]) == (cache / "brian2-cython").resolve()
    compiled = list((cache / "brian2-cython").rglob("*.so")) + \
        list((cache / "brian2-cython").rglob("*.pyd"))
    assert compiled, "the compiled Cython modules should be in the dynsim cache"
    assert list(work.iterdir()) == []
    assert _untracked_files() == before


# --------------------------------------------------------------------------- the README's commands
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.lab
def test_lab_command_serves_jupyterlab_on_localhost(tmp_path):
    """``python3 tasks.py lab`` answers /lab on 127.0.0.1 with its token within 60 s."""
    port, token = _free_port(), "dynsim-test-" + os.urandom(8).hex()
    env = dict(os.environ, DYNSIM_LAB_TOKEN=token, JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"))
    log = tmp_path / "lab.log"
    with log.open("w") as fh:
        proc = subprocess.Popen([sys.executable, str(ROOT / "tasks.py"), "lab", "--no-browser",
                                 f"--port={port}", "--ServerApp.port_retries=0"],
                                cwd=tmp_path, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        start, status, body = time.monotonic(), None, ""
        while time.monotonic() - start < 60:
            try:
                with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/lab?token={token}", timeout=5) as resp:
                    status, body = resp.status, resp.read().decode()
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None:
                    break
                time.sleep(0.5)
        elapsed = time.monotonic() - start
        assert status == 200, log.read_text()[-3000:]
        assert "JupyterLab" in body
        print(f"\nlab command answered /lab in {elapsed:.1f} s")
        # the token is required: without it the API refuses
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents", timeout=5)
        assert refused.value.code in (401, 403)
        with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/api/contents?token={token}", timeout=5) as resp:
            names = {item["name"] for item in json.load(resp)["content"]}
        assert "index.ipynb" in names  # served from exercises/
        text = log.read_text()
        assert f"http://127.0.0.1:{port}/" in text and token in text  # URL with token printed
        # the token is not on the command line, which any local user can read (/proc/*/cmdline)
        if Path("/proc/self/cmdline").exists():  # Linux
            argv = _command_lines_of_group(proc.pid)
            assert any("jupyter" in line and "lab" in line for line in argv), argv
            assert not any(token in line for line in argv), argv
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
            stopped_by_sigterm = True
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            stopped_by_sigterm = False
    # Ctrl-C / SIGTERM stops the server cleanly (exit 0, or killed by the signal itself)
    assert stopped_by_sigterm, log.read_text()[-2000:]
    assert proc.returncode in (0, -signal.SIGTERM), (proc.returncode, log.read_text()[-2000:])


def _command_lines_of_group(pgid: int) -> list[str]:
    """The command lines (from /proc) of every process of the process group ``pgid``."""
    lines = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != pgid:
                continue
            lines.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, ProcessLookupError):
            continue  # the process ended meanwhile
    return lines


def test_lab_token_is_passed_in_the_environment():
    """``lab_command`` carries no token; ``lab_environment`` puts it in JUPYTER_TOKEN."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("dynsim_tasks", ROOT / "tasks.py")
    tasks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tasks)
    env, token = tasks.lab_environment({"DYNSIM_LAB_TOKEN": "from-the-user"})
    assert token == "from-the-user" and env["JUPYTER_TOKEN"] == token
    env, token = tasks.lab_environment({}, "given")
    assert env == {"JUPYTER_TOKEN": "given"}
    _, random_a = tasks.lab_environment({})
    _, random_b = tasks.lab_environment({})
    assert random_a != random_b and len(random_a) >= 32
    cmd = tasks.lab_command(Path(sys.executable), ["--port=1"])
    assert not any("token" in part.lower() for part in cmd), cmd


def test_test_command_treats_no_tests_as_failure(tmp_path):
    """pytest's exit code 5 (nothing collected) makes ``tasks.py test`` fail."""
    out = subprocess.run([sys.executable, str(ROOT / "tasks.py"), "test",
                          "tests/test_foundation.py", "-k", "no_test_has_this_name"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert out.returncode == 1, out.stdout[-2000:] + out.stderr[-2000:]
    assert "no tests" in out.stdout
    assert list(tmp_path.iterdir()) == []


def test_every_package_is_installed():
    """pyproject's package list names every package of dynsim/ and widgets/ (dynsim.widgets)."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "dynsim").rglob("__init__.py")}
    found |= {"dynsim.widgets." + ".".join(p.parent.relative_to(ROOT / "widgets").parts)
              for p in (ROOT / "widgets").rglob("__init__.py")}
    found = {name.rstrip(".") for name in found}
    assert listed == found
    import dynsim.widgets

    assert Path(dynsim.widgets.__file__).resolve().parent == ROOT / "widgets"


@pytest.mark.parametrize("name", ["dynsim._brian", "dynsim._paths", "dynsim.engine",
                                  "dynsim.checks", "dynsim.checks.loihi"])
def test_docstring_examples_of_the_foundation_run(name):
    """The examples in these modules' docstrings run and print what they show."""
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
