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
from support import LONG_GROUPS, SPLIT_FILES, worker_cache_dir, xdist_group_of

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
    """Under ``--dist loadgroup``: keep each file on one worker, the long groups first.

    A file's tests share its module-scoped fixtures (an emulated Binder image, a course
    directory, a Dask cluster) and an nbval notebook's cells share one kernel, so a file is
    one unit of work (its ``xdist_group``, :func:`support.xdist_group_of`); the files of
    ``support.SPLIT_FILES`` are split per test. This hook runs before xdist's own
    (``tryfirst``), which reads the group marks.
    """
    if config.getoption("dist", default=None) != "loadgroup":
        return
    rank = {name: index for index, name in enumerate(LONG_GROUPS)}
    groups = {item.nodeid: xdist_group_of(Path(str(item.fspath)).resolve().relative_to(ROOT))
              for item in items}
    for item in items:
        group = groups[item.nodeid]
        if group not in SPLIT_FILES and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(group))
    # longest groups first; sort is stable, so each file keeps its own order
    items.sort(key=lambda item: rank.get(groups[item.nodeid], len(rank)))
