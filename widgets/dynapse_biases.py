"""DYNAP-SE bias panel: the 25 biases of one core as coarse and fine sliders.

Every bias fact shown here (names, groups, ranges, defaults, roles, currents, time constants,
which biases are modelled) comes from :mod:`dynsim.dynapse.biases` and
:mod:`dynsim.dynapse.constants`. Where the panel may read and write files is decided in
:mod:`dynsim.widgets.bias_files`.

Examples
--------
A panel alone, for a chip of the beginner layer (changes apply at once)::

    from dynsim.widgets import BiasPanel
    BiasPanel(chip, "Core_1")
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any, Protocol

from brian2 import amp, second
from ipywidgets import (
    HTML,
    Accordion,
    Button,
    FileUpload,
    HBox,
    IntSlider,
    Layout,
    SliderStyle,
    Text,
    VBox,
    Widget,
)
from ipywidgets.widgets.widget_string import HTMLStyle  # (not re-exported by ipywidgets 8)

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
from dynsim.dynapse.board import board_of, parse_core
from dynsim.dynapse.config import (
    Dynapse1Parameter,
    Dynapse1ParameterGroup,
    check_chip,
    parameter_group_to_json,
)
from dynsim.dynapse.constants import (
    COARSE_MAX,
    COARSE_MIN,
    CORE_NAMES,
    FINE_MAX,
    FINE_MIN,
    SYNAPSE_TYPES,
)
from dynsim.errors import InvalidSettingError

from ._bokeh import format_current, format_time
from ._lifecycle import close_tree
from ._worker import simulation_lock
from .bench import DirectHost, Host
from .bias_files import MAX_BIAS_FILE_BYTES, BiasFolder, file_controls_enabled, read_bias_text

__all__ = ["BiasBoard", "BiasPanel", "bias_changes", "group_heading"]


# --------------------------------------------------------------------------- the board
class BiasBoard(Protocol):
    """What a bias panel needs of a chip: the board protocol of :mod:`dynsim.dynapse.board`.

    :class:`dynsim.dynapse.board.Board` implements it; :func:`dynsim.dynapse.board.board_of`
    gives the board of a ``DynapSE``, ``Dynapse1Model`` or ``Experiment``.
    """

    def parameter_group(self, chip: int, core: int) -> Dynapse1ParameterGroup:
        """Return a copy of the 25 biases of a core."""

    def set_biases(self, chip: int, core: int, biases: Any) -> dict[str, tuple[int, int]]:
        """Set biases of a core (validated, all or nothing) and write them through."""

    def label(self, chip: int, core: int) -> str:
        """Return a core's name for people."""


class _SetBiasBoard:
    """The board protocol over any chip with ``set_bias(dict, core)`` / ``get_bias(core)``.

    For a wrapper of a front door that adds rules of its own (a teacher's "picky" chip).
    """

    def __init__(self, chip: Any) -> None:
        self.chip = chip

    def _kwargs(self, chip: int) -> dict[str, int]:
        return {"chip_id": chip} if chip else {}

    def parameter_group(self, chip: int, core: int) -> Dynapse1ParameterGroup:
        group = self.chip.get_bias(CORE_NAMES[core], **self._kwargs(chip))
        if isinstance(group, Dynapse1ParameterGroup):
            return group.copy()
        out = Dynapse1ParameterGroup(chip, core)
        for name, (coarse, fine) in resolve_biases(group).items():
            out.param_map[name] = Dynapse1Parameter(name, coarse, fine)
        return out

    def set_biases(self, chip: int, core: int, biases: Any) -> dict[str, tuple[int, int]]:
        values = resolve_biases(biases)
        self.chip.set_bias(values, CORE_NAMES[core], **self._kwargs(chip))
        return values

    def label(self, chip: int, core: int) -> str:
        return f"{CORE_NAMES[core]} of chip {chip}"


class _CoreBiases:
    """One core of a board: what a :class:`BiasPanel` reads and sets."""

    def __init__(self, target: Any, core: str | int | None, chip_id: int) -> None:
        try:
            board, fixed = board_of(target)
        except InvalidSettingError:
            if not (hasattr(target, "set_bias") and hasattr(target, "get_bias")):
                raise InvalidSettingError(
                    f"BiasPanel needs a DynapSE, Dynapse1Model, Experiment or Board, or a chip "
                    f"with set_bias(dict, core) and get_bias(core); got "
                    f"{type(target).__name__}") from None
            board, fixed = _SetBiasBoard(target), None
        self.board: BiasBoard = board
        if fixed is not None:
            if core is not None:
                board.parameter_group(fixed[0], core)  # InvalidCoreError for another core
            self.chip_id, self.core_id = fixed
        else:
            if core is None:
                raise InvalidSettingError("BiasPanel(chip, core): name the core, e.g. 'Core_1' "
                                          "or 1")
            self.chip_id, self.core_id = check_chip(chip_id), parse_core(core)

    def get(self) -> Dynapse1ParameterGroup:
        return self.board.parameter_group(self.chip_id, self.core_id)

    def set(self, values: dict[str, tuple[int, int]]) -> None:
        self.board.set_biases(self.chip_id, self.core_id, values)

    @property
    def label(self) -> str:
        return self.board.label(self.chip_id, self.core_id)


# --------------------------------------------------------------------------- bias panel
def group_heading(text: str) -> HTML:
    """Return the heading of a group of controls (a bias group's name, underlined)."""
    return HTML(f"<div style='font-weight:600;border-bottom:1px solid #ddd;margin-top:4px'>"
                f"{html.escape(text)}</div>")


class _RowLook:
    """The layouts and styles of a panel's bias rows, one of each, shared by all 25 rows.

    ipywidgets gives every control its own ``Layout`` and style widget unless one is passed:
    25 rows would open about 215 more widgets (each a message to the browser, ~1 ms in a
    kernel, and a model there), all alike. Nothing changes a row's layout or style after it
    is made, so the rows of one panel share them (issue 15, the first plot sooner).
    """

    def __init__(self) -> None:
        self.label = Layout(width="190px")
        self.coarse = Layout(width="120px")
        self.fine = Layout(width="200px")
        self.readout = Layout(width="140px")
        self.box = Layout(align_items="center")
        self.text = HTMLStyle()
        self.slider = SliderStyle()


class _BiasRow:
    """Coarse and fine control of one bias, with its current and time constant."""

    def __init__(self, spec: BiasSpec, continuous_update: bool,
                 look: _RowLook | None = None) -> None:
        look = _RowLook() if look is None else look
        self.spec = spec
        muted = "" if spec.modelled else "color:#9e9e9e;"
        note = "" if spec.modelled else " <i>(not modelled)</i>"
        self.label = HTML(
            f"<span style='{muted}'><b>{spec.samna_name}</b> "
            f"<span style='font-size:85%;color:#757575'>{spec.physical_name}</span>{note}</span>",
            layout=look.label, style=look.text)
        self.label.tooltip = spec.role
        self.coarse = IntSlider(value=spec.default[0], min=COARSE_MIN, max=COARSE_MAX,
                                continuous_update=continuous_update, readout=True,
                                layout=look.coarse, style=look.slider)
        self.coarse.add_class(f"dynsim-bias-{spec.samna_name}-coarse")
        self.coarse.tooltip = "coarse"
        self.fine = IntSlider(value=spec.default[1], min=FINE_MIN, max=FINE_MAX,
                              continuous_update=continuous_update, readout=True,
                              layout=look.fine, style=look.slider)
        self.fine.add_class(f"dynsim-bias-{spec.samna_name}-fine")
        self.fine.tooltip = "fine"
        self.readout = HTML(layout=look.readout, style=look.text)
        self.readout.tooltip = f"coarse/fine to current: {get_coarse_fine_table().source}"
        self.box = HBox([self.label, self.coarse, self.fine, self.readout], layout=look.box)
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
    reset to defaults; download the core's biases as JSON (dynsim's layout), or upload such a
    file from your machine; with file controls (see :mod:`dynsim.widgets.bias_files`), save
    and load a file of the notebook's folder (a download link appears after saving).

    Parameters
    ----------
    chip : DynapSE, Dynapse1Model, Experiment or Board
        A front door of :mod:`dynsim.dynapse` (the panel talks to its board,
        :func:`dynsim.dynapse.board.board_of`; an Experiment's core is its own), or any chip
        with ``set_bias(dict, core)`` / ``get_bias(core)``.
    core : str or int, optional
        ``'Core_0'``..``'Core_3'`` (or 0..3); an Experiment's own core by default.
    chip_id : int
        Chip of the board (0..3) for a ``DynapSE`` or ``Dynapse1Model``.
    continuous_update : bool
        Update while a slider is dragged (default; the bench simulates only the latest value).
    host : Host, optional
        Who applies the changes (a bench passes itself). Default: apply at once, with an own
        status line and error box.
    file_controls : bool, optional
        Show the path box with its save and load buttons. Default:
        :func:`~dynsim.widgets.bias_files.file_controls_enabled` (off in Voila and on
        Binder; ``DYNSIM_FILE_CONTROLS=0/1`` decides).
    folder : str or os.PathLike, optional
        The one folder bias files are read from and written to (default: the kernel's
        working directory now, i.e. the notebook's folder).

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
                 continuous_update: bool = True, host: Host | None = None,
                 file_controls: bool | None = None,
                 folder: str | os.PathLike[str] | None = None) -> None:
        self.chip = _CoreBiases(chip, core, chip_id)
        self.file_controls = (file_controls_enabled() if file_controls is None
                              else bool(file_controls))
        self.folder = BiasFolder(folder)
        self._own_host = host is None
        self.host: Host = host if host is not None else DirectHost(
            self._apply_changes, self.refresh, self._describe)
        self.controls: dict[str, _BiasRow] = {}
        look = _RowLook()
        for group in BIAS_GROUPS.values():
            for name in group:
                row = _BiasRow(bias_spec(name), continuous_update, look)
                self.controls[name] = row
                for control in (row.coarse, row.fine):
                    control.observe(self.host.guard(lambda change, row=row: self._moved(row)),
                                    names="value")
        self.refresh()
        self._build_buttons()
        self.bar = self._build_bar()
        self._widget: VBox | None = None

    # ------------------------------------------------------------------ layout
    def _build_buttons(self) -> None:
        self.reset_button = Button(description="reset to defaults", icon="undo",
                                   layout=Layout(width="150px"))
        self.reset_button.add_class("dynsim-biases-reset")
        self.path: Text | None = None
        self.save_button: Button | None = None
        self.load_button: Button | None = None
        guard = self.host.guard
        if self.file_controls:
            self.path = Text(value=self.default_file_name, placeholder="file.json",
                             layout=Layout(width="210px"), continuous_update=False)
            self.path.add_class("dynsim-biases-path")
            self.save_button = Button(description="save", icon="download",
                                      layout=Layout(width="80px"))
            self.save_button.add_class("dynsim-biases-save")
            self.load_button = Button(description="load", icon="upload",
                                      layout=Layout(width="80px"))
            self.load_button.add_class("dynsim-biases-load")
            self.save_button.on_click(guard(lambda _: self._save_clicked()))
            self.load_button.on_click(guard(lambda _: self._load_clicked()))
        self.download_button = Button(description="download", icon="download",
                                      layout=Layout(width="110px"))
        self.download_button.add_class("dynsim-biases-download")
        self.download_button.on_click(guard(lambda _: self._download_clicked()))
        self.upload = FileUpload(accept=".json,application/json", multiple=False,
                                 description="upload", layout=Layout(width="100px"))
        self.upload.add_class("dynsim-biases-upload")
        self.download = HTML("")
        self.reset_button.on_click(guard(lambda _: self.reset()))
        self.upload.observe(guard(self._uploaded), names="value")

    @property
    def default_file_name(self) -> str:
        """The file name offered for this core's biases (``'biases_Core_0.json'``)."""
        return f"biases_{CORE_NAMES[self.chip.core_id]}.json"

    def _build_bar(self) -> HBox:
        title = HTML(f"<b>Biases of {self.chip.label}</b>", layout=Layout(margin="0 12px 0 0"))
        files = [self.path, self.save_button, self.load_button] if self.file_controls else []
        return HBox([title, self.reset_button, *files, self.download_button, self.upload,
                     self.download],
                    layout=Layout(flex_flow="row wrap", align_items="center"))

    def group_rows(self, group: str) -> list[Widget]:
        """Return the row boxes of one bias group (``BIAS_GROUPS``), in the chip's order.

        A bench places them in its own layout (``DynapseLab``: one tab per group); each
        row's box may sit in one layout at a time.
        """
        return [self.controls[name].box for name in BIAS_GROUPS[group]]

    @staticmethod
    def modelled_groups() -> list[str]:
        """Names of the bias groups with at least one modelled bias, in the chip's order."""
        return [group for group, names in BIAS_GROUPS.items()
                if any(bias_spec(name).modelled for name in names)]

    def folded_groups(self) -> Accordion | None:
        """Return the groups whose biases are all unmodelled, folded away (or ``None``)."""
        folded = [group for group in BIAS_GROUPS if group not in self.modelled_groups()]
        if not folded:
            return None
        extra = Accordion(children=[VBox(self.group_rows(g)) for g in folded],
                          selected_index=None)
        for i, group in enumerate(folded):
            extra.set_title(i, f"{group} (not modelled)")
        return extra

    @property
    def widget(self) -> VBox:
        """The panel on its own: buttons, the modelled groups in two columns, the rest folded.

        Built when first asked for (a bench that places the rows itself never builds it).
        """
        if self._widget is None:
            self._widget = self._layout()
        return self._widget

    def _layout(self) -> VBox:
        columns: list[list[Widget]] = [[], []]
        for group in self.modelled_groups():
            columns[group in SYNAPSE_TYPES].extend([group_heading(group),
                                                    *self.group_rows(group)])
        body = HBox([VBox(c, layout=Layout(margin="0 16px 0 0")) for c in columns],
                    layout=Layout(flex_flow="row wrap"))
        children: list[Widget] = [self.bar, body]
        folded = self.folded_groups()
        if folded is not None:
            children.append(folded)
        if self._own_host:
            children += [self.host.status.line, self.host.status.error]
        return VBox(children)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def close(self) -> None:
        """Close every widget of the panel (a bench that shows it closes it too)."""
        close_tree(self.bar)
        for row in self.controls.values():
            close_tree(row.box)
        if self._widget is not None:
            close_tree(self._widget)

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
        """Return the core's biases as JSON (``parameter_group_to_json``, dynsim's layout)."""
        with simulation_lock():
            return parameter_group_to_json(self.chip.get())

    def from_json(self, text: str | bytes) -> None:
        """Apply biases from JSON in either layout (all 25; missing ones get defaults).

        Raises
        ------
        dynsim.errors.ConfigurationFormatError
            Naming the first invalid field; nothing changes.
        dynsim.errors.BiasFileError
            For more than :data:`~dynsim.widgets.bias_files.MAX_BIAS_FILE_BYTES` or bytes that
            are not UTF-8 text.
        """
        if isinstance(text, bytes | bytearray | memoryview):
            text = bytes(text)
        group = read_bias_text(text, "the JSON text")
        self._submit(group.as_dict())

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the core's biases to ``path`` as JSON (dynsim's layout); return the path.

        ``path`` is a file of the notebook's folder (the kernel's working directory when the
        panel was made, or ``folder=``): relative to it, or absolute inside it.

        Raises
        ------
        dynsim.errors.BiasFileError
            For a path outside the folder, or an existing file that is not a bias file
            (unless ``overwrite=True``); nothing is written.
        """
        text = self.to_json()
        return self.folder.write(path, text, overwrite=overwrite)

    def load(self, path: str | os.PathLike[str]) -> None:
        """Read biases from a JSON file written by :meth:`save` (or by samna) and apply them.

        Raises
        ------
        FileNotFoundError
            When the folder has no such file.
        dynsim.errors.BiasFileError, dynsim.errors.ConfigurationFormatError
            For a path outside the folder or a file that is not a bias file: a short message
            naming the file, never its content; nothing changes.
        """
        self._submit(self.folder.read(path).as_dict())

    def _link(self, name: str, text: str) -> None:
        payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
        self.download.value = (f"<a download='{html.escape(name)}' "
                               f"href='data:application/json;base64,{payload}'>"
                               f"download {html.escape(name)}</a>")

    def _save_clicked(self) -> None:
        target = self.save(self.path.value)
        self._link(target.name, target.read_text())
        self.host.status.set(f"biases saved to {target.name}")

    def _load_clicked(self) -> None:
        self.load(self.path.value)
        self.host.status.set(f"biases loaded from {self.folder.resolve(self.path.value).name}")

    def _download_clicked(self) -> None:
        self._link(self.default_file_name, self.to_json())
        self.host.status.set("biases ready: click the download link")

    def _uploaded(self, change: dict[str, Any]) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0]
        content = item["content"] if isinstance(item, Mapping) else item.content
        name = str(item["name"] if isinstance(item, Mapping) else item.name)[:100]
        group = read_bias_text(bytes(content[:MAX_BIAS_FILE_BYTES + 1]), name)
        self._submit(group.as_dict())
        self.host.status.set(f"biases loaded from {name}")


def bias_changes(changes: Mapping[Hashable, Any]) -> dict[str, tuple[int, int]]:
    """Return the bias entries (``('bias', name) -> (coarse, fine)``) of a request's changes."""
    return {key[1]: value for key, value in changes.items()
            if isinstance(key, tuple) and len(key) == 2 and key[0] == "bias"}

