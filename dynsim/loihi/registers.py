"""Loihi register widths, ranges and shifts: the one place where each hardware number lives.

Every number the emulator uses for the chip's fixed-point arithmetic is a named constant
below, with the formula it enters in the docstring of the function that uses it (in the
style of nengo-loihi's ``discretize.py``). The Brian2 code of :mod:`dynsim.loihi.neurons`
and :mod:`dynsim.loihi.synapses` is generated from these constants, and the parameter
checks of every public class call :func:`check_register`.

One time step of a compartment (Loihi 1, CUBA LIF; Davies et al. 2018)::

    decay(x, d) = sign(x) * ((|x| * (4096 - d)) >> 12)          # rounds toward zero
    q[t]  = sum over arriving spikes of the actual weights          # dendritic accumulator
    u[t]  = decay(u[t-1], decay_u) + q[t]                           # current, 24-bit register
    v[t]  = decay(v[t-1], decay_v) + u[t] + bias_mant * 2**bias_exp # voltage, 24-bit register
    spike if v[t] > vth_mant * 2**6, then v[t] = 0; v held at 0 for refractory - 1 steps

How the three arithmetic conventions differ in the details (which rounding, which
overflow) is tabulated in :mod:`dynsim.loihi.conventions`.

References
----------
Davies, M. et al. (2018). Loihi: a neuromorphic manycore processor with on-chip learning.
IEEE Micro 38(1), 82-99.
Michaelis, C., Lehr, A. B., Oed, W., Tetzlaff, C. (2022). Brian2Loihi: an emulator for the
neuromorphic chip Loihi using the spiking neural network simulator Brian. Front.
Neuroinform. 16:1015624.
Lava 0.10, ``lava/proc/lif/models.py``, ``lava/proc/dense/models.py``,
``lava/utils/weightutils.py`` (https://github.com/lava-nc/lava).
nengo-loihi, ``nengo_loihi/discretize.py`` and ``nengo_loihi/emulator/interface.py``
(https://github.com/nengo/nengo-loihi).

Examples
--------
>>> from dynsim.loihi.registers import decay_toward_zero, VTH_SHIFT
>>> int(decay_toward_zero(-4097, 2048))   # -4097 * 2048 / 4096 = -2048.5, toward zero
-2048
>>> 100 << VTH_SHIFT                       # threshold_v_mant = 100 in units of v
6400
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dynsim.errors import RegisterRangeError

__all__ = [
    "ACC_BITS",
    "ACC_MAX",
    "ACC_MIN",
    "BIAS_EXP_MAX",
    "BIAS_EXP_MIN",
    "BIAS_MANT_MAX",
    "BIAS_MANT_MIN",
    "DECAY_BITS",
    "DECAY_EFFECTIVE_MAX",
    "DECAY_REGISTER_MAX",
    "DECAY_UNITY",
    "DECAY_U_OFFSET",
    "DECAY_V_OFFSET",
    "DELAY_MAX",
    "DW_EXP_MAX",
    "DW_EXP_MIN",
    "LEARNING_EPOCH_MAX",
    "REFRACTORY_MAX",
    "REFRACTORY_MIN",
    "REGISTERS",
    "TRACE_DECAY_FRACTION_BITS",
    "TRACE_IMPULSE_MAX",
    "TRACE_MAX",
    "TRACE_TAU_MAX",
    "UV_BITS",
    "U_MAX",
    "U_MIN",
    "VTH_MANT_MAX",
    "VTH_SHIFT",
    "V_MAX",
    "V_MIN",
    "WEIGHT_ACT_SHIFT",
    "WEIGHT_BITS",
    "WEIGHT_EXP_MAX",
    "WEIGHT_EXP_MIN",
    "WEIGHT_LIMIT_BRIAN2_LOIHI",
    "Register",
    "check_register",
    "decay_toward_zero",
    "effective_bias",
    "effective_threshold",
    "precision_shift",
    "saturate",
    "weight_range",
    "wrap_signed",
]

# --------------------------------------------------------------------------- decays
#: Decay constants are 12-bit fractions of one: ``x * (DECAY_UNITY - d) >> DECAY_BITS``.
DECAY_BITS = 12
#: ``2**DECAY_BITS``: a decay of 4096 removes everything in one step.
DECAY_UNITY = 1 << DECAY_BITS
#: The decay registers ``du`` and ``dv`` are 12 bits unsigned (0..4095).
DECAY_REGISTER_MAX = DECAY_UNITY - 1
#: The effective decays ``decay_I`` / ``decay_v`` as brian2-loihi writes them (0..4096).
DECAY_EFFECTIVE_MAX = DECAY_UNITY
#: The chip adds one to the current decay register (Lava's ``ds_offset``): decay_I = du + 1.
DECAY_U_OFFSET = 1
#: Nothing is added to the voltage decay register (Lava's ``dm_offset``): decay_v = dv.
DECAY_V_OFFSET = 0

# --------------------------------------------------------------------------- u and v
#: Width of the current and voltage registers, sign included.
UV_BITS = 24
#: Largest current: u wraps around (two's complement) above it on silicon.
U_MAX = (1 << (UV_BITS - 1)) - 1
#: Smallest current.
U_MIN = -(1 << (UV_BITS - 1))
#: The voltage saturates at +-(2**23 - 1) (Lava and nengo-loihi's vmin/vmax at their limits).
V_MAX = (1 << (UV_BITS - 1)) - 1
#: Smallest voltage (symmetric saturation).
V_MIN = -V_MAX

# --------------------------------------------------------------------------- threshold, bias
#: The threshold mantissa ``vth_mant`` (brian2-loihi ``threshold_v_mant``) is 17 bits unsigned.
VTH_MANT_MAX = (1 << 17) - 1
#: The threshold is compared in units of v after a left shift by 6: ``vth = vth_mant << 6``.
VTH_SHIFT = 6
#: Bias mantissa: 12 bits and a sign, i.e. 13-bit two's complement (Lava: -4096..4095).
BIAS_MANT_MIN = -(1 << 12)
#: Largest bias mantissa.
BIAS_MANT_MAX = (1 << 12) - 1
#: Bias exponent: 3 bits unsigned; the bias adds ``bias_mant << bias_exp`` to v each step.
BIAS_EXP_MIN = 0
#: Largest bias exponent.
BIAS_EXP_MAX = 7
#: Refractory period in steps (brian2-loihi: 1..64; 1 means no hold).
REFRACTORY_MIN = 1
#: Longest refractory period.
REFRACTORY_MAX = 64

# --------------------------------------------------------------------------- weights
#: Weight mantissas are 8 bits (+ sign in the mixed sign mode).
WEIGHT_BITS = 8
#: Weight exponent range: the actual weight is ``w_mant * 2**(6 + w_exp)``.
WEIGHT_EXP_MIN = -8
#: Largest weight exponent.
WEIGHT_EXP_MAX = 7
#: The 6-bit left shift that aligns weights with u (Lava's ``act_shift``).
WEIGHT_ACT_SHIFT = 6
#: The dendritic accumulator is 21 bits plus sign (nengo-loihi ``Q_BITS``).
ACC_BITS = 21
#: Largest accumulated input in one step before it wraps (silicon).
ACC_MAX = (1 << ACC_BITS) - 1
#: Smallest accumulated input.
ACC_MIN = -(1 << ACC_BITS)
#: brian2-loihi clips every actual weight to +-(2**21 - 2**6).
WEIGHT_LIMIT_BRIAN2_LOIHI = (1 << 21) - (1 << 6)
#: Axonal/synaptic delay in steps (6 bits; brian2-loihi checks 0..62).
DELAY_MAX = 62

# --------------------------------------------------------------------------- traces, learning
#: Traces are 7-bit unsigned values.
TRACE_MAX = 127
#: Largest trace impulse.
TRACE_IMPULSE_MAX = 127
#: Largest trace time constant in steps (the stochastic rounding compares in 63 bits).
TRACE_TAU_MAX = (1 << 31) - 1
#: Fraction bits of the trace decay factor ``exp(-1/tau)`` in the 'silicon' and 'lava'
#: conventions.
TRACE_DECAY_FRACTION_BITS = 16
#: Exponents ``k`` allowed in ``2^k`` factors of a learning rule (brian2-loihi grammar).
DW_EXP_MIN = -7
#: Largest exponent in a learning rule.
DW_EXP_MAX = 9
#: Longest learning epoch in steps.
LEARNING_EPOCH_MAX = 1 << 9


# --------------------------------------------------------------------------- parameter checks
@dataclass(frozen=True)
class Register:
    """A chip register or parameter field: its name, its range and what it holds.

    Parameters
    ----------
    name : str
        The register's name as the chip documentation (NxSDK/Lava) writes it.
    low, high : int
        The inclusive range.
    description : str
        What the register holds (bits, units).
    """

    name: str
    low: int
    high: int
    description: str


#: Every register a user can set, by the parameter name the API uses.
REGISTERS: dict[str, Register] = {
    "decay_I": Register("du + 1", 0, DECAY_EFFECTIVE_MAX,
                        "effective current decay, 4096 * (1 - exp(-1/tau_I))"),
    "decay_v": Register("dv", 0, DECAY_EFFECTIVE_MAX,
                        "effective voltage decay, 4096 * (1 - exp(-1/tau_v))"),
    "du": Register("du", 0, DECAY_REGISTER_MAX, "current decay register, 12 bits unsigned"),
    "dv": Register("dv", 0, DECAY_REGISTER_MAX, "voltage decay register, 12 bits unsigned"),
    "threshold_v_mant": Register("vth_mant", 0, VTH_MANT_MAX,
                                 "threshold mantissa, 17 bits unsigned"),
    "refractory": Register("refractory_delay", REFRACTORY_MIN, REFRACTORY_MAX,
                           "refractory period in steps"),
    "bias_mant": Register("bias_mant", BIAS_MANT_MIN, BIAS_MANT_MAX,
                          "bias mantissa, 12 bits + sign"),
    "bias_exp": Register("bias_exp", BIAS_EXP_MIN, BIAS_EXP_MAX,
                         "bias exponent, 3 bits unsigned"),
    "w_exp": Register("weight_exp", WEIGHT_EXP_MIN, WEIGHT_EXP_MAX,
                      "weight exponent, 4 bits signed"),
    "num_weight_bits": Register("num_weight_bits", 0, WEIGHT_BITS,
                                "weight mantissa precision in bits"),
    "sign_mode": Register("sign_mode", 1, 3,
                          "1 mixed, 2 excitatory, 3 inhibitory"),
    "delay": Register("delay", 0, DELAY_MAX, "synaptic delay in steps, 6 bits"),
    "imp": Register("impulse", 0, TRACE_IMPULSE_MAX, "trace impulse, 7 bits unsigned"),
    "tau": Register("tau", 0, TRACE_TAU_MAX, "trace time constant in steps (0: no trace)"),
    "learning_epoch": Register("learning_epoch", 1, LEARNING_EPOCH_MAX,
                               "steps between weight updates"),
}


def _as_int_array(value: object, name: str) -> np.ndarray:
    """Return ``value`` as an int64 array, or raise if it holds anything but whole numbers."""
    if isinstance(value, bool | np.bool_):
        raise RegisterRangeError(f"{name} must be an integer, got the boolean {value!r}")
    arr = np.asarray(value)
    if arr.dtype == object or arr.dtype.kind not in "iuf":
        raise RegisterRangeError(f"{name} must be an integer, got {value!r}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            bad = arr[~np.isfinite(arr) | (arr != np.round(arr))].ravel()[0]
            raise RegisterRangeError(f"{name} must be an integer, got {bad!r}")
    return arr.astype(np.int64)


def check_register(name: str, value: object, low: int | None = None,
                   high: int | None = None, *, register: str | None = None,
                   description: str | None = None) -> np.ndarray | int:
    """Check that ``value`` is a whole number (or array of them) inside a register's range.

    Python ints, numpy integers and integral floats are accepted (brian2-loihi rejected numpy
    integers); anything else, and any value outside the range, raises
    :class:`~dynsim.errors.RegisterRangeError` naming the parameter, the register, the range
    and the bad value.

    Parameters
    ----------
    name : str
        The parameter name as the user wrote it (a key of :data:`REGISTERS` unless ``low``
        and ``high`` are given).
    value : int or array_like of int
        The value(s) to check.
    low, high : int, optional
        The inclusive range; default: the range of ``REGISTERS[name]``.
    register : str, optional
        The chip register's name, for the message.
    description : str, optional
        What the register holds, for the message.

    Returns
    -------
    int or numpy.ndarray
        A Python ``int`` for a scalar, an ``int64`` array otherwise.

    Raises
    ------
    dynsim.errors.RegisterRangeError
        If a value is not a whole number or lies outside ``low..high``.

    Examples
    --------
    >>> import numpy as np
    >>> check_register("decay_v", np.int32(1024))
    1024
    >>> check_register("decay_v", 5000)
    Traceback (most recent call last):
    ...
    dynsim.errors.RegisterRangeError: decay_v=5000 is outside the range of the Loihi register dv (effective voltage decay, 4096 * (1 - exp(-1/tau_v))): 0..4096
    """  # noqa: E501
    reg = REGISTERS.get(name)
    if low is None or high is None:
        if reg is None:
            raise KeyError(f"no register range known for {name!r}")
        low = reg.low if low is None else low
        high = reg.high if high is None else high
    register = register or (reg.name if reg is not None else name)
    description = description or (reg.description if reg is not None else "")
    arr = _as_int_array(value, name)
    outside = (arr < low) | (arr > high)
    if np.any(outside):
        bad = int(arr[outside].ravel()[0]) if arr.ndim else int(arr)
        what = f" ({description})" if description else ""
        count = int(np.count_nonzero(outside))
        more = f" ({count} values outside)" if arr.ndim and count > 1 else ""
        raise RegisterRangeError(
            f"{name}={bad} is outside the range of the Loihi register {register}{what}: "
            f"{low}..{high}{more}"
        )
    if arr.ndim == 0:
        return int(arr)
    return arr


# --------------------------------------------------------------------------- arithmetic
def decay_toward_zero(x: np.ndarray | int, decay: np.ndarray | int) -> np.ndarray:
    """Decay integers by ``decay / 4096``, rounding toward zero.

    ``sign(x) * ((|x| * (DECAY_UNITY - decay)) >> DECAY_BITS)``: the product needs up to
    24 + 12 bits, so it is formed in int64.

    Parameters
    ----------
    x : int or numpy.ndarray of int
        The register value(s) (u or v).
    decay : int or numpy.ndarray of int
        The effective decay 0..4096.

    Returns
    -------
    numpy.ndarray of int64
    """
    x = np.asarray(x, dtype=np.int64)
    product = np.abs(x) * (DECAY_UNITY - np.asarray(decay, dtype=np.int64))
    return np.sign(x) * (product >> DECAY_BITS)


def wrap_signed(x: np.ndarray | int, bits: int) -> np.ndarray:
    """Wrap integers into a ``bits``-bit two's complement register (sign bit included).

    ``x - 2**bits * floor((x + 2**(bits-1)) / 2**bits)``, i.e. the range is
    ``-2**(bits-1) .. 2**(bits-1) - 1``.

    Parameters
    ----------
    x : int or numpy.ndarray of int
        Values to wrap.
    bits : int
        Register width including the sign bit (24 for u, 22 for the accumulator).

    Returns
    -------
    numpy.ndarray of int64
    """
    x = np.asarray(x, dtype=np.int64)
    span = np.int64(1) << bits
    half = np.int64(1) << (bits - 1)
    return x - span * ((x + half) // span)


def saturate(x: np.ndarray | int, low: int, high: int) -> np.ndarray:
    """Clip integers into ``low..high`` (the voltage register saturates, it does not wrap)."""
    return np.clip(np.asarray(x, dtype=np.int64), low, high)


def effective_threshold(vth_mant: np.ndarray | int) -> np.ndarray | int:
    """Return the threshold in units of v: ``vth_mant << VTH_SHIFT``."""
    if isinstance(vth_mant, np.ndarray):
        return vth_mant.astype(np.int64) << VTH_SHIFT
    return int(vth_mant) << VTH_SHIFT


def effective_bias(bias_mant: np.ndarray | int, bias_exp: np.ndarray | int) -> np.ndarray:
    """Return the bias added to v each step: ``bias_mant << bias_exp`` (units of v)."""
    return np.asarray(bias_mant, dtype=np.int64) << np.asarray(bias_exp, dtype=np.int64)


def precision_shift(num_weight_bits: int, sign_mode: int) -> int:
    """Return the number of low mantissa bits the synapse drops.

    ``s = 8 - num_weight_bits + (1 if sign_mode is mixed else 0)``: the stored weight keeps
    the top ``num_weight_bits`` bits of the 8-bit mantissa (the sign takes one of them in the
    mixed mode), so the mantissa is a multiple of ``2**s``.
    """
    return WEIGHT_BITS - int(num_weight_bits) + (1 if int(sign_mode) == 1 else 0)


def weight_range(sign_mode: int) -> tuple[int, int]:
    """Return the allowed weight mantissas of a sign mode (brian2-loihi's ranges).

    mixed (1): -256..254, excitatory (2): 0..255, inhibitory (3): -256..0.
    """
    return {1: (-256, 254), 2: (0, 255), 3: (-256, 0)}[int(sign_mode)]
