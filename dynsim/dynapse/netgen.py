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
* neuron 0 of core 0 as a source: every unused CAM entry listens to it as GABA_B, so it is
  allowed with a ``DynapseNeuronZeroWarning``.

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

import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable
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
    SRAMS_PER_NEURON,
    global_neuron_id,
)
from dynsim.errors import (
    CAMAliasingError,
    CAMLimitError,
    DynapseNeuronZeroWarning,
    InvalidConnectionError,
    InvalidNeuronError,
    SRAMLimitError,
)

__all__ = [
    "CHIP_POSITIONS",
    "NetworkGenerator",
    "Neuron",
    "check_configuration",
    "route_fields",
]

#: Position (x, y) of each chip on the board's 2 x 2 mesh (dynsim's convention).
CHIP_POSITIONS: dict[int, tuple[int, int]] = {0: (0, 0), 1: (1, 0), 2: (0, 1), 3: (1, 1)}


def route_fields(source_chip: int, target_chip: int) -> dict[str, int]:
    """Return ``sx, sy, dx, dy`` of an SRAM entry from one chip to another.

    ``dx``/``dy`` are the hop counts on the 2 x 2 mesh, ``sx``/``sy`` are 1 when the hop goes
    towards larger x / y. (dynsim's convention; the emulator routes by ``target_chip_id``.)
    """
    (x0, y0), (x1, y1) = CHIP_POSITIONS[source_chip], CHIP_POSITIONS[target_chip]
    return {"sx": int(x1 > x0), "sy": int(y1 > y0), "dx": abs(x1 - x0), "dy": abs(y1 - y0)}


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
        if pre.tag == (0, 0):
            warnings.warn(
                f"{pre} is neuron 0 of core 0: every unused CAM entry listens to it as GABA_B, "
                "so its events also inhibit through all unused CAM entries of the cores they "
                "reach. Prefer another source neuron.", DynapseNeuronZeroWarning, stacklevel=2)
        self._connections.append((pre, post, kind))
        self._index(pre, post, kind, +1)

    def add_connections(self, connections: Iterable[tuple[Neuron, Neuron, Any]]) -> None:
        """Add several connections; all or none (the generator is unchanged on error)."""
        saved = list(self._connections)
        try:
            for pre, post, kind in connections:
                self.add_connection(pre, post, kind)
        except Exception:
            self._connections = saved
            self._reindex()
            raise

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

    @property
    def connections(self) -> list[tuple[Neuron, Neuron, Dynapse1SynType]]:
        """The connections in the order they were added (a copy)."""
        return list(self._connections)

    def make_dynapse1_configuration(self, config: Dynapse1Configuration | None = None
                                    ) -> Dynapse1Configuration:
        """Return a configuration with the CAM and SRAM entries of the connections.

        Parameters
        ----------
        config : Dynapse1Configuration, optional
            A configuration whose biases are kept (a copy is returned; its CAM and SRAM
            entries are replaced). Default: a new configuration with default biases.
        """
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
