"""The Binder configuration builds a working lab: checked without Docker.

1. ``repo2docker --no-build --no-run`` on a copy of the repository picks the Python build pack
   (conda based) from ``binder/requirements.txt`` + ``binder/runtime.txt`` and renders a
   Dockerfile that uses ``binder/``'s requirements, postBuild and start with Python 3.11.
   Rendering the Dockerfile needs no Docker engine (``--no-build`` is a dry run).
2. ``binder/requirements.txt`` resolves (``pip install --dry-run``) against the pins of
   repo2docker's own base environment (its conda lock file for Python 3.11), and leaves
   JupyterLab, jupyter_server and ipywidgets at those pins.
3. The image, emulated (slow): a fresh venv with the base pins, then repo2docker's pip command,
   a copy of the repository as the home directory, ``binder/postBuild`` (which warms Brian2's
   Cython cache and the benches' standalone projects through ``binder/warm_cache.py``), then
   ``binder/start`` for the first simulation and the bench of exercise 1 (which must compile
   nothing) and for JupyterLab at the Binder link's URL. To keep CI short, postBuild warms
   exercise 1 only here (``DYNSIM_WARM_ONLY``); the other notebooks take the same path, and
   their execution is tested in ``tests/test_exercises.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
R2D_LOCK = "environment.py-3.11-linux-64.lock"
#: Packages of repo2docker's base environment that binder/requirements.txt must not move.
BASE_PACKAGES = ("jupyterlab", "jupyter-server", "ipywidgets", "notebook", "ipykernel",
                 "jupyterlab-widgets", "widgetsnbextension")
#: Of those, the ones our requirements name (ranges, never pins).
NAMED_IN_REQUIREMENTS = ("jupyterlab", "ipywidgets", "ipykernel")
#: Tag of the cell, in exercise 1's solution notebook, that runs its first simulation.
FIRST_SIMULATION_TAG = "first-simulation"
#: Text of the cell, in exercise 1's solution notebook, that builds its bench.
BENCH_SOURCE = "DynapseLab("
#: The notebooks the emulated image's postBuild warms (glob; all of them on Binder).
WARMED_HERE = "01_*"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def copy_repository(target: Path) -> Path:
    """Copy what a clone holds (tracked and not-ignored files) to ``target``."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for rel in filter(None, (f.decode() for f in files)):
        src = ROOT / rel
        if src.is_file():
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
    return target


# --------------------------------------------------------------------------- README link
def test_readme_binder_link_opens_the_exercise_index():
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"https://mybinder\.org/v2/gh/[^\s)\]`]+", readme)
    assert links, "the README has no Binder link"
    for link in links:
        assert link.endswith("?urlpath=lab/tree/exercises/index.ipynb"), link
    assert (ROOT / "exercises" / "index.ipynb").is_file()
    assert "mybinder.org/badge_logo.svg" in readme


# --------------------------------------------------------------------------- repo2docker
@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory) -> Path:
    return copy_repository(tmp_path_factory.mktemp("binder") / "repo")


@pytest.fixture(scope="module")
def r2d():
    return pytest.importorskip("repo2docker", reason="pip install -e .[test] (repo2docker)")


def test_repo2docker_picks_the_python_build_pack(repo_copy, r2d):
    """repo2docker's own detection (the loop of ``Repo2Docker.build``) on the repository."""
    from repo2docker.app import Repo2Docker

    with contextlib.chdir(repo_copy):
        app = Repo2Docker()
        picked = next(bp for bp in (BP(base_image=app.base_image) for BP in app.buildpacks)
                      if bp.detect())
        assert type(picked).__name__ == "PythonBuildPack"
        assert picked.binder_dir == "binder"
        assert picked.python_version == "3.11"
        assert picked.runtime[:2] == ("python", "3.11")
        scripts = "\n".join(cmd for _, cmd in picked.get_preassemble_scripts()
                            + picked.get_assemble_scripts())
    assert 'pip install --no-cache-dir -r "binder/requirements.txt"' in scripts
    # binder/ exists, so the top-level environment.yml and pyproject.toml are not used:
    # postBuild installs dynsim itself (without dependencies)
    assert "install --no-cache-dir ." not in scripts
    print(f"\nrepo2docker {r2d.__version__}: {type(picked).__name__}, Python "
          f"{picked.python_version}, base image {app.base_image}")


def test_repo2docker_dockerfile_uses_binder_files(repo_copy, r2d, tmp_path):
    start = time.monotonic()
    out = subprocess.run([str(Path(sys.executable).parent / "repo2docker"), "--no-build",
                          "--no-run", "--debug", str(repo_copy)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    text = out.stdout + out.stderr
    assert "Building conda environment for python=3.11" in text
    assert R2D_LOCK in text.replace("-2d", "-").replace("-2e", ".")  # escaped file names
    assert "COPY --chown=0:0 src/binder/requirements.txt ${REPO_DIR}/binder/requirements.txt" \
        in text
    assert '${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r "binder/requirements.txt"' \
        in text
    assert "RUN ./binder/postBuild" in text
    assert 'ENV R2D_ENTRYPOINT="${REPO_DIR}/binder/start"' in text
    assert "environment.yml" not in text.replace(R2D_LOCK, "")
    print(f"\nrepo2docker --no-build --no-run: Dockerfile rendered in "
          f"{time.monotonic() - start:.1f} s, no Docker engine needed")


def _lock_versions(r2d) -> dict[str, str]:
    """name -> version of every package in repo2docker's base environment lock (3.11)."""
    lock = Path(r2d.__file__).parent / "buildpacks" / "conda" / R2D_LOCK
    versions = {}
    for line in lock.read_text().splitlines():
        match = re.match(r"https://\S+/(?:noarch|linux-64)/(\S+?)\.(?:conda|tar\.bz2)#", line)
        if match:
            name, version, _build = match.group(1).rsplit("-", 2)
            versions[_norm(name)] = version
    return versions


@pytest.fixture(scope="module")
def base_pins(r2d) -> dict[str, str]:
    versions = _lock_versions(r2d)
    missing = [name for name in (*BASE_PACKAGES, "python") if name not in versions]
    assert missing == [], f"not in repo2docker's {R2D_LOCK}: {missing}"
    return {name: versions[name] for name in (*BASE_PACKAGES, "python")}


def test_base_environment_pins(base_pins, r2d):
    """What Binder's base environment holds (printed: the versions students get)."""
    assert base_pins["python"].startswith("3.11.")
    assert base_pins["jupyterlab"].startswith("4.")
    assert base_pins["ipywidgets"].startswith("8.")
    print(f"\nrepo2docker {r2d.__version__} base environment ({R2D_LOCK}): "
          + ", ".join(f"{k} {v}" for k, v in base_pins.items()))


def _constraints(base_pins: dict[str, str], path: Path) -> Path:
    path.write_text("".join(f"{name}=={base_pins[name]}\n" for name in BASE_PACKAGES))
    return path


def test_requirements_do_not_pin_the_base_packages():
    text = (ROOT / "binder" / "requirements.txt").read_text()
    for name in BASE_PACKAGES:
        for line in text.splitlines():
            line = line.split("#")[0].strip()
            if line and _norm(re.match(r"[A-Za-z0-9_.\-]+", line).group()) == name:
                assert "==" not in line, f"{line!r} re-pins a package of Binder's base image"


def test_requirements_resolve_against_the_base_pins(base_pins, tmp_path):
    """pip resolves binder/requirements.txt with the base pins as constraints."""
    report = tmp_path / "report.json"
    start = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
         "--report", str(report), "-r", str(ROOT / "binder" / "requirements.txt"),
         "-c", str(_constraints(base_pins, tmp_path / "base-pins.txt"))],
        capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, "does not resolve against Binder's base pins:\n" + \
        out.stderr[-4000:]
    resolved = {_norm(item["metadata"]["name"]): item["metadata"]["version"]
                for item in json.loads(report.read_text())["install"]}
    for name in (*NAMED_IN_REQUIREMENTS, "jupyter-server"):
        assert resolved[name] == base_pins[name], name
    print(f"\npip dry-run against the base pins resolved {len(resolved)} packages in "
          f"{time.monotonic() - start:.1f} s: "
          + ", ".join(f"{n} {resolved[n]}" for n in ("jupyterlab", "jupyter-server",
                                                     "ipywidgets", "bokeh", "jupyter-bokeh",
                                                     "voila", "brian2", "numpy")))


# --------------------------------------------------------------------------- the image
STAND_IN = [
    ("markdown", "Stand-in for exercise 1 (used until `exercises/solutions/` exists)", []),
    ("code", 'duration = 1.0\nseed = 0\nengine = "auto"', ["parameters"]),
    ("code", textwrap.dedent("""\
        import dynsim._brian
        from brian2 import Network, NeuronGroup, ms, second
        from brian2 import seed as brian_seed
        from dynsim.engine import codeobj_class

        dynsim._brian.configure()
        brian_seed(seed)"""), []),
    ("code", textwrap.dedent("""\
        group = NeuronGroup(3, "dv/dt = -v/(10*ms) : 1", threshold="v > 0.5", reset="v = 0",
                            method="exact", name="binder_probe", dt=0.1 * ms,
                            codeobj_class=codeobj_class(engine))
        group.v = [0.2, 0.6, 1.0]
        net = Network(group, name="binder_probe_net")
        net.run(duration * second)
        print(len(group))"""), [FIRST_SIMULATION_TAG]),
]

FIRST_SIMULATION = textwrap.dedent("""\
    # Executes a notebook up to a cell, as a kernel of the image: the cell tagged TAG, or
    # the first whose source contains TEXT (argument "tag:TAG" or "source:TEXT").
    import json, sys, time
    from pathlib import Path
    import nbformat
    from nbclient import NotebookClient

    path, stop, params = Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
    kind, _, value = stop.partition(":")

    def is_stop(cell):
        if kind == "tag":
            return value in cell.metadata.get("tags", [])
        return value in cell.source

    nb = nbformat.read(path, as_version=4)
    where = next((i + 1 for i, c in enumerate(nb.cells)
                  if "parameters" in c.metadata.get("tags", [])), 0)
    nb.cells.insert(where, nbformat.v4.new_code_cell(
        "\\n".join(f"{k} = {v!r}" for k, v in params.items())))
    client = NotebookClient(nb, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    result = {"tagged": False}
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            t0 = time.perf_counter()
            client.execute_cell(cell, index)
            if is_stop(cell):
                result.update(tagged=True, first_simulation_s=time.perf_counter() - t0)
                break
    result["until_then_s"] = time.perf_counter() - start
    print(json.dumps(result))
""")


def _without_dev_venv(path: str) -> str:
    here = str(Path(sys.prefix) / "bin")
    return os.pathsep.join(p for p in path.split(os.pathsep) if p and p != here)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Image:
    """An emulated Binder image: a venv as the kernel environment, the repository as HOME."""

    def __init__(self, base: Path):
        self.venv = base / "venv"
        self.home = base / "home"  # repo2docker: REPO_DIR = HOME
        self.timings: dict[str, float] = {}
        self.post_build_log = ""
        self.stand_in = False

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def env(self) -> dict[str, str]:
        drop = ("DYNSIM_", "JUPYTER", "PYTHON", "VIRTUAL_ENV", "IPYTHON", "XDG_", "CONDA")
        env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
        env.update(HOME=str(self.home), DYNSIM_WARM_ONLY=WARMED_HERE,
                   PATH=f"{self.venv / 'bin'}{os.pathsep}{_without_dev_venv(env['PATH'])}")
        return env

    def run(self, cmd: list[str], step: str, timeout: float = 1800,
            **kwargs) -> subprocess.CompletedProcess:
        start = time.monotonic()
        out = subprocess.run(cmd, cwd=self.home, env=self.env(), capture_output=True,
                             text=True, timeout=timeout, **kwargs)
        self.timings[step] = round(time.monotonic() - start, 1)
        assert out.returncode == 0, f"{step} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
        return out

    def cython_modules(self) -> set[str]:
        folder = self.home / ".cache" / "dynsim" / "brian2-cython"
        return {p.name for p in folder.rglob("*.so")} if folder.exists() else set()

    def standalone_binaries(self) -> dict[str, int]:
        """Path -> modification time (ns) of each built standalone project's binary."""
        folder = self.home / ".cache" / "dynsim" / "brian2-standalone"
        return {str(p): p.stat().st_mtime_ns for p in folder.glob("*/main")} \
            if folder.exists() else {}

    def execute_until(self, notebook: Path, stop: str, runner: Path) -> dict:
        """Execute ``notebook`` in a kernel of the image up to the cell ``stop`` (see above)."""
        sys.path.insert(0, str(ROOT / "binder"))
        try:
            from warm_cache import PARAMETERS
        finally:
            sys.path.pop(0)
        runner.write_text(FIRST_SIMULATION)
        out = self.run(["binder/start", "python", str(runner), str(notebook), stop,
                        json.dumps(PARAMETERS)], f"execute until {stop}")
        return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def image(tmp_path_factory, base_pins) -> Image:
    """Build the emulated image once for this module (minutes: installs and compiles)."""
    img = Image(tmp_path_factory.mktemp("binder-image"))
    copy_repository(img.home)
    solutions = img.home / "exercises" / "solutions"
    img.stand_in = not any(solutions.glob("*.ipynb"))
    if img.stand_in:  # until the exercises exist: a small model exercises the whole path
        nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
            "name": "python3", "display_name": "Python 3", "language": "python"}})
        for kind, source, tags in STAND_IN:
            make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
            nb.cells.append(make(source, metadata={"tags": tags}))
        solutions.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, solutions / "01_stand_in.ipynb")
    start = time.monotonic()
    subprocess.run([sys._base_executable, "-m", "venv", str(img.venv)], check=True)
    # the base environment (conda in the image): Binder's pins of the Jupyter packages
    img.run([str(img.python), "-m", "pip", "install", "--quiet",
             *(f"{name}=={base_pins[name]}" for name in BASE_PACKAGES)], "base environment")
    # repo2docker's own command, verbatim but for --no-cache-dir (a pip cache speeds tests)
    img.run([str(img.venv / "bin" / "pip"), "install", "--quiet", "-r",
             "binder/requirements.txt"], "pip -r binder/requirements.txt")
    out = img.run(["bash", "-c", "chmod +x binder/postBuild && ./binder/postBuild"],
                  "binder/postBuild")
    img.post_build_log = out.stdout + out.stderr
    img.timings["image total"] = round(time.monotonic() - start, 1)
    return img


@pytest.mark.slow
def test_image_keeps_the_base_pins(image, base_pins):
    out = image.run([str(image.python), "-m", "pip", "list", "--format=json"], "pip list")
    installed = {_norm(p["name"]): p["version"] for p in json.loads(out.stdout)}
    for name in BASE_PACKAGES:
        assert installed[name] == base_pins[name], f"{name} was moved by requirements.txt"
    assert "dynsim" in installed
    print(f"\n[binder image] timings (s): {image.timings}")


@pytest.mark.slow
def test_post_build_warmed_the_cache(image):
    log = image.post_build_log
    assert "[warm_cache]" in log
    notebooks = sorted((image.home / "exercises" / "solutions").glob(WARMED_HERE + ".ipynb"))
    assert notebooks
    for number, notebook in enumerate(notebooks, 1):
        assert f"{number}/{len(notebooks)} {notebook.name} ok" in log, log[-3000:]
    assert image.cython_modules(), "postBuild compiled nothing into ~/.cache/dynsim"
    if not image.stand_in:  # exercise 1's bench runs a standalone project
        assert image.standalone_binaries(), "postBuild built no standalone project"
    print("\n" + "\n".join(line for line in log.splitlines() if "[warm_cache]" in line))


def _first_notebook(image: Image) -> Path:
    return sorted((image.home / "exercises" / "solutions").glob("01*.ipynb"))[0]


@pytest.mark.slow
def test_first_simulation_of_exercise_1_starts_warm(image, tmp_path):
    """The first simulation of exercise 1 compiles nothing: the cache was warmed at build."""
    notebook = _first_notebook(image)
    before = image.cython_modules()
    result = image.execute_until(notebook, f"tag:{FIRST_SIMULATION_TAG}",
                                 tmp_path / "first_simulation.py")
    new = image.cython_modules() - before
    what = "stand-in model (no exercise notebooks yet)" if image.stand_in else notebook.name
    print(f"\n[binder image] first simulation of {what}: "
          f"{result.get('first_simulation_s', float('nan')):.2f} s "
          f"(notebook up to it {result['until_then_s']:.1f} s, tagged cell: "
          f"{result['tagged']}), {len(new)} modules compiled")
    assert result["tagged"]
    assert new == set(), f"the first simulation compiled {len(new)} modules: cache not warm"


@pytest.mark.slow
def test_bench_of_exercise_1_starts_warm(image, tmp_path):
    """Exercise 1's bench reuses the standalone project built at build time: no recompile."""
    if image.stand_in:
        pytest.skip("no exercise notebooks yet")
    notebook = _first_notebook(image)
    before_modules, before = image.cython_modules(), image.standalone_binaries()
    result = image.execute_until(notebook, f"source:{BENCH_SOURCE}", tmp_path / "bench.py")
    after = image.standalone_binaries()
    print(f"\n[binder image] notebook up to exercise 1's bench: {result['until_then_s']:.1f} s "
          f"(bench cell {result.get('first_simulation_s', float('nan')):.2f} s)")
    assert result["tagged"]
    assert image.cython_modules() == before_modules
    assert after == before, "the bench rebuilt its standalone project: not warmed at build"


@pytest.mark.slow
def test_image_serves_the_binder_url(image):
    """``binder/start jupyter lab`` in the image answers the README link's urlpath."""
    out = image.run(["binder/start", "jupyter", "labextension", "list"], "labextension list")
    listing = out.stdout + out.stderr
    assert "jupyter_bokeh" in listing and "@jupyter-widgets/jupyterlab-manager" in listing
    port, token = _free_port(), secrets.token_hex(16)
    log = image.home.parent / "lab.log"
    with log.open("w") as fh:
        proc = subprocess.Popen(
            ["binder/start", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
             *(["--allow-root"] if os.geteuid() == 0 else [])],
            cwd=image.home, env=image.env(), stdout=fh, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/lab/tree/exercises/index.ipynb?token={token}"
        deadline, status = time.monotonic() + 60, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    status, body = resp.status, resp.read().decode()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        assert status == 200, log.read_text()[-3000:]
        assert "JupyterLab" in body
        api = f"http://127.0.0.1:{port}/api/contents/exercises/index.ipynb?token={token}"
        with urllib.request.urlopen(api, timeout=10) as resp:
            assert json.load(resp)["type"] == "notebook"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
