"""``python3 tasks.py test`` shares the suite among pytest-xdist workers: options, groups, caches.

The parallel run itself is the CI run (``.ci/run`` calls ``tasks.py test``); these tests check
the pieces it rests on: the options ``tasks.py`` adds (and when it adds none), each worker's own
cache with the shared Cython modules, and the groups that keep a file on one worker.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support import LONG_FILES, load_script, relative_test_path, worker_cache_dir

from dynsim._paths import CACHE_ENV

ROOT = Path(__file__).resolve().parent.parent
TASKS = load_script("dynsim_tasks_parallel", ROOT / "tasks.py")


def OPTIONS(workers: int) -> list[str]:
    return ["-n", str(workers), "--dist", "loadfile", "--no-loadscope-reorder"]


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


# --------------------------------------------------------------------------- tasks.py options
def test_one_worker_per_core_at_most_four_each_file_on_one_worker():
    workers = min(_cores(), 4)
    expected = [] if workers < 2 else [*OPTIONS(workers)]
    assert TASKS.parallel_options([], {}) == expected
    assert TASKS.parallel_options(["tests/test_sweep.py", "-k", "resume"], {}) == expected
    assert TASKS.parallel_options(["-p", "no:randomly", "-x"], {}) == expected  # other plugins


@pytest.mark.parametrize("text, expected", [
    ("1", []), ("2", OPTIONS(2)), (" 3 ", OPTIONS(3)), ("64", OPTIONS(64)),
])
def test_the_number_of_workers_can_be_chosen(text, expected):
    assert TASKS.parallel_options([], {TASKS.WORKERS_ENV: text}) == expected


@pytest.mark.parametrize("args", [["-n", "3"], ["-n3"], ["--numprocesses=auto"],
                                  ["--dist", "load"], ["-p", "no:xdist"], ["-pno:xdist"]])
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


# --------------------------------------------------------------------------- order
def test_the_long_files_name_existing_tests_once():
    for name in LONG_FILES:
        assert (ROOT / name).is_file(), f"{name}: renamed? update tests/support.py"
    assert len(set(LONG_FILES)) == len(LONG_FILES)


def test_a_worker_starts_with_the_long_files_in_their_order(request):
    order = [relative_test_path(item.fspath, ROOT) for item in request.session.items]
    if not hasattr(request.config, "workerinput"):  # pytest alone: collection order, unsorted
        return
    first = list(dict.fromkeys(order))[:len([f for f in LONG_FILES if f in order])]
    assert first == [f for f in LONG_FILES if f in order]
