"""Brian2's ``cpp_standalone`` projects of dynsim: one per process, owned by one emulator.

Two emulators compile themselves into a Brian2 ``cpp_standalone`` program (a C++ project,
compiled once, then run as a separate process with new values as run arguments):

* :class:`dynsim.dynapse.Experiment` with ``engine='standalone'`` (the bench behind bias
  sliders: a few neurons, re-simulated from the initial state at every slider change);
* :class:`dynsim.dynapse.Dynapse1Model` with ``engine='standalone'`` (long runs of a whole
  board: :class:`StandaloneBoard`, which carries the state from one run to the next).

Brian2 has one standalone device per process, so one project at a time can be built and run
in it. This module keeps who owns it (:data:`_STANDALONE_OWNER`); an emulator whose project
was replaced by another's builds it again on its next run (from the files in the project
directory: the code is only regenerated and nothing changed is recompiled).

A project is a directory of :func:`dynsim._paths.standalone_dir`. Each process writes its
results to its own ``results_<pid>`` folder, deleted when the process ends, so several
kernels may run one project at once; the run-argument files Brian2 leaves in
``static_arrays/`` are deleted once a later run no longer uses them.

Examples
--------
>>> from dynsim.dynapse.standalone import standalone_threads
>>> standalone_threads(1024, environ={})  # one chip: one thread
1
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import shutil
import weakref
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from brian2 import (
    Network,
    NeuronGroup,
    Quantity,
    SpikeMonitor,
    StateMonitor,
    TimedArray,
    amp,
    second,
)

from dynsim.dynapse import physics
from dynsim.dynapse.circuits import BIAS_PARAMETERS, make_neurons, make_synapses
from dynsim.engine import STANDALONE
from dynsim.errors import EngineError, InvalidSettingError
from dynsim.validation import whole_number

__all__ = [
    "BOARD_COMPILER_FLAGS",
    "STANDALONE_THREADS_ENV",
    "StandaloneBoard",
    "board_compiler_flags",
    "standalone_threads",
]

#: The emulator that owns Brian2's (single) standalone project, and its build key. An
#: owner keeps its built objects in ``owner._built`` (a dict with a ``"key"``); whoever
#: builds next sets the previous owner's ``_built`` to ``None``.
_STANDALONE_OWNER: dict[str, Any] = {"experiment": None, "key": None}

#: Environment variable: OpenMP threads of a board's compiled program (1..64; default: one
#: per :data:`NEURONS_PER_THREAD` simulated neurons, at most the usable cores and 8).
STANDALONE_THREADS_ENV = "DYNSIM_STANDALONE_THREADS"
_MAX_THREADS = 64
#: Simulated neurons per OpenMP thread by default: below it, the threads' meeting at every
#: code object of every step costs more than they save (one chip of 1024 neurons: 0.34 s per
#: simulated s on one thread, 0.44 s on two; 2-core machine, ``benchmarks/levers.md``).
NEURONS_PER_THREAD = 2048
#: Compiler flags added for a board's program (GCC/Clang), see :func:`board_compiler_flags`.
BOARD_COMPILER_FLAGS = ("-ffast-math", "--param=vect-max-version-for-alias-checks=200")
#: Brian2's default flags that a board's program drops.
_DROPPED_FLAGS = frozenset({"-fno-finite-math-only"})
#: State of the neurons carried from one run to the next: the currents and the end of the
#: refractory period (a step, counted from the run's first step).
_CARRIED = (*physics.STATE_VARIABLES, "refractory_end")


def standalone_threads(n_neurons: int = 0, environ: Mapping[str, str] | None = None) -> int:
    """Return the OpenMP threads of a board's compiled program of ``n_neurons`` neurons.

    ``$DYNSIM_STANDALONE_THREADS`` when set (1..64), else one thread per
    :data:`NEURONS_PER_THREAD` neurons (at least one), at most the cores this process may
    use and at most 8.

    Raises
    ------
    dynsim.errors.InvalidSettingError
        When the variable is not a whole number in 1..64.
    """
    environ = os.environ if environ is None else environ
    value = environ.get(STANDALONE_THREADS_ENV, "").strip()
    if value:
        try:
            number = int(value)
        except ValueError:
            raise InvalidSettingError(
                f"${STANDALONE_THREADS_ENV} must be a whole number in 1..{_MAX_THREADS} "
                f"(OpenMP threads), got {value!r}") from None
        return whole_number(number, f"${STANDALONE_THREADS_ENV}", low=1, high=_MAX_THREADS,
                            error=InvalidSettingError)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(8, cores, n_neurons // NEURONS_PER_THREAD))


def delete_run_files(directory: Path, names: set[str] | None = None) -> None:
    """Delete run-argument files (``static_arrays/init_*``) of a standalone project.

    Parameters
    ----------
    directory : Path
        The project directory.
    names : set of str, optional
        The files to delete (with their ``.lock`` files); default: every run-argument file.
    """
    folder = Path(directory) / "static_arrays"
    if names is None:
        names = {p.name.removesuffix(".lock") for p in folder.glob("init_*")}
    for name in names:
        for path in (folder / name, folder / f"{name}.lock"):
            path.unlink(missing_ok=True)


def delete_stale_results(directory: Path) -> None:
    """Delete the ``results_<pid>`` folders of processes that have ended."""
    for path in Path(directory).glob("results_*"):
        pid = path.name.removeprefix("results_")
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:  # alive (another user's) or not checkable here: keep it
            continue


def owns_project(holder: Any, key: tuple) -> bool:
    """Return whether ``holder`` built Brian2's standalone project last, with ``key``."""
    owner = _STANDALONE_OWNER["experiment"]
    return (holder._built is not None and holder._built["key"] == key and owner is not None
            and owner() is holder and _STANDALONE_OWNER["key"] == key)


@contextlib.contextmanager
def building(holder: Any, threads: int | None = None) -> Iterator[Any]:
    """Give ``holder`` a fresh standalone device for the duration of its build.

    Drops the Brian2 objects of ``holder`` and of the previous owner (Brian2 numbers the
    code objects of names still taken, and new file names would mean recompiling), resets
    the device, makes it Brian2's device with ``build_on_run=False`` and yields it; the
    previous device (and OpenMP preference, when ``threads`` sets it for this build) comes
    back afterwards, so a user's runtime objects keep working. The caller creates its
    objects, runs its network and calls ``device.build(...)`` inside the block, then
    :func:`register`.

    Raises
    ------
    dynsim.errors.EngineError
        When the user has made the standalone device Brian2's device (``set_device``).
    """
    from brian2 import prefs
    from brian2.devices.device import all_devices, get_device, reset_device, set_device

    device = all_devices["cpp_standalone"]
    previous = get_device()
    if previous is device:
        raise EngineError(
            "Brian2's standalone device is active in this process (set_device("
            "'cpp_standalone')); dynsim's engine='standalone' needs that device for its own "
            "project. Use engine='cython' here, or reset_device() first.")
    holder._built = None
    owner = _STANDALONE_OWNER["experiment"]
    other = owner() if owner is not None else None
    if other is not None and other is not holder:
        other._built = None
    _STANDALONE_OWNER["experiment"] = _STANDALONE_OWNER["key"] = None
    gc.collect()
    device.reinit()
    set_device(device, build_on_run=False)
    saved_threads = prefs.devices.cpp_standalone.openmp_threads
    if threads is not None:
        prefs.devices.cpp_standalone.openmp_threads = threads
    try:
        yield device
    finally:
        prefs.devices.cpp_standalone.openmp_threads = saved_threads
        reset_device(previous)


def register(holder: Any, built: dict[str, Any]) -> None:
    """Record ``holder`` as the owner of the project just built (``built["key"]``)."""
    delete_run_files(built["directory"])  # left by earlier runs (or earlier processes)
    delete_stale_results(built["directory"])
    built.setdefault("run_files", ())
    holder._built = built
    _STANDALONE_OWNER["experiment"] = weakref.ref(holder)
    _STANDALONE_OWNER["key"] = built["key"]


def results_folder(directory: Path) -> Path:
    """Return (and create) this process's results folder of a project, deleted at exit.

    ``results_<pid>``: another kernel may run the same project meanwhile.
    """
    path = Path(directory) / f"results_{os.getpid()}"
    if not path.exists():
        atexit.register(shutil.rmtree, path, True)
        path.mkdir(exist_ok=True)
    return path


def run_project(holder: Any, run_args: dict[Any, Any]) -> None:
    """Run ``holder``'s built project once with ``run_args`` (results in ``results_<pid>``).

    Brian2 keeps one file per distinct array given as a run argument and never deletes it:
    the files of the previous run that this run did not use are deleted.
    """
    built = holder._built
    device, directory = built["device"], built["directory"]
    results = results_folder(directory).name
    device.run(results_directory=results, run_args=run_args, with_output=False)
    used = tuple(device.run_args_arrays)
    delete_run_files(directory, set(built["run_files"]) - set(used))
    built["run_files"] = used


@contextlib.contextmanager
def board_compiler_flags() -> Iterator[list[str]]:
    """Compile a board's program with :data:`BOARD_COMPILER_FLAGS` (Brian2's flags restored after).

    Brian2's default flags keep ``-fno-finite-math-only`` after ``-ffast-math``; without it
    the C library declares its vectorised ``exp``, and with more run-time alias checks than
    GCC's default of 10 (the update reads 26 arrays and writes 6) the neurons' update loop is
    vectorised: the program's CPU per simulated second of a working chip 0.28 -> 0.21 s
    (``benchmarks/levers.md``, "The compiled chip (2)"). The board's program computes no
    infinity or NaN (``Imem`` is floored at ``I0``; the table of input steps holds -1, not
    infinity). A flag the compiler does not know is dropped by Brian2 (with a warning).

    Yields
    ------
    list of str
        The flags in effect.
    """
    from brian2 import prefs

    saved = list(prefs.codegen.cpp.extra_compile_args_gcc)
    flags = [f for f in saved if f not in _DROPPED_FLAGS] + [
        f for f in BOARD_COMPILER_FLAGS if f not in saved]
    prefs.codegen.cpp.extra_compile_args_gcc = flags
    try:
        yield flags
    finally:
        prefs.codegen.cpp.extra_compile_args_gcc = saved


def _fingerprint(*parts: Any) -> str:
    import hashlib

    digest = hashlib.sha256()
    for part in parts:
        data = part.tobytes() if isinstance(part, np.ndarray) else repr(part).encode()
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()[:16]


class StandaloneBoard:
    """The simulated neurons of a :class:`~dynsim.dynapse.Dynapse1Model`, compiled.

    One Brian2 ``cpp_standalone`` program simulates the model's neurons, its input events
    and its CAM connections for ``n_steps`` steps; :meth:`run` runs it as a separate process
    with the state of the previous run, the biases and the input events as run arguments,
    then reads back the spikes, the recorded currents and the final state. The physics is
    the runtime engines' (the same equations, the same generated code), in C++ with OpenMP
    threads (:func:`standalone_threads`) and no Python between steps, compiled with
    :data:`BOARD_COMPILER_FLAGS` (the neurons' update is vectorised).

    Input events reach the program as a table: for each virtual neuron, the steps at which
    it fires (a ``TimedArray`` whose rows are its 1st, 2nd, ... event). A virtual neuron
    compares its next event's step with the clock once per step and looks up the one after
    it when it fires, so the table's size grows with the events, not with the steps.

    A new duration or a larger table regenerates the program in the same project directory
    (only the files that changed are recompiled); the directory is named by the network's
    structure (``<name>_board_<hash>``), so an unchanged network reuses its compiled code in
    every process.

    Parameters
    ----------
    name : str
        Prefix of the Brian2 objects and of the project directory.
    dt : Quantity
        Time step.
    global_ids : numpy.ndarray
        Board-wide ids of the simulated neurons.
    n_virtual : int
        Number of virtual (input) neurons.
    external, recurrent : numpy.ndarray
        Connections, one row ``(source, target, synapse type, CAM count)`` each; sources
        are virtual neurons (external) or simulated neurons (recurrent).
    monitored_rows : sequence of int
        Rows (indices into ``global_ids``) whose currents are recorded.
    variables : tuple of str
        The recorded currents.
    threads : int
        OpenMP threads of the program.
    """

    def __init__(self, name: str, dt: Any, global_ids: np.ndarray, n_virtual: int,
                 external: np.ndarray, recurrent: np.ndarray, monitored_rows: list[int],
                 variables: tuple[str, ...], threads: int) -> None:
        self.name, self.dt, self.threads = name, dt, threads
        self._dt_s = float(dt / second)
        self.global_ids = np.asarray(global_ids, dtype=np.int64)
        self.n_virtual = max(1, int(n_virtual))
        self.external, self.recurrent = external, recurrent
        self.monitored_rows, self.variables = list(monitored_rows), tuple(variables)
        self.structure = _fingerprint(name, self._dt_s, self.global_ids, self.n_virtual,
                                      external, recurrent, self.monitored_rows, self.variables,
                                      threads)
        n = len(self.global_ids)
        self.state: dict[str, np.ndarray] = {
            v: np.full(n, float(physics.I0 / amp)) for v in physics.STATE_VARIABLES}
        self.state["refractory_end"] = np.zeros(n)
        self._built: dict[str, Any] | None = None

    @property
    def directory(self) -> Path:
        """The project directory (named by the network's structure)."""
        from dynsim._paths import standalone_dir

        return standalone_dir(f"{self.name}_board_{self.structure}")

    # ------------------------------------------------------------------ build
    def _build(self, n_steps: int, capacity: int) -> None:
        key = ("board", self.structure, n_steps, capacity)
        with building(self, self.threads if self.threads > 1 else 0) as device:
            n = len(self.global_ids)
            neurons = make_neurons(n, f"{self.name}_neurons", dt=self.dt, engine=STANDALONE,
                                   global_ids=self.global_ids)
            table = TimedArray(np.full((capacity, self.n_virtual), -1.0), dt=1 * second,
                               name=f"{self.name}_input_steps")
            virtual = NeuronGroup(
                self.n_virtual, "next_step : integer\nnext_event : integer",
                threshold="next_step == t_in_timesteps",
                reset=f"next_event += 1\nnext_step = int({table.name}(next_event*second, i))",
                namespace={table.name: table}, dt=self.dt, name=f"{self.name}_virtual")
            objects: dict[str, Any] = {"neurons": neurons, "virtual": virtual, "table": table}
            objects["spikes"] = SpikeMonitor(neurons, name=f"{self.name}_spikes")
            for label, source, rows in (("inputs", virtual, self.external),
                                        ("recurrent", neurons, self.recurrent)):
                if len(rows) == 0:
                    continue
                syn = make_synapses(source, neurons, f"{self.name}_{label}", None,
                                    engine=STANDALONE)
                syn.connect(i=rows[:, 0], j=rows[:, 1])
                syn.variables["syn_type"].set_value(rows[:, 2])
                syn.variables["weight"].set_value(rows[:, 3])
                objects[label] = syn
            if self.monitored_rows:
                objects["states"] = StateMonitor(neurons, list(self.variables),
                                                 record=self.monitored_rows,
                                                 name=f"{self.name}_states")
            network = Network(*[o for k, o in objects.items() if k != "table"],
                              name=f"{self.name}_network")
            network.run(n_steps * self._dt_s * second)
            directory = self.directory
            with board_compiler_flags():
                device.build(directory=str(directory), compile=True, run=False,
                             with_output=False)
        register(self, {"key": key, "objects": objects, "network": network,
                        "device": device, "directory": directory})

    # ------------------------------------------------------------------ run
    def input_table(self, indices: np.ndarray, steps: np.ndarray) -> np.ndarray:
        """Return the event table: column ``k`` lists the steps of virtual neuron ``k``.

        Rows past a neuron's last event hold ``-1`` (never equal to a step); the table has
        at least one such row, and a power-of-two number of rows (so that most runs reuse
        the compiled program).
        """
        counts = np.bincount(indices, minlength=self.n_virtual) if len(indices) else \
            np.zeros(self.n_virtual, dtype=np.int64)
        capacity = 4
        while capacity < int(counts.max()) + 1:
            capacity *= 2
        table = np.full((capacity, self.n_virtual), -1.0)
        if len(indices):
            order = np.lexsort((steps, indices))
            index, step = indices[order], steps[order]
            first = np.concatenate(([0], np.cumsum(counts)[:-1]))
            table[np.arange(len(index)) - first[index], index] = step
        return table

    def run(self, n_steps: int, indices: np.ndarray, steps: np.ndarray,
            parameters: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Simulate ``n_steps`` steps from the current state; return what was recorded.

        Parameters
        ----------
        n_steps : int
            Steps of this run.
        indices, steps : numpy.ndarray
            Input events: virtual neuron and step (from 0, this run's first step), each
            pair at most once.
        parameters : mapping
            The neurons' bias parameters (SI floats, :func:`physics.state_parameters`).

        Returns
        -------
        dict
            ``spike_indices`` (rows of ``global_ids``), ``spike_times`` (s from this run's
            start) and, with recorded neurons, ``t`` (s from the start) and one array
            ``(rows, steps)`` per recorded current.
        """
        table = self.input_table(np.asarray(indices, dtype=np.int64),
                                 np.asarray(steps, dtype=np.int64))
        key = ("board", self.structure, n_steps, len(table))
        if not owns_project(self, key):
            self._build(n_steps, len(table))
        objects = self._built["objects"]
        neurons, virtual = objects["neurons"], objects["virtual"]
        run_args: dict[Any, Any] = {objects["table"]: table,
                                    virtual.next_step: table[0].astype(np.int32),
                                    virtual.next_event: 0}
        for variable in _CARRIED:
            view = getattr(neurons, variable)
            run_args[view] = Quantity(self.state[variable], dim=view.dim)
        for variable in sorted(BIAS_PARAMETERS):
            view = getattr(neurons, variable)
            run_args[view] = Quantity(parameters[variable], dim=view.dim)
        run_project(self, run_args)
        spikes = objects["spikes"]
        out = {"spike_indices": np.asarray(spikes.i[:], dtype=np.int64),
               "spike_times": np.asarray(spikes.t_[:], dtype=float)}
        if "states" in objects:
            states = objects["states"]
            out["t"] = np.asarray(states.t_[:], dtype=float)
            for variable in self.variables:
                out[variable] = np.asarray(getattr(states, f"{variable}_")[:], dtype=float)
        state = {v: np.asarray(getattr(neurons, f"{v}_")[:], dtype=float) for v in _CARRIED}
        # counted from the next run's first step; a period that has ended is 0 (whole numbers:
        # exact; the same file of run arguments for every neuron that is not refractory)
        state["refractory_end"] = np.maximum(state["refractory_end"] - n_steps, 0.0)
        self.state = state
        return out
