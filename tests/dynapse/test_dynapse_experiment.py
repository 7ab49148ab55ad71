"""Experiment: fast re-simulation from rest, streaming callbacks, the standalone engine."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from brian2 import Hz, Network, NeuronGroup, StateMonitor, amp, ms, pA, second
from brian2.devices.device import get_device, reset_device, runtime_device, set_device

import dynsim.engine as engine_module
from dynsim.dynapse import Experiment, Recording
from dynsim.engine import resolve_engine, standalone_unavailable_reason
from dynsim.errors import (
    BiasRangeError,
    CAMLimitError,
    DynapseWeightWarning,
    EngineError,
    InvalidCoreError,
    InvalidNeuronError,
    InvalidSettingError,
    UnknownSynapseTypeError,
    WeightError,
)

STANDALONE = standalone_unavailable_reason() is None


def widget_like(engine, name, n=1):
    """One neuron with all four synapse types, as the bias-slider widget uses it."""
    exp = Experiment(n, engine=engine, name=name, seed=5)
    exp.set_input("AMPA", rate=80 * Hz, weight=3)
    exp.set_input("NMDA", rate=30 * Hz, weight=2)
    exp.set_input("GABA_A", rate=20 * Hz, kind="regular")
    exp.set_input("GABA_B", times=[100, 250, 600] * ms, weight=4)
    exp.set_bias({"Idc": 150 * pA})
    return exp


def test_results_have_units_and_all_currents():
    exp = widget_like("numpy", "shape", n=2)
    result = exp.run(120 * ms)
    assert isinstance(result, Recording) and result.progress == 1.0
    assert result.t.shape == (1200,) and float(result.t[1] / ms) == pytest.approx(0.1)
    for name in ("Imem", "Iahp", "I_ampa", "I_nmda", "I_gaba_a", "I_gaba_b"):
        assert result.currents[name].shape == (2, 1200)
        assert getattr(result, name).dim == amp.dim
    assert result.neuron_ids.tolist() == [0, 1]
    assert set(np.unique(result.spike_indices)) <= {0, 1}
    assert len(result.spike_trains()) == 2
    assert "2 neurons" in repr(result) and "AMPA: poisson" in repr(exp)
    with pytest.raises(AttributeError, match="was not recorded"):
        result.Vmem  # noqa: B018
    only = Experiment(1, engine="numpy", name="only", record=["Imem"], core="Core_2",
                      chip_id=1).run(10 * ms)
    assert list(only.currents) == ["Imem"] and only.neuron_ids.tolist() == [1024 + 512]


def test_every_run_starts_from_rest_with_the_current_settings():
    exp = widget_like("numpy", "rest")
    first, again = exp.run(200 * ms), exp.run(200 * ms)
    assert np.array_equal(first.Imem, again.Imem)
    assert float(first.Imem[0, 0] / pA) == pytest.approx(1.0)
    exp.set_bias({"Itau_ampa": 5 * pA})
    slower = exp.run(200 * ms)
    assert not np.array_equal(first.I_ampa, slower.I_ampa)
    assert exp.get_bias().param_map["NPDPIE_TAU_F_P"].coarse_value == 0
    shorter = exp.run(50 * ms)  # a new duration rebuilds, same start
    assert np.array_equal(shorter.I_ampa, slower.I_ampa[:, :500])
    exp.clear_input("AMPA")
    assert "AMPA" not in exp.inputs
    exp.clear_input()
    assert exp.inputs == {} and float(exp.run(20 * ms).I_nmda.max() / pA) == pytest.approx(1.0)


def test_inputs_are_weighted_event_counts():
    exp = Experiment(2, engine="numpy", name="counts")
    exp.set_input("AMPA", rate=1000 * Hz, kind="regular", weight=2)
    exp.set_input("GABA_B", times=[1.0, 1.04, 3] * ms)
    exp.set_input("NMDA", rate=50, weight=1, independent=False)
    counts = exp.input_counts(5 * ms)
    assert counts.shape == (50, 8)
    ampa = counts[:, 6:8]
    assert ampa.sum(axis=0).tolist() == [10, 10] and set(np.unique(ampa)) == {0, 2}
    gaba_b = counts[:, 0]
    assert gaba_b[10] == 2 and gaba_b[30] == 1 and gaba_b.sum() == 3  # two events in a step
    assert np.array_equal(counts[:, 4], counts[:, 5])  # a shared NMDA train


def test_callback_streams_partial_results_with_progress():
    exp = widget_like("numpy", "stream")
    seen: list[tuple[float, int]] = []
    result = exp.run(200 * ms, chunk=50 * ms,
                     callback=lambda r: seen.append((r.progress, r.Imem.shape[1])))
    progress = [p for p, _ in seen]
    lengths = [n for _, n in seen]
    assert progress == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert lengths[-1] == 2000 and all(a < b for a, b in itertools.pairwise(lengths))
    assert np.array_equal(result.Imem, exp.run(200 * ms).Imem)  # streaming changes nothing


@pytest.mark.parametrize(("action", "error", "match"), [
    (lambda e: e.set_input("KAINATE", rate=5 * Hz), UnknownSynapseTypeError, "AMPA"),
    (lambda e: e.set_input("AMPA"), InvalidSettingError, "rate="),
    (lambda e: e.set_input("AMPA", rate=-1 * Hz), InvalidSettingError, ">= 0"),
    (lambda e: e.set_input("AMPA", rate=5 * ms), InvalidSettingError, "in Hz"),
    (lambda e: e.set_input("AMPA", rate=5 * Hz, kind="bursty"), InvalidSettingError, "kind"),
    (lambda e: e.set_input("AMPA", times=[1, 2]), InvalidSettingError, "array of times"),
    (lambda e: e.set_input("AMPA", times=[-1] * ms), InvalidSettingError, ">= 0"),
    (lambda e: e.set_input("AMPA", rate=5 * Hz, weight=-2), WeightError, ">= 0"),
    (lambda e: e.set_input("AMPA", rate=5 * Hz, weight=[1, 2]), InvalidSettingError, "one"),
    (lambda e: e.set_input("AMPA", rate=5 * Hz, weight=70), CAMLimitError, "80 CAM entries"),
    (lambda e: e.set_bias({"IF_DC_P": (9, 0)}), BiasRangeError, "coarse"),
    (lambda e: e.set_bias({"IF_DC_P": (1, 0)}, "Core_3"), InvalidCoreError, "Core_0"),
    (lambda e: e.run(5), InvalidSettingError, "with units"),
    (lambda e: e.run(0.01 * ms), InvalidSettingError, "shorter than dt"),
    (lambda e: e.run(1 * ms, callback=3), InvalidSettingError, "callable"),
    (lambda e: e.run(1 * ms, chunk=-1 * ms), InvalidSettingError, "> 0"),
    (lambda e: Experiment(0), InvalidNeuronError, "1..256"),
    (lambda e: Experiment(1, name="no good"), InvalidSettingError, "identifier"),
    (lambda e: Experiment(1, record=["Vmem"]), InvalidSettingError, "cannot record"),
    (lambda e: Experiment(1, core="Core_7"), InvalidCoreError, "Core_0"),
    (lambda e: Experiment(1, mismatch=0.2), InvalidSettingError, "Mismatch"),
    (lambda e: Experiment(1, engine="gpu"), EngineError, "unknown engine"),
])
def test_experiment_errors_leave_it_unchanged(action, error, match):
    exp = Experiment(1, engine="numpy", name="errors")
    exp.set_input("NMDA", rate=5 * Hz, weight=10)
    before = (exp.inputs, exp.get_bias())
    with pytest.raises(error, match=match):
        action(exp)
    assert (exp.inputs, exp.get_bias()) == before


def test_cam_budget_is_shared_by_the_four_inputs():
    exp = Experiment(1, engine="numpy", name="budget")
    exp.set_input("AMPA", rate=5 * Hz, weight=30)
    exp.set_input("NMDA", rate=5 * Hz, weight=30)
    with pytest.raises(CAMLimitError, match=r"other inputs use 60"):
        exp.set_input("GABA_A", rate=5 * Hz, weight=5)
    exp.set_input("AMPA", rate=5 * Hz, weight=34)  # replacing an input frees its entries
    assert exp.inputs["AMPA"].weight == 34
    exp.set_input("AMPA", rate=5 * Hz, weight=32)
    with pytest.warns(DynapseWeightWarning, match="1.5 was set to 2"):
        exp.set_input("GABA_B", rate=5 * Hz, weight=1.5)
    assert exp.inputs["GABA_B"].weight == 2


def test_engine_names_and_fallback(monkeypatch):
    with pytest.raises(EngineError, match="only available for classes"):
        resolve_engine("standalone")
    assert resolve_engine("standalone", allow_standalone=True) == "standalone"
    monkeypatch.setattr(engine_module, "standalone_unavailable_reason",
                        lambda: "the 'make' program was not found")
    with pytest.warns(RuntimeWarning, match="'make' program was not found.*runtime engine"):
        exp = Experiment(1, engine="standalone", name="fallback")
    assert exp.engine in ("cython", "numpy") and "make" in exp.fallback_reason


def test_make_missing_is_reported(monkeypatch):
    import dynsim.engine as engine

    real = engine.shutil.which
    monkeypatch.setattr(engine.shutil, "which",
                        lambda name: None if name == "make" else real(name))
    reason = engine.standalone_unavailable_reason()
    if engine._compiler_available():
        assert reason == "the 'make' program was not found"
    else:
        assert "compiler" in reason


def latency(exp, runs):
    times, results = [], []
    for k in range(runs):
        start = time.perf_counter()
        exp.set_bias({"IF_DC_P": (2, 20 + k)})
        results.append(exp.run(1 * second))
        times.append(time.perf_counter() - start)
    return np.percentile(times, 50), np.percentile(times, 95), results


@pytest.mark.skipif(not STANDALONE, reason="standalone needs a C++ compiler and make")
def test_standalone_matches_runtime_restores_the_device_and_is_fast(numpy_target):
    before = get_device()
    fast = widget_like("standalone", "widget")
    assert fast.engine == "standalone"
    start = time.perf_counter()
    first = fast.run(1 * second)
    build = time.perf_counter() - start
    assert get_device() is before is runtime_device
    # the user's runtime objects still work after the build
    group = NeuronGroup(1, "dv/dt = -v/(10*ms) : 1", name="user_group")
    group.v = 1
    monitor = StateMonitor(group, "v", record=True, name="user_monitor")
    Network(group, monitor).run(5 * ms)
    assert float(group.v[0]) == pytest.approx(np.exp(-0.5), rel=1e-3)
    reference = widget_like("numpy", "widget_reference").run(1 * second)
    for name in first.currents:
        np.testing.assert_allclose(first.currents[name] / amp, reference.currents[name] / amp,
                                   rtol=1e-9, atol=1e-18)
    assert np.array_equal(first.spike_indices, reference.spike_indices)
    p50, p95, results = latency(fast, 20)
    assert not np.array_equal(results[0].Imem, results[-1].Imem)  # biases reached the program
    print(f"\n[latency] standalone: cold build + first run {build:.2f} s; set_bias + run(1 s): "
          f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms (target p50 <= 100 ms)")
    # the product target is p50 <= 100 ms (benchmarks/results.json: 28 ms for 0.2 s on an idle
    # machine); 10x that target holds on a loaded 2-core CI runner
    assert p50 < 1.0, f"set_bias + run(1 s) p50 {p50 * 1000:.0f} ms (limit 1000 ms)"
    # a second Experiment takes over Brian2's standalone project; the first rebuilds on demand
    other = widget_like("standalone", "widget_other")
    other.set_bias({"Idc": 300 * pA})
    other_result = other.run(300 * ms)
    fast.set_bias({"IF_DC_P": (2, 20)})
    start = time.perf_counter()
    again = fast.run(1 * second)
    rebuild = time.perf_counter() - start
    assert np.array_equal(again.Imem, results[0].Imem)
    assert np.array_equal(other.run(300 * ms).Imem, other_result.Imem)
    assert get_device() is runtime_device
    print(f"[latency] standalone: rebuild after another Experiment {rebuild:.2f} s")
    set_device("cpp_standalone", build_on_run=False)
    try:
        with pytest.raises(EngineError, match="standalone device is active"):
            widget_like("standalone", "widget_blocked").run(10 * ms)
    finally:
        reset_device()
    assert get_device() is runtime_device


def test_runtime_cython_latency_is_reported():
    exp = widget_like("cython", "widget_cython")
    start = time.perf_counter()
    exp.run(1 * second)
    first = time.perf_counter() - start
    p50, p95, _ = latency(exp, 5)
    print(f"\n[latency] cython runtime: first run {first:.2f} s (compiles when cold); "
          f"set_bias + run(1 s): p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    streamed = []
    exp.run(200 * ms, callback=lambda r: streamed.append(r.progress), chunk=100 * ms)
    assert streamed == pytest.approx([0.5, 1.0])
    exp.clear_input()  # new inputs reach the compiled code objects
    assert float(exp.run(200 * ms).I_ampa.max() / pA) == pytest.approx(1.0)
