"""DPI circuit physics of the DYNAP-SE1: constants and equations (single source).

The emulator simulates each neuron of the chip as a differential-pair-integrator (DPI)
neuron with its adaptation (AHP) DPI and four DPI synapses, one per synapse type, exactly
as on silicon: *all* inputs of one type to one neuron share one DPI, so the synaptic state
is a variable of the neuron group (``I_ampa``, ``I_nmda``, ``I_gaba_a``, ``I_gaba_b``) and a
synapse only adds an increment to it.

Membrane (Chicca et al. 2014, eq. for the adaptive DPI neuron)::

    tau (1 + Ith/Imem) dImem/dt + Imem (1 + (Iahp + I_gaba_a)/Itau)
        = (Ith/Itau) (Iin - Iahp - I_gaba_a - Itau) + (Ipfb/Itau) (Imem + Ith)

    tau  = C_mem U_T / (kappa Itau_mem)
    Ipfb = Ipfb_gain / (1 + exp(-(Imem - Ipfb_th)/Ipfb_norm))      positive feedback
    Iin  = max(I_ampa + I_nmda/(1 + Inmda_thr/Imem) + Idc - I_gaba_b, I0)

:data:`NEURON_EQUATIONS` writes the same equation multiplied through by ``Itau Imem``
(three divisions per step instead of nine; the membrane update dominates the cost of a
full chip)::

    dImem/dt = Imem [Ith (Iin - Iahp - I_gaba_a - Itau) - Imem (Itau + Iahp + I_gaba_a)
                     + Ipfb (Imem + Ith)] / (C_mem U_T/kappa (Imem + Ith))

GABA_B is *subtractive* (it lowers ``Iin``); GABA_A is *shunting*: like the AHP current it
both subtracts from the input and adds to the leak, which divides the gain (the F-I curve
changes its slope). NMDA current reaches the soma through a gate that opens with the
membrane current (``Inmda_thr`` is set by IF_NMDA_N). A spike is emitted when ``Imem``
exceeds :data:`SPIKE_THRESHOLD`; ``Imem`` is reset to :data:`RESET_CURRENT` and held there
for the refractory period, and the AHP DPI receives one pulse.

Refractoriness (in :data:`NEURON_EQUATIONS`, :data:`NEURON_THRESHOLD` and
:data:`NEURON_RESET`; Brian2's ``refractory`` keyword is not used): a spike at step ``m`` sets
``refractory_end = m + R``, where ``R = refractory_steps`` is the refractory period in whole
steps (:func:`whole_steps`, Brian2's ``timestep(t_refr, dt)``, computed with the other
parameters). At step ``n`` the membrane integrates, and may fire, only when ``n >=
refractory_end``: the factor ``integrating = clip(n + 1 - refractory_end, 0, 1)`` is exactly 1
or 0 (whole numbers in floating point). This is Brian2's own rule for ``refractory=t_refr``
(refractory while ``timestep(t - lastspike, dt) < timestep(t_refr, dt)``, i.e. ``n - m < R``)
without its two float divisions per neuron and step, and without a branch: the compiled
membrane update is vectorised (``tests/dynapse/test_dynapse_refractory.py`` compares both
rules spike for spike). The step ``n`` is the clock's own integer ``t_in_timesteps``, not
``timestep(t, dt)``: a notebook's own variable ``t`` in the run namespace would otherwise meet
the clock's ``t`` (Brian2 warns of the conflict).

Synapses and AHP: without input the DPI equation ``tau (1 + Ig/I) dI/dt + I = -Ig`` reduces
*exactly* to ``dI/dt = -I/tau``; dynsim writes it as a relaxation to the leakage current,
``dI/dt = -(I - I0)/tau``, so that currents never fall below ``I0``. An incoming event adds
``(Ig/Itau) Iw`` per CAM entry (the pulse's charge phase is not resolved in time).

Integration: Brian2 allows one method per group. dynsim uses forward Euler for the group and
writes every linear decay with a rate ``k = (1 - exp(-dt/tau))/dt`` instead of ``1/tau``;
one Euler step with that rate is the exact solution over ``dt``, so the synaptic and AHP
decays are exact at any ``dt`` (plain Euler would be 1.4 % off at dt = 0.1 ms for the AMPA
default). The rates are computed from the biases whenever a bias changes
(:func:`state_parameters`), not in the time-step loop. The membrane equation is non-linear
and is integrated with forward Euler, after which ``Imem`` is floored at ``I0`` (a capacitor
voltage cannot fall below ground).

References
----------
Chicca E., Stefanini F., Bartolozzi C., Indiveri G. (2014). Neuromorphic electronic circuits
for building autonomous cognitive systems. Proc. IEEE 102(9), 1367-1388.

Bartolozzi C., Indiveri G. (2007). Synaptic dynamics in analog VLSI. Neural Computation
19(10), 2581-2603 (the DPI synapse and its equation).

Moradi S., Qiao N., Stefanini F., Indiveri G. (2018). A scalable multicore architecture with
heterogeneous memory structures for Dynamic Neuromorphic Asynchronous Processors (DYNAPs).
IEEE TBioCAS 12(1), 106-122.

Examples
--------
>>> from dynsim.dynapse.physics import dpi_time_constant, C_MEM
>>> from brian2 import pA, ms
>>> round(float(dpi_time_constant(C_MEM, 5 * pA) / ms), 2)
14.18
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from brian2 import Quantity, amp, coulomb, mV, nA, pA, pF, second

from dynsim.dynapse.constants import SYNAPSE_TYPES

__all__ = [
    "CAPACITANCE",
    "CIRCUITS",
    "C_AHP",
    "C_MEM",
    "C_SYN",
    "I0",
    "KAPPA",
    "KAPPA_N",
    "KAPPA_P",
    "MISMATCH_SIGMA",
    "NEURON_EQUATIONS",
    "NEURON_NAMESPACE",
    "NEURON_RESET",
    "NEURON_THRESHOLD",
    "PFB_GAIN",
    "PFB_NORM",
    "PFB_THRESHOLD",
    "REFRACTORY_CHARGE",
    "RESET_CURRENT",
    "SEED_ALIASES",
    "SPIKE_THRESHOLD",
    "STATE_VARIABLES",
    "SYNAPSE_CIRCUITS",
    "U_T",
    "dpi_time_constant",
    "jump_expression",
    "refractory_period_of",
    "rheobase",
    "state_parameters",
    "whole_steps",
]

# --------------------------------------------------------------------------- constants
#: Thermal voltage.
U_T = 25 * mV
#: Sub-threshold slope factor of n-FETs.
KAPPA_N = 0.75
#: Sub-threshold slope factor of p-FETs.
KAPPA_P = 0.66
#: Mean slope factor used in every time constant ``tau = C U_T/(kappa I)``.
KAPPA = (KAPPA_N + KAPPA_P) / 2
#: Leakage current: the floor of every DPI current.
I0 = 1 * pA

#: Membrane capacitance.
C_MEM = 2 * pF
#: Capacitance of the adaptation (AHP) DPI.
C_AHP = 4 * pF
#: Capacitance of each synaptic DPI.
C_SYN = 2 * pF

#: Spike threshold of the membrane current (fixed at layout time, not a bias).
SPIKE_THRESHOLD = 2 * nA
#: Membrane current after a spike.
RESET_CURRENT = 1.2 * pA
#: Positive-feedback gain current.
PFB_GAIN = 100 * pA
#: Positive-feedback threshold current.
PFB_THRESHOLD = 1 * nA
#: Positive-feedback normalisation current.
PFB_NORM = 20 * pA
#: Charge the refractory current must deliver: ``t_refr = REFRACTORY_CHARGE / Iref``
#: (C_refr * dV_refr; approximate, chosen so that the default IF_RFR_N gives 5 ms).
REFRACTORY_CHARGE = 25e-15 * coulomb

#: Default relative spread of device mismatch (lognormal sigma), used when mismatch is on.
MISMATCH_SIGMA = 0.1

#: DPI circuits of one neuron: membrane, adaptation, and the four synapse types.
CIRCUITS: tuple[str, ...] = ("mem", "ahp", "ampa", "nmda", "gaba_a", "gaba_b")
#: Synaptic circuits in the order of the samna ``Dynapse1SynType`` values (GABA_B = 0 ...).
SYNAPSE_CIRCUITS: tuple[str, ...] = tuple(name.lower() for name in SYNAPSE_TYPES)
#: Capacitance of each circuit (used by every time constant).
CAPACITANCE: dict[str, Quantity] = {
    "mem": C_MEM, "ahp": C_AHP, "ampa": C_SYN, "nmda": C_SYN, "gaba_a": C_SYN, "gaba_b": C_SYN,
}

#: State variables a monitor can record, with their meaning (all in amperes).
STATE_VARIABLES: dict[str, str] = {
    "Imem": "membrane current of the neuron DPI",
    "Iahp": "adaptation (after-hyperpolarisation) current",
    "I_ampa": "AMPA (fast excitatory) synaptic DPI current",
    "I_nmda": "NMDA (slow excitatory) synaptic DPI current, before its membrane gate",
    "I_gaba_a": "GABA_A (fast, shunting inhibitory) synaptic DPI current",
    "I_gaba_b": "GABA_B (slow, subtractive inhibitory) synaptic DPI current",
}

#: Names used by the dynapse-simulator seed, available as aliases on every neuron group
#: (``StateMonitor(neurons, 'Isoma_mem')`` works as in the seed's notebooks).
SEED_ALIASES: dict[str, str] = {
    "Isoma_mem": "Imem", "Isoma_ahp": "Iahp", "Iampa": "I_ampa", "Inmda": "I_nmda",
    "Igaba_a": "I_gaba_a", "Igaba_b": "I_gaba_b",
}


# --------------------------------------------------------------------------- equations
def _parameter_lines() -> str:
    lines = [
        "Itau_mem : amp (constant)  # membrane leak (IF_TAU1_N)",
        "Ith_mem : amp (constant)  # membrane gain (IF_THR_N)",
        "Idc : amp (constant)  # DC input (IF_DC_P)",
        "Inmda_thr : amp (constant)  # NMDA gate threshold (IF_NMDA_N)",
        "t_refr : second (constant)  # refractory period (IF_RFR_N)",
        "refractory_steps : 1 (constant)  # t_refr in whole steps: timestep(t_refr, dt)",
        "refractory_end : 1  # first step after the refractory period of the last spike",
    ]
    for circuit in ("ahp", *SYNAPSE_CIRCUITS):
        lines += [
            f"Itau_{circuit} : amp (constant)  # leak of the {circuit} DPI",
            f"Ith_{circuit} : amp (constant)  # gain of the {circuit} DPI",
            f"Iw_{circuit} : amp (constant)  # weight of one {circuit} pulse",
            f"k_{circuit} : Hz (constant)  # exact decay rate (1 - exp(-dt/tau))/dt",
            f"Ijump_{circuit} : amp (constant)  # increment of one pulse, Ith/Itau*Iw",
            f"tau_{circuit} = C_{circuit}*U_T/(kappa*Itau_{circuit}) : second",
        ]
    return "\n".join(lines)


#: Equations of a group of DYNAP-SE neurons (Brian2 syntax, with units). The constants come
#: from :data:`NEURON_NAMESPACE`; the parameters are set by :func:`state_parameters`.
NEURON_EQUATIONS = (
    """
dImem/dt = integrating*(Imem*(Ith_mem*(Iin - Iahp - I_gaba_a - Itau_mem)
                              - Imem*(Itau_mem + Iahp + I_gaba_a)
                              + Ipfb*(Imem + Ith_mem))
                        / (C_mem*U_T/kappa*(Imem + Ith_mem))) : amp
integrating = clip(t_in_timesteps + 1 - refractory_end, 0, 1) : 1  # 0 when refractory
dIahp/dt = -k_ahp*(Iahp - I0) : amp
dI_ampa/dt = -k_ampa*(I_ampa - I0) : amp
dI_nmda/dt = -k_nmda*(I_nmda - I0) : amp
dI_gaba_a/dt = -k_gaba_a*(I_gaba_a - I0) : amp
dI_gaba_b/dt = -k_gaba_b*(I_gaba_b - I0) : amp
Ipfb = Ipfb_gain/(1 + exp((Ipfb_th - Imem)/Ipfb_norm)) : amp
I_nmda_gated = I_nmda*Imem/(Imem + Inmda_thr) : amp
Iin = clip(I_ampa + I_nmda_gated + Idc - I_gaba_b, I0, inf*amp) : amp
tau_mem = C_mem*U_T/(kappa*Itau_mem) : second
Vmem = U_T/kappa*log(Imem/I0) : volt
"""
    + _parameter_lines()
    + "\n"
    + "\n".join(f"{alias} = {name} : amp  # seed name" for alias, name in SEED_ALIASES.items())
    + "\n"
)

#: Spike condition (outside the refractory period).
NEURON_THRESHOLD = "Imem > Ispk and t_in_timesteps >= refractory_end"


def jump_expression(circuit: str, suffix: str = "") -> str:
    """Return the increment of one pulse on a DPI (Brian2 syntax).

    The increment ``Ijump = (Ith/Itau) Iw`` is a per-neuron parameter computed by
    :func:`state_parameters` when the biases change.

    Parameters
    ----------
    circuit : str
        ``'ahp'``, ``'ampa'``, ``'nmda'``, ``'gaba_a'`` or ``'gaba_b'``.
    suffix : str
        ``'_post'`` inside a ``Synapses`` ``on_pre`` statement.

    Examples
    --------
    >>> jump_expression("ampa", "_post")
    'Ijump_ampa_post'
    """
    return f"Ijump_{circuit}{suffix}"


#: Reset after a spike: membrane to the reset current, one pulse on the AHP DPI, and the
#: refractory period (the membrane integrates again ``refractory_steps`` steps later).
NEURON_RESET = (f"Imem = Ireset\nIahp += {jump_expression('ahp')}\n"
                "refractory_end = t_in_timesteps + refractory_steps")

#: Constants of :data:`NEURON_EQUATIONS` (the group's namespace).
NEURON_NAMESPACE: dict[str, object] = {
    "I0": I0,
    "U_T": U_T,
    "kappa": KAPPA,
    "C_mem": C_MEM,
    **{f"C_{c}": CAPACITANCE[c] for c in ("ahp", *SYNAPSE_CIRCUITS)},
    "Ipfb_gain": PFB_GAIN,
    "Ipfb_th": PFB_THRESHOLD,
    "Ipfb_norm": PFB_NORM,
    "Ispk": SPIKE_THRESHOLD,
    "Ireset": RESET_CURRENT,
}


# --------------------------------------------------------------------------- conversions
def dpi_time_constant(capacitance: Quantity, current: Quantity) -> Quantity:
    """Return the DPI time constant ``tau = C U_T / (kappa I)``, with ``I`` floored at I0.

    Parameters
    ----------
    capacitance : Quantity
        Capacitance of the circuit (farad).
    current : Quantity
        Leak ("tau") current of the circuit (ampere).

    Returns
    -------
    Quantity
        The time constant in seconds.
    """
    current = np.maximum(np.asarray(current / amp, dtype=float), float(I0 / amp)) * amp
    return capacitance * U_T / (KAPPA * current)


def refractory_period_of(current: Quantity) -> Quantity:
    """Return the refractory period ``REFRACTORY_CHARGE / Iref`` (Iref floored at I0).

    Examples
    --------
    >>> from brian2 import pA, ms
    >>> float(refractory_period_of(5 * pA) / ms)
    5.0
    """
    current = np.maximum(np.asarray(current / amp, dtype=float), float(I0 / amp)) * amp
    return REFRACTORY_CHARGE / current


def rheobase(currents: Mapping[str, float | np.ndarray], points: int = 40000
             ) -> float | np.ndarray:
    """Return the rheobase: the smallest DC input (A) for which the neuron fires.

    Below threshold, with the synapses and the AHP at their floor ``I0``, the membrane
    equation ``dImem/dt = 0`` reads ``Ith Idc + G(Imem) = 0`` (see the module docstring),
    affine in ``Idc``. The neuron fires for any ``Idc`` above ``max(-G(Imem)/Ith)`` over the
    sub-threshold range ``I0 .. Ispk`` (a geometric grid of ``points`` values): above it the
    stable sub-threshold fixed point is gone. The DC bias itself does not enter.

    Parameters
    ----------
    currents : mapping of str to float or array
        Bias currents (amperes, plain floats) by physical name, as
        ``Dynapse1ParameterGroup.currents()`` gives them; needs ``Ith_mem``, ``Itau_mem`` and
        ``Inmda_thr``. Arrays (one value per neuron, e.g. from
        :func:`dynsim.dynapse.circuits.bias_currents` with mismatch) give one rheobase each.
    points : int
        Number of ``Imem`` values of the grid (default 40000: a relative error below 1e-4).

    Returns
    -------
    float or numpy.ndarray
        The rheobase in amperes (an array of the shape of the given arrays). Infinite where
        ``Ith_mem`` is zero (no gain: no DC makes the neuron fire).

    References
    ----------
    Chicca et al. (2014), see the module docstring.

    Examples
    --------
    >>> from dynsim.dynapse import Dynapse1ParameterGroup
    >>> round(rheobase(Dynapse1ParameterGroup().currents()) * 1e12)
    301
    """
    i0 = float(I0 / amp)
    imem = np.geomspace(i0, float(SPIKE_THRESHOLD / amp), int(points))
    shape = np.broadcast(*(np.asarray(currents[k], dtype=float)
                           for k in ("Ith_mem", "Itau_mem", "Inmda_thr"))).shape
    ith, itau, nmda = (np.broadcast_to(np.asarray(currents[k], dtype=float), shape)
                       .reshape(-1, 1) for k in ("Ith_mem", "Itau_mem", "Inmda_thr"))
    itau = np.maximum(itau, i0)
    gated = i0 * imem / (imem + nmda)  # resting NMDA DPI through its gate
    ipfb = float(PFB_GAIN / amp) / (1 + np.exp(
        (float(PFB_THRESHOLD / amp) - imem) / float(PFB_NORM / amp)))
    shunt = i0 + i0  # AHP and GABA_A at their floor
    # AMPA (I0) and GABA_B (I0) cancel in Iin
    g = ith * (gated - shunt - itau) - imem * (itau + shunt) + ipfb * (imem + ith)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(ith[:, 0] > 0, np.max(-g / np.where(ith > 0, ith, 1.0), axis=1), np.inf)
    return float(out[0]) if shape == () else out.reshape(shape)


def whole_steps(duration: float | np.ndarray, dt: float) -> np.ndarray:
    """Return the whole time steps in ``duration`` as Brian2 counts them (``timestep``).

    ``int((duration + 1e-3 dt) / dt)``: Brian2's ``timestep(duration, dt)``, which its own
    refractoriness uses (a period within a thousandth of a step below a whole number of
    steps counts as that number).

    Parameters
    ----------
    duration : float or numpy.ndarray
        Durations (s), not negative.
    dt : float
        Time step (s).

    Returns
    -------
    numpy.ndarray
        Step counts (float64 holding whole numbers).

    Examples
    --------
    >>> whole_steps(5e-3, 1e-4).tolist()
    50.0
    """
    duration = np.asarray(duration, dtype=float)
    return ((duration + 1e-3 * dt) / dt).astype(np.int64).astype(float)


def state_parameters(currents: Mapping[str, np.ndarray], dt: Quantity) -> dict[str, np.ndarray]:
    """Return the neuron-group parameters (SI floats) for given bias currents.

    Parameters
    ----------
    currents : mapping of str to array
        Bias currents in amperes, keyed by physical bias name (``'Itau_mem'``, ``'Iref'``,
        ...), one value per neuron (after device mismatch).
    dt : Quantity
        Integration time step of the group (the exact decay rates depend on it).

    Returns
    -------
    dict of str to numpy.ndarray
        One entry per parameter of :data:`NEURON_EQUATIONS` (``Itau_mem``, ``k_ampa``,
        ``t_refr``, ``refractory_steps`` ...), values in SI units without Brian2 units.

    Notes
    -----
    Leak currents (``Itau_*`` and ``Iref``) are floored at :data:`I0`: a transistor never
    conducts less than its leakage, and a zero leak would mean an infinite time constant.
    Gain, weight, DC and gate currents may be zero (that circuit is then switched off).
    """
    floor = float(I0 / amp)
    step = float(dt / second)
    out: dict[str, np.ndarray] = {}
    for name in ("Ith_mem", "Idc", "Inmda_thr"):
        out[name] = np.ascontiguousarray(currents[name], dtype=float)
    out["Itau_mem"] = np.maximum(np.asarray(currents["Itau_mem"], dtype=float), floor)
    out["t_refr"] = float(REFRACTORY_CHARGE / amp / second) / np.maximum(
        np.asarray(currents["Iref"], dtype=float), floor
    )
    out["refractory_steps"] = whole_steps(out["t_refr"], step)
    u_t, c = float(U_T / mV) * 1e-3, {k: float(v / pF) * 1e-12 for k, v in CAPACITANCE.items()}
    for circuit in ("ahp", *SYNAPSE_CIRCUITS):
        itau = np.maximum(np.asarray(currents[f"Itau_{circuit}"], dtype=float), floor)
        tau = c[circuit] * u_t / (KAPPA * itau)
        out[f"Itau_{circuit}"] = itau
        out[f"Ith_{circuit}"] = np.ascontiguousarray(currents[f"Ith_{circuit}"], dtype=float)
        out[f"Iw_{circuit}"] = np.ascontiguousarray(currents[f"Iw_{circuit}"], dtype=float)
        out[f"k_{circuit}"] = -np.expm1(-step / tau) / step
        out[f"Ijump_{circuit}"] = out[f"Ith_{circuit}"] / itau * out[f"Iw_{circuit}"]
    return out
