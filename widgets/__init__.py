"""Live lab widgets: bias panels, input panels and Bokeh scopes over the dynsim emulators.

Where this package lives: the top-level folder ``widgets/`` of the repository is installed
as the subpackage ``dynsim.widgets`` (``pyproject.toml``, ``[tool.setuptools.package-dir]``
maps ``"dynsim.widgets" = "widgets"``). It stays a folder of its own because it is the
Jupyter layer (ipywidgets, Bokeh, jupyter_bokeh) and the product card asks for ``widgets/``;
it is installed under ``dynsim`` so that notebooks write ``from dynsim.widgets import
DynapseLab``. The dependency goes one way only: ``dynsim`` (the emulator library) never
imports ``dynsim.widgets`` (a test checks it), so the library runs without Jupyter.

One line in a notebook gives a bench::

    from dynsim.widgets import DynapseLab
    lab = DynapseLab()
    lab

    from dynsim.widgets import LoihiLab
    lab = LoihiLab()                       # or LoihiLab(network, neurons=ng, synapses=syn)
    lab

Public names
------------
DYNAP-SE (:mod:`dynsim.widgets.dynapse`: the lab; the parts in their own modules)
    :class:`DynapseLab` (the composed bench), :class:`BiasPanel`
    (:mod:`~dynsim.widgets.dynapse_biases`; its files: :mod:`~dynsim.widgets.bias_files`),
    :class:`InputPanel` (:mod:`~dynsim.widgets.dynapse_inputs`), :class:`CurrentScope`
    (:mod:`~dynsim.widgets.dynapse_scope`).
Loihi (:mod:`dynsim.widgets.loihi`: the lab; the parts in their own modules)
    :class:`LoihiLab` (the composed bench; :meth:`LoihiLab.from_float` for the float-vs-Loihi
    overlay), :class:`TraceScope` (:mod:`~dynsim.widgets.loihi_scope`), :func:`param_range`
    (:mod:`~dynsim.widgets.loihi_params`: ranges and the parameter panel; what a bench
    simulates: :mod:`~dynsim.widgets.loihi_models`), :func:`demo_network`.
Shared infrastructure (for every bench, DYNAP-SE and Loihi)
    :class:`Bench` (base bench: worker, status line, error box, ``wait``/``run``/``close``),
    :class:`StatusArea`, :class:`Host` / :class:`DirectHost` (who applies a panel's changes),
    :class:`BokehScope` (base scope: thread-safe data updates, fresh snapshot for each new
    view), :func:`decimate`, :func:`load_bokehjs`, :class:`LatestWinsRunner`, :func:`kernel_thread`,
    :func:`simulation_lock`; :mod:`~dynsim.widgets._lifecycle` (close every widget a bench
    made; a cell run again closes the bench it made before).

Imports go one way: ``_lifecycle`` and ``_worker`` <- ``_bokeh`` <- ``bench`` <- panels and
scopes <- labs (``tests/widgets/test_widget_hardening.py`` checks there is no cycle).

Adding a bench for another chip (the Loihi ``TraceScope`` / ``LoihiLab`` were added this way)
--------------------------------------------------------------------------------------------
* Scope: subclass :class:`BokehScope`; build the Bokeh layout in ``_build_root`` with a
  ``ColumnDataSource(name="dynsim-loihi-traces")``, controls in ``_build_controls``; update
  with ``self.assign(source, data)`` (any thread; decimate with :func:`decimate`); swap a
  figure with ``self.replace(index, figure)``. New views get fresh snapshots by themselves.
* Panels: take a ``host`` (:class:`Host`); observers call ``host.request({key: value})``
  wrapped in ``host.guard``; programmatic control updates go inside ``host.quiet()``; give
  each control its CSS class (``dynsim-param-<name>``). Without a bench, use a
  :class:`DirectHost` (applies at once, own status line and error box).
* Bench: subclass :class:`Bench`; implement ``_snapshot``/``_restore``, ``_apply(changes)``
  (through the model's validated calls), ``_sync_controls``, ``_simulate`` (report progress
  with ``self.status.progress(fraction)``, stream with ``scope.assign``), ``_show``; lay out
  with ``self.set_children([... self.status.line, scope.widget, self.status.error, ...])``;
  build anything that changes Brian2's device on the caller's thread in ``__init__`` (under
  :func:`simulation_lock`) and end ``__init__`` with ``self.request()``.

See ARCHITECTURE.md, "From a slider to a plot", for the path of a slider change.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._bokeh import BokehScope, decimate, format_current, format_time, in_kernel, load_bokehjs
from ._worker import LatestWinsRunner, Outcome, kernel_thread, simulation_lock
from .bench import Bench, DirectHost, Host, StatusArea
from .dynapse import CURRENTS, DEFAULT_INPUTS, BiasPanel, CurrentScope, DynapseLab, InputPanel

#: Names imported from their module when first used (``from dynsim.widgets import LoihiLab``
#: works as before): a DYNAP-SE bench does not pay for the Loihi emulator and the sweep plots
#: (issue 15, the first plot sooner; ``tests/test_import_cost.py`` keeps them off its path).
_LAZY: dict[str, str] = {
    "LoihiLab": "loihi",
    "TraceScope": "loihi",
    "demo_network": "loihi",
    "param_range": "loihi",
    "SweepProgress": "sweep_plots",
    "sweep_curve": "sweep_plots",
    "sweep_heatmap": "sweep_plots",
    "sweep_histogram": "sweep_plots",
}


def __getattr__(name: str) -> Any:
    """Import a lazily re-exported name (:data:`_LAZY`) from its module on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "CURRENTS",
    "DEFAULT_INPUTS",
    "Bench",
    "BiasPanel",
    "BokehScope",
    "CurrentScope",
    "DirectHost",
    "DynapseLab",
    "Host",
    "InputPanel",
    "LatestWinsRunner",
    "LoihiLab",
    "Outcome",
    "StatusArea",
    "SweepProgress",
    "TraceScope",
    "decimate",
    "demo_network",
    "format_current",
    "format_time",
    "in_kernel",
    "kernel_thread",
    "load_bokehjs",
    "param_range",
    "simulation_lock",
    "sweep_curve",
    "sweep_heatmap",
    "sweep_histogram",
]
