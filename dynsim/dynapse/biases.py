"""The 25 biases of a DYNAP-SE1 core and the coarse/fine <-> current conversion.

Two tables are the single source of every bias fact in dynsim:

* :data:`BIAS_TABLE`: one :class:`BiasSpec` per samna bias name: its physical name in the
  emulator, the chip's group, the circuit it drives, its role, its default ``(coarse,
  fine)`` and its transistor type (N/P). Every other view (name maps, the grouping for
  panels, default dictionaries) is derived from it.
* :data:`COARSE_FINE_TABLE`: the conversion of ``(coarse, fine)`` to a current, a
  :class:`CoarseFineTable`. **Approximate**: the SE1 has no published measured table; the
  values are the analytic approximation Rockpool used (``I = I_max[coarse] * fine/255``, the
  maximum current growing ~x8 per coarse step from 15 pA to 24 uA). Replace it with a
  measured table with :func:`set_coarse_fine_table`.

dynsim's factory defaults (the ``default`` column of :data:`BIAS_TABLE`) are dynsim's own
choice, not the seed's: they take the seed's time constants and membrane gain (C_mem 2 pF and
Itau_mem 5 pA: tau_mem 14.2 ms; Ith_mem ~ 4 Itau_mem; refractory 5 ms; Itau AMPA ~20 pA /
NMDA 2 pA / GABA 5 pA) but keep the synaptic and adaptation pulses small, as a freshly
programmed chip does: ~100 pA per CAM entry (Ith/Itau x Iw) and ~0.94 pA per AHP spike. The
dynapse-simulator seed's own defaults are larger (w0 x weight x alpha = 100 pA x 4 = 400 pA per
unit weight, AHP 1 pA x 4 = 4 pA per spike); they are the preset
:data:`dynsim.dynapse.seed.SEED_PARAMETERS`, applied by :class:`dynsim.dynapse.seed.SeedDynapSE`.

The seed's parameter names (:data:`SEED_BIAS_NAMES`, e.g. ``'Isoma_ahp_tau'``) and its
dimensionless gains ``alpha_*`` (:data:`SEED_GAINS`, ``alpha = Ith/Itau``) are accepted by
:func:`resolve_biases` next to the samna and physical names, and converted to biases.

Examples
--------
>>> from dynsim.dynapse.biases import bias_current, nearest_coarse_fine, time_constant
>>> from brian2 import pA, ms
>>> round(float(bias_current("IF_TAU1_N", 0, 85) / pA), 6)
5.0
>>> nearest_coarse_fine(5 * pA)
(0, 85)
>>> round(float(time_constant("IF_TAU1_N", 0, 85) / ms), 1)
14.2
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, amp
from brian2.units.fundamentalunits import get_dimensions

from dynsim.dynapse import physics
from dynsim.dynapse.constants import COARSE_MAX, COARSE_MIN, FINE_MAX, FINE_MIN
from dynsim.errors import BiasRangeError, UnknownBiasError, suggest
from dynsim.validation import is_whole_number

__all__ = [
    "BIAS_GROUPS",
    "BIAS_NAMES",
    "BIAS_TABLE",
    "COARSE_FINE_TABLE",
    "PHYSICAL_TO_SAMNA",
    "SAMNA_TO_PHYSICAL",
    "SEED_BIAS_NAMES",
    "SEED_CONSTANTS",
    "SEED_GAINS",
    "BiasSpec",
    "CoarseFineTable",
    "bias_current",
    "bias_spec",
    "coarse_fine_to_current",
    "default_biases",
    "get_coarse_fine_table",
    "nearest_coarse_fine",
    "refractory_period",
    "resolve_bias",
    "resolve_biases",
    "seed_gain",
    "set_coarse_fine_table",
    "time_constant",
    "use_coarse_fine_table",
]


# --------------------------------------------------------------------------- coarse/fine
@dataclass(frozen=True)
class CoarseFineTable:
    """Conversion of a bias ``(coarse, fine)`` to a current: ``I = I_max[coarse]*fine/fine_max``.

    Parameters
    ----------
    max_current : tuple of float
        Current (amperes) at the largest fine value, one per coarse value 0..7.
    fine_max : int
        The fine value that gives ``max_current`` (255).
    source : str
        Where the numbers come from (shown in the documentation and the widgets).

    Notes
    -----
    A measured table can replace this one (:func:`set_coarse_fine_table`) as long as the
    current grows with ``fine`` at fixed ``coarse``.

    Examples
    --------
    >>> table = CoarseFineTable(max_current=(15e-12, 105e-12, 820e-12, 6.5e-9, 50e-9,
    ...                                      400e-9, 3.2e-6, 24e-6))
    >>> table.current(1, 255)
    1.05e-10
    """

    max_current: tuple[float, ...]
    fine_max: int = FINE_MAX
    source: str = "analytic approximation (Rockpool BiasGen for SE1); not measured"

    def __post_init__(self) -> None:
        if len(self.max_current) != COARSE_MAX - COARSE_MIN + 1:
            raise BiasRangeError(f"a coarse/fine table needs {COARSE_MAX - COARSE_MIN + 1} "
                                 f"coarse currents, got {len(self.max_current)}")

    def current(self, coarse: int, fine: int | np.ndarray) -> float | np.ndarray:
        """Return the current in amperes (float, or array for an array of fine values)."""
        return self.max_current[coarse] * fine / self.fine_max

    def nearest(self, current: float) -> tuple[int, int]:
        """Return the ``(coarse, fine)`` whose current is closest to ``current`` (amperes).

        Ties go to the smaller coarse value (finer steps there).
        """
        best: tuple[float, int, int] | None = None
        for coarse, top in enumerate(self.max_current):
            fine = int(np.clip(np.floor(current * self.fine_max / top + 0.5), 0, self.fine_max))
            error = abs(self.current(coarse, fine) - current)
            if best is None or error < best[0]:
                best = (error, coarse, fine)
        return best[1], best[2]

    @property
    def largest(self) -> float:
        """The largest current the table can make (amperes)."""
        return max(self.max_current)


#: The coarse/fine to current table in use (approximate, replaceable).
COARSE_FINE_TABLE = CoarseFineTable(
    max_current=(15e-12, 105e-12, 820e-12, 6.5e-9, 50e-9, 400e-9, 3.2e-6, 24e-6),
)
_table: list[CoarseFineTable] = [COARSE_FINE_TABLE]


def get_coarse_fine_table() -> CoarseFineTable:
    """Return the coarse/fine table in use."""
    return _table[0]


def set_coarse_fine_table(table: CoarseFineTable) -> CoarseFineTable:
    """Replace the coarse/fine table (e.g. by a measured one); return the previous one.

    Biases already applied to a running emulation keep their currents until they are set
    again.
    """
    if not isinstance(table, CoarseFineTable):
        raise TypeError(f"expected a CoarseFineTable, got {type(table).__name__}")
    previous, _table[0] = _table[0], table
    return previous


@contextmanager
def use_coarse_fine_table(table: CoarseFineTable) -> Iterator[CoarseFineTable]:
    """Use ``table`` inside a ``with`` block, then restore the previous table."""
    previous = set_coarse_fine_table(table)
    try:
        yield table
    finally:
        set_coarse_fine_table(previous)


# --------------------------------------------------------------------------- bias table
@dataclass(frozen=True)
class BiasSpec:
    """One bias of a core: what it is called, what it drives and its default.

    Attributes
    ----------
    samna_name : str
        Name in samna (``'IF_TAU1_N'``).
    physical_name : str
        Name of the current in the emulator's equations (``'Itau_mem'``).
    group : str
        Group on the chip: ``'neuron'``, ``'adaptation'``, ``'AMPA'``, ``'NMDA'``,
        ``'GABA_A'``, ``'GABA_B'`` or ``'other'``.
    circuit : str
        DPI circuit it biases (``'mem'``, ``'ahp'``, ``'ampa'``, ...), ``''`` for none.
    kind : str
        ``'tau'`` (leak: sets a time constant), ``'gain'``, ``'weight'``, ``'dc'``,
        ``'refractory'``, ``'nmda_gate'`` or ``'unmodelled'``.
    role : str
        One sentence for students.
    default : tuple of int
        Default ``(coarse, fine)``.
    transistor : str
        ``'N'`` or ``'P'`` (the suffix of the samna name).
    scale : float
        Per-bias factor applied to the table current (1.0: no measured correction known).
    """

    samna_name: str
    physical_name: str
    group: str
    circuit: str
    kind: str
    role: str
    default: tuple[int, int]
    transistor: str
    scale: float = 1.0

    @property
    def modelled(self) -> bool:
        """Whether the emulator's equations use this bias."""
        return self.kind != "unmodelled"

    @property
    def default_current(self) -> Quantity:
        """Current of the default ``(coarse, fine)``."""
        return bias_current(self.samna_name, *self.default)


def _spec(samna, physical, group, circuit, kind, role, default) -> BiasSpec:
    return BiasSpec(samna, physical, group, circuit, kind, role, default, samna[-1])


#: The 25 biases of a DYNAP-SE1 core (single source of names, groups, roles, defaults).
BIAS_TABLE: tuple[BiasSpec, ...] = (
    # neuron
    _spec("IF_TAU1_N", "Itau_mem", "neuron", "mem", "tau",
          "membrane leak: sets tau_mem = C_mem U_T/(kappa Itau_mem)", (0, 85)),
    _spec("IF_TAU2_N", "Itau2_mem", "neuron", "mem", "unmodelled",
          "second membrane leak that selected neurons can use instead of IF_TAU1_N "
          "(not modelled: every emulated neuron uses IF_TAU1_N)", (0, 85)),
    _spec("IF_THR_N", "Ith_mem", "neuron", "mem", "gain",
          "membrane DPI gain: below threshold Imem settles at (Ith/Itau)(Iin - Itau)", (1, 49)),
    _spec("IF_DC_P", "Idc", "neuron", "mem", "dc",
          "constant input current injected into every neuron of the core", (0, 0)),
    _spec("IF_RFR_N", "Iref", "neuron", "mem", "refractory",
          "refractory period after a spike: t_refr = Q_refr/Iref (larger current, shorter)",
          (0, 85)),
    _spec("IF_NMDA_N", "Inmda_thr", "neuron", "nmda", "nmda_gate",
          "NMDA gate threshold: NMDA current reaches the soma as I_nmda/(1 + Inmda_thr/Imem)",
          (0, 23)),
    # adaptation
    _spec("IF_AHTAU_N", "Itau_ahp", "adaptation", "ahp", "tau",
          "adaptation leak: sets the AHP time constant C_ahp U_T/(kappa Itau_ahp)", (0, 34)),
    _spec("IF_AHTHR_N", "Ith_ahp", "adaptation", "ahp", "gain",
          "adaptation DPI gain: each spike adds (Ith_ahp/Itau_ahp) Iw_ahp to Iahp", (0, 136)),
    _spec("IF_AHW_P", "Iw_ahp", "adaptation", "ahp", "weight",
          "adaptation weight: the AHP pulse per spike (0 switches adaptation off)", (0, 4)),
    # AMPA
    _spec("NPDPIE_TAU_F_P", "Itau_ampa", "AMPA", "ampa", "tau",
          "AMPA (fast excitatory) leak: sets tau_ampa", (1, 49)),
    _spec("NPDPIE_THR_F_P", "Ith_ampa", "AMPA", "ampa", "gain",
          "AMPA DPI gain: an event adds (Ith_ampa/Itau_ampa) Iw_ampa per CAM entry", (1, 194)),
    _spec("PS_WEIGHT_EXC_F_N", "Iw_ampa", "AMPA", "ampa", "weight",
          "AMPA weight current of one CAM entry", (1, 61)),
    # NMDA
    _spec("NPDPIE_TAU_S_P", "Itau_nmda", "NMDA", "nmda", "tau",
          "NMDA (slow excitatory) leak: sets tau_nmda", (0, 34)),
    _spec("NPDPIE_THR_S_P", "Ith_nmda", "NMDA", "nmda", "gain",
          "NMDA DPI gain: an event adds (Ith_nmda/Itau_nmda) Iw_nmda per CAM entry", (0, 136)),
    _spec("PS_WEIGHT_EXC_S_N", "Iw_nmda", "NMDA", "nmda", "weight",
          "NMDA weight current of one CAM entry", (1, 61)),
    # GABA_A
    _spec("NPDPII_TAU_F_P", "Itau_gaba_a", "GABA_A", "gaba_a", "tau",
          "GABA_A (fast shunting inhibitory) leak: sets tau_gaba_a", (0, 85)),
    _spec("NPDPII_THR_F_P", "Ith_gaba_a", "GABA_A", "gaba_a", "gain",
          "GABA_A DPI gain: an event adds (Ith/Itau) Iw_gaba_a per CAM entry", (1, 49)),
    _spec("PS_WEIGHT_INH_F_N", "Iw_gaba_a", "GABA_A", "gaba_a", "weight",
          "GABA_A weight current of one CAM entry", (1, 61)),
    # GABA_B
    _spec("NPDPII_TAU_S_P", "Itau_gaba_b", "GABA_B", "gaba_b", "tau",
          "GABA_B (slow subtractive inhibitory) leak: sets tau_gaba_b", (0, 85)),
    _spec("NPDPII_THR_S_P", "Ith_gaba_b", "GABA_B", "gaba_b", "gain",
          "GABA_B DPI gain: an event adds (Ith/Itau) Iw_gaba_b per CAM entry", (1, 49)),
    _spec("PS_WEIGHT_INH_S_N", "Iw_gaba_b", "GABA_B", "gaba_b", "weight",
          "GABA_B weight current of one CAM entry", (1, 61)),
    # other
    _spec("IF_CASC_N", "Icasc", "other", "", "unmodelled",
          "cascode bias of the membrane DPI (keeps its leak current independent of the "
          "membrane voltage); not modelled", (0, 0)),
    _spec("IF_BUF_P", "Ibuf", "other", "", "unmodelled",
          "bias of the buffer that copies the membrane voltage to the spike comparator and "
          "the analog read-out; not modelled (placeholder default)", (3, 80)),
    _spec("PULSE_PWLK_P", "Ipulse", "other", "", "unmodelled",
          "pulse extender: width of the pulse an incoming event makes on the synapse; not "
          "modelled (an event adds its increment at once; placeholder default)", (3, 106)),
    _spec("R2R_P", "Ir2r", "other", "", "unmodelled",
          "bias of the rail-to-rail buffer of the analog monitoring output; not modelled "
          "(dynsim has no analog pads; placeholder default)", (3, 85)),
)

#: samna names of the 25 biases, in table order.
BIAS_NAMES: tuple[str, ...] = tuple(spec.samna_name for spec in BIAS_TABLE)
#: samna name -> physical name (derived, bijective).
SAMNA_TO_PHYSICAL: dict[str, str] = {s.samna_name: s.physical_name for s in BIAS_TABLE}
#: physical name -> samna name (derived, bijective).
PHYSICAL_TO_SAMNA: dict[str, str] = {s.physical_name: s.samna_name for s in BIAS_TABLE}
_SPECS: dict[str, BiasSpec] = {s.samna_name: s for s in BIAS_TABLE}
#: Group on the chip -> samna names of its biases (derived; the order of panels).
BIAS_GROUPS: dict[str, tuple[str, ...]] = {
    group: tuple(s.samna_name for s in BIAS_TABLE if s.group == group)
    for group in ("neuron", "adaptation", "AMPA", "NMDA", "GABA_A", "GABA_B", "other")
}


def bias_spec(name: str) -> BiasSpec:
    """Return the :class:`BiasSpec` of a samna or physical bias name.

    Raises
    ------
    dynsim.errors.UnknownBiasError
        When ``name`` is neither, with a "did you mean" hint.
    """
    if not isinstance(name, str):
        raise UnknownBiasError(f"a bias name is a string such as 'IF_DC_P', got "
                               f"{type(name).__name__} {name!r:.80}")
    if name in _SPECS:
        return _SPECS[name]
    if name in PHYSICAL_TO_SAMNA:
        return _SPECS[PHYSICAL_TO_SAMNA[name]]
    valid = [*BIAS_NAMES, *PHYSICAL_TO_SAMNA]
    raise UnknownBiasError(
        f"unknown bias {name!r}.{suggest(name, valid)} A DYNAP-SE1 core has the 25 samna "
        f"biases {', '.join(BIAS_NAMES)}; their physical names are "
        f"{', '.join(PHYSICAL_TO_SAMNA)}."
    )


def default_biases() -> dict[str, tuple[int, int]]:
    """Return the default ``(coarse, fine)`` of every bias, keyed by samna name."""
    return {s.samna_name: s.default for s in BIAS_TABLE}


def check_coarse_fine(name: str, coarse: object, fine: object) -> tuple[int, int]:
    """Return ``(coarse, fine)`` as ints after checking their ranges.

    Raises
    ------
    dynsim.errors.BiasRangeError
        For values that are not whole numbers or lie outside 0..7 / 0..255.
    """
    values = []
    for label, value, low, high in (("coarse", coarse, COARSE_MIN, COARSE_MAX),
                                    ("fine", fine, FINE_MIN, FINE_MAX)):
        if not is_whole_number(value):
            raise BiasRangeError(f"{name}: the {label} value must be a whole number in "
                                 f"{low}..{high}, got {value!r}")
        if not low <= int(value) <= high:
            raise BiasRangeError(f"{name}: {label} value {int(value)} is outside {low}..{high} "
                                 f"(coarse 0..7, fine 0..255)")
        values.append(int(value))
    return values[0], values[1]


def coarse_fine_to_current(coarse: int, fine: int) -> Quantity:
    """Return the table current of ``(coarse, fine)`` (no per-bias scale).

    Examples
    --------
    >>> from brian2 import pA
    >>> float(coarse_fine_to_current(0, 255) / pA)
    15.0
    """
    coarse, fine = check_coarse_fine("bias", coarse, fine)
    return get_coarse_fine_table().current(coarse, fine) * amp


def bias_current(name: str, coarse: int, fine: int) -> Quantity:
    """Return the current a bias makes at ``(coarse, fine)`` (table current x the bias scale)."""
    spec = bias_spec(name)
    coarse, fine = check_coarse_fine(spec.samna_name, coarse, fine)
    return get_coarse_fine_table().current(coarse, fine) * spec.scale * amp


def _as_amperes(name: str, current: object) -> float:
    if isinstance(current, Quantity):
        if get_dimensions(current) is not amp.dim:
            raise BiasRangeError(f"{name} is a current: give amperes (e.g. 5*pA), got {current}")
        value = float(current / amp)
    elif isinstance(current, int | float | np.integer | np.floating) and not isinstance(
        current, bool
    ):
        value = float(current)
    else:
        raise BiasRangeError(f"{name} is a current: give amperes (a number or e.g. 5*pA), "
                             f"got {current!r}")
    if not np.isfinite(value) or value < 0:
        raise BiasRangeError(f"{name}: a bias current must be >= 0 A and finite, got {current}")
    return value


def nearest_coarse_fine(current: Quantity | float, name: str | None = None) -> tuple[int, int]:
    """Return the ``(coarse, fine)`` whose current is nearest to ``current``.

    Parameters
    ----------
    current : Quantity or float
        Wanted current (amperes if a plain number).
    name : str, optional
        A bias name; its per-bias scale is taken into account.

    Raises
    ------
    dynsim.errors.BiasRangeError
        For a negative current or one above the largest the table can make.
    """
    spec = bias_spec(name) if name is not None else None
    label = spec.samna_name if spec is not None else "bias"
    value = _as_amperes(label, current)
    scale = spec.scale if spec is not None else 1.0
    table = get_coarse_fine_table()
    top = table.largest * scale
    step = table.max_current[-1] * scale / table.fine_max
    if value > top + step / 2:
        raise BiasRangeError(f"{label}: {value:.3g} A is more than the largest bias current "
                             f"{top:.3g} A (coarse 7, fine 255)")
    return table.nearest(value / scale)


def time_constant(name: str, coarse: int | None = None, fine: int | None = None
                  ) -> Quantity | None:
    """Return the time a bias sets at ``(coarse, fine)`` (default: its default value).

    For a leak ("tau") bias: ``C U_T/(kappa I)`` of its circuit; for IF_RFR_N: the
    refractory period; ``None`` for biases that set no time.

    Examples
    --------
    >>> from brian2 import ms
    >>> round(float(time_constant("NPDPIE_TAU_S_P") / ms), 1)
    35.5
    >>> time_constant("IF_DC_P") is None
    True
    """
    spec = bias_spec(name)
    if coarse is None and fine is None:
        coarse, fine = spec.default
    current = bias_current(spec.samna_name, coarse, fine)
    if spec.kind == "refractory":
        return physics.refractory_period_of(current)
    if spec.kind == "tau" or spec.samna_name == "IF_TAU2_N":
        return physics.dpi_time_constant(physics.CAPACITANCE[spec.circuit], current)
    return None


def refractory_period(coarse: int, fine: int) -> Quantity:
    """Return the refractory period that IF_RFR_N sets at ``(coarse, fine)``."""
    return physics.refractory_period_of(bias_current("IF_RFR_N", coarse, fine))


def resolve_bias(name: str, value: object) -> tuple[str, int, int]:
    """Turn one entry of a ``set_bias`` dictionary into ``(samna_name, coarse, fine)``.

    Parameters
    ----------
    name : str
        A samna name (``'IF_TAU1_N'``) or a physical name (``'Itau_mem'``).
    value : tuple, Dynapse1Parameter or current
        For a samna name: ``(coarse, fine)`` or a ``Dynapse1Parameter``; for a physical
        name: a current (``5*pA`` or a number of amperes), rounded to the nearest
        ``(coarse, fine)``, or also ``(coarse, fine)`` / a ``Dynapse1Parameter``.

    Raises
    ------
    dynsim.errors.UnknownBiasError
        For an unknown name, or a ``Dynapse1Parameter`` whose name differs from the key.
    dynsim.errors.BiasRangeError
        For values out of range or of the wrong kind.
    """
    spec = bias_spec(name)
    if hasattr(value, "param_name") and hasattr(value, "coarse_value"):
        if value.param_name != spec.samna_name:
            raise UnknownBiasError(f"the entry {name!r} holds a Dynapse1Parameter named "
                                   f"{value.param_name!r}; they must name the same bias")
        coarse, fine = check_coarse_fine(spec.samna_name, value.coarse_value, value.fine_value)
        return spec.samna_name, coarse, fine
    if isinstance(value, tuple | list):
        if len(value) != 2:
            raise BiasRangeError(f"{name}: expected (coarse, fine), got {value!r}")
        coarse, fine = check_coarse_fine(spec.samna_name, value[0], value[1])
        return spec.samna_name, coarse, fine
    if name == spec.samna_name:
        raise BiasRangeError(
            f"{name} is a samna name: give (coarse, fine) or a Dynapse1Parameter, got "
            f"{value!r}; to give a current use its physical name {spec.physical_name!r}")
    coarse, fine = nearest_coarse_fine(value, spec.samna_name)
    return spec.samna_name, coarse, fine


# --------------------------------------------------------------------------- seed names
def _seed_names() -> dict[str, tuple[str, str]]:
    names = {"Isoma_dpi_tau": ("Itau_mem", "current"), "Isoma_const": ("Idc", "current"),
             "soma_refP": ("Iref", "refractory"), "Vnmda": ("Inmda_thr", "voltage"),
             "Isoma_ahp_tau": ("Itau_ahp", "current"), "Isoma_ahp_w": ("Iw_ahp", "current")}
    for circuit in physics.SYNAPSE_CIRCUITS:
        names[f"I{circuit}_tau"] = (f"Itau_{circuit}", "current")
        names[f"I{circuit}_w0"] = (f"Iw_{circuit}", "current")
    return names


#: Settable parameter names of the dynapse-simulator seed -> (physical bias name, conversion):
#: ``'current'`` (the same current), ``'refractory'`` (a time, ``Iref = Q_refr/t``) or
#: ``'voltage'`` (``Vnmda``: ``Inmda_thr = I0 exp(kappa V/U_T)``).
SEED_BIAS_NAMES: dict[str, tuple[str, str]] = _seed_names()
#: The seed's dimensionless DPI gains -> the circuit whose ``Ith = alpha x Itau`` they set.
SEED_GAINS: dict[str, str] = {"alpha_soma": "mem", "alpha_ahp": "ahp",
                              **{f"alpha_{c}": c for c in physics.SYNAPSE_CIRCUITS}}
#: Names of the seed's dictionary that are layout constants or initial values on the chip
#: (not biases), with dynsim's value: accepted only with that value (nothing to set).
SEED_CONSTANTS: dict[str, Quantity | float] = {
    "kn": physics.KAPPA_N, "kp": physics.KAPPA_P, "Ut": physics.U_T, "I0": physics.I0,
    "Csoma_mem": physics.C_MEM, "Csoma_ahp": physics.C_AHP, "Isoma_th": physics.SPIKE_THRESHOLD,
    "Isoma_reset": physics.RESET_CURRENT, "Isoma_pfb_gain": physics.PFB_GAIN,
    "Isoma_pfb_th": physics.PFB_THRESHOLD, "Isoma_pfb_norm": physics.PFB_NORM,
    **{f"C{c}": physics.CAPACITANCE[c] for c in physics.SYNAPSE_CIRCUITS},
    **{f"I{c}": physics.I0 for c in physics.SYNAPSE_CIRCUITS},
}


def _seed_physical(name: str, value: object) -> Quantity:
    """Convert the value of a seed parameter (not a gain) to its bias current."""
    from brian2 import second, volt

    conversion = SEED_BIAS_NAMES[name][1]
    if conversion == "current":
        return _as_amperes(name, value) * amp
    unit, label = (second, "a time, e.g. 5*ms") if conversion == "refractory" else \
        (volt, "a voltage, e.g. 10*mV")
    if isinstance(value, Quantity):
        if get_dimensions(value) is not unit.dim:
            raise BiasRangeError(f"{name} is {label}; got {value}")
        number = float(value / unit)
    elif isinstance(value, int | float | np.integer | np.floating) and not isinstance(
            value, bool):
        number = float(value)
    else:
        raise BiasRangeError(f"{name} is {label}; got {value!r:.80}")
    if not np.isfinite(number) or (conversion == "refractory" and number <= 0):
        bound = " and > 0" if conversion == "refractory" else ""
        raise BiasRangeError(f"{name} must be finite{bound}, got {value}")
    if conversion == "refractory":
        return physics.REFRACTORY_CHARGE / (number * second)
    exponent = physics.KAPPA * number / float(physics.U_T / volt)
    if exponent > 50:
        raise BiasRangeError(f"{name} = {value} gives an NMDA threshold current above any bias")
    return physics.I0 * float(np.exp(exponent))


def seed_gain(name: str, value: object) -> float:
    """Return a seed gain ``alpha_*`` (dimensionless, finite, >= 0) as a float.

    Raises
    ------
    dynsim.errors.UnknownBiasError
        For a name that is not one of :data:`SEED_GAINS`.
    dynsim.errors.BiasRangeError
        For a value with units, negative, not finite or not a number.

    Examples
    --------
    >>> seed_gain("alpha_ahp", 2)
    2.0
    """
    if name not in SEED_GAINS:
        raise UnknownBiasError(f"unknown seed gain {name!r}.{suggest(name, list(SEED_GAINS))} "
                               f"The gains are {', '.join(SEED_GAINS)}.")
    if isinstance(value, Quantity):
        if not value.is_dimensionless:
            raise BiasRangeError(f"{name} is a dimensionless gain Ith/Itau, got {value}")
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise BiasRangeError(f"{name} is a dimensionless gain Ith/Itau (a number), got "
                             f"{value!r:.80}")
    if not np.isfinite(value) or value < 0:
        raise BiasRangeError(f"{name} must be a finite gain >= 0, got {value}")
    return float(value)


def _current_of(samna: str, resolved: dict[str, tuple[int, int]], current: object) -> float:
    """Return the current (A) of a bias: resolved here, else on the core, else default."""
    if samna in resolved:
        return float(bias_current(samna, *resolved[samna]) / amp)
    if current is not None:
        parameter = current.param_map[samna]
        return float(bias_current(samna, parameter.coarse_value, parameter.fine_value) / amp)
    return float(bias_spec(samna).default_current / amp)


def _check_seed_constant(name: str, value: object) -> None:
    expected = SEED_CONSTANTS[name]
    numeric = isinstance(value, Quantity | int | float | np.integer | np.floating) and \
        not isinstance(value, bool)
    if numeric and get_dimensions(value) is get_dimensions(expected):
        ratio = float(np.asarray(value) / np.asarray(expected))
        if np.isfinite(ratio) and abs(ratio - 1) < 1e-6:
            return
    raise BiasRangeError(
        f"{name} is not a bias on the DYNAP-SE1: it is fixed at layout (or an initial value) "
        f"and is {expected} on the chip, got {value!r:.80}. The biases are the samna names "
        f"{', '.join(BIAS_NAMES)}, their physical names, the seed names "
        f"{', '.join(SEED_BIAS_NAMES)} and the gains {', '.join(SEED_GAINS)}.")


def resolve_biases(biases: object, current: object = None) -> dict[str, tuple[int, int]]:
    """Turn the argument of a ``set_bias`` call into ``{samna_name: (coarse, fine)}``.

    Accepts a mapping of bias names to values (see :func:`resolve_bias`), a
    ``Dynapse1ParameterGroup``, or an iterable of ``Dynapse1Parameter``. A mapping may also use
    the dynapse-simulator seed's names:

    * :data:`SEED_BIAS_NAMES` (``'Isoma_ahp_tau'``, ``'Iampa_w0'``, ``'soma_refP'``, ...)
      convert to their physical bias. A seed leak name given without its gain keeps the
      circuit's gain ``alpha = Ith/Itau`` (in the seed, ``Ig = alpha Itau`` follows ``Itau``),
      so its ``Ith`` bias is set too.
    * the gains :data:`SEED_GAINS` (``alpha_ahp``: ``Ith_ahp = alpha x Itau_ahp``), with the
      ``Itau`` of the same dictionary (after rounding to the grid), else the core's current
      one (``current``), else the factory default;
    * :data:`SEED_CONSTANTS` (layout constants such as ``Isoma_th``) are accepted only with
      the chip's value, so a whole seed parameter dictionary can be passed.

    Every entry is checked before anything is returned, so a caller can apply all or nothing.

    Parameters
    ----------
    biases : mapping, Dynapse1ParameterGroup or iterable of Dynapse1Parameter
        The biases to set.
    current : Dynapse1ParameterGroup, optional
        The core's biases now (to convert a gain when its ``Itau`` is not in ``biases``).

    Raises
    ------
    dynsim.errors.UnknownBiasError, dynsim.errors.BiasRangeError
        For the first invalid entry.

    Examples
    --------
    >>> from brian2 import pA
    >>> out = resolve_biases({"Isoma_ahp_tau": 1 * pA, "alpha_ahp": 2})
    >>> [round(float(bias_current(k, *v) / pA), 2) for k, v in sorted(out.items())]
    [1.0, 2.0]
    """
    if hasattr(biases, "param_map"):
        biases = biases.param_map
    if isinstance(biases, dict) or hasattr(biases, "items"):
        items = list(biases.items())
    elif isinstance(biases, str) or not hasattr(biases, "__iter__"):
        raise BiasRangeError("set_bias takes a dictionary {bias name: value}, a "
                             "Dynapse1ParameterGroup or a list of Dynapse1Parameter; got "
                             f"{type(biases).__name__}")
    else:
        items = []
        for parameter in biases:
            if not hasattr(parameter, "param_name"):
                raise BiasRangeError("a list given to set_bias must hold Dynapse1Parameter "
                                     f"objects, got {parameter!r}")
            items.append((parameter.param_name, parameter))
    resolved: dict[str, tuple[int, int]] = {}
    gains: dict[str, float] = {}
    seed_leaks: list[str] = []
    for name, value in items:
        if not isinstance(name, str):
            raise UnknownBiasError(f"bias names are strings, got {name!r}")
        if name in SEED_GAINS:
            gains[SEED_GAINS[name]] = seed_gain(name, value)
            continue
        if name in SEED_CONSTANTS:
            _check_seed_constant(name, value)
            continue
        if name in SEED_BIAS_NAMES:
            target = SEED_BIAS_NAMES[name][0]
            samna, coarse, fine = resolve_bias(target, _seed_physical(name, value))
            if target.startswith("Itau_"):
                seed_leaks.append(target[len("Itau_"):])
        else:
            samna, coarse, fine = resolve_bias(name, value)
        resolved[samna] = (coarse, fine)
    for circuit in seed_leaks:  # the seed keeps alpha when Itau changes
        if circuit not in gains and PHYSICAL_TO_SAMNA[f"Ith_{circuit}"] not in resolved:
            tau, gain = PHYSICAL_TO_SAMNA[f"Itau_{circuit}"], PHYSICAL_TO_SAMNA[f"Ith_{circuit}"]
            before = {k: v for k, v in resolved.items() if k != tau}
            gains[circuit] = _current_of(gain, before, current) / max(
                _current_of(tau, before, current), float(physics.I0 / amp))
    for circuit, alpha in gains.items():
        tau = PHYSICAL_TO_SAMNA[f"Itau_{circuit}"]
        itau = max(_current_of(tau, resolved, current), float(physics.I0 / amp))
        samna, coarse, fine = resolve_bias(f"Ith_{circuit}", alpha * itau * amp)
        resolved[samna] = (coarse, fine)
    return resolved
