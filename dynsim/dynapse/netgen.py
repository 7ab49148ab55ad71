"""NetworkGenerator: describe connections between neurons, get a samna configuration.

Mirrors INI's ``NetworkGenerator`` (ctxctl_contrib) for the DYNAP-SE1::

    net = NetworkGenerator()
    spike_gen = Neuron(0, 0, 10, is_spike_gen=True)   # a virtual (FPGA/Poisson) neuron
    post = Neuron(0, 1, 5)
    net.add_connection(spike_gen, post, Dynapse1SynType.AMPA)
    net.add_connection(spike_gen, post, Dynapse1SynType.AMPA)   # repeated = weight 2
    config = net.make_dynapse1_configuration()

Each call checks the hardware rules *at the call site* and leaves the generator unchanged
when it raises:

* 64 CAM entries per post neuron, counted over all synapse types (``CAMLimitError``);
* 4 SRAM destinations per pre neuron, one per target chip (``SRAMLimitError``);
* no CAM-tag aliasing: a CAM tag is ``(core, neuron)`` without the chip, so two different
  sources with the same tag (on different chips, or a real and a virtual neuron) must not
  reach the same post core (``CAMAliasingError``);
* neuron 0 of core 0 as a source: every unused CAM entry listens to it as NMDA
  (:data:`~dynsim.dynapse.config.UNUSED_SYNAPSE`), so it is allowed with a
  ``DynapseNeuronZeroWarning``;
* a connection from a left chip (0, 2) to a right chip (1, 3) is allowed with a
  ``DynapseChipDirectionWarning``, as INI's netgen prints "WARNING: you are building
  connections from left chips [0,2] to right chips [1,3]!".

INI's tutorial helpers are mirrored too: :meth:`NetworkGenerator.print_network`,
``make_dynapse1_configuration_in_chip`` / ``_in_core``, ``add_connections_from_list``,
``add_connections_from_type``, ``remove_connections_from_list``, and :class:`NeuronGroup`,
:class:`Synapses`, :class:`WTA_connections` with :func:`add_synapses`,
:func:`add_wta_conns`, :func:`remove_synapses`. The source read is INI's ``netgen.py`` and
``details/netgen_details.py`` as copied in github.com/blakeyy/neuromorphic_dreaming
(``dynapse/netgen.py``, ``details/netgen_details.py``); docs/samna.md lists every name and
what differs.

The same rules apply to a configuration given to ``Dynapse1Model.apply_configuration``
(:func:`check_configuration`).

Examples
--------
>>> from dynsim.dynapse.netgen import NetworkGenerator, Neuron
>>> net = NetworkGenerator()
>>> net.add_connection(Neuron(0, 0, 1, is_spike_gen=True), Neuron(0, 1, 2), "AMPA")
>>> cfg = net.make_dynapse1_configuration()
>>> cfg.chips[0].cores[1].neurons[2].synapses[0]
Dynapse1Synapse(AMPA, listen_neuron_id=1, listen_core_id=0)
"""

from __future__ import annotations

import itertools
import random
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dynsim.dynapse.config import (
    Dynapse1Configuration,
    Dynapse1Destination,
    Dynapse1Synapse,
    Dynapse1SynType,
    check_chip,
    check_core,
    check_neuron,
    synapse_type,
)
from dynsim.dynapse.constants import (
    CAMS_PER_NEURON,
    CORES_PER_CHIP,
    NEURONS_PER_CORE,
    NUM_NEURONS,
    SRAMS_PER_NEURON,
    global_neuron_id,
)
from dynsim.errors import (
    CAMAliasingError,
    CAMLimitError,
    DynapseChipDirectionWarning,
    DynapseNeuronZeroWarning,
    InvalidConnectionError,
    InvalidNeuronError,
    SRAMLimitError,
)
from dynsim.validation import finite_number, flag, whole_number, whole_numbers

__all__ = [
    "CHIP_POSITIONS",
    "LEFT_CHIPS",
    "MAX_CONNECTIONS",
    "RIGHT_CHIPS",
    "NetworkGenerator",
    "Neuron",
    "NeuronGroup",
    "Synapses",
    "WTA_connections",
    "add_synapses",
    "add_wta_conns",
    "check_configuration",
    "remove_synapses",
    "route_fields",
]

#: Chips on the left / right column of the board's 2 x 2 mesh (INI's netgen).
LEFT_CHIPS: tuple[int, ...] = (0, 2)
RIGHT_CHIPS: tuple[int, ...] = (1, 3)

#: Most connections one call may add or remove: every CAM entry of the board.
MAX_CONNECTIONS = NUM_NEURONS * CAMS_PER_NEURON

#: Position (x, y) of each chip on the board's 2 x 2 mesh (dynsim's convention).
CHIP_POSITIONS: dict[int, tuple[int, int]] = {0: (0, 0), 1: (1, 0), 2: (0, 1), 3: (1, 1)}


def route_fields(source_chip: int, target_chip: int) -> dict[str, int]:
    """Return ``sx, sy, dx, dy`` of an SRAM entry from one chip to another, as netgen does.

    ``dx``/``dy`` are the hop counts on the 2 x 2 mesh (x = bit 0 of the chip id, y = bit 1).
    The sign bits follow INI's netgen (``check_and_write_pre_sram`` in
    ``details/netgen_details.py``, github.com/blakeyy/neuromorphic_dreaming): with
    ``d = x_target - x_source``, ``sx = 1`` when ``d < 0``; with ``d = y_target - y_source``,
    ``sy = 1`` when ``d >= 0`` (so ``sy`` is 1 within a row). The emulator itself routes by
    ``target_chip_id``; the bits are written so that a configuration equals netgen's.

    Examples
    --------
    >>> route_fields(1, 0)
    {'sx': 1, 'sy': 1, 'dx': 1, 'dy': 0}
    """
    (x0, y0), (x1, y1) = CHIP_POSITIONS[source_chip], CHIP_POSITIONS[target_chip]
    return {"sx": int(x1 - x0 < 0), "sy": int(y1 - y0 >= 0), "dx": abs(x1 - x0),
            "dy": abs(y1 - y0)}


@dataclass(frozen=True)
class Neuron:
    """A neuron of the board, or a virtual neuron of a spike generator.

    Parameters
    ----------
    chip_id, core_id, neuron_id : int
        Address (0..3, 0..3, 0..255).
    is_spike_gen : bool
        ``True`` for a virtual neuron (events come from the FPGA or Poisson generator; it
        has a tag but no circuit and uses no SRAM).
    """

    chip_id: int
    core_id: int
    neuron_id: int
    is_spike_gen: bool = False

    def __post_init__(self) -> None:
        check_chip(self.chip_id)
        check_core(self.core_id)
        check_neuron(self.neuron_id)
        object.__setattr__(self, "chip_id", int(self.chip_id))
        object.__setattr__(self, "core_id", int(self.core_id))
        object.__setattr__(self, "neuron_id", int(self.neuron_id))
        if not isinstance(self.is_spike_gen, bool | np.bool_):
            raise InvalidNeuronError(f"is_spike_gen must be True or False, got "
                                     f"{self.is_spike_gen!r}")
        object.__setattr__(self, "is_spike_gen", bool(self.is_spike_gen))

    @property
    def global_id(self) -> int:
        """Board-wide id ``neuron + 256*core + 1024*chip``."""
        return global_neuron_id(self.chip_id, self.core_id, self.neuron_id)

    @property
    def tag(self) -> tuple[int, int]:
        """The CAM tag of its events: ``(core, neuron)``, no chip."""
        return self.core_id, self.neuron_id

    def __str__(self) -> str:
        kind = "spike generator" if self.is_spike_gen else "neuron"
        return f"{kind} (chip {self.chip_id}, core {self.core_id}, neuron {self.neuron_id})"

    @property
    def label(self) -> str:
        """The name netgen prints, ``C<chip>c<core>n<neuron>`` (``s`` for a spike generator)."""
        kind = "s" if self.is_spike_gen else "n"
        return f"C{self.chip_id}c{self.core_id}{kind}{self.neuron_id}"


def _source_identity(pre: Neuron) -> tuple[int, bool]:
    return pre.chip_id, pre.is_spike_gen


def _describe_identity(identity: tuple[int, bool], tag: tuple[int, int]) -> str:
    chip, virtual = identity
    kind = "spike generator" if virtual else "neuron"
    return f"{kind} (chip {chip}, core {tag[0]}, neuron {tag[1]})"


class NetworkGenerator:
    """Collects connections and makes a :class:`Dynapse1Configuration` from them."""

    def __init__(self) -> None:
        self._connections: list[tuple[Neuron, Neuron, Dynapse1SynType]] = []
        self._reindex()

    # ------------------------------------------------------------------ bookkeeping
    def _reindex(self) -> None:
        """Rebuild the indexes used by the checks (CAM use, arrivals per core, SRAM use)."""
        self._cam_use: dict[Neuron, Counter] = defaultdict(Counter)
        self._arrivals: dict[tuple[int, int], dict[tuple[int, int], Counter]] = defaultdict(
            lambda: defaultdict(Counter))
        self._target_chips: dict[Neuron, Counter] = defaultdict(Counter)
        for pre, post, kind in self._connections:
            self._index(pre, post, kind, +1)

    def _index(self, pre: Neuron, post: Neuron, kind: Dynapse1SynType, sign: int) -> None:
        self._cam_use[post][kind.name] += sign
        self._arrivals[(post.chip_id, post.core_id)][pre.tag][_source_identity(pre)] += sign
        self._target_chips[pre][post.chip_id] += sign

    # ------------------------------------------------------------------ API
    def add_connection(self, pre: Neuron, post: Neuron, syn_type: Any) -> None:
        """Add one CAM entry on ``post`` listening to ``pre`` (repeat to add weight).

        Raises
        ------
        dynsim.errors.InvalidConnectionError
            When ``post`` is a spike generator or the arguments are not ``Neuron``.
        dynsim.errors.CAMLimitError, SRAMLimitError, CAMAliasingError
            When the connection would break a hardware rule.
        """
        kind = synapse_type(syn_type)
        if not isinstance(pre, Neuron) or not isinstance(post, Neuron):
            raise InvalidConnectionError("add_connection(pre, post, syn_type) takes two "
                                         "dynsim.dynapse.Neuron objects")
        if post.is_spike_gen:
            raise InvalidConnectionError(f"{post} is a virtual neuron: it has no synapses and "
                                         "cannot be the target of a connection")
        use = +self._cam_use[post]
        if sum(use.values()) + 1 > CAMS_PER_NEURON:
            raise CAMLimitError(
                f"{post} already uses all {CAMS_PER_NEURON} CAM entries "
                f"({', '.join(f'{n} {t}' for t, n in sorted(use.items()))}); a neuron has "
                f"{CAMS_PER_NEURON} CAM entries of fan-in over all synapse types")
        if not pre.is_spike_gen:
            chips = set(+self._target_chips[pre]) | {post.chip_id}
            if len(chips) > SRAMS_PER_NEURON:  # pragma: no cover - needs a board of > 4 chips
                raise SRAMLimitError(f"{pre} would need {len(chips)} SRAM destinations; it has "
                                     f"{SRAMS_PER_NEURON}")
        arrived = +self._arrivals[(post.chip_id, post.core_id)][pre.tag]
        others = set(arrived) - {_source_identity(pre)}
        if others:
            other = _describe_identity(sorted(others)[0], pre.tag)
            raise CAMAliasingError(
                f"CAM tag aliasing: {pre} and {other} both reach core {post.core_id} of chip "
                f"{post.chip_id} with the tag (core {pre.tag[0]}, neuron {pre.tag[1]}); a CAM "
                "entry stores no chip id, so their events could not be told apart. Use a "
                "source with another (core, neuron) address.")
        if not pre.is_spike_gen and pre.chip_id in LEFT_CHIPS and post.chip_id in RIGHT_CHIPS:
            warnings.warn(
                "you are building connections from left chips [0,2] to right chips [1,3]! "
                f"({pre} to {post}; INI's netgen warns of these, the emulator routes them)",
                DynapseChipDirectionWarning, stacklevel=2)
        if pre.tag == (0, 0):
            warnings.warn(
                f"{pre} is neuron 0 of core 0: every unused CAM entry listens to it as NMDA, "
                "so its events also excite through all unused CAM entries of the cores they "
                "reach. Prefer another source neuron.", DynapseNeuronZeroWarning, stacklevel=2)
        self._connections.append((pre, post, kind))
        self._index(pre, post, kind, +1)

    def add_connections(self, connections: Iterable[tuple[Neuron, Neuron, Any]]) -> None:
        """Add several connections; all or none (the generator is unchanged on error)."""
        self._all_or_none(self.add_connection, connections)

    def _all_or_none(self, action: Any, connections: Iterable[tuple[Neuron, Neuron, Any]]
                     ) -> None:
        """Apply ``action(pre, post, kind)`` to each connection; undo all if one fails."""
        saved = list(self._connections)
        try:
            for pre, post, kind in _bounded(connections, "connections"):
                action(pre, post, kind)
        except Exception:
            self._connections = saved
            self._reindex()
            raise

    def add_connections_from_list(self, pre_neurons: Sequence[Neuron],
                                  post_neurons: Sequence[Neuron], synapse_type: Any,
                                  pre_ids: Sequence[int], post_ids: Sequence[int]) -> None:
        """Connect ``pre_neurons[pre_ids[k]]`` to ``post_neurons[post_ids[k]]`` for every k.

        As INI's netgen; all or none (the generator is unchanged on error).

        Raises
        ------
        dynsim.errors.InvalidConnectionError
            When the id lists differ in length, hold more than ``MAX_CONNECTIONS`` items, or
            an id is outside its neuron list.

        Examples
        --------
        >>> net = NetworkGenerator()
        >>> pres = [Neuron(0, 0, n, is_spike_gen=True) for n in (1, 2)]
        >>> net.add_connections_from_list(pres, [Neuron(0, 1, 5)], "AMPA", [0, 1], [0, 0])
        >>> len(net.connections)
        2
        """
        self.add_connections(_pairs_from_lists(pre_neurons, post_neurons, synapse_type,
                                               pre_ids, post_ids))

    def remove_connections_from_list(self, pre_neurons: Sequence[Neuron],
                                     post_neurons: Sequence[Neuron], synapse_type: Any,
                                     pre_ids: Sequence[int], post_ids: Sequence[int]) -> None:
        """Remove the connections :meth:`add_connections_from_list` adds (all or none)."""
        self.remove_connections(_pairs_from_lists(pre_neurons, post_neurons, synapse_type,
                                                  pre_ids, post_ids))

    def add_connections_from_type(self, pre_neurons: Sequence[Neuron],
                                  post_neurons: Sequence[Neuron], synapse_type: Any,
                                  conn_type: str, p: float = 1.0, rand_seed: int | None = None
                                  ) -> None:
        """Connect two neuron lists ``'one2one'`` or ``'all2all'`` (a random share ``p``).

        The ``all2all`` sample is netgen's: ``round(p * len(pre) * len(post))`` pairs drawn
        with ``random.sample`` from a generator seeded with ``rand_seed``. All or none.
        """
        pre_ids, post_ids = _pattern_lists(len(_neurons(pre_neurons, "pre_neurons")),
                                           len(_neurons(post_neurons, "post_neurons")),
                                           conn_type, p, rand_seed)
        self.add_connections_from_list(pre_neurons, post_neurons, synapse_type, pre_ids,
                                       post_ids)

    def remove_connections(self, connections: Iterable[tuple[Neuron, Neuron, Any]]) -> None:
        """Remove several connections; all or none (the generator is unchanged on error)."""
        self._all_or_none(self.remove_connection, connections)

    def remove_connection(self, pre: Neuron, post: Neuron, syn_type: Any) -> None:
        """Remove one CAM entry added by :meth:`add_connection`."""
        kind = synapse_type(syn_type)
        try:
            self._connections.remove((pre, post, kind))
        except ValueError:
            raise InvalidConnectionError(f"there is no {kind.name} connection from {pre} to "
                                         f"{post}") from None
        self._index(pre, post, kind, -1)

    def clear_network(self) -> None:
        """Remove every connection."""
        self._connections.clear()
        self._reindex()

    def network_string(self) -> str:
        """Return the network as netgen prints it: each post neuron and its inputs.

        Post neurons are listed by (chip, core), then in the order they first got an input;
        each input is ``(pre label, synapse type)``, repeated once per CAM entry.

        Examples
        --------
        >>> net = NetworkGenerator()
        >>> net.add_connection(Neuron(0, 0, 1, is_spike_gen=True), Neuron(0, 1, 2), "AMPA")
        >>> print(net.network_string())
        Post neuron (ChipId,coreId,neuronId): incoming connections [(preNeuron,synapseType), ...]
        C0c1n2: [('C0c0s1', 'AMPA')]
        """
        if not self._connections:
            return "The network is empty!"
        inputs: dict[Neuron, dict[tuple[int, int, Dynapse1SynType], list[Neuron]]] = {}
        for pre, post, kind in self._connections:
            inputs.setdefault(post, {}).setdefault((*pre.tag, kind), []).append(pre)
        lines = ["Post neuron (ChipId,coreId,neuronId): incoming connections "
                 "[(preNeuron,synapseType), ...]"]
        for post in sorted(inputs, key=lambda n: (n.chip_id, n.core_id)):
            pairs = [(pre.label, kind.name) for (_, _, kind), pres in inputs[post].items()
                     for pre in pres]
            lines.append(f"{post.label}: {pairs}")
        return "\n".join(lines)

    @property
    def network(self) -> NetworkView:
        """The network as netgen keeps it: ``print(net_gen.network)`` prints it."""
        return NetworkView(self)

    def print_network(self) -> None:
        """Print :meth:`network_string` (netgen's ``print_network``)."""
        print(self.network_string())  # noqa: T201 - printing is what it is for

    def make_dynapse1_configuration_in_chip(self, chip_id: int,
                                            config: Dynapse1Configuration | None = None
                                            ) -> Dynapse1Configuration:
        """Like :meth:`make_dynapse1_configuration`, for a network inside one chip.

        Use it with ``model.apply_configuration_by_chip(config, chip_id)``.

        Raises
        ------
        dynsim.errors.InvalidConnectionError
            When a post neuron, or a pre neuron that is not a spike generator, lies on
            another chip (netgen's "network has neuron(s) outside chip" check).
        """
        chip = check_chip(chip_id)
        self._check_inside(lambda n: n.chip_id == chip, f"chip {chip}")
        return self.make_dynapse1_configuration(config)

    def make_dynapse1_configuration_in_core(self, chip_id: int, core_id: int,
                                            config: Dynapse1Configuration | None = None
                                            ) -> Dynapse1Configuration:
        """Like :meth:`make_dynapse1_configuration_in_chip`, for a network inside one core.

        Use it with ``model.apply_configuration_by_core(config, chip_id, core_id)``.
        """
        chip, core = check_chip(chip_id), check_core(core_id)
        self._check_inside(lambda n: (n.chip_id, n.core_id) == (chip, core),
                           f"chip {chip}, core {core}")
        return self.make_dynapse1_configuration(config)

    def _check_inside(self, inside: Any, where: str) -> None:
        for pre, post, _ in self._connections:
            for neuron in (post,) if pre.is_spike_gen else (pre, post):
                if not inside(neuron):
                    raise InvalidConnectionError(
                        f"the network has {neuron} outside {where}; make the configuration "
                        "of the whole board with make_dynapse1_configuration()")

    @property
    def connections(self) -> list[tuple[Neuron, Neuron, Dynapse1SynType]]:
        """The connections in the order they were added (a copy)."""
        return list(self._connections)

    def make_dynapse1_configuration(self, config: Dynapse1Configuration | None = None, *,
                                    validation: bool = True) -> Dynapse1Configuration:
        """Return a configuration with the CAM and SRAM entries of the connections.

        Parameters
        ----------
        config : Dynapse1Configuration, optional
            A configuration whose biases are kept (a copy is returned; its CAM and SRAM
            entries are replaced). Default: a new configuration with default biases.
        validation : bool
            netgen's switch, accepted so that its scripts run: dynsim checks every connection
            when it is added, so there is nothing left to validate here.
        """
        flag(validation, "validation", error=InvalidConnectionError)
        out = Dynapse1Configuration() if config is None else config.copy()
        if config is not None:
            for neuron in list(out.neurons_in_use()):
                for k in range(CAMS_PER_NEURON):
                    neuron.synapses[k] = Dynapse1Synapse()
                for k in range(SRAMS_PER_NEURON):
                    neuron.destinations[k] = Dynapse1Destination()
        cam_slot: Counter = Counter()
        masks: dict[Neuron, dict[int, int]] = defaultdict(dict)
        for pre, post, kind in self._connections:
            target = out.chips[post.chip_id].cores[post.core_id].neurons[post.neuron_id]
            target.synapses[cam_slot[post]] = Dynapse1Synapse._trusted(kind, pre.neuron_id,
                                                                       pre.core_id)
            cam_slot[post] += 1
            if not pre.is_spike_gen:
                chips = masks[pre]
                chips[post.chip_id] = chips.get(post.chip_id, 0) | (1 << post.core_id)
        for pre, chips in masks.items():
            source = out.chips[pre.chip_id].cores[pre.core_id].neurons[pre.neuron_id]
            for slot, (chip, mask) in enumerate(sorted(chips.items())):
                source.destinations[slot] = Dynapse1Destination(
                    target_chip_id=chip, in_use=True, virtual_core_id=pre.core_id,
                    core_mask=mask, **route_fields(pre.chip_id, chip))
        return out


def _bounded(values: object, name: str,
             error: type[Exception] = InvalidConnectionError) -> list:
    """Return ``values`` as a list of at most ``MAX_CONNECTIONS`` items."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise error(f"{name} must be a list, got {type(values).__name__}")
    items = list(itertools.islice(values, MAX_CONNECTIONS + 1))
    if len(items) > MAX_CONNECTIONS:
        raise error(f"{name} holds more than {MAX_CONNECTIONS} items (every CAM entry of the "
                    "board)")
    return items


def _neurons(values: object, name: str) -> list[Neuron]:
    items = _bounded(values, name)
    if not all(isinstance(n, Neuron) for n in items):
        raise InvalidConnectionError(f"{name} must be a list of dynsim.dynapse.Neuron")
    return items


def _pairs_from_lists(pre_neurons: object, post_neurons: object, synapse_type: Any,
                      pre_ids: object, post_ids: object) -> list[tuple[Neuron, Neuron, Any]]:
    pres, posts = _neurons(pre_neurons, "pre_neurons"), _neurons(post_neurons, "post_neurons")
    kind = synapse_type_of(synapse_type)
    i = whole_numbers(_bounded(pre_ids, "pre_ids"), "pre_ids", low=0,
                      high=max(len(pres) - 1, 0), error=InvalidConnectionError).reshape(-1)
    j = whole_numbers(_bounded(post_ids, "post_ids"), "post_ids", low=0,
                      high=max(len(posts) - 1, 0), error=InvalidConnectionError).reshape(-1)
    if len(i) != len(j):
        raise InvalidConnectionError(f"pre_ids and post_ids need the same length, got {len(i)} "
                                     f"and {len(j)}")
    if len(i) and (not pres or not posts):
        raise InvalidConnectionError("pre_neurons and post_neurons must not be empty")
    return [(pres[a], posts[b], kind) for a, b in zip(i.tolist(), j.tolist(), strict=True)]


synapse_type_of = synapse_type


def _pattern_lists(n_pre: int, n_post: int, conn_type: object, p: object,
                   rand_seed: object) -> tuple[list[int], list[int]]:
    """Return netgen's ``gen_one2one_lists`` / ``gen_all2all_lists`` index lists."""
    if conn_type == "one2one":
        if n_pre != n_post:
            raise InvalidConnectionError(f"one2one needs groups of the same size, got {n_pre} "
                                         f"and {n_post}")
        return list(range(n_pre)), list(range(n_pre))
    if conn_type != "all2all":
        raise InvalidConnectionError(f"conn_type must be 'one2one' or 'all2all', got "
                                     f"{conn_type!r}")
    share = finite_number(1.0 if p is None else p, "p", low=0.0, high=1.0,
                          error=InvalidConnectionError)
    seed = None if rand_seed is None else whole_number(rand_seed, "rand_seed", low=0,
                                                       high=2**63 - 1,
                                                       error=InvalidConnectionError)
    pairs = [(a, b) for a in range(n_pre) for b in range(n_post)]
    chosen = random.Random(seed).sample(pairs, round(len(pairs) * share))
    return [a for a, _ in chosen], [b for _, b in chosen]


class NeuronGroup:
    """Neurons of one core, by core-local id (INI's netgen ``NeuronGroup``).

    Parameters
    ----------
    chip_id, core_id : int
        Where the group lies (0..3).
    neuron_ids : sequence of int
        Core-local ids (0..255).
    is_spike_gen : bool
        A group of virtual neurons (spike generators).

    Examples
    --------
    >>> NeuronGroup(0, 1, [4, 5]).tuple_neuron_ids
    [(0, 1, 4), (0, 1, 5)]
    """

    def __init__(self, chip_id: int = 0, core_id: int = 0,
                 neuron_ids: Sequence[int] | None = None, is_spike_gen: bool = False) -> None:
        if neuron_ids is None:
            raise InvalidNeuronError("NeuronGroup needs neuron_ids (core-local ids 0..255)")
        ids = whole_numbers(_bounded(neuron_ids, "neuron_ids", InvalidNeuronError), "neuron_ids",
                            low=0,
                            high=NEURONS_PER_CORE - 1, error=InvalidNeuronError).reshape(-1)
        Neuron(chip_id, core_id, 0, is_spike_gen)  # checks chip, core and flag
        self.chip_id, self.core_id = int(chip_id), int(core_id)
        self.neuron_ids = ids.tolist()
        self.is_spike_gen = bool(is_spike_gen)

    @property
    def neurons(self) -> list[Neuron]:
        """The group's :class:`Neuron` objects."""
        return [Neuron(self.chip_id, self.core_id, n, self.is_spike_gen)
                for n in self.neuron_ids]

    @property
    def tuple_neuron_ids(self) -> list[tuple[int, int, int]]:
        """``(chip, core, neuron)`` of each neuron (for ``filter.set_neurons``)."""
        return [(self.chip_id, self.core_id, n) for n in self.neuron_ids]

    def __len__(self) -> int:
        return len(self.neuron_ids)

    def __repr__(self) -> str:
        kind = ", is_spike_gen=True" if self.is_spike_gen else ""
        return f"NeuronGroup({self.chip_id}, {self.core_id}, {self.neuron_ids}{kind})"


class Synapses:
    """Connections from one :class:`NeuronGroup` to another (INI's netgen ``Synapses``).

    Give either ``pre_list`` and ``post_list`` (indices into the groups), or ``conn_type``
    (``'one2one'``, ``'all2all'`` with share ``p`` and ``rand_seed``), or ``weight_matrix``
    (rows = pre, columns = post, entries = CAM entries 0..64). ``mux_conn`` repeats every
    connection. Add them with :func:`add_synapses`.

    Examples
    --------
    >>> syn = Synapses(NeuronGroup(0, 0, [1, 2], True), NeuronGroup(0, 1, [3, 4]), "AMPA",
    ...                conn_type="one2one")
    >>> syn.pre_list, syn.post_list
    ([0, 1], [0, 1])
    """

    def __init__(self, pre_group: NeuronGroup, post_group: NeuronGroup, synapse_type: Any,
                 pre_list: Sequence[int] | None = None, post_list: Sequence[int] | None = None,
                 conn_type: str | None = None, p: float | None = None,
                 rand_seed: int | None = None, weight_matrix: Any = None, mux_conn: int = 1
                 ) -> None:
        if not isinstance(pre_group, NeuronGroup) or not isinstance(post_group, NeuronGroup):
            raise InvalidConnectionError("Synapses takes two NeuronGroup objects")
        kind = synapse_type_of(synapse_type)
        mux = whole_number(mux_conn, "mux_conn", low=1, high=CAMS_PER_NEURON,
                           error=InvalidConnectionError)
        given = [pre_list is not None or post_list is not None, conn_type is not None,
                 weight_matrix is not None]
        if sum(given) != 1:
            raise InvalidConnectionError("Synapses takes one of: pre_list and post_list, "
                                         "conn_type, or weight_matrix")
        if conn_type is not None:
            pres, posts = _pattern_lists(len(pre_group), len(post_group), conn_type, p,
                                         rand_seed)
        elif weight_matrix is not None:
            pres, posts = _weight_lists(weight_matrix, len(pre_group), len(post_group))
        else:
            checked = _pairs_from_lists(pre_group.neurons, post_group.neurons, kind,
                                        [] if pre_list is None else pre_list,
                                        [] if post_list is None else post_list)
            pres = [pre_group.neurons.index(a) for a, _, _ in checked]
            posts = [post_group.neurons.index(b) for _, b, _ in checked]
        self.pre, self.post, self.synapse_type, self.mux_conn = pre_group, post_group, kind, mux
        self.pre_list, self.post_list = pres, posts
        self.conn_type, self.p, self.rand_seed = conn_type, p, rand_seed


def _weight_lists(weight_matrix: Any, n_pre: int, n_post: int) -> tuple[list[int], list[int]]:
    """Return netgen's ``weight_matrix2lists``: one (pre, post) pair per CAM entry."""
    weights = whole_numbers(weight_matrix, "weight_matrix", low=0, high=CAMS_PER_NEURON,
                            error=InvalidConnectionError, max_size=MAX_CONNECTIONS)
    if weights.shape != (n_pre, n_post):
        raise InvalidConnectionError(f"weight_matrix must have shape ({n_pre}, {n_post}) "
                                     f"(pre x post), got {weights.shape}")
    pres, posts = [], []
    for a in range(n_pre):
        for b in range(n_post):
            pres += [a] * int(weights[a, b])
            posts += [b] * int(weights[a, b])
    return pres, posts


class WTA_connections:
    """Excitatory-inhibitory connections of a winner-take-all (INI's netgen).

    ``ei`` (every excitatory to inhibitory neuron, share ``p_ei``), ``ie`` (inhibitory to
    excitatory, share ``p_ie``) and, when ``syn_type_ee`` is given, ``ee`` from ``ee_pres``
    to ``ee_posts``. Add them with :func:`add_wta_conns`.
    """

    def __init__(self, exc_group: NeuronGroup, inh_group: NeuronGroup, syn_type_ei: Any,
                 syn_type_ie: Any, syn_type_ee: Any = None, p_ei: float = 1,
                 p_ie: float = 1, ee_pres: Sequence[int] | None = None,
                 ee_posts: Sequence[int] | None = None, rand_seed: int | None = None,
                 mux_conn_ei: int = 1, mux_conn_ie: int = 1, mux_conn_ee: int = 1) -> None:
        self.ei = Synapses(exc_group, inh_group, syn_type_ei, conn_type="all2all", p=p_ei,
                           rand_seed=rand_seed, mux_conn=mux_conn_ei)
        self.ie = Synapses(inh_group, exc_group, syn_type_ie, conn_type="all2all", p=p_ie,
                           rand_seed=rand_seed, mux_conn=mux_conn_ie)
        self.ee = None
        if syn_type_ee is not None:
            if ee_pres is None or ee_posts is None:
                raise InvalidConnectionError("ee_pres and ee_posts must be given to make EE "
                                             "connections")
            self.ee = Synapses(exc_group, exc_group, syn_type_ee, pre_list=ee_pres,
                               post_list=ee_posts, mux_conn=mux_conn_ee)


def _synapse_connections(synapses: Synapses) -> list[tuple[Neuron, Neuron, Any]]:
    if not isinstance(synapses, Synapses):
        raise InvalidConnectionError(f"expected a Synapses object, got "
                                     f"{type(synapses).__name__}")
    pres, posts = synapses.pre.neurons, synapses.post.neurons
    once = [(pres[a], posts[b], synapses.synapse_type)
            for a, b in zip(synapses.pre_list, synapses.post_list, strict=True)]
    return once * synapses.mux_conn


def add_synapses(netgen: NetworkGenerator, synapses: Synapses) -> None:
    """Add every connection of ``synapses`` (``mux_conn`` times) to ``netgen``; all or none."""
    netgen.add_connections(_synapse_connections(synapses))


def remove_synapses(netgen: NetworkGenerator, synapses: Synapses) -> None:
    """Remove the connections :func:`add_synapses` added; all or none."""
    netgen.remove_connections(_synapse_connections(synapses))


def add_wta_conns(netgen: NetworkGenerator, wta_conns: WTA_connections) -> None:
    """Add the EI, IE (and EE) connections of a :class:`WTA_connections`; all or none."""
    if not isinstance(wta_conns, WTA_connections):
        raise InvalidConnectionError("add_wta_conns takes a WTA_connections object")
    parts = [wta_conns.ei, wta_conns.ie] + ([wta_conns.ee] if wta_conns.ee else [])
    netgen.add_connections([c for part in parts for c in _synapse_connections(part)])


class NetworkView:
    """What ``print(net_gen.network)`` shows (netgen's ``Network`` string)."""

    def __init__(self, generator: NetworkGenerator) -> None:
        self._generator = generator

    def __str__(self) -> str:
        return self._generator.network_string()

    __repr__ = __str__


def check_configuration(config: Dynapse1Configuration) -> None:
    """Check the SRAM and aliasing rules of a configuration.

    Raises
    ------
    dynsim.errors.SRAMLimitError
        When a neuron has two SRAM entries in use for the same target chip.
    dynsim.errors.CAMAliasingError
        When sources on different chips with the same tag reach a core in which some CAM
        entry listens to that tag.
    """
    arrivals: dict[tuple[int, int], dict[tuple[int, int], set[int]]] = defaultdict(
        lambda: defaultdict(set))
    for neuron in config.neurons_in_use():
        seen: dict[int, int] = {}
        for slot, destination in neuron.destinations.created():
            if not destination.in_use:
                continue
            if destination.target_chip_id in seen:
                raise SRAMLimitError(
                    f"neuron (chip {neuron.chip_id}, core {neuron.core_id}, neuron "
                    f"{neuron.neuron_id}) has SRAM entries {seen[destination.target_chip_id]} "
                    f"and {slot} in use for the same target chip {destination.target_chip_id}; "
                    f"a neuron has {SRAMS_PER_NEURON} SRAM entries, one per target chip")
            seen[destination.target_chip_id] = slot
            tag = (destination.virtual_core_id, neuron.neuron_id)
            for core in range(CORES_PER_CHIP):
                if destination.core_mask >> core & 1:
                    arrivals[(destination.target_chip_id, core)][tag].add(neuron.chip_id)
    for (chip, core), tags in arrivals.items():
        listened = {(s.listen_core_id, s.listen_neuron_id)
                    for _, n in config.chips[chip].cores[core].neurons.created()
                    for _, s in n.synapses.created() if s.in_use}
        for tag, chips in tags.items():
            if len(chips) > 1 and tag in listened:
                raise CAMAliasingError(
                    f"CAM tag aliasing on core {core} of chip {chip}: neurons with the tag "
                    f"(core {tag[0]}, neuron {tag[1]}) on chips {sorted(chips)} all reach it, "
                    "and a CAM entry there listens to that tag; their events cannot be told "
                    "apart")
