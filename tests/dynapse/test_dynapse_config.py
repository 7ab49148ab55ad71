"""samna-shaped configuration, its JSON round trip, and the NetworkGenerator's rules."""

from __future__ import annotations

import json
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynsim.dynapse import (
    BIAS_NAMES,
    Dynapse1Configuration,
    Dynapse1Destination,
    Dynapse1Parameter,
    Dynapse1Synapse,
    Dynapse1SynType,
    NetworkGenerator,
    Neuron,
    check_configuration,
    configuration_from_json,
    load_configuration,
    save_configuration,
)
from dynsim.dynapse.config import CONFIG_FORMAT, synapse_type
from dynsim.errors import (
    CAMAliasingError,
    CAMLimitError,
    ConfigurationFormatError,
    DynapseNeuronZeroWarning,
    InvalidConnectionError,
    InvalidCoreError,
    InvalidNeuronError,
    SRAMLimitError,
    UnknownSynapseTypeError,
)


# --------------------------------------------------------------------------- structure
def test_board_shape_and_defaults():
    cfg = Dynapse1Configuration()
    assert len(cfg.chips) == 4 and len(cfg.chips[0].cores) == 4
    neuron = cfg.chips[3].cores[2].neurons[255]
    assert len(cfg.chips[0].cores[0].neurons) == 256
    assert len(neuron.synapses) == 64 and len(neuron.destinations) == 4
    assert neuron.global_id == 255 + 256 * 2 + 1024 * 3
    entry = neuron.synapses[0]
    assert (entry.syn_type, entry.listen_neuron_id, entry.listen_core_id) == (
        Dynapse1SynType.NMDA, 0, 0)  # netgen's free CAM entry (config.UNUSED_SYNAPSE)
    assert not entry.in_use and neuron.is_default() and neuron.cams_in_use() == 0
    assert not neuron.destinations[3].in_use
    assert cfg.chips[1].cores[1].parameter_group.param_map["IF_DC_P"].coarse_value == 0
    assert list(cfg.neurons_in_use()) == []


def test_synapse_type_values_match_samna():
    assert [t.value for t in (Dynapse1SynType.GABA_B, Dynapse1SynType.GABA_A,
                              Dynapse1SynType.NMDA, Dynapse1SynType.AMPA)] == [0, 1, 2, 3]
    assert synapse_type("ampa") is Dynapse1SynType.AMPA
    assert synapse_type(2) is Dynapse1SynType.NMDA
    with pytest.raises(UnknownSynapseTypeError, match="Did you mean 'GABA_A'"):
        synapse_type("GABAA")
    with pytest.raises(UnknownSynapseTypeError, match=r"0\.\.3"):
        synapse_type(4)


@pytest.mark.parametrize(("action", "error", "match"), [
    (lambda c: c.chips[4], InvalidCoreError, "there are 4 chips"),
    (lambda c: c.chips[0].cores[4], InvalidCoreError, "there are 4 cores"),
    (lambda c: c.chips[0].cores[0].neurons[256], InvalidNeuronError, "there are 256 neurons"),
    (lambda c: c.chips[0].cores[0].neurons[0].synapses[64], InvalidNeuronError, "64 synapses"),
    (lambda c: c.chips[0].cores[0].neurons[0].destinations[4], InvalidNeuronError,
     "4 destinations"),
    (lambda c: c.chips["0"], TypeError, "integers"),
    (lambda c: Dynapse1Synapse("AMPA", 256, 0), InvalidNeuronError, r"0\.\.255"),
    (lambda c: Dynapse1Synapse("AMPA", 0, 4), InvalidCoreError, r"0\.\.3"),
    (lambda c: Dynapse1Synapse("KAINATE", 0, 0), UnknownSynapseTypeError, "AMPA"),
    (lambda c: Dynapse1Destination(target_chip_id=4), InvalidCoreError, "target_chip_id"),
    (lambda c: Dynapse1Destination(core_mask=16), InvalidCoreError, "core_mask"),
    (lambda c: Dynapse1Destination(dx=9), InvalidCoreError, "dx"),
    (lambda c: setattr(Dynapse1Destination(), "colour", 1), AttributeError, "no field"),
    (lambda c: c.chips[0].cores[0].neurons.__setitem__(0, "x"), TypeError, "Dynapse1Neuron"),
])
def test_fields_check_their_ranges(action, error, match):
    with pytest.raises(error, match=match):
        action(Dynapse1Configuration())


def test_setters_validate_and_keep_the_old_value():
    entry = Dynapse1Synapse(Dynapse1SynType.AMPA, 3, 1)
    with pytest.raises(InvalidNeuronError):
        entry.listen_neuron_id = 300
    with pytest.raises(InvalidCoreError):
        entry.listen_core_id = -1
    with pytest.raises(UnknownSynapseTypeError):
        entry.syn_type = "GLY"
    assert entry.astuple() == (3, 3, 1) and entry.in_use


# --------------------------------------------------------------------------- JSON
entries = st.tuples(st.integers(0, 3), st.integers(0, 255), st.integers(0, 3))
destinations = st.fixed_dictionaries({
    "target_chip_id": st.integers(0, 3), "in_use": st.booleans(),
    "virtual_core_id": st.integers(0, 3), "core_mask": st.integers(0, 15),
    "sx": st.integers(0, 1), "sy": st.integers(0, 1), "dx": st.integers(0, 3),
    "dy": st.integers(0, 3)})
neurons = st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 255),
                    st.dictionaries(st.integers(0, 63), entries, max_size=6),
                    st.dictionaries(st.integers(0, 3), destinations, max_size=4))
parameters = st.tuples(st.integers(0, 3), st.integers(0, 3), st.sampled_from(BIAS_NAMES),
                       st.integers(0, 7), st.integers(0, 255))


@settings(max_examples=40)
@given(st.lists(neurons, max_size=6), st.lists(parameters, max_size=8))
def test_json_round_trip_is_exact(neuron_list, parameter_list):
    cfg = Dynapse1Configuration()
    for chip, core, nid, cams, srams in neuron_list:
        neuron = cfg.chips[chip].cores[core].neurons[nid]
        for slot, entry in cams.items():
            neuron.synapses[slot] = Dynapse1Synapse(*entry)
        for slot, fields in srams.items():
            neuron.destinations[slot] = Dynapse1Destination(**fields)
    for chip, core, name, coarse, fine in parameter_list:
        cfg.chips[chip].cores[core].parameter_group.param_map[name] = Dynapse1Parameter(
            name, coarse, fine)
    for layout in ("cereal", "dynsim"):
        text = cfg.to_json(layout=layout)
        back = configuration_from_json(text)
        assert back == cfg
        assert back.to_json(layout=layout) == text
    assert cfg.copy() == cfg
    assert "pickle" not in text


def test_save_and_load(tmp_path):
    cfg = Dynapse1Configuration()
    cfg.chips[1].cores[2].neurons[3].synapses[5] = Dynapse1Synapse("NMDA", 7, 1)
    path = tmp_path / "board.json"
    save_configuration(cfg, path)
    assert json.loads(path.read_text())["format"] == CONFIG_FORMAT
    assert load_configuration(path) == cfg


def _valid_dict():
    cfg = Dynapse1Configuration()
    cfg.chips[0].cores[1].neurons[2].synapses[0] = Dynapse1Synapse("AMPA", 3, 0)
    cfg.chips[0].cores[1].neurons[2].destinations[0] = Dynapse1Destination(1, True, 1, 3)
    return cfg.to_dict()


def _neuron(d):
    return d["chips"][0]["cores"][1]["neurons"][0]


@pytest.mark.parametrize(("mutate", "match"), [
    (lambda d: d.update(format="other"), "configuration.format"),
    (lambda d: d.update(version=3), "configuration.version"),
    (lambda d: d.pop("chips"), "configuration.chips: missing"),
    (lambda d: d["chips"][0].update(chip_id=9), r"chips\[0\].chip_id"),
    (lambda d: d["chips"][1].update(chip_id=0), "appears twice"),
    (lambda d: d["chips"][0]["cores"][0].update(core_id="1"), r"cores\[0\].core_id: expected int"),
    (lambda d: d["chips"][0]["cores"][0]["parameter_group"].update(IF_XX=[1, 1]),
     "parameter_group.IF_XX: unknown bias"),
    (lambda d: d["chips"][0]["cores"][0]["parameter_group"].update(IF_DC_P=[1, 300]),
     "parameter_group.IF_DC_P: .*fine value 300"),
    (lambda d: d["chips"][0]["cores"][0]["parameter_group"].update(IF_DC_P=5),
     r"expected \[coarse, fine\]"),
    (lambda d: _neuron(d).update(neuron_id=256), r"neurons\[0\].neuron_id"),
    (lambda d: _neuron(d)["synapses"].pop(), "expected 64 entries"),
    (lambda d: _neuron(d)["synapses"].__setitem__(0, [3, 3, 9]), r"synapses\[0\].*core id 9"),
    (lambda d: _neuron(d)["synapses"].__setitem__(1, [3, 3]), r"synapses\[1\]: expected"),
    (lambda d: _neuron(d)["synapses"].__setitem__(1, [7, 3, 0]), r"synapses\[1\]:.*synapse"),
    (lambda d: _neuron(d)["destinations"][0].update(core_mask=99), r"destinations\[0\]"),
    (lambda d: _neuron(d)["destinations"][0].pop("dy"), r"destinations\[0\]: expected"),
    (lambda d: _neuron(d)["destinations"][0].update(in_use=1), "in_use: expected true"),
    (lambda d: _neuron(d)["destinations"].pop(), "expected 4 entries"),
])
def test_json_errors_name_the_field(mutate, match):
    data = _valid_dict()
    mutate(data)
    with pytest.raises(ConfigurationFormatError, match=match):
        Dynapse1Configuration.from_dict(data)


def test_json_that_is_not_json_or_not_an_object():
    with pytest.raises(ConfigurationFormatError, match="not valid JSON"):
        configuration_from_json("{'single quotes': 1}")
    with pytest.raises(ConfigurationFormatError, match="JSON object"):
        configuration_from_json("[1, 2]")


# --------------------------------------------------------------------------- generator
def test_generator_writes_cams_and_srams():
    net = NetworkGenerator()
    pre, post = Neuron(0, 2, 7), Neuron(1, 3, 9)
    net.add_connection(pre, post, "AMPA")
    net.add_connection(pre, post, Dynapse1SynType.AMPA)
    net.add_connection(pre, Neuron(1, 0, 1), 2)
    net.add_connection(Neuron(0, 1, 5, is_spike_gen=True), post, "GABA_B")
    cfg = net.make_dynapse1_configuration()
    target = cfg.chips[1].cores[3].neurons[9]
    assert [target.synapses[k].astuple() for k in range(3)] == [(3, 7, 2), (3, 7, 2), (0, 5, 1)]
    assert target.cams_in_use() == 3
    destination = cfg.chips[0].cores[2].neurons[7].destinations[0]
    assert destination.in_use and destination.target_chip_id == 1
    assert destination.core_mask == 0b1001 and destination.virtual_core_id == 2
    # sx as INI's netgen writes it: 1 only for a hop towards smaller x (test_netgen.py)
    assert (destination.dx, destination.dy, destination.sx) == (1, 0, 0)
    assert not cfg.chips[0].cores[1].neurons[5].destinations[0].in_use  # spike gen: no SRAM
    check_configuration(cfg)
    net.remove_connection(pre, post, "AMPA")
    assert len(net.connections) == 3
    with pytest.raises(InvalidConnectionError, match="no NMDA connection"):
        net.remove_connection(pre, post, "NMDA")
    net.clear_network()
    assert net.connections == []


def test_make_configuration_keeps_given_biases():
    base = Dynapse1Configuration()
    base.chips[0].cores[0].parameter_group.param_map["IF_DC_P"] = Dynapse1Parameter(
        "IF_DC_P", 1, 1)
    base.chips[0].cores[0].neurons[3].synapses[0] = Dynapse1Synapse("AMPA", 1, 1)
    net = NetworkGenerator()
    net.add_connection(Neuron(0, 0, 1), Neuron(0, 0, 2), "NMDA")
    cfg = net.make_dynapse1_configuration(base)
    assert cfg.chips[0].cores[0].parameter_group.param_map["IF_DC_P"].fine_value == 1
    assert not cfg.chips[0].cores[0].neurons[3].synapses[0].in_use
    assert base.chips[0].cores[0].neurons[3].synapses[0].in_use  # the input is not modified


def test_cam_limit_counts_all_types_and_leaves_the_generator_unchanged():
    net = NetworkGenerator()
    post = Neuron(0, 0, 10)
    kinds = ["AMPA", "NMDA", "GABA_A", "GABA_B"]
    for k in range(64):
        net.add_connection(Neuron(0, 1, k + 1, is_spike_gen=True), post, kinds[k % 4])
    before = net.connections
    with pytest.raises(CAMLimitError, match=r"all 64 CAM entries \(16 AMPA, 16 GABA_A"):
        net.add_connection(Neuron(0, 1, 100, is_spike_gen=True), post, "AMPA")
    assert net.connections == before
    with pytest.raises(CAMLimitError):
        net.add_connections([(Neuron(0, 2, 1), Neuron(0, 0, 11), "AMPA"),
                             (Neuron(0, 2, 2), post, "AMPA")])
    assert net.connections == before


def test_aliasing_is_detected_per_target_core():
    net = NetworkGenerator()
    net.add_connection(Neuron(0, 1, 5), Neuron(2, 0, 1), "AMPA")
    # same tag (core 1, neuron 5) from chip 1 into the same core of chip 2: aliasing
    with pytest.raises(CAMAliasingError, match=r"chip 1, core 1, neuron 5.*core 0 of chip 2"):
        net.add_connection(Neuron(1, 1, 5), Neuron(2, 0, 2), "NMDA")
    # a virtual neuron with the same tag aliases too
    with pytest.raises(CAMAliasingError, match=r"spike generator \(chip 0, core 1, neuron 5\)"):
        net.add_connection(Neuron(0, 1, 5, is_spike_gen=True), Neuron(2, 0, 3), "AMPA")
    # into another core of chip 2 it is fine
    net.add_connection(Neuron(1, 1, 5), Neuron(2, 3, 2), "NMDA")
    # the same source again is fine (more weight)
    net.add_connection(Neuron(0, 1, 5), Neuron(2, 0, 1), "AMPA")
    assert len(net.connections) == 3


def test_generator_argument_errors_and_neuron_zero_warning():
    net = NetworkGenerator()
    with pytest.raises(InvalidConnectionError, match="virtual neuron"):
        net.add_connection(Neuron(0, 0, 1), Neuron(0, 0, 2, is_spike_gen=True), "AMPA")
    with pytest.raises(InvalidConnectionError, match="Neuron objects"):
        net.add_connection((0, 0, 1), Neuron(0, 0, 2), "AMPA")
    with pytest.raises(UnknownSynapseTypeError):
        net.add_connection(Neuron(0, 0, 1), Neuron(0, 0, 2), "GLU")
    with pytest.raises(InvalidNeuronError):
        Neuron(0, 0, 256)
    with pytest.raises(InvalidCoreError):
        Neuron(4, 0, 1)
    with pytest.warns(DynapseNeuronZeroWarning, match="unused CAM entry listens to it"):
        net.add_connection(Neuron(0, 0, 0), Neuron(0, 1, 2), "AMPA")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.add_connection(Neuron(0, 1, 0), Neuron(0, 1, 2), "AMPA")  # neuron 0 of core 1


def test_check_configuration_rules():
    cfg = Dynapse1Configuration()
    source = cfg.chips[0].cores[0].neurons[4]
    source.destinations[0] = Dynapse1Destination(2, True, 0, 1)
    source.destinations[1] = Dynapse1Destination(2, True, 0, 2)
    with pytest.raises(SRAMLimitError, match="same target chip 2"):
        check_configuration(cfg)
    cfg = Dynapse1Configuration()
    for chip in (0, 1):
        cfg.chips[chip].cores[3].neurons[4].destinations[0] = Dynapse1Destination(2, True, 3, 1)
    check_configuration(cfg)  # nobody listens to the tag: harmless
    cfg.chips[2].cores[0].neurons[9].synapses[0] = Dynapse1Synapse("AMPA", 4, 3)
    with pytest.raises(CAMAliasingError, match=r"core 0 of chip 2.*\[0, 1\]"):
        check_configuration(cfg)
