"""pytest set-up for ``pytest exercises/solutions`` (nbval), also when run on its own.

The notebook kernels that nbval starts inherit this environment: short course simulations run
on Brian2's numpy target in the test suite (no compile wait on a cold CI cache); students get
dynsim's default engine. Stored outputs are rounded so that both agree.
"""

import os

os.environ.setdefault("DYNSIM_ENGINE", "numpy")
