"""Seeded, counter-based random numbers for stochastic rounding (traces and learning).

Loihi rounds trace decays and weight updates stochastically. brian2-loihi draws these
numbers from Brian2's global ``rand()``: results then depend on every other random draw in
the kernel, differ between the numpy and Cython engines, and cannot be replayed after a
``restore()``. dynsim instead computes each random number from a counter:

    r = H(key, step, synapse, stream)      # an integer in 0 .. 2**30 - 1

where ``key`` mixes the network's ``seed`` with a checksum of the synapse object's name,
``step`` is the time step, ``synapse`` the synapse's index and ``stream`` tells the five
traces and the weight update apart. ``H`` uses only integer ``+ * %`` (operations Brian2
generates identically for numpy and Cython): each input is added to the state, which is
then mixed by two rounds of ``h = (h * h + c) % P`` with the prime ``P = 2**31 - 1`` (squaring
modulo a prime is not linear, so neighbouring synapses and steps get unrelated numbers;
``h * h < 2**62`` fits int64 and every constant fits a C ``int``). Consequences: a run is
reproducible from its seed, identical in numpy and Cython, independent of any other
randomness, and re-running from a restored state replays it.

A draw rounds a fraction ``r_num / r_den`` up when ``r * r_den < r_num * 2**30``, i.e. with
probability ``r_num / r_den`` (exact for power-of-two denominators up to 2**30).

Examples
--------
>>> import numpy as np
>>> from dynsim.loihi.rng import uniform32
>>> r = uniform32(key=1, step=np.arange(3), index=0, stream=0)
>>> r.dtype, bool(np.all((0 <= r) & (r < 2**30)))
(dtype('int64'), True)
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "PRIME",
    "RANGE",
    "STREAMS",
    "code_base",
    "code_stream",
    "mix_key",
    "uniform32",
]

#: The modulus of the mixing rounds (2**31 - 1, a prime; squares stay below 2**62).
PRIME = (1 << 31) - 1
#: Random numbers are uniform in ``0 .. RANGE - 1``.
RANGE = 1 << 30
#: Stream number of each use.
STREAMS = {"dw": 0, "x1": 1, "x2": 2, "y1": 3, "y2": 4, "y3": 5}
# multipliers of the counters and the constants of the mixing rounds (all < 2**31)
_STEP_MUL, _INDEX_MUL, _STREAM_MUL, _SALT_MUL = 40503, 69069, 1234567, 65539
_ROUNDS = {"key": (12345, 1013904223), "step": (2345, 362436069),
           "index": (98765, 521288629), "stream": (7, 88675123)}


def _round(x: np.ndarray, which: str) -> np.ndarray:
    for c in _ROUNDS[which]:
        x = (x * x + c) % PRIME
    return x


def mix_key(seed: int, salt: int) -> int:
    """Return the per-object key from the network seed and the object's name checksum."""
    x = np.int64((int(seed) % PRIME + (int(salt) % PRIME) * _SALT_MUL) % PRIME)
    return int(_round(x, "key"))


def uniform32(key: int, step: np.ndarray | int, index: np.ndarray | int,
              stream: int) -> np.ndarray:
    """Return the random integers ``H(key, step, index, stream)`` (numpy version).

    Parameters
    ----------
    key : int
        :func:`mix_key` of the seed and the synapse object.
    step : int or numpy.ndarray
        Time step(s).
    index : int or numpy.ndarray
        Synapse index(es).
    stream : int
        One of :data:`STREAMS`.

    Returns
    -------
    numpy.ndarray of int64
        Values in ``0 .. 2**30 - 1``.
    """
    step = np.asarray(step, dtype=np.int64)
    index = np.asarray(index, dtype=np.int64)
    h = _round((np.int64(key) + step * _STEP_MUL) % PRIME, "step")
    h = _round((h + index * _INDEX_MUL) % PRIME, "index")
    h = _round((h + (stream * _STREAM_MUL) % PRIME) % PRIME, "stream")
    return h % RANGE


def _round_code(var: str, which: str) -> list[str]:
    return [f"{var} = ({var} * {var} + {c}) % {PRIME}" for c in _ROUNDS[which]]


def code_base(var: str, key: str, step: str, index: str) -> tuple[str, str]:
    """Return Brian2 abstract code computing the per-(step, synapse) state into ``var``.

    Returns ``(scalar_code, vector_code)``: Brian2 wants every write to a per-step (scalar)
    temporary before the first per-synapse write, so the caller places them accordingly.
    """
    scalar = [f"{var}_step = ({key} + {step} * {_STEP_MUL}) % {PRIME}",
              *_round_code(f"{var}_step", "step")]
    vector = [f"{var} = ({var}_step + {index} * {_INDEX_MUL}) % {PRIME}",
              *_round_code(var, "index")]
    return "\n".join(scalar), "\n".join(vector)


def code_stream(var: str, base: str, stream: int) -> str:
    """Return Brian2 abstract code computing random number ``stream`` of ``base`` in ``var``."""
    lines = [f"{var} = ({base} + {(stream * _STREAM_MUL) % PRIME}) % {PRIME}",
             *_round_code(var, "stream"), f"{var} = {var} % {RANGE}"]
    return "\n".join(lines)
