"""The design exercises of notebooks 2 and 3 (issue 11): checked by simulating the design.

The solution designs are derived here from the physics (``tau = C U_T/(kappa Itau)`` with
U_T = 25 mV, kappa = (0.75 + 0.66)/2, the documented coarse/fine table), independently of
dynsim. A design passes only when the emulator's run meets the specification; designs outside
it fail with a hint that names the bias to turn and which way; answers of the wrong kind fail
with a hint before anything is simulated; arguments the notebook supplies raise a DynsimError.
The runs use the numpy engine and short durations.
"""

from __future__ import annotations

import pytest
from brian2 import Hz, ms, nA, pA, second

import dynsim.checks.dynapse as checks
from dynsim.checks import UNANSWERED, CheckResult, answer_from
from dynsim.errors import InvalidSettingError

U_T, KAPPA, C_SYN, C_AHP = 0.025, (0.75 + 0.66) / 2, 2e-12, 4e-12
#: full-scale current of coarse values 0 and 1 (A) at fine 255 (the documented table)
FULL_SCALE = (15e-12, 105e-12)
ENGINE = "numpy"


def leak_bias(capacitance: float, tau: float) -> tuple[int, int]:
    """(coarse, fine) of coarse 0 whose current gives ``tau`` (the fine grid of 15 pA/255)."""
    fine = round(capacitance * U_T / (KAPPA * tau) / FULL_SCALE[0] * 255)
    assert 0 < fine <= 255
    return 0, fine


#: notebook 2's solution: tau_ampa = 10 ms and the weight of the solution cell
AMPA_SOLUTION = {"NPDPIE_TAU_F_P": leak_bias(C_SYN, 10e-3), "PS_WEIGHT_EXC_F_N": (1, 130)}
#: notebook 3's solution: tau_ahp = 50 ms and the weight of the solution cell
AHP_SOLUTION = {"IF_AHTAU_N": leak_bias(C_AHP, 50e-3), "IF_AHW_P": (0, 64)}
AMPA_SPEC = {"rate": 100 * Hz, "band": (40 * Hz, 60 * Hz), "duration": 0.2 * second,
             "engine": ENGINE}
#: a design far outside the band shows in 100 ms (the tests' runs stay short)
SHORT = {**AMPA_SPEC, "duration": 0.1 * second}
AHP_SPEC = {"min_first_rate": 70 * Hz, "ratio": (0.3, 0.5), "tau_range": (40 * ms, 60 * ms),
            "duration": 300 * ms, "engine": ENGINE}


def verdict(result: CheckResult) -> tuple[bool, str]:
    assert isinstance(result, CheckResult), result
    return result.passed, result.message


# --------------------------------------------------------------------------- notebook 2
def test_ampa_solution_passes_for_other_trains_too():
    """The notebook's seed and the hidden test's other seed: both land in the band."""
    for seed in (1, 1001):
        result = checks.check_ampa_rate_design(AMPA_SOLUTION, seed=seed, **AMPA_SPEC)
        passed, message = verdict(result)
        assert passed, message
        assert "Hz in 40-60 Hz" in message


def test_ampa_design_uses_the_emulator_weaker_weight_fails_below():
    """Halving the weight halves the mean current J tau nu: the rate drops below the band."""
    weaker = {**AMPA_SOLUTION, "PS_WEIGHT_EXC_F_N": (1, 65)}
    passed, message = verdict(checks.check_ampa_rate_design(weaker, seed=1, **SHORT))
    assert not passed
    assert "below 40-60 Hz" in message and "raise the weight PS_WEIGHT_EXC_F_N" in message


def test_ampa_too_strong_design_fails_above():
    """The largest coarse-2 weight with tau 10 ms drives the neuron towards 1/t_refr = 200 Hz."""
    strong = {**AMPA_SOLUTION, "PS_WEIGHT_EXC_F_N": (2, 255)}
    passed, message = verdict(checks.check_ampa_rate_design(strong, seed=1, **SHORT))
    assert not passed
    assert "above 40-60 Hz" in message and "lower the weight" in message


#: a wrong answer of each design exercise and the words of its hint (no simulation runs)
@pytest.mark.parametrize(("design", "answer", "hint"), [
    ("ampa", ..., UNANSWERED),
    ("ampa", None, UNANSWERED),
    ("ampa", answer_from(lambda: (_ for _ in ()).throw(NotImplementedError())), UNANSWERED),
    ("ampa", [(1, 130)], "give your design as a dictionary"),
    ("ampa", {}, "your dictionary is empty"),
    ("ampa", {"PS_WEIGHT": (1, 130)}, "unknown bias name 'PS_WEIGHT'"),
    ("ampa", {"IF_DC_P": (1, 100)}, "designs the AMPA circuit only: IF_DC_P"),
    ("ampa", {"PS_WEIGHT_EXC_F_N": (8, 10)}, "coarse value 8 is outside 0..7"),
    ("ampa", {"PS_WEIGHT_EXC_F_N": (1, 300)}, "outside 0..255"),
    ("ampa", {"PS_WEIGHT_EXC_F_N": 400 * pA}, "physical name 'Iw_ampa'"),
    ("ampa", {"Iw_ampa": 3 * ms}, "is a current"),
    ("ahp", ..., UNANSWERED),
    ("ahp", (0, 64), "give your design as a dictionary"),
    ("ahp", {"IF_AHW": (0, 64)}, "unknown bias name 'IF_AHW'"),
    ("ahp", {"PS_WEIGHT_EXC_F_N": (1, 61)}, "designs the adaptation circuit only"),
    ("ahp", {"IF_AHW_P": (0, -1)}, "outside 0..255"),
    ("ahp", {"Iw_ahp": 2 * Hz}, "is a current"),
])
def test_wrong_answers_get_hints_without_a_run(design, answer, hint):
    check, spec = {"ampa": (checks.check_ampa_rate_design, AMPA_SPEC),
                   "ahp": (checks.check_adaptation_design, AHP_SPEC)}[design]
    passed, message = verdict(check(answer, **spec))
    assert not passed
    assert hint in message


@pytest.mark.parametrize("arguments", [
    {"band": (60 * Hz, 40 * Hz)}, {"band": 50 * Hz}, {"rate": 100 * ms}, {"n_trains": 0},
    {"n_trains": 257}, {"duration": 11 * second}, {"seed": -1},
])
def test_ampa_notebook_arguments_are_checked(arguments):
    with pytest.raises(InvalidSettingError):
        checks.check_ampa_rate_design(AMPA_SOLUTION, **{**AMPA_SPEC, **arguments})


# --------------------------------------------------------------------------- notebook 3
def test_adaptation_solution_passes_at_both_dc_inputs():
    """1 nA (the notebook) and 1.1 nA (the hidden test)."""
    for dc in (1 * nA, 1.1 * nA):
        passed, message = verdict(checks.check_adaptation_design(AHP_SOLUTION, dc, **AHP_SPEC))
        assert passed, message
        assert "within 30-50 % and 40-60 ms" in message


def test_adaptation_memory_outside_the_spec_is_found_from_the_bias():
    """tau_ahp of the default leak (0, 34): C_ahp U_T/(kappa I) ~ 71 ms > 60 ms: raise it."""
    default_tau = C_AHP * U_T / (KAPPA * FULL_SCALE[0] * 34 / 255)
    assert default_tau > 60e-3
    passed, message = verdict(checks.check_adaptation_design({"IF_AHW_P": (0, 64)}, **AHP_SPEC))
    assert not passed and "too long" in message and "raise the leak IF_AHTAU_N" in message
    short = {"IF_AHTAU_N": leak_bias(C_AHP, 30e-3), "IF_AHW_P": (0, 64)}
    passed, message = verdict(checks.check_adaptation_design(short, **AHP_SPEC))
    assert not passed and "too short" in message and "lower the leak IF_AHTAU_N" in message


def test_adaptation_weight_sets_the_strength():
    """Same memory, the factory weight (0, 4): J_ahp 16x smaller, too little adaptation."""
    weak = {**AHP_SOLUTION, "IF_AHW_P": (0, 4)}
    passed, message = verdict(checks.check_adaptation_design(weak, **AHP_SPEC))
    assert not passed and "too little adaptation" in message and "raise the weight" in message


def test_adaptation_one_big_jump_slows_the_first_interval():
    """A 4x larger weight: each spike's jump alone slows the next interval below 70 Hz."""
    big = {**AHP_SOLUTION, "IF_AHW_P": (0, 255)}
    result = checks.check_adaptation_design(big, **{**AHP_SPEC, "duration": 100 * ms})
    passed, message = verdict(result)
    assert not passed and ("first interval is slower" in message or "spike(s)" in message)
    assert "lower IF_AHW_P" in message


@pytest.mark.parametrize("arguments", [
    {"ratio": (0.5, 0.3)}, {"ratio": 0.4}, {"tau_range": 50 * ms}, {"dc": 1 * Hz},
    {"duration": 20 * second},
])
def test_adaptation_notebook_arguments_are_checked(arguments):
    with pytest.raises(InvalidSettingError):
        checks.check_adaptation_design(AHP_SOLUTION, **{**AHP_SPEC, **arguments})
