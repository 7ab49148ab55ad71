"""Self-checks of the DYNAP-SE exercises (course notebooks 1-4 and 7).

Every check compares a student's answer with the DPI physics of the emulated chip
(:mod:`dynsim.dynapse.physics`: ``tau = C U_T/(kappa Itau)``, the pulse of one CAM entry
``(Ith/Itau) Iw``, the sub-threshold steady state of the membrane DPI, the refractory bound
``1/t_refr``) or with an independent computation on the student's own data (firing rates,
coefficients of variation), never with a stored number. It returns a
:class:`~dynsim.checks.CheckResult`: a pass that says what the answer means, or a hint that
names the likely mistake ("did you measure to 1/e of the peak *above the floor I0*?").

Answers may be Brian2 quantities (``3.5*ms``) or plain numbers in SI units (seconds, amperes,
hertz); with ``units=True`` (or, where a check says so, when the data it is given carry
units) a plain number is "NOT YET: give it with units". A check returns "NOT YET" with a hint
for every answer it cannot accept: an unanswered stub (``...``, ``None``, an
:func:`~dynsim.checks.answer_from` whose function raises ``NotImplementedError``), a string,
a list or array where one number is asked, a quantity of the wrong dimension (a time where a
rate is asked: "did you forget 1/t?"), a student function that raises. The design checks
(one per notebook) simulate the student's biases or weights on the emulator and compare what
the chip does with the exercise's specification. A check raises a
:class:`dynsim.errors.DynsimError` only for the arguments the notebook supplies, when they
make no sense (a current where a time is needed, an unknown bias or synapse type).

========================================  ====================================================
notebook                                  checks
========================================  ====================================================
1  DPI neuron and synapses                :func:`check_dpi_time_constant`,
                                          :func:`check_measured_time_constant`,
                                          :func:`check_epsc_jump`,
                                          :func:`check_bias_for_time_constant`,
                                          :func:`check_ampa_design` (design)
2  Characterizing silicon neurons         :func:`check_rheobase`,
                                          :func:`check_saturation_rate`,
                                          :func:`check_mean_synaptic_current`,
                                          :func:`check_ampa_rate_design` (design)
3  Spike-frequency adaptation             :func:`check_instantaneous_rate`,
                                          :func:`check_ahp_steady_state`,
                                          :func:`check_measured_time_constant` (AHP),
                                          :func:`check_adaptation_design` (design)
4  A network on the chip                  :func:`check_fan_in`, :func:`check_group_rates`,
                                          :func:`check_coefficient_of_variation`,
                                          :func:`check_population_size`,
                                          :func:`check_wta_design` (design)
7  Device mismatch                        :func:`check_mismatch_design` (design)
========================================  ====================================================

References
----------
Chicca E., Stefanini F., Bartolozzi C., Indiveri G. (2014). Neuromorphic electronic circuits
for building autonomous cognitive systems. Proc. IEEE 102(9), 1367-1388.

Examples
--------
>>> from brian2 import ms, pA, pF
>>> from dynsim.checks.dynapse import check_dpi_time_constant
>>> check_dpi_time_constant(3.55 * ms, itau=20 * pA, capacitance=2 * pF)
PASS [DPI time constant] 3.55 ms = C U_T/(kappa Itau) with C = 2 pF, Itau = 20 pA
>>> bool(check_dpi_time_constant(2.5 * ms, itau=20 * pA, capacitance=2 * pF))
False
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from brian2 import Hz, Quantity, amp, farad, mV, pA, pF, second, volt

from dynsim.checks import (
    UNANSWERED,
    CheckResult,
    Rejected,
    answer_array,
    answer_scalar,
    answered,
    brief,
    checked,
    data_array,
    data_scalar,
    fail,
    ratio_text,
    relative_error,
    success,
    wants_units,
)
from dynsim.dynapse import physics
from dynsim.dynapse.biases import (
    BIAS_TABLE,
    bias_current,
    bias_spec,
    get_coarse_fine_table,
    nearest_coarse_fine,
    resolve_biases,
    time_constant,
)
from dynsim.dynapse.config import Dynapse1Parameter, Dynapse1ParameterGroup, synapse_type
from dynsim.dynapse.constants import (
    CAMS_PER_NEURON,
    COARSE_MAX,
    COARSE_MIN,
    FINE_MAX,
    NEURONS_PER_CORE,
)
from dynsim.errors import DynsimError, InvalidSettingError
from dynsim.validation import current_amperes, duration_seconds, rate_hz, whole_number

__all__ = [
    "check_adaptation_design",
    "check_ahp_steady_state",
    "check_ampa_design",
    "check_ampa_rate_design",
    "check_bias_for_time_constant",
    "check_coefficient_of_variation",
    "check_dpi_time_constant",
    "check_epsc_jump",
    "check_fan_in",
    "check_group_rates",
    "check_instantaneous_rate",
    "check_mean_synaptic_current",
    "check_measured_time_constant",
    "check_mismatch_design",
    "check_population_size",
    "check_rheobase",
    "check_saturation_rate",
    "check_wta_design",
]

#: The constants the hints quote, formatted from their one source (dynsim.dynapse.physics).
_KAPPA = f"kappa = {physics.KAPPA:.3g}"
_KAPPA_N, _KAPPA_P = f"kappa_n = {physics.KAPPA_N:g}", f"kappa_p = {physics.KAPPA_P:g}"
_U_T = f"U_T = {float(physics.U_T / mV):g} mV"
_I0 = f"I0 = {float(physics.I0 / pA):g} pA"
_C_SYN = f"{float(physics.C_SYN / pF):g} pF"
_C_AHP = f"{float(physics.C_AHP / pF):g} pF"
_PREFIXES = ((1e-15, "f"), (1e-12, "p"), (1e-9, "n"), (1e-6, "u"), (1e-3, "m"), (1.0, ""),
             (1e3, "k"), (1e6, "M"))


# --------------------------------------------------------------------------- helpers
def _fmt(value: float, unit: str = "") -> str:
    """Format a value with 3 significant digits and an SI prefix (``3.52 ms``)."""
    if not np.isfinite(value):
        return f"{value} {unit}".strip()
    if unit == "" or value == 0:
        return f"{value:.3g} {unit}".strip()
    rounded = float(f"{value:.3g}")
    scale, prefix = _PREFIXES[0]
    for factor, name in _PREFIXES:
        if abs(rounded) >= factor:
            scale, prefix = factor, name
    return f"{rounded / scale:.3g} {prefix}{unit}"


def _pct(error: float) -> str:
    return f"{100 * error:.0f} %" if error >= 0.01 else "< 1 %"


def _diagnose(value: float, reference: float, variants: Sequence[tuple[float, str]],
              rtol: float) -> str | None:
    """Return the hint of the first variant (a wrong reference value) that ``value`` matches."""
    for wrong, hint in variants:
        if wrong != 0 and np.isfinite(wrong) and relative_error(value, wrong) <= rtol:
            return hint
    return None


def _unit_variants(reference: float, unit: str, symbol: str) -> list[tuple[float, str]]:
    """Wrong answers that are right in another prefix (a plain number in ms or pA...)."""
    out = []
    for factor, prefix in ((1e3, "m"), (1e6, "u"), (1e9, "n"), (1e12, "p"), (1e-3, "k")):
        out.append((reference * factor, f"your number is the right {symbol} in {prefix}{unit}: "
                    f"plain numbers are read in {unit} (SI); multiply by a Brian2 unit "
                    f"(e.g. {prefix}{unit} from brian2) or convert"))
    return out


def _bias_group(biases: Any) -> Dynapse1ParameterGroup:
    """Return default biases updated with ``biases``.

    ``biases`` may be ``None`` (the defaults), a :class:`Dynapse1ParameterGroup`, anything
    with a ``parameter_group`` (an :class:`~dynsim.dynapse.Experiment`), a mapping of bias
    names to ``(coarse, fine)`` or currents, or a list of ``Dynapse1Parameter``.
    """
    group = Dynapse1ParameterGroup()
    if biases is None:
        return group
    if isinstance(getattr(biases, "parameter_group", None), Dynapse1ParameterGroup):
        biases = biases.parameter_group
    for name, (coarse, fine) in resolve_biases(biases).items():
        group.param_map[name] = Dynapse1Parameter(name, coarse, fine)
    return group


def _coarse_fine(bias: object, name: str) -> tuple[int, int]:
    """Return a student's ``(coarse, fine)`` of bias ``name``; a hint for anything else."""
    bias = answered(bias)
    try:
        if isinstance(bias, Dynapse1Parameter):
            return resolve_biases([bias])[bias_spec(bias.param_name).samna_name]
        if isinstance(bias, tuple | list) and len(bias) == 2:
            return resolve_biases({name: tuple(bias)})[bias_spec(name).samna_name]
    except DynsimError as error:
        raise Rejected(f"{error}") from None
    raise Rejected(f"give the bias as a pair (coarse, fine) of whole numbers, or a "
                   f"Dynapse1Parameter, got {brief(bias)}")


def _given_coarse_fine(bias: object, name: str) -> tuple[int, int]:
    """Return the notebook's ``(coarse, fine)`` of bias ``name``; raise for anything else."""
    if isinstance(bias, Dynapse1Parameter):
        return resolve_biases([bias])[bias_spec(bias.param_name).samna_name]
    if isinstance(bias, tuple | list) and len(bias) == 2:
        return resolve_biases({name: tuple(bias)})[bias_spec(name).samna_name]
    raise InvalidSettingError(f"give the {name} bias as (coarse, fine) or a Dynapse1Parameter, "
                              f"got {bias!r}")


# --------------------------------------------------------------------------- notebook 1
@checked("DPI time constant")
def check_dpi_time_constant(tau: Any, itau: Any, capacitance: Any = physics.C_SYN, *,
                            units: bool | None = None) -> CheckResult:
    """Check a time constant computed from the DPI formula ``tau = C U_T/(kappa Itau)``.

    Parameters
    ----------
    tau : Quantity or float
        The student's value (seconds).
    itau : Quantity or float
        The leak current of the circuit (amperes, > 0).
    capacitance : Quantity or float
        Its capacitance (farads, > 0); default the synaptic 2 pF.
    units : bool or None
        Require a Brian2 quantity; None (default): when the given currents have units.

    Returns
    -------
    CheckResult
        A pass within 1 % of the formula (U_T = 25 mV, kappa = 0.705, the mean of the n- and
        p-FET slope factors).

    Examples
    --------
    >>> from brian2 import ms, pA
    >>> bool(check_dpi_time_constant(14.18 * ms, itau=5 * pA))
    True
    """
    name = "DPI time constant"
    itau_a = data_scalar(itau, "A", "itau", positive=True)
    c_f = data_scalar(capacitance, "F", "capacitance", positive=True)
    value = answer_scalar(tau, "s", "tau", units=wants_units(units, itau, capacitance))
    u_t, kappa = float(physics.U_T / volt), physics.KAPPA
    expected = c_f * u_t / (kappa * itau_a)
    where = f"C = {_fmt(c_f, 'F')}, Itau = {_fmt(itau_a, 'A')}"
    if relative_error(value, expected) <= 0.01:
        return success(name, f"{_fmt(value, 's')} = C U_T/(kappa Itau) with {where}")
    variants = [
        (expected * kappa, f"you left out kappa: tau = C U_T/(kappa Itau), {_KAPPA}"),
        (expected * kappa**2, "kappa divides: tau = C U_T/(kappa Itau), not C U_T kappa/Itau"),
        *[(expected * kappa / other, f"use the mean slope factor kappa = (kappa_n + kappa_p)/2 "
           f"= {physics.KAPPA:.3g} (dynsim.dynapse.physics.KAPPA), not {label}")
          for other, label in ((physics.KAPPA_N, _KAPPA_N), (physics.KAPPA_P, _KAPPA_P))],
        # U_T at room temperature is often rounded to 26 mV: one millivolt more
        (expected * (u_t + 1e-3) / u_t, f"the emulator uses {_U_T} (dynsim.dynapse.physics.U_T)"),
        (itau_a * u_t / (kappa * c_f), "C and Itau are swapped: tau = C U_T/(kappa Itau)"),
        *_unit_variants(expected, "s", "time constant"),
    ]
    hint = _diagnose(value, expected, variants, 0.01)
    return fail(name, hint or f"your tau is {ratio_text(value, expected)} the formula's value for "
                f"{where}: tau = C U_T/(kappa Itau) with {_U_T} and {_KAPPA}")


@checked("measured time constant")
def check_measured_time_constant(tau_estimate: Any, itau: Any,
                                 capacitance: Any = physics.C_SYN, circuit: str = "synapse",
                                 rtol: float = 0.1, *, units: bool = False) -> CheckResult:
    """Check a time constant measured on a recorded decay against ``C U_T/(kappa Itau)``.

    The decay of a DPI above its floor is exponential: ``I(t) - I0 = (I_peak - I0)
    exp(-t/tau)``. A measurement to 1/e (37 %) of the peak *above the floor I0* gives tau.

    Parameters
    ----------
    tau_estimate : Quantity or float
        The measured time constant (seconds).
    itau : Quantity or float
        The leak current of the recorded circuit (amperes).
    capacitance : Quantity or float
        Its capacitance (farads): 2 pF for a synapse, 4 pF for the AHP circuit
        (:data:`dynsim.dynapse.physics.CAPACITANCE`).
    circuit : str
        A name for the messages (``'AMPA synapse'``, ``'AHP'``).
    rtol : float
        Accepted relative error (default 10 %: a sampled trace).
    units : bool
        Require a Brian2 quantity (default False: plain SI numbers pass too; see above).

    Examples
    --------
    >>> from brian2 import ms, pA
    >>> check_measured_time_constant(3.4 * ms, itau=20 * pA, circuit="AMPA")
    PASS [AMPA time constant] measured 3.4 ms; C U_T/(kappa Itau) = 3.55 ms (4 % off)
    """
    name = f"{circuit} time constant"
    itau_a = data_scalar(itau, "A", "itau", positive=True)
    c_f = data_scalar(capacitance, "F", "capacitance", positive=True)
    rtol = data_scalar(rtol, "", "rtol", positive=True)
    value = answer_scalar(tau_estimate, "s", "tau_estimate", units=units)
    expected = float(physics.dpi_time_constant(c_f * farad, itau_a * amp) / second)
    error = relative_error(value, expected)
    if error <= rtol:
        return success(name, f"measured {_fmt(value, 's')}; C U_T/(kappa Itau) = "
                       f"{_fmt(expected, 's')} ({_pct(error)} off)")
    if not np.isfinite(value) or value <= 0:
        return fail(name, f"got {value}: the trace must fall below the 1/e level after its "
                    "peak; start searching at the peak, and record long enough (several tau)")
    variants = [
        (expected * math.log(2), "that is the half-life (the fall to 50 %): tau is the time "
         "to fall to 1/e = 37 % of the peak above the floor I0 (half-life = tau ln 2)"),
        (expected * math.log(10), "that is the fall to 10 %: tau is the time to fall to 1/e "
         "= 37 % of the peak above the floor I0"),
        (expected * math.log(20), "that is the fall to 5 %: tau is the time to fall to 1/e = "
         "37 % of the peak above the floor I0"),
        *_unit_variants(expected, "s", "time constant"),
    ]
    hint = _diagnose(value, expected, variants, max(rtol, 0.05))
    if hint is None:
        ratio = ratio_text(value, expected)
        if 1 < value / expected < 3:
            hint = (f"your tau is {ratio} the expected value: did you measure to 1/e (37 %) "
                    "of the peak above the resting floor I0, not to 37 % of the whole peak "
                    f"or to half? (subtract {_I0} before taking the ratio)")
        elif value < expected:
            hint = (f"your tau is {ratio} the expected value: measure from the peak (not "
                    "from the input event or the start of the run) to the first sample "
                    "below I0 + (I_peak - I0)/e")
        else:
            hint = (f"your tau is {ratio} the expected value: is it the right circuit and "
                    "trace? The recording must start at the peak and end after the fall")
    return fail(name, hint)


@checked("EPSC jump")
def check_epsc_jump(jump: Any, weight: Any, ith: Any, itau: Any, iw: Any, *,
                    units: bool | None = None) -> CheckResult:
    """Check the jump of a synaptic DPI current caused by one input event.

    One event adds ``weight (Ith/Itau) Iw`` to the DPI: the weight counts the CAM entries of
    the connection, ``Iw`` is the weight bias (one entry), ``Ith/Itau`` the DPI's gain.

    Parameters
    ----------
    jump : Quantity or float
        The student's jump (amperes).
    weight : int
        CAM entries of the connection (>= 1).
    ith, itau, iw : Quantity or float
        Gain, leak and weight bias currents of the synapse type (amperes).
    units : bool or None
        Require a Brian2 quantity; None (default): when the given currents have units.

    Examples
    --------
    >>> from brian2 import pA
    >>> bool(check_epsc_jump(200 * pA, 2, ith=80 * pA, itau=20 * pA, iw=25 * pA))
    True
    """
    name = "EPSC jump"
    w = _cam_weight(weight)
    ith_a = data_scalar(ith, "A", "ith", positive=True)
    itau_a = data_scalar(itau, "A", "itau", positive=True)
    iw_a = data_scalar(iw, "A", "iw", positive=True)
    value = answer_scalar(jump, "A", "jump", units=wants_units(units, ith, itau, iw))
    expected = w * ith_a / itau_a * iw_a
    if relative_error(value, expected) <= 0.02:
        return success(name, f"{_fmt(value, 'A')} = weight x (Ith/Itau) x Iw = {w} x "
                       f"{ith_a / itau_a:.3g} x {_fmt(iw_a, 'A')}")
    variants = [
        (expected / w, f"that is the jump of ONE CAM entry: the connection has weight {w}, "
         "i.e. the event arrives on that many CAM entries"),
        (w * iw_a, "you left out the DPI gain Ith/Itau: an event adds (Ith/Itau) Iw per CAM "
         "entry"),
        (iw_a, "an event adds weight x (Ith/Itau) x Iw: both the weight (CAM entries) and the "
         "gain Ith/Itau are missing"),
        (w * itau_a / ith_a * iw_a, "the gain is Ith/Itau, not Itau/Ith"),
        (w * w * ith_a / itau_a * iw_a, "the weight counts once: weight x (Ith/Itau) x Iw"),
        *_unit_variants(expected, "A", "jump"),
    ]
    hint = _diagnose(value, expected, variants, 0.02)
    return fail(name, hint or f"your jump is {ratio_text(value, expected)} the expected value: "
                "one event adds weight x (Ith/Itau) x Iw to the DPI current")


@checked("bias for tau")
def check_bias_for_time_constant(bias: Any, target: Any, name: str = "NPDPIE_TAU_S_P"
                                 ) -> CheckResult:
    """Check a ``(coarse, fine)`` chosen so that a leak bias sets a target time constant.

    The check finds the best ``(coarse, fine)`` the bias grid allows and passes any choice
    within 2 % of the target (or as close as the best one allows).

    Parameters
    ----------
    bias : tuple of int or Dynapse1Parameter
        The student's ``(coarse, fine)``.
    target : Quantity or float
        Wanted time constant (seconds).
    name : str
        The leak bias (``'NPDPIE_TAU_S_P'`` for NMDA, ``'IF_TAU1_N'``, ``'IF_AHTAU_N'``, ...).

    Raises
    ------
    dynsim.errors.InvalidSettingError
        For a bias that sets no time constant, or a target that is not a time > 0. (A
        student's coarse or fine value out of range is an answer: it gets a hint.)

    Examples
    --------
    >>> from brian2 import ms
    >>> check_bias_for_time_constant((0, 24), 50 * ms)
    PASS [bias for tau] NPDPIE_TAU_S_P = (0, 24) gives 50.2 ms (target 50 ms)
    """
    label = "bias for tau"
    spec = bias_spec(name)
    if spec.kind != "tau":
        raise InvalidSettingError(f"{spec.samna_name} is not a leak bias: it sets no time "
                                  "constant (choose IF_TAU1_N, IF_AHTAU_N or a *_TAU_* bias)")
    goal = data_scalar(target, "s", "target", positive=True)
    chosen = _coarse_fine(bias, spec.samna_name)
    tau = float(time_constant(spec.samna_name, *chosen) / second)
    table = get_coarse_fine_table()  # every (coarse, fine > 0) the bias can take, at once
    coarse = range(COARSE_MIN, COARSE_MAX + 1)
    leaks = np.concatenate([table.current(c, np.arange(1, FINE_MAX + 1)) for c in coarse])
    grid = float(physics.CAPACITANCE[spec.circuit] * physics.U_T / farad / volt) / (
        physics.KAPPA * np.maximum(leaks * spec.scale, float(physics.I0 / amp)))
    best = float(np.min(np.abs(grid - goal)) / goal)
    error = relative_error(tau, goal)
    message = (f"{spec.samna_name} = {chosen} gives {_fmt(tau, 's')} (target "
               f"{_fmt(goal, 's')})")
    if error <= max(0.02, 1.5 * best):
        return success(label, message)
    if chosen[1] == 0:
        return fail(label, f"{message}: fine = 0 means no current; the leak falls to the "
                    "transistor leakage I0 and tau becomes as long as it can be")
    own, synapse = (float(physics.CAPACITANCE[spec.circuit] / farad),
                    float(physics.C_SYN / farad))
    leak = float(bias_current(spec.samna_name, *chosen) / amp)
    i0, u_t = float(physics.I0 / amp), float(physics.U_T / volt)
    floor_note = ""
    if leak < i0:
        longest = own * u_t / (physics.KAPPA * i0)
        floor_note = (f" (its current, {_fmt(leak, 'A')}, is below the transistor leakage I0 = "
                      f"{_fmt(i0, 'A')}: no leak is smaller than that, so tau cannot exceed "
                      f"C U_T/(kappa I0) = {_fmt(longest, 's')})")
    unfloored = own * u_t / (physics.KAPPA * leak)
    if own != synapse and relative_error(unfloored * synapse / own, goal) <= max(0.02, 1.5 * best):
        return fail(label, f"{message}: your bias is right for the {_fmt(synapse, 'F')} of a "
                    f"synapse, but the {spec.circuit.upper()} circuit has C = {_fmt(own, 'F')} "
                    f"(dynsim.dynapse.physics.CAPACITANCE){floor_note}")
    if tau > goal:
        hint = ("tau is too long: a shorter time constant needs a LARGER leak current "
                "(tau = C U_T/(kappa Itau)); raise the fine value")
    else:
        hint = ("tau is too short: a longer time constant needs a SMALLER leak current "
                "(tau = C U_T/(kappa Itau)); lower the fine value")
    if tau / goal > 4 or goal / tau > 4:
        full_scale = [float(table.current(c, FINE_MAX)) for c in coarse]
        step = (full_scale[-1] / full_scale[0]) ** (1 / (len(full_scale) - 1))
        hint += (", or change the coarse value: one coarse step changes the current about "
                 f"{step:.0f}-fold")
    return fail(label, f"{message}{floor_note}: {hint}. Compute the current you need first, "
                "then nearest_coarse_fine(current)")


# --------------------------------------------------------------------------- notebook 2
@checked("rheobase")
def check_rheobase(rheobase: Any, biases: Any = None, rtol: float = 0.05, *,
                   units: bool = False) -> CheckResult:
    """Check a rheobase (smallest DC input that makes the neuron fire) against the physics.

    The reference is computed from the steady-state equation of the membrane DPI (with its
    positive feedback): the smallest ``Idc`` for which ``dImem/dt = 0`` has no solution
    below the spike threshold. It is independent of any simulation.

    Parameters
    ----------
    rheobase : Quantity or float
        The student's rheobase (amperes).
    biases : optional
        The core's biases: ``None`` (defaults), a ``Dynapse1ParameterGroup``, an
        ``Experiment``, or a ``{name: (coarse, fine) or current}`` dictionary applied on the
        defaults.
    rtol : float
        Accepted relative error (default 5 %: a measurement on a grid of DC values).
    units : bool
        Require a Brian2 quantity (default False: plain SI numbers pass too; see above).

    Examples
    --------
    >>> from brian2 import pA
    >>> check_rheobase(305 * pA)
    PASS [rheobase] 305 pA; the steady-state equation gives 301 pA (1 % off)
    """
    name = "rheobase"
    group = _bias_group(biases)
    rtol = data_scalar(rtol, "", "rtol", positive=True)
    value = answer_scalar(rheobase, "A", "rheobase", units=units)
    currents = group.currents()
    if currents["Ith_mem"] <= 0:
        return fail(name, "with IF_THR_N = (0, 0) the membrane DPI has no gain: no DC input "
                    "can make this neuron fire; set IF_THR_N first")
    expected = physics.rheobase(currents)
    error = relative_error(value, expected)
    if not np.isfinite(value):
        return fail(name, f"got {value}: did the neuron never fire in your sweep? Extend the DC "
                    "range upwards until it fires, then refine")
    if error <= rtol:
        return success(name, f"{_fmt(value, 'A')}; the steady-state equation gives "
                       f"{_fmt(expected, 'A')} ({_pct(error)} off)")
    itau = currents["Itau_mem"]
    variants = [
        (itau, "Idc = Itau is where the steady state (Ith/Itau)(Iin - Itau) rises above "
         "zero; the neuron fires only when it reaches the positive-feedback region"),
        *_unit_variants(expected, "A", "rheobase"),
    ]
    hint = _diagnose(value, expected, variants, rtol)
    if hint is None:
        ratio = ratio_text(value, expected)
        if value > expected:
            hint = (f"your rheobase is {ratio} the expected value: near the rheobase the "
                    "first spike comes late (the latency diverges), so a short run misses it. "
                    "Refine the DC grid between the last silent and the first firing level "
                    "and make sure the run is long enough")
        else:
            hint = (f"your rheobase is {ratio} the expected value: is the neuron really "
                    "firing there? Take the smallest DC with at least one spike (or the "
                    "midpoint between the last silent and the first firing level), with "
                    "all synaptic inputs off")
    return fail(name, hint)


@checked("saturation rate")
def check_saturation_rate(max_rate: Any, refractory: Any, *, units: bool = False
                          ) -> CheckResult:
    """Check the saturation (maximum) firing rate ``1/t_refr`` set by the refractory bias.

    Parameters
    ----------
    max_rate : Quantity or float
        The student's predicted saturation rate (hertz).
    refractory : tuple of int, Dynapse1Parameter or Quantity
        ``(coarse, fine)`` of ``IF_RFR_N``, or the refractory period itself.
    units : bool
        Require a Brian2 quantity (default False: plain SI numbers pass too; see above).

    Examples
    --------
    >>> from brian2 import Hz
    >>> check_saturation_rate(200 * Hz, (0, 85))
    PASS [saturation rate] 200 Hz = 1/t_refr with t_refr = 5 ms (IF_RFR_N = (0, 85))
    """
    name = "saturation rate"
    if isinstance(refractory, Quantity):
        t_refr = data_scalar(refractory, "s", "refractory", positive=True)
        source = ""
    else:
        chosen = _given_coarse_fine(refractory, "IF_RFR_N")
        t_refr = float(physics.refractory_period_of(bias_current("IF_RFR_N", *chosen)) / second)
        source = f" (IF_RFR_N = {chosen})"
    value = answer_scalar(max_rate, "Hz", "max_rate", units=units)
    expected = 1 / t_refr
    if relative_error(value, expected) <= 0.02:
        return success(name, f"{_fmt(value, 'Hz')} = 1/t_refr with t_refr = "
                       f"{_fmt(t_refr, 's')}{source}")
    variants = [
        (t_refr, "that is the refractory period itself: the rate is its inverse, 1/t_refr"),
        (expected / 2, "one spike per refractory period: the bound is 1/t_refr, not "
         "1/(2 t_refr)"),
        (expected / 1e3, "your number is 1/t_refr with t_refr in ms: convert to seconds"),
        *_unit_variants(expected, "Hz", "rate"),
    ]
    hint = _diagnose(value, expected, variants, 0.02)
    if hint is None and 0.4 < value / expected < 1:
        hint = (f"your rate is {ratio_text(value, expected)} the bound: that is a rate measured "
                "at a finite input, which approaches the bound only as the input grows. "
                "Predict the bound from the refractory period: 1/t_refr")
    return fail(name, hint or f"your rate is {ratio_text(value, expected)} the expected bound: "
                "after each spike the neuron is silent for t_refr, so it cannot fire faster "
                "than 1/t_refr; t_refr = Q_refr/Iref (refractory_period)")


def _mean_dpi_excess(currents: Mapping[str, float], circuit: str, rate: float,
                     weight: int) -> tuple[float, float, float]:
    """Mean excess above I0 of a linear DPI driven at ``rate``: ``weight J tau rate``."""
    i0 = float(physics.I0 / amp)
    itau = max(currents[f"Itau_{circuit}"], i0)
    jump = currents[f"Ith_{circuit}"] / itau * currents[f"Iw_{circuit}"]
    tau = float(physics.dpi_time_constant(physics.CAPACITANCE[circuit], itau * amp) / second)
    return weight * jump * tau * rate, jump, tau


def _cam_weight(weight: Any) -> int:
    """Return the notebook's weight (CAM entries of a connection, >= 1) as an int."""
    if isinstance(weight, bool) or not isinstance(weight, int | np.integer) or weight < 1:
        raise InvalidSettingError(f"weight is a whole number of CAM entries >= 1, got "
                                  f"{weight!r}")
    return int(weight)


def _mean_dpi_question(answer: Any, what: str, units: bool, rate: Any, rate_name: str,
                       biases: Any, circuit: str, weight: int
                       ) -> tuple[float, float, dict[str, float], tuple[float, float, float]]:
    """Read a mean-current question: ``(answer in A, rate in Hz, bias currents, excess)``.

    ``excess`` is ``(mean excess above I0, jump J, tau)`` of :func:`_mean_dpi_excess`.
    """
    rate_hz = data_scalar(rate, "Hz", rate_name)
    if rate_hz < 0 or not np.isfinite(rate_hz):
        raise InvalidSettingError(f"{rate_name} must be >= 0, got {rate}")
    currents = _bias_group(biases).currents()
    value = answer_scalar(answer, "A", what, units=units)
    return value, rate_hz, currents, _mean_dpi_excess(currents, circuit, rate_hz, weight)


def _is_mean_above_floor(value: float, expected: float) -> bool:
    """Whether a mean current matches within 3 %, above the floor I0 or with it."""
    i0 = float(physics.I0 / amp)
    return relative_error(value, expected) <= 0.03 or relative_error(value, expected + i0) <= 0.03


def _mean_current_variants(expected: float, jump: float, tau: float, rate: float,
                           weight: int) -> list[tuple[float, str]]:
    return [
        (weight * jump * rate, "your value has no tau: each event adds a jump J that decays "
         "with tau, i.e. the charge J tau; the mean is weight x J x tau x rate"),
        (jump * tau * rate, f"the weight is missing: each event arrives on {weight} CAM "
         "entries (weight x J x tau x rate)"),
        (weight * jump, "that is the jump of one event: the mean over time is the jump times "
         "tau times the rate"),
        (weight * jump * tau * rate * 2, "no factor 2: the area under one exponential pulse "
         "J exp(-t/tau) is J tau"),
        (weight * jump * tau * rate / math.e, "no 1/e here: the area under one pulse "
         "J exp(-t/tau) is exactly J tau"),
        *_unit_variants(expected, "A", "mean current"),
    ]


@checked("mean synaptic current")
def check_mean_synaptic_current(mean_current: Any, rate: Any, weight: Any = 1,
                                synapse: str = "AMPA", biases: Any = None, *,
                                units: bool = False) -> CheckResult:
    """Check the mean current of a synaptic DPI driven at a constant input rate.

    Above its threshold the DPI is linear: each event adds ``J = weight (Ith/Itau) Iw``,
    which decays with ``tau``; the mean current above the floor I0 is ``J tau rate``
    (Campbell's theorem; it holds for regular and Poisson inputs).

    Parameters
    ----------
    mean_current : Quantity or float
        The student's mean current above I0 (amperes; the total, with I0, passes too).
    rate : Quantity or float
        Input rate (hertz).
    weight : int
        CAM entries of the input.
    synapse : str
        ``'AMPA'``, ``'NMDA'``, ``'GABA_A'`` or ``'GABA_B'``.
    biases : optional
        The core's biases (as for :func:`check_rheobase`).
    units : bool
        Require a Brian2 quantity (default False: plain SI numbers pass too; see above).

    Examples
    --------
    >>> from brian2 import Hz, pA
    >>> check_mean_synaptic_current(34.8 * pA, 100 * Hz)
    PASS [mean AMPA current] 34.8 pA = weight x J x tau x rate (J = 99.4 pA, tau = 3.52 ms)
    """
    kind = synapse_type(synapse).name
    name = f"mean {kind} current"
    w = _cam_weight(weight)
    value, rate_hz, _, (expected, jump, tau) = _mean_dpi_question(
        mean_current, "mean_current", units, rate, "rate", biases, kind.lower(), w)
    if _is_mean_above_floor(value, expected):
        return success(name, f"{_fmt(value, 'A')} = weight x J x tau x rate (J = "
                       f"{_fmt(jump, 'A')}, tau = {_fmt(tau, 's')})")
    variants = _mean_current_variants(expected, jump, tau, rate_hz, w)
    hint = _diagnose(value, expected, variants, 0.03)
    return fail(name, hint or f"your mean current is {ratio_text(value, expected)} the expected "
                "value: each event adds J = weight (Ith/Itau) Iw, which decays with tau; "
                "the mean above I0 is J x tau x rate")


# --------------------------------------------------------------------------- notebook 3
@checked("instantaneous rate")
def check_instantaneous_rate(t: Any, rate: Any, spike_times: Any) -> CheckResult:
    """Check instantaneous firing rates ``1/ISI`` computed from spike times.

    The rate of interval k is ``1/(t[k+1] - t[k])``; it is known at the end of the interval
    (``t[k+1]``; the interval's midpoint is accepted too).

    Parameters
    ----------
    t, rate : array
        The student's times (seconds) and rates (hertz), one per interval. With ``rate =
        None``, ``t`` may be the pair ``(t, rate)`` itself, e.g. the
        :func:`~dynsim.checks.answer_from` of a function that returns both.
    spike_times : array or Quantity
        The spike times of one neuron (seconds).

    Examples
    --------
    >>> import numpy as np
    >>> s = np.array([0.01, 0.03, 0.06])
    >>> check_instantaneous_rate(s[1:], 1 / np.diff(s), s)
    PASS [instantaneous rate] 2 intervals; rate falls from 50 Hz to 33.3 Hz
    >>> from dynsim.checks import answer_from
    >>> check_instantaneous_rate(answer_from(lambda x: (x[1:], 1 / np.diff(x)), s), None, s)
    PASS [instantaneous rate] 2 intervals; rate falls from 50 Hz to 33.3 Hz
    """
    name = "instantaneous rate"
    spikes = np.sort(data_array(spike_times, "s", "spike_times"))
    if len(spikes) < 2:
        raise InvalidSettingError("spike_times needs at least 2 spikes (one interval)")
    if rate is None:  # the pair (t, rate) in one answer
        pair = answered(t)
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise Rejected(UNANSWERED)  # t alone: the rates are still to come
        t, rate = pair
    times, rates = answer_array(t, "s", "t"), answer_array(rate, "Hz", "rate")
    isi = np.diff(spikes)
    expected = 1 / isi
    n = len(isi)
    if len(rates) != n or len(times) != n:
        return fail(name, f"{len(spikes)} spikes make {n} intervals, so {n} rates and {n} "
                    f"times; got {len(rates)} rates and {len(times)} times (np.diff gives "
                    "the intervals)")
    if not np.allclose(rates, expected, rtol=1e-6):
        if np.allclose(rates, isi, rtol=1e-6):
            return fail(name, "those are the intervals (s); the rate is their inverse, 1/ISI")
        if np.allclose(rates, expected / 1e3, rtol=1e-6):
            return fail(name, "your rates are in kHz (intervals in ms?): use seconds, rate = "
                        "1/ISI in Hz")
        if np.allclose(rates, 1 / (spikes[1:] - spikes[0]), rtol=1e-6):
            return fail(name, "each rate must use its own interval t[k+1] - t[k], not the time "
                        "since the first spike")
        return fail(name, "rate[k] should be 1/(t[k+1] - t[k]) for the spike times given "
                    "(sorted)")
    ends, middles = spikes[1:], (spikes[1:] + spikes[:-1]) / 2
    tol = 1e-6 * max(1.0, float(np.max(np.abs(spikes))))
    if not (np.allclose(times, ends, atol=tol) or np.allclose(times, middles, atol=tol)):
        if np.allclose(times, spikes[:-1], atol=tol):
            return fail(name, "time each rate at the END of its interval (t[k+1], when the "
                        "interval is known) or at its middle, not at its start")
        return fail(name, "times should be t[k+1] (the end of each interval) or the middles")
    return success(name, f"{n} intervals; rate falls from {_fmt(expected[0], 'Hz')} to "
                   f"{_fmt(expected[-1], 'Hz')}")


@checked("steady-state AHP current")
def check_ahp_steady_state(iahp_mean: Any, steady_rate: Any, biases: Any = None, *,
                           units: bool = False) -> CheckResult:
    """Check the mean adaptation current at a steady firing rate: ``J_ahp tau_ahp f``.

    Every spike adds ``J_ahp = (Ith_ahp/Itau_ahp) Iw_ahp`` to the AHP DPI, which decays with
    ``tau_ahp = C_ahp U_T/(kappa Itau_ahp)``; at a steady rate ``f`` the mean excess above I0
    is ``J_ahp tau_ahp f``: charge in per second = charge out per second.

    Parameters
    ----------
    iahp_mean : Quantity or float
        The student's prediction of the mean ``Iahp`` above I0 (amperes; with I0 passes too).
    steady_rate : Quantity or float
        The steady (adapted) firing rate (hertz).
    biases : optional
        The core's biases (as for :func:`check_rheobase`).
    units : bool
        Refuse a plain number for ``iahp_mean`` (default False: plain amperes pass).

    Examples
    --------
    >>> from brian2 import Hz, pA
    >>> bool(check_ahp_steady_state(16.4 * pA, 38.3 * Hz, {"Iw_ahp": 1.5 * pA}))
    True
    """
    name = "steady-state AHP current"
    value, rate_hz, currents, (expected, jump, tau) = _mean_dpi_question(
        iahp_mean, "iahp_mean", units, steady_rate, "steady_rate", biases, "ahp", 1)
    i0 = float(physics.I0 / amp)
    if expected <= 0:
        return fail(name, "with no adaptation pulse (IF_AHW_P = 0 or no spikes) the mean is 0")
    if _is_mean_above_floor(value, expected):
        return success(name, f"{_fmt(value, 'A')} = J_ahp x tau_ahp x f (J_ahp = "
                       f"{_fmt(jump, 'A')}, tau_ahp = {_fmt(tau, 's')})")
    variants = _mean_current_variants(expected, jump, tau, rate_hz, 1)
    variants.insert(0, (jump * rate_hz * float(physics.dpi_time_constant(
        physics.C_SYN, max(currents["Itau_ahp"], i0) * amp) / second),
        f"the AHP circuit has its own capacitance C_ahp = {_C_AHP} (physics.C_AHP), not the "
        f"{_C_SYN} of a synapse"))
    hint = _diagnose(value, expected, variants, 0.03)
    return fail(name, hint or f"your value is {ratio_text(value, expected)} the expected one: in "
                "the steady state every spike adds J_ahp, and the AHP DPI loses the same "
                "charge in between: mean = J_ahp x tau_ahp x f")


# --------------------------------------------------------------------------- notebook 4
def _fan_in_of(network: Any, post: Any) -> int:
    """CAM entries of ``post`` in a NetworkGenerator or a Dynapse1Configuration."""
    from dynsim.dynapse.config import Dynapse1Configuration
    from dynsim.dynapse.netgen import NetworkGenerator, Neuron

    if isinstance(network, NetworkGenerator):
        if not isinstance(post, Neuron):
            raise InvalidSettingError("neuron must be a dynsim.dynapse.Neuron of the network")
        return sum(1 for _, target, _ in network.connections if target == post)
    if isinstance(network, Dynapse1Configuration):
        if isinstance(post, Neuron):
            chip, core, neuron = post.chip_id, post.core_id, post.neuron_id
        else:
            raise InvalidSettingError("neuron must be a dynsim.dynapse.Neuron")
        return network.chips[chip].cores[core].neurons[neuron].cams_in_use()
    raise InvalidSettingError("network must be a NetworkGenerator or a Dynapse1Configuration, "
                              f"got {type(network).__name__}")


@checked("fan-in")
def check_fan_in(fan_in: Any, network: Any, neuron: Any,
                 weights: Mapping[str, int] | None = None) -> CheckResult:
    """Check a count of the CAM entries (fan-in) one neuron uses, and the 64-entry budget.

    The reference is counted on the network itself (every ``add_connection`` is one CAM
    entry; a weight of w is w repeated connections).

    Parameters
    ----------
    fan_in : int
        The student's count.
    network : NetworkGenerator or Dynapse1Configuration
        The network the neuron belongs to.
    neuron : dynsim.dynapse.Neuron
        The post-synaptic neuron.
    weights : dict, optional
        The design's weights (``{'input': 4, 'inhibition': 2}``), used only for hints.

    Examples
    --------
    >>> from dynsim.dynapse import NetworkGenerator, Neuron
    >>> net = NetworkGenerator()
    >>> post = Neuron(0, 1, 3)
    >>> for _ in range(3):
    ...     net.add_connection(Neuron(0, 0, 5), post, "AMPA")
    >>> check_fan_in(3, net, post)
    PASS [fan-in] 3 CAM entries of 64 (61 free)
    """
    name = "fan-in"
    expected = _fan_in_of(network, neuron)
    value = answer_scalar(fan_in, "", "fan_in")
    if value == expected:
        return success(name, f"{expected} CAM entries of {CAMS_PER_NEURON} "
                       f"({CAMS_PER_NEURON - expected} free)")
    hint = None
    for label, w in (weights or {}).items():
        if int(w) > 1 and value == expected - int(w) + 1:
            hint = (f"the {label} connection has weight {w}: it uses {w} CAM entries, not one")
    if hint is None and value == expected + 1:
        hint = ("one too many: does your count include a connection from the neuron to "
                "itself? A group of n neurons gives each member n - 1 partners")
    if hint is None and value == expected - 1:
        hint = ("one too few: a group of n neurons gives each member n - 1 partners; did you "
                "leave out one input?")
    direction = "more" if value < expected else "fewer"
    return fail(name, hint or f"you counted {value:g}; the network uses {direction}: count "
                "CAM entries, not connections: a connection of weight w uses w entries, and "
                f"all synapse types (AMPA, NMDA, GABA_A, GABA_B) share the same {CAMS_PER_NEURON}")


def _group_lists(groups: Any) -> tuple[list[str], list[np.ndarray]]:
    if isinstance(groups, Mapping):
        names = [str(k) for k in groups]
        members = [np.asarray(list(v), dtype=np.int64).reshape(-1) for v in groups.values()]
    elif isinstance(groups, Iterable) and not isinstance(groups, str | bytes):
        members = [np.asarray(list(v), dtype=np.int64).reshape(-1) for v in groups]
        names = [str(k) for k in range(len(members))]
    else:
        raise InvalidSettingError("groups must be a dict {name: global neuron ids} or a list "
                                  "of lists of global ids")
    if not members or any(len(m) == 0 for m in members):
        raise InvalidSettingError("every group needs at least one neuron")
    return names, members


@checked("group rates")
def check_group_rates(rates: Any, events: Any, groups: Any, duration: Any) -> CheckResult:
    """Check the mean firing rate per neuron of each group, from a list of spike events.

    Parameters
    ----------
    rates : dict or array
        The student's mean rate (hertz) per group: a dict with the same keys as ``groups``
        or a sequence in the same order.
    events : list of Spike
        Events from ``model.run`` or a sink (``chip_id``, ``core_id``, ``neuron_id``,
        ``timestamp`` in microseconds).
    groups : dict or list
        Global neuron ids (``neuron + 256 core + 1024 chip``) of each group.
    duration : Quantity or float
        The time the events were counted over (seconds).

    Examples
    --------
    >>> from dynsim.dynapse import Spike
    >>> events = [Spike(0, 1, 2, 1000), Spike(0, 1, 2, 5000), Spike(0, 1, 3, 7000)]
    >>> check_group_rates({"A": 15.0}, events, {"A": [258, 259]}, 0.1)
    PASS [group rates] A: 15 Hz
    """
    name = "group rates"
    names, members = _group_lists(groups)
    length = data_scalar(duration, "s", "duration", positive=True)
    try:
        ids = np.array([e.global_id for e in events], dtype=np.int64)
    except (AttributeError, TypeError):
        raise InvalidSettingError("events must be a list of dynsim.dynapse.Spike") from None
    expected = np.array([np.isin(ids, m).sum() / (len(m) * length) for m in members])
    rates = answered(rates)
    if isinstance(rates, Mapping):
        missing = [k for k in names if k not in {str(r) for r in rates}]
        if missing:
            return fail(name, f"no rate for the group(s) {', '.join(missing)}")
        by_name = {str(k): v for k, v in rates.items()}
        values = np.array([answer_scalar(by_name[k], "Hz", f"rates[{k!r}]") for k in names])
    else:
        values = answer_array(rates, "Hz", "rates")
        if len(values) != len(names):
            return fail(name, f"expected {len(names)} rates (one per group), got {len(values)}")
    if np.allclose(values, expected, rtol=0.01, atol=1e-9):
        return success(name, ", ".join(f"{k}: {_fmt(v, 'Hz')}" for k, v in
                                       zip(names, expected, strict=True)))
    sizes = np.array([len(m) for m in members], dtype=float)
    counts = expected * sizes * length
    if np.allclose(values, expected * sizes, rtol=0.01):
        return fail(name, "divide by the number of neurons of each group too: the mean rate "
                    "PER NEURON")
    if np.allclose(values, counts, rtol=0.01):
        return fail(name, "those are spike counts: divide by the number of neurons and by the "
                    "duration")
    if np.allclose(values, counts / sizes, rtol=0.01):
        return fail(name, "those are spikes per neuron: divide by the duration (seconds)")
    if np.allclose(values, expected * 1e-3, rtol=0.01) or np.allclose(values, expected * 1e3,
                                                                          rtol=0.01):
        return fail(name, "check the time unit: Spike.timestamp is in microseconds, the "
                    "duration in seconds")
    return fail(name, "count the events whose global_id is in each group, then divide by "
                "(neurons in the group x duration)")


@checked("coefficient of variation")
def check_coefficient_of_variation(cv: Any, rates: Any) -> CheckResult:
    """Check the coefficient of variation (std/mean) of the rates of a population.

    Parameters
    ----------
    cv : float
        The student's value (a fraction, e.g. 0.15).
    rates : array
        The firing rates of the neurons (hertz).

    Examples
    --------
    >>> check_coefficient_of_variation(0.1, [90.0, 100.0, 110.0])
    PASS [coefficient of variation] 0.1 = std/mean of 3 rates (neurons differ by about 10 %)
    """
    name = "coefficient of variation"
    values = data_array(rates, "Hz", "rates")
    if len(values) < 2 or not np.all(np.isfinite(values)):
        raise InvalidSettingError("rates needs at least 2 finite rates")
    mean = float(np.mean(values))
    if mean <= 0:
        raise InvalidSettingError("the mean rate is 0: no neuron fired, so there is no CV")
    value = answer_scalar(cv, "", "cv")
    population = float(np.std(values)) / mean
    sample = float(np.std(values, ddof=1)) / mean
    if relative_error(value, population) <= 0.02 or relative_error(value, sample) <= 0.02:
        return success(name, f"{value:.2g} = std/mean of {len(values)} rates (neurons differ "
                       f"by about {100 * value:.0f} %)")
    variants = [
        (population * 100, "the CV is a fraction (std/mean), not a percentage"),
        (population**2, "that is the variance over the squared mean: the CV is std/mean"),
        (float(np.var(values)) / mean, "that is variance/mean (a Fano factor): the CV is "
         "std/mean"),
        (float(np.std(values)), "that is the standard deviation in Hz: divide by the mean"),
        (mean / float(np.std(values)) if np.std(values) > 0 else math.nan,
         "upside down: the CV is std/mean"),
    ]
    hint = _diagnose(value, population, variants, 0.02)
    return fail(name, hint or "the coefficient of variation is np.std(rates)/np.mean(rates)")


@checked("population size")
def check_population_size(n: Any, cv: Any, target: Any) -> CheckResult:
    """Check the smallest population whose mean rate has a relative spread <= ``target``.

    The mean of N neurons with independent mismatch has a spread ``cv/sqrt(N)``, so the
    smallest N is ``ceil((cv/target)^2)``; it must also fit on one core (256 neurons).

    Parameters
    ----------
    n : int
        The student's population size.
    cv : float
        Coefficient of variation of single neurons (fraction).
    target : float
        Wanted relative spread of the population mean (fraction).

    Examples
    --------
    >>> check_population_size(16, 0.2, 0.05)
    PASS [population size] 16 neurons: spread 0.2/sqrt(16) = 0.05 <= 0.05
    """
    name = "population size"
    cv_v = data_scalar(cv, "", "cv", positive=True)
    goal = data_scalar(target, "", "target", positive=True)
    value = answer_scalar(n, "", "n")
    if not math.isfinite(value):
        return fail(name, f"got {value}: a population size is a whole number of neurons >= 1")
    expected = max(1, math.ceil((cv_v / goal) ** 2 - 1e-9))
    if value != int(value) or value < 1:
        return fail(name, f"a population size is a whole number of neurons >= 1, got {brief(n)}")
    size = int(value)
    spread = cv_v / math.sqrt(size)
    if size in (expected, expected + 1):
        note = "" if expected <= NEURONS_PER_CORE else (
            f"; more than the {NEURONS_PER_CORE} neurons of one core: split it over cores "
            "(each core has its own biases: set them alike)")
        return success(name, f"{size} neurons: spread {cv_v:.2g}/sqrt({size}) = "
                       f"{spread:.2g} <= {goal:.2g}{note}")
    if size > expected:
        return fail(name, f"{size} neurons work (spread {spread:.2g}) but fewer do: find the "
                    "smallest N with cv/sqrt(N) <= target")
    if abs(size - math.ceil(cv_v / goal)) <= 1:
        return fail(name, "averaging N independent neurons divides the spread by sqrt(N), not "
                    "by N: solve cv/sqrt(N) <= target")
    return fail(name, f"with {size} neurons the spread of the mean is cv/sqrt(N) = "
                f"{spread:.2g} > {goal:.2g}: you need more neurons")



# ---- design exercises: notebook 01 (issue 11)
#: Specification of design exercise 1.5: one AMPA event on one CAM entry gives an EPSC that
#: decays with this time constant (within :data:`AMPA_DESIGN_TAU_RTOL`) ...
AMPA_DESIGN_TAU = 10e-3 * second
#: ... relative tolerance of that time constant ...
AMPA_DESIGN_TAU_RTOL = 0.10
#: ... and whose amplitude (the peak above the floor I0) lies in this range.
AMPA_DESIGN_PEAK = (20 * pA, 40 * pA)


def _group_design_biases(biases: Any, group: str) -> dict[str, tuple[int, int]]:
    """Return a student's ``{bias: (coarse, fine)}`` of one bias group, or a hint.

    Every entry is checked as ``set_bias`` checks it (unknown name, coarse/fine range,
    a current for a physical name); a bias of another group is refused, naming the group's.
    """
    # imported here, not at the top, so that this block stays apart from the other notebooks'
    from dynsim.checks import is_unanswered
    from dynsim.dynapse.biases import BIAS_GROUPS

    biases = answered(biases)
    allowed = BIAS_GROUPS[group]
    if not isinstance(biases, Mapping):
        raise Rejected(f"give a dict {{bias name: (coarse, fine)}} of {group} biases "
                       f"({', '.join(allowed)}), got {brief(biases)}")
    if not biases:
        raise Rejected(f"the dict is empty: set the {group} biases ({', '.join(allowed)})")
    out: dict[str, tuple[int, int]] = {}
    for name, value in biases.items():
        if is_unanswered(value) or (isinstance(value, tuple | list)
                                    and any(is_unanswered(v) for v in value)):
            raise Rejected(UNANSWERED)
        try:
            spec = bias_spec(name)
            if spec.group != group:
                raise Rejected(f"{spec.samna_name} is a bias of the {spec.group} group: this "
                               f"design uses only the {group} biases {', '.join(allowed)}")
            out.update(resolve_biases({name: value}))
        except DynsimError as error:
            text = " ".join(str(error).split())
            if len(text) > 300:  # keep the "did you mean", drop the list of every bias
                text = text[:max(text.rfind(". ", 0, 300), text.rfind("? ", 0, 300)) + 1]
            raise Rejected(text) from None
    return out


def _decay_time_constant(t: np.ndarray, excess: np.ndarray) -> float:
    """Return the time constant of an exponential decay (s) fitted after its peak.

    ``excess`` is the current above its floor I0; the fit is a straight line through
    ``log(excess)`` from the peak down to 1 % of it (or to the end of the trace).
    """
    peak = int(np.argmax(excess))
    tail = excess[peak:]
    keep = tail > 0.01 * tail[0]
    if keep.sum() < 3:
        return float("nan")
    slope = np.polyfit(t[peak:][keep], np.log(tail[keep]), 1)[0]
    return float(-1 / slope) if slope < 0 else float("inf")


@checked("AMPA design")
def check_ampa_design(biases: Any, *, tau: Any = AMPA_DESIGN_TAU,
                      tau_rtol: float = AMPA_DESIGN_TAU_RTOL,
                      peak_range: tuple[Any, Any] = AMPA_DESIGN_PEAK,
                      event_time: Any = 5e-3 * second, dt: Any = 0.1e-3 * second,
                      engine: str | None = None) -> CheckResult:
    """Simulate a student's AMPA biases and check the EPSC of one event against a spec.

    The design (exercise 1.5): choose the AMPA biases of a core so that ONE input event on
    ONE CAM entry gives an EPSC that decays with ``tau`` (+- ``tau_rtol``) and whose
    amplitude, the peak above the floor ``I0``, lies in ``peak_range``. The check runs the
    design on the emulator (:class:`~dynsim.dynapse.Experiment`, one neuron of ``Core_0``,
    one AMPA event at ``event_time``), measures the amplitude and fits the decay's time
    constant on the recorded trace, and says which knob to turn: the leak
    ``NPDPIE_TAU_F_P`` sets ``tau = C U_T/(kappa Itau)`` alone; the amplitude is
    ``(Ith/Itau) Iw``, so it changes with the weight ``PS_WEIGHT_EXC_F_N``, the gain
    ``NPDPIE_THR_F_P`` *and* the leak.

    Parameters
    ----------
    biases : dict
        The student's ``{samna name: (coarse, fine)}`` of AMPA biases (or physical names with
        currents); biases left out keep their defaults.
    tau : Quantity or float
        Wanted decay time constant (seconds, default 10 ms).
    tau_rtol : float
        Accepted relative error of tau (default 0.1).
    peak_range : tuple of Quantity or float
        Lowest and highest accepted amplitude above I0 (amperes, default 20-40 pA).
    event_time : Quantity or float
        When the event arrives (seconds, default 5 ms).
    dt : Quantity or float
        Time step of the simulation (seconds, default 0.1 ms).
    engine : str, optional
        The emulator's engine (default: dynsim's default).

    Returns
    -------
    CheckResult
        PASS with the measured tau and amplitude, or NOT YET with a hint naming the bias to
        raise or lower (also for a stub, a value that is not a dict, an unknown bias, a bias of
        another group, a coarse or fine value out of range).

    Raises
    ------
    dynsim.errors.InvalidSettingError
        For a specification that makes no sense (a tau that is not a time > 0, an empty or
        reversed peak range, an event time outside 0-1 s).

    References
    ----------
    Bartolozzi C., Indiveri G. (2007). Synaptic dynamics in analog VLSI. Neural Computation
    19(10), 2581-2603.

    Examples
    --------
    >>> bool(check_ampa_design({"NPDPIE_TAU_F_P": (0, 121), "PS_WEIGHT_EXC_F_N": (0, 45)},
    ...                        engine="numpy"))
    True
    """
    from dynsim.dynapse.experiment import Experiment  # the bench engine: heavy, built on use

    name = "AMPA design"
    goal = data_scalar(tau, "s", "tau", positive=True)
    rtol = data_scalar(tau_rtol, "", "tau_rtol", positive=True)
    if not isinstance(peak_range, tuple | list) or len(peak_range) != 2:
        raise InvalidSettingError(f"peak_range must be (lowest, highest) currents, got "
                                  f"{peak_range!r}")
    low, high = (data_scalar(v, "A", "peak_range", positive=True) for v in peak_range)
    if not low < high:
        raise InvalidSettingError(f"peak_range must be (lowest, highest), got {peak_range!r}")
    onset = data_scalar(event_time, "s", "event_time", positive=True)
    step = data_scalar(dt, "s", "dt", positive=True)
    if onset > 1:
        raise InvalidSettingError(f"event_time must be within 0-1 s, got {event_time!r}")
    chosen = _group_design_biases(biases, "AMPA")

    experiment = Experiment(1, core="Core_0", engine=engine, dt=step * second,
                            record=["I_ampa"], name="check_ampa_design")
    experiment.set_bias(chosen)
    experiment.set_input("AMPA", times=np.array([onset]) * second, weight=1)
    run = experiment.run((onset + 5 * goal) * second)
    t = np.asarray(run.t / second)
    excess = np.asarray((run.I_ampa[0] - physics.I0) / amp)
    amplitude = float(excess.max())
    shown = ", ".join(f"{key} = {value}" for key, value in chosen.items())
    wanted = (f"tau {_fmt(goal, 's')} +- {100 * rtol:.0f} %, amplitude {_fmt(low, 'A')}-"
              f"{_fmt(high, 'A')}")
    if amplitude < 0.01 * low:
        return fail(name, f"{shown}: one event gives no EPSC (amplitude "
                    f"{_fmt(amplitude, 'A')}): is the weight bias PS_WEIGHT_EXC_F_N's fine "
                    "value 0? The amplitude is (Ith/Itau) Iw")
    measured = _decay_time_constant(t, excess)
    found = f"measured tau {_fmt(measured, 's')}, amplitude {_fmt(amplitude, 'A')}"
    tau_ok = relative_error(measured, goal) <= rtol
    peak_ok = low <= amplitude <= high
    if tau_ok and peak_ok:
        return success(name, f"{shown}: {found} on the emulator (spec: {wanted})")
    hints = []
    if not tau_ok:
        way = "raise" if measured > goal else "lower"
        hints.append(f"tau is too {'long' if measured > goal else 'short'}: {way} the AMPA "
                     "leak bias NPDPIE_TAU_F_P (tau = C U_T/(kappa Itau): a larger leak "
                     "current gives a shorter tau)")
    if not peak_ok:
        way = "lower" if amplitude > high else "raise"
        note = ("" if tau_ok else "; set tau first: changing the leak also changes the gain "
                "Ith/Itau and so the amplitude")
        if tau_ok and "PS_WEIGHT_EXC_F_N" not in chosen and "NPDPIE_THR_F_P" not in chosen:
            note = ("; a new leak Itau changed the gain Ith/Itau, so the default weight no "
                    "longer gives the amplitude you want")
        hints.append(f"the amplitude is too {'large' if amplitude > high else 'small'}: {way} "
                     f"the AMPA weight bias PS_WEIGHT_EXC_F_N (amplitude = (Ith/Itau) Iw; or "
                     f"{way} the gain bias NPDPIE_THR_F_P){note}")
    return fail(name, f"{shown}: {found} (spec: {wanted}); " + "; ".join(hints))


# ---- design exercises: notebook 02 and 03 (issue 11)
#: the name of the Experiment every design check simulates (one set of Brian2 objects)
_DESIGN_NAME = "check_design"


def _design_biases(biases: Any, group: str, exercise: str) -> dict[str, tuple[int, int]]:
    """Return a student's design ``{samna name: (coarse, fine)}`` of one bias group.

    Raises
    ------
    Rejected
        For a stub, anything that is not a dictionary, an empty one, an unknown bias name, a
        bias of another group, or a value the bias cannot take (with the bias table's hint).
    """
    biases = answered(biases)
    allowed = [spec for spec in BIAS_TABLE if spec.group == group and spec.modelled]
    names = ", ".join(f"{spec.samna_name} ({spec.kind})" for spec in allowed)
    if not isinstance(biases, Mapping):
        raise Rejected(f"give your design as a dictionary {{bias name: (coarse, fine)}} of the "
                       f"{group} biases ({names}), got {brief(biases)}")
    if not biases:
        raise Rejected(f"your dictionary is empty: set at least one of the {group} biases "
                       f"({names})")
    unknown = [name for name in biases if not _is_bias_name(name)]
    if unknown:
        raise Rejected(f"unknown bias name {brief(unknown[0])}: the {group} biases are {names}")
    try:
        resolved = resolve_biases(dict(biases))
    except DynsimError as error:
        raise Rejected(f"{error} (the {group} biases are {names})") from None
    others = sorted(name for name in resolved if bias_spec(name).group != group)
    if others:
        raise Rejected(f"{exercise} designs the {group} circuit only: {', '.join(others)} "
                       f"belong(s) to another circuit; use {names}")
    return resolved


def _is_bias_name(name: object) -> bool:
    """Whether ``name`` is a samna or physical bias name."""
    try:
        bias_spec(name)
    except DynsimError:
        return False
    return True


def _design_run(n_neurons: int, seed: int, engine: str | None, record: str,
                biases: Mapping[str, tuple[int, int]]) -> Any:
    """Return the design checks' Experiment: ``n_neurons`` on Core_0 with ``biases`` set."""
    from dynsim.dynapse.experiment import Experiment

    experiment = Experiment(n_neurons, engine=engine, seed=seed, record=(record,),
                            name=_DESIGN_NAME)
    experiment.set_bias(dict(biases))
    return experiment


def _rate_band(band: Any) -> tuple[float, float]:
    """Return the notebook's ``(low, high)`` rate band in Hz; raise for anything else."""
    if not (isinstance(band, tuple | list) and len(band) == 2):
        raise InvalidSettingError(f"band must be a pair (low, high) of rates, got {band!r}")
    low, high = (rate_hz(value, "band") for value in band)
    if not low < high:
        raise InvalidSettingError(f"band must have low < high, got {band!r}")
    return low, high


@checked("AMPA design")
def check_ampa_rate_design(biases: Any, rate: Any = 100 * Hz, band: Any = (40 * Hz, 60 * Hz),
                           *, seed: int = 0, n_trains: int = 16, duration: Any = 0.3 * second,
                           engine: str | None = "numpy") -> CheckResult:
    """Check AMPA biases designed so that a neuron fires in a rate band under an input train.

    The check simulates the design on the emulator: ``n_trains`` neurons of a core with the
    factory biases, adaptation off (``IF_AHW_P = (0, 0)``), no DC, and the student's AMPA
    biases, each neuron driven by its own seeded Poisson train of ``rate`` on one CAM entry
    (an :class:`~dynsim.dynapse.Experiment`). It passes when the mean output rate over the
    trains lies in ``band``. Every event adds ``J = (Ith/Itau) Iw`` to the AMPA DPI, which
    decays with ``tau = C U_T/(kappa Itau)``: the mean current is ``J tau rate`` (Campbell's
    theorem), the fluctuations around it shrink as ``tau rate`` grows.

    Parameters
    ----------
    biases : dict
        The student's design ``{name: (coarse, fine)}`` of the AMPA biases
        ``PS_WEIGHT_EXC_F_N`` (weight), ``NPDPIE_TAU_F_P`` (leak: tau) and ``NPDPIE_THR_F_P``
        (gain); physical names with currents (``{'Iw_ampa': 400 * pA}``) work too.
    rate : Quantity or float
        Rate of each input train (hertz, default 100 Hz).
    band : tuple
        Accepted mean output rates ``(low, high)`` (hertz, default 40-60 Hz).
    seed : int
        Seed of the Poisson trains (another seed: other trains of the same rate).
    n_trains : int
        Neurons, each with its own train (1..256; default 16).
    duration : Quantity
        Simulated time (default 300 ms, at most 10 s).
    engine : str, optional
        The emulator's engine (default ``'numpy'``: a check's run is short, and numpy needs
        no compilation and no memory for compiled modules; None: dynsim's default).

    Returns
    -------
    CheckResult
        A pass with the mean rate; a NOT YET says which way to turn which bias.

    References
    ----------
    Chicca E. et al. (2014). Neuromorphic electronic circuits for building autonomous
    cognitive systems. Proc. IEEE 102(9), 1367-1388 (the DPI synapse).

    Examples
    --------
    >>> from brian2 import Hz, ms
    >>> check_ampa_rate_design({"PS_WEIGHT_EXC_F_N": (1, 61)}, n_trains=2, duration=100 * ms,
    ...                        engine="numpy")
    NOT YET [AMPA design] mean rate 0 Hz is below 40-60 Hz (input 100 Hz, mean AMPA current J tau nu = 35 pA, rheobase 301 pA): the neuron never fired: give each event more charge J tau: raise the weight PS_WEIGHT_EXC_F_N (fine, or coarse for about 8x) or the gain NPDPIE_THR_F_P, or lengthen tau_ampa by lowering the leak NPDPIE_TAU_F_P
    """  # noqa: E501
    name = "AMPA design"
    rate_in = rate_hz(rate, "rate")
    low, high = _rate_band(band)
    seed = whole_number(seed, "seed", low=0, high=2**32 - 1)
    n_trains = whole_number(n_trains, "n_trains", low=1, high=NEURONS_PER_CORE)
    length = duration_seconds(duration, "duration", high=10.0)
    design = _design_biases(biases, "AMPA", "this exercise")
    experiment = _design_run(n_trains, seed, engine, "Imem", {"IF_AHW_P": (0, 0), **design})
    experiment.set_input("AMPA", rate=rate_in * Hz, kind="poisson", weight=1)
    recording = experiment.run(length * second)
    rates = np.bincount(recording.spike_indices, minlength=n_trains) / length
    mean = float(np.mean(rates))
    currents = experiment.get_bias().currents()
    synaptic, jump, tau = _mean_dpi_excess(currents, "ampa", rate_in, 1)
    spread = f"the {n_trains} trains give {_fmt(rates.min(), 'Hz')} to {_fmt(rates.max(), 'Hz')}"
    where = (f"(input {_fmt(rate_in, 'Hz')}, mean AMPA current J tau nu = {_fmt(synaptic, 'A')}, "
             f"rheobase {_fmt(physics.rheobase(currents), 'A')})")
    if low <= mean <= high:
        return success(name, f"mean rate {_fmt(mean, 'Hz')} in {low:g}-{high:g} Hz ({spread}; "
                       f"J = {_fmt(jump, 'A')}, tau_ampa = {_fmt(tau, 's')})")
    knobs = ("the weight PS_WEIGHT_EXC_F_N (fine, or coarse for about 8x) or the gain "
             "NPDPIE_THR_F_P")
    if mean < low:
        hint = (f"mean rate {_fmt(mean, 'Hz')} is below {low:g}-{high:g} Hz {where}: "
                f"{'the neuron never fired: ' if mean == 0 else ''}give each event more "
                f"charge J tau: raise {knobs}, or lengthen tau_ampa by lowering the leak "
                "NPDPIE_TAU_F_P")
    else:
        hint = (f"mean rate {_fmt(mean, 'Hz')} is above {low:g}-{high:g} Hz {where}: give "
                f"each event less charge J tau: lower {knobs}, or shorten tau_ampa by raising "
                "the leak NPDPIE_TAU_F_P")
    if mean > 0 and rates.max() > 2 * max(rates.min(), 1 / length):
        hint += (f"; {spread}: with tau_ampa = {_fmt(tau, 's')} the neuron sees single kicks, "
                 "a longer tau averages them (Think! 2.2)")
    return fail(name, hint)


@checked("adaptation design")
def check_adaptation_design(biases: Any, dc: Any = 1e-9 * amp, *, min_first_rate: Any = 70 * Hz,
                            ratio: tuple[float, float] = (0.3, 0.5),
                            tau_range: Any = (40e-3 * second, 60e-3 * second),
                            duration: Any = 0.3 * second, engine: str | None = "numpy"
                            ) -> CheckResult:
    """Check adaptation biases designed for a spec of strength (how much) and memory (how long).

    The spec: the adaptation time constant ``tau_ahp = C_ahp U_T/(kappa Itau_ahp)`` lies in
    ``tau_range`` (the neuron forgets its firing within a few tau_ahp); under the DC input
    ``dc`` the rate of the first inter-spike interval is at least ``min_first_rate`` (one
    spike's AHP jump ``J_ahp = (Ith_ahp/Itau_ahp) Iw_ahp`` barely slows the next interval);
    and the adapted rate, over the last third of ``duration``, is ``ratio`` (low, high) of the
    first-interval rate (the jumps add up to ``J_ahp tau_ahp f``). The check simulates one
    neuron with the factory biases, the DC and the student's adaptation biases on the
    emulator (an :class:`~dynsim.dynapse.Experiment`).

    Parameters
    ----------
    biases : dict
        The student's design ``{name: (coarse, fine)}`` of the adaptation biases
        ``IF_AHW_P`` (weight), ``IF_AHTAU_N`` (leak: tau_ahp) and ``IF_AHTHR_N`` (gain);
        physical names with currents (``{'Iw_ahp': 2 * pA}``) work too.
    dc : Quantity or float
        The DC input (amperes, rounded to the nearest ``IF_DC_P``; default 1 nA).
    min_first_rate : Quantity or float
        Lowest accepted rate of the first interval (hertz, default 70 Hz).
    ratio : tuple of float
        Accepted adapted rate / first-interval rate (default 0.3-0.5).
    tau_range : tuple of Quantity
        Accepted ``tau_ahp`` (default 40-60 ms).
    duration : Quantity
        Simulated time (default 300 ms, at most 10 s).
    engine : str, optional
        The emulator's engine (default ``'numpy'``: a check's run is short, and numpy needs
        no compilation and no memory for compiled modules; None: dynsim's default).

    Returns
    -------
    CheckResult
        A pass with the measured rates; a NOT YET says which bias to turn which way.

    References
    ----------
    Chicca E. et al. (2014). Neuromorphic electronic circuits for building autonomous
    cognitive systems. Proc. IEEE 102(9), 1367-1388 (the adaptation DPI).

    Examples
    --------
    >>> check_adaptation_design({"IF_AHW_P": (0, 26)}, engine="numpy")
    NOT YET [adaptation design] tau_ahp = 70.9 ms is outside 40-60 ms: it is too long; tau_ahp = C_ahp U_T/(kappa Itau_ahp): raise the leak IF_AHTAU_N (a larger current forgets faster)
    """  # noqa: E501
    name = "adaptation design"
    dc_a = current_amperes(dc, "dc", low=0.0)
    first_min = rate_hz(min_first_rate, "min_first_rate")
    if not (isinstance(ratio, tuple | list) and len(ratio) == 2
            and 0 < float(ratio[0]) < float(ratio[1]) <= 1):
        raise InvalidSettingError(f"ratio must be a pair 0 < low < high <= 1, got {ratio!r}")
    if not (isinstance(tau_range, tuple | list) and len(tau_range) == 2):
        raise InvalidSettingError(f"tau_range must be a pair of times, got {tau_range!r}")
    tau_low, tau_high = (duration_seconds(t, "tau_range") for t in tau_range)
    length = duration_seconds(duration, "duration", high=10.0)
    design = _design_biases(biases, "adaptation", "this exercise")
    group = _bias_group(design)
    tau = float(time_constant("IF_AHTAU_N", *group.as_dict()["IF_AHTAU_N"]) / second)
    band = f"{tau_low * 1e3:g}-{tau_high * 1e3:g} ms"
    if not tau_low <= tau <= tau_high:
        way, turn = (("too long", "raise"), ("too short", "lower"))[tau < tau_low]
        return fail(name, f"tau_ahp = {_fmt(tau, 's')} is outside {band}: it is {way}; tau_ahp "
                    f"= C_ahp U_T/(kappa Itau_ahp): {turn} the leak IF_AHTAU_N (a larger "
                    "current forgets faster)")
    experiment = _design_run(1, 0, engine, "Iahp", {
        **design, "IF_DC_P": nearest_coarse_fine(dc_a, "IF_DC_P")})
    spikes = np.asarray(experiment.run(length * second).spike_times / second)
    if len(spikes) < 2:
        return fail(name, f"{len(spikes)} spike(s) in {_fmt(length, 's')}: the neuron needs the "
                    "DC input to fire; your adaptation stops it: lower IF_AHW_P")
    first = 1 / (spikes[1] - spikes[0])
    late = spikes[spikes >= 2 * length / 3]
    adapted = (len(late) - 1) / (late[-1] - late[0]) if len(late) > 1 else 0.0
    share = adapted / first
    low, high = float(ratio[0]), float(ratio[1])
    measured = (f"first interval {_fmt(first, 'Hz')}, adapted {_fmt(adapted, 'Hz')} "
                f"({100 * share:.0f} %) with tau_ahp = {_fmt(tau, 's')}")
    if first < first_min:
        return fail(name, f"{measured}: the first interval is slower than "
                    f"{_fmt(first_min, 'Hz')}: one spike's jump J_ahp = (Ith_ahp/Itau_ahp) Iw_ahp "
                    "is too large; lower IF_AHW_P and let many small jumps add up (a longer "
                    "tau_ahp within the spec keeps more of each)")
    if share > high:
        return fail(name, f"{measured}: too little adaptation (wanted {100 * low:.0f}-"
                    f"{100 * high:.0f} %): raise the weight IF_AHW_P (how much per spike)")
    if share < low:
        return fail(name, f"{measured}: too much adaptation (wanted {100 * low:.0f}-"
                    f"{100 * high:.0f} %): lower the weight IF_AHW_P (how much per spike)")
    return success(name, f"{measured}: within {100 * low:.0f}-{100 * high:.0f} % and {band}")


# ---- design exercises: notebook 04 and 07 (issue 11)
#: The WTA of the design exercise of notebook 4: four groups and their pool, all on one core.
WTA_GROUPS, WTA_GROUP_SIZE, WTA_POOL_SIZE = 4, 8, 4
#: The connections a WTA design weighs (CAM entries each), with their synapse types.
WTA_CONNECTIONS = {"input": "AMPA", "recurrent": "NMDA", "to_pool": "NMDA", "from_pool": "GABA_B"}
#: Where the design sits: the core of the WTA and the core of its Poisson inputs.
_WTA_CORE, _WTA_INPUT_CORE = 1, 3
#: The window (s) in which the strongest input's group must dominate, and by how much.
WTA_WINDOW, WTA_DOMINANCE, WTA_MIN_RATE = (0.05, 0.2), 3.0, 10.0


def _wta_weights(weights: Any) -> dict[str, int]:
    """Return a student's CAM weights of the WTA, or a hint."""
    weights = answered(weights)
    names = ", ".join(repr(k) for k in WTA_CONNECTIONS)
    if not isinstance(weights, Mapping):
        raise Rejected(f"give the weights as a dict {{{names}: CAM entries}}, got "
                       f"{brief(weights)}")
    unknown = [str(k) for k in weights if k not in WTA_CONNECTIONS]
    missing = [k for k in WTA_CONNECTIONS if k not in weights]
    if unknown or missing:
        raise Rejected(f"the weights need exactly the keys {names}"
                       + (f"; unknown: {', '.join(unknown)}" if unknown else "")
                       + (f"; missing: {', '.join(missing)}" if missing else ""))
    out = {}
    for key, value in weights.items():
        value = answered(value)  # a stub's ... inside the dict
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or not (
                0 <= value <= CAMS_PER_NEURON):
            raise Rejected(f"weights[{key!r}] is a number of CAM entries: a whole number "
                           f"0..{CAMS_PER_NEURON}, got {brief(value)}")
        out[key] = int(value)
    return out


def _core_design_biases(biases: Any, example: str) -> dict[str, tuple[int, int]]:
    """Return a student's biases as ``{samna name: (coarse, fine)}``, or a hint."""
    biases = answered(biases)
    if not isinstance(biases, Mapping):
        raise Rejected("give the biases as a dict {bias name: (coarse, fine)}, e.g. "
                       f"{{{example!r}: (1, 60)}}, got {brief(biases)}")
    for value in biases.values():
        answered(value)  # a stub's ... inside the dict
    try:
        return resolve_biases(dict(biases))
    except DynsimError as error:
        raise Rejected(f"{error}") from None
    except (TypeError, ValueError) as error:
        raise Rejected(f"give each bias as (coarse, fine) of whole numbers: {error}") from None


def _wta_rates(weights: Mapping[str, int], biases: Mapping[str, Any], input_rates: Any, *,
              seed: int = 1, duration: Any = 0.2, engine: str | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """Build the four-group WTA of notebook 4 on one core, drive it, return its group rates.

    Four groups of :data:`WTA_GROUP_SIZE` excitatory neurons and a pool of
    :data:`WTA_POOL_SIZE` inhibitory neurons share ``Core_1`` (one set of biases). Each
    excitatory neuron gets its own Poisson input (AMPA, ``weights['input']`` CAM entries),
    excites the other members of its group (NMDA, ``weights['recurrent']``) and every pool
    neuron (NMDA, ``weights['to_pool']``); every pool neuron inhibits every excitatory neuron
    (GABA_B, ``weights['from_pool']``).

    Parameters
    ----------
    weights : dict
        CAM entries per connection, keys :data:`WTA_CONNECTIONS`.
    biases : dict
        Biases of the core (``{name: (coarse, fine)}``), set over the defaults.
    input_rates : sequence of 4 float
        Poisson rate (Hz) of the inputs of each group.
    seed : int
        Seed of the Poisson trains.
    duration : Quantity or float
        Simulated time (s).
    engine : str, optional
        dynsim engine (default: ``$DYNSIM_ENGINE``, else ``'auto'``).

    Returns
    -------
    rates : ndarray
        Mean rate per neuron (Hz) of each group, then of the pool, in :data:`WTA_WINDOW`.
    first : ndarray
        Time (s) of each group's first spike (``inf`` for a silent group).

    Raises
    ------
    dynsim.errors.CAMLimitError
        If a neuron of the design needs more than 64 CAM entries.

    Examples
    --------
    >>> weights = {"input": 4, "recurrent": 2, "to_pool": 1, "from_pool": 3}
    >>> rates, first = _wta_rates(weights, {}, [40, 100, 60, 50])  # doctest: +SKIP
    """
    from brian2 import second as _second

    from dynsim.dynapse.model import Dynapse1Model
    from dynsim.dynapse.netgen import NetworkGenerator, Neuron

    rates_in = data_array(input_rates, "Hz", "input_rates")
    if rates_in.size != WTA_GROUPS or not np.all(np.isfinite(rates_in) & (rates_in >= 0)):
        raise InvalidSettingError(f"input_rates must be {WTA_GROUPS} rates >= 0 (Hz), got "
                                  f"{input_rates!r}")
    length = data_scalar(duration, "s", "duration", positive=True)
    if length <= WTA_WINDOW[0] or length > 10:
        raise InvalidSettingError(f"duration must be above {WTA_WINDOW[0]} s and at most 10 s, "
                                  f"got {duration}")
    size = WTA_GROUP_SIZE
    groups = [[Neuron(0, _WTA_CORE, 1 + g * size + k) for k in range(size)]
              for g in range(WTA_GROUPS)]
    pool = [Neuron(0, _WTA_CORE, 1 + WTA_GROUPS * size + k) for k in range(WTA_POOL_SIZE)]
    inputs = [[Neuron(0, _WTA_INPUT_CORE, 1 + 64 * g + k, is_spike_gen=True) for k in range(size)]
              for g in range(WTA_GROUPS)]
    kind = WTA_CONNECTIONS
    connections = []
    for g in range(WTA_GROUPS):
        for source, post in zip(inputs[g], groups[g], strict=True):
            connections += [(source, post, kind["input"])] * weights["input"]
            for pre in groups[g]:
                if pre != post:
                    connections += [(pre, post, kind["recurrent"])] * weights["recurrent"]
            for inhibitory in pool:
                connections += [(inhibitory, post, kind["from_pool"])] * weights["from_pool"]
                connections += [(post, inhibitory, kind["to_pool"])] * weights["to_pool"]
    network = NetworkGenerator()
    network.add_connections(connections)  # all or nothing: CAMLimitError past 64 entries
    configuration = network.make_dynapse1_configuration()
    group = configuration.chips[0].cores[_WTA_CORE].parameter_group
    for name, (coarse, fine) in resolve_biases(dict(biases)).items():
        group.update_parameter(Dynapse1Parameter(name, coarse, fine))
    model = Dynapse1Model(engine=engine, seed=seed, name="check_wta_design")
    model.apply_configuration(configuration)
    poisson = model.get_poisson_gen()
    for g in range(WTA_GROUPS):
        for source in inputs[g]:
            poisson.write_poisson_rate_hz(source.neuron_id + NEURONS_PER_CORE * source.core_id,
                                          float(rates_in[g]))
    poisson.start()
    events = model.run(length * _second)
    ids = np.array([e.global_id for e in events], dtype=np.int64)
    times = np.array([e.timestamp for e in events], dtype=float) * 1e-6
    start, stop = WTA_WINDOW[0], min(WTA_WINDOW[1], length)
    inside = (times >= start) & (times < stop)
    rates, first = [], []
    for members in [*groups, pool]:
        mine = np.isin(ids, [n.global_id for n in members])
        rates.append(np.sum(mine & inside) / (len(members) * (stop - start)))
        first.append(float(times[mine].min()) if mine.any() else math.inf)
    return np.array(rates), np.array(first[:WTA_GROUPS])


@checked("WTA design")
def check_wta_design(weights: Any, biases: Any, input_rates: Any = (40.0, 100.0, 60.0, 50.0),
                     *, seed: int = 1, duration: Any = 0.2, engine: str | None = None
                     ) -> CheckResult:
    """Check a winner-take-all design on one core: the strongest of four inputs wins.

    The design (:func:`_wta_rates`: four groups of 8 excitatory neurons and a pool of 4
    inhibitory neurons, all on ``Core_1``) is simulated on the emulator with seeded Poisson
    inputs. It passes when, between :data:`WTA_WINDOW` = 50 and 200 ms, the group of the
    strongest input fires at least :data:`WTA_MIN_RATE` = 10 Hz per neuron and at least
    :data:`WTA_DOMINANCE` = 3 times the rate of every other group.

    Parameters
    ----------
    weights : dict
        The student's CAM entries per connection: ``'input'`` (AMPA), ``'recurrent'``
        (NMDA, within a group), ``'to_pool'`` (NMDA, excitatory -> pool), ``'from_pool'``
        (GABA_B, pool -> excitatory). Every neuron's sum must fit 64 entries.
    biases : dict
        The student's biases of the core, ``{name: (coarse, fine)}`` (e.g. the weight biases
        ``PS_WEIGHT_EXC_F_N`` of AMPA, ``PS_WEIGHT_EXC_S_N`` of NMDA, ``PS_WEIGHT_INH_S_N`` of
        GABA_B), over the factory defaults.
    input_rates : sequence of 4 float
        Poisson rate (Hz) of each group's inputs; the strongest must be unique.
    seed : int
        Seed of the Poisson trains.
    duration : Quantity or float
        Simulated time (s); 0.2 s covers the window.
    engine : str, optional
        dynsim engine.

    Raises
    ------
    dynsim.errors.InvalidSettingError
        For input rates without a unique strongest one, or a duration out of range.

    References
    ----------
    Chicca E. et al. (2014), Proc. IEEE 102(9), 1367-1388 (soft winner-take-all on DYNAPs).

    Examples
    --------
    >>> weights = {"input": 4, "recurrent": 2, "to_pool": 1, "from_pool": 3}
    >>> biases = {"PS_WEIGHT_EXC_F_N": (1, 150), "PS_WEIGHT_EXC_S_N": (0, 250),
    ...           "PS_WEIGHT_INH_S_N": (1, 60)}
    >>> check_wta_design(weights, biases)  # doctest: +SKIP
    PASS [WTA design] ...
    """
    from dynsim.errors import CAMLimitError

    name = "WTA design"
    rates_in = data_array(input_rates, "Hz", "input_rates")
    if rates_in.size != WTA_GROUPS or np.sum(rates_in == rates_in.max()) != 1:
        raise InvalidSettingError(f"input_rates must be {WTA_GROUPS} rates with one strongest, "
                                  f"got {input_rates!r}")
    chosen_weights = _wta_weights(weights)
    chosen_biases = _core_design_biases(biases, "PS_WEIGHT_INH_S_N")
    try:
        rates, first = _wta_rates(chosen_weights, chosen_biases, rates_in, seed=seed,
                                 duration=duration, engine=engine)
    except CAMLimitError as error:
        size, pool = WTA_GROUP_SIZE, WTA_POOL_SIZE
        fan_exc = (chosen_weights["input"] + (size - 1) * chosen_weights["recurrent"]
                   + pool * chosen_weights["from_pool"])
        fan_pool = WTA_GROUPS * size * chosen_weights["to_pool"]
        return fail(name, f"the design does not fit the chip ({error}): an excitatory neuron "
                    f"needs input + {size - 1} x recurrent + {pool} x from_pool = {fan_exc} "
                    f"CAM entries, a pool neuron {WTA_GROUPS * size} x to_pool = {fan_pool}; "
                    f"each must be <= {CAMS_PER_NEURON}: use smaller weights and a larger "
                    "weight bias instead")
    winner = int(np.argmax(rates_in))
    others = np.delete(rates[:WTA_GROUPS], winner)
    shown = ", ".join(f"{g}: {r:.1f} Hz" for g, r in zip("ABCD", rates[:WTA_GROUPS], strict=True))
    where = (f"group {'ABCD'[winner]} has the strongest input ({rates_in[winner]:g} Hz); rates "
             f"in {1e3 * WTA_WINDOW[0]:g}-{1e3 * WTA_WINDOW[1]:g} ms: {shown}, pool "
             f"{rates[-1]:.1f} Hz")
    if rates[winner] >= WTA_MIN_RATE and np.all(rates[winner] >= WTA_DOMINANCE * others):
        lead = "" if not np.isfinite(first[winner]) else (
            f" (first spike of the winner at {1e3 * first[winner]:.0f} ms)")
        return success(name, f"{where}: the strongest input wins, {WTA_DOMINANCE:g}x above "
                       f"every other group{lead}")
    if np.all(rates[:WTA_GROUPS] < WTA_MIN_RATE):
        return fail(name, f"{where}: every group is (nearly) silenced, the winner needs >= "
                    f"{WTA_MIN_RATE:g} Hz: less inhibition (lower 'from_pool' or the GABA_B "
                    "weight bias PS_WEIGHT_INH_S_N), or more drive (more 'recurrent' "
                    "self-excitation, or a larger input weight)")
    if rates[winner] < np.max(others):
        return fail(name, f"{where}: a weaker input won. Strong self-excitation locks in "
                    "whichever group starts first: lower 'recurrent' (or the NMDA weight bias "
                    "PS_WEIGHT_EXC_S_N), and let the inhibition decide (raise 'from_pool')")
    return fail(name, f"{where}: no clear winner (it needs {WTA_DOMINANCE:g}x every other "
                "group): more inhibition (raise 'from_pool', 'to_pool' or PS_WEIGHT_INH_S_N), "
                "or more self-excitation of the groups ('recurrent') so the winner pulls ahead")


#: The spec of the design exercise of notebook 7: the band (Hz) and the share of chips in it.
MISMATCH_BAND, MISMATCH_SHARE = (40.0, 60.0), 0.9
#: Biases every chip of the Monte Carlo starts from: adaptation off, as in notebooks 2 and 7.
_MONTE_CARLO_BASE = {"IF_AHW_P": (0, 0)}


def _chip_rates(biases: Mapping[str, Any], chips: Sequence[int], *, duration: Any = 0.2,
               sigma: float = physics.MISMATCH_SIGMA, engine: str | None = None) -> np.ndarray:
    """Return the firing rate (Hz) of one neuron of each chip with the same biases.

    One :class:`~dynsim.sweep.ExperimentPoint` run: neuron ``k`` is the first neuron of chip
    ``chips[k]`` (:class:`~dynsim.dynapse.Mismatch` of ``sigma`` and seed ``chips[k]``), with
    adaptation off and ``biases`` set over the factory defaults.

    Parameters
    ----------
    biases : dict
        ``{bias name: (coarse, fine)}`` (any form ``Experiment.set_bias`` takes).
    chips : sequence of int
        Mismatch seeds, 1..256 of them.
    duration : Quantity or float
        Simulated time of the run (s).
    sigma : float
        Relative spread of every bias current.
    engine : str, optional
        dynsim engine.

    Examples
    --------
    >>> _chip_rates({"IF_DC_P": (3, 60)}, range(3))  # doctest: +SKIP
    array([50., 55., 50.])
    """
    from dynsim.sweep import ExperimentPoint

    seeds = tuple(int(c) for c in chips)
    if not 1 <= len(seeds) <= NEURONS_PER_CORE:
        raise InvalidSettingError(f"give 1..{NEURONS_PER_CORE} chips, got {len(seeds)}")
    length = data_scalar(duration, "s", "duration", positive=True)
    point = ExperimentPoint(n_neurons=len(seeds), duration=length, engine=engine,
                            biases=_MONTE_CARLO_BASE, mismatch_sigma=float(sigma),
                            name="check_mismatch_design", reuse=False)
    result = point(**dict(biases), mismatch_seeds=seeds)
    return np.asarray(result["rates_Hz"] if len(seeds) > 1 else [result["rate_Hz"]],
                      dtype=float).reshape(-1)


@checked("mismatch design")
def check_mismatch_design(biases: Any, *, n_chips: int = 40, first_chip: int = 0,
                          duration: Any = 0.2, engine: str | None = None) -> CheckResult:
    """Check biases that make at least 90 % of chips fire at 40-60 Hz despite mismatch.

    The same biases (over the defaults, adaptation off) are run on ``n_chips`` emulated chips
    (mismatch seeds ``first_chip, first_chip + 1, ...``, sigma
    :data:`dynsim.dynapse.physics.MISMATCH_SIGMA`), one neuron each, without any calibration.
    The design passes when a share of at least :data:`MISMATCH_SHARE` of the chips fires
    within :data:`MISMATCH_BAND`.

    Parameters
    ----------
    biases : dict
        The student's ``{bias name: (coarse, fine)}`` (e.g. ``IF_DC_P``, ``IF_RFR_N``).
    n_chips : int
        Chips of the Monte Carlo (1..256).
    first_chip : int
        Mismatch seed of the first chip.
    duration : Quantity or float
        Simulated time of the run (s): a rate is resolved to ``1/duration``.
    engine : str, optional
        dynsim engine.

    References
    ----------
    Pelgrom M., Duinmaijer A., Welbers A. (1989). Matching properties of MOS transistors.
    IEEE JSSC 24(5), 1433-1439.

    Examples
    --------
    >>> check_mismatch_design({"IF_DC_P": (3, 60), "IF_RFR_N": (0, 24)})  # doctest: +SKIP
    PASS [mismatch design] ...
    """
    from dynsim.validation import whole_number

    name = "mismatch design"
    count = whole_number(n_chips, "n_chips", low=1, high=NEURONS_PER_CORE,
                         error=InvalidSettingError)
    first = whole_number(first_chip, "first_chip", low=0, high=2**32 - 1 - count,
                         error=InvalidSettingError)
    chosen = _core_design_biases(biases, "IF_DC_P")
    rates = _chip_rates(chosen, range(first, first + count), duration=duration, engine=engine)
    low, high = MISMATCH_BAND
    share = float(np.mean((rates >= low) & (rates <= high)))
    median = float(np.median(rates))
    spread = float(np.std(rates) / np.mean(rates)) if np.mean(rates) > 0 else math.inf
    where = (f"{100 * share:.0f} % of {count} chips fire at {low:g}-{high:g} Hz (median "
             f"{median:.0f} Hz, spread std/mean {100 * spread:.0f} %)")
    if share >= MISMATCH_SHARE:
        return success(name, f"{where}: at least {100 * MISMATCH_SHARE:.0f} % without "
                       "calibration")
    if median < low:
        return fail(name, f"{where}: most chips fire too slowly: raise the drive (IF_DC_P, "
                    "its fine value or coarse value) or shorten the refractory period (raise "
                    "IF_RFR_N)")
    if median > high:
        return fail(name, f"{where}: most chips fire too fast: lower the drive (IF_DC_P) or "
                    "lengthen the refractory period (lower IF_RFR_N: t_refr = 1/rate at most)")
    return fail(name, f"{where}: the median is in the band, but the chips spread too widely. "
                "Near the rheobase the rate is steep in the current, so it spreads more than "
                "the currents do: drive the neuron far above its rheobase and let the "
                "refractory period (IF_RFR_N) set the rate instead")
