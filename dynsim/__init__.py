"""dynsim: a teaching lab for neuromorphic engineering.

Two emulated chips on Brian2, programmed through the calls of their real tool chains:

* :mod:`dynsim.dynapse`: the mixed-signal DYNAP-SE1 (SynSense/INI) with its analog DPI neuron
  and synapse circuits (Chicca et al. 2014), programmed through a SAMNA-shaped API;
* :mod:`dynsim.loihi`: Intel's digital Loihi (Davies et al. 2018), bit for bit in its
  fixed-point arithmetic.

The Jupyter front (bias panels, live Bokeh scopes) is :mod:`dynsim.widgets`, shipped from the
repository's ``widgets/`` folder; the emulator core never imports it and needs no Jupyter
package.

Examples
--------
>>> import dynsim
>>> dynsim.__version__
'0.1.0'
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from dynsim import errors
from dynsim._paths import cache_dir

try:
    __version__ = version("dynsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"

__all__ = ["__version__", "cache_dir", "errors"]
