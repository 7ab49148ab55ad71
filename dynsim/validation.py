"""Validators for every value a user gives dynsim: one place, one rule each.

Every public call of dynsim checks its arguments with these functions *before* it changes
anything or allocates memory, and raises the :mod:`dynsim.errors` class that the caller
names, with a message that says what was expected and what was given. The rules:

* a whole number is a Python ``int`` or a numpy integer (never a ``bool``; never a float,
  not even ``2.0``, unless ``integral_floats=True``), and it is compared with its range as a
  Python ``int`` *before* any cast to a fixed-width type, so ``2**31 + 1`` or
  ``np.uint64(2**64 - 1)`` can never wrap around;
* a duration, a rate or a current is a Brian2 quantity of the right dimension (or, where the
  caller allows it, a plain number in the SI unit), finite and inside its range;
* a size that a user controls (an array of spike times, a number of steps) is bounded before
  an array of that size is made (:func:`bounded_size`).

Examples
--------
>>> from brian2 import ms, Hz
>>> from dynsim.errors import InvalidSettingError
>>> whole_number(3, "n_neurons", low=1, high=256, error=InvalidSettingError)
3
>>> duration_seconds(20 * ms)
0.02
>>> rate_hz(50 * Hz, high=1000.0)
50.0
>>> whole_number(2**31 + 1, "weight", low=0, high=64, error=InvalidSettingError)
Traceback (most recent call last):
...
dynsim.errors.InvalidSettingError: weight must be a whole number in 0..64, got 2147483649
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from dynsim.errors import DynsimError, InvalidSettingError, suggest

__all__ = [
    "bounded_size",
    "choice",
    "current_amperes",
    "duration_seconds",
    "finite_number",
    "identifier",
    "is_whole_number",
    "rate_hz",
    "whole_number",
    "whole_numbers",
]

ErrorClass = type[DynsimError]


def _range_text(low: int | float | None, high: int | float | None) -> str:
    if low is not None and high is not None:
        return f" in {low}..{high}"
    if low is not None:
        return f" >= {low}"
    if high is not None:
        return f" <= {high}"
    return ""


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_whole_number(value: object, *, integral_floats: bool = False) -> bool:
    """Return whether ``value`` is an integer a user may give (``int`` or numpy integer).

    Parameters
    ----------
    value : object
        Anything.
    integral_floats : bool
        Also accept finite floats with no fractional part (``2.0``).

    Examples
    --------
    >>> is_whole_number(True), is_whole_number(np.int8(3)), is_whole_number(2.0)
    (False, True, False)
    """
    if isinstance(value, bool | np.bool_):
        return False
    if isinstance(value, int | np.integer):
        return True
    if integral_floats and isinstance(value, float | np.floating):
        return bool(np.isfinite(value)) and float(value).is_integer()
    return False


def whole_number(value: object, name: str, *, low: int | None = None, high: int | None = None,
                 error: ErrorClass = InvalidSettingError, integral_floats: bool = False,
                 hint: str = "") -> int:
    """Return ``value`` as a Python ``int`` after checking its type and range.

    Parameters
    ----------
    value : object
        What the user gave.
    name : str
        The argument's name, for the message.
    low, high : int, optional
        Inclusive bounds.
    error : type
        The :mod:`dynsim.errors` class to raise.
    integral_floats : bool
        Accept ``2.0`` as ``2`` (never ``1.7``).
    hint : str
        Extra sentence appended to the message.

    Returns
    -------
    int
        The value, range-checked as an arbitrary-precision Python integer.

    Raises
    ------
    DynsimError
        ``error``, naming the range and the value.

    Examples
    --------
    >>> whole_number(np.uint64(2**64 - 1), "bias_mant", low=-4096, high=4095)
    Traceback (most recent call last):
    ...
    dynsim.errors.InvalidSettingError: bias_mant must be a whole number in -4096..4095, got 18446744073709551615
    """  # noqa: E501
    extra = f" {hint}" if hint else ""
    if not is_whole_number(value, integral_floats=integral_floats):
        raise error(f"{name} must be a whole number{_range_text(low, high)}, got "
                    f"{_short(value)}{extra}")
    number = int(value)  # exact for Python and numpy integers, and integral floats
    if (low is not None and number < low) or (high is not None and number > high):
        raise error(f"{name} must be a whole number{_range_text(low, high)}, got {number}"
                    f"{extra}")
    return number


def bounded_size(size: object, name: str, *, high: int, error: ErrorClass = InvalidSettingError,
                 hint: str = "") -> int:
    """Return a size a user controls after checking it is a whole number in ``0..high``.

    Call it before an array of that size is allocated.

    Examples
    --------
    >>> bounded_size(10, "spike count", high=100)
    10
    """
    return whole_number(size, name, low=0, high=high, error=error, hint=hint)


def whole_numbers(values: object, name: str, *, low: int | None = None, high: int | None = None,
                  error: ErrorClass = InvalidSettingError, max_size: int | None = None,
                  integral_floats: bool = False) -> np.ndarray:
    """Return ``values`` as an ``int64`` array after checking every element's type and range.

    Scalars give a 0-d array. Elements are checked before the cast: an unsigned 64-bit value
    above ``2**63 - 1`` or a float that is not whole is refused, never wrapped or truncated.

    Parameters
    ----------
    values : int or array_like of int
        What the user gave.
    name : str
        The argument's name, for the message.
    low, high : int, optional
        Inclusive bounds (each must fit in int64).
    error : type
        The :mod:`dynsim.errors` class to raise.
    max_size : int, optional
        The largest number of elements accepted.
    integral_floats : bool
        Accept float elements with no fractional part.

    Examples
    --------
    >>> whole_numbers([1, 2, 3], "neurons", low=0, high=255).tolist()
    [1, 2, 3]
    """
    if isinstance(values, bool | np.bool_ | str | bytes) or values is None:
        raise error(f"{name} must be whole numbers{_range_text(low, high)}, got {_short(values)}")
    try:
        array = np.asarray(values)
    except (TypeError, ValueError, OverflowError):
        raise error(f"{name} must be whole numbers{_range_text(low, high)}, got "
                    f"{_short(values)}") from None
    if max_size is not None and array.size > max_size:
        raise error(f"{name} has {array.size} elements; at most {max_size} are accepted")
    kind = array.dtype.kind
    if array.size == 0:
        return array.astype(np.int64)
    if kind not in "iufO":
        raise error(f"{name} must be whole numbers{_range_text(low, high)}, got "
                    f"{_short(values)}")
    if kind == "O":
        flat = array.ravel()
        wrong = [v for v in flat if not is_whole_number(v, integral_floats=integral_floats)]
        if wrong:
            raise error(f"{name} must be whole numbers{_range_text(low, high)}, got "
                        f"{_short(wrong[0])}")
        ints = [int(v) for v in flat]
        outside = [v for v in ints if (low is not None and v < low)
                   or (high is not None and v > high)]
        if outside:
            raise error(f"{name} must be whole numbers{_range_text(low, high)}, got "
                        f"{outside[0]}")
        return np.array(ints, dtype=np.int64).reshape(array.shape)
    if kind == "f":
        if not integral_floats:
            raise error(f"{name} must be whole numbers{_range_text(low, high)}, got the "
                        f"floats {_short(values)}")
        finite = np.isfinite(array)
        whole = finite & (array == np.round(np.where(finite, array, 0.0)))
        if not np.all(whole):
            bad = array[~whole].ravel()[0]
            raise error(f"{name} must be whole numbers{_range_text(low, high)}, got {bad!r}")
    lo = -(2**63) if low is None else low
    hi = 2**63 - 1 if high is None else high
    # compare in the array's own type where it is exact, before any cast
    if kind == "u":
        too_low = np.zeros(array.shape, dtype=bool) if lo <= 0 else array < np.uint64(lo)
        too_high = array > np.uint64(max(hi, 0)) if hi >= 0 else np.ones(array.shape, bool)
    else:
        too_low, too_high = array < lo, array > hi
    outside = too_low | too_high
    if np.any(outside):
        bad = array[outside].ravel()[0]
        shown = int(bad) if kind in "iu" else float(bad)
        count = int(np.count_nonzero(outside))
        more = f" ({count} values outside)" if count > 1 else ""
        raise error(f"{name} must be whole numbers{_range_text(low, high)}, got {shown}{more}")
    return array.astype(np.int64)


def finite_number(value: object, name: str, *, low: float | None = None,
                  high: float | None = None, error: ErrorClass = InvalidSettingError,
                  unit: str = "", low_inclusive: bool = True) -> float:
    """Return a plain real number as ``float`` after checking it is finite and in range.

    Brian2 quantities are refused (use :func:`duration_seconds`, :func:`rate_hz` or
    :func:`current_amperes` where a quantity is wanted).

    Examples
    --------
    >>> finite_number(0.5, "fraction", low=0, high=1)
    0.5
    """
    from brian2 import Quantity

    suffix = f" {unit}" if unit else ""
    bound = _range_text(low, high)
    if low is not None and not low_inclusive:
        bound = f" > {low}" + (f" and <= {high}" if high is not None else "")
    if (isinstance(value, bool | np.bool_) or isinstance(value, Quantity)
            or not isinstance(value, numbers.Real)):
        raise error(f"{name} must be a number{bound}{suffix}, got {_short(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise error(f"{name} must be finite, got {_short(value)}")
    if ((low is not None and (number < low if low_inclusive else number <= low))
            or (high is not None and number > high)):
        raise error(f"{name} must be{bound}{suffix}, got {number:g}{suffix}")
    return number


def _quantity(value: object, name: str, unit: Any, unit_text: str, example: str,
              *, plain_ok: bool, error: ErrorClass) -> float:
    from brian2 import Quantity
    from brian2.units.fundamentalunits import DIMENSIONLESS, get_dimensions

    if isinstance(value, Quantity) and get_dimensions(value) is not DIMENSIONLESS:
        if get_dimensions(value) is not get_dimensions(unit):
            raise error(f"{name} must be in {unit_text} (e.g. {example}), got {value}")
        if np.ndim(value) != 0:
            raise error(f"{name} must be one value, got an array of shape {np.shape(value)}")
        return float(value / unit)
    if plain_ok and isinstance(value, numbers.Real | Quantity) \
            and not isinstance(value, bool | np.bool_) and np.ndim(value) == 0:
        return float(value)
    raise error(f"{name} must be a quantity with units of {unit_text} (e.g. {example}), got "
                f"{_short(value)}")


def duration_seconds(value: object, name: str = "duration", *, high: float | None = None,
                     error: ErrorClass = InvalidSettingError, plain_ok: bool = False,
                     allow_zero: bool = False) -> float:
    """Return a duration in seconds after checking unit, finiteness and range.

    Parameters
    ----------
    value : Quantity
        A time (``500 * ms``); a plain number of seconds only with ``plain_ok=True``.
    name : str
        The argument's name, for the message.
    high : float, optional
        The longest duration accepted, in seconds.
    error : type
        The :mod:`dynsim.errors` class to raise.
    plain_ok : bool
        Accept a plain number as seconds.
    allow_zero : bool
        Accept 0 s.

    Examples
    --------
    >>> from brian2 import second
    >>> duration_seconds(1.5 * second, high=10)
    1.5
    """
    from brian2 import second

    seconds = _quantity(value, name, second, "seconds", "500*ms", plain_ok=plain_ok, error=error)
    if not math.isfinite(seconds) or seconds < 0 or (seconds == 0 and not allow_zero):
        raise error(f"{name} must be {'>= 0' if allow_zero else '> 0'} s and finite, got "
                    f"{_short(value)}")
    if high is not None and seconds > high:
        raise error(f"{name} must be at most {high:g} s, got {seconds:g} s")
    return seconds


def rate_hz(value: object, name: str = "rate", *, high: float | None = None,
            error: ErrorClass = InvalidSettingError, plain_ok: bool = True,
            limit_source: str = "") -> float:
    """Return a firing rate in Hz after checking unit, finiteness and range ``0..high``.

    Parameters
    ----------
    value : Quantity or float
        ``50 * Hz``, or a plain number of Hz (unless ``plain_ok=False``).
    name : str
        The argument's name, for the message.
    high : float, optional
        The highest rate accepted (Hz): the generator's physical limit.
    error : type
        The :mod:`dynsim.errors` class to raise.
    plain_ok : bool
        Accept a plain number as Hz.
    limit_source : str
        Where ``high`` comes from, quoted in the message.

    Examples
    --------
    >>> rate_hz(20.0)
    20.0
    """
    from brian2 import Hz

    rate = _quantity(value, name, Hz, "Hz", "50*Hz", plain_ok=plain_ok, error=error)
    if not math.isfinite(rate) or rate < 0:
        raise error(f"{name} must be finite and >= 0 Hz, got {_short(value)}")
    if high is not None and rate > high:
        source = f" ({limit_source})" if limit_source else ""
        raise error(f"{name} {rate:g} Hz is above the highest rate this input can make, "
                    f"{high:g} Hz{source}")
    return rate


def current_amperes(value: object, name: str, *, low: float | None = None,
                    high: float | None = None, error: ErrorClass = InvalidSettingError,
                    plain_ok: bool = True) -> float:
    """Return a current in amperes after checking unit, finiteness and range.

    Examples
    --------
    >>> from brian2 import pA
    >>> round(current_amperes(5 * pA, "Itau") * 1e12, 9)
    5.0
    """
    from brian2 import amp

    current = _quantity(value, name, amp, "amperes", "5*pA", plain_ok=plain_ok, error=error)
    if not math.isfinite(current):
        raise error(f"{name} must be a finite current, got {_short(value)}")
    if (low is not None and current < low) or (high is not None and current > high):
        raise error(f"{name} must be a current{_range_text(low, high)} A, got {current:g} A")
    return current


def choice(value: object, name: str, choices: Iterable[str], *,
           error: ErrorClass = InvalidSettingError,
           normalize: Callable[[str], str] | None = None) -> str:
    """Return ``value`` when it is one of ``choices``, else raise naming them all.

    Examples
    --------
    >>> choice("poisson", "kind", ("poisson", "regular"))
    'poisson'
    """
    options = tuple(choices)
    if isinstance(value, str):
        key = normalize(value) if normalize else value
        if key in options:
            return key
        raise error(f"unknown {name} {value!r}.{suggest(key, options)} Choose one of "
                    f"{', '.join(map(repr, options))}")
    raise error(f"{name} must be one of {', '.join(map(repr, options))}, got {_short(value)}")


def identifier(value: object, name: str = "name", *,
               error: ErrorClass = InvalidSettingError) -> str:
    """Return ``value`` when it is a Python identifier (Brian2 object and folder names).

    Examples
    --------
    >>> identifier("bench_1")
    'bench_1'
    """
    if isinstance(value, str) and value.isidentifier() and len(value) <= 100:
        return value
    raise error(f"{name} must be a Python identifier of at most 100 characters, got "
                f"{_short(value)}")
