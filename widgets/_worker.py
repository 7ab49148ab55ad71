"""The one simulation thread of a bench: the latest request wins.

ipykernel handles comm messages (a slider that moved) one at a time on the kernel's main
thread. A simulation inside an observer would make every step of a drag wait for the previous
simulation: a queue of stale runs. Instead, observers only *record* what was asked for and wake
the bench's worker thread; the worker applies everything pending at once and simulates. What
arrives while it simulates is merged (key by key, the latest value wins) into a single next
run.

:data:`SIMULATION_LOCK` is held by every worker while it applies and simulates, so that two
benches of one kernel never drive Brian2 at the same time (Brian2's device and a standalone
run's working directory are process-wide). Hold it yourself (:func:`simulation_lock`) to keep
every bench still, e.g. in a test that checks coalescing.

Examples
--------
>>> seen = []
>>> runner = LatestWinsRunner(lambda changes: seen.append(dict(changes)))
>>> with simulation_lock():          # the worker waits: the three requests merge
...     for value in (1, 2, 3):
...         _ = runner.request({"x": value})
>>> runner.wait(10)
True
>>> seen, runner.runs
([{'x': 3}], 1)
>>> runner.close()
"""

from __future__ import annotations

import contextvars
import threading
from collections import deque
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from dynsim.dynapse.realtime import SIMULATION_LOCK as _DYNSIM_SIMULATION_LOCK

__all__ = ["SIMULATION_LOCK", "LatestWinsRunner", "Outcome", "kernel_thread", "simulation_lock"]

#: Held by a bench's worker while it applies changes and simulates (one simulation at a time
#: per kernel, whichever bench asks). The same lock as the DYNAP-SE real-time worker's
#: (dynsim.dynapse.realtime), so that a bench and a model running in real time take turns.
SIMULATION_LOCK = _DYNSIM_SIMULATION_LOCK


def kernel_thread(target: Callable[[], Any], name: str) -> threading.Thread:
    """Start a daemon thread that runs ``target`` in a copy of the caller's context variables.

    ipykernel routes a message sent from a thread (a widget or Bokeh update) through the
    ``ContextVar`` of the shell's current parent message. A plain thread starts with an empty
    context; ipykernel 7.0 (Binder's pin) then raises ``LookupError`` on every comm message
    the thread sends (later versions fall back to the shell's context). Running the thread's
    target in :func:`contextvars.copy_context` of the starting thread gives it that parent.

    Parameters
    ----------
    target : callable
        The thread's body (no arguments).
    name : str
        The thread's name (shown in tracebacks and ``threading.enumerate()``).

    Returns
    -------
    threading.Thread
        The started thread.

    Examples
    --------
    >>> import contextvars
    >>> var = contextvars.ContextVar("var")
    >>> _ = var.set("parent message")
    >>> seen = []
    >>> kernel_thread(lambda: seen.append(var.get()), "demo").join()
    >>> seen
    ['parent message']
    """
    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(target,), name=name, daemon=True)
    thread.start()
    return thread


def simulation_lock() -> threading.RLock:
    """Return the process-wide lock that every bench holds while it simulates.

    Examples
    --------
    >>> with simulation_lock():
    ...     pass  # no bench simulates in here; their requests merge meanwhile
    """
    return SIMULATION_LOCK


@dataclass
class Outcome:
    """What one run of the worker gave.

    Attributes
    ----------
    ticket : int
        The last request ticket the run covered (every request up to it was merged in).
    result : object
        What the job returned (``None`` after an error).
    error : BaseException or None
        The exception the job raised, if any.
    """

    ticket: int
    result: Any = None
    error: BaseException | None = None


class LatestWinsRunner:
    """Run ``job(changes)`` on one background thread; pending requests merge, latest wins.

    Parameters
    ----------
    job : callable
        ``job(changes)`` with the merged changes (a dict; empty for a plain re-run). Runs on
        the worker thread while :data:`SIMULATION_LOCK` is held.
    on_error : callable, optional
        ``on_error(exc)`` on the worker thread when ``job`` raised (the bench shows it). An
        exception never ends the worker and never reaches the kernel.
    name : str
        Name of the thread (shown in debuggers).
    idle_exit : float
        Seconds without work after which the thread ends (a new request starts a new one),
        so that a bench nobody uses holds no thread.

    Attributes
    ----------
    runs : int
        Jobs run (each one simulation attempt).
    requests : int
        Requests received.
    failures : int
        Jobs that raised.

    Examples
    --------
    >>> runner = LatestWinsRunner(lambda changes: sum(changes.values()))
    >>> ticket = runner.request({"a": 1, "b": 2})
    >>> runner.wait_ticket(ticket, timeout=10).result
    3
    >>> runner.close()
    """

    def __init__(self, job: Callable[[dict[Hashable, Any]], Any], *,
                 on_error: Callable[[BaseException], Any] | None = None,
                 name: str = "dynsim-bench", idle_exit: float = 30.0) -> None:
        self._job = job
        self._on_error = on_error
        self._name = name
        self._idle_exit = idle_exit
        self._cond = threading.Condition()
        self._pending: dict[Hashable, Any] = {}
        self._has_pending = False
        self._issued = 0
        self._done = 0
        self._running = False
        self._closed = False
        self._thread: threading.Thread | None = None
        # the few latest outcomes, for wait_ticket (results can be large: keep few)
        self._outcomes: deque[Outcome] = deque(maxlen=8)
        self.runs = 0
        self.requests = 0
        self.failures = 0

    # ------------------------------------------------------------------ requests
    def request(self, changes: Mapping[Hashable, Any] | None = None) -> int:
        """Ask for a run with ``changes`` merged into what is pending; return its ticket.

        Returns at once. The ticket identifies the request for :meth:`wait_ticket`.

        Raises
        ------
        RuntimeError
            After :meth:`close`.
        """
        with self._cond:
            if self._closed:
                raise RuntimeError("this bench is closed; create a new one")
            if changes:
                self._pending.update(changes)
            self._has_pending = True
            self._issued += 1
            self.requests += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = kernel_thread(self._loop, self._name)
            self._cond.notify_all()
            return self._issued

    @property
    def busy(self) -> bool:
        """Whether a run is going on or requested."""
        with self._cond:
            return self._running or self._has_pending

    @property
    def pending(self) -> dict[Hashable, Any]:
        """A copy of the changes waiting for the next run."""
        with self._cond:
            return dict(self._pending)

    def in_worker(self) -> bool:
        """Whether the calling thread is this runner's worker."""
        return threading.current_thread() is self._thread

    # ------------------------------------------------------------------ waiting
    def wait(self, timeout: float | None = None) -> bool:
        """Block until nothing is running or pending; return ``False`` on timeout."""
        if self.in_worker():
            raise RuntimeError("wait() was called from the bench's own worker (a callback "
                               "of the simulation); it would wait for itself")
        with self._cond:
            return self._cond.wait_for(lambda: not (self._running or self._has_pending),
                                       timeout)

    def wait_ticket(self, ticket: int, timeout: float | None = None) -> Outcome | None:
        """Block until the run covering ``ticket`` has finished; return its :class:`Outcome`.

        Returns ``None`` on timeout (or when the outcome is too old to be remembered).
        """
        if self.in_worker():
            raise RuntimeError("a bench cannot wait for its own worker from inside a "
                               "simulation callback")
        with self._cond:
            if not self._cond.wait_for(lambda: self._done >= ticket, timeout):
                return None
            for outcome in self._outcomes:
                if outcome.ticket >= ticket:
                    return outcome
            return None

    # ------------------------------------------------------------------ worker
    def _loop(self) -> None:
        while True:
            with self._cond:
                if not self._cond.wait_for(lambda: self._has_pending or self._closed,
                                           self._idle_exit):
                    self._thread = None  # idle: end; the next request starts a new thread
                    return
                if self._closed:
                    return
                self._running = True
            # Wait for the simulation lock *before* taking the pending changes: whatever
            # arrives while another bench (or a test) holds it merges into this run.
            with SIMULATION_LOCK:
                with self._cond:
                    changes, self._pending = self._pending, {}
                    self._has_pending = False
                    covered = self._issued
                outcome = Outcome(covered)
                try:
                    outcome.result = self._job(changes)
                except Exception as exc:  # shown in the bench; the kernel must survive
                    outcome.error = exc
            if outcome.error is not None and self._on_error is not None:
                try:
                    self._on_error(outcome.error)
                except Exception:  # reporting must never end the worker
                    pass
            with self._cond:
                self.runs += 1
                self.failures += outcome.error is not None
                self._done = covered
                self._outcomes.append(outcome)
                self._running = False
                self._cond.notify_all()

    def close(self, timeout: float | None = 5.0) -> None:
        """Stop the worker after the run in progress (pending requests are dropped)."""
        with self._cond:
            self._closed = True
            self._pending.clear()
            self._has_pending = False
            thread = self._thread
            self._cond.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def __repr__(self) -> str:
        return (f"LatestWinsRunner({self._name!r}, runs={self.runs}, requests={self.requests}, "
                f"failures={self.failures}, busy={self.busy})")
