"""What a Loihi bench simulates: a network on the chip, or a float model and its quantization.

Simulation only: each model lists its controls (:class:`~dynsim.widgets.loihi_params._Param`,
ranges from the register table), reads and validates values, snapshots and restores itself,
runs and reads its monitors. What is shown of a model (readouts, titles, status texts, its
scope) is in :mod:`dynsim.widgets.loihi_views`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from brian2 import SpikeMonitor, StateMonitor

from dynsim.engine import resolve_engine
from dynsim.errors import LoihiNetworkError, RegisterRangeError, suggest
from dynsim.loihi import registers as R
from dynsim.loihi.conventions import (
    CONVENTION_NAMES,
    get_convention,
)
from dynsim.loihi.float_model import (
    FloatLIF,
    FloatLoihiComparison,
    compare_float_loihi,
    quantize_lif,
)
from dynsim.loihi.generators import check_spikes
from dynsim.loihi.monitors import LoihiSpikeMonitor, LoihiStateMonitor
from dynsim.loihi.network import LoihiNetwork, RunProgress
from dynsim.loihi.neurons import LoihiNeuronGroup
from dynsim.loihi.synapses import LoihiSynapses
from dynsim.validation import finite_number

from .loihi_params import (
    _SIGN_MODES,
    _TRACE_NAMES,
    FLOAT_PARAMS,
    NEURON_PARAMS,
    SYNAPSE_PARAMS,
    WEIGHT_SLIDERS_MAX,
    _Param,
    _target_name,
    param_range,
    parse_ints,
)

__all__ = ["RECORD_MAX"]

#: The lab's own monitors record every neuron (synapse) of a group up to this many.
RECORD_MAX = 32


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


    def needs_code(self) -> bool:
        """Whether the next run generates (and, with Cython, compiles) code first."""
        return False

    @property
    def engine(self) -> str:
        return self.network.engine if self.network is not None else "?"


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
            return (max(R.tau_from_decay(min(high, R.DECAY_REGISTER_MAX)), 1e-2),
                    R.tau_from_decay(max(low, 1)))

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
        fields = {k: finite_number(values[k], k, low=0.0, low_inclusive=False,
                                   error=RegisterRangeError)
                  for k in ("tau_m", "tau_syn", "threshold") if k in values}
        model = dataclasses.replace(self.model, **fields) if fields else self.model
        scale = finite_number(values.get("scale", self.scale), "scale", low=0.0,
                              low_inclusive=False, error=RegisterRangeError)
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

    @property
    def engine(self) -> str:
        if self.network is not None:
            return self.network.engine
        return resolve_engine(self.engine_name)



