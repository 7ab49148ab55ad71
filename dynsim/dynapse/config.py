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
listens to neuron 0 of core 0 as NMDA (:data:`UNUSED_SYNAPSE`, the entry INI's netgen takes as
free). A CAM entry is *in use* when it differs from that default.

JSON, with samna's semantics: every data class has ``obj.to_json()`` and ``obj.from_json(text)``
(which fills ``obj`` and returns ``None``; :func:`configuration_from_json` returns a new
configuration). Two layouts, written with the standard ``json`` module (no pickle, no eval)
and both read back exactly:

* ``'cereal'`` (``to_json()``'s default): samna's layout, a ``value0`` root, camelCase
  members, maps as lists of ``{"key", "value"}``. Confirmed for the parameter group (Rockpool)
  and the spike (INI's dynapse1utils); inferred for the rest (``docs/samna.md``, "JSON layout:
  what is confirmed and what is inferred").
* ``'dynsim'``: dynsim's versioned configuration format (:func:`save_configuration`'s
  default) and the snake_case bias file of :func:`parameter_group_to_json`.

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
>>> back = Dynapse1Configuration()
>>> back.from_json(cfg.to_json())
>>> back == cfg
True
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from enum import IntEnum
from pathlib import Path
from typing import Any, ClassVar

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
    SamnaJsonError,
    UnknownBiasError,
    UnknownSynapseTypeError,
    suggest,
)
from dynsim.validation import Checked, choice, flag, is_whole_number, whole_number

__all__ = [
    "CONFIG_FORMAT",
    "CONFIG_MAX_BYTES",
    "CONFIG_VERSION",
    "CONFIG_VERSIONS_READ",
    "JSON_LAYOUTS",
    "UNUSED_SYNAPSE",
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
    "configuration_from_json",
    "load_configuration",
    "parameter_group_from_json",
    "parameter_group_to_json",
    "save_configuration",
    "synapse_type",
]

#: ``format`` field of dynsim's configuration JSON.
CONFIG_FORMAT = "dynsim.dynapse1.configuration"
#: Current version of the configuration JSON schema. Version 2 (this change): an unused CAM
#: entry is written ``[2, 0, 0]`` (NMDA from neuron 0 of core 0, :data:`UNUSED_SYNAPSE`).
#: Version 1 files wrote it ``[0, 0, 0]`` (GABA_B), dynsim's former default: they are still
#: read, each ``[0, 0, 0]`` entry as an unused entry (what it meant when it was written).
CONFIG_VERSION = 2
#: The versions of the configuration JSON schema this dynsim reads.
CONFIG_VERSIONS_READ = (1, 2)
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


# --------------------------------------------------------------------------- JSON protocol
#: The JSON layouts every data class writes and reads: ``"cereal"`` (samna's, a ``value0``
#: root and camelCase members) and ``"dynsim"`` (dynsim's snake_case / versioned format).
JSON_LAYOUTS: tuple[str, ...] = ("cereal", "dynsim")


def _json_layout(layout: object) -> str:
    return choice(layout, "layout", JSON_LAYOUTS, error=InvalidSettingError)


class _InstanceMethod:
    """A method that works on instances only; called on the class it fails loudly.

    samna's ``from_json(text)`` fills the object it is called on and returns ``None``; code
    written for dynsim's old classmethod (``Dynapse1Configuration.from_json(text)``) must not
    silently get ``None`` back.
    """

    def __init__(self, func: Callable[..., Any]) -> None:
        self._func = func
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is not None:
            return self._func.__get__(obj, owner)
        cls_name = owner.__name__ if owner is not None else "?"
        factory = getattr(owner, "_json_factory", "")

        def refuse(*args: Any, **kwargs: Any) -> None:
            alternative = f", or `{factory}(text)` for a new object" if factory else ""
            raise InvalidSettingError(
                f"{cls_name}.{self._name}(text) is an instance method (as in samna): it fills "
                f"the object it is called on and returns None. Write `obj = {cls_name}(); "
                f"obj.{self._name}(text)`{alternative}")

        refuse.__doc__ = self.__doc__
        return refuse


class _Json:
    """``to_json()`` / ``from_json(text)`` with samna's semantics, in both JSON layouts.

    Subclasses define ``_cereal()`` (the body under ``value0``), ``_dynsim()`` (dynsim's
    layout), ``_from_cereal(body, path)`` and ``_from_dynsim(data)`` (class methods that
    return a new, validated object) and ``_fill(new)`` (copy a decoded object into ``self``).
    """

    __slots__ = ()
    _json_factory = ""

    def to_json(self, indent: int | None = None, *, layout: str = "cereal") -> str:
        """Return the object as JSON text.

        Parameters
        ----------
        indent : int, optional
            Indentation of the JSON text (``None``: one line).
        layout : {'cereal', 'dynsim'}
            ``'cereal'`` (default): samna's layout, a ``value0`` root with camelCase members
            and maps as lists of ``{"key", "value"}`` (see ``docs/samna.md``, "JSON layout:
            what is confirmed and what is inferred"); ``'dynsim'``: dynsim's snake_case
            layout (for a configuration the versioned format of :func:`save_configuration`).

        Examples
        --------
        >>> from dynsim.dynapse.config import Dynapse1Synapse
        >>> Dynapse1Synapse("AMPA", 5, 1).to_json()
        '{"value0": {"synType": 3, "listenNeuronId": 5, "listenCoreId": 1}}'
        """
        if _json_layout(layout) == "cereal":
            data: Any = {"value0": self._cereal()}
        else:
            data = self._dynsim()
        return json.dumps(data, indent=indent)

    def _from_json(self, text: str | bytes) -> None:
        """Fill this object from JSON text in either layout (samna's semantics).

        The object is changed only when the whole text is valid (a failed call leaves it as
        it was).

        Raises
        ------
        dynsim.errors.SamnaJsonError
            For malformed JSON, a member of the wrong type, a value out of its range, an
            unknown or missing member or a repeated key, naming the member.
        """
        what = type(self).__name__
        try:
            new = self._decode(_parse_json(text, what))
            self._fill(new)
        except SamnaJsonError:
            raise
        except ConfigurationFormatError as err:
            raise SamnaJsonError(f"{what}.from_json: {err}") from None

    from_json = _InstanceMethod(_from_json)

    @classmethod
    def _decode(cls, data: Any) -> Any:
        if isinstance(data, dict) and "value0" in data:
            _only_keys(data, ("value0",), "json")
            return cls._from_cereal(data["value0"], "value0")
        return cls._from_dynsim(data)

    def _fill(self, new: Any) -> None:
        for slot in type(self).__slots__:
            object.__setattr__(self, slot, getattr(new, slot))


def _members(data: Any, path: str, required: Sequence[str],
             optional: Sequence[str] = ()) -> dict[str, Any]:
    """Return ``data`` after checking it is an object with exactly these members."""
    if not isinstance(data, dict):
        raise ConfigurationFormatError(f"{path}: expected an object, got {type(data).__name__}")
    _only_keys(data, (*required, *optional), path)
    for key in required:
        if key not in data:
            raise ConfigurationFormatError(f"{path}.{key}: missing field")
    return data


def _int_member(data: dict[str, Any], key: str, path: str, check: Callable[[Any], Any],
                default: Any = None) -> Any:
    """Return the whole-number member ``key`` after ``check`` (naming the member on error)."""
    if key not in data and default is not None:
        return default
    value = _field(data, key, path, int)
    return _checked(value, check, f"{path}.{key}")


def _flag_member(data: dict[str, Any], key: str, path: str) -> bool:
    return bool(_field(data, key, path, bool))


def _bit_member(data: dict[str, Any], key: str, path: str) -> int:
    """Return a one-bit member: true/false in cereal (netgen assigns bools), 0/1 accepted."""
    value = _field(data, key, path, (bool, int))
    if value not in (0, 1):
        raise ConfigurationFormatError(f"{path}.{key}: expected true/false (or 0/1), got "
                                       f"{value!r}")
    return int(value)


# --------------------------------------------------------------------------- parameters
class Dynapse1Parameter(_Json):
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

    def __init__(self, param_name: str = "", coarse_value: int = 0, fine_value: int = 0) -> None:
        name = _samna_bias_name(param_name, unnamed=True)
        self._coarse, self._fine = check_coarse_fine(name or "Dynapse1Parameter", coarse_value,
                                                     fine_value)
        self._name, self._held = name, False

    @property
    def param_name(self) -> str:
        """The samna name of the bias (one of the 25 of ``biases.BIAS_NAMES``).

        ``''`` for a parameter made empty (``Dynapse1Parameter()``) and not named yet.
        """
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
        self._coarse, _ = check_coarse_fine(self.param_name or "Dynapse1Parameter", value,
                                            self._fine)

    @property
    def fine_value(self) -> int:
        """Fine value 0..255."""
        return self._fine

    @fine_value.setter
    def fine_value(self, value: int) -> None:
        _, self._fine = check_coarse_fine(self.param_name or "Dynapse1Parameter", self._coarse,
                                          value)

    @property
    def type(self) -> str:
        """Transistor type, ``'N'`` or ``'P'`` (``''`` while the parameter has no name)."""
        return bias_spec(self.param_name).transistor if self.param_name else ""

    @property
    def current(self):
        """Current of this ``(coarse, fine)`` (approximate table, see ``biases``)."""
        if not self.param_name:
            raise UnknownBiasError("this Dynapse1Parameter has no name yet: set param_name "
                                   f"(one of {', '.join(BIAS_NAMES)}) first")
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

    # JSON: members of Rockpool's samna parameter-group entries (synsense/rockpool,
    # rockpool/devices/dynapse/dynapse1_jax.py, DynapSE1Jax._param_group): paramName,
    # coarseValue, fineValue, type.
    _CEREAL = ("paramName", "coarseValue", "fineValue", "type")
    _SNAKE = ("param_name", "coarse_value", "fine_value", "type")

    def _cereal(self) -> dict[str, Any]:
        return dict(zip(self._CEREAL, (self._name, self._coarse, self._fine, self.type),
                        strict=True))

    def _dynsim(self) -> dict[str, Any]:
        return dict(zip(self._SNAKE, (self._name, self._coarse, self._fine, self.type),
                        strict=True))

    @classmethod
    def _from_cereal(cls, body: Any, path: str, keys: tuple[str, ...] = _CEREAL,
                     name: str | None = None) -> Dynapse1Parameter:
        name_key, coarse_key, fine_key, type_key = keys
        data = _members(body, path, (coarse_key, fine_key), (name_key, type_key))
        given = _field(data, name_key, path, str) if name_key in data else name
        if given is None:
            raise ConfigurationFormatError(f"{path}.{name_key}: missing field")
        if name is not None and given != name:
            raise ConfigurationFormatError(f"{path}.{name_key}: differs from key {name!r}")
        if given and given not in BIAS_NAMES:
            raise ConfigurationFormatError(f"{path}.{name_key}: unknown bias {given!r}."
                                           f"{suggest(given, BIAS_NAMES)}")
        coarse = _field(data, coarse_key, path, int)
        fine = _field(data, fine_key, path, int)
        transistor = bias_spec(given).transistor if given else ""
        if type_key in data and _field(data, type_key, path, str) != transistor:
            raise ConfigurationFormatError(
                f"{path}.{type_key}: {given} is an {transistor}-type bias, the file says "
                f"{data[type_key]!r}" if given else f"{path}.{type_key}: a parameter without "
                f"a name has no type, the file says {data[type_key]!r}")
        return _checked((coarse, fine), lambda v: cls(given, *v), path)

    @classmethod
    def _from_dynsim(cls, data: Any) -> Dynapse1Parameter:
        return cls._from_cereal(data, "parameter", cls._SNAKE)

    def _fill(self, new: Dynapse1Parameter) -> None:
        if self._held and new._name != self._name:
            raise SamnaJsonError(f"Dynapse1Parameter.from_json: this parameter is "
                                 f"param_map[{self._name!r}] of a core; the text names "
                                 f"{new._name!r}")
        self._name, self._coarse, self._fine = new._name, new._coarse, new._fine


def _samna_bias_name(name: object, unnamed: bool = False) -> str:
    if unnamed and name == "":
        return ""
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
        if isinstance(parameter, Dynapse1Parameter) and not parameter.param_name:
            raise UnknownBiasError(f"param_map[{name!r}] cannot hold a parameter without a "
                                   f"name: set its param_name to {name!r} first")
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


class Dynapse1ParameterGroup(_Json):
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

    # JSON, cereal layout (synsense/rockpool, rockpool/devices/dynapse/dynapse1_jax.py,
    # DynapSE1Jax._param_group, which samna's Dynapse1ParameterGroup.from_json reads):
    # {"value0": {"paramMap": [{"key": name, "value": {parameter}}, ...], "chipId", "coreId"}}
    def _cereal(self) -> dict[str, Any]:
        return {"paramMap": [{"key": name, "value": p._cereal()}
                             for name, p in self.param_map.items()],
                "chipId": self.chip_id, "coreId": self.core_id}

    def _dynsim(self) -> dict[str, Any]:
        return {"value0": {"chip_id": self.chip_id, "core_id": self.core_id, "param_map": [
            {"key": name, "value": p._dynsim()} for name, p in self.param_map.items()]}}

    @classmethod
    def _decode(cls, data: Any) -> Dynapse1ParameterGroup:
        body = _field(data, "value0", "parameter group", dict)
        _only_keys(data, ("value0",), "parameter group")
        if "paramMap" in body:
            return cls._from_cereal(body, "value0")
        return cls._from_keys(body, "value0", ("chip_id", "core_id", "param_map"),
                              Dynapse1Parameter._SNAKE)

    @classmethod
    def _from_cereal(cls, body: Any, path: str) -> Dynapse1ParameterGroup:
        return cls._from_keys(body, path, ("chipId", "coreId", "paramMap"),
                              Dynapse1Parameter._CEREAL)

    @classmethod
    def _from_dynsim(cls, data: Any) -> Dynapse1ParameterGroup:
        return cls._decode(data)

    @classmethod
    def _from_keys(cls, body: Any, path: str, keys: tuple[str, str, str],
                   parameter_keys: tuple[str, ...]) -> Dynapse1ParameterGroup:
        chip_key, core_key, map_key = keys
        data = _members(body, path, (map_key,), (chip_key, core_key))
        group = cls(_int_member(data, chip_key, path, check_chip, 0),
                    _int_member(data, core_key, path, check_core, 0))
        seen: dict[str, str] = {}
        for i, entry in enumerate(_field(data, map_key, path, list)):
            epath = f"{path}.{map_key}[{i}]"
            name = _field(entry, "key", epath, str)
            value = _field(entry, "value", epath, dict)
            _only_keys(entry, ("key", "value"), epath)
            if name not in BIAS_NAMES:
                raise ConfigurationFormatError(f"{epath}.key: unknown bias {name!r}."
                                               f"{suggest(name, BIAS_NAMES)}")
            if name in seen:
                raise ConfigurationFormatError(f"{epath}.key: the bias {name!r} appears twice "
                                               f"(also {seen[name]})")
            seen[name] = epath
            group.param_map[name] = Dynapse1Parameter._from_cereal(
                value, f"{epath}.value", parameter_keys, name)
        return group

    def _fill(self, new: Dynapse1ParameterGroup) -> None:
        self._chip_id, self._core_id, self._param_map = new.chip_id, new.core_id, new._param_map

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


#: The unused CAM entry ``(syn_type, listen_neuron_id, listen_core_id)``: NMDA from neuron 0
#: of core 0. Source: INI's netgen helper ``details/netgen_details.py``,
#: ``get_usable_post_synapse_id`` (e.g. github.com/blakeyy/neuromorphic_dreaming,
#: ``details/netgen_details.py``) takes a CAM entry as free when ``listen_neuron_id +
#: listen_core_id == 0`` and ``syn_type == Dynapse1SynType.NMDA``; a configuration samna
#: makes is therefore expected to hold NMDA/0/0 in every unused entry (not confirmed against
#: a samna binary). ``Dynapse1Synapse()`` is this entry.
UNUSED_SYNAPSE: tuple[Dynapse1SynType, int, int] = (Dynapse1SynType.NMDA, 0, 0)


class Dynapse1Synapse(_Json, _ByValue):
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

    def __init__(self, syn_type: Any = Dynapse1SynType.NMDA, listen_neuron_id: int = 0,
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
        """Whether the entry differs from the unused entry :data:`UNUSED_SYNAPSE`.

        The unused entry is NMDA from neuron 0 of core 0, the entry netgen treats as free
        (see :data:`UNUSED_SYNAPSE`), so an NMDA connection from neuron 0 of core 0 is not
        "in use" here, exactly as netgen would overwrite it.
        """
        return self.astuple_typed() != UNUSED_SYNAPSE

    def astuple_typed(self) -> tuple[Dynapse1SynType, int, int]:
        """Return ``(syn_type, listen_neuron_id, listen_core_id)``."""
        return self._syn_type, self._listen_neuron_id, self._listen_core_id

    def astuple(self) -> tuple[int, int, int]:
        """Return ``(syn_type value, listen_neuron_id, listen_core_id)``."""
        return int(self._syn_type), self._listen_neuron_id, self._listen_core_id

    # JSON (inferred: camelCase of samna's attribute names, the enum as its value)
    _CEREAL = ("synType", "listenNeuronId", "listenCoreId")

    def _cereal(self) -> dict[str, Any]:
        return dict(zip(self._CEREAL, self.astuple(), strict=True))

    def _dynsim(self) -> list[int]:
        return list(self.astuple())

    @classmethod
    def _from_cereal(cls, body: Any, path: str) -> Dynapse1Synapse:
        data = _members(body, path, cls._CEREAL)
        return cls._from_dynsim([_field(data, key, path, int) for key in cls._CEREAL], path)

    @classmethod
    def _from_dynsim(cls, data: Any, path: str = "synapse") -> Dynapse1Synapse:
        if not (isinstance(data, list) and len(data) == 3 and all(
                isinstance(x, int) and not isinstance(x, bool) for x in data)):
            raise ConfigurationFormatError(
                f"{path}: expected [syn_type, listen_neuron_id, listen_core_id], got "
                f"{data!r:.80}")
        return _checked(data, lambda e: cls(*e), path)

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


class Dynapse1Destination(_Json):
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

    # JSON (inferred: camelCase of samna's attribute names; sx, sy and in_use as booleans,
    # the values netgen assigns to them)
    _CEREAL: ClassVar[dict[str, str]] = {
        "target_chip_id": "targetChipId", "in_use": "inUse", "virtual_core_id": "virtualCoreId",
        "core_mask": "coreMask", "sx": "sx", "sy": "sy", "dx": "dx", "dy": "dy"}

    def _cereal(self) -> dict[str, Any]:
        values = self.asdict()
        values["sx"], values["sy"] = bool(values["sx"]), bool(values["sy"])
        return {self._CEREAL[k]: v for k, v in values.items()}

    def _dynsim(self) -> dict[str, Any]:
        return self.asdict()

    @classmethod
    def _from_cereal(cls, body: Any, path: str) -> Dynapse1Destination:
        data = _members(body, path, tuple(cls._CEREAL.values()))
        values = {name: (_flag_member(data, key, path) if name == "in_use" else
                         _bit_member(data, key, path) if name in ("sx", "sy") else
                         _field(data, key, path, int))
                  for name, key in cls._CEREAL.items()}
        return _checked(values, lambda v: cls(**v), path)

    @classmethod
    def _from_dynsim(cls, data: Any, path: str = "destination") -> Dynapse1Destination:
        fields = {"in_use", *_DESTINATION_FIELDS}
        if not isinstance(data, dict) or set(data) != fields:
            raise ConfigurationFormatError(f"{path}: expected the fields in_use, "
                                           f"{', '.join(_DESTINATION_FIELDS)}")
        if not isinstance(data["in_use"], bool):
            raise ConfigurationFormatError(f"{path}.in_use: expected true/false")
        for key in _DESTINATION_FIELDS:
            _field(data, key, path, int)
        return _checked(data, lambda e: cls(**e), path)

    def _fill(self, new: Dynapse1Destination) -> None:
        object.__setattr__(self, "in_use", new.in_use)
        object.__setattr__(self, "_values", dict(new._values))


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


class Dynapse1Neuron(_Json):
    """A neuron's memories: ``synapses[64]`` (CAM) and ``destinations[4]`` (SRAM)."""

    chip_id = _Fixed("Chip of the neuron (0..3).")
    core_id = _Fixed("Core of the neuron (0..3).")
    neuron_id = _Fixed("Core-local id of the neuron (0..255).")
    synapses = _Fixed("The 64 CAM entries (``Dynapse1Synapse``).")
    destinations = _Fixed("The 4 SRAM entries (``Dynapse1Destination``).")

    def __init__(self, chip_id: int = 0, core_id: int = 0, neuron_id: int = 0) -> None:
        self._chip_id, self._core_id = check_chip(chip_id), check_core(core_id)
        self._neuron_id = check_neuron(neuron_id)
        self._placed = False
        self._synapses = _FixedList(CAMS_PER_NEURON, lambda _: Dynapse1Synapse(),
                                    Dynapse1Synapse, "synapses")
        self._destinations = _FixedList(SRAMS_PER_NEURON, lambda _: Dynapse1Destination(),
                                        Dynapse1Destination, "destinations")

    # JSON (inferred: camelCase of samna's attribute names, the 64 CAM and 4 SRAM entries as
    # lists)
    def _entries(self) -> tuple[list[Dynapse1Synapse], list[Dynapse1Destination]]:
        synapses, destinations = dict(self.synapses.created()), dict(self.destinations.created())
        return ([synapses.get(k, _DEFAULT_SYNAPSE) for k in range(CAMS_PER_NEURON)],
                [destinations.get(k, _DEFAULT_DESTINATION) for k in range(SRAMS_PER_NEURON)])

    def _cereal(self) -> dict[str, Any]:
        synapses, destinations = self._entries()
        return {"chipId": self.chip_id, "coreId": self.core_id, "neuronId": self.neuron_id,
                "synapses": [s._cereal() for s in synapses],
                "destinations": [d._cereal() for d in destinations]}

    def _dynsim(self) -> dict[str, Any]:
        return {"chip_id": self.chip_id, "core_id": self.core_id, **_neuron_dict(self)}

    @classmethod
    def _from_cereal(cls, body: Any, path: str) -> Dynapse1Neuron:
        data = _members(body, path, ("chipId", "coreId", "neuronId", "synapses",
                                     "destinations"))
        neuron = cls(_int_member(data, "chipId", path, check_chip),
                     _int_member(data, "coreId", path, check_core),
                     _int_member(data, "neuronId", path, check_neuron))
        for key, size, kind, target in (
                ("synapses", CAMS_PER_NEURON, Dynapse1Synapse, neuron.synapses),
                ("destinations", SRAMS_PER_NEURON, Dynapse1Destination, neuron.destinations)):
            entries = _field(data, key, path, list)
            if len(entries) != size:
                raise ConfigurationFormatError(f"{path}.{key}: expected {size} entries, got "
                                               f"{len(entries)}")
            default = kind()
            for k, entry in enumerate(entries):
                value = kind._from_cereal(entry, f"{path}.{key}[{k}]")
                if value != default:
                    target[k] = value
        return neuron

    @classmethod
    def _from_dynsim(cls, data: Any) -> Dynapse1Neuron:
        fragment = _members(data, "neuron", _NEURON_KEYS, ("chip_id", "core_id"))
        chip_id = _int_member(fragment, "chip_id", "neuron", check_chip, 0)
        core_id = _int_member(fragment, "core_id", "neuron", check_core, 0)
        neuron_data = {k: v for k, v in fragment.items() if k in _NEURON_KEYS}
        core = _core_from_fragment(chip_id, {"core_id": core_id, "parameter_group": {},
                                             "neurons": [neuron_data]})
        return core.neurons[_field(fragment, "neuron_id", "neuron", int)]

    def _fill(self, new: Dynapse1Neuron) -> None:
        _check_place(self, new, ("chip_id", "core_id", "neuron_id"))
        self._chip_id, self._core_id, self._neuron_id = new.chip_id, new.core_id, new.neuron_id
        self._synapses._items = new._synapses._items
        self._destinations._items = new._destinations._items

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


class Dynapse1Core(_Json):
    """A core: ``neurons[256]`` and one ``parameter_group`` of 25 biases."""

    chip_id = _Fixed("Chip of the core (0..3).")
    core_id = _Fixed("Id of the core on its chip (0..3).")
    neurons = _Fixed("The 256 neurons (``Dynapse1Neuron``).")

    def __init__(self, chip_id: int = 0, core_id: int = 0) -> None:
        self._chip_id, self._core_id = check_chip(chip_id), check_core(core_id)
        self._placed = False
        self._neurons = _FixedList(
            NEURONS_PER_CORE, lambda n: _place(Dynapse1Neuron(self._chip_id, self._core_id, n)),
            Dynapse1Neuron, "neurons")
        self._parameter_group = Dynapse1ParameterGroup(self._chip_id, self._core_id)

    # JSON (inferred: camelCase of samna's attribute names; only the neurons that differ from
    # the default are written, each with its ids)
    def _cereal(self) -> dict[str, Any]:
        return {"chipId": self.chip_id, "coreId": self.core_id,
                "neurons": [n._cereal() for _, n in self.neurons.created()
                            if not n.is_default()],
                "parameterGroup": self.parameter_group._cereal()}

    def _dynsim(self) -> dict[str, Any]:
        return {"chip_id": self.chip_id, **_core_dict(self)}

    @classmethod
    def _from_cereal(cls, body: Any, path: str) -> Dynapse1Core:
        data = _members(body, path, ("chipId", "coreId", "neurons", "parameterGroup"))
        core = cls(_int_member(data, "chipId", path, check_chip),
                   _int_member(data, "coreId", path, check_core))
        group = Dynapse1ParameterGroup._from_cereal(data["parameterGroup"],
                                                    f"{path}.parameterGroup")
        group._chip_id, group._core_id = core.chip_id, core.core_id
        core._parameter_group = group
        _read_children(data, path, "neurons", Dynapse1Neuron, core.neurons, "neuron_id",
                       {"chip_id": core.chip_id, "core_id": core.core_id})
        return core

    @classmethod
    def _from_dynsim(cls, data: Any) -> Dynapse1Core:
        fragment = _members(data, "core", _CORE_KEYS, ("chip_id",))
        chip_id = _int_member(fragment, "chip_id", "core", check_chip, 0)
        return _core_from_fragment(chip_id, {k: v for k, v in fragment.items()
                                             if k != "chip_id"})

    def _fill(self, new: Dynapse1Core) -> None:
        _check_place(self, new, ("chip_id", "core_id"))
        self._chip_id, self._core_id = new.chip_id, new.core_id
        self._neurons._items = new._neurons._items
        self._parameter_group = new._parameter_group

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


class Dynapse1Chip(_Json):
    """A chip: ``cores[4]``."""

    chip_id = _Fixed("Id of the chip on the board (0..3).")
    cores = _Fixed("The 4 cores (``Dynapse1Core``).")

    def __init__(self, chip_id: int = 0) -> None:
        self._chip_id = check_chip(chip_id)
        self._placed = False
        self._cores = _FixedList(CORES_PER_CHIP,
                                 lambda k: _place(Dynapse1Core(self._chip_id, k)),
                                 Dynapse1Core, "cores")

    # JSON (inferred: camelCase of samna's attribute names, the 4 cores as a list)
    def _cereal(self) -> dict[str, Any]:
        return {"chipId": self.chip_id,
                "cores": [self.cores[k]._cereal() for k in range(CORES_PER_CHIP)]}

    def _dynsim(self) -> dict[str, Any]:
        return {"chip_id": self.chip_id,
                "cores": [_core_dict(self.cores[k]) for k in range(CORES_PER_CHIP)]}

    @classmethod
    def _from_cereal(cls, body: Any, path: str) -> Dynapse1Chip:
        data = _members(body, path, ("chipId", "cores"))
        chip = cls(_int_member(data, "chipId", path, check_chip))
        _read_children(data, path, "cores", Dynapse1Core, chip.cores, "core_id",
                       {"chip_id": chip.chip_id})
        return chip

    @classmethod
    def _from_dynsim(cls, data: Any) -> Dynapse1Chip:
        config = _config_from_dict({"format": CONFIG_FORMAT, "version": CONFIG_VERSION,
                                    "chips": [data]})
        (_, chip), = config.chips.created()
        return chip

    def _fill(self, new: Dynapse1Chip) -> None:
        _check_place(self, new, ("chip_id",))
        self._chip_id = new.chip_id
        self._cores._items = new._cores._items


class Dynapse1Configuration(_Json):
    """The whole board: ``chips[4].cores[4].neurons[256]`` with CAMs, SRAMs and biases.

    Examples
    --------
    >>> cfg = Dynapse1Configuration()
    >>> cfg.chips[2].cores[3].parameter_group.param_map["IF_DC_P"].fine_value = 40
    >>> cfg.to_dict()["chips"][0]["cores"][0]["core_id"]
    0
    """

    chips = _Fixed("The 4 chips (``Dynapse1Chip``).")

    _json_factory = "configuration_from_json"

    def __init__(self) -> None:
        self._chips = _FixedList(NUM_CHIPS, lambda c: _place(Dynapse1Chip(c)), Dynapse1Chip,
                                 "chips")

    # JSON, cereal layout (inferred: no public source shows samna's whole configuration; the
    # same rules as the confirmed parameter group: camelCase members, lists for vectors)
    def _cereal(self) -> dict[str, Any]:
        return {"chips": [self.chips[c]._cereal() for c in range(NUM_CHIPS)]}

    def _dynsim(self) -> dict[str, Any]:
        return self.to_dict()

    @classmethod
    def _from_cereal(cls, body: Any, path: str) -> Dynapse1Configuration:
        data = _members(body, path, ("chips",))
        config = cls()
        _read_children(data, path, "chips", Dynapse1Chip, config.chips, "chip_id", {})
        return config

    @classmethod
    def _from_dynsim(cls, data: Any) -> Dynapse1Configuration:
        return _config_from_dict(data)

    def _fill(self, new: Dynapse1Configuration) -> None:
        self._chips._items = new._chips._items

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
        chips = [self.chips[c]._dynsim() for c in range(NUM_CHIPS)]
        return {"format": CONFIG_FORMAT, "version": CONFIG_VERSION,
                "synapse_fields": ["syn_type", "listen_neuron_id", "listen_core_id"],
                "chips": chips}

    @classmethod
    def from_dict(cls, data: Any) -> Dynapse1Configuration:
        """Build a configuration from :meth:`to_dict` output, validating every field.

        Raises
        ------
        dynsim.errors.ConfigurationFormatError
            Naming the first field that is missing or invalid.
        """
        return _config_from_dict(data)

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


_DEFAULT_SYNAPSE = Dynapse1Synapse()
_DEFAULT_DESTINATION = Dynapse1Destination()


def _place(obj: Any) -> Any:
    """Mark a neuron, core or chip as held by its parent (its ids are then fixed)."""
    obj._placed = True
    return obj


def _check_place(obj: Any, new: Any, ids: Sequence[str]) -> None:
    """Refuse JSON that would move an object held by its parent to another place."""
    if obj._placed:
        for name in ids:
            if getattr(new, name) != getattr(obj, name):
                raise SamnaJsonError(
                    f"{type(obj).__name__}.from_json: the text is for {name} "
                    f"{getattr(new, name)}, this object is {name} {getattr(obj, name)} of a "
                    f"configuration (its place fixes it)")


def _camel(name: str) -> str:
    """Return the cereal member of a snake_case attribute (``chip_id`` -> ``chipId``)."""
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def _read_children(data: dict[str, Any], path: str, key: str, kind: type, target: _FixedList,
                   id_name: str, parent_ids: dict[str, int]) -> None:
    """Read the cereal list ``data[key]`` of neurons, cores or chips into ``target``.

    Each item is placed by its own id; an item of another parent, or an id given twice, is
    refused naming the member.
    """
    seen: dict[int, str] = {}
    for i, item in enumerate(_field(data, key, path, list)):
        item_path = f"{path}.{key}[{i}]"
        child = kind._from_cereal(item, item_path)
        for name, value in parent_ids.items():
            if getattr(child, name) != value:
                raise ConfigurationFormatError(
                    f"{item_path}.{_camel(name)}: {getattr(child, name)} inside {name} {value}")
        index = getattr(child, id_name)
        if index in seen:
            raise ConfigurationFormatError(f"{item_path}.{_camel(id_name)}: {id_name} {index} "
                                           f"appears twice (also {seen[index]})")
        seen[index] = item_path
        target._items[index] = _place(child)


def _neuron_dict(neuron: Dynapse1Neuron) -> dict[str, Any]:
    synapses, destinations = neuron._entries()
    return {"neuron_id": neuron.neuron_id, "synapses": [list(s.astuple()) for s in synapses],
            "destinations": [d.asdict() for d in destinations]}


def _core_dict(core: Dynapse1Core) -> dict[str, Any]:
    return {"core_id": core.core_id,
            "parameter_group": {k: list(v) for k, v in core.parameter_group.as_dict().items()},
            "neurons": [_neuron_dict(n) for _, n in core.neurons.created()
                        if not n.is_default()]}


def _core_from_fragment(chip_id: int, core_data: dict[str, Any]) -> Dynapse1Core:
    """Read a core of dynsim's versioned format (with the checks of a whole configuration)."""
    config = _config_from_dict({"format": CONFIG_FORMAT, "version": CONFIG_VERSION,
                                "chips": [{"chip_id": chip_id, "cores": [core_data]}]})
    (_, chip), = config.chips.created()
    (_, core), = chip.cores.created()
    return core


def configuration_from_json(text: str | bytes) -> Dynapse1Configuration:
    """Return a new configuration read from JSON text in either layout.

    The replacement of dynsim's former classmethod ``Dynapse1Configuration.from_json(text)``
    (``from_json`` now fills the object it is called on, as in samna).

    Raises
    ------
    dynsim.errors.SamnaJsonError
        Naming the first invalid member.

    Examples
    --------
    >>> cfg = Dynapse1Configuration()
    >>> cfg.chips[0].cores[1].neurons[5].synapses[0] = Dynapse1Synapse("AMPA", 3, 0)
    >>> configuration_from_json(cfg.to_json()) == cfg
    True
    """
    return _new_from_json(Dynapse1Configuration, text, "configuration")


def _new_from_json(cls: type, text: str | bytes, what: str) -> Any:
    """Return a new ``cls`` read from JSON text (errors name the member, without a prefix)."""
    try:
        return cls._decode(_parse_json(text, what))
    except SamnaJsonError:
        raise
    except ConfigurationFormatError as err:
        raise SamnaJsonError(str(err)) from None


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
    if version not in CONFIG_VERSIONS_READ:
        raise ConfigurationFormatError(f"configuration.version: this dynsim reads versions "
                                       f"{', '.join(map(str, CONFIG_VERSIONS_READ))}, the file "
                                       f"has {version}")
    unused_v1 = [0, 0, 0] if version == 1 else None  # version 1's unused CAM entry
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
                    if entry == unused_v1:
                        entry = [int(UNUSED_SYNAPSE[0]), 0, 0]
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


def save_configuration(config: Dynapse1Configuration, path: str | Path,
                       layout: str = "dynsim") -> None:
    """Write a configuration to a JSON file.

    Parameters
    ----------
    config : Dynapse1Configuration
        What to write.
    path : str or pathlib.Path
        The file.
    layout : {'dynsim', 'cereal'}
        ``'dynsim'`` (default): dynsim's versioned format (``format``, ``version``), the
        files the bench saves; ``'cereal'``: samna's layout (``value0``, camelCase; the
        whole-configuration layout is inferred, see ``docs/samna.md``).
        :func:`load_configuration` reads both.

    Raises
    ------
    dynsim.errors.ConfigurationFileError
        When the file cannot be written (naming it and why).
    """
    if not isinstance(config, Dynapse1Configuration):
        raise ConfigurationFormatError(f"save_configuration takes a Dynapse1Configuration, "
                                       f"got {type(config).__name__}")
    file = _path(path)
    text = config.to_json(indent=1, layout=_json_layout(layout))
    try:
        file.write_text(text, encoding="utf-8")
    except OSError as err:
        raise _file_error(err, file, "write") from None


def load_configuration(path: str | Path) -> Dynapse1Configuration:
    """Read a configuration from a JSON file in either layout of :func:`save_configuration`.

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
        return configuration_from_json(text)
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
def parameter_group_to_json(group: Dynapse1ParameterGroup, layout: str = "dynsim") -> str:
    """Return one core's biases as JSON text.

    Parameters
    ----------
    group : Dynapse1ParameterGroup
        The biases.
    layout : {'dynsim', 'cereal'}
        ``'dynsim'`` (default, the bias files the bench saves): dynsim's snake_case layout::

            {"value0": {"chip_id": 0, "core_id": 1, "param_map": [
                {"key": "IF_AHTAU_N", "value": {"param_name": "IF_AHTAU_N",
                                                "coarse_value": 0, "fine_value": 34,
                                                "type": "N"}}, ...]}}

        ``'cereal'``: the layout samna's ``Dynapse1ParameterGroup.from_json`` reads, with
        camelCase members (``paramMap``, ``paramName``, ``coarseValue``, ``fineValue``,
        ``chipId``, ``coreId``), as Rockpool writes it for samna (synsense/rockpool,
        ``rockpool/devices/dynapse/dynapse1_jax.py``, ``DynapSE1Jax._param_group``); the
        same text as ``group.to_json(indent=1)``.

    Examples
    --------
    >>> import json
    >>> text = parameter_group_to_json(Dynapse1ParameterGroup(0, 1), layout="cereal")
    >>> json.loads(text)["value0"]["paramMap"][0]["value"]["paramName"]
    'IF_TAU1_N'
    """
    return group.to_json(indent=1, layout=_json_layout(layout))


def parameter_group_from_json(text: str | bytes) -> Dynapse1ParameterGroup:
    """Return a new parameter group read from JSON text in either layout.

    Reads both :func:`parameter_group_to_json` layouts (dynsim's snake_case and samna's
    cereal layout, told apart by ``value0.paramMap``). Biases missing from the text keep their
    defaults.

    Raises
    ------
    dynsim.errors.SamnaJsonError
        Naming the first invalid member.
    """
    return _new_from_json(Dynapse1ParameterGroup, text, "parameter group")
