"""Loihi bench parameters: the range of each control, parsing typed values, the panel.

Every range comes from :mod:`dynsim.loihi.registers` (``REGISTERS``, ``weight_range``)
narrowed by the network's arithmetic convention (:mod:`dynsim.loihi.conventions`:
``decay_I_min``, ``decay_v_max``). The panel (:class:`_ParamPanel`) is pure display: it
shows values and readouts it is given and sends each change to its host.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from brian2.groups.subgroup import Subgroup
from ipywidgets import (
    HTML,
    Dropdown,
    FloatLogSlider,
    HBox,
    IntSlider,
    Layout,
    Text,
    Widget,
)

from dynsim.errors import LoihiNetworkError, RegisterRangeError
from dynsim.loihi import registers as R
from dynsim.loihi._core import as_steps
from dynsim.loihi.conventions import (
    Convention,
    get_convention,
)
from dynsim.loihi.synapses import LoihiSynapses
from dynsim.validation import bounded_size, whole_number

from .bench import Host

__all__ = ["FLOAT_PARAMS", "MAX_STEPS", "NEURON_PARAMS", "PARAM_GROUPS", "SYNAPSE_PARAMS",
           "WEIGHT_SLIDERS_MAX", "param_group", "param_range", "parse_ints"]

#: Neuron-group parameters a bench controls, in the order shown.
NEURON_PARAMS: tuple[str, ...] = ("decay_v", "decay_I", "threshold_v_mant", "bias_mant",
                                  "bias_exp", "refractory")
#: Synapse parameters a bench controls besides the weight mantissas (``w`` / ``w_<k>``).
SYNAPSE_PARAMS: tuple[str, ...] = ("w_exp", "num_weight_bits")
#: Parameters of the float-vs-Loihi overlay (:meth:`LoihiLab.from_float`).
FLOAT_PARAMS: tuple[str, ...] = ("scale", "tau_m", "tau_syn", "threshold", "convention")
#: Synapses that get one weight slider each; more get one text box of mantissas.
WEIGHT_SLIDERS_MAX = 8
#: The most steps a bench runs: its monitors hold (neurons + synapses) x steps int64 values.
MAX_STEPS = 100_000
#: The most mantissas a weight text box takes (one per synapse of a large synapse object).
_MAX_WEIGHT_VALUES = 1_000_000
_SIGN_MODES = {1: "mixed", 2: "excitatory", 3: "inhibitory"}
#: The synapse traces a bench may draw.
_TRACE_NAMES = ("x1", "x2", "y1", "y2", "y3")


#: The tab of a LoihiLab that holds each parameter's control (``w_<k>``: ``'synapses'``).
PARAM_GROUPS: dict[str, str] = {
    **dict.fromkeys(NEURON_PARAMS, "neuron"),
    **dict.fromkeys((*SYNAPSE_PARAMS, "w"), "synapses"),
    **dict.fromkeys(("tau_m", "tau_syn", "threshold"), "float model"),
    **dict.fromkeys(("scale", "convention"), "quantization"),
}


def param_group(name: str) -> str:
    """Return the tab of a LoihiLab that holds the control ``name``.

    Examples
    --------
    >>> param_group("decay_v"), param_group("w_3"), param_group("scale")
    ('neuron', 'synapses', 'quantization')
    """
    if name.startswith("w_") and name[2:].isdigit():
        return "synapses"
    return PARAM_GROUPS.get(name, "other")


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


def _ints(values: Sequence[int], most: int | None = 6) -> str:
    """``'5'`` for equal values, else ``'1, 2, 3 …'`` (at most ``most`` of them)."""
    values = [int(v) for v in np.atleast_1d(values)]
    if len(set(values)) == 1:
        return str(values[0])
    shown = values if most is None else values[:most]
    return ", ".join(str(v) for v in shown) + (" …" if len(shown) < len(values) else "")


def _steps_value(value: Any) -> int:
    """Return ``value`` as a number of steps in ``1..MAX_STEPS`` (checked before any cast)."""
    steps = as_steps(value, "steps", high=MAX_STEPS)
    if steps < 1:
        raise LoihiNetworkError("steps must be at least 1")
    if steps > MAX_STEPS:
        raise LoihiNetworkError(f"steps must be at most {MAX_STEPS} (a bench records every "
                                f"step), got {steps}")
    return steps


def _target_name(synapses: LoihiSynapses) -> str:
    """Name of the group the synapses end in (the parent group of a subgroup target)."""
    target = synapses.target
    return (target.source if isinstance(target, Subgroup) else target).name


def parse_ints(text: str, what: str = "w", *, low: int = -(2**31),
               high: int = 2**31 - 1) -> np.ndarray:
    """Return the whole numbers written in ``text`` (``'200, -150'``) as int64.

    The text is bounded (at most 1,000,000 numbers) before it is split, and each number is
    range-checked (``low..high``) before the cast.

    Raises
    ------
    dynsim.errors.RegisterRangeError
        For a word that is not a whole number (naming it), a number out of range, or too
        many numbers.

    Examples
    --------
    >>> parse_ints("200, -150 3").tolist()
    [200, -150, 3]
    >>> parse_ints("1e30")
    Traceback (most recent call last):
    ...
    dynsim.errors.RegisterRangeError: w must be a whole number in -2147483648..2147483647, got 1000000000000000019884624838656
    """  # noqa: E501
    if not isinstance(text, str):
        raise RegisterRangeError(f"{what}: write the mantissas as text, e.g. '200, -150'")
    if len(text) > 24 * _MAX_WEIGHT_VALUES:
        raise RegisterRangeError(f"{what}: at most {_MAX_WEIGHT_VALUES} numbers; got "
                                 f"{len(text)} characters")
    words = [w for w in text.replace(";", ",").replace(",", " ").split() if w]
    bounded_size(len(words), f"{what}: number of values", high=_MAX_WEIGHT_VALUES,
                 error=RegisterRangeError)
    values = []
    for word in words:
        try:
            number = float(word)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or number != round(number):
            raise RegisterRangeError(
                f"{what}: {word[:40]!r} is not a whole number; write the mantissas separated "
                "by commas, e.g. '200, -150' (one value sets every synapse)")
        values.append(whole_number(round(number), what, low=low, high=high,
                                   error=RegisterRangeError))
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

    def __init__(self, params: Sequence[_Param], get: Callable[[str], Any],
                 readout: Callable[[str, Any], str], host: Host) -> None:
        self.params = {p.name: p for p in params}
        self.get = get
        self.readout = readout
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
        self.readouts[p.name].value = self.readout(p.name, value)
        self.host.request({("param", p.name): value})

    def update_readouts(self) -> None:
        """Recompute every readout from its control's value (they depend on each other)."""
        for name, control in self.controls.items():
            p = self.params[name]
            value = round(control.value) if p.kind == "log" and p.integer else control.value
            self.readouts[name].value = self.readout(name, value)

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
                try:
                    number = float(np.atleast_1d(value)[0])
                except (TypeError, ValueError, IndexError):
                    number = math.nan  # not a number: the run's check names the error
                if p.low <= number <= p.high:
                    control.value = int(number) if p.kind == "int" else number
            self.readouts[name].value = self.readout(name, value)

    def refresh(self) -> None:
        """Set every control and readout to the model's actual values (requests nothing)."""
        for name in self.params:
            self.show_value(name, self.get(name))

