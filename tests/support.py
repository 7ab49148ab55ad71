"""Helpers shared by tests of several areas (``tests/`` is on ``sys.path``: its conftest.py).

* :func:`load_script` imports a script of the repository that is not a package module
  (``tasks.py``, ``exercises/build.py``, ``binder/warm_cache.py``).
* :func:`package_modules` and :func:`failed_doc_examples` run the examples in the docstrings
  of every module of a package (each area's doctest test).
* :func:`worker_cache_dir`, :func:`relative_test_path` and ``LONG_FILES``: how
  ``python3 tasks.py test`` shares the suite among pytest-xdist workers (``conftest.py``).
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType


def load_script(name: str, path: Path) -> ModuleType:
    """Import the file ``path`` as a module called ``name`` (not put in ``sys.modules``)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def package_modules(package: ModuleType) -> list[str]:
    """Return the names of ``package`` and of every module in it, in alphabetical order."""
    found = pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.")
    return [package.__name__, *sorted(info.name for info in found)]


def failed_doc_examples(name: str) -> int:
    """Run the examples in the docstrings of module ``name``; return how many failed."""
    return doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS).failed


# --------------------------------------------------------------------------- parallel runs
#: Test files that start first on the pytest-xdist workers, longest first ("longest processing
#: time first": a long file started last would leave the other worker idle at the end). The
#: order comes from the test durations that every run prints (``--durations``); it is a
#: scheduling hint only: a file missing here still runs, after these, in collection order.
LONG_FILES = (
    "tests/test_exercises.py",
    "tests/test_course.py",
    "tests/test_binder.py",
    "tests/loihi/test_loihi_cython.py",
    "tests/widgets/test_widget_hardening.py",
    "tests/test_benchmarks.py",
    "tests/dynapse/test_samna_standin.py",
    "tests/browser/test_exercise_browser.py",
    "tests/test_sweep_exercise.py",
    "tests/widgets/test_standalone_bench.py",
    "tests/dynapse/test_dynapse_model_standalone.py",
)


def relative_test_path(path: Path, root: Path) -> str:
    """Return a test's file relative to the repository (``root``), with forward slashes."""
    return Path(path).resolve().relative_to(root).as_posix()


def worker_cache_dir(environ: Mapping[str, str]) -> Path | None:
    """Return (and prepare) this pytest-xdist worker's own dynsim cache, or None.

    Brian2's Cython cache is safe to share between processes (Brian2 compiles each module
    under a file lock), and sharing it compiles each module once. A ``cpp_standalone``
    project folder is not: two processes building or running the same model in one folder
    overwrite each other's files. So a worker (``$PYTEST_XDIST_WORKER`` set) gets
    ``<cache>/test-workers/<worker>/`` (its standalone projects, its Hypothesis database), in
    which ``brian2-cython`` is a link to the shared Cython cache. Outside xdist, or when the
    cache already is a worker's, it returns None.

    Parameters
    ----------
    environ : Mapping[str, str]
        The environment (``os.environ``): ``PYTEST_XDIST_WORKER`` and ``DYNSIM_CACHE_DIR``.
    """
    from dynsim._paths import CACHE_ENV, cache_dir

    worker = environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return None
    given = environ.get(CACHE_ENV)
    shared = Path(given).expanduser().resolve() if given else cache_dir()
    if shared.parent.name == "test-workers":  # already a worker's (a nested session)
        return None
    own = shared / "test-workers" / worker
    own.mkdir(parents=True, exist_ok=True)
    (shared / "brian2-cython").mkdir(exist_ok=True)
    link = own / "brian2-cython"
    if not link.is_symlink():
        link.symlink_to(shared / "brian2-cython", target_is_directory=True)
    return own

