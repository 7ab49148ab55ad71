#!/usr/bin/env python3
"""The two commands of the README, and a few more for contributors.

    python3 tasks.py lab     # set up .venv, open JupyterLab on exercises/ (127.0.0.1, token)
    python3 tasks.py test    # set up .venv, run every test: lint, unit, notebooks, browser

Each command creates or reuses a virtual environment (``.venv`` beside this file, or
``$DYNSIM_VENV``), installs exactly the extras it needs (``lab`` or ``lab,test``) when the
environment is new or ``pyproject.toml`` changed, and then runs. Only the standard library is
used here, so a machine with nothing but ``python3``, pip and a C compiler is enough.

Other commands: ``bench`` (benchmarks/run.py), ``exercises`` (rebuild the student and solution
notebooks from exercises/source), ``lint`` (ruff only), ``course`` (the nbgrader course:
``generate|release|collect|autograde|feedback|grades``, see :func:`cmd_course`).

Generated files never land in the repository or the working directory: Brian2's compiled code,
Python bytecode, the ruff and hypothesis caches all go under ``$DYNSIM_CACHE_DIR`` (default: the
user cache directory, ``~/.cache/dynsim`` on Linux).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
MIN_PYTHON = (3, 11)
EXTRAS = {"lab": ("lab",), "test": ("lab", "test"), "bench": ("lab", "test"),
          "exercises": ("lab", "test"), "lint": ("test",), "course": ("lab",)}
#: the committed nbgrader course (``nbgrader_config.py`` and ``source/``)
COURSE = ROOT / "exercises" / "course"
COURSE_STEPS = ("generate", "release", "collect", "autograde", "feedback", "grades")


def _say(msg: str) -> None:
    print(f"[dynsim] {msg}", flush=True)


def _user_cache_dir() -> Path:
    env = os.environ.get("DYNSIM_CACHE_DIR")
    if env:
        return Path(env).expanduser().resolve()
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    elif os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return (base / "dynsim").resolve()


def venv_dir() -> Path:
    """Return the virtual environment the commands use (``$DYNSIM_VENV`` or ``.venv``)."""
    return Path(os.environ.get("DYNSIM_VENV", ROOT / ".venv")).expanduser().resolve()


def _venv_python(vdir: Path) -> Path:
    return vdir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _stamp(extras: tuple[str, ...]) -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    return f"{digest} {sys.version_info.major}.{sys.version_info.minor} {','.join(sorted(extras))}"


def ensure_venv(extras: tuple[str, ...]) -> Path:
    """Create or reuse the virtual environment and install ``.[extras]`` into it.

    Returns the environment's Python interpreter.
    """
    if sys.version_info < MIN_PYTHON:
        sys.exit(f"dynsim needs Python >= {'.'.join(map(str, MIN_PYTHON))}; "
                 f"this is {sys.version.split()[0]} ({sys.executable}).")
    vdir = venv_dir()
    py = _venv_python(vdir)
    stamp_file = vdir / "dynsim-installed.txt"
    installed = stamp_file.read_text().splitlines() if stamp_file.exists() else []
    wanted = _stamp(extras)
    # An environment installed with a superset of the extras for this pyproject is reused.
    for line in installed:
        digest, pyver, have = [*line.split(" "), "", "", ""][:3]
        if (digest, pyver) == tuple(wanted.split(" ")[:2]) and set(extras) <= set(have.split(",")):
            if py.exists():
                return py
    if not py.exists():
        _say(f"creating the virtual environment {vdir}")
        venv.EnvBuilder(with_pip=True, clear=vdir.exists()).create(vdir)
    spec = f"{ROOT}[{','.join(extras)}]"
    _say(f"installing dynsim with extras [{','.join(extras)}] into {vdir} (about a minute)")
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "-e", spec], check=True)
    stamp_file.write_text(wanted + "\n")
    return py


def child_env(py: Path) -> dict[str, str]:
    """Environment for the commands: the venv first on PATH, every cache in the user cache."""
    env = dict(os.environ)
    cache = _user_cache_dir()
    env.setdefault("DYNSIM_CACHE_DIR", str(cache))
    # Bytecode goes to the cache, none to the repository. With bytecode writing off
    # ($PYTHONDONTWRITEBYTECODE) a prefix would only hide the bytecode pip wrote beside the
    # installed packages, and every process would compile Brian2, sympy, matplotlib and
    # Bokeh from source (seconds each: benchmarks/levers.md, "First plot (2)").
    if not env.get("PYTHONDONTWRITEBYTECODE"):
        env.setdefault("PYTHONPYCACHEPREFIX", str(cache / "pycache"))
    env.setdefault("RUFF_CACHE_DIR", str(cache / "ruff"))
    env.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    env["VIRTUAL_ENV"] = str(py.parent.parent)
    env["PATH"] = f"{py.parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONHOME", None)
    return env


def _run(cmd: list[str], env: dict[str, str]) -> int:
    _say("$ " + " ".join(cmd))
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode


def lab_command(py: Path, args: list[str], *, root: Path | None = None) -> list[str]:
    """Return the JupyterLab command line of ``tasks.py lab`` (the lab and browser tests use it).

    ``root`` (default ``exercises/``) is the directory served; the browser tests serve a
    temporary copy. The token is NOT on the command line (any local user can read a process's
    arguments in /proc): run the command with the environment of :func:`lab_environment`.
    """
    # Jupyter refuses to run as root (containers, CI) unless told that it is intended.
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return [str(py), "-m", "jupyter", "lab", *as_root,
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.root_dir={root or ROOT / 'exercises'}",
            "--ServerApp.default_url=/lab/tree/index.ipynb",
            *voila_options(),
            *args]


def voila_options() -> list[str]:
    """Return the repository's ``voila.json`` settings as command-line options.

    ``voila.json`` (repository root) is the one place of Voila's settings: Voila reads it
    itself from the server's working directory (Binder starts there), and this passes it
    to servers started elsewhere (the browser tests'). It keeps the lab-only extensions
    (nbgrader's, Notebook 7's) out of dashboards: in Voila they fail to load and log errors.
    """
    settings = json.loads((ROOT / "voila.json").read_text())["VoilaConfiguration"]
    return [f"--VoilaConfiguration.{name}={json.dumps(value)}"
            for name, value in sorted(settings.items())]


def lab_environment(env: dict[str, str], token: str | None = None) -> tuple[dict[str, str], str]:
    """Return ``env`` with the lab's token in ``JUPYTER_TOKEN``, and the token.

    Jupyter Server (>= 1.x, 2.x here) reads its token from ``JUPYTER_TOKEN``; a process's
    environment, unlike its arguments, is readable only by its own user. ``token`` defaults
    to ``$DYNSIM_LAB_TOKEN`` or a random one.
    """
    token = token or env.get("DYNSIM_LAB_TOKEN") or secrets.token_hex(24)
    return {**env, "JUPYTER_TOKEN": token}, token


#: Imports what Brian2 uses of ``distutils`` from the standard library alone (``-S``: no
#: site-packages, so no setuptools); fails where it has none (Python >= 3.12, or Debian's
#: Python without its ``python3-distutils`` package).
_STDLIB_DISTUTILS = ("-S", "-W", "ignore", "-c",
                     "import distutils.ccompiler, distutils.sysconfig, distutils.command.build_ext")


def fast_kernel_settings(py: Path) -> dict[str, str]:
    """Return the environment settings that only make the lab's kernels start faster.

    ``SETUPTOOLS_USE_DISTUTILS=stdlib`` where the standard library has ``distutils``: Brian2
    imports ``distutils``, and setuptools' copy (the default) imports setuptools and
    ``pkg_resources`` first (0.3-0.4 s of CPU per kernel); the compiler commands are the same
    (``tests/test_import_cost.py``). Python >= 3.12 has no ``distutils`` of its own: there the
    setting would break Brian2's import, so it is not made. ``binder/start`` does the same.
    """
    try:
        has_distutils = subprocess.run([str(py), *_STDLIB_DISTUTILS], timeout=60,
                                       stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL).returncode == 0
    except (OSError, subprocess.SubprocessError):
        has_distutils = False
    return {"SETUPTOOLS_USE_DISTUTILS": "stdlib"} if has_distutils else {}


def lab_kernel_settings(py: Path, data_dir: Path, env: dict[str, str]) -> dict[str, str]:
    """Install the lab's kernel into ``data_dir``; return the ``JUPYTER_PATH`` that finds it.

    The lab's kernel (``dynsim.widgets.lab_kernel``) is ipykernel's ``python3`` kernel that
    imports Brian2, Bokeh's plotting models and ``dynsim.widgets`` while it starts, so a
    student's first bench cell does not wait for them (``benchmarks/levers.md``, "First plot
    (5)"). ``data_dir`` goes first on ``JUPYTER_PATH``. ``binder/postBuild`` and
    ``binder/start`` do the same on Binder.
    """
    subprocess.run([str(py), "-m", "dynsim.widgets.lab_kernel", str(data_dir)], env=env,
                   check=True, stdout=subprocess.DEVNULL)
    path = [str(data_dir), *filter(None, env.get("JUPYTER_PATH", "").split(os.pathsep))]
    return {"JUPYTER_PATH": os.pathsep.join(path)}


def cmd_lab(args: list[str]) -> int:
    """Set up the environment and open JupyterLab on ``exercises/``."""
    py = ensure_venv(EXTRAS["lab"])
    env = {**fast_kernel_settings(py), **child_env(py)}
    env.update(lab_kernel_settings(py, Path(env["DYNSIM_CACHE_DIR"]) / "jupyter", env))
    env, token = lab_environment(env)
    cmd = lab_command(py, args)
    _say("starting JupyterLab on exercises/ (bound to 127.0.0.1). Open the URL below; "
         f"the token is {token}")
    _say("stop it with Ctrl-C")
    if os.name == "posix":
        os.chdir(ROOT)
        os.execve(cmd[0], cmd, env)
    return _run(cmd, env)


def cmd_lint(args: list[str]) -> int:
    """Run ruff over the whole project."""
    py = ensure_venv(EXTRAS["lint"])
    return _run([str(py), "-m", "ruff", "check", ".", *args], child_env(py))


def cmd_test(args: list[str]) -> int:
    """Set up the environment and run the whole test suite (ruff, then pytest)."""
    py = ensure_venv(EXTRAS["test"])
    env = child_env(py)
    rc = _run([str(py), "-m", "ruff", "check", "."], env)
    if rc != 0:
        _say("ruff found problems (above); fix them first")
        return rc
    rc = _run([str(py), "-m", "pytest", *parallel_options(args, env), *args], env)
    if rc == 5:
        _say("pytest collected no tests: that is a failure, not a pass")
        return 1
    return rc


#: Environment variable: number of pytest-xdist workers of ``tasks.py test`` (1: one process).
WORKERS_ENV = "DYNSIM_TEST_WORKERS"


def parallel_options(args: list[str], env: dict[str, str]) -> list[str]:
    """Return pytest-xdist's options for ``tasks.py test``: one worker per core, at most 4.

    Each test file runs on one worker, the long ones first (``--dist loadfile``; the order:
    ``tests/conftest.py``, which also gives each worker its own standalone-project cache).
    ``$DYNSIM_TEST_WORKERS`` sets the number (``1``: no workers, the tests run in this process,
    as ``pytest`` alone does); options of your own (``-n``/``--numprocesses``/``--dist``,
    ``-p no:xdist``) are left alone.

    Raises
    ------
    SystemExit
        If ``$DYNSIM_TEST_WORKERS`` is not a whole number from 1 to 64.
    """
    if "no:xdist" in args or any(a.startswith(("-n", "--numprocesses", "--dist", "-pno:xdist"))
                                 for a in args):
        return []
    text = env.get(WORKERS_ENV, "").strip()
    if text:
        if not text.isdigit() or not 1 <= int(text) <= 64:
            raise SystemExit(f"{WORKERS_ENV}={text!r}: give a whole number of workers, 1 to 64")
        workers = int(text)
    else:
        workers = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else os.cpu_count() or 1, 4)
    if workers < 2:
        return []
    return ["-n", str(workers), "--dist", "loadfile", "--no-loadscope-reorder"]


def cmd_bench(args: list[str]) -> int:
    """Run the benchmark suite and write benchmarks/RESULTS.md and results.json."""
    py = ensure_venv(EXTRAS["bench"])
    return _run([str(py), str(ROOT / "benchmarks" / "run.py"), *args], child_env(py))


def cmd_exercises(args: list[str]) -> int:
    """Rebuild the student and solution notebooks from ``exercises/source``."""
    py = ensure_venv(EXTRAS["exercises"])
    return _run([str(py), str(ROOT / "exercises" / "build.py"), *args], child_env(py))


def course_assignments(root: Path, names: list[str]) -> list[str]:
    """Return the assignments of a course directory (all of ``source/``, or those named)."""
    found = sorted(p.name for p in (root / "source").iterdir() if p.is_dir())
    unknown = [n for n in names if n not in found]
    if unknown:
        raise SystemExit(f"unknown assignment(s) {unknown}; the course has {found}")
    return names or found


def collect_submissions(folder: Path, root: Path) -> list[str]:
    """Copy ``folder/<student>/<assignment>/`` into the course's ``submitted/``.

    Returns the students found. Only folders of known assignments are taken; a student's
    files replace their earlier submission of the same assignment.
    """
    known = set(course_assignments(root, []))
    students = []
    for student in sorted(p for p in folder.iterdir() if p.is_dir()):
        for assignment in sorted(p for p in student.iterdir() if p.is_dir()):
            if assignment.name not in known:
                _say(f"skipped {assignment}: not an assignment of the course {sorted(known)}")
                continue
            target = root / "submitted" / student.name / assignment.name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(assignment, target)
            students.append(student.name)
    return sorted(set(students))


def course_commands(step: str, root: Path, names: list[str], py: str | Path) -> list[list[str]]:
    """Return the nbgrader command lines of one step (run them in the course directory)."""
    nbgrader = [str(py), "-m", "nbgrader"]  # it reads nbgrader_config.py of the course folder
    if step == "grades":
        return [[*nbgrader, "export", f"--to={root / 'grades.csv'}"]]
    verb = {"generate": ["generate_assignment", "--force"], "release": ["release_assignment",
            "--force"], "autograde": ["autograde", "--force"],
            "feedback": ["generate_feedback", "--force"]}[step]
    return [[*nbgrader, verb[0], name, *verb[1:]]
            for name in course_assignments(root, names)]


def cmd_course(args: list[str]) -> int:
    """Run one step of the nbgrader course (``python3 tasks.py course STEP [...]``).

    ``generate [NAME...]`` makes the student versions (``release/``) of the assignments;
    ``release [NAME...]`` puts them in the course's exchange folder; ``collect FOLDER`` takes
    ``FOLDER/<student>/<assignment>/*.ipynb``; ``autograde [NAME...]`` runs and grades every
    submission (``DYNSIM_GRADING=1``: a NOT YET check scores nothing, its hint is the error);
    ``feedback [NAME...]`` writes ``feedback/<student>/<assignment>/*.html``; ``grades``
    writes ``grades.csv``. ``--root DIR`` (default ``exercises/course``) runs the course in
    DIR (``nbgrader_config.py`` and ``source/`` are copied there when missing).
    """
    root = COURSE
    if "--root" in args:
        at = args.index("--root")
        root = Path(args[at + 1]).expanduser().resolve()
        args = args[:at] + args[at + 2:]
    if not args or args[0] not in COURSE_STEPS:
        _say(f"usage: python3 tasks.py course {{{'|'.join(COURSE_STEPS)}}} [--root DIR] "
             "[NAME... | FOLDER]")
        return 2
    step, rest = args[0], args[1:]
    if root != COURSE:
        root.mkdir(parents=True, exist_ok=True)
        if not (root / "nbgrader_config.py").exists():
            shutil.copy2(COURSE / "nbgrader_config.py", root / "nbgrader_config.py")
        if not (root / "source").exists():
            shutil.copytree(COURSE / "source", root / "source")
    py = ensure_venv(EXTRAS["course"])
    return run_course(step, root, rest, py, child_env(py))


def run_course(step: str, root: Path, rest: list[str], py: str | Path,
               env: dict[str, str]) -> int:
    """Run one course step in the course directory ``root``; return an exit code.

    Grading runs with ``DYNSIM_GRADING=1``. nbgrader records a submission that cannot be
    graded (e.g. a changed notebook) in its log and goes on with the next one.
    """
    env = {**env, "DYNSIM_GRADING": "1" if step == "autograde" else ""}
    if step == "collect":
        if len(rest) != 1 or not Path(rest[0]).is_dir():
            _say("usage: python3 tasks.py course collect FOLDER (FOLDER/<student>/<assignment>/)")
            return 2
        students = collect_submissions(Path(rest[0]).resolve(), root)
        _say(f"collected {len(students)} student(s) into {root / 'submitted'}")
        return 0
    for cmd in course_commands(step, root, rest, py):
        _say("$ " + " ".join(cmd))
        rc = subprocess.run(cmd, cwd=root, env=env).returncode
        if rc != 0:
            return rc
    return 0


COMMANDS = {"lab": cmd_lab, "test": cmd_test, "lint": cmd_lint, "bench": cmd_bench,
            "exercises": cmd_exercises, "course": cmd_course}


def main(argv: list[str]) -> int:
    """Dispatch ``tasks.py <command> [args...]``."""
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        print("commands:", ", ".join(COMMANDS))
        return 2
    if shutil.which("gcc") is None and shutil.which("cc") is None:
        _say("no C compiler found: Brian2 will fall back to its (slower) numpy target")
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
