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
========================  =====  ==========================================================

Global neuron id = ``neuron + 256*core + 1024*chip`` (as in samna).

References
----------
Moradi S., Qiao N., Stefanini F., Indiveri G. (2018). A scalable multicore architecture with
heterogeneous memory structures for Dynamic Neuromorphic Asynchronous Processors (DYNAPs).
IEEE TBioCAS 12(1), 106-122.

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
    "NEURONS_PER_CHIP",
    "NEURONS_PER_CORE",
    "NUM_CHIPS",
    "NUM_NEURONS",
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
