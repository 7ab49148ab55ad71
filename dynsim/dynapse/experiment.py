"""Fast re-simulation of a small fixed experiment: the engine behind bias sliders.

An :class:`Experiment` is N neurons on one core with one input per synapse type (Poisson,
regular or an explicit spike pattern, with a weight in CAM entries) and the core's 25
biases. Every :meth:`Experiment.run` simulates *from the initial state* with the current
biases and inputs and returns a :class:`~dynsim.dynapse.recording.Recording`.

Engines:

* ``'standalone'`` (Brian2 ``cpp_standalone``): the model is compiled once into a project
  directory of :func:`dynsim._paths.standalone_dir`, one per name and shape
  (``<name>_<N>n_<steps>steps_dt<ns>ns``, :attr:`Experiment.project_dir`); biases and inputs
  then reach the compiled program as run arguments, without recompiling (tens of ms per run
  of 1 s). A new duration, number of neurons or recorded set builds another project (seconds
  the first time, cached on disk). Each process writes its results to its own
  ``results_<pid>`` folder, so two kernels may run the same project at once. A build leaves
  a manifest in the project (:mod:`dynsim.dynapse.program`: a fingerprint of the structure,
  of dynsim's and Brian2's code, preferences and compiler; the run arguments and result
  files); an Experiment whose fingerprint matches runs the compiled program itself, without
  Brian2's build (a new kernel on a warm cache, a switch back to an earlier duration). Brian2
  has one standalone project per process, owned by the Experiment that built last (it drops
  the Brian2 objects of the previous owner, so that Experiments of the same name keep
  generating the same code); a reused program leaves Brian2's project to its owner, and an
  Experiment whose project another one took runs its program from the manifest (without one,
  it rebuilds on demand, under a second when the code is unchanged). The previously active
  Brian2 device is restored after each build, so a user's runtime objects keep working.
  Without a compiler or ``make`` the Experiment falls back to the runtime engine and says
  why (``fallback_reason`` and a warning). No callbacks during a run. Brian2 writes each
  distinct array run argument (the input counts, per-neuron bias values) to a file of the
  project and never deletes it; the Experiment deletes the files of earlier runs, so a
  thousand slider changes leave the cache as large as one. :meth:`Experiment.prepare`
  builds without simulating; a build switches Brian2's process-wide device while it lasts,
  so call it from the thread that runs the user's Brian2 code (a notebook's main thread).
* ``'cython'`` / ``'numpy'`` (Brian2 runtime): ``run(..., callback=f)`` calls ``f(partial
  recording)`` every ``chunk`` of simulated time (``recording.progress`` is the fraction
  done), so a plot can stream while a long run goes on.

Inputs are event counts per time step, drawn in numpy from a seed (the same seed gives the
same trains on every run and engine), multiplied by the weight in CAM entries, and added to
the neurons' synaptic DPIs through a Brian2 ``TimedArray``: the physics is the same as with
``Synapses`` (each event adds ``weight * (Ith/Itau) * Iw`` to the DPI of its type).

Examples
--------
>>> from brian2 import Hz, ms, pA
>>> from dynsim.dynapse import Experiment
>>> exp = Experiment(1, engine="numpy", name="docexp")
>>> exp.set_input("AMPA", rate=200 * Hz, weight=4)
>>> exp.set_bias({"Itau_mem": 4 * pA})
>>> result = exp.run(100 * ms)
>>> result.Imem.shape
(1, 1000)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from brian2 import (
    Hz,
    Network,
    NetworkOperation,
    Quantity,
    SpikeMonitor,
    StateMonitor,
    TimedArray,
    second,
)
from brian2.units.fundamentalunits import get_dimensions

from dynsim._brian import configure
from dynsim._paths import standalone_dir
from dynsim.dynapse import physics
from dynsim.dynapse.board import (
    Board,
    bounded_duration,
    cam_counts,
    check_cam_budget,
    check_seed,
    parse_core,
)
from dynsim.dynapse.circuits import BIAS_PARAMETERS, bias_currents, make_neurons
from dynsim.dynapse.config import (
    Dynapse1ParameterGroup,
    check_chip,
    synapse_type,
)
from dynsim.dynapse.constants import (
    CORE_NAMES,
    DEFAULT_DT,
    NEURONS_PER_CHIP,
    NEURONS_PER_CORE,
    SYNAPSE_TYPES,
)
from dynsim.dynapse.mismatch import Mismatch, mismatch_factors
from dynsim.dynapse.program import (
    Program,
    describe_build,
    fingerprint,
    forget_program,
    load_program,
)
from dynsim.dynapse.recording import Recording
from dynsim.dynapse.standalone import (  # noqa: F401 - _STANDALONE_OWNER: its old home
    _STANDALONE_OWNER,
    building,
    delete_run_files,
    delete_stale_results,
    owns_project,
    register,
    run_project,
)
from dynsim.dynapse.stimulus import check_rate, pattern_steps, poisson_steps, regular_steps
from dynsim.engine import STANDALONE, codeobj_class, resolve_standalone
from dynsim.errors import (
    DynapseWeightWarning,
    InvalidCoreError,
    InvalidNeuronError,
    InvalidSettingError,
)
from dynsim.validation import duration_seconds, identifier, whole_number

__all__ = ["Experiment", "InputSpec"]

@dataclass(frozen=True)
class InputSpec:
    """The input of one synapse type.

    Attributes
    ----------
    kind : str
        ``'poisson'``, ``'regular'`` or ``'spikes'``.
    rate : float
        Rate in Hz (Poisson, regular).
    times : tuple of float
        Event times in seconds (spikes).
    weight : int
        CAM entries the input uses on each neuron.
    independent : bool
        Poisson only: a separate train for every neuron (``True``) or one shared train.
    """

    kind: str
    rate: float = 0.0
    times: tuple[float, ...] = ()
    weight: int = 1
    independent: bool = True


class Experiment:
    """N neurons of one core, one input per synapse type, re-simulated from rest on each run.

    Parameters
    ----------
    n_neurons : int
        Number of neurons (1..256), neurons 0..N-1 of the core.
    core : str or int
        ``'Core_0'``..``'Core_3'`` (or 0..3).
    chip_id : int
        Chip of the board (0..3); with ``core`` it fixes the neurons' global ids (and so
        their mismatch).
    engine : str, optional
        ``'standalone'``, ``'cython'``, ``'numpy'`` or ``'auto'`` (default: ``$DYNSIM_ENGINE``
        or ``'auto'``).
    dt : Quantity
        Time step (default 0.1 ms).
    mismatch : Mismatch, optional
        Seeded device mismatch (default: none).
    seed : int
        Seed of the Poisson input trains.
    record : sequence of str, optional
        Currents to record (default: all six, ``Imem`` ... ``I_gaba_b``); an empty sequence
        records the spikes only (the recording's ``t`` and spikes, no currents: what a
        Monte Carlo point needs, without ``n_neurons x n_steps`` doubles per current).
    name : str
        Name of the Brian2 objects and of the standalone project directory.

    Attributes
    ----------
    engine : str
        The engine in use (after a fallback, the runtime engine).
    fallback_reason : str or None
        Why ``'standalone'`` was not used, when it was asked for and could not run.
    """

    def __init__(self, n_neurons: int = 1, *, core: str | int = "Core_0", chip_id: int = 0,
                 engine: str | None = None, dt: Quantity = DEFAULT_DT,
                 mismatch: Mismatch | None = None, seed: int = 0,
                 record: Sequence[str] | None = None, name: str = "experiment") -> None:
        configure()
        whole_number(n_neurons, "n_neurons", low=1, high=NEURONS_PER_CORE,
                     error=InvalidNeuronError)
        identifier(name)
        if mismatch is not None and not isinstance(mismatch, Mismatch):
            raise InvalidSettingError("mismatch must be a dynsim.dynapse.Mismatch or None")
        chosen = tuple(physics.STATE_VARIABLES) if record is None else tuple(record)
        unknown = [v for v in chosen if v not in physics.STATE_VARIABLES]
        if unknown:
            raise InvalidSettingError(f"cannot record {unknown}; choose from "
                                      f"{', '.join(physics.STATE_VARIABLES)} (or none: "
                                      "record=() records the spikes only)")
        self.n_neurons = int(n_neurons)
        self.chip_id = check_chip(chip_id)
        self.core_id = parse_core(core)
        self.dt = dt
        self._dt_s = duration_seconds(dt, "dt")
        self.mismatch = mismatch
        self.seed = check_seed(seed)
        self.record = chosen
        self.name = name
        self.global_ids = (np.arange(self.n_neurons) + self.core_id * NEURONS_PER_CORE
                           + self.chip_id * NEURONS_PER_CHIP)
        self.board = Board(fixed=(self.chip_id, self.core_id))
        self._inputs: dict[str, InputSpec] = {}
        self.engine, self.fallback_reason = resolve_standalone(engine)
        self._built: dict[str, Any] | None = None
        #: standalone: ``(n_steps, Program)`` reused without Brian2's build
        self._program: tuple[int, Program] | None = None
        #: standalone: a reused program failed; build with Brian2 before reusing again
        self._rebuild = False
        #: standalone: the project directory built, reused or run last
        self._directory: Path | None = None

    # ------------------------------------------------------------------ biases
    def set_bias(self, biases: Any, core_name: str | int | None = None) -> None:
        """Set biases of the experiment's core (same forms and checks as ``chip.set_bias``).

        Parameters
        ----------
        biases : dict, Dynapse1ParameterGroup or list of Dynapse1Parameter
            ``{'IF_DC_P': (1, 100)}``, ``{'Idc': 40*pA}``, ...
        core_name : str or int, optional
            Must be the experiment's core when given.
        """
        if core_name is not None and parse_core(core_name) != self.core_id:
            raise InvalidCoreError(f"this experiment's neurons are on {CORE_NAMES[self.core_id]}"
                                   f"; got {core_name!r}")
        self.board.set_biases(self.chip_id, self.core_id, biases)

    def get_bias(self) -> Dynapse1ParameterGroup:
        """Return (a copy of) the core's 25 biases."""
        return self.board.parameter_group(self.chip_id, self.core_id)

    @property
    def parameter_group(self) -> Dynapse1ParameterGroup:
        """The core's 25 biases: the board's own group, read by every run."""
        return self.board.group(self.chip_id, self.core_id)

    # ------------------------------------------------------------------ inputs
    def set_input(self, synapse_type_name: str, rate: Quantity | float | None = None, *,
                  kind: str = "poisson", times: Quantity | None = None, weight: int = 1,
                  independent: bool = True) -> None:
        """Set the input of one synapse type (replaces its previous input).

        Parameters
        ----------
        synapse_type_name : str
            ``'AMPA'``, ``'NMDA'``, ``'GABA_A'`` or ``'GABA_B'``.
        rate : Quantity or float, optional
            Rate (Hz) of a ``'poisson'`` or ``'regular'`` input.
        kind : str
            ``'poisson'`` (default) or ``'regular'``; ``'spikes'`` is implied by ``times``.
        times : Quantity, optional
            Explicit event times (an array of times).
        weight : int
            CAM entries per neuron (the four inputs share the 64 CAM entries).
        independent : bool
            Poisson: a separate train per neuron (default) or one shared train.

        Raises
        ------
        dynsim.errors.CAMLimitError
            When the weights of all inputs exceed 64 CAM entries.
        """
        kind_name = synapse_type(synapse_type_name).name
        counts, note = cam_counts(weight)
        if counts.ndim != 0:
            raise InvalidSettingError("the weight of an Experiment input is one number of CAM "
                                      "entries")
        if times is not None:
            if not isinstance(times, Quantity) or get_dimensions(times) is not second.dim:
                raise InvalidSettingError("times must be an array of times (e.g. [5, 20]*ms)")
            seconds_ = np.asarray(times / second, dtype=float).reshape(-1)
            pattern_steps(seconds_, 1, 1.0)  # validates
            spec = InputSpec("spikes", times=tuple(np.sort(seconds_).tolist()),
                             weight=int(counts))
        else:
            if kind not in ("poisson", "regular"):
                raise InvalidSettingError(f"kind must be 'poisson' or 'regular' (or give times=)"
                                          f", got {kind!r}")
            if rate is None:
                raise InvalidSettingError("give rate= (Poisson or regular input) or times=")
            if isinstance(rate, Quantity):
                if get_dimensions(rate) is not Hz.dim:
                    raise InvalidSettingError(f"rate must be in Hz, got {rate}")
                rate = float(rate / Hz)
            spec = InputSpec(kind, rate=check_rate(rate, "rate"), weight=int(counts),
                             independent=bool(independent))
        usage = np.zeros((len(SYNAPSE_TYPES), 1), dtype=np.int64)
        for name, other in self._inputs.items():
            if name != kind_name:
                usage[SYNAPSE_TYPES.index(name), 0] = other.weight
        others = int(usage.sum())
        usage[SYNAPSE_TYPES.index(kind_name), 0] = spec.weight
        check_cam_budget(usage, f"the {kind_name} input with weight {spec.weight} (other inputs "
                                f"use {others})", self.global_ids[:1])
        self._inputs[kind_name] = spec
        if note is not None:
            warnings.warn(f"{kind_name} input: {note}", DynapseWeightWarning, stacklevel=2)

    def clear_input(self, synapse_type_name: str | None = None) -> None:
        """Remove the input of one synapse type, or all inputs."""
        if synapse_type_name is None:
            self._inputs.clear()
        else:
            self._inputs.pop(synapse_type(synapse_type_name).name, None)

    @property
    def inputs(self) -> dict[str, InputSpec]:
        """The inputs by synapse type (a copy)."""
        return dict(self._inputs)

    def input_counts(self, duration: Quantity) -> np.ndarray:
        """Return the weighted event counts per step, shape ``(n_steps, 4 * n_neurons)``.

        Column ``type_value * n_neurons + neuron`` (type values: GABA_B 0 ... AMPA 3).
        """
        n_steps = self._n_steps(duration)
        n = self.n_neurons
        out = np.zeros((n_steps, len(SYNAPSE_TYPES) * n))
        for name, spec in self._inputs.items():
            value = SYNAPSE_TYPES.index(name)
            for neuron in range(n):
                if spec.kind == "poisson":
                    key = neuron if spec.independent else 0
                    rng = np.random.default_rng([self.seed, value, key])
                    steps = poisson_steps(rng, spec.rate, n_steps, self._dt_s)
                elif spec.kind == "regular":
                    steps = regular_steps(spec.rate, n_steps, self._dt_s)
                else:
                    steps = pattern_steps(np.array(spec.times), n_steps, self._dt_s)
                out[:, value * n + neuron] = np.bincount(steps, minlength=n_steps)[:n_steps]
            out[:, value * n:(value + 1) * n] *= spec.weight
        return out

    # ------------------------------------------------------------------ parameters
    def parameters(self) -> dict[str, np.ndarray]:
        """Return the neuron-group parameters (SI floats) of the current biases."""
        currents = bias_currents([self.parameter_group] * self.n_neurons,
                                 mismatch_factors(self.mismatch, self.global_ids))
        return physics.state_parameters(currents, self.dt)

    # ------------------------------------------------------------------ objects
    def _make_objects(self, n_steps: int, cls: type | None) -> dict[str, Any]:
        n = self.n_neurons
        engine = STANDALONE if cls is None else None
        neurons = make_neurons(n, f"{self.name}_neurons", dt=self.dt, engine=engine,
                               codeobj_class=cls, global_ids=self.global_ids,
                               bias_hint="experiment.set_bias")
        stimulus = TimedArray(np.zeros((n_steps, len(SYNAPSE_TYPES) * n)), dt=self.dt,
                              name=f"{self.name}_stimulus")
        neurons.namespace[stimulus.name] = stimulus
        inputs = neurons.run_regularly(self._input_code(), when="synapses",
                                       name=f"{self.name}_inputs", codeobj_class=cls)
        # record=(): a monitor of no neuron, which keeps the sample times only
        states = StateMonitor(neurons, list(self.record or ["Imem"]),
                              record=bool(self.record), name=f"{self.name}_states",
                              codeobj_class=cls)
        spikes = SpikeMonitor(neurons, name=f"{self.name}_spikes", codeobj_class=cls)
        return {"neurons": neurons, "stimulus": stimulus, "inputs": inputs, "states": states,
                "spikes": spikes}

    def _input_code(self) -> str:
        """Return the code that adds the input counts (the stimulus ``TimedArray``) to the DPIs."""
        n = self.n_neurons
        return "\n".join(
            f"I_{t.lower()} += {self.name}_stimulus(t, i + {value * n})*"
            f"{physics.jump_expression(t.lower())}"
            for value, t in enumerate(SYNAPSE_TYPES))

    def _recording(self, objects: dict[str, Any], progress: float) -> Recording:
        states, spikes = objects["states"], objects["spikes"]
        return Recording(
            t=states.t[:].copy(), neuron_ids=self.global_ids.copy(),
            currents={v: getattr(states, v)[:].copy() for v in self.record},
            # copies: the monitors' arrays are reused (overwritten) by the next run
            spike_indices=np.array(spikes.i[:], dtype=np.int64),
            spike_times=spikes.t[:].copy(), progress=progress)

    # ------------------------------------------------------------------ build
    def _n_steps(self, duration: Quantity) -> int:
        # per step: the recorded currents, the input columns and their TimedArray copy
        per_step = self.n_neurons * (len(self.record) + 2 * len(SYNAPSE_TYPES))
        n_steps = round(bounded_duration(duration, self._dt_s, per_step) / self._dt_s)
        if n_steps < 1:
            raise InvalidSettingError(f"duration {duration} is shorter than dt {self.dt}")
        return n_steps

    def needs_build(self, duration: Quantity = 1 * second) -> bool:
        """Return whether a run of ``duration`` would first build (standalone: compile).

        True before the first run and after a change of duration; standalone: when the
        program of that duration was neither built by this Experiment (and Brian2's project
        is still its own) nor can be reused (a manifest with this Experiment's fingerprint
        and an unchanged binary, :mod:`dynsim.dynapse.program`).
        """
        n_steps = self._n_steps(duration)
        if self.engine == STANDALONE:
            return (not self._owns_standalone(("standalone", n_steps))
                    and self._reusable(n_steps, adopt=False) is None)
        return self._built is None or self._built["key"] != ("runtime", self.engine, n_steps)

    def prepare(self, duration: Quantity = 1 * second) -> bool:
        """Build what a run of ``duration`` needs, without simulating.

        Standalone: generate and compile the project now (seconds when cold, under a second
        when the compiled files are in the cache; nothing when the compiled program can be
        reused as it is), so that the next :meth:`run` only runs the program. Runtime
        engines: create the network (Brian2 compiles its code objects during the first run).
        A build switches Brian2's process-wide device while it lasts, so call
        this from the thread that runs the user's Brian2 code.

        Parameters
        ----------
        duration : Quantity
            Duration of the runs to prepare for (default 1 s).

        Returns
        -------
        bool
            Whether something was built.
        """
        n_steps = self._n_steps(duration)
        if self.engine == STANDALONE:
            if (self._owns_standalone(("standalone", n_steps))
                    or self._reusable(n_steps) is not None):
                return False
            self._build_standalone(n_steps)
            return True
        if not self.needs_build(duration):
            return False
        self._build_runtime(n_steps)
        return True

    # ------------------------------------------------------------------ run
    def run(self, duration: Quantity = 1 * second, *,
            callback: Callable[[Recording], Any] | None = None,
            chunk: Quantity | None = None) -> Recording:
        """Simulate from rest with the current biases and inputs.

        Parameters
        ----------
        duration : Quantity
            Simulated time (default 1 s).
        callback : callable, optional
            Runtime engines: called with a partial :class:`Recording` every ``chunk`` of
            simulated time and once at the end (``progress`` 1.0). Standalone: called once
            at the end.
        chunk : Quantity, optional
            Interval of the callback (default 50 ms).

        Returns
        -------
        Recording
            Currents of every neuron (with units) and their spikes.
        """
        n_steps = self._n_steps(duration)
        chunk_s = 0.05 if chunk is None else duration_seconds(chunk, "chunk")
        if callback is not None and not callable(callback):
            raise InvalidSettingError("callback must be callable")
        counts = self.input_counts(duration)
        values = self.parameters()
        if self.engine == STANDALONE:
            result = self._run_standalone(n_steps, counts, values)
        else:
            result = self._run_runtime(n_steps, counts, values, callback, chunk_s)
        if callback is not None:
            callback(result)
        return result

    def _run_runtime(self, n_steps: int, counts: np.ndarray, values: dict[str, np.ndarray],
                     callback: Callable[[Recording], Any] | None, chunk_s: float) -> Recording:
        if self._built is None or self._built["key"] != ("runtime", self.engine, n_steps):
            self._build_runtime(n_steps)
        objects, network = self._built["objects"], self._built["network"]
        network.restore("initial")
        neurons = objects["neurons"]
        for variable, value in values.items():
            neurons.variables[variable].set_value(value)
        objects["stimulus"].values[:] = counts
        operation = None
        if callback is not None:
            total = n_steps * self._dt_s

            def stream() -> None:
                now = float(network.t / second)
                if 0 < now < total - self._dt_s / 2:
                    callback(self._recording(objects, now / total))

            operation = NetworkOperation(stream, dt=chunk_s * second, when="end",
                                         name=f"{self.name}_stream")
            network.add(operation)
        try:
            network.run(n_steps * self._dt_s * second)
        finally:
            if operation is not None:
                network.remove(operation)
        return self._recording(objects, 1.0)

    def _build_runtime(self, n_steps: int) -> None:
        objects = self._make_objects(n_steps, codeobj_class(self.engine))
        network = Network(*[objects[k] for k in ("neurons", "inputs", "states", "spikes")],
                          name=f"{self.name}_network")
        network.store("initial")
        self._built = {"key": ("runtime", self.engine, n_steps), "objects": objects,
                       "network": network}

    # ------------------------------------------------------------------ standalone
    def _project_path(self, n_steps: int) -> Path:
        parts = [self.name, f"{self.n_neurons}n", f"{n_steps}steps",
                 f"dt{round(self._dt_s * 1e9)}ns"]
        if self.record != tuple(physics.STATE_VARIABLES):
            parts.append("-".join(self.record) or "spikes")
        return standalone_dir("_".join(parts))

    @property
    def project_dir(self) -> Path | None:
        """Directory of the standalone project built, reused or run last (``None`` before)."""
        return self._directory

    def _owns_standalone(self, key: tuple) -> bool:
        return owns_project(self, key)

    def _structure(self, n_steps: int) -> dict[str, Any]:
        """Everything this Experiment gives Brian2 to build its standalone program.

        With dynsim's and Brian2's code, preferences and toolchain it makes the program's
        fingerprint (:func:`dynsim.dynapse.program.fingerprint`): a program built from
        another structure is never reused.
        """
        return {"kind": "dynsim.dynapse.Experiment", "name": self.name,
                "n_neurons": self.n_neurons, "n_steps": n_steps, "dt_s": repr(self._dt_s),
                "record": list(self.record), "global_ids": self.global_ids.tolist(),
                "equations": str(physics.NEURON_EQUATIONS),
                "threshold": physics.NEURON_THRESHOLD, "reset": physics.NEURON_RESET,
                "namespace": repr(sorted(physics.NEURON_NAMESPACE.items())),
                "initial": repr(physics.I0), "state_variables": list(physics.STATE_VARIABLES),
                "input_code": self._input_code(), "synapse_types": list(SYNAPSE_TYPES),
                "run_arguments": sorted(BIAS_PARAMETERS)}

    def _reusable(self, n_steps: int, adopt: bool = True) -> Program | None:
        """Return the compiled program of ``n_steps`` steps that runs without a build, or None.

        The one reused last while its binary and static arrays are unchanged; else the
        project directory's manifest when its fingerprint is this Experiment's. ``adopt``:
        keep it for the next runs (the run-argument files and dead processes' results there
        are deleted, as after a build); without, only look. Never after a failed run of a
        reused program, until a build.
        """
        if self._program is not None and self._program[0] == n_steps:
            program = self._program[1]
            if program.unchanged():
                if adopt:
                    self._directory = program.directory
                return program
            self._program = None
        if self._rebuild:
            return None
        directory = self._project_path(n_steps)
        program = load_program(directory, fingerprint(self._structure(n_steps)))
        if program is not None and adopt:
            delete_run_files(directory)
            delete_stale_results(directory)
            self._program = (n_steps, program)
            self._directory = directory
        return program

    def _build_standalone(self, n_steps: int) -> None:
        directory = self._project_path(n_steps)
        built = fingerprint(self._structure(n_steps))
        self._program = None
        with building(self) as device:
            forget_program(directory)  # nobody reuses the project while it is rebuilt
            objects = self._make_objects(n_steps, None)
            network = Network(*[objects[k] for k in ("neurons", "inputs", "states", "spikes")],
                              name=f"{self.name}_network")
            network.run(n_steps * self._dt_s * second)
            device.build(directory=str(directory), compile=True, run=False,
                         with_output=False)
        register(self, {"key": ("standalone", n_steps), "objects": objects,
                        "network": network, "device": device, "directory": directory})
        self._rebuild, self._directory = False, directory
        neurons, states = objects["neurons"], objects["states"]
        results = {"t": states.variables["t"], "spike_indices": objects["spikes"].variables["i"],
                   "spike_times": objects["spikes"].variables["t"]}
        results.update({v: states.variables[v] for v in self.record})
        arguments = [objects["stimulus"], *(getattr(neurons, v) for v in sorted(BIAS_PARAMETERS))]
        checks = [(neurons.name, neurons.variables[v])
                  for v in neurons.equations.diff_eq_names]
        try:
            describe_build(device, directory, built, arguments, results, checks).save()
        except OSError:  # a read-only cache: this process runs through Brian2
            pass

    def _run_standalone(self, n_steps: int, counts: np.ndarray, values: dict[str, np.ndarray]
                        ) -> Recording:
        if not self._owns_standalone(("standalone", n_steps)):
            program = self._reusable(n_steps)
            if program is not None:
                return self._run_program(program, counts, values)
            self._build_standalone(n_steps)
        objects = self._built["objects"]
        neurons = objects["neurons"]
        self._directory = self._built["directory"]
        run_args: dict[Any, Any] = {objects["stimulus"]: counts}
        for variable in sorted(BIAS_PARAMETERS):
            dim = neurons.variables[variable].dim
            run_args[getattr(neurons, variable)] = Quantity(values[variable], dim=dim)
        run_project(self, run_args)
        return self._recording(objects, 1.0)

    def _run_program(self, program: Program, counts: np.ndarray,
                     values: dict[str, np.ndarray]) -> Recording:
        """Run a reused program (no Brian2 device); the same Recording as Brian2's path."""
        arguments = {f"{self.name}_stimulus.values": counts}
        arguments.update({f"{self.name}_neurons.{v}": values[v] for v in BIAS_PARAMETERS})
        try:
            out = program.run(arguments)
        except Exception:
            self._program = None  # the next run builds with Brian2 (and a new manifest)
            self._rebuild = True
            raise
        return Recording(
            t=Quantity(out["t"], dim=second.dim), neuron_ids=self.global_ids.copy(),
            currents={v: Quantity(np.ascontiguousarray(out[v].T),
                                  dim=get_dimensions(physics.I0))  # currents: amperes
                      for v in self.record},
            spike_indices=np.array(out["spike_indices"], dtype=np.int64),
            spike_times=Quantity(out["spike_times"], dim=second.dim), progress=1.0)

    def __repr__(self) -> str:
        inputs = ", ".join(f"{k}: {v.kind}" for k, v in self._inputs.items()) or "none"
        return (f"Experiment(name={self.name!r}, {self.n_neurons} neurons on "
                f"{CORE_NAMES[self.core_id]} of chip {self.chip_id}, engine={self.engine!r}, "
                f"inputs: {inputs})")
