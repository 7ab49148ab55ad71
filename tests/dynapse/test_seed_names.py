"""The dynapse-simulator's names, gains and defaults on dynsim (issue 17).

Every number below comes from the seed's published parameters (``w0`` 100 pA, ``alpha`` 4,
``I0`` 1 pA, ...) and the DPI formulas, compared with the coarse/fine grid's resolution as the
tolerance: one fine step is at most 1/fine of a current, and the nearest grid point is within
half a step (below 1 % for every current used here).
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from brian2 import Network, ms, mV, nA, pA, pF, second

from dynsim.dynapse import physics
from dynsim.dynapse.biases import (
    PHYSICAL_TO_SAMNA,
    SEED_BIAS_NAMES,
    SEED_CONSTANTS,
    SEED_GAINS,
    bias_current,
    resolve_biases,
    seed_gain,
)
from dynsim.dynapse.seed import (
    SEED_PARAMETERS,
    SeedDynapSE,
    same_jump_bias,
    same_jump_hint,
    seed_preset,
)
from dynsim.errors import BiasRangeError, InvalidSettingError, UnknownBiasError, WeightError


def pa(samna, value):
    return float(bias_current(samna, *value) / pA)


def core_pa(group, samna):
    parameter = group.get_parameter_by_name(samna)
    return pa(samna, (parameter.coarse_value, parameter.fine_value))


def test_seed_gain_and_leak_convert_to_biases():
    out = resolve_biases({"Isoma_ahp_tau": 1 * pA, "alpha_ahp": 2})
    assert pa("IF_AHTAU_N", out["IF_AHTAU_N"]) == pytest.approx(1.0, rel=0.01)
    # Ith = alpha x Itau with the Itau actually on the grid
    assert pa("IF_AHTHR_N", out["IF_AHTHR_N"]) == pytest.approx(
        2 * pa("IF_AHTAU_N", out["IF_AHTAU_N"]), rel=0.01)


def test_seed_leak_without_gain_keeps_the_cores_alpha():
    preset = seed_preset()
    chip = SeedDynapSE(Network(), engine="numpy", name="keepalpha")
    chip.set_bias({"Iampa_tau": 10 * pA}, "Core_2")
    group = chip.get_bias("Core_2")
    itau, ith = core_pa(group, "NPDPIE_TAU_F_P"), core_pa(group, "NPDPIE_THR_F_P")
    alpha_before = pa("NPDPIE_THR_F_P", preset["NPDPIE_THR_F_P"]) / pa(
        "NPDPIE_TAU_F_P", preset["NPDPIE_TAU_F_P"])
    assert itau == pytest.approx(10, rel=0.01)
    assert ith / itau == pytest.approx(alpha_before, rel=0.02)
    assert alpha_before == pytest.approx(4, rel=0.02)


def test_gain_uses_the_cores_current_leak():
    chip = SeedDynapSE(Network(), engine="numpy", name="curleak")
    chip.set_bias({"Inmda_tau": 5 * pA}, "Core_0")
    chip.set_bias({"alpha_nmda": 3}, "Core_0")
    group = chip.get_bias("Core_0")
    ratio = core_pa(group, "NPDPIE_THR_S_P") / core_pa(group, "NPDPIE_TAU_S_P")
    assert ratio == pytest.approx(3, rel=0.02)


def test_refractory_and_nmda_voltage_convert():
    out = resolve_biases({"soma_refP": 10 * ms, "Vnmda": 20 * mV})
    iref = bias_current("IF_RFR_N", *out["IF_RFR_N"])
    # 2.5 pA on coarse 0 (steps of 15/255 pA): within half a step, 1.2 %
    assert float(physics.refractory_period_of(iref) / ms) == pytest.approx(10, rel=0.012)
    expected = np.exp(physics.KAPPA * 0.020 / float(physics.U_T / (1000 * mV)))  # x I0 = 1 pA
    assert pa("IF_NMDA_N", out["IF_NMDA_N"]) == pytest.approx(expected, rel=0.03)


def test_every_seed_dictionary_key_is_accepted():
    names = set(SEED_BIAS_NAMES) | set(SEED_GAINS) | set(SEED_CONSTANTS)
    assert set(SEED_PARAMETERS) <= names
    assert resolve_biases(SEED_PARAMETERS) == seed_preset()


def test_seed_preset_reproduces_the_seeds_jumps_and_time_constants():
    preset = seed_preset()
    for syn in ("ampa", "nmda", "gaba_a", "gaba_b"):
        tau, th, w = (PHYSICAL_TO_SAMNA[f"{k}_{syn}"] for k in ("Itau", "Ith", "Iw"))
        jump = pa(th, preset[th]) / max(pa(tau, preset[tau]), 1.0) * pa(w, preset[w])
        assert jump == pytest.approx(100 * 4, rel=0.02)  # w0 x alpha per unit weight
        seed_tau = 2 * pF * physics.U_T / (physics.KAPPA * SEED_PARAMETERS[f"I{syn}_tau"])
        ours = physics.dpi_time_constant(physics.C_SYN, bias_current(tau, *preset[tau]))
        assert float(ours / seed_tau) == pytest.approx(1, rel=0.01)
    ahp_jump = pa("IF_AHTHR_N", preset["IF_AHTHR_N"]) / pa("IF_AHTAU_N", preset["IF_AHTAU_N"]) \
        * pa("IF_AHW_P", preset["IF_AHW_P"])
    assert ahp_jump == pytest.approx(1 * 4, rel=0.03)
    assert pa("IF_TAU1_N", preset["IF_TAU1_N"]) == pytest.approx(5, rel=0.01)
    assert pa("IF_THR_N", preset["IF_THR_N"]) == pytest.approx(20, rel=0.05)
    iref = bias_current("IF_RFR_N", *preset["IF_RFR_N"])
    assert float(physics.refractory_period_of(iref) / ms) == pytest.approx(5, rel=0.01)
    assert physics.SPIKE_THRESHOLD == SEED_PARAMETERS["Isoma_th"]


def test_seed_chip_has_the_preset_on_every_core_and_factory_chip_does_not():
    from dynsim.dynapse import DynapSE

    preset = seed_preset()
    seed_chip = SeedDynapSE(Network(), engine="numpy", name="presetall")
    plain = DynapSE(Network(), engine="numpy", name="plainchip")
    for chip in range(4):
        for core in range(4):
            group = seed_chip.get_bias(core, chip)
            for name, value in preset.items():
                p = group.get_parameter_by_name(name)
                assert (p.coarse_value, p.fine_value) == value
    p = plain.get_bias(1).get_parameter_by_name("IF_AHTHR_N")
    assert (p.coarse_value, p.fine_value) != preset["IF_AHTHR_N"]


@pytest.mark.parametrize(("biases", "error", "match"), [
    ({"alpha_ahp": 2 * pA}, BiasRangeError, "dimensionless"),
    ({"alpha_ahp": -1}, BiasRangeError, ">= 0"),
    ({"alpha_ahp": float("nan")}, BiasRangeError, "finite"),
    ({"alpha_ahp": "2"}, BiasRangeError, "number"),
    ({"alpha_ahp": True}, BiasRangeError, "number"),
    ({"Isoma_ahp_tau": 1 * ms}, BiasRangeError, "amperes"),
    ({"soma_refP": 5 * pA}, BiasRangeError, "time"),
    ({"soma_refP": 0 * ms}, BiasRangeError, "> 0"),
    ({"Vnmda": 1 * second}, BiasRangeError, "voltage"),
    ({"Vnmda": 10 * 1000 * mV}, BiasRangeError, "above"),
    ({"Isoma_th": 1 * nA}, BiasRangeError, "fixed at layout"),
    ({"Csoma_mem": 2 * pA}, BiasRangeError, "fixed at layout"),
    ({"kn": "0.75"}, BiasRangeError, "fixed at layout"),
    ({"kn": 0.8}, BiasRangeError, "fixed at layout"),
    ({"alpha_ampa": 1e9}, BiasRangeError, "largest"),
    ({"Isoma_ahp_tauu": 1 * pA}, UnknownBiasError, "Isoma_ahp_tau"),
])
def test_seed_name_errors(biases, error, match):
    with pytest.raises(error, match=match):
        resolve_biases(biases)


def test_seed_gain_refuses_an_unknown_name():
    with pytest.raises(UnknownBiasError, match="alpha_ahp"):
        seed_gain("alpha_ahpp", 1)


def test_set_bias_with_a_bad_seed_entry_changes_nothing():
    chip = SeedDynapSE(Network(), engine="numpy", name="atomicseed")
    before = chip.get_bias("Core_1")
    with pytest.raises(BiasRangeError):
        chip.set_bias({"Isoma_ahp_tau": 3 * pA, "alpha_ahp": -2}, "Core_1")
    after = chip.get_bias("Core_1")
    assert {k: (v.coarse_value, v.fine_value) for k, v in after.param_map.items()} == \
        {k: (v.coarse_value, v.fine_value) for k, v in before.param_map.items()}


@pytest.mark.parametrize(("synapse_type", "weight"), [("NMDA", 0.15), ("NMDA", 0.35),
                                                       ("NMDA", 0.7), ("AMPA", 2.5)])
def test_same_jump_bias_gives_the_fractional_weights_jump(synapse_type, weight):
    preset = seed_preset()
    chip = SeedDynapSE(Network(), engine="numpy", name=f"jump{synapse_type}")
    entries, bias = same_jump_bias(synapse_type, weight, chip.get_bias("Core_0"))
    (name, value), = bias.items()
    wanted = weight * pa(name, preset[name])
    got = entries * pa(name, value)
    step = max(bias_current(name, value[0], 1) / pA, 1e-3)  # one fine step at that coarse
    assert abs(got - wanted) <= entries * float(step) / 2 + 1e-9
    assert entries == max(1, int(np.floor(weight + 0.5)))
    assert name in same_jump_hint(synapse_type, weight)


@pytest.mark.parametrize(("synapse_type", "weight", "error"), [
    ("NMDAA", 0.5, InvalidSettingError), ("NMDA", 0, WeightError), ("NMDA", -1, WeightError),
    ("NMDA", [0.5, 0.2], WeightError), ("AMPA", "0.5", WeightError)])
def test_same_jump_bias_errors(synapse_type, weight, error):
    with pytest.raises(error):
        same_jump_bias(synapse_type, weight)


def test_the_changed_import_lines_give_the_seeds_names():
    namespace: dict = {}
    exec("from dynsim.seed import DynapSE\n"
         "from dynsim.seed.equations.dynapse_eq import *\n"
         "from dynsim.seed.parameters.dynapse_param import *\n", namespace)
    assert namespace["DynapSE"] is SeedDynapSE
    assert namespace["dynapse_param"] == SEED_PARAMETERS
    assert namespace["dynapse_param"] is not SEED_PARAMETERS
    for function in ("dynapse_eq", "dynapse_ampa_syn_eq", "dynapse_nmda_syn_eq",
                     "dynapse_gaba_a_syn_eq", "dynapse_gaba_b_syn_eq"):
        assert callable(namespace[function])
    module = importlib.import_module("dynsim.seed.equations.dynapse_eq")
    assert module.dynapse_eq()["model"] == physics.NEURON_EQUATIONS


@pytest.mark.parametrize("name", ["dynsim.seed", "dynsim.seed.parameters.dynapse_param",
                                  "dynsim.seed.equations.dynapse_eq"])
def test_seed_package_docstring_examples(name):
    import doctest

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_the_bench_engine_takes_seed_names():
    from dynsim.dynapse import Experiment

    experiment = Experiment(1, engine="numpy", name="seedbench")
    experiment.set_bias({"Isoma_ahp_tau": 3 * pA, "alpha_ahp": 2, "Iampa_w0": 50 * pA})
    group = experiment.get_bias()
    assert core_pa(group, "IF_AHTHR_N") / core_pa(group, "IF_AHTAU_N") == pytest.approx(
        2, rel=0.02)
    assert core_pa(group, "PS_WEIGHT_EXC_F_N") == pytest.approx(50, rel=0.01)
    with pytest.raises(BiasRangeError):
        experiment.set_bias({"alpha_ahp": -1})
