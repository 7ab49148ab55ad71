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

import base64
import html
import os
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from brian2 import Hz, Quantity, amp, ms, pA, second
from ipywidgets import (
    HTML,
    Accordion,
    Button,
    Checkbox,
    Dropdown,
    FileUpload,
    FloatText,
    HBox,
    IntSlider,
    IntText,
    Layout,
    SelectMultiple,
    Text,
    VBox,
    Widget,
)

from dynsim.dynapse import physics
from dynsim.dynapse.biases import (
    BIAS_GROUPS,
    BiasSpec,
    bias_current,
    bias_spec,
    default_biases,
    get_coarse_fine_table,
    resolve_biases,
    time_constant,
)
from dynsim.dynapse.config import (
    Dynapse1Parameter,
    Dynapse1ParameterGroup,
    parameter_group_from_json,
    parameter_group_to_json,
)
from dynsim.dynapse.constants import (
    COARSE_MAX,
    COARSE_MIN,
    CORE_NAMES,
    DEFAULT_DT,
    FINE_MAX,
    FINE_MIN,
    SYNAPSE_TYPES,
)
from dynsim.dynapse.experiment import Experiment, InputSpec
from dynsim.dynapse.mismatch import Mismatch
from dynsim.dynapse.recording import Recording
from dynsim.engine import ENGINE_ENV, STANDALONE
from dynsim.errors import InvalidSettingError

from ._bokeh import BokehScope, decimate, format_current, format_time
from ._worker import simulation_lock
from .bench import Bench, DirectHost, Host

__all__ = [
    "CURRENTS",
    "DEFAULT_INPUTS",
    "BiasPanel",
    "CurrentScope",
    "DynapseLab",
    "InputPanel",
    "parse_times_ms",
]

#: The currents a scope can draw, in the order of :data:`dynsim.dynapse.physics.STATE_VARIABLES`.
CURRENTS: tuple[str, ...] = tuple(physics.STATE_VARIABLES)

#: Synapse type -> the current of its DPI (``'AMPA'`` -> ``'I_ampa'``).
_SYNAPSE_CURRENT = {name: f"I_{name.lower()}" for name in SYNAPSE_TYPES}

#: Colours of the traces (and of the input rows of the same synapse type).
_COLORS = {"Imem": "#212121", "Iahp": "#8e24aa", "I_ampa": "#e53935", "I_nmda": "#fb8c00",
           "I_gaba_a": "#1e88e5", "I_gaba_b": "#00897b"}
_DASHES = ("solid", "dashed", "dotted", "dashdot")

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


def _seconds(value: Quantity | float) -> float:
    if isinstance(value, Quantity):
        if value.dim is not second.dim:
            raise InvalidSettingError(f"a duration must be a time, got {value}")
        value = float(value / second)
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise InvalidSettingError(f"a duration must be > 0, got {value} s")
    return value


# --------------------------------------------------------------------------- chip adapters
class _Chip:
    """One core's biases on some emulated chip: ``get()`` and validated ``set(values)``."""

    chip_id = 0
    core_id = 0

    def get(self) -> Dynapse1ParameterGroup:
        raise NotImplementedError

    def set(self, values: dict[str, tuple[int, int]]) -> None:
        raise NotImplementedError

    @property
    def label(self) -> str:
        return f"{CORE_NAMES[self.core_id]} of chip {self.chip_id}"


class _ExperimentChip(_Chip):
    def __init__(self, experiment: Experiment, core: str | int | None) -> None:
        if core is not None:
            experiment.set_bias({}, core)  # raises InvalidCoreError for another core
        self.target = experiment
        self.chip_id, self.core_id = experiment.chip_id, experiment.core_id

    def get(self) -> Dynapse1ParameterGroup:
        return self.target.get_bias()

    def set(self, values: dict[str, tuple[int, int]]) -> None:
        self.target.set_bias(values)


class _SetBiasChip(_Chip):
    """``DynapSE`` and anything with ``set_bias(dict, core)`` / ``get_bias(core)``."""

    def __init__(self, chip: Any, core: str | int | None, chip_id: int) -> None:
        from dynsim.dynapse.chip import parse_core

        if core is None:
            raise InvalidSettingError("BiasPanel(chip, core): name the core, e.g. 'Core_1'")
        self.target = chip
        self.core_id = parse_core(core)
        self.chip_id = int(chip_id)
        self._core = core

    def _chip_kwargs(self) -> dict[str, int]:
        return {"chip_id": self.chip_id} if self.chip_id else {}

    def get(self) -> Dynapse1ParameterGroup:
        group = self.target.get_bias(self._core, **self._chip_kwargs())
        return _as_group(group, self.chip_id, self.core_id)

    def set(self, values: dict[str, tuple[int, int]]) -> None:
        self.target.set_bias(values, self._core, **self._chip_kwargs())


class _ModelChip(_Chip):
    """samna-style ``Dynapse1Model``: ``update_single_parameter`` / ``get_configuration``."""

    def __init__(self, model: Any, core: str | int | None, chip_id: int) -> None:
        from dynsim.dynapse.chip import parse_core

        if core is None:
            raise InvalidSettingError("BiasPanel(model, core): name the core, e.g. 0 or 'Core_0'")
        self.target = model
        self.core_id = parse_core(core)
        self.chip_id = int(chip_id)

    def get(self) -> Dynapse1ParameterGroup:
        config = self.target.get_configuration()
        return config.chips[self.chip_id].cores[self.core_id].parameter_group

    def set(self, values: dict[str, tuple[int, int]]) -> None:
        if len(values) == 1:
            ((name, (coarse, fine)),) = values.items()
            self.target.update_single_parameter(Dynapse1Parameter(name, coarse, fine),
                                                self.chip_id, self.core_id)
            return
        group = self.get().copy()
        for name, (coarse, fine) in values.items():
            group.param_map[name] = Dynapse1Parameter(name, coarse, fine)
        self.target.update_parameter_group(group, self.chip_id, self.core_id)


def _as_group(group: Any, chip_id: int, core_id: int) -> Dynapse1ParameterGroup:
    if isinstance(group, Dynapse1ParameterGroup):
        return group
    out = Dynapse1ParameterGroup(chip_id, core_id)
    for name, (coarse, fine) in resolve_biases(group).items():
        out.param_map[name] = Dynapse1Parameter(name, coarse, fine)
    return out


def _adapt(chip: Any, core: str | int | None, chip_id: int) -> _Chip:
    if isinstance(chip, _Chip):
        return chip
    if isinstance(chip, Experiment):
        return _ExperimentChip(chip, core)
    if hasattr(chip, "update_single_parameter") and hasattr(chip, "get_configuration"):
        return _ModelChip(chip, core, chip_id)
    if hasattr(chip, "set_bias") and hasattr(chip, "get_bias"):
        return _SetBiasChip(chip, core, chip_id)
    raise InvalidSettingError(
        f"BiasPanel needs a chip with set_bias(dict, core) and get_bias(core) (DynapSE, "
        f"Experiment) or a Dynapse1Model; got {type(chip).__name__}")


# --------------------------------------------------------------------------- bias panel
class _BiasRow:
    """Coarse and fine control of one bias, with its current and time constant."""

    def __init__(self, spec: BiasSpec, continuous_update: bool) -> None:
        self.spec = spec
        muted = "" if spec.modelled else "color:#9e9e9e;"
        note = "" if spec.modelled else " <i>(not modelled)</i>"
        self.label = HTML(
            f"<span style='{muted}'><b>{spec.samna_name}</b> "
            f"<span style='font-size:85%;color:#757575'>{spec.physical_name}</span>{note}</span>",
            layout=Layout(width="190px"))
        self.label.tooltip = spec.role
        self.coarse = IntSlider(value=spec.default[0], min=COARSE_MIN, max=COARSE_MAX,
                                continuous_update=continuous_update, readout=True,
                                layout=Layout(width="120px"))
        self.coarse.add_class(f"dynsim-bias-{spec.samna_name}-coarse")
        self.coarse.tooltip = "coarse"
        self.fine = IntSlider(value=spec.default[1], min=FINE_MIN, max=FINE_MAX,
                              continuous_update=continuous_update, readout=True,
                              layout=Layout(width="200px"))
        self.fine.add_class(f"dynsim-bias-{spec.samna_name}-fine")
        self.fine.tooltip = "fine"
        self.readout = HTML(layout=Layout(width="140px"))
        self.readout.tooltip = f"coarse/fine to current: {get_coarse_fine_table().source}"
        self.box = HBox([self.label, self.coarse, self.fine, self.readout],
                        layout=Layout(align_items="center"))
        self.update_readout()

    @property
    def value(self) -> tuple[int, int]:
        return int(self.coarse.value), int(self.fine.value)

    def set(self, value: tuple[int, int]) -> None:
        self.coarse.value, self.fine.value = int(value[0]), int(value[1])
        self.update_readout()

    def update_readout(self) -> None:
        name = self.spec.samna_name
        coarse, fine = self.value
        parts = [format_current(float(bias_current(name, coarse, fine) / amp))]
        tau = time_constant(name, coarse, fine)
        if tau is not None:
            symbol = "t<sub>refr</sub>" if self.spec.kind == "refractory" else "τ"
            parts.append(f"{symbol} {html.escape(format_time(float(tau / second)))}")
        style = "font-size:90%;" + ("" if self.spec.modelled else "color:#9e9e9e;")
        self.readout.value = f"<span style='{style}'>{' · '.join(parts)}</span>"


class BiasPanel:
    """The 25 biases of one core as coarse + fine sliders, grouped as the chip groups them.

    Each row shows the bias's samna and physical names (its role as a tooltip), a coarse and
    a fine slider, the resulting current and, for leak and refractory biases, the time
    constant. Groups whose biases are all unmodelled are folded away and marked so. Buttons:
    reset to defaults, save and load the core's biases as samna-compatible JSON (a path on the
    kernel's machine, or upload a file from yours; a download link appears after saving).

    Parameters
    ----------
    chip : DynapSE, Experiment, Dynapse1Model or similar
        Anything with ``set_bias(dict, core)`` / ``get_bias(core)``, an
        :class:`~dynsim.dynapse.Experiment` (core optional), or a samna-style
        ``Dynapse1Model`` (``update_single_parameter`` / ``get_configuration``).
    core : str or int, optional
        ``'Core_0'``..``'Core_3'`` (or 0..3); an Experiment's own core by default.
    chip_id : int
        Chip of the board (0..3) for a ``DynapSE`` or ``Dynapse1Model``.
    continuous_update : bool
        Update while a slider is dragged (default; the bench simulates only the latest value).
    host : Host, optional
        Who applies the changes (a bench passes itself). Default: apply at once, with an own
        status line and error box.

    Examples
    --------
    >>> from dynsim.dynapse import Experiment
    >>> exp = Experiment(1, engine="numpy", name="panel_doc")
    >>> panel = BiasPanel(exp)
    >>> panel.controls["IF_DC_P"].fine.value = 80      # what a student's drag does
    >>> exp.get_bias().param_map["IF_DC_P"].fine_value
    80
    >>> panel.reset()
    >>> exp.get_bias().param_map["IF_DC_P"].fine_value
    0
    """

    def __init__(self, chip: Any, core: str | int | None = None, *, chip_id: int = 0,
                 continuous_update: bool = True, host: Host | None = None) -> None:
        self.chip = _adapt(chip, core, chip_id)
        self._own_host = host is None
        self.host: Host = host if host is not None else DirectHost(
            self._apply_changes, self.refresh, self._describe)
        self.controls: dict[str, _BiasRow] = {}
        for group in BIAS_GROUPS.values():
            for name in group:
                row = _BiasRow(bias_spec(name), continuous_update)
                self.controls[name] = row
                for control in (row.coarse, row.fine):
                    control.observe(self.host.guard(lambda change, row=row: self._moved(row)),
                                    names="value")
        self.refresh()
        self._build_buttons()
        self.widget = self._layout()

    # ------------------------------------------------------------------ layout
    def _build_buttons(self) -> None:
        self.reset_button = Button(description="reset to defaults", icon="undo",
                                   layout=Layout(width="150px"))
        self.reset_button.add_class("dynsim-biases-reset")
        self.path = Text(value=f"biases_{CORE_NAMES[self.chip.core_id]}.json",
                         placeholder="file.json", layout=Layout(width="210px"),
                         continuous_update=False)
        self.path.add_class("dynsim-biases-path")
        self.save_button = Button(description="save", icon="download",
                                  layout=Layout(width="80px"))
        self.save_button.add_class("dynsim-biases-save")
        self.load_button = Button(description="load", icon="upload",
                                  layout=Layout(width="80px"))
        self.load_button.add_class("dynsim-biases-load")
        self.upload = FileUpload(accept=".json,application/json", multiple=False,
                                 description="upload", layout=Layout(width="100px"))
        self.upload.add_class("dynsim-biases-upload")
        self.download = HTML("")
        guard = self.host.guard
        self.reset_button.on_click(guard(lambda _: self.reset()))
        self.save_button.on_click(guard(lambda _: self._save_clicked()))
        self.load_button.on_click(guard(lambda _: self.load(self.path.value)))
        self.upload.observe(guard(self._uploaded), names="value")

    def _layout(self) -> VBox:
        title = HTML(f"<b>Biases of {self.chip.label}</b>", layout=Layout(margin="0 12px 0 0"))
        bar = HBox([title, self.reset_button, self.path, self.save_button, self.load_button,
                    self.upload, self.download],
                   layout=Layout(flex_flow="row wrap", align_items="center"))
        columns: list[list[Widget]] = [[], []]
        folded: list[tuple[str, VBox]] = []
        for group, names in BIAS_GROUPS.items():
            rows = [self.controls[name].box for name in names]
            if not any(bias_spec(name).modelled for name in names):
                folded.append((f"{group} (not modelled)", VBox(rows)))
                continue
            header = HTML(f"<div style='font-weight:600;border-bottom:1px solid #ddd;"
                          f"margin-top:4px'>{group}</div>")
            columns[group in SYNAPSE_TYPES].extend([header, *rows])
        body = HBox([VBox(c, layout=Layout(margin="0 16px 0 0")) for c in columns],
                    layout=Layout(flex_flow="row wrap"))
        children: list[Widget] = [bar, body]
        if folded:
            extra = Accordion(children=[box for _, box in folded], selected_index=None)
            for i, (title_text, _) in enumerate(folded):
                extra.set_title(i, title_text)
            children.append(extra)
        if self._own_host:
            children += [self.host.status.line, self.host.status.error]
        return VBox(children)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # ------------------------------------------------------------------ state
    def values(self) -> dict[str, tuple[int, int]]:
        """Return the ``(coarse, fine)`` the controls show, keyed by samna name."""
        return {name: row.value for name, row in self.controls.items()}

    def refresh(self) -> None:
        """Set every control to the chip's actual biases (requests nothing)."""
        actual = self.chip.get().as_dict()
        with self.host.quiet():
            for name, row in self.controls.items():
                if row.value != actual[name]:
                    row.set(actual[name])

    def _moved(self, row: _BiasRow) -> None:
        row.update_readout()
        self.host.request({("bias", row.spec.samna_name): row.value})

    def _show(self, values: Mapping[str, tuple[int, int]]) -> None:
        with self.host.quiet():
            for name, value in values.items():
                self.controls[name].set(value)

    def _submit(self, values: Mapping[str, tuple[int, int]]) -> None:
        self._show(values)
        self.host.request({("bias", name): value for name, value in values.items()})

    def apply(self, values: Mapping[str, tuple[int, int]]) -> None:
        """Apply ``{samna_name: (coarse, fine)}`` to the chip now (all or nothing).

        The host calls this (a bench from its worker). Raises what the chip raises.
        """
        if values:
            self.chip.set(dict(values))

    def _apply_changes(self, changes: Mapping[Hashable, Any]) -> None:
        self.apply(bias_changes(changes))

    @staticmethod
    def _describe(changes: Mapping[Hashable, Any]) -> str:
        values = bias_changes(changes)
        if len(values) == 1:
            ((name, (coarse, fine)),) = values.items()
            current = format_current(float(bias_current(name, coarse, fine) / amp))
            return f"{name} = ({coarse}, {fine}): {current}"
        return f"{len(values)} biases set"

    # ------------------------------------------------------------------ actions
    def set_bias(self, biases: Any) -> None:
        """Set biases as ``chip.set_bias`` takes them; the sliders follow.

        Raises
        ------
        dynsim.errors.UnknownBiasError, dynsim.errors.BiasRangeError
            Before anything changes.
        """
        self._submit(resolve_biases(biases))

    def reset(self) -> None:
        """Set all 25 biases of the core to their defaults."""
        self._submit(default_biases())

    def to_json(self) -> str:
        """Return the core's biases as samna-compatible JSON (``parameter_group_to_json``)."""
        with simulation_lock():
            return parameter_group_to_json(self.chip.get())

    def from_json(self, text: str | bytes) -> None:
        """Apply biases from samna-compatible JSON (all 25; missing ones get defaults).

        Raises
        ------
        dynsim.errors.ConfigurationFormatError
            Naming the first invalid field; nothing changes.
        """
        if isinstance(text, bytes | bytearray | memoryview):
            text = bytes(text).decode("utf-8")
        group = parameter_group_from_json(text)
        self._submit(group.as_dict())

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the core's biases to ``path`` as samna-compatible JSON; return the path.

        A relative path is relative to the kernel's working directory.
        """
        text = self.to_json()
        with simulation_lock():  # a standalone run changes the working directory meanwhile
            target = Path(path).expanduser().absolute()
        target.write_text(text)
        return target

    def load(self, path: str | os.PathLike[str]) -> None:
        """Read biases from a JSON file written by :meth:`save` (or by samna) and apply them."""
        with simulation_lock():
            source = Path(path).expanduser().absolute()
        self.from_json(source.read_text())

    def _save_clicked(self) -> None:
        target = self.save(self.path.value)
        payload = base64.b64encode(target.read_bytes()).decode("ascii")
        self.download.value = (f"<a download='{html.escape(target.name)}' "
                               f"href='data:application/json;base64,{payload}'>"
                               f"download {html.escape(target.name)}</a>")
        self.host.status.set(f"biases saved to {target}")

    def _uploaded(self, change: dict[str, Any]) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0]
        content = item["content"] if isinstance(item, Mapping) else item.content
        self.from_json(bytes(content))
        name = item["name"] if isinstance(item, Mapping) else item.name
        self.host.status.set(f"biases loaded from {name}")


def bias_changes(changes: Mapping[Hashable, Any]) -> dict[str, tuple[int, int]]:
    """Return the bias entries (``('bias', name) -> (coarse, fine)``) of a request's changes."""
    return {key[1]: value for key, value in changes.items()
            if isinstance(key, tuple) and len(key) == 2 and key[0] == "bias"}


# --------------------------------------------------------------------------- input panel
def parse_times_ms(text: str) -> np.ndarray:
    """Return the spike times (ms) written in ``text`` (``'10, 50 120'``), sorted.

    Raises
    ------
    dynsim.errors.InvalidSettingError
        For a word that is not a number, naming it.

    Examples
    --------
    >>> parse_times_ms("120, 10; 50").tolist()
    [10.0, 50.0, 120.0]
    """
    words = [w for w in re.split(r"[\s,;]+", text.strip()) if w]
    values = []
    for word in words:
        try:
            values.append(float(word))
        except ValueError:
            raise InvalidSettingError(
                f"spike pattern: {word!r} is not a number; write the times in ms separated "
                f"by commas, e.g. '10, 50, 120'") from None
    return np.sort(np.array(values, dtype=float))


class _InputRow:
    KINDS = (("Poisson", "poisson"), ("regular", "regular"), ("spike pattern", "spikes"),
             ("off", "off"))

    def __init__(self, name: str) -> None:
        self.name = name
        color = _COLORS[_SYNAPSE_CURRENT[name]]
        self.label = HTML(f"<b style='color:{color}'>{name}</b>", layout=Layout(width="70px"))
        self.kind = Dropdown(options=self.KINDS, value="off", layout=Layout(width="130px"))
        self.kind.add_class(f"dynsim-input-{name}-kind")
        self.rate = FloatText(value=0.0, step=5.0, continuous_update=False,
                              layout=Layout(width="90px"))
        self.rate.add_class(f"dynsim-input-{name}-rate")
        self.rate_unit = HTML("Hz", layout=Layout(width="24px"))
        self.times = Text(value="", placeholder="times in ms: 10, 50, 120",
                          continuous_update=False, layout=Layout(width="200px"))
        self.times.add_class(f"dynsim-input-{name}-times")
        self.weight = IntText(value=1, continuous_update=False, layout=Layout(width="64px"))
        self.weight.add_class(f"dynsim-input-{name}-weight")
        self.weight.tooltip = "weight: CAM entries (the four inputs share 64)"
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
        valid = [value for _, value in row.KINDS]
        if kind is not None and kind not in valid:
            raise InvalidSettingError(f"kind must be one of {', '.join(valid)}, got {kind!r}")
        with self.host.quiet():
            if kind is not None:
                row.kind.value = kind
            if rate is not None:
                row.rate.value = float(rate)
            if times is not None:
                row.times.value = times if isinstance(times, str) else ", ".join(
                    f"{float(t):g}" for t in times)
            if weight is not None:
                row.weight.value = int(weight)
            row.update_fields()
        self.host.request({("input", synapse_type): row.state()})

    def apply(self, states: Mapping[str, Mapping[str, Any]]) -> None:
        """Apply row states ``{type: {kind, rate, times, weight}}`` to the experiment.

        Inputs whose weight shrinks are applied first (the CAM budget is shared). Raises what
        the experiment raises, or :class:`~dynsim.errors.InvalidSettingError` for a bad spike
        pattern; the caller restores the previous inputs.
        """
        current = self.experiment.inputs

        def growth(item: tuple[str, Mapping[str, Any]]) -> float:
            name, state = item
            old = current[name].weight if name in current else 0
            new = 0 if state["kind"] == "off" else state["weight"]
            return new - old

        for name, state in sorted(states.items(), key=growth):
            kind = state["kind"]
            if kind == "off":
                self.experiment.clear_input(name)
            elif kind == "spikes":
                times = parse_times_ms(state["times"])
                self.experiment.set_input(name, times=times * ms, weight=state["weight"])
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
        self._neurons = self._check_neurons(neurons)
        self.n_neurons = int(n_neurons) if n_neurons is not None else max(self._neurons) + 1
        self._log_y = bool(log_y)
        self._span_ms = None if duration is None else _seconds(duration) * 1000.0
        self._size = (int(width), int(height), int(raster_height))
        self._last: Recording | None = None
        super().__init__(max_points=max_points)

    @staticmethod
    def _check_neurons(neurons: Iterable[int]) -> tuple[int, ...]:
        chosen = tuple(sorted({int(k) for k in neurons}))
        if not chosen or chosen[0] < 0:
            raise InvalidSettingError(f"neurons must be row indices >= 0, got {neurons!r}")
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
            self.neuron_picker = SelectMultiple(
                options=list(range(self.n_neurons)), value=self._neurons, rows=3,
                description="neurons", layout=Layout(width="180px"))
            self.neuron_picker.add_class("dynsim-scope-neurons")
            self.neuron_picker.observe(
                lambda change: change["new"] and setattr(self, "neurons", change["new"]),
                names="value")
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
        chosen = self._check_neurons(neurons)
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
            self._span_ms = _seconds(duration) * 1000.0
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


# --------------------------------------------------------------------------- the bench
class DynapseLab(Bench):
    """A DYNAP-SE bench in one call: bias sliders, inputs, live current scope and raster.

    Builds an :class:`~dynsim.dynapse.Experiment` (or wraps the one given) and shows its
    core's :class:`BiasPanel`, an :class:`InputPanel`, a :class:`CurrentScope`, a status line
    and an error box. A slider change re-simulates from rest and redraws; while a drag goes
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

    Examples
    --------
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
                 name: str | None = None, max_points: int = 2000) -> None:
        if name is None:
            name = "dynapselab" if n_neurons == 1 else f"dynapselab_{n_neurons}"
        super().__init__(name=name if experiment is None else experiment.name)
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
        self.bias_panel = BiasPanel(experiment, host=self)
        shown = tuple(neurons) if neurons is not None else (0,)
        self.scope = CurrentScope(shown, [c for c in CURRENTS if c in experiment.record],
                                  n_neurons=experiment.n_neurons, log_y=log_y,
                                  duration=self._duration, max_points=max_points)
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
        side = VBox([self.input_panel.widget,
                     HBox([self.duration_control, self.run_button],
                          layout=Layout(margin="8px 0 0 0"))],
                    layout=Layout(margin="0 0 0 12px"))
        top = HBox([self.scope.widget, side], layout=Layout(flex_flow="row wrap"))
        return [title, self.status.line, top, self.status.error, self.bias_panel.widget]

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
        super().close()
