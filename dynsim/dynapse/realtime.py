"""Real-time mode of the emulated board: a worker thread that follows the wall clock.

On a DYNAP-SE1 board the chip runs all the time: a samna script starts a generator, sleeps and
reads the sink (``poisson_gen.start(); time.sleep(2); events = sink.get_events()``). The
emulator only advances in :meth:`~dynsim.dynapse.Dynapse1Model.run`; in real-time mode a
background worker calls it in chunks of :data:`CHUNK_S` of simulated time, each as soon as
the wall clock has passed its end, so that the model's time follows the wall clock and the
spikes reach the sinks as they happen (at most one chunk plus its computing time late).

When the real-time clock runs
    In real-time mode (:meth:`~dynsim.dynapse.Dynapse1Model.set_real_time_mode`, which the
    samna stand-in's device opening turns on) the clock runs while a generator runs, or from
    :meth:`~dynsim.dynapse.Dynapse1Model.start` to :meth:`~dynsim.dynapse.Dynapse1Model.stop`.
    When the last generator stops (and the model was not started explicitly) the worker
    stops and the model's time stands still: without input the emulated chip is at rest
    (a network that fires on its own, e.g. with a DC bias, needs ``model.start()`` to go
    on). Outside real-time mode (the default) generators only arm the next ``model.run``,
    as before, so notebooks that want exact simulated time are unchanged.

Lag
    A network too big to keep up is never skipped: each chunk is simulated in full and its
    spikes arrive late. :attr:`RealTimeClock.lag_s` (wall time minus simulated time since the
    start) and :attr:`RealTimeClock.real_time_factor` (simulated time / wall time; 1 keeps up,
    0.5 is half speed) report it, and a :class:`~dynsim.errors.RealTimeLagWarning` is issued
    once per start when the lag first exceeds :data:`LAG_WARNING_S`.

Threads and locks
    :data:`SIMULATION_LOCK` (process-wide, re-entrant; the widgets' ``simulation_lock``) is
    held by the worker while it simulates a chunk, and by the model's methods that change
    its state (biases, configuration, monitors): a bias written while the clock runs takes
    effect at the next chunk. ``model.run`` from another thread while the clock runs raises
    :class:`~dynsim.errors.RealTimeRunningError` (refused rather than serialized: the two
    would advance the same model time, and the run's result would depend on the timing).
    The worker is a daemon thread (it never keeps the interpreter alive) and is joined by
    ``stop()``; no spike is delivered after ``stop()`` returns.

Chunk length
    :data:`CHUNK_S` = 20 ms: the latency of an event (at most one chunk) stays below what a
    user notices, while the fixed cost of a Brian2 ``Network.run`` call (a few ms) stays a
    small part of each chunk. Chunked runs give the same spikes as one run of the same
    total length (Brian2 steps the same way; the Poisson trains continue across runs, see
    :class:`PoissonTrains`).

Examples
--------
>>> import time
>>> from dynsim.dynapse import Dynapse1Model, sink_from
>>> model = Dynapse1Model(engine="numpy", name="docrealtime")
>>> sink = sink_from(model.get_source_node())
>>> model.start()                 # the board runs: model time follows the wall clock
>>> time.sleep(0.1)
>>> model.is_running(), model.time_s > 0
(True, True)
>>> model.stop()
>>> sink.get_events()             # nothing is configured: no spikes
[]
"""

from __future__ import annotations

import atexit
import functools
import math
import threading
import time
import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from brian2 import NetworkOperation, second

from dynsim.dynapse.stimulus import check_train_size
from dynsim.errors import RealTimeLagWarning, RealTimeRunningError

__all__ = [
    "CHUNK_S",
    "LAG_WARNING_S",
    "SIMULATION_LOCK",
    "PoissonTrains",
    "RealTimeClock",
    "clock_of",
    "locked",
]

#: Simulated time (s) of one chunk of the real-time worker when it keeps up.
CHUNK_S = 0.02
#: Lag (s, wall time minus simulated time) above which a RealTimeLagWarning is issued.
LAG_WARNING_S = 0.25
#: Held by whoever simulates with Brian2 or changes a model's state (re-entrant).
SIMULATION_LOCK = threading.RLock()
#: Intervals drawn at once for a Poisson train (as :func:`~dynsim.dynapse.stimulus.poisson_steps`).
_BLOCK = 256
#: Simulated time (s) of the worker's one long run (another starts after it).
_STREAM_S = 3600.0
#: Shortest time (s) the worker lets go of the lock between two chunks (when it is late).
_YIELD_S = 2e-4
#: Longest time (s) ``start()`` waits for the worker's set-up before it returns anyway.
_READY_TIMEOUT_S = 60.0
#: How long (s) the worker waits for the lock before it looks at its stop flag again.
_POLL_S = 0.05

_Function = TypeVar("_Function", bound=Callable[..., Any])


def locked(method: _Function) -> _Function:
    """Run ``method`` while holding :data:`SIMULATION_LOCK` (a model's state changes).

    Examples
    --------
    >>> @locked
    ... def change():
    ...     return SIMULATION_LOCK._is_owned()
    >>> change()
    True
    """
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with SIMULATION_LOCK:
            return method(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


# --------------------------------------------------------------------------- Poisson trains
@dataclass
class _Train:
    rate_hz: float
    origin: int                     # step where the train began
    next_step: int                  # step where the next run begins
    last: float = 0.0               # last drawn time (s after origin)
    pending: np.ndarray = field(default_factory=lambda: np.zeros(0))


class PoissonTrains:
    """Poisson trains that continue from one run to the next.

    Each virtual neuron's train keeps the intervals it drew beyond the end of a run and goes
    on from them in the next run (when that run starts where the last one ended and the rate
    is unchanged; otherwise it restarts, which the exponential intervals' lack of memory
    allows). A train drawn over runs of ``T1`` then ``T2`` is therefore the train of one run
    of ``T1 + T2``: the same draws, in blocks of 256, in the same order, as
    :func:`~dynsim.dynapse.stimulus.poisson_steps` makes them. With several Poisson neurons
    the draws of one generator interleave differently for other run lengths, so only one
    neuron's train is independent of how the time is split.

    Examples
    --------
    >>> trains = PoissonTrains()
    >>> one = trains.steps(np.random.default_rng(1), 7, 500.0, 0, 4000, 1e-4)
    >>> trains = PoissonTrains()
    >>> rng = np.random.default_rng(1)
    >>> split = np.concatenate([trains.steps(rng, 7, 500.0, 0, 1000, 1e-4),
    ...                         1000 + trains.steps(rng, 7, 500.0, 1000, 3000, 1e-4)])
    >>> bool(np.array_equal(one, split))
    True
    """

    def __init__(self) -> None:
        self._trains: dict[int, _Train] = {}

    def clear(self) -> None:
        """Forget every train (the next run starts new ones)."""
        self._trains.clear()

    def steps(self, rng: np.random.Generator, neuron_id: int, rate_hz: float, first_step: int,
              n_steps: int, dt: float) -> np.ndarray:
        """Return the steps (0 = ``first_step``) of one neuron's events in ``n_steps`` steps.

        Parameters
        ----------
        rng : numpy.random.Generator
            The model's seeded generator.
        neuron_id : int
            The virtual neuron.
        rate_hz : float
            Its rate (Hz, > 0, already checked).
        first_step : int
            The run's first step, counted from the model's time 0.
        n_steps : int
            The run's number of steps of ``dt`` seconds.
        dt : float
            Time step (s).
        """
        check_train_size(rate_hz * n_steps * dt, "a Poisson input")
        train = self._trains.get(neuron_id)
        if train is None or train.rate_hz != rate_hz or train.next_step != first_step:
            train = _Train(rate_hz, first_step, first_step)
            self._trains[neuron_id] = train
        end = (first_step + n_steps - train.origin) * dt
        parts, last = [train.pending], train.last
        while last < end:
            times = last + np.cumsum(rng.exponential(1.0 / rate_hz, size=_BLOCK))
            parts.append(times)
            last = float(times[-1])
        times = np.concatenate(parts)
        train.pending, train.last = times[times >= end], last
        train.next_step = first_step + n_steps
        steps = np.floor(times[times < end] / dt).astype(np.int64) - (first_step - train.origin)
        return np.maximum(steps, 0)  # a time on a run's border rounds into this run


# --------------------------------------------------------------------------- the clock
class RealTimeClock:
    """Advances one model with the wall clock in a background thread (one per model).

    Use it through the model (:meth:`~dynsim.dynapse.Dynapse1Model.start`, ``stop``,
    ``is_running``, ``real_time_factor``, ``real_time_lag``) and its generators.

    Attributes
    ----------
    chunk_s : float
        Simulated seconds per chunk while the worker keeps up (:data:`CHUNK_S`).
    lag_warning_s : float
        Lag (s) that triggers the warning (:data:`LAG_WARNING_S`).
    """

    def __init__(self, model: Any) -> None:
        self._model = weakref.ref(model)
        self._control = threading.RLock()     # start/stop of the thread
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.real_time_mode = False
        self.started = False                  # model.start() was called
        self.chunk_s = CHUNK_S
        self.lag_warning_s = LAG_WARNING_S
        self.error: BaseException | None = None
        self._wall0 = self._sim0 = 0.0
        self._wall_end: float | None = 0.0   # the worker's end (None while it runs)
        self._sim_end = 0.0
        self._warned = False
        self._ready = threading.Event()       # set when the worker's first chunk begins

    # -------------------------------------------------------------- state
    def is_running(self) -> bool:
        """Whether the worker thread is alive (the model follows the wall clock)."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def in_worker(self) -> bool:
        """Whether the calling thread is the worker."""
        return self._thread is not None and threading.current_thread() is self._thread

    def _elapsed(self) -> tuple[float, float]:
        """Return (wall seconds, simulated seconds) since the last start."""
        model = self._model()
        if self._wall_end is not None or model is None:
            return (self._wall_end or self._wall0) - self._wall0, self._sim_end - self._sim0
        return time.perf_counter() - self._wall0, model.time_s - self._sim0

    @property
    def lag_s(self) -> float:
        """Wall time minus simulated time (s) since the last start (0 before any)."""
        wall, simulated = self._elapsed()
        return max(0.0, wall - simulated)

    @property
    def real_time_factor(self) -> float:
        """Simulated time / wall time since the last start (NaN before any).

        1.0 keeps up with the wall clock (slightly less: the last chunk is still on its way);
        0.5 runs at half speed.
        """
        wall, simulated = self._elapsed()
        return simulated / wall if wall > 0 else math.nan

    # -------------------------------------------------------------- control
    def wanted(self) -> bool:
        """Whether the clock should run: started explicitly, or a generator runs."""
        model = self._model()
        if model is None:
            return False
        return self.started or (self.real_time_mode and (
            model.get_poisson_gen().is_running() or model.get_fpga_spike_gen().is_running()))

    def update(self) -> None:
        """Start or stop the worker as :meth:`wanted` says (joining it when it stops)."""
        if self.wanted():
            self.start()
        else:
            self.stop()

    def start(self) -> None:
        """Build the model's network, then start the worker (nothing when it runs)."""
        with self._control:
            if self.is_running():
                return
            model = self._model()
            if model is None:
                return
            self._thread = None  # a worker that ended by itself
            with SIMULATION_LOCK:
                _prepare(model)  # compile before the clock starts: it is not lag
                self._stop.clear()
                self.error = None
                self._warned = False
                self._wall0, self._sim0 = time.perf_counter(), model.time_s
                self._wall_end = None
                self._thread = threading.Thread(target=self._loop, name=f"{model.name}-realtime",
                                                daemon=True)
                self._ready.clear()
                self._thread.start()
                _RUNNING.add(self)
            if not SIMULATION_LOCK._is_owned():  # wait for the run's set-up (not lag)
                self._ready.wait(_READY_TIMEOUT_S)

    def stop(self) -> None:
        """Stop the worker and wait for it: no spike is delivered after this returns."""
        with self._control:
            thread = self._thread
            if thread is None:
                return
            self._stop.set()
            if thread is not threading.current_thread():
                thread.join()
            self._thread = None

    # -------------------------------------------------------------- worker
    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                if not SIMULATION_LOCK.acquire(timeout=_POLL_S):
                    continue
                try:
                    wait = self._advance()
                finally:
                    SIMULATION_LOCK.release()
                if wait is None:
                    break
                if wait > 0:
                    self._stop.wait(wait)
        except Exception as error:  # kept (clock.error) and shown, never lost silently
            self.error = error
            try:
                warnings.warn(f"the real-time worker stopped: {error!r}", RuntimeWarning,
                              stacklevel=1)
            except RuntimeWarning:  # warnings turned into errors: kept in clock.error
                pass
        finally:
            self._ready.set()
            model = self._model()
            self._wall_end = time.perf_counter()
            self._sim_end = model.time_s if model is not None else self._sim0

    def _due(self, model: Any) -> float:
        """Return wall time minus simulated time (s) since the start."""
        return (time.perf_counter() - self._wall0) - (model.time_s - self._sim0)

    def _advance(self) -> float | None:
        """Advance the model (holding the lock); return how long to wait (None: stop)."""
        model = self._model()
        if model is None or self._stop.is_set() or not self.wanted():
            return None
        before = time.perf_counter()
        if _prepare(model):  # rebuilt (new configuration): the build time is not lag
            self._wall0 += time.perf_counter() - before
        if model._net is None:  # nothing to simulate: the time goes on, paced
            self._ready.set()
            due = self._due(model)
            if due < self.chunk_s:
                return self.chunk_s - due
            model.run(round(self.chunk_s / model._dt_s) * model._dt_s * second)
            return 0.0
        # this run's set-up (its code objects) is not lag: the clock goes on from here
        self._wall0 = time.perf_counter() - (model.time_s - self._sim0)
        _Stream(self, model).run()
        return 0.0

    def _warn_if_late(self) -> None:
        if self._warned or self.lag_s <= self.lag_warning_s:
            return
        self._warned = True
        model = self._model()
        name = model.name if model is not None else "the model"
        message = (f"{name} runs behind the wall clock by {self.lag_s:.2f} s (real-time factor "
                   f"{self.real_time_factor:.2f}): its spikes arrive late, none is dropped. "
                   "Simulate fewer neurons, or use model.run(duration) for exact simulated "
                   "time without the wall clock.")
        try:
            warnings.warn(message, RealTimeLagWarning, stacklevel=1)
        except RealTimeLagWarning:  # warnings turned into errors: reported, keep running
            pass


def _network_time(net: Any) -> float:
    """Return a Brian2 network's time (s) as a float.

    After a run stopped by ``Network.stop`` Brian2 leaves ``net.t_`` as a ``VariableView``
    of the clock's time (``self.t_ = clock.t_``), not a number: read its value.
    """
    return float(np.asarray(net.t_))


class _Stream:
    """One long ``Network.run`` fed and read chunk by chunk from a network operation.

    A Brian2 ``Network.run`` call costs 0.1-0.4 s of set-up here (its code objects are made
    again at each call), far more than a 20 ms chunk: so the worker runs the network once,
    for as long as the clock runs, and a network operation on a clock of one chunk acts at
    each chunk's start: it sends the spikes of the chunk that ended, waits (without the lock)
    until the wall clock has passed the end of the next chunk, then writes that chunk's
    virtual events into the input group (the arrays ``SpikeGeneratorGroup.set_spikes`` and
    its ``before_run`` fill, in the same form). It stops the run when the clock stops or the
    model must be rebuilt (a new configuration or monitor).
    """

    def __init__(self, clock: RealTimeClock, model: Any) -> None:
        self.clock, self.model = clock, model
        self.dt = model._dt_s
        self.chunk_steps = max(1, round(clock.chunk_s / self.dt))
        self.started = False

    def run(self) -> None:
        model, net = self.model, self.model._net
        operation = NetworkOperation(self._chunk, dt=self.chunk_steps * self.dt * second,
                                     when="start", name=f"{model.name}_realtime")
        net.add(operation)
        try:
            # the first chunk ends where the operation's clock first ticks
            step = round(_network_time(net) / self.dt)
            first = -(-step // self.chunk_steps) * self.chunk_steps - step
            if first and self._wait(first):
                self._feed(first)
            if not self._go_on():
                return
            net.run(_STREAM_S * second)
        finally:
            net.remove(operation)
            # a stopped Network.run leaves ``net.t_`` as a view of its clock's time (Brian2
            # sets ``self.t_ = clock.t_``), which ``float`` refuses: keep the number instead
            net.t_ = _network_time(net)
            model._deliver_spikes()  # the last step's spikes, before stop() returns

    def _chunk(self) -> None:
        if not self.started:  # the run's set-up (its code objects) is not lag
            self.started = True
            self.clock._wall0 = time.perf_counter() - (self.model.time_s - self.clock._sim0)
            self.clock._ready.set()
        self.model._deliver_spikes()
        if self._go_on() and self._wait(self.chunk_steps):
            self._feed(self.chunk_steps)
            self.clock._warn_if_late()

    def _wait(self, n_steps: int) -> bool:
        """Wait (without the lock) until the wall clock passes the next ``n_steps``' end.

        The lock is let go at every chunk, also when the worker is late, so that a bias
        change or a ``stop()`` from another thread waits for one chunk at most.
        """
        ahead = n_steps * self.dt - self.clock._due(self.model)
        SIMULATION_LOCK.release()
        try:
            self.clock._stop.wait(max(ahead, _YIELD_S))
        finally:
            SIMULATION_LOCK.acquire()
        return self._go_on()

    def _feed(self, n_steps: int) -> None:
        """Write the virtual events of the next ``n_steps`` into the input group."""
        model = self.model
        t0 = model.time_s
        indices, times = model._virtual_spikes(t0, t0 + n_steps * self.dt)
        group = model._virtual
        variables = group.variables
        for name in ("neuron_index", "spike_time", "spike_number", "_timebins"):
            variables[name].resize(len(indices))
        variables["neuron_index"].set_value(indices)
        variables["spike_time"].set_value(times)
        variables["spike_number"].set_value(np.arange(len(indices)))
        # the bins SpikeGeneratorGroup.before_run computes (shifted by 1e-3 dt, as there)
        variables["_timebins"].set_value(np.asarray((times + 1e-3 * self.dt) / self.dt,
                                                    dtype=np.int32))
        variables["_lastindex"].set_value(0)
        # a running code object holds these arrays as constants of the run: point it to the
        # new ones (its namespace is read at every step)
        codeobj = getattr(group, "codeobj", None)
        if codeobj is not None:
            for name in ("neuron_index", "_timebins"):
                array = variables[name].get_value()
                key = f"_array_{group.name}_{name}"
                codeobj.namespace[key] = array
                if f"_num{key}" in codeobj.namespace:
                    codeobj.namespace[f"_num{key}"] = len(array)

    def _go_on(self) -> bool:
        """Whether the run goes on; stops the network otherwise."""
        if self.clock._stop.is_set() or not self.clock.wanted() or not self.model._built:
            self.model._net.stop()
            return False
        return True


def _prepare(model: Any) -> bool:
    """Build (and compile) the model's network if needed; return whether it did."""
    if model._built:
        return False
    model._build()
    if model._net is not None:
        model._net.run(0 * second)  # compiles the code objects, advances nothing
    return True


_CLOCKS_LOCK = threading.Lock()
#: Clocks whose worker was started (stopped at interpreter exit, before Python tears down).
_RUNNING: weakref.WeakSet[RealTimeClock] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for clock in list(_RUNNING):
        clock.stop()


def clock_of(model: Any) -> RealTimeClock:
    """Return the real-time clock of ``model`` (made at the first call)."""
    clock = model.__dict__.get("_real_time_clock")
    if clock is None:
        with _CLOCKS_LOCK:
            clock = model.__dict__.get("_real_time_clock")
            if clock is None:
                clock = model.__dict__["_real_time_clock"] = RealTimeClock(model)
    return clock


def refuse_run(model: Any) -> None:
    """Raise when ``model.run`` is called from another thread while the clock runs."""
    clock = model.__dict__.get("_real_time_clock")
    if clock is not None and clock.is_running() and not clock.in_worker():
        raise RealTimeRunningError(
            f"{model.name} runs in real time (started by model.start() or a generator's "
            "start() in real-time mode): call model.stop() (and the generators' stop()) "
            "before model.run(duration), or read the spikes from a sink")
