"""Input generators: rates bounded by the board's generators, trains bounded before allocation.

The limit of a rate comes from the board (libcaer ``caerDynapseWritePoissonSpikeRate``: a
16-bit rate register in steps of 0.06706 Hz); the size bounds are the emulator's. Each test
here failed before the bounds existed (MemoryError or many GiB asked for, or a wrapped value).
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from brian2 import Hz, ms, second

from dynsim.dynapse import Dynapse1Model, Experiment, FpgaSpikeEvent, fpga_events_from_times
from dynsim.dynapse.constants import (
    FPGA_CLOCK_HZ,
    FPGA_ISI_MAX,
    MAX_TRAIN_EVENTS,
    POISSON_RATE_MAX_HZ,
)
from dynsim.dynapse.stimulus import check_rate, pattern_steps, poisson_steps, regular_steps
from dynsim.errors import InvalidCoreError, InvalidNeuronError, InvalidSettingError

#: libcaer src/dynapse.c: ``deviceRate = U16T(rateHz / 0.06706f)`` with a 16-bit register.
LIBCAER_RATE_STEP_HZ = 0.06706
LIBCAER_RATE_MAX_HZ = 65535 * LIBCAER_RATE_STEP_HZ


def _peak_bytes(call) -> int:
    """Return the peak of memory allocated by ``call`` (bytes), re-raising what it raises."""
    tracemalloc.start()
    try:
        call()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_the_rate_limit_is_the_poisson_generator_register():
    assert POISSON_RATE_MAX_HZ == pytest.approx(LIBCAER_RATE_MAX_HZ, rel=1e-12)
    assert check_rate(POISSON_RATE_MAX_HZ) == POISSON_RATE_MAX_HZ
    assert check_rate(50 * Hz) == 50.0
    with pytest.raises(InvalidSettingError, match=r"4394\.78 Hz.*libcaer"):
        check_rate(np.nextafter(POISSON_RATE_MAX_HZ, np.inf))


@pytest.mark.parametrize("rate", [1e9, 1e9 * Hz, 1e12, float("inf"), float("nan"), -1.0, True,
                                  "50", [50.0], 5 * ms])
def test_check_rate_refuses_what_no_generator_makes(rate):
    with pytest.raises(InvalidSettingError, match="Hz"):
        check_rate(rate)


def test_poisson_generator_refuses_a_runaway_rate_at_once_and_stays_unchanged():
    generator = Dynapse1Model(engine="numpy", name="limits_poisson").get_poisson_gen()
    generator.write_poisson_rate_hz(1, 20.0)
    with pytest.raises(InvalidSettingError, match="above the highest rate"):
        generator.write_poisson_rate_hz(1, 1e9)
    assert generator.get_rates() == {1: 20.0}
    assert generator.get_poisson_rate_hz(1) == 20.0 and generator.get_poisson_rate_hz(2) == 0.0
    with pytest.raises(InvalidSettingError, match="above the highest rate"):
        generator.write_poisson_rates_hz([2, 3], [10.0, 1e6])  # all or nothing
    assert generator.get_rates() == {1: 20.0}
    generator.write_poisson_rates_hz([2, 3], [10.0, 30.0])
    assert generator.get_rates() == {1: 20.0, 2: 10.0, 3: 30.0}
    with pytest.raises(InvalidSettingError, match="as many rates"):
        generator.write_poisson_rates_hz([4, 5], [1.0])


def test_experiment_refuses_a_runaway_regular_input_and_keeps_its_inputs():
    exp = Experiment(1, engine="numpy", name="limits_exp")
    exp.set_input("AMPA", rate=20 * Hz, kind="regular")
    before = exp.inputs
    with pytest.raises(InvalidSettingError, match="above the highest rate"):
        exp.set_input("AMPA", rate=1e12 * Hz, kind="regular")
    with pytest.raises(InvalidSettingError, match="above the highest rate"):
        exp.set_input("NMDA", rate=1e10)
    assert exp.inputs == before


def test_trains_are_bounded_before_they_are_allocated():
    rng = np.random.default_rng(0)
    huge = 10**12  # steps: 10**8 s at dt = 0.1 ms
    for call in (lambda: regular_steps(POISSON_RATE_MAX_HZ, huge, 1e-4),
                 lambda: poisson_steps(rng, POISSON_RATE_MAX_HZ, huge, 1e-4),
                 lambda: regular_steps(1e12, 1000, 1e-4)):
        with pytest.raises(InvalidSettingError, match="MAX_TRAIN_EVENTS"):
            assert _peak_bytes(call) < 1e6
    # just inside the bound the train is made, with the number of events the rate gives
    n_steps = int(MAX_TRAIN_EVENTS // 2)
    assert len(regular_steps(1000.0, n_steps, 1e-3)) == pytest.approx(n_steps, abs=1)
    with pytest.raises(InvalidSettingError, match="n_steps"):
        regular_steps(10.0, 1e3, 1e-4)
    with pytest.raises(InvalidSettingError, match="dt"):
        pattern_steps(np.array([0.1]), 10, float("nan"))


def test_fpga_stimulus_in_repeat_mode_is_bounded_per_run():
    model = Dynapse1Model(engine="numpy", name="limits_fpga")
    fpga = model.get_fpga_spike_gen()
    fpga.preload_stimulus([FpgaSpikeEvent(15, 0, 1, 1)])  # one event every 1/90 MHz
    fpga.set_isi_multiplier(1)
    fpga.set_repeat_mode(True)
    fpga.start()
    with pytest.raises(InvalidSettingError, match="MAX_TRAIN_EVENTS"):
        assert _peak_bytes(lambda: fpga.event_times(0.0, 10.0)) < 1e6
    # a short window is fine and has the events the clock gives: one per 1/90 MHz, the first
    # one unit after the start (90 in the first microsecond)
    assert len(fpga.event_times(0.0, 1e-6 + 0.5 / FPGA_CLOCK_HZ)) == 90


def test_fpga_repeat_mode_makes_only_the_passes_of_the_window():
    """Late windows of a long repeated stimulus equal a playback of every pass from the start."""
    model = Dynapse1Model(engine="numpy", name="limits_fpga_window")
    fpga = model.get_fpga_spike_gen()
    fpga.preload_stimulus([FpgaSpikeEvent(1, 0, 3, 90), FpgaSpikeEvent(1, 0, 4, 270)])
    fpga.set_isi_multiplier(900)  # units of 10 us: events at 0.9 ms and 3.6 ms of each pass
    fpga.set_repeat_mode(True)
    fpga.start()
    unit = 900 / FPGA_CLOCK_HZ
    offsets = np.cumsum([90 * unit, 270 * unit])
    for t0, t1 in [(0.0, 0.01), (100.0, 100.02), (1799.99, 1800.0)]:
        passes = np.arange(int(np.ceil(t1 / offsets[-1])) + 1)[:, None]
        every = (0.0 + passes * offsets[-1]) + offsets  # pass r starts at r * period
        keep = (every >= t0) & (every < t1)
        got = fpga.event_times(t0, t1)
        assert [t for t, _ in got] == every[keep].tolist()
        assert [e.neuron_id for _, e in got] == np.broadcast_to([3, 4], every.shape)[keep].tolist()


def test_fpga_events_from_times_checks_every_field():
    events, multiplier = fpga_events_from_times([1, 3] * ms, [5, 6], target_chips=[0, 1])
    assert [(e.target_chip, e.neuron_id, e.isi) for e in events] == [(0, 5, 100), (1, 6, 200)]
    gap = (FPGA_ISI_MAX + 1) * 900 / FPGA_CLOCK_HZ  # one unit more than 16 bits hold
    with pytest.raises(InvalidSettingError, match="16-bit ISI register"):
        fpga_events_from_times([0.0, gap] * second, [5, 6])
    fpga_events_from_times([0.0, gap] * second, [5, 6], isi_base=9000)  # a coarser unit fits
    for call, error, match in [
        (lambda: fpga_events_from_times([1, 3], [5, 6]), InvalidSettingError, "array of times"),
        (lambda: fpga_events_from_times([1] * ms, [1024]), InvalidNeuronError, r"0\.\.1023"),
        (lambda: fpga_events_from_times([1] * ms, [2**64 - 1]), InvalidNeuronError, "1023"),
        (lambda: fpga_events_from_times([1] * ms, [1.5]), InvalidNeuronError, "whole"),
        (lambda: fpga_events_from_times([1] * ms, [1], 4), InvalidCoreError, r"0\.\.3"),
        (lambda: fpga_events_from_times([1] * ms, [1], isi_base=0), InvalidSettingError,
         "isi_base"),
        (lambda: fpga_events_from_times([1] * ms, [1], core_mask=16), InvalidSettingError,
         "core_mask"),
        (lambda: fpga_events_from_times([-1] * ms, [1]), InvalidSettingError, ">= 0"),
    ]:
        with pytest.raises(error, match=match):
            call()
    assert multiplier == 900


def test_fpga_spike_event_is_filled_like_samna_and_refuses_wrapping_values():
    event = FpgaSpikeEvent()
    event.core_mask, event.target_chip, event.neuron_id, event.isi = 15, 0, 15, 10
    assert event == FpgaSpikeEvent(15, 0, 15, 10)
    for field, value, error in [("isi", FPGA_ISI_MAX + 1, InvalidSettingError),
                                ("isi", np.uint64(2**64 - 1), InvalidSettingError),
                                ("neuron_id", 1024, InvalidNeuronError),
                                ("target_chip", True, InvalidCoreError),
                                ("core_mask", 2.0, InvalidSettingError)]:
        with pytest.raises(error, match=field.replace("_id", "").replace("target_", "")):
            setattr(event, field, value)
        assert event.astuple() == (15, 0, 15, 10)
    fpga = Dynapse1Model(engine="numpy", name="limits_flags").get_fpga_spike_gen()
    fpga.preload_stimulus([event])
    event.isi = 20  # the generator holds its own copy
    fpga.start()
    assert [e.isi for _, e in fpga.event_times(0.0, 1.0)] == [10]
    for call in (lambda: fpga.set_repeat_mode(1), lambda: fpga.set_variable_isi("no"),
                 lambda: fpga.set_isi_multiplier(2**16)):
        with pytest.raises(InvalidSettingError):
            call()
    assert (fpga.get_repeat_mode(), fpga.get_isi_multiplier()) == (False, 1)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"sigma": "0.1"}, "sigma"), ({"sigma": float("nan")}, "finite"),
    ({"sigma": 1e300}, r"0\.\.1"), ({"seed": 1.7}, "seed"), ({"seed": -1}, "seed"),
    ({"seed": True}, "seed"), ({"distribution": "uniform"}, "lognormal"),
])
def test_mismatch_settings_are_checked(kwargs, match):
    from dynsim.dynapse import Mismatch

    with pytest.raises(InvalidSettingError, match=match):
        Mismatch(**kwargs)
    assert np.all(np.isfinite(Mismatch(1.0, seed=2**64 - 1).factors([0, 4095])))
