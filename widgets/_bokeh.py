"""Bokeh in the benches: inline BokehJS, thread-safe live figures, decimation, number formats.

Everything here is shared by the DYNAP-SE and the Loihi scopes:

* :func:`load_bokehjs` loads BokehJS INLINE (no CDN: labs run offline) once per kernel, before
  the first ``jupyter_bokeh.BokehModel`` is displayed. Outside a kernel (tests, scripts) it does
  nothing.
* :class:`BokehScope` is the base of every scope: a Bokeh layout shown through a
  ``BokehModel`` widget, whose data sources may be assigned from the bench's worker thread.
  A ``BokehModel`` keeps the snapshot of the document taken when it was created and sends
  later changes only to views that exist; a view created later (Voila renders the page after
  the notebook ran; a reloaded JupyterLab page; the bench shown again) would show that stale
  snapshot. The scope counts its views (ipywidgets ``_view_count``) and sends a fresh
  snapshot when a new view appears and the document changed since the last one; a bench
  being displayed takes a fresh snapshot first (:func:`freshen_scopes`). So the data may be
  assigned before any view exists (headless runs never wait for a view), and a first plot
  whose data is there when the bench is displayed is drawn once.
* :func:`decimate` picks at most about ``max_points`` samples of a trace that keep its
  peaks (spikes survive), so each update sends a few thousand numbers.

Examples
--------
>>> import numpy as np
>>> t = np.arange(10_000)
>>> spiky = np.zeros(10_000); spiky[1234] = 5.0
>>> keep = decimate(10_000, [spiky], max_points=300)
>>> len(keep) <= 300 and 1234 in keep
True
>>> format_current(4.12e-11), format_time(0.0142)
('41.2 pA', '14.2 ms')
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from ipywidgets import DOMWidget, HBox, Layout, SelectMultiple, VBox, Widget
from jupyter_bokeh.widgets import BokehModel

from ._lifecycle import close_tree, in_kernel

__all__ = [
    "BokehScope",
    "decimate",
    "format_current",
    "format_time",
    "freshen_scopes",
    "in_kernel",
    "load_bokehjs",
]

_LOADED = {"kernel": None}


def load_bokehjs(force: bool = False) -> bool:
    """Load BokehJS inline into the notebook page, once per kernel.

    Calls ``bokeh.io.output_notebook(INLINE, hide_banner=True)`` the first time a scope is
    made in a kernel (BokehJS from a CDN fails offline). The script lands in the output of the
    cell that makes the first scope. Outside a kernel nothing happens. When the notebook has
    loaded BokehJS inline itself in this kernel (the exercises' setup cells call
    ``output_notebook(INLINE)``), it is not sent again: the 3.9 MB script, sent twice in one
    message (for the classic notebook and for JupyterLab), would cost the kernel and the page
    a few hundred milliseconds before the first plot.

    Parameters
    ----------
    force : bool
        Load again (e.g. after the outputs that carried BokehJS were cleared and the page
        reloaded without restarting the kernel).

    Returns
    -------
    bool
        Whether BokehJS was sent now.

    Examples
    --------
    >>> load_bokehjs()  # in a plain Python process: nothing to do
    False
    """
    if not in_kernel():
        return False
    from IPython import get_ipython

    kernel = id(get_ipython().kernel)
    if (_LOADED["kernel"] == kernel or _inline_bokehjs_loaded()) and not force:
        _LOADED["kernel"] = kernel
        return False
    from bokeh.io import output_notebook
    from bokeh.resources import INLINE

    output_notebook(INLINE, hide_banner=True)
    _LOADED["kernel"] = kernel
    return True


def _inline_bokehjs_loaded() -> bool:
    """Return whether ``output_notebook`` has loaded BokehJS inline in this process.

    Read from Bokeh's own record of the last ``load_notebook`` (``bokeh.io.notebook``); a
    load from a CDN does not count (it fails offline), nor does one without the main bundle.
    """
    import sys

    notebook = sys.modules.get("bokeh.io.notebook")
    resources = getattr(notebook, "_NOTEBOOK_LOADED", None)
    return (resources is not None and getattr(resources, "mode", None) == "inline"
            and "bokeh" in getattr(resources, "components", ()))


# --------------------------------------------------------------------------- numbers
_PREFIXES = ((1e-15, "f"), (1e-12, "p"), (1e-9, "n"), (1e-6, "µ"), (1e-3, "m"), (1.0, ""))


def _format_si(value: float, unit: str) -> str:
    if value == 0 or not math.isfinite(value):
        return f"{value:g} {unit}"
    magnitude = abs(value)
    scale, prefix = _PREFIXES[0]
    for candidate, name in _PREFIXES:
        if magnitude >= candidate * 0.9995:
            scale, prefix = candidate, name
    return f"{value / scale:.3g} {prefix}{unit}"


def format_current(amperes: float) -> str:
    """Return a current in amperes as text with an SI prefix (``'41.2 pA'``).

    Examples
    --------
    >>> format_current(2e-9)
    '2 nA'
    """
    return _format_si(float(amperes), "A")


def format_time(seconds: float) -> str:
    """Return a duration in seconds as text with an SI prefix (``'14.2 ms'``).

    Examples
    --------
    >>> format_time(1.0), format_time(3.5e-4)
    ('1 s', '350 µs')
    """
    return _format_si(float(seconds), "s")


# --------------------------------------------------------------------------- decimation
def decimate(n_samples: int, keys: Sequence[np.ndarray], max_points: int = 2000) -> np.ndarray:
    """Return sorted indices of at most about ``max_points`` samples that keep the peaks.

    The samples are cut into equal buckets; from each bucket the first sample and, of every
    key trace, the sample of its minimum and of its maximum are kept (min-max decimation), so a
    spike one sample wide survives. All traces of a data source are then taken at the same
    indices (they share one time column).

    Parameters
    ----------
    n_samples : int
        Length of the traces.
    keys : sequence of numpy.ndarray
        Traces (each of length ``n_samples``) whose extremes must survive, e.g. the membrane
        current of each plotted neuron.
    max_points : int
        Target number of samples (at least 10).

    Returns
    -------
    numpy.ndarray
        Sorted unique indices, including the first and the last sample.

    Examples
    --------
    >>> decimate(5, [], max_points=100).tolist()
    [0, 1, 2, 3, 4]
    """
    if n_samples <= max(max_points, 1):
        return np.arange(n_samples)
    per_bucket = 1 + 2 * len(keys)
    n_buckets = max(1, max(max_points, 10) // per_bucket)
    size = math.ceil(n_samples / n_buckets)
    full = (n_samples // size) * size
    parts = [np.arange(0, n_samples, size), np.array([n_samples - 1])]
    base = np.arange(full // size) * size
    for key in keys:
        trace = np.asarray(key).reshape(-1)
        if full:
            blocks = trace[:full].reshape(-1, size)
            parts += [base + blocks.argmin(axis=1), base + blocks.argmax(axis=1)]
        if full < n_samples:
            tail = trace[full:]
            parts.append(np.array([full + tail.argmin(), full + tail.argmax()]))
    return np.unique(np.concatenate(parts))


# --------------------------------------------------------------------------- scope base
def freshen_scopes(widget: Widget) -> int:
    """Give every scope inside ``widget`` a current snapshot before it is displayed.

    Its view is then drawn once, with the data it has now, instead of from the snapshot
    taken when the scope was made and again when the view appears. Returns how many
    snapshots were sent.
    """
    sent, stack = 0, [widget]
    while stack:
        item = stack.pop()
        if isinstance(item, _BokehModel):
            sent += item.freshen()
        stack.extend(getattr(item, "children", ()))
    return sent


class _BokehModel(BokehModel):
    """``jupyter_bokeh.BokehModel`` that knows whether its snapshot is stale; closes twice.

    The page draws a view from the model's snapshot (``render_bundle``) and then applies the
    changes sent to it; a change made while no view exists reaches no view. ``stale`` is true
    once the document changed after the snapshot was taken (any change, also one made in the
    page such as a pan, so that a later view gets it too). Then :meth:`freshen` takes a new
    snapshot: a new view gets one (every view is drawn again from it), and so does a bench
    being displayed (:func:`freshen_scopes`), before any view exists. A view made from a
    current snapshot needs nothing more: the first plot of a bench whose data arrived before
    it was displayed is drawn once, not twice (about half a second of the page's time:
    ``benchmarks/levers.md``, "First plot (5)").

    A new view is not caught up with data changes alone: jupyter_bokeh's view reads a
    change in parts (header, metadata, content, buffers) through one receiver, and parts of
    a change sent while the view was being made would garble every later change, while a
    snapshot is read whole.

    ipywidgets closes a widget again when it is garbage-collected; jupyter_bokeh 4.1 then
    raises ``KeyError`` (its callback is gone already).
    """

    def __init__(self, model: Any, *, lock: threading.RLock, **kwargs: Any) -> None:
        self._snapshot_lock = lock
        self.stale = False
        super().__init__(model, **kwargs)

    def update_from_model(self, model: Any) -> None:
        """Take a fresh snapshot of ``model``'s document (sent to the page's model)."""
        super().update_from_model(model)
        self.stale = False

    def _document_patched(self, event: Any) -> None:
        self.stale = True
        super()._document_patched(event)

    def freshen(self) -> bool:
        """Take a new snapshot if the document changed since the last; return whether."""
        with self._snapshot_lock:
            if not self.stale:
                return False
            self.update_from_model(self._model)
            return True

    def close(self) -> None:
        document = self._document
        DOMWidget.close(self)
        if document is not None:
            with contextlib.suppress(KeyError):
                document.remove_on_change(self)


class BokehScope:
    """Base of the live scopes: a Bokeh layout in a ``BokehModel``, updated from any thread.

    A subclass builds its Bokeh layout in :meth:`_build_root` (named data sources, figures)
    and its ipywidgets controls in :meth:`_build_controls`; it updates data only through
    :meth:`assign` (one lock for every document change, so a worker thread and the kernel's
    main thread never interleave Bokeh's patch messages) and swaps a figure with
    :meth:`replace`.

    Parameters
    ----------
    max_points : int
        Target number of samples per trace sent to the browser (see :func:`decimate`).

    Attributes
    ----------
    model : jupyter_bokeh.BokehModel
        The widget that shows the Bokeh layout.
    widget : ipywidgets.VBox
        Controls (if any) above the plot.
    updates : int
        Number of data assignments so far (tests and benchmarks wait on it).

    Examples
    --------
    >>> from bokeh.models import ColumnDataSource
    >>> from bokeh.plotting import figure
    >>> class Scope(BokehScope):
    ...     def _build_root(self):
    ...         self.source = ColumnDataSource({"x": [], "y": []}, name="demo")
    ...         fig = figure(height=200, width=300)
    ...         fig.line("x", "y", source=self.source)
    ...         return fig
    >>> scope = Scope()
    >>> scope.assign(scope.source, {"x": [0, 1], "y": [1, 0]})
    >>> scope.updates, list(scope.source.data["y"])
    (1, [1, 0])
    """

    def __init__(self, *, max_points: int = 2000) -> None:
        load_bokehjs()
        self.max_points = int(max_points)
        self._lock = threading.RLock()
        self._updated = threading.Condition(self._lock)
        self.updates = 0
        self.last_update: float | None = None
        self._root = self._build_root()
        # Count the views (JupyterLab, Voila): a new view gets a fresh snapshot if needed.
        self.model = _BokehModel(self._root, lock=self._lock, _view_count=0)
        self.model.add_class("dynsim-scope")
        self.model.observe(self._views_changed, names="_view_count")
        controls = self._build_controls()
        children: list[Widget] = []
        if controls:
            children.append(HBox(controls, layout=Layout(flex_flow="row wrap",
                                                         align_items="center")))
        children.append(self.model)
        self.widget = VBox(children)

    # ------------------------------------------------------------------ subclass hooks
    def _build_root(self) -> Any:
        """Return the Bokeh layout (a ``LayoutDOM``) to show; called once."""
        raise NotImplementedError

    def _build_controls(self) -> list[Widget]:
        """Return the ipywidgets controls shown above the plot (default: none)."""
        return []

    def _index_picker(self, setting: str, options: list[Any], value: Sequence[int], *,
                      rows: int, width: str) -> SelectMultiple:
        """Return a control that chooses the indices of the property ``setting``.

        A multiple choice described as ``setting``, with the CSS class
        ``dynsim-scope-<setting>``; a change sets the property, an empty choice is ignored
        (a scope always draws something).
        """
        picker = SelectMultiple(options=options, value=value, rows=rows, description=setting,
                                layout=Layout(width=width))
        picker.add_class(f"dynsim-scope-{setting}")
        picker.observe(lambda change: change["new"] and setattr(self, setting, change["new"]),
                       names="value")
        return picker

    # ------------------------------------------------------------------ updates
    def assign(self, source: Any, data: dict[str, Any]) -> None:
        """Replace the data of ``source`` (any thread); counts as one update."""
        with self._lock:
            source.data = data
            self.updates += 1
            self.last_update = time.perf_counter()
            self._updated.notify_all()

    def replace(self, index: int, model: Any) -> None:
        """Put ``model`` in place of child ``index`` of the root layout (e.g. a new figure)."""
        with self._lock:
            children = list(self._root.children)
            children[index] = model
            self._root.children = children

    def resync(self) -> None:
        """Send a fresh snapshot of the whole document to every view (re-renders them).

        A new view gets one by itself when the document changed since the last snapshot.
        """
        with self._lock:
            self.model.update_from_model(self._root)

    def wait_for_update(self, after: int, timeout: float | None = None) -> bool:
        """Block until :attr:`updates` exceeds ``after``; return ``False`` on timeout."""
        with self._updated:
            return self._updated.wait_for(lambda: self.updates > after, timeout)

    def _views_changed(self, change: dict[str, Any]) -> None:
        if (change["new"] or 0) > (change["old"] or 0):
            self.model.freshen()

    @property
    def root(self) -> Any:
        """The Bokeh layout shown (for reading; change it through :meth:`replace`)."""
        return self._root

    def close(self) -> None:
        """Close the widgets (their views disappear)."""
        if getattr(self, "_closed", False):
            return
        self._closed = True
        self.model.unobserve(self._views_changed, names="_view_count")
        close_tree(self.widget)
