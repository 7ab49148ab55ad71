"""Input spike trains, generated in numpy (seeded) and quantised to the time step.

dynsim draws Poisson inputs with its own ``numpy.random.Generator`` per run segment instead
of a Brian2 ``PoissonGroup``: it is faster for many sources, reproducible with a seed, and
never touches Brian2's global random state. Trains are returned as sorted *time-step
indices*; several events may fall into the same step (their increments add up).

Examples
--------
>>> import numpy as np
>>> regular_steps(100.0, n_steps=1000, dt=1e-4).tolist()[:3]
[0, 100, 200]
>>> len(poisson_steps(np.random.default_rng(0), 50.0, 10_000, 1e-4)) > 0
True
"""

from __future__ import annotations

import numpy as np

from dynsim.errors import InvalidSettingError

__all__ = ["check_rate", "pattern_steps", "poisson_steps", "regular_steps"]


def check_rate(rate_hz: float, what: str = "rate") -> float:
    """Return ``rate_hz`` as a float after checking it is finite and >= 0 (in Hz)."""
    try:
        value = float(rate_hz)
    except (TypeError, ValueError):
        raise InvalidSettingError(f"{what} must be a number of Hz, got {rate_hz!r}") from None
    if not np.isfinite(value) or value < 0:
        raise InvalidSettingError(f"{what} must be finite and >= 0 Hz, got {rate_hz!r}")
    return value


def poisson_steps(rng: np.random.Generator, rate_hz: float, n_steps: int, dt: float,
                  block: int = 256) -> np.ndarray:
    """Return the steps of a Poisson train of ``rate_hz`` over ``n_steps`` steps of ``dt`` s.

    Intervals are drawn in fixed blocks, so with the same generator state a shorter train is
    the beginning of a longer one.
    """
    if rate_hz <= 0 or n_steps <= 0:
        return np.zeros(0, dtype=np.int64)
    end = n_steps * dt
    parts, last = [], 0.0
    while last < end:
        times = last + np.cumsum(rng.exponential(1.0 / rate_hz, size=block))
        parts.append(times)
        last = float(times[-1])
    times = np.concatenate(parts)
    return np.floor(times[times < end] / dt).astype(np.int64)


def regular_steps(rate_hz: float, n_steps: int, dt: float, phase: float = 0.0) -> np.ndarray:
    """Return the steps of a regular train (first event at ``phase`` seconds)."""
    if rate_hz <= 0 or n_steps <= 0:
        return np.zeros(0, dtype=np.int64)
    times = np.arange(phase, n_steps * dt, 1.0 / rate_hz)
    steps = np.floor(times / dt + 1e-6).astype(np.int64)
    return steps[steps < n_steps]


def pattern_steps(times_s: np.ndarray, n_steps: int, dt: float) -> np.ndarray:
    """Return the steps of explicit event times (seconds); events after the end are dropped."""
    times = np.asarray(times_s, dtype=float).reshape(-1)
    if np.any(~np.isfinite(times)) or np.any(times < 0):
        raise InvalidSettingError("spike times must be finite and >= 0")
    steps = np.floor(np.sort(times) / dt + 1e-6).astype(np.int64)
    return steps[steps < n_steps]
