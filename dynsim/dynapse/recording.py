"""Recorded currents and spikes of emulated neurons, with units.

A :class:`Recording` is what :meth:`dynsim.dynapse.Experiment.run` returns (and what its
streaming callback receives, partially filled) and what
:meth:`dynsim.dynapse.Dynapse1Model.get_recording` returns.

Examples
--------
>>> import numpy as np
>>> from brian2 import ms, pA
>>> r = Recording(t=np.arange(3) * ms, neuron_ids=np.array([7]),
...               currents={"Imem": np.ones((1, 3)) * pA},
...               spike_indices=np.array([0]), spike_times=np.array([1.0]) * ms)
>>> r.Imem.shape, r.spike_count().tolist()
((1, 3), [1])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity, second

__all__ = ["Recording"]


@dataclass
class Recording:
    """Time series of the DPI currents of some neurons, and their spikes.

    Attributes
    ----------
    t : Quantity
        Sample times, shape ``(n_t,)``.
    neuron_ids : numpy.ndarray
        Board-wide id of each recorded neuron (rows of the current arrays).
    currents : dict of str to Quantity
        ``'Imem'``, ``'Iahp'``, ``'I_ampa'``, ``'I_nmda'``, ``'I_gaba_a'``, ``'I_gaba_b'`` (those
        recorded), each of shape ``(n_neurons, n_t)`` in amperes; also attributes
        (``recording.Imem``).
    spike_indices : numpy.ndarray
        Row (index into ``neuron_ids``) of each spike.
    spike_times : Quantity
        Time of each spike.
    progress : float
        Fraction of the requested duration simulated so far (1.0 when complete).
    """

    t: Quantity
    neuron_ids: np.ndarray
    currents: dict[str, Quantity] = field(default_factory=dict)
    spike_indices: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    spike_times: Quantity = field(default_factory=lambda: np.zeros(0) * second)
    progress: float = 1.0

    def __getattr__(self, name: str) -> Quantity:
        currents = self.__dict__.get("currents", {})
        if name in currents:
            return currents[name]
        raise AttributeError(f"{name!r} was not recorded; recorded: {', '.join(currents)}")

    def spike_count(self) -> np.ndarray:
        """Return the number of spikes of each recorded neuron."""
        return np.bincount(self.spike_indices, minlength=len(self.neuron_ids))

    def spike_trains(self) -> list[Quantity]:
        """Return the spike times of each recorded neuron."""
        return [self.spike_times[self.spike_indices == k] for k in range(len(self.neuron_ids))]

    def __repr__(self) -> str:
        duration = float(self.t[-1] / second) if len(self.t) else 0.0
        return (f"Recording({len(self.neuron_ids)} neurons, {len(self.t)} samples up to "
                f"{duration:.4g} s, {len(self.spike_indices)} spikes, "
                f"currents: {', '.join(self.currents)}, progress {self.progress:.0%})")
