"""Hardening of the public Loihi API (issue 14): no wrap-around, no runaway input, atomic calls.

One test per class of mistake a user can make, and a Hypothesis state machine that mixes
valid and invalid calls: every failure is a :mod:`dynsim.errors` class, a failed call leaves
the parameters and weights as they were, and the network still runs.

The learning-rule bounds are the chip's: constants are 8-bit signed registers (Lava 0.10
``lava/magma/core/learning/constants.py``, ``W_CONST = 8``; Davies et al. 2018, sum of
products).
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from brian2 import ms
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from dynsim import loihi
from dynsim.errors import (
    DynsimError,
    LearningRuleError,
    LoihiNetworkError,
    RegisterRangeError,
    SpikeInputError,
)
from dynsim.loihi import parse_rule
from dynsim.loihi import registers as R
from dynsim.loihi._core import MAX_RUN_STEPS, as_steps
from dynsim.loihi.learning import CONSTANT_MAX, MAX_RULE_CHARS, MAX_TERMS
from dynsim.loihi.network import MAX_MONITOR_VALUES
from dynsim.loihi.synapses import MAX_SYNAPSES

_UINT64_MAX = np.uint64(2**64 - 1)


# --------------------------------------------------------------------------- registers
@pytest.mark.parametrize("name", ["bias_mant", "bias_exp", "decay_v", "decay_I", "du", "dv",
                                  "threshold_v_mant", "vth_mant", "refractory"])
def test_uint64_max_is_refused_for_every_neuron_register(name):
    ng = loihi.LoihiNeuronGroup(2, name="hard_u64_ng")
    before = ng.loihi_parameters
    with pytest.raises(RegisterRangeError, match="18446744073709551615"):
        setattr(ng, name, _UINT64_MAX)
    assert ng.loihi_parameters == before


@pytest.mark.parametrize("name", ["w_exp", "num_weight_bits", "sign_mode", "delay",
                                  "learning_epoch"])
def test_uint64_max_is_refused_for_every_synapse_register(name):
    ng = loihi.LoihiNeuronGroup(2, name="hard_u64_syn_ng")
    syn = loihi.LoihiSynapses(ng, ng, name="hard_u64_syn")
    syn.connect(i=[0], j=[1])
    before = syn.loihi_parameters
    with pytest.raises(RegisterRangeError, match="18446744073709551615"):
        setattr(syn, name, _UINT64_MAX)
    with pytest.raises(RegisterRangeError, match="18446744073709551615"):
        syn.w = _UINT64_MAX
    assert syn.loihi_parameters == before and syn.w.tolist() == [0]


@pytest.mark.parametrize("name", ["w_exp", "num_weight_bits", "sign_mode", "delay",
                                  "learning_epoch"])
def test_one_value_registers_refuse_arrays(name):
    # found by the state machine below: w_exp = [1, 2, 3] was stored, then every weight
    # update failed with a raw ValueError
    ng = loihi.LoihiNeuronGroup(2, name="hard_arr_ng")
    syn = loihi.LoihiSynapses(ng, ng, name="hard_arr_syn")
    before = syn.loihi_parameters
    with pytest.raises(RegisterRangeError, match="single integer"):
        setattr(syn, name, [1, 2, 3])
    assert syn.loihi_parameters == before
    with pytest.raises(RegisterRangeError, match="single integer"):
        ng.threshold_v_mant = [1, 2]


def test_group_sizes_are_bounded_before_allocation():
    with pytest.raises(RegisterRangeError, match=str(R.MAX_COMPARTMENTS)):
        loihi.LoihiNeuronGroup(2**31 - 1, name="hard_huge_ng")
    with pytest.raises(RegisterRangeError, match=str(R.MAX_COMPARTMENTS)):
        loihi.LoihiSpikeGeneratorGroup(R.MAX_COMPARTMENTS + 1, [], [], name="hard_huge_gen")


# --------------------------------------------------------------------------- learning rules
@pytest.mark.parametrize("text", ["x0*0x10", "x0*0b1", "x0*1_0", "x0*(2 3)", "x0 * y 1",
                                  "x0*2x1"])
def test_only_decimal_integers_of_the_grammar_are_read(text):
    with pytest.raises(LearningRuleError, match="malformed"):
        parse_rule(text)


def test_constants_are_bounded_by_the_constant_register():
    assert parse_rule(f"x0*{CONSTANT_MAX}").numerator_code() == f"{CONSTANT_MAX}*x0"
    for text in (f"x0*{CONSTANT_MAX + 1}", f"x0*{2**62}", f"x0*{2**64}"):
        with pytest.raises(LearningRuleError, match="8-bit"):
            parse_rule(text)


def test_the_integer_form_cannot_wrap():
    # 127^9 * 256 > 2^62: every constant fits its register, the product does not
    with pytest.raises(LearningRuleError, match="2\\^62"):
        parse_rule("x0*" + "*".join(["127"] * 9) + "*w")
    # the largest a term can be here: 127^8 < 2^62
    assert parse_rule("x0*" + "*".join(["x1"] * 8)).polynomial[0][1] == 1


def test_rule_length_is_bounded():
    rule = "+".join(["x0"] * (MAX_RULE_CHARS // 3 + 2))
    assert len(rule) > MAX_RULE_CHARS
    with pytest.raises(LearningRuleError, match=f"at most {MAX_RULE_CHARS}"):
        parse_rule(rule)


def test_exploding_rules_are_refused_quickly():
    factor = "(x1+x2+y1+y2+y3+w+1)"
    # 7 symbols per factor: 6 factors expand to 924 distinct products (C(12, 6))
    rule = "x0*" + "*".join([factor] * 6)
    start = time.perf_counter()
    with pytest.raises(LearningRuleError, match=f"more than {MAX_TERMS} products"):
        parse_rule(rule)
    with pytest.raises(LearningRuleError, match=f"more than {MAX_TERMS} products"):
        parse_rule("x0*sign(" + "*".join([factor] * 6) + ")")
    assert time.perf_counter() - start < 1.0  # was 5.4 s for a 338-character rule


def test_rules_at_the_term_limit_are_accepted():
    # (x1 + ... 8 symbols)^2 has C(9, 2) = 36 <= 64 products
    factor = "(x1+x2+y1+y2+y3+w+u1+u2)"
    assert len(parse_rule(f"x0*{factor}*{factor}").polynomial) == 36


# --------------------------------------------------------------------------- durations, sizes
@pytest.mark.parametrize("duration", [MAX_RUN_STEPS + 1, _UINT64_MAX, float("inf"),
                                      float("nan"), -1, 1.5, [1, 2] * ms, "10", True])
def test_run_durations_are_checked_before_running(duration):
    ng = loihi.LoihiNeuronGroup(1, name="hard_run_ng")
    net = loihi.LoihiNetwork(ng, name="hard_run_net")
    with pytest.raises(LoihiNetworkError):
        net.run(duration)
    assert net.t_step == 0


def test_as_steps_is_exact_for_large_integers():
    assert as_steps(MAX_RUN_STEPS) == MAX_RUN_STEPS
    assert as_steps(np.int64(12)) == 12 and as_steps(12 * ms) == 12


def test_monitor_memory_is_bounded_before_the_run():
    ng = loihi.LoihiNeuronGroup(10, name="hard_mon_ng")
    mon = loihi.LoihiStateMonitor(ng, ["v", "u"], name="hard_mon")
    net = loihi.LoihiNetwork(ng, mon, name="hard_mon_net")
    steps = MAX_MONITOR_VALUES // (10 * 2) + 1
    with pytest.raises(LoihiNetworkError, match="state monitors"):
        net.run(steps)
    assert net.t_step == 0 and len(mon.t_) == 0
    net.run(3)
    assert mon.values("v").shape[0] == 10


@pytest.mark.parametrize("record", [[1.7], [10], [-1], [_UINT64_MAX], "all", [[0, 1]]])
def test_state_monitor_indices_are_whole_and_inside(record):
    ng = loihi.LoihiNeuronGroup(3, name="hard_rec_ng")
    with pytest.raises(LoihiNetworkError, match="record"):
        loihi.LoihiStateMonitor(ng, "v", record=record, name="hard_rec")


def test_monitor_arguments():
    ng = loihi.LoihiNeuronGroup(3, name="hard_monargs_ng")
    with pytest.raises(LoihiNetworkError, match="record"):
        loihi.LoihiSpikeMonitor(ng, record=[1], name="hard_smon")
    with pytest.raises(LoihiNetworkError, match="spike source"):
        loihi.LoihiSpikeMonitor(3, name="hard_smon2")
    with pytest.raises(LoihiNetworkError, match="no variable"):
        loihi.LoihiSpikeMonitor(ng, variable="nope", name="hard_smon3")
    with pytest.raises(LoihiNetworkError, match="records a Loihi group"):
        loihi.LoihiStateMonitor(None, "v", name="hard_mon4")
    with pytest.raises(LoihiNetworkError, match="order"):
        loihi.LoihiStateMonitor(ng, "v", order=1.5, name="hard_mon5")


@pytest.mark.parametrize("indices, times, period, match", [
    ([_UINT64_MAX], [1], 0, "whole numbers"),
    ([0], [np.uint64(2**63)], 0, "whole numbers"),
    ([0], [MAX_RUN_STEPS + 1], 0, "latest step"),
    ([0], [1], MAX_RUN_STEPS + 1, "period"),
    ([0], [1], [5, 6], "one whole number"),
    ([0], [1], True, "whole numbers"),
    ([[0, 1]], [[1, 2]], 0, "1-d"),
    (["a"], [1], 0, "whole numbers"),
])
def test_spike_lists_are_checked_before_any_cast(indices, times, period, match):
    gen = loihi.LoihiSpikeGeneratorGroup(2, [0], [1], name="hard_gen")
    with pytest.raises(SpikeInputError, match=match):
        gen.set_spikes(indices, times, period=period)
    assert gen.spike_indices.tolist() == [0] and gen.spike_steps.tolist() == [1]


def test_spike_list_size_is_bounded(monkeypatch):
    from dynsim.loihi import generators

    monkeypatch.setattr(generators, "MAX_SPIKES", 4)
    with pytest.raises(SpikeInputError, match="at most 4"):
        loihi.LoihiSpikeGeneratorGroup(1, [0] * 5, list(range(5)), name="hard_gen_size")


@pytest.mark.parametrize("kwargs, match", [
    ({"i": [1.7], "j": [0]}, "whole numbers"),
    ({"i": [_UINT64_MAX], "j": [0]}, "whole numbers"),
    ({"i": [0], "j": [5]}, "0..2"),
    ({"p": 1.5}, "p must be"),
    ({"p": float("nan")}, "finite"),
    ({"condition": "i <"}, "connect failed"),
    ({"condition": True, "n": 10**6}, "n must be"),
])
def test_connect_arguments_are_checked(kwargs, match):
    ng = loihi.LoihiNeuronGroup(3, name="hard_conn_ng")
    syn = loihi.LoihiSynapses(ng, ng, name="hard_conn")
    with pytest.raises(LoihiNetworkError, match=match):
        syn.connect(**kwargs)
    assert len(syn) == 0


def test_connect_size_is_bounded_before_allocation(monkeypatch):
    from dynsim.loihi import synapses

    monkeypatch.setattr(synapses, "MAX_SYNAPSES", 8)
    ng = loihi.LoihiNeuronGroup(3, name="hard_conn_size_ng")
    syn = loihi.LoihiSynapses(ng, ng, name="hard_conn_size")
    with pytest.raises(LoihiNetworkError, match="at most 8"):
        syn.connect(True)  # 9 pairs
    assert len(syn) == 0
    syn.connect(i=[0, 1], j=[1, 2])
    assert len(syn) == 2 and MAX_SYNAPSES > 8


@pytest.mark.parametrize("name", [3, "", "a b", "_hidden", "x" * 200, "bad-name"])
def test_names_are_checked(name):
    with pytest.raises(LoihiNetworkError, match="name"):
        loihi.LoihiNeuronGroup(1, name=name)
    with pytest.raises(LoihiNetworkError, match="name"):
        loihi.LoihiNetwork(name=name)


def test_network_add_and_run_arguments():
    ng = loihi.LoihiNeuronGroup(1, name="hard_add_ng")
    net = loihi.LoihiNetwork(ng, name="hard_add_net")
    with pytest.raises(LoihiNetworkError, match="BrianObject"):
        net.add(3)
    with pytest.raises(LoihiNetworkError, match="progress"):
        net.run(5, progress=3)
    with pytest.raises(LoihiNetworkError, match="progress_every"):
        net.run(5, progress=lambda p: None, progress_every=0)
    assert net.t_step == 0
    syn = loihi.LoihiSynapses(ng, ng, imp_x1=3, tau_x1=4, name="hard_trace")
    with pytest.raises(LoihiNetworkError, match="not defined"):
        syn.set_trace(["x1"], imp=1)


# --------------------------------------------------------------------------- state machine
_GOOD_RULES = ["2^-2*x1*y0 - 2^-2*y1*x0", "x0*(y1 + 3)", "u2*y0 - x0", "x0*sign(x1 - 3)"]
_BAD_RULES = ["x1*y1", "x0*0x10", f"x0*{2**62}", "x0/2", "x0*" + "*".join(
    ["(x1+x2+y1+y2+y3+w+1)"] * 5), "x0*" * 200 + "x0", "x0*y2", 3]

_values = st.one_of(
    st.integers(-10, 300), st.integers(-2**70, 2**70), st.sampled_from(
        [_UINT64_MAX, np.uint64(5), np.int8(-3), np.int64(2**62), 2.0, 2.5, float("nan"),
         float("inf"), True, False, None, "7", [1, 2, 3], [1, 2], np.array([0, 1, 2])]))
_NEURON_NAMES = [name for name, reg in R.REGISTERS.items() if reg.owner == "neurons"]
_NEURON_NAMES += list(R.DERIVED)
_SYNAPSE_NAMES = [name for name, reg in R.REGISTERS.items() if reg.owner == "synapses"]


class LoihiAPIMachine(RuleBasedStateMachine):
    """Random sequences of valid and invalid calls on one small network."""

    _count = itertools.count()

    def __init__(self) -> None:
        super().__init__()
        k = next(self._count)
        self.gen = loihi.LoihiSpikeGeneratorGroup(2, [0, 1], [1, 3], period=6, name=f"sm_gen{k}")
        self.ng = loihi.LoihiNeuronGroup(3, threshold_v_mant=2, decay_v=200, decay_I=1024,
                                         name=f"sm_ng{k}")
        self.syn = loihi.LoihiSynapses(self.gen, self.ng, dw="2^-2*x1*y0 - 2^-2*y1*x0",
                                       imp_x1=20, tau_x1=4, imp_y1=20, tau_y1=4, sign_mode=1,
                                       name=f"sm_syn{k}")
        self.syn.connect(True)
        self.syn.w = [10, 20, 30, -10, -20, -30]
        self.smon = loihi.LoihiSpikeMonitor(self.ng, name=f"sm_smon{k}")
        self.vmon = loihi.LoihiStateMonitor(self.ng, "v", record=[0, 2], name=f"sm_vmon{k}")
        self.net = loihi.LoihiNetwork(self.gen, self.ng, self.syn, self.smon, self.vmon,
                                      engine="numpy", name=f"sm_net{k}")
        self.spare = loihi.LoihiNeuronGroup(1, name=f"sm_spare{k}")  # target of trial rules
        self.k = k
        self.trials = itertools.count()

    def _state(self) -> tuple:
        return (self.ng.loihi_parameters, self.syn.loihi_parameters,
                self.syn.w_assigned.tolist(), self.syn.w.tolist(),
                self.syn.trace_parameters(), self.gen.spike_indices.tolist(),
                self.gen.spike_steps.tolist(), self.gen.period_steps, self.net.seed)

    def _attempt(self, call) -> bool:
        before = self._state()
        try:
            call()
        except DynsimError:
            assert self._state() == before, "a failed call changed the network"
            return False
        return True

    @rule(name=st.sampled_from(_NEURON_NAMES), value=_values)
    def set_neuron_parameter(self, name, value):
        self._attempt(lambda: setattr(self.ng, name, value))

    @rule(name=st.sampled_from(_SYNAPSE_NAMES), value=_values)
    def set_synapse_parameter(self, name, value):
        self._attempt(lambda: setattr(self.syn, name, value))

    @rule(value=_values)
    def set_weights(self, value):
        self._attempt(lambda: setattr(self.syn, "w", value))

    @rule(trace=st.sampled_from(["x1", "y1", "x2", "z", 3]), imp=_values, tau=_values)
    def set_trace(self, trace, imp, tau):
        self._attempt(lambda: self.syn.set_trace(trace, imp=imp, tau=tau))

    @rule(seed=_values)
    def set_seed(self, seed):
        self._attempt(lambda: setattr(self.net, "seed", seed))

    @rule(text=st.sampled_from(_GOOD_RULES + _BAD_RULES))
    def learning_rule(self, text):
        ok = self._attempt(lambda: loihi.LoihiSynapses(
            self.gen, self.spare, dw=text, imp_x1=5, tau_x1=3, imp_y1=5, tau_y1=3,
            name=f"sm_trial{self.k}_{next(self.trials)}"))
        assert ok == (text in _GOOD_RULES)

    @rule(indices=st.one_of(st.just([0, 1]), st.just([2]), st.just([_UINT64_MAX]),
                            st.just([0.5])),
          times=st.one_of(st.just([0, 4]), st.just([1]), st.just([10**12]), st.just([-1])),
          period=st.sampled_from([0, 5, 6, -1, 10**12, 2.0]))
    def set_spikes(self, indices, times, period):
        self._attempt(lambda: self.gen.set_spikes(indices, times, period=period))

    @rule(steps=st.one_of(st.integers(1, 4), st.sampled_from(
        [0, -1, 2.5, MAX_RUN_STEPS + 1, _UINT64_MAX, "3", float("inf")])))
    def run(self, steps):
        t0 = self.net.t_step
        if self._attempt(lambda: self.net.run(steps)):
            assert self.net.t_step == t0 + int(steps)
        else:
            assert self.net.t_step == t0

    @precondition(lambda self: self.net.has_run)
    @rule()
    def reset(self):
        self.net.reset()
        assert self.net.t_step == 0 and self.syn.w.tolist() == self.syn.w_assigned.tolist()

    @invariant()
    def registers_in_range(self):
        for name, reg in R.REGISTERS.items():
            if reg.owner == "neurons" and not reg.alias_of:
                values = np.atleast_1d(getattr(self.ng, name))
                assert reg.low <= values.min() and values.max() <= reg.high
        for name, reg in R.REGISTERS.items():
            if reg.owner == "synapses":
                assert reg.low <= getattr(self.syn, name) <= reg.high
        lo, hi = R.weight_range(self.syn.sign_mode)
        assert all(lo <= w <= hi for w in self.syn.w_assigned.tolist())

    def teardown(self) -> None:
        t0 = self.net.t_step
        self.net.run(3)  # the network still runs after any sequence
        assert self.net.t_step == t0 + 3


LoihiAPIMachine.TestCase.settings = settings(
    max_examples=12, stateful_step_count=12, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_loihi_api_state_machine = LoihiAPIMachine.TestCase


# --------------------------------------------------------------------------- float model
@pytest.mark.parametrize("kwargs", [
    {"tau_m": float("nan")}, {"tau_m": -1.0}, {"tau_syn": "5"}, {"tau_syn": True},
    {"threshold": 0.0}, {"threshold": float("inf")}, {"bias": float("nan")},
    {"refractory": 1.7}, {"refractory": 65}, {"refractory": _UINT64_MAX},
])
def test_float_model_parameters_are_checked(kwargs):
    from dynsim.loihi import FloatLIF

    base = {"tau_m": 20.0, "tau_syn": 5.0, "threshold": 1.0}
    with pytest.raises(RegisterRangeError):
        FloatLIF(**{**base, **kwargs})


def test_float_comparison_inputs_are_checked():
    from dynsim.loihi import FloatLIF, compare_float_loihi, quantize_lif

    model = FloatLIF(tau_m=np.int64(20), tau_syn=np.float32(5.0), threshold=1.0)
    with pytest.raises(RegisterRangeError, match="finite"):
        quantize_lif(model, [[0.5, float("nan")]])
    with pytest.raises(RegisterRangeError, match="real numbers"):
        quantize_lif(model, [["a"]])
    with pytest.raises(RegisterRangeError, match="scale"):
        quantize_lif(model, [[0.5]], scale=float("inf"))
    with pytest.raises(LoihiNetworkError, match="steps"):
        compare_float_loihi(model, [[0.5]], [0], [1], MAX_RUN_STEPS + 1, name="hard_cmp")
    with pytest.raises(LoihiNetworkError, match="steps"):
        compare_float_loihi(model, [[0.5]], [0], [1], 2.5, name="hard_cmp2")
