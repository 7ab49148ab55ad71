"""The samna stand-in: tutorial-shaped scripts, the device path, graphs, the model's new API.

Each script under ``samna_scripts/`` is written as for the board: it imports samna's names (the
stand-in, and the ``netgen`` / ``dynapse1utils`` shims of ``samna_scripts/shim``). Each runs
twice: as written, and with its import lines (only those) replaced by dynsim's modules through
:data:`DYNSIM_IMPORTS`.
"""

from __future__ import annotations

import doctest
import importlib
import json
import runpy
import sys
import types
from pathlib import Path

import pytest
from brian2 import second

import dynsim.samna
from dynsim.dynapse import Dynapse1Configuration, Dynapse1Model, NetworkGenerator, Neuron
from dynsim.dynapse import dynapse1utils as ut
from dynsim.dynapse.events import EventSourceNode, Spike, TimestampWrapEvent
from dynsim.dynapse.model import FpgaSpikeEvent
from dynsim.dynapse.realtime import CHUNK_S
from dynsim.errors import (
    BiasFileError,
    CAMAliasingError,
    InvalidCoreError,
    InvalidNeuronError,
    InvalidSettingError,
    SamnaStandInError,
)
from dynsim.samna import device, graph

SCRIPTS = Path(__file__).parent / "samna_scripts"
SHIM = SCRIPTS / "shim"
NAMES = ["poisson_neuron", "fpga_chain", "wta"]
#: 1000 ISI units of 900 / 90 MHz: the FPGA script's input period (s).
FPGA_PERIOD_S = 1000 * 900 / 90e6


@pytest.fixture
def standin():
    """The stand-in installed, one emulated board (Cython engine, seed 3), the shims on path.

    Cython: the board scripts run with the wall clock, and only compiled code keeps up with
    real time on a loaded 2-core machine (numpy reaches 0.1-0.4 of it there).
    """
    device.reset_devices()
    device.set_emulator_options(engine="cython", seed=3)
    dynsim.samna.install()
    sys.path.insert(0, str(SHIM))
    try:
        yield
    finally:
        sys.path.remove(str(SHIM))
        for name in ("netgen", "dynapse1utils"):
            sys.modules.pop(name, None)
        dynsim.samna.uninstall()
        device.set_emulator_options()
        device.reset_devices()


#: The board script's import lines and what a user writes instead to use dynsim's own modules
#: (the mapping of docs/samna.md). Every other line of a script stays as it is.
DYNSIM_IMPORTS = {
    "import samna": "import dynsim.samna as samna",
    "import samna.dynapse1 as dyn1": "import dynsim.samna.dynapse1 as dyn1",
    "import dynapse1utils as ut": "import dynsim.dynapse.dynapse1utils as ut",
    "from netgen import ": "from dynsim.dynapse.netgen import ",
}


def _is_import(line: str) -> bool:
    return line.startswith(("import ", "from "))


def dynsim_variant(text: str) -> str:
    """Return the board script ``text`` with its samna/netgen/dynapse1utils imports swapped."""
    lines = []
    for line in text.splitlines():
        for board, ours in DYNSIM_IMPORTS.items():
            if line == board or (board.endswith(" ") and line.startswith(board)):
                line = ours + line[len(board):]
                break
        lines.append(line)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name", NAMES)
def test_script_variants_differ_in_import_lines_only(name):
    samna_lines = (SCRIPTS / f"{name}.py").read_text().splitlines()
    dynsim_lines = dynsim_variant((SCRIPTS / f"{name}.py").read_text()).splitlines()
    changed = [(a, b) for a, b in zip(samna_lines, dynsim_lines, strict=True) if a != b]
    assert changed and all(_is_import(a) and _is_import(b) for a, b in changed)
    samna_imports = [x for x in samna_lines if _is_import(x) and "samna" in x]
    assert samna_imports[:2] == ["import samna", "import samna.dynapse1 as dyn1"]
    assert not any("dynsim" in x for x in samna_lines if _is_import(x))
    # every board import was swapped: the dynsim variant imports no board module
    board = ("import samna", "import dynapse1utils", "from netgen ", "import netgen")
    assert not any(x.startswith(board) for x in dynsim_lines)


def _run_both(name: str, tmp_path: Path) -> tuple[dict, dict]:
    samna_run = runpy.run_path(str(SCRIPTS / f"{name}.py"))
    assert samna_run["samna_module"] == "dynsim.samna"  # `import samna` gave the stand-in
    dynsim.samna.uninstall()  # the dynsim variant needs no stand-in
    variant = tmp_path / f"{name}_dynsim.py"
    variant.write_text(dynsim_variant((SCRIPTS / f"{name}.py").read_text()))
    dynsim_run = runpy.run_path(str(variant))
    assert device.get_unopened_devices() == [device.DeviceInfo()]  # both closed the board
    return samna_run, dynsim_run


def _same_run(a: list, b: list) -> None:
    """The two variants saw the same simulation; each saw as much of it as its clock covered.

    In real-time mode a script sees the spikes simulated before its ``get_events()``: how
    far that is depends on the machine's speed (a lag is warned of, never a loss), the spikes
    themselves do not (chunked real-time runs equal one ``model.run``: test_realtime.py).
    """
    shorter, longer = sorted((a, b), key=len)
    assert longer[:len(shorter)] == shorter


def _covered_us(run: dict) -> float:
    """Simulated time (us) the script's board could have covered: its sleep and one chunk."""
    return (run["DURATION"] + 2 * CHUNK_S) * 1e6


def test_poisson_script(standin, capsys, tmp_path):
    samna_run, dynsim_run = _run_both("poisson_neuron", tmp_path)
    _same_run(samna_run["events_driven"], dynsim_run["events_driven"])
    # before the generator starts the board is at rest (no input, no DC): no spike, and the
    # clock does not run while no generator does
    assert samna_run["events_before"] == [] == dynsim_run["events_before"]
    driven = samna_run["events_driven"] + dynsim_run["events_driven"]
    assert driven, "no spike in the wall-clock window: the real-time mode did not run"
    assert {(e.chip_id, e.core_id, e.neuron_id) for e in driven} == {(0, 1, 20)}
    assert all(0 <= e.timestamp < _covered_us(samna_run) for e in driven)
    assert samna_run["rates"] == [100.0, 0.0]
    assert "C0c1n20: [('C0c0s5', 'AMPA'), " in capsys.readouterr().out


def test_fpga_script(standin, tmp_path):
    samna_run, dynsim_run = _run_both("fpga_chain", tmp_path)
    _same_run(samna_run["events"], dynsim_run["events"])
    events = max(samna_run["events"], dynsim_run["events"], key=len)
    first = [e.timestamp for e in events if (e.chip_id, e.core_id) == (0, 2)]
    second_ = [e.timestamp for e in events if (e.chip_id, e.core_id) == (2, 1)]
    # one spike per input event k (at k * 10 ms, the ISI arithmetic), within 2 ms, relayed
    # to the neuron on chip 2 within 2 ms more; as many as the wall clock covered
    inputs_us = [round(k * FPGA_PERIOD_S * 1e6) for k in range(1, 11)]
    assert 3 <= len(first) <= 10 and len(first) - 1 <= len(second_) <= len(first)
    assert all(0 <= t - k < 2000 for t, k in zip(first, inputs_us, strict=False))
    assert all(0 < b - a < 2000 for a, b in zip(first, second_, strict=False))
    assert all(e.timestamp < _covered_us(samna_run) for e in events)


def test_wta_script(standin, capsys, tmp_path):
    samna_run, dynsim_run = _run_both("wta", tmp_path)
    _same_run(samna_run["events"], dynsim_run["events"])
    run = max((samna_run, dynsim_run), key=lambda r: len(r["events"]))
    counts = run["counts"]
    assert counts[0] > max(counts[1:])  # the neuron with the strongest input wins
    assert capsys.readouterr().out.count("C0c3n50: ") == 2


# --------------------------------------------------------------------------- install
def test_install_switch_and_refusal():
    assert not dynsim.samna.installed()
    dynsim.samna.install()
    dynsim.samna.install()  # harmless twice
    try:
        samna = importlib.import_module("samna")
        assert samna is dynsim.samna and dynsim.samna.installed()
        assert importlib.import_module("samna.dynapse1") is dynsim.samna.dynapse1
        assert importlib.import_module("samna.graph").EventFilterGraph is graph.EventFilterGraph
    finally:
        dynsim.samna.uninstall()
    assert "samna" not in sys.modules and "samna.dynapse1" not in sys.modules
    real = types.ModuleType("samna")
    sys.modules["samna"] = real
    try:
        with pytest.raises(SamnaStandInError, match="already imported"):
            dynsim.samna.install()
        assert sys.modules["samna"] is real and "samna.dynapse1" not in sys.modules
        dynsim.samna.uninstall()  # leaves a module that is not the stand-in alone
        assert sys.modules["samna"] is real
    finally:
        del sys.modules["samna"]


def test_run_a_script_with_python_m(tmp_path, monkeypatch):
    from dynsim.samna.__main__ import main

    (tmp_path / "helper.py").write_text("import samna\nNAME = samna.__name__\n")
    (tmp_path / "board.py").write_text("import sys\nimport helper\nRESULT = (helper.NAME, "
                                       "sys.argv[1:])\nassert RESULT == ('dynsim.samna', "
                                       "['x'])\n")
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    try:
        assert main([str(tmp_path / "board.py"), "x"]) == 0
    finally:
        sys.modules.pop("helper", None)
        dynsim.samna.uninstall()
    assert main([]) == 2 and main([str(tmp_path / "missing.py")]) == 2


# --------------------------------------------------------------------------- device path
def test_device_path_opens_no_socket_and_one_board(monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("the stand-in opened a socket")

    monkeypatch.setattr(socket, "socket", refuse)
    device.reset_devices()
    node = dynsim.samna.SamnaNode("tcp://0.0.0.0:33336", "tcp://0.0.0.0:33335", 1)
    assert node.get_sender_endpoint() == "tcp://0.0.0.0:33336"
    dynsim.samna.setup_local_node("tcp://0.0.0.0:33335", "tcp://0.0.0.0:33336", 2)
    dynsim.samna.open_remote_node(1, "device_node")
    assert dynsim.samna.device_node.node_id == 1
    (info,) = device.get_unopened_devices()
    assert info.device_type_name == "Dynapse1DevKit" and info.serial_number
    model = device.open_device(info)
    try:
        assert isinstance(model, Dynapse1Model)
        assert model.get_dynapse1_api().get_serial_number() == info.serial_number
        assert ut.get_serial_number() == info.serial_number
        with pytest.raises(SamnaStandInError, match="already open"):
            device.open_device(info)
        with pytest.raises(SamnaStandInError, match="already open"):
            ut.open_dynapse1()
    finally:
        device.close_device(model)
    with pytest.raises(SamnaStandInError, match="not open"):
        device.close_device(model)
    for call in (lambda: device.open_device("Dynapse1DevKit"),
                 lambda: dynsim.samna.SamnaNode(33336, "tcp://0.0.0.0:1", 1),
                 lambda: dynsim.samna.SamnaNode("a", "b", 256),
                 lambda: dynsim.samna.setup_local_node("a", None, 2),
                 lambda: dynsim.samna.open_remote_node(1, "not a name"),
                 lambda: dynsim.samna.open_remote_node(1, "install"),
                 lambda: ut.open_dynapse1(gui=True),
                 lambda: ut.open_device(sender_port=70000),
                 lambda: ut.get_serial_number()):
        with pytest.raises(SamnaStandInError):
            call()
    with pytest.raises(InvalidSettingError):
        device.set_emulator_options(dt=-1 * second)
    assert device.get_unopened_devices() == [info]


# --------------------------------------------------------------------------- graphs
def test_a_board_opened_through_the_stand_in_runs_with_the_wall_clock():
    device.reset_devices()
    try:
        model = device.open_device(device.get_unopened_devices()[0])
        assert model.get_real_time_mode() and not model.is_running()
        device.close_device(model)
        assert not model.get_real_time_mode()  # closed: its clock is off for good
        device.set_emulator_options(real_time=False, engine="numpy")
        model = device.open_device(device.get_unopened_devices()[0])
        assert not model.get_real_time_mode()  # exact simulated time, model.run(...)
        device.close_device(model)
        with pytest.raises(InvalidSettingError, match="real_time"):
            device.set_emulator_options(real_time="yes", engine="numpy")
        model = device.open_device(device.get_unopened_devices()[0])
        assert not model.get_real_time_mode()  # the refused call changed nothing
        device.close_device(model)
    finally:
        device.set_emulator_options()
        device.reset_devices()


def test_neuron_select_graph():
    source = EventSourceNode()
    sink = dynsim.samna.BasicSinkNode_dynapse1_dynapse1_event()
    g = graph.EventFilterGraph()
    nodes = g.sequential([source, "Dynapse1NeuronSelect", sink])
    assert nodes[0] is source and nodes[2] is sink
    select = nodes[1]
    spikes = [Spike(0, 1, 5, 10), Spike(1, 0, 3, 20), Spike(0, 1, 6, 30)]
    source.send(spikes)
    assert sink.get_events() == []  # the graph is not started
    g.start()
    source.send(spikes)
    assert sink.get_buf() == []  # no neuron chosen
    select.set_neurons([(0, 1, 5), 1024 + 3])  # a tuple and a global id
    assert select.get_neurons() == [(0, 1, 5), (1, 0, 3)]
    source.send(spikes)
    assert sink.get_events() == spikes[:2]
    g.stop()
    source.send(spikes)
    assert sink.get_events() == []
    for bad in ([(0, 4, 1)], [(0, 0)], [4096], "0,1,5", [(0, 1, 5)] * 4097):
        with pytest.raises((InvalidNeuronError, InvalidCoreError)):
            select.set_neurons(bad)
    assert select.get_neurons() == [(0, 1, 5), (1, 0, 3)]
    for chain in ([source, "Dynapse1Nothing", sink], [source], ["Dynapse1NeuronSelect", sink],
                  [source, 3, sink], "source"):
        with pytest.raises(SamnaStandInError):
            graph.EventFilterGraph().sequential(chain)


def test_time_wrap_filter_passes_only_wrap_events():
    model = Dynapse1Model(name="wrapmodel")
    g, sink = ut.get_time_wrap_events(model)
    g.start()
    wrap = TimestampWrapEvent(2**32)
    model.get_source_node().send([Spike(0, 0, 1, 5), wrap])
    assert sink.get_events() == [wrap]


# --------------------------------------------------------------------------- model API
def _dc_config(chips: tuple[int, ...]) -> Dynapse1Configuration:
    cfg = Dynapse1Configuration()
    for chip in chips:
        cfg.chips[chip].cores[2].parameter_group.param_map["IF_DC_P"].fine_value = 40
    return cfg


def _dc(model: Dynapse1Model, chip: int, core: int = 2) -> int:
    return model.get_configuration().chips[chip].cores[core].parameter_group.param_map[
        "IF_DC_P"].fine_value


def _route(cfg: Dynapse1Configuration, chip: int) -> None:
    sram = cfg.chips[chip].cores[0].neurons[5].destinations[0]
    sram.in_use, sram.target_chip_id, sram.core_mask = True, 1, 0b10


def test_apply_configuration_by_chip_and_core():
    model = Dynapse1Model(name="bychip")
    model.apply_configuration_by_chip(_dc_config((1, 2)), 1)
    assert [_dc(model, c) for c in range(4)] == [0, 40, 0, 0]
    net = NetworkGenerator()
    net.add_connection(Neuron(3, 2, 7, is_spike_gen=True), Neuron(3, 2, 9), "AMPA")
    net.add_connection(Neuron(3, 1, 7, is_spike_gen=True), Neuron(3, 1, 9), "AMPA")
    model.apply_configuration_by_core(net.make_dynapse1_configuration(), 3, 2)
    cfg = model.get_configuration()
    assert cfg.chips[3].cores[2].neurons[9].cams_in_use() == 1
    assert cfg.chips[3].cores[1].neurons[9].cams_in_use() == 0  # another core: not applied
    assert _dc(model, 1) == 40  # earlier chips kept
    before = model.get_configuration()
    for call, error in ((lambda: model.apply_configuration_by_chip("cfg", 0), InvalidSettingError),
                        (lambda: model.apply_configuration_by_chip(_dc_config(()), 4),
                         InvalidCoreError),
                        (lambda: model.apply_configuration_by_core(_dc_config(()), 0, 4),
                         InvalidCoreError)):
        with pytest.raises(error):
            call()
    # two sources with tag (core 0, neuron 5), on chips 0 and 2, reaching core 1 of chip 1
    base = model.get_configuration()
    _route(base, 0)
    base.chips[1].cores[1].neurons[3].synapses[0].syn_type = "AMPA"
    base.chips[1].cores[1].neurons[3].synapses[0].listen_neuron_id = 5
    model.apply_configuration(base)
    before = model.get_configuration()
    aliased = model.get_configuration()
    _route(aliased, 2)
    with pytest.raises(CAMAliasingError):
        model.apply_configuration_by_chip(aliased, 2)
    assert model.get_configuration() == before


def test_monitor_neuron_records_one_neuron_per_chip():
    model = Dynapse1Model(name="monitorapi", engine="numpy")
    model.monitor([5])
    api = model.get_dynapse1_api()
    api.monitor_neuron(1, 123)
    api.monitor_neuron(2, 7)
    api.monitor_neuron(1, 300)  # replaces neuron 123 of chip 1
    assert api.monitored_neurons() == {1: 300, 2: 7}
    model.run(1e-3 * second)
    assert list(model.get_recording().neuron_ids) == [5, 1024 + 300, 2048 + 7]
    for args, error in (((4, 1), InvalidCoreError), ((0, 1024), InvalidNeuronError),
                        ((0, -1), InvalidNeuronError)):
        with pytest.raises(error):
            api.monitor_neuron(*args)
    assert api.monitored_neurons() == {1: 300, 2: 7}


def test_poisson_rates_read_back():
    gen = Dynapse1Model(name="ratesback").get_poisson_gen()
    gen.write_poisson_rates_hz([3, 1023], [12.5, 4000.0])
    assert gen.get_poisson_rates_hz([1023, 3, 0]) == [4000.0, 12.5, 0.0]
    every = gen.get_poisson_rates_hz()
    assert len(every) == 1024 and every[3] == 12.5
    for bad in ([1024], [-1], "12"):
        with pytest.raises((InvalidNeuronError, InvalidSettingError)):
            gen.get_poisson_rates_hz(bad)


def test_fpga_registers_and_fixed_isi():
    model = Dynapse1Model(name="fpgaregs")
    fpga = model.get_fpga_spike_gen()
    events = [FpgaSpikeEvent(15, 0, 1, isi) for isi in (10, 20, 30, 40)]
    fpga.preload_stimulus(events)
    fpga.set_isi_multiplier(900)  # 10 us per unit
    fpga.start()
    times = [t for t, _ in fpga.event_times(0.0, 1.0)]
    assert times == pytest.approx([100e-6, 300e-6, 600e-6, 1000e-6], abs=1e-12)
    fpga.set_variable_isi_mode(False)
    assert not fpga.get_variable_isi_mode()
    assert fpga.set_variable_isi == fpga.set_variable_isi_mode  # the earlier name stays
    fpga.set_isi(50)
    assert fpga.get_isi() == 50
    assert [t for t, _ in fpga.event_times(0.0, 1.0)] == pytest.approx(
        [500e-6 * k for k in range(1, 5)], abs=1e-12)
    fpga.set_stim_count(2)
    assert fpga.get_stim_count() == 2 and len(fpga.event_times(0.0, 1.0)) == 2
    fpga.set_stim_count(0)
    assert fpga.event_times(0.0, 1.0) == []
    fpga.set_base_addr(2**15 - 1)
    assert fpga.get_base_addr() == 2**15 - 1
    for call in (lambda: fpga.set_isi(2**16), lambda: fpga.set_isi(-1),
                 lambda: fpga.set_base_addr(2**15), lambda: fpga.set_stim_count(2**15),
                 lambda: fpga.set_stim_count(1.5), lambda: fpga.set_variable_isi_mode(2)):
        with pytest.raises(InvalidSettingError):
            call()
    assert (fpga.get_isi(), fpga.get_stim_count(), fpga.get_base_addr()) == (50, 0, 2**15 - 1)


# --------------------------------------------------------------------------- dynapse1utils
def test_set_fpga_spike_gen_helper():
    fpga = Dynapse1Model(name="fpgahelper").get_fpga_spike_gen()
    ut.set_fpga_spike_gen(fpga, [0.001, 0.003], [5, 6], [0, 2], 900, repeat_mode=True,
                          is_first=True)
    assert fpga.get_repeat_mode() and fpga.get_isi_multiplier() == 900
    fpga.start()
    played = fpga.event_times(0.0, 0.0035)
    assert [(round(t * 1e6), e.neuron_id, e.target_chip, e.core_mask) for t, e in played] == \
        [(1000, 5, 0, 15), (3000, 6, 2, 15)]
    for args in (([0.003, 0.001], [5, 6], [0, 0], 900), ([0.001], [5, 6], [0, 0], 900),
                 ([0.0, 1.0], [5, 6], [0, 0], 90), ([0.0] * 2**15, [1] * 2**15, 0, 900)):
        with pytest.raises(InvalidSettingError):
            ut.set_fpga_spike_gen(fpga, *args)
    assert fpga.get_isi_multiplier() == 900 and len(fpga.event_times(0.0, 0.0035)) == 2
    with pytest.raises(InvalidSettingError, match="get_fpga_spike_gen"):
        ut.set_fpga_spike_gen("fpga", [0.001], [5], [0], 900)


def test_parameter_files_round_trip(tmp_path):
    source = Dynapse1Model(name="paramsource")
    source.update_parameter_group(ut.gen_param_group_1core(), 1, 2)
    for fmt, save, load in (("txt", ut.save_parameters2txt_file, ut.set_parameters_in_txt_file),
                            ("json", ut.save_parameters2json_file,
                             ut.set_parameters_in_json_file)):
        path = tmp_path / f"biases.{fmt}"
        save(source.get_configuration(), path)
        target = Dynapse1Model(name=f"paramtarget{fmt}")
        load(target, path)
        assert target.get_configuration() == source.get_configuration()
    assert ut.get_parameter_value(source.get_configuration(), 1, 2, "IF_THR_N") == \
        ut.INI_INITIAL_BIASES["IF_THR_N"]
    assert len(ut.get_parameters(source.get_configuration(), 0, 0)) == 25
    target = Dynapse1Model(name="paramrefuse")
    before = target.get_configuration()
    bad_files = {"a.txt": "C0c0:(IF_DC_P,1,80)\nC0c1:(IF_DC_P,9,80)\n",
                 "b.txt": "C0c0:(IF_DC_P,1,80)\nnonsense\n",
                 "c.txt": "C0c0:(IF_DC_Q,1,80)\n", "d.txt": "C5c0:(IF_DC_P,1,80)\n"}
    for name, text in bad_files.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(BiasFileError):
            ut.set_parameters_in_txt_file(target, tmp_path / name)
    for text in ('{"parameters": [{"chip": 0}]}', "[]", "not json",
                 json.dumps({"parameters": [{"chip": 0, "core": 0, "parameter_name": "IF_DC_P",
                                             "coarse_value": 1, "fine_value": 256}]})):
        (tmp_path / "bad.json").write_text(text)
        with pytest.raises(BiasFileError):
            ut.set_parameters_in_json_file(target, tmp_path / "bad.json")
    assert target.get_configuration() == before


def test_small_helpers(capsys):
    cfg = Dynapse1Configuration()
    neuron = ut.get_neuron_from_config(cfg, 1, 2, 3)
    assert (neuron.chip_id, neuron.core_id, neuron.neuron_id) == (1, 2, 3)
    neuron.synapses[0].syn_type, neuron.synapses[0].listen_neuron_id = "NMDA", 25
    neuron.synapses[0].listen_core_id = 1
    assert ut.gen_synapse_string(neuron.synapses[0]) == "c1n25NMDA"
    neuron.destinations[0].target_chip_id, neuron.destinations[0].core_mask = 2, 1
    neuron.destinations[0].in_use = True
    assert ut.gen_destination_string(neuron.destinations[0]) == "C2c1True"
    ut.print_neuron_synapses(neuron, [0])
    ut.print_neuron_destinations(neuron, [0, 1])
    ut.print_dynapse1_spike(Spike(1, 2, 3, 70))
    assert capsys.readouterr().out == "c1n25NMDA\nC2c1True,C0c0False\n(70, 1539),"
    assert ut.get_global_id(1, 2, 3) == 3 + 2 * 256 + 1024
    assert ut.get_global_id_list([(0, 0, 1), (3, 3, 255)]) == [1, 4095]
    with pytest.raises(InvalidNeuronError):
        ut.get_global_id(0, 0, 256)
    spikes = [Spike(0, 1, 5, 10), Spike(0, 1, 6, 20), Spike(0, 1, 5, 30)]
    assert ut.get_selected_timestamps(spikes, [(0, 1, 5), (0, 1, 7)]) == [[10, 30], []]
    with pytest.raises(InvalidNeuronError, match="repeats"):
        ut.get_selected_timestamps(spikes, [(0, 1, 5), (0, 1, 5)])
    text = {"value0": {"timestamp": 1200, "neuronId": 5, "coreId": 1, "chipId": 0}}
    assert ut.convert_dict2samna_object(text) == Spike(0, 1, 5, 1200)
    with pytest.raises(InvalidSettingError):
        ut.convert_dict2samna_object({"value0": {"traceMap": []}})


def test_load_samna_objects_file(tmp_path):
    """A file in the cereal layout written by hand, as INI's save_samna_objects2file writes."""
    path = tmp_path / "spikes.txt"
    path.write_text(json.dumps([
        {"value0": {"timestamp": 1200, "neuronId": 5, "coreId": 1, "chipId": 0}},
        {"value0": {"timestamp": 1300, "neuronId": 255, "coreId": 3, "chipId": 3}}]))
    assert ut.load_samna_objects_file(path) == [Spike(0, 1, 5, 1200), Spike(3, 3, 255, 1300)]
    for text in ("{}", "no", '[{"value0": {"timestamp": 1, "neuronId": 256, "coreId": 0, '
                             '"chipId": 0}}]'):
        path.write_text(text)
        with pytest.raises((InvalidSettingError, InvalidNeuronError)):
            ut.load_samna_objects_file(path)


@pytest.mark.parametrize("name", ["dynsim.samna", "dynsim.samna.graph", "dynsim.samna.device",
                                  "dynsim.samna.dynapse1"])
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_mapping_table_counts_match_the_table():
    text = (Path(__file__).parents[2] / "docs" / "samna.md").read_text()
    mine = text.split("## JSON layout")[0]
    rows = [line for line in mine.splitlines() if line.startswith("| ")
            and not line.startswith(("| samna / netgen", "|---"))]
    status = [row.split("|")[3].strip() for row in rows]
    counts = (len(rows), status.count("same"), status.count("differs"), status.count("missing"))
    assert f"**{counts[0]} rows: {counts[1]} same, {counts[2]} differ, {counts[3]} missing**" \
        in mine
    assert set(status) == {"same", "differs", "missing"}


# --------------------------------------------------------------------------- INI's public files
def test_a_second_generator_start_after_a_stopped_one_runs(standin):
    """INI's public ``dynapse1utils`` flow: Poisson start/stop, then the FPGA helper, start.

    Stopping the first generator stops Brian2's run, which leaves ``net.t_`` a view of the
    clock (not a float); the second start's worker must still run (issue 13).
    """
    import time

    model = device.open_device(device.get_unopened_devices()[0])
    try:
        gen = NetworkGenerator()
        gen.add_connection(Neuron(0, 0, 10, True), Neuron(0, 1, 20), dynsim.samna.dynapse1
                           .Dynapse1SynType.AMPA)
        model.apply_configuration(gen.make_dynapse1_configuration())
        graph_, _, sink = ut.create_neuron_select_graph(model, [(0, 1, 20)])
        graph_.start()
        poisson = model.get_poisson_gen()
        poisson.set_chip_id(0)
        poisson.write_poisson_rate_hz(10, 100.0)
        poisson.start()
        time.sleep(0.2)
        poisson.stop()
        after_poisson = model.time_s
        fpga = model.get_fpga_spike_gen()
        ut.set_fpga_spike_gen(fpga, [0.01, 0.02, 0.03], [10, 10, 10], [0, 0, 0], 900,
                              is_first=True)
        fpga.start()
        time.sleep(0.2)
        fpga.stop()
        sink.get_events()
        graph_.stop()
        clock = model.__dict__["_real_time_clock"]
        assert clock.error is None
        assert model.time_s > after_poisson
    finally:
        device.close_device(model)
