"""Spike input for the emulated Loihi: a ``SpikeGeneratorGroup`` that counts in whole steps.

Fixes of brian2-loihi's generator: ``period`` is in steps (brian2-loihi multiplied it by a
second, so ``period=5`` meant 5000 steps); numpy integers are accepted; spike lists that the
chip cannot play (fractional or negative steps, indices outside the group, the same neuron
twice in one step, spikes after the period) raise :class:`~dynsim.errors.SpikeInputError`
at the call, not somewhere inside Brian2's ``before_run``.

When a generated spike reaches u depends on the convention: in the step it is sent
('brian2_loihi', the generator runs at the start of the step) or one step later ('silicon',
'lava', the generator runs with the neurons' thresholds, like a neuron of the chip).

References
----------
Michaelis et al. (2022), Front. Neuroinform. 16:1015624; nengo-loihi ``inject_current``;
Lava 0.10 ``lava.proc.io.source.RingBuffer``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from brian2 import SpikeGeneratorGroup, ms

from dynsim import validation
from dynsim.errors import SpikeInputError
from dynsim.loihi import registers as R
from dynsim.loihi._core import (
    INT,
    MAX_RUN_STEPS,
    LoihiObject,
    check_name,
    default_codeobj_class,
    loihi_clock,
)

if TYPE_CHECKING:
    from dynsim.loihi.conventions import Convention

__all__ = ["LoihiSpikeGeneratorGroup", "check_spikes"]


#: Most spikes one generator holds (its index and time arrays are copied and sorted).
MAX_SPIKES = 10**7


def _whole(values: Any, what: str) -> np.ndarray:
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError, OverflowError):
        raise SpikeInputError(f"{what} must be a 1-d list of whole numbers, got "
                              f"{values!r}"[:200]) from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.size > MAX_SPIKES:
        raise SpikeInputError(
            f"{what} has {arr.size} elements; a generator holds at most {MAX_SPIKES} spikes")
    if arr.size == 0:
        return np.zeros(0, dtype=INT)
    if arr.dtype == object or arr.dtype.kind not in "iuf" or arr.ndim != 1:
        raise SpikeInputError(f"{what} must be a 1-d list of whole numbers, got "
                              f"{values!r}"[:200])
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if np.any(bad):
            raise SpikeInputError(
                f"{what} must be whole steps (no units, no fractions); got {arr[bad][0]!r}")
    # compared exactly before the cast: an unsigned 2**64 - 1 is refused, never -1
    return validation.whole_numbers(arr, what, error=SpikeInputError, integral_floats=True)


def check_spikes(N: int, indices: Any, times: Any, period: Any = 0) -> tuple[
        np.ndarray, np.ndarray, int]:
    """Check a spike list for a generator of ``N`` neurons.

    Parameters
    ----------
    N : int
        Number of generator neurons.
    indices, times : array_like of int
        Neuron indices and spike times in steps (same length).
    period : int
        Repeat period in steps (0: no repetition).

    Returns
    -------
    (indices, times, period)
        int64 arrays sorted by time then index, and the period as int.

    Raises
    ------
    dynsim.errors.SpikeInputError
        For anything the generator cannot play.
    """
    idx = _whole(indices, "indices")
    t = _whole(times, "times")
    if idx.shape != t.shape:
        raise SpikeInputError(
            f"indices and times must have the same length, got {len(idx)} and {len(t)}")
    if np.ndim(period) != 0:
        raise SpikeInputError(f"period must be one whole number of steps, got {period!r}")
    period = int(_whole(period, "period")[0])
    if period < 0 or period > MAX_RUN_STEPS:
        raise SpikeInputError(f"period must be 0..{MAX_RUN_STEPS} steps, got {period}")
    if len(idx):
        if idx.min() < 0 or idx.max() >= N:
            bad = idx[(idx < 0) | (idx >= N)][0]
            raise SpikeInputError(f"index {bad} is outside the generator's 0..{N - 1}")
        if t.min() < 0:
            raise SpikeInputError(f"spike times must be >= 0 steps, got {t.min()}")
        if t.max() > MAX_RUN_STEPS:
            raise SpikeInputError(
                f"spike time {t.max()} is beyond the latest step a generator holds, "
                f"{MAX_RUN_STEPS}")
        if period and t.max() >= period:
            raise SpikeInputError(
                f"period={period} steps must be larger than the last spike time {t.max()}")
        order = np.lexsort((idx, t))
        idx, t = idx[order], t[order]
        dup = (np.diff(t) == 0) & (np.diff(idx) == 0)
        if np.any(dup):
            k = int(np.argmax(dup))
            raise SpikeInputError(
                f"neuron {idx[k]} spikes twice in step {t[k]}; a Loihi axon carries one "
                "spike per step")
    return idx, t, period


class LoihiSpikeGeneratorGroup(LoihiObject, SpikeGeneratorGroup):
    """Spikes at given steps (brian2-loihi's ``LoihiSpikeGeneratorGroup``, in whole steps).

    Parameters
    ----------
    N : int
        Number of generator neurons.
    indices : array_like of int
        Neuron index of each spike.
    times : array_like of int
        Step of each spike (no units).
    period : int, optional
        Repeat the pattern every ``period`` steps (0: once).
    order : int, optional
        Brian2 scheduling order within the slot.
    sorted : bool, optional
        Accepted for brian2-loihi compatibility (the list is always checked and sorted).
    name : str, optional
        Brian2 name.
    engine : str, optional
        Engine for code run at construction.

    Examples
    --------
    >>> import numpy as np
    >>> from dynsim.loihi import LoihiSpikeGeneratorGroup
    >>> gen = LoihiSpikeGeneratorGroup(2, np.array([0, 1]), np.array([3, 5], dtype=np.int32),
    ...                                period=10, name="doc_gen")
    >>> gen.period_steps
    10
    """

    def __init__(self, N: int, indices: Any, times: Any, period: int = 0, order: int = 0,
                 sorted: bool = False, name: str = "loihi_spikegeneratorgroup*", *,
                 engine: str | None = None) -> None:
        check_name(name)
        n = R.check_register("N", N, 1, R.MAX_COMPARTMENTS, register="generator size",
                             description="input axons, at most one chip's compartments")
        idx, t, per = check_spikes(n, indices, times, period)
        SpikeGeneratorGroup.__init__(
            self, n, idx, t * ms, period=per * ms, when="thresholds", order=order,
            sorted=True, clock=loihi_clock(), name=name,
            codeobj_class=default_codeobj_class(engine))
        self._spikes = (idx, t, per)

    def _loihi_bind(self, network: Any, convention: Convention, codeobj_class: type,
                    seed: int) -> None:
        LoihiObject._loihi_bind(self, network, convention, codeobj_class, seed)
        # brian2-loihi: generator at 'start', its spikes reach u in the same step;
        # silicon/Lava: sent with the thresholds, they arrive one step later.
        self.when = "start" if convention.generator_delay == 0 else "thresholds"

    def set_spikes(self, indices: Any, times: Any, period: int = 0,
                   sorted: bool = False) -> None:
        """Replace the spike list (steps; checked like the constructor's).

        Parameters
        ----------
        indices, times : array_like of int
            New neuron indices and spike steps.
        period : int, optional
            Repeat period in steps (0: once).
        sorted : bool, optional
            Ignored (always checked and sorted).
        """
        idx, t, per = check_spikes(len(self), indices, times, period)
        SpikeGeneratorGroup.set_spikes(self, idx, t * ms, period=per * ms, sorted=True)
        self._spikes = (idx, t, per)
        self._loihi_changed()

    def _loihi_apply(self) -> None:
        idx, t, per = self._spikes
        current = (np.asarray(self.variables["neuron_index"].get_value()),
                   np.rint(np.asarray(self.variables["spike_time"].get_value()) * 1000))
        period_s = float(np.asarray(self.variables["period"].get_value()).ravel()[0])
        period = round(period_s * 1000) if np.isfinite(period_s) else 0
        if not (np.array_equal(current[0], idx) and np.array_equal(current[1], t)
                and period == per):
            # after a reset to a state from before set_spikes()
            SpikeGeneratorGroup.set_spikes(self, idx, t * ms, period=per * ms, sorted=True)
            self._loihi_changed()

    @property
    def spike_indices(self) -> np.ndarray:
        """Neuron index of each spike (sorted by time, then index)."""
        return self._spikes[0].copy()

    @property
    def spike_steps(self) -> np.ndarray:
        """Step of each spike (int64)."""
        return self._spikes[1].copy()

    @property
    def period_steps(self) -> int:
        """Repeat period in steps (0: no repetition)."""
        return self._spikes[2]
