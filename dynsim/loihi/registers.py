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

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dynsim import validation
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
    "DERIVED",
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
    "Derived",
    "Register",
    "RegisterField",
    "check_register",
    "decay_from_tau",
    "decay_toward_zero",
    "effective_bias",
    "effective_threshold",
    "fields_of",
    "install_fields",
    "precision_shift",
    "readout",
    "saturate",
    "tau_from_decay",
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


# --------------------------------------------------------------------------- decay <-> tau
def tau_from_decay(decay: float) -> float:
    """Return the time constant in steps of an effective decay 0..4096.

    A decay ``d`` keeps ``keep = 1 - d / 4096`` of u or v per step, i.e. ``x[t] = keep**t
    x[0] = exp(-t / tau)`` with ``tau = -1 / ln(keep)`` steps (Davies et al. 2018).

    Parameters
    ----------
    decay : float
        Effective decay (``decay_I`` or ``decay_v``) in units of 1/4096 per step.

    Returns
    -------
    float
        ``tau`` in steps: ``math.inf`` for ``decay <= 0`` (nothing decays), ``0.0`` for
        ``decay >= DECAY_UNITY`` (everything is gone after one step).

    Examples
    --------
    >>> round(tau_from_decay(2048), 4)   # half kept per step: tau = 1 / ln 2
    1.4427
    >>> tau_from_decay(0), tau_from_decay(4096)
    (inf, 0.0)
    """
    keep = 1.0 - decay / DECAY_UNITY
    if keep >= 1.0:
        return math.inf
    return 0.0 if keep <= 0.0 else -1.0 / math.log(keep)


def decay_from_tau(tau: float) -> int:
    """Return the effective decay (0..4096) that best makes a time constant of ``tau`` steps.

    ``round(DECAY_UNITY * (1 - exp(-1 / tau)))`` (nengo-loihi ``discretize.decay_magnitude``
    without the convention's limits: callers clamp to the register, e.g. ``decay_v <= 4095``
    on silicon).

    Parameters
    ----------
    tau : float
        Time constant in steps; ``tau <= 0`` gives ``DECAY_UNITY``, ``math.inf`` gives 0.

    Returns
    -------
    int

    Examples
    --------
    >>> decay_from_tau(20), decay_from_tau(0), decay_from_tau(math.inf)
    (200, 4096, 0)
    """
    keep = 0.0 if tau <= 0 else math.exp(-1.0 / tau)
    return round(DECAY_UNITY * (1 - keep))


# --------------------------------------------------------------------------- readouts
@dataclass(frozen=True)
class _Context:
    """What a readout may need besides the value: the objects the control belongs to."""

    neurons: Any = None
    synapses: Any = None
    convention: Any = None

    def neuron(self, name: str) -> Any:
        """Return a neuron parameter (the constructor's default without a group)."""
        return _NEURON_DEFAULTS[name] if self.neurons is None else getattr(self.neurons, name)

    def synapse(self, name: str) -> Any:
        """Return a synapse parameter (the constructor's default without synapses)."""
        if self.synapses is None:
            return _SYNAPSE_DEFAULTS[name]
        return getattr(self.synapses, name)


_NEURON_DEFAULTS = {"bias_mant": 0, "bias_exp": 0}
_SYNAPSE_DEFAULTS = {"w_exp": 0, "num_weight_bits": WEIGHT_BITS, "sign_mode": 2}


def _ints(values: Sequence[int] | np.ndarray | int, most: int = 6) -> str:
    """``'5'`` for equal values, else ``'1, 2, 3 …'`` (at most ``most`` of them)."""
    values = [int(v) for v in np.atleast_1d(values)]
    if len(set(values)) == 1:
        return str(values[0])
    shown = values[:most]
    return ", ".join(str(v) for v in shown) + (" …" if len(shown) < len(values) else "")


def _tau_text(decay: int) -> str:
    tau = tau_from_decay(decay)
    if math.isinf(tau):
        return "τ ∞ (no decay)"
    if tau == 0:
        return "τ 0 (gone next step)"
    return f"τ {tau:.3g} steps"


def _decay_readout(register: str, offset: int) -> Callable[[Any, _Context], str]:
    def text(value: Any, ctx: _Context) -> str:
        return f"{register} {int(value) - offset} · {_tau_text(int(value))}"
    return text


def _weight_readout(value: Any, ctx: _Context) -> str:
    from dynsim.loihi.synapses import actual_weights  # synapses build on this module

    w_act = actual_weights([int(value)], ctx.synapse("w_exp"), ctx.synapse("num_weight_bits"),
                           ctx.synapse("sign_mode"), ctx.convention)[1]
    return f"w_act = {int(w_act[0])}"


def _precision_readout(value: Any, ctx: _Context) -> str:
    shift = precision_shift(int(value), ctx.synapse("sign_mode"))
    return f"mantissa step 2^{shift} = {1 << shift}"


# --------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class Register:
    """A chip register or parameter field: its range, what it holds and how it reads.

    Parameters
    ----------
    name : str
        The register's name as the chip documentation (NxSDK/Lava) writes it.
    low, high : int
        The inclusive range.
    description : str
        What the register holds (bits, units).
    owner : str
        ``'neurons'`` or ``'synapses'``: the class that gets a property of this name
        (:class:`RegisterField`); ``''`` for none.
    alias_of : str
        For another name of a stored parameter (Lava's ``du``): the stored parameter's key;
        the property reads ``stored - offset`` and writes ``value + offset``.
    offset : int
        See ``alias_of``.
    per_neuron : bool
        One value per neuron (an array) rather than one for the group.
    text : callable, optional
        ``text(value, context) -> str``: the one-line meaning of a value
        (:func:`readout`).
    """

    name: str
    low: int
    high: int
    description: str
    owner: str = ""
    alias_of: str = ""
    offset: int = 0
    per_neuron: bool = False
    text: Callable[[Any, _Context], str] | None = field(default=None, compare=False,
                                                        repr=False)


@dataclass(frozen=True)
class Derived:
    """A read-only quantity computed from registers (``vth``, ``bias``).

    Parameters
    ----------
    owner : str
        ``'neurons'`` or ``'synapses'``.
    sources : tuple of str
        The stored parameters it is computed from, in the order ``compute`` takes them.
    compute : callable
        The formula.
    formula : str
        The formula as text, for docstrings and the error on assignment.
    instead : str
        What to set instead.
    """

    owner: str
    sources: tuple[str, ...]
    compute: Callable[..., Any] = field(compare=False, repr=False)
    formula: str = ""
    instead: str = ""


#: Every register a user can set, by the parameter name the API uses. The neuron and synapse
#: properties of these names are generated from this table (:class:`RegisterField`), and
#: :func:`readout` tells what a value means.
REGISTERS: dict[str, Register] = {
    "decay_I": Register("du + 1", 0, DECAY_EFFECTIVE_MAX,
                        "effective current decay, 4096 * (1 - exp(-1/tau_I))", owner="neurons",
                        text=_decay_readout("du", DECAY_U_OFFSET)),
    "decay_v": Register("dv", 0, DECAY_EFFECTIVE_MAX,
                        "effective voltage decay, 4096 * (1 - exp(-1/tau_v))", owner="neurons",
                        text=_decay_readout("dv", DECAY_V_OFFSET)),
    "du": Register("du", 0, DECAY_REGISTER_MAX, "current decay register, 12 bits unsigned",
                   owner="neurons", alias_of="decay_I", offset=DECAY_U_OFFSET),
    "dv": Register("dv", 0, DECAY_REGISTER_MAX, "voltage decay register, 12 bits unsigned",
                   owner="neurons", alias_of="decay_v", offset=DECAY_V_OFFSET),
    "threshold_v_mant": Register("vth_mant", 0, VTH_MANT_MAX,
                                 "threshold mantissa, 17 bits unsigned", owner="neurons",
                                 text=lambda v, ctx: f"vth = {effective_threshold(int(v))}"),
    "vth_mant": Register("vth_mant", 0, VTH_MANT_MAX,
                         "threshold mantissa, 17 bits unsigned (Lava/NxSDK name)",
                         owner="neurons", alias_of="threshold_v_mant"),
    "refractory": Register(
        "refractory_delay", REFRACTORY_MIN, REFRACTORY_MAX, "refractory period in steps",
        owner="neurons",
        text=lambda v, ctx: f"v held {int(v) - 1} step{'s' if int(v) != 2 else ''}"),
    "bias_mant": Register(
        "bias_mant", BIAS_MANT_MIN, BIAS_MANT_MAX, "bias mantissa, 12 bits + sign",
        owner="neurons", per_neuron=True,
        text=lambda v, ctx: f"bias = {_ints(effective_bias(int(v), ctx.neuron('bias_exp')))}"),
    "bias_exp": Register(
        "bias_exp", BIAS_EXP_MIN, BIAS_EXP_MAX, "bias exponent, 3 bits unsigned",
        owner="neurons", per_neuron=True,
        text=lambda v, ctx: f"bias = {_ints(effective_bias(ctx.neuron('bias_mant'), int(v)))}"),
    "w": Register("weight", -256, 255,
                  "weight mantissa, 8 bits + sign (range per sign mode: weight_range)",
                  text=_weight_readout),
    "w_exp": Register("weight_exp", WEIGHT_EXP_MIN, WEIGHT_EXP_MAX,
                      "weight exponent, 4 bits signed", owner="synapses",
                      text=lambda v, ctx: f"w_act = w × 2^{WEIGHT_ACT_SHIFT + int(v)}"),
    "num_weight_bits": Register("num_weight_bits", 0, WEIGHT_BITS,
                                "weight mantissa precision in bits", owner="synapses",
                                text=_precision_readout),
    "sign_mode": Register("sign_mode", 1, 3,
                          "1 mixed, 2 excitatory, 3 inhibitory", owner="synapses"),
    "delay": Register("delay", 0, DELAY_MAX, "synaptic delay in steps, 6 bits",
                      owner="synapses"),
    "imp": Register("impulse", 0, TRACE_IMPULSE_MAX, "trace impulse, 7 bits unsigned"),
    "tau": Register("tau", 0, TRACE_TAU_MAX, "trace time constant in steps (0: no trace)"),
    "learning_epoch": Register("learning_epoch", 1, LEARNING_EPOCH_MAX,
                               "steps between weight updates", owner="synapses"),
}

#: Read-only quantities derived from registers; assigning one raises RegisterRangeError.
DERIVED: dict[str, Derived] = {
    "vth": Derived("neurons", ("threshold_v_mant",), lambda m: effective_threshold(m),
                   "threshold_v_mant << 6", "set threshold_v_mant instead"),
    "bias": Derived("neurons", ("bias_mant", "bias_exp"),
                    lambda m, e: effective_bias(m, e), "bias_mant << bias_exp",
                    "set those instead"),
}


def readout(name: str, value: Any, *, neurons: Any = None, synapses: Any = None,
            convention: Any = None) -> str:
    """Return the one-line meaning of a register value, as shown next to its control.

    Parameters
    ----------
    name : str
        A key of :data:`REGISTERS`, or ``'w_<i>'`` for the weight of synapse ``i``.
    value : int
        The value to explain (not necessarily the one the objects hold).
    neurons : LoihiNeuronGroup, optional
        Context for ``bias_mant`` (its ``bias_exp``) and ``bias_exp`` (its ``bias_mant``);
        without it the constructor defaults (0) are used.
    synapses : LoihiSynapses, optional
        Context for weights and ``num_weight_bits`` (its ``w_exp``, ``num_weight_bits``,
        ``sign_mode``); without it the defaults (0, 8, excitatory).
    convention : str or Convention, optional
        For weights (default 'silicon').

    Returns
    -------
    str
        E.g. ``'du 4095 · τ 0 (gone next step)'``, ``'vth = 6400'``, ``'w_act = 128'``;
        ``''`` for a name without a readout or a value that is not a number.

    Examples
    --------
    >>> readout("threshold_v_mant", 100)
    'vth = 6400'
    >>> readout("decay_v", 2048)
    'dv 2048 · τ 1.44 steps'
    >>> readout("w_exp", 0), readout("refractory", 2)
    ('w_act = w × 2^6', 'v held 1 step')
    >>> readout("w_0", 2), readout("nonsense", 1)
    ('w_act = 128', '')
    """
    if isinstance(name, str) and name.startswith("w_") and name[2:].isdigit():
        name = "w"
    reg = REGISTERS.get(name) if isinstance(name, str) else None
    if reg is None or reg.text is None:
        return ""
    try:
        return reg.text(value, _Context(neurons, synapses, convention))
    except (ValueError, TypeError, KeyError, OverflowError):
        return ""


class RegisterField:
    """Descriptor: the property of a register (or derived quantity) on a Loihi class.

    Reads and writes go through the owner's ``_register_get(name)`` and
    ``_register_set(name, value)`` (which check the range and change nothing on failure);
    aliases (``du``) convert with the table's offset; derived quantities are read-only. The
    docstring comes from the table. :func:`install_fields` puts one on a class for every
    table entry with that owner.

    Parameters
    ----------
    name : str
        A key of :data:`REGISTERS` or :data:`DERIVED`.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        if name in DERIVED:
            d = DERIVED[name]
            self.__doc__ = f"Read-only, derived: ``{d.formula}`` (units of v)."
        else:
            reg = REGISTERS[name]
            alias = (f" Stored as ``{reg.alias_of}``"
                     + (f" = {name} + {reg.offset}." if reg.offset else ".")
                     if reg.alias_of else "")
            self.__doc__ = (f"{reg.description[:1].upper()}{reg.description[1:]}, "
                            f"{reg.low}..{reg.high} (register ``{reg.name}``).{alias}")

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        derived = DERIVED.get(self.name)
        if derived is not None:
            return derived.compute(*(obj._register_get(s, raw=True) for s in derived.sources))
        reg = REGISTERS[self.name]
        if reg.alias_of:
            return obj._register_get(reg.alias_of) - reg.offset
        return obj._register_get(self.name)

    def __set__(self, obj: Any, value: Any) -> None:
        derived = DERIVED.get(self.name)
        if derived is not None:
            raise RegisterRangeError(
                f"{self.name} is derived ({derived.formula}); {derived.instead}")
        reg = REGISTERS[self.name]
        if reg.alias_of:
            value = check_register(self.name, value)
            obj._register_set(reg.alias_of, value + reg.offset)
        else:
            obj._register_set(self.name, value)


def install_fields(cls: type, owner: str) -> type:
    """Give ``cls`` a :class:`RegisterField` for every table entry owned by ``owner``.

    Parameters
    ----------
    cls : type
        The class (it implements ``_register_get(name, raw=False)`` and
        ``_register_set(name, value)``).
    owner : str
        ``'neurons'`` or ``'synapses'``.

    Returns
    -------
    type
        ``cls`` (for use as a decorator).
    """
    for table in (REGISTERS, DERIVED):
        for name, entry in table.items():
            if entry.owner == owner:
                setattr(cls, name, RegisterField(name))
    return cls


def fields_of(owner: str) -> tuple[str, ...]:
    """Return the names of the settable, stored registers of ``owner`` (no aliases)."""
    return tuple(name for name, reg in REGISTERS.items()
                 if reg.owner == owner and not reg.alias_of)


def _as_int_array(value: object, name: str) -> np.ndarray:
    """Return ``value`` as an array of whole numbers, or raise if it holds anything else.

    Only the type is checked here; :func:`check_register` compares the values with the
    register's range *before* the cast to int64 (:func:`dynsim.validation.whole_numbers`),
    so ``np.uint64(2**64 - 1)`` is refused, never read as -1.
    """
    if isinstance(value, bool | np.bool_):
        raise RegisterRangeError(f"{name} must be an integer, got the boolean {value!r}")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        raise RegisterRangeError(f"{name} must be an integer, got {value!r}") from None
    if arr.dtype == object:
        if not all(validation.is_whole_number(v) for v in arr.ravel()):
            raise RegisterRangeError(f"{name} must be an integer, got {value!r}")
    elif arr.dtype.kind not in "iuf":
        raise RegisterRangeError(f"{name} must be an integer, got {value!r}")
    elif arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            bad = arr[~np.isfinite(arr) | (arr != np.round(arr))].ravel()[0]
            raise RegisterRangeError(f"{name} must be an integer, got {bad!r}")
    return arr


class _Outside(RegisterRangeError):
    """Raised by validation.whole_numbers inside check_register (re-worded there)."""


def check_register(name: str, value: object, low: int | None = None,
                   high: int | None = None, *, register: str | None = None,
                   description: str | None = None) -> np.ndarray | int:
    """Check that ``value`` is a whole number (or array of them) inside a register's range.

    Python ints, numpy integers and integral floats are accepted (brian2-loihi rejected numpy
    integers); anything else, and any value outside the range, raises
    :class:`~dynsim.errors.RegisterRangeError` naming the parameter, the register, the range
    and the bad value. The range is compared exactly, before any cast (an unsigned 64-bit
    ``2**64 - 1`` is out of range, not -1).

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
    try:
        checked = validation.whole_numbers(arr, name, low=low, high=high, error=_Outside,
                                           integral_floats=True)
    except _Outside:
        # exact Python integers: tolist() never wraps an unsigned or object value
        flat = [int(v) for v in np.atleast_1d(arr).ravel().tolist()]
        outside = [v for v in flat if v < low or v > high]
        what = f" ({description})" if description else ""
        more = (f" ({len(outside)} values outside)" if arr.ndim and len(outside) > 1
                else "")
        raise RegisterRangeError(
            f"{name}={outside[0]} is outside the range of the Loihi register {register}{what}: "
            f"{low}..{high}{more}"
        ) from None
    if checked.ndim == 0:
        return int(checked)
    return checked


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
