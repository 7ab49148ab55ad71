"""dynsim.sweep on a real LocalCluster of two worker processes.

One cluster is shared by the module (starting one takes seconds); every test that needs it
asks for the ``client`` fixture. What is checked:

* the table of a sweep equals the serial run of the same points exactly (seeded runs);
* a point that raises is recorded with its error text, the others go on;
* a worker process killed (SIGKILL, by pid) in the middle of a point is replaced and its point
  runs again: the sweep completes every point;
* a results folder makes a re-run compute nothing;
* the calling process keeps its working directory, Brian2 device, Brian2 preferences and
  environment (papermill points change directory only inside their worker);
* each worker has its own dynsim cache, over the one shared Cython cache: a new module that
  both workers ask for at the same time is compiled once (the other loads it);
* bad input is refused before anything runs, with the error a single call raises; a
  scheduler address that does not answer raises SchedulerError within 10 s;
* a sweep can be cancelled;
* memory (issue 15): a worker holds none of the packages no point uses (pylab/matplotlib,
  pytest, pandas, bokeh, ipywidgets), yet they stay importable there; notebook points run one
  at a time per machine (a slot a killed process held is free again).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cloudpickle
import nbformat
import numpy as np
import pytest
from brian2 import ms, second

import dynsim.sweep
from dynsim.errors import (
    BiasRangeError,
    SchedulerError,
    SweepError,
    SweepGridError,
    UnknownBiasError,
)
from dynsim.sweep import (
    CONNECT_TIMEOUT_S,
    SCHEDULER_ENV,
    WORKER_HIDDEN_MODULES,
    ExperimentPoint,
    NotebookPoint,
    ResultStore,
    Sweep,
    _import_without,
    _share_cython_cache,
    connect,
    grid_points,
    machine_slot,
    point_key,
    sweep,
)

# the point functions below travel to the workers by value (the workers cannot import tests/)
cloudpickle.register_pickle_by_value(sys.modules[__name__])

ROOT = Path(__file__).resolve().parent.parent
FI_NOTEBOOK = ROOT / "exercises" / "sweeps" / "fi_point.ipynb"
#: adaptation off, as in exercise 2 and in fi_point.ipynb
NO_ADAPTATION = {"IF_AHW_P": (0, 0)}


@pytest.fixture(scope="module")
def client():
    with connect(n_workers=2) as dask_client:
        dask_client.wait_for_workers(2, timeout=120)
        yield dask_client


def square(x, seed=0):
    """A point function: fails on x == 3 (a recorded error), else returns x² + seed."""
    if x == 3:
        raise ValueError("x = 3 is not allowed here")
    return {"y": x * x + seed}


@dataclass(frozen=True)
class Logged:
    """Appends one line per call to a file, sleeps ``pause`` s; x == crash_at waits to be killed."""

    folder: str
    pause: float = 0.0
    crash_at: int | None = None

    def __call__(self, x):
        folder = Path(self.folder)
        with (folder / "calls.txt").open("a") as handle:
            handle.write(f"{x} {os.getpid()}\n")
        started = folder / "started"
        if x == self.crash_at and not started.exists():
            started.write_text(str(os.getpid()))
            time.sleep(60)  # the test kills this process meanwhile
        time.sleep(self.pause)
        return {"y": 2 * x, "pid": os.getpid()}


def calls(folder: Path) -> list[str]:
    path = folder / "calls.txt"
    return path.read_text().splitlines() if path.exists() else []


# ------------------------------------------------------------------ grid and keys (no cluster)
def test_grid_is_the_product_with_the_seeds_varying_fastest():
    table = grid_points({"a": [1, 2], "b": ["x", "y", "z"]}, seeds=[5, 6])
    assert len(table) == 2 * 3 * 2
    assert table.iloc[:3].to_dict(orient="records") == [
        {"a": 1, "b": "x", "seed": 5}, {"a": 1, "b": "x", "seed": 6},
        {"a": 1, "b": "y", "seed": 5}]


def test_a_table_of_points_is_used_as_it_is():
    table = grid_points([{"a": 1, "b": 2}, {"a": 7, "b": 0}])
    assert table.to_dict(orient="records") == [{"a": 1, "b": 2}, {"a": 7, "b": 0}]


@pytest.mark.parametrize("grid, seeds, fragment", [
    ("abc", None, "dict"),
    ({"a": []}, None, "empty"),
    ({"a": 3}, None, "list of values"),
    ({"a": [1]}, [], "seeds is empty"),
    ({"seed": [1]}, [2], "seed"),
    ({"status": [1]}, None, "reserved"),
    ({"a": range(1001), "b": range(1001)}, None, "1000000"),
    ({"a": [1]}, [-1], "seed"),
])
def test_malformed_grids_are_refused(grid, seeds, fragment):
    with pytest.raises(SweepGridError, match=fragment):
        grid_points(grid, seeds)


def test_point_key_ignores_order_and_tuple_or_list_but_not_values():
    assert point_key({"a": 1, "b": (2, 3)}, "f") == point_key({"b": [2, 3], "a": 1}, "f")
    assert point_key({"a": 1}, "f") != point_key({"a": 2}, "f")
    assert point_key({"a": 1}, "f") != point_key({"a": 1}, "g")


def test_serial_sweep_records_a_failing_point_and_goes_on():
    table = sweep(square, {"x": [1, 2, 3, 4]}, cluster="serial", progress=False)
    assert table["status"].tolist() == ["ok", "ok", "error", "ok"]
    assert table.loc[2, "error"] == "ValueError: x = 3 is not allowed here"
    assert table.loc[[0, 1, 3], "y"].tolist() == [1, 4, 16]


def test_a_reused_experiment_gives_the_runs_of_a_fresh_one():
    reused = ExperimentPoint(duration=0.1, engine="numpy", n_neurons=2, name="reuse_check")
    fresh = dataclasses.replace(reused, reuse=False)
    points = [{"IF_DC_P": (3, 40), "seed": 1, "mismatch_seed": 4, "AMPA_rate": 300,
               "AMPA_weight": 2},
              {"IF_DC_P": (2, 150), "IF_RFR_N": (0, 85), "seed": 2},  # no input, no mismatch
              {"IF_DC_P": (3, 40), "seed": 1, "mismatch_seed": 4, "AMPA_rate": 300,
               "AMPA_weight": 2}]
    got = [reused(**p) for p in points]
    assert got == [fresh(**p) for p in points]
    assert got[0] == got[2] and got[0] != got[1]
    assert got[0]["spikes"] > 0
    assert point_key(points[0], reused) == point_key(points[0], fresh)


def test_a_point_counts_the_spikes_a_full_recording_of_the_same_run_has(monkeypatch):
    """A point records no current (memory, issue 15); its numbers are those of a full recording.

    The same points run once with the point's lean recording and once with every current
    recorded (``POINT_RECORD`` set to ``None``, the Experiment's default): the spikes come from
    the same simulation, so every returned number is equal, exactly. The rheobases, computed
    a few neurons at a time (``RHEOBASE_CHUNK``), equal those of all neurons at once.
    """
    import dynsim.sweep as sweep_module
    from dynsim.dynapse import physics
    from dynsim.dynapse.circuits import bias_currents
    from dynsim.dynapse.mismatch import mismatch_factors

    n_neurons = 2 * sweep_module.RHEOBASE_CHUNK + 3  # two whole chunks and a part
    lean = ExperimentPoint(n_neurons=n_neurons, duration=0.1, engine="numpy",
                           biases=NO_ADAPTATION, rheobase=True, name="lean_check", reuse=False)
    points = [{"IF_DC_P": (3, 40), "mismatch_seeds": tuple(range(100, 100 + n_neurons)),
               "seed": 2, "AMPA_rate": 300, "AMPA_weight": 2},
              {"IF_DC_P": (2, 150), "mismatch_seed": 7, "seed": 1}]
    lean_results = [lean(**p) for p in points]
    lean_experiment = lean._experiment(lean._settings(points[0]), reuse=False)
    lean_run = lean_experiment.run(0.1 * second)
    monkeypatch.setattr(sweep_module, "POINT_RECORD", None)
    full_results = [lean(**p) for p in points]
    full_run = lean._experiment(lean._settings(points[0]), reuse=False).run(0.1 * second)
    assert lean_results == full_results
    assert all(r["spikes"] > 0 for r in lean_results)  # a comparison of real spike trains
    assert len(set(lean_results[0]["rates_Hz"])) > 1  # and of different chips
    assert lean_run.currents == {} and set(full_run.currents) == set(physics.STATE_VARIABLES)
    assert np.array_equal(lean_run.spike_indices, full_run.spike_indices)
    assert np.array_equal(lean_run.spike_times, full_run.spike_times)
    assert np.array_equal(lean_run.t, full_run.t) and len(lean_run.t) == 1000
    at_once = physics.rheobase(bias_currents(
        [lean_experiment.parameter_group] * n_neurons,
        mismatch_factors(lean_experiment.mismatch, lean_experiment.global_ids)))
    assert lean_results[0]["rheobases_A"] == at_once.tolist()
    assert len(set(at_once.tolist())) == n_neurons


def test_rheobases_in_chunks_and_remembered_equal_those_of_all_neurons_at_once():
    """The point's rheobases (chunks of RHEOBASE_CHUNK, a per-process memo) are the physics'.

    Twenty mismatched neurons, then the same with one neuron's gain changed (a new key: its
    rheobase moves, the others stay), then the first again (from the memo): each equals
    ``physics.rheobase`` of all neurons at once, exactly, and the DC bias does not enter.
    """
    from dynsim.dynapse import Dynapse1ParameterGroup, Mismatch, physics
    from dynsim.dynapse.circuits import bias_currents
    from dynsim.dynapse.mismatch import mismatch_factors
    from dynsim.sweep import _rheobases

    group = Dynapse1ParameterGroup()
    currents = bias_currents([group] * 20, mismatch_factors(Mismatch(0.1, 3), range(20)))
    changed = {**currents, "Ith_mem": currents["Ith_mem"].copy()}
    changed["Ith_mem"][5] *= 2.0
    other_dc = {**currents, "Idc": currents["Idc"] * 3.0}
    for case in (currents, changed, currents, other_dc):
        assert _rheobases(case).tolist() == physics.rheobase(case).tolist()
    first, second = physics.rheobase(currents), physics.rheobase(changed)
    assert first[5] != second[5] and np.array_equal(np.delete(first, 5), np.delete(second, 5))


def test_a_spikes_only_experiment_allocates_none_of_the_recorded_currents():
    """The six currents of N neurons over n steps are 6 N n doubles: the lean run saves them.

    ``tracemalloc`` sees numpy's allocations; the peak of a run recording every current exceeds
    the peak of the same run recording none by at least the size of the recorded arrays.
    """
    import gc
    import tracemalloc

    from dynsim.dynapse import Experiment, physics

    n_neurons, n_steps = 40, 500
    peaks = {}
    for record in ((), None):
        experiment = Experiment(n_neurons, engine="numpy", record=record, name="alloc_check")
        experiment.set_bias({"IF_DC_P": (3, 40), **NO_ADAPTATION})
        experiment.run(n_steps * 0.1 * ms)  # builds the objects outside the measurement
        gc.collect()
        tracemalloc.start()
        recording = experiment.run(n_steps * 0.1 * ms)
        peaks[record] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert len(recording.spike_indices) > 0
        del experiment, recording
    currents = len(physics.STATE_VARIABLES) * n_neurons * n_steps * 8  # bytes
    assert peaks[None] - peaks[()] >= currents


# ------------------------------------------------------------------ bad input, before any work
UNREACHABLE = "tcp://127.0.0.1:9"  # validation must fail before this is ever contacted


def test_an_unknown_bias_is_refused_with_the_single_call_error():
    point = ExperimentPoint(duration=0.1, engine="numpy")
    with pytest.raises(UnknownBiasError, match="IF_DC_P") as info:
        sweep(point, {"IF_DC_PP": [(2, 60)]}, cluster=UNREACHABLE, progress=False)
    assert "nothing was run" in info.value.__notes__[0]


def test_a_bias_out_of_range_is_refused_before_any_work():
    point = ExperimentPoint(duration=0.1, engine="numpy")
    with pytest.raises(BiasRangeError, match=r"coarse value 8 is outside 0\.\.7"):
        sweep(point, {"IF_DC_P": [(2, 60), (8, 10)]}, cluster=UNREACHABLE, progress=False)


def test_a_parameter_the_function_does_not_take_is_refused():
    with pytest.raises(SweepGridError, match=r"takes no parameter 'xx'.*Did you mean 'x'"):
        sweep(square, {"xx": [1]}, cluster=UNREACHABLE, progress=False)


def test_a_notebook_parameter_that_does_not_exist_is_refused():
    with pytest.raises(SweepGridError, match=r"no parameter 'dc_fin'.*Did you mean 'dc_fine'"):
        sweep(NotebookPoint(str(FI_NOTEBOOK)), {"dc_fin": [1]}, cluster=UNREACHABLE)


@pytest.mark.parametrize("options, fragment", [
    ({"retries": -1}, "retries"), ({"retries": 1.5}, "retries"), ({"n_workers": 0}, "n_workers"),
    ({"progress": "yes"}, "progress"), ({"cluster": "localhost"}, "tcp://host:8786"),
])
def test_bad_options_are_refused(options, fragment):
    with pytest.raises(SweepError, match=fragment):
        Sweep(square, {"x": [1]}, **options)


def test_a_results_path_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(SweepError, match="is a file"):
        ResultStore(tmp_path / "file")


def test_a_scheduler_that_does_not_answer_fails_within_ten_seconds(monkeypatch):
    with socket.socket() as probe:  # a free port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(SCHEDULER_ENV, f"tcp://127.0.0.1:{port}")
    started = time.perf_counter()
    with pytest.raises(SchedulerError, match=f"127.0.0.1:{port} did not answer"):
        sweep(square, {"x": [1]}, progress=False)
    assert time.perf_counter() - started < 10.0
    assert CONNECT_TIMEOUT_S < 10.0


# ------------------------------------------------------------------ on the cluster
def test_cluster_results_equal_serial_results_exactly(client):
    point = ExperimentPoint(duration=0.15, engine="numpy", biases=NO_ADAPTATION, n_neurons=2)
    grid = {"IF_DC_P": [(2, 150), (3, 40)], "mismatch_seed": [None, 4]}
    parallel = sweep(point, grid, seeds=[1], cluster=client, progress=False)
    serial = sweep(point, grid, seeds=[1], cluster="serial", progress=False)
    measured = ["spikes", "rate_Hz", "rate_std_Hz", "rates_Hz", "dc_current_A", "status"]
    assert parallel[measured].to_dict() == serial[measured].to_dict()
    assert set(parallel["status"]) == {"ok"}
    assert parallel["spikes"].max() > 0  # the highest DC level fires: a real comparison
    assert len(set(parallel["worker"])) == 2  # both workers took points
    assert os.getpid() not in set(parallel["worker"])


def test_a_failing_point_on_the_cluster_is_recorded_and_the_others_go_on(client):
    table = sweep(square, {"x": [1, 2, 3, 4]}, seeds=[10], cluster=client, progress=False)
    assert table["status"].tolist() == ["ok", "ok", "error", "ok"]
    assert table.loc[2, "error"] == "ValueError: x = 3 is not allowed here"
    assert table.loc[[0, 1, 3], "y"].tolist() == [11, 14, 26]


def test_a_killed_worker_is_replaced_and_its_point_runs_again(client, tmp_path):
    point = Logged(str(tmp_path), pause=0.2, crash_at=3)
    killed = {}

    def kill_when_started():
        marker = tmp_path / "started"
        deadline = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)  # the point is sleeping inside the worker now
        killed["pid"] = int(marker.read_text())
        os.kill(killed["pid"], signal.SIGKILL)

    killer = threading.Thread(target=kill_when_started)
    killer.start()
    table = sweep(point, {"x": list(range(8))}, cluster=client, progress=False)
    killer.join()
    assert table["status"].tolist() == ["ok"] * 8
    assert table["y"].tolist() == [2 * x for x in range(8)]
    assert table.loc[3, "pid"] != killed["pid"]  # point 3 finished in another process
    assert [line.split()[0] for line in calls(tmp_path)].count("3") == 2  # it ran twice
    client.wait_for_workers(2, timeout=60)  # the nanny replaced the worker


def test_a_resumed_sweep_computes_nothing_that_is_stored(client, tmp_path):
    point = Logged(str(tmp_path / "log"))
    (tmp_path / "log").mkdir()
    grid = {"x": [1, 2, 3, 4, 5]}
    first = sweep(point, grid, cluster=client, results=tmp_path / "results", progress=False)
    assert first["source"].tolist() == ["computed"] * 5
    assert len(calls(tmp_path / "log")) == 5
    again = sweep(point, grid, cluster=UNREACHABLE, results=tmp_path / "results",
                  progress=False)  # nothing to compute: no cluster is even contacted
    assert again["source"].tolist() == ["stored"] * 5
    assert len(calls(tmp_path / "log")) == 5
    assert again[["x", "y", "status"]].to_dict() == first[["x", "y", "status"]].to_dict()
    # a larger grid computes only its new points
    more = sweep(point, {"x": [1, 2, 3, 4, 5, 6]}, cluster=client,
                 results=tmp_path / "results", progress=False)
    assert more["source"].tolist() == ["stored"] * 5 + ["computed"]
    assert len(calls(tmp_path / "log")) == 6
    assert len(ResultStore(tmp_path / "results").load()) == 6


def _brian_state():
    import brian2

    return brian2.get_device().__class__.__name__, brian2.prefs.as_file


def test_the_calling_process_is_unchanged(client, tmp_path, monkeypatch):
    import dynsim.dynapse  # noqa: F401 - dynsim's own Brian2 settings are applied on import

    monkeypatch.chdir(tmp_path)
    before = (os.getcwd(), _brian_state(), dict(os.environ), sorted(os.listdir(tmp_path)))
    notebook = sweep(NotebookPoint(str(FI_NOTEBOOK)),
                     {"dc_fine": [250], "duration": [0.05]},
                     seeds=[1], cluster=client, progress=False)
    direct = sweep(ExperimentPoint(duration=0.05, engine="numpy", biases=NO_ADAPTATION),
                   {"IF_DC_P": [(2, 250)]}, seeds=[1], cluster=client,
                   progress=False)
    after = (os.getcwd(), _brian_state(), dict(os.environ), sorted(os.listdir(tmp_path)))
    assert after == before
    assert notebook["status"].tolist() == ["ok"], notebook["error"].tolist()
    # the notebook (papermill in the worker) and the Experiment point measure the same neuron
    assert notebook["spikes"].tolist() == direct["spikes"].tolist()
    assert notebook["spikes"].iloc[-1] > 0


def test_each_worker_has_its_own_dynsim_cache(client):
    def where():
        from dynsim._paths import cache_dir, cython_cache_dir

        return {"cache": str(cache_dir()), "cython": str(cython_cache_dir())}

    table = sweep(lambda x: dict(where(), pid=os.getpid()), [{"x": k} for k in range(6)],
                  cluster=client, progress=False)
    by_worker = table.groupby("pid")["cache"].unique()
    caches = {c for values in by_worker for c in values}
    assert all(len(values) == 1 for values in by_worker)  # one cache per worker process
    assert len(caches) == len(by_worker) >= 2
    from dynsim._paths import cache_dir

    for cache in caches:
        assert Path(cache).parent == cache_dir() / "dask-workers"


@dataclass(frozen=True)
class NewModule:
    """Waits until both workers run a point, then asks Brian2 for the same new Cython module.

    Returns how many times this process compiled it (Brian2's ``cythonize`` call here, or
    a compile in a child, :func:`dynsim._brian.compile_cython_module`, counted), what the
    module returns and where it was loaded from.
    """

    folder: str
    token: str

    def __call__(self, point):
        from brian2.codegen.runtime.cython_rt import extension_manager as manager

        import dynsim._brian as settings

        settings.configure()  # the Cython cache of dynsim (what any point of dynsim uses)
        folder = Path(self.folder)
        (folder / f"in-{point}").write_text(str(os.getpid()))
        deadline = time.monotonic() + 60
        while len(list(folder.glob("in-*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        compiled = []
        original = manager.Cython_Build.cythonize
        in_child = settings.compile_cython_module  # dynsim compiles in a child process

        def counted(*args, **kwargs):
            compiled.append(kwargs)
            return original(*args, **kwargs)

        def counted_child(*args, **kwargs):
            compiled.append(kwargs)
            return in_child(*args, **kwargs)

        manager.Cython_Build.cythonize = counted
        settings.compile_cython_module = counted_child
        try:
            module = manager.cython_extension_manager.create_extension(
                f"def token():\n    return {self.token!r}\n")
        finally:
            manager.Cython_Build.cythonize = original
            settings.compile_cython_module = in_child
        return {"compiled": len(compiled), "value": module.token(), "pid": os.getpid(),
                "file": str(Path(module.__file__).resolve())}


def test_two_workers_asking_for_the_same_new_module_compile_it_once(client, tmp_path,
                                                                  monkeypatch):
    # both points at once (a sweep's first point otherwise runs alone): Brian2's lock in the
    # shared cache is what keeps two processes from compiling one module twice
    monkeypatch.setattr(dynsim.sweep, "FIRST_POINT_ALONE", False)
    token = os.urandom(8).hex()  # a module no cache holds yet
    table = sweep(NewModule(str(tmp_path), token), {"point": [0, 1]}, cluster=client,
                  progress=False)
    assert table["status"].tolist() == ["ok", "ok"], table["error"].tolist()
    assert len(set(table["pid"])) == 2  # one point per worker, at the same time
    assert sorted(table["compiled"]) == [0, 1]  # one compiled it, the other waited and loaded
    assert table["value"].tolist() == [token, token]
    from dynsim._paths import cython_cache_dir

    assert {Path(f).parent for f in table["file"]} == {cython_cache_dir().resolve()}


@dataclass(frozen=True)
class Stamped:
    """Returns when it started and ended (s since the epoch; one clock for the machine)."""

    pause: float = 0.3

    def __call__(self, x):
        start = time.time()
        time.sleep(self.pause)
        return {"start": start, "end": time.time(), "pid": os.getpid()}


def test_the_first_point_runs_alone_then_the_others(client):
    table = sweep(Stamped(), {"x": list(range(5))}, cluster=client, progress=False)
    assert table["status"].tolist() == ["ok"] * 5, table["error"].tolist()
    assert (table["start"].iloc[1:] >= table["end"].iloc[0]).all()  # nothing beside the first


@dataclass(frozen=True)
class HoldsCompiler:
    """Point 0 leaves Cython's compiler in its process, as compiling a module does."""

    def __call__(self, x):
        if x == 0:
            import Cython.Compiler.Pipeline  # noqa: F401  (imported by Cython only to compile)
        return {"pid": os.getpid()}


def test_a_worker_that_compiled_during_the_first_point_is_restarted_before_the_others(client):
    table = sweep(HoldsCompiler(), {"x": [0, 1, 2, 3]}, cluster=client, progress=False)
    assert table["status"].tolist() == ["ok"] * 4, table["error"].tolist()
    assert table["pid"].iloc[0] not in set(table["pid"].iloc[1:])  # a fresh process took over
    workers = client.run(os.getpid)  # and the cluster still has both workers, one of them new
    assert len(workers) == 2 and table["pid"].iloc[0] not in workers.values()
    assert "_compiled_in" not in table.columns


def test_a_worker_cython_cache_becomes_a_link_to_the_shared_one(tmp_path):
    shared, own = tmp_path / "brian2-cython", tmp_path / "worker-0" / "brian2-cython"
    shared.mkdir()
    (shared / "kept.so").write_bytes(b"kernel's module")
    own.mkdir(parents=True)  # the former layout: links to the shared modules, its own modules
    (own / "kept.so").symlink_to(shared / "kept.so")
    (own / "worker.so").write_bytes(b"worker's module")
    (own / "worker.lock").write_text("")
    _share_cython_cache(own, shared)
    assert own.is_symlink() and own.resolve() == shared.resolve()
    assert sorted(p.name for p in shared.iterdir()) == ["kept.so", "worker.so"]
    assert (own / "worker.so").read_bytes() == b"worker's module"  # kept, now shared
    assert sorted(p.name for p in own.parent.iterdir()) == ["brian2-cython"]  # nothing aside
    _share_cython_cache(own, shared)  # again (a restarted worker): unchanged
    assert own.resolve() == shared.resolve()
    other = tmp_path / "elsewhere"
    other.mkdir()
    _share_cython_cache(own, other)  # a link to another root is replaced
    assert own.resolve() == other.resolve()
    assert (shared / "worker.so").exists()  # the old root is left as it was


def test_a_sweep_can_be_cancelled(client, tmp_path):
    job = None

    def cancel_after_first(done, total, row):
        job.cancel()

    job = Sweep(Logged(str(tmp_path), pause=0.5), {"x": list(range(10))}, cluster=client,
                progress=cancel_after_first)
    table = job.run()
    assert "cancelled" in set(table["status"])
    assert (table["status"] == "ok").sum() >= 1
    assert len(calls(tmp_path)) < 10


# ------------------------------------------------------------------ memory (issue 15)
#: packages of the Jupyter side or of Brian2's import that no sweep point uses
NOT_IN_A_WORKER = (*WORKER_HIDDEN_MODULES, "pandas", "bokeh", "ipywidgets", "papermill")


def test_a_package_is_hidden_only_while_the_module_is_imported(tmp_path, monkeypatch):
    optional, user = "dynsim_probe_optional", "dynsim_probe_user"
    (tmp_path / f"{optional}.py").write_text("VALUE = 1\n")
    (tmp_path / f"{user}.py").write_text(
        f"try:\n    import {optional}\n    FOUND = True\nexcept ImportError:\n    FOUND = False\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert _import_without([optional], user).FOUND is False
        assert optional not in sys.modules  # hidden meanwhile, not imported
        assert importlib.import_module(optional).VALUE == 1  # importable again afterwards
        assert _import_without([optional], user) is sys.modules[user]  # imported once
    finally:
        for name in (optional, user):
            sys.modules.pop(name, None)


WORKER_PROBE = """
import json, sys, types, importlib.util
from dynsim.sweep import WorkerIsolation
WorkerIsolation().setup(types.SimpleNamespace(name="import-probe"))  # as in a Dask worker
import brian2, dynsim.dynapse  # what an ExperimentPoint imports
print(json.dumps({"units": str(3 * brian2.pA), "loaded": sorted(n for n in %r if n in sys.modules),
                  "importable": [importlib.util.find_spec(n) is not None for n in %r]}))
"""


def test_a_worker_process_holds_no_package_a_point_does_not_use(tmp_path):
    # a process of its own (this one has pytest, matplotlib ... already); the points of the
    # cluster tests above run on workers set up so
    done = subprocess.run([sys.executable, "-c", WORKER_PROBE % (NOT_IN_A_WORKER,
                                                                 WORKER_HIDDEN_MODULES)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={**os.environ, "DYNSIM_SWEEP_ROOT_CACHE": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["units"] == "3. pA"  # Brian2 works without them
    assert found["loaded"] == []
    assert found["importable"] == [True] * len(WORKER_HIDDEN_MODULES)


def test_the_cluster_workers_import_brian2_without_matplotlib(client):
    # (pytest is left out here: this module's point functions travel by value from a
    # pytest-rewritten module)
    def modules():
        return {"brian2": "brian2" in sys.modules,
                "loaded": sorted(n for n in NOT_IN_A_WORKER if n != "pytest" and n in sys.modules)}

    for found in client.run(modules).values():
        assert found == {"brian2": True, "loaded": []}


def test_a_machine_slot_is_exclusive_and_freed_when_its_holder_dies(tmp_path):
    with machine_slot("probe", 1, folder=tmp_path) as first:
        started = time.perf_counter()
        with machine_slot("probe", 1, wait=0.3, folder=tmp_path) as second:
            waited = time.perf_counter() - started
        with machine_slot("probe", 2, folder=tmp_path) as other:
            pass
    assert (first, second, other) == (0, None, 1)
    assert waited >= 0.3  # it waited for the slot, then ran without one
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from dynsim.sweep import machine_slot\n"
         f"with machine_slot('probe', 1, folder={str(tmp_path)!r}):\n"
         "    print('held', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with machine_slot("probe", 1, wait=0.2, folder=tmp_path) as taken:
            assert taken is None
        holder.kill()  # SIGKILL: no clean-up in the holder
        holder.wait(timeout=30)
        with machine_slot("probe", 1, wait=5.0, folder=tmp_path) as freed:
            assert freed == 0
    finally:
        holder.kill()
        holder.stdout.close()


@pytest.mark.parametrize("name, slots, wait, fragment", [
    ("../x", 1, 1.0, "name"), ("probe", 0, 1.0, "slots"), ("probe", 1.5, 1.0, "slots"),
    ("probe", 1, -1.0, "wait"), ("probe", 1, float("nan"), "wait")])
def test_a_bad_machine_slot_is_refused(tmp_path, name, slots, wait, fragment):
    with pytest.raises(SweepError, match=fragment), \
            machine_slot(name, slots, wait=wait, folder=tmp_path):
        pass
    assert list(tmp_path.iterdir()) == []  # nothing was locked or written


@pytest.mark.parametrize("options", [{"max_running": 0}, {"max_running": 257},
                                     {"max_running": 1.5}])
def test_a_bad_max_running_is_refused(options):
    with pytest.raises(SweepError, match="max_running"):
        NotebookPoint(str(FI_NOTEBOOK), **options)


def test_notebook_points_run_one_at_a_time_on_the_machine(client, tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.cells = [
        nbformat.v4.new_code_cell("x = 0", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import json, os, time\nstart = time.time()\n"
                                  "time.sleep(0.5)"),
        nbformat.v4.new_code_cell(
            "print(json.dumps({'start': start, 'end': time.time(),\n"
            "                  'nested': os.environ.get('DYNSIM_NOTEBOOK_POINT')}))",
            metadata={"tags": ["result"]})]
    path = tmp_path / "timed.ipynb"
    nbformat.write(notebook, path)
    table = sweep(NotebookPoint(str(path)), {"x": [1, 2]}, cluster=client, progress=False)
    assert table["status"].tolist() == ["ok", "ok"], table["error"].tolist()
    assert len(set(table["worker"])) == 2  # both workers took a point ...
    spans = sorted(zip(table["start"], table["end"], strict=True))
    assert spans[0][1] <= spans[1][0]  # ... and the second kernel ran after the first
    assert set(table["nested"]) == {"1"}  # a sweep in there would not wait for this slot
