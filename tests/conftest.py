"""Shared pytest set-up: caches out of the repository, fast engine for short simulations."""

from __future__ import annotations

import os
from pathlib import Path

# Short unit simulations run on Brian2's numpy target (no compile wait). Tests that need the
# compiled engine ask for it explicitly (engine="cython").
os.environ.setdefault("DYNSIM_ENGINE", "numpy")

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import DirectoryBasedExampleDatabase
from support import LONG_FILES, relative_test_path, worker_cache_dir

from dynsim._paths import CACHE_ENV, cache_dir

ROOT = Path(__file__).resolve().parent.parent


# Under pytest-xdist each worker gets its own cache (standalone projects), sharing the
# compiled Cython modules: see support.worker_cache_dir.
_WORKER_CACHE = worker_cache_dir(os.environ)
if _WORKER_CACHE is not None:
    os.environ[CACHE_ENV] = str(_WORKER_CACHE)

# Notebooks under tests/ are fixtures that the browser tests open, not nbval tests.
collect_ignore_glob = ["browser/fixtures/*.ipynb", "**/fixtures/*.ipynb"]

# Hypothesis keeps everything (example database, constants cache) in dynsim's cache, not in
# ./.hypothesis of the working directory.
set_hypothesis_home_dir(cache_dir() / "hypothesis")
settings.register_profile(
    "dynsim",
    database=DirectoryBasedExampleDatabase(str(cache_dir() / "hypothesis" / "examples")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("dynsim")


@pytest.fixture
def numpy_target():
    """Run the user's own Brian2 objects (monitors, inputs) with the numpy target."""
    from brian2 import prefs

    previous = prefs.codegen.target
    prefs.codegen.target = "numpy"
    try:
        yield
    finally:
        prefs.codegen.target = previous


# --------------------------------------------------------------------------- parallel runs
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """On a pytest-xdist worker: the long files first (``support.LONG_FILES``).

    ``tasks.py test`` runs ``--dist loadfile --no-loadscope-reorder``: a file is one unit of
    work (its tests share module-scoped fixtures, an nbval notebook's cells one kernel), handed
    out in collection order, which this sorts. The sort is stable: each file keeps its order.
    """
    if not hasattr(config, "workerinput"):
        return
    rank = {name: index for index, name in enumerate(LONG_FILES)}
    items.sort(key=lambda item: rank.get(relative_test_path(item.fspath, ROOT), len(rank)))
