"""``samna.graph`` names: an :class:`EventFilterGraph` with samna's filter nodes.

samna moves events through a graph of nodes: ``graph.sequential([source, "Filter", sink])``
connects the model's source node to a filter node made from its name, and the filter to a
sink, and returns the three nodes. Events pass while the graph runs (:meth:`start` until
:meth:`stop`). The filters the tutorial helpers use are made by name:

* ``"Dynapse1NeuronSelect"``: passes the spikes of the neurons given to ``set_neurons``
  (``(chip, core, neuron)`` tuples, or global ids as older tutorials give);
* ``"Dynapse1TimestampWrapEventFilter"``: passes the events that mark the wrap of the
  32-bit timestamp.

Examples
--------
>>> from dynsim.dynapse.events import EventSourceNode, Spike
>>> from dynsim.samna import BasicSinkNode_dynapse1_dynapse1_event
>>> source, sink = EventSourceNode(), BasicSinkNode_dynapse1_dynapse1_event()
>>> graph = EventFilterGraph()
>>> _, select, _ = graph.sequential([source, "Dynapse1NeuronSelect", sink])
>>> select.set_neurons([(0, 1, 5)])
>>> graph.start()
True
>>> source.send([Spike(0, 1, 5, 100), Spike(0, 1, 6, 120)])
>>> sink.get_events()
[Spike(chip_id=0, core_id=1, neuron_id=5, timestamp=100)]
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from dynsim.dynapse.config import check_chip, check_core, check_neuron
from dynsim.dynapse.constants import NUM_NEURONS, split_global_id
from dynsim.dynapse.events import EventSourceNode, TimestampWrapEvent
from dynsim.errors import InvalidNeuronError, SamnaStandInError
from dynsim.validation import is_whole_number

__all__ = [
    "FILTER_NAMES",
    "Dynapse1NeuronSelect_dynapse1_dynapse1_event",
    "Dynapse1TimestampWrapEventFilter_dynapse1_dynapse1_event",
    "EventFilterGraph",
]


class _FilterNode(EventSourceNode):
    """A node between a source and a sink; forwards what :meth:`passes` while running."""

    def __init__(self) -> None:
        super().__init__()
        self._graph: EventFilterGraph | None = None

    def get_input_channel(self) -> _FilterNode:
        """Return the channel to give to ``source.add_destination``."""
        return self

    def passes(self, event: Any) -> bool:  # pragma: no cover - every filter overrides it
        raise NotImplementedError

    def write(self, events: Iterable[Any]) -> None:
        """Receive events from the source; forward the selected ones while the graph runs."""
        if self._graph is None or not self._graph.is_running():
            return
        self.send([e for e in events if self.passes(e)])


class Dynapse1NeuronSelect_dynapse1_dynapse1_event(_FilterNode):
    """Passes the spikes of chosen neurons (samna's ``Dynapse1NeuronSelect`` filter).

    Nothing passes until :meth:`set_neurons` is called (samna's behaviour before that could
    not be confirmed without a samna binary).
    """

    def __init__(self) -> None:
        super().__init__()
        self._neurons: frozenset[tuple[int, int, int]] = frozenset()

    def set_neurons(self, neuron_ids: Sequence[Any]) -> None:
        """Choose the neurons: ``(chip, core, neuron)`` tuples or global ids (0..4095).

        Raises
        ------
        dynsim.errors.InvalidNeuronError
            For an id outside the board or a malformed item (nothing is changed).
        """
        if isinstance(neuron_ids, str | bytes) or not isinstance(neuron_ids, Iterable):
            raise InvalidNeuronError(f"set_neurons takes a list of (chip, core, neuron) tuples, "
                                     f"got {type(neuron_ids).__name__}")
        items = list(itertools.islice(neuron_ids, NUM_NEURONS + 1))
        if len(items) > NUM_NEURONS:
            raise InvalidNeuronError(f"set_neurons takes at most {NUM_NEURONS} neurons")
        chosen = set()
        for item in items:
            if is_whole_number(item):
                if not 0 <= int(item) < NUM_NEURONS:
                    raise InvalidNeuronError(f"global neuron id {item!r} is outside "
                                             f"0..{NUM_NEURONS - 1}")
                chosen.add(split_global_id(int(item)))
            elif isinstance(item, tuple | list) and len(item) == 3:
                chosen.add((check_chip(item[0]), check_core(item[1]), check_neuron(item[2])))
            else:
                raise InvalidNeuronError(f"set_neurons items are (chip, core, neuron) tuples or "
                                         f"global ids, got {item!r}")
        self._neurons = frozenset(chosen)

    def get_neurons(self) -> list[tuple[int, int, int]]:
        """Return the chosen neurons as sorted ``(chip, core, neuron)`` tuples."""
        return sorted(self._neurons)

    def passes(self, event: Any) -> bool:
        """Whether ``event`` is a spike of a chosen neuron."""
        address = (getattr(event, "chip_id", None), getattr(event, "core_id", None),
                   getattr(event, "neuron_id", None))
        return address in self._neurons


class Dynapse1TimestampWrapEventFilter_dynapse1_dynapse1_event(_FilterNode):
    """Passes only the events that mark the wrap of the 32-bit timestamp."""

    def passes(self, event: Any) -> bool:
        """Whether ``event`` is a ``TimestampWrapEvent``."""
        return isinstance(event, TimestampWrapEvent)


#: Filters :meth:`EventFilterGraph.sequential` makes from their samna name.
FILTER_NAMES: dict[str, type[_FilterNode]] = {
    "Dynapse1NeuronSelect": Dynapse1NeuronSelect_dynapse1_dynapse1_event,
    "Dynapse1TimestampWrapEventFilter": Dynapse1TimestampWrapEventFilter_dynapse1_dynapse1_event,
}


class EventFilterGraph:
    """A graph of nodes; events pass through its filters while it runs.

    On samna a graph is a thread; here the filters forward events as the source sends them,
    under a lock, while :meth:`is_running`.
    """

    def __init__(self) -> None:
        self._running = False
        self._lock = threading.Lock()
        self._filters: list[_FilterNode] = []

    def sequential(self, nodes: Sequence[Any]) -> list[Any]:
        """Connect ``nodes`` in a chain and return them (filter names become filter nodes).

        The first node is a source (``model.get_source_node()``), the last a sink; between
        them any number of filter names from :data:`FILTER_NAMES`.

        Raises
        ------
        dynsim.errors.SamnaStandInError
            For an unknown filter name, fewer than two nodes, or nodes that cannot be
            connected (nothing is connected then).
        """
        if isinstance(nodes, str | bytes) or not isinstance(nodes, Sequence):
            raise SamnaStandInError("sequential takes a list of nodes and filter names")
        items = list(itertools.islice(nodes, 65))
        if not 2 <= len(items) <= 64:
            raise SamnaStandInError(f"sequential takes 2..64 nodes, got {len(nodes)}")
        made: list[Any] = []
        for position, item in enumerate(items):
            if isinstance(item, str):
                if item not in FILTER_NAMES:
                    raise SamnaStandInError(
                        f"unknown filter {item!r}; the stand-in has {', '.join(FILTER_NAMES)}")
                if position in (0, len(items) - 1):
                    raise SamnaStandInError("a filter name cannot start or end the chain: give "
                                            "the source node first and the sink last")
                made.append(FILTER_NAMES[item]())
            else:
                made.append(item)
        for upstream, downstream in itertools.pairwise(made):
            if not (hasattr(upstream, "add_destination")
                    and hasattr(downstream, "get_input_channel")):
                raise SamnaStandInError(f"cannot connect {type(upstream).__name__} to "
                                        f"{type(downstream).__name__}")
        for upstream, downstream in itertools.pairwise(made):
            upstream.add_destination(downstream.get_input_channel())
        for node in made:
            if isinstance(node, _FilterNode):
                node._graph = self
                self._filters.append(node)
        return made

    def start(self) -> bool:
        """Start passing events; return True (as samna does)."""
        with self._lock:
            self._running = True
        return True

    def stop(self) -> bool:
        """Stop passing events; return True.

        INI's ``create_neuron_select_graph`` notes that on samna a stopped graph went on
        streaming; here no event passes after ``stop``.
        """
        with self._lock:
            self._running = False
        return True

    def is_running(self) -> bool:
        """Whether events pass."""
        return self._running
