"""The emulated chip: a Brian2 ``Network`` with Loihi's step order, convention and engine.

Within one step the chip (and the emulator) does, in this order::

    start      spike generators ('brian2_loihi' convention)
    synapses   spikes that arrive now add their weights to the accumulators; u and traces
               are recorded here (after the input)
    groups     neuron update (u, v), trace decay and learning
    thresholds spikes (and spike generators in 'silicon' and 'lava')
    resets     v = 0 after a spike
    end        v, w and spikes are recorded

Nothing global is changed: the schedule belongs to this network; every Loihi object steps
on the one 1 ms clock that all Loihi objects share (:func:`~dynsim.loihi._core.loihi_clock`,
never Brian2's ``defaultclock``; :data:`RUN_LOCK` keeps two runs from interleaving on it)
and uses its network's engine's code-object class; and the random numbers of stochastic
rounding come from the network's ``seed`` (:mod:`dynsim.loihi.rng`).

Re-running quickly (sliders): parameters set through the dynsim API (decays, threshold,
bias, weights, exponents) are plain values in Brian2 arrays, so a network keeps its compiled
code. :meth:`LoihiNetwork.reset` returns to the state before the first run (keeping the
current parameters), and a run that follows needs no code generation: when every object of
the network belongs to dynsim and nothing structural changed, :meth:`LoihiNetwork.run` steps
the existing code objects directly.

References
----------
Michaelis et al. (2022), Front. Neuroinform. 16:1015624 (the schedule); Davies et al.
(2018), IEEE Micro 38(1).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from brian2 import Network, ms, second
from brian2.core.base import BrianObject
from brian2.core.network import _get_all_objects

from dynsim.engine import codeobj_class, resolve_engine
from dynsim.errors import LoihiNetworkError
from dynsim.loihi import registers as R
from dynsim.loihi._core import LoihiObject, as_steps, check_name, loihi_clock
from dynsim.loihi.conventions import Convention, get_convention
from dynsim.loihi.propagation import make_kernel

__all__ = ["LOIHI_SCHEDULE", "MAX_MONITOR_VALUES", "RUN_LOCK", "LoihiNetwork", "RunProgress"]

#: Most values (recorded indices x variables x steps, summed over the state monitors) a
#: network's monitors may hold after a run; checked before the run allocates them.
MAX_MONITOR_VALUES = 100_000_000
#: The step order of the chip (brian2-loihi's schedule).
LOIHI_SCHEDULE = ("start", "synapses", "groups", "thresholds", "resets", "end")
_SNAPSHOT = "_dynsim_initial_state"
#: Held while any LoihiNetwork runs or resets. Every Loihi object steps on one shared 1 ms
#: clock (:func:`~dynsim.loihi._core.loihi_clock`), so two runs must never interleave: a run
#: in a notebook cell waits for a live bench's run in its worker thread, and vice versa.
RUN_LOCK = threading.RLock()


@dataclass(frozen=True)
class RunProgress:
    """What a ``progress`` callback of :meth:`LoihiNetwork.run` receives.

    Attributes
    ----------
    steps_done : int
        Steps of this run completed so far.
    steps_total : int
        Steps of this run.
    t_step : int
        The network's time in steps (all earlier runs included).
    elapsed : float
        Wall-clock seconds since the run started.
    """

    steps_done: int
    steps_total: int
    t_step: int
    elapsed: float

    @property
    def fraction(self) -> float:
        """Completed fraction of the run (0..1)."""
        return self.steps_done / self.steps_total if self.steps_total else 1.0


def _flatten(objs: Iterable[Any]) -> list[BrianObject]:
    out: list[BrianObject] = []
    for obj in objs:
        if isinstance(obj, BrianObject):
            out.append(obj)
        elif isinstance(obj, Mapping):
            out.extend(_flatten(obj.values()))
        elif isinstance(obj, str):
            raise LoihiNetworkError("Can only add objects of type BrianObject, or containers "
                                    f"of such objects to a LoihiNetwork, got {obj!r}"[:200])
        else:
            try:
                out.extend(_flatten(list(obj)))
            except TypeError:
                raise LoihiNetworkError(
                    "Can only add objects of type BrianObject, or containers of such objects "
                    f"to a LoihiNetwork, got {obj!r}"[:200]) from None
    return out


class LoihiNetwork(Network):
    """A Brian2 network that runs like a Loihi chip.

    Drop-in for brian2-loihi's ``LoihiNetwork`` (``run`` takes a number of steps), plus the
    choice of arithmetic convention, engine and random seed, a fast re-run path and a
    progress callback.

    Parameters
    ----------
    *objs : Brian2 objects or containers
        Objects to add (as for :class:`brian2.Network`).
    convention : {'silicon', 'lava', 'brian2_loihi'}, optional
        Arithmetic convention (see :mod:`dynsim.loihi.conventions`); default 'silicon'.
    engine : {'cython', 'numpy', 'auto'}, optional
        Simulation engine (default: ``$DYNSIM_ENGINE`` or 'auto').
    seed : int, optional
        Seed of stochastic rounding (traces, learning), 0..2**32-1; default 0. Runs with the
        same seed give the same numbers; other Brian2 randomness is not affected.
    name : str, optional
        Brian2 name of the network.

    Examples
    --------
    >>> from dynsim.loihi import (LoihiNetwork, LoihiNeuronGroup, LoihiStateMonitor)
    >>> ng = LoihiNeuronGroup(1, threshold_v_mant=1000, decay_v=0, decay_I=4096,
    ...                       bias_mant=100, name="doc_net_neurons")
    >>> mon = LoihiStateMonitor(ng, "v", name="doc_net_mon")
    >>> net = LoihiNetwork(ng, mon, engine="numpy", name="doc_net")
    >>> net.run(3)
    >>> mon.v[0].tolist()
    [100, 200, 300]
    >>> ng.bias_mant = 50
    >>> net.reset(); net.run(3)
    >>> mon.v[0].tolist()
    [50, 100, 150]
    """

    def __init__(self, *objs: Any, convention: str | Convention | None = None,
                 engine: str | None = None, seed: int = 0,
                 name: str = "loihi_network*") -> None:
        check_name(name)
        self._loihi_conv = get_convention(convention)
        self._engine = resolve_engine(engine)
        self._codeobj_class = codeobj_class(self._engine)
        self._seed = R.check_register("seed", seed, 0, 2**32 - 1, register="seed",
                                      description="random seed")
        Network.__init__(self, name=name)
        self.schedule = list(LOIHI_SCHEDULE)
        self._loihi_has_run = False
        self._fingerprint: tuple | None = None
        self._fast_runs: list[list[Callable] | tuple[Any, list[Callable]]] = []
        self._snapshot_fingerprint: tuple | None = None
        if objs:
            self.add(*objs)

    # ---------------------------------------------------------------- properties
    @property
    def convention(self) -> Convention:
        """The arithmetic convention (fixed when the network is made)."""
        return self._loihi_conv

    @property
    def engine(self) -> str:
        """The engine that runs the network: 'cython' or 'numpy'."""
        return self._engine

    @property
    def seed(self) -> int:
        """Seed of stochastic rounding; setting it re-keys every synapse."""
        return self._seed

    @seed.setter
    def seed(self, value: int) -> None:
        self._seed = R.check_register("seed", value, 0, 2**32 - 1, register="seed",
                                      description="random seed")
        for obj in self._loihi_objects():
            obj._loihi_seed(self._seed)

    @property
    def t_step(self) -> int:
        """The network time in steps."""
        return round(float(self.t_) * 1000.0)

    @property
    def has_run(self) -> bool:
        """Whether the network has run.

        A network that has run takes no new objects: :meth:`reset` needs the objects of its
        first run.
        """
        return self._loihi_has_run

    # ---------------------------------------------------------------- objects
    def add(self, *objs: Any) -> None:
        """Add objects; Loihi objects adopt this network's convention, engine and seed.

        Raises
        ------
        dynsim.errors.RegisterRangeError
            If a parameter cannot be represented in this network's convention (nothing is
            added then).
        dynsim.errors.LoihiNetworkError
            For an object on a clock other than 1 ms, or one already in another network.
        """
        flat = _flatten(objs)
        for obj in flat:
            for sub in _get_all_objects([obj]):
                clock = getattr(sub, "clock", None)
                if clock is not None and abs(float(clock.dt_) - 1e-3) > 1e-12:
                    raise LoihiNetworkError(
                        f"{sub.name!r} runs with dt={clock.dt}; a Loihi network steps in "
                        "1 ms: make it with dt=1*ms (dynsim leaves defaultclock alone)")
            if isinstance(obj, LoihiObject):
                if obj.network is not None and obj.network is not self:
                    raise LoihiNetworkError(
                        f"{obj.name!r} already belongs to network {obj.network.name!r}")
                obj._loihi_check(self._loihi_conv)
        Network.add(self, *flat)
        for obj in flat:
            if isinstance(obj, LoihiObject):
                obj._loihi_bind(self, self._loihi_conv, self._codeobj_class, self._seed)

    def _loihi_objects(self) -> list[LoihiObject]:
        return [o for o in self.objects if isinstance(o, LoihiObject)]

    # ---------------------------------------------------------------- running
    def run(self, duration: Any, report: Any = None, report_period: Any = 10 * second,
            namespace: dict | None = None, profile: bool | None = None, level: int = 0, *,
            progress: Callable[[RunProgress], Any] | None = None,
            progress_every: int | None = None) -> None:
        """Run for ``duration`` steps.

        Parameters
        ----------
        duration : int or brian2.Quantity
            Number of 1 ms steps (brian2-loihi style), or a time that is a whole number of
            milliseconds.
        report, report_period, namespace, profile, level
            As for :meth:`brian2.Network.run`.
        progress : callable, optional
            Called as ``progress(RunProgress)`` every ``progress_every`` steps and at the
            end; monitors hold the data recorded so far. Return ``False`` to stop the run.
        progress_every : int, optional
            Steps between progress calls (default: a tenth of the run, at least 1).

        Examples
        --------
        >>> from dynsim.loihi import LoihiNetwork, LoihiNeuronGroup
        >>> ng = LoihiNeuronGroup(1, name="doc_run_neurons")
        >>> net = LoihiNetwork(ng, engine="numpy", name="doc_run")
        >>> seen = []
        >>> net.run(10, progress=lambda p: seen.append(p.steps_done), progress_every=4)
        >>> seen
        [4, 8, 10]
        """
        steps = as_steps(duration)
        if progress is not None and not callable(progress):
            raise LoihiNetworkError(f"progress must be a function of RunProgress, got "
                                    f"{progress!r}"[:200])
        if progress_every is not None and as_steps(progress_every, "progress_every") < 1:
            raise LoihiNetworkError("progress_every must be at least 1 step")
        self._check_monitor_memory(steps)
        if namespace is None:
            namespace = self._caller_namespace(level + 1)
        with RUN_LOCK:
            self._run_locked(steps, report, report_period, namespace, profile, progress,
                             progress_every)

    def _check_monitor_memory(self, steps: int) -> None:
        """Refuse a run whose state monitors would hold more than MAX_MONITOR_VALUES."""
        from brian2 import StateMonitor

        total = 0
        for obj in self.objects:
            if isinstance(obj, StateMonitor):
                n = len(obj.source) if getattr(obj, "record_all", False) else len(obj.record)
                values = n * max(len(obj.record_variables), 1) + 1  # + the time array
                total += values * (len(obj.t_) + steps)
        if total > MAX_MONITOR_VALUES:
            raise LoihiNetworkError(
                f"running {steps} steps would make the state monitors hold {total} values, "
                f"more than {MAX_MONITOR_VALUES} (about {MAX_MONITOR_VALUES * 8 // 2**20} "
                "MiB); record fewer neurons or variables, or run fewer steps")

    def _run_locked(self, steps: int, report: Any, report_period: Any, namespace: dict,
                    profile: bool | None, progress: Callable[[RunProgress], Any] | None,
                    progress_every: int | None) -> None:
        if not self._loihi_has_run:
            # Prepare the code once (a run of 0 steps), then remember the initial state
            # for reset(): spike queues are stored in their prepared form.
            self._prepare(namespace)
            if float(self.t_) == 0.0 and _SNAPSHOT not in self._stored_state:
                Network.store(self, _SNAPSHOT)
                self._snapshot_fingerprint = self._topology()
                for obj in self._loihi_objects():
                    obj._loihi_stored()
        if progress is None:
            self._run_steps(steps, report, report_period, namespace, profile)
            return
        every = max(1, steps // 10) if progress_every is None else as_steps(
            progress_every, "progress_every")
        if every < 1:
            raise LoihiNetworkError("progress_every must be at least 1 step")
        start = time.perf_counter()
        done = 0
        while done < steps:
            chunk = min(every, steps - done)
            self._run_steps(chunk, report, report_period, namespace, profile)
            done += chunk
            info = RunProgress(done, steps, self.t_step, time.perf_counter() - start)
            if progress(info) is False:
                break

    def _caller_namespace(self, level: int) -> dict:
        if all(self._owned(o) for o in _get_all_objects(self.objects)):
            return {}  # dynsim objects refer to nothing outside themselves
        frame = sys._getframe(level + 1)
        namespace = dict(frame.f_globals)
        namespace.update(frame.f_locals)
        return namespace

    @staticmethod
    def _owned(obj: Any) -> bool:
        """Tell whether dynsim made ``obj`` (it then refers to nothing outside itself)."""
        for candidate in (obj, _deref(getattr(obj, "group", None)),
                          _deref(getattr(obj, "synapses", None))):
            if isinstance(candidate, LoihiObject) or getattr(candidate, "_dynsim_owned", False):
                return True
        return False

    def _topology(self) -> tuple:
        """Return what a snapshot depends on: the objects and their numbers of synapses."""
        objs = _get_all_objects(self.objects)
        return tuple(sorted((id(o), o.name, len(o) if hasattr(o, "_synaptic_pre") else -1)
                            for o in objs))

    def _structure(self) -> tuple:
        objs = _get_all_objects(self.objects)
        return (tuple(self.schedule), *sorted(
            (id(o), o.name, getattr(o, "_loihi_struct", 0), bool(o.active), o.when, o.order)
            for o in objs))

    def _run_steps(self, steps: int, report: Any, report_period: Any, namespace: dict,
                   profile: bool | None) -> None:
        if steps == 0:
            return
        if (report is None and not profile and self._fingerprint is not None
                and self._fingerprint == self._structure()):
            self._fast_run(steps)
            return
        self._prepare(namespace, steps, report, report_period, profile)

    def _prepare(self, namespace: dict, steps: int = 0, report: Any = None,
                 report_period: Any = 10 * second, profile: bool | None = None) -> None:
        """Run through Brian2's ``Network.run`` (code generation), then allow fast runs."""
        self._fingerprint = None
        Network.run(self, steps * ms, report=report, report_period=report_period,
                    namespace=namespace, profile=profile)
        self._loihi_has_run = True
        objs = _get_all_objects(self.objects)
        clocks = {o.clock for o in objs}
        if len(clocks) == 1 and all(self._owned(o) for o in objs):
            self._fast_runs = []
            for o in self.sorted_objects:
                if not o.active:
                    continue
                calls = [_lean_call(co) for co in o.code_objects]
                kernel = make_kernel(o, self._engine)
                self._fast_runs.append(calls if kernel is None else (kernel, calls))
            self._fingerprint = self._structure()

    def _fast_run(self, steps: int) -> None:
        """Step the prepared code objects without Brian2's per-run preparation."""
        clock = loihi_clock()
        t_end = float(self.t_) + steps * 1e-3
        clock.set_interval(self.t, t_end * second)
        timestep = clock.variables["timestep"].get_value()
        t = clock.variables["t"].get_value()
        dt = clock.variables["dt"].get_value()
        runs: list[Callable] = []
        kernels = []
        for entry in self._fast_runs:
            if isinstance(entry, tuple):  # a compiled kernel, or Brian2's calls if it cannot bind
                kernel = entry[0]
                if kernel.bind():
                    runs.append(kernel)
                    kernels.append(kernel)
                else:
                    runs.extend(entry[1])
            else:
                runs.extend(entry)
        i_end = clock._i_end
        try:
            while timestep[0] < i_end:
                for run in runs:
                    run()
                timestep[0] += 1
                t[0] = timestep[0] * dt[0]
        finally:
            for kernel in kernels:
                kernel.finish()  # monitors receive what was recorded
        self.t_ = t_end
        self.after_run()

    # ---------------------------------------------------------------- re-running
    def reset(self) -> None:
        """Return to the state before the first run, keeping the current parameters.

        Restores v, u, traces, learned weights (to the weights last assigned with
        ``S.w = ...``), spikes in flight, monitors and time, then re-applies every parameter
        set through the dynsim API since (decays, threshold, bias, weights, exponents,
        delays, spike lists, ...).
        The random numbers restart with the seed: a reset run repeats the previous one
        exactly unless a parameter or the seed changed. Works with the Cython engine (it
        does not use ``restore_random_state``).

        Raises
        ------
        dynsim.errors.LoihiNetworkError
            If objects or connections were added after the first run.
        """
        with RUN_LOCK:
            if _SNAPSHOT not in self._stored_state:
                return  # never run: nothing to undo
            if self._snapshot_fingerprint != self._topology():
                raise LoihiNetworkError(
                    "objects or connections were added after the network's first run; "
                    "reset() cannot return to its initial state: make a new network")
            Network.restore(self, _SNAPSHOT)
            for obj in _get_all_objects(self.objects):
                if isinstance(obj, LoihiObject):
                    obj._loihi_restored()
                    obj._loihi_apply()  # parameters, weights, delays, spike lists set since

    def __repr__(self) -> str:
        return (f"<LoihiNetwork {self.name!r}: convention={self._loihi_conv.name!r}, "
                f"engine={self._engine!r}, {len(self.objects)} objects, t={self.t_step} steps>")


def _lean_call(codeobj: Any) -> Callable[[], Any]:
    """Return a callable that runs one step of a prepared code object.

    For compiled (Cython) code objects this skips two Python call levels of
    ``CodeObject.__call__`` (what remains is refreshing the namespace entries that change,
    e.g. dynamic arrays, and calling the compiled ``main``); other code objects are called
    as Brian2 calls them.
    """
    compiled = getattr(codeobj, "compiled_code", None)
    block = compiled.get("run") if isinstance(compiled, dict) else None
    main = getattr(block, "main", None)
    if main is None or not hasattr(codeobj, "nonconstant_values"):
        return codeobj.__call__
    namespace = codeobj.namespace
    refresh = list(codeobj.nonconstant_values)
    if not refresh:
        return lambda: main(namespace)

    def call() -> Any:
        for key, func in refresh:
            namespace[key] = func()
        return main(namespace)

    return call


def _deref(obj: Any) -> Any:
    if obj is None:
        return None
    try:
        return obj.__repr__.__self__  # weakproxy -> object
    except (AttributeError, ReferenceError):
        return None
