"""brian2-loihi 0.5.2's API on dynsim: change one import, get the same numbers.

A script that starts with ``from brian2_loihi import *`` runs with
``from dynsim.loihi.brian2_loihi import *`` and gives the same numbers: here
:class:`LoihiNetwork` uses the 'brian2_loihi' arithmetic convention unless told otherwise.
brian2-loihi's bugs are fixed (exact spike steps, ``period`` in steps, numpy integers,
current weights after learning, actual weights computed once instead of every step, no
change of ``defaultclock``, no recompiling because of new object names where names are
given, spikes of a run's last step delivered in the next run); the random numbers of
stochastic rounding come from the network's seed instead of Brian2's global generator, so
traces with stochastic rounding agree with brian2-loihi in distribution, not draw by draw.

Examples
--------
>>> from dynsim.loihi.brian2_loihi import LoihiNetwork
>>> LoihiNetwork(engine="numpy", name="doc_compat_net").convention.name
'brian2_loihi'
"""

from __future__ import annotations

from typing import Any

from dynsim.loihi import LoihiNetwork as _LoihiNetwork
from dynsim.loihi import (
    LoihiNeuronGroup,
    LoihiSpikeGeneratorGroup,
    LoihiSpikeMonitor,
    LoihiStateMonitor,
    LoihiSynapses,
    state,
    synapse_sign_mode,
)
from dynsim.loihi.conventions import Convention

__all__ = [
    "LoihiNetwork",
    "LoihiNeuronGroup",
    "LoihiSpikeGeneratorGroup",
    "LoihiSpikeMonitor",
    "LoihiStateMonitor",
    "LoihiSynapses",
    "state",
    "synapse_sign_mode",
]


class LoihiNetwork(_LoihiNetwork):
    """:class:`dynsim.loihi.LoihiNetwork` with ``convention='brian2_loihi'`` by default.

    Parameters
    ----------
    *objs, convention, engine, seed, name
        As for :class:`dynsim.loihi.LoihiNetwork`.
    """

    def __init__(self, *objs: Any, convention: str | Convention | None = "brian2_loihi",
                 engine: str | None = None, seed: int = 0,
                 name: str = "loihi_network*") -> None:
        super().__init__(*objs, convention=convention, engine=engine, seed=seed, name=name)
