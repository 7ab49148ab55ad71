"""Output events of the emulated board and samna-style nodes to read them.

samna delivers chip events through a graph of nodes: the model's source node sends
``Spike`` events to the input channel of a sink node, and ``sink.get_events()`` returns (and
clears) what arrived. dynsim mirrors the minimal part of it::

    sink = BasicSinkNode()
    model.get_source_node().add_destination(sink.get_input_channel())
    model.run(0.5 * second)
    events = sink.get_events()          # [Spike(chip_id, core_id, neuron_id, timestamp), ...]

or in one line, ``sink = sink_from(model.get_source_node())``.

Examples
--------
>>> source = EventSourceNode()
>>> sink = sink_from(source)
>>> source.send([Spike(0, 1, 5, 1200)])
>>> sink.get_events()
[Spike(chip_id=0, core_id=1, neuron_id=5, timestamp=1200)]
>>> sink.get_events()
[]
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from dynsim.dynapse.constants import global_neuron_id

__all__ = ["BasicSinkNode", "EventSourceNode", "Spike", "sink_from"]


@dataclass(frozen=True)
class Spike:
    """A spike of a neuron of the board.

    Attributes
    ----------
    chip_id, core_id, neuron_id : int
        Address of the neuron (neuron_id is core-local, 0..255).
    timestamp : int
        Time of the spike in microseconds since the model started.
    """

    chip_id: int
    core_id: int
    neuron_id: int
    timestamp: int

    @property
    def global_id(self) -> int:
        """Board-wide id ``neuron + 256*core + 1024*chip``."""
        return global_neuron_id(self.chip_id, self.core_id, self.neuron_id)


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
