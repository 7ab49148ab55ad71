"""Self-checks of the Loihi exercises (course notebooks 5 and 6).

Every check compares a student's answer with the chip's integer arithmetic (Davies et al.
2018: ``decay(x, d) = sign(x) ((|x| (4096 - d)) >> 12)``, ``vth = vth_mant << 6``,
``w_act = w_mant 2**(6 + w_exp)``, a 21-bit + sign dendritic accumulator, 24-bit u), with
the physics of the float model it stands for (``exp(-1/tau)`` per 1 ms step), or with an
independent computation, never with a stored number. The integer arithmetic is written out
here again, in plain Python integers, rather than taken from the emulator, so a check also
tests the emulator it is used next to. It returns a :class:`~dynsim.checks.CheckResult`: a
pass that says what the answer means, or a hint that names the likely mistake ("you
rounded toward minus infinity: >> on a negative number floors").

A check returns "NOT YET" for an unanswered stub (``...``, ``None``, a function that raises
``NotImplementedError``) and for any wrong answer, of any type, including a student function
that raises (called through :func:`dynsim.checks.call_student`; a value computed by a
function can be handed over unevaluated as :func:`dynsim.checks.answer_from`); it raises a :class:`dynsim.errors.DynsimError` only for the arguments the notebook
supplies when they make no sense (a negative time constant, a scale of zero, a string where
a number is needed).

Time constants are in 1 ms steps (plain numbers, or Brian2 times such as ``20*ms``).

========================================  ====================================================
notebook                                  checks
========================================  ====================================================
5  Loihi fixed point                      :func:`check_integer_decay`,
                                          :func:`check_decay_register`,
                                          :func:`check_weight_encoding`,
                                          :func:`check_quantized_network` (design),
                                          :func:`check_convention_difference`
6  Learning on Loihi                      :func:`check_trace_time_constant`,
                                          :func:`check_stdp_rule`,
                                          :func:`check_stdp_prediction`,
                                          :func:`check_stdp_design` (design),
                                          :func:`check_reproducibility`
========================================  ====================================================

References
----------
Davies, M. et al. (2018). Loihi: a neuromorphic manycore processor with on-chip learning.
IEEE Micro 38(1), 82-99. Michaelis, C. et al. (2022). Brian2Loihi: an emulator for the
neuromorphic chip Loihi using the spiking neural network simulator Brian. Front.
Neuroinform. 16:1015624. nengo-loihi ``discretize.py`` (decays, weight exponents).

Examples
--------
>>> from dynsim.checks.loihi import check_decay_register
>>> check_decay_register(200, tau=20)
PASS [decay register] decay = 200 keeps 3896/4096 = 0.95117 of the value per step: tau = 19.98 ms (target 20 ms)
>>> bool(check_decay_register(205, tau=20))
False
"""  # noqa: E501

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from dynsim.checks import (
    UNANSWERED,
    CheckResult,
    Rejected,
    answer_array,
    answer_scalar,
    answered,
    brief,
    call_student,
    checked,
    data_scalar,
    fail,
    is_unanswered,
    ratio_text,
    relative_error,
    returned_array,
    success,
)
from dynsim.errors import LearningRuleError, RegisterRangeError
from dynsim.loihi import registers
from dynsim.loihi.learning import parse_rule

__all__ = [
    "check_convention_difference",
    "check_decay_register",
    "check_integer_decay",
    "check_quantized_network",
    "check_reproducibility",
    "check_stdp_design",
    "check_stdp_prediction",
    "check_stdp_rule",
    "check_trace_time_constant",
    "check_weight_encoding",
]

# The chip's numbers come from the register table (dynsim.loihi.registers), the one source.
#: 12-bit decay fractions: a decay d keeps (4096 - d) / 4096 per step.
_UNITY = registers.DECAY_UNITY
_DECAY_BITS = registers.DECAY_BITS
#: The effective decays decay_v / decay_I run 0..4096.
_DECAY_MAX = registers.DECAY_EFFECTIVE_MAX
#: Weights: actual weight = w_mant * 2**(6 + w_exp).
_ACT_SHIFT = registers.WEIGHT_ACT_SHIFT
_W_EXP_MIN, _W_EXP_MAX = registers.WEIGHT_EXP_MIN, registers.WEIGHT_EXP_MAX
#: Excitatory 8-bit mantissas.
_MANT_MAX = (1 << registers.WEIGHT_BITS) - 1
#: Dendritic accumulator: 21 bits + sign (silicon); u: 24 bits two's complement.
_ACC_BITS, _UV_BITS = registers.ACC_BITS, registers.UV_BITS
#: What the text of a hint calls them.
_DECAYS = f"0..{_DECAY_MAX}"
#: The convention check's own bound on the size of the question (not a chip number).
_MAX_SYNAPSES = 64
_W_EXPS = f"{_W_EXP_MIN}..{_W_EXP_MAX}"
_MANTS = f"0..{_MANT_MAX}"
_CONVENTIONS = ("silicon", "lava", "brian2_loihi")


# --------------------------------------------------------------------------- helpers
def _steps(value: object, what: str) -> float:
    """Return a time constant the notebook gives, in 1 ms steps (a number or a Brian2 time).

    Raises
    ------
    dynsim.errors.RegisterRangeError
        For anything but one finite positive number or time.
    """
    return data_scalar(value, "step", what, positive=True, error=RegisterRangeError)


def _plain_number(value: object, what: str) -> float:
    """Return one plain number the notebook gives; raise RegisterRangeError for anything else."""
    return data_scalar(value, "", what, error=RegisterRangeError)


def _answer(value: object, unit: str, what: str, wanted: str) -> float:
    """Return a student's one-number answer; a hint that starts with ``wanted`` otherwise."""
    try:
        return answer_scalar(value, unit, what)
    except Rejected as rejected:
        if rejected.hint == UNANSWERED:
            raise
        raise Rejected(f"give {wanted}: {rejected.hint}") from None


def _number_or_none(value: object) -> float | None:
    """Return one number a student's function returned, or None if it is not one number."""
    try:
        return answer_scalar(value, "", "value")
    except Rejected:
        return None


def _whole(value: float) -> bool:
    return math.isfinite(value) and value == round(value)


def _decay_int(x: int, d: int) -> int:
    """Return the chip's decay of one integer (magnitude truncated, sign put back).

    Written out here in plain Python integers on purpose, not taken from
    :func:`dynsim.loihi.registers.decay_toward_zero`: this is the arithmetic the decay check
    checks, so the check stays independent of the emulator it is used next to.
    """
    magnitude = (abs(x) * (_UNITY - d)) >> _DECAY_BITS
    return magnitude if x >= 0 else -magnitude


def _fmt_tau(tau: float) -> str:
    if math.isinf(tau):
        return "infinite (no decay)"
    return f"{tau:.4g} ms"


# --------------------------------------------------------------------------- notebook 5
#: Test values of the decay check: signs, odd values, 24-bit extremes.
_DECAY_X = (0, 1, -1, 7, -7, 100, -100, 4095, -4095, 4097, -4097, 12800, -12800, 54321,
            -54321, 1000003, -1000003, 2**23 - 1, -(2**23 - 1))
_DECAY_D = (0, 1, 200, 742, 2048, 4000, 4095, 4096)


@checked("integer decay")
def check_integer_decay(decay_function: Callable[[np.ndarray, int], Any]) -> CheckResult:
    """Check a student's integer decay ``decay(x, d)`` against the chip's arithmetic.

    The chip keeps ``(4096 - d) / 4096`` of a register per step, in integers, rounding the
    magnitude down (toward zero): ``sign(x) * ((|x| * (4096 - d)) >> 12)``.

    Parameters
    ----------
    decay_function : callable
        ``decay_function(x, d)`` with ``x`` an int64 numpy array (register values, negative
        ones included, up to 24 bits) and ``d`` an int 0..4096; it returns an array of the
        decayed values. It is called for several ``d``.

    Returns
    -------
    CheckResult
        A pass when every value matches; otherwise the likely mistake (rounding toward minus
        infinity, to nearest, keeping floats, the leaked part instead of the kept part,
        32-bit overflow).

    Examples
    --------
    >>> import numpy as np
    >>> def decay(x, d):
    ...     return np.sign(x) * ((np.abs(x) * (4096 - d)) >> 12)
    >>> check_integer_decay(decay)
    PASS [integer decay] all 152 values match the chip: the magnitude is truncated (toward zero), so -4097 decays like +4097
    >>> bool(check_integer_decay(lambda x, d: (x * (4096 - d)) >> 12))
    False
    """  # noqa: E501
    name = "integer decay"
    x = np.array(_DECAY_X, dtype=np.int64)
    triples: list[tuple[int, int, float]] = []
    for d in _DECAY_D:
        result = call_student(decay_function, (x.copy(), d), call=f"decay(x, {d})",
                              advice="x is an int64 numpy array, d an int: use numpy "
                              "operations (np.abs, np.sign, >>, //)")
        got = returned_array(result, f"decay(x, {d})",
                             "an array with one decayed value per element of x")
        if got.shape != x.shape:
            return fail(name, f"decay(x, {d}) returned {got.size} values for {x.size} inputs: "
                        "return one decayed value per element of x")
        triples += [(xi, d, gi) for xi, gi in zip(x.tolist(), got.tolist(), strict=True)]
    wrong = [(xi, d, gi) for xi, d, gi in triples if gi != _decay_int(xi, d)]
    if not wrong:
        return success(name, f"all {len(triples)} values match the chip: the magnitude is "
                       "truncated (toward zero), so -4097 decays like +4097")
    xi, d, gi = wrong[0]
    example = (f"e.g. x = {xi}, d = {d}: yours gives {gi:.6g}, "
               f"{'higher' if gi > _decay_int(xi, d) else 'lower'} than the chip")
    hint = next((text for predicate, text in _DECAY_MISTAKES
                 if all(predicate(*triple) for triple in triples)), None)
    if hint is None:
        if all(abs(xi) * (_UNITY - d) >= 2**31 for xi, d, _ in wrong):
            hint = (f"wrong only for large |x|: |x| ({_UNITY} - d) needs up to 36 bits; does your "
                    "product overflow a 32-bit integer? Compute in int64")
        elif any(not _whole(gi) for _, _, gi in wrong):
            hint = ("your values have fractions: registers hold integers; drop the low 12 "
                    f"bits of |x| ({_UNITY} - d) with >> {_DECAY_BITS} (or // {_UNITY})")
        else:
            hint = f"compute sign(x) * ((|x| * ({_UNITY} - d)) >> {_DECAY_BITS})"
    return fail(name, f"{len(wrong)} of {len(triples)} values differ ({example}): {hint}")


def _exact(x: int, d: int) -> float:
    return x * (_UNITY - d) / _UNITY


def _is_leak(x: int, d: int, g: float) -> bool:
    leaked = (abs(x) * d) >> 12
    return g in (leaked if x >= 0 else -leaked, (x * d) >> 12, round(x * d / _UNITY),
                 x * d / _UNITY)


#: (predicate true for every value, hint): the mistakes a decay function can make.
_DECAY_MISTAKES: tuple[tuple[Callable[[int, int, float], bool], str], ...] = (
    (lambda x, d, g: g == (x * (_UNITY - d)) >> 12,
     "negative values come out one too low: >> (and //) on a negative number rounds toward "
     "minus infinity; the chip decays the magnitude |x| and puts the sign back, so it "
     "rounds toward zero"),
    (lambda x, d, g: abs(g - _exact(x, d)) < 1e-6,
     f"your values have fractions: registers hold integers; drop the low {_DECAY_BITS} bits of "
     f"|x| ({_UNITY} - d) with >> {_DECAY_BITS} (or // {_UNITY})"),
    (lambda x, d, g: g in (round(_exact(x, d)), math.floor(_exact(x, d) + 0.5)),
     f"you rounded to the nearest integer; the chip drops the low {_DECAY_BITS} bits "
     "(truncation of the magnitude, toward zero)"),
    (lambda x, d, g: g in (math.ceil(_exact(x, d)),
                           math.copysign(math.ceil(abs(_exact(x, d))), x)),
     f"you rounded up (or away from zero); the chip drops the low {_DECAY_BITS} bits "
     "(truncation of the magnitude, toward zero)"),
    (_is_leak,
     f"you computed the part that leaks away, x d / {_UNITY}; the chip KEEPS "
     f"x ({_UNITY} - d) / {_UNITY}"),
    (lambda x, d, g: g == x,
     f"nothing decays: multiply by ({_UNITY} - d) and shift right by {_DECAY_BITS}"),
)


@checked("decay register")
def check_decay_register(decay: Any, tau: Any) -> CheckResult:
    """Check a decay register value (``decay_v`` or ``decay_I``) for a time constant.

    A float LIF model decays by ``exp(-1/tau)`` per 1 ms step; the chip keeps
    ``(4096 - d) / 4096``. The register that matches is ``d = 4096 (1 - exp(-1/tau))``; any
    integer within one of it passes (it is the register's resolution). The first-order
    mapping ``4096/tau`` (brian2-loihi's documentation: "tau_v = 4096/decay_v") is not
    accepted where it is more than one unit off: the check explains the difference.

    Parameters
    ----------
    decay : int
        The student's effective decay (0..4096; ``decay_I = du + 1`` on the chip).
    tau : float or Quantity
        The model's time constant in 1 ms steps (or a Brian2 time).

    Returns
    -------
    CheckResult

    Raises
    ------
    dynsim.errors.RegisterRangeError
        If ``tau`` is not a time constant > 0.

    Examples
    --------
    >>> check_decay_register(742, tau=5)
    PASS [decay register] decay = 742 keeps 3354/4096 = 0.81885 of the value per step: tau = 5.004 ms (target 5 ms)
    """  # noqa: E501
    name = "decay register"
    tau_steps = _steps(tau, "tau")
    value = _answer(decay, "", "decay", "the decay as one integer")
    # The mapping tau -> decay is what the student writes here, so the check computes it
    # itself (the real-valued register before rounding: any integer within one passes)
    # rather than calling registers.decay_from_tau, and stays independent of the emulator.
    exact = _UNITY * (1 - math.exp(-1 / tau_steps))
    target = f"tau = {tau_steps:g} ms"
    if not _whole(value):
        hint = (f"{value:g} is not an integer: the register holds whole numbers; round "
                "your formula's result")
        if abs(value - exact) < 1:
            hint += " (your formula is right)"
        elif abs(value - 1 / tau_steps) < 1e-6 or abs(value - (1 - math.exp(-1 / tau_steps))
                                                        ) < 1e-6:
            hint += (f"; and decays are {_DECAY_BITS}-bit fractions: the register holds "
                     f"{_UNITY} times the fraction that leaks away per step")
        return fail(name, hint)
    d = int(value)
    if not 0 <= d <= _DECAY_MAX:
        hint = (f"decay = {d} is outside the register's range {_DECAYS} (a decay is the part "
                f"of {_UNITY} that leaks away per step)")
        if abs(d - _UNITY * tau_steps) < 1:
            hint += f": you multiplied {_UNITY} by tau; a LONG tau leaks LITTLE per step"
        return fail(name, hint)
    tau_eff = registers.tau_from_decay(d)  # the readout of the register table
    keep = _UNITY - d
    meaning = (f"decay = {d} keeps {keep}/{_UNITY} = {keep / _UNITY:.5f} of the value per step: "
               f"tau = {_fmt_tau(tau_eff)}")
    if abs(d - exact) < 1:
        return success(name, f"{meaning} (target {tau_steps:g} ms)")
    first_order = _UNITY / tau_steps
    variants: list[tuple[float, str]] = [
        (first_order, f"{meaning}, not {tau_steps:g} ms: {d} = {_UNITY}/tau is the first-order "
         "(Euler) approximation (what brian2-loihi's documentation writes); the float model "
         f"keeps exp(-1/tau) per step: solve ({_UNITY} - d)/{_UNITY} = exp(-1/tau) for d"),
        (_UNITY * math.exp(-1 / tau_steps), f"{meaning}: that is the part KEPT per step, "
         f"{_UNITY} exp(-1/tau); the register holds the part that leaks away"),
        (_UNITY * (1 - math.exp(-1 / (tau_steps * 1e-3))), f"{meaning}: is your tau in "
         "seconds? Loihi steps are 1 ms, and tau is given in steps (ms)"),
        (_UNITY * (1 - math.exp(-1 / (tau_steps * 1e3))), f"{meaning}: your tau is 1000x "
         "too long; tau is given in steps of 1 ms"),
        (tau_steps, f"{meaning}: you returned tau itself; the register is {_UNITY} times the "
         "fraction that leaks away per step"),
        (_UNITY * (1 - math.exp(-tau_steps)), f"{meaning}: the exponent is -1/tau "
         "(one step divided by tau), not -tau"),
    ]
    for wrong, hint in variants:
        if abs(d - wrong) < 1:
            return fail(name, hint)
    direction = ("too short: it leaks too much per step; a smaller decay"
                 if tau_eff < tau_steps else
                 "too long: it leaks too little per step; a larger decay")
    return fail(name, f"{meaning}, but the target is {target}: {direction} is needed. Solve "
                f"({_UNITY} - d)/{_UNITY} = exp(-1/tau) for d")


def _actual_weight(w_mant: int, w_exp: int) -> int:
    """Return the actual weight of an excitatory synapse on silicon (units of u).

    ``w_mant << (6 + w_exp)`` for ``w_exp >= 0``; for ``w_exp < 0`` the chip shifts the
    mantissa right first, ``floor(w_mant 2**w_exp) << 6`` (nengo-loihi's "two-part shift"),
    so a negative exponent drops bits instead of adding resolution.
    """
    if w_exp >= 0:
        return w_mant << (_ACT_SHIFT + w_exp)
    return (w_mant >> -w_exp) << _ACT_SHIFT


def _best_weight(units: float) -> tuple[float, int, float]:
    """Return (smallest error of any encoding, finest useful exponent, its step) for units."""
    best = min(abs(_actual_weight(m, e) - units) for e in range(_W_EXP_MIN, _W_EXP_MAX + 1)
               for m in range(_MANT_MAX + 1))
    for e in range(_W_EXP_MAX + 1):
        if units / 2.0 ** (_ACT_SHIFT + e) <= _MANT_MAX + 0.5:
            return best, e, 2.0 ** (_ACT_SHIFT + e)
    raise RegisterRangeError(f"{units:g} units of u do not fit an {registers.WEIGHT_BITS}-bit "
                             f"mantissa even with w_exp = {_W_EXP_MAX} ({_MANT_MAX} * "
                             f"2**{_ACT_SHIFT + _W_EXP_MAX}): use a smaller scale")


@checked("weight encoding")
def check_weight_encoding(encode_weight: Callable[[float, float], Any], scale: Any,
                          weights: Sequence[float] | None = None) -> CheckResult:
    """Check a student's ``encode_weight(weight, scale) -> (w_mant, w_exp)``.

    An excitatory Loihi synapse has an 8-bit mantissa (0..255) and an exponent -8..7; its
    actual weight in units of u is ``w_mant * 2**(6 + w_exp)`` for ``w_exp >= 0``. For a
    negative exponent the chip shifts the mantissa right FIRST, ``floor(w_mant 2**w_exp)
    << 6`` (the two-part shift nengo-loihi documents): bits are lost and the finest step of
    an actual weight stays 64 units. The best encoding of ``weight * scale`` therefore uses
    the smallest exponent >= 0 whose mantissa fits, and rounds the mantissa. The check
    computes the actual weight of the student's pair the chip's way and passes it when it is
    within half a step of ``weight * scale`` at that exponent (no encoding is closer).

    Parameters
    ----------
    encode_weight : callable
        The student's function, called as ``encode_weight(weight, scale)`` for each weight.
    scale : float
        Integer units of u per model unit (> 0).
    weights : sequence of float, optional
        Positive model weights to try (default: six weights whose best exponents span 0..7
        at this scale).

    Returns
    -------
    CheckResult

    Raises
    ------
    dynsim.errors.RegisterRangeError
        For a scale <= 0, or weights that are not positive or cannot be encoded.

    Examples
    --------
    >>> import math
    >>> def encode(weight, scale):
    ...     units = weight * scale
    ...     w_exp = max(0, math.ceil(math.log2(units / 255.5)) - 6)
    ...     return round(units / 2 ** (6 + w_exp)), w_exp
    >>> check_weight_encoding(encode, scale=2**14)
    PASS [weight encoding] all 6 weights: the actual weight w_mant * 2**(6 + w_exp) is within half a step of weight x scale, at the finest step that fits
    """  # noqa: E501
    name = "weight encoding"
    s = _plain_number(scale, "scale")
    if not (math.isfinite(s) and s > 0):
        raise RegisterRangeError(f"scale must be a finite number > 0, got {scale!r}")
    if weights is None:
        # actual weights (units of u) whose best exponents are 0, 0, 0, 2, 5, 7
        trial = [u / s for u in (100.0, 1000.0, 7000.0, 60000.0, 5.0e5, 1.6e6)]
    else:
        trial = [_plain_number(w, "weight") for w in weights]
        if not trial or any(not (math.isfinite(w) and w > 0) for w in trial):
            raise RegisterRangeError(f"weights must be finite numbers > 0, got {weights!r}")
    cases = [(w, w * s, *_best_weight(w * s)) for w in trial]
    for weight, units, best, e_best, step in cases:
        where = f"for weight {weight:.4g} (x scale = {units:.4g} units of u)"
        result = call_student(encode_weight, (weight, s), call=f"encode_weight {where}")
        try:
            w_mant_raw, w_exp_raw = result
        except (TypeError, ValueError):
            return fail(name, f"encode_weight returned {brief(result)} {where}: return the pair "
                        "(w_mant, w_exp)")
        w_mant, w_exp = _number_or_none(w_mant_raw), _number_or_none(w_exp_raw)
        if w_mant is None or w_exp is None or not (_whole(w_mant) and _whole(w_exp)):
            return fail(name, f"(w_mant, w_exp) = ({brief(w_mant_raw)}, {brief(w_exp_raw)}) "
                        f"{where}: both are integers on the chip; round the mantissa")
        m, e = int(w_mant), int(w_exp)
        if not _W_EXP_MIN <= e <= _W_EXP_MAX:
            return fail(name, f"w_exp = {e} {where} is outside the register range {_W_EXPS}")
        if not 0 <= m <= _MANT_MAX:
            return fail(name, f"w_mant = {m} {where} does not fit the {registers.WEIGHT_BITS}-bit "
                        f"mantissa ({_MANTS}): choose a larger w_exp")
        act = _actual_weight(m, e)
        error = abs(act - units)
        if error <= best + 1e-9 * units or error <= step / 2:
            continue
        pair = f"(w_mant, w_exp) = ({m}, {e}) {where}"
        if units > 0 and abs(m * 2.0 ** (_ACT_SHIFT + e) / units - 64) < 3.2:
            return fail(name, f"{pair} gives w_mant * 2**({_ACT_SHIFT} + w_exp) = "
                        f"{m * 2.0 ** (_ACT_SHIFT + e):.6g} units, {1 << _ACT_SHIFT}x the weight x "
                        f"scale: the chip shifts the mantissa by {_ACT_SHIFT} bits MORE than the "
                        f"exponent, so the mantissa is weight x scale / 2**({_ACT_SHIFT} + w_exp)")
        if e < 0:
            return fail(name, f"{pair}: with a negative exponent the chip computes "
                        f"floor(w_mant * 2**w_exp) << {_ACT_SHIFT} = {act} units (the two-part "
                        "shift): the fraction is lost, so a negative exponent never gives a step "
                        f"finer than {1 << _ACT_SHIFT} units. Use the smallest exponent >= 0 whose "
                        "mantissa fits")
        if e == e_best and act == math.floor(units / step) * step:
            return fail(name, f"{pair} gives {act} units: the mantissa is truncated (int() "
                        "or // drop the fraction); round it to the nearest integer, which "
                        "halves the worst error")
        if e > e_best:
            lost = " (the weight rounds to 0 and vanishes)" if act == 0 else ""
            return fail(name, f"{pair} gives {act} units{lost}: a valid but coarse "
                        f"encoding; with w_exp = {e_best} the mantissa still fits 8 bits and "
                        f"the step is {step:g} units instead of {2 ** (_ACT_SHIFT + e)}. Take "
                        "the smallest exponent whose mantissa fits")
        return fail(name, f"{pair} gives w_act = w_mant * 2**({_ACT_SHIFT} + w_exp) = {act} units, "
                    f"{ratio_text(act, units) if units else act} the weight x scale: the mantissa "
                    f"is weight x scale / 2**({_ACT_SHIFT} + w_exp), rounded")
    count = f"all {len(cases)} weights" if len(cases) > 1 else "the weight"
    return success(name, f"{count}: the actual weight w_mant * 2**(6 + "
                   "w_exp) is within half a step of weight x scale, at the finest step that "
                   "fits")


def _wrap(x: int, bits: int) -> int:
    """Two's complement wrap into ``bits`` bits (sign included)."""
    span, half = 1 << bits, 1 << (bits - 1)
    return x - span * ((x + half) // span)


def _u_after_one_step(weights: list[int], w_exp: int, convention: str) -> tuple[int, str]:
    """Return u after one step from rest in which every synapse delivers one spike."""
    mul, div = 2 ** max(w_exp, 0), 2 ** max(-w_exp, 0)
    if convention == "lava":
        q = ((sum(weights) * mul) // div) << _ACT_SHIFT  # exponent on the projection's sum
        half = 1 << (_UV_BITS - 1)
        u = q - (1 << _UV_BITS) * (int(q > half) - int(q <= -half))  # one correction
        return u, "lava"
    per_synapse = [((w * mul) // div) << _ACT_SHIFT for w in weights]
    if convention == "brian2_loihi":
        limit = registers.WEIGHT_LIMIT_BRIAN2_LOIHI
        return sum(min(a, limit) for a in per_synapse), convention
    q = _wrap(sum(per_synapse), _ACC_BITS + 1)  # 21 bits + sign accumulator
    return _wrap(q, _UV_BITS), convention


@checked("convention difference")
def check_convention_difference(weights: Any, w_exp: Any,
                                conventions: tuple[str, str] = ("silicon", "lava")
                                ) -> CheckResult:
    """Check an input on which two arithmetic conventions put different numbers into u.

    The input: excitatory synapses (8-bit mantissas ``weights``, one exponent ``w_exp``) onto
    one compartment at rest, all delivering a spike in the same step. The check computes u
    after that step in each convention (see :mod:`dynsim.loihi.conventions`): 'silicon'
    applies the exponent per synapse (``floor(w 2**w_exp) << 6``) and wraps the 21-bit + sign
    accumulator and the 24-bit u; 'lava' sums the mantissas of the projection, then applies
    the exponent, and does not wrap the accumulator; 'brian2_loihi' applies it per synapse,
    clips each actual weight to ``2**21 - 64`` and never wraps.

    Parameters
    ----------
    weights : sequence of int
        The student's weight mantissas (0..255), one per synapse (1..64 synapses).
    w_exp : int
        The student's weight exponent (-8..7).
    conventions : pair of str
        The two conventions to compare (default 'silicon' and 'lava').

    Returns
    -------
    CheckResult
        A pass when u differs, naming the mechanism; otherwise a hint where to look.

    Raises
    ------
    dynsim.errors.UnknownConventionError
        For a convention name other than the three.

    Examples
    --------
    >>> check_convention_difference([1, 1, 1], -1)
    PASS [convention difference] u after the step: silicon 0, lava 64. The exponent is applied per synapse on silicon (each floor(w 2**w_exp) loses its fraction) but to the projection's sum in lava
    """  # noqa: E501
    from dynsim.loihi.conventions import get_convention

    name = "convention difference"
    pair = tuple(conventions)
    if len(pair) != 2:
        raise RegisterRangeError(f"conventions must be two names, got {conventions!r}")
    a, b = (get_convention(c).name for c in pair)
    weights = answered(weights)
    if isinstance(weights, np.ndarray) and weights.ndim > 1:
        return fail(name, f"weights must be one flat list of integers, got an array of shape "
                    f"{weights.shape}")
    e = _answer(w_exp, "", "w_exp", "w_exp as one integer")
    if not _whole(e):
        return fail(name, f"w_exp must be one integer, got {brief(w_exp)}")
    e_int = int(e)
    if not _W_EXP_MIN <= e_int <= _W_EXP_MAX:
        return fail(name, f"w_exp = {e_int} is outside the register's range {_W_EXPS}")
    try:
        w_arr = answer_array(weights, "", "weights")
    except Rejected as rejected:
        raise Rejected(f"weights must be a list of integers: {rejected.hint}") from None
    if w_arr.size == 0 or w_arr.size > _MAX_SYNAPSES:
        return fail(name, f"give 1..{_MAX_SYNAPSES} weight mantissas (one per synapse), got "
                    f"{w_arr.size}")
    if not all(_whole(w) for w in w_arr.tolist()):
        return fail(name, "weight mantissas are integers")
    w_list = [int(w) for w in w_arr.tolist()]
    if min(w_list) < 0 or max(w_list) > _MANT_MAX:
        return fail(name, f"excitatory weight mantissas are {_MANTS}, got {min(w_list)}.."
                    f"{max(w_list)}")
    u_a, _ = _u_after_one_step(w_list, e_int, a)
    u_b, _ = _u_after_one_step(w_list, e_int, b)
    mul, div = 2 ** max(e_int, 0), 2 ** max(-e_int, 0)
    per_synapse = sum(((w * mul) // div) << _ACT_SHIFT for w in w_list)
    per_projection = ((sum(w_list) * mul) // div) << _ACT_SHIFT
    result = f"u after the step: {a} {u_a}, {b} {u_b}"
    if u_a != u_b:
        reasons = []
        if "lava" in (a, b) and per_synapse != per_projection:
            reasons.append("The exponent is applied per synapse on "
                           f"{a if b == 'lava' else b} (each floor(w 2**w_exp) loses its "
                           "fraction) but to the projection's sum in lava")
        if "silicon" in (a, b) and _wrap(per_synapse, _ACC_BITS + 1) != per_synapse:
            reasons.append(f"the step's input {per_synapse} overflows silicon's {_ACC_BITS}-bit "
                           "+ sign dendritic accumulator, which wraps around (two's complement)")
        elif "silicon" in (a, b) and _wrap(per_synapse, _UV_BITS) != per_synapse:
            reasons.append(f"u overflows {_UV_BITS} bits and wraps around on silicon")
        if "brian2_loihi" in (a, b) and any(((w * mul) // div) << _ACT_SHIFT
                                            > registers.WEIGHT_LIMIT_BRIAN2_LOIHI for w in w_list):
            reasons.append("brian2-loihi clips each actual weight to "
                           f"{registers.WEIGHT_LIMIT_BRIAN2_LOIHI}")
        why = "; ".join(reasons) if reasons else "see conventions_table()"
        return success(name, f"{result}. {why[0].upper() + why[1:]}")
    if e_int >= 0 and per_synapse < (1 << _ACC_BITS):
        hint = ("with w_exp >= 0 the exponent is an exact left shift, so applying it per "
                "synapse or to the sum gives the same number, and the sum fits every "
                "register. Look at conventions_table(): where is the exponent applied, and "
                "how wide is the dendritic accumulator?")
    elif e_int < 0 and all((w * mul) % div == 0 for w in w_list):
        hint = (f"every weight is a multiple of 2**{-e_int}, so no fraction is lost per "
                "synapse; try weights whose product with 2**w_exp is not whole, several "
                "of them in the same step")
    elif e_int < 0 and len(w_list) == 1:
        hint = ("with a single synapse, 'per synapse' and 'per projection' are the same "
                "thing; several synapses must deliver in the same step")
    else:
        hint = ("try a negative w_exp with several small weights (fractions lost per "
                "synapse), or large weights with w_exp = 7 (the accumulator's range)")
    return fail(name, f"{result}: they agree. {hint[0].upper() + hint[1:]}")


# --------------------------------------------------------------------------- notebook 6
@checked("trace time constant")
def check_trace_time_constant(tau_estimate: Any, tau: Any, rtol: float = 0.1) -> CheckResult:
    """Check a time constant measured on the average of many stochastically rounded traces.

    A trace decays by ``exp(-1/tau)`` per step on average (stochastic rounding makes the
    integer trace unbiased), so the mean over many synapses falls to ``1/e`` of its impulse
    after ``tau`` steps.

    Parameters
    ----------
    tau_estimate : float or Quantity
        The student's measurement (steps of 1 ms, or a Brian2 time).
    tau : float or Quantity
        The trace's ``tau_x1`` (steps).
    rtol : float
        Accepted relative error (default 10 %: an average of random roundings).

    Returns
    -------
    CheckResult

    Raises
    ------
    dynsim.errors.RegisterRangeError
        If ``tau`` or ``rtol`` are not numbers > 0.

    Examples
    --------
    >>> check_trace_time_constant(10.3, tau=10)
    PASS [trace time constant] measured 10.3 steps; the trace's tau is 10 steps (3 % off)
    """
    name = "trace time constant"
    tau_steps = _steps(tau, "tau")
    tolerance = _plain_number(rtol, "rtol")
    if not tolerance > 0:
        raise RegisterRangeError(f"rtol must be > 0, got {rtol!r}")
    value = _answer(tau_estimate, "step", "tau_estimate",
                    "the time constant as one number (steps) or a Brian2 time")
    if not (math.isfinite(value) and value > 0):
        return fail(name, f"got {value}: the mean trace must fall below 1/e of its peak; "
                    "search from the peak onwards, and record long enough (several tau)")
    error = relative_error(value, tau_steps)
    if error <= tolerance:
        pct = f"{100 * error:.0f} %" if error >= 0.01 else "< 1 %"
        return success(name, f"measured {value:.3g} steps; the trace's tau is {tau_steps:g} "
                       f"steps ({pct} off)")
    variants = [
        (tau_steps * math.log(2), "that is the half-life (the fall to 50 %): tau is the time "
         "to fall to 1/e = 37 % of the impulse (half-life = tau ln 2)"),
        (tau_steps * math.log(10), "that is the fall to 10 % (or a fit with log10 instead of "
         "the natural log): tau is the time to fall to 1/e = 37 %"),
        (tau_steps / math.log(10), "did you fit with log10? The slope of ln(trace) is -1/tau; "
         "with log10 it is -1/(tau ln 10)"),
        (1 / tau_steps, "that is a rate (1/tau), not a time constant"),
        (tau_steps * 1e-3, "your number is in seconds: give the time constant in steps "
         "(1 step = 1 ms)"),
    ]
    for wrong, hint in variants:
        if relative_error(value, wrong) <= max(tolerance, 0.03):
            return fail(name, hint)
    if value < tau_steps:
        hint = (f"your tau is {ratio_text(value, tau_steps)} the trace's: measure from the peak "
                "(the step of the impulse), on the AVERAGE of many synapses; a single "
                "integer trace jumps by whole units and reaches 0 early")
    else:
        hint = (f"your tau is {ratio_text(value, tau_steps)} the trace's: did you start at the "
                "impulse and stop at the first step below peak/e?")
    return fail(name, hint)


def _power_of_two(value: Any, what: str) -> Fraction:
    number = _plain_number(value, what)
    if not (math.isfinite(number) and number > 0):
        raise RegisterRangeError(f"{what} must be a power of two > 0, got {value!r}")
    k = round(math.log2(number))
    if 2.0**k != number or not registers.DW_EXP_MIN <= k <= registers.DW_EXP_MAX:
        raise RegisterRangeError(f"{what} must be 2**k with k in {registers.DW_EXP_MIN}.."
                                 f"{registers.DW_EXP_MAX} (a learning rule can only scale by "
                                 f"2^k), got {value!r}")
    return Fraction(2) ** k


def _rule_polynomial(rule: Any) -> dict[tuple[str, ...], Fraction]:
    """Return ``{monomial: coefficient}`` of a parsed rule (``dw`` itself, not scaled)."""
    den = 1 << rule.denominator_bits
    return {mono: Fraction(coef, den) for mono, coef in rule.polynomial}


def _fmt_coef(c: Fraction) -> str:
    if c.denominator == 1:
        return str(c.numerator)
    k = c.denominator.bit_length() - 1
    if abs(c.numerator) == 1 and c.denominator == 1 << k:
        return f"{'-' if c < 0 else ''}2^-{k}"
    return str(c)


def _show_polynomial(poly: dict[tuple[str, ...], Fraction]) -> str:
    """Return a polynomial in the rule grammar, positive terms first (``2^-2*x1*y0 - ...``)."""
    terms = sorted(poly.items(), key=lambda mc: (mc[1] < 0, mc[0]))
    out = ""
    for i, (mono, c) in enumerate(terms):
        factors = [_fmt_coef(abs(c))] if abs(c) != 1 or not mono else []
        body = "*".join(factors + list(mono))
        sign = ("-" if c < 0 else "") if i == 0 else (" - " if c < 0 else " + ")
        out += sign + body
    return out or "0"


@checked("STDP rule")
def check_stdp_rule(dw: Any, a_plus: Any = 0.25, a_minus: Any = 0.25) -> CheckResult:
    """Check a pair-based STDP rule written as a Loihi ``dw`` string.

    The rule must be ``a_plus * x1 * y0 - a_minus * y1 * x0`` (in any form the grammar
    accepts: ``2^-2*x1*y0 - 2^-2*y1*x0``, ``2^-2*(x1*y0 - x0*y1)`` ...): potentiation by
    the pre-synaptic trace x1 when the post neuron spikes (y0), depression by the
    post-synaptic trace y1 when the pre neuron spikes (x0). The check parses it with the
    chip's grammar (:func:`dynsim.loihi.parse_rule`) and compares the expanded polynomials.

    Parameters
    ----------
    dw : str
        The student's rule.
    a_plus, a_minus : float
        The wanted amplitudes, powers of two (2**-7 .. 2**9).

    Returns
    -------
    CheckResult

    Raises
    ------
    dynsim.errors.RegisterRangeError
        If an amplitude is not a power of two in range.

    Examples
    --------
    >>> check_stdp_rule("2^-2*x1*y0 - 2^-2*y1*x0")
    PASS [STDP rule] dw = 2^-2*x1*y0 - 2^-2*x0*y1: pre-before-post potentiates, post-before-pre depresses
    >>> bool(check_stdp_rule("2^-2*y1*x0 - 2^-2*x1*y0"))
    False
    """  # noqa: E501
    name = "STDP rule"
    ap = _power_of_two(a_plus, "a_plus")
    am = _power_of_two(a_minus, "a_minus")
    dw = answered(dw)
    if not isinstance(dw, str):
        return fail(name, f"dw is a string such as '2^-3*x0', got {type(dw).__name__}")
    try:
        rule = parse_rule(dw)
    except LearningRuleError as exc:
        return fail(name, f"the chip does not accept it: {exc}")
    poly = _rule_polynomial(rule)
    if rule.signs:
        return fail(name, "pair-based STDP needs no sign(): write dw as a sum of products of "
                    "a trace and a spike indicator")
    ltp_key, ltd_key = ("x1", "y0"), ("x0", "y1")
    ltp, ltd = poly.get(ltp_key, Fraction(0)), poly.get(ltd_key, Fraction(0))
    shown = _show_polynomial(poly)
    extra = sorted(m for m in poly if m not in (ltp_key, ltd_key))
    if ltp == ap and ltd == -am and not extra:
        return success(name, f"dw = {shown}: pre-before-post potentiates, post-before-pre "
                       "depresses")
    if ltp < 0 < ltd:
        return fail(name, f"dw = {shown} is anti-Hebbian: signs swapped. x1 * y0 is the pre "
                    "trace read when the post neuron fires (pre came first): it must "
                    "POTENTIATE; y1 * x0 must depress")
    odd = {("x0", "x1"): "x1 * x0 reads the pre trace when the pre neuron fires: it does "
                         "not depend on the post neuron at all",
           ("y0", "y1"): "y1 * y0 reads the post trace when the post neuron fires: it does "
                         "not depend on the pre neuron at all",
           ("x1", "y1"): "x1 * y1 has no spike indicator (x0, y0): the grammar rejects it",
           ("x0", "y0"): "x0 * y0 is 1 only when both fire in the same step"}
    for mono in extra:
        if mono in odd:
            return fail(name, f"dw = {shown}: {odd[mono]}. Pair the PRE trace with the POST "
                        "spike (x1 * y0) and the POST trace with the PRE spike (y1 * x0)")
    if extra:
        terms = ", ".join("*".join(m) if m else "a constant" for m in extra)
        return fail(name, f"dw = {shown} has terms a pair-based STDP rule does not have "
                    f"({terms}); keep only x1 * y0 and y1 * x0")
    if ltp == 0:
        return fail(name, f"dw = {shown} has no potentiation: add a term x1 * y0 (the pre "
                    "trace when the post neuron fires)")
    if ltd == 0:
        return fail(name, f"dw = {shown} has no depression: subtract a term y1 * x0 (the "
                    "post trace when the pre neuron fires)")
    if ltp < 0 and ltd < 0:
        return fail(name, f"dw = {shown} depresses in both orders: pre-before-post (x1 * y0) "
                    "must increase the weight")
    if ltp > 0 and ltd > 0:
        return fail(name, f"dw = {shown} potentiates in both orders: post-before-pre "
                    "(y1 * x0) must decrease the weight")
    return fail(name, f"dw = {shown}: the signs are right but the amplitudes are "
                f"{_fmt_coef(ltp)} and {_fmt_coef(-ltd)}, wanted {_fmt_coef(ap)} and "
                f"{_fmt_coef(am)} (write them as 2^k)")


@checked("STDP window")
def check_stdp_prediction(predicted: Any, deltas: Any, *, a_plus: float, a_minus: float,
                          imp: float, tau: Any) -> CheckResult:
    """Check a predicted STDP window: the weight change of one pre/post pairing.

    With traces that jump by ``imp`` and decay with ``tau``, and the rule
    ``dw = a_plus x1 y0 - a_minus y1 x0``, a pairing with ``delta = t_post - t_pre`` changes
    the weight by ``a_plus imp exp(-delta/tau)`` for ``delta > 0`` and by
    ``-a_minus imp exp(delta/tau)`` for ``delta < 0`` (ignoring the integer rounding).
    Entries at ``delta = 0`` are not checked.

    Parameters
    ----------
    predicted : array_like of float
        The student's predicted weight change, one per delay.
    deltas : array_like of int
        The delays ``t_post - t_pre`` in steps.
    a_plus, a_minus : float
        Amplitudes of the rule (> 0).
    imp : float
        Trace impulse (> 0).
    tau : float or Quantity
        Trace time constant (steps).

    Returns
    -------
    CheckResult
        A pass within 2 % (or 0.01) of the formula at every delay.

    Raises
    ------
    dynsim.errors.RegisterRangeError
        For amplitudes, impulse or tau that are not numbers > 0, or non-integer delays.

    Examples
    --------
    >>> import numpy as np
    >>> d = np.array([-10, -5, 5, 10])
    >>> pred = np.sign(d) * 16 * np.exp(-np.abs(d) / 16)
    >>> check_stdp_prediction(pred, d, a_plus=0.25, a_minus=0.25, imp=64, tau=16)
    PASS [STDP window] all 4 delays: dw = +a_plus imp exp(-delta/tau) for pre before post, -a_minus imp exp(delta/tau) for post before pre
    """  # noqa: E501
    name = "STDP window"
    ap = _plain_number(a_plus, "a_plus")
    am = _plain_number(a_minus, "a_minus")
    amp = _plain_number(imp, "imp")
    for what, v in (("a_plus", ap), ("a_minus", am), ("imp", amp)):
        if not (math.isfinite(v) and v > 0):
            raise RegisterRangeError(f"{what} must be a number > 0, got {v!r}")
    tau_steps = _steps(tau, "tau")
    try:
        d = np.asarray(deltas, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise RegisterRangeError(f"deltas must be whole steps, got {deltas!r}") from None
    if d.size == 0 or not np.all(np.isfinite(d)) or np.any(d != np.round(d)):
        raise RegisterRangeError(f"deltas must be whole steps, got {deltas!r}")
    try:
        p = answer_array(predicted, "", "predicted")
    except Rejected as rejected:
        if rejected.hint == UNANSWERED:
            raise
        raise Rejected(f"give an array of numbers (one per delay): {rejected.hint}") from None
    if p.shape != d.shape:
        return fail(name, f"{p.size} predictions for {d.size} delays: give one per delay")
    mask = d != 0
    if not np.any(mask):
        raise RegisterRangeError("deltas must contain a non-zero delay")
    d, p = d[mask], p[mask]
    if not np.all(np.isfinite(p)):
        return fail(name, "your prediction has nan or inf values")

    def window(dd: np.ndarray, ap_: float = ap, am_: float = am, amp_: float = amp,
               tau_: float = tau_steps) -> np.ndarray:
        return np.where(dd > 0, ap_ * amp_ * np.exp(-np.abs(dd) / tau_),
                        -am_ * amp_ * np.exp(-np.abs(dd) / tau_))

    expected = window(d)

    def matches(candidate: np.ndarray, reference: np.ndarray) -> bool:
        return bool(np.all(np.abs(candidate - reference)
                           <= np.maximum(0.02 * np.abs(reference), 0.01)))

    if matches(p, expected):
        return success(name, f"all {d.size} delays: dw = +a_plus imp exp(-delta/tau) for pre "
                       "before post, -a_minus imp exp(delta/tau) for post before pre")
    variants = [
        (-expected, "the signs are swapped: pre before post (delta = t_post - t_pre > 0) "
         "potentiates, post before pre depresses"),
        (np.sign(d) * ap * amp * np.exp(-d / tau_steps), "for delta < 0 use |delta|: the "
         "trace has decayed for |delta| steps, so the window falls off on both sides"),
        (expected / amp, "the trace jumps by imp on a spike: multiply by the impulse"),
        (window(d, 1.0, 1.0), "multiply by the rule's amplitudes a_plus and a_minus"),
        (window(d, tau_=1 / tau_steps), "the exponent is -|delta|/tau, not -|delta| * tau"),
        (window(d, ap_=am, am_=ap), "a_plus scales potentiation (delta > 0), a_minus "
         "depression (delta < 0): you swapped them"),
    ]
    for candidate, hint in variants:
        if matches(p, candidate):
            return fail(name, hint)
    wrong = np.flatnonzero(~(np.abs(p - expected) <= np.maximum(0.02 * np.abs(expected),
                                                                 0.01)))
    k = int(wrong[0])
    side = "pre before post" if d[k] > 0 else "post before pre"
    return fail(name, f"{wrong.size} of {d.size} delays differ, e.g. delta = {d[k]:g} "
                f"({side}): yours {p[k]:.3g}. At delta = t_post - t_pre the other neuron's "
                "trace has decayed from imp for |delta| steps; the rule multiplies it by "
                "its amplitude")


@checked("reproducibility")
def check_reproducibility(run_learning: Callable[[int], Any], seeds: tuple[int, int] = (1, 2)
                          ) -> CheckResult:
    """Check that a learning experiment is reproducible from its seed, and depends on it.

    Calls ``run_learning(seeds[0])`` twice and ``run_learning(seeds[1])`` once: the same
    seed must give identical weights (stochastic rounding is seeded), another seed different
    ones (stochastic rounding is used).

    Parameters
    ----------
    run_learning : callable
        The student's function: builds and runs the experiment with the chip seed ``seed``
        and returns the final weights (one integer per synapse).
    seeds : pair of int
        Two different seeds to try.

    Returns
    -------
    CheckResult

    Raises
    ------
    dynsim.errors.RegisterRangeError
        If the seeds are not two different integers.

    Examples
    --------
    >>> import numpy as np
    >>> check_reproducibility(lambda seed: np.random.default_rng(seed).integers(0, 9, 5))
    PASS [reproducibility] same seed: identical weights (5 synapses); seed 2 instead of 1: 5 of 5 weights differ
    """  # noqa: E501
    name = "reproducibility"
    pair = tuple(seeds)
    if (len(pair) != 2 or any(isinstance(s, bool) or not isinstance(s, int | np.integer)
                              for s in pair) or pair[0] == pair[1]):
        raise RegisterRangeError(f"seeds must be two different integers, got {seeds!r}")
    results = []
    for seed in (pair[0], pair[0], pair[1]):
        result = call_student(run_learning, (int(seed),), call=f"run_learning({seed})")
        results.append(returned_array(result, f"run_learning({seed})", "the final weights "
                                      "as an array of numbers (e.g. a copy of S.w)"))
    first, again, other = results
    if first.shape != again.shape or first.shape != other.shape:
        return fail(name, f"the runs returned different numbers of weights ({first.size}, "
                    f"{again.size}, {other.size}): build the same network every call")
    if first.size == 0:
        return fail(name, "no weights returned: return one weight per synapse")
    if not np.array_equal(first, again):
        n = int(np.count_nonzero(first != again))
        return fail(name, f"the same seed gave different weights ({n} of {first.size}): "
                    "is there other randomness? The input spikes must be the same in every "
                    "call (make them from a fixed seed, not np.random without one), and the "
                    "random numbers of the chip depend on the seed AND the names of the "
                    "synapse objects: give them fixed names (name='...')")
    if np.array_equal(first, other) and np.unique(first).size == 1:
        return fail(name, f"every weight is {first[0]:g}, with either seed: did anything "
                    "learn? Check that spikes reach the plastic synapses, the rule, and that "
                    "the run is long enough; then pass seed=seed to LoihiNetwork")
    if np.array_equal(first, other):
        return fail(name, f"seeds {pair[0]} and {pair[1]} gave identical weights: did you "
                    "pass seed=seed to LoihiNetwork? (Stochastic rounding of traces and "
                    "weight updates is what depends on it.)")
    n = int(np.count_nonzero(first != other))
    return success(name, f"same seed: identical weights ({first.size} synapses); seed "
                   f"{pair[1]} instead of {pair[0]}: {n} of {first.size} weights differ")


# ---- design exercises: notebook 05 and 06 (issue 11)
#: The keys of a notebook-5 design and their defaults (None: required).
_NETWORK_DESIGN_KEYS = {"scale": None, "num_weight_bits": 8}
#: The keys of a notebook-6 STDP design (all required): the rule and the two traces.
_STDP_DESIGN_KEYS = ("dw", "imp_x1", "tau_x1", "imp_y1", "tau_y1")


def _design_dict(design: Any, keys: Sequence[str], example: str) -> dict[str, Any]:
    """Return a student's design dict; a hint for a stub, a non-dict or an unknown key."""
    design = answered(design)
    if not isinstance(design, dict):
        raise Rejected(f"give the design as a dict, e.g. {example}; got {brief(design)}")
    unknown = sorted(str(k) for k in design if k not in keys)
    if unknown:
        raise Rejected(f"unknown key(s) {', '.join(map(repr, unknown))}: the design's keys are "
                       f"{', '.join(map(repr, keys))}")
    if any(is_unanswered(v) for v in design.values()):
        raise Rejected(UNANSWERED)
    return dict(design)


def _whole_in(value: Any, what: str, low: int, high: int, meaning: str) -> int:
    """Return a student's integer in low..high, or a hint naming the register's range."""
    number = _answer(value, "", what, f"{what} as one integer ({meaning})")
    if not _whole(number) or not low <= number <= high:
        raise Rejected(f"{what} = {brief(value)}: {meaning} is a whole number {low}..{high}")
    return int(number)


def _fmt_list(values: Any, digits: int = 4) -> str:
    return "[" + ", ".join(f"{float(v):.{digits}g}" for v in np.ravel(values)) + "]"


@checked("Loihi design")
def check_quantized_network(design: Any, model: Any, weights: Any, input_indices: Any,
                            input_times: Any, steps: int, *, rmse_limit: float = 1.0,
                            engine: str | None = None) -> CheckResult:
    """Check a student's Loihi design of a float LIF network on the emulated chip.

    The design chooses the ``scale`` (integer units of u and v per model unit, mV) and the
    weights' precision ``num_weight_bits``; :func:`dynsim.loihi.quantize_lif` derives the
    registers from them (decays, threshold mantissa, weight mantissas and exponent). The check
    runs the float model and the chip side by side on the given input spikes
    (:func:`dynsim.loihi.compare_float_loihi`: Brian2 float64 and the bit-exact emulator) and
    passes when the RMS error of v (Loihi / scale minus float) is below ``rmse_limit`` and
    every neuron fires as many spikes on the chip as in the float model.

    Parameters
    ----------
    design : dict
        ``{"scale": float > 0, "num_weight_bits": int 1..8 (default 8)}``.
    model : dynsim.loihi.FloatLIF
        The float model.
    weights : array_like of float, shape (inputs, neurons)
        Input weights in model units (mV).
    input_indices, input_times : array_like of int
        The input spikes (input index, step).
    steps : int
        Steps to run (1 ms each).
    rmse_limit : float
        Largest accepted RMS error of v, in model units (default 1 mV).
    engine : str, optional
        Engine of the run (``None``: dynsim's default).

    Returns
    -------
    CheckResult
        A pass with the error and spike counts; otherwise what went wrong and which knob to
        turn: a scale too small (weights rounded away, spikes missed), registers that overflow
        at a too large scale, weights off their grid (a spike moves over the threshold), too
        few weight bits.

    Raises
    ------
    dynsim.errors.RegisterRangeError
        If the notebook's model, weights, inputs or ``rmse_limit`` make no sense.

    References
    ----------
    Davies et al. (2018), IEEE Micro 38(1); nengo-loihi ``discretize.py``.

    Examples
    --------
    >>> import numpy as np
    >>> from dynsim.loihi import FloatLIF
    >>> model = FloatLIF(tau_m=10, tau_syn=4, threshold=1.0)
    >>> r = check_quantized_network({"scale": 2**12}, model, np.array([[0.5]]), [0] * 4,
    ...                             [1, 2, 3, 4], 30, engine="numpy")
    >>> bool(r)
    True
    """
    from dynsim.loihi import FloatLIF, compare_float_loihi

    name = "Loihi design"
    if not isinstance(model, FloatLIF):
        raise RegisterRangeError(f"model must be a FloatLIF, got {brief(model)}")
    limit = _plain_number(rmse_limit, "rmse_limit")
    if not (math.isfinite(limit) and limit > 0):
        raise RegisterRangeError(f"rmse_limit must be a number > 0, got {rmse_limit!r}")
    chosen = _design_dict(design, tuple(_NETWORK_DESIGN_KEYS),
                          '{"scale": 2**10, "num_weight_bits": 8}')
    if "scale" not in chosen:
        raise Rejected("the design has no 'scale': give the integer units of v per mV")
    scale = _answer(chosen["scale"], "", "scale", "the scale as one number (units per mV)")
    if not (math.isfinite(scale) and scale > 0):
        raise Rejected(f"scale = {brief(chosen['scale'])}: the scale is a number > 0 (integer "
                       "units of v per mV)")
    bits = _whole_in(chosen.get("num_weight_bits", 8), "num_weight_bits", 1,
                     registers.WEIGHT_BITS, "the weight mantissa's precision in bits")
    try:
        run = compare_float_loihi(model, weights, input_indices, input_times, steps,
                                  scale=scale, num_weight_bits=bits, engine=engine,
                                  name="check_design5")
    except RegisterRangeError as exc:
        raise Rejected(f"at scale {scale:g} a register overflows: {str(exc)[:160]}. A smaller "
                       "scale keeps every value in its register") from None
    q = run.quantization
    float_counts, chip_counts = (c.tolist() for c in run.spike_counts())
    rmse = run.rmse_v()
    w = np.asarray(run.weights, dtype=float)
    applied = q.weights_effective
    used = w != 0
    off = float(np.max(np.abs(applied[used] - w[used]) / np.abs(w[used]))) if used.any() else 0.0
    counts = f"spike counts per neuron float {float_counts}, chip {chip_counts}"
    if rmse < limit and float_counts == chip_counts:
        return success(name, f"RMS error of v {rmse:.2g} mV < {limit:g} mV and the same spike "
                       f"counts per neuron {chip_counts} (scale {scale:g}, num_weight_bits "
                       f"{bits}: the chip applies {_fmt_list(applied[used])} mV, at most "
                       f"{100 * off:.2g} % off)")
    result = f"RMS error of v {rmse:.2g} mV (limit {limit:g} mV), {counts}"
    saturated = (np.abs(run.v_loihi) >= (1 << (_UV_BITS - 1)) - 1).any() or \
        (np.abs(run.u_float).max(initial=0) * scale >= 1 << (_UV_BITS - 1))
    if saturated:
        largest = float(max(np.abs(run.u_float).max(initial=0), np.abs(run.v_float).max(
            initial=0), model.threshold))
        return fail(name, f"{result}: at scale {scale:g} u or v reaches the {_UV_BITS}-bit "
                    f"register's limit {(1 << (_UV_BITS - 1)) - 1} (u wraps, v saturates): "
                    f"the largest value, {largest:.3g} mV, needs a scale below "
                    f"{((1 << (_UV_BITS - 1)) - 1) / largest:.4g}")
    if np.any((applied == 0) & used):
        return fail(name, f"{result}: at scale {scale:g} a weight rounds to 0 on the chip "
                    f"(applied {_fmt_list(applied[used])} mV for {_fmt_list(w[used])} mV): "
                    "raise the scale, a weight x scale must be worth several steps of "
                    f"{1 << _ACT_SHIFT} units")
    weights_text = (f"the chip applies {_fmt_list(applied[used])} mV for {_fmt_list(w[used])} "
                    f"mV (up to {100 * off:.2g} % off)")
    if bits < registers.WEIGHT_BITS and off > 1e-9:
        return fail(name, f"{result}: {weights_text}; with num_weight_bits = {bits} a mantissa "
                    f"keeps only its top {bits} bits: raise num_weight_bits")
    if off > 1e-9:
        return fail(name, f"{result}: {weights_text}, and a spike that moves by one step "
                    "costs an error as large as the threshold. Past the cliff a larger power "
                    "of two does not help: the weights' rounding to the mantissa grid is what "
                    "is left. The scale need not be a power of two: choose one at which every "
                    "weight x scale / 2**(6 + w_exp) is a whole mantissa (an even one in the "
                    "mixed sign mode)")
    return fail(name, f"{result}: the weights are exact, but v is resolved in steps of "
                f"1/scale = {1 / scale:.2g} mV: a spike still moved. Choose a larger scale "
                "at which the weights stay exact")


#: The pairing protocol of the STDP design check (as notebook 6's ``pairing_experiment``):
#: steps between pairings, the weight mantissa the plastic synapses start from.
_PAIRING_PERIOD, _PAIRING_W_START = 150, 128


def _pairing_weight_changes(design: dict[str, Any], delta: int, n_pairings: int, seed: int,
                            engine: str | None) -> tuple[int, int]:
    """Run the pairing protocol on the chip; return the total weight change at +delta, -delta.

    Two pre neurons, each with its own plastic synapse onto one post neuron: pre 0 fires
    ``delta`` steps before every post spike, pre 1 ``delta`` steps after. A teacher synapse
    makes the post neuron fire at fixed steps; the plastic synapses have ``w_exp = -8``, an
    actual weight of 0, so they do not change when it fires.
    """
    from dynsim.loihi import (
        LoihiNetwork,
        LoihiNeuronGroup,
        LoihiSpikeGeneratorGroup,
        LoihiSynapses,
    )

    t_post = [k * _PAIRING_PERIOD + _PAIRING_PERIOD // 2 for k in range(n_pairings)]
    pre = LoihiSpikeGeneratorGroup(2, [0, 1] * n_pairings,
                                   [t + s for t in t_post for s in (-delta, delta)],
                                   name="check_design6_pre")
    teacher = LoihiSpikeGeneratorGroup(1, [0] * n_pairings, [t - 1 for t in t_post],
                                       name="check_design6_teacher")
    post = LoihiNeuronGroup(1, threshold_v_mant=100, decay_v=4095, decay_I=4096,
                            name="check_design6_post")
    drive = LoihiSynapses(teacher, post, w_exp=7, name="check_design6_drive")
    drive.connect(i=[0], j=[0])
    drive.w = 255
    plastic = LoihiSynapses(pre, post, dw=design["dw"], w_exp=-8,
                            name="check_design6_plastic",
                            **{k: design[k] for k in _STDP_DESIGN_KEYS[1:]})
    plastic.connect(i=[0, 1], j=[0, 0])
    plastic.w = _PAIRING_W_START
    net = LoihiNetwork(pre, teacher, post, drive, plastic, engine=engine, seed=seed,
                       name="check_design6_net")
    net.run(n_pairings * _PAIRING_PERIOD)
    rise, fall = (int(w) - _PAIRING_W_START for w in plastic.w)
    return rise, -fall


@checked("STDP design")
def check_stdp_design(design: Any, *, delta: int = 5, n_pairings: int = 5,
                      rise_per_pairing: tuple[float, float] = (2, 4),
                      fall_per_pairing: tuple[float, float] = (1, 3), seed: int = 0,
                      engine: str | None = None) -> CheckResult:
    """Check a student's STDP rule and traces against a specification, on the emulated chip.

    The design is a pair-based rule ``dw`` and the impulses and time constants of the pre
    trace x1 and the post trace y1. The check runs the pairing protocol (notebook 6,
    section 4) on :mod:`dynsim.loihi` with exact integers and the chip's stochastic rounding
    (seeded): ``n_pairings`` pairings with the pre spike ``delta`` steps before the post spike,
    and as many with it ``delta`` steps after, each on its own synapse starting from the
    mantissa 128. It passes when the first weight rose by ``rise_per_pairing`` times
    ``n_pairings`` and the second fell by ``fall_per_pairing`` times ``n_pairings`` (bounds
    included).

    Parameters
    ----------
    design : dict
        ``{"dw": str, "imp_x1": int, "tau_x1": int, "imp_y1": int, "tau_y1": int}`` (the
        impulses and time constants in the chip's register ranges, time constants in steps).
    delta : int
        ``|t_post - t_pre|`` of a pairing, in steps (1 ms), 1..60.
    n_pairings : int
        Pairings of each order, 1..40.
    rise_per_pairing, fall_per_pairing : pair of float
        The specification: the weight change per pairing (a range of magnitudes).
    seed : int
        Seed of the chip's stochastic rounding.
    engine : str, optional
        Engine of the run.

    Returns
    -------
    CheckResult
        A pass with both weight changes, or which change is out of the specification and
        which constant to turn which way.

    Raises
    ------
    dynsim.errors.RegisterRangeError
        If ``delta``, ``n_pairings``, the ranges or the seed make no sense.

    References
    ----------
    Davies et al. (2018), IEEE Micro 38(1) (learning engine); Bi and Poo (1998),
    J. Neurosci. 18(24) (pairing protocol).

    Examples
    --------
    >>> design = {"dw": "2^-4*x1*y0 - 2^-5*y1*x0", "imp_x1": 64, "tau_x1": 16,
    ...           "imp_y1": 64, "tau_y1": 16}
    >>> bool(check_stdp_design(design, engine="numpy"))
    True
    """
    name = "STDP design"
    d = _plain_number(delta, "delta")
    n = _plain_number(n_pairings, "n_pairings")
    if not (_whole(d) and 1 <= d <= 60 and _whole(n) and 1 <= n <= 40):
        raise RegisterRangeError(f"delta must be a whole number of steps 1..60 and n_pairings "
                                 f"1..40, got {delta!r} and {n_pairings!r}")
    spec = []
    for what, pair in (("rise_per_pairing", rise_per_pairing),
                       ("fall_per_pairing", fall_per_pairing)):
        try:
            low, high = (_plain_number(v, what) for v in pair)
        except (TypeError, ValueError):
            raise RegisterRangeError(f"{what} must be (low, high), got {pair!r}") from None
        if not (math.isfinite(low) and math.isfinite(high) and 0 <= low <= high):
            raise RegisterRangeError(f"{what} must be (low, high) with 0 <= low <= high, got "
                                     f"{pair!r}")
        spec.append((low * n, high * n))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise RegisterRangeError(f"seed must be an integer >= 0, got {seed!r}")
    chosen = _design_dict(design, _STDP_DESIGN_KEYS, '{"dw": "2^-3*x1*y0 - 2^-3*y1*x0", '
                          '"imp_x1": 32, "tau_x1": 10, "imp_y1": 32, "tau_y1": 10}')
    missing = [k for k in _STDP_DESIGN_KEYS if k not in chosen]
    if missing:
        raise Rejected(f"the design has no {', '.join(map(repr, missing))}: give all of "
                       f"{', '.join(map(repr, _STDP_DESIGN_KEYS))}")
    if not isinstance(chosen["dw"], str):
        raise Rejected(f"dw is the rule as a string such as '2^-3*x1*y0 - 2^-3*y1*x0', got "
                       f"{brief(chosen['dw'])}")
    for key in _STDP_DESIGN_KEYS[1:]:
        value = chosen[key]
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise Rejected(f"{key} = {brief(value)}: the chip's trace registers hold whole "
                           "numbers (an impulse 1..127, a time constant in steps)")
        if int(value) <= 0:
            raise Rejected(f"{key} = {value}: a trace needs an impulse and a time constant "
                           "> 0 (0 switches the trace off)")
    try:
        rise, fall = _pairing_weight_changes(chosen, int(d), int(n), int(seed), engine)
    except LearningRuleError as exc:
        raise Rejected(f"the chip does not accept dw: {str(exc)[:200]}") from None
    except RegisterRangeError as exc:
        raise Rejected(f"a trace register does not take it: {str(exc)[:200]}") from None
    (rise_lo, rise_hi), (fall_lo, fall_hi) = spec
    at = f"after {int(n)} pairings"
    measured = (f"{at} the weight changed by {rise:+d} at t_post - t_pre = +{int(d)} ms and by "
                f"{-fall:+d} at -{int(d)} ms")
    wanted = (f"wanted +{rise_lo:g}..+{rise_hi:g} and -{fall_lo:g}..-{fall_hi:g}")
    problems = []
    if rise < 0 and fall < 0:
        problems.append("the signs are swapped: pre before post (x1 * y0) must potentiate, "
                        "post before pre (y1 * x0) depress")
    else:
        ltp = ("the x1 * y0 term (its 2^k), imp_x1, or tau_x1 (a longer tau leaves more "
               "of x1 after the delay)")
        ltd = ("the y1 * x0 term (its 2^k), imp_y1, or tau_y1 (a longer tau leaves more "
               "of y1 after the delay)")
        if rise <= 0:
            problems.append(f"pre before post did not potentiate ({rise:+d}): the rule needs a "
                            "positive x1 * y0 term, and x1 an impulse")
        elif rise < rise_lo:
            problems.append(f"potentiation too weak: raise {ltp}")
        elif rise > rise_hi:
            problems.append(f"potentiation too strong: lower {ltp}")
        if fall <= 0:
            problems.append(f"post before pre did not depress ({-fall:+d}): the rule needs a "
                            "negative y1 * x0 term, and y1 an impulse")
        elif fall < fall_lo:
            problems.append(f"depression too weak: raise {ltd}")
        elif fall > fall_hi:
            problems.append(f"depression too strong: lower {ltd}")
    if not problems:
        return success(name, f"{measured} ({wanted}, chip seed {int(seed)})")
    return fail(name, f"{measured}, {wanted}: " + "; ".join(problems) + ". One power of two "
                "in the rule halves or doubles a term")
