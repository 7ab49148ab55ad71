"""dynsim's counterparts of INI's ``dynapse1utils.py`` (the DYNAP-SE1 tutorial helpers).

For users without INI's file. The same names and arguments, over the emulator and the samna
stand-in (:mod:`dynsim.samna`): ``open_dynapse1`` takes the device-opening path of INI's
``open_device`` (``SamnaNode``, ``setup_local_node``, ``open_remote_node``,
``device.get_unopened_devices``, ``device.open_device``) on the stand-in and returns the
emulated model; nothing is opened on the network. Read from INI's file as copied in
github.com/blakeyy/neuromorphic_dreaming (``dynapse/dynapse1utils.py``); docs/samna.md
lists every name and what differs (no GUI, no ``samna_info.json`` file, errors from
:mod:`dynsim.errors` instead of ``assert``).

Examples
--------
>>> from dynsim.dynapse import dynapse1utils as ut
>>> model, gui = ut.open_dynapse1()
>>> graph, select, sink = ut.create_neuron_select_graph(model, [(0, 1, 5)])
>>> select.get_neurons(), gui
([(0, 1, 5)], '')
>>> ut.close_dynapse1(model)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dynsim.dynapse.config import (
    Dynapse1Configuration,
    Dynapse1Destination,
    Dynapse1Neuron,
    Dynapse1Parameter,
    Dynapse1ParameterGroup,
    Dynapse1Synapse,
    _parse_json,
    _read_text,
    check_chip,
    check_core,
    check_neuron,
)
from dynsim.dynapse.constants import (
    CAMS_PER_NEURON,
    CORES_PER_CHIP,
    NEURONS_PER_CHIP,
    NEURONS_PER_CORE,
    NUM_CHIPS,
    NUM_NEURONS,
    SRAMS_PER_NEURON,
)
from dynsim.dynapse.events import Spike
from dynsim.dynapse.model import (
    FPGA_STIMULUS_ADDRESS_MAX,
    Dynapse1Model,
    FpgaSpikeGen,
    fpga_events_from_times,
)
from dynsim.errors import (
    BiasFileError,
    InvalidNeuronError,
    InvalidSettingError,
    SamnaStandInError,
)
from dynsim.validation import flag, whole_number

__all__ = [
    "INI_INITIAL_BIASES",
    "close_dynapse1",
    "convert_dict2samna_object",
    "create_neuron_select_graph",
    "gen_destination_string",
    "gen_param_group_1core",
    "gen_synapse_string",
    "get_global_id",
    "get_global_id_list",
    "get_neuron_from_config",
    "get_parameter_value",
    "get_parameters",
    "get_selected_timestamps",
    "get_serial_number",
    "get_time_wrap_events",
    "load_samna_objects_file",
    "open_device",
    "open_dynapse1",
    "print_dynapse1_spike",
    "print_neuron_destinations",
    "print_neuron_synapses",
    "save_parameters2json_file",
    "save_parameters2txt_file",
    "set_fpga_spike_gen",
    "set_parameters_in_json_file",
    "set_parameters_in_txt_file",
]

#: INI's "recommended initial values" of the tutorials' ``gen_param_group_1core`` (coarse,
#: fine), e.g. github.com/blakeyy/neuromorphic_dreaming and INI's NI course scripts; they
#: differ from dynsim's defaults (:func:`dynsim.dynapse.default_biases`) for most biases.
INI_INITIAL_BIASES: dict[str, tuple[int, int]] = {
    "IF_THR_N": (5, 80), "IF_RFR_N": (4, 128), "IF_TAU1_N": (4, 80), "IF_TAU2_N": (7, 255),
    "IF_DC_P": (0, 0), "NPDPIE_TAU_F_P": (4, 80), "NPDPIE_THR_F_P": (4, 80),
    "PS_WEIGHT_EXC_F_N": (0, 0), "NPDPIE_TAU_S_P": (4, 80), "NPDPIE_THR_S_P": (4, 80),
    "PS_WEIGHT_EXC_S_N": (0, 0), "NPDPII_TAU_F_P": (4, 80), "NPDPII_THR_F_P": (4, 80),
    "PS_WEIGHT_INH_F_N": (0, 0), "NPDPII_TAU_S_P": (4, 80), "NPDPII_THR_S_P": (4, 80),
    "PS_WEIGHT_INH_S_N": (0, 0), "IF_NMDA_N": (0, 0), "IF_AHTAU_N": (4, 80),
    "IF_AHTHR_N": (0, 0), "IF_AHW_P": (0, 0), "IF_CASC_N": (0, 0), "PULSE_PWLK_P": (4, 106),
    "R2R_P": (3, 85), "IF_BUF_P": (3, 80),
}


# --------------------------------------------------------------------------- the board
def open_device(sender_port: int = 33336, receiver_port: int = 33335,
                select_device: bool = False) -> tuple[Dynapse1Model, dict[str, Any]]:
    """Open the emulated board through the samna stand-in's calls; no socket is opened.

    Returns
    -------
    model : Dynapse1Model
        The emulated board.
    info : dict
        INI's information dictionary (endpoints, node ids, device name).

    Raises
    ------
    dynsim.errors.SamnaStandInError
        For a port outside 1..65535, or when the board is already open.
    """
    from dynsim import samna

    ports = [whole_number(p, name, low=1, high=65535, error=SamnaStandInError)
             for p, name in ((sender_port, "sender_port"), (receiver_port, "receiver_port"))]
    flag(select_device, "select_device", error=SamnaStandInError)
    sender, receiver = (f"tcp://0.0.0.0:{p}" for p in ports)
    node_id, interpreter_id = 1, 2
    samna.SamnaNode(sender, receiver, node_id)
    samna.setup_local_node(receiver, sender, interpreter_id)
    samna.open_remote_node(node_id, "device_node")
    devices = samna.device.get_unopened_devices()
    if not devices:
        raise SamnaStandInError("the emulated Dynapse1DevKit is already open; close it with "
                                "close_dynapse1(model) first")
    model = samna.device.open_device(devices[0])
    info = {"sender_port": sender, "receiver_port": receiver, "samna_node_id": node_id,
            "device_name": devices[0].device_type_name, "python_node_id": interpreter_id}
    return model, info


def open_dynapse1(gui: bool = False, select_device: bool = False, sender_port: int = 33337,
                  receiver_port: int = 33338) -> tuple[Dynapse1Model, str]:
    """Open the emulated DYNAP-SE1 board; return ``(model, '')`` as INI's helper does.

    Unlike INI's helper it writes no ``samna_info.json`` and prints nothing.

    Raises
    ------
    dynsim.errors.SamnaStandInError
        For ``gui=True`` (the emulator has no samna GUI: use the dynsim widgets), or when the
        board is already open.
    """
    if flag(gui, "gui", error=SamnaStandInError):
        raise SamnaStandInError("the emulator has no samna GUI; open the board with gui=False "
                                "and plot the sink's events (or use dynsim.widgets)")
    model, _ = open_device(sender_port, receiver_port, select_device)
    return model, ""


def close_dynapse1(model: Dynapse1Model, gui_process: Any = "") -> None:
    """Close the board opened by :func:`open_dynapse1`."""
    from dynsim import samna

    samna.device.close_device(model)


def get_serial_number(device_idx: int = 0, select_device: bool = False) -> str:
    """Return the serial number of the open (emulated) board.

    Raises
    ------
    dynsim.errors.SamnaStandInError
        When no board is open or ``device_idx`` is not 0.
    """
    from dynsim import samna

    devices = samna.device.get_opened_devices()
    index = whole_number(device_idx, "device_idx", low=0, high=max(len(devices) - 1, 0),
                         error=SamnaStandInError)
    if not devices:
        raise SamnaStandInError("no board is open: call open_dynapse1() first")
    return devices[index].serial_number


# --------------------------------------------------------------------------- graphs
def create_neuron_select_graph(model: Dynapse1Model, neuron_ids: Sequence[Any]
                               ) -> tuple[Any, Any, Any]:
    """Return ``(graph, filter_node, sink_node)`` passing the spikes of ``neuron_ids``.

    ``neuron_ids`` are ``(chip, core, neuron)`` tuples (or global ids). Start the graph with
    ``graph.start()``; read with ``sink_node.get_events()``.
    """
    from dynsim import samna

    graph = samna.graph.EventFilterGraph()
    sink = samna.BasicSinkNode_dynapse1_dynapse1_event()
    _, select, _ = graph.sequential([model.get_source_node(), "Dynapse1NeuronSelect", sink])
    select.set_neurons(neuron_ids)
    return graph, select, sink


def get_time_wrap_events(model: Dynapse1Model) -> tuple[Any, Any]:
    """Return ``(graph, sink_node)`` passing the timestamp-wrap events of ``model``."""
    from dynsim import samna

    graph = samna.graph.EventFilterGraph()
    sink = samna.BasicSinkNode_dynapse1_dynapse1_event()
    graph.sequential([model.get_source_node(), "Dynapse1TimestampWrapEventFilter", sink])
    return graph, sink


def get_selected_timestamps(spikes: Iterable[Spike], neuron_ids: Sequence[tuple[int, int, int]]
                            ) -> list[list[int]]:
    """Return the timestamps (us) of each neuron of ``neuron_ids``, in that order.

    Raises
    ------
    dynsim.errors.InvalidNeuronError
        When ``neuron_ids`` repeats a neuron.
    """
    ids = [tuple(n) for n in neuron_ids]
    if len(set(ids)) != len(ids):
        raise InvalidNeuronError("neuron_ids repeats a neuron")
    where = {n: k for k, n in enumerate(ids)}
    out: list[list[int]] = [[] for _ in ids]
    for spike in spikes:
        k = where.get((spike.chip_id, spike.core_id, spike.neuron_id))
        if k is not None:
            out[k].append(spike.timestamp)
    return out


# --------------------------------------------------------------------------- FPGA
def set_fpga_spike_gen(fpga_spike_gen: FpgaSpikeGen, spike_times: Sequence[float],
                       indices: Sequence[int], target_chips: Sequence[int], isi_base: int,
                       repeat_mode: bool = False, is_first: bool = False) -> None:
    """Load spike times (s) of virtual neurons into the FPGA spike generator (INI's helper).

    ISIs are in units of ``isi_base / 90`` us (``isi_base`` 90 or 900); events reach every
    core (mask 15) of their target chip. With ``is_first`` the variable ISI mode is set and
    ``repeat_mode`` applied, as INI's helper does.

    Raises
    ------
    dynsim.errors.InvalidSettingError
        For unsorted times, lists of different lengths, an ISI above 65535 units or more
        than 2**15 - 1 events (INI's helper asserts these; the generator is then unchanged).
    """
    from brian2 import second

    if not isinstance(fpga_spike_gen, FpgaSpikeGen):
        raise InvalidSettingError("set_fpga_spike_gen takes model.get_fpga_spike_gen()")
    times = np.asarray(spike_times, dtype=float).reshape(-1)
    if len(times) > FPGA_STIMULUS_ADDRESS_MAX - 1:
        raise InvalidSettingError(f"the stimulus holds {len(times)} events; INI's helper takes "
                                  f"fewer than {FPGA_STIMULUS_ADDRESS_MAX} (MAX_FPGA_LEN)")
    events, multiplier = fpga_events_from_times(times * second, indices, target_chips,
                                                isi_base=isi_base)
    first = flag(is_first, "is_first")
    repeat = flag(repeat_mode, "repeat_mode")
    if first:
        fpga_spike_gen.set_variable_isi_mode(True)
    fpga_spike_gen.preload_stimulus(events)
    fpga_spike_gen.set_isi_multiplier(multiplier)
    if first:
        fpga_spike_gen.set_repeat_mode(repeat)


# --------------------------------------------------------------------------- configuration
def get_neuron_from_config(config: Dynapse1Configuration, chip: int, core: int, neuron: int
                           ) -> Dynapse1Neuron:
    """Return ``config.chips[chip].cores[core].neurons[neuron]``."""
    return config.chips[check_chip(chip)].cores[check_core(core)].neurons[check_neuron(neuron)]


def gen_synapse_string(synapse: Dynapse1Synapse) -> str:
    """Return ``c<core>n<neuron><TYPE>`` of a CAM entry, e.g. ``c1n25NMDA``."""
    return f"c{synapse.listen_core_id}n{synapse.listen_neuron_id}{synapse.syn_type.name}"


def gen_destination_string(destination: Dynapse1Destination) -> str:
    """Return ``C<target chip>c<core mask><in use>`` of an SRAM entry, e.g. ``C2c1True``."""
    return f"C{destination.target_chip_id}c{destination.core_mask}{destination.in_use}"


def print_neuron_synapses(neuron: Dynapse1Neuron,
                          synapse_id_list: Iterable[int] = range(CAMS_PER_NEURON)) -> None:
    """Print the CAM entries of ``neuron`` (INI's format, comma separated)."""
    ids = list(synapse_id_list)
    print(",".join(gen_synapse_string(neuron.synapses[k]) for k in ids))  # noqa: T201


def print_neuron_destinations(neuron: Dynapse1Neuron,
                              destination_id_list: Iterable[int] = range(SRAMS_PER_NEURON)
                              ) -> None:
    """Print the SRAM entries of ``neuron`` (INI's format, comma separated)."""
    ids = list(destination_id_list)
    print(",".join(gen_destination_string(neuron.destinations[k]) for k in ids))  # noqa: T201


def get_global_id(chip: int, core: int, neuron: int) -> int:
    """Return ``neuron + 256*core + 1024*chip``.

    Raises
    ------
    dynsim.errors.InvalidCoreError, dynsim.errors.InvalidNeuronError
        For ids outside the board (INI's helper only checks that they are integers).
    """
    return check_neuron(neuron) + NEURONS_PER_CORE * check_core(core) + \
        NEURONS_PER_CHIP * check_chip(chip)


def get_global_id_list(tuple_list: Iterable[tuple[int, int, int]]) -> list[int]:
    """Return the global ids of ``(chip, core, neuron)`` tuples."""
    return [get_global_id(*item) for item in tuple_list]


def get_parameters(config: Dynapse1Configuration, chip: int, core: int
                   ) -> list[Dynapse1Parameter]:
    """Return the 25 biases of one core."""
    return list(config.chips[check_chip(chip)].cores[check_core(core)]
                .parameter_group.param_map.values())


def get_parameter_value(config: Dynapse1Configuration, chip: int, core: int, name: str
                        ) -> tuple[int, int]:
    """Return ``(coarse, fine)`` of one bias of one core."""
    parameter = config.chips[check_chip(chip)].cores[check_core(core)] \
        .parameter_group.param_map[name]
    return parameter.coarse_value, parameter.fine_value


def gen_param_group_1core() -> Dynapse1ParameterGroup:
    """Return a parameter group with INI's recommended initial values (:data:`INI_INITIAL_BIASES`).

    The tutorials' helper (not in ``dynapse1utils.py`` itself): no input weights, no DC,
    ``IF_TAU2_N`` off.
    """
    group = Dynapse1ParameterGroup()
    for name, (coarse, fine) in INI_INITIAL_BIASES.items():
        group.param_map[name].coarse_value = coarse
        group.param_map[name].fine_value = fine
    return group


#: One line of INI's bias text file: ``C<chip>c<core>:(<name>,<coarse>,<fine>)``.
_TXT_LINE = re.compile(r"^C(\d+)c(\d+):\((\w+),(-?\d+),(-?\d+)\)$")


def save_parameters2txt_file(config: Dynapse1Configuration,
                             filename: str | Path = "./dynapse_parameters.txt") -> None:
    """Write the 400 biases (16 cores) in INI's text format."""
    lines = [f"C{chip}c{core}:({p.param_name},{p.coarse_value},{p.fine_value})\n"
             for chip in range(NUM_CHIPS) for core in range(CORES_PER_CHIP)
             for p in get_parameters(config, chip, core)]
    Path(filename).write_text("".join(lines))


def _parameter(chip: object, core: object, name: object, coarse: object, fine: object,
               where: str) -> tuple[Dynapse1Parameter, int, int]:
    try:
        return (Dynapse1Parameter(str(name), int(coarse), int(fine)), check_chip(int(chip)),
                check_core(int(core)))
    except (ValueError, TypeError, LookupError) as err:
        raise BiasFileError(f"{where}: {err}") from None


def _apply_parameters(model: Dynapse1Model, items: list[tuple[Dynapse1Parameter, int, int]]
                      ) -> None:
    if not isinstance(model, Dynapse1Model):
        raise InvalidSettingError("the parameters are applied to a Dynapse1Model")
    for parameter, chip, core in items:  # all were checked before the first is written
        model.update_single_parameter(parameter, chip, core)


def set_parameters_in_txt_file(model: Dynapse1Model,
                               filename: str | Path = "./dynapse_parameters.txt") -> None:
    """Apply the biases of a file in INI's text format; all or none.

    Raises
    ------
    dynsim.errors.BiasFileError
        For a malformed line, an unknown bias, a value out of range (nothing is applied).
    dynsim.errors.ConfigurationFileError
        For a file that cannot be read or is larger than any bias file.
    """
    items = []
    for number, line in enumerate(_read_text(Path(filename)).splitlines(), start=1):
        if not line.strip():
            continue
        match = _TXT_LINE.match(line.strip())
        if match is None:
            raise BiasFileError(f"{filename}:{number}: expected C<chip>c<core>:(<name>,"
                                f"<coarse>,<fine>), got {line.strip()[:80]!r}")
        items.append(_parameter(*match.groups(), where=f"{filename}:{number}"))
    _apply_parameters(model, items)


def save_parameters2json_file(config: Dynapse1Configuration,
                              filename: str | Path = "./dynapse_parameters.json") -> None:
    """Write the 400 biases in INI's JSON format (``{"parameters": [...]}``)."""
    data = {"parameters": [
        {"chip": chip, "core": core, "parameter_name": p.param_name,
         "coarse_value": p.coarse_value, "fine_value": p.fine_value}
        for chip in range(NUM_CHIPS) for core in range(CORES_PER_CHIP)
        for p in get_parameters(config, chip, core)]}
    Path(filename).write_text(json.dumps(data, indent=4))


def set_parameters_in_json_file(model: Dynapse1Model,
                                filename: str | Path = "./dynapse_parameters.json") -> None:
    """Apply the biases of a file in INI's JSON format; all or none (see the text format)."""
    try:
        data = _parse_json(_read_text(Path(filename)), str(filename))
        rows = data["parameters"]
        items = [_parameter(r["chip"], r["core"], r["parameter_name"], r["coarse_value"],
                            r["fine_value"], where=f"{filename}: parameters[{k}]")
                 for k, r in enumerate(rows[:NUM_NEURONS])]
    except (ValueError, TypeError, KeyError) as err:
        if isinstance(err, BiasFileError):
            raise
        raise BiasFileError(f"{filename}: not INI's parameter JSON ({{'parameters': [{{chip, "
                            f"core, parameter_name, coarse_value, fine_value}}]}}): "
                            f"{type(err).__name__} {err}") from None
    if len(rows) > NUM_NEURONS:
        raise BiasFileError(f"{filename}: more than {NUM_NEURONS} parameters")
    _apply_parameters(model, items)


# --------------------------------------------------------------------------- events
def convert_dict2samna_object(obj_dict: dict[str, Any]) -> Spike:
    """Return the :class:`Spike` of a samna ``to_json()`` dictionary (cereal layout).

    ``{"value0": {"timestamp": 1200, "neuronId": 5, "coreId": 1, "chipId": 0}}``, the form
    INI's helper reads back.

    Raises
    ------
    dynsim.errors.InvalidSettingError
        For another layout (INI's helper also reads ``Dynapse1Trace``, which the emulator
        does not make).
    """
    try:
        body = obj_dict["value0"]
        return Spike(check_chip(body["chipId"]), check_core(body["coreId"]),
                     check_neuron(body["neuronId"]),
                     whole_number(body["timestamp"], "timestamp", low=0, high=2**32 - 1))
    except (KeyError, TypeError):
        raise InvalidSettingError("expected a samna Spike dictionary {'value0': {'timestamp', "
                                  "'neuronId', 'coreId', 'chipId'}}") from None


def load_samna_objects_file(fname: str | Path = "./spikes.txt") -> list[Spike]:
    """Read a JSON list of samna ``to_json()`` spikes (what INI's save helper writes).

    Raises
    ------
    dynsim.errors.InvalidSettingError
        For a file that is not such a list (nothing is returned).
    dynsim.errors.ConfigurationFileError
        For a file that cannot be read or is too large.
    """
    text = _read_text(Path(fname))  # a file that cannot be read: ConfigurationFileError
    try:
        items = _parse_json(text, str(fname))
    except ValueError as err:
        raise InvalidSettingError(f"{fname}: not JSON ({err})") from None
    if not isinstance(items, list) or len(items) > 10**7:
        raise InvalidSettingError(f"{fname}: expected a JSON list of samna objects")
    return [convert_dict2samna_object(item) for item in items]


def print_dynapse1_spike(event: Spike) -> None:
    """Print ``(timestamp, global id),`` of a spike (INI's format)."""
    print((event.timestamp, event.global_id), end=",")  # noqa: T201

