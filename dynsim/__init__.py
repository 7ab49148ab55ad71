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

from typing import Any

from dynsim import errors
from dynsim._paths import cache_dir

__all__ = ["__version__", "cache_dir", "errors"]


def __getattr__(name: str) -> Any:
    """Return ``__version__``, read from the installed metadata when first asked for.

    Reading it scans the installed distributions (tens of milliseconds), which every import
    of dynsim (a kernel's first plot among them) would otherwise pay.
    """
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("dynsim")
    except PackageNotFoundError:  # running from a source tree that is not installed
        value = "0.1.0"
    globals()["__version__"] = value
    return value
