"""Loihi widgets: parameter sliders, the live ``TraceScope``, and the composed ``LoihiLab``.

Every range a control offers comes from :mod:`dynsim.loihi.registers` (``REGISTERS``,
``weight_range``) narrowed by the network's arithmetic convention
(:mod:`dynsim.loihi.conventions`: ``decay_I_min``, ``decay_v_max``); every number the scope
draws is read from the network's monitors (int64, bit for bit what the emulated chip
computed). Nothing about the chip is restated here.

Examples
--------
In a notebook, one line gives a bench (sliders, live traces, status, error box)::

    from dynsim.widgets import LoihiLab
    lab = LoihiLab()            # spike generator -> 3 LIF neurons through a mixed-sign synapse
    lab                         # shows it; move a slider and the traces redraw

Your own network (the lab adds the monitors it needs before the first run)::

    lab = LoihiLab(net, neurons=ng, synapses=syn, steps=500)
    lab.set_param("decay_v", 512)          # the slider moves too; a run follows
    lab.traces["v"]                        # waits, then the latest v (int64, neurons x steps)

A float model next to its Loihi quantization (v of both, and the error beneath)::

    lab = LoihiLab.from_float(FloatLIF(tau_m=20, tau_syn=5, threshold=15.0),
                              [[3.7], [-2.3]], indices, times, steps=200, scale=2**10)
"""

from __future__ import annotations

import dataclasses
import html
import math
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from brian2 import SpikeMonitor, StateMonitor
from brian2.groups.subgroup import Subgroup
from ipywidgets import (
    HTML,
    Dropdown,
    FloatLogSlider,
    HBox,
    IntSlider,
    IntText,
    Layout,
    SelectMultiple,
    Text,
    VBox,
    Widget,
)

from dynsim.engine import resolve_engine
from dynsim.errors import LoihiNetworkError, RegisterRangeError, suggest
from dynsim.loihi import registers as R
from dynsim.loihi._core import as_steps
from dynsim.loihi.conventions import (
    CONVENTION_NAMES,
    DEFAULT_CONVENTION,
    Convention,
    get_convention,
)
from dynsim.loihi.float_model import (
    FloatLIF,
    FloatLoihiComparison,
    LoihiQuantization,
    compare_float_loihi,
    quantize_lif,
)
from dynsim.loihi.generators import LoihiSpikeGeneratorGroup, check_spikes
from dynsim.loihi.monitors import LoihiSpikeMonitor, LoihiStateMonitor
from dynsim.loihi.network import LoihiNetwork, RunProgress
from dynsim.loihi.neurons import LoihiNeuronGroup
from dynsim.loihi.synapses import LoihiSynapses, actual_weights

from ._bokeh import BokehScope, decimate, format_time
from ._worker import simulation_lock
from .bench import Bench, Host

__all__ = [
    "FLOAT_PARAMS",
    "NEURON_PARAMS",
    "SYNAPSE_PARAMS",
    "LoihiLab",
    "TraceScope",
    "demo_network",
    "param_range",
]

#: Neuron-group parameters a bench controls, in the order shown.
NEURON_PARAMS: tuple[str, ...] = ("decay_v", "decay_I", "threshold_v_mant", "bias_mant",
                                  "bias_exp", "refractory")
#: Synapse parameters a bench controls besides the weight mantissas (``w`` / ``w_<k>``).
SYNAPSE_PARAMS: tuple[str, ...] = ("w_exp", "num_weight_bits")
#: Parameters of the float-vs-Loihi overlay (:meth:`LoihiLab.from_float`).
FLOAT_PARAMS: tuple[str, ...] = ("scale", "tau_m", "tau_syn", "threshold", "convention")
#: Synapses that get one weight slider each; more get one text box of mantissas.
WEIGHT_SLIDERS_MAX = 8
#: The lab's own monitors record every neuron (synapse) of a group up to this many.
RECORD_MAX = 32
#: A run streams partial traces (and shows a progress bar) once it has taken this long (s).
STREAM_AFTER = 0.25
#: A run gives way to a newer setting when it would still take longer than this (s).
YIELD_AFTER = 0.5

_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf")
_DASHES = ("solid", "dashed", "dotted", "dotdash")
_FLOAT_COLOR, _LOIHI_COLOR, _ERROR_COLOR = "#1f77b4", "#ff7f0e", "#d62728"
_TRACE_NAMES = ("x1", "x2", "y1", "y2", "y3")
_SIGN_MODES = {1: "mixed", 2: "excitatory", 3: "inhibitory"}


# --------------------------------------------------------------------------- ranges
def param_range(name: str, convention: str | Convention | None = None, *,
                sign_mode: int | None = None) -> tuple[int, int]:
    """Return the values a bench control of Loihi parameter ``name`` offers.

    The range of the register in :data:`dynsim.loihi.registers.REGISTERS`, narrowed where
    the arithmetic convention says so (``decay_I >= decay_I_min``, ``decay_v <=
    decay_v_max``); for a weight mantissa (``'w'``) the range of the sign mode
    (:func:`dynsim.loihi.registers.weight_range`).

    Parameters
    ----------
    name : str
        A key of ``REGISTERS`` (e.g. ``'decay_v'``), or ``'w'``.
    convention : str or Convention, optional
        The network's convention (default ``'silicon'``).
    sign_mode : int, optional
        For ``'w'``: 1 mixed, 2 excitatory, 3 inhibitory.

    Returns
    -------
    (int, int)
        Inclusive bounds.

    Examples
    --------
    >>> param_range("decay_v", "silicon"), param_range("decay_v", "brian2_loihi")
    ((0, 4095), (0, 4096))
    >>> param_range("decay_I", "lava"), param_range("w", sign_mode=1)
    ((1, 4096), (-256, 254))
    """
    if name == "w":
        return R.weight_range(2 if sign_mode is None else sign_mode)
    reg = R.REGISTERS[name]
    low, high = reg.low, reg.high
    conv = get_convention(convention)
    if name == "decay_I":
        low = max(low, conv.decay_I_min)
    elif name == "decay_v":
        high = min(high, conv.decay_v_max)
    return int(low), int(high)


def _tau(decay: float) -> float:
    """Time constant (steps) of an effective decay 0..4096."""
    keep = 1.0 - decay / R.DECAY_UNITY
    if keep >= 1.0:
        return math.inf
    return 0.0 if keep <= 0.0 else -1.0 / math.log(keep)


def _tau_text(decay: int) -> str:
    tau = _tau(decay)
    if math.isinf(tau):
        return "τ ∞ (no decay)"
    if tau == 0:
        return "τ 0 (gone next step)"
    return f"τ {tau:.3g} steps"


def _ints(values: Sequence[int], most: int | None = 6) -> str:
    """``'5'`` for equal values, else ``'1, 2, 3 …'`` (at most ``most`` of them)."""
    values = [int(v) for v in np.atleast_1d(values)]
    if len(set(values)) == 1:
        return str(values[0])
    shown = values if most is None else values[:most]
    return ", ".join(str(v) for v in shown) + (" …" if len(shown) < len(values) else "")


def _steps_value(value: Any) -> int:
    steps = as_steps(value, "steps")
    if steps < 1:
        raise LoihiNetworkError("steps must be at least 1")
    return steps


def _target_name(synapses: LoihiSynapses) -> str:
    """Name of the group the synapses end in (the parent group of a subgroup target)."""
    target = synapses.target
    return (target.source if isinstance(target, Subgroup) else target).name


def parse_ints(text: str, what: str = "w") -> np.ndarray:
    """Return the whole numbers written in ``text`` (``'200, -150'``) as int64.

    Raises
    ------
    dynsim.errors.RegisterRangeError
        For a word that is not a whole number, naming it.

    Examples
    --------
    >>> parse_ints("200, -150 3").tolist()
    [200, -150, 3]
    """
    words = [w for w in text.replace(";", ",").replace(",", " ").split() if w]
    values = []
    for word in words:
        try:
            number = float(word)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or number != round(number):
            raise RegisterRangeError(
                f"{what}: {word!r} is not a whole number; write the mantissas separated by "
                "commas, e.g. '200, -150' (one value sets every synapse)")
        values.append(round(number))
    if not values:
        raise RegisterRangeError(f"{what}: no value given")
    return np.array(values, dtype=np.int64)


# --------------------------------------------------------------------------- controls
@dataclass
class _Param:
    """One control: its kind, range and label (the model supplies values and readouts)."""

    name: str
    kind: str  # "int" (IntSlider), "log" (FloatLogSlider), "text", "choice"
    low: float = 0
    high: float = 0
    base: float = 2.0
    integer: bool = True
    fmt: str = ".0f"
    options: tuple[str, ...] = ()
    label: str = ""
    tooltip: str = ""


class _ParamPanel:
    """Rows of label, control (class ``dynsim-param-<name>``) and derived readout."""

    def __init__(self, params: Sequence[_Param], model: _Model, host: Host) -> None:
        self.params = {p.name: p for p in params}
        self.model = model
        self.host = host
        self.controls: dict[str, Widget] = {}
        self.readouts: dict[str, HTML] = {}
        self._last: dict[str, Any] = {}  # per control: the value last requested or shown
        rows = []
        for p in params:
            control = self._make(p)
            control.add_class(f"dynsim-param-{p.name}")
            control.tooltip = p.tooltip or None
            label = HTML(f"<span title='{html.escape(p.tooltip)}'>{html.escape(p.label)}</span>",
                         layout=Layout(width="130px"))
            readout = HTML(layout=Layout(width="170px"))
            self.controls[p.name] = control
            self.readouts[p.name] = readout
            control.observe(self.host.guard(lambda change, p=p: self._moved(p, change["new"])),
                            names="value")
            rows.append(HBox([label, control, readout], layout=Layout(align_items="center")))
        self.rows = rows
        self.refresh()

    @staticmethod
    def _make(p: _Param) -> Widget:
        width = Layout(width="230px")
        if p.kind == "int":
            return IntSlider(min=int(p.low), max=int(p.high), continuous_update=True,
                             readout=True, layout=width)
        if p.kind == "log":
            # continuous_update=False: the front-end snaps a log slider's value to its step
            # grid and, while updating continuously, sends the snapped value back as soon as
            # the view appears (a threshold of 500 would become 501 on display)
            lo, hi = (math.log(v) / math.log(p.base) for v in (p.low, p.high))
            return FloatLogSlider(base=p.base, min=lo, max=hi, step=(hi - lo) / 400,
                                  value=p.low, continuous_update=False, readout=True,
                                  readout_format=p.fmt, layout=width)
        if p.kind == "text":
            return Text(continuous_update=False, layout=width)
        return Dropdown(options=list(p.options), layout=Layout(width="150px"))

    def _same(self, p: _Param, value: Any) -> bool:
        """Whether ``value`` is what was last requested or shown (a front-end echo)."""
        last = self._last.get(p.name)
        if last is None or isinstance(last, np.ndarray):
            return False
        if p.kind == "log" and not p.integer:
            control = self.controls[p.name]
            tolerance = control.step * math.log(p.base)  # one step of the slider
            return math.isclose(float(value), float(last), rel_tol=tolerance)
        return value == last

    def _moved(self, p: _Param, value: Any) -> None:
        if p.kind == "log" and p.integer:
            value = round(value)
        if self._same(p, value):
            return
        self._last[p.name] = value
        self.readouts[p.name].value = self.model.readout(p.name, value)
        self.host.request({("param", p.name): value})

    def update_readouts(self) -> None:
        """Recompute every readout from its control's value (they depend on each other)."""
        for name, control in self.controls.items():
            p = self.params[name]
            value = round(control.value) if p.kind == "log" and p.integer else control.value
            self.readouts[name].value = self.model.readout(name, value)

    def show_value(self, name: str, value: Any) -> None:
        """Put ``value`` in a control without requesting a run (out-of-range: unchanged)."""
        p, control = self.params[name], self.controls[name]
        self._last[name] = value
        with self.host.quiet():
            if p.kind == "text":
                control.value = value if isinstance(value, str) else _ints(value, None)
            elif p.kind == "choice":
                if value in p.options:
                    control.value = value
            else:
                number = float(np.atleast_1d(value)[0])
                if p.low <= number <= p.high:
                    control.value = int(number) if p.kind == "int" else number
            self.readouts[name].value = self.model.readout(name, value)

    def refresh(self) -> None:
        """Set every control and readout to the model's actual values (requests nothing)."""
        for name in self.params:
            self.show_value(name, self.model.get(name))


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
    def _check(indices: Sequence[int], what: str) -> tuple[int, ...]:
        chosen = tuple(sorted({int(k) for k in indices}))
        if not chosen or chosen[0] < 0:
            raise LoihiNetworkError(f"{what} must be indices >= 0, got {indices!r}")
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
            self.neuron_picker = SelectMultiple(
                options=list(self.recorded), value=self._neurons,
                rows=min(4, len(self.recorded)), description="neurons",
                layout=Layout(width="180px"))
            self.neuron_picker.add_class("dynsim-scope-neurons")
            self.neuron_picker.observe(
                lambda change: change["new"] and setattr(self, "neurons", change["new"]),
                names="value")
            controls.append(self.neuron_picker)
        if len(self.recorded_synapses) > 1 and any(p.per == "synapse" for p in self.panels):
            self.synapse_picker = SelectMultiple(
                options=[(self.synapse_labels.get(j, f"syn {j}"), j)
                         for j in self.recorded_synapses],
                value=self._synapses, rows=min(4, len(self.recorded_synapses)),
                description="synapses", layout=Layout(width="220px"))
            self.synapse_picker.add_class("dynsim-scope-synapses")
            self.synapse_picker.observe(
                lambda change: change["new"] and setattr(self, "synapses", change["new"]),
                names="value")
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
        chosen = self._check(indices, what)
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


# --------------------------------------------------------------------------- models
@dataclass
class _Result:
    """What one run of a bench gave."""

    traces: dict[str, Any]
    steps: int
    steps_done: int
    comparison: FloatLoihiComparison | None = None

    @property
    def complete(self) -> bool:
        return self.steps_done >= self.steps


def _copy(values: Any) -> np.ndarray:
    return np.array(values, copy=True)


class _Model:
    """What a LoihiLab drives: a network and its controls (two kinds: chip, float)."""

    network: LoihiNetwork | None
    units = "units of v"

    def params(self) -> list[_Param]:
        raise NotImplementedError

    def get(self, name: str) -> Any:
        raise NotImplementedError

    def readout(self, name: str, value: Any) -> str:
        return ""

    def snapshot(self) -> Any:
        raise NotImplementedError

    def restore(self, snapshot: Any) -> None:
        raise NotImplementedError

    def apply(self, values: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def run(self, steps: int, progress: Callable[[RunProgress], Any], every: int) -> _Result:
        raise NotImplementedError

    def read(self, steps: int, steps_done: int) -> _Result:
        raise NotImplementedError

    def make_scope(self, steps: int, max_points: int) -> TraceScope:
        raise NotImplementedError

    def title(self) -> str:
        raise NotImplementedError

    def convention_text(self) -> str:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def done_text(self, result: _Result) -> str:
        raise NotImplementedError

    def needs_code(self) -> bool:
        """Whether the next run generates (and, with Cython, compiles) code first."""
        return False

    @property
    def engine(self) -> str:
        return self.network.engine if self.network is not None else "?"


def _convention_html(conv: Convention, selectable: bool) -> str:
    keys = ("exponent_scope", "u_overflow", "v_overflow", "generator_delay", "decay_I_min",
            "decay_v_max")
    tip = "\n".join(f"{k}: {conv.describe(k)}" for k in keys)
    default = " (default)" if conv.name == DEFAULT_CONVENTION else ""
    where = "" if selectable else " · fixed when the network was made"
    return (f"<span title='{html.escape(tip)}'>arithmetic convention <b>{conv.name}</b>"
            f"{default}{where} · <span style='color:#757575'>hover for its rules; "
            "dynsim.loihi.conventions_table() lists every difference</span></span>")


def _find_state_monitor(network: LoihiNetwork, source: Any, var: str) -> tuple[Any, str] | None:
    names = ("u", "I") if var == "u" else (var,)
    for obj in sorted(network.objects, key=lambda o: o.name):
        if isinstance(obj, StateMonitor) and obj.source is source:
            for name in names:
                if name in obj.record_variables:
                    return obj, name
    return None


def _find_spike_monitor(network: LoihiNetwork, source: Any) -> Any | None:
    for obj in sorted(network.objects, key=lambda o: o.name):
        if isinstance(obj, SpikeMonitor) and obj.source is source and obj.record:
            return obj
    return None


class _ChipModel(_Model):
    """A LoihiNetwork with one neuron group (and optionally one synapse object) on the bench."""

    def __init__(self, network: LoihiNetwork, neurons: LoihiNeuronGroup | None,
                 synapses: LoihiSynapses | None, show: Sequence[int] | None,
                 show_synapses: Sequence[int] | None, namespace: dict[str, Any]) -> None:
        if not isinstance(network, LoihiNetwork):
            raise LoihiNetworkError(f"LoihiLab takes a dynsim.loihi.LoihiNetwork, got "
                                    f"{type(network).__name__}")
        objects = list(network.objects)
        if neurons is None:
            groups = [o for o in objects if isinstance(o, LoihiNeuronGroup)]
            if len(groups) != 1:
                names = ", ".join(sorted(g.name for g in groups)) or "none"
                raise LoihiNetworkError(f"network {network.name!r} has {len(groups)} Loihi "
                                        f"neuron groups ({names}); choose one: "
                                        "LoihiLab(network, neurons=...)")
            neurons = groups[0]
        if not isinstance(neurons, LoihiNeuronGroup) or neurons not in objects:
            raise LoihiNetworkError(f"neurons must be a LoihiNeuronGroup of network "
                                    f"{network.name!r}, got {neurons!r}")
        if synapses is None:
            into = [o for o in objects if isinstance(o, LoihiSynapses)
                    and _target_name(o) == neurons.name]
            synapses = into[0] if len(into) == 1 else None
        elif not isinstance(synapses, LoihiSynapses) or synapses not in objects:
            raise LoihiNetworkError(f"synapses must be LoihiSynapses of network "
                                    f"{network.name!r}, got {synapses!r}")
        self.network, self.neurons, self.synapses = network, neurons, synapses
        self.namespace = namespace
        self.conv = network.convention
        self.notes: list[str] = []
        self._has_run = network.has_run
        self.traces_shown = tuple(t for t in _TRACE_NAMES
                                  if synapses is not None and t in synapses.trace_parameters())
        self.learning = synapses is not None and synapses.learning_rule is not None
        self._plan_monitors()
        rec = self._recorded_neurons()
        if not rec:
            raise LoihiNetworkError(f"the monitors of {neurons.name!r} record no neuron "
                                    "(record=False?); LoihiLab has nothing to draw")
        shown = tuple(show) if show is not None else rec[:3]
        if not set(shown) <= set(rec):
            raise LoihiNetworkError(f"show={list(shown)}: only neurons {list(rec)} are "
                                    "recorded")
        self.show = shown
        srec = self._recorded_synapses()
        self.show_synapses = tuple(show_synapses) if show_synapses is not None \
            else srec[:WEIGHT_SLIDERS_MAX]
        if not set(self.show_synapses) <= set(srec):
            raise LoihiNetworkError(f"show_synapses={list(self.show_synapses)}: only synapses "
                                    f"{list(srec)} are recorded")
        self._n_syn = len(synapses) if synapses is not None else 0
        names = [p.name for p in self.params()]
        if synapses is not None:
            names += ["w"] + [f"w_{k}" for k in range(self._n_syn)]
        self._names = tuple(dict.fromkeys(names))

    # ------------------------------------------------------------------ monitors
    def _plan_monitors(self) -> None:
        """Find the monitors of what is drawn; add the lab's own (fixed names) if missing."""
        net, ng, syn = self.network, self.neurons, self.synapses
        self.monitors: dict[str, tuple[Any, str]] = {}
        wanted: list[tuple[Any, str, str]] = [(ng, "v", f"{ng.name}_lab_vu"),
                                              (ng, "u", f"{ng.name}_lab_vu")]
        if syn is not None:
            wanted += [(syn, t, f"{syn.name}_lab_traces") for t in self.traces_shown]
            if self.learning:
                wanted.append((syn, "w", f"{syn.name}_lab_w"))
        missing: dict[str, list[tuple[Any, str]]] = {}
        for source, var, own in wanted:
            found = _find_state_monitor(net, source, var)
            if found is not None:
                self.monitors[var] = found
            else:
                missing.setdefault(own, []).append((source, var))
        self.spike_monitor = _find_spike_monitor(net, ng)
        if net.has_run:
            lost = [var for items in missing.values() for _, var in items]
            if self.spike_monitor is None:
                lost.append("spikes")
            if "v" in lost:
                raise LoihiNetworkError(
                    f"LoihiLab draws v of {ng.name!r}, but network {net.name!r} has no "
                    f"LoihiStateMonitor of it and has run already: a network that has run "
                    f"takes no new objects (its reset() needs the objects of its first run). "
                    f"Make the LoihiLab before the network's first run (it adds the monitors "
                    f"it needs), or add LoihiStateMonitor({ng.name}, ['v', 'u']) before "
                    "running it")
            if lost:
                self.notes.append(
                    f"not drawn: {', '.join(lost)} (network {net.name!r} ran before the lab "
                    "was made and has no monitor of them; a network that has run takes no new "
                    "monitors. Make the lab before the first run to see them)")
                self.traces_shown = tuple(t for t in self.traces_shown if t not in lost)
                self.learning = self.learning and "w" not in lost
            return
        added = []
        for own, items in missing.items():
            source = items[0][0]
            variables = [var for _, var in items]
            record = (True if len(source) <= RECORD_MAX else
                      list(range(RECORD_MAX)))
            mon = LoihiStateMonitor(source, variables if len(variables) > 1 else variables[0],
                                    record=record, name=own)
            added.append(mon)
            for var in variables:
                self.monitors[var] = (mon, var)
        if self.spike_monitor is None:
            self.spike_monitor = LoihiSpikeMonitor(ng, name=f"{ng.name}_lab_spikes")
            added.append(self.spike_monitor)
        if added:
            net.add(*added)

    def _recorded(self, var: str) -> list[int]:
        mon, _ = self.monitors[var]
        return [int(k) for k in np.asarray(mon.record)]

    def _recorded_neurons(self) -> tuple[int, ...]:
        rec = set(self._recorded("v"))
        if "u" in self.monitors:
            rec &= set(self._recorded("u"))
        return tuple(sorted(rec))

    def _synapse_variables(self) -> tuple[str, ...]:
        return (*self.traces_shown, *(("w",) if self.learning else ()))

    def _recorded_synapses(self) -> tuple[int, ...]:
        sets = [set(self._recorded(v)) for v in self._synapse_variables()]
        return tuple(sorted(set.intersection(*sets))) if sets else ()

    # ------------------------------------------------------------------ controls
    def params(self) -> list[_Param]:
        out = []
        for name in NEURON_PARAMS:
            reg = R.REGISTERS[name]
            low, high = param_range(name, self.conv)
            tip = (f"{name}: Loihi register {reg.name}, {reg.description}; "
                   f"{low}..{high} in the '{self.conv.name}' convention")
            if name == "threshold_v_mant":
                out.append(_Param(name, "log", max(low, 1), high, base=2.0, label="threshold",
                                  tooltip=tip + " (log slider; type a value for 0)"))
            else:
                out.append(_Param(name, "int", low, high, label=name, tooltip=tip))
        syn = self.synapses
        if syn is None:
            return out
        for name in SYNAPSE_PARAMS:
            reg = R.REGISTERS[name]
            low, high = param_range(name, self.conv)
            out.append(_Param(name, "int", low, high, label=name,
                              tooltip=f"{name}: {reg.description}, {low}..{high}"))
        low, high = param_range("w", sign_mode=syn.sign_mode)
        mode = _SIGN_MODES[syn.sign_mode]
        i, j = np.asarray(syn.i[:]), np.asarray(syn.j[:])
        if len(syn) <= WEIGHT_SLIDERS_MAX:
            for k in range(len(syn)):
                out.append(_Param(f"w_{k}", "int", low, high, label=f"w[{k}] {i[k]}→{j[k]}",
                                  tooltip=f"weight mantissa of synapse {k} ({i[k]} → {j[k]}), "
                                          f"{mode} sign mode: {low}..{high}"))
        else:
            out.append(_Param("w", "text", low, high, label=f"w ({len(syn)} synapses)",
                              tooltip=f"weight mantissas, one per synapse or one for all; "
                                      f"{mode} sign mode: {low}..{high}"))
        return out

    def param_names(self) -> tuple[str, ...]:
        return self._names

    def get(self, name: str) -> Any:
        ng, syn = self.neurons, self.synapses
        if name in NEURON_PARAMS:
            value = getattr(ng, name)
            return int(np.atleast_1d(value)[0]) if name in ("bias_mant", "bias_exp") else value
        if name in SYNAPSE_PARAMS:
            return getattr(syn, name)
        if name == "w":
            return syn.w_assigned
        return int(syn.w_assigned[int(name[2:])])

    def readout(self, name: str, value: Any) -> str:
        ng, syn = self.neurons, self.synapses
        try:
            if name == "decay_v":
                return f"dv {int(value) - R.DECAY_V_OFFSET} · {_tau_text(int(value))}"
            if name == "decay_I":
                return f"du {int(value) - R.DECAY_U_OFFSET} · {_tau_text(int(value))}"
            if name == "threshold_v_mant":
                return f"vth = {R.effective_threshold(int(value))}"
            if name == "bias_mant":
                return f"bias = {_ints(R.effective_bias(int(value), ng.bias_exp))}"
            if name == "bias_exp":
                return f"bias = {_ints(R.effective_bias(ng.bias_mant, int(value)))}"
            if name == "refractory":
                return f"v held {int(value) - 1} step{'s' if int(value) != 2 else ''}"
            if name == "w_exp":
                return f"w_act = w × 2^{R.WEIGHT_ACT_SHIFT + int(value)}"
            if name == "num_weight_bits":
                shift = R.precision_shift(int(value), syn.sign_mode)
                return f"mantissa step 2^{shift} = {1 << shift}"
            if name.startswith("w_") and name[2:].isdigit():
                w_act = actual_weights([int(value)], syn.w_exp, syn.num_weight_bits,
                                       syn.sign_mode, self.conv)[1]
                return f"w_act = {int(w_act[0])}"
        except (ValueError, TypeError, KeyError):
            return ""
        return ""

    # ------------------------------------------------------------------ state
    def snapshot(self) -> Any:
        ng, syn = self.neurons, self.synapses
        neurons = {name: getattr(ng, name) for name in NEURON_PARAMS}
        synapses = None if syn is None else (
            {name: getattr(syn, name) for name in SYNAPSE_PARAMS}, syn.w_assigned)
        return neurons, synapses

    def restore(self, snapshot: Any) -> None:
        neurons, synapses = snapshot
        for name, value in neurons.items():
            if not np.array_equal(getattr(self.neurons, name), value):
                setattr(self.neurons, name, value)
        if synapses is not None:
            fmt, w = synapses
            for name, value in fmt.items():
                if getattr(self.synapses, name) != value:
                    setattr(self.synapses, name, value)
            if not np.array_equal(self.synapses.w_assigned, w):
                self.synapses.w = w

    def apply(self, values: Mapping[str, Any]) -> None:
        unknown = [n for n in values if n not in self.param_names()]
        if unknown:
            raise LoihiNetworkError(f"the bench has no parameter {unknown[0]!r}")
        for name in NEURON_PARAMS:
            if name in values:
                setattr(self.neurons, name, values[name])
        syn = self.synapses
        if syn is None:
            return
        for name in SYNAPSE_PARAMS:
            if name in values:
                setattr(syn, name, values[name])
        singles = {int(n[2:]): v for n, v in values.items() if n.startswith("w_")
                   and n[2:].isdigit()}
        if "w" in values or singles:
            w = values.get("w", syn.w_assigned)
            w = parse_ints(w) if isinstance(w, str) else np.atleast_1d(np.asarray(w))
            if w.size == 1 and len(syn) != 1:
                w = np.full(len(syn), w.ravel()[0])
            w = np.array(w, copy=True)
            for k, value in singles.items():
                w[k] = R.check_register("w", value, *param_range("w", sign_mode=syn.sign_mode),
                                        register=f"weight ({_SIGN_MODES[syn.sign_mode]})")
            syn.w = w

    # ------------------------------------------------------------------ running
    def needs_code(self) -> bool:
        return not self._has_run

    def run(self, steps: int, progress: Callable[[RunProgress], Any], every: int) -> _Result:
        net = self.network
        try:
            net.reset()
        except LoihiNetworkError as exc:
            raise LoihiNetworkError(
                f"{exc}. LoihiLab re-runs network {net.name!r} from its initial state with "
                "reset(), which needs the objects of its first run: make a new network and a "
                "new LoihiLab") from exc
        done = {"steps": 0}

        def counted(info: RunProgress) -> Any:
            done["steps"] = info.steps_done
            return progress(info)

        net.run(steps, namespace=self.namespace, progress=counted, progress_every=every)
        self._has_run = True
        return self.read(steps, done["steps"])

    def read(self, steps: int, steps_done: int) -> _Result:
        mon_v = self.monitors["v"][0]
        neurons = self._recorded_neurons()
        traces: dict[str, Any] = {"t_step": _copy(mon_v.t_step),
                                  "neurons": np.array(neurons, dtype=np.int64)}
        for var in ("v", "u"):
            if var in self.monitors:
                mon, name = self.monitors[var]
                rows = {k: i for i, k in enumerate(self._recorded(var))}
                traces[var] = _copy(mon.values(name)[[rows[k] for k in neurons]])
        if self.spike_monitor is not None:
            traces["spike_i"] = np.array(self.spike_monitor.i_, dtype=np.int64)
            traces["spike_t"] = _copy(self.spike_monitor.t)
        synapses = self._recorded_synapses()
        if synapses:
            traces["synapses"] = np.array(synapses, dtype=np.int64)
            for var in self._synapse_variables():
                mon, name = self.monitors[var]
                rows = {k: i for i, k in enumerate(self._recorded(var))}
                traces[var] = _copy(mon.values(name)[[rows[k] for k in synapses]])
        traces["threshold"] = int(self.neurons.vth)
        return _Result(traces, steps, steps_done)

    # ------------------------------------------------------------------ display
    def make_scope(self, steps: int, max_points: int) -> TraceScope:
        syn = self.synapses
        labels = {}
        if syn is not None:
            i, j = np.asarray(syn.i[:]), np.asarray(syn.j[:])
            labels = {k: f"syn {k} ({i[k]}→{j[k]})" for k in self._recorded_synapses()}
        variables = tuple(v for v in ("v", "u") if v in self.monitors)
        return TraceScope(self.show, variables=variables, recorded=self._recorded_neurons(),
                          synapses=self.show_synapses,
                          recorded_synapses=self._recorded_synapses(),
                          synapse_labels=labels, traces=self.traces_shown,
                          weights=self.learning, threshold=self.neurons.vth, steps=steps,
                          max_points=max_points)

    def title(self) -> str:
        ng, syn = self.neurons, self.synapses
        text = (f"<b>Loihi bench</b> · network {html.escape(self.network.name)} · "
                f"{len(ng)} neuron{'s' if len(ng) != 1 else ''} "
                f"({html.escape(ng.name)})")
        if syn is not None:
            text += (f" · {len(syn)} synapse{'s' if len(syn) != 1 else ''} "
                     f"({html.escape(syn.name)}, {_SIGN_MODES[syn.sign_mode]}"
                     f"{', learning' if syn.learning_rule is not None else ''})")
        return text + f" · engine {html.escape(self.engine)}"

    def convention_text(self) -> str:
        return _convention_html(self.conv, selectable=False)

    def describe(self) -> str:
        ng = self.neurons
        return (f"LoihiLab ({len(ng)} neuron{'s' if len(ng) != 1 else ''} {ng.name!r}, "
                f"convention {self.conv.name!r})")

    def done_text(self, result: _Result) -> str:
        i = result.traces.get("spike_i", np.zeros(0))
        counts = np.bincount(np.asarray(i, dtype=np.int64), minlength=len(self.neurons))
        shown = ", ".join(f"{int(counts[k])}" for k in self.show)
        return (f"{result.steps} steps · {int(counts.sum())} spikes "
                f"(neurons {', '.join(str(k) for k in self.show)}: {shown})")


class _FloatModel(_Model):
    """A float LIF model and its Loihi quantization, run side by side."""

    def __init__(self, model: FloatLIF, weights: Any, indices: Any, times: Any, *,
                 scale: float | None, sign_mode: int | None, num_weight_bits: int,
                 convention: str, engine: str | None, name: str, units: str) -> None:
        if not isinstance(model, FloatLIF):
            raise LoihiNetworkError(f"from_float takes a dynsim.loihi.FloatLIF, got "
                                    f"{type(model).__name__}")
        w = np.asarray(weights, dtype=float)
        if w.ndim != 2:
            raise RegisterRangeError(f"weights must be a 2-d array (inputs, neurons), got "
                                     f"shape {w.shape}")
        self.indices, self.times, _ = check_spikes(w.shape[0], indices, times)
        self.model, self.weights, self.units = model, w, units
        self.sign_mode, self.num_weight_bits = sign_mode, num_weight_bits
        self.conv = get_convention(convention)
        self.engine_name, self.name = engine, name
        q = quantize_lif(model, w, scale, sign_mode=sign_mode,  # raises here, not later
                         num_weight_bits=num_weight_bits)
        self.scale = q.scale
        self.quantization = q
        self._networks: dict[str, dict[str, Any]] = {}
        self.network = None
        self.comparison: FloatLoihiComparison | None = None
        self._threshold_range = (10.0 ** (math.floor(math.log10(model.threshold)) - 2),
                                 10.0 ** (math.ceil(math.log10(model.threshold)) + 2)) \
            if model.threshold > 0 else (1e-3, 1e3)

    # ------------------------------------------------------------------ controls
    def params(self) -> list[_Param]:
        def tau_range(name: str) -> tuple[float, float]:
            low, high = param_range(name, self.conv)
            return max(_tau(min(high, R.DECAY_REGISTER_MAX)), 1e-2), _tau(max(low, 1))

        tm, ts = tau_range("decay_v"), tau_range("decay_I")
        return [
            _Param("scale", "log", 1.0, float(2 ** (R.UV_BITS - 1)), base=2.0, integer=False,
                   fmt=".4g", label="scale",
                   tooltip=f"integer units of v per {self.units}: larger scales resolve "
                           "finer, until threshold or weights leave their registers"),
            _Param("tau_m", "log", tm[0], tm[1], base=10.0, integer=False, fmt=".3g",
                   label="tau_m (ms)", tooltip="membrane time constant of the float model; "
                                              "quantized to decay_v"),
            _Param("tau_syn", "log", ts[0], ts[1], base=10.0, integer=False, fmt=".3g",
                   label="tau_syn (ms)", tooltip="synaptic time constant of the float model;"
                                                 " quantized to decay_I"),
            _Param("threshold", "log", *self._threshold_range, base=10.0, integer=False,
                   fmt=".4g", label=f"threshold ({self.units})",
                   tooltip="threshold of the float model; quantized to threshold_v_mant"),
            _Param("convention", "choice", options=CONVENTION_NAMES, label="convention",
                   tooltip="arithmetic convention of the emulated chip"),
        ]

    def param_names(self) -> tuple[str, ...]:
        return FLOAT_PARAMS

    def get(self, name: str) -> Any:
        if name == "scale":
            return self.scale
        if name == "convention":
            return self.conv.name
        return getattr(self.model, name)

    def readout(self, name: str, value: Any) -> str:
        try:
            if name == "scale":
                return f"2^{math.log2(float(value)):.3g} units / {html.escape(self.units)}"
            if name in ("tau_m", "tau_syn"):
                keep = 0.0 if float(value) <= 0 else math.exp(-1.0 / float(value))
                decay = round(R.DECAY_UNITY * (1 - keep))
                reg = "decay_v" if name == "tau_m" else "decay_I"
                return f"{reg} ≈ {decay}"
            if name == "threshold":
                return f"threshold_v_mant ≈ {round(float(value) * self.scale / 2**R.VTH_SHIFT)}"
        except (ValueError, TypeError, OverflowError):
            return ""
        return ""

    def registers_html(self) -> str:
        q = self.quantization
        return ("<span style='font-size:90%'>registers: decay_v {q.decay_v} · decay_I "
                "{q.decay_I} · threshold_v_mant {q.threshold_v_mant} (= {th:.4g} {u}) · "
                "w_exp {q.w_exp} · w_mant {w} · bias {q.bias_mant}×2^{q.bias_exp}</span>"
                ).format(q=q, th=q.threshold_effective, u=html.escape(self.units),
                         w=html.escape(_ints(q.w_mant.ravel()) if q.w_mant.size else "—"))

    # ------------------------------------------------------------------ state
    def snapshot(self) -> Any:
        return self.model, self.scale, self.conv, self.quantization

    def restore(self, snapshot: Any) -> None:
        self.model, self.scale, self.conv, self.quantization = snapshot

    def apply(self, values: Mapping[str, Any]) -> None:
        unknown = [n for n in values if n not in FLOAT_PARAMS]
        if unknown:
            raise LoihiNetworkError(f"the bench has no parameter {unknown[0]!r}"
                                    + suggest(unknown[0], FLOAT_PARAMS))
        fields = {k: float(values[k]) for k in ("tau_m", "tau_syn", "threshold")
                  if k in values}
        model = dataclasses.replace(self.model, **fields) if fields else self.model
        scale = float(values.get("scale", self.scale))
        conv = get_convention(values["convention"]) if "convention" in values else self.conv
        # all or nothing: quantize first (raises if a value leaves its register)
        q = quantize_lif(model, self.weights, scale, sign_mode=self.sign_mode,
                         num_weight_bits=self.num_weight_bits)
        for name in ("decay_v", "decay_I"):
            low, high = param_range(name, conv)
            value = getattr(q, name)
            if not low <= value <= high:
                raise RegisterRangeError(f"{name}={value} is outside {low}..{high} in the "
                                         f"'{conv.name}' convention")
        self.model, self.scale, self.conv, self.quantization = model, scale, conv, q

    # ------------------------------------------------------------------ running
    def needs_code(self) -> bool:
        return self.conv.name not in self._networks

    def run(self, steps: int, progress: Callable[[RunProgress], Any], every: int) -> _Result:
        objs = self._networks.get(self.conv.name)
        if objs is None:  # first run in this convention: build (code generation) and run
            cmp = compare_float_loihi(
                self.model, self.weights, self.indices, self.times, steps, scale=self.scale,
                sign_mode=self.sign_mode, num_weight_bits=self.num_weight_bits,
                convention=self.conv.name, engine=self.engine_name, name=self.name)
            objs = {o.name[len(self.name) + 1:]: o for o in cmp.network.objects}
            objs["network"] = cmp.network
            self._networks[self.conv.name] = objs
            self.network = cmp.network
            self.comparison = cmp
            return _Result(self._traces(cmp), steps, steps, cmp)
        q = self.quantization
        chip, syn, net = objs["loihi"], objs["loihi_syn"], objs["network"]
        self.network = net
        for key, value in q.neuron_kwargs().items():
            setattr(chip, key, value)
        syn.w_exp = q.w_exp
        pre, post = np.nonzero(self.weights)
        syn.w = q.w_mant[pre, post]
        net.reset()
        fg = objs["float"]
        model = self.model
        for key, value in (("keep_v", model.keep_v), ("keep_I", model.keep_I),
                           ("bias", model.bias), ("threshold", model.threshold),
                           ("ref_period", int(model.refractory))):
            fg.variables[key].set_value(value)
        done = {"steps": 0}

        def counted(info: RunProgress) -> Any:
            done["steps"] = info.steps_done
            return progress(info)

        net.run(steps, namespace={}, progress=counted, progress_every=every)
        return self.read(steps, done["steps"])

    def read(self, steps: int, steps_done: int) -> _Result:
        objs = self._networks[self.conv.name]
        mon_v, mon_u, spk = objs["loihi_v"], objs["loihi_u"], objs["loihi_spikes"]
        fmon, fspk = objs["float_vu"], objs["float_spikes"]
        n = min(len(mon_v.t_step), np.asarray(fmon.t_).size)
        cmp = FloatLoihiComparison(
            model=self.model, weights=self.weights, quantization=self.quantization,
            network=objs["network"], t_step=_copy(mon_v.t_step[:n]),
            v_float=_copy(np.asarray(fmon.v_)[:, :n]), u_float=_copy(np.asarray(fmon.u_)[:, :n]),
            v_loihi=_copy(mon_v.values()[:, :n]), u_loihi=_copy(mon_u.values()[:, :n]),
            spikes_float=(np.array(fspk.i_, dtype=np.int64),
                          np.rint(np.asarray(fspk.t_) * 1000).astype(np.int64)),
            spikes_loihi=(np.array(spk.i_, dtype=np.int64), _copy(spk.t)))
        if steps_done >= steps:
            self.comparison = cmp
        return _Result(self._traces(cmp), steps, steps_done, cmp)

    def _traces(self, cmp: FloatLoihiComparison) -> dict[str, Any]:
        return {"t_step": cmp.t_step, "neurons": np.arange(cmp.v_float.shape[0]),
                "v_float": cmp.v_float, "u_float": cmp.u_float, "v_loihi": cmp.v_loihi,
                "u_loihi": cmp.u_loihi, "v_loihi_scaled": cmp.v_loihi_scaled,
                "v_error": cmp.v_error, "spike_i": cmp.spikes_loihi[0],
                "spike_t": cmp.spikes_loihi[1], "spike_i_float": cmp.spikes_float[0],
                "spike_t_float": cmp.spikes_float[1], "threshold": cmp.model.threshold}

    # ------------------------------------------------------------------ display
    @property
    def engine(self) -> str:
        if self.network is not None:
            return self.network.engine
        return resolve_engine(self.engine_name)

    def make_scope(self, steps: int, max_points: int) -> TraceScope:
        n = self.weights.shape[1]
        return TraceScope(tuple(range(min(n, 3))), mode="float", recorded=tuple(range(n)),
                          threshold=self.model.threshold, steps=steps, units=self.units,
                          max_points=max_points)

    def title(self) -> str:
        n_in, n = self.weights.shape
        return (f"<b>Float model vs Loihi</b> · {n} neuron{'s' if n != 1 else ''}, {n_in} "
                f"input{'s' if n_in != 1 else ''}, {len(self.times)} input spikes · "
                f"engine {html.escape(self.engine)}")

    def convention_text(self) -> str:
        return _convention_html(self.conv, selectable=True)

    def describe(self) -> str:
        n = self.weights.shape[1]
        return f"LoihiLab.from_float ({n} neuron{'s' if n != 1 else ''})"

    def done_text(self, result: _Result) -> str:
        cmp = result.comparison
        f, lo = cmp.spike_counts()
        counts = ((str(int(f[0])), str(int(lo[0]))) if len(f) == 1 else
                  (_list(f), _list(lo)))
        return (f"{result.steps} steps · RMSE of v {cmp.rmse_v():.3g} "
                f"{self.units} · spikes float {counts[0]} / Loihi {counts[1]}")


def _list(values: Sequence[int]) -> str:
    return "[" + ", ".join(str(int(v)) for v in values) + "]"


# --------------------------------------------------------------------------- the demo
def demo_network(*, engine: str | None = None, name: str = "loihilab",
                 convention: str | None = None) -> tuple[LoihiNetwork, LoihiNeuronGroup,
                                                         LoihiSynapses]:
    """Return the network of ``LoihiLab()``: 2 spike inputs -> 3 LIF neurons, mixed weights.

    Input 0 spikes every 4 steps, input 1 every 6 steps in the second half of each 50-step
    period (repeating). One mixed-sign synapse object connects both inputs to each neuron,
    excitatory from input 0 (120, 90, 60), inhibitory from input 1 (-60, -120, -200), so the
    three neurons answer the same input differently. Every object has a fixed name
    (``<name>_input``, ``<name>_neurons``, ``<name>_syn``, ``<name>_net``), so the compiled
    code is reused across kernels.

    Parameters
    ----------
    engine : str, optional
        Engine (default ``$DYNSIM_ENGINE`` or 'auto').
    name : str
        Prefix of the objects' names.
    convention : str, optional
        Arithmetic convention (default 'silicon').

    Returns
    -------
    (LoihiNetwork, LoihiNeuronGroup, LoihiSynapses)

    Examples
    --------
    >>> net, neurons, syn = demo_network(engine="numpy", name="doc_demo")
    >>> len(neurons), syn.w.tolist()
    (3, [120, 90, 60, -60, -120, -200])
    >>> net.run(10)
    """
    period = 50
    t0, t1 = list(range(0, period, 4)), list(range(26, period, 6))
    source = LoihiSpikeGeneratorGroup(2, [0] * len(t0) + [1] * len(t1), t0 + t1,
                                      period=period, name=f"{name}_input")
    neurons = LoihiNeuronGroup(3, refractory=2, threshold_v_mant=500, decay_v=256,
                               decay_I=1024, name=f"{name}_neurons")
    syn = LoihiSynapses(source, neurons, sign_mode=1, name=f"{name}_syn")
    syn.connect(i=[0, 0, 0, 1, 1, 1], j=[0, 1, 2, 0, 1, 2])
    syn.w = [120, 90, 60, -60, -120, -200]
    network = LoihiNetwork(source, neurons, syn, convention=convention, engine=engine,
                           name=f"{name}_net")
    return network, neurons, syn


# --------------------------------------------------------------------------- the bench
class LoihiLab(Bench):
    """A Loihi bench in one call: parameter sliders, live traces, status and error box.

    Wraps a :class:`~dynsim.loihi.LoihiNetwork` (or makes the demo network,
    :func:`demo_network`): sliders for the neuron group's ``decay_v``, ``decay_I``,
    threshold (``threshold_v_mant``), ``bias_mant``, ``bias_exp``, ``refractory`` and the
    synapses' ``w_exp``, ``num_weight_bits`` and weight mantissas (one slider per synapse up
    to :data:`WEIGHT_SLIDERS_MAX`, else one text box); ranges from
    :mod:`dynsim.loihi.registers` as the network's convention allows (:func:`param_range`).
    A :class:`TraceScope` draws v (threshold and spikes marked), u, and for the synapses
    their traces and, when they learn, their weights. Each change re-runs the network from
    its initial state (``network.reset()``) and redraws; during a drag only the latest value
    is simulated (one worker per bench). A value a register cannot hold shows as an error
    in the bench; the network and the plot keep their previous state. Long runs stream
    partial traces with a progress bar, and give way to a newer setting.

    If the network has no monitors of what is drawn, the lab adds its own before the first
    run (fixed names ``<group>_lab_vu``, ``<group>_lab_spikes``, ``<synapses>_lab_traces``,
    ``<synapses>_lab_w``, so compiled code is reused); a network that has run already cannot
    take new objects, so make the lab first.

    Parameters
    ----------
    network : LoihiNetwork, optional
        The network to drive (default: :func:`demo_network`).
    neurons : LoihiNeuronGroup, optional
        The group on the bench (default: the network's only one).
    synapses : LoihiSynapses, optional
        The synapses on the bench (default: the only ones into ``neurons``, if one).
    steps : int
        Steps of each run (1 ms each).
    show : sequence of int, optional
        Neurons drawn at first (default: the first three recorded).
    show_synapses : sequence of int, optional
        Synapses whose traces/weights are drawn (default: the first eight recorded).
    engine : str, optional
        Engine of the demo network (a given network runs on its own engine; naming another
        one is an error).
    name : str
        Name prefix of the demo network's objects.
    max_points : int
        Samples per trace sent to the browser.

    Attributes
    ----------
    scope : TraceScope
        The plot.
    controls : dict of str to ipywidgets.Widget
        The parameter controls by name (``'decay_v'``, ``'w_0'`` ...).

    Examples
    --------
    >>> lab = LoihiLab(engine="numpy", name="doc_lab")
    >>> lab.traces["v"].shape            # waits for the first run: 3 neurons x 200 steps
    (3, 200)
    >>> lab.controls["decay_v"].value = 512     # what a student's drag does
    >>> lab.wait(60)
    True
    >>> lab.network  # doctest: +ELLIPSIS
    <LoihiNetwork 'doc_lab_net': convention='silicon', engine='numpy', ...>
    >>> int(lab.scope.source.data["v_0"][5]) == int(lab.traces["v"][0, 5])
    True
    >>> lab.close()
    """

    def __init__(self, network: LoihiNetwork | None = None, *,
                 neurons: LoihiNeuronGroup | None = None,
                 synapses: LoihiSynapses | None = None, steps: int = 200,
                 show: Sequence[int] | None = None, show_synapses: Sequence[int] | None = None,
                 engine: str | None = None, name: str = "loihilab",
                 max_points: int = 2000) -> None:
        if network is None:
            if neurons is not None or synapses is not None:
                raise LoihiNetworkError("give the network of these neurons/synapses: "
                                        "LoihiLab(network, neurons=..., synapses=...)")
            network, neurons, synapses = demo_network(engine=engine, name=name)
        elif engine is not None and resolve_engine(engine) != getattr(network, "engine", None):
            raise LoihiNetworkError(
                f"engine={engine!r}: network {network.name!r} runs on the engine it was made "
                f"with ({network.engine!r}); choose it there, LoihiNetwork(..., engine=...)")
        # Names used by non-dynsim objects resolve in the caller's namespace, as for a run in
        # the caller's cell (the worker thread has no such frame); {} for dynsim objects.
        namespace = network._caller_namespace(1)
        with simulation_lock():  # may add monitors to a network another bench runs
            model = _ChipModel(network, neurons, synapses, show, show_synapses, namespace)
        self._setup(model, steps, max_points)

    @classmethod
    def from_float(cls, model: FloatLIF, weights: Any, indices: Any, times: Any, *,
                   steps: int = 200, scale: float | None = None, sign_mode: int | None = None,
                   num_weight_bits: int = 8, convention: str = DEFAULT_CONVENTION,
                   engine: str | None = None, name: str = "loihilab_float",
                   units: str = "model units", max_points: int = 2000) -> LoihiLab:
        """Return a bench of a float LIF model next to its Loihi quantization.

        Built on :func:`~dynsim.loihi.compare_float_loihi`: both run on the same input
        spikes; the v figure overlays the float model's v (model units) and the Loihi v
        scaled back (``v_loihi / scale``), the figure beneath shows the error. Sliders set
        the ``scale`` (integer units per model unit) and the float model's ``tau_m``,
        ``tau_syn`` and ``threshold``, each change re-quantized
        (:func:`~dynsim.loihi.quantize_lif`); a dropdown picks the convention. The status
        line shows the RMSE of v and the spike counts, a line beneath the registers.

        Parameters
        ----------
        model : FloatLIF
            The float model.
        weights : array_like of float, shape (inputs, neurons)
            Input weights in model units.
        indices, times : array_like of int
            Input spikes (input index, step).
        steps : int
            Steps of each run.
        scale : float, optional
            Initial scale (default: as :func:`~dynsim.loihi.quantize_lif` chooses).
        sign_mode, num_weight_bits
            As for :func:`~dynsim.loihi.quantize_lif`.
        convention : str
            Initial arithmetic convention.
        engine : str, optional
            Engine of both models (default ``$DYNSIM_ENGINE`` or 'auto').
        name : str
            Prefix of the objects' names (fixed: compiled code is reused).
        units : str
            The model's unit of v, for labels (e.g. ``'mV'``).
        max_points : int
            Samples per trace sent to the browser.

        Returns
        -------
        LoihiLab

        Raises
        ------
        dynsim.errors.RegisterRangeError, dynsim.errors.SpikeInputError
            At once, if the model cannot be quantized at ``scale`` or the input is invalid.

        Examples
        --------
        >>> lab = LoihiLab.from_float(FloatLIF(tau_m=20, tau_syn=5, threshold=1.0),
        ...                           [[0.4]], [0, 0, 0], [1, 2, 3], steps=20,
        ...                           engine="numpy", name="doc_float")
        >>> sorted(k for k in lab.traces if k.startswith("v_"))
        ['v_error', 'v_float', 'v_loihi', 'v_loihi_scaled']
        >>> bool(abs(lab.comparison.v_error).max() < 0.01)
        True
        >>> lab.close()
        """
        lab = cls.__new__(cls)
        lab._setup(_FloatModel(model, weights, indices, times, scale=scale,
                               sign_mode=sign_mode, num_weight_bits=num_weight_bits,
                               convention=convention, engine=engine, name=name, units=units),
                   steps, max_points)
        return lab

    def _setup(self, model: _Model, steps: int, max_points: int) -> None:
        steps = _steps_value(steps)
        Bench.__init__(self, name=getattr(model, "name", None) or model.network.name)
        self._model = model
        self._steps = steps
        self._streamed = False
        self._seconds_per_step: float | None = None  # of the last complete run
        self.scope = model.make_scope(steps, max_points)
        self.panel = _ParamPanel(model.params(), model, self)
        self.controls = self.panel.controls
        self._build_widgets()
        self.set_children(self._layout())
        self.status.set("ready")
        self.request()

    # ------------------------------------------------------------------ layout
    def _build_widgets(self) -> None:
        self.title = HTML(self._model.title())
        self.convention_label = HTML(self._model.convention_text())
        self.convention_label.add_class("dynsim-loihi-convention")
        self.registers = HTML("")
        self.registers.add_class("dynsim-loihi-registers")
        notes = getattr(self._model, "notes", [])
        self.note = HTML("".join(f"<div style='color:#8d6e00'>{html.escape(n)}</div>"
                                 for n in notes))
        self.steps_control = IntText(value=self._steps, description="steps",
                                     continuous_update=False, layout=Layout(width="170px"))
        self.run_button = self._run_controls(self.steps_control, "steps", "dynsim-lab-steps")

    def _layout(self) -> list[Widget]:
        side = VBox([*self.panel.rows,
                     HBox([self.steps_control, self.run_button],
                          layout=Layout(margin="8px 0 0 0"))],
                    layout=Layout(margin="0 0 0 12px"))
        top = HBox([self.scope.widget, side], layout=Layout(flex_flow="row wrap"))
        return [self.title, self.convention_label, self.status.line, top, self.registers,
                self.status.error, self.note]

    # ------------------------------------------------------------------ Bench hooks
    def _snapshot(self) -> Any:
        return self._model.snapshot(), self._steps

    def _restore(self, snapshot: Any) -> None:
        state, steps = snapshot
        self._model.restore(state)
        self._steps = steps

    def _apply(self, changes: dict[Hashable, Any]) -> None:
        if ("steps",) in changes:
            self._steps = _steps_value(changes[("steps",)])
        values = {key[1]: value for key, value in changes.items()
                  if isinstance(key, tuple) and len(key) == 2 and key[0] == "param"}
        if values:
            self._model.apply(values)

    def _sync_controls(self) -> None:
        self.panel.refresh()
        if self.steps_control.value != self._steps:
            self.steps_control.value = self._steps
        self.convention_label.value = self._model.convention_text()

    def _begin_text(self) -> str:
        text = f"simulating {self._steps} steps ({self._model.engine})"
        if self._model.needs_code():
            text += ", generating code first" + (
                " (Cython compiles once, then reuses it)" if self._model.engine == "cython"
                else "")
        return text + " …"

    def _simulate(self) -> _Result:
        steps, model = self._steps, self._model
        self._streamed = False
        # Chunks cost little on the fast re-run path but a full Brian2 preparation each
        # otherwise: a run expected to be short goes in one piece (nothing to stream).
        expected = self._seconds_per_step * steps if self._seconds_per_step else math.inf
        every = max(1, steps // 10) if expected >= STREAM_AFTER else steps

        def progress(info: RunProgress) -> Any:
            if info.steps_done >= info.steps_total:
                return None
            remaining = info.elapsed / max(info.fraction, 1e-9) * (1 - info.fraction)
            if self.pending and remaining > YIELD_AFTER:
                return False  # a newer setting is waiting: it runs next
            if info.elapsed >= STREAM_AFTER:
                self.status.progress(info.fraction, f"simulating step {info.steps_done} of "
                                                    f"{info.steps_total} ({model.engine}) …")
                self.scope.set_steps(steps)
                self.scope.show(model.read(steps, info.steps_done).traces)
                self._streamed = True
            return None

        start, first = time.perf_counter(), model.needs_code()
        try:
            result = model.run(steps, progress, every)
        except BaseException:
            if self._streamed and self._result is not None:  # put the last good plot back
                self.scope.show(self._result.traces)
            raise
        if result.complete and not first:  # code generation is no step time
            self._seconds_per_step = (time.perf_counter() - start) / steps
        return result

    def _show(self, result: _Result) -> None:
        if not result.complete:
            return  # a newer setting interrupted it; its run follows at once
        self.scope.set_steps(result.steps)
        self.scope.show(result.traces)
        # readouts only: setting the controls here would pull a slider back during a drag
        self.panel.update_readouts()
        self.convention_label.value = self._model.convention_text()
        if isinstance(self._model, _FloatModel):
            self.registers.value = self._model.registers_html()

    def _done_text(self, result: _Result, seconds: float) -> str:
        if not result.complete:
            return (f"stopped at step {result.steps_done} of {result.steps}: a newer setting "
                    "runs now")
        return f"{self._model.done_text(result)} · simulated in {format_time(seconds)} " \
               f"({self._model.engine})"

    # ------------------------------------------------------------------ API
    def describe(self) -> str:
        """One stable line, e.g. ``"LoihiLab (3 neurons 'loihilab_neurons', convention ...)"``."""
        return self._model.describe()

    @property
    def network(self) -> LoihiNetwork | None:
        """The network on the bench (float mode: that of the current convention, once run)."""
        return self._model.network

    @property
    def convention(self) -> str:
        """The arithmetic convention of the network on the bench."""
        return self._model.conv.name

    @property
    def steps(self) -> int:
        """Steps of each run."""
        return self._steps

    @property
    def traces(self) -> dict[str, np.ndarray] | None:
        """The latest recorded data by name (waits for a run in progress first).

        ``t_step``, ``neurons`` (the neuron of each row), ``v`` and ``u`` (rows x steps),
        ``spike_i`` and ``spike_t``, ``threshold`` (vth, units of v); with synapses on the
        bench ``synapses`` and their traces (``x1`` ...) and, when they learn, ``w``; all
        int64. Float mode: ``v_float``, ``u_float`` (model units), ``v_loihi``, ``u_loihi``
        (int64), ``v_loihi_scaled``, ``v_error``, ``spike_i_float``, ``spike_t_float``.
        """
        self.wait()
        return None if self._result is None else self._result.traces

    @property
    def comparison(self) -> FloatLoihiComparison | None:
        """Float mode: the latest :class:`~dynsim.loihi.FloatLoihiComparison` (waits first)."""
        self.wait()
        return getattr(self._model, "comparison", None)

    @property
    def quantization(self) -> LoihiQuantization | None:
        """Float mode: the Loihi integers of the current float model and scale."""
        return getattr(self._model, "quantization", None)

    def param_names(self) -> tuple[str, ...]:
        """Names :meth:`set_param` accepts."""
        return self._model.param_names()

    def set_param(self, name: str, value: Any) -> None:
        """Set a parameter as its control would (the control moves too); a run follows.

        A value its register cannot hold shows in the bench's error box after the run
        attempt (and :meth:`run` raises it); the network keeps its previous value.

        Parameters
        ----------
        name : str
            A control's name (:meth:`param_names`: ``'decay_v'``, ``'threshold_v_mant'``,
            ``'w_exp'``, ``'w'`` (all mantissas: one value or one per synapse), ``'w_<k>'``
            ...; float mode ``'scale'``, ``'tau_m'``, ``'tau_syn'``, ``'threshold'``,
            ``'convention'``), or ``'steps'``.
        value : object
            The new value.

        Raises
        ------
        dynsim.errors.LoihiNetworkError
            For a name the bench does not control (at once).
        """
        if name == "steps":
            with self.quiet():
                self.steps_control.value = int(value)
            self.request({("steps",): value})
            return
        names = self.param_names()
        if name not in names:
            raise LoihiNetworkError(f"the bench has no parameter {name!r}; it controls "
                                    f"{', '.join(names)}" + suggest(name, names))
        if name in self.controls:
            self.panel.show_value(name, value)
        elif name == "w":
            values = parse_ints(value) if isinstance(value, str) else np.atleast_1d(value)
            singles = [n for n in self.controls if n.startswith("w_") and n[2:].isdigit()]
            if len(values) in (1, len(singles)):
                for n in singles:
                    self.panel.show_value(n, values[int(n[2:]) % len(values)])
        self.request({("param", name): value})

    def run(self, steps: int | None = None,  # type: ignore[override]
            timeout: float | None = None) -> dict[str, np.ndarray]:
        """Re-run from the initial state now (optionally for ``steps``), wait, return traces.

        Raises
        ------
        Exception
            What the run raised (also shown in the error box).
        """
        if steps is not None:
            self.set_param("steps", steps)
        result = super().run(timeout)
        if not result.complete:  # a newer setting interrupted it: return what followed
            self.wait(timeout)
            result = self._result
        return result.traces

    def close(self) -> None:
        """Stop the worker and close every widget of the bench."""
        self.scope.close()
        super().close()
