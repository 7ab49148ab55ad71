"""samna-shaped configuration of a DYNAP-SE1 board, with an exact JSON round trip.

The classes mirror ``samna.dynapse1`` (names, fields, nesting)::

    config = Dynapse1Configuration()
    config.chips[0].cores[1].neurons[5].synapses[0]      # a CAM entry (Dynapse1Synapse)
    config.chips[0].cores[1].neurons[5].destinations[0]  # an SRAM entry (Dynapse1Destination)
    config.chips[0].cores[1].parameter_group.param_map["IF_DC_P"]   # a Dynapse1Parameter

Every field checks its range when it is set (a ``BiasRangeError``, ``InvalidCoreError``,
``InvalidNeuronError`` or ``UnknownSynapseTypeError`` at the call site). Neurons are created
on first access, so a board configuration costs memory only for the neurons one touches.

As on the chip, every one of the 64 CAM entries of a neuron is live: an entry nobody set
listens to neuron 0 of core 0 as GABA_B (the samna default). A CAM entry is *in use* when it
differs from that default.

JSON (:meth:`Dynapse1Configuration.to_json`): a versioned dynsim schema written with the
standard ``json`` module (no pickle, no eval), validated on load with errors that name the
field; round trips exactly. A core's parameter group alone can also be written in the
cereal-style layout of samna's JSON files (:func:`parameter_group_to_json`).

Reading is strict and bounded: a file larger than :data:`CONFIG_MAX_BYTES` is refused before
it is parsed; a missing file, a folder, binary data, JSON nested too deeply, a key repeated in
one object, an unknown field, or a chip, core or neuron given twice raise
:class:`~dynsim.errors.ConfigurationFileError` or
:class:`~dynsim.errors.ConfigurationFormatError`, naming the file and the JSON path of the
problem (``chips[0].cores[1].neurons[2].neuron_id``). Identities fixed by the board (a
neuron's ids, the fixed-size lists) cannot be reassigned.

Examples
--------
>>> from dynsim.dynapse.config import Dynapse1Configuration, Dynapse1Synapse, Dynapse1SynType
>>> cfg = Dynapse1Configuration()
>>> cfg.chips[0].cores[1].neurons[5].synapses[0] = Dynapse1Synapse(Dynapse1SynType.AMPA, 3, 0)
>>> Dynapse1Configuration.from_json(cfg.to_json()) == cfg
True
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from enum import IntEnum
from pathlib import Path
from typing import Any

from dynsim.dynapse.biases import (
    BIAS_NAMES,
    SAMNA_TO_PHYSICAL,
    bias_current,
    bias_spec,
    check_coarse_fine,
)
from dynsim.dynapse.constants import (
    CAMS_PER_NEURON,
    CORES_PER_CHIP,
    NEURONS_PER_CORE,
    NUM_CHIPS,
    SRAMS_PER_NEURON,
    SYNAPSE_TYPE_VALUES,
    SYNAPSE_TYPES,
)
from dynsim.errors import (
    ConfigurationFileError,
    ConfigurationFormatError,
    InvalidCoreError,
    InvalidNeuronError,
    InvalidSettingError,
    UnknownBiasError,
    UnknownSynapseTypeError,
    suggest,
)
from dynsim.validation import Checked, flag, is_whole_number, whole_number

__all__ = [
    "CONFIG_FORMAT",
    "CONFIG_MAX_BYTES",
    "CONFIG_VERSION",
    "Dynapse1Chip",
    "Dynapse1Configuration",
    "Dynapse1Core",
    "Dynapse1Destination",
    "Dynapse1Neuron",
    "Dynapse1Parameter",
    "Dynapse1ParameterGroup",
    "Dynapse1SynType",
    "Dynapse1Synapse",
    "check_chip",
    "check_core",
    "check_neuron",
    "load_configuration",
    "parameter_group_from_json",
    "parameter_group_to_json",
    "save_configuration",
    "synapse_type",
]

#: ``format`` field of dynsim's configuration JSON.
CONFIG_FORMAT = "dynsim.dynapse1.configuration"
#: Current version of the configuration JSON schema.
CONFIG_VERSION = 1
#: Largest configuration file (or JSON text) read, in bytes. A full board (4096 neurons,
#: every CAM and SRAM entry in use, the widest values) written by :func:`save_configuration`
#: takes 19 MB (``tests/dynapse/test_dynapse_config_files.py`` measures it); larger
#: files are refused before they are parsed.
CONFIG_MAX_BYTES = 64 * 2**20


#: Synapse types with samna's values (GABA_B = 0, GABA_A = 1, NMDA = 2, AMPA = 3), built from
#: :data:`dynsim.dynapse.constants.SYNAPSE_TYPE_VALUES`.
Dynapse1SynType = IntEnum("Dynapse1SynType", SYNAPSE_TYPE_VALUES, module=__name__)
Dynapse1SynType.__doc__ = "Synapse types, with samna's values (``Dynapse1SynType.AMPA == 3``)."


def synapse_type(value: object) -> Dynapse1SynType:
    """Return the :class:`Dynapse1SynType` of a name (``'AMPA'``), value (3) or member.

    Raises
    ------
    dynsim.errors.UnknownSynapseTypeError
        For anything else, listing the four types.
    """
    if isinstance(value, Dynapse1SynType):
        return value
    if isinstance(value, str):
        key = value.upper()
        if key in SYNAPSE_TYPES:
            return Dynapse1SynType[key]
        raise UnknownSynapseTypeError(
            f"unknown synapse type {value!r}.{suggest(key, SYNAPSE_TYPES)} The DYNAP-SE1 has "
            f"{', '.join(SYNAPSE_TYPES)} (samna values 0..3)")
    if is_whole_number(value) and 0 <= int(value) < len(SYNAPSE_TYPES):
        return Dynapse1SynType(int(value))
    raise UnknownSynapseTypeError(f"unknown synapse type {value!r}; use one of "
                                  f"{', '.join(SYNAPSE_TYPES)} or their values 0..3")


def _check_index(kind: str, value: object, size: int, error: type[Exception]) -> int:
    if not is_whole_number(value):
        raise error(f"{kind} id must be a whole number in 0..{size - 1}, got {value!r}")
    if not 0 <= int(value) < size:
        raise error(f"{kind} id {int(value)} does not exist: valid ids are 0..{size - 1}")
    return int(value)


def check_chip(chip_id: object) -> int:
    """Return ``chip_id`` as an int, or raise ``InvalidCoreError`` (valid: 0..3)."""
    return _check_index("chip", chip_id, NUM_CHIPS, InvalidCoreError)


def check_core(core_id: object) -> int:
    """Return ``core_id`` as an int, or raise ``InvalidCoreError`` (valid: 0..3)."""
    return _check_index("core", core_id, CORES_PER_CHIP, InvalidCoreError)


def check_neuron(neuron_id: object) -> int:
    """Return a core-local ``neuron_id`` as an int, or raise ``InvalidNeuronError`` (0..255)."""
    return _check_index("neuron", neuron_id, NEURONS_PER_CORE, InvalidNeuronError)


# --------------------------------------------------------------------------- parameters
class Dynapse1Parameter:
    """One bias of a core: ``Dynapse1Parameter(param_name, coarse_value, fine_value)``.

    Parameters
    ----------
    param_name : str
        samna name of the bias (``'IF_DC_P'``).
    coarse_value : int
        0..7.
    fine_value : int
        0..255.

    Examples
    --------
    >>> p = Dynapse1Parameter("IF_DC_P", 1, 100)
    >>> p.type, round(float(p.current / 1e-12), 2)
    ('P', 41.18)
    """

    __slots__ = ("_coarse", "_fine", "_held", "_name")

    def __init__(self, param_name: str, coarse_value: int, fine_value: int) -> None:
        name = _samna_bias_name(param_name)
        self._coarse, self._fine = check_coarse_fine(name, coarse_value, fine_value)
        self._name, self._held = name, False

    @property
    def param_name(self) -> str:
        """The samna name of the bias (one of the 25 of ``biases.BIAS_NAMES``)."""
        return self._name

    @param_name.setter
    def param_name(self, value: str) -> None:
        name = _samna_bias_name(value)
        if self._held and name != self._name:
            raise UnknownBiasError(
                f"this Dynapse1Parameter is param_map[{self._name!r}] of a core; it cannot be "
                f"renamed to {name!r}: set param_map[{name!r}] instead")
        self._name = name

    @property
    def coarse_value(self) -> int:
        """Coarse value 0..7."""
        return self._coarse

    @coarse_value.setter
    def coarse_value(self, value: int) -> None:
        self._coarse, _ = check_coarse_fine(self.param_name, value, self._fine)

    @property
    def fine_value(self) -> int:
        """Fine value 0..255."""
        return self._fine

    @fine_value.setter
    def fine_value(self, value: int) -> None:
        _, self._fine = check_coarse_fine(self.param_name, self._coarse, value)

    @property
    def type(self) -> str:
        """Transistor type, ``'N'`` or ``'P'``."""
        return bias_spec(self.param_name).transistor

    @property
    def current(self):
        """Current of this ``(coarse, fine)`` (approximate table, see ``biases``)."""
        return bias_current(self.param_name, self._coarse, self._fine)

    def copy(self) -> Dynapse1Parameter:
        """Return an independent copy."""
        return Dynapse1Parameter(self.param_name, self._coarse, self._fine)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dynapse1Parameter):
            return NotImplemented
        return (self.param_name, self._coarse, self._fine) == (
            other.param_name, other._coarse, other._fine)

    def __hash__(self) -> int:
        return hash((self.param_name, self._coarse, self._fine))

    def __repr__(self) -> str:
        return f"Dynapse1Parameter({self.param_name!r}, {self._coarse}, {self._fine})"


def _samna_bias_name(name: object) -> str:
    spec = bias_spec(name)  # UnknownBiasError with suggestions for anything else
    if name != spec.samna_name:
        raise UnknownBiasError(f"a Dynapse1Parameter takes the samna name: use "
                               f"{spec.samna_name!r} instead of {name!r}")
    return spec.samna_name


def _held(parameter: Dynapse1Parameter) -> Dynapse1Parameter:
    """Mark a parameter as the entry of a ``param_map`` (its name can no longer change)."""
    parameter._held = True
    return parameter


class _ParamMap(MutableMapping):
    """``param_map``: the 25 biases of a core by samna name; entries can be replaced only."""

    def __init__(self) -> None:
        self._data = {name: _held(Dynapse1Parameter(name, *bias_spec(name).default))
                      for name in BIAS_NAMES}

    def __getitem__(self, name: str) -> Dynapse1Parameter:
        if not isinstance(name, str) or name not in self._data:
            bias_spec(name)  # raises UnknownBiasError with a hint
            raise UnknownBiasError(f"param_map is keyed by samna names: use "
                                   f"{bias_spec(name).samna_name!r} instead of {name!r}")
        return self._data[name]

    def __setitem__(self, name: str, parameter: Dynapse1Parameter) -> None:
        if not isinstance(parameter, Dynapse1Parameter):
            raise UnknownBiasError(f"param_map[{name!r}] takes a Dynapse1Parameter, got "
                                   f"{type(parameter).__name__}")
        self[name]
        if parameter.param_name != name:
            raise UnknownBiasError(f"param_map[{name!r}] cannot hold a parameter named "
                                   f"{parameter.param_name!r}")
        self._data[name] = _held(parameter.copy())

    def __delitem__(self, name: str) -> None:
        raise UnknownBiasError("a core always has its 25 biases; set a value instead of "
                               "deleting it")

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return repr(dict(self._data))


class Dynapse1ParameterGroup:
    """The 25 biases of one core (``core.parameter_group``).

    Parameters
    ----------
    chip_id, core_id : int
        Which core the group belongs to (informative).

    Examples
    --------
    >>> pg = Dynapse1ParameterGroup()
    >>> pg.param_map["IF_DC_P"] = Dynapse1Parameter("IF_DC_P", 2, 30)
    >>> pg.get_parameter_by_name("IF_DC_P")
    Dynapse1Parameter('IF_DC_P', 2, 30)
    """

    chip_id = Checked(check_chip, "Chip of the core the group belongs to (0..3, informative).")
    core_id = Checked(check_core, "Core the group belongs to (0..3, informative).")

    def __init__(self, chip_id: int = 0, core_id: int = 0) -> None:
        self._chip_id, self._core_id = check_chip(chip_id), check_core(core_id)
        self._param_map = _ParamMap()

    @property
    def param_map(self) -> _ParamMap:
        """The 25 biases by samna name (replace entries; the map itself is fixed)."""
        return self._param_map

    @param_map.setter
    def param_map(self, value: object) -> None:
        raise UnknownBiasError("param_map cannot be replaced: set its entries "
                               "(param_map['IF_DC_P'] = Dynapse1Parameter(...)) or use "
                               "update_parameter")

    def get_parameter_by_name(self, name: str) -> Dynapse1Parameter:
        """Return the parameter of a samna bias name."""
        return self.param_map[name]

    def get_linear_parameter(self, name: str) -> float:
        """Return the bias current in amperes (dynsim's "linear" value of a bias)."""
        return float(self.param_map[name].current)

    def update_parameter(self, parameter: Dynapse1Parameter) -> None:
        """Replace the parameter of the same name."""
        if not isinstance(parameter, Dynapse1Parameter):
            raise UnknownBiasError(f"update_parameter takes a Dynapse1Parameter, got "
                                   f"{type(parameter).__name__}")
        self.param_map[parameter.param_name] = parameter

    def currents(self) -> dict[str, float]:
        """Return every bias current in amperes, keyed by physical name."""
        return {SAMNA_TO_PHYSICAL[name]: float(p.current) for name, p in self.param_map.items()}

    def as_dict(self) -> dict[str, tuple[int, int]]:
        """Return ``{samna_name: (coarse, fine)}``."""
        return {name: (p.coarse_value, p.fine_value) for name, p in self.param_map.items()}

    def copy(self) -> Dynapse1ParameterGroup:
        """Return an independent copy."""
        other = Dynapse1ParameterGroup(self.chip_id, self.core_id)
        for name, parameter in self.param_map.items():
            other.param_map[name] = parameter
        return other

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dynapse1ParameterGroup):
            return NotImplemented
        return self.as_dict() == other.as_dict()

    __hash__ = None  # mutable

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.as_dict().items() if v != bias_spec(k).default}
        return f"Dynapse1ParameterGroup(chip {self.chip_id}, core {self.core_id}, " \
               f"non-default: {changed})"


# --------------------------------------------------------------------------- CAM and SRAM
class _ByValue:
    """Equality and hash by ``astuple()``, which each subclass defines."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.astuple() == other.astuple()

    def __hash__(self) -> int:
        return hash(self.astuple())


class Dynapse1Synapse(_ByValue):
    """One CAM entry: listens to events tagged ``(listen_core_id, listen_neuron_id)``.

    Parameters
    ----------
    syn_type : Dynapse1SynType, str or int
        Synapse type of the entry.
    listen_neuron_id : int
        Core-local id (0..255) of the source neuron.
    listen_core_id : int
        Core (0..3) of the source neuron. There is no chip id in the tag.
    """

    __slots__ = ("_listen_core_id", "_listen_neuron_id", "_syn_type")

    syn_type = Checked(synapse_type, "Synapse type (``Dynapse1SynType``).")
    listen_neuron_id = Checked(check_neuron, "Core-local id of the source neuron (0..255).")
    listen_core_id = Checked(check_core, "Core of the source neuron (0..3).")

    def __init__(self, syn_type: Any = Dynapse1SynType.GABA_B, listen_neuron_id: int = 0,
                 listen_core_id: int = 0) -> None:
        self._syn_type = synapse_type(syn_type)
        self._listen_neuron_id = check_neuron(listen_neuron_id)
        self._listen_core_id = check_core(listen_core_id)

    @classmethod
    def _trusted(cls, syn_type: Dynapse1SynType, neuron: int, core: int) -> Dynapse1Synapse:
        """Make an entry from values already checked (no validation; internal)."""
        entry = object.__new__(cls)
        entry._syn_type, entry._listen_neuron_id, entry._listen_core_id = syn_type, neuron, core
        return entry

    @property
    def in_use(self) -> bool:
        """Whether the entry differs from the default (GABA_B from neuron 0 of core 0)."""
        return self.astuple_typed() != (Dynapse1SynType.GABA_B, 0, 0)

    def astuple_typed(self) -> tuple[Dynapse1SynType, int, int]:
        """Return ``(syn_type, listen_neuron_id, listen_core_id)``."""
        return self._syn_type, self._listen_neuron_id, self._listen_core_id

    def astuple(self) -> tuple[int, int, int]:
        """Return ``(syn_type value, listen_neuron_id, listen_core_id)``."""
        return int(self._syn_type), self._listen_neuron_id, self._listen_core_id

    def __repr__(self) -> str:
        return (f"Dynapse1Synapse({self._syn_type.name}, listen_neuron_id="
                f"{self._listen_neuron_id}, listen_core_id={self._listen_core_id})")


_DESTINATION_FIELDS: dict[str, tuple[int, int]] = {
    "target_chip_id": (0, NUM_CHIPS - 1), "virtual_core_id": (0, CORES_PER_CHIP - 1),
    "core_mask": (0, 2 ** CORES_PER_CHIP - 1), "sx": (0, 1), "sy": (0, 1), "dx": (0, 3),
    "dy": (0, 3),
}


def _destination_field(name: str, value: object) -> int:
    if name not in _DESTINATION_FIELDS:
        raise AttributeError(f"Dynapse1Destination has no field {name!r}; fields: in_use, "
                             f"{', '.join(_DESTINATION_FIELDS)}")
    low, high = _DESTINATION_FIELDS[name]
    if name in ("sx", "sy") and isinstance(value, bool):
        return int(value)  # samna's sign bits are booleans; INI's netgen writes True/False
    return whole_number(value, f"Dynapse1Destination.{name}", low=low, high=high,
                        error=InvalidCoreError)


class Dynapse1Destination:
    """One SRAM entry: where a neuron's events go.

    Parameters
    ----------
    target_chip_id : int
        Chip that receives the events (0..3).
    in_use : bool
        Whether the entry routes events.
    virtual_core_id : int
        Core id written into the event's tag (normally the neuron's own core).
    core_mask : int
        4-bit mask of the target chip's cores that receive the events.
    sx, sy, dx, dy : int
        Direction bits and hop counts of the mesh router (informative; dynsim routes by
        ``target_chip_id``).
    """

    __slots__ = ("_values", "in_use")

    def __init__(self, target_chip_id: int = 0, in_use: bool = False, virtual_core_id: int = 0,
                 core_mask: int = 0, sx: int = 0, sy: int = 0, dx: int = 0, dy: int = 0) -> None:
        values = {name: _destination_field(name, value) for name, value in (
            ("target_chip_id", target_chip_id), ("virtual_core_id", virtual_core_id),
            ("core_mask", core_mask), ("sx", sx), ("sy", sy), ("dx", dx), ("dy", dy))}
        object.__setattr__(self, "in_use", flag(in_use, "Dynapse1Destination.in_use"))
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name: str) -> int:
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "in_use":
            object.__setattr__(self, name, flag(value, "Dynapse1Destination.in_use"))
            return
        self._values[name] = _destination_field(name, value)

    def asdict(self) -> dict[str, int | bool]:
        """Return the fields as a dictionary."""
        return {"target_chip_id": self.target_chip_id, "in_use": self.in_use,
                **{k: self._values[k] for k in _DESTINATION_FIELDS if k != "target_chip_id"}}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dynapse1Destination):
            return NotImplemented
        return self.asdict() == other.asdict()

    def __hash__(self) -> int:
        return hash(tuple(self.asdict().items()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v}" for k, v in self.asdict().items())
        return f"Dynapse1Destination({fields})"


# --------------------------------------------------------------------------- containers
class _FixedList(Sequence):
    """A list of fixed length whose items are created on first access and type-checked."""

    def __init__(self, size: int, factory: Callable[[int], Any], kind: type, label: str) -> None:
        self._items: dict[int, Any] = {}
        self._size, self._factory, self._kind, self._label = size, factory, kind, label

    def _index(self, index: object) -> int:
        if not is_whole_number(index):
            raise TypeError(f"{self._label} indices are integers, got {index!r}")
        position = int(index) + (self._size if int(index) < 0 else 0)
        if not 0 <= position < self._size:
            error = InvalidNeuronError if self._label in ("neurons", "synapses",
                                                          "destinations") else InvalidCoreError
            raise error(f"{self._label}[{int(index)}] does not exist: there are {self._size} "
                        f"{self._label} (0..{self._size - 1})")
        return position

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._size))]
        position = self._index(index)
        if position not in self._items:
            self._items[position] = self._factory(position)
        return self._items[position]

    def __setitem__(self, index: int, value: Any) -> None:
        position = self._index(index)
        if not isinstance(value, self._kind):
            raise TypeError(f"{self._label}[{position}] takes a {self._kind.__name__}, got "
                            f"{type(value).__name__}")
        self._items[position] = value

    def __len__(self) -> int:
        return self._size

    def created(self) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, item)`` of the items that were accessed or set, in index order."""
        for position in sorted(self._items):
            yield position, self._items[position]


class _Fixed:
    """A field fixed when its object is made (an id given by its place, a fixed-size list).

    Assigning the whole number an id already has is allowed (samna code does that); anything
    else raises ``InvalidSettingError`` and leaves the object unchanged.
    """

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self._name, self._slot = name, f"_{name}"

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return self if obj is None else getattr(obj, self._slot)

    def __set__(self, obj: Any, value: object) -> None:
        current = getattr(obj, self._slot)
        if isinstance(current, int) and is_whole_number(value) and int(value) == current:
            return
        raise InvalidSettingError(
            f"{type(obj).__name__}.{self._name} is fixed by the object's place in the board "
            f"(it is {current!r:.60}); change the items it holds instead")


class Dynapse1Neuron:
    """A neuron's memories: ``synapses[64]`` (CAM) and ``destinations[4]`` (SRAM)."""

    chip_id = _Fixed("Chip of the neuron (0..3).")
    core_id = _Fixed("Core of the neuron (0..3).")
    neuron_id = _Fixed("Core-local id of the neuron (0..255).")
    synapses = _Fixed("The 64 CAM entries (``Dynapse1Synapse``).")
    destinations = _Fixed("The 4 SRAM entries (``Dynapse1Destination``).")

    def __init__(self, chip_id: int = 0, core_id: int = 0, neuron_id: int = 0) -> None:
        self._chip_id, self._core_id = check_chip(chip_id), check_core(core_id)
        self._neuron_id = check_neuron(neuron_id)
        self._synapses = _FixedList(CAMS_PER_NEURON, lambda _: Dynapse1Synapse(),
                                    Dynapse1Synapse, "synapses")
        self._destinations = _FixedList(SRAMS_PER_NEURON, lambda _: Dynapse1Destination(),
                                        Dynapse1Destination, "destinations")

    @property
    def global_id(self) -> int:
        """Board-wide id ``neuron + 256*core + 1024*chip``."""
        from dynsim.dynapse.constants import global_neuron_id

        return global_neuron_id(self.chip_id, self.core_id, self.neuron_id)

    def cams_in_use(self) -> int:
        """Return the number of CAM entries that differ from the default."""
        return sum(1 for _, s in self.synapses.created() if s.in_use)

    def is_default(self) -> bool:
        """Whether no CAM or SRAM entry differs from the default."""
        default_destination = Dynapse1Destination()
        return not any(s.in_use for _, s in self.synapses.created()) and all(
            d == default_destination for _, d in self.destinations.created())

    def __repr__(self) -> str:
        return (f"Dynapse1Neuron(chip {self.chip_id}, core {self.core_id}, neuron "
                f"{self.neuron_id}, {self.cams_in_use()} CAMs in use)")


class Dynapse1Core:
    """A core: ``neurons[256]`` and one ``parameter_group`` of 25 biases."""

    chip_id = _Fixed("Chip of the core (0..3).")
    core_id = _Fixed("Id of the core on its chip (0..3).")
    neurons = _Fixed("The 256 neurons (``Dynapse1Neuron``).")

    def __init__(self, chip_id: int = 0, core_id: int = 0) -> None:
        self._chip_id, self._core_id = check_chip(chip_id), check_core(core_id)
        self._neurons = _FixedList(NEURONS_PER_CORE,
                                   lambda n: Dynapse1Neuron(self._chip_id, self._core_id, n),
                                   Dynapse1Neuron, "neurons")
        self._parameter_group = Dynapse1ParameterGroup(self._chip_id, self._core_id)

    @property
    def parameter_group(self) -> Dynapse1ParameterGroup:
        """The core's 25 biases."""
        return self._parameter_group

    @parameter_group.setter
    def parameter_group(self, group: Dynapse1ParameterGroup) -> None:
        if not isinstance(group, Dynapse1ParameterGroup):
            raise UnknownBiasError(f"parameter_group takes a Dynapse1ParameterGroup, got "
                                   f"{type(group).__name__}")
        own = group.copy()
        own.chip_id, own.core_id = self._chip_id, self._core_id
        self._parameter_group = own


class Dynapse1Chip:
    """A chip: ``cores[4]``."""

    chip_id = _Fixed("Id of the chip on the board (0..3).")
    cores = _Fixed("The 4 cores (``Dynapse1Core``).")

    def __init__(self, chip_id: int = 0) -> None:
        self._chip_id = check_chip(chip_id)
        self._cores = _FixedList(CORES_PER_CHIP, lambda k: Dynapse1Core(self._chip_id, k),
                                 Dynapse1Core, "cores")


class Dynapse1Configuration:
    """The whole board: ``chips[4].cores[4].neurons[256]`` with CAMs, SRAMs and biases.

    Examples
    --------
    >>> cfg = Dynapse1Configuration()
    >>> cfg.chips[2].cores[3].parameter_group.param_map["IF_DC_P"].fine_value = 40
    >>> cfg.to_dict()["chips"][0]["cores"][0]["core_id"]
    0
    """

    chips = _Fixed("The 4 chips (``Dynapse1Chip``).")

    def __init__(self) -> None:
        self._chips = _FixedList(NUM_CHIPS, Dynapse1Chip, Dynapse1Chip, "chips")

    def neurons_in_use(self) -> Iterator[Dynapse1Neuron]:
        """Yield every neuron with a CAM or SRAM entry in use, by global id."""
        for chip_id in range(NUM_CHIPS):
            for core_id in range(CORES_PER_CHIP):
                for _, neuron in self.chips[chip_id].cores[core_id].neurons.created():
                    if not neuron.is_default():
                        yield neuron

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready dictionary of the configuration (versioned schema)."""
        chips = []
        for chip_id in range(NUM_CHIPS):
            cores = []
            for core_id in range(CORES_PER_CHIP):
                core = self.chips[chip_id].cores[core_id]
                neurons = []
                for neuron_id, neuron in core.neurons.created():
                    if neuron.is_default():
                        continue
                    neurons.append({
                        "neuron_id": neuron_id,
                        "synapses": [list(neuron.synapses[k].astuple())
                                     for k in range(CAMS_PER_NEURON)],
                        "destinations": [neuron.destinations[k].asdict()
                                         for k in range(SRAMS_PER_NEURON)],
                    })
                cores.append({"core_id": core_id,
                              "parameter_group": {k: list(v) for k, v in
                                                  core.parameter_group.as_dict().items()},
                              "neurons": neurons})
            chips.append({"chip_id": chip_id, "cores": cores})
        return {"format": CONFIG_FORMAT, "version": CONFIG_VERSION,
                "synapse_fields": ["syn_type", "listen_neuron_id", "listen_core_id"],
                "chips": chips}

    def to_json(self, indent: int | None = None) -> str:
        """Return the configuration as JSON text (see :meth:`to_dict`)."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    @classmethod
    def from_dict(cls, data: Any) -> Dynapse1Configuration:
        """Build a configuration from :meth:`to_dict` output, validating every field.

        Raises
        ------
        dynsim.errors.ConfigurationFormatError
            Naming the first field that is missing or invalid.
        """
        return _config_from_dict(data)

    @classmethod
    def from_json(cls, text: str) -> Dynapse1Configuration:
        """Build a configuration from JSON text written by :meth:`to_json`.

        Raises
        ------
        dynsim.errors.ConfigurationFormatError
            For text that is not JSON, larger than :data:`CONFIG_MAX_BYTES`, nested too
            deeply, with a repeated key, or not a configuration (naming the field).
        """
        return _config_from_dict(_parse_json(text, "configuration"))

    def copy(self) -> Dynapse1Configuration:
        """Return an independent deep copy."""
        out = Dynapse1Configuration()
        for chip_id, chip in self.chips.created():
            for core_id, core in chip.cores.created():
                target = out.chips[chip_id].cores[core_id]
                target._parameter_group = core.parameter_group.copy()  # same chip, core
                for neuron_id, neuron in core.neurons.created():
                    if neuron.is_default():
                        continue
                    copy = target.neurons[neuron_id]
                    for k, entry in neuron.synapses.created():
                        copy.synapses[k] = Dynapse1Synapse._trusted(*entry.astuple_typed())
                    for k, destination in neuron.destinations.created():
                        copy.destinations[k] = Dynapse1Destination(**destination.asdict())
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dynapse1Configuration):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # mutable

    def __repr__(self) -> str:
        return f"Dynapse1Configuration({sum(1 for _ in self.neurons_in_use())} neurons in use)"


def _refuse_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise ConfigurationFormatError(f"the key {key!r} appears twice in one JSON object")
        data[key] = value
    return data


def _parse_json(text: object, what: str) -> Any:
    """Parse JSON text of at most ``CONFIG_MAX_BYTES`` characters, refusing repeated keys."""
    if isinstance(text, bytes | bytearray):
        text = _decode(bytes(text), what)
    if not isinstance(text, str):
        raise ConfigurationFormatError(f"{what}: expected JSON text (str), got "
                                       f"{type(text).__name__}")
    if len(text) > CONFIG_MAX_BYTES:
        raise ConfigurationFormatError(
            f"{what}: {len(text)} characters is more than any DYNAP-SE configuration takes "
            f"(at most {CONFIG_MAX_BYTES} bytes, CONFIG_MAX_BYTES)")
    try:
        return json.loads(text, object_pairs_hook=_refuse_repeated_keys)
    except RecursionError:
        raise ConfigurationFormatError(f"{what}: the JSON is nested far more deeply than a "
                                       f"configuration (7 levels)") from None
    except ConfigurationFormatError as err:
        raise ConfigurationFormatError(f"{what}: {err}") from None
    except (TypeError, ValueError) as err:
        raise ConfigurationFormatError(f"not valid JSON: {err}") from None


def _decode(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigurationFormatError(
            f"{what} is not UTF-8 JSON text (binary data such as a pickle?): byte "
            f"{err.start} is {raw[err.start:err.start + 1]!r}") from None


def _only_keys(data: dict[str, Any], allowed: Sequence[str], path: str) -> None:
    unknown = [key for key in data if key not in allowed]
    if unknown:
        raise ConfigurationFormatError(
            f"{path}.{unknown[0]}: unknown field.{suggest(str(unknown[0]), allowed)} The "
            f"fields here are {', '.join(allowed)}")


_CONFIG_KEYS = ("format", "version", "synapse_fields", "chips")
_CHIP_KEYS = ("chip_id", "cores")
_CORE_KEYS = ("core_id", "parameter_group", "neurons")
_NEURON_KEYS = ("neuron_id", "synapses", "destinations")
_SYNAPSE_FIELDS = ["syn_type", "listen_neuron_id", "listen_core_id"]


def _field(data: Any, key: str, path: str, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(data, dict):
        raise ConfigurationFormatError(f"{path}: expected an object, got {type(data).__name__}")
    if key not in data:
        raise ConfigurationFormatError(f"{path}.{key}: missing field")
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ConfigurationFormatError(f"{path}.{key}: expected {names}, got {value!r}")
    return value


def _config_from_dict(data: Any) -> Dynapse1Configuration:
    if not isinstance(data, dict):
        raise ConfigurationFormatError("configuration: expected a JSON object")
    fmt = _field(data, "format", "configuration", str)
    if fmt != CONFIG_FORMAT:
        raise ConfigurationFormatError(f"configuration.format: expected {CONFIG_FORMAT!r}, "
                                       f"got {fmt!r}")
    version = _field(data, "version", "configuration", int)
    if version != CONFIG_VERSION:
        raise ConfigurationFormatError(f"configuration.version: this dynsim reads version "
                                       f"{CONFIG_VERSION}, the file has {version}")
    _only_keys(data, _CONFIG_KEYS, "configuration")
    if data.get("synapse_fields", _SYNAPSE_FIELDS) != _SYNAPSE_FIELDS:
        raise ConfigurationFormatError(f"configuration.synapse_fields: expected "
                                       f"{_SYNAPSE_FIELDS}, got {data['synapse_fields']!r}")
    chips = _field(data, "chips", "configuration", list)
    config = Dynapse1Configuration()
    seen_chips: set[int] = set()
    for ci, chip_data in enumerate(chips):
        path = f"chips[{ci}]"
        chip_id = _checked(_field(chip_data, "chip_id", path, int), check_chip, f"{path}.chip_id")
        if chip_id in seen_chips:
            raise ConfigurationFormatError(f"{path}.chip_id: chip {chip_id} appears twice")
        seen_chips.add(chip_id)
        _only_keys(chip_data, _CHIP_KEYS, path)
        seen_cores: dict[int, str] = {}
        for ki, core_data in enumerate(_field(chip_data, "cores", path, list)):
            cpath = f"{path}.cores[{ki}]"
            core_id = _checked(_field(core_data, "core_id", cpath, int), check_core,
                               f"{cpath}.core_id")
            if core_id in seen_cores:
                raise ConfigurationFormatError(f"{cpath}.core_id: core {core_id} of chip "
                                               f"{chip_id} appears twice (also "
                                               f"{seen_cores[core_id]})")
            seen_cores[core_id] = cpath
            _only_keys(core_data, _CORE_KEYS, cpath)
            core = config.chips[chip_id].cores[core_id]
            params = _field(core_data, "parameter_group", cpath, dict)
            for name, value in params.items():
                ppath = f"{cpath}.parameter_group.{name}"
                if name not in BIAS_NAMES:
                    raise ConfigurationFormatError(
                        f"{ppath}: unknown bias.{suggest(name, BIAS_NAMES)}")
                if not (isinstance(value, list) and len(value) == 2):
                    raise ConfigurationFormatError(
                        f"{ppath}: expected [coarse, fine], got {value!r}")
                parameter = _checked(value, lambda v, n=name: Dynapse1Parameter(n, *v), ppath)
                core.parameter_group.param_map[name] = parameter
            seen_neurons: dict[int, str] = {}
            for ni, neuron_data in enumerate(_field(core_data, "neurons", cpath, list)):
                npath = f"{cpath}.neurons[{ni}]"
                neuron_id = _checked(_field(neuron_data, "neuron_id", npath, int), check_neuron,
                                     f"{npath}.neuron_id")
                if neuron_id in seen_neurons:
                    raise ConfigurationFormatError(
                        f"{npath}.neuron_id: neuron {neuron_id} of core {core_id}, chip "
                        f"{chip_id} appears twice (also {seen_neurons[neuron_id]})")
                seen_neurons[neuron_id] = npath
                _only_keys(neuron_data, _NEURON_KEYS, npath)
                neuron = core.neurons[neuron_id]
                synapses = _field(neuron_data, "synapses", npath, list)
                if len(synapses) != CAMS_PER_NEURON:
                    raise ConfigurationFormatError(
                        f"{npath}.synapses: expected {CAMS_PER_NEURON} entries, got "
                        f"{len(synapses)}")
                for si, entry in enumerate(synapses):
                    spath = f"{npath}.synapses[{si}]"
                    if not (isinstance(entry, list) and len(entry) == 3 and all(
                            isinstance(x, int) and not isinstance(x, bool) for x in entry)):
                        raise ConfigurationFormatError(
                            f"{spath}: expected [syn_type, listen_neuron_id, listen_core_id], "
                            f"got {entry!r}")
                    neuron.synapses[si] = _checked(entry, lambda e: Dynapse1Synapse(*e), spath)
                destinations = _field(neuron_data, "destinations", npath, list)
                if len(destinations) != SRAMS_PER_NEURON:
                    raise ConfigurationFormatError(f"{npath}.destinations: expected "
                                                   f"{SRAMS_PER_NEURON} entries")
                for di, entry in enumerate(destinations):
                    dpath = f"{npath}.destinations[{di}]"
                    fields = {"in_use", *_DESTINATION_FIELDS}
                    if not isinstance(entry, dict) or set(entry) != fields:
                        raise ConfigurationFormatError(f"{dpath}: expected the fields in_use, "
                                                       f"{', '.join(_DESTINATION_FIELDS)}")
                    if not isinstance(entry["in_use"], bool):
                        raise ConfigurationFormatError(f"{dpath}.in_use: expected true/false")
                    neuron.destinations[di] = _checked(entry, lambda e: Dynapse1Destination(**e),
                                                       dpath)
    return config


def _checked(value: Any, build: Callable[[Any], Any], path: str) -> Any:
    try:
        return build(value)
    except (ValueError, LookupError, TypeError) as err:
        raise ConfigurationFormatError(f"{path}: {err}") from None


def _path(path: object) -> Path:
    if not isinstance(path, str | Path) or not str(path):
        raise ConfigurationFileError(f"a configuration file is a path (str or pathlib.Path), "
                                     f"got {path!r:.80}")
    return Path(path)


def _file_error(err: OSError, path: Path, doing: str) -> ConfigurationFileError:
    reasons = {FileNotFoundError: "it does not exist", IsADirectoryError: "it is a folder",
               PermissionError: "permission denied", NotADirectoryError:
               "a part of the path is not a folder"}
    reason = reasons.get(type(err), err.strerror or type(err).__name__)
    return ConfigurationFileError(f"cannot {doing} the configuration file {str(path)!r}: "
                                  f"{reason}")


def save_configuration(config: Dynapse1Configuration, path: str | Path) -> None:
    """Write a configuration to a JSON file.

    Raises
    ------
    dynsim.errors.ConfigurationFileError
        When the file cannot be written (naming it and why).
    """
    if not isinstance(config, Dynapse1Configuration):
        raise ConfigurationFormatError(f"save_configuration takes a Dynapse1Configuration, "
                                       f"got {type(config).__name__}")
    file = _path(path)
    text = config.to_json(indent=1)
    try:
        file.write_text(text, encoding="utf-8")
    except OSError as err:
        raise _file_error(err, file, "write") from None


def load_configuration(path: str | Path) -> Dynapse1Configuration:
    """Read a configuration from a JSON file written by :func:`save_configuration`.

    At most :data:`CONFIG_MAX_BYTES` are read: a larger file is refused before it is parsed.

    Raises
    ------
    dynsim.errors.ConfigurationFileError
        For a path that does not exist, is a folder or cannot be read, or a file larger than
        any configuration.
    dynsim.errors.ConfigurationFormatError
        For a file that is not UTF-8 JSON of a configuration (the message names the file and
        the field).

    Examples
    --------
    >>> load_configuration("no/such/file.json")
    Traceback (most recent call last):
    ...
    dynsim.errors.ConfigurationFileError: cannot read the configuration file 'no/such/file.json': it does not exist
    """  # noqa: E501
    file = _path(path)
    text = _read_text(file)
    try:
        return Dynapse1Configuration.from_json(text)
    except ConfigurationFormatError as err:
        raise type(err)(f"{file}: {err}") from None


def _read_text(file: Path) -> str:
    try:
        with file.open("rb") as handle:
            raw = handle.read(CONFIG_MAX_BYTES + 1)
    except OSError as err:
        raise _file_error(err, file, "read") from None
    if len(raw) > CONFIG_MAX_BYTES:
        raise ConfigurationFileError(
            f"the configuration file {str(file)!r} is larger than any DYNAP-SE configuration "
            f"({CONFIG_MAX_BYTES} bytes, CONFIG_MAX_BYTES): not read")
    return _decode(raw, f"the configuration file {str(file)!r}")


# --------------------------------------------------------------------------- samna JSON
def parameter_group_to_json(group: Dynapse1ParameterGroup) -> str:
    """Return one core's biases as JSON in the cereal-style layout of samna's files.

    Layout (as we understand samna's serialisation; not checked against a samna binary)::

        {"value0": {"chip_id": 0, "core_id": 1, "param_map": [
            {"key": "IF_AHTAU_N", "value": {"param_name": "IF_AHTAU_N",
                                            "coarse_value": 0, "fine_value": 34,
                                            "type": "N"}}, ...]}}
    """
    entries = [{"key": name, "value": {"param_name": name, "coarse_value": p.coarse_value,
                                       "fine_value": p.fine_value, "type": p.type}}
               for name, p in group.param_map.items()]
    return json.dumps({"value0": {"chip_id": group.chip_id, "core_id": group.core_id,
                                  "param_map": entries}}, indent=1)


def parameter_group_from_json(text: str) -> Dynapse1ParameterGroup:
    """Read a parameter group written by :func:`parameter_group_to_json`.

    Biases missing from the file keep their defaults.

    Raises
    ------
    dynsim.errors.ConfigurationFormatError
        Naming the first invalid field.
    """
    data = _parse_json(text, "parameter group")
    body = _field(data, "value0", "parameter group", dict)
    _only_keys(data, ("value0",), "parameter group")
    _only_keys(body, ("chip_id", "core_id", "param_map"), "value0")
    chip_id = _checked(body.get("chip_id", 0), check_chip, "value0.chip_id")
    core_id = _checked(body.get("core_id", 0), check_core, "value0.core_id")
    group = Dynapse1ParameterGroup(chip_id, core_id)
    seen: dict[str, str] = {}
    for i, entry in enumerate(_field(body, "param_map", "value0", list)):
        path = f"value0.param_map[{i}]"
        name = _field(entry, "key", path, str)
        value = _field(entry, "value", path, dict)
        _only_keys(entry, ("key", "value"), path)
        _only_keys(value, ("param_name", "coarse_value", "fine_value", "type"), f"{path}.value")
        coarse = _field(value, "coarse_value", f"{path}.value", int)
        fine = _field(value, "fine_value", f"{path}.value", int)
        if name not in BIAS_NAMES:
            raise ConfigurationFormatError(f"{path}.key: unknown bias {name!r}."
                                           f"{suggest(name, BIAS_NAMES)}")
        if name in seen:
            raise ConfigurationFormatError(f"{path}.key: the bias {name!r} appears twice (also "
                                           f"{seen[name]})")
        seen[name] = path
        if value.get("param_name", name) != name:
            raise ConfigurationFormatError(f"{path}.value.param_name: differs from key {name!r}")
        if value.get("type", bias_spec(name).transistor) != bias_spec(name).transistor:
            raise ConfigurationFormatError(f"{path}.value.type: {name} is an "
                                           f"{bias_spec(name).transistor}-type bias, the file "
                                           f"says {value['type']!r}")
        group.param_map[name] = _checked((coarse, fine),
                                         lambda v, n=name: Dynapse1Parameter(n, *v), path)
    return group
