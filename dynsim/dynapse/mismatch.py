"""Device mismatch: seeded per-neuron spread of the bias currents (off by default).

On silicon two transistors biased by the same voltage do not carry the same current: the
currents of "identical" circuits spread by roughly 10-20 % between neurons. dynsim can
emulate this with a multiplicative factor per neuron and per bias, drawn once from a
lognormal (default) or Gaussian distribution. The factor of a neuron depends only on the
seed and on the neuron's global id, so it is the same whichever order neurons are
allocated in, in every layer (beginner chip, samna model, :class:`~dynsim.dynapse.Experiment`).

Examples
--------
>>> from dynsim.dynapse.mismatch import Mismatch
>>> m = Mismatch(sigma=0.2, seed=1)
>>> f = m.factors([0, 1, 2])
>>> f.shape
(3, 25)
>>> bool((m.factors([0, 1, 2]) == f).all())
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dynsim.dynapse.biases import BIAS_NAMES
from dynsim.dynapse.constants import MISMATCH_SIGMA_MAX
from dynsim.dynapse.physics import MISMATCH_SIGMA
from dynsim.errors import InvalidSettingError
from dynsim.validation import choice, finite_number, whole_number

__all__ = ["Mismatch", "mismatch_factors"]


@dataclass(frozen=True)
class Mismatch:
    """Seeded per-neuron spread of every bias current.

    Parameters
    ----------
    sigma : float
        Relative spread (0.1 = 10 %; at most ``MISMATCH_SIGMA_MAX`` = 1): the sigma of
        ``log(factor)`` for ``'lognormal'``, the standard deviation of the factor for
        ``'gaussian'`` (factors clipped at 0.05).
    seed : int
        Seed of the draw: the same seed gives the same chip.
    distribution : str
        ``'lognormal'`` (default; factors stay positive) or ``'gaussian'``.
    """

    sigma: float = MISMATCH_SIGMA
    seed: int = 0
    distribution: str = "lognormal"

    def __post_init__(self) -> None:
        finite_number(self.sigma, "mismatch sigma", low=0, high=MISMATCH_SIGMA_MAX,
                      error=InvalidSettingError)
        whole_number(self.seed, "mismatch seed", low=0, high=2**64 - 1, error=InvalidSettingError)
        choice(self.distribution, "mismatch distribution", ("lognormal", "gaussian"),
               error=InvalidSettingError)

    def factors(self, global_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Return the factors of the given neurons, shape ``(len(global_ids), 25)``.

        Columns follow :data:`dynsim.dynapse.biases.BIAS_NAMES`.
        """
        ids = np.asarray(global_ids, dtype=np.int64).reshape(-1)
        out = np.empty((len(ids), len(BIAS_NAMES)))
        for row, gid in enumerate(ids):
            rng = np.random.default_rng([int(self.seed), int(gid)])
            draw = rng.standard_normal(len(BIAS_NAMES))
            if self.distribution == "lognormal":
                out[row] = np.exp(self.sigma * draw)
            else:
                out[row] = np.maximum(1.0 + self.sigma * draw, 0.05)
        return out


def mismatch_factors(mismatch: Mismatch | None, global_ids: Sequence[int] | np.ndarray
                     ) -> np.ndarray:
    """Return mismatch factors, or ones when ``mismatch`` is ``None`` (no mismatch)."""
    if mismatch is None:
        return np.ones((len(np.asarray(global_ids).reshape(-1)), len(BIAS_NAMES)))
    return mismatch.factors(global_ids)
