"""The board core shared by the three DYNAP-SE front doors.

:class:`~dynsim.dynapse.DynapSE` (beginner layer), :class:`~dynsim.dynapse.Dynapse1Model`
(samna layer) and :class:`~dynsim.dynapse.Experiment` (bench engine) each own one
:class:`Board`: the board's :class:`~dynsim.dynapse.config.Dynapse1Configuration` (the
single source of the biases), one bias write-through (:meth:`Board.set_biases`: validate
all, change all, then tell the front door's simulation) and the hardware rules that all
three check (:func:`check_cam_budget`, :func:`add_routes`, :func:`check_configuration`).
Widgets reach any front door through :func:`board_of`.

The shared helpers of the front doors live here too: :func:`parse_core` (``'Core_1'`` or 1)
and :func:`cam_counts` (a weight as whole numbers of CAM entries, range-checked before any
cast).

Examples
--------
>>> from brian2 import pA
>>> from dynsim.dynapse import Experiment
>>> from dynsim.dynapse.board import board_of
>>> board, fixed = board_of(Experiment(2, core="Core_1", engine="numpy", name="boarddoc"))
>>> fixed
(0, 1)
>>> board.set_biases(0, 1, {"IF_DC_P": (1, 100)})
{'IF_DC_P': (1, 100)}
>>> board.label(0, 1)
'Core_1 of chip 0'
>>> board.parameter_group(0, 1).param_map["IF_DC_P"].fine_value
100
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from brian2 import Quantity
from brian2.units.fundamentalunits import DIMENSIONLESS

from dynsim.dynapse.biases import resolve_biases
from dynsim.dynapse.config import (
    Dynapse1Configuration,
    Dynapse1Parameter,
    Dynapse1ParameterGroup,
    check_chip,
)
from dynsim.dynapse.constants import (
    CAMS_PER_NEURON,
    CORE_NAMES,
    CORES_PER_CHIP,
    SRAMS_PER_NEURON,
    SYNAPSE_TYPES,
    split_global_id,
)
from dynsim.dynapse.netgen import check_configuration
from dynsim.errors import (
    CAMAliasingError,
    CAMLimitError,
    InvalidCoreError,
    InvalidSettingError,
    SRAMLimitError,
    WeightError,
    suggest,
)
from dynsim.validation import duration_seconds, is_whole_number, whole_number

__all__ = [
    "MAX_RUN_VALUES",
    "MAX_SEED",
    "MAX_WEIGHT",
    "Board",
    "add_routes",
    "board_of",
    "bounded_duration",
    "cam_counts",
    "check_cam_budget",
    "check_configuration",
    "check_seed",
    "parse_core",
]

#: Largest weight :func:`cam_counts` counts (any sum of such counts fits in ``int64``);
#: anything above 64 is refused by the CAM budget anyway.
MAX_WEIGHT = 2**31 - 1

#: Largest number of values one run may step through and record: steps x (recorded values
#: + input columns) per step, 400 MB of float64. A user-controlled duration is checked
#: against it (:func:`bounded_duration`) before any array is made.
MAX_RUN_VALUES = 50_000_000

#: Seeds are whole numbers in ``0..MAX_SEED`` (numpy's ``SeedSequence`` takes any, but a
#: seed a student types fits 32 bits, like Brian2's ``seed()``).
MAX_SEED = 2**32 - 1

#: Called with ``(chip, core)`` after the biases of that core changed.
WriteThrough = Callable[[int, int], None]


def parse_core(core: object) -> int:
    """Return the core index of ``'Core_0'``..``'Core_3'`` or 0..3.

    Raises
    ------
    dynsim.errors.InvalidCoreError
        Listing the valid names.

    Examples
    --------
    >>> parse_core("Core_2"), parse_core(3)
    (2, 3)
    """
    if is_whole_number(core) and 0 <= int(core) < CORES_PER_CHIP:
        return int(core)
    if isinstance(core, str) and core in CORE_NAMES:
        return CORE_NAMES.index(core)
    hint = suggest(str(core), CORE_NAMES) if isinstance(core, str) else ""
    raise InvalidCoreError(f"unknown core {core!r}.{hint} A chip has the cores "
                           f"{', '.join(CORE_NAMES)} (or 0..3); pick the chip with chip_id=0..3")


def check_seed(seed: object) -> int:
    """Return a random seed after checking it is a whole number in ``0..MAX_SEED``.

    Raises
    ------
    dynsim.errors.InvalidSettingError
        For ``1.7``, ``True``, ``-1``, ``2**40``, ``None``, ...

    Examples
    --------
    >>> check_seed(np.uint32(7))
    7
    """
    return whole_number(seed, "seed", low=0, high=MAX_SEED, error=InvalidSettingError)


def bounded_duration(duration: object, dt_s: float, values_per_step: int,
                     name: str = "duration") -> float:
    """Return a run's duration in seconds after bounding the memory it would take.

    Parameters
    ----------
    duration : Quantity
        The duration the user asked for (``500 * ms``).
    dt_s : float
        Time step in seconds.
    values_per_step : int
        Values the run stores per time step (recorded currents, input columns); at least 1
        is assumed.
    name : str
        The argument's name, for the message.

    Raises
    ------
    dynsim.errors.InvalidSettingError
        For a duration that is not a positive time, or one whose steps x values exceed
        :data:`MAX_RUN_VALUES`, naming the longest duration accepted here.

    Examples
    --------
    >>> from brian2 import second
    >>> bounded_duration(2 * second, 1e-4, 6)
    2.0
    """
    seconds = duration_seconds(duration, name)
    per_step = max(1, int(values_per_step))
    steps = seconds / dt_s
    if steps * per_step > MAX_RUN_VALUES:
        longest = MAX_RUN_VALUES // per_step * dt_s
        raise InvalidSettingError(
            f"{name} {seconds:g} s is {steps:.3g} steps of {dt_s * 1e3:g} ms with {per_step} "
            f"values each; one run holds at most {MAX_RUN_VALUES:.0e} values (400 MB), so at "
            f"most {longest:g} s here. Run in shorter pieces, or record fewer neurons or "
            "currents.")
    return seconds


def cam_counts(value: object) -> tuple[np.ndarray, str | None]:
    """Return ``value`` as whole numbers of CAM entries, and a note when it was rounded.

    Every value is range-checked before the cast to integers, so a huge weight such as
    ``2**31 + 1`` is refused, never wrapped. Weights up to :data:`MAX_WEIGHT` are counted
    exactly; the callers then check the 64-entry budget of each neuron
    (:func:`check_cam_budget`) with the whole fan-in in view.

    Parameters
    ----------
    value : int, float or array_like
        Weights in CAM entries; a non-integer is rounded half up (at least 1 when positive).

    Returns
    -------
    counts : numpy.ndarray
        ``int64`` counts with the shape of ``value``.
    note : str or None
        What was rounded, for a :class:`~dynsim.errors.DynapseWeightWarning`.

    Raises
    ------
    dynsim.errors.WeightError
        For negative, non-finite or non-numeric weights (and strings or units).
    dynsim.errors.CAMLimitError
        For a weight above :data:`MAX_WEIGHT` (a neuron has only 64 CAM entries anyway).

    Examples
    --------
    >>> counts, note = cam_counts([0.2, 2, 2.5])
    >>> counts.tolist()
    [1, 2, 3]
    """
    if isinstance(value, str | bytes):
        raise WeightError("a DYNAP-SE weight is a whole number of CAM entries: give an int or "
                          f"an array of ints, not the expression {value!r}")
    if isinstance(value, Quantity) and value.dim is not DIMENSIONLESS:
        raise WeightError(f"a DYNAP-SE weight is a number of CAM entries, without units; got "
                          f"{value}. The current of one entry is the weight bias.")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise WeightError(f"a DYNAP-SE weight is a whole number of CAM entries, got "
                          f"{value!r}"[:300]) from None
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise WeightError(f"weights must be finite numbers >= 0 of CAM entries, got "
                          f"{value!r}"[:300])
    if np.any(array > MAX_WEIGHT):
        biggest = float(array.max())
        raise CAMLimitError(f"a weight of {biggest:g} CAM entries is far more than a neuron has: "
                            f"a neuron has {CAMS_PER_NEURON} CAM entries of fan-in over all "
                            "connections and synapse types. Raise the weight bias instead.")
    counts = np.where((array > 0) & (array < 0.5), 1.0, np.floor(array + 0.5))
    note = None
    if np.any(counts != array):
        changed = np.flatnonzero(counts.reshape(-1) != array.reshape(-1))
        first = changed[0]
        note = (f"weight {array.reshape(-1)[first]:g} was set to "
                f"{int(counts.reshape(-1)[first])} CAM entr"
                f"{'y' if counts.reshape(-1)[first] == 1 else 'ies'}"
                f"{f' ({len(changed)} values rounded)' if len(changed) > 1 else ''}: on the "
                "DYNAP-SE a weight is a whole number of CAM entries (rounded half up, at least "
                "1 for a positive weight).")
    return counts.astype(np.int64), note


def check_cam_budget(usage: np.ndarray, context: str,
                     global_ids: np.ndarray | None = None) -> None:
    """Raise when a neuron would use more than its 64 CAM entries (the fan-in rule).

    Parameters
    ----------
    usage : numpy.ndarray
        CAM entries in use, shape ``(4, n)``: one row per synapse type in
        :data:`~dynsim.dynapse.constants.SYNAPSE_TYPES` order, one column per neuron.
    context : str
        What would cause it (``"connecting ampa0"``), the start of the message.
    global_ids : numpy.ndarray, optional
        Global id of each column (default: the column index).

    Raises
    ------
    dynsim.errors.CAMLimitError
        Naming the first neuron over the limit and its entries by type.

    Examples
    --------
    >>> usage = np.zeros((4, 2), dtype=int)
    >>> usage[3, 1] = 65
    >>> check_cam_budget(usage, "this")
    Traceback (most recent call last):
    ...
    dynsim.errors.CAMLimitError: this would give neuron 1 of Core_0 (chip 0) 65 CAM entries (65 AMPA); a neuron has 64 CAM entries of fan-in over all connections and synapse types. Use fewer inputs or smaller weights, or raise the weight bias instead.
    """  # noqa: E501
    total = usage.sum(axis=0)
    over = np.flatnonzero(total > CAMS_PER_NEURON)
    if len(over) == 0:
        return
    column = int(over[0])
    gid = column if global_ids is None else int(global_ids[column])
    chip, core, neuron = split_global_id(gid)
    types = ", ".join(f"{int(usage[t, column])} {name}" for t, name in
                      enumerate(SYNAPSE_TYPES) if usage[t, column])
    raise CAMLimitError(
        f"{context} would give neuron {neuron} of {CORE_NAMES[core]} (chip {chip}) "
        f"{int(total[column])} CAM entries ({types}); a neuron has {CAMS_PER_NEURON} CAM "
        f"entries of fan-in over all connections and synapse types"
        f"{f' ({len(over)} neurons over the limit)' if len(over) > 1 else ''}. Use fewer "
        "inputs or smaller weights, or raise the weight bias instead.")


def add_routes(arrivals: dict, targets: dict, pre_gids: Iterable[int],
               post_gids: Iterable[int], check: bool = False) -> None:
    """Record chip-to-chip routes; with ``check``, refuse CAM tag aliasing first.

    Parameters
    ----------
    arrivals : dict
        ``(chip, core) -> (core, neuron) tag -> set of source chips`` (a nested
        ``defaultdict``), updated in place.
    targets : dict
        ``source global id -> set of target chips`` (a ``defaultdict(set)``), updated.
    pre_gids, post_gids : iterable of int
        Global ids of the sources and targets of the new routes.
    check : bool
        Raise instead of recording a route that breaks a rule.

    Raises
    ------
    dynsim.errors.CAMAliasingError
        When two chips' neurons with the same (core, neuron) tag would reach one core.
    dynsim.errors.SRAMLimitError
        When a neuron would need more SRAM destinations than it has.
    """
    for a, b in zip(pre_gids, post_gids, strict=True):
        pchip, pcore, pneuron = split_global_id(a)
        qchip, qcore, _ = split_global_id(b)
        sources = arrivals[(qchip, qcore)][(pcore, pneuron)]
        if check and sources - {pchip}:
            other = min(sources - {pchip})
            raise CAMAliasingError(
                f"CAM tag aliasing: neuron {pneuron} of {CORE_NAMES[pcore]} on chip {pchip} "
                f"and the same neuron/core on chip {other} would both reach "
                f"{CORE_NAMES[qcore]} of chip {qchip}; a CAM entry stores only (core, "
                "neuron), not the chip. Use another source neuron.")
        sources.add(pchip)
        targets[a].add(qchip)
        if check and len(targets[a]) > SRAMS_PER_NEURON:  # pragma: no cover - 4 chips
            raise SRAMLimitError(f"neuron {a} would need more than {SRAMS_PER_NEURON} SRAM "
                                 "destinations")


class Board:
    """The shared core of a DYNAP-SE front door: configuration, biases and their write-through.

    Parameters
    ----------
    configuration : Dynapse1Configuration, optional
        Initial configuration (copied; default: every core at the default biases).
    write_through : callable, optional
        ``write_through(chip, core)``, called after the biases of a core changed: the front
        door writes them into its running simulation (all neurons of the core follow).
    fixed : tuple of int, optional
        ``(chip, core)`` when the front door simulates one core only (an ``Experiment``):
        :meth:`set_biases` refuses the other cores.

    Attributes
    ----------
    configuration : Dynapse1Configuration
        The board's configuration, the single source of its biases. Change biases with
        :meth:`set_biases` (or the front door's ``set_bias``); a direct edit of a
        ``param_map`` reaches the simulation at the next run of the front door (all neurons of
        the core follow), never one neuron group alone.
    """

    def __init__(self, configuration: Dynapse1Configuration | None = None, *,
                 write_through: WriteThrough | None = None,
                 fixed: tuple[int, int] | None = None) -> None:
        self._configuration = (Dynapse1Configuration() if configuration is None
                               else configuration.copy())
        self._write_through = write_through
        self.fixed = fixed

    @property
    def configuration(self) -> Dynapse1Configuration:
        """The board's configuration (the single source of its biases)."""
        return self._configuration

    def load(self, configuration: Dynapse1Configuration) -> None:
        """Replace the configuration by a copy of ``configuration`` (no write-through)."""
        if not isinstance(configuration, Dynapse1Configuration):
            raise InvalidSettingError(f"a board takes a Dynapse1Configuration, got "
                                      f"{type(configuration).__name__}")
        self._configuration = configuration.copy()

    def _core(self, chip: object, core: object) -> tuple[int, int]:
        pair = (check_chip(chip), parse_core(core))
        if self.fixed is not None and pair != self.fixed:
            raise InvalidCoreError(f"this board simulates {self.label(*self.fixed)} only; got "
                                   f"{CORE_NAMES[pair[1]]} of chip {pair[0]}")
        return pair

    def group(self, chip: int, core: int) -> Dynapse1ParameterGroup:
        """Return the live parameter group of a core (read it; change it with set_biases)."""
        return self._configuration.chips[chip].cores[core].parameter_group

    def parameter_group(self, chip: int, core: int) -> Dynapse1ParameterGroup:
        """Return a copy of the 25 biases of a core.

        Parameters
        ----------
        chip : int
            0..3.
        core : str or int
            ``'Core_0'``..``'Core_3'`` or 0..3.
        """
        return self.group(*self._core(chip, core)).copy()

    def set_biases(self, chip: int, core: int, biases: Any) -> dict[str, tuple[int, int]]:
        """Set biases of one core (all or nothing) and write them through to the simulation.

        Parameters
        ----------
        chip, core : int, str
            As in :meth:`parameter_group`.
        biases : dict, Dynapse1ParameterGroup or list of Dynapse1Parameter
            samna names with ``(coarse, fine)`` or a ``Dynapse1Parameter``, or physical names
            with a current (see :func:`dynsim.dynapse.biases.resolve_biases`).

        Returns
        -------
        dict
            The resolved ``{samna_name: (coarse, fine)}`` that were set.

        Raises
        ------
        dynsim.errors.UnknownBiasError, dynsim.errors.BiasRangeError, InvalidCoreError
            Before anything is changed.
        """
        pair = self._core(chip, core)
        group = self.group(*pair)
        # the core's current values convert the seed's gains (alpha = Ith / Itau)
        values = resolve_biases(biases, group)
        for name, (coarse, fine) in values.items():
            group.param_map[name] = Dynapse1Parameter(name, coarse, fine)
        if self._write_through is not None:
            self._write_through(*pair)
        return values

    def label(self, chip: int, core: int) -> str:
        """Return a core's name for people, e.g. ``'Core_1 of chip 0'``."""
        return f"{CORE_NAMES[parse_core(core)]} of chip {check_chip(chip)}"

    def biases_key(self, cores: Iterable[tuple[int, int]]) -> tuple:
        """Return a value that changes whenever a bias of one of ``cores`` changes."""
        return tuple(tuple(sorted(self.group(c, k).as_dict().items())) for c, k in cores)

    def __repr__(self) -> str:
        where = f", fixed to {self.label(*self.fixed)}" if self.fixed else ""
        return f"Board({where.removeprefix(', ')})"


def board_of(target: object) -> tuple[Board, tuple[int, int] | None]:
    """Return the board of a front door and its fixed ``(chip, core)`` (or ``None``).

    Parameters
    ----------
    target : DynapSE, Dynapse1Model, Experiment or Board
        A front door (or a board).

    Raises
    ------
    dynsim.errors.InvalidSettingError
        For anything else, naming the accepted types.
    """
    from dynsim.dynapse.chip import DynapSE
    from dynsim.dynapse.experiment import Experiment
    from dynsim.dynapse.model import Dynapse1Model

    if isinstance(target, Board):
        return target, target.fixed
    if isinstance(target, DynapSE | Dynapse1Model | Experiment):
        return target.board, target.board.fixed
    raise InvalidSettingError(f"expected a DynapSE, Dynapse1Model, Experiment or Board, got "
                              f"{type(target).__name__}")
