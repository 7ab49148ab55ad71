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

import html
import math
import time
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
from ipywidgets import (
    HTML,
    HBox,
    IntText,
    Layout,
    Widget,
)

from dynsim.engine import resolve_engine
from dynsim.errors import LoihiNetworkError, suggest
from dynsim.loihi.conventions import (
    DEFAULT_CONVENTION,
)
from dynsim.loihi.float_model import (
    FloatLIF,
    FloatLoihiComparison,
    LoihiQuantization,
)
from dynsim.loihi.generators import LoihiSpikeGeneratorGroup
from dynsim.loihi.network import LoihiNetwork, RunProgress
from dynsim.loihi.neurons import LoihiNeuronGroup
from dynsim.loihi.synapses import LoihiSynapses

from ._bokeh import format_time
from ._worker import simulation_lock
from .bench import Bench, control_tabs, plot_beside_controls
from .loihi_models import _ChipModel, _FloatModel, _Model, _Result
from .loihi_params import (
    FLOAT_PARAMS,
    NEURON_PARAMS,
    SYNAPSE_PARAMS,
    WEIGHT_SLIDERS_MAX,
    _ParamPanel,
    _steps_value,
    param_group,
    param_range,
    parse_ints,
)
from .loihi_scope import TraceScope
from .loihi_views import view_of

__all__ = [
    "FLOAT_PARAMS",
    "NEURON_PARAMS",
    "SYNAPSE_PARAMS",
    "WEIGHT_SLIDERS_MAX",
    "LoihiLab",
    "TraceScope",
    "demo_network",
    "param_range",
    "parse_ints",
]

#: A run streams partial traces (and shows a progress bar) once it has taken this long (s).
STREAM_AFTER = 0.25
#: A run gives way to a newer setting when it would still take longer than this (s).
YIELD_AFTER = 0.5


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
            The float model; its ``tau_m``, ``tau_syn`` and ``threshold`` are the sliders'
            first values.
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
        self._view = view_of(model)
        self.scope = self._view.make_scope(steps, max_points)
        self.panel = _ParamPanel(model.params(), model.get, self._view.readout, self)
        self.controls = self.panel.controls
        self._build_widgets()
        self.set_children(self._layout())
        self.status.set("ready")
        self.request()

    # ------------------------------------------------------------------ layout
    def _build_widgets(self) -> None:
        self.title = HTML(self._view.title())
        self.convention_label = HTML(self._view.convention_text())
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
        groups: dict[str, list[Widget]] = {}
        for name, row in zip(self.panel.params, self.panel.rows, strict=True):
            groups.setdefault(param_group(name), []).append(row)
        groups["run"] = [HBox([self.steps_control, self.run_button],
                              layout=Layout(align_items="center"))]
        self.controls_tab = control_tabs(list(groups.items()), width="560px")
        main = plot_beside_controls(self.scope.widget, self.controls_tab)
        return [self.title, self.convention_label, self.status.line, main, self.registers,
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
        self.convention_label.value = self._view.convention_text()

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
        self.convention_label.value = self._view.convention_text()
        self.registers.value = self._view.registers_html()

    def _done_text(self, result: _Result, seconds: float) -> str:
        if not result.complete:
            return (f"stopped at step {result.steps_done} of {result.steps}: a newer setting "
                    "runs now")
        return f"{self._view.done_text(result)} · simulated in {format_time(seconds)} " \
               f"({self._model.engine})"

    # ------------------------------------------------------------------ API
    def describe(self) -> str:
        """One stable line, e.g. ``"LoihiLab (3 neurons 'loihilab_neurons', convention ...)"``."""
        return self._view.describe()

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
            steps = _steps_value(value)  # checked before the box shows it
            with self.quiet():
                self.steps_control.value = steps
            self.request({("steps",): steps})
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

