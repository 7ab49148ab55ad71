"""``samna.dynapse1`` names, re-exported from :mod:`dynsim.dynapse`.

With the stand-in installed (:func:`dynsim.samna.install`), ``import samna.dynapse1 as dyn1``
gives this module. Every name is dynsim's own class; docs/samna.md lists what differs from
samna's.

Examples
--------
>>> from dynsim.samna import dynapse1 as dyn1
>>> dyn1.Dynapse1SynType.AMPA.value
3
"""

from __future__ import annotations

from dynsim.dynapse.config import (
    Dynapse1Chip,
    Dynapse1Configuration,
    Dynapse1Core,
    Dynapse1Destination,
    Dynapse1Neuron,
    Dynapse1Parameter,
    Dynapse1ParameterGroup,
    Dynapse1Synapse,
    Dynapse1SynType,
)
from dynsim.dynapse.events import Spike, TimestampWrapEvent
from dynsim.dynapse.model import (
    Dynapse1Interface,
    Dynapse1Model,
    FpgaSpikeEvent,
)
from dynsim.dynapse.model import FpgaSpikeGen as Dynapse1FpgaSpikeGen
from dynsim.dynapse.model import PoissonGen as Dynapse1PoissonGen

__all__ = [
    "Dynapse1Chip",
    "Dynapse1Configuration",
    "Dynapse1Core",
    "Dynapse1Destination",
    "Dynapse1FpgaSpikeGen",
    "Dynapse1Interface",
    "Dynapse1Model",
    "Dynapse1Neuron",
    "Dynapse1Parameter",
    "Dynapse1ParameterGroup",
    "Dynapse1PoissonGen",
    "Dynapse1SynType",
    "Dynapse1Synapse",
    "FpgaSpikeEvent",
    "Spike",
    "TimestampWrapEvent",
]

