"""Probes of the emulated Loihi: state and spike monitors with exact integer steps.

Values are recorded where they give the same numbers as brian2-loihi: v, u (``I``), w and
w_act at the end of the step (v after the reset, u = the chip's u[t] including this step's
input), the traces in the synaptic slot (x traces after this step's arriving impulse, before
this step's decay; y traces before this step's impulse). Spike times are integer steps;
brian2-loihi truncated float times (``int(t * 1000)``), which turned about 0.35 % of the steps
into the step before.

References
----------
Michaelis et al. (2022), Front. Neuroinform. 16:1015624; Lava 0.10 ``lava.proc.monitor``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from brian2 import SpikeMonitor, StateMonitor
from brian2.core.spikesource import SpikeSource

from dynsim import validation
from dynsim.errors import LoihiNetworkError
from dynsim.loihi._core import INT, LoihiObject, check_name, default_codeobj_class

__all__ = ["LoihiSpikeMonitor", "LoihiStateMonitor"]

#: Variables recorded in the synaptic slot, as brian2-loihi does.
_SYNAPTIC_SLOT = frozenset({"x1", "x2", "y1", "y2", "y3"})


def _check_record(record: Any, source: Any) -> Any:
    """Return ``record`` (True, False or int64 indices) after checking it against ``source``.

    Indices are whole numbers inside the source, range-checked before any cast
    (``[1.7]`` is refused, not read as neuron 1).
    """
    if isinstance(record, bool | np.bool_):
        return bool(record)
    try:
        size = len(source)
    except TypeError:
        size = 0
    indices = validation.whole_numbers(record, "record", low=0, high=max(size - 1, 0),
                                       error=LoihiNetworkError, max_size=max(size, 1))
    if indices.ndim > 1:
        raise LoihiNetworkError(f"record must be a flat list of indices, got shape "
                                f"{indices.shape}")
    if size == 0:
        raise LoihiNetworkError(
            f"{source.name!r} has nothing to record yet (connect the synapses first) or use "
            "record=True")
    return indices.ravel() if indices.ndim else int(indices)


def _steps(t_seconds: np.ndarray) -> np.ndarray:
    # Brian2 stores t = step * 1 ms as a float; rounding recovers the step exactly
    # (the float error is ~1e-16 relative, far below half a step).
    return np.rint(np.asarray(t_seconds) * 1000.0).astype(INT)


class LoihiStateMonitor(LoihiObject, StateMonitor):
    """Record state variables of Loihi neurons or synapses at every step.

    Parameters
    ----------
    source : LoihiNeuronGroup or LoihiSynapses
        What to record from.
    variable : str or list of str
        ``'v'``, ``'u'``/``'I'``, ``'x1'`` ... ``'y3'``, ``'w'``, ``'w_act'`` (brian2-loihi
        takes one name; a list is accepted if all are recorded in the same slot).
    record : bool or sequence of int, optional
        Which neurons/synapses (True: all).
    order : int, optional
        Brian2 order within the slot.
    name : str, optional
        Brian2 name.
    engine : str, optional
        Engine for code run at construction.

    Attributes
    ----------
    t_step : numpy.ndarray of int64
        Recorded steps.
    t : brian2.Quantity
        Recorded times (as Brian2 and brian2-loihi give them; ``t / ms`` are the steps).

    Examples
    --------
    >>> from dynsim.loihi import LoihiNeuronGroup, LoihiStateMonitor
    >>> ng = LoihiNeuronGroup(1, name="doc_mon_neurons")
    >>> mon = LoihiStateMonitor(ng, "v", name="doc_mon")
    >>> mon.when
    'end'
    """

    def __init__(self, source: Any, variable: str | list[str], record: Any = True,
                 order: int = 0, name: str = "loihi_statemonitor*", *,
                 engine: str | None = None) -> None:
        check_name(name)
        if not hasattr(source, "variables") or not hasattr(source, "name"):
            raise LoihiNetworkError(
                f"a LoihiStateMonitor records a Loihi group or synapses, got {source!r}"[:200])
        if not isinstance(variable, str | list | tuple):
            raise LoihiNetworkError(f"variable must be a name or a list of names, got "
                                    f"{variable!r}"[:200])
        names = [variable] if isinstance(variable, str) else list(variable)
        record = _check_record(record, source)
        if not names:
            raise LoihiNetworkError("name at least one variable to record")
        for var in names:
            if not isinstance(var, str) or var not in source.variables:
                raise LoihiNetworkError(
                    f"{source.name!r} has no variable {var!r} to record")
        slots = {"synapses" if var in _SYNAPTIC_SLOT else "end" for var in names}
        if len(slots) > 1:
            raise LoihiNetworkError(
                f"{names} are recorded at different points of the step (traces in the "
                "synaptic slot, v, u and w at the end); use one monitor for each group")
        order = validation.whole_number(order, "order", low=-1000, high=1000,
                                        error=LoihiNetworkError)
        StateMonitor.__init__(self, source, names if len(names) > 1 else names[0],
                              record=record, when=slots.pop(), order=order, name=name,
                              codeobj_class=default_codeobj_class(engine))
        self._recorded_names = names

    @property
    def t_step(self) -> np.ndarray:
        """The recorded steps (int64)."""
        return _steps(self.t_)

    def values(self, variable: str | None = None) -> np.ndarray:
        """Return the recorded values, shape (recorded indices, steps), as int64.

        Parameters
        ----------
        variable : str, optional
            Which variable (default: the only / first one).
        """
        var = self._recorded_names[0] if variable is None else variable
        return np.asarray(getattr(self, var + "_"), dtype=INT)


class LoihiSpikeMonitor(LoihiObject, SpikeMonitor):
    """Record the spikes of a Loihi group, with spike times as integer steps.

    Parameters
    ----------
    source : LoihiNeuronGroup or LoihiSpikeGeneratorGroup
        Whose spikes.
    variable : str or list of str, optional
        Variables to record with each spike.
    record : bool, optional
        Record the individual spikes (True) or only count them (False).
    order : int, optional
        Brian2 order within the 'end' slot.
    name : str, optional
        Brian2 name.
    engine : str, optional
        Engine for code run at construction.

    Attributes
    ----------
    t : numpy.ndarray of int64
        Spike steps (exact; brian2-loihi's were truncated floats).
    i : numpy.ndarray
        Spiking neuron of each spike.

    Examples
    --------
    >>> from dynsim.loihi import LoihiNeuronGroup, LoihiSpikeMonitor
    >>> ng = LoihiNeuronGroup(1, name="doc_smon_neurons")
    >>> LoihiSpikeMonitor(ng, name="doc_smon").t.tolist()
    []
    """

    def __init__(self, source: Any, variable: Any = None, record: Any = True,
                 order: int | None = None, name: str = "loihi_spikemonitor*", *,
                 engine: str | None = None) -> None:
        check_name(name)
        if not isinstance(source, SpikeSource):
            raise LoihiNetworkError(
                f"a LoihiSpikeMonitor records a spike source, got {source!r}"[:200])
        if not isinstance(record, bool | np.bool_):
            raise LoihiNetworkError(
                f"record must be True (every spike) or False (counts only), got {record!r}"[:200])
        for var in [] if variable is None else (
                [variable] if isinstance(variable, str) else list(variable)):
            if not isinstance(var, str) or var not in source.variables:
                raise LoihiNetworkError(f"{source.name!r} has no variable {var!r} to record")
        if order is not None:
            order = validation.whole_number(order, "order", low=-1000, high=1000,
                                            error=LoihiNetworkError)
        SpikeMonitor.__init__(self, source, variable, record=bool(record), when="end", order=order,
                              name=name, codeobj_class=default_codeobj_class(engine))

    @property
    def t(self) -> np.ndarray:
        """Spike steps as int64 (same numbers as brian2-loihi's ``t``, but exact)."""
        return _steps(self.t_)

    @property
    def t_step(self) -> np.ndarray:
        """Alias of :attr:`t`."""
        return self.t

    def spike_steps(self) -> dict[int, np.ndarray]:
        """Return ``{neuron: int64 array of spike steps}`` for every neuron of the source."""
        t = self.t
        i = np.asarray(self.i_)
        return {k: t[i == k] for k in range(len(self.source))}
