"""The design exercises of notebooks 4 and 7 (issue 11): the checks simulate a student's design.

Notebook 4: a winner-take-all of four groups on one core must let the group of the strongest
of four Poisson inputs win within 50 ms (between 50 and 200 ms it fires >= 10 Hz per neuron
and >= 3x every other group). Notebook 7: one set of biases must make >= 90 % of 40
mismatched chips fire at 40-60 Hz without calibration.

The numbers here come from the specification and from the chip's rules (64 CAM entries, the
coarse/fine ranges); the verdicts come from the emulator (numpy engine: a few seconds each),
so a changed weight or bias must change the verdict.
"""

from __future__ import annotations

import re

import pytest
from brian2 import ms

import dynsim.checks.dynapse as checks
from dynsim.checks import UNANSWERED, answer_from
from dynsim.checks.dynapse import (
    MISMATCH_BAND,
    MISMATCH_SHARE,
    WTA_CONNECTIONS,
    WTA_DOMINANCE,
    WTA_GROUP_SIZE,
    WTA_GROUPS,
    WTA_MIN_RATE,
    WTA_POOL_SIZE,
    WTA_WINDOW,
)
from dynsim.dynapse.constants import CAMS_PER_NEURON
from dynsim.errors import InvalidSettingError

ENGINE = "numpy"
#: the solution of Exercise 4.5 (the notebook's solution cell)
WEIGHTS = {"input": 4, "recurrent": 2, "to_pool": 1, "from_pool": 3}
BIASES = {"PS_WEIGHT_EXC_F_N": (1, 150), "PS_WEIGHT_EXC_S_N": (0, 250),
          "PS_WEIGHT_INH_S_N": (1, 60)}
#: the solution of Exercise 7.2: a strong drive, the refractory period sets the rate
MC_BIASES = {"IF_DC_P": (3, 60), "IF_RFR_N": (0, 24)}


def rates_in(message):
    """The group rates (Hz) a WTA result reports, in group order."""
    return [float(x) for x in re.findall(r"[ABCD]: ([0-9.]+) Hz", message)]


def share_in(message):
    return float(re.search(r"(\d+) % of", message).group(1)) / 100


# --------------------------------------------------------------------------- notebook 4
def test_the_solution_design_selects_the_strongest_input():
    result = checks.check_wta_design(WEIGHTS, BIASES, engine=ENGINE)
    assert result, result
    rates = rates_in(result.message)
    assert len(rates) == WTA_GROUPS
    winner = rates[1]  # the default input rates (40, 100, 60, 50): group B is the strongest
    assert winner >= WTA_MIN_RATE
    assert all(winner >= WTA_DOMINANCE * r for k, r in enumerate(rates) if k != 1)


def test_the_hidden_test_moves_the_strongest_input():
    result = checks.check_wta_design(WEIGHTS, BIASES, (60.0, 50.0, 100.0, 40.0), seed=7,
                                     engine=ENGINE)
    assert result, result
    assert "group C has the strongest input" in result.message


def test_without_inhibition_there_is_no_winner():
    # no pool -> the groups are independent: every one is driven by its own input and fires
    result = checks.check_wta_design({**WEIGHTS, "from_pool": 0}, BIASES, engine=ENGINE)
    assert not result
    assert "no clear winner" in result.message and "more inhibition" in result.message
    assert min(rates_in(result.message)) >= WTA_MIN_RATE


def test_too_much_inhibition_silences_everyone():
    strong = {**BIASES, "PS_WEIGHT_INH_S_N": (2, 100)}  # coarse 2: about ten times the current
    result = checks.check_wta_design({**WEIGHTS, "from_pool": 10}, strong, engine=ENGINE)
    assert not result
    assert "silenced" in result.message and "less inhibition" in result.message
    assert max(rates_in(result.message)) < WTA_MIN_RATE


def test_strong_self_excitation_locks_in_a_weaker_group():
    locked = {**BIASES, "PS_WEIGHT_EXC_S_N": (1, 100)}
    result = checks.check_wta_design({**WEIGHTS, "recurrent": 6}, locked, engine=ENGINE)
    assert not result
    assert "a weaker input won" in result.message and "lower 'recurrent'" in result.message


def test_a_design_over_the_cam_budget_gets_the_fan_in_in_the_hint():
    weights = {**WEIGHTS, "recurrent": 9}
    fan_in = (weights["input"] + (WTA_GROUP_SIZE - 1) * weights["recurrent"]
              + WTA_POOL_SIZE * weights["from_pool"])
    assert fan_in > CAMS_PER_NEURON
    result = checks.check_wta_design(weights, BIASES, engine=ENGINE)
    assert not result
    assert f"= {fan_in} CAM entries" in result.message and "does not fit" in result.message
    pool = {**WEIGHTS, "to_pool": CAMS_PER_NEURON // (WTA_GROUPS * WTA_GROUP_SIZE) + 1}
    result = checks.check_wta_design(pool, BIASES, engine=ENGINE)
    assert f"pool neuron {WTA_GROUPS * WTA_GROUP_SIZE} x to_pool = " \
           f"{WTA_GROUPS * WTA_GROUP_SIZE * pool['to_pool']}" in result.message


@pytest.mark.parametrize(("weights", "biases", "hint"), [
    (..., ..., UNANSWERED),
    (WEIGHTS, ..., UNANSWERED),
    ({**WEIGHTS, "recurrent": ...}, BIASES, UNANSWERED),
    (answer_from(lambda: (_ for _ in ()).throw(NotImplementedError)), BIASES, UNANSWERED),
    ([4, 2, 1, 3], BIASES, "give the weights as a dict"),
    ({**WEIGHTS, "recurent": 2}, BIASES, "unknown: recurent"),
    ({k: v for k, v in WEIGHTS.items() if k != "to_pool"}, BIASES, "missing: to_pool"),
    ({**WEIGHTS, "recurrent": 2.5}, BIASES, "a whole number 0..64"),
    ({**WEIGHTS, "recurrent": -1}, BIASES, "a whole number 0..64"),
    ({**WEIGHTS, "recurrent": True}, BIASES, "a whole number 0..64"),
    (WEIGHTS, [("PS_WEIGHT_INH_S_N", (1, 60))], "give the biases as a dict"),
    (WEIGHTS, {"PS_WEIGHT_INH_X": (1, 60)}, "unknown bias 'PS_WEIGHT_INH_X'. Did you mean"),
    (WEIGHTS, {"PS_WEIGHT_INH_S_N": (8, 60)}, "coarse value 8 is outside 0..7"),
    (WEIGHTS, {"PS_WEIGHT_INH_S_N": (1, 256)}, "fine value 256 is outside 0..255"),
    (WEIGHTS, {"PS_WEIGHT_INH_S_N": 5 * ms}, "give (coarse, fine)"),
])
def test_every_wrong_kind_of_wta_answer_gets_a_hint(weights, biases, hint):
    result = checks.check_wta_design(weights, biases, engine=ENGINE)
    assert not result
    assert hint in result.message


@pytest.mark.parametrize("rates", [(100, 100, 50, 40), (100, 50, 40), ("a", 1, 2, 3)])
def test_notebook_input_rates_without_one_strongest_raise(rates):
    with pytest.raises(InvalidSettingError):
        checks.check_wta_design(WEIGHTS, BIASES, rates, engine=ENGINE)


def test_the_connections_are_the_chips_four_synapse_types():
    assert set(WTA_CONNECTIONS.values()) <= {"AMPA", "NMDA", "GABA_A", "GABA_B"}


# --------------------------------------------------------------------------- notebook 7
def test_the_solution_biases_meet_the_spec_on_other_chips_too():
    for chips in ({}, {"first_chip": 1000, "n_chips": 30}):  # the hidden test's chips
        result = checks.check_mismatch_design(MC_BIASES, engine=ENGINE, **chips)
        assert result, result
        assert share_in(result.message) >= MISMATCH_SHARE


def test_a_drive_near_the_rheobase_spreads_too_widely():
    # median in the band, but near the rheobase the rate is steep in the current
    result = checks.check_mismatch_design({"IF_DC_P": (2, 140)}, engine=ENGINE)
    assert not result
    assert share_in(result.message) < MISMATCH_SHARE
    assert "spread too widely" in result.message and "IF_RFR_N" in result.message


def test_the_refractory_period_alone_makes_the_chips_too_slow():
    # the same refractory period with the weaker drive: every rate falls below the band
    result = checks.check_mismatch_design({"IF_DC_P": (2, 140), "IF_RFR_N": MC_BIASES["IF_RFR_N"]},
                                   engine=ENGINE)
    assert not result
    median = float(re.search(r"median (\d+) Hz", result.message).group(1))
    assert median < MISMATCH_BAND[0]
    assert "too slowly" in result.message and "raise the drive" in result.message


@pytest.mark.parametrize(("biases", "hint"), [
    (..., UNANSWERED),
    ((3, 60), "give the biases as a dict"),
    ({"IF_DCP": (3, 60)}, "Did you mean 'IF_DC_P'"),
    ({"IF_DC_P": (3, 300)}, "fine value 300 is outside 0..255"),
    ({"IF_DC_P": (3.5, 60)}, "whole number in 0..7"),
    ({"IF_DC_P": 5 * ms}, "give (coarse, fine)"),
])
def test_every_wrong_kind_of_mismatch_answer_gets_a_hint(biases, hint):
    result = checks.check_mismatch_design(biases, engine=ENGINE)
    assert not result
    assert hint in result.message


@pytest.mark.parametrize("options", [{"n_chips": 0}, {"n_chips": 257}, {"first_chip": -1}])
def test_notebook_monte_carlo_settings_out_of_range_raise(options):
    with pytest.raises(InvalidSettingError):
        checks.check_mismatch_design(MC_BIASES, engine=ENGINE, **options)


# --------------------------------------------------------------------------- the notebooks
def _notebook_text(stem):
    from pathlib import Path

    import nbformat

    path = Path(__file__).resolve().parents[2] / "exercises" / "source" / f"{stem}.ipynb"
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    return re.sub(r"^> ?", "", text, flags=re.M)  # without the quote marks of the spec


def test_notebook_4_states_the_spec_the_check_applies():
    text = _notebook_text("04_network_on_chip")
    low, high = (round(1e3 * t) for t in WTA_WINDOW)
    assert (f"Four groups A-D of {WTA_GROUP_SIZE} excitatory neurons and a pool of "
            f"{WTA_POOL_SIZE} inhibitory neurons") in " ".join(text.split())
    assert f"Between {low} and {high} ms" in text
    assert f"at least {WTA_MIN_RATE:g} Hz per neuron" in text
    assert f"{WTA_DOMINANCE:g} times" in text.replace("**", "")
    for key, kind in WTA_CONNECTIONS.items():
        assert re.search(rf"\| {kind} \|.*\| `\"{key}\"` \|", text), key


def test_notebook_7_states_the_spec_the_check_applies():
    text = " ".join(_notebook_text("07_device_mismatch").split()).replace("**", "")
    low, high = MISMATCH_BAND
    assert f"at least {100 * MISMATCH_SHARE:.0f} % of the chips fire at {low:g}-{high:g} Hz" in text
    assert "check_mismatch_design(mc_biases, n_chips=40," in text
    assert "40 chips of this notebook's sample" in text
