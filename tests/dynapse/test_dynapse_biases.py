"""The bias table, the coarse/fine <-> current table and the per-core parameter group."""

from __future__ import annotations

import json

import numpy as np
import pytest
from brian2 import ms, nA, pA, second
from hypothesis import given
from hypothesis import strategies as st

from dynsim.dynapse import biases, constants, physics
from dynsim.dynapse.biases import (
    BIAS_GROUPS,
    BIAS_NAMES,
    BIAS_TABLE,
    PHYSICAL_TO_SAMNA,
    SAMNA_TO_PHYSICAL,
    CoarseFineTable,
    bias_current,
    coarse_fine_to_current,
    get_coarse_fine_table,
    nearest_coarse_fine,
    refractory_period,
    resolve_bias,
    resolve_biases,
    time_constant,
    use_coarse_fine_table,
)
from dynsim.dynapse.config import (
    Dynapse1Parameter,
    Dynapse1ParameterGroup,
    parameter_group_from_json,
    parameter_group_to_json,
)
from dynsim.errors import BiasRangeError, ConfigurationFormatError, UnknownBiasError

SAMNA_25 = {
    "IF_TAU1_N", "IF_TAU2_N", "IF_THR_N", "IF_DC_P", "IF_RFR_N", "IF_NMDA_N", "IF_AHTAU_N",
    "IF_AHTHR_N", "IF_AHW_P", "IF_CASC_N", "IF_BUF_P", "PULSE_PWLK_P", "R2R_P",
    "NPDPIE_TAU_F_P", "NPDPIE_THR_F_P", "PS_WEIGHT_EXC_F_N", "NPDPIE_TAU_S_P",
    "NPDPIE_THR_S_P", "PS_WEIGHT_EXC_S_N", "NPDPII_TAU_F_P", "NPDPII_THR_F_P",
    "PS_WEIGHT_INH_F_N", "NPDPII_TAU_S_P", "NPDPII_THR_S_P", "PS_WEIGHT_INH_S_N",
}


# --------------------------------------------------------------------------- the table
def test_the_25_samna_biases_each_once():
    assert set(BIAS_NAMES) == SAMNA_25
    assert len(BIAS_TABLE) == 25


def test_name_maps_are_bijective_and_derived_from_the_table():
    assert len(set(SAMNA_TO_PHYSICAL.values())) == 25
    assert all(PHYSICAL_TO_SAMNA[SAMNA_TO_PHYSICAL[n]] == n for n in BIAS_NAMES)
    assert all(SAMNA_TO_PHYSICAL[PHYSICAL_TO_SAMNA[p]] == p for p in PHYSICAL_TO_SAMNA)
    assert not set(BIAS_NAMES) & set(PHYSICAL_TO_SAMNA)


def test_groups_cover_the_table_once():
    grouped = [name for names in BIAS_GROUPS.values() for name in names]
    assert sorted(grouped) == sorted(BIAS_NAMES)
    assert list(BIAS_GROUPS) == ["neuron", "adaptation", "AMPA", "NMDA", "GABA_A", "GABA_B",
                                 "other"]
    assert BIAS_GROUPS["adaptation"] == ("IF_AHTAU_N", "IF_AHTHR_N", "IF_AHW_P")


def test_transistor_type_matches_the_name_and_defaults_are_in_range():
    for spec in BIAS_TABLE:
        assert spec.transistor == spec.samna_name[-1] and spec.transistor in "NP"
        coarse, fine = spec.default
        assert constants.COARSE_MIN <= coarse <= constants.COARSE_MAX
        assert constants.FINE_MIN <= fine <= constants.FINE_MAX
        assert spec.role


def test_every_modelled_bias_is_a_parameter_of_the_equations():
    for spec in BIAS_TABLE:
        if spec.modelled and spec.kind != "refractory":
            assert f"{spec.physical_name} : amp" in physics.NEURON_EQUATIONS
    unmodelled = {s.samna_name for s in BIAS_TABLE if not s.modelled}
    assert unmodelled == {"IF_TAU2_N", "IF_CASC_N", "IF_BUF_P", "PULSE_PWLK_P", "R2R_P"}


@pytest.mark.parametrize(("name", "nominal", "tolerance"), [
    ("IF_TAU1_N", 5 * pA, 0.01), ("IF_THR_N", 20 * pA, 0.02), ("IF_RFR_N", 5 * pA, 0.01),
    ("IF_AHTAU_N", 2 * pA, 0.01), ("NPDPIE_TAU_F_P", 20 * pA, 0.02),
    ("NPDPIE_TAU_S_P", 2 * pA, 0.01), ("NPDPII_TAU_F_P", 5 * pA, 0.01),
    ("NPDPII_TAU_S_P", 5 * pA, 0.01),
])
def test_defaults_reproduce_the_seed_physical_defaults(name, nominal, tolerance):
    current = bias_current(name, *biases.bias_spec(name).default)
    assert abs(float(current / nominal) - 1) < tolerance


def test_default_time_constants_and_gains():
    expected = {"IF_TAU1_N": 14.2, "NPDPIE_TAU_F_P": 3.5, "NPDPIE_TAU_S_P": 35.5,
                "NPDPII_TAU_F_P": 14.2, "NPDPII_TAU_S_P": 14.2, "IF_AHTAU_N": 70.9}
    for name, tau_ms in expected.items():
        assert float(time_constant(name) / ms) == pytest.approx(tau_ms, rel=0.01)
    assert float(time_constant("IF_RFR_N") / ms) == pytest.approx(5.0)
    assert time_constant("IF_DC_P") is None and time_constant("PS_WEIGHT_EXC_F_N") is None
    for circuit in ("mem", "ahp", "ampa", "nmda", "gaba_a", "gaba_b"):
        gain = next(s for s in BIAS_TABLE if s.circuit == circuit and s.kind == "gain")
        tau = next(s for s in BIAS_TABLE if s.circuit == circuit and s.kind == "tau")
        ratio = float(gain.default_current / tau.default_current)
        assert ratio == pytest.approx(4.0, rel=0.02)
    # one default CAM entry adds ~100 pA: dynsim's factory default, not the seed's jump
    # (w0 x alpha = 400 pA per unit weight: the preset of dynsim.dynapse.seed)
    for circuit in ("ampa", "nmda", "gaba_a", "gaba_b"):
        values = physics.state_parameters(
            {s.physical_name: np.array([float(s.default_current)]) for s in BIAS_TABLE},
            constants.DEFAULT_DT)
        assert values[f"Ijump_{circuit}"][0] == pytest.approx(100e-12, rel=0.02)


def test_time_constant_formula():
    tau = time_constant("NPDPIE_TAU_F_P", 1, 49)
    current = bias_current("NPDPIE_TAU_F_P", 1, 49)
    assert float(tau / second) == pytest.approx(
        float(physics.C_SYN * physics.U_T / (physics.KAPPA * current) / second))
    assert refractory_period(0, 85) == time_constant("IF_RFR_N", 0, 85)
    # a zero leak current is floored at I0 (no infinite time constant)
    assert np.isfinite(float(time_constant("IF_TAU1_N", 0, 0) / second))


# --------------------------------------------------------------------------- coarse/fine
def test_every_coarse_fine_pair_round_trips():
    table = get_coarse_fine_table()
    for coarse in range(8):
        for fine in range(256):
            current = table.current(coarse, fine)
            back = nearest_coarse_fine(current)
            assert table.current(*back) == current
            assert back[0] <= coarse
            if fine > 0 and not any(
                    table.current(c, f) == current for c in range(coarse) for f in range(256)):
                assert back == (coarse, fine)


def test_table_is_monotone_and_spans_the_documented_range():
    table = get_coarse_fine_table()
    tops = np.array(table.max_current)
    assert np.all(np.diff(tops) > 0)
    assert tops[0] == pytest.approx(15e-12) and tops[-1] == pytest.approx(24e-6)
    assert np.all((tops[1:] / tops[:-1] > 6) & (tops[1:] / tops[:-1] < 9))
    assert float(coarse_fine_to_current(3, 0) / pA) == 0.0


@given(st.floats(min_value=0.0, max_value=24e-6))
def test_nearest_coarse_fine_is_within_half_a_step(current):
    table = get_coarse_fine_table()
    coarse, fine = nearest_coarse_fine(current)
    step = min(top / table.fine_max for top in table.max_current if top >= current) \
        if current > 0 else table.max_current[0] / table.fine_max
    assert abs(table.current(coarse, fine) - current) <= step / 2 * (1 + 1e-9)


def test_the_table_can_be_replaced():
    measured = CoarseFineTable(max_current=tuple(2 * x for x in get_coarse_fine_table()
                                                 .max_current), source="test table")
    before = float(bias_current("IF_DC_P", 2, 100) / pA)
    with use_coarse_fine_table(measured):
        assert float(bias_current("IF_DC_P", 2, 100) / pA) == pytest.approx(2 * before)
    assert float(bias_current("IF_DC_P", 2, 100) / pA) == pytest.approx(before)
    with pytest.raises(BiasRangeError, match="8 coarse currents"):
        CoarseFineTable(max_current=(1e-12,))
    with pytest.raises(TypeError):
        biases.set_coarse_fine_table("not a table")


# --------------------------------------------------------------------------- resolving
def test_resolve_accepts_samna_and_physical_names():
    assert resolve_bias("IF_DC_P", (1, 100)) == ("IF_DC_P", 1, 100)
    assert resolve_bias("IF_DC_P", Dynapse1Parameter("IF_DC_P", 2, 3)) == ("IF_DC_P", 2, 3)
    assert resolve_bias("Itau_mem", 5 * pA) == ("IF_TAU1_N", 0, 85)
    assert resolve_bias("Itau_mem", 5e-12) == ("IF_TAU1_N", 0, 85)
    assert resolve_bias("Idc", (0, 3)) == ("IF_DC_P", 0, 3)
    assert resolve_biases([Dynapse1Parameter("IF_DC_P", 2, 3)]) == {"IF_DC_P": (2, 3)}
    group = Dynapse1ParameterGroup()
    assert resolve_biases(group) == group.as_dict()


@pytest.mark.parametrize(("name", "value", "error", "match"), [
    ("IF_TAU_N", (1, 2), UnknownBiasError, "Did you mean .*'IF_TAU1_N'"),
    ("Itau_men", 1 * pA, UnknownBiasError, "Did you mean 'Itau_mem'"),
    ("IF_DC_P", (8, 0), BiasRangeError, "coarse value 8 is outside 0..7"),
    ("IF_DC_P", (0, 256), BiasRangeError, "fine value 256 is outside 0..255"),
    ("IF_DC_P", (-1, 0), BiasRangeError, "outside 0..7"),
    ("IF_DC_P", (1.5, 0), BiasRangeError, "whole number"),
    ("IF_DC_P", (True, 0), BiasRangeError, "whole number"),
    ("IF_DC_P", (1, 2, 3), BiasRangeError, r"expected \(coarse, fine\)"),
    ("IF_DC_P", 5 * pA, BiasRangeError, "physical name 'Idc'"),
    ("Idc", -1 * pA, BiasRangeError, ">= 0 A"),
    ("Idc", 30e-6, BiasRangeError, "more than the largest bias current"),
    ("Idc", 5 * ms, BiasRangeError, "give amperes"),
    ("Idc", "5 pA", BiasRangeError, "give amperes"),
    ("IF_DC_P", Dynapse1Parameter("IF_THR_N", 1, 1), UnknownBiasError, "same bias"),
])
def test_resolve_errors_name_the_problem(name, value, error, match):
    with pytest.raises(error, match=match):
        resolve_bias(name, value)


def test_resolve_biases_rejects_other_containers():
    with pytest.raises(BiasRangeError, match="dictionary"):
        resolve_biases("IF_DC_P")
    with pytest.raises(BiasRangeError, match="Dynapse1Parameter"):
        resolve_biases([("IF_DC_P", (1, 1))])
    with pytest.raises(UnknownBiasError, match="strings"):
        resolve_biases({3: (1, 1)})
    # all or nothing: the first bad entry raises before anything is returned
    with pytest.raises(BiasRangeError):
        resolve_biases({"IF_DC_P": (1, 1), "IF_THR_N": (9, 1)})


# --------------------------------------------------------------------------- parameters
def test_parameter_and_group_validate_on_assignment():
    p = Dynapse1Parameter("IF_DC_P", 1, 2)
    assert p.type == "P" and Dynapse1Parameter("IF_TAU1_N", 0, 0).type == "N"
    with pytest.raises(BiasRangeError):
        p.coarse_value = 8
    with pytest.raises(BiasRangeError):
        p.fine_value = -1
    assert (p.coarse_value, p.fine_value) == (1, 2)
    with pytest.raises(UnknownBiasError, match="samna name"):
        Dynapse1Parameter("Idc", 1, 1)
    group = Dynapse1ParameterGroup(1, 2)
    assert len(group.param_map) == 25
    with pytest.raises(UnknownBiasError, match="Did you mean"):
        group.param_map["IF_DCP"] = Dynapse1Parameter("IF_DC_P", 1, 1)
    with pytest.raises(UnknownBiasError, match="cannot hold"):
        group.param_map["IF_THR_N"] = Dynapse1Parameter("IF_DC_P", 1, 1)
    with pytest.raises(UnknownBiasError, match="Dynapse1Parameter"):
        group.param_map["IF_THR_N"] = (1, 1)
    with pytest.raises(UnknownBiasError, match="always has its 25"):
        del group.param_map["IF_THR_N"]
    with pytest.raises(UnknownBiasError, match="samna names"):
        group.param_map["Idc"]
    group.update_parameter(Dynapse1Parameter("IF_DC_P", 3, 4))
    assert group.get_parameter_by_name("IF_DC_P") == Dynapse1Parameter("IF_DC_P", 3, 4)
    assert group.get_linear_parameter("IF_DC_P") == pytest.approx(6.5e-9 * 4 / 255)
    assert group.currents()["Idc"] == pytest.approx(6.5e-9 * 4 / 255)
    assert group.copy() == group and group.copy() is not group
    assert "IF_DC_P" in repr(group)


def test_parameter_group_samna_json_round_trip():
    group = Dynapse1ParameterGroup(2, 3)
    group.param_map["IF_AHW_P"] = Dynapse1Parameter("IF_AHW_P", 5, 200)
    text = parameter_group_to_json(group)
    data = json.loads(text)
    assert data["value0"]["param_map"][0]["value"]["type"] in "NP"
    back = parameter_group_from_json(text)
    assert back == group and (back.chip_id, back.core_id) == (2, 3)


@pytest.mark.parametrize(("mutate", "match"), [
    (lambda d: d.pop("value0"), "value0: missing"),
    (lambda d: d["value0"]["param_map"][0].update(key="IF_XX"), "unknown bias"),
    (lambda d: d["value0"]["param_map"][0]["value"].update(coarse_value=9), "outside 0..7"),
    (lambda d: d["value0"]["param_map"][0]["value"].update(fine_value="3"), "expected int"),
    (lambda d: d["value0"]["param_map"][0]["value"].update(param_name="IF_DC_P"),
     "differs from key"),
    (lambda d: d["value0"].update(chip_id=7), "chip id 7"),
])
def test_parameter_group_json_errors_name_the_field(mutate, match):
    data = json.loads(parameter_group_to_json(Dynapse1ParameterGroup()))
    mutate(data)
    with pytest.raises(ConfigurationFormatError, match=match):
        parameter_group_from_json(json.dumps(data))
    with pytest.raises(ConfigurationFormatError, match="not valid JSON"):
        parameter_group_from_json("{")


def test_physics_constants_have_units():
    assert physics.SPIKE_THRESHOLD == 2 * nA
    assert float(physics.dpi_time_constant(physics.C_MEM, 5 * pA) / ms) == pytest.approx(14.18,
                                                                                          rel=1e-3)
