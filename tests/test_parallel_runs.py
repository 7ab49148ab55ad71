"""``python3 tasks.py test`` shares the suite among pytest-xdist workers: options, groups, caches.

The parallel run itself is the CI run (``.ci/run`` calls ``tasks.py test``); these tests check
the pieces it rests on: the options ``tasks.py`` adds (and when it adds none), each worker's own
cache with the shared Cython modules, and the groups that keep a file on one worker.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from support import LONG_GROUPS, SPLIT_FILES, load_script, worker_cache_dir, xdist_group_of

from dynsim._paths import CACHE_ENV

ROOT = Path(__file__).resolve().parent.parent
TASKS = load_script("dynsim_tasks_parallel", ROOT / "tasks.py")


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


# --------------------------------------------------------------------------- tasks.py options
def test_one_worker_per_core_at_most_four_each_file_on_one_worker():
    workers = min(_cores(), 4)
    expected = [] if workers < 2 else ["-n", str(workers), "--dist", "loadgroup"]
    assert TASKS.parallel_options([], {}) == expected
    assert TASKS.parallel_options(["tests/test_sweep.py", "-k", "resume"], {}) == expected


@pytest.mark.parametrize("text, expected", [
    ("1", []), ("2", ["-n", "2", "--dist", "loadgroup"]),
    (" 3 ", ["-n", "3", "--dist", "loadgroup"]), ("64", ["-n", "64", "--dist", "loadgroup"]),
])
def test_the_number_of_workers_can_be_chosen(text, expected):
    assert TASKS.parallel_options([], {TASKS.WORKERS_ENV: text}) == expected


@pytest.mark.parametrize("args", [["-n", "3"], ["-n3"], ["--numprocesses=auto"],
                                  ["--dist", "load"], ["-p", "no:xdist"]])
def test_the_users_own_xdist_options_are_left_alone(args):
    assert TASKS.parallel_options(args, {TASKS.WORKERS_ENV: "2"}) == []


@pytest.mark.parametrize("text", ["0", "65", "-1", "two", "2.5", "1e3", "99999999999999999999"])
def test_a_wrong_number_of_workers_is_refused_with_the_valid_range(text):
    with pytest.raises(SystemExit, match=r"DYNSIM_TEST_WORKERS=.*whole number of workers, 1 to 64"):
        TASKS.parallel_options([], {TASKS.WORKERS_ENV: text})


# --------------------------------------------------------------------------- worker caches
def test_each_worker_has_its_own_cache_and_shares_the_compiled_cython_modules(tmp_path):
    shared = tmp_path / "cache"
    caches = {w: worker_cache_dir({"PYTEST_XDIST_WORKER": w, CACHE_ENV: str(shared)})
              for w in ("gw0", "gw1")}
    assert caches == {w: shared.resolve() / "test-workers" / w for w in ("gw0", "gw1")}
    (shared / "brian2-cython" / "module.so").write_text("compiled once")
    for cache in caches.values():
        assert (cache / "brian2-cython").is_symlink()
        assert (cache / "brian2-cython" / "module.so").read_text() == "compiled once"
        assert not (cache / "brian2-standalone").exists()  # projects: each worker its own
    # again (a second conftest import): the same folder, the link kept
    assert worker_cache_dir({"PYTEST_XDIST_WORKER": "gw0", CACHE_ENV: str(shared)}) == caches["gw0"]


def test_outside_xdist_and_inside_a_worker_cache_nothing_changes(tmp_path):
    assert worker_cache_dir({CACHE_ENV: str(tmp_path)}) is None
    assert list(tmp_path.iterdir()) == []
    own = tmp_path / "test-workers" / "gw0"
    own.mkdir(parents=True)
    assert worker_cache_dir({"PYTEST_XDIST_WORKER": "gw0", CACHE_ENV: str(own)}) is None
    assert list(own.iterdir()) == []


def test_this_worker_uses_its_own_cache(request):
    from dynsim._paths import cache_dir, standalone_dir

    workerinput = getattr(request.config, "workerinput", None)
    if workerinput is None:  # pytest alone: the cache the user chose
        assert cache_dir().parent.name != "test-workers"
        return
    assert cache_dir().parent.name == "test-workers"
    assert cache_dir().name == workerinput["workerid"]
    assert (cache_dir() / "brian2-cython").is_symlink()
    probe = standalone_dir("test_parallel_runs_probe")
    assert probe.parent.parent == cache_dir()
    probe.rmdir()


# --------------------------------------------------------------------------- groups
def test_the_long_groups_and_split_files_name_existing_tests():
    for name in (*LONG_GROUPS, *SPLIT_FILES):
        assert (ROOT / name).exists(), f"{name}: renamed? update tests/support.py"
    assert len(set(LONG_GROUPS)) == len(LONG_GROUPS)
    assert set(SPLIT_FILES) <= set(LONG_GROUPS)


def test_a_file_is_a_group_and_the_browser_tests_are_one():
    assert xdist_group_of(Path("tests/test_sweep.py")) == "tests/test_sweep.py"
    notebook = "exercises/solutions/01_x.ipynb"
    assert xdist_group_of(Path(notebook)) == notebook
    assert {xdist_group_of(p.relative_to(ROOT)) for p in (ROOT / "tests" / "browser").glob(
        "test_*.py")} == {"tests/browser"}


def test_a_split_file_has_no_costly_shared_fixture_to_repeat():
    # a split file's tests may land on both workers, which would each build such a fixture
    for name in SPLIT_FILES:
        shared = re.findall(r'@pytest\.fixture\(scope="(?:module|package|session)"\)\s*\ndef (\w+)',
                            (ROOT / name).read_text())
        assert shared == ["timings"], (name, shared)  # a dict of papermill times: nothing built
