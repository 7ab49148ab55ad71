"""DYNAP-SE current scope: the DPI currents of chosen neurons and their spike raster.

Every current the scope draws comes from a :class:`dynsim.dynapse.Recording`; the spike
threshold from :mod:`dynsim.dynapse.physics`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from brian2 import Quantity, ms, pA
from ipywidgets import Checkbox, Layout, Widget

from dynsim.dynapse import physics
from dynsim.dynapse.constants import NEURONS_PER_CORE, SYNAPSE_TYPES
from dynsim.dynapse.recording import Recording
from dynsim.errors import InvalidSettingError
from dynsim.validation import duration_seconds, whole_number, whole_numbers

from ._bokeh import BokehScope, decimate

__all__ = ["CURRENTS", "CurrentScope"]

#: The currents a scope can draw, in the order of :data:`dynsim.dynapse.physics.STATE_VARIABLES`.
CURRENTS: tuple[str, ...] = tuple(physics.STATE_VARIABLES)

#: Synapse type -> the current of its DPI (``'AMPA'`` -> ``'I_ampa'``).
_SYNAPSE_CURRENT = {name: f"I_{name.lower()}" for name in SYNAPSE_TYPES}

#: Colours of the traces (and of the input rows of the same synapse type).
_COLORS = {"Imem": "#212121", "Iahp": "#8e24aa", "I_ampa": "#e53935", "I_nmda": "#fb8c00",
           "I_gaba_a": "#1e88e5", "I_gaba_b": "#00897b"}
_DASHES = ("solid", "dashed", "dotted", "dashdot")


# --------------------------------------------------------------------------- scope
class CurrentScope(BokehScope):
    """Live Bokeh plot of the DPI currents of chosen neurons, with their spike raster beneath.

    Draws ``Imem``, ``Iahp`` and the four synaptic currents (pA; time in ms) of each chosen
    neuron from a :class:`~dynsim.dynapse.Recording`, the spike threshold on ``Imem``, and the
    spikes of every recorded neuron. Data sources: ``ColumnDataSource(name="dynsim-currents")``
    (columns ``t`` and ``<current>_<neuron>``, e.g. ``Imem_0``) and ``name="dynsim-spikes"``
    (columns ``t``, ``neuron``). Each trace is decimated to about ``max_points`` samples,
    keeping the spikes. :meth:`show` may be called from any thread, also with partial
    recordings while a run streams.

    Parameters
    ----------
    neurons : sequence of int
        Rows of the recording to draw (indices into ``recording.neuron_ids``).
    currents : sequence of str
        Which of :data:`CURRENTS` to draw.
    n_neurons : int
        Neurons in the raster (its y range).
    log_y : bool
        Log-scale current axis (currents span pA to nA); a checkbox above the plot switches.
    duration : Quantity or float, optional
        Time axis span (s); default: that of the data.
    width, height, raster_height : int
        Plot sizes in pixels.
    max_points : int
        Samples per trace sent to the browser.

    Examples
    --------
    >>> import numpy as np
    >>> from brian2 import ms, pA
    >>> rec = Recording(t=np.arange(3) * ms, neuron_ids=np.array([0]),
    ...                 currents={"Imem": [[1.0, 50.0, 2.0]] * pA},
    ...                 spike_indices=np.array([0]), spike_times=np.array([1.0]) * ms)
    >>> scope = CurrentScope(currents=["Imem"])
    >>> scope.show(rec)
    >>> scope.source.data["Imem_0"].tolist(), scope.spikes.data["t"].tolist()
    ([1.0, 50.0, 2.0], [1.0])
    >>> scope.log_y = False
    >>> type(scope.figure.y_scale).__name__
    'LinearScale'
    """

    def __init__(self, neurons: Sequence[int] = (0,), currents: Sequence[str] = CURRENTS, *,
                 n_neurons: int | None = None, log_y: bool = True,
                 duration: Quantity | float | None = None, width: int = 700,
                 height: int = 300, raster_height: int = 110, max_points: int = 2000) -> None:
        unknown = [c for c in currents if c not in CURRENTS]
        if unknown or not currents:
            raise InvalidSettingError(f"cannot draw {unknown or 'nothing'}; choose from "
                                      f"{', '.join(CURRENTS)}")
        self.currents = tuple(currents)
        if n_neurons is not None:
            n_neurons = whole_number(n_neurons, "n_neurons", low=1, high=NEURONS_PER_CORE)
        self._neurons = self._check_neurons(neurons, n_neurons)
        self.n_neurons = n_neurons if n_neurons is not None else max(self._neurons) + 1
        self._log_y = bool(log_y)
        self._span_ms = (None if duration is None
                         else duration_seconds(duration, plain_ok=True) * 1000.0)
        self._size = (int(width), int(height), int(raster_height))
        self._last: Recording | None = None
        super().__init__(max_points=max_points)

    @staticmethod
    def _check_neurons(neurons: Iterable[int], n_neurons: int | None = None) -> tuple[int, ...]:
        """Return the chosen rows, each a whole number in ``0..n_neurons-1`` (at most 256)."""
        high = (NEURONS_PER_CORE if n_neurons is None else n_neurons) - 1
        if isinstance(neurons, str) or not isinstance(neurons, Iterable):
            raise InvalidSettingError(f"neurons must be row indices in 0..{high}, e.g. (0, 2); "
                                      f"got {type(neurons).__name__}")
        first = list(itertools.islice(neurons, NEURONS_PER_CORE + 1))
        values = whole_numbers(first, "neurons", low=0, high=high, max_size=NEURONS_PER_CORE)
        chosen = tuple(sorted({int(k) for k in values.reshape(-1)}))
        if not chosen:
            raise InvalidSettingError(f"neurons must be row indices in 0..{high}; none given")
        return chosen

    # ------------------------------------------------------------------ bokeh
    def _columns(self) -> dict[str, list[float]]:
        data: dict[str, list[float]] = {"t": []}
        for name in self.currents:
            for k in self._neurons:
                data[f"{name}_{k}"] = []
        return data

    def _build_root(self) -> Any:
        from bokeh.layouts import column
        from bokeh.models import ColumnDataSource, Range1d

        self.source = ColumnDataSource(self._columns(), name="dynsim-currents")
        self.spikes = ColumnDataSource({"t": [], "neuron": []}, name="dynsim-spikes")
        end = self._span_ms if self._span_ms is not None else 1000.0
        self._x_range = Range1d(0.0, end, bounds=(0.0, None))
        self.figure = self._make_figure()
        self.raster = self._make_raster()
        return column(self.figure, self.raster)

    def _make_figure(self) -> Any:
        from bokeh.models import Label, Legend, LegendItem, Span
        from bokeh.plotting import figure

        width, height, _ = self._size
        fig = figure(width=width, height=height, x_range=self._x_range,
                     y_axis_type="log" if self._log_y else "linear",
                     tools="pan,box_zoom,wheel_zoom,reset,save", toolbar_location="right",
                     y_axis_label="current (pA)", min_border_left=70)
        fig.xaxis.major_label_text_font_size = "0pt"  # the raster below carries the time axis
        items = []
        for name in self.currents:
            renderers = [fig.line("t", f"{name}_{k}", source=self.source, color=_COLORS[name],
                                  line_width=1.8 if name == "Imem" else 1.3,
                                  line_dash=_DASHES[i % len(_DASHES)], alpha=0.9)
                         for i, k in enumerate(self._neurons)]
            items.append(LegendItem(label=name, renderers=renderers))
        if "Imem" in self.currents:
            threshold = float(physics.SPIKE_THRESHOLD / pA)
            fig.add_layout(Span(location=threshold, dimension="width", line_dash="dashed",
                                line_color=_COLORS["Imem"], line_alpha=0.5))
            fig.add_layout(Label(x=4, y=threshold, x_units="screen", text="spike threshold",
                                 text_font_size="8pt", text_color="#616161", y_offset=2))
        legend = Legend(items=items, orientation="horizontal", click_policy="hide",
                        label_text_font_size="9pt", spacing=8, padding=2, margin=2)
        fig.add_layout(legend, "above")
        if len(self._neurons) > 1:
            fig.title.text = "neurons " + ", ".join(
                f"{k} ({_DASHES[i % len(_DASHES)]})" for i, k in enumerate(self._neurons))
        return fig

    def _make_raster(self) -> Any:
        from bokeh.models import Range1d
        from bokeh.plotting import figure

        width, _, height = self._size
        raster = figure(width=width, height=height, x_range=self._x_range,
                        y_range=Range1d(-0.6, self.n_neurons - 0.4),
                        tools="pan,box_zoom,wheel_zoom,reset", toolbar_location="right",
                        x_axis_label="time (ms)", y_axis_label="neuron", min_border_left=70)
        raster.scatter("t", "neuron", source=self.spikes, marker="dash", angle=np.pi / 2,
                       size=max(6, min(14, 90 // max(self.n_neurons, 1))),
                       color=_COLORS["Imem"])
        raster.yaxis.minor_tick_line_color = None
        if self.n_neurons <= 8:
            raster.yaxis.ticker = list(range(self.n_neurons))
        return raster

    def _build_controls(self) -> list[Widget]:
        self.log_toggle = Checkbox(value=self._log_y, description="log scale", indent=False,
                                   layout=Layout(width="110px"))
        self.log_toggle.add_class("dynsim-scope-log")
        self.log_toggle.observe(lambda change: setattr(self, "log_y", change["new"]),
                                names="value")
        controls: list[Widget] = [self.log_toggle]
        if self.n_neurons > 1:
            self.neuron_picker = self._index_picker(
                "neurons", list(range(self.n_neurons)), self._neurons, rows=3, width="180px")
            controls.append(self.neuron_picker)
        return controls

    # ------------------------------------------------------------------ settings
    @property
    def log_y(self) -> bool:
        """Whether the current axis is logarithmic (setting it rebuilds the figure)."""
        return self._log_y

    @log_y.setter
    def log_y(self, value: bool) -> None:
        value = bool(value)
        if value == self._log_y:
            return
        with self._lock:
            self._log_y = value
            self.figure = self._make_figure()
            self.replace(0, self.figure)
        if self.log_toggle.value != value:
            self.log_toggle.value = value

    @property
    def neurons(self) -> tuple[int, ...]:
        """Rows drawn (setting it rebuilds the figure and redraws the last recording)."""
        return self._neurons

    @neurons.setter
    def neurons(self, neurons: Sequence[int]) -> None:
        chosen = self._check_neurons(neurons, self.n_neurons)
        if chosen == self._neurons:
            return
        with self._lock:
            self._neurons = chosen
            self.figure = self._make_figure()
            self.assign(self.source, self._columns())
            self.replace(0, self.figure)
            if self._last is not None:
                self.show(self._last)

    def set_duration(self, duration: Quantity | float) -> None:
        """Set the span of the time axis."""
        with self._lock:
            self._span_ms = duration_seconds(duration, plain_ok=True) * 1000.0
            self._x_range.start, self._x_range.end = 0.0, self._span_ms

    # ------------------------------------------------------------------ data
    def data_for(self, recording: Recording) -> tuple[dict[str, np.ndarray],
                                                      dict[str, np.ndarray]]:
        """Return the (decimated) columns of both sources for ``recording``."""
        t = np.asarray(recording.t / ms, dtype=float)
        n_rows = len(recording.neuron_ids)
        rows = [k for k in self._neurons if k < n_rows]
        traces = {name: np.asarray(recording.currents[name] / pA, dtype=float)
                  for name in self.currents if name in recording.currents}
        keys = [traces["Imem"][k] for k in rows] if "Imem" in traces else []
        index = decimate(len(t), keys, self.max_points)
        data: dict[str, np.ndarray] = {"t": t[index]}
        missing = np.full(len(index), np.nan)
        for name in self.currents:
            for k in self._neurons:
                trace = traces.get(name)
                data[f"{name}_{k}"] = trace[k, index] if trace is not None and k < n_rows \
                    else missing
        spikes = {"t": np.asarray(recording.spike_times / ms, dtype=float),
                  "neuron": np.asarray(recording.spike_indices, dtype=float)}
        return data, spikes

    def show(self, recording: Recording) -> None:
        """Draw ``recording`` (complete or partial); safe from any thread."""
        data, spikes = self.data_for(recording)
        with self._lock:
            if self._span_ms is None and len(data["t"]):
                self._x_range.end = max(float(data["t"][-1]), 1e-3)
            self.assign(self.spikes, spikes)
            self.assign(self.source, data)
            self._last = recording

