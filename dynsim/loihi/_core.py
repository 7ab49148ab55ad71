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

import re
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
    "MAX_RUN_STEPS",
    "GeneratedCodeRunner",
    "LoihiObject",
    "as_steps",
    "check_name",
    "default_codeobj_class",
    "loihi_clock",
    "name_salt",
]

#: dtype of every integer state variable (products such as u * (4096 - d) need > 32 bits).
INT = np.int64

#: Most steps one call may run (and the latest spike step a generator may hold): 10**8
#: steps are 28 hours of chip time; monitors allocate memory per step, so a duration is
#: bounded before anything runs.
MAX_RUN_STEPS = 10**8

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


def check_name(name: Any) -> str:
    """Return ``name`` if Brian2 can name an object with it, else raise LoihiNetworkError.

    A Python identifier of at most 100 characters, not starting with ``_``, optionally ending
    in ``*`` (Brian2 then adds a number to make it unique).

    Examples
    --------
    >>> check_name("exc_neurons"), check_name("loihi_network*")
    ('exc_neurons', 'loihi_network*')
    """
    if (isinstance(name, str) and len(name) <= 101
            and re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*\*?", name)):
        return name
    raise LoihiNetworkError(
        "name must be a Python identifier (letters, digits, _; at most 100 characters, not "
        f"starting with _), optionally ending in '*', got {name!r}"[:200])


def name_salt(name: str) -> int:
    """Return a stable 32-bit number derived from an object's name (random-stream salt)."""
    return zlib.crc32(name.encode("utf-8")) & 0xFFFFFFFF


def as_steps(duration: Any, what: str = "duration", *, high: int = MAX_RUN_STEPS) -> int:
    """Convert a duration to a whole number of 1 ms steps, at most ``high``.

    Accepts Python/numpy integers (steps, as brian2-loihi does), integral floats, and Brian2
    time quantities that are whole multiples of 1 ms. The number is compared with ``high``
    before anything is allocated for it.

    Parameters
    ----------
    duration : int, float or brian2.Quantity
        Steps, or a time.
    what : str
        The argument's name, for the message.
    high : int
        The most steps accepted (default :data:`MAX_RUN_STEPS`).

    Raises
    ------
    dynsim.errors.LoihiNetworkError
        For negative, fractional, non-finite, non-numeric or too long durations.

    Examples
    --------
    >>> from brian2 import ms
    >>> as_steps(20), as_steps(20 * ms), as_steps(20.0)
    (20, 20, 20)
    """
    whole = f"{what} must be a whole, non-negative number of 1 ms steps"
    if isinstance(duration, Quantity):
        if not duration.dim == ms.dim:
            raise LoihiNetworkError(f"{what} {duration!r} is not a time")
        if np.ndim(duration) != 0:
            raise LoihiNetworkError(f"{whole}, got an array of shape {np.shape(duration)}")
        value: float | int = float(duration / ms)
    elif isinstance(duration, bool | np.bool_ | str | bytes):
        raise LoihiNetworkError(f"{what} must be a whole number of steps, got {duration!r}")
    elif isinstance(duration, int | np.integer):
        value = int(duration)  # exact: no float rounding of large integers
    else:
        try:
            value = float(duration)
        except (TypeError, ValueError):
            raise LoihiNetworkError(
                f"{what} must be a whole number of steps, got {duration!r}") from None
    if isinstance(value, float):
        if not np.isfinite(value):
            raise LoihiNetworkError(f"{whole}, got {duration!r}")
        steps = round(value)
        if abs(value - steps) > 1e-9:
            raise LoihiNetworkError(f"{whole}, got {duration!r}")
    else:
        steps = value
    if steps < 0:
        raise LoihiNetworkError(f"{whole}, got {duration!r}")
    if steps > high:
        raise LoihiNetworkError(
            f"{what} of {steps} steps is more than the {high} steps one call accepts "
            "(monitors keep every step in memory); run in shorter pieces")
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

    def _running_convention(self) -> Convention:
        """Return the network's convention; raise if the object is in no LoihiNetwork."""
        conv = self._loihi_convention
        if conv is None:
            raise LoihiNetworkError(
                f"{self.name!r} is not part of a LoihiNetwork; Loihi objects only run in a "
                "LoihiNetwork (it sets the chip's step order)")
        return conv

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

    def _loihi_stored(self) -> None:
        """Note that the network stored its reset snapshot (the state as it is now)."""

    def _loihi_restored(self) -> None:
        """Note that the network restored its reset snapshot (before :meth:`_loihi_apply`)."""

    def _loihi_changed(self) -> None:
        """Record a structural change: the next run re-generates the code."""
        self._loihi_struct += 1
