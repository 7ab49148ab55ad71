"""An emulated Intel Loihi on Brian2, bit for bit in the chip's integer arithmetic.

Students program Loihi's CUBA LIF compartments, synapses (weight mantissas, exponents, sign
modes, delays), traces and learning rules through brian2-loihi's API, and see what
fixed-point arithmetic does to a model next to the float model it came from.

=================================  =========================================================
object                             what it is
=================================  =========================================================
:class:`LoihiNetwork`              the chip: step order, arithmetic convention, engine, seed
:class:`LoihiNeuronGroup`          CUBA LIF compartments (u, v; decays, threshold, bias)
:class:`LoihiSynapses`             weights, delays, traces x1..y3, learning rules ``dw``
:class:`LoihiSpikeGeneratorGroup`  spike input in whole steps
:class:`LoihiStateMonitor`         recorded v, u, traces, weights (int64)
:class:`LoihiSpikeMonitor`         spikes with exact integer steps
:func:`quantize_lif`               float LIF model -> Loihi integers (with a chosen scale)
:func:`compare_float_loihi`        run a float model and its Loihi version side by side
:func:`conventions_table`          the arithmetic conventions and every difference, as rows
=================================  =========================================================

Three arithmetic conventions ('silicon', 'lava', 'brian2_loihi') and every difference between
them: :mod:`dynsim.loihi.conventions`. Register widths and ranges:
:mod:`dynsim.loihi.registers`. A script written for brian2-loihi 0.5.2 runs unchanged with
``from dynsim.loihi.brian2_loihi import *`` (the 'brian2_loihi' convention by default).

References
----------
Davies, M. et al. (2018). Loihi: a neuromorphic manycore processor with on-chip learning.
IEEE Micro 38(1), 82-99. Michaelis, C. et al. (2022). Brian2Loihi: an emulator for the
neuromorphic chip Loihi using the spiking neural network simulator Brian. Front.
Neuroinform. 16:1015624. Lava 0.10 (https://github.com/lava-nc/lava). nengo-loihi
(https://github.com/nengo/nengo-loihi).

Examples
--------
>>> from dynsim.loihi import LoihiNetwork, LoihiNeuronGroup, LoihiSpikeMonitor
>>> ng = LoihiNeuronGroup(1, threshold_v_mant=2, decay_v=0, bias_mant=64,
...                       name="doc_pkg_neurons")
>>> spikes = LoihiSpikeMonitor(ng, name="doc_pkg_spikes")
>>> net = LoihiNetwork(ng, spikes, engine="numpy", name="doc_pkg_net")
>>> net.run(10)
>>> spikes.t.tolist()    # v = 64, 128, 192 > 128 -> spike, reset ...
[2, 5, 8]
"""

from __future__ import annotations

from types import SimpleNamespace

from dynsim._brian import configure as _configure

_configure()

from dynsim.loihi.conventions import (  # noqa: E402
    CONVENTION_NAMES,
    DEFAULT_CONVENTION,
    Convention,
    conventions_markdown,
    conventions_table,
    get_convention,
)
from dynsim.loihi.float_model import (  # noqa: E402
    FloatLIF,
    FloatLoihiComparison,
    LoihiQuantization,
    compare_float_loihi,
    quantize_lif,
)
from dynsim.loihi.generators import LoihiSpikeGeneratorGroup  # noqa: E402
from dynsim.loihi.learning import LearningRule, parse_rule  # noqa: E402
from dynsim.loihi.monitors import LoihiSpikeMonitor, LoihiStateMonitor  # noqa: E402
from dynsim.loihi.network import LoihiNetwork, RunProgress  # noqa: E402
from dynsim.loihi.neurons import LoihiNeuronGroup  # noqa: E402
from dynsim.loihi.synapses import LoihiSynapses, actual_weights  # noqa: E402

#: brian2-loihi's names of the recordable variables.
state = SimpleNamespace(VOLTAGE="v", CURRENT="I", X1TRACE="x1", X2TRACE="x2", Y1TRACE="y1",
                        Y2TRACE="y2", Y3TRACE="y3", WEIGHT="w", ACTUAL_WEIGHT="w_act")
#: brian2-loihi's sign modes.
synapse_sign_mode = SimpleNamespace(MIXED=1, EXCITATORY=2, INHIBITORY=3)

__all__ = [
    "CONVENTION_NAMES",
    "DEFAULT_CONVENTION",
    "Convention",
    "FloatLIF",
    "FloatLoihiComparison",
    "LearningRule",
    "LoihiNetwork",
    "LoihiNeuronGroup",
    "LoihiQuantization",
    "LoihiSpikeGeneratorGroup",
    "LoihiSpikeMonitor",
    "LoihiStateMonitor",
    "LoihiSynapses",
    "RunProgress",
    "actual_weights",
    "compare_float_loihi",
    "conventions_markdown",
    "conventions_table",
    "get_convention",
    "parse_rule",
    "quantize_lif",
    "state",
    "synapse_sign_mode",
]
