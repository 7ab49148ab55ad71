"""``dynapse_eq``: the equation dictionaries of the seed's ``equations.dynapse_eq``, from dynsim.

Replaces the seed's ``from equations.dynapse_eq import *``. The course notebooks only import
it; these functions return dynsim's DPI equations (:mod:`dynsim.dynapse.physics`) in the shape
the seed's functions have (keyword arguments of a Brian2 ``NeuronGroup`` / ``Synapses``), for a
notebook that builds its own groups. Give ``namespace=physics.NEURON_NAMESPACE`` to the group
and set its bias parameters with :func:`dynsim.dynapse.physics.state_parameters`; the chip's
own groups (``chip.get_neurons``) need none of this.

Examples
--------
>>> from dynsim.seed.equations.dynapse_eq import dynapse_ampa_syn_eq
>>> dynapse_ampa_syn_eq()["on_pre"]
'I_ampa_post += Ijump_ampa_post*weight'
"""

from __future__ import annotations

from dynsim.dynapse import physics

__all__ = [
    "dynapse_ampa_syn_eq",
    "dynapse_eq",
    "dynapse_gaba_a_syn_eq",
    "dynapse_gaba_b_syn_eq",
    "dynapse_nmda_syn_eq",
]


def dynapse_eq() -> dict[str, str]:
    """Return the neuron's ``model``, ``threshold``, ``reset``, ``refractory`` and ``method``."""
    return {"model": physics.NEURON_EQUATIONS, "threshold": physics.NEURON_THRESHOLD,
            "reset": physics.NEURON_RESET, "refractory": "t_refr", "method": "euler"}


def _synapse(circuit: str) -> dict[str, str]:
    return {"model": "weight : 1  # whole CAM entries on the chip",
            "on_pre": f"I_{circuit}_post += {physics.jump_expression(circuit, '_post')}*weight",
            "method": "euler"}


def dynapse_nmda_syn_eq() -> dict[str, str]:
    """Return the NMDA (slow excitatory) synapse: ``weight`` pulses of ``Ijump_nmda``."""
    return _synapse("nmda")


def dynapse_ampa_syn_eq() -> dict[str, str]:
    """Return the AMPA (fast excitatory) synapse: ``weight`` pulses of ``Ijump_ampa``."""
    return _synapse("ampa")


def dynapse_gaba_b_syn_eq() -> dict[str, str]:
    """Return the GABA_B (subtractive inhibitory) synapse: ``weight`` pulses."""
    return _synapse("gaba_b")


def dynapse_gaba_a_syn_eq() -> dict[str, str]:
    """Return the GABA_A (shunting inhibitory) synapse: ``weight`` pulses."""
    return _synapse("gaba_a")
