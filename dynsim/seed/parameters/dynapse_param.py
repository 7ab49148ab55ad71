"""``dynapse_param``: the dynapse-simulator's default parameter dictionary, by its names.

Replaces the seed's ``from parameters.dynapse_param import *``. The dictionary is a copy of
:data:`dynsim.dynapse.seed.SEED_PARAMETERS` (the single source); every key is accepted by
``chip.set_bias`` (see :func:`dynsim.dynapse.biases.resolve_biases`), so a notebook can pass it,
or a modified copy, as the seed does.

Examples
--------
>>> from dynsim.seed.parameters.dynapse_param import dynapse_param
>>> dynapse_param["alpha_ahp"], dynapse_param["Isoma_ahp_w"]
(4, 1. * pamp)
"""

from __future__ import annotations

from dynsim.dynapse.seed import SEED_PARAMETERS

__all__ = ["dynapse_param"]

#: The seed's default parameters (a copy: changing it changes no chip).
dynapse_param: dict = dict(SEED_PARAMETERS)
