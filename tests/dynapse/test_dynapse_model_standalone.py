"""Dynapse1Model(engine='standalone'): the board as one compiled program, run by run.

The reference is the runtime engine (Cython) on the same configuration, seeds and biases:
the compiled program runs the same generated code, so spike trains agree to the step, and
the recorded currents to floating-point rounding. A run split in two gives exactly the spikes
of one run (the state crosses the split as a run argument, bit for bit).
"""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import Hz, amp, ms, second
from hypothesis import given, settings
from hypothesis import strategies as st

import dynsim.engine as engine_module
from dynsim.dynapse import (
    Dynapse1Model,
    Dynapse1Parameter,
    Experiment,
    NetworkGenerator,
    Neuron,
    fpga_events_from_times,
)
from dynsim.dynapse.program import forget_program
from dynsim.dynapse.standalone import (
    _STANDALONE_OWNER,
    BOARD_COMPILER_FLAGS,
    STANDALONE_THREADS_ENV,
    StandaloneBoard,
    board_compiler_flags,
    owns_project,
    standalone_threads,
)
from dynsim.engine import standalone_unavailable_reason
from dynsim.errors import EngineError, InvalidSettingError

COMPILER = standalone_unavailable_reason() is None
needs_compiler = pytest.mark.skipif(not COMPILER, reason="standalone needs a C++ compiler")
#: Monitored neurons (global ids): one per core in use, and one chip-1 neuron.
MONITORED = [3, 260, 1024 + 5]


def configuration():
    """Two cores of chip 0 driven by 36 virtual neurons, core 0 -> core 1, chip 0 -> chip 1.

    Virtual neurons 100-123 (excitatory) and 150-161 (inhibitory) have tags no simulated
    neuron uses (the simulated sources are neurons 0-11 of cores 0 and 1).
    """
    rng = np.random.default_rng(11)
    net = NetworkGenerator()
    connections = []
    for post in range(12):
        for core in (0, 1):
            target = Neuron(0, core, post)
            for virtual in rng.choice(np.arange(100, 124), size=6, replace=False):
                connections.append((Neuron(0, 0, int(virtual), is_spike_gen=True), target,
                                    "AMPA"))
            connections.append((Neuron(0, 0, 150 + post, is_spike_gen=True), target,
                                "GABA_B"))
    for post in range(12):  # recurrent: core 0 -> core 1 (AMPA), core 1 -> chip 1 (NMDA)
        for pre in rng.choice(12, size=4, replace=False):
            connections.append((Neuron(0, 0, int(pre)), Neuron(0, 1, post), "AMPA"))
        connections.append((Neuron(0, 1, post), Neuron(1, 0, post), "AMPA"))
        connections.append((Neuron(0, 1, post), Neuron(1, 0, post), "NMDA"))
    net.add_connections(connections)
    return net.make_dynapse1_configuration()


def driven_model(engine, name="sa_board", monitor=True):
    """The test board: Poisson drive on chip 0, an FPGA stimulus on chip 1, strong AMPA."""
    model = Dynapse1Model(engine=engine, seed=5, name=name)
    model.apply_configuration(configuration())
    for core in (0, 1):
        model.update_single_parameter(Dynapse1Parameter("PS_WEIGHT_EXC_F_N", 2, 80), 0, core)
    model.update_single_parameter(Dynapse1Parameter("PS_WEIGHT_EXC_F_N", 3, 60), 1, 0)
    generator = model.get_poisson_gen()
    generator.set_chip_id(0)
    generator.write_poisson_rates_hz(list(range(100, 124)), [80.0] * 24)
    generator.write_poisson_rates_hz(list(range(150, 162)), [20.0] * 12)
    generator.start()
    times = np.arange(1, 40) * 7.3 * ms
    # neuron id 259 = tag (core 1, neuron 3) on chip 1: the FPGA speaks for neuron (0, 1, 3)
    events, multiplier = fpga_events_from_times(times, [259] * len(times), [1] * len(times))
    fpga = model.get_fpga_spike_gen()
    fpga.preload_stimulus(events)
    fpga.set_isi_multiplier(multiplier)
    fpga.start()
    if monitor:
        model.monitor(MONITORED, variables=["Imem", "I_ampa"])
    return model


def standalone_owner():
    """The emulator that owns Brian2's standalone project of the process (or None)."""
    ref = _STANDALONE_OWNER["experiment"]
    return None if ref is None else ref()


def interloper_experiment():
    """An Experiment beside the board: one neuron driven by a Poisson input."""
    exp = Experiment(1, engine="standalone", name="sa_board_interloper", seed=2)
    exp.set_input("AMPA", rate=300 * Hz, weight=4)
    return exp


def spike_table(events):
    return sorted((e.global_id, e.timestamp) for e in events)


@pytest.fixture(scope="module")
def runtime_reference():
    """The Cython engine's spikes and recording: 150 ms, a bias change, 100 ms."""
    model = driven_model("cython")
    first = model.run(150 * ms)
    model.update_single_parameter(Dynapse1Parameter("IF_DC_P", 2, 120), 1, 0)
    second_part = model.run(100 * ms)
    return spike_table(first), spike_table(second_part), model.get_recording()


@needs_compiler
def test_standalone_board_matches_the_runtime_engine(runtime_reference):
    first_ref, second_ref, recording_ref = runtime_reference
    model = driven_model("standalone")
    assert model.engine == "standalone"
    first = spike_table(model.run(150 * ms))
    model.update_single_parameter(Dynapse1Parameter("IF_DC_P", 2, 120), 1, 0)
    second_part = spike_table(model.run(100 * ms))
    assert len(first_ref) > 50 and len(second_ref) > 50  # a working network
    assert first == first_ref
    assert second_part == second_ref
    assert model.time_s == pytest.approx(0.25, abs=1e-12)
    recording = model.get_recording()
    assert recording.neuron_ids.tolist() == MONITORED
    np.testing.assert_allclose(recording.t / second, recording_ref.t / second, atol=1e-12)
    for variable in ("Imem", "I_ampa"):
        np.testing.assert_allclose(recording.currents[variable] / amp,
                                   recording_ref.currents[variable] / amp, rtol=1e-9, atol=1e-18)
    assert recording.spike_indices.tolist() == recording_ref.spike_indices.tolist()


@needs_compiler
def test_a_run_split_in_two_gives_the_same_spikes_after_another_project_ran():
    whole = driven_model("standalone", monitor=False)
    reference = spike_table(whole.run(200 * ms))
    split = driven_model("standalone", monitor=False)
    first = split.run(100 * ms)
    board = split._program
    # an Experiment takes Brian2's standalone project meanwhile: the board builds it again
    interloper = interloper_experiment()
    forget_program(interloper._project_path(200))  # built with Brian2 here, not reused
    expected = interloper.run(20 * ms)
    assert standalone_owner() is interloper and board._built is None
    # an Experiment of the same structure runs that program without Brian2's build: it
    # takes Brian2's project from nobody
    again = interloper_experiment()
    assert again.prepare(20 * ms) is False and again._built is None
    assert np.array_equal(again.run(20 * ms).Imem, expected.Imem)
    assert standalone_owner() is interloper
    rest = split.run(100 * ms)
    assert spike_table(first + rest) == reference
    assert split.time_s == pytest.approx(0.2, abs=1e-12)
    # the board owns the project again; both Experiments run their program (the one that
    # built it from its manifest) and leave it to the board
    key = board._built["key"]
    for experiment in (interloper, again):
        assert not experiment.needs_build(20 * ms)
        assert np.array_equal(experiment.run(20 * ms).Imem, expected.Imem)
    assert owns_project(board, key) and standalone_owner() is board


@needs_compiler
def test_monitoring_another_neuron_of_a_core_in_use_rebuilds_with_its_parameters():
    model = driven_model("standalone", name="sa_board_more", monitor=False)
    model.run(20 * ms)
    model.monitor([40], variables=["Imem"])  # a neuron not in use, on a core in use
    model.run(20 * ms)
    recording = model.get_recording()
    assert recording.neuron_ids.tolist() == [40]
    assert recording.currents["Imem"].shape == (1, 200)
    assert model.time_s == pytest.approx(0.04, abs=1e-12)
    # the board's program is compiled with its own flags (the vectorised neuron update)
    makefile = (model._program.directory / "makefile").read_text()
    assert all(flag in makefile for flag in BOARD_COMPILER_FLAGS)
    assert "-fno-finite-math-only" not in makefile


def test_board_compiler_flags_hold_for_the_build_only():
    from brian2 import prefs

    before = list(prefs.codegen.cpp.extra_compile_args_gcc)
    with pytest.raises(RuntimeError, match="build failed"), board_compiler_flags() as flags:
        assert prefs.codegen.cpp.extra_compile_args_gcc == flags
        assert set(BOARD_COMPILER_FLAGS) <= set(flags)
        assert "-fno-finite-math-only" not in flags
        assert [f for f in before if f != "-fno-finite-math-only"] == [
            f for f in flags if f in before]  # Brian2's (and the user's) other flags kept
        raise RuntimeError("build failed")
    assert prefs.codegen.cpp.extra_compile_args_gcc == before


@needs_compiler
def test_real_time_mode_and_a_user_standalone_device_are_refused():
    model = driven_model("standalone", monitor=False)
    with pytest.raises(EngineError, match="real-time mode needs a runtime engine"):
        model.set_real_time_mode(True)
    assert not model.get_real_time_mode()
    with pytest.raises(EngineError, match="real-time mode needs a runtime engine"):
        model.start()
    assert not model.is_running()
    from brian2 import device, set_device
    from brian2.devices.device import reset_device

    set_device("cpp_standalone", build_on_run=False)
    try:
        with pytest.raises(EngineError, match="standalone device is active"):
            model.run(10 * ms)
    finally:
        reset_device()
        device.reinit()
    assert model.time_s == 0.0


def test_without_a_compiler_the_model_falls_back_and_says_why(monkeypatch):
    monkeypatch.setattr(engine_module, "standalone_unavailable_reason",
                        lambda: "the 'make' program was not found")
    with pytest.warns(RuntimeWarning, match="'make' program was not found"):
        model = Dynapse1Model(engine="standalone", name="sa_fallback")
    assert model.engine in ("cython", "numpy")
    assert "make" in model.fallback_reason


@pytest.mark.parametrize(("value", "expected"), [("1", 1), (" 3 ", 3), ("64", 64)])
def test_thread_count_from_the_environment(value, expected):
    assert standalone_threads(100, {STANDALONE_THREADS_ENV: value}) == expected


@pytest.mark.parametrize("value", ["0", "65", "-2", "two", "1.5"])
def test_a_wrong_thread_count_is_refused_naming_the_range(value):
    with pytest.raises(InvalidSettingError, match=r"whole number in 1\.\.64"):
        standalone_threads(4096, {STANDALONE_THREADS_ENV: value})


def test_default_thread_count_grows_with_the_neurons_up_to_the_usable_cores():
    import os

    cores = len(os.sched_getaffinity(0))
    assert standalone_threads(1, {}) == 1
    assert standalone_threads(1024, {}) == 1  # one chip: one thread is faster
    assert standalone_threads(4096, {}) == min(2, cores, 8)
    assert standalone_threads(10**6, {}) == min(cores, 8)


events = st.integers(1, 40).flatmap(lambda n_virtual: st.tuples(
    st.just(n_virtual),
    st.sets(st.tuples(st.integers(0, n_virtual - 1), st.integers(0, 999)), max_size=300)))


@given(events)
@settings(max_examples=60, deadline=None)
def test_input_table_lists_every_event_of_each_virtual_neuron_in_order(case):
    n_virtual, pairs = case
    board = StandaloneBoard("table", 0.1 * ms, np.arange(2), n_virtual,
                            np.zeros((0, 4), dtype=np.int64), np.zeros((0, 4), dtype=np.int64),
                            [], (), 1)
    pairs = sorted(pairs, key=lambda p: (p[1], p[0]))  # the model's (step, index) order
    indices = np.array([p[0] for p in pairs], dtype=np.int64)
    steps = np.array([p[1] for p in pairs], dtype=np.int64)
    table = board.input_table(indices, steps)
    rows = table.shape[0]
    assert table.shape[1] == n_virtual and rows >= 4 and rows & (rows - 1) == 0
    for neuron in range(n_virtual):
        expected = sorted(s for i, s in pairs if i == neuron)
        column = table[:, neuron]
        assert column[:len(expected)].tolist() == expected
        assert (column[len(expected):] == -1).all() and len(expected) < rows
