"""Every public check answers every kind of unusable answer with a hint, never an exception.

A notebook that is run top to bottom ("Run All") before the student has written anything, or
with an answer of the wrong type or unit, must reach its end: each check shows "NOT YET" and
a one-line hint. The answers below are the kinds students give (a stub, text, a list where
one number is asked, an array of the wrong shape, a time where a rate is asked, a plain
number where a quantity is asked, a function instead of its result, a function that raises);
the other arguments are the valid ones a notebook supplies.
"""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import Hz, ms, mV, pA, pF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dynsim.checks.dynapse as dynapse_checks
import dynsim.checks.loihi as loihi_checks
from dynsim.checks import UNANSWERED, CheckResult, answer_from
from dynsim.dynapse import NetworkGenerator, Neuron, Spike
from dynsim.loihi import FloatLIF


def _network():
    net = NetworkGenerator()
    post = Neuron(0, 1, 3)
    for _ in range(3):
        net.add_connection(Neuron(0, 0, 5), post, "AMPA")
    return net, post


NET, POST = _network()
SPIKES = np.array([0.0113, 0.0244, 0.0406, 0.0624])
EVENTS = [Spike(0, 1, 2, 1000), Spike(0, 1, 2, 5000), Spike(0, 1, 3, 7000)]
DELTAS = np.array([-10, -5, 5, 10])
STDP = {"a_plus": 0.25, "a_minus": 0.25, "imp": 64, "tau": 16}

#: check name -> a call of the check with the student's answer in one place, valid otherwise.
CALLS = {
    "check_dpi_time_constant": lambda a: dynapse_checks.check_dpi_time_constant(
        a, itau=20 * pA, capacitance=2 * pF),
    "check_measured_time_constant": lambda a: dynapse_checks.check_measured_time_constant(
        a, itau=20 * pA, circuit="AMPA"),
    "check_epsc_jump": lambda a: dynapse_checks.check_epsc_jump(a, 2, 80 * pA, 20 * pA, 25 * pA),
    "check_bias_for_time_constant": lambda a: dynapse_checks.check_bias_for_time_constant(
        a, 50 * ms),
    "check_rheobase": lambda a: dynapse_checks.check_rheobase(a),
    "check_saturation_rate": lambda a: dynapse_checks.check_saturation_rate(a, (0, 42)),
    "check_mean_synaptic_current": lambda a: dynapse_checks.check_mean_synaptic_current(
        a, 100 * Hz, 2, "NMDA"),
    "check_instantaneous_rate (t)": lambda a: dynapse_checks.check_instantaneous_rate(
        a, 1 / np.diff(SPIKES), SPIKES),
    "check_instantaneous_rate (rate)": lambda a: dynapse_checks.check_instantaneous_rate(
        SPIKES[1:], a, SPIKES),
    "check_instantaneous_rate (pair)": lambda a: dynapse_checks.check_instantaneous_rate(
        a, None, SPIKES),
    "check_ahp_steady_state": lambda a: dynapse_checks.check_ahp_steady_state(a, 38.3 * Hz),
    "check_fan_in": lambda a: dynapse_checks.check_fan_in(a, NET, POST),
    "check_group_rates": lambda a: dynapse_checks.check_group_rates(
        a, EVENTS, {"A": [258, 259]}, 0.1),
    "check_coefficient_of_variation": lambda a: dynapse_checks.check_coefficient_of_variation(
        a, [90.0, 100.0, 110.0]),
    "check_population_size": lambda a: dynapse_checks.check_population_size(a, 0.2, 0.05),
    "check_ampa_design": lambda a: dynapse_checks.check_ampa_design(a, engine="numpy"),
    "check_wta_design (weights)": lambda a: dynapse_checks.check_wta_design(a, {}),
    "check_wta_design (biases)": lambda a: dynapse_checks.check_wta_design(
        {"input": 4, "recurrent": 2, "to_pool": 1, "from_pool": 3}, a),
    "check_mismatch_design": lambda a: dynapse_checks.check_mismatch_design(a),
    "check_ampa_rate_design": lambda a: dynapse_checks.check_ampa_rate_design(a),
    "check_adaptation_design": lambda a: dynapse_checks.check_adaptation_design(a),
    "check_integer_decay": lambda a: loihi_checks.check_integer_decay(a),
    "check_decay_register": lambda a: loihi_checks.check_decay_register(a, tau=20),
    "check_weight_encoding": lambda a: loihi_checks.check_weight_encoding(a, scale=2**14),
    "check_convention_difference (weights)": lambda a: loihi_checks.check_convention_difference(
        a, -1),
    "check_convention_difference (w_exp)": lambda a: loihi_checks.check_convention_difference(
        [1, 1, 1], a),
    "check_trace_time_constant": lambda a: loihi_checks.check_trace_time_constant(a, tau=10),
    "check_stdp_rule": lambda a: loihi_checks.check_stdp_rule(a),
    "check_stdp_prediction": lambda a: loihi_checks.check_stdp_prediction(a, DELTAS, **STDP),
    "check_reproducibility": lambda a: loihi_checks.check_reproducibility(a),
    "check_quantized_network": lambda a: loihi_checks.check_quantized_network(
        a, FloatLIF(tau_m=20, tau_syn=5, threshold=15.0), np.array([[3.7, 2.4], [-2.3, -1.1]]),
        [0, 1, 0], [2, 5, 9], 20),
    "check_stdp_design": lambda a: loihi_checks.check_stdp_design(a),
}


#: (check, kind) where the "wrong" answer is a right one: seven weights of 1..7 with w_exp = -1
#: lose fractions on silicon but not in lava.
RIGHT_ANYWAY = {("check_convention_difference (weights)", "a list of numbers")}


def _stub(*_args, **_kwargs):
    raise NotImplementedError("Exercise: to do")


def _buggy(*_args, **_kwargs):
    raise ValueError("operands could not be broadcast together\nsecond line")


#: kind of answer -> (answer, words the hint must contain, or None for any hint).
WRONG = {
    "ellipsis stub": (..., [UNANSWERED]),
    "None stub": (None, [UNANSWERED]),
    "answer_from a stub": (answer_from(_stub, 1), [UNANSWERED]),
    "answer_from a bug": (answer_from(_buggy, 1), ["ValueError", "broadcast"]),
    "a function that raises ValueError": (_buggy, None),
    "text": ("3.5 ms", None),
    "bytes": (b"12", None),
    "a list of numbers": ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], None),
    "a 2-d array": (np.ones((3, 4)), None),
    "an empty array": (np.array([]), None),
    "a dict": ({"value": 1.0}, None),
    "True": (True, None),
    "an object": (object(), None),
    "a complex number": (1 + 2j, None),
    "nan": (float("nan"), None),
    "a negative number": (-123.4, None),
    "a huge integer": (2**80, None),
    "an integer too large for a float": (10**400, None),
    "a time": (123.4 * ms, None),
    "a rate": (123.4 * Hz, None),
    "a current": (123.4 * pA, None),
    "a voltage": (123.4 * mV, None),
    "an array of times": (np.array([1.0, 2.0]) * ms, None),
}


def test_every_public_check_is_fed_wrong_answers():
    public = {name for module in (dynapse_checks, loihi_checks) for name in module.__all__}
    assert public == {key.split(" ")[0] for key in CALLS}
    for module in (dynapse_checks, loihi_checks):  # each one wrapped by dynsim.checks.checked
        assert all(hasattr(getattr(module, name), "__wrapped__") for name in module.__all__)


@pytest.mark.parametrize("kind", list(WRONG))
@pytest.mark.parametrize("check", list(CALLS))
def test_a_wrong_answer_gets_a_hint_never_an_exception(check, kind):
    answer, words = WRONG[kind]
    result = CALLS[check](answer)
    assert isinstance(result, CheckResult), result
    assert result.passed is ((check, kind) in RIGHT_ANYWAY), result
    assert result.message and "\n" not in result.message, result
    assert repr(result).startswith("PASS" if result.passed else "NOT YET")
    for word in words or ():
        assert word in result.message, (word, result.message)


#: checks whose answer is a Brian2 quantity, with a right value as a plain SI number.
RIGHT_PLAIN = {
    "check_dpi_time_constant": lambda units: dynapse_checks.check_dpi_time_constant(
        0.025 * 2e-12 / (0.705 * 20e-12), itau=20 * pA, capacitance=2 * pF, units=units),
    "check_epsc_jump": lambda units: dynapse_checks.check_epsc_jump(
        2 * 80 / 20 * 25e-12, 2, 80 * pA, 20 * pA, 25 * pA, units=units),
    "check_saturation_rate": lambda units: dynapse_checks.check_saturation_rate(
        200.0, 5 * ms, units=units),
}


@pytest.mark.parametrize("check", list(RIGHT_PLAIN))
def test_a_plain_number_where_a_quantity_is_asked_gets_a_hint(check):
    result = RIGHT_PLAIN[check](True)
    assert not result.passed and "with units" in result.message, result
    assert RIGHT_PLAIN[check](False).passed  # the same number, accepted when plain is allowed


def test_units_in_units_out():
    """Given currents with units, the DPI and EPSC checks want an answer with units."""
    assert "with units" in dynapse_checks.check_dpi_time_constant(
        3.55e-3, itau=20 * pA, capacitance=2 * pF).message
    assert dynapse_checks.check_dpi_time_constant(3.55e-3, itau=20e-12, capacitance=2e-12)
    assert dynapse_checks.check_dpi_time_constant(3.55 * ms, itau=20 * pA, capacitance=2 * pF)


def test_forgetting_one_over_t_is_named():
    result = dynapse_checks.check_saturation_rate(10.1 * ms, (0, 42))
    assert "forget 1/t" in result.message
    result = dynapse_checks.check_dpi_time_constant(280 * Hz, itau=20 * pA)
    assert "forget 1/rate" in result.message


def test_answer_from_passes_a_right_answer_through():
    """A right answer handed over as ``answer_from(function, ...)`` passes like the value."""
    def saturation_rate(bias):
        return 1 / float(dynapse_checks.physics.refractory_period_of(
            dynapse_checks.bias_current("IF_RFR_N", *bias)) / dynapse_checks.second) * Hz

    direct = dynapse_checks.check_saturation_rate(saturation_rate((0, 42)), (0, 42))
    deferred = dynapse_checks.check_saturation_rate(answer_from(saturation_rate, (0, 42)),
                                                    (0, 42))
    assert direct.passed and deferred == direct


def test_a_function_returning_a_pair_can_be_checked_unevaluated():
    """``t, rate = instantaneous_rate(spikes)`` raises for a stub before any check can run."""
    def instantaneous_rate(spike_times):
        return spike_times[1:], 1 / np.diff(spike_times)

    assert dynapse_checks.check_instantaneous_rate(answer_from(instantaneous_rate, SPIKES),
                                                   None, SPIKES)
    assert UNANSWERED in dynapse_checks.check_instantaneous_rate(
        answer_from(_stub, SPIKES), None, SPIKES).message


# --------------------------------------------------------------------------- any answer at all
_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats() | st.complex_numbers()
            | st.text(max_size=6) | st.binary(max_size=4) | st.just(...))
_UNITS = st.sampled_from([ms, Hz, pA, pF, mV, 1])
_QUANTITIES = st.builds(lambda x, unit: x * unit, st.floats(allow_nan=True), _UNITS)
_ARRAYS = st.builds(lambda shape, unit: np.linspace(-1, 1, int(np.prod(shape))).reshape(shape)
                    * unit, st.lists(st.integers(0, 3), max_size=3), _UNITS)
ANY_ANSWER = st.recursive(
    _SCALARS | _QUANTITIES | _ARRAYS,
    lambda inner: (st.lists(inner, max_size=4) | st.tuples(inner, inner)
                   | st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=6)


@pytest.mark.parametrize("check", list(CALLS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer=ANY_ANSWER)
def test_any_answer_at_all_gives_a_one_line_result(check, answer):
    """For all answers: a CheckResult on one line, never an exception."""
    result = CALLS[check](answer)
    assert isinstance(result, CheckResult)
    assert result.message and "\n" not in result.message
