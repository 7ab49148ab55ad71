"""Self-checks for the exercise notebooks: a clear pass, or a hint that explains the mistake.

A check function takes the student's answer (and what it depends on), compares it with the
physics or with an independent computation, and returns a :class:`CheckResult`. The result
shows itself in a notebook as one line of text (the cell's output, which ``nbval`` compares),
and is truthy when the answer is right, so a check can also guard code in a script::

    result = check_synaptic_time_constant(tau_estimate, Itau=..., capacitance=...)
    result            # shows "PASS [synaptic time constant] ..." or "NOT YET [...] hint"

Check functions never print and never raise for a wrong answer: whatever the student's
answer is (a stub's ``...`` or ``None``, a string, a list, a value in the wrong unit, a
function that raises), the result is "NOT YET" with a hint. They raise
:class:`dynsim.errors.DynsimError` subclasses only for the other arguments, the ones the
notebook supplies, when those make no sense.

An answer that comes from a student's function can be handed over unevaluated with
:func:`answer_from`: the check then calls the function itself (through :func:`call_student`),
so a stub that still raises ``NotImplementedError`` shows "NOT YET ... not answered yet"
instead of a traceback::

    check_saturation_rate(answer_from(saturation_rate, (0, 42)), (0, 42))

The checks of each chip live in :mod:`dynsim.checks.dynapse` and :mod:`dynsim.checks.loihi`.

Examples
--------
>>> from dynsim.checks import CheckResult
>>> CheckResult("demo", True, "3 spikes, as expected")
PASS [demo] 3 spikes, as expected
>>> bool(CheckResult("demo", False, "count the spikes after t = 50 ms only"))
False
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from brian2 import Quantity, amp, farad, hertz, ms, second
from brian2.units.fundamentalunits import DIMENSIONLESS, get_dimensions

from dynsim.errors import DynsimError, InvalidSettingError

__all__ = ["UNANSWERED", "AnswerFrom", "CheckResult", "Rejected", "answer_array", "answer_from",
           "answer_scalar", "answered", "brief", "call_student", "checked", "data_array",
           "data_scalar", "fail", "is_unanswered", "ratio_text", "relative_error",
           "returned_array", "success", "wants_units"]

#: The hint of every check for an exercise cell that still holds its stub.
UNANSWERED = "not answered yet: fill in the exercise cell above (replace the ... or the raise)"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one self-check.

    Parameters
    ----------
    name : str
        What was checked, in a few words (shown in brackets).
    passed : bool
        Whether the answer is right.
    message : str
        On a pass, what the right answer means; otherwise a hint towards it (never the answer
        itself).
    """

    name: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        status = "PASS" if self.passed else "NOT YET"
        return f"{status} [{self.name}] {self.message}"

    __str__ = __repr__

    def _repr_html_(self) -> str:
        colour, status = ("#1a7f37", "&#10004; PASS") if self.passed else ("#b35900",
                                                                           "&#10008; NOT YET")
        from html import escape

        return (f'<div style="border-left:4px solid {colour};padding:4px 8px;">'
                f'<b style="color:{colour}">{status}</b> [{escape(self.name)}] '
                f"{escape(self.message)}</div>")


def success(name: str, message: str) -> CheckResult:
    """Return a passing :class:`CheckResult`."""
    return CheckResult(name, True, message)


def fail(name: str, hint: str) -> CheckResult:
    """Return a failing :class:`CheckResult` carrying a hint."""
    return CheckResult(name, False, hint)


def is_unanswered(value: object) -> bool:
    """Whether ``value`` is a stub's placeholder (``...`` or ``None``)."""
    return value is None or value is Ellipsis


def ratio_text(value: float, reference: float) -> str:
    """Return ``value / reference`` as text, e.g. ``'2.5x'`` (two significant digits)."""
    return f"{value / reference:.2g}x"


def relative_error(value: float, reference: float) -> float:
    """Return ``|value - reference| / |reference|`` (infinite for a zero reference).

    Parameters
    ----------
    value, reference : float
        Plain numbers in the same unit (strip Brian2 units before calling).
    """
    if reference == 0:
        return 0.0 if value == 0 else float("inf")
    return abs(value - reference) / abs(reference)


# --------------------------------------------------------------------------- answers
class Rejected(Exception):
    """An answer a check cannot compare; :func:`checked` turns it into "NOT YET" + ``hint``."""

    def __init__(self, hint: str) -> None:
        super().__init__(hint)
        self.hint = hint


def checked(name: str) -> Callable[[Callable[..., CheckResult]], Callable[..., CheckResult]]:
    """Decorate a check: a :class:`Rejected` raised inside becomes ``fail(name, hint)``.

    Parameters
    ----------
    name : str
        The check's label, used for the rejected answers (the check's own results may use a
        more specific one).
    """
    def decorate(check: Callable[..., CheckResult]) -> Callable[..., CheckResult]:
        @functools.wraps(check)
        def run(*args: Any, **kwargs: Any) -> CheckResult:
            try:
                return check(*args, **kwargs)
            except Rejected as rejected:
                return fail(name, " ".join(rejected.hint.split()))  # one line
        return run
    return decorate


@dataclass(frozen=True)
class AnswerFrom:
    """A student's function and the arguments to call it with, evaluated by the check."""

    function: Any
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


def answer_from(function: Any, /, *args: Any, **kwargs: Any) -> AnswerFrom:
    """Hand a check the call ``function(*args, **kwargs)`` instead of its result.

    The check makes the call through :func:`call_student`: a stub that raises
    ``NotImplementedError`` shows as unanswered, any other exception as a hint naming it.

    Examples
    --------
    >>> from dynsim.checks.dynapse import check_saturation_rate
    >>> def saturation_rate(refractory_bias):
    ...     raise NotImplementedError("Exercise 2.2")
    >>> check_saturation_rate(answer_from(saturation_rate, (0, 42)), (0, 42))
    NOT YET [saturation rate] not answered yet: fill in the exercise cell above (replace the ... or the raise)
    """  # noqa: E501
    return AnswerFrom(function, args, dict(kwargs))


def call_student(function: Any, args: tuple[Any, ...] = (),
                 kwargs: Mapping[str, Any] | None = None, *, call: str | None = None,
                 advice: str = "") -> Any:
    """Call a student's function; turn a failure into :class:`Rejected` (a hint).

    This is the one place where the checks call student code.

    Parameters
    ----------
    function : callable
        The student's function (anything else is rejected with a hint).
    args, kwargs
        The arguments of the call.
    call : str, optional
        How to show the call in a hint (default ``name(...)``).
    advice : str
        Appended to the hint when the function raises.

    Returns
    -------
    object
        What the function returned.

    Raises
    ------
    Rejected
        Unanswered (:data:`UNANSWERED`) when the function raises ``NotImplementedError`` (the
        exercise's stub) or is still ``...``/``None``; otherwise a one-line hint naming the
        exception type and message, or saying that ``function`` is not callable.

    Examples
    --------
    >>> call_student(lambda x: 2 * x, (21,))
    42
    >>> try:
    ...     call_student(lambda x: 1 / x, (0,), call="f(0)")
    ... except Rejected as rejected:
    ...     print(rejected.hint)
    f(0) raised ZeroDivisionError: division by zero
    """
    function = answered(function)  # a stub, or answer_from(...) of a function
    shown = call or f"{getattr(function, '__name__', 'your function')}(...)"
    if not callable(function):
        raise Rejected(f"give the function itself (its name, without calling it), got "
                       f"{brief(function)}")
    try:
        return function(*args, **dict(kwargs or {}))
    except NotImplementedError:
        raise Rejected(UNANSWERED) from None
    except Exception as exc:  # a student's bug is a wrong answer, not a crash of the check
        text = str(exc).splitlines()[0] if str(exc) else ""
        hint = f"{shown} raised {type(exc).__name__}: {text}"[:200].rstrip(": ")
        raise Rejected(f"{hint}; {advice}" if advice else hint) from None


def answered(value: Any) -> Any:
    """Return the answer itself: a stub is rejected, an :class:`AnswerFrom` is called."""
    if isinstance(value, AnswerFrom):
        value = call_student(value.function, value.args, value.kwargs)
    if is_unanswered(value):
        raise Rejected(UNANSWERED)
    return value


def brief(value: Any) -> str:
    """Return a student's value for a hint: its repr if short and on one line, else its type.

    Examples
    --------
    >>> brief([1, 2]), brief("x" * 100)
    ('[1, 2]', 'a str')
    """
    text = repr(value)
    return text if len(text) <= 60 and "\n" not in text else f"a {type(value).__name__}"


def returned_array(result: Any, call: str, wanted: str) -> np.ndarray:
    """Return what a student's function returned as a flat float array, or a hint.

    Parameters
    ----------
    result : object
        The function's return value.
    call : str
        How to show the call in the hint (``'decay(x, 200)'``).
    wanted : str
        What it should return, for the hint (``'the final weights as an array of numbers'``).

    Raises
    ------
    Rejected
        For ``None``, ``...`` or anything that is not an array of numbers.
    """
    if is_unanswered(result):
        raise Rejected(f"{call} returned {brief(result)}: return {wanted}")
    try:  # a copy: a function that returns the same array object twice must not alias
        return np.array(result, dtype=float).reshape(-1)
    except (TypeError, ValueError, OverflowError):
        raise Rejected(f"{call} returned {type(result).__name__}: return {wanted}") from None


#: unit key -> (Brian2 unit the magnitudes are in, what it is, an example with units).
_UNITS: dict[str, tuple[Any, str, str]] = {
    "s": (second, "a time", "3.5*ms"),
    "step": (ms, "a time in steps of 1 ms", "20 (or 20*ms)"),
    "A": (amp, "a current", "20*pA"),
    "F": (farad, "a capacitance", "2*pF"),
    "Hz": (hertz, "a rate", "50*Hz"),
    "": (1, "a plain number", "0.15"),
}


def _describe(unit: str) -> str:
    _, what, example = _UNITS[unit]
    return what if not unit else f"{what} (e.g. {example})"


def _magnitudes(value: Any, unit: str, what: str, *, units: bool = False) -> np.ndarray:
    """Return ``value`` as a flat float array in ``unit``; raise ValueError saying what's wrong.

    ``units``: a plain number is refused where a Brian2 quantity is wanted.
    """
    conversion, kind, example = _UNITS[unit]
    wanted = DIMENSIONLESS if not unit else conversion.dim
    if isinstance(value, Quantity):
        have = get_dimensions(value)
        if have is not wanted:
            raise ValueError(_dimension_hint(value, have, unit, what))
        return np.asarray(value / conversion, dtype=float).reshape(-1)
    if isinstance(value, str | bytes):
        raise ValueError(f"{what} is the text {brief(value)}: give {kind} as a number"
                         f"{'' if not unit else f' with units, e.g. {example}'}, not a string")
    if isinstance(value, bool) or value is None or value is Ellipsis:
        raise ValueError(f"{what} must be {_describe(unit)}, got {value!r}")
    if callable(value):
        raise ValueError(f"{what} is a function ({brief(value)}): call it with its arguments, "
                         "or hand it over as answer_from(function, arguments...)")
    if units and unit and unit != "step":
        raise ValueError(f"{what} = {brief(value)} has no units: give it with units, e.g. "
                         f"{example} (from brian2 import ...)")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{what} must be {_describe(unit)}, got {brief(value)}") from None
    return array.reshape(-1)


def _dimension_hint(value: Quantity, have: Any, unit: str, what: str) -> str:
    """Return the hint for a quantity of the wrong dimension (a time where a rate is asked)."""
    if unit == "Hz" and have is second.dim:
        return (f"{what} = {value} is a time, not a rate: did you forget 1/t? (a rate is "
                "the inverse of a period)")
    if unit in ("s", "step") and have is hertz.dim:
        return (f"{what} = {value} is a rate, not a time: did you forget 1/rate? (a period "
                "is the inverse of a rate)")
    if not unit:
        return f"{what} = {value} has units: give a plain number (a ratio or a count)"
    return f"{what} must be {_describe(unit)}, got {value} (wrong units)"


def _one(array: np.ndarray, what: str) -> float:
    if array.size != 1:
        raise ValueError(f"{what} must be one number, got {array.size} values")
    return float(array[0])


def answer_scalar(value: Any, unit: str, what: str, *, units: bool = False) -> float:
    """Return a student's one-number answer in SI ``unit`` (``'s'``, ``'A'``, ``'Hz'``...).

    Parameters
    ----------
    value : object
        The answer (a stub, an :class:`AnswerFrom`, a Brian2 quantity, a number...).
    unit : str
        ``'s'``, ``'step'`` (1 ms steps), ``'A'``, ``'F'``, ``'Hz'`` or ``''`` (plain).
    what : str
        The answer's name in hints.
    units : bool
        Refuse a plain number (the exercise asks for a Brian2 quantity).

    Raises
    ------
    Rejected
        For a stub or anything that is not one number of the right dimension, with a hint.

    Examples
    --------
    >>> from brian2 import ms
    >>> answer_scalar(3 * ms, "s", "tau")
    0.003
    >>> try:
    ...     answer_scalar(10 * ms, "Hz", "max_rate")
    ... except Rejected as rejected:
    ...     print(rejected.hint)
    max_rate = 10. ms is a time, not a rate: did you forget 1/t? (a rate is the inverse of a period)
    """
    value = answered(value)
    try:
        return _one(_magnitudes(value, unit, what, units=units), what)
    except ValueError as problem:
        raise Rejected(str(problem)) from None


def answer_array(value: Any, unit: str, what: str, *, units: bool = False) -> np.ndarray:
    """Return a student's array answer as a flat float array in SI ``unit``.

    Raises
    ------
    Rejected
        As :func:`answer_scalar`, for anything that is not an array of numbers.
    """
    value = answered(value)
    try:
        return _magnitudes(value, unit, what, units=units)
    except ValueError as problem:
        raise Rejected(str(problem)) from None


def data_scalar(value: Any, unit: str, what: str, *, positive: bool = False,
                error: type[DynsimError] = InvalidSettingError) -> float:
    """Return one number the notebook supplies, in SI ``unit``; raise ``error`` if it is not.

    ``positive``: the value must also be finite and > 0.
    """
    try:
        number = _one(_magnitudes(value, unit, what), what)
    except ValueError as problem:
        raise error(str(problem)) from None
    if positive and not (math.isfinite(number) and number > 0):
        raise error(f"{what} must be a finite value > 0, got {value}")
    return number


def data_array(value: Any, unit: str, what: str,
               error: type[DynsimError] = InvalidSettingError) -> np.ndarray:
    """Return an array the notebook supplies as flat floats in SI ``unit``; raise ``error``."""
    try:
        return _magnitudes(value, unit, what)
    except ValueError as problem:
        raise error(str(problem)) from None


def wants_units(flag: bool | None, *data: Any) -> bool:
    """Whether an answer must carry Brian2 units.

    ``flag`` when it is given; otherwise (None) whether every one of ``data`` (the values the
    answer is computed from) is a Brian2 quantity: units in, units out.
    """
    if flag is not None:
        return bool(flag)
    return bool(data) and all(isinstance(d, Quantity) for d in data)
