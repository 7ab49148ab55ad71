"""Test shim: a ``netgen`` module as the board tutorials import it, re-exporting dynsim's."""

from dynsim.dynapse.netgen import (  # noqa: F401
    NetworkGenerator,
    Neuron,
    NeuronGroup,
    Synapses,
    WTA_connections,
    add_synapses,
    add_wta_conns,
    remove_synapses,
)
