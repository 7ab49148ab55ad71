"""The DYNAP-SE self-checks: right answers pass, typical mistakes fail with the right hint.

Every right answer is computed here from the physics (U_T = 25 mV, kappa = (0.75 + 0.66)/2,
the capacitances, the coarse/fine table), independently of dynsim.checks and of any
simulation. Wrong answers are the mistakes students make; each must fail with a hint that
names the mistake, never raise. Arguments that make no sense raise a DynsimError.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from brian2 import Hz, amp, farad, ms, pA, pF, second

import dynsim.checks.dynapse as checks
from dynsim.checks import CheckResult
from dynsim.dynapse import Dynapse1Parameter, NetworkGenerator, Neuron, Spike
from dynsim.errors import (
    BiasRangeError,
    DynsimError,
    InvalidSettingError,
    UnknownBiasError,
    UnknownSynapseTypeError,
)

# --------------------------------------------------------------------------- physics
U_T = 0.025
KAPPA = (0.75 + 0.66) / 2
C_SYN, C_MEM, C_AHP = 2e-12, 2e-12, 4e-12
I0 = 1e-12
#: full-scale current of each coarse value (A), fine 255 (the documented approximate table)
TABLE = (15e-12, 105e-12, 820e-12, 6.5e-9, 50e-9, 400e-9, 3.2e-6, 24e-6)


def current(coarse, fine):
    return TABLE[coarse] * fine / 255


def tau(capacitance, itau):
    return capacitance * U_T / (KAPPA * max(itau, I0))


#: default (coarse, fine) of the biases used below (from the DYNAP-SE1 defaults)
DEFAULTS = {"IF_TAU1_N": (0, 85), "IF_THR_N": (1, 49), "IF_NMDA_N": (0, 23),
            "IF_RFR_N": (0, 85), "IF_AHTAU_N": (0, 34), "IF_AHTHR_N": (0, 136),
            "IF_AHW_P": (0, 4), "NPDPIE_TAU_F_P": (1, 49), "NPDPIE_THR_F_P": (1, 194),
            "PS_WEIGHT_EXC_F_N": (1, 61), "NPDPIE_TAU_S_P": (0, 34), "NPDPIE_THR_S_P": (0, 136),
            "PS_WEIGHT_EXC_S_N": (1, 61)}


def bias(name, overrides=None):
    return current(*(overrides or {}).get(name, DEFAULTS[name]))


def passes(result):
    assert isinstance(result, CheckResult), result
    assert result.passed, result
    assert repr(result).startswith("PASS")
    return result


def fails(result, *words):
    assert isinstance(result, CheckResult), result
    assert not result.passed, result
    text = repr(result)
    assert text.startswith("NOT YET")
    for word in words:
        assert word.lower() in text.lower(), (word, text)
    return result


# --------------------------------------------------------------------------- notebook 1
def test_dpi_time_constant():
    itau = 20e-12
    right = tau(C_SYN, itau)
    passes(checks.check_dpi_time_constant(right * second, itau * amp, C_SYN * farad))
    passes(checks.check_dpi_time_constant(right, itau, C_SYN))  # plain SI numbers
    fails(checks.check_dpi_time_constant(C_SYN * U_T / itau, itau, C_SYN), "kappa")
    fails(checks.check_dpi_time_constant(C_SYN * U_T * KAPPA / itau, itau, C_SYN), "divides")
    fails(checks.check_dpi_time_constant(C_SYN * U_T / (0.75 * itau), itau, C_SYN), "mean")
    fails(checks.check_dpi_time_constant(right * 1e3, itau, C_SYN), "ms")
    fails(checks.check_dpi_time_constant(itau * U_T / (KAPPA * C_SYN), itau, C_SYN), "swapped")
    fails(checks.check_dpi_time_constant(3 * right, itau, C_SYN), "3x")
    fails(checks.check_dpi_time_constant(..., itau, C_SYN), "not answered")


def test_measured_time_constant():
    itau = bias("NPDPIE_TAU_F_P")
    right = tau(C_SYN, itau)
    passes(checks.check_measured_time_constant(right * 1.05 * second, itau, C_SYN, "AMPA"))
    passes(checks.check_measured_time_constant(right * 0.93, itau))
    fails(checks.check_measured_time_constant(right * math.log(2), itau), "half")
    fails(checks.check_measured_time_constant(right * math.log(10), itau), "10 %")
    # 1/e of the whole peak of a weak synapse, floor not removed: too long
    jump = 7.9e-12
    no_floor = right * math.log(jump / ((jump + I0) / math.e - I0))
    fails(checks.check_measured_time_constant(no_floor, itau), "floor I0")
    fails(checks.check_measured_time_constant(right * 1e3, itau), "ms")
    fails(checks.check_measured_time_constant(right * 0.3, itau), "from the peak")
    fails(checks.check_measured_time_constant(float("nan"), itau), "1/e")
    fails(checks.check_measured_time_constant(None, itau), "not answered")
    # the AHP circuit: 4 pF
    itau_ahp = current(0, 24)
    passes(checks.check_measured_time_constant(tau(C_AHP, itau_ahp), itau_ahp, C_AHP, "AHP"))
    fails(checks.check_measured_time_constant(tau(C_SYN, itau_ahp), itau_ahp, C_AHP, "AHP"))


def test_epsc_jump():
    ith, itau, iw = bias("NPDPIE_THR_F_P"), bias("NPDPIE_TAU_F_P"), current(0, 34)
    right = 3 * ith / itau * iw
    passes(checks.check_epsc_jump(right * amp, 3, ith * amp, itau * amp, iw * amp))
    fails(checks.check_epsc_jump(right / 3, 3, ith, itau, iw), "one cam entry")
    fails(checks.check_epsc_jump(3 * iw, 3, ith, itau, iw), "gain")
    fails(checks.check_epsc_jump(3 * itau / ith * iw, 3, ith, itau, iw), "not itau/ith")
    fails(checks.check_epsc_jump(right * 1e12, 3, ith, itau, iw), "pa")
    fails(checks.check_epsc_jump(2.5 * right, 3, ith, itau, iw), "2.5x")


def test_bias_for_time_constant():
    target = 50e-3
    needed = C_SYN * U_T / (KAPPA * target)
    fine = round(needed / TABLE[0] * 255)
    passes(checks.check_bias_for_time_constant((0, fine), target * second, "NPDPIE_TAU_S_P"))
    passes(checks.check_bias_for_time_constant(Dynapse1Parameter("NPDPIE_TAU_S_P", 0, fine),
                                               50 * ms, "NPDPIE_TAU_S_P"))
    fails(checks.check_bias_for_time_constant((0, 2 * fine), 50 * ms), "too short", "smaller")
    fails(checks.check_bias_for_time_constant((0, fine // 2), 50 * ms), "too long", "larger")
    fails(checks.check_bias_for_time_constant((1, fine), 50 * ms), "coarse")
    fails(checks.check_bias_for_time_constant((0, 0), 50 * ms), "fine = 0")
    fails(checks.check_bias_for_time_constant(..., 50 * ms), "not answered")
    # the adaptation circuit has 4 pF: a bias computed with the synapse's 2 pF is half as large
    ahp_fine = round(C_AHP * U_T / (KAPPA * 0.1) / TABLE[0] * 255)
    passes(checks.check_bias_for_time_constant((0, ahp_fine), 100 * ms, "IF_AHTAU_N"))
    fails(checks.check_bias_for_time_constant((0, round(ahp_fine / 2)), 100 * ms, "IF_AHTAU_N"),
          "4 pF", "below the transistor leakage")
    fails(checks.check_bias_for_time_constant((0, 60), 60 * ms, "IF_AHTAU_N"), "too short")


# --------------------------------------------------------------------------- notebook 2
def steady_state_rheobase(overrides=None):
    """Smallest DC without a sub-threshold fixed point: bisection on Chicca's steady state."""
    itau, ith = bias("IF_TAU1_N", overrides), bias("IF_THR_N", overrides)
    thr = bias("IF_NMDA_N", overrides)
    imem = np.geomspace(I0, 2e-9, 20000)

    def f(idc):
        iin = np.maximum(I0 + I0 * imem / (imem + thr) + idc - I0, I0)
        ipfb = 100e-12 / (1 + np.exp((1e-9 - imem) / 20e-12))
        return ith * (iin - I0 - I0 - itau) - imem * (itau + 2 * I0) + ipfb * (imem + ith)

    low, high = 0.0, 5e-9
    for _ in range(80):
        mid = (low + high) / 2
        low, high = (low, mid) if f(mid).min() > 0 else (mid, high)
    return (low + high) / 2


def test_rheobase():
    right = steady_state_rheobase()
    assert 250e-12 < right < 350e-12
    passes(checks.check_rheobase(right * amp))
    passes(checks.check_rheobase(1.03 * right, biases={"IF_AHW_P": (0, 0)}))
    fails(checks.check_rheobase(1.2 * right), "latency", "long enough")
    fails(checks.check_rheobase(0.8 * right), "really firing")
    fails(checks.check_rheobase(bias("IF_TAU1_N")), "positive-feedback")
    fails(checks.check_rheobase(right * 1e12), "pa")
    fails(checks.check_rheobase(float("nan")), "never fire")
    # other biases: a smaller leak lowers the rheobase, and the check follows the biases
    overrides = {"IF_TAU1_N": (0, 40)}
    lower = steady_state_rheobase(overrides)
    assert lower < 0.8 * right
    passes(checks.check_rheobase(lower, biases=overrides))
    fails(checks.check_rheobase(right, biases=overrides))
    fails(checks.check_rheobase(right, biases={"IF_THR_N": (0, 0)}), "no gain")


def test_saturation_rate():
    t_refr = 25e-15 / current(0, 42)
    passes(checks.check_saturation_rate(1 / t_refr * Hz, (0, 42)))
    passes(checks.check_saturation_rate(1 / t_refr, Dynapse1Parameter("IF_RFR_N", 0, 42)))
    passes(checks.check_saturation_rate(200.0, 5 * ms))
    fails(checks.check_saturation_rate(t_refr, (0, 42)), "inverse")
    fails(checks.check_saturation_rate(0.5 / t_refr, (0, 42)), "not 1/(2 t_refr)")
    fails(checks.check_saturation_rate(0.85 / t_refr, (0, 42)), "measured")
    fails(checks.check_saturation_rate(1e-3 / t_refr, (0, 42)), "ms")
    fails(checks.check_saturation_rate(3 / t_refr, (0, 42)), "1/t_refr")


def test_mean_synaptic_current():
    ith, itau, iw = bias("NPDPIE_THR_S_P"), bias("NPDPIE_TAU_S_P"), bias("PS_WEIGHT_EXC_S_N")
    right = 2 * ith / itau * iw * tau(C_SYN, itau) * 100
    passes(checks.check_mean_synaptic_current(right * amp, 100 * Hz, 2, "NMDA"))
    passes(checks.check_mean_synaptic_current(right + I0, 100, 2, "nmda"))  # total is fine
    fails(checks.check_mean_synaptic_current(2 * ith / itau * iw * 100, 100, 2, "NMDA"), "tau")
    fails(checks.check_mean_synaptic_current(right / 2, 100, 2, "NMDA"), "weight")
    fails(checks.check_mean_synaptic_current(2 * right, 100, 2, "NMDA"), "no factor 2")
    fails(checks.check_mean_synaptic_current(1.7 * right, 100, 2, "NMDA"), "1.7x")
    # other biases change the answer
    overrides = {"PS_WEIGHT_EXC_F_N": (1, 120)}
    ampa = 1 * bias("NPDPIE_THR_F_P") / bias("NPDPIE_TAU_F_P") * current(1, 120) * tau(
        C_SYN, bias("NPDPIE_TAU_F_P")) * 50
    passes(checks.check_mean_synaptic_current(ampa, 50 * Hz, 1, "AMPA", overrides))
    fails(checks.check_mean_synaptic_current(ampa, 50 * Hz, 1, "AMPA"))


# --------------------------------------------------------------------------- notebook 3
def test_instantaneous_rate():
    spikes = np.array([0.0113, 0.0244, 0.0406, 0.0624])
    isi = np.diff(spikes)
    passes(checks.check_instantaneous_rate(spikes[1:], 1 / isi, spikes))
    passes(checks.check_instantaneous_rate((spikes[1:] + spikes[:-1]) / 2, 1 / isi,
                                           spikes * second))
    passes(checks.check_instantaneous_rate(spikes[1:] * second, 1 / isi * Hz, spikes[::-1]))
    fails(checks.check_instantaneous_rate(spikes[1:], isi, spikes), "intervals", "inverse")
    fails(checks.check_instantaneous_rate(spikes, np.r_[0, 1 / isi], spikes), "3 rates")
    fails(checks.check_instantaneous_rate(spikes[:-1], 1 / isi, spikes), "end")
    fails(checks.check_instantaneous_rate(spikes[1:], 1e-3 / isi, spikes), "khz")
    fails(checks.check_instantaneous_rate(spikes[1:], 1 / (spikes[1:] - spikes[0]), spikes),
          "own interval")
    fails(checks.check_instantaneous_rate(..., ..., spikes), "not answered")


def test_ahp_steady_state():
    overrides = {"IF_AHW_P": (0, 26)}
    ith, itau, iw = bias("IF_AHTHR_N"), bias("IF_AHTAU_N"), bias("IF_AHW_P", overrides)
    right = ith / itau * iw * tau(C_AHP, itau) * 38.3
    passes(checks.check_ahp_steady_state(right * amp, 38.3 * Hz, overrides))
    passes(checks.check_ahp_steady_state(right + I0, 38.3, overrides))
    fails(checks.check_ahp_steady_state(right / 2, 38.3, overrides), "4 pF")
    fails(checks.check_ahp_steady_state(ith / itau * iw * 38.3, 38.3, overrides), "tau")
    fails(checks.check_ahp_steady_state(ith / itau * iw, 38.3, overrides), "jump of one event")
    fails(checks.check_ahp_steady_state(1.5 * right, 38.3, overrides), "1.5x")
    fails(checks.check_ahp_steady_state(right, 38.3, {"IF_AHW_P": (0, 0)}), "no adaptation")


# --------------------------------------------------------------------------- notebook 4
def small_network():
    net = NetworkGenerator()
    post = Neuron(0, 1, 3)
    for _ in range(4):
        net.add_connection(Neuron(0, 3, 7, is_spike_gen=True), post, "AMPA")  # weight 4
    for k in range(5):
        net.add_connection(Neuron(0, 1, 10 + k), post, "NMDA")
    for k in range(3):
        for _ in range(2):
            net.add_connection(Neuron(0, 2, 1 + k), post, "GABA_B")  # weight 2
    return net, post


def test_fan_in():
    net, post = small_network()
    right = 4 + 5 + 3 * 2
    passes(checks.check_fan_in(right, net, post))
    passes(checks.check_fan_in(right, net.make_dynapse1_configuration(), post))
    fails(checks.check_fan_in(right + 1, net, post), "itself")
    fails(checks.check_fan_in(right - 3, net, post, weights={"input": 4}), "input", "4 cam")
    fails(checks.check_fan_in(1 + 5 + 3, net, post), "weight w uses w entries")
    fails(checks.check_fan_in(None, net, post), "not answered")


def test_group_rates():
    events = [Spike(0, 1, 2, 1000), Spike(0, 1, 2, 5000), Spike(0, 1, 3, 7000),
              Spike(0, 2, 1, 9000), Spike(0, 1, 9, 9500)]
    groups = {"A": [258, 259], "inh": [513]}
    right = {"A": 3 / (2 * 0.1), "inh": 1 / 0.1}
    passes(checks.check_group_rates(right, events, groups, 0.1 * second))
    passes(checks.check_group_rates([15.0, 10.0], events, groups, 0.1))
    fails(checks.check_group_rates({"A": 30.0, "inh": 10.0}, events, groups, 0.1),
          "number of neurons")
    fails(checks.check_group_rates({"A": 3, "inh": 1}, events, groups, 0.1), "spike counts")
    fails(checks.check_group_rates({"A": 1.5, "inh": 1}, events, groups, 0.1), "duration")
    fails(checks.check_group_rates({"A": 15.0}, events, groups, 0.1), "inh")
    fails(checks.check_group_rates([15.0], events, groups, 0.1), "2 rates")
    fails(checks.check_group_rates({"A": 0.015, "inh": 0.01}, events, groups, 0.1),
          "microseconds")


def test_coefficient_of_variation():
    rates = np.array([80.0, 95.0, 100.0, 105.0, 120.0]) * 1.37
    population, sample = rates.std() / rates.mean(), rates.std(ddof=1) / rates.mean()
    passes(checks.check_coefficient_of_variation(population, rates))
    passes(checks.check_coefficient_of_variation(sample, rates * Hz))
    fails(checks.check_coefficient_of_variation(100 * population, rates), "percentage")
    fails(checks.check_coefficient_of_variation(rates.std(), rates), "divide by the mean")
    fails(checks.check_coefficient_of_variation(rates.var() / rates.mean(), rates), "fano")
    fails(checks.check_coefficient_of_variation(population**2, rates), "variance")
    fails(checks.check_coefficient_of_variation(..., rates), "not answered")


def test_population_size():
    passes(checks.check_population_size(16, 0.2, 0.05))
    passes(checks.check_population_size(17, 0.2, 0.05))
    passes(checks.check_population_size(math.ceil((0.196 / 0.05) ** 2), 0.196, 0.05))
    fails(checks.check_population_size(4, 0.2, 0.05), "sqrt(n), not")
    fails(checks.check_population_size(10, 0.2, 0.05), "more neurons")
    fails(checks.check_population_size(64, 0.2, 0.05), "fewer")
    fails(checks.check_population_size(2.5, 0.2, 0.05), "whole number")
    assert "core" in repr(checks.check_population_size(400, 1.0, 0.05))


# --------------------------------------------------------------------------- nonsense
@pytest.mark.parametrize("call, error", [
    (lambda: checks.check_dpi_time_constant(3 * ms, 20 * ms), InvalidSettingError),
    (lambda: checks.check_dpi_time_constant(3 * ms, -20 * pA), InvalidSettingError),
    (lambda: checks.check_dpi_time_constant(3 * ms, 20 * pA, capacitance=0), InvalidSettingError),
    (lambda: checks.check_measured_time_constant(3 * ms, 20 * pA, 2 * pF, rtol=-1),
     InvalidSettingError),
    (lambda: checks.check_epsc_jump(1 * pA, 0.5, 1 * pA, 1 * pA, 1 * pA), InvalidSettingError),
    (lambda: checks.check_epsc_jump(1 * pA, 1, 1 * ms, 1 * pA, 1 * pA), InvalidSettingError),
    (lambda: checks.check_bias_for_time_constant((0, 20), 50 * ms, "IF_DC_P"),
     InvalidSettingError),
    (lambda: checks.check_bias_for_time_constant((0, 20), 50 * ms, "TAU_NMDA"), UnknownBiasError),
    (lambda: checks.check_bias_for_time_constant((0, 20), 50 * pA), InvalidSettingError),
    (lambda: checks.check_rheobase(300 * pA, biases={"IF_DC": (1, 1)}), UnknownBiasError),
    (lambda: checks.check_saturation_rate(200 * Hz, None), InvalidSettingError),
    (lambda: checks.check_saturation_rate(200 * Hz, (0, 300)), BiasRangeError),
    (lambda: checks.check_mean_synaptic_current(1 * pA, 10 * Hz, 1, "GLUTAMATE"),
     UnknownSynapseTypeError),
    (lambda: checks.check_mean_synaptic_current(1 * pA, -10 * Hz, 1, "AMPA"),
     InvalidSettingError),
    (lambda: checks.check_mean_synaptic_current(1 * pA, 10 * ms, 1, "AMPA"), InvalidSettingError),
    (lambda: checks.check_instantaneous_rate([1], [1], [0.1]), InvalidSettingError),
    (lambda: checks.check_instantaneous_rate([1], [1], "0.1, 0.2"), InvalidSettingError),
    (lambda: checks.check_ahp_steady_state(1 * pA, float("nan"), None), InvalidSettingError),
    (lambda: checks.check_fan_in(3, "network", Neuron(0, 1, 1)), InvalidSettingError),
    (lambda: checks.check_fan_in(3, NetworkGenerator(), (0, 1, 1)), InvalidSettingError),
    (lambda: checks.check_group_rates([1.0], [(0, 1, 2, 3)], {"A": [258]}, 0.1),
     InvalidSettingError),
    (lambda: checks.check_group_rates([1.0], [], {"A": []}, 0.1), InvalidSettingError),
    (lambda: checks.check_group_rates([1.0], [], {"A": [258]}, 0), InvalidSettingError),
    (lambda: checks.check_coefficient_of_variation(0.1, [0.0, 0.0]), InvalidSettingError),
    (lambda: checks.check_coefficient_of_variation(0.1, [5.0]), InvalidSettingError),
    (lambda: checks.check_population_size(16, 0.2, 0), InvalidSettingError),
])
def test_nonsense_arguments_raise_dynsim_errors(call, error):
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, DynsimError)
    assert str(info.value)  # a message that says what was expected


@pytest.mark.parametrize("call, words", [
    # answers (not arguments) that make no sense are wrong answers: a hint, never an exception
    (lambda: checks.check_dpi_time_constant(3 * pA, 20 * pA), ("must be a time",)),
    (lambda: checks.check_dpi_time_constant("3 ms", 20 * pA), ("not a string",)),
    (lambda: checks.check_dpi_time_constant([1, 2] * ms, 20 * pA), ("one number",)),
    (lambda: checks.check_dpi_time_constant(3.5e-3, 20 * pA, 2 * pF), ("with units",)),
    (lambda: checks.check_bias_for_time_constant((8, 20), 50 * ms), ("coarse",)),
    (lambda: checks.check_bias_for_time_constant("0, 20", 50 * ms), ("(coarse, fine)",)),
    (lambda: checks.check_rheobase((2, 95)), ("one number",)),
    (lambda: checks.check_saturation_rate(10.1 * ms, (0, 42)), ("forget 1/t",)),
    (lambda: checks.check_saturation_rate(200.0, (0, 42), units=True), ("with units",)),
])
def test_answers_the_check_cannot_use_get_a_hint(call, words):
    fails(call(), *words)


def test_every_check_is_tested_and_documented():
    tested = {name for name in dir(checks) if name.startswith("check_")}
    assert tested == set(checks.__all__)
    # this file and the other test files of the checks (the design exercises have their own)
    source = "".join(path.read_text() for path in Path(__file__).parent.glob("test_*.py"))
    for name in checks.__all__:
        assert f"checks.{name}(" in source, f"{name} has no test"
        doc = getattr(checks, name).__doc__
        assert doc and "Examples" in doc and ">>>" in doc, f"{name}: numpydoc with an example"


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(checks, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 10 and result.failed == 0


def test_results_are_one_line_without_long_floats():
    # what nbval compares: short text, no full-precision floats (numpy and Cython differ there)
    results = [
        checks.check_dpi_time_constant(tau(C_SYN, 20e-12) * (1 + 1e-13), 20e-12),
        checks.check_measured_time_constant(3.5e-3 * (1 + 1e-13), 20e-12),
        checks.check_rheobase(steady_state_rheobase() * (1 + 1e-13)),
        checks.check_mean_synaptic_current(7.13e-10, 100, 2, "NMDA"),
    ]
    for result in results:
        text = repr(result)
        assert "\n" not in text
        assert not any(len(token) > 8 for token in
                       re.findall(r"\d+\.\d+", text)), text
