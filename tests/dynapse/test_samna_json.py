"""samna's JSON: instance ``to_json``/``from_json`` on every data class, in both layouts.

What is checked here comes from public sources, named where it is used:

* the spike layout ``{"value0": {"timestamp", "neuronId", "coreId", "chipId"}}``: INI's
  ``dynapse1utils.py``, ``convert_dict2samna_object`` (e.g. github.com/BernardMaacaron/
  JointAttractorNets, ``dynapse1utils.py``), which reads what samna's ``Spike.to_json()`` writes;
* the parameter-group layout ``{"value0": {"paramMap": [{"key", "value": {"paramName",
  "coarseValue", "fineValue", "type"}}], "chipId", "coreId"}}``: Rockpool
  (github.com/synsense/rockpool, ``rockpool/devices/dynapse/dynapse1_jax.py``,
  ``DynapSE1Jax._param_group``), which builds it for samna's ``Dynapse1ParameterGroup.from_json``;
* the free CAM entry NMDA / neuron 0 / core 0: INI's ``details/netgen_details.py``,
  ``get_usable_post_synapse_id`` (e.g. github.com/blakeyy/neuromorphic_dreaming).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from dynsim.widgets.bias_files import read_bias_text
from hypothesis import given, settings
from hypothesis import strategies as st

from dynsim.dynapse import BIAS_NAMES, bias_spec, load_configuration, save_configuration
from dynsim.dynapse import events as events_module
from dynsim.dynapse import model as model_module
from dynsim.dynapse.config import (
    UNUSED_SYNAPSE,
    Dynapse1Chip,
    Dynapse1Configuration,
    Dynapse1Core,
    Dynapse1Destination,
    Dynapse1Neuron,
    Dynapse1Parameter,
    Dynapse1ParameterGroup,
    Dynapse1Synapse,
    Dynapse1SynType,
    configuration_from_json,
    parameter_group_from_json,
    parameter_group_to_json,
)
from dynsim.dynapse.events import FpgaSpikeEvent, Spike, TimestampWrapEvent
from dynsim.errors import (
    BiasRangeError,
    ConfigurationFileError,
    InvalidCoreError,
    InvalidNeuronError,
    InvalidSettingError,
    SamnaJsonError,
    UnknownBiasError,
)

LAYOUTS = ("cereal", "dynsim")


# --------------------------------------------------------------------------- state, by hand
def _state(obj):
    """The whole state of a data class, read attribute by attribute (not through JSON)."""
    if isinstance(obj, Dynapse1Neuron):
        return (obj.chip_id, obj.core_id, obj.neuron_id,
                [obj.synapses[k].astuple() for k in range(64)],
                [obj.destinations[k].asdict() for k in range(4)])
    if isinstance(obj, Dynapse1Core):
        return (obj.chip_id, obj.core_id, obj.parameter_group.as_dict(),
                {n: _state(neuron) for n, neuron in obj.neurons.created()
                 if not neuron.is_default()})
    if isinstance(obj, Dynapse1Chip):
        return obj.chip_id, [_state(obj.cores[k]) for k in range(4)]
    if isinstance(obj, Dynapse1ParameterGroup):
        return obj.chip_id, obj.core_id, obj.as_dict()
    if isinstance(obj, Dynapse1Parameter):
        return obj.param_name, obj.coarse_value, obj.fine_value
    if isinstance(obj, Dynapse1Destination):
        return obj.asdict()
    if isinstance(obj, Dynapse1Configuration):
        return obj.to_dict()
    return obj.astuple()


# --------------------------------------------------------------------------- strategies
chips, cores, neuron_ids = st.integers(0, 3), st.integers(0, 3), st.integers(0, 255)
parameters = st.builds(Dynapse1Parameter, st.sampled_from(BIAS_NAMES), st.integers(0, 7),
                       st.integers(0, 255))
synapses = st.builds(Dynapse1Synapse, st.integers(0, 3), neuron_ids, cores)
destinations = st.builds(Dynapse1Destination, chips, st.booleans(), cores, st.integers(0, 15),
                         st.integers(0, 1), st.integers(0, 1), st.integers(0, 3),
                         st.integers(0, 3))


@st.composite
def groups(draw, chip_id=None, core_id=None):
    group = Dynapse1ParameterGroup(draw(chips) if chip_id is None else chip_id,
                                   draw(cores) if core_id is None else core_id)
    for parameter in draw(st.lists(parameters, max_size=6)):
        group.update_parameter(parameter)
    return group


def _fill_neuron(draw, neuron):
    for slot, entry in draw(st.dictionaries(st.integers(0, 63), synapses, max_size=4)).items():
        neuron.synapses[slot] = entry
    for slot, entry in draw(st.dictionaries(st.integers(0, 3), destinations,
                                            max_size=2)).items():
        neuron.destinations[slot] = entry


@st.composite
def neurons(draw):
    neuron = Dynapse1Neuron(draw(chips), draw(cores), draw(neuron_ids))
    _fill_neuron(draw, neuron)
    return neuron


def _fill_core(draw, core):
    core.parameter_group = draw(groups(core.chip_id, core.core_id))
    for nid in draw(st.lists(neuron_ids, max_size=3, unique=True)):
        _fill_neuron(draw, core.neurons[nid])


@st.composite
def core_objects(draw):
    core = Dynapse1Core(draw(chips), draw(cores))
    _fill_core(draw, core)
    return core


@st.composite
def chip_objects(draw):
    chip = Dynapse1Chip(draw(chips))
    for k in draw(st.lists(cores, max_size=2, unique=True)):
        _fill_core(draw, chip.cores[k])
    return chip


@st.composite
def configurations(draw):
    config = Dynapse1Configuration()
    for chip_id, core_id in draw(st.lists(st.tuples(chips, cores), max_size=2, unique=True)):
        _fill_core(draw, config.chips[chip_id].cores[core_id])
    return config


timestamps = st.integers(0, 2**64 - 1)
EVERY_CLASS = [
    (Dynapse1Parameter, parameters),
    (Dynapse1ParameterGroup, groups()),
    (Dynapse1Synapse, synapses),
    (Dynapse1Destination, destinations),
    (Dynapse1Neuron, neurons()),
    (Dynapse1Core, core_objects()),
    (Dynapse1Chip, chip_objects()),
    (Dynapse1Configuration, configurations()),
    (Spike, st.builds(Spike, chips, cores, neuron_ids, timestamps)),
    (FpgaSpikeEvent, st.builds(FpgaSpikeEvent, st.integers(0, 15), chips,
                               st.integers(0, 1023), st.integers(0, 65535))),
    (TimestampWrapEvent, st.builds(TimestampWrapEvent, timestamps)),
]


# --------------------------------------------------------------------------- round trips
@pytest.mark.parametrize(("cls", "objects"), EVERY_CLASS, ids=[c.__name__ for c, _ in EVERY_CLASS])
def test_every_data_class_round_trips_exactly_in_both_layouts(cls, objects):
    @settings(max_examples=15, deadline=None)
    @given(objects, st.sampled_from(LAYOUTS))
    def round_trip(original, layout):
        text = original.to_json(layout=layout)
        fresh = cls()  # samna's pattern: an empty object, filled by from_json
        assert fresh.from_json(text) is None
        assert _state(fresh) == _state(original)
        assert fresh.to_json(layout=layout) == text
        other = "dynsim" if layout == "cereal" else "cereal"
        assert fresh.to_json(layout=other) == original.to_json(layout=other)

    round_trip()


def test_the_default_layout_is_cereal_with_a_value0_root_and_camel_case():
    data = json.loads(Dynapse1Configuration().to_json())
    assert list(data) == ["value0"]
    core = data["value0"]["chips"][1]["cores"][2]
    assert (core["chipId"], core["coreId"], core["neurons"]) == (1, 2, [])
    entry = core["parameterGroup"]["paramMap"][0]
    assert set(entry) == {"key", "value"}
    assert set(entry["value"]) == {"paramName", "coarseValue", "fineValue", "type"}


# --------------------------------------------------------------------------- hand-written files
def test_a_spike_written_by_hand_in_samnas_layout_loads():
    # the members INI's dynapse1utils.convert_dict2samna_object reads from Spike.to_json()
    text = '{"value0": {"timestamp": 1200, "neuronId": 5, "coreId": 1, "chipId": 0}}'
    spike = Spike()
    spike.from_json(text)
    assert (spike.chip_id, spike.core_id, spike.neuron_id, spike.timestamp) == (0, 1, 5, 1200)
    assert json.loads(spike.to_json()) == json.loads(text)


PARAMETER_GROUP_BY_HAND = """{"value0": {"paramMap": [
    {"key": "IF_DC_P", "value": {"paramName": "IF_DC_P", "coarseValue": 3, "fineValue": 120,
                                 "type": "P"}},
    {"key": "IF_TAU1_N", "value": {"paramName": "IF_TAU1_N", "coarseValue": 4, "fineValue": 80,
                                   "type": "N"}}],
  "chipId": 2, "coreId": 3}}"""


def test_a_parameter_group_written_by_hand_as_rockpool_writes_it_loads(tmp_path):
    # Rockpool's DynapSE1Jax._param_group layout (rockpool/devices/dynapse/dynapse1_jax.py)
    group = Dynapse1ParameterGroup()
    group.from_json(PARAMETER_GROUP_BY_HAND)
    assert (group.chip_id, group.core_id) == (2, 3)
    assert group.as_dict()["IF_DC_P"] == (3, 120) and group.as_dict()["IF_TAU1_N"] == (4, 80)
    others = {k: v for k, v in group.as_dict().items() if k not in ("IF_DC_P", "IF_TAU1_N")}
    assert others == {k: bias_spec(k).default for k in others}  # missing biases: defaults
    assert parameter_group_from_json(PARAMETER_GROUP_BY_HAND) == group
    # the bench's bias-file reader takes it too
    assert read_bias_text(PARAMETER_GROUP_BY_HAND.encode(), "samna.json") == group


def test_bias_files_the_bench_saves_and_samnas_layout_both_load():
    group = Dynapse1ParameterGroup(1, 2)
    group.update_parameter(Dynapse1Parameter("IF_AHW_P", 5, 200))
    snake = parameter_group_to_json(group)
    cereal = parameter_group_to_json(group, layout="cereal")
    assert "param_map" in json.loads(snake)["value0"]
    assert "paramMap" in json.loads(cereal)["value0"] and cereal == group.to_json(indent=1)
    for text in (snake, cereal):
        assert parameter_group_from_json(text) == group
        assert read_bias_text(text, "biases.json") == group


@pytest.mark.parametrize("layout", LAYOUTS)
def test_configuration_files_in_either_layout_load(tmp_path, layout):
    config = Dynapse1Configuration()
    config.chips[1].cores[0].neurons[7].synapses[3] = Dynapse1Synapse("AMPA", 9, 2)
    config.chips[1].cores[0].parameter_group.update_parameter(
        Dynapse1Parameter("IF_THR_N", 5, 80))
    path = tmp_path / "config.json"
    save_configuration(config, path, layout=layout)
    data = json.loads(path.read_text())
    assert ("value0" in data) == (layout == "cereal") and ("format" in data) == (
        layout == "dynsim")
    assert load_configuration(path) == config


def test_version_1_files_keep_their_meaning_an_unused_entry_was_gaba_b_then(tmp_path):
    # written by hand as dynsim 1 wrote it: unused CAM entries were [0, 0, 0] (GABA_B)
    unused_v1 = [[0, 0, 0]] * 63
    default_sram = {"target_chip_id": 0, "in_use": False, "virtual_core_id": 0,
                    "core_mask": 0, "sx": 0, "sy": 0, "dx": 0, "dy": 0}
    neuron = {"neuron_id": 5, "synapses": [[3, 17, 3], *unused_v1],
              "destinations": [default_sram] * 4}
    cores = [{"core_id": k, "parameter_group": {}, "neurons": [neuron] if k == 1 else []}
             for k in range(4)]
    path = tmp_path / "v1.json"
    path.write_text(json.dumps({"format": "dynsim.dynapse1.configuration", "version": 1,
                                "chips": [{"chip_id": 0, "cores": cores}]}))
    config = load_configuration(path)
    loaded = config.chips[0].cores[1].neurons[5]
    assert loaded.cams_in_use() == 1 and loaded.synapses[0] == Dynapse1Synapse("AMPA", 17, 3)
    assert all(loaded.synapses[k] == Dynapse1Synapse() for k in range(1, 64))
    data = json.loads(config.to_json(layout="dynsim"))  # written again as version 2
    assert data["version"] == 2
    assert data["chips"][0]["cores"][1]["neurons"][0]["synapses"][1] == [2, 0, 0]


def test_save_configuration_writes_dynsims_versioned_format_by_default(tmp_path):
    path = tmp_path / "config.json"
    save_configuration(Dynapse1Configuration(), path)
    assert json.loads(path.read_text())["format"] == "dynsim.dynapse1.configuration"


# --------------------------------------------------------------------------- error paths
def _spike():
    return Spike(0, 1, 5, 1200)


def _group():
    group = Dynapse1ParameterGroup(1, 2)
    group.update_parameter(Dynapse1Parameter("IF_DC_P", 2, 30))
    return group


def _neuron():
    neuron = Dynapse1Neuron(0, 1, 5)
    neuron.synapses[0] = Dynapse1Synapse("AMPA", 3, 1)
    return neuron


def _config():
    config = Dynapse1Configuration()
    config.chips[0].cores[1].neurons[5].synapses[0] = Dynapse1Synapse("AMPA", 3, 1)
    return config


# (factory, path to an int member in the cereal body, its out-of-range value)
ERROR_CASES = {
    "Spike": (_spike, ["neuronId"], 256),
    "FpgaSpikeEvent": (lambda: FpgaSpikeEvent(15, 0, 15, 10), ["isi"], 65536),
    "TimestampWrapEvent": (lambda: TimestampWrapEvent(7), ["timestamp"], -1),
    "Dynapse1Parameter": (lambda: Dynapse1Parameter("IF_DC_P", 2, 30), ["coarseValue"], 8),
    "Dynapse1ParameterGroup": (_group, ["paramMap", 5, "value", "fineValue"], 256),
    "Dynapse1Synapse": (lambda: Dynapse1Synapse("AMPA", 3, 1), ["listenCoreId"], 4),
    "Dynapse1Destination": (lambda: Dynapse1Destination(2, True, 1, 3), ["dx"], 4),
    "Dynapse1Neuron": (_neuron, ["synapses", 0, "synType"], 4),
    "Dynapse1Core": (lambda: _config().chips[0].cores[1], ["neurons", 0, "neuronId"], 256),
    "Dynapse1Chip": (lambda: _config().chips[0], ["cores", 1, "coreId"], 4),
    "Dynapse1Configuration": (_config, ["chips", 0, "chipId"], 4),
}


def _target(data, path):
    node = data["value0"]
    for key in path[:-1]:
        node = node[key]
    return node, path[-1]


def _mutations(path, out_of_range):
    def wrong_type(data):
        node, key = _target(data, path)
        node[key] = str(node[key])

    def out_of_range_value(data):
        node, key = _target(data, path)
        node[key] = out_of_range

    def unknown_member(data):
        node, _ = _target(data, path)
        node["extraMember"] = 1

    return [("wrong member type", wrong_type, r"expected int"),
            ("out-of-range value", out_of_range_value, r"\d"),
            ("unknown member", unknown_member, r"extraMember: unknown field")]


def _error_params():
    for name, (factory, path, bad) in ERROR_CASES.items():
        for label, mutate, match in _mutations(path, bad):
            yield pytest.param(factory, mutate, match, id=f"{name}-{label}")


@pytest.mark.parametrize(("factory", "mutate", "match"), list(_error_params()))
def test_a_bad_member_is_a_named_error_and_the_object_is_unchanged(factory, mutate, match):
    source = factory()
    data = json.loads(source.to_json())
    mutate(data)
    target = factory()
    before = _state(target)
    with pytest.raises(SamnaJsonError, match=match):
        target.from_json(json.dumps(data))
    assert _state(target) == before


@pytest.mark.parametrize("name", list(ERROR_CASES))
def test_malformed_json_and_repeated_keys_are_refused_with_nothing_changed(name):
    factory = ERROR_CASES[name][0]
    target = factory()
    before = _state(target)
    text = target.to_json()
    repeated = text.replace('{"value0": {', '{"value0": {"x": 1, "x": 1, ', 1)
    for bad, match in [(text[:-1], "not valid JSON"), (repeated, "'x' appears twice"),
                       ("[1, 2]", "expected"), (None, "expected JSON text")]:
        with pytest.raises(SamnaJsonError, match=match):
            target.from_json(bad)
        assert _state(target) == before
    assert issubclass(SamnaJsonError, ConfigurationFileError)


@pytest.mark.parametrize(("mutate", "match"), [
    (lambda body: body["chips"].append(body["chips"][0]),
     r"value0\.chips\[4\]\.chipId: chip_id 0 appears twice \(also value0\.chips\[0\]\)"),
    (lambda body: body["chips"][0]["cores"][0].update(chipId=2),
     r"value0\.chips\[0\]\.cores\[0\]\.chipId: 2 inside chip_id 0"),
    (lambda body: body["chips"][0]["cores"][1].update(coreId=2),
     r"cores\[1\]\.neurons\[0\]\.coreId: 1 inside core_id 2"),
    (lambda body: body["chips"][0]["cores"][1]["neurons"].append(
        body["chips"][0]["cores"][1]["neurons"][0]), r"neuronId: neuron_id 5 appears twice"),
    (lambda body: body["chips"][0]["cores"][1]["neurons"][0]["synapses"].pop(),
     r"neurons\[0\]\.synapses: expected 64 entries, got 63"),
    (lambda body: body["chips"][0]["cores"][1]["neurons"][0]["destinations"][0].update(sx=2),
     r"destinations\[0\]\.sx: expected true/false"),
    (lambda body: body["chips"][0]["cores"][1]["neurons"][0].pop("neuronId"),
     r"neurons\[0\]\.neuronId: missing field"),
])
def test_a_cereal_configuration_is_checked_where_it_is_wrong(mutate, match):
    data = json.loads(_config().to_json())
    mutate(data["value0"])
    target = _config()
    before = target.to_json()
    with pytest.raises(SamnaJsonError, match=match):
        target.from_json(json.dumps(data))
    assert target.to_json() == before


def test_the_old_classmethod_call_fails_loudly_and_names_the_replacement():
    text = _config().to_json()
    with pytest.raises(InvalidSettingError, match=r"configuration_from_json\(text\)"):
        Dynapse1Configuration.from_json(text)
    with pytest.raises(InvalidSettingError, match=r"obj = Spike\(\); obj\.from_json"):
        Spike.from_json('{"value0": {}}')
    assert configuration_from_json(text) == _config()


def test_a_neuron_held_by_a_configuration_keeps_its_place():
    config = _config()
    held = config.chips[0].cores[1].neurons[6]
    before = config.to_json()
    with pytest.raises(SamnaJsonError, match="neuron_id 5, this object is neuron_id 6"):
        held.from_json(config.chips[0].cores[1].neurons[5].to_json())
    assert config.to_json() == before
    held_parameter = config.chips[0].cores[0].parameter_group.param_map["IF_DC_P"]
    with pytest.raises(SamnaJsonError, match="param_map"):
        held_parameter.from_json(Dynapse1Parameter("IF_TAU1_N", 1, 2).to_json())
    assert config.to_json() == before


def test_an_unknown_layout_is_refused():
    with pytest.raises(InvalidSettingError, match="'cereal', 'dynsim'"):
        Spike().to_json(layout="yaml")


# --------------------------------------------------------------------------- empty + assign
@pytest.mark.parametrize(("make", "field", "bad", "error"), [
    (Spike, "chip_id", 4, InvalidCoreError),
    (Spike, "neuron_id", 256, InvalidNeuronError),
    (Spike, "timestamp", -1, InvalidSettingError),
    (TimestampWrapEvent, "timestamp", 2**64, InvalidSettingError),
    (FpgaSpikeEvent, "isi", 65536, InvalidSettingError),
    (FpgaSpikeEvent, "neuron_id", 1024, InvalidNeuronError),
    (Dynapse1Parameter, "coarse_value", 8, BiasRangeError),
    (Dynapse1Parameter, "param_name", "IF_XX_N", UnknownBiasError),
])
def test_empty_events_are_filled_by_attribute_and_refuse_out_of_range(make, field, bad, error):
    event = make()
    before = _state(event)
    with pytest.raises(error):
        setattr(event, field, bad)
    assert _state(event) == before


def test_constructors_check_every_field_too():
    assert Spike(np.int64(1), np.int64(2), np.int64(3), np.uint64(4)) == Spike(1, 2, 3, 4)
    for args, error in [((4, 0, 0, 0), InvalidCoreError), ((0, 0, 256, 0), InvalidNeuronError),
                        ((0, 0, 0, -1), InvalidSettingError), ((0, 0, 0, 1.5), InvalidSettingError),
                        ((True, 0, 0, 0), InvalidCoreError)]:
        with pytest.raises(error):
            Spike(*args)


def test_samnas_fill_by_attribute_patterns():
    spike = Spike()
    spike.timestamp, spike.neuron_id, spike.core_id, spike.chip_id = 1200, 5, 1, 0
    assert spike == Spike(0, 1, 5, 1200) and spike.global_id == 5 + 256
    parameter = Dynapse1Parameter()
    assert (parameter.param_name, parameter.coarse_value, parameter.fine_value,
            parameter.type) == ("", 0, 0, "")
    with pytest.raises(UnknownBiasError, match="no name"):
        parameter.current  # noqa: B018
    parameter.param_name, parameter.coarse_value, parameter.fine_value = "IF_DC_P", 3, 10
    assert parameter == Dynapse1Parameter("IF_DC_P", 3, 10) and parameter.type == "P"


def test_fpga_spike_event_moved_to_events_and_is_importable_where_it_was():
    from dynsim.dynapse import FpgaSpikeEvent as exported

    assert exported is events_module.FpgaSpikeEvent is model_module.FpgaSpikeEvent
    assert "FpgaSpikeEvent" in model_module.__all__


# --------------------------------------------------------------------------- unused CAM
def test_the_unused_cam_entry_is_the_one_netgen_takes_as_free():
    entry = Dynapse1Synapse()
    # netgen_details.get_usable_post_synapse_id: listen_neuron_id + listen_core_id == 0 and
    # syn_type == NMDA
    assert entry.listen_neuron_id + entry.listen_core_id == 0
    assert entry.syn_type == Dynapse1SynType.NMDA and entry.astuple_typed() == UNUSED_SYNAPSE
    assert not entry.in_use
    neuron = Dynapse1Neuron()
    neuron.synapses[0] = Dynapse1Synapse("GABA_B", 0, 0)  # a real GABA_B input from neuron 0
    assert neuron.synapses[0].in_use and neuron.cams_in_use() == 1 and not neuron.is_default()
    neuron.synapses[0] = Dynapse1Synapse()
    assert neuron.is_default() and neuron.cams_in_use() == 0
