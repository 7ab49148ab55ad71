"""Drop-in imports for the dynapse-simulator course: change only the import lines.

A notebook written for the dynapse-simulator (``YigitDemirag/dynapse-simulator``) imports::

    from DynapSE import DynapSE
    from equations.dynapse_eq import *
    from parameters.dynapse_param import *

On dynsim the same notebook imports::

    from dynsim.seed import DynapSE
    from dynsim.seed.equations.dynapse_eq import *
    from dynsim.seed.parameters.dynapse_param import *

and runs with the seed's names (``set_bias({"Isoma_ahp_tau": 1*pA, "alpha_ahp": 2},
'Core_1')``) and the seed's defaults (:func:`dynsim.dynapse.seed.seed_preset`) on every core.
``DynapSE`` here is :class:`dynsim.dynapse.seed.SeedDynapSE`; the rest of the notebook
(``sys.path.append('..')``, Brian2's ``from brian2 import *``, matplotlib,
``set_device('cpp_standalone')``: the project is built in dynsim's cache directory) stays as
it is.

Examples
--------
>>> from brian2 import Network, pA
>>> from dynsim.seed import DynapSE
>>> chip = DynapSE(Network(), engine="numpy", name="seedpkg")
>>> chip.set_bias({"Isoma_ahp_tau": 1 * pA, "alpha_ahp": 2}, "Core_1")
"""

from __future__ import annotations

from dynsim.dynapse.seed import SeedDynapSE as DynapSE

__all__ = ["DynapSE"]
