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

from dynsim._paths import cache_dir

ROOT = Path(__file__).resolve().parent.parent

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
