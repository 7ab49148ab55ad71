"""Parameter and mismatch sweeps on Dask: a grid of points times a function of one point.

A sweep runs a function of one point (an :class:`ExperimentPoint`, a :class:`NotebookPoint`,
or any picklable function returning a dictionary of measured quantities) over every point of a
grid, in worker *processes* of a ``dask.distributed`` cluster, and returns one pandas
``DataFrame`` row per point: its parameters, what it measured, its seed, its status (``'ok'``,
``'error'`` or ``'cancelled'``), the error text of a failed point, and where it came from
(``'computed'`` or ``'stored'``).

=====================  ===================================================================
``cluster=``           where the points run
=====================  ===================================================================
``None`` (default)     ``$DYNSIM_DASK_SCHEDULER`` when set, else a ``LocalCluster`` of one
                       single-threaded worker process per core, started for the sweep and
                       closed afterwards
``"tcp://host:8786"``  the scheduler at that address (dask-jobqueue, dask-gateway, Kubernetes);
                       one that does not answer raises :class:`~dynsim.errors.SchedulerError`
                       within :data:`CONNECT_TIMEOUT_S` seconds
a ``Client``           that client's cluster (left open)
``"serial"``           one point after another in *this* process (debugging, benchmarks)
=====================  ===================================================================

The calling process is never changed: nothing here changes its working directory, Brian2
device or preferences. Every worker gets its own dynsim cache (``$DYNSIM_CACHE_DIR`` of the
worker = ``<cache>/dask-workers/<worker name>``, set by :class:`WorkerIsolation` before the
worker builds anything), so its standalone projects are its own; its ``brian2-cython`` is a
link to the shared Cython cache (Brian2 compiles each module there under a file lock), so a
warm cache stays warm and a module that two workers need at once is compiled once.

Memory (a class JupyterHub or Binder allows ~1 GB per user, kernel and workers together): a
worker imports Brian2 without the packages it pulls in that no point uses
(:data:`WORKER_HIDDEN_MODULES`: pylab/matplotlib, pytest; ~30 MB per worker), an
:class:`ExperimentPoint` records the spikes only (:data:`POINT_RECORD`: no current of any
neuron at any step), and notebook points run one at a time per machine by default
(``NotebookPoint(max_running=1)``; each is a papermill process and a kernel, ~250 MB).

Fault tolerance: a point that raises is recorded with its error and the others go on; a worker
process that dies is replaced by its nanny and its point runs again (Dask reschedules it;
``retries`` more attempts for a point whose function raised an exception that escaped the
recording, e.g. a ``MemoryError`` while pickling). Given ``results=<folder>``, every point is
appended to ``<folder>/points.jsonl`` as it finishes, keyed by a hash of the function, the
point's parameters and the dynsim version, and a re-run computes only the points that are not
stored with status ``'ok'``.

Examples
--------
>>> from dynsim.sweep import ExperimentPoint, sweep
>>> table = sweep(ExperimentPoint(duration=0.2, engine="numpy"),
...               {"IF_DC_P": [(2, 60), (2, 120)]}, seeds=[1], progress=False)  # doctest: +SKIP
>>> list(table.columns)  # doctest: +SKIP
['IF_DC_P', 'seed', 'spikes', 'rate_Hz', 'rate_std_Hz', 'dc_current_A', 'status', 'error', ...]

References
----------
Dask Development Team, *Dask: Library for dynamic task scheduling* (2016),
https://distributed.dask.org
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import os
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from dynsim._paths import CACHE_ENV, cache_dir
from dynsim.errors import SchedulerError, SweepError, SweepGridError
from dynsim.validation import bounded_size, whole_number, whole_numbers

__all__ = [
    "CONNECT_TIMEOUT_S",
    "FIRST_POINT_ALONE",
    "MAX_POINTS",
    "NOTEBOOK_POINT_ENV",
    "POINT_RECORD",
    "RHEOBASE_CHUNK",
    "SCHEDULER_ENV",
    "WORKER_HIDDEN_MODULES",
    "ExperimentPoint",
    "NotebookPoint",
    "ResultStore",
    "Sweep",
    "WorkerIsolation",
    "connect",
    "grid_points",
    "machine_slot",
    "point_key",
    "sweep",
    "text_progress",
]

#: Environment variable naming the Dask scheduler a sweep uses by default.
SCHEDULER_ENV = "DYNSIM_DASK_SCHEDULER"
#: Seconds a scheduler address has to answer before :class:`SchedulerError`.
CONNECT_TIMEOUT_S = 8.0
#: Largest number of points of one sweep (the table of points is built in memory).
MAX_POINTS = 1_000_000
#: Columns every result row has besides the parameters and the measured quantities.
STATUS_COLUMNS = ("status", "error", "seconds", "worker", "source", "key")
#: Name of the JSON lines file of a results folder.
STORE_FILE = "points.jsonl"

ProgressCallback = Callable[[int, int, Mapping[str, Any]], Any]


# ============================================================================ the grid
def grid_points(grid: Any, seeds: Sequence[int] | None = None) -> Any:
    """Return the points of a grid as a pandas ``DataFrame`` (one row per point).

    Parameters
    ----------
    grid : dict of lists, pandas.DataFrame or list of dicts
        ``{"IF_DC_P": [(2, 60), (2, 90)], "duration": [0.2, 0.5]}`` gives the Cartesian
        product (4 points, the last name varying fastest); a table or a list of dictionaries
        gives its rows as they are.
    seeds : sequence of int, optional
        Seeds to cross with every point (a ``seed`` column, varying fastest).

    Returns
    -------
    pandas.DataFrame
        The points, with a fresh ``RangeIndex``.

    Raises
    ------
    dynsim.errors.SweepGridError
        A grid of another type, a name that is not a string, an empty list of values, no
        points, more than :data:`MAX_POINTS` points, or a ``seed`` given twice.

    Examples
    --------
    >>> grid_points({"a": [1, 2], "b": ["x"]}, seeds=[0, 1]).shape
    (4, 3)
    """
    import pandas as pd

    if isinstance(grid, pd.DataFrame):
        table = grid.reset_index(drop=True).copy()
    elif isinstance(grid, Mapping):
        names = list(grid)
        values = []
        for name in names:
            if not isinstance(name, str) or not name:
                raise SweepGridError(f"grid names must be non-empty strings, got {name!r}")
            options = grid[name]
            if isinstance(options, str | bytes) or not hasattr(options, "__iter__"):
                raise SweepGridError(f"grid[{name!r}] must be a list of values, got "
                                     f"{type(options).__name__}")
            options = list(options)
            if not options:
                raise SweepGridError(f"grid[{name!r}] is empty: give at least one value")
            values.append(options)
        size = math.prod(len(v) for v in values) * (len(seeds) if seeds is not None else 1)
        bounded_size(size, "the number of sweep points", high=MAX_POINTS, error=SweepGridError)
        combos = list(itertools.product(*values))
        columns = {}
        for k, name in enumerate(names):
            column = [combo[k] for combo in combos]
            # None stays None (not NaN, which would also turn the column's integers to floats)
            has_none = any(v is None for v in column)
            columns[name] = pd.Series(column, dtype=object if has_none else None)
        table = pd.DataFrame(columns, columns=names)
    elif isinstance(grid, Sequence) and not isinstance(grid, str | bytes) \
            and all(isinstance(row, Mapping) for row in grid):
        bounded_size(len(grid), "the number of sweep points", high=MAX_POINTS,
                     error=SweepGridError)
        table = pd.DataFrame([dict(row) for row in grid])
    else:
        raise SweepGridError("a sweep grid is a dict {name: list of values}, a pandas "
                             f"DataFrame or a list of dicts; got {type(grid).__name__}")
    for name in table.columns:
        if not isinstance(name, str) or not name:
            raise SweepGridError(f"grid names must be non-empty strings, got {name!r}")
        if name in STATUS_COLUMNS:
            raise SweepGridError(f"{name!r} is a result column of a sweep; rename the parameter"
                                 f" (reserved: {', '.join(STATUS_COLUMNS)})")
    if seeds is not None:
        if "seed" in table.columns:
            raise SweepGridError("the grid has a 'seed' column already; give seeds there or "
                                 "as seeds=, not both")
        checked = [whole_number(s, "seed", low=0, high=2**32 - 1, error=SweepGridError)
                   for s in seeds]
        if not checked:
            raise SweepGridError("seeds is empty: give at least one seed")
        bounded_size(len(table) * len(checked), "the number of sweep points", high=MAX_POINTS,
                     error=SweepGridError)
        table = table.loc[table.index.repeat(len(checked))].reset_index(drop=True)
        table["seed"] = checked * (len(table) // len(checked))
    if len(table) == 0:
        raise SweepGridError("the sweep grid has no points")
    bounded_size(len(table), "the number of sweep points", high=MAX_POINTS, error=SweepGridError)
    return table


def _plain(value: Any) -> Any:
    """Return ``value`` as plain JSON data (tuples → lists, numpy scalars → Python)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "dim") and hasattr(value, "__float__"):  # a Brian2 quantity
        return repr(value)
    return value


def function_identity(function: Callable[..., Any]) -> str:
    """Return a stable text naming a point function (part of every stored point's key).

    A dataclass point (:class:`ExperimentPoint`, :class:`NotebookPoint`) is named by its
    ``repr`` (its settings); a plain function by its module and qualified name.
    """
    identity = getattr(function, "sweep_identity", None)
    if callable(identity):
        return str(identity())
    module = getattr(function, "__module__", None) or type(function).__module__
    name = getattr(function, "__qualname__", None) or type(function).__qualname__
    return f"{module}.{name}"


def point_key(point: Mapping[str, Any], function: Callable[..., Any] | str) -> str:
    """Return the key of a point: a SHA-256 of its function, parameters and dynsim version.

    Parameters
    ----------
    point : mapping
        The point's parameters (order does not matter).
    function : callable or str
        The point function (or its :func:`function_identity`).

    Examples
    --------
    >>> point_key({"a": 1, "b": (2, 3)}, "f") == point_key({"b": [2, 3], "a": 1}, "f")
    True
    """
    import dynsim

    identity = function if isinstance(function, str) else function_identity(function)
    text = json.dumps({"function": identity, "point": _plain(dict(point)),
                       "dynsim": dynsim.__version__}, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


# ============================================================================ the store
class ResultStore:
    """A results folder: one JSON line per finished point, appended as it finishes.

    Parameters
    ----------
    folder : str or Path
        Created when missing. The points are in ``folder/points.jsonl``; a later line of the
        same key replaces an earlier one.

    Examples
    --------
    >>> import tempfile
    >>> store = ResultStore(tempfile.mkdtemp())
    >>> store.add({"key": "k", "status": "ok", "result": {"x": 1}})
    >>> store.load()["k"]["result"]
    {'x': 1}
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        if not isinstance(folder, str | os.PathLike):
            raise SweepError(f"results must be a folder path, got {type(folder).__name__}")
        self.folder = Path(folder).expanduser()
        if self.folder.exists() and not self.folder.is_dir():
            raise SweepError(f"results folder {self.folder} is a file, not a folder")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / STORE_FILE
        self._lock = threading.Lock()

    def load(self) -> dict[str, dict[str, Any]]:
        """Return the stored points by key (a damaged last line, e.g. after a crash, is skipped)."""
        stored: dict[str, dict[str, Any]] = {}
        if not self.path.exists():
            return stored
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(entry, dict) and isinstance(entry.get("key"), str):
                    stored[entry["key"]] = entry
        return stored

    def add(self, entry: Mapping[str, Any]) -> None:
        """Append one point (flushed and synced, so a crash loses at most this line)."""
        line = json.dumps(_plain(dict(entry)), sort_keys=True, default=repr)
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())


# ============================================================================ workers
#: Set in a worker process: the dynsim cache of its environment (the root of the workers' own).
_ROOT_CACHE_ENV = "DYNSIM_SWEEP_ROOT_CACHE"


def _root_cache() -> Path:
    """Return the cache the sweep's workers share: their environment's, not their own."""
    return Path(os.environ.get(_ROOT_CACHE_ENV) or cache_dir())


class WorkerIsolation:
    """Dask worker plugin: a dynsim cache of the worker's own, set before it builds anything.

    ``setup`` runs in every worker process (also in one that a nanny restarts after a crash):
    it points ``$DYNSIM_CACHE_DIR`` at ``<cache>/dask-workers/<worker name>`` (the cache of
    the worker's environment as the root), so the worker's Brian2 standalone projects (which
    two processes must not build or run in one folder) are its own, and makes the
    ``brian2-cython`` folder there a link to the root cache's (:func:`_share_cython_cache`):
    Brian2 compiles each Cython module under a lock file next to it
    (``prefs.codegen.runtime.cython.multiprocess_safe``), so a module that the kernel or another
    worker compiled is loaded, and one that two workers need at the same time is compiled by
    one while the other waits (on a cold cache: one compiler and one compiling worker in
    memory instead of one per worker). When Brian2 was imported there already, it moves its
    Cython cache too. It imports Brian2 (whose import installs a signal handler, possible only
    in a process's main thread, where ``setup`` runs; the points run in the worker's task
    thread).
    """

    name = "dynsim-worker-isolation"
    idempotent = True

    def setup(self, worker: Any) -> None:
        """Give this worker process its own dynsim cache directory over the shared Cython cache."""
        root = _root_cache()
        os.environ[_ROOT_CACHE_ENV] = str(root)
        label = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(worker.name))
        own = root / "dask-workers" / f"worker-{label}"
        own.mkdir(parents=True, exist_ok=True)
        _share_cython_cache(own / "brian2-cython", root / "brian2-cython")
        os.environ[CACHE_ENV] = str(own)
        already = "brian2" in sys.modules
        # Brian2 installs a SIGINT handler when it is imported, which only works in a process's
        # main thread; setup runs there, the points run in the worker's task thread.
        _import_without(WORKER_HIDDEN_MODULES, "brian2")
        from brian2 import prefs

        if already:
            prefs.codegen.runtime.cython.cache_dir = str(own / "brian2-cython")


def _share_cython_cache(link: Path, shared: Path) -> None:
    """Make ``link`` (a worker's ``brian2-cython``) a link to the shared Cython cache ``shared``.

    A folder of the former layout (a worker's own modules beside links to the shared ones) is
    moved aside, its compiled modules moved into ``shared`` and the rest deleted; a link
    already there is kept (several processes may set up a worker of the same name at once:
    each step tolerates the others'). Where no directory link can be made (a file system
    without them), ``link`` stays a folder of its own holding a link to each module compiled
    in ``shared`` so far (new modules are then compiled there).

    Parameters
    ----------
    link : Path
        The worker's Cython cache (``<cache>/dask-workers/worker-<name>/brian2-cython``).
    shared : Path
        The root cache's (``<cache>/brian2-cython``), created when missing.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> _share_cython_cache(root / "worker" / "brian2-cython", root / "brian2-cython")
    >>> (root / "worker" / "brian2-cython").resolve() == (root / "brian2-cython").resolve()
    True
    """
    import shutil

    shared.mkdir(parents=True, exist_ok=True)
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() and link.resolve() == shared.resolve():
        return
    if link.is_dir() and not link.is_symlink():
        aside = link.with_name(f"{link.name}.old-{os.getpid()}-{os.urandom(4).hex()}")
        with contextlib.suppress(OSError):  # another process moved it first
            link.rename(aside)
        if aside.is_dir():  # the worker's own compiled modules join the shared cache
            for item in aside.iterdir():
                if item.suffix in (".so", ".pyd") and not item.is_symlink() \
                        and not (shared / item.name).exists():
                    with contextlib.suppress(OSError):
                        os.replace(item, shared / item.name)
        shutil.rmtree(aside, ignore_errors=True)
    temporary = link.with_name(f"{link.name}.new-{os.getpid()}-{os.urandom(4).hex()}")
    try:
        temporary.symlink_to(shared, target_is_directory=True)
        os.replace(temporary, link)  # atomic, also over another process's link
        return
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
        if link.is_symlink() and link.resolve() == shared.resolve():
            return
    link.mkdir(parents=True, exist_ok=True)
    for item in shared.iterdir():
        target = link / item.name
        if item.is_file() and not item.name.endswith(".lock") \
                and not target.exists() and not target.is_symlink():
            with contextlib.suppress(OSError):
                target.symlink_to(item)


#: Packages Brian2's import pulls into a process that a sweep point never uses: ``pylab`` and
#: ``matplotlib`` (Brian2's ``from pylab import *``), ``pytest`` (``brian2.tests``). A worker
#: imports Brian2 with them hidden (Brian2 supports their absence: ``try/except ImportError``)
#: and keeps about 30 MB less per worker process; they stay importable afterwards (a point
#: function that plots imports ``matplotlib.pyplot`` itself; Brian2's namespace in a worker
#: has numpy's names in place of pylab's).
WORKER_HIDDEN_MODULES = ("pylab", "matplotlib", "pytest")


def _import_without(hidden: Sequence[str], module: str) -> Any:
    """Import ``module`` with the packages ``hidden`` unimportable meanwhile; return it.

    A hidden package not imported yet raises ``ImportError`` while ``module`` is imported
    (``sys.modules[name] = None``); afterwards every hidden name is importable again. A package
    already imported stays as it is (nothing is unloaded); so does ``module`` if imported.

    Parameters
    ----------
    hidden : sequence of str
        Top-level package names (e.g. :data:`WORKER_HIDDEN_MODULES`).
    module : str
        The module to import (e.g. ``"brian2"``).

    Examples
    --------
    >>> _import_without(["no_such_optional_package"], "json").__name__
    'json'
    """
    import importlib

    if module in sys.modules:
        return sys.modules[module]
    blocked = [name for name in hidden if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        return importlib.import_module(module)
    finally:
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def _worker_plugin() -> Any:
    from distributed.diagnostics.plugin import WorkerPlugin

    class _Plugin(WorkerIsolation, WorkerPlugin):
        pass

    return _Plugin()


def _check_address(address: str) -> str:
    if not isinstance(address, str) or "://" not in address:
        raise SchedulerError(f"a scheduler address looks like 'tcp://host:8786', got "
                             f"{address!r} (or give cluster=None, 'serial' or a Client)")
    return address


def _probe(address: str, timeout: float) -> None:
    """Open and close a TCP connection to a ``tcp://host:port`` address (OSError if none)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address)
    if parts.scheme in ("tcp", "tls") and parts.hostname and parts.port:
        with socket.create_connection((parts.hostname, parts.port), timeout=timeout):
            pass


@contextlib.contextmanager
def connect(cluster: Any = None, *, n_workers: int | None = None) -> Iterator[Any]:
    """Yield a ``dask.distributed.Client`` set up for dynsim sweeps; close what it started.

    Parameters
    ----------
    cluster : None, str or Client
        ``None``: ``$DYNSIM_DASK_SCHEDULER`` when set, else a new ``LocalCluster`` of worker
        processes with one thread each; an address ``'tcp://host:8786'``; or a ``Client``
        (used as it is and left open).
    n_workers : int, optional
        Workers of a new ``LocalCluster`` (default: one per core, 1..256).

    Raises
    ------
    dynsim.errors.SchedulerError
        The address does not answer within :data:`CONNECT_TIMEOUT_S` seconds.

    Examples
    --------
    >>> with connect(n_workers=2) as client:  # doctest: +SKIP
    ...     len(client.scheduler_info()["workers"])
    2
    """
    from distributed import Client, LocalCluster

    if n_workers is not None:
        n_workers = whole_number(n_workers, "n_workers", low=1, high=256, error=SweepError)
    if cluster is None:
        cluster = os.environ.get(SCHEDULER_ENV) or None
    if isinstance(cluster, Client):
        cluster.register_plugin(_worker_plugin(), name=WorkerIsolation.name)
        yield cluster
        return
    if cluster is None:
        local = LocalCluster(n_workers=n_workers or max(1, os.cpu_count() or 1),
                             threads_per_worker=1, processes=True, dashboard_address=None,
                             silence_logs=40)
        try:
            client = Client(local, set_as_default=False)
            try:
                client.register_plugin(_worker_plugin(), name=WorkerIsolation.name)
                yield client
            finally:
                client.close()
        finally:
            local.close()
        return
    address = _check_address(cluster)
    try:
        _probe(address, CONNECT_TIMEOUT_S / 2)
        client = Client(address, timeout=CONNECT_TIMEOUT_S / 2, set_as_default=False)
    except (OSError, TimeoutError) as error:
        raise SchedulerError(f"the Dask scheduler at {address} did not answer within "
                             f"{CONNECT_TIMEOUT_S:g} s ({type(error).__name__}); start it "
                             f"(dask scheduler) or unset ${SCHEDULER_ENV}") from None
    try:
        client.register_plugin(_worker_plugin(), name=WorkerIsolation.name)
        yield client
    finally:
        client.close()


# ============================================================================ one point
def _execute(function: Callable[..., Mapping[str, Any]], point: dict[str, Any],
             key: str) -> dict[str, Any]:
    """Run one point; return its row (never raises for an exception of the function)."""
    started = time.perf_counter()
    entry: dict[str, Any] = {"key": key, "worker": os.getpid()}
    try:
        result = function(**point)
        if not isinstance(result, Mapping):
            raise SweepError(f"a sweep function returns a dict of measured quantities, got "
                             f"{type(result).__name__}")
        entry.update(status="ok", error="", result=_plain(dict(result)))
    except Exception as error:  # a failed point is recorded, the others go on
        last = traceback.format_exception_only(type(error), error)[-1].strip()
        entry.update(status="error", error=last, result={})
    entry["seconds"] = time.perf_counter() - started
    if _COMPILER_MODULE in sys.modules:  # this process compiled (see FIRST_POINT_ALONE)
        with contextlib.suppress(Exception):
            from distributed import get_worker

            entry[_COMPILED_IN] = get_worker().address
    return entry


def _signature_names(function: Callable[..., Any]) -> set[str] | None:
    """Return the keyword names ``function`` accepts, or None when it takes ``**kwargs``."""
    import inspect

    target = function if inspect.isfunction(function) or inspect.ismethod(function) \
        else getattr(function, "__call__", function)  # noqa: B004
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


# ============================================================================ the sweep
#: A sweep on a cluster (of a function without ``first_point_alone = False``, which
#: :class:`NotebookPoint` has) runs its first point alone, preferably on the same worker for every
#: sweep of a client (:func:`_first_worker`), and submits the others when it has finished.
#: On a cold cache that worker compiles the point's new Cython modules (into the shared cache)
#: while the other workers wait idle, then load them: one process compiles at a time, and the
#: others never hold Cython's compiler. dynsim compiles a module in a short-lived child
#: process (:data:`dynsim._brian.COMPILE_IN_CHILD`), so the worker keeps none of it; a process
#: that compiled in itself keeps ~210 MB (an Experiment's first run took a fresh process to
#: 359 MB on a cold cache, 145 MB on a warm one), so a worker of a ``LocalCluster`` the sweep's
#: client started that did (``DYNSIM_COMPILE_IN_CHILD=0``, or a child that failed) is restarted by
#: its nanny (a fresh process, the same :class:`WorkerIsolation` setup, ~3-5 s) before the
#: others are submitted. On a warm cache this costs the time of one point.
FIRST_POINT_ALONE = True
#: A module Cython imports only when it compiles (in a worker: it has compiled something).
_COMPILER_MODULE = "Cython.Compiler.Pipeline"
#: Key of a point's entry naming the worker that compiled (removed before the entry is kept).
_COMPILED_IN = "_compiled_in"


def _started_here(client: Any) -> bool:
    """Tell whether ``client`` runs on a ``LocalCluster`` of this process (its own workers)."""
    from distributed import LocalCluster

    return isinstance(getattr(client, "cluster", None), LocalCluster)


def _first_worker(client: Any) -> list[str] | None:
    """Return the worker preferred for a sweep's first point (the first address), or None."""
    with contextlib.suppress(Exception):
        workers = sorted(client.scheduler_info().get("workers", {}))
        if workers:
            return workers[:1]
    return None


def text_progress(stream: Any = None) -> ProgressCallback:
    """Return a progress callback drawing a one-line bar on a terminal (``stderr``)."""
    out = stream if stream is not None else sys.stderr

    def show(done: int, total: int, row: Mapping[str, Any]) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        failed = " (last point failed)" if row.get("status") == "error" else ""
        out.write(f"\rsweep [{'#' * filled}{'.' * (width - filled)}] {done}/{total}{failed}")
        if done >= total:
            out.write("\n")
        out.flush()

    return show


class Sweep:
    """A sweep of ``function`` over ``grid``: :meth:`run` it, :meth:`cancel` it from elsewhere.

    Parameters
    ----------
    function : callable
        A picklable function of one point's parameters (keywords) returning a dict of measured
        quantities (numbers, strings, lists), e.g. an :class:`ExperimentPoint`.
    grid : dict of lists, pandas.DataFrame or list of dicts
        The points (see :func:`grid_points`).
    seeds : sequence of int, optional
        Seeds crossed with every point (passed to the function as ``seed=``).
    cluster : None, str or Client
        Where the points run (see the module docstring); ``'serial'`` runs them here.
    n_workers : int, optional
        Workers of a ``LocalCluster`` started for the sweep (default: one per core).
    results : str or Path, optional
        Results folder: points are stored as they finish; stored ``'ok'`` points are not
        computed again.
    retries : int
        Extra attempts of a point whose task failed outside the function (0..10, default 2).
    progress : bool or callable
        ``True``: a text bar on stderr; a callable ``(done, total, row)``, e.g.
        ``dynsim.widgets.SweepProgress()`` in Jupyter; ``False``: none.
    validate : callable, optional
        Called with each point's parameters before any work starts; raises the error of the
        point (default: ``function.validate`` when it has one).

    Raises
    ------
    dynsim.errors.SweepGridError
        The grid is malformed, or names a parameter the function does not take.
    DynsimError
        The error a point's own validation raises (e.g. ``BiasRangeError``), before anything
        runs.
    """

    def __init__(self, function: Callable[..., Mapping[str, Any]], grid: Any, *,
                 seeds: Sequence[int] | None = None, cluster: Any = None,
                 n_workers: int | None = None, results: str | os.PathLike[str] | None = None,
                 retries: int = 2, progress: bool | ProgressCallback = True,
                 validate: Callable[[Mapping[str, Any]], Any] | None = None) -> None:
        if not callable(function):
            raise SweepError(f"function must be callable, got {type(function).__name__}")
        self.function = function
        self.points = grid_points(grid, seeds)
        self.retries = whole_number(retries, "retries", low=0, high=10, error=SweepError)
        if n_workers is not None:
            n_workers = whole_number(n_workers, "n_workers", low=1, high=256, error=SweepError)
        self.n_workers = n_workers
        if isinstance(cluster, str) and cluster != "serial":
            _check_address(cluster)
        self.cluster = cluster
        if progress is True:
            progress = text_progress()
        if progress is not False and progress is not None and not callable(progress):
            raise SweepError("progress must be True, False or a callable (done, total, row)")
        self.progress = progress or None
        self.store = ResultStore(results) if results is not None else None
        self._validate_points(validate if validate is not None
                              else getattr(function, "validate", None))
        self.keys = [point_key(p, function) for p in self._records()]
        self._cancelled = threading.Event()
        self._client: Any = None
        self._futures: list[Any] = []

    # ---------------------------------------------------------------- helpers
    def _records(self) -> list[dict[str, Any]]:
        records = self.points.to_dict(orient="records")
        return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in r.items()}
                for r in records]

    def _validate_points(self, validate: Callable[[Mapping[str, Any]], Any] | None) -> None:
        accepted = _signature_names(self.function)
        if accepted is not None:
            unknown = [n for n in self.points.columns if n not in accepted]
            if unknown:
                from dynsim.errors import suggest

                raise SweepGridError(f"the sweep function takes no parameter {unknown[0]!r}; "
                                     f"it takes {', '.join(sorted(accepted)) or 'none'}."
                                     + suggest(unknown[0], accepted))
        if validate is None:
            return
        for index, point in enumerate(self._records()):
            try:
                validate(point)
            except Exception as error:
                error.add_note(f"(sweep point {index}: {point}; nothing was run)")
                raise

    def cancel(self) -> None:
        """Cancel the points that have not finished (from another thread, or a widget)."""
        self._cancelled.set()
        client, futures = self._client, list(self._futures)
        if client is not None and futures:
            with contextlib.suppress(Exception):
                client.cancel(futures)

    # ---------------------------------------------------------------- running
    def run(self) -> Any:
        """Run the points not stored yet; return the table of every point (grid order).

        Returns
        -------
        pandas.DataFrame
            The parameters, the measured quantities, ``status``, ``error``, ``seconds``,
            ``worker`` (process id), ``source`` (``'computed'`` or ``'stored'``) and ``key``.

        Raises
        ------
        KeyboardInterrupt
            After cancelling the remaining points (finished ones are in the results folder).
        dynsim.errors.SchedulerError
            The scheduler address does not answer.
        """
        records = self._records()
        entries: dict[int, dict[str, Any]] = {}
        stored = self.store.load() if self.store is not None else {}
        todo = []
        for index, key in enumerate(self.keys):
            old = stored.get(key)
            if old is not None and old.get("status") == "ok":
                entries[index] = dict(old, source="stored")
            else:
                todo.append(index)
        total, done = len(records), len(entries)
        if self.progress is not None and done:
            self.progress(done, total, {"status": "ok"})

        def finish(index: int, entry: dict[str, Any]) -> None:
            nonlocal done
            entry["source"] = "computed"
            entries[index] = entry
            if self.store is not None:
                self.store.add(dict(entry, point=records[index]))
            done += 1
            if self.progress is not None:
                self.progress(done, total, entry)

        if todo and self.cluster == "serial":
            for index in todo:
                if self._cancelled.is_set():
                    break
                finish(index, _execute(self.function, records[index], self.keys[index]))
        elif todo:
            with connect(self.cluster, n_workers=self.n_workers) as client:
                self._run_on(client, todo, records, finish)
        return self._table(records, entries)

    def _run_on(self, client: Any, todo: list[int], records: list[dict[str, Any]],
                finish: Callable[[int, dict[str, Any]], None]) -> None:
        from distributed import as_completed

        function = self.function
        futures: dict[Any, int] = {}

        def submit(indices: list[int], workers: list[str] | None = None) -> list[Any]:
            new = [client.submit(_execute, function, records[index], self.keys[index],
                                 retries=self.retries, pure=False, workers=workers,
                                 allow_other_workers=workers is not None,
                                 key=f"dynsim-point-{index}-{self.keys[index][:12]}-"
                                     f"{os.urandom(4).hex()}")
                   for index in indices]
            futures.update(zip(new, indices, strict=True))
            self._futures = list(futures)
            return new

        # the first point alone (FIRST_POINT_ALONE), then the others
        alone = getattr(function, "first_point_alone", True) and FIRST_POINT_ALONE
        held = todo[1:] if alone else []
        self._client = client
        pending = as_completed(submit(todo[:len(todo) - len(held)],
                                      _first_worker(client) if held else None),
                               loop=client.loop)
        try:
            for future in pending:
                index = futures[future]
                if self._cancelled.is_set():
                    break
                if future.status == "cancelled":
                    continue
                try:
                    entry = future.result()
                except Exception as error:  # e.g. KilledWorker: the worker died too often
                    last = traceback.format_exception_only(type(error), error)[-1].strip()
                    entry = {"key": self.keys[index], "status": "error", "error": last,
                             "result": {}, "seconds": float("nan"), "worker": None}
                compiled_in = entry.pop(_COMPILED_IN, None)
                if held:
                    if compiled_in is not None and _started_here(client):
                        with contextlib.suppress(Exception):  # a fresh process, same setup
                            client.restart_workers([compiled_in], raise_for_error=False)
                    pending.update(submit(held))
                    held = []
                finish(index, entry)
        except KeyboardInterrupt:
            self.cancel()
            raise
        finally:
            with contextlib.suppress(Exception):
                client.cancel(list(futures))
            self._client, self._futures = None, []

    def _table(self, records: list[dict[str, Any]], entries: dict[int, dict[str, Any]]) -> Any:
        import pandas as pd

        rows = []
        for index, point in enumerate(records):
            entry = entries.get(index)
            if entry is None:
                entry = {"status": "cancelled", "error": "the sweep was cancelled",
                         "result": {}, "seconds": float("nan"), "worker": None,
                         "source": "computed", "key": self.keys[index]}
            row = dict(point)
            for name, value in (entry.get("result") or {}).items():
                if name not in row:
                    row[name] = value
            for name in STATUS_COLUMNS:
                row[name] = entry.get(name)
            rows.append(row)
        columns = list(self.points.columns)
        measured = [c for r in rows for c in r if c not in columns and c not in STATUS_COLUMNS]
        columns += list(dict.fromkeys(measured)) + list(STATUS_COLUMNS)
        return pd.DataFrame(rows, columns=columns)


def sweep(function: Callable[..., Mapping[str, Any]], grid: Any, **options: Any) -> Any:
    """Run ``function`` over every point of ``grid``; return one table row per point.

    The options are those of :class:`Sweep` (``seeds``, ``cluster``, ``n_workers``,
    ``results``, ``retries``, ``progress``, ``validate``). A Ctrl-C (a kernel interrupt)
    cancels the remaining points.

    Examples
    --------
    >>> def square(x):
    ...     return {"y": x * x}
    >>> sweep(square, {"x": [1, 2, 3]}, cluster="serial", progress=False)["y"].tolist()
    [1, 4, 9]
    """
    return Sweep(function, grid, **options).run()


# ============================================================================ point functions
_INPUT_TYPES = ("AMPA", "NMDA", "GABA_A", "GABA_B")
#: Neurons whose rheobase :class:`ExperimentPoint` computes at once.
#: :func:`dynsim.dynapse.physics.rheobase` evaluates a grid of 40,000 membrane currents per
#: neuron (several arrays of ``neurons x 40,000`` doubles): 200 neurons at once were a peak of
#: 245 MB in the worker, 8 at a time ~10 MB. Each neuron's rheobase is computed alone (a row
#: of the grid), so the chunks change no number.
RHEOBASE_CHUNK = 8
#: What the Experiment of an :class:`ExperimentPoint` records: no current, the spikes only
#: (``Experiment(record=())``), since a point returns spike counts and rates.
POINT_RECORD: tuple[str, ...] = ()
#: Experiments kept per process by ExperimentPoint(reuse=True), by (n_neurons, engine, name)
_EXPERIMENTS: dict[tuple[Any, ...], Any] = {}
#: at most this many (the oldest is dropped first)
_MAX_EXPERIMENTS = 4


@dataclass(frozen=True)
class ExperimentPoint:
    """One run of a :class:`dynsim.dynapse.Experiment` as a function of a sweep point.

    The point's parameters may be bias names (``IF_DC_P=(2, 100)``, ``Idc=40e-12``, any form
    ``Experiment.set_bias`` takes), ``seed`` (seed of the input trains), ``mismatch_seed`` (a
    chip: :class:`~dynsim.dynapse.Mismatch` with ``mismatch_sigma``), ``mismatch_seeds`` (a
    sequence of ``n_neurons`` chips, one per neuron: neuron ``k`` of the run is the first
    neuron of chip ``mismatch_seeds[k]``, so a Monte Carlo over many chips costs one run per
    batch of chips, and a chip's result does not depend on its batch), ``duration`` (s), and
    ``<TYPE>_rate`` (Hz) / ``<TYPE>_weight`` for ``TYPE`` in AMPA, NMDA, GABA_A, GABA_B
    (a Poisson input). Anything else is refused by the same call a single run makes
    (``UnknownBiasError`` naming the close bias names). The Experiment records the spikes
    only (:data:`POINT_RECORD`): what a point returns is counted from them, and the same
    run recording every current gives the same spikes.

    Parameters
    ----------
    n_neurons : int
        Neurons of the experiment (1..256).
    duration : float
        Simulated seconds of a run unless the point gives ``duration``.
    engine : str, optional
        dynsim engine in the worker (default: the worker's ``$DYNSIM_ENGINE`` or ``'auto'``).
    biases : dict
        Biases set before the point's own (e.g. ``{"IF_AHW_P": (0, 0)}``: adaptation off).
    mismatch_sigma : float
        Relative spread of a ``mismatch_seed`` chip (default 0.1).
    name : str
        Name of the Brian2 objects (and standalone project) in the worker.
    reuse : bool
        Keep the worker's Experiment (its built network or compiled program) for the next
        point with the same ``n_neurons``, ``engine`` and ``name``, setting every bias, input,
        seed and mismatch of each point from the defaults (default True: a point then costs
        its simulation only). False builds a new Experiment per point.
    rheobase : bool
        Also return the rheobase of every neuron from the physics
        (:func:`dynsim.dynapse.physics.rheobase` of its bias currents with its mismatch;
        default False).

    Returns (of a call)
    -------------------
    dict
        ``spikes`` (all neurons), ``rate_Hz`` (mean over neurons), ``rate_std_Hz``,
        ``rates_Hz`` (per neuron, when ``n_neurons > 1``) and ``dc_current_A`` (the
        ``IF_DC_P`` current of the point's biases); with ``rheobase=True`` also
        ``rheobase_A`` (mean over neurons) and, when ``n_neurons > 1``, ``rheobases_A``.

    Examples
    --------
    >>> point = ExperimentPoint(duration=0.2, engine="numpy", biases={"IF_AHW_P": (0, 0)})
    >>> point(IF_DC_P=(2, 150), seed=1)["spikes"] > 0  # doctest: +SKIP
    True
    """

    n_neurons: int = 1
    duration: float = 0.3
    engine: str | None = None
    biases: Mapping[str, Any] = field(default_factory=dict)
    mismatch_sigma: float = 0.1
    name: str = "sweep_point"
    reuse: bool = True
    rheobase: bool = False

    def __post_init__(self) -> None:
        whole_number(self.n_neurons, "n_neurons", low=1, high=256, error=SweepError)

    def sweep_identity(self) -> str:
        """Return the text identifying this function in stored points' keys (not ``reuse``)."""
        import dataclasses

        return repr(dataclasses.replace(self, reuse=True))

    def _split(self, point: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any],
                                                         dict[str, Any]]:
        biases, inputs, other = dict(self.biases), {}, {}
        for name, value in point.items():
            head, _, tail = name.rpartition("_")
            if head in _INPUT_TYPES and tail in ("rate", "weight"):
                inputs.setdefault(head, {})[tail] = value
            elif name in ("seed", "mismatch_seed", "mismatch_seeds", "duration"):
                other[name] = value
            else:
                biases[name] = value
        return biases, inputs, other

    def _settings(self, point: Mapping[str, Any]) -> dict[str, Any]:
        """Check a point; return what a run needs (raises the single call's errors)."""
        from dynsim.dynapse import Mismatch
        from dynsim.dynapse.biases import resolve_biases
        from dynsim.validation import duration_seconds

        biases, inputs, other = self._split(point)
        mismatch = None
        if other.get("mismatch_seed") is not None and other.get("mismatch_seeds") is not None:
            raise SweepError("give a point either mismatch_seed (one chip) or mismatch_seeds "
                             "(one chip per neuron), not both")
        if other.get("mismatch_seed") is not None:
            chip = whole_number(other["mismatch_seed"], "mismatch_seed", low=0, high=2**32 - 1)
            mismatch = Mismatch(sigma=self.mismatch_sigma, seed=chip)
        elif other.get("mismatch_seeds") is not None:
            mismatch = _chips(other["mismatch_seeds"], self.mismatch_sigma, self.n_neurons)
        return {"biases": resolve_biases(biases), "inputs": inputs, "mismatch": mismatch,
                "seed": whole_number(other.get("seed", 0), "seed", low=0, high=2**32 - 1),
                "duration": duration_seconds(other.get("duration", self.duration),
                                             high=3600.0, plain_ok=True)}

    def _experiment(self, settings: Mapping[str, Any], *, reuse: bool) -> Any:
        """Return an Experiment set up for ``settings`` (reused within a process if asked)."""
        from dynsim.dynapse import Dynapse1ParameterGroup, Experiment

        key = (self.n_neurons, self.engine, self.name)
        experiment = _EXPERIMENTS.get(key) if reuse else None
        if experiment is None:
            # a point returns spike counts only: record no current (the spikes come from the
            # same simulation; six currents of 200 neurons over 0.3 s were 29 MB, and more
            # while their arrays grew)
            experiment = Experiment(self.n_neurons, engine=self.engine, name=self.name,
                                    record=POINT_RECORD)
            if reuse:
                while len(_EXPERIMENTS) >= _MAX_EXPERIMENTS:
                    _EXPERIMENTS.pop(next(iter(_EXPERIMENTS)))
                _EXPERIMENTS[key] = experiment
        # every setting of the point, from the defaults: nothing of a previous point remains
        experiment.set_bias(Dynapse1ParameterGroup(experiment.chip_id, experiment.core_id))
        experiment.set_bias(settings["biases"])
        experiment.clear_input()
        for kind, spec in settings["inputs"].items():
            experiment.set_input(kind, float(spec.get("rate", 0.0)),
                                 weight=spec.get("weight", 1))
        experiment.seed = settings["seed"]
        experiment.mismatch = settings["mismatch"]
        return experiment

    def validate(self, point: Mapping[str, Any]) -> None:
        """Raise the error a run of ``point`` would raise, without running (nothing is built)."""
        self._experiment(self._settings(point), reuse=False)

    def __call__(self, **point: Any) -> dict[str, Any]:
        """Run the point; return its measured quantities."""
        from brian2 import amp, second

        from dynsim.dynapse import bias_current

        settings = self._settings(point)
        experiment = self._experiment(settings, reuse=self.reuse)
        duration = settings["duration"]
        recording = experiment.run(duration * second)
        counts = np.asarray(recording.spike_count(), dtype=np.int64)
        rates = counts / duration
        dc = experiment.get_bias().param_map["IF_DC_P"]
        out: dict[str, Any] = {
            "spikes": int(counts.sum()), "rate_Hz": float(rates.mean()),
            "rate_std_Hz": float(rates.std()),
            "dc_current_A": float(bias_current("IF_DC_P", dc.coarse_value, dc.fine_value)
                                  / amp)}
        if self.n_neurons > 1:
            out["rates_Hz"] = rates.tolist()
        if self.rheobase:
            from dynsim.dynapse.circuits import bias_currents
            from dynsim.dynapse.mismatch import mismatch_factors

            rheobases = _rheobases(bias_currents([experiment.parameter_group] * self.n_neurons,
                                                 mismatch_factors(experiment.mismatch,
                                                                  experiment.global_ids)))
            out["rheobase_A"] = float(rheobases.mean())
            if self.n_neurons > 1:
                out["rheobases_A"] = rheobases.tolist()
        return out


#: The bias currents :func:`dynsim.dynapse.physics.rheobase` reads (it is given only these, so
#: a cached rheobase is keyed by everything it was computed from).
_RHEOBASE_CURRENTS = ("Ith_mem", "Itau_mem", "Inmda_thr")
#: Rheobases computed in this process, by the bytes of their currents: the points of a DC
#: ladder over one batch of chips share them (the DC bias does not enter the rheobase).
_RHEOBASES: dict[bytes, np.ndarray] = {}
#: at most this many (the oldest is dropped first)
_MAX_RHEOBASES = 8


def _rheobases(currents: Mapping[str, np.ndarray]) -> np.ndarray:
    """Return the rheobase (A) of every neuron of ``currents`` (arrays, one value per neuron).

    :func:`dynsim.dynapse.physics.rheobase` of :data:`RHEOBASE_CHUNK` neurons at a time (a
    neuron's rheobase is its own row of the grid: the chunks change no number), remembered
    for the next point with the same currents.

    Examples
    --------
    >>> from dynsim.dynapse import Dynapse1ParameterGroup
    >>> nominal = {k: np.full(3, v) for k, v in Dynapse1ParameterGroup().currents().items()}
    >>> np.round(_rheobases(nominal) * 1e12).tolist()
    [301.0, 301.0, 301.0]
    """
    from dynsim.dynapse import physics

    parts = {name: np.ascontiguousarray(currents[name], dtype=float).reshape(-1)
             for name in _RHEOBASE_CURRENTS}
    key = b"|".join(part.tobytes() for part in parts.values())
    found = _RHEOBASES.get(key)
    if found is None:
        size = len(parts[_RHEOBASE_CURRENTS[0]])
        found = np.concatenate([
            np.atleast_1d(physics.rheobase({name: part[start:start + RHEOBASE_CHUNK]
                                            for name, part in parts.items()}))
            for start in range(0, size, RHEOBASE_CHUNK)])
        while len(_RHEOBASES) >= _MAX_RHEOBASES:
            _RHEOBASES.pop(next(iter(_RHEOBASES)))
        _RHEOBASES[key] = found
    return found.copy()


def _chips(seeds: Any, sigma: float, n_neurons: int) -> Any:
    """Return the mismatch of ``n_neurons`` chips, one per neuron (``mismatch_seeds``)."""
    from dynsim.dynapse.mismatch import Mismatch

    checked = whole_numbers(seeds, "mismatch_seeds", low=0, high=2**32 - 1, error=SweepError,
                            max_size=n_neurons)
    if checked.ndim != 1:
        raise SweepError(f"mismatch_seeds must be a flat sequence of chip seeds, one per neuron; "
                         f"got {type(seeds).__name__} of shape {checked.shape}")
    seeds = tuple(int(s) for s in checked)
    if len(seeds) != n_neurons:
        raise SweepError(f"mismatch_seeds gives {len(seeds)} chips for {n_neurons} neurons: "
                         "give one chip seed per neuron (ExperimentPoint(n_neurons=...))")

    @dataclass(frozen=True)
    class _Chips(Mismatch):
        """Neuron ``k`` carries the mismatch of the first neuron of chip ``seeds[k]``."""

        chips: tuple[int, ...] = ()

        def factors(self, global_ids: Sequence[int] | np.ndarray) -> np.ndarray:
            ids = np.asarray(global_ids, dtype=np.int64).reshape(-1)
            return np.vstack([Mismatch(self.sigma, chip, self.distribution).factors(ids[:1])
                              for chip in self.chips[:len(ids)]])

    return _Chips(sigma=sigma, seed=seeds[0], chips=seeds)


#: Set (to ``"1"``) in the environment of a notebook point's papermill process and kernel.
NOTEBOOK_POINT_ENV = "DYNSIM_NOTEBOOK_POINT"


@contextlib.contextmanager
def machine_slot(name: str, slots: int | None, *, wait: float = 600.0,
                 folder: str | os.PathLike[str] | None = None) -> Iterator[int | None]:
    """Hold one of ``slots`` machine-wide slots called ``name`` while the block runs.

    A slot is an exclusive ``flock`` on ``<folder>/<name>-<k>.lock`` (default folder: the
    sweep's root dynsim cache, ``<cache>/dask-workers``, shared by every worker of the
    machine); the operating system releases it when the block ends or its process dies, so a
    killed worker never leaves a slot taken. Used by :class:`NotebookPoint` to run at most
    ``max_running`` notebook kernels at once.

    Parameters
    ----------
    name : str
        Name of the group of slots (letters, digits, ``_`` and ``-``).
    slots : int or None
        Number of slots (1..256); ``None``: no limit (nothing is locked).
    wait : float
        Seconds to wait for a free slot (polled every 0.1 s; 0..86400); then the block runs
        without one.
    folder : str or Path, optional
        Where the lock files are.

    Raises
    ------
    dynsim.errors.SweepError
        A name that is not a plain name, a number of slots outside 1..256, a bad ``wait``.

    Yields
    ------
    int or None
        The slot held, or ``None`` (no limit, no ``fcntl`` on this system, or waited ``wait``).

    Examples
    --------
    >>> import tempfile
    >>> with machine_slot("demo", 1, folder=tempfile.mkdtemp()) as slot:
    ...     slot
    0
    """
    from dynsim.validation import finite_number, identifier

    identifier(name.replace("-", "_") if isinstance(name, str) else name, "name",
               error=SweepError)
    wait = finite_number(wait, "wait", low=0.0, high=86400.0, error=SweepError)
    if slots is None:
        yield None
        return
    slots = whole_number(slots, "slots", low=1, high=256, error=SweepError)
    try:
        import fcntl
    except ImportError:  # not a POSIX system: no machine-wide limit
        yield None
        return
    where = Path(folder) if folder is not None else _root_cache() / "dask-workers"
    where.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    while True:
        for slot in range(slots):
            handle = open(where / f"{name}-{slot}.lock", "a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            try:
                yield slot
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
            return
        if time.monotonic() >= deadline:
            yield None
            return
        time.sleep(0.1)


def _notebook_cells(path: str) -> list[dict[str, Any]]:
    """Return the cells of a notebook file (read as JSON: dynsim imports no Jupyter package)."""
    with open(path, encoding="utf-8") as handle:
        cells = json.load(handle).get("cells", [])
    for cell in cells:
        source = cell.get("source", "")
        cell["source"] = "".join(source) if isinstance(source, list) else source
    return cells


def _tags(cell: Mapping[str, Any]) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


@dataclass(frozen=True)
class NotebookPoint:
    """A notebook as a function of a sweep point, executed by papermill *in the worker*.

    The notebook runs with the point as its papermill parameters in a ``papermill`` process
    started by the worker with a temporary working directory of its own (created and deleted
    in the worker; neither the worker nor the calling process changes directory). The result
    is the JSON object the cell tagged ``result_tag`` prints.

    Parameters
    ----------
    path : str
        The notebook (absolute, or relative to the calling process's working directory when
        the point is made).
    result_tag : str
        Tag of the cell that prints one JSON object.
    timeout : float
        Seconds a cell may take (papermill's ``--execution-timeout``), 1..86400.
    max_running : int or None
        Notebook points of one machine that run at once, over all the workers there
        (default 1; ``None``: no limit). Each running point is a papermill process and a
        kernel of its own (~250 MB with Brian2), so two workers running one each would
        double the memory a sweep needs on a 1 GB JupyterHub or Binder; a point waits for a
        free slot (a lock file in the dynsim cache, released also when its worker dies) at
        most ``timeout`` seconds, then runs anyway. A sweep started *inside* a notebook
        point does not wait for the slot its own point holds.

    Examples
    --------
    >>> point = NotebookPoint("exercises/sweeps/fi_point.ipynb")  # doctest: +SKIP
    >>> point(dc_coarse=2, dc_fine=150)["spikes"]  # doctest: +SKIP
    20
    """

    path: str
    result_tag: str = "result"
    timeout: float = 600.0
    max_running: int | None = 1
    #: a notebook point compiles in its own kernel, not in the worker, and ``max_running``
    #: already decides how many run at once: its sweeps start every point at once
    first_point_alone: ClassVar[bool] = False

    def __post_init__(self) -> None:
        from dynsim.validation import finite_number

        resolved = Path(self.path).expanduser().resolve()
        if not resolved.is_file():
            raise SweepError(f"notebook {self.path!r} not found")
        finite_number(self.timeout, "timeout", low=1.0, high=86400.0, error=SweepError)
        if self.max_running is not None:
            whole_number(self.max_running, "max_running", low=1, high=256, error=SweepError)
        object.__setattr__(self, "path", str(resolved))

    def sweep_identity(self) -> str:
        """Return the text identifying this function (the notebook's path and its content)."""
        digest = hashlib.sha256(Path(self.path).read_bytes()).hexdigest()[:16]
        return f"NotebookPoint({self.path!r}, {self.result_tag!r}, sha256={digest})"

    def parameters(self) -> set[str]:
        """Return the names assigned in the notebook's cell tagged ``parameters``."""
        import ast

        names: set[str] = set()
        for cell in _notebook_cells(self.path):
            if "parameters" in _tags(cell):
                for node in ast.walk(ast.parse(cell["source"])):
                    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                        names.add(node.id)
        return names

    def validate(self, point: Mapping[str, Any]) -> None:
        """Refuse parameters the notebook's ``parameters`` cell does not define."""
        from dynsim.errors import suggest

        names = self.parameters()
        for name in point:
            if name not in names:
                raise SweepGridError(f"{Path(self.path).name} has no parameter {name!r}; its "
                                     f"parameters are {', '.join(sorted(names))}."
                                     + suggest(name, names))

    def __call__(self, **point: Any) -> dict[str, Any]:
        """Execute the notebook with ``point``; return the JSON its result cell printed."""
        import subprocess

        nested = bool(os.environ.get(NOTEBOOK_POINT_ENV))
        slots = None if nested else self.max_running
        with tempfile.TemporaryDirectory(prefix="dynsim-point-") as folder, \
                machine_slot("notebook-point", slots, wait=self.timeout):
            out = Path(folder) / "executed.ipynb"
            command = [sys.executable, "-m", "papermill", self.path, str(out),
                       "--parameters_yaml", json.dumps(_plain(point)), "--cwd", folder,
                       "--no-progress-bar", "--execution-timeout", str(int(self.timeout)),
                       "--log-level", "ERROR"]
            done = subprocess.run(command, cwd=folder, capture_output=True, text=True,
                                  check=False, env={**os.environ, NOTEBOOK_POINT_ENV: "1"})
            if done.returncode != 0:
                lines = [line for line in done.stderr.splitlines() if line.strip()]
                raise SweepError(f"{Path(self.path).name} failed: "
                                 f"{lines[-1] if lines else done.returncode}")
            cells = _notebook_cells(str(out))
        for cell in cells:
            if self.result_tag in _tags(cell):
                text = "".join(o.get("text", "") if isinstance(o.get("text", ""), str)
                               else "".join(o["text"]) for o in cell.get("outputs", [])
                               if o.get("output_type") == "stream")
                return json.loads(text)
        raise SweepError(f"{Path(self.path).name} has no cell tagged {self.result_tag!r}")
