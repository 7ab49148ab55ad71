"""Compatibility with the dynapse-simulator teaching code (the "seed"): its names and defaults.

The dynapse-simulator (Demirag, Donati, Indiveri; public repository
``YigitDemirag/dynapse-simulator``) describes a DYNAP-SE1 core by a dictionary of physical
parameters (``parameters/dynapse_param.py``) and dimensionless DPI gains ``alpha = Ig/Itau``.
dynsim programs a core with coarse/fine biases instead. This module holds:

* :data:`SEED_PARAMETERS`: the seed's default parameter dictionary, by the seed's names (the
  single source of the seed preset; :mod:`dynsim.seed.parameters.dynapse_param` re-exports it
  as ``dynapse_param``);
* :func:`seed_preset`: those defaults converted to the 25 biases of a core (rounded to the
  coarse/fine grid, see :func:`dynsim.dynapse.biases.resolve_biases` for the conversion of every
  seed name);
* :class:`SeedDynapSE`: :class:`dynsim.dynapse.DynapSE` with the seed preset on every core at
  construction, and ``set_bias`` converting the seed's gains with the core's *current* leak
  currents (as the seed does: ``Ig = alpha Itau``);
* :func:`same_jump_bias`: for a fractional seed weight, the whole number of CAM entries and the
  weight bias that give the same synaptic jump on the chip.

Seed preset versus dynsim's factory defaults
--------------------------------------------
=====================  ===========================  =================================
quantity               seed preset                  dynsim factory default
=====================  ===========================  =================================
synaptic jump          w0 x alpha = 100 pA x 4       ~100 pA per CAM entry
                       = 400 pA per unit weight
AHP jump per spike     1 pA x 4 = 4 pA               ~0.94 pA
AHP time constant      Itau_ahp 1 pA: 141.8 ms       Itau_ahp 2 pA: 70.9 ms
membrane               Itau 5 pA, Ith 20.2 pA        Itau 5 pA, Ith 20.2 pA
synapse leaks          AMPA 20.2, NMDA 2, GABA 5 pA  the same
DC input               1 pA (the seed's I0)          0
=====================  ===========================  =================================

The factory defaults (:data:`dynsim.dynapse.biases.BIAS_TABLE`) are dynsim's choice for a
freshly programmed chip (small pulses, a neuron that needs several coincident inputs); the
seed preset reproduces the seed's lessons (a single AMPA input of weight 2 drives the neuron).

Adaptation near rheobase
------------------------
dynsim's DPI currents relax to the leakage current ``I0`` (``dI/dt = -(I - I0)/tau``); the
seed's adaptation current starts at 0 and decays as ``dI/dt = -I/tau`` (through ``I0`` and
below it, clipped to ``I0`` where the membrane sees it). On silicon a DPI output current is
the sub-threshold current of a transistor whose gate voltage cannot fall below ground, so it
never drops below that transistor's leakage ``I0`` (Chicca et al. 2014, sec. II; Bartolozzi &
Indiveri 2007, the DPI's output ``I_out = I0 exp(kappa V/U_T)``): dynsim's floor is the
silicon's behaviour. The adaptation current of the two models differs by at most ``I0`` =
1 pA, which matters only where the input barely exceeds the leak (near rheobase); the
measured figures are in ``docs/seed.md``.

References
----------
Chicca E., Stefanini F., Bartolozzi C., Indiveri G. (2014). Neuromorphic electronic circuits
for building autonomous cognitive systems. Proc. IEEE 102(9), 1367-1388.

Bartolozzi C., Indiveri G. (2007). Synaptic dynamics in analog VLSI. Neural Computation
19(10), 2581-2603.

Examples
--------
>>> from brian2 import Network, pA
>>> from dynsim.dynapse.seed import SeedDynapSE, same_jump_bias
>>> chip = SeedDynapSE(Network(), engine="numpy", name="seeddoc")
>>> chip.set_bias({"Isoma_ahp_tau": 1 * pA, "alpha_ahp": 2}, "Core_1")
>>> entries, bias = same_jump_bias("NMDA", 0.35, chip.get_bias("Core_1"))
>>> entries, bias
(1, {'PS_WEIGHT_EXC_S_N': (1, 85)})
"""

from __future__ import annotations

from typing import Any

from brian2 import Quantity, amp, ms, mV, pA, pF

from dynsim.dynapse import physics
from dynsim.dynapse.biases import (
    BIAS_TABLE,
    bias_current,
    bias_spec,
    nearest_coarse_fine,
    resolve_biases,
)
from dynsim.dynapse.chip import DynapSE, cam_counts
from dynsim.dynapse.config import Dynapse1ParameterGroup
from dynsim.dynapse.constants import CORES_PER_CHIP, NUM_CHIPS, SYNAPSE_TYPES
from dynsim.errors import InvalidSettingError, WeightError, suggest

__all__ = [
    "SEED_PARAMETERS",
    "SeedDynapSE",
    "same_jump_bias",
    "same_jump_hint",
    "seed_preset",
]

#: The dynapse-simulator's default parameters, by its names (values of its published
#: ``dynapse_param``; ``I0`` = 1 pA). Layout constants are included so that the whole
#: dictionary can be given to ``set_bias``; they must keep the chip's values.
SEED_PARAMETERS: dict[str, Any] = {
    # substrate
    "kn": physics.KAPPA_N, "kp": physics.KAPPA_P, "Ut": physics.U_T, "I0": physics.I0,
    # DPI gains alpha = Ig/Itau
    "alpha_soma": 4, "alpha_ahp": 4, "alpha_nmda": 4, "alpha_ampa": 4,
    "alpha_gaba_a": 4, "alpha_gaba_b": 4,
    # soma
    "Csoma_mem": 2 * pF, "Isoma_dpi_tau": 5 * pA, "Isoma_th": 2000 * pA,
    "Isoma_reset": 1.2 * pA, "Isoma_const": 1 * pA, "soma_refP": 5 * ms,
    # adaptation
    "Csoma_ahp": 4 * pF, "Isoma_ahp_tau": 1 * pA, "Isoma_ahp_w": 1 * pA,
    # positive feedback
    "Isoma_pfb_gain": 100 * pA, "Isoma_pfb_th": 1000 * pA, "Isoma_pfb_norm": 20 * pA,
    # synapses: capacitance, leak, base weight, initial value (+ the NMDA gate voltage)
    "Cnmda": 2 * pF, "Inmda_tau": 2 * pA, "Inmda_w0": 100 * pA, "Inmda": 1 * pA,
    "Vnmda": 10 * mV,
    "Campa": 2 * pF, "Iampa_tau": 20 * pA, "Iampa_w0": 100 * pA, "Iampa": 1 * pA,
    "Cgaba_b": 2 * pF, "Igaba_b_tau": 5 * pA, "Igaba_b_w0": 100 * pA, "Igaba_b": 1 * pA,
    "Cgaba_a": 2 * pF, "Igaba_a_tau": 5 * pA, "Igaba_a_w0": 100 * pA, "Igaba_a": 1 * pA,
}

_WEIGHT_BIAS: dict[str, str] = {s.group: s.samna_name for s in BIAS_TABLE
                                if s.kind == "weight" and s.group in SYNAPSE_TYPES}


def seed_preset() -> dict[str, tuple[int, int]]:
    """Return the seed's defaults as ``{samna name: (coarse, fine)}`` (the biases it sets).

    Biases the seed has no parameter for (IF_TAU2_N, the unmodelled biases) are not in the
    result and keep their values.

    Examples
    --------
    >>> from dynsim.dynapse.biases import bias_current
    >>> from brian2 import pA
    >>> preset = seed_preset()
    >>> round(float(bias_current("IF_AHTHR_N", *preset["IF_AHTHR_N"]) / pA), 2)  # 4 x 1 pA
    4.0
    """
    return resolve_biases(SEED_PARAMETERS)


class SeedDynapSE(DynapSE):
    """:class:`dynsim.dynapse.DynapSE` with the dynapse-simulator's defaults on every core.

    At construction every core of the board gets :func:`seed_preset`. ``set_bias`` (the board
    core's, as for every front door) converts the seed's gains ``alpha_*`` with the core's
    current leak currents, so
    ``chip.set_bias({"Iampa_tau": 20 * pA}, "Core_1")`` keeps ``alpha_ampa`` as the seed
    does. Everything else is :class:`~dynsim.dynapse.DynapSE`.

    Parameters
    ----------
    network : brian2.Network, optional
        As for :class:`~dynsim.dynapse.DynapSE`.
    **kwargs
        ``dt``, ``engine``, ``mismatch``, ``name`` (see :class:`~dynsim.dynapse.DynapSE`).

    Examples
    --------
    >>> from brian2 import Network, pA
    >>> chip = SeedDynapSE(Network(), engine="numpy", name="seedclass")
    >>> chip.get_bias("Core_0").get_parameter_by_name("IF_AHTHR_N")
    Dynapse1Parameter('IF_AHTHR_N', 0, 68)
    """

    def __init__(self, network: Any = None, **kwargs: Any) -> None:
        super().__init__(network, **kwargs)
        preset = seed_preset()
        for chip in range(NUM_CHIPS):
            for core in range(CORES_PER_CHIP):
                self.set_bias(preset, core, chip)



def same_jump_bias(synapse_type: str, weight: float,
                   current: Dynapse1ParameterGroup | None = None
                   ) -> tuple[int, dict[str, tuple[int, int]]]:
    """Return the CAM entries and weight bias that give the jump of a fractional weight.

    The chip stores whole CAM entries, so a seed weight ``w`` becomes ``n`` entries (rounded
    half up, at least 1). Scaling the synapse type's weight current by ``w/n`` gives the same
    jump ``n (Ith/Itau) Iw' = w (Ith/Itau) Iw``. The weight bias is shared by every synapse of
    that type on the core.

    Parameters
    ----------
    synapse_type : str
        ``'AMPA'``, ``'NMDA'``, ``'GABA_A'`` or ``'GABA_B'``.
    weight : float
        The fractional weight (> 0).
    current : Dynapse1ParameterGroup, optional
        The core's biases (``chip.get_bias(core)``); default: the factory defaults.

    Returns
    -------
    entries : int
        The weight to give (``syn.weight = entries``).
    bias : dict
        ``{weight bias samna name: (coarse, fine)}`` for ``chip.set_bias(bias, core)``.

    Raises
    ------
    dynsim.errors.InvalidSettingError
        For an unknown synapse type.
    dynsim.errors.WeightError
        For a weight that is not a finite number > 0.
    dynsim.errors.BiasRangeError
        When the scaled weight current is beyond the largest bias current.

    Examples
    --------
    >>> same_jump_bias("NMDA", 0.5)   # half of the default 25.1 pA weight current
    (1, {'PS_WEIGHT_EXC_S_N': (0, 214)})
    """
    if synapse_type not in _WEIGHT_BIAS:
        raise InvalidSettingError(f"unknown synapse type {synapse_type!r}."
                                  f"{suggest(str(synapse_type), list(_WEIGHT_BIAS))} The types "
                                  f"are {', '.join(_WEIGHT_BIAS)}.")
    counts, _ = cam_counts(weight)
    if counts.ndim != 0 or float(weight) <= 0:
        raise WeightError(f"same_jump_bias takes one weight > 0, got {weight!r}")
    entries = int(counts)
    name = _WEIGHT_BIAS[synapse_type]
    if current is None:
        iw = float(bias_spec(name).default_current / amp)
    else:
        parameter = current.param_map[name]
        iw = float(bias_current(name, parameter.coarse_value, parameter.fine_value) / amp)
    wanted = iw * float(weight) / entries
    return entries, {name: nearest_coarse_fine(wanted * amp, name)}


def same_jump_hint(synapse_type: str, weight: float,
                   current: Dynapse1ParameterGroup | None = None) -> str:
    """Return one sentence for the fractional-weight warning: how to get the same jump.

    Examples
    --------
    >>> print(same_jump_hint("NMDA", 0.5))  # doctest: +NORMALIZE_WHITESPACE
    For the same jump, set weight 1 and chip.set_bias({'PS_WEIGHT_EXC_S_N': (0, 214)}, core)
    (Iw_nmda = 12.6 pA; it applies to every NMDA synapse of the core).
    """
    entries, bias = same_jump_bias(synapse_type, weight, current)
    (name, (coarse, fine)), = bias.items()
    value: Quantity = bias_current(name, coarse, fine)
    return (f"For the same jump, set weight {entries} and chip.set_bias({{'{name}': "
            f"({coarse}, {fine})}}, core) ({bias_spec(name).physical_name} = "
            f"{float(value / pA):.3g} pA; it applies to every {synapse_type} synapse of the "
            f"core).")
