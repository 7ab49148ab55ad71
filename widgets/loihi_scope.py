"""Loihi trace scope: v with the threshold and spikes, u, synaptic traces and weights.

Every number drawn is read from the network's monitors (int64, bit for bit what the emulated
chip computed) or, in float mode, from a :class:`dynsim.loihi.FloatLoihiComparison`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from ipywidgets import Widget

from dynsim.errors import LoihiNetworkError
from dynsim.validation import whole_numbers

from ._bokeh import BokehScope, decimate
from .loihi_params import _TRACE_NAMES

__all__ = ["TraceScope"]

_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf")
_DASHES = ("solid", "dashed", "dotted", "dotdash")
_FLOAT_COLOR, _LOIHI_COLOR, _ERROR_COLOR = "#1f77b4", "#ff7f0e", "#d62728"
#: Height (px) the figures of a TraceScope with more than two share (v gets half): with the
#: legends, the step axis and the bench's controls, the bench stays within ~900 px.
_STACK_HEIGHT = 340
#: The most indices a neuron or synapse choice takes.
_MAX_INDICES = 100_000


# --------------------------------------------------------------------------- scope
@dataclass
class _Panel:
    """One figure of a TraceScope: which traces it draws."""

    key: str
    label: str
    variables: tuple[str, ...]
    per: str = "neuron"  # "neuron" or "synapse"
    height: int = 150


class TraceScope(BokehScope):
    """Live Bokeh plot of Loihi traces: v with the threshold and spikes, u, traces, weights.

    Draws integer traces of chosen neurons (``v``, ``u``) and synapses (``x1``, ``x2``,
    ``y1``, ``y2``, ``y3``, ``w``) from a dict of recorded arrays (what
    :attr:`LoihiLab.traces` holds), one figure each, on a shared step axis. The v figure
    carries the threshold line and a marker at each spike. In ``mode='float'`` the v figure
    overlays a float model's v and the Loihi v scaled back to model units, with the error
    (Loihi minus float) beneath.

    Data sources: ``ColumnDataSource(name="dynsim-loihi-traces")`` (columns ``t`` and
    ``<var>_<neuron>``, e.g. ``v_0``, or ``<var>_s<synapse>``, e.g. ``x1_s3``; float mode
    ``v_float_<k>``, ``v_loihi_scaled_<k>``, ``v_error_<k>``), ``"dynsim-loihi-spikes"``
    (``t``, ``neuron``, ``y``), ``"dynsim-float-spikes"`` (float mode) and
    ``"dynsim-loihi-threshold"``. Traces are decimated to about ``max_points`` samples
    (extremes kept). :meth:`show` may be called from any thread, also with partial data
    while a run streams.

    Parameters
    ----------
    neurons : sequence of int
        Neurons drawn (indices into the group).
    mode : {'loihi', 'float'}
        Integer traces, or the float-vs-Loihi overlay.
    variables : sequence of str
        Neuron variables drawn in ``'loihi'`` mode (``'v'``, ``'u'``).
    recorded : sequence of int, optional
        Neurons that may be chosen (a picker appears for more than one); default
        ``neurons``.
    synapses : sequence of int
        Synapses whose traces / weights are drawn.
    recorded_synapses : sequence of int, optional
        Synapses that may be chosen; default ``synapses``.
    synapse_labels : mapping, optional
        Legend text per synapse (default ``'syn k'``).
    traces : sequence of str
        Synapse traces drawn (``'x1'`` ...), one figure.
    weights : bool
        Draw the weight mantissas ``w`` (learning), one figure.
    threshold : float, optional
        Where the threshold line is (units of v; model units in float mode).
    steps : int, optional
        Span of the step axis (default: that of the data).
    units : str
        Unit of v in float mode (axis labels).
    width, height : int
        Width of the figures and height of the v figure in pixels.
    max_points : int
        Samples per trace sent to the browser.

    Examples
    --------
    >>> import numpy as np
    >>> scope = TraceScope(neurons=[0], threshold=640, steps=3)
    >>> scope.show({"t_step": np.arange(3), "neurons": np.array([0]),
    ...             "v": np.array([[100, 700, 0]]), "u": np.array([[50, 50, 50]]),
    ...             "spike_i": np.array([0]), "spike_t": np.array([1])})
    >>> scope.source.data["v_0"].tolist(), scope.spikes.data["t"].tolist()
    ([100, 700, 0], [1])
    >>> scope.threshold_source.data["y"]
    [640.0, 640.0]
    """

    def __init__(self, neurons: Sequence[int] = (0,), *, mode: str = "loihi",
                 variables: Sequence[str] = ("v", "u"), recorded: Sequence[int] | None = None,
                 synapses: Sequence[int] = (), recorded_synapses: Sequence[int] | None = None,
                 synapse_labels: Mapping[int, str] | None = None, traces: Sequence[str] = (),
                 weights: bool = False, threshold: float | None = None,
                 steps: int | None = None, units: str = "model units", width: int = 720,
                 height: int = 230, max_points: int = 2000) -> None:
        if mode not in ("loihi", "float"):
            raise LoihiNetworkError(f"mode must be 'loihi' or 'float', got {mode!r}")
        unknown = [v for v in (*variables, *traces) if v not in ("v", "u", *_TRACE_NAMES)]
        if unknown:
            raise LoihiNetworkError(f"cannot draw {unknown}; neuron variables: v, u; synapse "
                                    f"traces: {', '.join(_TRACE_NAMES)}")
        self.mode = mode
        self._neurons = self._check(neurons, "neurons")
        self.recorded = self._check(recorded if recorded is not None else neurons, "recorded")
        self._synapses = tuple(sorted({int(s) for s in synapses}))
        self.recorded_synapses = tuple(sorted({int(s) for s in (
            recorded_synapses if recorded_synapses is not None else synapses)}))
        self.synapse_labels = dict(synapse_labels or {})
        self.units = units
        self._threshold = threshold
        self._steps = steps
        self._size = (int(width), int(height))
        self._last: Mapping[str, Any] | None = None
        self.panels = self._make_panels(tuple(variables), tuple(traces), bool(weights))
        super().__init__(max_points=max_points)

    @staticmethod
    def _check(indices: Sequence[int], what: str,
               allowed: Sequence[int] | None = None) -> tuple[int, ...]:
        """Return sorted unique indices, each a whole number >= 0 (and in ``allowed``)."""
        if isinstance(indices, str) or not isinstance(indices, Iterable):
            raise LoihiNetworkError(f"{what} must be indices >= 0, e.g. (0, 2); got "
                                    f"{type(indices).__name__}")
        first = list(itertools.islice(indices, _MAX_INDICES + 1))
        values = whole_numbers(first, what, low=0, high=2**31 - 1, max_size=_MAX_INDICES,
                               error=LoihiNetworkError)
        chosen = tuple(sorted({int(k) for k in values.reshape(-1)}))
        if not chosen:
            raise LoihiNetworkError(f"{what} must be indices >= 0, got none")
        if allowed is not None and not set(chosen) <= set(allowed):
            raise LoihiNetworkError(f"{what} {list(chosen)}: only {list(allowed)} are recorded")
        return chosen

    def _make_panels(self, variables: tuple[str, ...], traces: tuple[str, ...],
                     weights: bool) -> list[_Panel]:
        if self.mode == "float":
            return [_Panel("v", f"v ({self.units})", ("v_float", "v_loihi_scaled"),
                           height=self._size[1]),
                    _Panel("error", f"Loihi − float ({self.units})", ("v_error",))]
        panels = []
        if "v" in variables:
            panels.append(_Panel("v", "v (integer)", ("v",), height=self._size[1]))
        if "u" in variables:
            panels.append(_Panel("u", "u (integer)", ("u",)))
        if traces and self._synapses:
            panels.append(_Panel("traces", "traces (7 bit)", traces, per="synapse"))
        if weights and self._synapses:
            panels.append(_Panel("w", "w (mantissa)", ("w",), per="synapse"))
        if not panels:
            raise LoihiNetworkError("nothing to draw: give variables, or synapses with traces "
                                    "or weights")
        if len(panels) > 2:  # the figures share one height budget: the bench fits a screen
            panels[0].height = min(panels[0].height, _STACK_HEIGHT // 2)
            rest = (_STACK_HEIGHT - panels[0].height) // (len(panels) - 1)
            for panel in panels[1:]:
                panel.height = min(panel.height, rest)
        return panels

    # ------------------------------------------------------------------ bokeh
    def _columns(self) -> dict[str, list[float]]:
        data: dict[str, list[float]] = {"t": []}
        for panel in self.panels:
            for col in self._panel_columns(panel):
                data[col] = []
        return data

    def _panel_columns(self, panel: _Panel) -> list[str]:
        if panel.per == "synapse":
            return [f"{var}_s{j}" for var in panel.variables for j in self._synapses]
        return [f"{var}_{k}" for var in panel.variables for k in self._neurons]

    def _build_root(self) -> Any:
        from bokeh.layouts import column
        from bokeh.models import ColumnDataSource, Range1d

        self.source = ColumnDataSource(self._columns(), name="dynsim-loihi-traces")
        self.spikes = ColumnDataSource({"t": [], "neuron": [], "y": []},
                                       name="dynsim-loihi-spikes")
        self.float_spikes = ColumnDataSource({"t": [], "neuron": [], "y": []},
                                             name="dynsim-float-spikes")
        self.threshold_source = ColumnDataSource(self._threshold_data(),
                                                 name="dynsim-loihi-threshold")
        end = float(self._steps) if self._steps else 100.0
        self._x_range = Range1d(0.0, end, bounds=(0.0, None))
        self.figures = self._make_figures()
        return column(*self.figures)

    def _threshold_data(self) -> dict[str, list[float]]:
        if self._threshold is None:
            return {"t": [], "y": []}
        end = float(self._steps) if self._steps else 1e9  # the line spans any data
        return {"t": [0.0, end], "y": [float(self._threshold)] * 2}

    def _make_figures(self) -> list[Any]:
        from bokeh.models import Legend, LegendItem
        from bokeh.plotting import figure

        width = self._size[0]
        figures = []
        for n, panel in enumerate(self.panels):
            last = n == len(self.panels) - 1
            fig = figure(width=width, height=panel.height + (30 if last else 0),
                         x_range=self._x_range, tools="pan,box_zoom,wheel_zoom,reset,save",
                         toolbar_location="right", y_axis_label=panel.label,
                         min_border_left=80, x_axis_label="step (1 ms)" if last else None)
            if not last:
                fig.xaxis.major_label_text_font_size = "0pt"
            items = self._draw(fig, panel)
            if items:
                fig.add_layout(Legend(items=[LegendItem(label=k, renderers=v)
                                             for k, v in items.items()],
                                      orientation="horizontal", click_policy="hide",
                                      label_text_font_size="9pt", spacing=8, padding=2,
                                      margin=2), "above")
            figures.append(fig)
        return figures

    def _draw(self, fig: Any, panel: _Panel) -> dict[str, list[Any]]:
        items: dict[str, list[Any]] = {}
        if panel.per == "synapse":
            for i, j in enumerate(self._synapses):
                color = _PALETTE[i % len(_PALETTE)]
                label = self.synapse_labels.get(j, f"syn {j}")
                for d, var in enumerate(panel.variables):
                    r = fig.line("t", f"{var}_s{j}", source=self.source, color=color,
                                 line_dash=_DASHES[d % len(_DASHES)], line_width=1.5)
                    items.setdefault(label if len(panel.variables) == 1 else
                                     f"{var} {label}", []).append(r)
            return items
        float_mode = self.mode == "float"
        for i, k in enumerate(self._neurons):
            color = _PALETTE[i % len(_PALETTE)]
            for var in panel.variables:
                if float_mode:
                    color = {"v_float": _FLOAT_COLOR, "v_loihi_scaled": _LOIHI_COLOR}.get(
                        var, _ERROR_COLOR)
                    dash = _DASHES[i % len(_DASHES)]
                    label = {"v_float": "float", "v_loihi_scaled": "Loihi / scale"}.get(
                        var, "error")
                else:
                    dash, label = "solid", f"neuron {k}"
                r = fig.line("t", f"{var}_{k}", source=self.source, color=color,
                             line_dash=dash, line_width=1.6, alpha=0.9)
                items.setdefault(label, []).append(r)
        if panel.key == "v":
            threshold = fig.line("t", "y", source=self.threshold_source, color="#616161",
                                 line_dash="dashed", line_width=1.2, alpha=0.8)
            spikes = fig.scatter("t", "y", source=self.spikes, marker="inverted_triangle",
                                 size=9, color=_LOIHI_COLOR if float_mode else "#212121")
            items["Loihi spikes" if float_mode else "spikes"] = [spikes]
            if float_mode:
                items["float spikes"] = [fig.scatter(
                    "t", "y", source=self.float_spikes, marker="circle", size=9,
                    fill_color=None, line_color=_FLOAT_COLOR, line_width=1.5)]
            items["threshold"] = [threshold]
        return items

    def _build_controls(self) -> list[Widget]:
        controls: list[Widget] = []
        if len(self.recorded) > 1:
            self.neuron_picker = self._index_picker(
                "neurons", list(self.recorded), self._neurons,
                rows=min(4, len(self.recorded)), width="180px")
            controls.append(self.neuron_picker)
        if len(self.recorded_synapses) > 1 and any(p.per == "synapse" for p in self.panels):
            self.synapse_picker = self._index_picker(
                "synapses", [(self.synapse_labels.get(j, f"syn {j}"), j)
                             for j in self.recorded_synapses],
                self._synapses, rows=min(4, len(self.recorded_synapses)), width="220px")
            controls.append(self.synapse_picker)
        return controls

    # ------------------------------------------------------------------ settings
    def _rebuild(self) -> None:
        with self._lock:
            self.assign(self.source, self._columns())
            self.figures = self._make_figures()
            for i, fig in enumerate(self.figures):
                self.replace(i, fig)
            if self._last is not None:
                self.show(self._last)

    @property
    def neurons(self) -> tuple[int, ...]:
        """Neurons drawn (setting it rebuilds the figures and redraws the last data)."""
        return self._neurons

    @neurons.setter
    def neurons(self, neurons: Sequence[int]) -> None:
        self._choose("_neurons", neurons, "neurons")

    @property
    def synapses(self) -> tuple[int, ...]:
        """Synapses drawn (setting it rebuilds the figures and redraws the last data)."""
        return self._synapses

    @synapses.setter
    def synapses(self, synapses: Sequence[int]) -> None:
        self._choose("_synapses", synapses, "synapses")

    def _choose(self, attribute: str, indices: Sequence[int], what: str) -> None:
        allowed = self.recorded if what == "neurons" else self.recorded_synapses
        chosen = self._check(indices, what, allowed)
        if chosen != getattr(self, attribute):
            setattr(self, attribute, chosen)
            self._rebuild()

    def set_threshold(self, threshold: float | None) -> None:
        """Move the threshold line (units of v; model units in float mode)."""
        with self._lock:
            if threshold != self._threshold:
                self._threshold = threshold
                self.assign(self.threshold_source, self._threshold_data())

    def set_steps(self, steps: int) -> None:
        """Set the span of the step axis."""
        with self._lock:
            if steps != self._steps:
                self._steps = int(steps)
                self._x_range.start, self._x_range.end = 0.0, float(steps)
                self.assign(self.threshold_source, self._threshold_data())

    # ------------------------------------------------------------------ data
    def data_for(self, traces: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any],
                                                          dict[str, Any]]:
        """Return the (decimated) columns of the traces, Loihi spikes and float spikes."""
        t = np.asarray(traces["t_step"])
        rows = {int(k): i for i, k in enumerate(np.asarray(traces.get("neurons", ())))}
        srows = {int(j): i for i, j in enumerate(np.asarray(traces.get("synapses", ())))}
        first = self.panels[0]  # its extremes survive the decimation (spikes, peaks)
        lookup, chosen = (srows, self._synapses) if first.per == "synapse" else (
            rows, self._neurons)
        keys = [np.asarray(traces[var])[lookup[k]] for var in first.variables if var in traces
                for k in chosen if k in lookup]
        index = decimate(len(t), keys, self.max_points)
        data: dict[str, Any] = {"t": t[index]}
        missing = np.full(len(index), np.nan)
        for panel in self.panels:
            lookup, chosen, suffix = ((srows, self._synapses, "_s") if panel.per == "synapse"
                                      else (rows, self._neurons, "_"))
            for var in panel.variables:
                arr = traces.get(var)
                for k in chosen:
                    data[f"{var}{suffix}{k}"] = (np.asarray(arr)[lookup[k], index]
                                                 if arr is not None and k in lookup
                                                 else missing)
        level = float(self._threshold) if self._threshold is not None else 0.0

        def spikes(i_key: str, t_key: str) -> dict[str, Any]:
            i = np.asarray(traces.get(i_key, ()), dtype=np.int64)
            ts = np.asarray(traces.get(t_key, ()), dtype=np.int64)
            keep = np.isin(i, self._neurons)
            return {"t": ts[keep], "neuron": i[keep], "y": np.full(int(keep.sum()), level)}

        return data, spikes("spike_i", "spike_t"), spikes("spike_i_float", "spike_t_float")

    def show(self, traces: Mapping[str, Any]) -> None:
        """Draw recorded traces (complete or partial); safe from any thread.

        Parameters
        ----------
        traces : mapping
            ``t_step`` (steps), ``neurons`` (the neuron of each row), per-neuron arrays
            (``v``, ``u``; float mode ``v_float``, ``v_loihi_scaled``, ``v_error``) of shape
            (rows, steps), ``synapses`` and per-synapse arrays (``x1`` ..., ``w``), spikes
            (``spike_i``, ``spike_t``; float mode also ``spike_i_float``,
            ``spike_t_float``) and optionally ``threshold``.
        """
        with self._lock:
            if "threshold" in traces:
                self.set_threshold(float(traces["threshold"]))
            if self._steps is None and len(traces["t_step"]):
                self._x_range.end = float(traces["t_step"][-1]) + 1.0
            data, loihi_spikes, float_spikes = self.data_for(traces)
            self.assign(self.spikes, loihi_spikes)
            if self.mode == "float":
                self.assign(self.float_spikes, float_spikes)
            self.assign(self.source, data)
            self._last = traces

