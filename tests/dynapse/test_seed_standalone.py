"""The dynapse-simulator course's calls under Brian2's ``cpp_standalone`` device (issue 17).

The seed's notebooks call ``set_device('cpp_standalone')`` (no directory) before building the
chip, and ``device.reinit(); device.activate()`` before each experiment. These tests make the
same calls, in the same order, with only the import lines changed, and check that

* the chip runs under the standalone device and gives the runtime device's results: the same
  forward-Euler integration in C++ and in numpy, so the same spikes (times within one step:
  the two differ only in floating-point rounding) and traces equal to 1e-6 relative;
* the project Brian2 writes goes to dynsim's cache (``$DYNSIM_CACHE_DIR``), never to the
  working directory (no ``output/`` folder is left there);
* Part 2's F-F curve agrees with the seed's equations (:func:`seed_neuron` of
  ``test_seed_notebooks.py``, integrated independently in the test) within 10 %.

Each test builds a standalone project (Brian2 compiles it: about 15 s of CPU for a new
project, less for the next ones, which share its directory); that is why there are only
three builds here (the F-I points run on the runtime device, ``test_seed_notebooks.py``).

Every test restores Brian2's device (the standalone device is re-initialised and the runtime
device made active again), whatever happens. All builds share one project directory (a
temporary one per test session), so a later build recompiles only what changed.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pytest
from brian2 import (
    Hz,
    Network,
    PoissonGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    TimedArray,
    defaultclock,
    ms,
    pA,
    second,
    us,
)
from brian2.devices.device import RuntimeDevice, get_device, reset_device, set_device
from test_seed_notebooks import part3_calls, seed_neuron, seed_parameters

from dynsim.dynapse.seed import same_jump_bias
from dynsim.engine import standalone_unavailable_reason
from dynsim.errors import DynapseWeightWarning, EngineError, InvalidConnectionError, WeightError

pytestmark = pytest.mark.skipif(standalone_unavailable_reason() is not None,
                                reason=f"no standalone: {standalone_unavailable_reason()}")

#: The notebooks' import lines, changed for dynsim.
IMPORTS = ("from dynsim.seed import DynapSE\n"
           "from dynsim.seed.equations.dynapse_eq import *\n"
           "from dynsim.seed.parameters.dynapse_param import *\n")


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """dynsim's cache for this module: the standalone projects are built here."""
    return tmp_path_factory.mktemp("seed_standalone_cache")


@pytest.fixture
def notebook(cache, tmp_path, monkeypatch, numpy_target):
    """The notebook's namespace after its import lines, in an empty working directory."""
    monkeypatch.setenv("DYNSIM_CACHE_DIR", str(cache))
    monkeypatch.setenv("DYNSIM_ENGINE", "numpy")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(IMPORTS, namespace)
    previous = defaultclock.dt
    yield namespace
    defaultclock.dt = previous


@contextlib.contextmanager
def standalone(**options):
    """``set_device('cpp_standalone', **options)``; Brian2's device restored on exit."""
    before = get_device()
    assert isinstance(before, RuntimeDevice)
    set_device("cpp_standalone", **options)
    # another test of this process may have run a standalone network: start afresh, as the
    # seed notebooks do before each experiment (device.reinit(); device.activate())
    get_device().reinit()
    get_device().activate(**options)
    try:
        yield get_device()
    finally:
        get_device().reinit()
        reset_device()
        assert get_device() is before


def part1(DynapSE, run_ms=150):
    """Part 1's calls: one input train into NMDA (weight 1) and AMPA (weight 2), monitors."""
    defaultclock.dt = 20 * us
    spike_timing = np.arange(10, run_ms, 7) * ms
    source = SpikeGeneratorGroup(1, indices=np.zeros(len(spike_timing)), times=spike_timing,
                                 name="InpSpikeGenerator")
    network = Network()
    chip = DynapSE(network)
    neuron = chip.get_neurons(1, "Core_1")
    nmda = chip.add_connection(source, neuron, synapse_type="NMDA")
    ampa = chip.add_connection(source, neuron, synapse_type="AMPA")
    chip.connect(nmda, True)
    nmda.weight = 1
    chip.connect(ampa, True)
    ampa.weight = 2
    output = SpikeMonitor(neuron, name="mon_neuron_output")
    state = StateMonitor(neuron, ["Isoma_mem", "Iampa", "Inmda"], record=True,
                         name="mon_neuron_state")
    network.add([source, neuron, nmda, ampa, output, state])
    network.run(run_ms * ms)
    return (np.asarray(output.t / second), np.asarray(state.Isoma_mem[0] / pA),
            np.asarray(state.Inmda[0] / pA))


def part3(DynapSE):
    """Part 3's calls (:func:`part3_calls`), shortened: 400 ms, the train from 50 ms."""
    return part3_calls(DynapSE, 50, 400, 400)[:2]


@pytest.mark.parametrize("protocol", [part1, part3], ids=["part1", "part3"])
def test_standalone_gives_the_runtime_results(notebook, cache, tmp_path, protocol):
    runtime = protocol(notebook["DynapSE"])
    with standalone():  # as the notebooks call it: no directory
        compiled = protocol(notebook["DynapSE"])
    assert len(runtime[0]) > 2  # the lesson: the input drives the neuron
    assert len(compiled[0]) == len(runtime[0])
    np.testing.assert_allclose(compiled[0], runtime[0], atol=20e-6 + 1e-12)
    for ours, reference in zip(compiled[1:], runtime[1:], strict=True):
        np.testing.assert_allclose(ours, reference, rtol=1e-6, atol=1e-9)
    # the project is in dynsim's cache, nothing in the working directory
    assert list(tmp_path.iterdir()) == []
    assert (cache / "brian2-standalone" / "dynapse_project" / "main").exists()


def test_an_explicit_project_directory_is_kept(notebook, tmp_path):
    chosen = tmp_path / "my_project"
    with standalone(directory=str(chosen)) as device:
        chip = notebook["DynapSE"](Network())
        chip.get_neurons(1, "Core_0")
        assert device.build_options["directory"] == str(chosen)


def test_standalone_refuses_what_has_no_values_before_the_run(notebook):
    with standalone():
        chip = notebook["DynapSE"](Network(), name="refusals")
        neurons = chip.get_neurons(3, "Core_0")
        source = SpikeGeneratorGroup(3, [], [] * ms, name="refusals_source")
        ampa = chip.add_connection(source, neurons, synapse_type="AMPA")
        with pytest.raises(InvalidConnectionError, match=r"standalone device .* j='i'"):
            ampa.connect("i != j")
        assert chip.cam_usage(neurons).tolist() == [0, 0, 0]
        ampa.connect(j="i")
        with pytest.raises(WeightError, match=r"standalone device .*set_device\('runtime'\)"):
            ampa.weight["i > 0"] = 2
        ampa.weight[1:] = 3  # indices and slices work: the chip keeps its own record
        assert chip.cam_usage(neurons).tolist() == [1, 3, 3]
    # a chip made under one device refuses new objects under another
    with pytest.raises(EngineError, match="device changed"):
        chip.get_neurons(1, "Core_0")


def test_part2_f_f_curve_matches_the_seed_equations(notebook):
    """Part 2: Poisson inputs of increasing rate, one per neuron (``j='i'``), NMDA weight 0.7.

    The chip's whole CAM entry is scaled to the seed's jump with :func:`same_jump_bias` (as
    docs/seed.md tells the teacher). The recorded input spikes drive the seed's equations
    (with dynsim's two floors, docs/seed.md); every neuron's output spike count within 10 %
    (or 2 spikes, for the slow ones), 1 s at 20 us steps.
    """
    DynapSE = notebook["DynapSE"]
    duration, freq_start, freq_stop, n = 1, 0, 200, 9
    with standalone():
        get_device().reinit()
        get_device().activate()
        defaultclock.dt = 20 * us
        network = Network()
        chip = DynapSE(network)
        rates = np.tile(np.linspace(freq_start, freq_stop, n), (duration * 1000, 1))
        spike_timing = TimedArray(rates * Hz, dt=1 * ms)  # noqa: F841 (run's namespace)
        source = PoissonGroup(n, "spike_timing(t, i)", name="poisson_input")
        neurons = chip.get_neurons(n, "Core_1")
        synapse = chip.add_connection(source, neurons, synapse_type="NMDA")
        chip.connect(synapse, j="i")
        with pytest.warns(DynapseWeightWarning, match="same jump"):
            synapse.weight = 0.7
        entries, bias = same_jump_bias("NMDA", 0.7, chip.get_bias("Core_1"))
        chip.set_bias(bias, "Core_1")
        synapse.weight = entries
        inputs = SpikeMonitor(source, name="mon_neuron_input")
        outputs = SpikeMonitor(neurons, name="mon_neuron_output")
        network.add([source, neurons, synapse, inputs, outputs])
        network.run(duration * 1000 * ms)
        in_i, in_t = np.asarray(inputs.i), np.asarray(inputs.t / second)
        counts = np.bincount(np.asarray(outputs.i), minlength=n)
    p = seed_parameters()
    reference = np.array([
        len(seed_neuron(duration, 20e-6, p, silicon=True, nmda_weight=0.7,
                        nmda_steps=np.round(in_t[in_i == k] / 20e-6).astype(int)))
        for k in range(n)])
    assert reference[-1] > 10 and reference[0] == 0  # the curve rises from 0
    np.testing.assert_allclose(counts, reference, rtol=0.10, atol=2)
