"""samna layer: Dynapse1Model, its generators, routing and events."""

from __future__ import annotations

import pytest
from brian2 import ms, second

from dynsim.dynapse import (
    BasicSinkNode,
    Dynapse1Configuration,
    Dynapse1Destination,
    Dynapse1Model,
    Dynapse1Parameter,
    Dynapse1ParameterGroup,
    Dynapse1Synapse,
    FpgaSpikeEvent,
    NetworkGenerator,
    Neuron,
    Spike,
    fpga_events_from_times,
    sink_from,
)
from dynsim.errors import (
    CAMAliasingError,
    InvalidCoreError,
    InvalidNeuronError,
    InvalidSettingError,
    UnknownBiasError,
)


def feedforward():
    """Virtual neuron (chip 0, core 0, neuron 1) -> neuron (0, 1, 2) -> neuron (1, 2, 3)."""
    net = NetworkGenerator()
    for _ in range(8):
        net.add_connection(Neuron(0, 0, 1, is_spike_gen=True), Neuron(0, 1, 2), "AMPA")
    for _ in range(40):
        net.add_connection(Neuron(0, 1, 2), Neuron(1, 2, 3), "AMPA")
    return net.make_dynapse1_configuration()


def test_poisson_generator_drives_a_routed_chain():
    model = Dynapse1Model(engine="numpy", name="chain", seed=3)
    model.apply_configuration(feedforward())
    assert model.simulated_neurons.tolist() == [258, 1024 + 512 + 3]
    sink = BasicSinkNode()
    model.get_source_node().add_destination(sink.get_input_channel())
    second_sink = sink_from(model.get_source_node())
    generator = model.get_poisson_gen()
    generator.set_chip_id(0)
    generator.write_poisson_rate_hz(1, 300.0)
    assert not generator.is_running()
    assert model.run(50 * ms) == []  # not started: nothing happens
    generator.start()
    events = model.run(300 * ms)
    assert events and all(isinstance(e, Spike) for e in events)
    first = [e for e in events if e.chip_id == 0]
    relayed = [e for e in events if e.chip_id == 1]
    assert all((e.core_id, e.neuron_id) == (1, 2) for e in first)
    assert all((e.core_id, e.neuron_id, e.global_id) == (2, 3, 1539) for e in relayed)
    assert len(first) > 10 and len(relayed) > 0
    stamps = [e.timestamp for e in events]
    assert stamps == sorted(stamps) and 50_000 <= stamps[0] < 350_000
    assert sink.get_events() == events and sink.get_events() == []
    assert second_sink.get_buffer_size() == len(events)
    with pytest.raises(TypeError, match="input channel"):
        model.get_source_node().add_destination(print)
    model.get_source_node().remove_destination(second_sink.get_input_channel())
    assert model.get_source_node().get_destinations() == [sink]
    generator.stop()
    quiet = model.run(200 * ms)
    assert all(e.timestamp < 400_000 for e in quiet)  # only the tail of the activity
    assert model.time_s == pytest.approx(0.55)


def test_runs_are_reproducible_and_continue_from_the_state():
    def run(seed, splits):
        model = Dynapse1Model(engine="numpy", name="repro_model", seed=seed)
        model.apply_configuration(feedforward())
        model.get_poisson_gen().write_poisson_rate_hz(1, 300.0)
        model.get_poisson_gen().start()
        return [e for d in splits for e in model.run(d * ms)]

    assert run(1, [200]) == run(1, [200])
    assert run(1, [200]) != run(2, [200])
    assert len(run(1, [100, 100])) > 0


def test_fpga_generator_plays_preloaded_events_and_repeats():
    config = Dynapse1Configuration()
    target = config.chips[2].cores[3].neurons[4]
    for slot in range(40):  # 40 CAM entries: each event makes one spike
        target.synapses[slot] = Dynapse1Synapse("AMPA", 9, 1)
    model = Dynapse1Model(engine="numpy", name="fpga")
    model.apply_configuration(config)
    events, multiplier = fpga_events_from_times([10, 40] * ms, [256 + 9, 256 + 9], 2,
                                                core_mask=0b1000)
    assert multiplier == 900 and [e.isi for e in events] == [1000, 3000]
    generator = model.get_fpga_spike_gen()
    generator.preload_stimulus(events)
    generator.set_isi_multiplier(multiplier)
    generator.start()
    spikes = model.run(100 * ms)
    times = [e.timestamp for e in spikes]
    assert len(spikes) == 2 and 10_000 < times[0] < 15_000 and 40_000 < times[1] < 45_000
    generator.set_repeat_mode(True)
    generator.start()  # restarts at the model's time (100 ms), period 40 ms
    times = [e.timestamp for e in model.run(200 * ms)]
    # events at 110, 140, 150, ..., 270 ms; the one at 300 ms falls into the next run
    assert len(times) == 9 and 110_000 < times[0] < 115_000
    generator.set_variable_isi(False)  # every event uses the first ISI (10 ms)
    generator.start()
    assert len(model.run(100 * ms)) == 9
    # a core mask without the target core delivers nothing
    generator.preload_stimulus([FpgaSpikeEvent(0b0111, 2, 256 + 9, 100)])
    generator.start()
    assert model.run(50 * ms) == []
    generator.stop()
    assert not generator.is_running()


def test_parameter_updates_change_the_running_model():
    model = Dynapse1Model(engine="numpy", name="params")
    model.monitor([5], ["Imem"])
    assert model.run(50 * ms) == []
    group = Dynapse1ParameterGroup()
    group.param_map["IF_DC_P"] = Dynapse1Parameter("IF_DC_P", 4, 30)  # ~5.9 nA
    model.update_parameter_group(group, 0, 0)
    events = model.run(200 * ms)
    assert len(events) > 10 and all(e.neuron_id == 5 for e in events)
    model.update_single_parameter(Dynapse1Parameter("IF_DC_P", 0, 0), 0, 0)
    late = model.run(200 * ms)
    assert len(late) <= 1
    config = model.get_configuration()
    assert config.chips[0].cores[0].parameter_group.param_map["IF_DC_P"].coarse_value == 0
    recording = model.get_recording()
    assert recording.Imem.shape == (1, 4500) and recording.neuron_ids.tolist() == [5]
    assert recording.spike_count()[0] == len(events) + len(late)
    assert float(recording.t[-1] / ms) == pytest.approx(449.9)


def test_unused_cam_entries_listen_to_neuron_zero_of_core_zero():
    config = Dynapse1Configuration()
    listener = config.chips[0].cores[1].neurons[7]
    listener.synapses[0] = Dynapse1Synapse("AMPA", 3, 2)  # 1 entry in use, 63 default
    model = Dynapse1Model(engine="numpy", name="zero")
    model.apply_configuration(config)
    model.monitor([256 + 7], ["I_nmda", "I_gaba_b"])
    generator = model.get_poisson_gen()
    generator.write_poisson_rate_hz(0, 100.0)  # virtual neuron 0 of core 0
    generator.start()
    model.run(100 * ms)
    recording = model.get_recording()
    # UNUSED_SYNAPSE: NMDA from (core 0, neuron 0), the entry samna's netgen treats as unused
    assert float(recording.I_nmda.max() / (100e-12 * 63)) > 0.8  # 63 entries x ~100 pA at once
    assert float(recording.I_gaba_b.max() / (100e-12 * 63)) < 0.01


def test_configuration_is_copied_and_checked():
    config = feedforward()
    model = Dynapse1Model(engine="numpy", name="copy")
    model.apply_configuration(config)
    config.chips[0].cores[1].neurons[2].synapses[0] = Dynapse1Synapse()
    assert model.get_configuration() == feedforward()
    bad = Dynapse1Configuration()
    for chip in (0, 1):
        bad.chips[chip].cores[0].neurons[5].destinations[0] = Dynapse1Destination(3, True, 0, 1)
    bad.chips[3].cores[0].neurons[1].synapses[0] = Dynapse1Synapse("NMDA", 5, 0)
    with pytest.raises(CAMAliasingError):
        model.apply_configuration(bad)
    assert model.get_configuration() == feedforward()
    with pytest.raises(InvalidSettingError, match="Dynapse1Configuration"):
        model.apply_configuration({"chips": []})


@pytest.mark.parametrize(("action", "error", "match"), [
    (lambda m: m.run(5), InvalidSettingError, "with units"),
    (lambda m: m.run(-5 * ms), InvalidSettingError, "> 0"),
    (lambda m: m.get_poisson_gen().write_poisson_rate_hz(1024, 5.0), InvalidNeuronError,
     r"0\.\.1023"),
    (lambda m: m.get_poisson_gen().write_poisson_rate_hz(3, -5.0), InvalidSettingError, ">= 0"),
    (lambda m: m.get_poisson_gen().write_poisson_rate_hz(3, "fast"), InvalidSettingError, "Hz"),
    (lambda m: m.get_poisson_gen().set_chip_id(4), InvalidCoreError, "chip id 4"),
    (lambda m: m.get_fpga_spike_gen().preload_stimulus([1, 2]), InvalidSettingError,
     "FpgaSpikeEvent"),
    (lambda m: m.get_fpga_spike_gen().set_isi_multiplier(0), InvalidSettingError, ">= 1"),
    (lambda m: FpgaSpikeEvent(16, 0, 1, 1), InvalidSettingError, "core_mask"),
    (lambda m: FpgaSpikeEvent(1, 0, 1, -1), InvalidSettingError, "isi"),
    (lambda m: fpga_events_from_times([2, 1] * ms, [1, 2]), InvalidSettingError, "sorted"),
    (lambda m: m.update_single_parameter(("IF_DC_P", 1, 1), 0, 0), UnknownBiasError,
     "Dynapse1Parameter"),
    (lambda m: m.update_single_parameter(Dynapse1Parameter("IF_DC_P", 1, 1), 0, 5),
     InvalidCoreError, "core id 5"),
    (lambda m: m.monitor([4096]), InvalidNeuronError, "0..4095"),
    (lambda m: m.monitor([1], ["Vmem"]), InvalidSettingError, "cannot record"),
    (lambda m: m.get_recording(), InvalidSettingError, "monitor"),
    (lambda m: Dynapse1Model(name="a b"), InvalidSettingError, "identifier"),
    (lambda m: Dynapse1Model(mismatch=0.1), InvalidSettingError, "Mismatch"),
])
def test_model_errors(action, error, match):
    model = Dynapse1Model(engine="numpy", name="errors")
    with pytest.raises(error, match=match):
        action(model)


def test_an_empty_board_only_advances_time():
    model = Dynapse1Model(engine="numpy", name="empty")
    assert model.run(10 * ms) == []
    assert model.time_s == pytest.approx(0.01)
    assert "0 neurons in use" in repr(model)
    assert float(second / ms) == 1000.0
