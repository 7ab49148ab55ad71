"""DYNAP-SE widgets: bias panel, input panel, current scope, and the composed ``DynapseLab``.

Every bias fact shown here (names, groups, ranges, defaults, roles, currents, time constants,
which biases are modelled) comes from :mod:`dynsim.dynapse.biases` and
:mod:`dynsim.dynapse.constants`; every current the scope draws comes from a
:class:`dynsim.dynapse.Recording`. Nothing about the chip is restated in this module.

Examples
--------
In a notebook, one line gives a bench (sliders, inputs, live scope)::

    from dynsim.widgets import DynapseLab
    lab = DynapseLab()          # 1 neuron on Core_0, inputs on all four synapse types
    lab                         # shows it; move a slider and the currents redraw

    lab.set_bias({"IF_DC_P": (1, 80)})    # the slider moves too
    lab.recording.Imem                    # waits for the run, then the latest Recording

A panel alone, for a chip of the beginner layer (changes apply at once)::

    from dynsim.widgets import BiasPanel
    BiasPanel(chip, "Core_1")
"""

from __future__ import annotations

import html
import os
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from brian2 import Quantity, second
from ipywidgets import HTML, Dropdown, HBox, Layout, Widget

from dynsim.dynapse.constants import CORE_NAMES, DEFAULT_DT, SYNAPSE_TYPES
from dynsim.dynapse.experiment import Experiment
from dynsim.dynapse.mismatch import Mismatch
from dynsim.dynapse.recording import Recording
from dynsim.engine import ENGINE_ENV, STANDALONE
from dynsim.errors import InvalidSettingError
from dynsim.validation import duration_seconds

from ._bokeh import format_time, load_bokehjs
from ._worker import simulation_lock
from .bench import Bench, control_tabs, plot_beside_controls
from .dynapse_biases import BiasPanel, bias_changes, group_heading
from .dynapse_inputs import InputPanel, input_changes, parse_times_ms, restore_inputs
from .dynapse_scope import CURRENTS, CurrentScope

__all__ = [
    "CURRENTS",
    "DEFAULT_INPUTS",
    "BiasPanel",
    "CurrentScope",
    "DynapseLab",
    "InputPanel",
    "parse_times_ms",
]

#: Inputs of a new :class:`DynapseLab`: every synapse type driven, the neuron firing ~20 Hz
#: with the default biases (kind, rate in Hz, weight in CAM entries).
DEFAULT_INPUTS: dict[str, dict[str, Any]] = {
    "AMPA": {"kind": "poisson", "rate": 100.0, "weight": 4},
    "NMDA": {"kind": "poisson", "rate": 50.0, "weight": 2},
    "GABA_A": {"kind": "poisson", "rate": 20.0, "weight": 2},
    "GABA_B": {"kind": "regular", "rate": 10.0, "weight": 2},
}

#: Durations offered by the bench (seconds).
_DURATIONS = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)

#: Heights (px) of the bench's current plot and spike raster: with the tab of controls
#: beneath them the whole bench stays within ~850 px (issue 11: it fits a 1100 px screen).
SCOPE_HEIGHT, RASTER_HEIGHT = 270, 100

#: The longest run a bench simulates (s): its recording (six currents of each neuron every
#: time step) must fit in memory; the duration menu offers up to 10 s.
MAX_DURATION = 60.0


def _seconds(value: Quantity | float) -> float:
    """Return a duration (Quantity, or plain seconds) in seconds, in 0..MAX_DURATION."""
    return duration_seconds(value, plain_ok=True, high=MAX_DURATION)


# --------------------------------------------------------------------------- the bench
class DynapseLab(Bench):
    """A DYNAP-SE bench in one call: bias sliders, inputs, live current scope and raster.

    Builds an :class:`~dynsim.dynapse.Experiment` (or wraps the one given) and shows a
    :class:`CurrentScope` at a fixed place with, beside it (beneath it in a narrow notebook),
    the controls in tabs by job (:attr:`controls_tab`): ``neuron`` (the neuron's and its
    adaptation's biases), ``AMPA``, ``NMDA``, ``GABA_A``, ``GABA_B`` (each synapse type's
    biases), ``inputs`` (the :class:`InputPanel`) and ``run & files`` (duration, run again,
    the bias files of the core's :class:`BiasPanel`); a status line above, an error box
    below. The whole bench is about 850 px tall, so the plot stays on screen while any
    control is used. A slider change re-simulates from rest and redraws; while a drag goes
    on, only the latest value is simulated (one worker thread per bench). An error (a bad
    value, a CAM budget overflow, a failed run) shows in the bench; the chip and the plot
    keep their previous state. Runtime engines stream the currents into the plot and show a
    progress bar; the standalone engine runs 1 s in tens of milliseconds.

    Parameters
    ----------
    experiment : Experiment, optional
        Use this experiment (its neurons, core, inputs and engine) instead of making one.
    n_neurons : int
        Neurons of a new experiment (default 1).
    core : str or int
        Core of a new experiment (default ``'Core_0'``).
    chip_id : int
        Chip of a new experiment (default 0).
    engine : str, optional
        Engine of a new experiment: default ``$DYNSIM_ENGINE`` when set, else
        ``'standalone'`` (which falls back to a runtime engine, with the reason shown, where
        no compiler or ``make`` is available).
    duration : Quantity
        Simulated time of each run (default 1 s).
    dt : Quantity
        Time step of a new experiment (default 0.1 ms).
    mismatch : Mismatch, optional
        Device mismatch of a new experiment.
    seed : int
        Seed of the Poisson inputs of a new experiment.
    inputs : dict, optional
        ``{type: {"kind", "rate", "times", "weight"}}`` for a new experiment (default:
        :data:`DEFAULT_INPUTS`, all four synapse types driven).
    neurons : sequence of int, optional
        Neurons whose currents are drawn (default: the first, up to 1).
    log_y : bool
        Start with a log-scale current axis (default).
    name : str, optional
        Name of a new experiment (its Brian2 objects and compiled standalone project).
        Default ``'dynapselab'`` (``'dynapselab_<n>'`` for n neurons): benches of one name
        share one compiled project, cached across sessions; two benches of the same name
        and size take turns at the cost of a rebuild without compiling (well under a second).
        Give benches of different durations their own names, or each switch recompiles.
    max_points : int
        Samples per trace sent to the browser.
    file_controls : bool, optional
        Show the bias panel's path box with its save and load buttons (see
        :mod:`dynsim.widgets.bias_files`; default: on, except in Voila and on Binder).

    Examples
    --------
    >>> from brian2 import ms
    >>> lab = DynapseLab(engine="numpy", duration=50 * ms, name="lab_doc")
    >>> lab.recording.Imem.shape          # waits for the first run
    (1, 500)
    >>> lab.set_bias({"IF_DC_P": (1, 120)})
    >>> lab.wait(60)
    True
    >>> lab.experiment.get_bias().param_map["IF_DC_P"].fine_value
    120
    >>> lab.bias_panel.controls["IF_DC_P"].fine.value
    120
    >>> lab.close()
    """

    def __init__(self, experiment: Experiment | None = None, *, n_neurons: int = 1,
                 core: str | int = "Core_0", chip_id: int = 0, engine: str | None = None,
                 duration: Quantity = 1 * second, dt: Quantity = DEFAULT_DT,
                 mismatch: Mismatch | None = None, seed: int = 0,
                 inputs: Mapping[str, Mapping[str, Any]] | None = None,
                 neurons: Sequence[int] | None = None, log_y: bool = True,
                 name: str | None = None, max_points: int = 2000,
                 file_controls: bool | None = None) -> None:
        if name is None:
            name = "dynapselab" if n_neurons == 1 else f"dynapselab_{n_neurons}"
        super().__init__(name=name if experiment is None else experiment.name)
        # BokehJS first (a kernel only, once): the page parses it while the panels are made
        # and the model is built, not after (the scope would load it later otherwise).
        load_bokehjs()
        self._duration = _seconds(duration)
        if experiment is None:
            chosen = engine if engine is not None else (os.environ.get(ENGINE_ENV)
                                                        or STANDALONE)
            experiment = Experiment(n_neurons, core=core, chip_id=chip_id, engine=chosen,
                                    dt=dt, mismatch=mismatch, seed=seed, name=name)
            self._experiment = experiment
            self.input_panel = InputPanel(experiment, host=self)
            for synapse, state in (DEFAULT_INPUTS if inputs is None else inputs).items():
                full = {"kind": "poisson", "rate": 0.0, "times": "", "weight": 1, **state}
                if not isinstance(full["times"], str):
                    full["times"] = ", ".join(f"{float(t):g}" for t in full["times"])
                self.input_panel.apply({synapse: full})
            self.input_panel.refresh()
        else:
            if not isinstance(experiment, Experiment):
                raise InvalidSettingError("DynapseLab(experiment=...) takes a dynsim.dynapse."
                                          f"Experiment, got {type(experiment).__name__}")
            self._experiment = experiment
            self.input_panel = InputPanel(experiment, host=self)
        self.bias_panel = BiasPanel(experiment, host=self, file_controls=file_controls)
        shown = tuple(neurons) if neurons is not None else (0,)
        self.scope = CurrentScope(shown, [c for c in CURRENTS if c in experiment.record],
                                  n_neurons=experiment.n_neurons, log_y=log_y,
                                  duration=self._duration, max_points=max_points,
                                  height=SCOPE_HEIGHT, raster_height=RASTER_HEIGHT)
        self._build_controls()
        self.set_children(self._layout())
        # Build now, on the caller's thread: a standalone build switches Brian2's
        # process-wide device, which must not happen behind the user's next cell. (Under the
        # simulation lock: another bench's worker may be running the standalone project.)
        with simulation_lock():
            experiment.prepare(self._duration * second)
        self.status.set("ready")
        self.request()

    # ------------------------------------------------------------------ layout
    def _build_controls(self) -> None:
        options = sorted({*_DURATIONS, self._duration})
        self.duration_control = Dropdown(
            options=[(format_time(d), d) for d in options], value=self._duration,
            description="duration", layout=Layout(width="170px"))
        self.run_button = self._run_controls(self.duration_control, "duration",
                                             "dynsim-lab-duration")

    def _layout(self) -> list[Widget]:
        exp = self._experiment
        engine = exp.engine + (f" — {exp.fallback_reason}" if exp.fallback_reason else "")
        neurons = f"{exp.n_neurons} neuron{'s' if exp.n_neurons > 1 else ''}"
        title = HTML(f"<b>DYNAP-SE bench</b> · {neurons} on {CORE_NAMES[exp.core_id]} of chip "
                     f"{exp.chip_id} · engine {html.escape(engine)}")
        self.controls_tab = control_tabs(self._control_groups())
        main = plot_beside_controls(self.scope.widget, self.controls_tab)
        return [title, self.status.line, main, self.status.error]

    def _control_groups(self) -> list[tuple[str, list[Widget]]]:
        """Return the bench's controls by job (the tabs of :attr:`controls_tab`).

        ``neuron`` (the neuron's biases and, under a heading, its adaptation), one tab per
        synapse type (its DPI's biases), ``inputs`` (the input of each synapse type) and
        ``run & files`` (duration, run again, reset / save / load / download / upload of the
        biases, and the unmodelled biases folded away).
        """
        panel = self.bias_panel
        groups: dict[str, list[Widget]] = {}
        for group in panel.modelled_groups():
            if group in SYNAPSE_TYPES or not groups:
                groups[group] = panel.group_rows(group)
            else:  # adaptation: part of the neuron, under its own heading
                first = next(iter(groups.values()))
                first.extend([group_heading(group), *panel.group_rows(group)])
        groups["inputs"] = [self.input_panel.widget]
        run = HBox([self.duration_control, self.run_button],
                   layout=Layout(align_items="center"))
        folded = panel.folded_groups()
        groups["run & files"] = [run, panel.bar, *([folded] if folded is not None else [])]
        return list(groups.items())

    # ------------------------------------------------------------------ Bench hooks
    def _snapshot(self) -> Any:
        return self._experiment.get_bias(), self._experiment.inputs, self._duration

    def _restore(self, snapshot: Any) -> None:
        biases, inputs, duration = snapshot
        self._experiment.set_bias(biases)
        restore_inputs(self._experiment, inputs)
        self._duration = duration

    def _apply(self, changes: dict[Hashable, Any]) -> None:
        self.bias_panel.apply(bias_changes(changes))
        self.input_panel.apply(input_changes(changes))
        if ("duration",) in changes:
            self._duration = _seconds(changes[("duration",)])
            self.scope.set_duration(self._duration)

    def _sync_controls(self) -> None:
        self.bias_panel.refresh()
        self.input_panel.refresh()
        self.scope.set_duration(self._duration)
        if self.duration_control.value != self._duration:
            self.duration_control.value = self._duration

    def _begin_text(self) -> str:
        exp = self._experiment
        text = f"simulating {format_time(self._duration)} ({exp.engine})"
        if exp.needs_build(self._duration * second):
            text += ", compiling the model first"
        return text + " …"

    def _simulate(self) -> Recording:
        exp = self._experiment
        duration = self._duration * second
        if exp.engine == STANDALONE:
            return exp.run(duration)
        chunk = max(self._duration / 8, 0.02)

        def partial(recording: Recording) -> None:
            if recording.progress < 1.0:
                self.status.progress(recording.progress)
                self.scope.show(recording)

        return exp.run(duration, callback=partial, chunk=chunk * second)

    def _show(self, result: Recording) -> None:
        self.scope.show(result)

    def _done_text(self, result: Recording, seconds: float) -> str:
        count = len(result.spike_indices)
        text = (f"{format_time(self._duration)} simulated in {format_time(seconds)} "
                f"({self._experiment.engine}) · {count} spike{'s' if count != 1 else ''}")
        if self._experiment.n_neurons == 1:
            text += f" ({count / self._duration:.3g} Hz)"
        return text

    # ------------------------------------------------------------------ API
    def describe(self) -> str:
        """One stable line: ``'DynapseLab (1 neuron on Core_0 of chip 0)'``."""
        exp = self._experiment
        return (f"DynapseLab ({exp.n_neurons} neuron{'s' if exp.n_neurons > 1 else ''} on "
                f"{CORE_NAMES[exp.core_id]} of chip {exp.chip_id})")

    @property
    def experiment(self) -> Experiment:
        """The experiment behind the bench (change it through the bench while it is shown)."""
        return self._experiment

    @property
    def recording(self) -> Recording | None:
        """The latest successful Recording; waits for a run in progress first."""
        self.wait()
        return self._result

    @property
    def duration(self) -> float:
        """Simulated time of each run, in seconds."""
        return self._duration

    def set_bias(self, biases: Any) -> None:
        """Set biases (as ``Experiment.set_bias`` takes them); sliders move, a run follows.

        Raises
        ------
        dynsim.errors.UnknownBiasError, dynsim.errors.BiasRangeError
            At once, before anything changes.
        """
        self.bias_panel.set_bias(biases)

    def set_input(self, synapse_type: str, **fields: Any) -> None:
        """Set one input (``kind``, ``rate`` Hz, ``times`` ms, ``weight``); a run follows.

        See :meth:`InputPanel.set`. Budget errors show in the bench's error box.
        """
        self.input_panel.set(synapse_type, **fields)

    def run(self, duration: Quantity | None = None,  # type: ignore[override]
            timeout: float | None = None) -> Recording:
        """Simulate now (optionally with a new duration), wait, and return the Recording.

        Raises
        ------
        Exception
            What the run raised (also shown in the error box).
        """
        if duration is not None:
            self.request({("duration",): _seconds(duration)})
        return super().run(timeout)

    def close(self) -> None:
        """Stop the worker and close every widget of the bench."""
        self.scope.close()
        self.bias_panel.close()
        super().close()

