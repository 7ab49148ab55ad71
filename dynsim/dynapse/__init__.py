"""Emulated DYNAP-SE1: SAMNA-shaped API, hardware rules, coarse/fine biases, DPI physics.

Three ways in, over one model (the DPI equations of :mod:`dynsim.dynapse.physics`, the bias
tables of :mod:`dynsim.dynapse.biases`, the sizes of :mod:`dynsim.dynapse.constants`):

* Beginner layer, :class:`DynapSE` (the dynapse-simulator API on your Brian2 ``Network``)::

      chip = DynapSE(network)
      neurons = chip.get_neurons(4, "Core_1")            # chip_id=0..3 for the 4-chip board
      syn = chip.add_connection(source, neurons, synapse_type="AMPA")
      chip.connect(syn, True)
      syn.weight = 2                                      # 2 CAM entries per synapse
      chip.set_bias({"IF_DC_P": (1, 80), "Itau_mem": 4 * pA}, "Core_1")

* samna layer, mirroring ``samna.dynapse1``: :class:`Dynapse1Configuration`,
  :class:`Dynapse1Parameter`, :class:`Dynapse1SynType`, :class:`NetworkGenerator` /
  :class:`Neuron`, :class:`Dynapse1Model` with its Poisson and FPGA spike generators, and
  :class:`Spike` events read through :func:`sink_from` / :class:`BasicSinkNode`.

* :class:`Experiment`: a small fixed experiment re-simulated from rest on every change
  (``engine='standalone'`` for tens of milliseconds per run), the engine behind bias sliders.

All three share one core, a :class:`Board` (``dynsim.dynapse.board``): the configuration
with the biases, one bias write-through and the hardware rules. :func:`board_of` returns the
board of any of them (what the bias panels talk to).

Every hardware violation raises a specific exception of :mod:`dynsim.errors` at the call site
and leaves the emulated chip unchanged.

References
----------
Chicca E., Stefanini F., Bartolozzi C., Indiveri G. (2014). Neuromorphic electronic circuits
for building autonomous cognitive systems. Proc. IEEE 102(9), 1367-1388.

Moradi S., Qiao N., Stefanini F., Indiveri G. (2018). A scalable multicore architecture with
heterogeneous memory structures for Dynamic Neuromorphic Asynchronous Processors (DYNAPs).
IEEE TBioCAS 12(1), 106-122.

Examples
--------
>>> from dynsim.dynapse import Dynapse1Parameter, bias_current
>>> p = Dynapse1Parameter("IF_TAU1_N", 0, 85)
>>> round(float(bias_current(p.param_name, p.coarse_value, p.fine_value) / 1e-12), 3)
5.0
"""

from __future__ import annotations

from dynsim._brian import configure as _configure

_configure()

from dynsim.dynapse.biases import (  # noqa: E402
    BIAS_GROUPS,
    BIAS_NAMES,
    BIAS_TABLE,
    PHYSICAL_TO_SAMNA,
    SAMNA_TO_PHYSICAL,
    BiasSpec,
    CoarseFineTable,
    bias_current,
    bias_spec,
    coarse_fine_to_current,
    default_biases,
    get_coarse_fine_table,
    nearest_coarse_fine,
    refractory_period,
    set_coarse_fine_table,
    time_constant,
    use_coarse_fine_table,
)
from dynsim.dynapse.board import Board, board_of  # noqa: E402
from dynsim.dynapse.chip import DynapSE, DynapseSynapses  # noqa: E402
from dynsim.dynapse.circuits import DynapseNeuronGroup  # noqa: E402
from dynsim.dynapse.config import (  # noqa: E402
    Dynapse1Chip,
    Dynapse1Configuration,
    Dynapse1Core,
    Dynapse1Destination,
    Dynapse1Neuron,
    Dynapse1Parameter,
    Dynapse1ParameterGroup,
    Dynapse1Synapse,
    Dynapse1SynType,
    configuration_from_json,
    load_configuration,
    parameter_group_from_json,
    parameter_group_to_json,
    save_configuration,
)
from dynsim.dynapse.events import (  # noqa: E402
    BasicSinkNode,
    EventSourceNode,
    Spike,
    TimestampWrapEvent,
    sink_from,
)
from dynsim.dynapse.experiment import Experiment, InputSpec  # noqa: E402
from dynsim.dynapse.mismatch import Mismatch  # noqa: E402
from dynsim.dynapse.model import (  # noqa: E402
    Dynapse1Interface,
    Dynapse1Model,
    FpgaSpikeEvent,
    FpgaSpikeGen,
    PoissonGen,
    fpga_events_from_times,
)
from dynsim.dynapse.netgen import (  # noqa: E402
    NetworkGenerator,
    Neuron,
    NeuronGroup,
    Synapses,
    WTA_connections,
    add_synapses,
    add_wta_conns,
    check_configuration,
    remove_synapses,
)
from dynsim.dynapse.realtime import SIMULATION_LOCK, RealTimeClock  # noqa: E402
from dynsim.dynapse.recording import Recording  # noqa: E402

__all__ = [
    "BIAS_GROUPS",
    "BIAS_NAMES",
    "BIAS_TABLE",
    "PHYSICAL_TO_SAMNA",
    "SAMNA_TO_PHYSICAL",
    "SIMULATION_LOCK",
    "BasicSinkNode",
    "BiasSpec",
    "Board",
    "CoarseFineTable",
    "DynapSE",
    "Dynapse1Chip",
    "Dynapse1Configuration",
    "Dynapse1Core",
    "Dynapse1Destination",
    "Dynapse1Interface",
    "Dynapse1Model",
    "Dynapse1Neuron",
    "Dynapse1Parameter",
    "Dynapse1ParameterGroup",
    "Dynapse1SynType",
    "Dynapse1Synapse",
    "DynapseNeuronGroup",
    "DynapseSynapses",
    "EventSourceNode",
    "Experiment",
    "FpgaSpikeEvent",
    "FpgaSpikeGen",
    "InputSpec",
    "Mismatch",
    "NetworkGenerator",
    "Neuron",
    "NeuronGroup",
    "PoissonGen",
    "RealTimeClock",
    "Recording",
    "Spike",
    "Synapses",
    "TimestampWrapEvent",
    "WTA_connections",
    "add_synapses",
    "add_wta_conns",
    "bias_current",
    "bias_spec",
    "board_of",
    "check_configuration",
    "coarse_fine_to_current",
    "configuration_from_json",
    "default_biases",
    "fpga_events_from_times",
    "get_coarse_fine_table",
    "load_configuration",
    "nearest_coarse_fine",
    "parameter_group_from_json",
    "parameter_group_to_json",
    "refractory_period",
    "remove_synapses",
    "save_configuration",
    "set_coarse_fine_table",
    "sink_from",
    "time_constant",
    "use_coarse_fine_table",
]
