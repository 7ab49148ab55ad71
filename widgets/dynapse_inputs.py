"""DYNAP-SE input panel: the input of each synapse type (Poisson, regular, spike pattern).

The inputs are set through :meth:`dynsim.dynapse.Experiment.set_input`, which checks the
rate, the weight (CAM entries; the four inputs share :data:`~dynsim.dynapse.constants.
CAMS_PER_NEURON`) and the spike times; the panel's boxes are bounded by the same limits, so
a box cannot even hold a value the experiment would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
from brian2 import Hz, ms, second
from ipywidgets import (
    HTML,
    BoundedFloatText,
    BoundedIntText,
    Dropdown,
    HBox,
    Layout,
    Text,
    VBox,
    Widget,
)
from traitlets import validate

from dynsim.dynapse import constants
from dynsim.dynapse.constants import CAMS_PER_NEURON, FPGA_CLOCK_HZ, SYNAPSE_TYPES
from dynsim.dynapse.experiment import Experiment, InputSpec
from dynsim.errors import CAMLimitError, InvalidSettingError, WeightError
from dynsim.validation import bounded_size, choice, finite_number, rate_hz, whole_number

from .bench import DirectHost, Host
from .dynapse_scope import _COLORS, _SYNAPSE_CURRENT

__all__ = ["MAX_SPIKE_TIMES", "RATE_MAX_HZ", "InputPanel", "input_changes", "parse_times_ms",
           "restore_inputs"]

#: The highest rate an input box holds (Hz): the library's bound of an input generator,
#: ``dynsim.dynapse.constants.POISSON_RATE_MAX_HZ`` (the Poisson generator's rate register,
#: checked by ``dynsim.dynapse.stimulus.check_rate``); a library without that constant: one
#: event per FPGA clock tick at the smallest ISI multiplier (90 MHz / 90).
RATE_MAX_HZ: float = float(getattr(constants, "POISSON_RATE_MAX_HZ", FPGA_CLOCK_HZ / 90))
#: The most spike times a spike-pattern box takes.
MAX_SPIKE_TIMES = 10_000
#: The longest text a spike-pattern box takes (characters): MAX_SPIKE_TIMES numbers.
_MAX_TIMES_TEXT = 32 * MAX_SPIKE_TIMES
#: Input kinds: (label in the dropdown, value).
_KINDS = (("Poisson", "poisson"), ("regular", "regular"), ("spike pattern", "spikes"),
          ("off", "off"))


# --------------------------------------------------------------------------- input panel
def parse_times_ms(text: str) -> np.ndarray:
    """Return the spike times (ms) written in ``text`` (``'10, 50 120'``), sorted.

    At most :data:`MAX_SPIKE_TIMES` times, each finite and >= 0; the text is bounded before
    it is split.

    Raises
    ------
    dynsim.errors.InvalidSettingError
        For a word that is not a number (naming it), a negative or infinite time, or too many.

    Examples
    --------
    >>> parse_times_ms("120, 10; 50").tolist()
    [10.0, 50.0, 120.0]
    >>> parse_times_ms("10, -5")
    Traceback (most recent call last):
    ...
    dynsim.errors.InvalidSettingError: spike time must be >= 0.0, got -5
    """
    if not isinstance(text, str):
        raise InvalidSettingError(f"spike pattern: write the times in ms as text, e.g. "
                                  f"'10, 50, 120'; got {type(text).__name__}")
    if len(text) > _MAX_TIMES_TEXT:
        raise InvalidSettingError(f"spike pattern: at most {MAX_SPIKE_TIMES} times "
                                  f"({_MAX_TIMES_TEXT} characters); got {len(text)} characters")
    words = [w for w in re.split(r"[\s,;]+", text.strip()) if w]
    bounded_size(len(words), "spike pattern: number of times", high=MAX_SPIKE_TIMES)
    values = []
    for word in words:
        try:
            number = float(word)
        except ValueError:
            raise InvalidSettingError(
                f"spike pattern: {word[:40]!r} is not a number; write the times in ms separated "
                f"by commas, e.g. '10, 50, 120'") from None
        values.append(finite_number(number, "spike time", low=0.0))
    return np.sort(np.array(values, dtype=float))


def check_input_state(name: str, state: Mapping[str, Any]) -> dict[str, Any]:
    """Return a row state ``{kind, rate, times, weight}`` after checking every field.

    The kind is one of the four, the rate (Hz) finite in ``0..RATE_MAX_HZ``, the weight a
    whole number of CAM entries in ``0..CAMS_PER_NEURON``; checked before anything is
    allocated or cast (the spike times are parsed when applied).

    Raises
    ------
    dynsim.errors.InvalidSettingError
        Naming the field and its valid values.

    Examples
    --------
    >>> check_input_state("AMPA", {"kind": "regular", "rate": 3e12, "times": "", "weight": 1})
    Traceback (most recent call last):
    ...
    dynsim.errors.InvalidSettingError: AMPA rate 3e+12 Hz is above the highest rate this input can make, ...
    """  # noqa: E501
    if not isinstance(state, Mapping):
        raise InvalidSettingError(f"{name} input: give a dict of kind, rate, times, weight; "
                                  f"got {type(state).__name__}")
    kind = choice(state.get("kind", "off"), f"{name} input kind", [k for _, k in _KINDS])
    rate = rate_hz(state.get("rate", 0.0), f"{name} rate", high=RATE_MAX_HZ,
                   limit_source="the input generator's limit")
    weight = whole_number(state.get("weight", 1), f"{name} weight (CAM entries)", low=0,
                          error=WeightError, integral_floats=True)
    whole_number(weight, f"{name} weight (CAM entries)", high=CAMS_PER_NEURON,
                 error=CAMLimitError,
                 hint=f"A neuron has {CAMS_PER_NEURON}, shared by its four inputs.")
    times = state.get("times", "")
    if not isinstance(times, str):
        raise InvalidSettingError(f"{name} times: write them in ms as text, e.g. '10, 50'")
    return {"kind": kind, "rate": rate, "times": times, "weight": weight}


class _LimitedIntText(BoundedIntText):
    """An int box the browser keeps in ``min..max`` (it clamps what is typed).

    A value set from Python is not clamped silently: it reaches the panel's check, which
    refuses it with a named error and puts the box back.
    """

    @validate("value")
    def _validate_value(self, proposal: Any) -> Any:
        return proposal["value"]


class _LimitedFloatText(BoundedFloatText):
    """A float box the browser keeps in ``min..max``; see :class:`_LimitedIntText`."""

    @validate("value")
    def _validate_value(self, proposal: Any) -> Any:
        return proposal["value"]


class _InputRow:
    KINDS = _KINDS

    def __init__(self, name: str) -> None:
        self.name = name
        color = _COLORS[_SYNAPSE_CURRENT[name]]
        self.label = HTML(f"<b style='color:{color}'>{name}</b>", layout=Layout(width="70px"))
        self.kind = Dropdown(options=self.KINDS, value="off", layout=Layout(width="130px"))
        self.kind.add_class(f"dynsim-input-{name}-kind")
        self.rate = _LimitedFloatText(value=0.0, min=0.0, max=RATE_MAX_HZ, step=5.0,
                                      continuous_update=False, layout=Layout(width="90px"))
        self.rate.add_class(f"dynsim-input-{name}-rate")
        self.rate_unit = HTML("Hz", layout=Layout(width="24px"))
        self.times = Text(value="", placeholder="times in ms: 10, 50, 120",
                          continuous_update=False, layout=Layout(width="200px"))
        self.times.add_class(f"dynsim-input-{name}-times")
        self.weight = _LimitedIntText(value=1, min=0, max=CAMS_PER_NEURON,
                                    continuous_update=False, layout=Layout(width="64px"))
        self.weight.add_class(f"dynsim-input-{name}-weight")
        self.weight.tooltip = f"weight: CAM entries (the four inputs share {CAMS_PER_NEURON})"
        self.box = HBox([self.label, self.kind, self.rate, self.rate_unit, self.times,
                         HTML("×", layout=Layout(width="14px")), self.weight,
                         HTML("CAM", layout=Layout(width="34px"))],
                        layout=Layout(align_items="center"))
        self.update_fields()

    def state(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "rate": self.rate.value, "times": self.times.value,
                "weight": self.weight.value}

    def update_fields(self) -> None:
        kind = self.kind.value
        rate = "" if kind in ("poisson", "regular") else "none"
        self.rate.layout.display = self.rate_unit.layout.display = rate
        self.times.layout.display = "" if kind == "spikes" else "none"

    def show(self, spec: InputSpec | None) -> None:
        if spec is None:
            self.kind.value = "off"
        else:
            self.kind.value = spec.kind
            self.weight.value = int(spec.weight)
            if spec.kind == "spikes":
                self.times.value = ", ".join(f"{t * 1000:g}" for t in spec.times)
            else:
                self.rate.value = float(spec.rate)
        self.update_fields()


class InputPanel:
    """The input of each synapse type: Poisson rate, regular rate, or a spike pattern.

    One row per synapse type: the kind (Poisson, regular, spike pattern, off), the rate in Hz
    or the spike times in ms, and the weight in CAM entries (the four inputs share the 64 CAM
    entries of a neuron; the Experiment checks the budget).

    Parameters
    ----------
    experiment : Experiment
        The experiment whose inputs the panel sets.
    host : Host, optional
        Who applies the changes (a bench passes itself); default: at once.

    Examples
    --------
    >>> from dynsim.dynapse import Experiment
    >>> exp = Experiment(1, engine="numpy", name="inputs_doc")
    >>> panel = InputPanel(exp)
    >>> panel.set("AMPA", kind="regular", rate=40, weight=3)
    >>> exp.inputs["AMPA"]
    InputSpec(kind='regular', rate=40.0, times=(), weight=3, independent=True)
    >>> panel.rows["NMDA"].kind.value = "spikes"
    >>> panel.rows["NMDA"].times.value = "5, 25"
    >>> exp.inputs["NMDA"].times
    (0.005, 0.025)
    """

    def __init__(self, experiment: Experiment, *, host: Host | None = None) -> None:
        if not isinstance(experiment, Experiment):
            raise InvalidSettingError("InputPanel sets the inputs of a dynsim.dynapse."
                                      f"Experiment; got {type(experiment).__name__}")
        self.experiment = experiment
        self._own_host = host is None
        self.host: Host = host if host is not None else DirectHost(
            self._apply_changes, self.refresh, lambda changes: "inputs set")
        order = ("AMPA", "NMDA", "GABA_A", "GABA_B")
        self.rows = {name: _InputRow(name) for name in sorted(SYNAPSE_TYPES, key=order.index)}
        self.refresh()
        for row in self.rows.values():
            for control in (row.kind, row.rate, row.times, row.weight):
                control.observe(self.host.guard(lambda change, row=row: self._changed(row)),
                                names="value")
        children: list[Widget] = [HTML("<b>Inputs</b> (one per synapse type, "
                                       "same train every run)"),
                                  *[row.box for row in self.rows.values()]]
        if self._own_host:
            children += [self.host.status.line, self.host.status.error]
        self.widget = VBox(children)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def refresh(self) -> None:
        """Set every row to the experiment's actual inputs (requests nothing)."""
        inputs = self.experiment.inputs
        with self.host.quiet():
            for name, row in self.rows.items():
                row.show(inputs.get(name))

    def _changed(self, row: _InputRow) -> None:
        row.update_fields()
        self.host.request({("input", row.name): row.state()})

    def set(self, synapse_type: str, *, kind: str | None = None, rate: float | None = None,
            times: str | Sequence[float] | None = None, weight: int | None = None) -> None:
        """Set the controls of one input (unset fields keep their values) and apply them.

        Parameters
        ----------
        synapse_type : str
            ``'AMPA'``, ``'NMDA'``, ``'GABA_A'`` or ``'GABA_B'``.
        kind : str, optional
            ``'poisson'``, ``'regular'``, ``'spikes'`` or ``'off'``.
        rate : float, optional
            Hz.
        times : str or sequence of float, optional
            Spike times in ms.
        weight : int, optional
            CAM entries.
        """
        if synapse_type not in self.rows:
            raise InvalidSettingError(f"unknown synapse type {synapse_type!r}; choose from "
                                      f"{', '.join(self.rows)}")
        row = self.rows[synapse_type]
        state = row.state()
        if kind is not None:
            state["kind"] = kind
        if rate is not None:
            state["rate"] = rate
        if weight is not None:
            state["weight"] = weight
        if times is not None:
            if not isinstance(times, str):
                values = np.asarray(times, dtype=object).reshape(-1)
                bounded_size(values.size, "spike pattern: number of times",
                             high=MAX_SPIKE_TIMES)
                times = ", ".join(f"{finite_number(t, 'spike time', low=0.0):g}"
                                  for t in values)
            state["times"] = times
        state = check_input_state(synapse_type, state)  # all fields, before any change
        if state["kind"] == "spikes":
            parse_times_ms(state["times"])
        with self.host.quiet():
            row.kind.value = state["kind"]
            row.rate.value = state["rate"]
            row.times.value = state["times"]
            row.weight.value = state["weight"]
            row.update_fields()
        self.host.request({("input", synapse_type): row.state()})

    def apply(self, states: Mapping[str, Mapping[str, Any]]) -> None:
        """Apply row states ``{type: {kind, rate, times, weight}}`` to the experiment.

        Every state is checked first (:func:`check_input_state`, :func:`parse_times_ms`:
        kind, rate, weight and spike times bounded before anything is allocated). Inputs
        whose weight shrinks are applied first (the CAM budget is shared). Raises what the
        checks or the experiment raise; the caller restores the previous inputs.
        """
        unknown = [name for name in states if name not in self.rows]
        if unknown:
            raise InvalidSettingError(f"unknown synapse type {unknown[0]!r}; choose from "
                                      f"{', '.join(self.rows)}")
        checked = {name: check_input_state(name, state) for name, state in states.items()}
        times = {name: parse_times_ms(state["times"]) for name, state in checked.items()
                 if state["kind"] == "spikes"}
        current = self.experiment.inputs

        def growth(item: tuple[str, Mapping[str, Any]]) -> float:
            name, state = item
            old = current[name].weight if name in current else 0
            new = 0 if state["kind"] == "off" else state["weight"]
            return new - old

        for name, state in sorted(checked.items(), key=growth):
            kind = state["kind"]
            if kind == "off":
                self.experiment.clear_input(name)
            elif kind == "spikes":
                self.experiment.set_input(name, times=times[name] * ms, weight=state["weight"])
            else:
                self.experiment.set_input(name, rate=state["rate"] * Hz, kind=kind,
                                          weight=state["weight"])

    def _apply_changes(self, changes: Mapping[Hashable, Any]) -> None:
        before = self.experiment.inputs
        try:
            self.apply(input_changes(changes))
        except Exception:
            restore_inputs(self.experiment, before)
            raise


def input_changes(changes: Mapping[Hashable, Any]) -> dict[str, dict[str, Any]]:
    """Return the input entries (``('input', type) -> state``) of a request's changes."""
    return {key[1]: value for key, value in changes.items()
            if isinstance(key, tuple) and len(key) == 2 and key[0] == "input"}


def restore_inputs(experiment: Experiment, inputs: Mapping[str, InputSpec]) -> None:
    """Give ``experiment`` exactly the inputs ``inputs`` (as ``experiment.inputs`` returned)."""
    experiment.clear_input()
    for name, spec in inputs.items():
        if spec.kind == "spikes":
            experiment.set_input(name, times=np.array(spec.times) * second, weight=spec.weight)
        else:
            experiment.set_input(name, rate=spec.rate * Hz, kind=spec.kind, weight=spec.weight,
                                 independent=spec.independent)

