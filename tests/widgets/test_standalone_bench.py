"""The bench on the standalone engine: latency (printed), cache hygiene, two benches, soak.

Latency is printed, not asserted (machines differ): run with ``-s`` to see it::

    .venv/bin/python -m pytest tests/widgets/test_standalone_bench.py -s -k latency
    .venv/bin/python -m pytest tests/widgets/test_standalone_bench.py -s -m slow   # soak

``DYNSIM_WIDGETS_CYTHON=1`` adds the Cython runtime engine to the latency comparison (its
first run compiles for about a minute on a cold cache); by default the runtime engine
compared is numpy, the engine of the test suite.
"""

from __future__ import annotations

import gc
import os
import time

import numpy as np
import psutil
import pytest
from brian2 import Network, NeuronGroup, StateMonitor, ms, pA, second
from brian2.devices.device import get_device, runtime_device
from dynsim.widgets import DynapseLab
from widget_helpers import needs_standalone

#: One project for every standalone bench of this module (one cold build in CI).
NAME = "wt_standalone"


def project_files(lab: DynapseLab) -> tuple[int, int]:
    """Number of files of the bench's standalone project and bytes outside its results.

    (The results of the last run, rewritten by every run, differ by a byte or two in size.)
    """
    root = lab.experiment.project_dir
    assert root is not None and root.name.startswith(lab.experiment.name)
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files
                           if not p.relative_to(root).parts[0].startswith("results"))


def slider_latency(lab: DynapseLab, changes: int, start: int = 10) -> np.ndarray:
    """Seconds from a fine-slider change to new data in the plot's source, per change."""
    fine = lab.bias_panel.controls["IF_DC_P"].fine
    times = []
    for k in range(changes):
        assert lab.wait(300)
        before = lab.scope.updates
        t0 = time.perf_counter()
        fine.value = start + k
        assert lab.scope.wait_for_update(before, 300)
        times.append(time.perf_counter() - t0)
    assert lab.wait(300)
    return np.array(times)


def report(label: str, seconds: np.ndarray) -> str:
    p50, p95 = np.percentile(seconds * 1000, [50, 95])
    return f"{label}: p50 {p50:.0f} ms, p95 {p95:.0f} ms over {len(seconds)} changes"


@needs_standalone
def test_latency_slider_to_plot_data_is_reported(make_lab, capsys):
    start = time.perf_counter()
    lab = make_lab(engine="standalone", duration=1 * second, name=NAME)
    first = time.perf_counter() - start
    assert lab.experiment.engine == "standalone" and get_device() is runtime_device
    assert set(lab.experiment.inputs) == {"AMPA", "NMDA", "GABA_A", "GABA_B"}
    slider_latency(lab, 3, start=200)  # warm the page cache
    data = lab.scope.source.data["Imem_0"].copy()
    standalone = slider_latency(lab, 30)
    assert not np.array_equal(data, lab.scope.source.data["Imem_0"])
    assert lab.recording.Imem.shape == (1, 10_000) and lab.error_text == ""
    lines = [f"standalone: construction + first build {first:.1f} s",
             report("standalone, slider -> new data in the plot's source (1 neuron, 4 "
                    "synapse types, 1 s at dt 0.1 ms)", standalone)]
    engines = ["numpy"] + (["cython"] if os.environ.get("DYNSIM_WIDGETS_CYTHON") else [])
    for engine in engines:
        runtime = make_lab(engine=engine, duration=1 * second, name=f"wt_latency_{engine}")
        slider_latency(runtime, 1, start=200)
        lines.append(report(f"{engine} runtime (streams while it runs)",
                            slider_latency(runtime, 5)))
    with capsys.disabled():
        print("\n[latency] " + "\n[latency] ".join(lines) + " (target p50 <= 100 ms)")


@needs_standalone
def test_run_argument_files_do_not_accumulate(make_lab):
    lab = make_lab(engine="standalone", duration=1 * second, name=NAME)
    assert not lab.experiment.needs_build(1 * second)  # built when the bench was made
    assert lab.experiment.needs_build(2 * second)
    assert (lab.experiment.project_dir / f"results_{os.getpid()}").is_dir()  # this process's
    before = project_files(lab)
    for rate in range(100, 300, 20):  # every input change is a new run-argument file
        lab.set_input("AMPA", rate=rate)
        assert lab.wait(120) and lab.error_text == ""
    lab.set_input("AMPA", rate=100)
    assert lab.wait(120)
    assert project_files(lab) == before


@needs_standalone
def test_two_standalone_benches_share_the_process(make_lab, numpy_target):
    one = make_lab(engine="standalone", duration=1 * second, name=NAME)
    reference = one.recording.Imem.copy()
    two = make_lab(engine="standalone", duration=1 * second, name=NAME, seed=7)
    assert not np.array_equal(two.recording.Imem, reference)  # another input train
    one.bias_panel.controls["IF_DC_P"].fine.value = 60  # takes the project back
    assert one.wait(120) and one.error_text == ""
    one.bias_panel.controls["IF_DC_P"].fine.value = 0
    assert one.wait(120)
    np.testing.assert_array_equal(one.recording.Imem, reference)
    two.set_bias({"IF_DC_P": (1, 50)})
    assert two.wait(120) and two.error_text == ""
    assert get_device() is runtime_device
    # the user's own runtime objects still work
    group = NeuronGroup(1, "dv/dt = -v/(10*ms) : 1", name="wt_user_group")
    group.v = 1
    Network(group, StateMonitor(group, "v", record=True, name="wt_user_monitor")).run(5 * ms)
    assert float(group.v[0]) == pytest.approx(np.exp(-0.5), rel=1e-3)


@needs_standalone
@pytest.mark.slow
def test_soak_1000_slider_changes(make_lab, capsys):
    # 250 ms runs (its own project, built once): the soak is about growth, not latency, and
    # must stay well under two minutes on two busy cores
    lab = make_lab(engine="standalone", duration=250 * ms, name="wt_soak")
    fine = lab.bias_panel.controls["IF_DC_P"].fine
    coarse = lab.bias_panel.controls["IF_DC_P"].coarse
    process = psutil.Process()

    def change(k: int) -> None:
        if k % 100 == 50:  # now and then an input change too (a new run-argument file)
            lab.set_input("AMPA", rate=80 + k % 7)
        elif k % 2:
            fine.value = k % 256
        else:
            coarse.value = k % 3
        assert lab.wait(300)

    for k in range(1, 51):  # warm up (allocator, Bokeh, page cache)
        change(k)
    gc.collect()
    rss, files = process.memory_info().rss, project_files(lab)
    runs, start = lab.runs, time.perf_counter()
    for k in range(51, 1051):  # each value differs from the last of its control
        change(k)
    seconds = time.perf_counter() - start
    gc.collect()
    growth = (process.memory_info().rss - rss) / 2**20
    assert lab.runs - runs == 1000 and lab.failures == 0 and lab.error_text == ""
    after = project_files(lab)
    with capsys.disabled():
        print(f"\n[soak] 1000 slider changes (250 ms runs) in {seconds:.0f} s: RSS growth "
              f"{growth:.1f} MB (limit 50 MB); compiled project {files[0]} files / "
              f"{files[1] / 2**20:.2f} MB before, {after[0]} files / {after[1] / 2**20:.2f} MB "
              "after")
    assert growth < 50
    assert after == files
    assert float(lab.recording.Imem.max() / pA) > 0
