"""Events of the emulated board and the nodes, named as samna's, that carry them.

samna delivers chip events through a graph of nodes: the model's source node sends
``Spike`` events to the input channel of a sink node, and ``sink.get_events()`` returns (and
clears) what arrived. dynsim mirrors the minimal part of it::

    sink = BasicSinkNode()
    model.get_source_node().add_destination(sink.get_input_channel())
    model.run(0.5 * second)
    events = sink.get_events()          # [Spike(chip_id, core_id, neuron_id, timestamp), ...]

or in one line, ``sink = sink_from(model.get_source_node())``.

The event classes (:class:`Spike`, :class:`TimestampWrapEvent` out of the board,
:class:`FpgaSpikeEvent` into it) are made empty and filled by attribute, as samna's are
(``ev = FpgaSpikeEvent(); ev.core_mask = 15``); every field is range-checked when it is set
(a refused value leaves the event unchanged), and each has ``to_json()`` / ``from_json(text)``
in samna's cereal layout (``{"value0": {"timestamp": 1200, "neuronId": 5, "coreId": 1,
"chipId": 0}}`` for a spike) and in dynsim's snake_case layout.

Examples
--------
>>> source = EventSourceNode()
>>> sink = sink_from(source)
>>> source.send([Spike(0, 1, 5, 1200)])
>>> sink.get_events()
[Spike(chip_id=0, core_id=1, neuron_id=5, timestamp=1200)]
>>> sink.get_events()
[]
>>> ev = Spike()
>>> ev.from_json('{"value0": {"timestamp": 1200, "neuronId": 5, "coreId": 1, "chipId": 0}}')
>>> ev
Spike(chip_id=0, core_id=1, neuron_id=5, timestamp=1200)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from dynsim.dynapse.config import (
    _ByValue,
    _checked,
    _field,
    _Json,
    _members,
    check_chip,
    check_core,
    check_neuron,
)
from dynsim.dynapse.constants import (
    CORES_PER_CHIP,
    FPGA_ISI_MAX,
    NEURONS_PER_CHIP,
    NEURONS_PER_CORE,
    NUM_CHIPS,
    global_neuron_id,
)
from dynsim.errors import InvalidNeuronError, InvalidSettingError
from dynsim.validation import Checked, is_whole_number, whole_number

__all__ = ["TIMESTAMP_MAX", "BasicSinkNode", "EventSourceNode", "FpgaSpikeEvent", "Spike",
           "TimestampWrapEvent", "sink_from"]

#: Largest event timestamp, in microseconds (an unsigned 64-bit integer). dynsim's timestamps
#: count microseconds since the model started and do not wrap; the board's 32-bit counter
#: wraps every 2**32 us (~71.6 min) and then sends a :class:`TimestampWrapEvent` (INI's
#: dynapse1utils, ``get_time_wrap_events``).
TIMESTAMP_MAX = 2**64 - 1


def _check_timestamp(value: object) -> int:
    return whole_number(value, "timestamp", low=0, high=TIMESTAMP_MAX,
                        error=InvalidSettingError, hint="(microseconds, unsigned 64-bit)")


def _check_virtual_id(neuron_id: object) -> int:
    if not is_whole_number(neuron_id) or not 0 <= int(neuron_id) < NEURONS_PER_CHIP:
        raise InvalidNeuronError(f"virtual neuron id must be a whole number in 0.."
                                 f"{NEURONS_PER_CHIP - 1} (neuron + 256*core), got {neuron_id!r}")
    return int(neuron_id)


def _check_core_mask(value: object) -> int:
    return whole_number(value, "core_mask", low=0, high=2 ** CORES_PER_CHIP - 1,
                        error=InvalidSettingError, hint="(a 4-bit mask of the target cores)")


def _check_isi(value: object) -> int:
    return whole_number(value, "isi", low=0, high=FPGA_ISI_MAX, error=InvalidSettingError,
                        hint="(a 16-bit register, in units of isi_multiplier / 90 MHz)")


#: Fields of an FPGA spike event, in the order of its constructor.
_FPGA_EVENT_FIELDS: tuple[str, ...] = ("core_mask", "target_chip", "neuron_id", "isi")


class _Event(_Json, _ByValue):
    """A small event: checked fields, equality by value, JSON in both layouts.

    Subclasses list ``_FIELDS`` (constructor order), ``_CHECKS`` (one validator per field)
    and ``_CEREAL`` (field -> cereal member, in the order samna writes them).
    """

    __slots__ = ()
    _FIELDS: tuple[str, ...] = ()
    _CHECKS: tuple[Callable[[Any], int], ...] = ()
    _CEREAL: ClassVar[dict[str, str]] = {}

    def __init__(self, *values: Any) -> None:
        for name, check, value in zip(self._FIELDS, self._CHECKS, values, strict=True):
            object.__setattr__(self, f"_{name}", check(value))

    def astuple(self) -> tuple[int, ...]:
        """Return the fields in constructor order."""
        return tuple(getattr(self, f"_{name}") for name in self._FIELDS)

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v}" for k, v in zip(self._FIELDS, self.astuple(), strict=True))
        return f"{type(self).__name__}({fields})"

    def _cereal(self) -> dict[str, int]:
        return {key: getattr(self, f"_{name}") for name, key in self._CEREAL.items()}

    def _dynsim(self) -> dict[str, int]:
        return dict(zip(self._FIELDS, self.astuple(), strict=True))

    @classmethod
    def _from_keys(cls, body: Any, path: str, keys: dict[str, str]) -> _Event:
        data = _members(body, path, tuple(keys.values()))
        return cls(*(_checked(_field(data, keys[name], path, int), check, f"{path}.{keys[name]}")
                     for name, check in zip(cls._FIELDS, cls._CHECKS, strict=True)))

    @classmethod
    def _from_cereal(cls, body: Any, path: str) -> _Event:
        return cls._from_keys(body, path, cls._CEREAL)

    @classmethod
    def _from_dynsim(cls, data: Any) -> _Event:
        return cls._from_keys(data, cls.__name__, {n: n for n in cls._FIELDS})


class Spike(_Event):
    """A spike of a neuron of the board (samna's ``dynapse1.Spike``).

    ``Spike()`` is an empty event (all fields 0) to fill by attribute, as in samna.

    Attributes
    ----------
    chip_id, core_id, neuron_id : int
        Address of the neuron (neuron_id is core-local, 0..255).
    timestamp : int
        Time of the spike in microseconds since the model started (0..:data:`TIMESTAMP_MAX`).

    Notes
    -----
    JSON (cereal layout) as INI's dynapse1utils reads samna's ``Spike.to_json()``
    (``convert_dict2samna_object``; e.g. github.com/BernardMaacaron/JointAttractorNets,
    ``dynapse1utils.py``): ``{"value0": {"timestamp": ..., "neuronId": ..., "coreId": ...,
    "chipId": ...}}``.

    Examples
    --------
    >>> spike = Spike()
    >>> spike.chip_id, spike.core_id, spike.neuron_id, spike.timestamp = 0, 1, 5, 1200
    >>> spike.to_json()
    '{"value0": {"timestamp": 1200, "neuronId": 5, "coreId": 1, "chipId": 0}}'
    """

    __slots__ = ("_chip_id", "_core_id", "_neuron_id", "_timestamp")
    _FIELDS = ("chip_id", "core_id", "neuron_id", "timestamp")
    _CHECKS = (check_chip, check_core, check_neuron, _check_timestamp)
    _CEREAL: ClassVar[dict[str, str]] = {"timestamp": "timestamp", "neuron_id": "neuronId",
                                         "core_id": "coreId", "chip_id": "chipId"}

    chip_id = Checked(check_chip, "Chip of the neuron (0..3).")
    core_id = Checked(check_core, "Core of the neuron (0..3).")
    neuron_id = Checked(check_neuron, "Core-local id of the neuron (0..255).")
    timestamp = Checked(_check_timestamp, "Time of the spike in microseconds.")

    def __init__(self, chip_id: int = 0, core_id: int = 0, neuron_id: int = 0,
                 timestamp: int = 0) -> None:
        # fast path for the plain ints the model sends (a run can make many spikes)
        if (type(chip_id) is int and type(core_id) is int and type(neuron_id) is int
                and type(timestamp) is int and 0 <= chip_id < NUM_CHIPS
                and 0 <= core_id < CORES_PER_CHIP and 0 <= neuron_id < NEURONS_PER_CORE
                and 0 <= timestamp <= TIMESTAMP_MAX):
            self._chip_id, self._core_id = chip_id, core_id
            self._neuron_id, self._timestamp = neuron_id, timestamp
        else:
            super().__init__(chip_id, core_id, neuron_id, timestamp)

    @property
    def global_id(self) -> int:
        """Board-wide id ``neuron + 256*core + 1024*chip``."""
        return global_neuron_id(self.chip_id, self.core_id, self.neuron_id)


class TimestampWrapEvent(_Event):
    """The board's mark that its 32-bit microsecond counter wrapped (samna's event).

    Attributes
    ----------
    timestamp : int
        Time of the event in microseconds (0..:data:`TIMESTAMP_MAX`).

    Notes
    -----
    samna's documentation names the class; its one field ``timestamp`` and its JSON layout
    ``{"value0": {"timestamp": ...}}`` are inferred (no public source shows them). dynsim's
    timestamps do not wrap, so the emulator does not send this event.

    Examples
    --------
    >>> ev = TimestampWrapEvent()
    >>> ev.timestamp = 2**32
    >>> ev
    TimestampWrapEvent(timestamp=4294967296)
    """

    __slots__ = ("_timestamp",)
    _FIELDS = ("timestamp",)
    _CHECKS = (_check_timestamp,)
    _CEREAL: ClassVar[dict[str, str]] = {"timestamp": "timestamp"}

    timestamp = Checked(_check_timestamp, "Time of the event in microseconds.")

    def __init__(self, timestamp: int = 0) -> None:
        super().__init__(timestamp)


class FpgaSpikeEvent(_Event):
    """One event of the FPGA spike generator's stimulus.

    Built like samna's (``ev = FpgaSpikeEvent(); ev.core_mask = 15; ...``) or with its four
    fields; every field is checked when it is set, and a refused value leaves the event as it
    was. JSON members (inferred, camelCase of the field names): ``coreMask``, ``targetChip``,
    ``neuronId``, ``isi``.

    Attributes
    ----------
    core_mask : int
        Cores (4-bit mask, 0..15) of ``target_chip`` that receive the event.
    target_chip : int
        Chip that receives the event (0..3).
    neuron_id : int
        Virtual neuron id 0..1023 (neuron + 256*core): the event's tag.
    isi : int
        Delay after the previous event, in units of ``isi_multiplier / 90 MHz``: 0..65535
        (a 16-bit register, :data:`~dynsim.dynapse.constants.FPGA_ISI_MAX`).

    Examples
    --------
    >>> ev = FpgaSpikeEvent()
    >>> ev.core_mask, ev.target_chip, ev.neuron_id, ev.isi = 15, 0, 15, 10
    >>> ev
    FpgaSpikeEvent(core_mask=15, target_chip=0, neuron_id=15, isi=10)
    """

    __slots__ = ("_core_mask", "_isi", "_neuron_id", "_target_chip")
    _FIELDS = _FPGA_EVENT_FIELDS
    _CHECKS = (_check_core_mask, check_chip, _check_virtual_id, _check_isi)
    _CEREAL: ClassVar[dict[str, str]] = {"core_mask": "coreMask", "target_chip": "targetChip",
                                         "neuron_id": "neuronId", "isi": "isi"}

    core_mask = Checked(_check_core_mask,
                        "Cores of ``target_chip`` that receive the event (4-bit mask).")
    target_chip = Checked(check_chip, "Chip that receives the event (0..3).")
    neuron_id = Checked(_check_virtual_id, "Virtual neuron id (0..1023): the tag.")
    isi = Checked(_check_isi, "Delay after the previous event, in ISI units "
                  "(0..65535).")

    def __init__(self, core_mask: int = 0, target_chip: int = 0, neuron_id: int = 0,
                 isi: int = 0) -> None:
        super().__init__(core_mask, target_chip, neuron_id, isi)


class BasicSinkNode:
    """Buffers events until :meth:`get_events` is called."""

    def __init__(self) -> None:
        self._buffer: list[Spike] = []
        self._lock = threading.Lock()  # the real-time worker writes from its own thread

    def get_input_channel(self) -> BasicSinkNode:
        """Return the channel to give to ``source.add_destination``."""
        return self

    def write(self, events: Iterable[Spike]) -> None:
        """Append events (called by the source node)."""
        with self._lock:
            self._buffer.extend(events)

    def get_events(self) -> list[Spike]:
        """Return the events received since the last call, and forget them."""
        with self._lock:
            events, self._buffer = self._buffer, []
        return events

    def get_buffer_size(self) -> int:
        """Return the number of events waiting to be read."""
        return len(self._buffer)


class EventSourceNode:
    """Sends events to every destination channel added to it."""

    def __init__(self) -> None:
        self._destinations: list[BasicSinkNode] = []

    def add_destination(self, channel: BasicSinkNode) -> int:
        """Connect a sink's input channel; return its index."""
        if not hasattr(channel, "write"):
            raise TypeError("add_destination takes a sink's input channel "
                            "(sink.get_input_channel())")
        self._destinations.append(channel)
        return len(self._destinations) - 1

    def remove_destination(self, channel: BasicSinkNode) -> None:
        """Disconnect a sink's input channel."""
        self._destinations = [d for d in self._destinations if d is not channel]

    def get_destinations(self) -> list[BasicSinkNode]:
        """Return the connected channels."""
        return list(self._destinations)

    def send(self, events: list[Spike]) -> None:
        """Deliver events to every destination."""
        for destination in self._destinations:
            destination.write(events)


def sink_from(source: EventSourceNode) -> BasicSinkNode:
    """Return a new :class:`BasicSinkNode` connected to ``source``."""
    sink = BasicSinkNode()
    source.add_destination(sink.get_input_channel())
    return sink
