"""Mismatch Monte Carlo (exercise 7): the physics rheobase, chips batched per run, calibration.

* :func:`dynsim.dynapse.physics.rheobase` equals an independent bisection of the steady-state
  equation for mismatched neurons (relative tolerance 1e-3, the grid of the bisection), and
  it separates silent from firing neurons in a simulation;
* ``ExperimentPoint`` with ``mismatch_seeds`` gives each chip exactly the result of a run of
  that chip alone (the neurons of a run are independent);
* a per-chip calibration of the DC bias narrows the spread of the rates: every calibrated chip
  is within half of its own ladder step of the target (the F-I curve is monotonic), which is
  narrower than the spread mismatch makes; without mismatch every chip is the same;
* every error path of ``mismatch_seeds``.
"""

from __future__ import annotations

import numpy as np
import pytest

from dynsim.dynapse import (
    Dynapse1ParameterGroup,
    Mismatch,
    bias_current,
    nearest_coarse_fine,
    physics,
)
from dynsim.dynapse.biases import BIAS_NAMES
from dynsim.dynapse.circuits import bias_currents
from dynsim.errors import SweepError
from dynsim.sweep import ExperimentPoint, sweep

I0 = float(physics.I0 / physics.amp)
NO_ADAPTATION = {"IF_AHW_P": (0, 0)}
DC = BIAS_NAMES.index("IF_DC_P")


def bisection_rheobase(ith: float, itau: float, nmda: float) -> float:
    """Smallest DC without a sub-threshold fixed point: bisection on Chicca's steady state."""
    imem = np.geomspace(I0, 2e-9, 20000)
    itau = max(itau, I0)

    def lowest(idc: float) -> float:
        iin = np.maximum(I0 + I0 * imem / (imem + nmda) + idc - I0, I0)
        ipfb = 100e-12 / (1 + np.exp((1e-9 - imem) / 20e-12))
        return float((ith * (iin - I0 - I0 - itau) - imem * (itau + 2 * I0)
                      + ipfb * (imem + ith)).min())

    low, high = 0.0, 5e-9
    for _ in range(80):
        mid = (low + high) / 2
        low, high = (low, mid) if lowest(mid) > 0 else (mid, high)
    return (low + high) / 2


def chip_currents(chips: list[int], sigma: float = 0.1) -> dict[str, np.ndarray]:
    """Bias currents of the first neuron of each chip (default biases, lognormal mismatch)."""
    factors = np.vstack([Mismatch(sigma, chip).factors([0]) for chip in chips])
    return bias_currents([Dynapse1ParameterGroup()] * len(chips), factors)


# --------------------------------------------------------------------------- physics.rheobase
def test_rheobase_of_mismatched_neurons_equals_a_bisection_of_the_steady_state():
    currents = chip_currents(list(range(6)), sigma=0.3)
    got = physics.rheobase(currents)
    assert got.shape == (6,)
    for k in range(6):
        expected = bisection_rheobase(currents["Ith_mem"][k], currents["Itau_mem"][k],
                                      currents["Inmda_thr"][k])
        assert got[k] == pytest.approx(expected, rel=1e-3)
    # one neuron as plain floats gives the same number as a float
    one = {name: float(value[2]) for name, value in currents.items()}
    assert isinstance(physics.rheobase(one), float)
    assert physics.rheobase(one) == pytest.approx(got[2], rel=1e-12)


def test_rheobase_is_infinite_without_gain_and_falls_with_the_leak():
    currents = Dynapse1ParameterGroup().currents()
    assert physics.rheobase({**currents, "Ith_mem": 0.0}) == float("inf")
    leaks = np.array([0.5, 1.0, 2.0]) * currents["Itau_mem"]
    values = physics.rheobase({**currents, "Itau_mem": leaks})
    assert np.all(np.diff(values) > 0)  # a larger leak needs more input to fire


def test_rheobase_separates_silent_from_firing_chips_in_a_simulation():
    chips = list(range(40, 56))
    point = ExperimentPoint(n_neurons=len(chips), duration=0.5, engine="numpy",
                            biases=NO_ADAPTATION, rheobase=True, name="mc_rheobase")
    level = (2, 100)
    result = point(IF_DC_P=level, mismatch_seeds=chips)
    rheobases = np.array(result["rheobases_A"])
    assert rheobases == pytest.approx(physics.rheobase(chip_currents(chips)), rel=1e-12)
    # the DC each neuron receives carries its own mismatch factor
    received = float(bias_current("IF_DC_P", *level) / physics.amp) * np.array(
        [Mismatch(0.1, chip).factors([0])[0, DC] for chip in chips])
    ratio = received / rheobases
    rates = np.array(result["rates_Hz"])
    assert np.all(rates[ratio < 0.95] == 0)
    assert np.all(rates[ratio > 1.15] > 0)
    assert (ratio < 0.95).any() and (ratio > 1.15).any(), "the sample spans the rheobase"


# --------------------------------------------------------------------------- chips per run
def test_a_chip_in_a_batch_gives_exactly_its_own_run():
    chips = [7, 3, 11]
    batch = ExperimentPoint(n_neurons=3, duration=0.2, engine="numpy", biases=NO_ADAPTATION,
                            rheobase=True, name="mc_batch", reuse=False)
    single = ExperimentPoint(n_neurons=1, duration=0.2, engine="numpy", biases=NO_ADAPTATION,
                             rheobase=True, name="mc_single", reuse=False)
    together = batch(IF_DC_P=(2, 234), mismatch_seeds=chips)
    for k, chip in enumerate(chips):
        alone = single(IF_DC_P=(2, 234), mismatch_seed=chip)
        assert together["rates_Hz"][k] == alone["rate_Hz"]
        assert together["rheobases_A"][k] == alone["rheobase_A"]


@pytest.mark.parametrize(("seeds", "match"), [
    ([1, 2], "2 chips for 3 neurons"),
    ([1, 2, 3, 4], "at most 3"),
    (5, "flat sequence"),
    ([[1, 2, 3]], "flat sequence"),
    ([1, -2, 3], "mismatch_seeds"),
    ([1, 2.5, 3], "mismatch_seeds"),
    ("abc", "mismatch_seeds"),
])
def test_bad_mismatch_seeds_are_refused(seeds, match):
    point = ExperimentPoint(n_neurons=3, engine="numpy", name="mc_bad")
    with pytest.raises(SweepError, match=match):
        point.validate({"mismatch_seeds": seeds})


def test_mismatch_seed_and_mismatch_seeds_together_are_refused():
    point = ExperimentPoint(n_neurons=2, engine="numpy", name="mc_bad")
    with pytest.raises(SweepError, match="not both"):
        point.validate({"mismatch_seed": 1, "mismatch_seeds": [1, 2]})


def test_a_sweep_refuses_a_bad_batch_before_running():
    point = ExperimentPoint(n_neurons=2, engine="numpy", name="mc_bad")
    with pytest.raises(SweepError, match="1 chips for 2 neurons"):
        sweep(point, {"mismatch_seeds": [(1, 2), (3,)]}, cluster="serial", progress=False)


# --------------------------------------------------------------------------- calibration
def ladder_rates(chips: list[int], ladder: list[tuple[int, int]], sigma: float,
                 duration: float) -> np.ndarray:
    """Rates (Hz), one row per DC level, one column per chip, from one serial sweep."""
    point = ExperimentPoint(n_neurons=len(chips), duration=duration, engine="numpy",
                            biases=NO_ADAPTATION, mismatch_sigma=sigma, name="mc_ladder")
    table = sweep(point, {"IF_DC_P": ladder, "mismatch_seeds": [tuple(chips)]},
                  cluster="serial", progress=False)
    assert (table.status == "ok").all(), table.error.tolist()
    return np.array([table.rates_Hz[k] for k in range(len(ladder))])


def test_calibration_narrows_the_spread_of_the_rates():
    chips, duration = list(range(16)), 0.3
    drive = nearest_coarse_fine(2.5 * physics.rheobase(Dynapse1ParameterGroup().currents()),
                                "IF_DC_P")  # the drive of exercise 7
    drive_current = float(bias_current("IF_DC_P", *drive) / physics.amp)
    ladder = sorted({drive} | {nearest_coarse_fine(level, "IF_DC_P")
                               for level in drive_current * np.geomspace(0.7, 1.45, 8)},
                    key=lambda level: float(bias_current("IF_DC_P", *level) / physics.amp))
    nominal_level = ladder.index(drive)
    rates = ladder_rates(chips, ladder, 0.1, duration)
    # the F-I curve of every chip is monotonic: more DC, no fewer spikes
    assert np.all(np.diff(rates, axis=0) >= 0)
    before = rates[nominal_level]
    target = float(np.median(before))
    inside = (rates[0] <= target) & (rates[-1] >= target)  # chips the ladder can reach
    assert inside.sum() >= len(chips) - 2
    chosen = np.argmin(np.abs(rates - target), axis=0)
    after = rates[chosen, np.arange(len(chips))]
    # nearest level of a monotonic curve: within half of the chip's largest ladder step
    half_step = np.diff(rates, axis=0).max(axis=0) / 2
    assert np.all(np.abs(after - target)[inside] <= half_step[inside])
    assert after[inside].std() < before[inside].std() / 2
    # without mismatch every chip is the same chip: no spread before or after
    same = ladder_rates(chips[:4], ladder[nominal_level:nominal_level + 1], 0.0, duration)
    assert np.all(same == same[0, 0]) and same[0, 0] > 0
