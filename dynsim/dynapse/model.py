"""samna layer: ``Dynapse1Model`` runs a ``Dynapse1Configuration`` on the emulated board.

Mirrors ``samna.dynapse1.Dynapse1Model`` (what ``device.get_model()`` returns for a real
board)::

    model = Dynapse1Model()
    model.apply_configuration(config)               # CAMs, SRAMs and biases
    poisson = model.get_poisson_gen()
    poisson.set_chip_id(0)
    poisson.write_poisson_rate_hz(10, 50.0)         # virtual neuron 10 (core 0) at 50 Hz
    poisson.start()
    sink = sink_from(model.get_source_node())
    model.run(1 * second)                           # the chip runs in real time; we simulate
    spikes = sink.get_events()                      # [Spike(chip, core, neuron, timestamp_us)]

What it emulates:

* Only neurons that appear in the configuration (a CAM or SRAM entry in use) or are
  monitored (:meth:`Dynapse1Model.monitor`) are simulated; all of them in one Brian2 group
  with per-neuron biases taken from their core's parameter group.
* Routing as on the chip: an event of neuron (chip c, core k, neuron n) is sent by each SRAM
  entry in use to the cores in its ``core_mask`` of chip ``target_chip_id`` with the tag
  ``(virtual_core_id, n)``; every CAM entry of those cores that listens to the tag adds one
  increment. All 64 CAM entries are live: unused ones listen to neuron 0 of core 0 as
  NMDA (:data:`~dynsim.dynapse.config.UNUSED_SYNAPSE`, the entry samna and INI's netgen treat
  as unused), as on silicon.
* Virtual neurons (Poisson generator, FPGA spike generator) send events with the tag
  ``(id // 256, id % 256)`` to their target chip (Poisson: all cores; FPGA: ``core_mask``).
  Events of one virtual neuron closer than ``dt`` are merged.
* ``run(duration)`` continues from the current state; spikes of simulated neurons go to the
  source node's destinations as :class:`~dynsim.dynapse.events.Spike` with timestamps in us.

Examples
--------
>>> from brian2 import second
>>> from dynsim.dynapse import Dynapse1Model, NetworkGenerator, Neuron
>>> net = NetworkGenerator()
>>> for _ in range(8):
...     net.add_connection(Neuron(0, 0, 1, is_spike_gen=True), Neuron(0, 1, 2), "AMPA")
>>> model = Dynapse1Model(engine="numpy", name="docmodel")
>>> model.apply_configuration(net.make_dynapse1_configuration())
>>> gen = model.get_poisson_gen()
>>> gen.write_poisson_rate_hz(1, 200.0)
>>> gen.start()
>>> events = model.run(0.2 * second)
>>> all(e.core_id == 1 and e.neuron_id == 2 for e in events)
True
"""

from __future__ import annotations

import itertools
import weakref
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
from brian2 import (
    Network,
    Quantity,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    amp,
    second,
)
from brian2.units.fundamentalunits import get_dimensions

from dynsim._brian import configure
from dynsim.dynapse.board import Board, bounded_duration, check_seed
from dynsim.dynapse.circuits import bias_currents, make_neurons, make_synapses, set_parameters
from dynsim.dynapse.config import (
    UNUSED_SYNAPSE,
    Dynapse1Configuration,
    Dynapse1Parameter,
    Dynapse1ParameterGroup,
    check_chip,
    check_core,
)
from dynsim.dynapse.constants import (
    CAMS_PER_NEURON,
    CORES_PER_CHIP,
    DEFAULT_DT,
    FPGA_CLOCK_HZ,
    FPGA_ISI_MAX,
    FPGA_ISI_MULTIPLIER_MAX,
    FPGA_STIMULUS_MAX_EVENTS,
    NEURONS_PER_CHIP,
    NEURONS_PER_CORE,
    NUM_CHIPS,
    NUM_NEURONS,
    split_global_id,
)
from dynsim.dynapse.events import (  # FpgaSpikeEvent lives in events.py, re-exported here
    EventSourceNode,
    FpgaSpikeEvent,
    Spike,
    _check_core_mask,
    _check_isi,
    _check_virtual_id,
)
from dynsim.dynapse.mismatch import Mismatch, mismatch_factors
from dynsim.dynapse.netgen import check_configuration
from dynsim.dynapse.physics import STATE_VARIABLES, state_parameters
from dynsim.dynapse.realtime import (
    SIMULATION_LOCK,
    PoissonTrains,
    clock_of,
    locked,
    refuse_run,
)
from dynsim.dynapse.recording import Recording
from dynsim.dynapse.standalone import StandaloneBoard, standalone_threads
from dynsim.dynapse.stimulus import check_rate, check_train_size
from dynsim.engine import STANDALONE, codeobj_class, resolve_standalone
from dynsim.errors import (
    EngineError,
    InvalidCoreError,
    InvalidNeuronError,
    InvalidSettingError,
    UnknownBiasError,
)
from dynsim.validation import (
    duration_seconds,
    flag,
    identifier,
    whole_number,
    whole_numbers,
)

__all__ = [
    "Dynapse1Interface",
    "Dynapse1Model",
    "FpgaSpikeEvent",
    "FpgaSpikeGen",
    "PoissonGen",
    "fpga_events_from_times",
]


# --------------------------------------------------------------------------- generators
class PoissonGen:
    """The board's Poisson generator: virtual neurons firing at set rates.

    ``write_poisson_rate_hz(neuron_id, rate)`` sets the rate of virtual neuron ``neuron_id``
    (0..1023 = neuron + 256*core) on the chip chosen with :meth:`set_chip_id`; its events
    reach every core of that chip with the tag ``(core, neuron)``. Rates take effect at the
    next ``model.run``; spike trains are drawn with the model's seeded generator.

    Rates are 0 .. :data:`~dynsim.dynapse.constants.POISSON_RATE_MAX_HZ` (4394.8 Hz): the
    generator's rate register has 16 bits in steps of 0.06706 Hz (libcaer ``src/dynapse.c``,
    ``caerDynapseWritePoissonSpikeRate``); higher rates are refused at once.
    """

    def __init__(self, model: Dynapse1Model) -> None:
        self._model = weakref.ref(model)
        self._chip_id = 0
        self._rates: dict[int, float] = {}
        self._running = False
        self._trains = PoissonTrains()  # continue from run to run (exact chunked runs)

    def set_chip_id(self, chip_id: int) -> None:
        """Choose the target chip (0..3)."""
        self._chip_id = check_chip(chip_id)

    def get_chip_id(self) -> int:
        """Return the target chip."""
        return self._chip_id

    def write_poisson_rate_hz(self, neuron_id: int, rate_hz: float) -> None:
        """Set the rate (Hz, 0..4394.8) of one virtual neuron (0..1023).

        Raises
        ------
        dynsim.errors.InvalidNeuronError
            For an id outside 0..1023.
        dynsim.errors.InvalidSettingError
            For a rate that is not finite, negative or above ``POISSON_RATE_MAX_HZ``.

        Examples
        --------
        >>> gen = Dynapse1Model(name="docpoisson").get_poisson_gen()
        >>> gen.write_poisson_rate_hz(5, 1e9)
        Traceback (most recent call last):
        ...
        dynsim.errors.InvalidSettingError: write_poisson_rate_hz rate 1e+09 Hz is above the highest rate this input can make, 4394.78 Hz (the DYNAP-SE Poisson generator's 16-bit rate register in steps of 0.06706 Hz, libcaer caerDynapseWritePoissonSpikeRate)
        """  # noqa: E501
        nid = _check_virtual_id(neuron_id)
        self._rates[nid] = check_rate(rate_hz, "write_poisson_rate_hz rate")

    def write_poisson_rates_hz(self, neuron_ids: Sequence[int], rates_hz: Sequence[float]
                               ) -> None:
        """Set the rates of several virtual neurons (all checked before any is written)."""
        ids = [_check_virtual_id(n) for n in _bounded_list(neuron_ids, "neuron_ids",
                                                           NEURONS_PER_CHIP)]
        rates = [check_rate(r, "write_poisson_rates_hz rate")
                 for r in _bounded_list(rates_hz, "rates_hz", NEURONS_PER_CHIP)]
        if len(ids) != len(rates):
            raise InvalidSettingError(f"write_poisson_rates_hz takes as many rates as ids, got "
                                      f"{len(ids)} ids and {len(rates)} rates")
        self._rates.update(zip(ids, rates, strict=True))

    def get_poisson_rate_hz(self, neuron_id: int) -> float:
        """Return the rate (Hz) of one virtual neuron (0 when none was written)."""
        return self._rates.get(_check_virtual_id(neuron_id), 0.0)

    def get_poisson_rates_hz(self, neuron_ids: Sequence[int] | None = None) -> list[float]:
        """Return the rates (Hz) of several virtual neurons, or of all 1024 by default.

        The counterpart of :meth:`write_poisson_rates_hz`. samna's documentation names a
        ``get_poisson_rate_hz`` per neuron; whether samna also has this plural form could not
        be confirmed without a samna binary.

        Examples
        --------
        >>> gen = Dynapse1Model(name="docrates").get_poisson_gen()
        >>> gen.write_poisson_rates_hz([3, 4], [10.0, 20.0])
        >>> gen.get_poisson_rates_hz([4, 3, 5])
        [20.0, 10.0, 0.0]
        """
        if neuron_ids is None:
            return [self._rates.get(n, 0.0) for n in range(NEURONS_PER_CHIP)]
        ids = [_check_virtual_id(n) for n in _bounded_list(neuron_ids, "neuron_ids",
                                                           NEURONS_PER_CHIP)]
        return [self._rates.get(n, 0.0) for n in ids]

    def get_rates(self) -> dict[int, float]:
        """Return the non-zero rates by virtual neuron id."""
        return {k: v for k, v in self._rates.items() if v > 0}

    def start(self) -> None:
        """Start sending events (from the model's current time).

        In real-time mode (:meth:`Dynapse1Model.set_real_time_mode`) the model then follows
        the wall clock (:mod:`dynsim.dynapse.realtime`); otherwise the events begin at the
        next ``model.run``.
        """
        with SIMULATION_LOCK:
            self._running = True
        _update_clock(self._model())

    def stop(self) -> None:
        """Stop sending events (in real-time mode: the last generator to stop stops the clock)."""
        with SIMULATION_LOCK:
            self._running = False
            self._trains.clear()
        _update_clock(self._model())

    def is_running(self) -> bool:
        """Whether the generator is running."""
        return self._running


def _bounded_list(values: object, name: str, high: int) -> list:
    """Return ``values`` as a list of at most ``high`` items (read no further than that)."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidSettingError(f"{name} must be a sequence, got {type(values).__name__}")
    items = list(itertools.islice(values, high + 1))
    if len(items) > high:
        raise InvalidSettingError(f"{name} holds more than {high} items; at most {high} are "
                                  f"accepted")
    return items


#: Largest SRAM address / event count of the FPGA spike generator's stimulus memory: 15
#: address bits (INI's ``dynapse1constants.py``: ``ADDR_NUM_BITS = 15``, ``MAX_FPGA_LEN =
#: 2**ADDR_NUM_BITS-1``; github.com/blakeyy/neuromorphic_dreaming, dynapse/dynapse1constants.py).
FPGA_STIMULUS_ADDRESS_MAX = 2**15 - 1


def _check_stimulus_address(value: object, name: str) -> int:
    return whole_number(value, name, low=0, high=FPGA_STIMULUS_ADDRESS_MAX,
                        error=InvalidSettingError,
                        hint="(the FPGA stimulus memory has 15 address bits)")


class FpgaSpikeGen:
    """The FPGA spike generator: plays a preloaded list of events, once or repeatedly.

    A stimulus holds at most :data:`FPGA_STIMULUS_MAX_EVENTS` events; one run plays at most
    :data:`~dynsim.dynapse.constants.MAX_TRAIN_EVENTS` of them (repeats included), so a
    tiny ISI in repeat mode cannot exhaust memory.
    """

    def __init__(self, model: Dynapse1Model) -> None:
        self._model = weakref.ref(model)
        self._events: list[FpgaSpikeEvent] = []
        self._multiplier = 1
        self._repeat = False
        self._variable_isi = True
        self._fixed_isi: int | None = None
        self._base_addr = 0
        self._stim_count: int | None = None
        self._start: float | None = None
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None

    def preload_stimulus(self, events: Sequence[FpgaSpikeEvent]) -> None:
        """Load the events to play (replaces the previous stimulus).

        Raises
        ------
        dynsim.errors.InvalidSettingError
            For items that are not :class:`FpgaSpikeEvent`, or more than
            ``FPGA_STIMULUS_MAX_EVENTS`` of them (the generator is then unchanged).
        """
        events = _bounded_list(events, "preload_stimulus events", FPGA_STIMULUS_MAX_EVENTS)
        if not all(isinstance(e, FpgaSpikeEvent) for e in events):
            raise InvalidSettingError("preload_stimulus takes a list of FpgaSpikeEvent")
        # the generator keeps its own copies: editing an event later does not change it
        self._events = [FpgaSpikeEvent(*e.astuple()) for e in events]
        self._arrays = None

    def set_isi_multiplier(self, multiplier: int) -> None:
        """Set the ISI unit to ``multiplier / 90 MHz`` (1..65535; samna uses 90 or 900)."""
        self._multiplier = whole_number(
            multiplier, "isi multiplier", low=1, high=FPGA_ISI_MULTIPLIER_MAX,
            error=InvalidSettingError, hint="(it must be >= 1: the ISI unit is multiplier / "
            "90 MHz; samna uses 90 or 900)")
        self._arrays = None

    def get_isi_multiplier(self) -> int:
        """Return the ISI multiplier (the ISI unit is ``multiplier / 90 MHz``)."""
        return self._multiplier

    def set_repeat_mode(self, repeat: bool) -> None:
        """Play the stimulus in a loop until :meth:`stop`."""
        self._repeat = flag(repeat, "repeat mode")

    def get_repeat_mode(self) -> bool:
        """Whether the stimulus plays in a loop."""
        return self._repeat

    def set_variable_isi_mode(self, variable: bool) -> None:
        """Use each event's own ISI (default); ``False`` uses one ISI for all events.

        With ``False`` every event waits the ISI set by :meth:`set_isi` (as cAER's FPGA spike
        generator module documents its fixed-ISI mode: a constant rate from ``ISI`` and
        ``ISIBase``), or, when none was set, the first event's ISI (dynsim's choice: the ISI
        register's value on the board before any ``set_isi`` is not public).
        """
        self._variable_isi = flag(variable, "variable ISI mode")
        self._arrays = None

    #: dynsim's earlier name of :meth:`set_variable_isi_mode` (kept).
    set_variable_isi = set_variable_isi_mode

    def get_variable_isi_mode(self) -> bool:
        """Whether each event's own ISI is used."""
        return self._variable_isi

    def set_isi(self, isi: int) -> None:
        """Set the one ISI used when the variable ISI mode is off (0..65535 units).

        Raises
        ------
        dynsim.errors.InvalidSettingError
            Outside the 16-bit register ``0..65535``.

        Examples
        --------
        >>> fpga = Dynapse1Model(name="docisi").get_fpga_spike_gen()
        >>> fpga.set_isi(90)
        >>> fpga.get_isi()
        90
        """
        self._fixed_isi = _check_isi(isi)
        self._arrays = None

    def get_isi(self) -> int:
        """Return the ISI set by :meth:`set_isi` (0 when none was set)."""
        return 0 if self._fixed_isi is None else self._fixed_isi

    def set_base_addr(self, address: int) -> None:
        """Set the stimulus memory address playing starts from (0..32767).

        The emulator keeps the stimulus in its own list; the address is checked and kept
        (:meth:`get_base_addr`) so that board scripts run unchanged; playing starts at the
        first preloaded event.
        """
        self._base_addr = _check_stimulus_address(address, "base address")

    def get_base_addr(self) -> int:
        """Return the stimulus base address."""
        return self._base_addr

    def set_stim_count(self, count: int) -> None:
        """Play only the first ``count`` preloaded events (0..32767; default: all of them).

        Raises
        ------
        dynsim.errors.InvalidSettingError
            Outside ``0..2**15 - 1`` (the stimulus memory's 15 address bits).
        """
        self._stim_count = _check_stimulus_address(count, "stimulus count")
        self._arrays = None

    def get_stim_count(self) -> int:
        """Return the number of events played per pass."""
        return len(self._events) if self._stim_count is None else self._stim_count

    def start(self) -> None:
        """Start playing at the model's current time (in real-time mode: with the wall clock)."""
        model = self._model()
        with SIMULATION_LOCK:
            self._start = 0.0 if model is None else model.time_s
        _update_clock(model)

    def stop(self) -> None:
        """Stop playing (in real-time mode: the last generator to stop stops the clock)."""
        with SIMULATION_LOCK:
            self._start = None
        _update_clock(self._model())

    def is_running(self) -> bool:
        """Whether the stimulus is playing."""
        return self._start is not None

    def event_times(self, t0: float, t1: float) -> list[tuple[float, FpgaSpikeEvent]]:
        """Return ``(time_s, event)`` of the events played in ``[t0, t1)``."""
        times, which = self._played(t0, t1)
        return [(float(time), self._events[k]) for time, k in zip(times, which, strict=True)]

    def _stimulus_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the preloaded stimulus as arrays (computed once per stimulus).

        Returns
        -------
        offsets : numpy.ndarray
            Time (s) of each event after the start of one pass of the stimulus.
        fields : numpy.ndarray
            ``(n_events, 3)`` integers: ``neuron_id``, ``target_chip``, ``core_mask``.
        """
        if self._arrays is None:
            unit = self._multiplier / FPGA_CLOCK_HZ
            events = self._events[:self.get_stim_count()]
            fixed = (self._fixed_isi if self._fixed_isi is not None
                     else events[0].isi if events else 0)
            isis = np.array([e.isi if self._variable_isi else fixed for e in events],
                            dtype=float) * unit
            fields = np.array([(e.neuron_id, e.target_chip, e.core_mask) for e in events],
                              dtype=np.int64).reshape(-1, 3)
            self._arrays = (np.cumsum(isis), fields)
        return self._arrays

    def _played(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        """Return times (s) and stimulus indices of the events played in ``[t0, t1)``.

        In playing order: the same events as :meth:`event_times`, as arrays. In repeat mode
        only the passes that overlap ``[t0, t1)`` are made, and their number of events is
        bounded (``MAX_TRAIN_EVENTS``) before they are.
        """
        if self._start is None or not self._events:
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        offsets, _ = self._stimulus_arrays()
        if not len(offsets):
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        period = offsets[-1]
        first, repeats = 0, 1
        if self._repeat and period > 0:
            # passes before `first` end before t0 (a margin of one pass for rounding)
            first = max(0, int(np.floor((t0 - self._start) / period)) - 1)
            last = int(np.ceil((t1 - self._start) / period)) + 1
            repeats = max(1, last - first)
            check_train_size(float(repeats) * len(offsets), "the FPGA stimulus in repeat mode")
        # pass r starts at start + r * period (the same float operations as one pass at a time)
        passes = np.arange(first, first + repeats, dtype=np.int64)[:, None]
        times = (self._start + passes * period) + offsets
        keep = (times >= t0) & (times < t1)
        which = np.broadcast_to(np.arange(len(offsets), dtype=np.int64), times.shape)
        return times[keep], which[keep]


def _update_clock(model: Dynapse1Model | None) -> None:
    """Start or stop the model's real-time clock after a generator started or stopped."""
    if model is not None and "_real_time_clock" in model.__dict__:
        clock_of(model).update()


def fpga_events_from_times(times: Quantity, neuron_ids: Sequence[int], target_chips:
                           Sequence[int] | int = 0, isi_base: int = 900, core_mask: int = 15
                           ) -> tuple[list[FpgaSpikeEvent], int]:
    """Return FPGA events (and the ISI multiplier) that play spikes at given times.

    Like ctxctl's ``dynapse1utils.set_fpga_spike_gen``: ISIs are rounded to multiples of
    ``isi_base / 90 MHz`` (10 us for 900).

    Parameters
    ----------
    times : Quantity
        Sorted event times (at most ``FPGA_STIMULUS_MAX_EVENTS``).
    neuron_ids : sequence of int
        Virtual neuron id (0..1023) of each event.
    target_chips : int or sequence of int
        Target chip (0..3) of every event, or of each.
    isi_base : int
        ISI multiplier (1..65535): the ISI unit is ``isi_base / 90 MHz``.
    core_mask : int
        Cores (0..15) of the target chip that receive every event.

    Raises
    ------
    dynsim.errors.InvalidSettingError
        For unsorted or mismatched times, too many events, or a gap longer than the 16-bit
        ISI register holds (65535 units: 6.55 s at ``isi_base=900``).

    Examples
    --------
    >>> from brian2 import ms
    >>> events, multiplier = fpga_events_from_times([1, 3] * ms, [5, 6])
    >>> [e.isi for e in events], multiplier
    ([100, 200], 900)
    """
    multiplier = whole_number(isi_base, "isi_base", low=1, high=FPGA_ISI_MULTIPLIER_MAX,
                              error=InvalidSettingError)
    mask = _check_core_mask(core_mask)
    if not isinstance(times, Quantity) or get_dimensions(times) is not second.dim:
        raise InvalidSettingError(f"times must be an array of times (e.g. [5, 20]*ms), got "
                                  f"{type(times).__name__}")
    if np.size(times) > FPGA_STIMULUS_MAX_EVENTS:
        raise InvalidSettingError(f"times holds {np.size(times)} events; the FPGA stimulus "
                                  f"takes at most {FPGA_STIMULUS_MAX_EVENTS}")
    seconds_ = np.asarray(times / second, dtype=float).reshape(-1)
    if not np.all(np.isfinite(seconds_)) or np.any(seconds_ < 0):
        raise InvalidSettingError("times must be finite and >= 0 s")
    ids = whole_numbers(neuron_ids, "neuron_ids", low=0, high=NEURONS_PER_CHIP - 1,
                        error=InvalidNeuronError, max_size=FPGA_STIMULUS_MAX_EVENTS).reshape(-1)
    chips = whole_numbers(target_chips, "target_chips", low=0, high=NUM_CHIPS - 1,
                          error=InvalidCoreError, max_size=FPGA_STIMULUS_MAX_EVENTS)
    if chips.ndim and chips.shape != ids.shape:
        raise InvalidSettingError("target_chips must be one chip or one per neuron id")
    chips = np.broadcast_to(chips, ids.shape)
    if seconds_.shape != ids.shape or np.any(np.diff(seconds_) < 0):
        raise InvalidSettingError("times must be sorted and match neuron_ids in length")
    unit = multiplier / FPGA_CLOCK_HZ
    isis = np.round(np.diff(np.concatenate([[0.0], seconds_])) / unit)
    if len(isis) and isis.max() > FPGA_ISI_MAX:
        raise InvalidSettingError(
            f"a gap of {isis.max() * unit:g} s is longer than the FPGA's 16-bit ISI register "
            f"holds ({FPGA_ISI_MAX} units of {unit * 1e6:g} us): raise isi_base")
    events = [FpgaSpikeEvent(mask, int(c), int(n), int(i))
              for c, n, i in zip(chips, ids, isis.astype(np.int64), strict=True)]
    return events, multiplier


# --------------------------------------------------------------------------- model
class Dynapse1Interface:
    """The board's low-level interface, as ``model.get_dynapse1_api()`` returns it.

    On the board, ``monitor_neuron(chip, neuron)`` routes one neuron per chip to the
    oscilloscope output. The emulator records that neuron's currents instead
    (:meth:`Dynapse1Model.monitor`; read them with ``model.get_recording()``): choosing
    another neuron of the same chip replaces it, neurons of other chips and neurons given to
    ``model.monitor`` stay recorded.

    Examples
    --------
    >>> model = Dynapse1Model(name="docapi")
    >>> api = model.get_dynapse1_api()
    >>> api.monitor_neuron(1, 123)
    >>> api.monitored_neurons()
    {1: 123}
    """

    def __init__(self, model: Dynapse1Model, serial_number: str = "dynsim-emulator") -> None:
        self._model = weakref.ref(model)
        self._by_chip: dict[int, int] = {}
        self._serial_number = serial_number

    def monitor_neuron(self, chip_id: int, neuron_id: int) -> None:
        """Record neuron ``neuron_id`` (0..1023 = neuron + 256*core) of chip ``chip_id``.

        Raises
        ------
        dynsim.errors.InvalidCoreError
            For a chip outside 0..3.
        dynsim.errors.InvalidNeuronError
            For a neuron outside 0..1023.
        """
        chip = check_chip(chip_id)
        neuron = whole_number(neuron_id, "neuron_id", low=0, high=NEURONS_PER_CHIP - 1,
                              error=InvalidNeuronError, hint="(neuron + 256*core on the chip)")
        model = self._model()
        if model is None:  # pragma: no cover - the model owns its interface
            return
        previous = self._by_chip.get(chip)
        ids = set(model._monitored)
        if previous is not None:
            ids.discard(chip * NEURONS_PER_CHIP + previous)
        ids.add(chip * NEURONS_PER_CHIP + neuron)
        model.monitor(sorted(ids), model._variables)
        self._by_chip[chip] = neuron

    def monitored_neurons(self) -> dict[int, int]:
        """Return ``{chip: neuron}`` of the neurons chosen with :meth:`monitor_neuron`."""
        return dict(self._by_chip)

    def get_serial_number(self) -> str:
        """Return the serial number of the (emulated) board."""
        return self._serial_number


class Dynapse1Model:
    """The emulated board, programmed like samna's ``Dynapse1Model``.

    Parameters
    ----------
    dt : Quantity
        Integration time step (default 0.1 ms).
    engine : str, optional
        ``'cython'``, ``'numpy'``, ``'auto'`` (runtime engines, :mod:`dynsim.engine`) or
        ``'standalone'``: the simulated neurons are compiled into one C++ program (Brian2
        ``cpp_standalone``, OpenMP threads: :func:`~dynsim.dynapse.standalone.standalone_threads`)
        that each :meth:`run` executes with the state of the previous run, the biases and
        the input events as run arguments (:class:`~dynsim.dynapse.standalone.StandaloneBoard`).
        For long runs of many neurons: several times faster than ``'cython'``, but each
        run starts a process (tens of ms), the first run of a new duration regenerates the
        program, and real-time mode (:meth:`start`) is refused. Without a C++ compiler or
        ``make`` the model falls back to the runtime engine and says why
        (:attr:`fallback_reason`, a ``RuntimeWarning``).
    mismatch : Mismatch, optional
        Seeded device mismatch (default: none).
    seed : int
        Seed of the Poisson generator's spike trains.
    name : str
        Prefix of the Brian2 object names.

    Attributes
    ----------
    fallback_reason : str or None
        Why ``engine='standalone'`` was not used, when it was asked for and cannot run.
    """

    def __init__(self, *, dt: Quantity = DEFAULT_DT, engine: str | None = None,
                 mismatch: Mismatch | None = None, seed: int = 0, name: str = "dynapse1"
                 ) -> None:
        configure()
        identifier(name)
        if mismatch is not None and not isinstance(mismatch, Mismatch):
            raise InvalidSettingError("mismatch must be a dynsim.dynapse.Mismatch or None")
        self._dt_s = duration_seconds(dt, "dt")
        self._rng = np.random.default_rng(check_seed(seed))
        self.dt = dt
        self.engine, self.fallback_reason = resolve_standalone(engine)
        self.mismatch = mismatch
        self.name = name
        self.board = Board(write_through=self._write_core)
        self._source = EventSourceNode()
        self._poisson = PoissonGen(self)
        self._fpga = FpgaSpikeGen(self)
        self._api = Dynapse1Interface(self)
        self._offset = 0.0
        self._monitored: list[int] = []
        self._variables: tuple[str, ...] = tuple(STATE_VARIABLES)
        self._net: Network | None = None
        self._program: StandaloneBoard | None = None
        self._built = False

    # ------------------------------------------------------------------ samna API
    def get_configuration(self) -> Dynapse1Configuration:
        """Return a copy of the configuration in use."""
        return self.board.configuration.copy()

    @property
    def _config(self) -> Dynapse1Configuration:
        return self.board.configuration

    @locked
    def apply_configuration(self, config: Dynapse1Configuration) -> None:
        """Program the board: CAMs, SRAMs and biases (neuron states restart at rest).

        Raises
        ------
        dynsim.errors.SRAMLimitError, dynsim.errors.CAMAliasingError
            When the configuration breaks a routing rule (the model is then unchanged).
        """
        if not isinstance(config, Dynapse1Configuration):
            raise InvalidSettingError("apply_configuration takes a Dynapse1Configuration")
        check_configuration(config)
        self._offset = self.time_s
        self.board.load(config)
        self._built = False

    def apply_configuration_by_chip(self, config: Dynapse1Configuration, chip_id: int) -> None:
        """Program one chip from ``config`` (its CAMs, SRAMs and biases); keep the others.

        samna's counterpart applies the configuration to one chip only, after netgen's
        ``make_dynapse1_configuration_in_chip``. Neuron states restart at rest, as after
        :meth:`apply_configuration`.

        Raises
        ------
        dynsim.errors.InvalidCoreError
            For a chip outside 0..3.
        dynsim.errors.SRAMLimitError, dynsim.errors.CAMAliasingError
            When the resulting configuration breaks a routing rule (the model is unchanged).

        Examples
        --------
        >>> from dynsim.dynapse import Dynapse1Configuration
        >>> model = Dynapse1Model(name="docbychip")
        >>> cfg = Dynapse1Configuration()
        >>> cfg.chips[1].cores[0].parameter_group.param_map["IF_DC_P"].fine_value = 40
        >>> cfg.chips[2].cores[0].parameter_group.param_map["IF_DC_P"].fine_value = 40
        >>> model.apply_configuration_by_chip(cfg, 1)
        >>> [model.get_configuration().chips[c].cores[0].parameter_group.param_map[
        ...     "IF_DC_P"].fine_value for c in (1, 2)]
        [40, 0]
        """
        self._apply_part(config, (check_chip(chip_id),), "apply_configuration_by_chip")

    def apply_configuration_by_core(self, config: Dynapse1Configuration, chip_id: int,
                                    core_id: int) -> None:
        """Program one core from ``config`` (its CAMs, SRAMs and biases); keep the others.

        The counterpart of netgen's ``make_dynapse1_configuration_in_core``; see
        :meth:`apply_configuration_by_chip`.
        """
        part = (check_chip(chip_id), check_core(core_id))
        self._apply_part(config, part, "apply_configuration_by_core")

    def _apply_part(self, config: Dynapse1Configuration, part: tuple[int, ...], name: str
                    ) -> None:
        if not isinstance(config, Dynapse1Configuration):
            raise InvalidSettingError(f"{name} takes a Dynapse1Configuration, got "
                                      f"{type(config).__name__}")
        merged = self.get_configuration()
        source = config.copy()
        if len(part) == 1:
            merged.chips[part[0]] = source.chips[part[0]]
        else:
            merged.chips[part[0]].cores[part[1]] = source.chips[part[0]].cores[part[1]]
        self.apply_configuration(merged)

    def get_dynapse1_api(self) -> Dynapse1Interface:
        """Return the board's low-level interface (``monitor_neuron``, ...)."""
        return self._api

    @locked
    def update_parameter_group(self, parameter_group: Dynapse1ParameterGroup, chip_id: int,
                               core_id: int) -> None:
        """Set all 25 biases of one core."""
        if not isinstance(parameter_group, Dynapse1ParameterGroup):
            raise UnknownBiasError("update_parameter_group takes a Dynapse1ParameterGroup, got "
                                   f"{type(parameter_group).__name__}")
        self.board.set_biases(check_chip(chip_id), check_core(core_id), parameter_group)

    @locked
    def update_single_parameter(self, parameter: Dynapse1Parameter, chip_id: int, core_id: int
                                ) -> None:
        """Set one bias of one core."""
        if not isinstance(parameter, Dynapse1Parameter):
            raise UnknownBiasError("update_single_parameter takes a Dynapse1Parameter")
        self.board.set_biases(check_chip(chip_id), check_core(core_id), [parameter])

    def _write_core(self, chip: int, core: int) -> None:
        if self._built and self._net is not None:
            self._write_biases()

    def get_source_node(self) -> EventSourceNode:
        """Return the node that sends the board's spikes to sinks."""
        return self._source

    def get_poisson_gen(self) -> PoissonGen:
        """Return the board's Poisson generator."""
        return self._poisson

    def get_fpga_spike_gen(self) -> FpgaSpikeGen:
        """Return the board's FPGA spike generator."""
        return self._fpga

    # ------------------------------------------------------------------ real time
    def set_real_time_mode(self, enabled: bool) -> None:
        """Let a generator's ``start()`` run the model with the wall clock (samna's board).

        In real-time mode the model advances in a background worker while a generator runs
        (:mod:`dynsim.dynapse.realtime`), so that ``poisson_gen.start(); time.sleep(2);
        sink.get_events()`` gives the spikes of those 2 s; ``model.run`` is then refused
        until the generators stop. Off (the default), generators arm the next ``run``.
        Turning it off stops the clock unless :meth:`start` was called.

        Examples
        --------
        >>> model = Dynapse1Model(engine="numpy", name="docmode")
        >>> model.set_real_time_mode(True)
        >>> model.get_real_time_mode(), model.is_running()
        (True, False)
        """
        enabled = flag(enabled, "real-time mode")
        if enabled:
            self._refuse_real_time()
        clock = clock_of(self)
        clock.real_time_mode = enabled
        clock.update()

    def _refuse_real_time(self) -> None:
        if self.engine == STANDALONE:
            raise EngineError(
                "real-time mode needs a runtime engine: a model with engine='standalone' runs "
                "its compiled program once per model.run(duration) (no Python between steps); "
                "make the model with engine='cython', 'numpy' or 'auto' to follow the wall "
                "clock")

    def get_real_time_mode(self) -> bool:
        """Whether a generator's ``start()`` runs the model with the wall clock."""
        return clock_of(self).real_time_mode

    def start(self) -> None:
        """Run the model with the wall clock until :meth:`stop` (generators or not).

        The network is built and compiled first (so compiling is not counted as lag); then a
        daemon thread simulates chunks of 20 ms as the wall clock passes them and sends the
        spikes to the source node's destinations. Calling it again does nothing.
        """
        self._refuse_real_time()
        clock = clock_of(self)
        clock.started = True
        clock.start()

    def stop(self) -> None:
        """Stop the wall clock and wait for the worker: no spike arrives after this returns.

        Generators keep their state; in real-time mode a generator's next ``start()`` runs
        the clock again. Calling it when the model does not run does nothing.
        """
        clock = clock_of(self)
        clock.started = False
        clock.stop()

    def is_running(self) -> bool:
        """Whether the model follows the wall clock (its real-time worker is alive)."""
        return clock_of(self).is_running()

    @property
    def real_time_factor(self) -> float:
        """Simulated time / wall time since the clock last started (NaN before; 1 keeps up).

        Below 1 the model is too slow for real time: its spikes arrive late (none is
        dropped) and a :class:`~dynsim.errors.RealTimeLagWarning` was issued once the lag
        exceeded :data:`~dynsim.dynapse.realtime.LAG_WARNING_S`.
        """
        return clock_of(self).real_time_factor

    @property
    def real_time_lag(self) -> Quantity:
        """Wall time minus simulated time since the clock last started (a Quantity, s)."""
        return clock_of(self).lag_s * second

    # ------------------------------------------------------------------ monitoring
    @locked
    def monitor(self, neuron_ids: Iterable[int], variables: Sequence[str] | None = None) -> None:
        """Record the currents of some neurons (global ids); they are simulated from now on.

        The Brian2 network is rebuilt at the next run: neuron states restart at rest (as after
        :meth:`apply_configuration`); the model's time goes on.

        Parameters
        ----------
        neuron_ids : iterable of int
            Global ids (``neuron + 256*core + 1024*chip``).
        variables : sequence of str, optional
            Subset of ``Imem``, ``Iahp``, ``I_ampa``, ``I_nmda``, ``I_gaba_a``, ``I_gaba_b``.
        """
        if isinstance(neuron_ids, Iterable) and not isinstance(neuron_ids, np.ndarray | str):
            neuron_ids = list(itertools.islice(neuron_ids, NUM_NEURONS + 1))
        ids = sorted(set(whole_numbers(neuron_ids, "global neuron ids", low=0,
                                       high=NUM_NEURONS - 1, error=InvalidNeuronError,
                                       max_size=NUM_NEURONS).reshape(-1).tolist()))
        if variables is None:
            chosen = tuple(STATE_VARIABLES)
        elif isinstance(variables, str) or not isinstance(variables, Iterable):
            raise InvalidSettingError(f"variables must be a list of names from "
                                      f"{', '.join(STATE_VARIABLES)}, got {variables!r}")
        else:
            chosen = tuple(variables)
        unknown = [v for v in chosen if v not in STATE_VARIABLES]
        if unknown:
            raise InvalidSettingError(f"cannot record {unknown}; choose from "
                                      f"{', '.join(STATE_VARIABLES)}")
        self._offset = self.time_s
        self._monitored, self._variables = ids, chosen
        self._built = False

    @property
    def time_s(self) -> float:
        """Model time in seconds."""
        return self._offset + (float(self._net.t / second) if self._built and self._net else 0.0)

    @property
    def simulated_neurons(self) -> np.ndarray:
        """Global ids of the neurons that are simulated."""
        self._build()
        return self._gids.copy()

    # ------------------------------------------------------------------ network
    def _build(self) -> None:
        if self._built:
            return
        used = {n.global_id for n in self._config.neurons_in_use()}
        self._gids = np.array(sorted(used | set(self._monitored)), dtype=np.int64)
        self._net = None
        self._program = None
        self._virtual_index: dict[tuple[int, int, tuple[int, int]], int] = {}
        # the same index as an array: (target chip, core, tag) -> virtual index, -1 where no
        # CAM listens to the tag (for the FPGA stimulus, selected with array operations)
        self._virtual_lookup = np.full((NUM_CHIPS, CORES_PER_CHIP, NEURONS_PER_CHIP), -1,
                                       dtype=np.int64)
        self._built = True
        if len(self._gids) == 0:
            return
        external, recurrent = self._connection_tables()
        rows = [int(np.searchsorted(self._gids, g)) for g in self._monitored]
        if self.engine == STANDALONE:
            self._parameters_key = None  # one value per simulated neuron: computed again
            self._program = StandaloneBoard(
                self.name, self.dt, self._gids, len(self._virtual_index), external, recurrent,
                rows, self._variables, standalone_threads(len(self._gids)))
            self._recorded: dict[str, list[np.ndarray]] = defaultdict(list)
            return
        cls = codeobj_class(self.engine)
        neurons = make_neurons(len(self._gids), f"{self.name}_neurons", dt=self.dt,
                               codeobj_class=cls, global_ids=self._gids,
                               bias_hint="model.update_single_parameter")
        self._neurons = neurons
        self._write_biases()
        neurons._bias_refresh = self._refresh_biases
        virtual = SpikeGeneratorGroup(max(1, len(self._virtual_index)), [], [] * second,
                                      dt=self.dt, name=f"{self.name}_virtual", codeobj_class=cls)
        self._virtual = virtual
        self._spikes = SpikeMonitor(neurons, name=f"{self.name}_spikes", codeobj_class=cls)
        objects: list = [neurons, virtual, self._spikes]
        for label, source, table in (("inputs", virtual, external),
                                     ("recurrent", neurons, recurrent)):
            if not len(table):
                continue
            syn = make_synapses(source, neurons, f"{self.name}_{label}", None, codeobj_class=cls)
            syn.connect(i=table[:, 0], j=table[:, 1])
            syn.variables["syn_type"].set_value(table[:, 2])
            syn.variables["weight"].set_value(table[:, 3])
            objects.append(syn)
        self._states = None
        if self._monitored:
            self._states = StateMonitor(neurons, list(self._variables), record=rows,
                                        name=f"{self.name}_states", codeobj_class=cls)
            objects.append(self._states)
        self._net = Network(*objects, name=f"{self.name}_network")
        self._spikes_read = 0

    def _connection_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the CAM connections (and fill the virtual neuron index).

        Returns
        -------
        external, recurrent : numpy.ndarray
            One row ``(source, target, synapse type, CAM count)`` per connection; sources
            are virtual neurons (external) or rows of the simulated neurons (recurrent),
            targets rows of the simulated neurons.
        """
        index_of = {int(g): k for k, g in enumerate(self._gids)}
        # CAM tables of the simulated neurons: (chip, core) -> tag -> [(post, type)] x count
        listen: dict[tuple[int, int], dict[tuple[int, int], Counter]] = defaultdict(
            lambda: defaultdict(Counter))
        for gid in self._gids:
            chip, core, neuron = split_global_id(gid)
            cams = self._config.chips[chip].cores[core].neurons[neuron].synapses
            in_use = 0
            for _, entry in cams.created():
                if entry.in_use:
                    in_use += 1
                    tag = (entry.listen_core_id, entry.listen_neuron_id)
                    listen[(chip, core)][tag][(index_of[int(gid)], int(entry.syn_type))] += 1
            if in_use < CAMS_PER_NEURON:  # unused entries: UNUSED_SYNAPSE (NMDA from 0/0)
                kind, unused_neuron, unused_core = (int(x) for x in UNUSED_SYNAPSE)
                listen[(chip, core)][(unused_core, unused_neuron)][(index_of[int(gid)], kind)] \
                    += CAMS_PER_NEURON - in_use
        recurrent: Counter = Counter()
        for gid in self._gids:
            chip, core, neuron = split_global_id(gid)
            memory = self._config.chips[chip].cores[core].neurons[neuron]
            for _, destination in memory.destinations.created():
                if not destination.in_use:
                    continue
                tag = (destination.virtual_core_id, neuron)
                for target_core in range(CORES_PER_CHIP):
                    if destination.core_mask >> target_core & 1:
                        for (post, kind), count in listen.get(
                                (destination.target_chip_id, target_core), {}).get(tag, {}).items():
                            recurrent[(index_of[int(gid)], post, kind)] += count
        external: Counter = Counter()
        for (chip, core), tags in sorted(listen.items()):
            for tag, posts in sorted(tags.items()):
                source = self._virtual_index.setdefault((chip, core, tag), len(self._virtual_index))
                self._virtual_lookup[chip, core, tag[0] * NEURONS_PER_CORE + tag[1]] = source
                for (post, kind), count in posts.items():
                    external[(source, post, kind)] += count
        return tuple(  # type: ignore[return-value]
            np.array([(*key, count) for key, count in table.items()], dtype=np.int64
                     ).reshape(-1, 4) for table in (external, recurrent))

    def _bias_currents(self) -> dict[str, np.ndarray]:
        """Return the bias currents of every simulated neuron (its core's, with mismatch)."""
        groups = [self.board.group(*split_global_id(g)[:2]) for g in self._gids]
        return bias_currents(groups, mismatch_factors(self.mismatch, self._gids))

    def _write_biases(self) -> None:
        cores = sorted({split_global_id(g)[:2] for g in self._gids})
        set_parameters(self._neurons, self._bias_currents())
        self._bias_key = self.board.biases_key(cores)

    def _program_parameters(self) -> dict[str, np.ndarray]:
        """Return the neurons' parameters for the compiled program (recomputed on change)."""
        cores = sorted({split_global_id(g)[:2] for g in self._gids})
        key = self.board.biases_key(cores)
        if getattr(self, "_parameters_key", None) != key:
            self._parameters = state_parameters(self._bias_currents(), self.dt)
            self._parameters_key = key
        return self._parameters

    def _refresh_biases(self, neurons: object) -> None:
        cores = sorted({split_global_id(g)[:2] for g in self._gids})
        if getattr(self, "_bias_key", None) != self.board.biases_key(cores):
            self._write_biases()

    def _virtual_spikes(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        """Return indices and network-clock times of the virtual events in [t0, t1)."""
        indices, steps = self._virtual_events(t0, t1)
        return indices, float(self._net.t / second) + steps * self._dt_s

    def _virtual_events(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        """Return indices and steps (from 0 at ``t0``) of the virtual events in [t0, t1)."""
        n_steps = round((t1 - t0) / self._dt_s)
        indices: list[np.ndarray] = []
        steps: list[np.ndarray] = []
        if self._poisson.is_running():
            chip = self._poisson.get_chip_id()
            for nid, rate in sorted(self._poisson.get_rates().items()):
                tag = (nid // NEURONS_PER_CORE, nid % NEURONS_PER_CORE)
                targets = [self._virtual_index[(chip, k, tag)] for k in range(CORES_PER_CHIP)
                           if (chip, k, tag) in self._virtual_index]
                train = self._poisson._trains.steps(self._rng, nid, rate, round(t0 / self._dt_s),
                                                    n_steps, self._dt_s)
                for target in targets:
                    indices.append(np.full(len(train), target))
                    steps.append(train)
        times, which = self._fpga._played(t0, t1)
        if len(which):
            lookup = self._virtual_lookup
            neuron_id, target_chip, core_mask = self._fpga._stimulus_arrays()[1][which].T
            step = np.floor((times - t0) / self._dt_s + 1e-9).astype(np.int64)
            for core in range(CORES_PER_CHIP):
                target = lookup[target_chip, core, neuron_id]
                keep = (core_mask >> core & 1).astype(bool) & (target >= 0)
                if keep.any():
                    indices.append(target[keep])
                    steps.append(step[keep])
        if not sum(len(part) for part in indices):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        # unique (step, index) pairs in (step, index) order, as np.unique(..., axis=1) gives
        # them, through one int64 key per pair (a plain sort: ten times faster)
        step_all, index_all = np.concatenate(steps), np.concatenate(indices)
        width = int(index_all.max()) + 1
        keys = np.unique(step_all * width + index_all)
        return keys % width, keys // width

    @locked
    def run(self, duration: Quantity) -> list[Spike]:
        """Simulate ``duration`` (continuing from the current state) and deliver the spikes.

        Returns
        -------
        list of Spike
            The spikes of the simulated neurons in this run (also sent to the source node's
            destinations).

        Raises
        ------
        dynsim.errors.RealTimeRunningError
            While the model follows the wall clock (:meth:`start`, or a generator started in
            real-time mode): stop it first.
        """
        refuse_run(self)
        per_step = len(self._monitored) * len(self._variables)
        length = bounded_duration(duration, self._dt_s, per_step)
        self._build()
        t0 = self.time_s
        if self._program is not None:
            return self._run_program(t0, length)
        if self._net is None:
            self._offset += length
            return []
        indices, times = self._virtual_spikes(t0, t0 + length)
        self._virtual.set_spikes(indices, times * second, sorted=True)
        self._net.run(length * second)
        return self._deliver_spikes()

    def _run_program(self, t0: float, length: float) -> list[Spike]:
        """Run the compiled program (engine 'standalone') for ``length`` seconds from t0."""
        n_steps = round(length / self._dt_s)
        indices, steps = self._virtual_events(t0, t0 + length)
        out = self._program.run(n_steps, indices, steps, self._program_parameters())
        self._offset = t0 + n_steps * self._dt_s
        if self._monitored:
            monitored = np.isin(self._gids[out["spike_indices"]], self._monitored)
            self._recorded["t"].append(t0 + out["t"])
            for variable in self._variables:
                self._recorded[variable].append(out[variable])
            self._recorded["spike_gids"].append(self._gids[out["spike_indices"][monitored]])
            self._recorded["spike_times"].append(t0 + out["spike_times"][monitored])
        return self._send(out["spike_indices"], t0 + out["spike_times"])

    def _deliver_spikes(self) -> list[Spike]:
        """Send the spikes recorded since the last call to the source node; return them."""
        i = np.asarray(self._spikes.i[self._spikes_read:])
        t = np.asarray(self._spikes.t_[self._spikes_read:])
        self._spikes_read += len(i)
        return self._send(i, self._offset + t)

    def _send(self, rows: np.ndarray, times_s: np.ndarray) -> list[Spike]:
        """Send spikes (rows of the simulated neurons, model times in s); return them."""
        events = []
        for index, time in zip(rows, times_s, strict=True):
            chip, core, neuron = split_global_id(self._gids[index])
            events.append(Spike(chip, core, neuron, round(time * 1e6)))
        self._source.send(events)
        return events

    @locked
    def get_recording(self) -> Recording:
        """Return the recorded currents (see :meth:`monitor`) and spikes of those neurons."""
        if not self._monitored or (self._program is None
                                   and getattr(self, "_states", None) is None):
            raise InvalidSettingError("nothing is recorded: call model.monitor(neuron_ids) "
                                      "before run()")
        rows = {int(g): k for k, g in enumerate(self._monitored)}
        if self._program is not None:
            return self._program_recording(rows)
        spike_gids = self._gids[np.asarray(self._spikes.i[:])]
        keep = np.isin(spike_gids, self._monitored)
        return Recording(
            t=self._states.t[:] + self._offset * second,
            neuron_ids=np.array(self._monitored),
            currents={v: getattr(self._states, v)[:] for v in self._variables},
            spike_indices=np.array([rows[int(g)] for g in spike_gids[keep]], dtype=np.int64),
            spike_times=self._spikes.t[:][keep] + self._offset * second,
        )

    def _program_recording(self, rows: dict[int, int]) -> Recording:
        """Return the recording of the compiled program's runs (concatenated in Python)."""
        parts = self._recorded
        n, steps = len(self._monitored), sum(len(t) for t in parts["t"])

        def joined(name: str, shape: tuple[int, ...], axis: int = 0) -> np.ndarray:
            return np.concatenate(parts[name], axis=axis) if parts[name] else np.zeros(shape)

        return Recording(
            t=joined("t", (0,)) * second, neuron_ids=np.array(self._monitored),
            currents={v: joined(v, (n, steps), axis=1) * amp for v in self._variables},
            spike_indices=np.array([rows[int(g)] for g in joined("spike_gids", (0,))],
                                   dtype=np.int64),
            spike_times=joined("spike_times", (0,)) * second)

    def __repr__(self) -> str:
        return (f"Dynapse1Model(name={self.name!r}, t={self.time_s:.4g} s, "
                f"{sum(1 for _ in self._config.neurons_in_use())} neurons in use)")
