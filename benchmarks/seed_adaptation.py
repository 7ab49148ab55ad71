"""Adaptation near rheobase: dynsim's seed preset against the seed's equations (docs/seed.md).

Prints the two tables of ``docs/seed.md`` ("Adaptation near rheobase"): the Part 3 protocol
(a 166 Hz regular train into AMPA, weight 2, from 1 s to 4 s of a 5 s run, 20 us steps, the
seed's adaptation names ``alpha_ahp`` 2 and ``Isoma_ahp_tau`` 1 pA) and the F-I points near
rheobase with the seed's default adaptation (1 s of constant ``Isoma_const``, 0.1 ms steps).
Three models: dynsim with the seed preset (:class:`dynsim.seed.DynapSE`, numpy engine), the
seed's equations with dynsim's two floors, and the seed's equations as published (both
integrated by ``seed_neuron`` of ``tests/dynapse/test_seed_notebooks.py``, independent of
dynsim's code).

Run from the repository root (about a minute on a quiet machine)::

    .venv/bin/python benchmarks/seed_adaptation.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from brian2 import Network, SpikeMonitor, defaultclock, pA, second, us

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "dynapse"))
from test_seed_notebooks import part3_calls, seed_neuron, seed_parameters

os.environ.setdefault("DYNSIM_ENGINE", "numpy")
from dynsim.seed import DynapSE


def part3_dynsim(duration_ms: int, start_ms: int, stop_ms: int, period_ms: int) -> np.ndarray:
    """Spike times (s) of dynsim's seed preset under the Part 3 protocol."""
    return part3_calls(DynapSE, start_ms, stop_ms, duration_ms, period_ms)[0]


def f_i_dynsim(current_pa: float) -> int:
    """Spikes of dynsim's seed preset in 1 s of constant input ``Isoma_const``."""
    defaultclock.dt = 100 * us
    network = Network()
    chip = DynapSE(network, name=f"fi{int(current_pa)}")
    neuron = chip.get_neurons(1, "Core_0")
    chip.set_bias({"Isoma_const": current_pa * pA}, "Core_0")
    output = SpikeMonitor(neuron)
    network.add(output)
    network.run(1 * second)
    return len(output.t)


def describe(times: np.ndarray) -> str:
    isi = np.diff(times) * 1e3
    return f"{len(times)} | {isi[0]:.1f} ms | {isi[-1]:.1f} ms"


def main() -> None:
    protocol = dict(duration_ms=5000, start_ms=1000, stop_ms=4000, period_ms=6)
    steps = np.round(np.arange(protocol["start_ms"], protocol["stop_ms"],
                               protocol["period_ms"]) * 1e-3 / 20e-6).astype(int)
    p = seed_parameters(Isoma_ahp_tau=1e-12, alpha_ahp=2, Iampa_tau=20e-12)
    rows = {
        "dynsim, seed preset": part3_dynsim(**protocol),
        "seed equations with dynsim's two floors": seed_neuron(5.0, 20e-6, p, steps, 2,
                                                               silicon=True),
        "seed equations as published": seed_neuron(5.0, 20e-6, p, steps, 2, silicon=False),
    }
    print("| model | spikes | first ISI | last ISI |\n| --- | --- | --- | --- |")
    for label, times in rows.items():
        print(f"| {label} | {describe(times)} |")
    print("\n| Isoma_const | dynsim | seed with floors | seed as published | published -> "
          "floors |\n| --- | --- | --- | --- | --- |")
    for current in (380, 450, 550, 1000):
        q = seed_parameters(Isoma_const=current * 1e-12)
        floors = len(seed_neuron(1.0, 100e-6, q, silicon=True))
        published = len(seed_neuron(1.0, 100e-6, q, silicon=False))
        change = 100 * (floors - published) / published
        print(f"| {current} pA | {f_i_dynsim(current)} | {floors} | {published} | "
              f"{change:+.0f} % |")


if __name__ == "__main__":
    main()
