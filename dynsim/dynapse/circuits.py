"""Brian2 objects of the emulated chip (neurons, synapses, the state updater).

They are shared by the beginner layer, the samna model and :class:`~dynsim.dynapse.Experiment`.

Everything here takes an explicit, deterministic ``name`` (so compiled code is found in the
cache again), an explicit ``codeobj_class`` (dynsim never changes ``prefs.codegen.target``)
and its own ``dt`` (dynsim never changes ``defaultclock``). The equations themselves come from
:mod:`dynsim.dynapse.physics`.

Examples
--------
>>> from dynsim.dynapse.circuits import make_neurons
>>> group = make_neurons(2, name="doc_neurons", engine="numpy")
>>> sorted(group.variables)[:3]
['I_ampa', 'I_gaba_a', 'I_gaba_b']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from brian2 import NeuronGroup, Quantity, Synapses
from brian2.stateupdaters.base import StateUpdateMethod
from brian2.stateupdaters.explicit import euler

from dynsim.dynapse import physics
from dynsim.dynapse.biases import BIAS_NAMES, PHYSICAL_TO_SAMNA, SAMNA_TO_PHYSICAL
from dynsim.dynapse.config import Dynapse1ParameterGroup
from dynsim.dynapse.constants import (
    CORES_PER_CHIP,
    DEFAULT_DT,
    NEURONS_PER_CHIP,
    NEURONS_PER_CORE,
    SYNAPSE_TYPES,
)
from dynsim.engine import codeobj_class as _codeobj_class
from dynsim.errors import InvalidSettingError

__all__ = [
    "BIAS_PARAMETERS",
    "MERGED_SYNAPSE_MODEL",
    "SYNAPSE_MODEL",
    "DynapseNeuronGroup",
    "FlooredEuler",
    "bias_currents",
    "make_neurons",
    "make_synapses",
    "merged_on_pre",
    "on_pre",
    "set_parameters",
]

#: Model of every dynsim synapse: its weight is a whole number of CAM entries.
SYNAPSE_MODEL = "weight : integer (constant)  # number of CAM entries"
#: Model of a merged synapse object that carries all four types.
MERGED_SYNAPSE_MODEL = SYNAPSE_MODEL + "\nsyn_type : integer (constant)  # Dynapse1SynType value"


class FlooredEuler(StateUpdateMethod):
    """Forward Euler followed by ``Imem = max(Imem, I0)``.

    The linear decays of :data:`~dynsim.dynapse.physics.NEURON_EQUATIONS` are written with
    exact rates, so Euler integrates them exactly; the floor keeps the membrane current at
    or above the leakage current even for very strong inhibition, where an explicit step
    would overshoot below zero.
    """

    def can_integrate(self, equations, variables, method_options=None):  # noqa: D102
        return euler.can_integrate(equations, variables, method_options)

    def __call__(self, equations, variables=None, method_options=None):  # noqa: D102
        return euler(equations, variables, method_options) + "\nImem = clip(Imem, I0, inf)"


#: Parameters of the neuron group that core-wide biases set (never written per neuron).
BIAS_PARAMETERS: frozenset[str] = frozenset(
    physics.state_parameters({name: np.ones(1) for name in SAMNA_TO_PHYSICAL.values()},
                             DEFAULT_DT))


class DynapseNeuronGroup(NeuronGroup):
    """A ``NeuronGroup`` of DYNAP-SE neurons that knows where it sits on the board.

    Attributes
    ----------
    chip_id, core_id : int
        Chip and core of the neurons (``-1`` when the group spans several cores).
    global_ids : numpy.ndarray
        Board-wide id of each neuron of the group.

    Notes
    -----
    The bias parameters (``Itau_mem``, ``Idc``, ``k_ampa``, ...) are core-wide on the chip:
    assigning them on the group raises an error that points to ``set_bias``. State
    variables (``Imem``, ``I_ampa``, ...) can be set as initial conditions.
    """

    def __init__(self, n: int, *args, global_ids: np.ndarray | None = None,
                 bias_hint: str = "set_bias", **kwargs) -> None:
        self.global_ids = (np.arange(n) if global_ids is None
                           else np.asarray(global_ids, dtype=np.int64))
        chips = set((self.global_ids // NEURONS_PER_CHIP).tolist())
        cores = set((self.global_ids // NEURONS_PER_CORE).tolist())
        self.chip_id = chips.pop() if len(chips) == 1 else -1
        self.core_id = cores.pop() % CORES_PER_CHIP if len(cores) == 1 else -1
        self._bias_hint = bias_hint
        #: called as ``refresh(group)`` before each run: the board writes its biases (a
        #: direct edit of the board's configuration reaches every neuron of the core)
        self._bias_refresh: Callable[[DynapseNeuronGroup], None] | None = None
        super().__init__(n, *args, **kwargs)

    def before_run(self, run_namespace: Any = None) -> None:
        """Bring the bias parameters up to date with the board, then prepare the run."""
        if self._bias_refresh is not None:
            self._bias_refresh(self)
        super().before_run(run_namespace)

    def __setattr__(self, key: str, value: object) -> None:
        base = key[:-1] if key.endswith("_") else key
        if base in BIAS_PARAMETERS and hasattr(self, "_group_attribute_access_active"):
            samna = PHYSICAL_TO_SAMNA.get(base)
            if samna:
                raise InvalidSettingError(
                    f"{base} is the core-wide bias {samna} on the DYNAP-SE, not a per-neuron "
                    f"value: use {self._bias_hint}({{{base!r}: value}}, core)")
            raise InvalidSettingError(f"{base} is computed from the core's biases: change the "
                                      f"bias with {self._bias_hint}(...) instead")
        super().__setattr__(key, value)


def make_neurons(n: int, name: str, dt: Quantity = DEFAULT_DT, engine: str | None = None,
                 codeobj_class: type | None = None, global_ids: np.ndarray | None = None,
                 bias_hint: str = "set_bias") -> DynapseNeuronGroup:
    """Return a group of ``n`` DYNAP-SE neurons at rest, with default-free parameters.

    Parameters
    ----------
    n : int
        Number of neurons.
    name : str
        Deterministic Brian2 name.
    dt : Quantity
        Time step of the group's own clock.
    engine : str, optional
        Runtime engine (``'cython'``, ``'numpy'``, ``'auto'``); ignored when
        ``codeobj_class`` is given.
    codeobj_class : type, optional
        Explicit code-object class; ``None`` with ``engine='standalone'`` (the device's own).

    Notes
    -----
    The parameters (``Itau_mem``, ``k_ampa``, ...) are zero until :func:`set_parameters`
    is called.
    """
    if codeobj_class is None and engine != "standalone":
        codeobj_class = _codeobj_class(engine)
    group = DynapseNeuronGroup(
        n, physics.NEURON_EQUATIONS, global_ids=global_ids, bias_hint=bias_hint,
        threshold=physics.NEURON_THRESHOLD,
        reset=physics.NEURON_RESET, method=FlooredEuler(),
        namespace=dict(physics.NEURON_NAMESPACE), dt=dt, name=name,
        codeobj_class=codeobj_class,
    )
    for variable in physics.STATE_VARIABLES:
        setattr(group, variable, physics.I0)
    return group


def on_pre(synapse_type: str) -> str:
    """Return the ``on_pre`` statement of one synapse type (an increment of the post DPI).

    Examples
    --------
    >>> on_pre("AMPA")
    'I_ampa_post += weight*Ijump_ampa_post'
    """
    circuit = synapse_type.lower()
    return f"I_{circuit}_post += weight*{physics.jump_expression(circuit, '_post')}"


def merged_on_pre() -> str:
    """Return the ``on_pre`` code of a synapse object carrying all four types."""
    return "\n".join(
        f"I_{t.lower()}_post += weight*int(syn_type == {value})*"
        f"{physics.jump_expression(t.lower(), '_post')}"
        for value, t in enumerate(SYNAPSE_TYPES))


def make_synapses(source, target: NeuronGroup, name: str, synapse_type: str | None,
                  engine: str | None = None, codeobj_class: type | None = None,
                  synapses_class: type = Synapses, **kwargs) -> Synapses:
    """Return a Synapses object onto DYNAP-SE neurons (one type, or all when ``None``)."""
    if codeobj_class is None and engine != "standalone":
        codeobj_class = _codeobj_class(engine)
    model = SYNAPSE_MODEL if synapse_type is not None else MERGED_SYNAPSE_MODEL
    code = on_pre(synapse_type) if synapse_type is not None else merged_on_pre()
    return synapses_class(source, target, model=model, on_pre=code, name=name,
                          dt=target.clock.dt, codeobj_class=codeobj_class, **kwargs)


def bias_currents(groups: Sequence[Dynapse1ParameterGroup], factors: np.ndarray | None = None
                  ) -> dict[str, np.ndarray]:
    """Return per-neuron bias currents (amperes) keyed by physical name.

    Parameters
    ----------
    groups : sequence of Dynapse1ParameterGroup
        The parameter group of each neuron's core, one entry per neuron.
    factors : array, optional
        Mismatch factors, shape ``(len(groups), 25)`` (columns in ``BIAS_NAMES`` order).
    """
    cache: dict[int, np.ndarray] = {}
    table = np.empty((len(groups), len(BIAS_NAMES)))
    for row, group in enumerate(groups):
        key = id(group)
        if key not in cache:
            currents = group.currents()
            cache[key] = np.array([currents[SAMNA_TO_PHYSICAL[n]] for n in BIAS_NAMES])
        table[row] = cache[key]
    if factors is not None:
        table = table * factors
    return {SAMNA_TO_PHYSICAL[n]: table[:, col] for col, n in enumerate(BIAS_NAMES)}


def set_parameters(group: NeuronGroup, currents: Mapping[str, np.ndarray],
                   indices: np.ndarray | slice | None = None) -> dict[str, np.ndarray]:
    """Write the parameters for ``currents`` into ``group`` (runtime devices).

    Returns the parameter values (SI floats) that were written.
    """
    values = physics.state_parameters(currents, group.clock.dt)
    where = slice(None) if indices is None else indices
    for variable, value in values.items():
        group.variables[variable].get_addressable_value(variable, group)[where] = (
            Quantity(value, dim=group.variables[variable].dim))
    return values
