"""Loihi widgets without a browser: set a control's value, check the network and the plot data.

Benches run on the numpy engine (``tests/conftest.py``); every expected trace comes from a
direct run of an identical network and must equal the plotted integers bit for bit. The
latency test (printed, not asserted) uses the Cython engine where a compiler exists::

    .venv/bin/python -m pytest tests/widgets/test_loihi_widgets.py -s -k latency
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter

import numpy as np
import pytest
from dynsim.widgets import LoihiLab, TraceScope, param_range
from dynsim.widgets import loihi as loihi_widgets
from dynsim.widgets._worker import simulation_lock
from widget_helpers import dom_classes

from dynsim import loihi
from dynsim.engine import resolve_engine
from dynsim.errors import LoihiNetworkError
from dynsim.loihi import (
    FloatLIF,
    compare_float_loihi,
)
from dynsim.loihi.registers import REGISTERS

TIMEOUT = 120


def network(prefix, *, n=3, n_in=2, convention=None, weights=(150, 90, 60, -60, -120, -200),
            decay_v=256, monitors=False, learning=False, engine="numpy"):
    """A small network: spike generator -> n neurons (all to all), fixed names."""
    rng = np.random.default_rng(7)
    times = np.sort(rng.choice(300, 90, replace=False))
    gen = loihi.LoihiSpikeGeneratorGroup(n_in, rng.integers(0, n_in, 90), times,
                                         name=f"{prefix}_in")
    ng = loihi.LoihiNeuronGroup(n, threshold_v_mant=300, decay_v=decay_v, decay_I=1024,
                                refractory=2, name=f"{prefix}_ng")
    extra = {"imp_x1": 40, "tau_x1": 8, "imp_y1": 40, "tau_y1": 8,
             "dw": "2^-2*x1*y0 - 2^-3*y1*x0"} if learning else {}
    syn = loihi.LoihiSynapses(gen, ng, sign_mode=2 if learning else 1, name=f"{prefix}_syn",
                              **extra)
    syn.connect(i=np.repeat(np.arange(n_in), n), j=np.tile(np.arange(n), n_in))
    syn.w = np.resize(np.abs(weights) if learning else weights, len(syn))
    objs = [gen, ng, syn]
    if monitors:
        objs += [loihi.LoihiStateMonitor(ng, ["v", "u"], name=f"{prefix}_vu"),
                 loihi.LoihiSpikeMonitor(ng, name=f"{prefix}_spikes")]
    net = loihi.LoihiNetwork(*objs, convention=convention, engine=engine, name=f"{prefix}_net")
    return net, ng, syn


def direct_v(prefix, steps=200, **kwargs):
    """v and u of a direct run of network(prefix, **kwargs) (no bench involved)."""
    net, ng, _ = network(prefix, **kwargs)
    mon = loihi.LoihiStateMonitor(ng, ["v", "u"], name=f"{prefix}_direct")
    net.add(mon)
    net.run(steps)
    return mon.values("v"), mon.values("u")


def make(labs, *args, **kwargs):
    lab = LoihiLab(*args, **kwargs)
    labs.append(lab)
    assert lab.wait(TIMEOUT), "the first run did not finish"
    assert lab.error_text == "", lab.error_text
    return lab


# --------------------------------------------------------------------------- ranges, layout
def test_ranges_come_from_the_registers_and_the_convention(labs):
    assert param_range("decay_v", "silicon") == (0, 4095)
    assert param_range("decay_v", "brian2_loihi") == (0, REGISTERS["decay_v"].high)
    assert param_range("decay_I", "silicon")[0] == 1 and param_range("decay_I",
                                                                     "brian2_loihi")[0] == 0
    for conv in ("silicon", "brian2_loihi"):
        lab = make(labs, network(f"wl_rng_{conv}", convention=conv)[0])
        assert lab.convention == conv and conv in lab.convention_label.value
        for name in ("decay_v", "decay_I", "bias_mant", "bias_exp", "refractory", "w_exp",
                     "num_weight_bits"):
            control = lab.controls[name]
            assert (control.min, control.max) == param_range(name, conv), (conv, name)
        assert (lab.controls["w_0"].min, lab.controls["w_0"].max) == (-256, 254)  # mixed
        vth = lab.controls["threshold_v_mant"]  # log slider over the whole register
        assert 2 ** vth.max == pytest.approx(REGISTERS["threshold_v_mant"].high)
    silicon, b2l = (lab.controls["decay_v"] for lab in labs)
    assert silicon.max == 4095 and b2l.max == 4096
    # a value the convention cannot hold: error in the bench, nothing changed
    lab = labs[0]
    lab.set_param("decay_I", 0)
    assert lab.wait(TIMEOUT)
    assert lab.error_text.startswith("RegisterRangeError: decay_I=0 cannot be represented")
    assert lab.network.objects and lab._model.neurons.decay_I == 1024


def test_default_lab_one_line(labs):
    lab = make(labs, engine="numpy", name="wl_default")
    traces = lab.traces
    assert traces["v"].shape == traces["u"].shape == (3, 200)
    assert traces["v"].dtype == traces["u"].dtype == np.int64
    assert traces["t_step"].tolist() == list(range(200))
    counts = np.bincount(traces["spike_i"], minlength=3)
    assert counts[0] > counts[1] > counts[2] > 0  # three answers to one input
    assert traces["threshold"] == 500 << 6 == 32000
    classes = Counter(dom_classes(lab.widget))
    for name in ("dynsim-bench", "dynsim-error", "dynsim-status", "dynsim-lab-steps",
                 "dynsim-lab-run", "dynsim-loihi-convention", "dynsim-param-decay_v",
                 "dynsim-param-decay_I", "dynsim-param-threshold_v_mant",
                 "dynsim-param-bias_mant", "dynsim-param-w_exp", "dynsim-param-w_0",
                 "dynsim-param-w_5", "dynsim-scope-neurons"):
        assert classes[name] == 1, name
    assert lab.scope.source.name == "dynsim-loihi-traces"
    assert lab.scope.threshold_source.data["y"] == [32000.0, 32000.0]
    assert lab.scope.spikes.data["t"].tolist() == traces["spike_t"].tolist()
    bundle = lab._repr_mimebundle_()
    assert bundle["text/plain"] == "LoihiLab (3 neurons 'wl_default_neurons', " \
                                   "convention 'silicon')"
    assert "200 steps" in lab.status.text and "45 spikes" in lab.status.text
    assert lab.status.error.value == ""
    assert {o.name for o in lab.network.objects} >= {"wl_default_neurons_lab_vu",
                                                     "wl_default_neurons_lab_spikes"}


# --------------------------------------------------------------------------- slider -> plot
def test_slider_changes_the_network_and_the_plot_bit_exactly(labs):
    net, ng, syn = network("wl_slider")
    lab = make(labs, net, neurons=ng, synapses=syn)
    before = {k: np.array(v) for k, v in lab.scope.source.data.items()}
    first_v, _ = direct_v("wl_slider_ref0")
    assert np.array_equal(lab.traces["v"], first_v)
    lab.controls["decay_v"].value = 700  # what a student's drag ends with
    assert lab.wait(TIMEOUT) and lab.error_text == ""
    assert ng.decay_v == 700
    expected_v, expected_u = direct_v("wl_slider_ref1", decay_v=700)
    data = lab.scope.source.data
    assert not np.array_equal(before["v_0"], data["v_0"])
    for k in range(3):
        assert np.array_equal(data[f"v_{k}"], expected_v[k])  # bit for bit
        assert np.array_equal(data[f"u_{k}"], expected_u[k])
    assert np.array_equal(lab.traces["v"], expected_v)
    assert lab.panel.readouts["decay_v"].value.startswith("dv 700")
    # threshold: the register and the line move
    lab.controls["threshold_v_mant"].value = 200
    assert lab.wait(TIMEOUT) and ng.threshold_v_mant == 200 and ng.vth == 200 << 6
    assert lab.scope.threshold_source.data["y"] == [12800.0, 12800.0]
    # weights: one slider per synapse; set_param moves the slider too
    lab.controls["w_1"].value = 10
    lab.set_param("w_exp", 1)
    assert lab.wait(TIMEOUT)
    assert syn.w_assigned.tolist() == [150, 10, 60, -60, -120, -200] and syn.w_exp == 1
    assert lab.controls["w_exp"].value == 1
    assert lab.panel.readouts["w_1"].value == "w_act = 1280"
    lab.set_param("w", [1, 2, 3, 4, 5, 6])
    assert lab.wait(TIMEOUT) and [lab.controls[f"w_{k}"].value for k in range(6)] == \
        [1, 2, 3, 4, 5, 6] == syn.w_assigned.tolist()
    with pytest.raises(LoihiNetworkError, match="no parameter 'decay'"):
        lab.set_param("decay", 3)


def test_rapid_changes_simulate_only_the_last_value(labs):
    net, ng, syn = network("wl_rapid")
    lab = make(labs, net, neurons=ng, synapses=syn)
    applied = []
    original = lab._model.apply
    lab._model.apply = lambda values: (applied.append(dict(values)), original(values))[1]
    runs = lab.runs
    slider = lab.controls["decay_v"]
    with simulation_lock():  # the worker cannot start: a drag's values merge
        for value in range(100, 140, 2):
            slider.value = value
    assert lab.wait(TIMEOUT)
    assert lab.runs == runs + 1 and applied == [{"decay_v": 138}]
    assert ng.decay_v == 138
    assert np.array_equal(lab.traces["v"], direct_v("wl_rapid_ref", decay_v=138)[0])


def test_a_bad_value_shows_an_error_and_keeps_network_and_plot(labs, thread_errors):
    net, ng, syn = network("wl_bad")
    lab = make(labs, net, neurons=ng, synapses=syn)
    data = {k: np.array(v) for k, v in lab.scope.source.data.items()}
    traces = lab.traces
    state = (ng.decay_v, ng.threshold_v_mant, syn.w_assigned.tolist())
    v_now = lab._model.monitors["v"][0].values("v").copy()  # the network's state

    def unchanged():
        assert (ng.decay_v, ng.threshold_v_mant, syn.w_assigned.tolist()) == state
        assert all(np.array_equal(lab.scope.source.data[k], v) for k, v in data.items())
        assert lab.traces is traces
        assert np.array_equal(lab._model.monitors["v"][0].values("v"), v_now)  # no run

    lab.set_param("decay_v", 4096)  # typed beyond the silicon dv register
    assert lab.wait(TIMEOUT)
    assert lab.error_text.startswith("RegisterRangeError: decay_v=4096 cannot be represented")
    assert "RegisterRangeError" in lab.status.error.value and "not simulated" in \
        lab.status.text
    assert lab.controls["decay_v"].value == 256
    unchanged()
    lab.set_param("w_2", 300)  # beyond the mixed sign mode
    assert lab.wait(TIMEOUT) and "w=300 is outside" in lab.error_text
    unchanged()
    # two changes at once, the second bad: the first is undone too
    with simulation_lock():
        lab.controls["decay_v"].value = 900
        lab.set_param("threshold_v_mant", 10**6)
    assert lab.wait(TIMEOUT) and "threshold_v_mant=1000000" in lab.error_text
    assert lab.controls["decay_v"].value == 256
    unchanged()
    lab.steps_control.value = 0
    assert lab.wait(TIMEOUT) and "steps must be at least 1" in lab.error_text
    assert lab.steps_control.value == 200
    unchanged()
    lab.controls["decay_v"].value = 300  # a good value clears the error
    assert lab.wait(TIMEOUT) and lab.error_text == "" and lab.status.error.value == ""
    assert ng.decay_v == 300
    assert thread_errors == []


def test_many_synapses_get_a_weight_text_box(labs, thread_errors):
    net, ng, syn = network("wl_text", n=4, n_in=3)
    lab = make(labs, net, neurons=ng, synapses=syn)
    box = lab.controls["w"]
    assert "w_0" not in lab.controls and box.value == "150, 90, 60, -60, -120, -200, " \
                                                      "150, 90, 60, -60, -120, -200"
    box.value = "7"
    assert lab.wait(TIMEOUT) and syn.w_assigned.tolist() == [7] * 12
    box.value = "7, 300"  # too few values and one beyond the sign mode
    assert lab.wait(TIMEOUT) and lab.error_text.startswith("RegisterRangeError")
    assert box.value == "7" and syn.w_assigned.tolist() == [7] * 12
    box.value = "seven"
    assert lab.wait(TIMEOUT) and "'seven' is not a whole number" in lab.error_text
    assert thread_errors == []


# --------------------------------------------------------------------------- monitors
def test_the_lab_adds_monitors_or_explains_why_it_cannot(labs):
    net, ng, syn = network("wl_mon")
    assert not any(isinstance(o, loihi.LoihiStateMonitor) for o in net.objects)
    lab = make(labs, net, neurons=ng)  # synapses: the only ones into ng
    assert lab._model.synapses is syn
    names = {o.name for o in net.objects}
    assert {"wl_mon_ng_lab_vu", "wl_mon_ng_lab_spikes"} <= names
    lab.run()
    assert names == {o.name for o in net.objects}  # added once, before the first run

    net, ng, syn = network("wl_ran")
    net.run(5)
    with pytest.raises(LoihiNetworkError, match="before the network's first run"):
        LoihiLab(net, neurons=ng)

    net, ng, syn = network("wl_some")  # a v monitor of its own, no u, run already
    own = loihi.LoihiStateMonitor(ng, "v", name="wl_some_v")
    net.add(own)
    net.run(5)
    lab = make(labs, net, neurons=ng, synapses=syn)
    assert "not drawn: u, spikes" in lab.note.value
    assert set(lab.traces) >= {"v"} and "u" not in lab.traces
    assert lab._model.monitors["v"][0] is own and "u_0" not in lab.scope.source.data


def test_learning_synapses_draw_traces_and_weights(labs):
    net, ng, syn = network("wl_learn", learning=True)
    lab = make(labs, net, neurons=ng, synapses=syn, steps=300)
    traces = lab.traces
    assert set(traces) >= {"x1", "y1", "w", "synapses"}
    assert traces["w"].shape == (6, 300) and traces["x1"].max() > 0
    assert not np.array_equal(traces["w"][:, 0], traces["w"][:, -1])  # it learned
    assert [p.key for p in lab.scope.panels] == ["v", "u", "traces", "w"]
    assert {"x1_s0", "y1_s0", "w_s5"} <= set(lab.scope.source.data)
    assigned = syn.w_assigned.tolist()
    assert [lab.controls[f"w_{k}"].value for k in range(6)] == assigned != syn.w.tolist()
    learned = syn.w.tolist()
    lab.set_param("w_exp", 99)  # fails: the assigned weights stay, not the learned ones
    assert lab.wait(TIMEOUT) and lab.error_text.startswith("RegisterRangeError")
    assert syn.w_assigned.tolist() == assigned
    again = lab.run()  # reset() replays the learning exactly
    assert np.array_equal(again["w"], traces["w"]) and syn.w.tolist() == learned


# --------------------------------------------------------------------------- float overlay
def float_inputs():
    rng = np.random.default_rng(5)
    exc = np.flatnonzero(rng.random(200) < 0.15)
    inh = np.flatnonzero(rng.random(200) < 0.06)
    return np.r_[np.zeros(len(exc), int), np.ones(len(inh), int)], np.r_[exc, inh]


def test_float_overlay_updates_both_traces(labs, thread_errors):
    indices, times = float_inputs()
    weights = [[3.7], [-2.3]]
    model = FloatLIF(tau_m=20, tau_syn=5, threshold=15.0)
    lab = LoihiLab.from_float(model, weights, indices, times, steps=200, scale=2**10,
                              units="mV", engine="numpy", name="wl_float")
    labs.append(lab)
    assert lab.wait(TIMEOUT) and lab.error_text == ""
    cmp = lab.comparison
    assert cmp.scale == 2**10 and "RMSE of v" in lab.status.text and "mV" in lab.status.text
    f, lo = cmp.spike_counts()
    assert f"spikes float {int(f[0])} / Loihi {int(lo[0])}" in lab.status.text
    assert "threshold_v_mant 240" in lab.registers.value
    assert set(lab.scope.source.data) == {"t", "v_float_0", "v_loihi_scaled_0", "v_error_0"}
    before = {k: np.array(v) for k, v in lab.scope.source.data.items()}
    lab.controls["tau_m"].value = 10.0
    assert lab.wait(TIMEOUT) and lab.error_text == ""
    ref = compare_float_loihi(FloatLIF(tau_m=10, tau_syn=5, threshold=15.0), weights,
                              indices, times, 200, scale=2**10, engine="numpy",
                              name="wl_float_ref")
    data = lab.scope.source.data
    for column in ("v_float_0", "v_loihi_scaled_0"):
        assert not np.array_equal(before[column], data[column])  # both traces moved
    assert np.array_equal(data["v_float_0"], ref.v_float[0])
    assert np.array_equal(data["v_loihi_scaled_0"], ref.v_loihi_scaled[0])
    assert np.array_equal(lab.traces["v_loihi"], ref.v_loihi)  # the integers, exactly
    assert lab.quantization.decay_v == ref.quantization.decay_v == 390
    assert f"decay_v {ref.quantization.decay_v}" in lab.registers.value
    # a scale whose threshold leaves its register: error, nothing changed
    lab.set_param("scale", 2**20)
    assert lab.wait(TIMEOUT) and "threshold_v_mant=245760 is outside" in lab.error_text
    assert lab.comparison.scale == 2**10 and lab.controls["scale"].value == 2**10
    assert np.array_equal(lab.scope.source.data["v_float_0"], ref.v_float[0])
    # another convention: a network of its own, the same numbers as a direct comparison
    lab.set_param("convention", "brian2_loihi")
    lab.set_param("scale", 2**12)
    assert lab.wait(TIMEOUT) and lab.error_text == ""
    ref = compare_float_loihi(FloatLIF(tau_m=10, tau_syn=5, threshold=15.0), weights,
                              indices, times, 200, scale=2**12, convention="brian2_loihi",
                              engine="numpy", name="wl_float_ref2")
    assert lab.network.convention.name == "brian2_loihi" == lab.convention
    assert np.array_equal(lab.traces["v_loihi"], ref.v_loihi)
    assert "brian2_loihi" in lab.convention_label.value
    assert thread_errors == []


# --------------------------------------------------------------------------- long runs
def test_long_runs_stream_partial_traces_with_progress(labs, monkeypatch):
    monkeypatch.setattr(loihi_widgets, "STREAM_AFTER", 0.0)
    net, ng, syn = network("wl_stream")
    lab = make(labs, net, neurons=ng, synapses=syn, steps=400)
    seen = []
    show = lab.scope.show

    def spy(traces):
        seen.append((len(traces["t_step"]), lab.status.bar.value,
                     lab.status.bar.layout.display))
        show(traces)

    lab.scope.show = spy
    traces = lab.run(1000)
    assert lab.steps == 1000 and traces["v"].shape == (3, 1000)
    partial = [s for s in seen if s[0] < 1000]
    assert len(partial) >= 5 and seen[-1][0] == 1000
    assert all(a[0] < b[0] for a, b in itertools.pairwise(partial))
    assert partial[-1][1] > partial[0][1] > 0 and partial[-1][2] == ""  # progress bar
    assert lab.status.bar.layout.display == "none"
    assert lab.scope._x_range.end == 1000


def test_a_long_run_gives_way_to_a_newer_setting(labs, monkeypatch):
    monkeypatch.setattr(loihi_widgets, "STREAM_AFTER", 0.0)
    monkeypatch.setattr(loihi_widgets, "YIELD_AFTER", 0.0)
    net, ng, syn = network("wl_yield")
    lab = make(labs, net, neurons=ng, synapses=syn, steps=1000)
    moved = threading.Event()
    show = lab.scope.show

    def spy(traces):
        show(traces)
        if len(traces["t_step"]) < 1000 and not moved.is_set():
            moved.set()  # a slider moves while the run streams
            lab.controls["decay_v"].value = 700

    lab.scope.show = spy
    runs = lab.runs
    lab.controls["decay_v"].value = 500
    assert lab.wait(TIMEOUT) and moved.is_set()
    assert lab.runs == runs + 2 and ng.decay_v == 700
    assert lab.traces["v"].shape == (3, 1000)
    assert np.array_equal(lab.traces["v"], direct_v("wl_yield_ref", steps=1000,
                                                    decay_v=700)[0])


# --------------------------------------------------------------------------- threads
def test_construction_does_not_block_and_run_works_headless(labs):
    net, ng, syn = network("wl_headless")
    with simulation_lock():  # no bench can simulate: construction must still return
        start = time.perf_counter()
        lab = LoihiLab(net, neurons=ng, synapses=syn)
        labs.append(lab)
        assert time.perf_counter() - start < 30 and lab.busy and lab.result is None
    traces = lab.run(timeout=TIMEOUT)
    assert traces["v"].shape == (3, 200) and lab.runs >= 1


def test_a_run_in_a_cell_waits_for_the_bench(labs):
    """Loihi objects share one clock: a cell's run must not interleave with the bench's."""
    expected, _ = direct_v("wl_cell_ref", steps=300)
    net, ng, syn = network("wl_bench")
    lab = make(labs, net, neurons=ng, synapses=syn, steps=2000)
    other, other_ng, _ = network("wl_cell")
    mon = loihi.LoihiStateMonitor(other_ng, ["v", "u"], name="wl_cell_mon")
    other.add(mon)
    lab.set_param("decay_v", 300)
    time.sleep(0.05)  # the bench's run has started
    other.run(300)  # in the kernel's main thread, while the worker runs
    assert np.array_equal(mon.values("v"), expected)
    assert lab.wait(TIMEOUT)
    assert np.array_equal(lab.traces["v"][:, :300], direct_v("wl_bench_ref", steps=300,
                                                             decay_v=300)[0])


def test_trace_scope_alone_and_neuron_picker():
    scope = TraceScope(neurons=[0], recorded=[0, 1], threshold=100, steps=4)
    traces = {"t_step": np.arange(4), "neurons": np.array([0, 1]),
              "v": np.array([[1, 2, 3, 0], [5, 6, 7, 8]]), "u": np.array([[1] * 4, [2] * 4]),
              "spike_i": np.array([0, 1]), "spike_t": np.array([3, 2])}
    scope.show(traces)
    assert scope.spikes.data["t"].tolist() == [3]
    scope.neuron_picker.value = (1,)
    assert set(scope.source.data) == {"t", "v_1", "u_1"}
    assert scope.source.data["v_1"].tolist() == [5, 6, 7, 8]
    assert scope.spikes.data["t"].tolist() == [2]
    with pytest.raises(LoihiNetworkError):
        TraceScope(mode="raster")


# --------------------------------------------------------------------------- latency
@pytest.mark.skipif(resolve_engine("auto") != "cython",
                    reason="no C compiler: the Cython engine is not available")
def test_latency_slider_to_plot_data_is_reported(labs, capsys):
    """Slider change -> new data in the plot's source, 10 neurons, Cython (printed only)."""
    lines = []
    for steps in (200, 1000):
        net, ng, syn = network("wl_latency", n=10, n_in=5, engine="cython",
                               weights=np.arange(-100, 150, 5))
        start = time.perf_counter()
        lab = make(labs, net, neurons=ng, synapses=syn, steps=steps)
        first = time.perf_counter() - start
        slider = lab.controls["decay_v"]
        seconds = []
        for k in range(40):
            assert lab.wait(TIMEOUT)
            before = lab.scope.updates
            t0 = time.perf_counter()
            slider.value = 100 + k
            deadline = t0 + TIMEOUT
            while lab.scope.updates < before + 2 and time.perf_counter() < deadline:
                time.sleep(0.0002)  # spikes, then the traces source
            seconds.append(time.perf_counter() - t0)
        assert lab.wait(TIMEOUT) and lab.error_text == "" and ng.decay_v == 139
        p50, p95 = np.percentile(np.array(seconds[5:]) * 1000, [50, 95])
        lines.append(f"cython, 10 neurons, {steps} steps: slider -> new data in the source "
                     f"p50 {p50:.0f} ms, p95 {p95:.0f} ms (first run {first:.1f} s)")
        lab.close()
        labs.remove(lab)
    with capsys.disabled():
        print("\n[latency] " + "\n[latency] ".join(lines))
