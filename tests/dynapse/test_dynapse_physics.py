"""DPI physics against analytical results (Chicca et al. 2014) and the chip's behaviour.

Short simulations on the numpy engine (dt = 0.1 ms, the emulator's default).
"""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import Hz, Network, StateMonitor, amp, ms, pA, second

from dynsim.dynapse import (
    DynapSE,
    Dynapse1Configuration,
    Dynapse1Model,
    Dynapse1Parameter,
    Experiment,
    FpgaSpikeEvent,
    Mismatch,
    NetworkGenerator,
    Neuron,
    bias_current,
    nearest_coarse_fine,
    physics,
    time_constant,
)

I0 = 1e-12
DT = 1e-4
TYPES = {"AMPA": ("ampa", "NPDPIE_TAU_F_P"), "NMDA": ("nmda", "NPDPIE_TAU_S_P"),
         "GABA_A": ("gaba_a", "NPDPII_TAU_F_P"), "GABA_B": ("gaba_b", "NPDPII_TAU_S_P")}


def crossing_time(trace: np.ndarray, start: int, level: float) -> float:
    """Time (s) after sample ``start`` at which ``trace - I0`` falls to ``level``, log-interp."""
    excess = trace[start:] - I0
    k = int(np.argmax(excess <= level))
    assert k > 0, "the trace never fell to the level"
    a, b = np.log(excess[k - 1]), np.log(excess[k])
    return (k - 1 + (a - np.log(level)) / (a - b)) * DT


# --------------------------------------------------------------------------- synapses
def test_synapse_impulse_response_decays_to_1_over_e_at_tau():
    exp = Experiment(1, engine="numpy", name="impulse")
    exp.set_bias({"Itau_ampa": 10 * pA})  # a non-default value as well
    for name in TYPES:
        exp.set_input(name, times=[5] * ms, weight=1)
    result = exp.run(190 * ms)
    group = exp.get_bias()
    for name, (circuit, bias) in TYPES.items():
        trace = np.asarray(getattr(result, f"I_{circuit}")[0] / amp)
        parameter = group.param_map[bias]
        tau = float(time_constant(bias, parameter.coarse_value, parameter.fine_value) / second)
        peak = int(np.argmax(trace))
        assert peak == 51  # the event of step 50 shows in the next sample
        jump = trace[peak] - I0
        expected_jump = float(physics.state_parameters(
            {k: np.array([v]) for k, v in group.currents().items()}, exp.dt)
            [f"Ijump_{circuit}"][0])
        assert jump == pytest.approx(expected_jump, rel=1e-9)
        measured = crossing_time(trace, peak, jump / np.e)
        assert measured == pytest.approx(tau, rel=0.01), name
        assert trace.min() >= I0 * (1 - 1e-12)


def test_ahp_decays_at_its_tau(numpy_target):
    chip = DynapSE(engine="numpy", name="ahpdecay")
    neuron = chip.get_neurons(1, "Core_2")
    neuron.Iahp = 300 * pA
    monitor = StateMonitor(neuron, "Iahp", record=True)
    Network(neuron, monitor).run(250 * ms)
    trace = np.asarray(monitor.Iahp[0] / amp)
    tau = float(time_constant("IF_AHTAU_N") / second)
    assert crossing_time(trace, 0, (trace[0] - I0) / np.e) == pytest.approx(tau, rel=0.01)


# --------------------------------------------------------------------------- membrane
def steady_state_equation(imem, idc, itau, ith, nmda_thr):
    """The complete sub-threshold steady state F(Imem) = 0 (AHP, GABA and synapses at I0).

    Written here independently of the library: Chicca's equation multiplied by Itau*Imem.
    """
    iin = np.maximum(I0 + I0 * imem / (imem + nmda_thr) + idc - I0, I0)
    ipfb = 100e-12 / (1 + np.exp((1e-9 - imem) / 20e-12))
    return ith * (iin - I0 - I0 - itau) - imem * (itau + I0 + I0) + ipfb * (imem + ith)


def bisect(f, low, high, steps=200):
    """Root of ``f`` in [low, high] with f(low) > 0 > f(high)."""
    for _ in range(steps):
        mid = (low + high) / 2
        if f(mid) > 0:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def currents(exp):
    return {k: float(v) for k, v in exp.get_bias().currents().items()}


def rheobase(itau, ith, nmda_thr):
    """Smallest DC input without a sub-threshold fixed point (bisection)."""
    grid = np.geomspace(I0, 2e-9, 20000)
    return bisect(lambda idc: -1.0 if steady_state_equation(grid, idc, itau, ith, nmda_thr)
                  .min() > 0 else 1.0, 0.0, 5e-9)


def test_subthreshold_steady_state_matches_the_formula():
    # (Ith/Itau)(Iin - Itau) neglects the shunt by Iahp and I_gaba_a (both at I0 = 1 pA
    # without spikes) and the positive feedback: with Itau = Ith ~ 400 pA and Imem ~ 300 pA
    # those terms are below 1 %, so the formula must hold within 2 %.
    exp = Experiment(1, engine="numpy", name="formula")
    exp.set_bias({"Itau_mem": 400 * pA, "Ith_mem": 400 * pA, "Idc": 700 * pA})
    c = currents(exp)
    result = exp.run(20 * ms)
    imem = float(result.Imem[0, -1] / amp)
    thr = c["Inmda_thr"]
    iin = c["Idc"] + I0 + I0 * imem / (imem + thr) - I0  # AMPA + gated NMDA - GABA_B at rest
    formula = c["Ith_mem"] / c["Itau_mem"] * (iin - c["Itau_mem"])
    assert imem == pytest.approx(formula, rel=0.02)
    assert result.spike_count()[0] == 0


def test_full_fixed_point_matches_an_independent_root():
    exp = Experiment(1, engine="numpy", name="fixedpoint")
    c = currents(exp)
    rheo = rheobase(c["Itau_mem"], c["Ith_mem"], c["Inmda_thr"])
    exp.set_bias({"Idc": 0.6 * rheo})
    c = currents(exp)
    grid = np.geomspace(I0, 2e-9, 20000)
    f = lambda imem: steady_state_equation(imem, c["Idc"], c["Itau_mem"], c["Ith_mem"],  # noqa: E731
                                           c["Inmda_thr"])
    root = bisect(f, I0, grid[np.argmax(f(grid) < 0)])
    result = exp.run(600 * ms)
    assert float(result.Imem[0, -1] / amp) == pytest.approx(root, rel=1e-9)
    assert result.spike_count()[0] == 0


def fi_model(dc_currents, name, inhibition=None, weight=(0, 0), duration=0.5):
    """One neuron on each of the 16 cores of the board, one DC level per core (AHP off).

    ``inhibition``: 'GABA_A' or 'GABA_B' input from a virtual neuron firing regularly at
    1 kHz (FPGA spike generator in repeat mode) with the given weight bias.
    """
    ids = [chip * 1024 + core * 256 + 1 for chip in range(4) for core in range(4)]
    model = Dynapse1Model(engine="numpy", name=name)
    config = Dynapse1Configuration()
    if inhibition:
        net = NetworkGenerator()
        for gid in ids:
            chip, core = gid // 1024, gid // 256 % 4
            net.add_connection(Neuron(chip, 2, 7, is_spike_gen=True), Neuron(chip, core, 1),
                               inhibition)
        config = net.make_dynapse1_configuration()
    model.apply_configuration(config)
    model.monitor(ids, ["Imem", "I_gaba_a", "I_gaba_b"])
    actual = []
    for gid, dc in zip(ids, dc_currents, strict=True):
        chip, core = gid // 1024, gid // 256 % 4
        coarse, fine = nearest_coarse_fine(dc)
        model.update_single_parameter(Dynapse1Parameter("IF_DC_P", coarse, fine), chip, core)
        model.update_single_parameter(Dynapse1Parameter("IF_AHW_P", 0, 0), chip, core)
        actual.append(float(bias_current("IF_DC_P", coarse, fine) / amp))
        if inhibition:
            bias = {"GABA_A": "PS_WEIGHT_INH_F_N", "GABA_B": "PS_WEIGHT_INH_S_N"}[inhibition]
            model.update_single_parameter(Dynapse1Parameter(bias, *weight), chip, core)
    if inhibition:
        generator = model.get_fpga_spike_gen()
        generator.preload_stimulus([FpgaSpikeEvent(0b1111, chip, 2 * 256 + 7, 100 if chip == 0
                                                    else 0) for chip in range(4)])
        generator.set_isi_multiplier(900)  # 100 x 10 us: one event per chip every ms
        generator.set_repeat_mode(True)
        generator.start()
    model.run(duration * second)
    recording = model.get_recording()
    return np.array(actual), recording.spike_count() / duration, recording


@pytest.fixture(scope="module")
def control_fi():
    exp = Experiment(1, engine="numpy", name="rheo")
    c = currents(exp)
    rheo = rheobase(c["Itau_mem"], c["Ith_mem"], c["Inmda_thr"])
    levels = np.concatenate([[0.5, 0.8, 0.95], np.linspace(1.2, 8.5, 13)]) * rheo
    dc, rates, _ = fi_model(levels, "fi_control")
    return rheo, dc, rates


def test_fi_curve_rheobase_monotone_and_bounded(control_fi):
    rheo, dc, rates = control_fi
    assert np.all(rates[dc < 0.97 * rheo] == 0)
    assert np.all(rates[dc > 1.1 * rheo] > 0)
    assert np.all(np.diff(rates) >= 0)
    assert np.all(np.diff(rates[rates > 0]) > 0)
    refractory = float(time_constant("IF_RFR_N") / second)
    assert rates.max() <= 1 / refractory
    assert rates.max() > 0.6 / refractory  # approaches the refractory limit


def test_refractory_period_bounds_every_interval():
    exp = Experiment(1, engine="numpy", name="refractory")
    exp.set_bias({"Idc": 20e-9, "Iref": 1.25 * pA, "IF_AHW_P": (0, 0)})  # t_refr = 20 ms
    result = exp.run(300 * ms)
    isis = np.diff(np.asarray(result.spike_times / second))
    assert len(isis) > 5
    assert isis.min() >= 0.020 - 1e-9
    assert isis.max() < 0.022


def mean_excess(bias_currents, circuit, rate_hz):
    """Mean of a DPI current above I0 under a regular input: Ijump * tau * rate."""
    values = physics.state_parameters({k: np.array([v]) for k, v in bias_currents.items()},
                                      0.1 * ms)
    tau = float(physics.CAPACITANCE[circuit] * physics.U_T / physics.KAPPA / amp / second) \
        / values[f"Itau_{circuit}"][0]
    return values[f"Ijump_{circuit}"][0] * tau * rate_hz


def test_gaba_b_shifts_the_fi_curve_and_gaba_a_changes_its_slope(control_fi):
    # Regular 1 kHz inhibition (an almost constant current). GABA_B subtracts from the input:
    # adding its mean current to the DC restores the control F-I curve exactly. GABA_A shunts:
    # the same compensation does not restore it; its curve has another slope (it starts
    # later and, as for any integrate-and-fire neuron, converges at high drive where the
    # leak no longer matters; Holt & Koch 1997). Its divisive action on the sub-threshold
    # response is tested exactly in test_gaba_a_divides_the_subthreshold_gain.
    rheo = control_fi[0]
    levels = np.linspace(1.3, 8, 16) * rheo
    dc, control, _ = fi_model(levels, "fi_control_linear")
    base = currents(Experiment(1, engine="numpy", name="inhibition_bias"))
    shifts = {}
    for kind, bias, weight in (("GABA_B", "Iw_gaba_b", (0, 15)), ("GABA_A", "Iw_gaba_a", (0, 2))):
        c = dict(base, **{bias: float(bias_current(bias, *weight) / amp)})
        shifts[kind] = mean_excess(c, kind.lower(), 1000.0)
    assert 30e-12 < shifts["GABA_B"] < 80e-12 and 4e-12 < shifts["GABA_A"] < 12e-12
    dc_b, gaba_b, rec_b = fi_model(dc + shifts["GABA_B"], "fi_gaba_b", "GABA_B", (0, 15))
    measured = float(np.mean(rec_b.I_gaba_b[:, 2000:]) / amp) - I0
    assert measured == pytest.approx(shifts["GABA_B"], rel=0.02)
    expected = np.interp(dc_b - shifts["GABA_B"], dc, control)
    assert np.all(np.abs(gaba_b - expected) <= np.maximum(4.0, 0.04 * expected))
    dc_a, gaba_a, _ = fi_model(dc + shifts["GABA_A"], "fi_gaba_a", "GABA_A", (0, 2))
    assert gaba_a[0] == 0 < control[0]  # a later onset than the mean current explains
    assert np.all(gaba_a <= control)
    on = gaba_a > 20
    slope = lambda x, y: np.polyfit(x[on], y[on], 1)[0]  # noqa: E731
    assert slope(dc_b, gaba_b) == pytest.approx(slope(dc, control), rel=0.1)
    assert slope(dc_a, gaba_a) > 1.2 * slope(dc, control)


def test_gaba_a_divides_the_subthreshold_gain_and_gaba_b_does_not():
    # Below threshold Imem settles at Ith (Iin - I_gaba_a - Iahp - Itau) / (Itau + Iahp +
    # I_gaba_a): GABA_A divides the gain dImem/dIdc, GABA_B only shifts it.
    def gain(kind=None, weight=(0, 0)):
        exp = Experiment(1, engine="numpy", name="gain")
        exp.set_bias({"IF_AHW_P": (0, 0), "PS_WEIGHT_INH_F_N": weight,
                      "PS_WEIGHT_INH_S_N": weight})
        if kind:
            exp.set_input(kind, rate=1000 * Hz, kind="regular")
        values = []
        for dc in (60 * pA, 120 * pA):
            exp.set_bias({"Idc": dc})
            result = exp.run(250 * ms)
            assert result.spike_count()[0] == 0
            values.append((float(exp.get_bias().param_map["IF_DC_P"].current),
                           float(np.mean(result.Imem[0, 1500:]) / amp),
                           float(np.mean(result.I_gaba_a[0, 1500:]) / amp)))
        (d0, m0, g0), (d1, m1, _) = values
        return (m1 - m0) / (d1 - d0), g0, currents(exp)

    control, _, c = gain()
    shunted, gaba_a, _ = gain("GABA_A", (0, 2))
    subtracted, _, _ = gain("GABA_B", (0, 2))
    assert control == pytest.approx(c["Ith_mem"] / (c["Itau_mem"] + 2 * I0), rel=0.01)
    assert shunted == pytest.approx(c["Ith_mem"] / (c["Itau_mem"] + I0 + gaba_a), rel=0.03)
    assert shunted < 0.6 * control
    assert subtracted == pytest.approx(control, rel=0.01)


def test_adaptation_lengthens_intervals_only_with_ahp():
    exp = Experiment(1, engine="numpy", name="adaptation")
    exp.set_bias({"Idc": 1e-9, "Iw_ahp": 1.5 * pA})
    adapting = np.diff(np.asarray(exp.run(600 * ms).spike_times / second))
    exp.set_bias({"IF_AHW_P": (0, 0)})
    flat = np.diff(np.asarray(exp.run(600 * ms).spike_times / second))
    assert len(adapting) >= 5 and len(flat) >= 5
    assert adapting[-1] > 1.3 * adapting[0]
    assert np.all(np.diff(adapting) > -1.5 * DT)  # intervals are whole steps
    assert np.ptp(flat) <= DT * 1.01


def test_nmda_input_is_gated_by_the_membrane_current():
    exp = Experiment(1, engine="numpy", name="nmdagate")
    exp.set_bias({"Inmda_thr": 200 * pA, "IF_AHW_P": (0, 0)})
    sub = {"Idc": 100 * pA}  # raises Imem to ~400 pA without spikes

    def mean_imem(nmda, dc):
        exp.clear_input()
        exp.set_bias({"Idc": dc})
        if nmda:
            exp.set_input("NMDA", rate=20 * Hz, kind="regular", weight=1)
        result = exp.run(300 * ms)
        assert result.spike_count()[0] == 0
        return float(np.mean(result.Imem[0, 1500:]) / amp), result

    rest, _ = mean_imem(False, 0 * pA)
    rest_nmda, at_rest = mean_imem(True, 0 * pA)
    depolarised, _ = mean_imem(False, sub["Idc"])
    depolarised_nmda, raised = mean_imem(True, sub["Idc"])
    # the same NMDA DPI current ...
    nmda_rest = float(np.mean(at_rest.I_nmda[0, 1500:]) / amp)
    nmda_raised = float(np.mean(raised.I_nmda[0, 1500:]) / amp)
    assert nmda_rest == pytest.approx(nmda_raised, rel=1e-9)
    assert nmda_rest > 50e-12
    # ... barely moves a neuron at rest, but adds a lot once Imem is above the gate threshold
    assert rest_nmda - rest < 2e-12
    assert depolarised_nmda - depolarised > 100 * (rest_nmda - rest)
    assert depolarised_nmda - depolarised > 50e-12


# --------------------------------------------------------------------------- invariants
def test_currents_never_fall_below_i0_under_strong_inhibition():
    exp = Experiment(2, engine="numpy", name="floor")
    exp.set_bias({"Idc": 1e-9, "Iw_gaba_a": 5e-9, "Iw_gaba_b": 5e-9})
    exp.set_input("GABA_A", rate=300 * Hz, weight=8)
    exp.set_input("GABA_B", rate=300 * Hz, weight=8)
    result = exp.run(100 * ms)
    for name in physics.STATE_VARIABLES:
        assert float(np.min(result.currents[name] / amp)) >= I0 * (1 - 1e-12), name
    assert np.all(np.isfinite(result.Imem / amp))


def test_runs_are_reproducible_with_a_seed():
    def run(seed, mismatch=None, name="repro"):
        exp = Experiment(3, engine="numpy", seed=seed, mismatch=mismatch, name=name)
        exp.set_input("AMPA", rate=300 * Hz, weight=3)
        exp.set_input("NMDA", rate=100 * Hz, weight=2, independent=False)
        exp.set_bias({"Idc": 250 * pA})
        return exp.run(150 * ms)

    a, b, c = run(1), run(1), run(2)
    assert np.array_equal(a.Imem, b.Imem) and np.array_equal(a.spike_times, b.spike_times)
    assert not np.array_equal(a.I_ampa, c.I_ampa)
    # independent trains differ between neurons, a shared train does not
    assert not np.array_equal(a.I_ampa[0], a.I_ampa[1])
    assert np.array_equal(a.I_nmda[0], a.I_nmda[1])
    m1, m2 = run(1, Mismatch(0.15, seed=7), "repro_mm"), run(1, Mismatch(0.15, seed=7), "repro_mm")
    assert np.array_equal(m1.Imem, m2.Imem)
    assert not np.array_equal(m1.Imem[0], m1.Imem[1]) or not np.array_equal(m1.Imem, a.Imem)
