"""Beginner layer: the dynapse-simulator API on a user-managed Brian2 ``Network``.

The example of the dynapse-simulator README runs unchanged (only the import differs)::

    from dynsim.dynapse import DynapSE

    network = Network()                       # a Brian2 Network
    chip = DynapSE(network)                   # a DYNAP-SE1 board (4 chips x 4 cores)
    DPI_neuron = chip.get_neurons(1, 'Core_1')
    DPI_NMDA_synapse = chip.add_connection(input_spike_generator, DPI_neuron,
                                           synapse_type='NMDA')
    chip.connect(DPI_NMDA_synapse, True)
    DPI_NMDA_synapse.weight = 0.5             # -> 1 CAM entry, with a DynapseWeightWarning
    network.add([input_spike_generator, DPI_neuron, DPI_NMDA_synapse, ...])
    network.run(1000 * ms)

Design choices (where the seed was silent):

* ``get_neurons(n, core, chip_id=0)`` names a core ``'Core_0'``..``'Core_3'`` (or 0..3);
  ``chip_id`` (0..3) picks the chip of the 4-chip board. Each call returns its own
  ``NeuronGroup`` of exactly ``n`` neurons (only allocated neurons are simulated), added to
  the network. Adding it again with ``network.add`` is harmless.
* A connection's ``weight`` is a whole number of CAM entries (default 1 per synapse). A
  non-integer weight is rounded half up (at least 1 for a positive value) with a
  ``DynapseWeightWarning``; negative or non-numeric weights raise ``WeightError``, and a
  weight is range-checked before any cast (``2**31 + 1`` raises ``CAMLimitError``, it never
  wraps). The 64 CAM entries of each neuron are counted over all connections and types on
  every ``connect`` and every weight change (also ``syn.weight[0] = 3``).
* ``syn.connect(...)`` in any of Brian2's forms (``True``, ``'i != j'``, ``p=0.5``,
  ``j='i'``, ``i=..., j=...``) goes through the same checks as ``chip.connect`` (CAM budget,
  CAM tag aliasing): the pairs are computed first and refused with the chip unchanged.
* Only synapses in the chip's network count: ``network.remove(synapses)`` frees their CAM
  entries and routes (and drops them from :meth:`DynapSE.get_configuration`); adding them
  back is checked before the next run (Brian2 then reports the ``CAMLimitError`` or
  ``CAMAliasingError`` as the cause of its ``BrianObjectException``).
* A source must not belong to another Brian2 ``Network`` only (``InvalidConnectionError``
  at ``add_connection``).
* Biases are per core (``set_bias``); writing a bias parameter on a neuron group raises.
  The biases live in the board's configuration (:attr:`DynapSE.board`, shared with the
  samna layer and ``Experiment``); every neuron group of a core is brought up to date with
  it at the start of each run, so even a direct edit of ``chip.configuration`` never gives
  one core's neurons different "core-wide" biases.
* The chip's groups use ``dt`` = ``defaultclock.dt`` at the time the chip is created
  (unless ``dt=`` is given) and the engine of :func:`dynsim.engine.resolve_engine`.
* External sources (any Brian2 spike source that is not a chip neuron) count towards the
  CAM budget; they have no board address, so aliasing is checked only between chip neurons.
* Brian2's ``cpp_standalone`` device (``set_device('cpp_standalone')`` before the chip is
  made, as the dynapse-simulator notebooks do) works: the chip's objects use the device's
  code, and the chip reads its own record of pairs and CAM entries (never Brian2's arrays,
  which a standalone device fills only at the run). A project without a ``directory`` is
  built in :func:`dynsim._paths.standalone_dir` (``<cache>/brian2-standalone/<name>_project``),
  not in the working directory. ``syn.connect`` with a condition or probability and a
  string index in ``syn.weight[...]`` have no values before a standalone run and are refused
  (``InvalidConnectionError``, ``WeightError``).

Monitors: record ``Imem``, ``Iahp``, ``I_ampa``, ``I_nmda``, ``I_gaba_a``, ``I_gaba_b`` with a
Brian2 ``StateMonitor`` (the seed's names ``Isoma_mem``, ``Isoma_ahp``, ``Iampa``, ``Inmda``,
``Igaba_a``, ``Igaba_b`` work too) and spikes with a ``SpikeMonitor``.

Examples
--------
>>> from brian2 import Network, SpikeGeneratorGroup, ms, pA
>>> from dynsim.dynapse import DynapSE
>>> network = Network()
>>> chip = DynapSE(network, engine="numpy", name="docchip")
>>> neurons = chip.get_neurons(2, "Core_1")
>>> source = SpikeGeneratorGroup(1, [0], [5] * ms, name="docsource")
>>> ampa = chip.add_connection(source, neurons, synapse_type="AMPA")
>>> chip.connect(ampa, True)
>>> ampa.weight = 2
>>> chip.set_bias({"Itau_ampa": 10 * pA, "PS_WEIGHT_EXC_F_N": (1, 80)}, "Core_1")
>>> chip.cam_usage(neurons).tolist()
[2, 2]
"""

from __future__ import annotations

import warnings
from collections import Counter, defaultdict
from typing import Any

import numpy as np
from brian2 import Network, Quantity, Synapses, defaultclock
from brian2.core.variables import VariableView
from brian2.devices.device import RuntimeDevice, get_device
from brian2.groups.subgroup import Subgroup
from brian2.units.fundamentalunits import DIMENSIONLESS

from dynsim._brian import configure
from dynsim._paths import standalone_dir
from dynsim.dynapse.biases import BIAS_TABLE, bias_spec
from dynsim.dynapse.board import Board, add_routes, cam_counts, check_cam_budget, parse_core
from dynsim.dynapse.circuits import (
    DynapseNeuronGroup,
    bias_currents,
    make_neurons,
    make_synapses,
    set_parameters,
)
from dynsim.dynapse.config import (
    Dynapse1Configuration,
    Dynapse1ParameterGroup,
    check_chip,
)
from dynsim.dynapse.config import (
    synapse_type as synapse_type_of,
)
from dynsim.dynapse.constants import (
    CORE_NAMES,
    CORES_PER_CHIP,
    NEURONS_PER_CHIP,
    NEURONS_PER_CORE,
    NUM_CHIPS,
    NUM_NEURONS,
    SYNAPSE_TYPES,
    split_global_id,
)
from dynsim.dynapse.mismatch import Mismatch, mismatch_factors
from dynsim.dynapse.netgen import NetworkGenerator, Neuron
from dynsim.engine import STANDALONE, resolve_engine
from dynsim.errors import (
    CAMLimitError,
    CoreFullError,
    DynapseWeightWarning,
    DynsimError,
    EngineError,
    InvalidConnectionError,
    InvalidNeuronError,
    InvalidSettingError,
    WeightError,
)
from dynsim.validation import identifier, whole_number

__all__ = ["DynapSE", "DynapseSynapses", "cam_counts", "parse_core"]

#: Weight bias of each synapse type (derived from the bias table).
_WEIGHT_BIAS = {s.group: s.samna_name for s in BIAS_TABLE
                if s.kind == "weight" and s.group in SYNAPSE_TYPES}


class _CAMWeightView(VariableView):
    """``syn.weight``: indexed assignments go through the chip's CAM checks."""

    def __init__(self, synapses: DynapseSynapses) -> None:
        super().__init__("weight", synapses.variables["weight"], synapses,
                         dimensions=DIMENSIONLESS)

    def __setitem__(self, item: Any, value: Any) -> None:
        self.group._dynapse_chip._set_weight(self.group, item, value)


class _CAMRecord:
    """The chip's own record of one connection object: pairs and CAM entries per synapse.

    The chip reads it (never Brian2's arrays) for its hardware rules, so that the rules work
    the same on Brian2's runtime and standalone devices (a standalone device has no values
    before its run).
    """

    __slots__ = ("post", "pre", "weights")

    def __init__(self) -> None:
        self.pre = np.zeros(0, dtype=np.int64)
        self.post = np.zeros(0, dtype=np.int64)
        self.weights = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.pre)


class DynapseSynapses(Synapses):
    """Connections of one synapse type onto DYNAP-SE neurons (``chip.add_connection``).

    ``weight`` is the number of CAM entries of each synapse; assignments are checked against
    the 64-entry CAM budget of every post neuron.
    """

    def __init__(self, *args: Any, dynapse_chip: DynapSE, dynapse_type: str,
                 **kwargs: Any) -> None:
        self._dynapse_chip = dynapse_chip
        self._cam = _CAMRecord()
        self.synapse_type = dynapse_type
        super().__init__(*args, **kwargs)
        # the chip adds it to the network at once: until it is connected it is an empty
        # connection that runs (Brian2 would refuse a Synapses never connected)
        self._connect_called = True

    def __getattr__(self, name: str) -> Any:
        if name in ("weight", "weight_") and "_group_attribute_access_active" in self.__dict__:
            return _CAMWeightView(self)
        return super().__getattr__(name)

    def __setattr__(self, key: str, value: Any) -> None:
        if key in ("weight", "weight_") and hasattr(self, "_group_attribute_access_active"):
            self._dynapse_chip._set_weight(self, slice(None), value)
            return
        super().__setattr__(key, value)

    def connect(self, condition: Any = None, i: Any = None, j: Any = None, p: Any = 1.0,
                n: Any = 1, skip_if_invalid: bool = False, namespace: Any = None,
                level: int = 0) -> None:
        """Create synapses in any of Brian2's forms, checked by the chip (all or nothing).

        ``syn.connect(True)``, ``syn.connect(j='i')``, ``syn.connect(i=[...], j=[...])``,
        ``syn.connect('i != j', p=0.5)``, ``syn.connect(j='k for k in range(i, N_post)')``
        ...: the pairs Brian2 would create are computed first, then the chip checks the CAM
        budget and CAM aliasing (:meth:`DynapSE.connect`) and creates them, each with a weight
        of 1 CAM entry, or refuses them with the chip unchanged.
        """
        self._dynapse_chip._connect_brian2(self, condition, i, j, p, n, skip_if_invalid,
                                           namespace, level + 1)

    def before_run(self, run_namespace: Any = None) -> None:
        """Check the chip's rules over the synapses in the network, then prepare the run."""
        self._dynapse_chip._check_rules()
        super().before_run(run_namespace)


class DynapSE:
    """An emulated DYNAP-SE1 board (4 chips x 4 cores x 256 neurons) on a Brian2 Network.

    Parameters
    ----------
    network : brian2.Network, optional
        The user's network; allocated neurons and connections are added to it.
    dt : Quantity, optional
        Time step of the chip's groups (default: ``defaultclock.dt`` now, 0.1 ms unless
        changed).
    engine : str, optional
        ``'cython'``, ``'numpy'`` or ``'auto'`` (default: ``$DYNSIM_ENGINE`` or ``'auto'``);
        under Brian2's ``cpp_standalone`` device the device's own code is used instead.
    mismatch : Mismatch, optional
        Seeded device mismatch (default: none).
    name : str
        Prefix of every Brian2 object name (use distinct names for two chips in one network).

    See Also
    --------
    dynsim.dynapse.Dynapse1Model : the samna layer.
    """

    def __init__(self, network: Network | None = None, *, dt: Quantity | None = None,
                 engine: str | None = None, mismatch: Mismatch | None = None,
                 name: str = "dynapse") -> None:
        configure()
        if network is not None and not isinstance(network, Network):
            raise InvalidSettingError(f"DynapSE(network) takes a brian2.Network, got "
                                      f"{type(network).__name__}")
        identifier(name)
        if mismatch is not None and not isinstance(mismatch, Mismatch):
            raise InvalidSettingError("mismatch must be a dynsim.dynapse.Mismatch or None")
        self.network = network
        self.name = name
        self.engine = resolve_engine(engine)
        self.dt = defaultclock.dt if dt is None else dt
        self.mismatch = mismatch
        self.board = Board(write_through=self._write_core)
        self._used = np.zeros(NUM_CHIPS * CORES_PER_CHIP, dtype=int)
        self._groups: list[DynapseNeuronGroup] = []
        self._synapses: list[DynapseSynapses] = []
        self._counter: Counter = Counter()
        self._device = get_device()

    def _device_engine(self) -> str:
        """Return the engine of new objects: the chip's, or the standalone device's own code.

        Under Brian2's ``cpp_standalone`` device (``set_device('cpp_standalone')`` before the
        chip is made) the chip's groups use the device's code objects, and a project without
        a ``directory`` is built in :func:`dynsim._paths.standalone_dir` (never in the
        working directory).

        Raises
        ------
        dynsim.errors.EngineError
            When Brian2's device has changed since the chip was made.
        """
        device = get_device()
        if device is not self._device:
            raise EngineError(
                f"Brian2's device changed since this chip was made (now "
                f"{type(device).__name__}, then {type(self._device).__name__}); make a new "
                f"chip after set_device(...) (and device.reinit(); device.activate())")
        if isinstance(device, RuntimeDevice):
            return self.engine
        options = getattr(device, "build_options", None)
        if isinstance(options, dict) and options.get("directory") is None:
            options["directory"] = str(standalone_dir(f"{self.name}_project"))
        # the chip's objects go into Brian2's one standalone project: an Experiment that
        # built its own project there must build it again (seed.py-style local import)
        from dynsim.dynapse.standalone import _STANDALONE_OWNER

        _STANDALONE_OWNER.update(experiment=None, key=None)
        return STANDALONE

    # ------------------------------------------------------------------ neurons
    def get_neurons(self, num_neurons: int, core_name: str | int = "", chip_id: int = 0
                    ) -> DynapseNeuronGroup:
        """Allocate ``num_neurons`` neurons of one core and return them as a NeuronGroup.

        Parameters
        ----------
        num_neurons : int
            1..256.
        core_name : str or int
            ``'Core_0'``..``'Core_3'`` (or 0..3); ``''`` takes the first core of the chip
            with enough free neurons.
        chip_id : int
            Chip of the board, 0..3.

        Raises
        ------
        dynsim.errors.CoreFullError
            When the core (or every core, for ``''``) has too few free neurons.
        """
        chip = check_chip(chip_id)
        n = whole_number(num_neurons, "num_neurons", low=1, error=InvalidNeuronError)
        if core_name == "":
            free = [NEURONS_PER_CORE - self._used[chip * CORES_PER_CHIP + k]
                    for k in range(CORES_PER_CHIP)]
            fits = [k for k in range(CORES_PER_CHIP) if free[k] >= n]
            if not fits:
                raise CoreFullError(
                    f"no core of chip {chip} has {n} free neurons (a core has "
                    f"{NEURONS_PER_CORE}; free now: "
                    f"{', '.join(f'{CORE_NAMES[k]} {free[k]}' for k in range(CORES_PER_CHIP))})")
            core = fits[0]
        else:
            core = parse_core(core_name)
        slot = chip * CORES_PER_CHIP + core
        used = int(self._used[slot])
        if used + n > NEURONS_PER_CORE:
            raise CoreFullError(
                f"{CORE_NAMES[core]} of chip {chip} has {NEURONS_PER_CORE} neurons; {used} are "
                f"allocated, {NEURONS_PER_CORE - used} free, {n} requested")
        ids = np.arange(used, used + n) + core * NEURONS_PER_CORE + chip * NEURONS_PER_CHIP
        engine = self._device_engine()
        group = make_neurons(n, name=f"{self.name}_chip{chip}_core{core}_{used}", dt=self.dt,
                             engine=engine, global_ids=ids, bias_hint="chip.set_bias")
        self._write_biases(group)
        group._bias_refresh = self._refresh_biases
        self._used[slot] += n
        self._groups.append(group)
        if self.network is not None:
            self.network.add(group)
        return group

    def get_num_free_neurons(self, core_name: str | int, chip_id: int = 0) -> int:
        """Return how many neurons of a core are not allocated."""
        slot = check_chip(chip_id) * CORES_PER_CHIP + parse_core(core_name)
        return NEURONS_PER_CORE - int(self._used[slot])

    @property
    def configuration(self) -> Dynapse1Configuration:
        """The board's configuration (biases), the single source of :attr:`board`.

        Change biases with :meth:`set_bias`. A direct edit (``chip.configuration.chips[0]
        .cores[1].parameter_group.param_map[...] = ...``) is not lost and never splits a
        core: every neuron group of the core takes it at the start of the next run.
        """
        return self.board.configuration

    def _write_biases(self, group: DynapseNeuronGroup) -> None:
        core = [(group.chip_id, group.core_id)]
        groups = [self.board.group(group.chip_id, group.core_id)] * len(group)
        set_parameters(group, bias_currents(groups, mismatch_factors(self.mismatch,
                                                                     group.global_ids)))
        group._bias_key = self.board.biases_key(core)

    def _refresh_biases(self, group: DynapseNeuronGroup) -> None:
        if getattr(group, "_bias_key", None) != self.board.biases_key(
                [(group.chip_id, group.core_id)]):
            self._write_biases(group)

    def _write_core(self, chip: int, core: int) -> None:
        for neurons in self._groups:
            if (neurons.chip_id, neurons.core_id) == (chip, core):
                self._write_biases(neurons)

    # ------------------------------------------------------------------ biases
    def set_bias(self, biases: Any, core_name: str | int = "", chip_id: int = 0) -> None:
        """Set biases of one core (all or nothing).

        Parameters
        ----------
        biases : dict, Dynapse1ParameterGroup or list of Dynapse1Parameter
            samna names with ``(coarse, fine)`` or a ``Dynapse1Parameter``
            (``{'IF_DC_P': (1, 100)}``), or physical names with a current in amperes
            (``{'Idc': 40*pA}``, rounded to the nearest ``(coarse, fine)``).
        core_name : str or int
            ``'Core_0'``..``'Core_3'`` (or 0..3).
        chip_id : int
            Chip of the board, 0..3.

        Raises
        ------
        dynsim.errors.UnknownBiasError, dynsim.errors.BiasRangeError, InvalidCoreError
            Before anything is changed.
        """
        self.board.set_biases(chip_id, core_name, biases)

    def get_bias(self, core_name: str | int, chip_id: int = 0) -> Dynapse1ParameterGroup:
        """Return (a copy of) the 25 biases of a core."""
        return self.board.parameter_group(chip_id, core_name)

    # ------------------------------------------------------------------ connections
    def _owner(self, group: Any) -> tuple[DynapseNeuronGroup, int, int] | None:
        """Return ``(chip group, start, stop)`` when ``group`` is neurons of this chip."""
        if isinstance(group, Subgroup):
            owner = self._owner(group.source)
            if owner is None:
                return None
            return owner[0], owner[1] + group.start, owner[1] + group.stop
        # Brian2 keeps a Subgroup's parent as a weak proxy, which `==` (not `is`) sees through
        for own in self._groups:
            if group == own:
                return own, 0, len(own)
        return None

    def add_connection(self, source: Any, target: Any, synapse_type: str = "NMDA"
                       ) -> DynapseSynapses:
        """Create (unconnected) synapses of one type from ``source`` onto chip neurons.

        Parameters
        ----------
        source : Brian2 spike source
            Chip neurons, or any Brian2 group that emits spikes (inputs from outside).
        target : NeuronGroup
            Neurons returned by :meth:`get_neurons` (or a slice of them).
        synapse_type : str
            ``'AMPA'``, ``'NMDA'``, ``'GABA_A'`` or ``'GABA_B'``.

        Returns
        -------
        DynapseSynapses
            Connect it with :meth:`connect`; set ``weight`` in CAM entries.
        """
        kind = synapse_type_of(synapse_type).name
        if self._owner(target) is None:
            raise InvalidConnectionError(
                "the target of a DYNAP-SE connection must be neurons allocated with "
                "chip.get_neurons(...) on this chip (or a slice of them), got "
                f"{getattr(target, 'name', type(target).__name__)!r}")
        if not hasattr(source, "_spikespace") and not isinstance(source, Subgroup):
            raise InvalidConnectionError(f"the source must be a Brian2 group that emits spikes, "
                                         f"got {type(source).__name__}")
        self._check_same_network(source)
        index = self._counter[kind]
        syn = make_synapses(source, target, name=f"{self.name}_{kind}{index}",
                            synapse_type=kind, engine=self._device_engine(),
                            synapses_class=DynapseSynapses, dynapse_chip=self,
                            dynapse_type=kind)
        self._counter[kind] += 1
        self._synapses.append(syn)
        if self.network is not None:
            self.network.add(syn)
        return syn

    def _check_same_network(self, source: Any) -> None:
        """Refuse a source that is in another Brian2 Network and not in the chip's."""
        if self.network is None:
            return
        root = source
        while isinstance(root, Subgroup):
            root = root.source
        if any(root == obj for obj in self.network.objects):
            return
        for ref in Network.__instances__():
            other = ref()
            if other is None or other is self.network:
                continue
            if any(root == obj for obj in other.objects):
                raise InvalidConnectionError(
                    f"the source {root.name!r} belongs to another Brian2 Network "
                    f"({other.name!r}); a connection of this chip runs in the chip's network "
                    f"{self.network.name!r}. Add the source to that network first "
                    f"(network.add(source)), or make the chip with the source's network.")

    def _connect_brian2(self, synapses: DynapseSynapses, condition: Any, i: Any, j: Any,
                        p: Any, n: Any, skip_if_invalid: bool, namespace: Any, level: int
                        ) -> None:
        """``syn.connect(...)`` in Brian2's forms: pairs first, then :meth:`connect`."""
        simple = (isinstance(p, int | float) and p == 1 and isinstance(n, int) and n == 1
                  and not skip_if_invalid and namespace is None)
        if simple and condition is None and i is None and isinstance(j, str) and j == "i":
            return self.connect(synapses, "i")
        if simple and i is None and j is None and isinstance(condition, bool | np.bool_):
            return self.connect(synapses, bool(condition))
        if simple and condition is None and i is not None and j is not None \
                and not isinstance(i, str) and not isinstance(j, str):
            return self.connect(synapses, j, i=i)
        if not isinstance(self._device, RuntimeDevice):
            raise InvalidConnectionError(
                f"{synapses.name}.connect({condition=!r}, {i=!r}, {j=!r}, {p=!r}, {n=!r}): "
                f"under Brian2's standalone device the chip connects True (all to all), "
                f"j='i' (one to one) or explicit pairs i=[...], j=[...] (a condition or a "
                f"probability has no pairs before the run); or run on the runtime device "
                f"(set_device('runtime'))")
        # any other form: let Brian2 compute the pairs on a scratch object, then check them
        scratch = Synapses(synapses.source, synapses.target, model="",
                           name=f"{synapses.name}_pairs*", codeobj_class=synapses.codeobj_class,
                           dt=synapses.clock.dt)
        try:
            Synapses.connect(scratch, condition=condition, i=i, j=j, p=p, n=n,
                             skip_if_invalid=skip_if_invalid, namespace=namespace,
                             level=level + 1)
            pre, post = np.asarray(scratch.i[:]), np.asarray(scratch.j[:])
        except DynsimError:
            raise
        except Exception as err:  # Brian2's own parse and index errors
            raise InvalidConnectionError(
                f"{synapses.name}.connect({condition=!r}, {i=!r}, {j=!r}, {p=!r}, {n=!r}) "
                f"cannot be made: {type(err).__name__}: {err}"[:600]) from None
        finally:
            del scratch
        return self.connect(synapses, post.astype(np.int64), i=pre.astype(np.int64))

    def connect(self, synapses: DynapseSynapses, j: Any = "i", *, i: Any = None) -> None:
        """Create synapses, each with a weight of 1 CAM entry (all or nothing).

        Parameters
        ----------
        synapses : DynapseSynapses
            From :meth:`add_connection`.
        j : bool, str or array
            ``True`` (all to all), ``False`` (nothing), ``'i'`` (one to one, equal sizes), or
            post indices with ``i=`` the pre indices.
        i : array, optional
            Pre indices of explicit pairs.

        Raises
        ------
        dynsim.errors.InvalidConnectionError
            For other forms or indices out of range.
        dynsim.errors.CAMLimitError, CAMAliasingError, SRAMLimitError
            When the new synapses break a hardware rule.
        """
        if not isinstance(synapses, DynapseSynapses) or synapses._dynapse_chip is not self:
            raise InvalidConnectionError("connect() takes synapses made by this chip's "
                                         "add_connection()")
        n_pre, n_post = len(synapses.source), len(synapses.target)
        if i is not None:
            pre, post = self._explicit_pairs(i, j, n_pre, n_post)
        elif isinstance(j, bool | np.bool_):
            if not j:
                return
            pre, post = np.repeat(np.arange(n_pre), n_post), np.tile(np.arange(n_post), n_pre)
        elif isinstance(j, str) and j == "i":
            if n_pre != n_post:
                raise InvalidConnectionError(f"one-to-one ('i') needs as many sources as "
                                             f"targets; here {n_pre} and {n_post}")
            pre = post = np.arange(n_pre)
        else:
            raise InvalidConnectionError(
                f"connect(synapses, j) takes j=True (all to all), j=False, j='i' (one to one) "
                f"or explicit pairs connect(synapses, i=[...], j=[...]); got j={j!r}")
        self._check_new(synapses, pre, post)
        if len(pre) == 0:
            return
        record = synapses._cam
        before = len(record)
        Synapses.connect(synapses, i=pre, j=post)
        synapses.variables["weight"].get_addressable_value("weight", synapses)[before:] = 1
        record.pre = np.concatenate([record.pre, pre.astype(np.int64)])
        record.post = np.concatenate([record.post, post.astype(np.int64)])
        record.weights = np.concatenate([record.weights, np.ones(len(pre), dtype=np.int64)])

    @staticmethod
    def _explicit_pairs(i: Any, j: Any, n_pre: int, n_post: int) -> tuple[np.ndarray, np.ndarray]:
        try:
            pre = np.asarray(i).reshape(-1)
            post = np.asarray(j).reshape(-1)
        except (TypeError, ValueError):
            raise InvalidConnectionError("i and j must be arrays of indices") from None
        if pre.dtype.kind not in "iu" or post.dtype.kind not in "iu" or pre.shape != post.shape:
            raise InvalidConnectionError(f"i and j must be integer arrays of equal length, got "
                                         f"{i!r} and {j!r}")
        if len(pre) and (pre.min() < 0 or pre.max() >= n_pre):
            raise InvalidConnectionError(f"source index out of range 0..{n_pre - 1}: {i!r}")
        if len(post) and (post.min() < 0 or post.max() >= n_post):
            raise InvalidConnectionError(f"target index out of range 0..{n_post - 1}: {j!r}")
        return pre.astype(np.int64), post.astype(np.int64)

    # ------------------------------------------------------------------ hardware rules
    def _post_gids(self, synapses: DynapseSynapses, post_index: np.ndarray) -> np.ndarray:
        group, start, _ = self._owner(synapses.target)
        return group.global_ids[start + np.asarray(post_index, dtype=np.int64)]

    def _pre_gids(self, synapses: DynapseSynapses, pre_index: np.ndarray) -> np.ndarray | None:
        owner = self._owner(synapses.source)
        if owner is None:
            return None
        return owner[0].global_ids[owner[1] + np.asarray(pre_index, dtype=np.int64)]

    def _active_synapses(self) -> list[DynapseSynapses]:
        """Return the synapses that count: those in the chip's network (all, without one).

        ``network.remove(synapses)`` frees their CAM entries and routes; adding them back
        is checked again before the next run (:meth:`_check_rules`).
        """
        if self.network is None:
            return list(self._synapses)
        return [syn for syn in self._synapses
                if any(syn is obj for obj in self.network.objects)]

    def _check_rules(self) -> None:
        """Check the CAM budget and CAM aliasing over all synapses that count.

        Called before each run: the incremental checks of :meth:`connect` and weight changes
        cover everything except synapses added back to the network after a removal.
        """
        active = self._active_synapses()
        self._raise_if_over(self._usage(), "the synapses in the network")
        key = tuple((id(syn), len(syn._cam)) for syn in active)
        if key == getattr(self, "_routes_checked", None):
            return
        arrivals: dict = defaultdict(lambda: defaultdict(set))
        targets: dict = defaultdict(set)
        for syn in active:
            pre = self._pre_gids(syn, syn._cam.pre) if len(syn._cam) else None
            if pre is not None:
                add_routes(arrivals, targets, pre, self._post_gids(syn, syn._cam.post),
                           check=True)
        self._routes_checked = key

    def _usage(self, replace: DynapseSynapses | None = None, weights: np.ndarray | None = None
               ) -> np.ndarray:
        """CAM entries in use per global neuron id and type, shape (4, NUM_NEURONS)."""
        usage = np.zeros((len(SYNAPSE_TYPES), NUM_NEURONS), dtype=np.int64)
        for syn in self._active_synapses():
            if len(syn._cam) == 0:
                continue
            # `replace` may be Brian2's weak proxy of the object (syn.weight[...] = ...)
            w = weights if replace is not None and syn._cam is replace._cam else syn._cam.weights
            posts = self._post_gids(syn, syn._cam.post)
            np.add.at(usage[synapse_type_of(syn.synapse_type)], posts, w)
        return usage

    def cam_usage(self, neurons: Any) -> np.ndarray:
        """Return the number of CAM entries in use by each neuron of a group (all types)."""
        owner = self._owner(neurons)
        if owner is None:
            raise InvalidNeuronError("cam_usage takes neurons allocated on this chip")
        group, start, stop = owner
        return self._usage().sum(axis=0)[group.global_ids[start:stop]]

    @staticmethod
    def _raise_if_over(usage: np.ndarray, context: str) -> None:
        check_cam_budget(usage, context)

    def _check_new(self, synapses: DynapseSynapses, pre: np.ndarray, post: np.ndarray) -> None:
        usage = self._usage()
        np.add.at(usage[synapse_type_of(synapses.synapse_type)], self._post_gids(synapses, post), 1)
        self._raise_if_over(usage, f"connecting {synapses.name}")
        pre_gids = self._pre_gids(synapses, pre)
        if pre_gids is None or len(pre_gids) == 0:
            return
        post_gids = self._post_gids(synapses, post)
        arrivals: dict[tuple[int, int], dict[tuple[int, int], set[int]]] = defaultdict(
            lambda: defaultdict(set))
        targets: dict[int, set[int]] = defaultdict(set)
        for syn in self._active_synapses():
            p = self._pre_gids(syn, syn._cam.pre) if len(syn._cam) else None
            if p is None:
                continue
            q = self._post_gids(syn, syn._cam.post)
            add_routes(arrivals, targets, p, q)
        add_routes(arrivals, targets, pre_gids, post_gids, check=True)

    def _set_weight(self, synapses: DynapseSynapses, item: Any, value: Any) -> None:
        counts, note = cam_counts(value)
        variable = synapses.variables["weight"]
        view = variable.get_addressable_value("weight", synapses)
        record = synapses._cam
        if isinstance(self._device, RuntimeDevice):
            # Brian2 interprets the index (also strings such as 'i > 2'); the chip reads back
            old = variable.get_value().copy()
            try:
                view[item] = counts.item() if counts.ndim == 0 else counts
                new = np.asarray(variable.get_value()).astype(np.int64)
            except DynsimError:
                variable.set_value(old)
                raise
            except Exception as err:  # Brian2's index, shape and expression errors
                variable.set_value(old)
                raise WeightError(f"cannot set {synapses.name}.weight[{item!r}] to {value!r}: "
                                  f"{type(err).__name__}: {err}"[:600]) from None
            try:
                self._raise_if_over(self._usage(synapses, new),
                                    f"setting {synapses.name}.weight")
            except CAMLimitError:
                variable.set_value(old)
                raise
        else:
            # standalone: no values before the run; the chip's record is applied whole
            new = self._standalone_weights(synapses, item, counts, value)
            self._raise_if_over(self._usage(synapses, new), f"setting {synapses.name}.weight")
            if len(new):
                view[slice(None)] = new
        record.weights = new
        if note is not None:
            bias = _WEIGHT_BIAS[synapses.synapse_type]
            hint = (f"To make a connection weaker, lower the weight bias of the synapse type "
                    f"instead, e.g. chip.set_bias({{'{bias}': (coarse, fine)}}, core) (physical "
                    f"name {bias_spec(bias).physical_name!r}).")
            given = np.asarray(value, dtype=float).ravel()
            fractional = given[given != np.round(given)]
            if fractional.size:
                # seed.py imports this module, so the import stays local
                from dynsim.dynapse.seed import same_jump_hint

                group = self._owner(synapses.target)[0]
                core = self.board.group(group.chip_id, group.core_id)
                try:
                    hint = same_jump_hint(synapses.synapse_type, float(fractional[0]), core)
                except DynsimError:  # no bias makes that jump: keep the general advice
                    pass
            warnings.warn(f"{synapses.name}: {note} {hint}", DynapseWeightWarning, stacklevel=3)

    @staticmethod
    def _standalone_weights(synapses: DynapseSynapses, item: Any, counts: np.ndarray,
                            value: Any) -> np.ndarray:
        """Return the weights after ``synapses.weight[item] = counts`` on the chip's record."""
        new = synapses._cam.weights.copy()
        if isinstance(item, str):
            raise WeightError(
                f"{synapses.name}.weight[{item!r}]: under Brian2's standalone device a weight "
                f"index is a number, a slice or an array of indices (the condition {item!r} "
                f"has no values before the run); or run on the runtime device "
                f"(set_device('runtime'))")
        try:
            new[item] = counts
        except (IndexError, TypeError, ValueError) as err:
            raise WeightError(f"cannot set {synapses.name}.weight[{item!r}] to {value!r}: "
                              f"{type(err).__name__}: {err}"[:600]) from None
        return new

    # ------------------------------------------------------------------ export
    def get_configuration(self) -> Dynapse1Configuration:
        """Return the board configuration: biases and chip-to-chip connections.

        Connections from external Brian2 sources are not exported (they have no board
        address; on the board they would come from the FPGA or Poisson generator).
        """
        generator = NetworkGenerator()
        for syn in self._active_synapses():
            if len(syn._cam) == 0:
                continue
            pre = self._pre_gids(syn, syn._cam.pre)
            if pre is None:
                continue
            post = self._post_gids(syn, syn._cam.post)
            weights = syn._cam.weights
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                generator.add_connections(
                    (Neuron(*split_global_id(a)), Neuron(*split_global_id(b)), syn.synapse_type)
                    for a, b, w in zip(pre, post, weights, strict=True) for _ in range(int(w)))
        return generator.make_dynapse1_configuration(self.configuration)

    def __repr__(self) -> str:
        used = {f"chip {s // CORES_PER_CHIP} {CORE_NAMES[s % CORES_PER_CHIP]}": int(n)
                for s, n in enumerate(self._used) if n}
        return f"DynapSE(name={self.name!r}, allocated neurons: {used or 'none'})"
