"""Issue 14: no wrap-around, no bypass of the chip's rules, no unbounded run, no leak of CAMs.

Each test reproduces one class of the hostile probe and checks the named error and that the
failed call left the chip, model or experiment as it was.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from brian2 import Hz, Network, SpikeGeneratorGroup, ms, second
from brian2.core.base import BrianObjectException

from dynsim.dynapse import DynapSE, Dynapse1Model, Experiment
from dynsim.dynapse.board import MAX_RUN_VALUES, MAX_SEED
from dynsim.errors import (
    CAMAliasingError,
    CAMLimitError,
    InvalidConnectionError,
    InvalidNeuronError,
    InvalidSettingError,
    WeightError,
)


def state(chip):
    """The chip's exported configuration and its CAM usage (what a failed call keeps)."""
    return chip.get_configuration().to_json(), chip._usage().tolist()


@pytest.mark.parametrize("weight", [2**31 + 1, 2**63, np.uint64(2**64 - 1), 1e30, 10**400])
def test_huge_weights_are_refused_not_wrapped(weight):
    chip = DynapSE(engine="numpy", name="huge")
    neurons = chip.get_neurons(1, "Core_1")
    source = SpikeGeneratorGroup(1, [], [] * ms, name="huge_source")
    syn = chip.add_connection(source, neurons, "AMPA")
    chip.connect(syn, True)
    before = state(chip)
    with pytest.raises((CAMLimitError, WeightError)):
        syn.weight = weight
    assert state(chip) == before
    assert syn.weight[:].tolist() == [1]
    wide = chip.add_connection(SpikeGeneratorGroup(200, [], [] * ms, name="huge_wide"),
                               neurons, "AMPA")
    with pytest.raises(CAMLimitError, match=r"201 CAM entries \(201 AMPA\)"):
        chip.connect(wide, True)  # the budget still counts the first synapse


def test_huge_experiment_weight_is_refused():
    exp = Experiment(1, engine="numpy", name="hugeexp")
    with pytest.raises(CAMLimitError):
        exp.set_input("AMPA", rate=5 * Hz, weight=2**31 + 5)
    assert exp.inputs == {}


def aliasing_chip():
    """Neuron 5 of Core_0 on chip 1 reaches Core_1 of chip 0; its twin on chip 0 is free."""
    network = Network()
    chip = DynapSE(network, engine="numpy", name="alias")
    target = chip.get_neurons(1, "Core_1")
    a0 = chip.get_neurons(8, "Core_0")
    a1 = chip.get_neurons(8, "Core_0", chip_id=1)
    s0 = chip.add_connection(a1[5:6], target, "AMPA")
    chip.connect(s0, True)
    return chip, a0, target


@pytest.mark.parametrize("form", [
    lambda s: s.connect(True),
    lambda s: s.connect(),
    lambda s: s.connect(j="i"),
    lambda s: s.connect("i == j"),
    lambda s: s.connect(i=0, j=0),
    lambda s: s.connect(i=[0], j=[0]),
    lambda s: s.connect(p=1.0, n=2),
    lambda s: s.connect(j="k for k in range(N_post)"),
])
def test_brian2_connect_forms_are_checked_for_aliasing(form):
    chip, a0, target = aliasing_chip()
    syn = chip.add_connection(a0[5:6], target, "AMPA")
    before = state(chip)
    with pytest.raises(CAMAliasingError):
        form(syn)
    assert len(syn) == 0 and state(chip) == before
    chip.get_configuration()  # the chip never reaches a state it refuses


def test_brian2_connect_counts_cams_and_reports_bad_forms():
    chip = DynapSE(Network(), engine="numpy", name="brianforms")
    neurons = chip.get_neurons(2, "Core_1")
    wide = SpikeGeneratorGroup(65, [], [] * ms, name="brianforms_wide")
    syn = chip.add_connection(wide, neurons, "AMPA")
    with pytest.raises(CAMLimitError, match="65 CAM entries"):
        syn.connect(True)
    with pytest.raises(CAMLimitError):
        syn.connect("i >= 0")
    assert len(syn) == 0
    syn.connect("i < 10", p=1.0)
    assert len(syn) == 20 and syn.weight[:].tolist() == [1] * 20
    for bad in (lambda: syn.connect("nonsense +"), lambda: syn.connect(i=[99], j=[0]),
                lambda: syn.connect(j="q")):
        with pytest.raises(InvalidConnectionError):
            bad()
    assert len(syn) == 20
    with pytest.raises(WeightError):
        syn.weight[500] = 1
    with pytest.raises(WeightError):
        syn.weight["undefined_name > 0"] = 1
    assert syn.weight[:].tolist() == [1] * 20


def test_removed_synapses_free_their_cams_and_are_checked_when_added_back():
    network = Network()
    chip = DynapSE(network, engine="numpy", name="removed")
    neurons = chip.get_neurons(1, "Core_1")
    sources = [SpikeGeneratorGroup(60, [], [] * ms, name=f"removed_{k}") for k in "ab"]
    network.add(sources)
    first = chip.add_connection(sources[0], neurons, "AMPA")
    chip.connect(first, True)
    network.remove(first)
    assert chip.cam_usage(neurons).tolist() == [0]
    second = chip.add_connection(sources[1], neurons, "NMDA")
    chip.connect(second, True)
    assert chip.cam_usage(neurons).tolist() == [60]
    network.add(first)  # 120 entries: refused before the run starts
    with pytest.raises(BrianObjectException) as info:  # Brian2 wraps errors of before_run
        network.run(0.1 * ms)
    assert isinstance(info.value.__cause__, CAMLimitError)
    assert "120 CAM entries" in str(info.value.__cause__)
    assert float(network.t / ms) == 0
    network.remove(second)
    network.run(0.1 * ms)


def test_source_of_another_network_is_refused():
    chip = DynapSE(Network(), engine="numpy", name="foreign")
    neurons = chip.get_neurons(1, "Core_1")
    source = SpikeGeneratorGroup(1, [], [] * ms, name="foreign_source")
    other = Network(source)
    with pytest.raises(InvalidConnectionError, match="another Brian2 Network"):
        chip.add_connection(source, neurons, "AMPA")
    elsewhere = DynapSE(Network(), engine="numpy", name="elsewhere").get_neurons(4, "Core_0")
    with pytest.raises(InvalidConnectionError, match="another Brian2 Network"):
        chip.add_connection(elsewhere[1:3], neurons, "AMPA")
    assert chip._synapses == []
    chip.network.add(source)  # in both networks: accepted
    chip.add_connection(source, neurons, "AMPA")
    assert other.objects


@pytest.mark.parametrize("ids", [[1.7], [True], [-1], [4096], [np.uint64(2**64 - 1)], "12",
                                 [2**70], 3.0])
def test_monitor_refuses_non_integers(ids):
    model = Dynapse1Model(engine="numpy", name="monitorbad")
    with pytest.raises(InvalidNeuronError):
        model.monitor(ids)
    assert model._monitored == []


def test_monitor_refuses_variables_that_are_not_a_list():
    model = Dynapse1Model(engine="numpy", name="monitorvars")
    with pytest.raises(InvalidSettingError, match="list of names"):
        model.monitor([1], variables="Imem")


@pytest.mark.parametrize("seed", [1.7, True, -1, MAX_SEED + 1, None, "1"])
def test_seeds_are_whole_numbers_in_range(seed):
    with pytest.raises(InvalidSettingError, match="seed"):
        Experiment(1, engine="numpy", seed=seed, name="seedexp")
    with pytest.raises(InvalidSettingError, match="seed"):
        Dynapse1Model(engine="numpy", seed=seed, name="seedmodel")
    assert Experiment(1, engine="numpy", seed=np.uint32(MAX_SEED), name="seedok").seed == MAX_SEED


def test_run_durations_are_bounded_before_allocating():
    exp = Experiment(1, engine="numpy", name="longexp")
    exp.set_input("AMPA", rate=5 * Hz)
    limit = re.escape(f"at most {MAX_RUN_VALUES:.0e} values")
    with pytest.raises(InvalidSettingError, match=limit):
        exp.run(1e9 * second)
    with pytest.raises(InvalidSettingError, match="at most"):
        exp.input_counts(1e9 * second)
    model = Dynapse1Model(engine="numpy", name="longmodel")
    model.monitor([1])
    with pytest.raises(InvalidSettingError, match="at most"):
        model.run(1e9 * second)
    assert model.time_s == 0.0
    fine = Dynapse1Model(engine="numpy", dt=1e-9 * second, name="finemodel")
    with pytest.raises(InvalidSettingError, match="at most"):
        fine.run(1 * second)
