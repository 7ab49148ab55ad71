"""The board core shared by DynapSE, Dynapse1Model and Experiment (dynsim.dynapse.board)."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import Network, ms, pA

from dynsim.dynapse import (
    DynapSE,
    Dynapse1Model,
    Dynapse1Parameter,
    Experiment,
    NetworkGenerator,
    Neuron,
    bias_current,
)
from dynsim.dynapse.board import Board, board_of, parse_core
from dynsim.errors import (
    BiasRangeError,
    InvalidCoreError,
    InvalidSettingError,
    UnknownBiasError,
)


def front_doors():
    chip = DynapSE(Network(), engine="numpy", name="boardchip")
    model = Dynapse1Model(engine="numpy", name="boardmodel")
    experiment = Experiment(2, core="Core_2", chip_id=1, engine="numpy", name="boardexp")
    return chip, model, experiment


def test_board_of_each_front_door_and_its_fixed_core():
    chip, model, experiment = front_doors()
    assert board_of(chip) == (chip.board, None)
    assert board_of(model) == (model.board, None)
    assert board_of(experiment) == (experiment.board, (1, 2))
    board = Board()
    assert board_of(board) == (board, None)
    with pytest.raises(InvalidSettingError, match="DynapSE, Dynapse1Model, Experiment or Board"):
        board_of(object())


@pytest.mark.parametrize("door", [0, 1, 2])
def test_set_biases_resolves_every_form_and_is_all_or_nothing(door):
    target = front_doors()[door]
    board, fixed = board_of(target)
    chip, core = fixed or (0, 1)
    current = bias_current("IF_TAU1_N", 2, 50)
    assert board.set_biases(chip, core, {"IF_DC_P": (1, 100), "Itau_mem": current}) == {
        "IF_DC_P": (1, 100), "IF_TAU1_N": (2, 50)}
    assert board.set_biases(chip, core, [Dynapse1Parameter("IF_DC_P", 3, 7)]) == {
        "IF_DC_P": (3, 7)}
    before = board.configuration.to_json()
    with pytest.raises(UnknownBiasError):
        board.set_biases(chip, core, {"IF_DC_P": (1, 1), "IF_NOPE": (1, 1)})
    with pytest.raises(BiasRangeError):
        board.set_biases(chip, core, {"IF_DC_P": (1, 1), "IF_TAU1_N": (8, 1)})
    with pytest.raises(InvalidCoreError):
        board.set_biases(4, core, {"IF_DC_P": (1, 1)})
    assert board.configuration.to_json() == before
    group = board.parameter_group(chip, core)
    assert group.as_dict()["IF_DC_P"] == (3, 7)
    group.param_map["IF_DC_P"] = Dynapse1Parameter("IF_DC_P", 0, 0)  # a copy
    assert board.parameter_group(chip, core).as_dict()["IF_DC_P"] == (3, 7)
    assert board.label(chip, core) == f"Core_{core} of chip {chip}"


def test_experiment_board_refuses_other_cores():
    experiment = front_doors()[2]
    with pytest.raises(InvalidCoreError, match="Core_2 of chip 1 only"):
        experiment.board.set_biases(1, 3, {"IF_DC_P": (1, 1)})
    with pytest.raises(InvalidCoreError, match="Core_2 of chip 1 only"):
        experiment.board.parameter_group(0, 2)


def test_set_biases_writes_through_to_running_neurons():
    chip = DynapSE(Network(), engine="numpy", name="through")
    neurons = chip.get_neurons(2, "Core_1")
    board, _ = board_of(chip)
    board.set_biases(0, "Core_1", {"Idc": 40 * pA})
    assert np.allclose(neurons.Idc_, chip.get_bias("Core_1").get_linear_parameter("IF_DC_P"))
    model = Dynapse1Model(engine="numpy", name="throughmodel")
    net = NetworkGenerator()
    net.add_connection(Neuron(0, 0, 1, is_spike_gen=True), Neuron(0, 1, 2), "AMPA")
    model.apply_configuration(net.make_dynapse1_configuration())
    model.run(1 * ms)
    model.board.set_biases(0, 1, {"IF_DC_P": (3, 30)})
    group = model.get_configuration().chips[0].cores[1].parameter_group
    expected = group.get_linear_parameter("IF_DC_P")
    assert np.allclose(model._neurons.Idc_, expected)


def test_direct_configuration_edit_reaches_every_neuron_of_the_core():
    network = Network()
    chip = DynapSE(network, engine="numpy", name="edited")
    first = chip.get_neurons(2, "Core_1")
    chip.configuration.chips[0].cores[1].parameter_group.param_map["IF_DC_P"] = (
        Dynapse1Parameter("IF_DC_P", 2, 77))
    second = chip.get_neurons(2, "Core_1")
    network.run(0.2 * ms)
    expected = Dynapse1Parameter("IF_DC_P", 2, 77).current
    assert np.allclose(first.Idc_, float(expected))
    assert np.allclose(second.Idc_, float(expected))


def test_parse_core_names_and_numbers():
    assert [parse_core(k) for k in ("Core_0", "Core_3", 1, np.int8(2))] == [0, 3, 1, 2]
    for bad in (True, 4, -1, "core_1", 1.0, None):
        with pytest.raises(InvalidCoreError, match="Core_0, Core_1, Core_2, Core_3"):
            parse_core(bad)
