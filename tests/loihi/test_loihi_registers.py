"""The register table: decay <-> tau, readouts, generated properties, exact range checks.

Expected values come from the formulas of Davies et al. (2018) (decay ``d`` keeps
``1 - d/4096`` per step, ``vth = vth_mant << 6``, ``bias = mant << exp``, ``w_act = w_t
2^(6 + w_exp)``), evaluated independently here in exact Python arithmetic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dynsim.errors import RegisterRangeError
from dynsim.loihi import LoihiNeuronGroup, LoihiSynapses
from dynsim.loihi import registers as R
from dynsim.loihi.registers import (
    DECAY_UNITY,
    DERIVED,
    REGISTERS,
    check_register,
    decay_from_tau,
    readout,
    tau_from_decay,
)


# --------------------------------------------------------------------------- decay <-> tau
def test_tau_from_decay_limits_and_half_life():
    assert tau_from_decay(0) == math.inf
    assert tau_from_decay(DECAY_UNITY) == 0.0
    assert tau_from_decay(DECAY_UNITY + 1) == 0.0
    # half kept per step: exp(-1/tau) = 1/2
    assert tau_from_decay(DECAY_UNITY // 2) == pytest.approx(1 / math.log(2), rel=1e-12)


def test_decay_from_tau_limits():
    assert decay_from_tau(0) == DECAY_UNITY
    assert decay_from_tau(-3.0) == DECAY_UNITY
    assert decay_from_tau(math.inf) == 0
    # tau = 1/ln 2 keeps exactly half: 2048
    assert decay_from_tau(1 / math.log(2)) == DECAY_UNITY // 2
    assert isinstance(decay_from_tau(20.0), int)


@given(st.integers(1, DECAY_UNITY - 1))
def test_decay_tau_round_trip_is_exact(decay):
    assert decay_from_tau(tau_from_decay(decay)) == decay


@given(st.floats(0.05, 1e6))
def test_decay_from_tau_is_the_nearest_register(tau):
    d = decay_from_tau(tau)
    exact = DECAY_UNITY * (1 - math.exp(-1 / tau))
    assert abs(d - exact) <= 0.5 + 1e-9


# --------------------------------------------------------------------------- readouts
@given(st.integers(0, R.DECAY_EFFECTIVE_MAX))
def test_decay_readouts_name_the_chip_register_and_tau(decay):
    tau = -1 / math.log(1 - decay / 4096) if 0 < decay < 4096 else None
    if decay == 0:
        tau_text = "τ ∞ (no decay)"
    elif decay == 4096:
        tau_text = "τ 0 (gone next step)"
    else:
        tau_text = f"τ {tau:.3g} steps"
    assert readout("decay_I", decay) == f"du {decay - 1} · {tau_text}"
    assert readout("decay_v", decay) == f"dv {decay} · {tau_text}"


def test_scalar_readouts():
    assert readout("threshold_v_mant", 100) == "vth = 6400"
    assert readout("refractory", 1) == "v held 0 steps"
    assert readout("refractory", 2) == "v held 1 step"
    assert readout("refractory", 5) == "v held 4 steps"
    assert readout("w_exp", 0) == "w_act = w × 2^6"
    assert readout("w_exp", -3) == "w_act = w × 2^3"
    # excitatory, 8 bits: no bit dropped; mixed: the sign takes one
    assert readout("num_weight_bits", 8) == "mantissa step 2^0 = 1"
    assert readout("num_weight_bits", 6) == "mantissa step 2^2 = 4"


def test_bias_readouts_use_the_other_half_of_the_neurons():
    ng = LoihiNeuronGroup(3, bias_mant=[1, 2, 3], bias_exp=2, name="reg_bias")
    assert readout("bias_mant", 5, neurons=ng) == "bias = 20"           # 5 << 2
    assert readout("bias_exp", 3, neurons=ng) == "bias = 8, 16, 24"     # [1,2,3] << 3
    assert readout("bias_mant", 512) == "bias = 512"                     # default exp 0
    many = LoihiNeuronGroup(8, bias_mant=list(range(1, 9)), name="reg_bias_many")
    assert readout("bias_exp", 1, neurons=many) == "bias = 2, 4, 6, 8, 10, 12 …"


def test_weight_readouts_use_the_synapse_format_and_convention():
    ng = LoihiNeuronGroup(2, name="reg_w_ng")
    syn = LoihiSynapses(ng, ng, w_exp=-1, sign_mode=1, num_weight_bits=7, name="reg_w")
    # mixed, 7 bits: s = 8 - 7 + 1 = 2; -3 -> floor(-3/4)*4 = -4 (two's complement) on
    # silicon, toward zero (0) in brian2_loihi; then * 2^(6-1)
    assert readout("w_0", -3, synapses=syn) == f"w_act = {-4 * 2**5}"
    assert readout("w_1", -3, synapses=syn, convention="brian2_loihi") == "w_act = 0"
    assert readout("w_0", 5, synapses=syn) == f"w_act = {4 * 2**5}"
    assert readout("w_0", 2) == f"w_act = {2 * 2**6}"  # default format
    assert readout("num_weight_bits", 7, synapses=syn) == "mantissa step 2^2 = 4"


@pytest.mark.parametrize("name, value", [
    ("nonsense", 3), ("sign_mode", 1), ("delay", 3), ("w_x", 3), (3, 3),
    ("decay_v", "abc"), ("decay_v", None), ("threshold_v_mant", float("inf")),
    ("w_0", "x"),
])
def test_readout_is_empty_for_unknown_names_and_invalid_values(name, value):
    assert readout(name, value) == ""


# --------------------------------------------------------------------------- generated API
def test_every_table_entry_is_a_property_of_its_owner():
    for table in (REGISTERS, DERIVED):
        for name, entry in table.items():
            cls = {"neurons": LoihiNeuronGroup, "synapses": LoihiSynapses}.get(entry.owner)
            if cls is not None:
                field = cls.__dict__[name]
                assert isinstance(field, R.RegisterField) and field.__doc__


def test_aliases_convert_with_the_table_offset():
    ng = LoihiNeuronGroup(1, name="reg_alias")
    for name, reg in REGISTERS.items():
        if reg.owner == "neurons" and reg.alias_of:
            setattr(ng, name, 7)
            assert getattr(ng, reg.alias_of) == 7 + reg.offset
            assert getattr(ng, name) == 7


def test_derived_quantities_are_read_only():
    ng = LoihiNeuronGroup(2, threshold_v_mant=3, bias_mant=[1, -1], bias_exp=[2, 3],
                          name="reg_derived")
    assert ng.vth == 3 * 64 and ng.bias.tolist() == [4, -8]
    for name in DERIVED:
        with pytest.raises(RegisterRangeError, match="derived"):
            setattr(ng, name, 1)


# --------------------------------------------------------------------------- exact checks
@pytest.mark.parametrize("value", [
    np.uint64(2**64 - 1), np.uint64(2**63), 2**64 - 1, 2**70, -(2**70),
    np.array([1, 2**64 - 1], dtype=np.uint64),
])
def test_values_beyond_int64_are_refused_not_wrapped(value):
    with pytest.raises(RegisterRangeError, match="outside the range") as info:
        check_register("bias_mant", value)
    big = max(abs(int(v)) for v in np.atleast_1d(np.asarray(value, dtype=object)))
    assert str(big) in str(info.value)


def test_uint64_bias_is_refused_and_the_group_unchanged():
    ng = LoihiNeuronGroup(2, bias_mant=[3, 4], name="reg_uint64")
    with pytest.raises(RegisterRangeError, match="18446744073709551615"):
        ng.bias_mant = np.uint64(2**64 - 1)
    with pytest.raises(RegisterRangeError):
        ng.threshold_v_mant = np.uint64(2**64 - 1)
    assert ng.bias_mant.tolist() == [3, 4] and ng.threshold_v_mant == 100


def test_small_unsigned_values_are_accepted():
    assert check_register("bias_mant", np.uint64(7)) == 7
    assert check_register("bias_exp", np.array([1, 2], dtype=np.uint8)).tolist() == [1, 2]
