"""Configuration files and data classes: every mistake is a named error, nothing changes.

Each test here failed before the hardening of issue 14 (a raw RecursionError,
UnicodeDecodeError, IsADirectoryError or FileNotFoundError; merged duplicates; ignored keys;
``param_name = 'BOGUS'`` accepted).
"""

from __future__ import annotations

import copy
import json
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynsim.dynapse import (
    Dynapse1Configuration,
    Dynapse1Destination,
    Dynapse1Model,
    Dynapse1Parameter,
    Dynapse1Synapse,
    FpgaSpikeEvent,
    configuration_from_json,
    load_configuration,
    parameter_group_from_json,
    parameter_group_to_json,
    save_configuration,
)
from dynsim.dynapse import config as config_module
from dynsim.dynapse.config import CONFIG_MAX_BYTES, Dynapse1ParameterGroup
from dynsim.dynapse.constants import CAMS_PER_NEURON, NEURONS_PER_CORE, SRAMS_PER_NEURON
from dynsim.errors import (
    ConfigurationFileError,
    ConfigurationFormatError,
    DynsimError,
    InvalidSettingError,
    UnknownBiasError,
)


def _small_config() -> Dynapse1Configuration:
    cfg = Dynapse1Configuration()
    cfg.chips[0].cores[1].neurons[5].synapses[0] = Dynapse1Synapse("AMPA", 3, 0)
    cfg.chips[0].cores[1].neurons[7].synapses[2] = Dynapse1Synapse("NMDA", 4, 2)
    return cfg


# --------------------------------------------------------------------------- files
def test_missing_file_folder_and_bad_path_name_the_file(tmp_path):
    missing = tmp_path / "nothing.json"
    with pytest.raises(ConfigurationFileError, match=r"nothing\.json.*does not exist"):
        load_configuration(missing)
    with pytest.raises(ConfigurationFileError, match="is a folder"):
        load_configuration(tmp_path)
    with pytest.raises(ConfigurationFileError, match="is a folder"):
        save_configuration(_small_config(), tmp_path)
    with pytest.raises(ConfigurationFileError, match=r"not a folder|does not exist"):
        save_configuration(_small_config(), missing / "below.json")
    with pytest.raises(ConfigurationFileError, match="path"):
        load_configuration(3)
    with pytest.raises(ConfigurationFormatError, match="Dynapse1Configuration"):
        save_configuration({"chips": []}, tmp_path / "x.json")


@pytest.mark.parametrize("content", [pickle.dumps({"chips": []}), b"\xff\xfe\x00binary",
                                     bytes(range(256))])
def test_binary_or_pickle_bytes_are_a_format_error_naming_the_file(tmp_path, content):
    path = tmp_path / "board.json"
    path.write_bytes(content)
    with pytest.raises(ConfigurationFormatError, match=r"board\.json.*(UTF-8|not valid JSON)"):
        load_configuration(path)


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_deep_nesting_is_a_format_error(tmp_path, depth):
    text = "[" * depth + "]" * depth
    with pytest.raises(ConfigurationFormatError, match=r"nested|configuration"):
        configuration_from_json(text)
    path = tmp_path / "deep.json"
    path.write_text('{"value0": ' + text + "}")
    with pytest.raises(ConfigurationFormatError, match=r"deep\.json"):
        load_configuration(path)
    with pytest.raises(ConfigurationFormatError, match=r"nested|expected"):
        parameter_group_from_json('{"value0": ' + text + "}")


def test_files_larger_than_any_configuration_are_refused_before_parsing(tmp_path,
                                                                       monkeypatch):
    path = tmp_path / "large.json"
    save_configuration(_small_config(), path)
    size = path.stat().st_size
    monkeypatch.setattr(config_module, "CONFIG_MAX_BYTES", size - 1)
    with pytest.raises(ConfigurationFileError, match=r"large\.json.*larger than any"):
        load_configuration(path)
    with pytest.raises(ConfigurationFormatError, match="CONFIG_MAX_BYTES"):
        configuration_from_json(path.read_text())
    monkeypatch.setattr(config_module, "CONFIG_MAX_BYTES", size)
    assert load_configuration(path) == _small_config()


def test_a_full_board_file_fits_the_size_bound_with_room_to_spare():
    """The bound is the size of the widest full board written by save_configuration, x 2-3."""
    cfg = Dynapse1Configuration()
    neuron = cfg.chips[3].cores[3].neurons[255]
    for k in range(CAMS_PER_NEURON):
        neuron.synapses[k] = Dynapse1Synapse("AMPA", 255, 3)
    for k in range(SRAMS_PER_NEURON):
        neuron.destinations[k] = Dynapse1Destination(3, True, 3, 15, 1, 1, 3, 3)
    data = cfg.to_dict()
    widest = data["chips"][3]["cores"][3]["neurons"][0]  # neuron id 255: the most digits

    def size(neurons_per_core: int) -> int:
        for chip in data["chips"]:
            for core in chip["cores"]:
                core["neurons"] = [widest] * neurons_per_core
        return len(json.dumps(data, indent=1).encode())

    # every neuron entry has the same size: the file grows linearly with their number
    one, two = size(1), size(2)
    full_board = one + (two - one) * (NEURONS_PER_CORE - 1)
    assert full_board < CONFIG_MAX_BYTES < 4 * full_board


def test_round_trip_through_a_file_is_exact(tmp_path):
    path = tmp_path / "board.json"
    save_configuration(_small_config(), path)
    assert load_configuration(str(path)) == _small_config()


# --------------------------------------------------------------------------- JSON structure
def _data() -> dict:
    return _small_config().to_dict()


def _core(d, k=1):
    return d["chips"][0]["cores"][k]


@pytest.mark.parametrize(("mutate", "match"), [
    (lambda d: d["chips"][0]["cores"].append(copy.deepcopy(_core(d, 1))),
     r"chips\[0\]\.cores\[4\]\.core_id: core 1 of chip 0 appears twice \(also "
     r"chips\[0\]\.cores\[1\]\)"),
    (lambda d: _core(d)["neurons"].append(copy.deepcopy(_core(d)["neurons"][0])),
     r"cores\[1\]\.neurons\[2\]\.neuron_id: neuron 5 of core 1, chip 0 appears twice"),
    (lambda d: d.update(comment="x"), r"configuration\.comment: unknown field"),
    (lambda d: d["chips"][0].update(chipid=0), r"chips\[0\]\.chipid: unknown field.*chip_id"),
    (lambda d: _core(d).update(parameter_groups={}),
     r"cores\[1\]\.parameter_groups: unknown field.*'parameter_group'"),
    (lambda d: _core(d)["neurons"][0].update(synapse=[]), r"neurons\[0\]\.synapse: unknown"),
    (lambda d: d.update(synapse_fields=["a", "b", "c"]), "synapse_fields"),
])
def test_repeated_entries_and_unknown_keys_are_refused_where_they_are(mutate, match):
    data = _data()
    mutate(data)
    with pytest.raises(ConfigurationFormatError, match=match):
        Dynapse1Configuration.from_dict(data)


def test_a_key_repeated_in_one_json_object_is_refused():
    text = _small_config().to_json(layout="dynsim")
    repeated = text.replace('"version": 2', '"version": 2, "version": 2')
    assert repeated != text
    with pytest.raises(ConfigurationFormatError, match="'version' appears twice"):
        configuration_from_json(repeated)
    with pytest.raises(ConfigurationFormatError, match="expected JSON text"):
        configuration_from_json(None)


def test_parameter_group_json_refuses_repeats_unknown_keys_and_wrong_types():
    text = parameter_group_to_json(Dynapse1ParameterGroup(1, 2))
    assert parameter_group_from_json(text) == Dynapse1ParameterGroup(1, 2)
    data = json.loads(text)
    entries = data["value0"]["param_map"]
    for mutate, match in [
        (lambda d: d["value0"]["param_map"].append(copy.deepcopy(entries[0])), "appears twice"),
        (lambda d: d["value0"].update(chipId=0), r"value0\.chipId: unknown field"),
        (lambda d: d["value0"]["param_map"][0]["value"].update(typ="N"), "unknown field"),
        (lambda d: d["value0"]["param_map"][0]["value"].update(
            type="P" if entries[0]["value"]["type"] == "N" else "N"), r"-type bias"),
        (lambda d: d.update(extra=1), "unknown field"),
    ]:
        broken = copy.deepcopy(data)
        mutate(broken)
        with pytest.raises(ConfigurationFormatError, match=match):
            parameter_group_from_json(json.dumps(broken))


# --------------------------------------------------------------------------- data classes
def test_parameter_names_are_checked_on_construction_and_assignment():
    with pytest.raises(UnknownBiasError, match="Did you mean 'IF_DC_P'"):
        Dynapse1Parameter("IF_DC_PP", 1, 1)
    with pytest.raises(UnknownBiasError, match="a string"):
        Dynapse1Parameter(["IF_DC_P"], 1, 1)
    parameter = Dynapse1Parameter("IF_DC_P", 1, 10)
    with pytest.raises(UnknownBiasError, match="unknown bias 'BOGUS'"):
        parameter.param_name = "BOGUS"
    with pytest.raises(UnknownBiasError, match="samna name"):
        parameter.param_name = "Idc"
    assert parameter == Dynapse1Parameter("IF_DC_P", 1, 10)
    parameter.param_name = "IF_TAU1_N"  # a free parameter may name another bias
    assert parameter == Dynapse1Parameter("IF_TAU1_N", 1, 10)
    group = Dynapse1ParameterGroup()
    held = group.param_map["IF_DC_P"]
    with pytest.raises(UnknownBiasError, match=r"param_map\['IF_DC_P'\].*cannot be renamed"):
        held.param_name = "IF_TAU1_N"
    held.param_name = "IF_DC_P"
    assert group.param_map["IF_DC_P"].param_name == "IF_DC_P"
    with pytest.raises(UnknownBiasError, match="cannot be replaced"):
        group.param_map = {}
    with pytest.raises(UnknownBiasError, match="Dynapse1Parameter"):
        group.update_parameter(("IF_DC_P", 1, 1))


def test_ids_and_lists_fixed_by_the_board_cannot_be_reassigned():
    cfg = _small_config()
    before = cfg.to_json()
    core = cfg.chips[0].cores[1]
    neuron = core.neurons[5]
    for obj, field, value in [(neuron, "neuron_id", 6), (neuron, "core_id", "x"),
                              (neuron, "synapses", []), (neuron, "destinations", None),
                              (core, "neurons", []), (core, "core_id", 2),
                              (cfg.chips[0], "cores", []), (cfg, "chips", [])]:
        with pytest.raises(InvalidSettingError, match="fixed"):
            setattr(obj, field, value)
    neuron.neuron_id = np.int16(5)  # the value it has: allowed, as samna code does it
    with pytest.raises(UnknownBiasError, match="Dynapse1ParameterGroup"):
        core.parameter_group = {"IF_DC_P": (1, 1)}
    group = Dynapse1ParameterGroup(3, 3)
    group.param_map["IF_DC_P"] = Dynapse1Parameter("IF_DC_P", 2, 30)
    core.parameter_group = group
    assert (core.parameter_group.chip_id, core.parameter_group.core_id) == (0, 1)
    assert core.parameter_group.param_map["IF_DC_P"] == Dynapse1Parameter("IF_DC_P", 2, 30)
    core.parameter_group = Dynapse1ParameterGroup()
    assert cfg.to_json() == before


def test_destination_in_use_is_a_switch():
    destination = Dynapse1Destination(1, True, 0, 3)
    for value in (1, "yes", None):
        with pytest.raises(InvalidSettingError, match="True or False"):
            destination.in_use = value
        with pytest.raises(InvalidSettingError, match="True or False"):
            Dynapse1Destination(in_use=value)
    destination.in_use = np.bool_(False)
    assert destination.in_use is False


# --------------------------------------------------------------------------- property
def _any_number():
    return st.one_of(
        st.integers(-(2**70), 2**70), st.integers(-3, 70_000),
        st.integers(0, 2**64 - 1).map(np.uint64), st.integers(-128, 127).map(np.int8),
        st.booleans(), st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([2.0, np.float64(3.0), float("nan"), None, "3"]))


def _model():
    return Dynapse1Model(engine="numpy", name="property_setters")


#: (name, make the object, set the value, read it back (object, value), valid range)
INTEGER_SETTERS = [
    ("coarse_value", lambda: Dynapse1Parameter("IF_DC_P", 1, 1),
     lambda o, v: setattr(o, "coarse_value", v), lambda o, v: o.coarse_value, (0, 7)),
    ("fine_value", lambda: Dynapse1Parameter("IF_DC_P", 1, 1),
     lambda o, v: setattr(o, "fine_value", v), lambda o, v: o.fine_value, (0, 255)),
    ("syn_type", Dynapse1Synapse, lambda o, v: setattr(o, "syn_type", v),
     lambda o, v: int(o.syn_type), (0, 3)),
    ("listen_neuron_id", Dynapse1Synapse, lambda o, v: setattr(o, "listen_neuron_id", v),
     lambda o, v: o.listen_neuron_id, (0, 255)),
    ("listen_core_id", Dynapse1Synapse, lambda o, v: setattr(o, "listen_core_id", v),
     lambda o, v: o.listen_core_id, (0, 3)),
    *[(f"destination.{field}", Dynapse1Destination,
       lambda o, v, f=field: setattr(o, f, v), lambda o, v, f=field: getattr(o, f), bounds)
      for field, bounds in [("target_chip_id", (0, 3)), ("virtual_core_id", (0, 3)),
                            ("core_mask", (0, 15)), ("sx", (0, 1)), ("sy", (0, 1)),
                            ("dx", (0, 3)), ("dy", (0, 3))]],
    ("group.chip_id", Dynapse1ParameterGroup, lambda o, v: setattr(o, "chip_id", v),
     lambda o, v: o.chip_id, (0, 3)),
    ("group.core_id", Dynapse1ParameterGroup, lambda o, v: setattr(o, "core_id", v),
     lambda o, v: o.core_id, (0, 3)),
    *[(f"event.{field}", FpgaSpikeEvent, lambda o, v, f=field: setattr(o, f, v),
       lambda o, v, f=field: getattr(o, f), bounds)
      for field, bounds in [("core_mask", (0, 15)), ("target_chip", (0, 3)),
                            ("neuron_id", (0, 1023)), ("isi", (0, 65535))]],
    ("poisson.set_chip_id", lambda: _model().get_poisson_gen(),
     lambda o, v: o.set_chip_id(v), lambda o, v: o.get_chip_id(), (0, 3)),
    ("poisson.write_poisson_rate_hz id", lambda: _model().get_poisson_gen(),
     lambda o, v: o.write_poisson_rate_hz(v, 5.0),
     lambda o, v: int(v) if o.get_poisson_rate_hz(v) == 5.0 else None, (0, 1023)),
    ("fpga.set_isi_multiplier", lambda: _model().get_fpga_spike_gen(),
     lambda o, v: o.set_isi_multiplier(v), lambda o, v: o.get_isi_multiplier(), (1, 65535)),
]


def _state(obj) -> str:
    """Everything an object shows (its repr and, for generators, what they hold)."""
    extra = [getattr(obj, name)() for name in ("get_rates", "get_chip_id", "get_isi_multiplier")
             if hasattr(obj, name)]
    if isinstance(obj, Dynapse1ParameterGroup):
        extra.append((obj.chip_id, obj.core_id))
    return repr((obj, extra))


@pytest.fixture(scope="module")
def setter_objects():
    return {name: make() for name, make, *_ in INTEGER_SETTERS}


@settings(max_examples=300, deadline=None)
@given(which=st.sampled_from(range(len(INTEGER_SETTERS))), value=_any_number())
def test_integer_setters_store_exactly_or_refuse_with_nothing_changed(setter_objects, which,
                                                                      value):
    name, _, assign, read, (low, high) = INTEGER_SETTERS[which]
    obj = setter_objects[name]
    before = _state(obj)
    valid = (isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
             and low <= int(value) <= high)
    if name in ("destination.sx", "destination.sy") and type(value) is bool:
        valid = True  # samna's sign bits are booleans: INI's netgen assigns True / False
    try:
        assign(obj, value)
    except DynsimError:
        assert not valid, f"{name} refused the valid value {value!r}"
        assert _state(obj) == before, f"{name} changed although it refused {value!r}"
        return
    assert valid, f"{name} accepted {value!r}"
    assert read(obj, value) == int(value) and type(read(obj, value)) is int
