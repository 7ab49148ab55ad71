"""Fixed facts of the DYNAP-SE1 board: sizes, value ranges, synapse types, names.

This module is the single source of every size and range of the emulated board. Other
modules (the configuration classes, the hardware rules, the error messages) read them from
here.

========================  =====  ==========================================================
name                      value  meaning
========================  =====  ==========================================================
``NUM_CHIPS``             4      chips on one board
``CORES_PER_CHIP``        4      cores on one chip
``NEURONS_PER_CORE``      256    neurons on one core
``CAMS_PER_NEURON``       64     CAM entries (fan-in) of one neuron, all synapse types
``SRAMS_PER_NEURON``      4      SRAM destinations (fan-out routes) of one neuron
``COARSE_RANGE``          0..7   coarse value of a bias
``FINE_RANGE``            0..255 fine value of a bias
``POISSON_RATE_MAX_HZ``   4395   highest rate of one Poisson generator source (Hz)
``FPGA_ISI_MAX``          65535  largest ISI of an FPGA spike generator event (16 bits)
``MAX_TRAIN_EVENTS``      10**7  most events of one input train in one run (emulator)
========================  =====  ==========================================================

Global neuron id = ``neuron + 256*core + 1024*chip`` (as in samna).

References
----------
Moradi S., Qiao N., Stefanini F., Indiveri G. (2018). A scalable multicore architecture with
heterogeneous memory structures for Dynamic Neuromorphic Asynchronous Processors (DYNAPs).
IEEE TBioCAS 12(1), 106-122.

iniVation/iniLabs libcaer, ``src/dynapse.c``, ``caerDynapseWritePoissonSpikeRate``: the
FPGA's Poisson generator (1024 sources) takes a 16-bit rate register in steps of
0.06706 Hz ("(clock_rate/(wait_cycles*num_sources))/(UINT16_MAX-1) = size of frequency
resolution steps"). INI's ``dynapse1constants.py`` (samna tutorial helpers): the FPGA spike
generator's ISI register has 16 bits.

Examples
--------
>>> from dynsim.dynapse.constants import global_neuron_id, split_global_id
>>> global_neuron_id(chip=1, core=2, neuron=3)
1539
>>> split_global_id(1539)
(1, 2, 3)
"""

from __future__ import annotations

from brian2 import ms

__all__ = [
    "CAMS_PER_NEURON",
    "COARSE_MAX",
    "COARSE_MIN",
    "CORES_PER_CHIP",
    "CORE_NAMES",
    "DEFAULT_DT",
    "FINE_MAX",
    "FINE_MIN",
    "FPGA_CLOCK_HZ",
    "FPGA_ISI_MAX",
    "FPGA_ISI_MULTIPLIER_MAX",
    "FPGA_STIMULUS_MAX_EVENTS",
    "MAX_TRAIN_EVENTS",
    "MISMATCH_SIGMA_MAX",
    "NEURONS_PER_CHIP",
    "NEURONS_PER_CORE",
    "NUM_CHIPS",
    "NUM_NEURONS",
    "POISSON_RATE_MAX_HZ",
    "POISSON_RATE_STEP_HZ",
    "SRAMS_PER_NEURON",
    "SYNAPSE_TYPES",
    "SYNAPSE_TYPE_VALUES",
    "core_name",
    "global_neuron_id",
    "split_global_id",
]

#: Chips on one board.
NUM_CHIPS = 4
#: Cores on one chip.
CORES_PER_CHIP = 4
#: Neurons on one core.
NEURONS_PER_CORE = 256
#: Neurons on one chip.
NEURONS_PER_CHIP = CORES_PER_CHIP * NEURONS_PER_CORE
#: Neurons on the board.
NUM_NEURONS = NUM_CHIPS * NEURONS_PER_CHIP
#: CAM entries (fan-in) of one neuron, counted over all synapse types.
CAMS_PER_NEURON = 64
#: SRAM destinations (fan-out routes, one per target chip) of one neuron.
SRAMS_PER_NEURON = 4

#: Smallest and largest coarse value of a bias.
COARSE_MIN, COARSE_MAX = 0, 7
#: Smallest and largest fine value of a bias.
FINE_MIN, FINE_MAX = 0, 255

#: The four synapse types in the order of their samna ``Dynapse1SynType`` values.
SYNAPSE_TYPES: tuple[str, ...] = ("GABA_B", "GABA_A", "NMDA", "AMPA")
#: samna ``Dynapse1SynType`` value of each synapse type.
SYNAPSE_TYPE_VALUES: dict[str, int] = {name: value for value, name in enumerate(SYNAPSE_TYPES)}

#: Names of the cores in the beginner layer (``chip.get_neurons(n, 'Core_1')``).
CORE_NAMES: tuple[str, ...] = tuple(f"Core_{k}" for k in range(CORES_PER_CHIP))

#: Clock of the FPGA spike generator; one ISI unit lasts ``isi_multiplier / FPGA_CLOCK_HZ``.
FPGA_CLOCK_HZ = 90e6

#: Largest ISI of an FPGA spike generator event, in units of ``isi_multiplier / 90 MHz``:
#: the ISI register has 16 bits (INI's ``dynapse1constants.py``).
FPGA_ISI_MAX = 2**16 - 1
#: Largest ISI multiplier (``set_isi_multiplier``). The documented values are 90 and 900; the
#: register width is not public, so dynsim takes it as 16 bits like the ISI register.
FPGA_ISI_MULTIPLIER_MAX = 2**16 - 1

#: Most events of one FPGA stimulus (``preload_stimulus``). INI's helpers allow 2**15 - 1
#: events (the generator's SRAM); dynsim's emulator takes up to 2**20 so that the board
#: benchmarks can play 2 s of 10 Hz input to every virtual neuron of four chips (82k events).
FPGA_STIMULUS_MAX_EVENTS = 2**20

#: Rate resolution of the board's Poisson generator (Hz per register step; libcaer
#: ``caerDynapseWritePoissonSpikeRate``: ``rateHz / 0.06706f``).
POISSON_RATE_STEP_HZ = 0.06706
#: Highest rate of one Poisson generator source: the 16-bit rate register at its maximum,
#: ``65535 * 0.06706 Hz = 4394.8 Hz`` (libcaer ``src/dynapse.c``). Every input rate a user
#: sets (``write_poisson_rate_hz``, ``Experiment.set_input``, the benches) is refused above it.
POISSON_RATE_MAX_HZ = (2**16 - 1) * POISSON_RATE_STEP_HZ

#: Most events one input train (a Poisson or regular input, a pattern of spike times, one run
#: of the FPGA stimulus) may hold in one run: an emulator bound (80 MB of int64 indices), so
#: no user setting can exhaust memory. At 4395 Hz it allows a 2275 s run.
MAX_TRAIN_EVENTS = 10**7

#: Largest relative spread of device mismatch accepted (``Mismatch(sigma=...)``): a sigma of
#: 1 already spreads lognormal factors over x0.05 .. x20 (three sigma); silicon shows 0.1-0.2.
MISMATCH_SIGMA_MAX = 1.0

#: Default integration time step of the emulator (0.1 ms).
DEFAULT_DT = 0.1 * ms


def core_name(core: int) -> str:
    """Return the beginner-layer name of a core (``'Core_0'`` .. ``'Core_3'``)."""
    return CORE_NAMES[core]


def global_neuron_id(chip: int, core: int, neuron: int) -> int:
    """Return the board-wide neuron id ``neuron + 256*core + 1024*chip``."""
    return int(neuron) + NEURONS_PER_CORE * int(core) + NEURONS_PER_CHIP * int(chip)


def split_global_id(global_id: int) -> tuple[int, int, int]:
    """Return ``(chip, core, neuron)`` of a board-wide neuron id."""
    gid = int(global_id)
    core = (gid // NEURONS_PER_CORE) % CORES_PER_CHIP
    return gid // NEURONS_PER_CHIP, core, gid % NEURONS_PER_CORE
