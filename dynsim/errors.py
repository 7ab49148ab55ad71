"""Exceptions and warnings raised by dynsim for mistakes a user can make.

Every error a student or researcher can provoke (a misspelt bias name, a coarse value of 8,
a 65th input on a DYNAP-SE neuron, a Loihi register value out of range) raises one of the
classes below *at the call site*, with a message that names the valid choices. A call that
raises leaves the emulated chip exactly as it was.

The classes also inherit from the closest built-in exception (``ValueError`` or
``LookupError``) so that generic ``except ValueError`` code keeps working.

Examples
--------
>>> from dynsim.errors import DynsimError, BiasRangeError
>>> issubclass(BiasRangeError, (DynsimError, ValueError))
True
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches

__all__ = [
    "BiasFileError",
    "BiasRangeError",
    "CAMAliasingError",
    "CAMLimitError",
    "ConfigurationFileError",
    "ConfigurationFormatError",
    "CoreFullError",
    "DynapseChipDirectionWarning",
    "DynapseError",
    "DynapseNeuronZeroWarning",
    "DynapseWeightWarning",
    "DynsimError",
    "EngineError",
    "HardwareLimitError",
    "InvalidConnectionError",
    "InvalidCoreError",
    "InvalidNeuronError",
    "InvalidSettingError",
    "LearningRuleError",
    "LoihiError",
    "LoihiNetworkError",
    "RealTimeLagWarning",
    "RealTimeRunningError",
    "RegisterRangeError",
    "SRAMLimitError",
    "SamnaJsonError",
    "SamnaStandInError",
    "SchedulerError",
    "SpikeInputError",
    "SweepError",
    "SweepGridError",
    "UnknownBiasError",
    "UnknownConventionError",
    "UnknownSynapseTypeError",
    "WeightError",
    "suggest",
]


def suggest(name: str, valid: Iterable[str], n: int = 3) -> str:
    """Return a short "did you mean" hint for ``name`` among ``valid`` names.

    Parameters
    ----------
    name : str
        The name the user typed.
    valid : iterable of str
        The names that would have been accepted.
    n : int
        The maximum number of suggestions.

    Returns
    -------
    str
        ``" Did you mean 'X'?"`` or an empty string when nothing is close.

    Examples
    --------
    >>> suggest("IF_TAU_N", ["IF_TAU1_N", "IF_TAU2_N", "IF_THR_N"])
    " Did you mean 'IF_TAU1_N' or 'IF_TAU2_N'?"
    """
    close = get_close_matches(str(name), list(valid), n=n, cutoff=0.6)
    if not close:
        return ""
    quoted = [f"'{c}'" for c in close]
    if len(quoted) == 1:
        return f" Did you mean {quoted[0]}?"
    return f" Did you mean {', '.join(quoted[:-1])} or {quoted[-1]}?"


class DynsimError(Exception):
    """Base class of every error dynsim raises for a user's mistake."""


class EngineError(DynsimError, ValueError):
    """An unknown simulation engine, or one that cannot run on this machine."""


# --------------------------------------------------------------------------- DYNAP-SE
class DynapseError(DynsimError):
    """Base class of errors of the emulated DYNAP-SE board."""


class UnknownBiasError(DynapseError, LookupError):
    """A bias name that the chip does not have (neither a samna nor a physical name)."""


class BiasFileError(DynapseError, ValueError):
    """A bias file path outside the notebook's folder, or a file that is not a bias file."""


class BiasRangeError(DynapseError, ValueError):
    """A coarse value outside 0..7, a fine value outside 0..255, or a current no bias can make."""


class InvalidCoreError(DynapseError, ValueError):
    """A chip or core that does not exist on the board (4 chips x 4 cores)."""


class UnknownSynapseTypeError(DynapseError, ValueError):
    """A synapse type other than AMPA, NMDA, GABA_A and GABA_B."""


class InvalidConnectionError(DynapseError, ValueError):
    """A connection the chip cannot make (wrong source or target, bad indices)."""


class WeightError(DynapseError, ValueError):
    """A weight that is not a non-negative number of CAM entries."""


class ConfigurationFormatError(DynapseError, ValueError):
    """A configuration file that is not valid dynsim/samna JSON."""


class ConfigurationFileError(ConfigurationFormatError):
    """A configuration file that cannot be read or written (missing, a folder, too large)."""


class SamnaJsonError(ConfigurationFileError):
    """JSON text that does not describe the samna data class ``from_json`` was called on.

    Malformed JSON, a member of the wrong type, a value out of its register range, an unknown
    or missing member, or a key repeated in one object; the message names the member. The
    object ``from_json`` was called on is left unchanged.
    """


class HardwareLimitError(DynapseError):
    """Base class of violations of the board's fixed resources."""


class CoreFullError(HardwareLimitError):
    """More than 256 neurons requested from one core."""


class CAMLimitError(HardwareLimitError):
    """More than 64 CAM entries (inputs, counted with their weights) on one neuron."""


class SRAMLimitError(HardwareLimitError):
    """More than 4 SRAM destinations on one neuron, or two for the same target chip."""


class CAMAliasingError(HardwareLimitError):
    """Two sources with the same (core, neuron) tag on different chips reach the same core."""


class DynapseWeightWarning(UserWarning):
    """A weight that was converted to a whole number of CAM entries (shown, never silent)."""


class InvalidNeuronError(DynapseError, ValueError):
    """A neuron id outside its core/chip/board, or a neuron that was never allocated."""


class InvalidSettingError(DynapseError, ValueError):
    """A setting outside its valid values (input rate, spike times, duration, mismatch...)."""


class DynapseNeuronZeroWarning(UserWarning):
    """Neuron 0 of a core used as a source: every unused CAM entry listens to it."""


class DynapseChipDirectionWarning(UserWarning):
    """A connection from a left chip (0, 2) to a right chip (1, 3): INI's netgen warns of it."""


class SamnaStandInError(DynapseError, RuntimeError):
    """The samna stand-in cannot do what was asked (a real samna is loaded, no such device)."""


class RealTimeRunningError(DynapseError, RuntimeError):
    """``model.run(duration)`` called while the model follows the wall clock (stop it first)."""


class RealTimeLagWarning(RuntimeWarning):
    """The real-time worker runs behind the wall clock: spikes arrive late (none is dropped)."""


# --------------------------------------------------------------------------- Loihi
class LoihiError(DynsimError):
    """Base class of errors of the emulated Loihi."""


class RegisterRangeError(LoihiError, ValueError):
    """A parameter outside the range of the Loihi register that holds it."""


class UnknownConventionError(LoihiError, ValueError):
    """An arithmetic convention other than 'silicon', 'lava' and 'brian2_loihi'."""


class LearningRuleError(LoihiError, ValueError):
    """A learning rule string ``dw`` outside the grammar Loihi accepts."""


class LoihiNetworkError(LoihiError, RuntimeError):
    """A network use the emulated chip does not support (e.g. changing its time step)."""


class SpikeInputError(LoihiError, ValueError):
    """Spike input a Loihi spike generator cannot play (not whole steps, out of range, repeated)."""


# --------------------------------------------------------------------------- sweeps
class SweepError(DynsimError, ValueError):
    """A sweep set up wrongly (a function that is not callable, a bad option, a results path)."""


class SweepGridError(SweepError):
    """A sweep grid that is malformed, too large, or names a parameter the function lacks."""


class SchedulerError(SweepError, ConnectionError):
    """A Dask scheduler address that is malformed or does not answer in time."""
