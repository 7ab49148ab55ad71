"""Self-checks for the exercise notebooks: a clear pass, or a hint that explains the mistake.

A check function takes the student's answer (and what it depends on), compares it with the
physics or with an independent computation, and returns a :class:`CheckResult`. The result
shows itself in a notebook as one line of text (the cell's output, which ``nbval`` compares),
and is truthy when the answer is right, so a check can also guard code in a script::

    result = check_synaptic_time_constant(tau_estimate, Itau=..., capacitance=...)
    result            # shows "PASS [synaptic time constant] ..." or "NOT YET [...] hint"

Check functions never print and never raise for a wrong answer; they raise
:class:`dynsim.errors.DynsimError` subclasses only for arguments that make no sense (a value
without units where units are needed, for example).

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

from dataclasses import dataclass

__all__ = ["UNANSWERED", "CheckResult", "fail", "is_unanswered", "ratio_text", "relative_error",
           "success"]

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
