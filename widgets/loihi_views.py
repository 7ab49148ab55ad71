"""What a Loihi bench shows of its model: readouts, titles, status texts and its scope.

Display only: a view reads its model (:mod:`dynsim.widgets.loihi_models`) and formats; it
never changes or runs it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from dynsim.loihi import registers as R
from dynsim.loihi.conventions import (
    DEFAULT_CONVENTION,
    Convention,
)

from .loihi_models import _ChipModel, _FloatModel, _Model, _Result
from .loihi_params import _SIGN_MODES, _ints
from .loihi_scope import TraceScope

__all__: list[str] = []


class _View:
    """What a LoihiLab shows of a model: readouts, title, status texts, its scope."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def readout(self, name: str, value: Any) -> str:
        """Return the derived value shown next to control ``name`` at ``value``."""
        return ""

    def registers_html(self) -> str:
        """Return the register line shown beneath the plot (float mode)."""
        return ""

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


class _ChipView(_View):
    """Texts and scope of a :class:`_ChipModel`."""

    model: _ChipModel

    def readout(self, name: str, value: Any) -> str:
        """Return the readout of ``value`` from the register table (``registers.readout``)."""
        return R.readout(name, value, neurons=self.model.neurons,
                         synapses=self.model.synapses, convention=self.model.conv)

    def make_scope(self, steps: int, max_points: int) -> TraceScope:
        syn = self.model.synapses
        labels = {}
        if syn is not None:
            i, j = np.asarray(syn.i[:]), np.asarray(syn.j[:])
            labels = {k: f"syn {k} ({i[k]}→{j[k]})" for k in self.model._recorded_synapses()}
        variables = tuple(v for v in ("v", "u") if v in self.model.monitors)
        model = self.model
        return TraceScope(model.show, variables=variables, recorded=model._recorded_neurons(),
                          synapses=model.show_synapses,
                          recorded_synapses=model._recorded_synapses(),
                          synapse_labels=labels, traces=model.traces_shown,
                          weights=model.learning, threshold=model.neurons.vth, steps=steps,
                          max_points=max_points)

    def title(self) -> str:
        ng, syn = self.model.neurons, self.model.synapses
        text = (f"<b>Loihi bench</b> · network {html.escape(self.model.network.name)} · "
                f"{len(ng)} neuron{'s' if len(ng) != 1 else ''} "
                f"({html.escape(ng.name)})")
        if syn is not None:
            text += (f" · {len(syn)} synapse{'s' if len(syn) != 1 else ''} "
                     f"({html.escape(syn.name)}, {_SIGN_MODES[syn.sign_mode]}"
                     f"{', learning' if syn.learning_rule is not None else ''})")
        return text + f" · engine {html.escape(self.model.engine)}"

    def convention_text(self) -> str:
        return _convention_html(self.model.conv, selectable=False)

    def describe(self) -> str:
        ng = self.model.neurons
        return (f"LoihiLab ({len(ng)} neuron{'s' if len(ng) != 1 else ''} {ng.name!r}, "
                f"convention {self.model.conv.name!r})")

    def done_text(self, result: _Result) -> str:
        i = result.traces.get("spike_i", np.zeros(0))
        counts = np.bincount(np.asarray(i, dtype=np.int64), minlength=len(self.model.neurons))
        shown = ", ".join(f"{int(counts[k])}" for k in self.model.show)
        return (f"{result.steps} steps · {int(counts.sum())} spikes "
                f"(neurons {', '.join(str(k) for k in self.model.show)}: {shown})")


class _FloatView(_View):
    """Texts and scope of a :class:`_FloatModel`."""

    model: _FloatModel

    def readout(self, name: str, value: Any) -> str:
        try:
            if name == "scale":
                return f"2^{math.log2(float(value)):.3g} units / {html.escape(self.model.units)}"
            if name in ("tau_m", "tau_syn"):
                reg = "decay_v" if name == "tau_m" else "decay_I"
                return f"{reg} ≈ {R.decay_from_tau(float(value))}"
            if name == "threshold":
                mant = round(float(value) * self.model.scale / 2**R.VTH_SHIFT)
                return f"threshold_v_mant ≈ {mant}"
        except (ValueError, TypeError, OverflowError):
            return ""
        return ""

    def registers_html(self) -> str:
        q = self.model.quantization
        return ("<span style='font-size:90%'>registers: decay_v {q.decay_v} · decay_I "
                "{q.decay_I} · threshold_v_mant {q.threshold_v_mant} (= {th:.4g} {u}) · "
                "w_exp {q.w_exp} · w_mant {w} · bias {q.bias_mant}×2^{q.bias_exp}</span>"
                ).format(q=q, th=q.threshold_effective, u=html.escape(self.model.units),
                         w=html.escape(_ints(q.w_mant.ravel()) if q.w_mant.size else "—"))

    def make_scope(self, steps: int, max_points: int) -> TraceScope:
        n = self.model.weights.shape[1]
        return TraceScope(tuple(range(min(n, 3))), mode="float", recorded=tuple(range(n)),
                          threshold=self.model.model.threshold, steps=steps, units=self.model.units,
                          max_points=max_points)

    def title(self) -> str:
        n_in, n = self.model.weights.shape
        return (f"<b>Float model vs Loihi</b> · {n} neuron{'s' if n != 1 else ''}, {n_in} "
                f"input{'s' if n_in != 1 else ''}, {len(self.model.times)} input spikes · "
                f"engine {html.escape(self.model.engine)}")

    def convention_text(self) -> str:
        return _convention_html(self.model.conv, selectable=True)

    def describe(self) -> str:
        n = self.model.weights.shape[1]
        return f"LoihiLab.from_float ({n} neuron{'s' if n != 1 else ''})"

    def done_text(self, result: _Result) -> str:
        cmp = result.comparison
        f, lo = cmp.spike_counts()
        counts = ((str(int(f[0])), str(int(lo[0]))) if len(f) == 1 else
                  (_list(f), _list(lo)))
        return (f"{result.steps} steps · RMSE of v {cmp.rmse_v():.3g} "
                f"{self.model.units} · spikes float {counts[0]} / Loihi {counts[1]}")


def view_of(model: _Model) -> _View:
    """Return the view of a bench's model."""
    return _FloatView(model) if isinstance(model, _FloatModel) else _ChipView(model)


def _convention_html(conv: Convention, selectable: bool) -> str:
    keys = ("exponent_scope", "u_overflow", "v_overflow", "generator_delay", "decay_I_min",
            "decay_v_max")
    tip = "\n".join(f"{k}: {conv.describe(k)}" for k in keys)
    default = " (default)" if conv.name == DEFAULT_CONVENTION else ""
    where = "" if selectable else " · fixed when the network was made"
    return (f"<span title='{html.escape(tip)}'>arithmetic convention <b>{conv.name}</b>"
            f"{default}{where} · <span style='color:#757575'>hover for its rules; "
            "dynsim.loihi.conventions_table() lists every difference</span></span>")


def _list(values: Sequence[int]) -> str:
    return "[" + ", ".join(str(int(v)) for v in values) + "]"
