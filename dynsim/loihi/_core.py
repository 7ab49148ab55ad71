"""Machinery shared by the emulated Loihi's Brian2 objects (not part of the public API).

* one :class:`brian2.Clock` of 1 ms for every Loihi object (dynsim never touches
  ``defaultclock``);
* :class:`GeneratedCodeRunner`, a Brian2 ``CodeRunner`` whose abstract code is written when
  the network prepares a run, i.e. once the arithmetic convention and the projections into a
  group are known;
* :class:`LoihiObject`, the mix-in through which a :class:`~dynsim.loihi.LoihiNetwork` binds
  its objects (convention, engine, random seed) and learns about structural changes;
* helpers for integer steps and names.
"""

from __future__ import annotations

import weakref
import zlib
from typing import TYPE_CHECKING, Any

import numpy as np
from brian2 import Clock, ms
from brian2.core.base import BrianObject
from brian2.groups.group import CodeRunner
from brian2.units.fundamentalunits import Quantity

from dynsim.engine import codeobj_class as _codeobj_class
from dynsim.errors import LoihiNetworkError

if TYPE_CHECKING:
    from dynsim.loihi.conventions import Convention

__all__ = [
    "INT",
    "GeneratedCodeRunner",
    "LoihiObject",
    "as_steps",
    "default_codeobj_class",
    "loihi_clock",
    "name_salt",
]

#: dtype of every integer state variable (products such as u * (4096 - d) need > 32 bits).
INT = np.int64

_CLOCK: Clock | None = None


def loihi_clock() -> Clock:
    """Return the 1 ms clock shared by all Loihi objects (one clock: Brian2's fast loop)."""
    global _CLOCK
    if _CLOCK is None:
        _CLOCK = Clock(dt=1 * ms, name="loihi_clock")
    return _CLOCK


def default_codeobj_class(engine: str | None) -> type:
    """Return the code-object class for code an object runs before it joins a network.

    ``None`` gives numpy: construction-time code (``connect``, string assignments) runs once
    and must not wait for a compiler; the network's engine runs the simulation.
    """
    return _codeobj_class("numpy" if engine is None else engine)


def name_salt(name: str) -> int:
    """Return a stable 32-bit number derived from an object's name (random-stream salt)."""
    return zlib.crc32(name.encode("utf-8")) & 0xFFFFFFFF


def as_steps(duration: Any, what: str = "duration") -> int:
    """Convert a duration to a whole number of 1 ms steps.

    Accepts Python/numpy integers (steps, as brian2-loihi does), integral floats, and Brian2
    time quantities that are whole multiples of 1 ms.

    Raises
    ------
    dynsim.errors.LoihiNetworkError
        For negative, fractional or non-numeric durations.
    """
    if isinstance(duration, Quantity):
        if not duration.dim == ms.dim:
            raise LoihiNetworkError(f"{what} {duration!r} is not a time")
        value = float(duration / ms)
    elif isinstance(duration, bool | np.bool_ | str | bytes):
        raise LoihiNetworkError(f"{what} must be a whole number of steps, got {duration!r}")
    else:
        try:
            value = float(duration)
        except (TypeError, ValueError):
            raise LoihiNetworkError(
                f"{what} must be a whole number of steps, got {duration!r}") from None
    steps = round(value)
    if abs(value - steps) > 1e-9 or steps < 0:
        raise LoihiNetworkError(
            f"{what} must be a whole, non-negative number of 1 ms steps, got {duration!r}")
    return int(steps)


class GeneratedCodeRunner(CodeRunner):
    """A ``CodeRunner`` whose abstract code comes from its owner when a run is prepared.

    Parameters
    ----------
    group : brian2.Group
        The group it runs over (neurons or synapses).
    kind : str
        Passed to ``group._loihi_code(kind)``, which returns the abstract code.
    when, order : str, int
        Schedule slot and order.
    name : str
        Explicit name (stable names keep the Cython cache hot).
    codeobj_class : type
        Code-object class of the engine.
    """

    def __init__(self, group: Any, kind: str, *, when: str, order: int, name: str,
                 codeobj_class: type) -> None:
        CodeRunner.__init__(self, group, "stateupdate", code="", clock=loihi_clock(),
                            when=when, order=order, name=name, codeobj_class=codeobj_class)
        self._kind = kind

    def update_abstract_code(self, run_namespace: dict) -> None:
        """Ask the owner for the code of the current convention and projections."""
        self.abstract_code = self.group._loihi_code(self._kind)


class LoihiObject:
    """Mix-in of every dynsim Loihi object: how a network binds it.

    A network calls :meth:`_loihi_check` on all its objects (which may raise and must not
    change anything), then :meth:`_loihi_bind`. Objects bump :attr:`_loihi_struct` when they
    change in a way that needs new code (connections, delays, spike lists, learning rules),
    which tells the network that its next run has to be prepared again.
    """

    _loihi_struct: int = 0
    _loihi_net_ref: weakref.ReferenceType | None = None
    _loihi_convention: Convention | None = None

    # ---------------------------------------------------------------- binding
    @property
    def convention(self) -> Convention | None:
        """The arithmetic convention of the network this object belongs to (None: unbound)."""
        return self._loihi_convention

    @property
    def network(self) -> Any:
        """The :class:`~dynsim.loihi.LoihiNetwork` this object belongs to, or None."""
        ref = self._loihi_net_ref
        return None if ref is None else ref()

    def _loihi_check(self, convention: Convention) -> None:
        """Raise if this object cannot run in ``convention`` (changes nothing)."""

    def _loihi_bind(self, network: Any, convention: Convention, codeobj_class: type,
                    seed: int) -> None:
        """Adopt the network's convention, engine and seed."""
        if self.network is not None and self.network is not network:
            raise LoihiNetworkError(
                f"{self.name!r} already belongs to network {self.network.name!r}; "
                "a Loihi object can belong to one network only (make a new one)")
        self._loihi_net_ref = weakref.ref(network)
        self._loihi_convention = convention
        self._loihi_set_codeobj_class(codeobj_class)
        self._loihi_seed(seed)
        self._loihi_apply()

    def _loihi_set_codeobj_class(self, cls: type) -> None:
        """Use ``cls`` for this object and every Brian2 object it contains."""
        stack: list[Any] = [self]
        while stack:
            obj = stack.pop()
            if hasattr(obj, "codeobj_class"):
                obj.codeobj_class = cls
            if isinstance(obj, BrianObject):
                stack.extend(obj.contained_objects)

    def _loihi_seed(self, seed: int) -> None:
        """Adopt the network's random seed (objects with stochastic rounding override)."""

    def _loihi_apply(self) -> None:
        """Write every parameter into the Brian2 variables (after binding and reset)."""

    def _loihi_changed(self) -> None:
        """Record a structural change: the next run re-generates the code."""
        self._loihi_struct += 1
