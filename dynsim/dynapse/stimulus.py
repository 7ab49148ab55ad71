"""Input spike trains, generated in numpy (seeded) and quantised to the time step.

dynsim draws Poisson inputs with its own ``numpy.random.Generator`` per run segment instead
of a Brian2 ``PoissonGroup``: it is faster for many sources, reproducible with a seed, and
never touches Brian2's global random state. Trains are returned as sorted *time-step
indices*; several events may fall into the same step (their increments add up).

Every rate a user sets goes through :func:`check_rate`, which refuses rates above the board's
Poisson generator (:data:`~dynsim.dynapse.constants.POISSON_RATE_MAX_HZ`, 4394.8 Hz); every
train is bounded to :data:`~dynsim.dynapse.constants.MAX_TRAIN_EVENTS` events *before* its
array is made, so no setting can exhaust memory.

Examples
--------
>>> import numpy as np
>>> regular_steps(100.0, n_steps=1000, dt=1e-4).tolist()[:3]
[0, 100, 200]
>>> len(poisson_steps(np.random.default_rng(0), 50.0, 10_000, 1e-4)) > 0
True
"""

from __future__ import annotations

import math

import numpy as np

from dynsim.dynapse.constants import MAX_TRAIN_EVENTS, POISSON_RATE_MAX_HZ
from dynsim.errors import InvalidSettingError
from dynsim.validation import rate_hz as _rate_hz
from dynsim.validation import whole_number

__all__ = ["RATE_LIMIT_SOURCE", "check_rate", "check_train_size", "pattern_steps",
           "poisson_steps", "regular_steps"]

#: Where :data:`~dynsim.dynapse.constants.POISSON_RATE_MAX_HZ` comes from (quoted in errors).
RATE_LIMIT_SOURCE = ("the DYNAP-SE Poisson generator's 16-bit rate register in steps of "
                     "0.06706 Hz, libcaer caerDynapseWritePoissonSpikeRate")


def check_rate(rate_hz: object, what: str = "rate") -> float:
    """Return a rate in Hz after checking it is finite, >= 0 and within the board's limit.

    The one rate check of dynsim: the Poisson generator, :meth:`Experiment.set_input
    <dynsim.dynapse.experiment.Experiment.set_input>` and the benches all use it.

    Parameters
    ----------
    rate_hz : Quantity or float
        ``50 * Hz`` or a plain number of Hz.
    what : str
        The argument's name, for the message.

    Returns
    -------
    float
        The rate in Hz.

    Raises
    ------
    dynsim.errors.InvalidSettingError
        For anything that is not a finite rate in ``0 .. POISSON_RATE_MAX_HZ`` (4394.8 Hz,
        the highest rate of the board's Poisson generator: a 16-bit register in steps of
        0.06706 Hz, libcaer ``src/dynapse.c``).

    Examples
    --------
    >>> from brian2 import Hz
    >>> check_rate(50 * Hz)
    50.0
    >>> check_rate(1e9)
    Traceback (most recent call last):
    ...
    dynsim.errors.InvalidSettingError: rate 1e+09 Hz is above the highest rate this input can make, 4394.78 Hz (the DYNAP-SE Poisson generator's 16-bit rate register in steps of 0.06706 Hz, libcaer caerDynapseWritePoissonSpikeRate)
    """  # noqa: E501
    return _rate_hz(rate_hz, what, high=POISSON_RATE_MAX_HZ, error=InvalidSettingError,
                    plain_ok=True, limit_source=RATE_LIMIT_SOURCE)


def check_train_size(n_events: float, what: str = "input train") -> None:
    """Refuse a train of more than ``MAX_TRAIN_EVENTS`` events (before it is allocated).

    Raises
    ------
    dynsim.errors.InvalidSettingError
        Saying how many events the train would hold and how to stay below the bound.
    """
    if not n_events <= MAX_TRAIN_EVENTS:  # also catches NaN
        raise InvalidSettingError(
            f"{what} would hold about {n_events:.3g} events in this run; dynsim makes at most "
            f"{MAX_TRAIN_EVENTS:.0e} per train and run (constants.MAX_TRAIN_EVENTS). Run in "
            f"shorter pieces or lower the rate.")


def _checked_steps(n_steps: object, dt: float) -> int:
    steps = whole_number(n_steps, "n_steps", error=InvalidSettingError)
    if not (math.isfinite(dt) and dt > 0):
        raise InvalidSettingError(f"dt must be a finite time > 0 s, got {dt!r}")
    return steps


def poisson_steps(rng: np.random.Generator, rate_hz: float, n_steps: int, dt: float,
                  block: int = 256) -> np.ndarray:
    """Return the steps of a Poisson train of ``rate_hz`` over ``n_steps`` steps of ``dt`` s.

    Intervals are drawn in fixed blocks, so with the same generator state a shorter train is
    the beginning of a longer one. The expected number of events is bounded
    (:func:`check_train_size`) before any interval is drawn.
    """
    n_steps = _checked_steps(n_steps, dt)
    if rate_hz <= 0 or n_steps <= 0:
        return np.zeros(0, dtype=np.int64)
    end = n_steps * dt
    check_train_size(rate_hz * end, "a Poisson input")
    parts, last = [], 0.0
    while last < end:
        times = last + np.cumsum(rng.exponential(1.0 / rate_hz, size=block))
        parts.append(times)
        last = float(times[-1])
    times = np.concatenate(parts)
    return np.floor(times[times < end] / dt).astype(np.int64)


def regular_steps(rate_hz: float, n_steps: int, dt: float, phase: float = 0.0) -> np.ndarray:
    """Return the steps of a regular train (first event at ``phase`` seconds).

    The number of events is bounded (:func:`check_train_size`) before the train is made.
    """
    n_steps = _checked_steps(n_steps, dt)
    if rate_hz <= 0 or n_steps <= 0:
        return np.zeros(0, dtype=np.int64)
    check_train_size((n_steps * dt - phase) * rate_hz + 1, "a regular input")
    times = np.arange(phase, n_steps * dt, 1.0 / rate_hz)
    steps = np.floor(times / dt + 1e-6).astype(np.int64)
    return steps[steps < n_steps]


def pattern_steps(times_s: np.ndarray, n_steps: int, dt: float) -> np.ndarray:
    """Return the steps of explicit event times (seconds); events after the end are dropped."""
    n_steps = _checked_steps(n_steps, dt)
    if np.size(times_s) > MAX_TRAIN_EVENTS:
        check_train_size(float(np.size(times_s)), "a pattern of spike times")
    times = np.asarray(times_s, dtype=float).reshape(-1)
    if np.any(~np.isfinite(times)) or np.any(times < 0):
        raise InvalidSettingError("spike times must be finite and >= 0")
    steps = np.floor(np.sort(times) / dt + 1e-6).astype(np.int64)
    return steps[steps < n_steps]
