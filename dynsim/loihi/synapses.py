"""Loihi synapses as Brian2 ``Synapses``: weight mantissas, exponents, delays, traces, learning.

A spike that reaches a synapse adds the synapse's input weight ``w_in`` to an accumulator
of the target group that belongs to this projection; the target's update empties the
accumulators into u. What ``w_in`` is depends on the arithmetic convention
(:mod:`dynsim.loihi.conventions`):

* per-synapse exponent ('silicon', 'brian2_loihi'): ``w_in = w_act =
  floor(w_t * 2**w_exp) << 6``, where ``w_t`` is the mantissa ``w`` with its
  ``s = 8 - num_weight_bits (+1 if mixed)`` low bits dropped (silicon and Lava: a two's
  complement shift in the mixed sign mode, the magnitude truncated otherwise; brian2-loihi:
  toward zero, and ``w_act`` clipped to +-(2**21 - 64));
* per-projection exponent ('lava'): ``w_in = w_t``; the target adds
  ``floor(sum(w_t) * 2**w_exp) << 6`` for the projection.

Actual weights are computed once, when weights or their format change, or by the learning
code when the weights learn; never for every synapse in every step (brian2-loihi does).

Traces (x1, x2 pre; y1, y2, y3 post) are 7-bit per-synapse values: an impulse is added when
a spike reaches the synapse (clipped at 127), and every step they decay with stochastic
rounding from :mod:`dynsim.loihi.rng`. A learning rule ``dw`` (:mod:`dynsim.loihi.learning`)
is applied every ``learning_epoch`` steps; its result is rounded away from zero, then
stochastically to the weight precision ``2**s``, and clipped to the sign mode's range.

References
----------
Davies et al. (2018), IEEE Micro 38(1); Michaelis et al. (2022), Front. Neuroinform.
16:1015624; Lava 0.10 ``lava.proc.dense.models``, ``lava.utils.weightutils``; nengo-loihi
``discretize_weights``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from brian2 import Synapses, ms
from brian2.core.names import find_name
from brian2.core.spikesource import SpikeSource
from brian2.groups.subgroup import Subgroup

from dynsim import validation
from dynsim.errors import DynsimError, LearningRuleError, LoihiNetworkError, RegisterRangeError
from dynsim.loihi import registers as R
from dynsim.loihi import rng
from dynsim.loihi._core import (
    INT,
    GeneratedCodeRunner,
    LoihiObject,
    check_name,
    default_codeobj_class,
    loihi_clock,
    name_salt,
)
from dynsim.loihi.conventions import get_convention
from dynsim.loihi.learning import LearningRule, parse_rule
from dynsim.loihi.neurons import LoihiNeuronGroup

if TYPE_CHECKING:
    from dynsim.loihi.conventions import Convention

__all__ = ["MAX_SYNAPSES", "LoihiSynapses", "actual_weights"]

_TRACES = ("x1", "x2", "y1", "y2", "y3")
#: Most synapses one LoihiSynapses object holds (a condition or ``p`` counts every pair of
#: the two groups); checked before Brian2 allocates them.
MAX_SYNAPSES = 10**7
#: A bound that is never reached (clips that a convention does not have).
_NO_LIMIT = 1 << 40


def _limits(w_exp: int, num_weight_bits: int, sign_mode: int, conv: Convention) -> dict:
    """Return the integers that describe a weight format in one convention."""
    s = R.precision_shift(num_weight_bits, sign_mode)
    return {
        "w_prec": 1 << s,
        "w_mul": 1 << max(w_exp, 0),
        "w_div": 1 << max(-w_exp, 0),
        "w_floor": conv.inhibitory_min if sign_mode == 3 else -_NO_LIMIT,
        "w_lim": conv.weight_limit if conv.weight_limit is not None else _NO_LIMIT,
    }


def actual_weights(w: Any, w_exp: int = 0, num_weight_bits: int = 8, sign_mode: int = 2,
                   convention: str | Convention | None = None, *,
                   truncate: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(w_in, w_act)``: what each synapse adds to its accumulator, and its weight.

    ``w_act = floor(w_t * 2**w_exp) << 6`` with ``w_t`` the mantissa with its low
    ``s = 8 - num_weight_bits + mixed`` bits dropped (per convention: a two's complement
    shift for mixed weights on silicon and Lava, otherwise toward zero),
    clipped in 'brian2_loihi'. ``w_in`` is ``w_act``, except in the 'lava' convention where
    the exponent is applied to the projection's sum and ``w_in = w_t``.

    Parameters
    ----------
    w : int or array_like of int
        Weight mantissas.
    w_exp : int
        Weight exponent -8..7.
    num_weight_bits : int
        Mantissa precision 0..8.
    sign_mode : int
        1 mixed, 2 excitatory, 3 inhibitory.
    convention : str, optional
        Arithmetic convention (default 'silicon').
    truncate : bool
        False for weights written by learning in 'brian2_loihi' (no precision shift there).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray) of int64

    Examples
    --------
    >>> actual_weights([-3, 5], w_exp=-1, num_weight_bits=7, sign_mode=1)[1].tolist()
    [-128, 128]
    >>> actual_weights([-3, 5], w_exp=-1, num_weight_bits=7, sign_mode=1,
    ...                convention="brian2_loihi")[1].tolist()
    [0, 128]
    """
    conv = get_convention(convention)
    lim = _limits(w_exp, num_weight_bits, sign_mode, conv)
    w = np.asarray(w, dtype=INT)
    wc = np.maximum(w, lim["w_floor"]) if lim["w_floor"] > -_NO_LIMIT else w
    # w_prec, w_mul and w_div are powers of two: masks and shifts instead of divisions (the
    # same integers: x & -p == (x // p) * p, (x << a) >> b == (x * 2**a) // 2**b, floored)
    prec = lim["w_prec"]
    if truncate and conv.mantissa_rounding == "mixed_floor" and sign_mode == 1:
        wt = wc & -prec  # two's complement: arithmetic shift
    elif truncate:
        magnitude = np.abs(wc) & -prec  # toward zero: the magnitude truncated
        wt = np.where(wc < 0, -magnitude, magnitude)
    else:
        wt = wc
    up, down = lim["w_mul"].bit_length() - 1, lim["w_div"].bit_length() - 1
    wa = np.left_shift(np.right_shift(np.left_shift(wt, up), down), R.WEIGHT_ACT_SHIFT)
    if lim["w_lim"] < _NO_LIMIT:
        wa = np.minimum(np.maximum(wa, -lim["w_lim"]), lim["w_lim"])
    if w.ndim == 0:
        wa, wt = INT(wa), INT(wt)
    else:
        wa = np.array(wa, dtype=INT)
    w_in = wt.copy() if conv.exponent_scope == "projection" else wa.copy()
    return w_in, wa


def _trace_decay(tau: int, conv: Convention) -> tuple[int, int]:
    """Return ``(num, den)``: a trace decays to ``x * num / den`` per step."""
    if conv.trace_decay == "linear":
        return tau - 1, tau  # brian2-loihi: x * (1 - 1/tau)
    den = 1 << R.TRACE_DECAY_FRACTION_BITS
    return round(den * math.exp(-1.0 / tau)), den


class LoihiSynapses(LoihiObject, Synapses):
    """Loihi synapses between a spike source and a :class:`LoihiNeuronGroup`.

    Drop-in for brian2-loihi's ``LoihiSynapses`` (same parameters, meanings and ranges).
    Weights are set with ``S.w = ...`` after ``S.connect(...)``; ``S.w`` and ``S.w_act``
    always return the current values (also after learning).

    Parameters
    ----------
    source : SpikeSource
        Where spikes come from (a LoihiNeuronGroup, a LoihiSpikeGeneratorGroup, ...).
    target : LoihiNeuronGroup or subgroup of one, optional
        Where they go (default: ``source``).
    delay : int, optional
        Synaptic delay 0..62 steps, the same for every synapse of the object: a neuron's
        spike at step t reaches u at ``t + 1 + delay``.
    dw : str, optional
        Learning rule (brian2-loihi grammar, see :mod:`dynsim.loihi.learning`).
    w_exp : int, optional
        Weight exponent -8..7: the actual weight is ``w * 2**(6 + w_exp)``.
    sign_mode : int, optional
        1 mixed (-256..254), 2 excitatory (0..255, default), 3 inhibitory (-256..0).
    num_weight_bits : int, optional
        Mantissa precision 0..8 (default 8).
    imp_x1, tau_x1, imp_x2, tau_x2 : int, optional
        Impulse (0..127) and time constant (steps) of the pre-synaptic traces; a trace
        exists if both are given (non-zero).
    imp_y1, tau_y1, imp_y2, tau_y2, imp_y3, tau_y3 : int, optional
        The same for the post-synaptic traces.
    name : str, optional
        Brian2 name (fixed names keep the Cython cache hot).
    learning_epoch : int, optional
        Apply ``dw`` every ``learning_epoch`` steps (1..512; default 1 as brian2-loihi);
        x0 and y0 collect the spikes of the epoch.
    engine : str, optional
        Engine for code run at construction (``connect``); the network's engine runs it.

    Attributes
    ----------
    w : numpy.ndarray of int64
        Current weight mantissas (read-only view; assign ``S.w = ...`` to change them).
    w_act : numpy.ndarray of int64
        Current actual weights in units of u (``w_t * 2**(6 + w_exp)``, floored).

    References
    ----------
    Davies et al. (2018), IEEE Micro 38(1); Michaelis et al. (2022); Lava 0.10 ``Dense``.

    Examples
    --------
    >>> from dynsim.loihi import LoihiNeuronGroup, LoihiSynapses
    >>> ng = LoihiNeuronGroup(2, name="doc_syn_neurons")
    >>> syn = LoihiSynapses(ng, ng, w_exp=-1, sign_mode=1, name="doc_syn")
    >>> syn.connect(i=[0, 1], j=[1, 0])
    >>> syn.w = [-3, 100]
    >>> syn.w_act.tolist()
    [-128, 3200]
    """

    def __init__(self, source: Any, target: Any = None, delay: int = 0, dw: str = "",
                 w_exp: int = 0, sign_mode: int = 2, num_weight_bits: int = 8,
                 imp_x1: Any = False, tau_x1: Any = False, imp_x2: Any = False,
                 tau_x2: Any = False, imp_y1: Any = False, tau_y1: Any = False,
                 imp_y2: Any = False, tau_y2: Any = False, imp_y3: Any = False,
                 tau_y3: Any = False, name: str = "loihi_synapses*", *,
                 learning_epoch: int = 1, engine: str | None = None) -> None:
        # ---- check everything before anything is created
        check_name(name)
        if target is None:
            target = source
        if not isinstance(source, SpikeSource):
            raise LoihiNetworkError(f"source must be a spike source, got {source!r}")
        parent = target.source if isinstance(target, Subgroup) else target
        if not isinstance(parent, LoihiNeuronGroup):
            raise LoihiNetworkError(
                "the target of LoihiSynapses must be a LoihiNeuronGroup (or a subgroup of "
                f"one), got {target!r}")
        fmt = {
            "sign_mode": R.check_register("sign_mode", sign_mode),
            "w_exp": R.check_register("w_exp", w_exp),
            "num_weight_bits": R.check_register("num_weight_bits", num_weight_bits),
        }
        delay = R.check_register("delay", delay)
        epoch = R.check_register("learning_epoch", learning_epoch)
        given = {"x1": (imp_x1, tau_x1), "x2": (imp_x2, tau_x2), "y1": (imp_y1, tau_y1),
                 "y2": (imp_y2, tau_y2), "y3": (imp_y3, tau_y3)}
        traces: dict[str, dict[str, int]] = {}
        for tr, (imp, tau) in given.items():
            if _truthy(imp) and _truthy(tau):  # brian2-loihi: a trace needs both
                traces[tr] = {"imp": R.check_register("imp", imp, register=f"{tr} impulse"),
                              "tau": R.check_register("tau", tau, register=f"{tr} tau")}
                if traces[tr]["tau"] < 1:
                    raise RegisterRangeError(f"tau_{tr} must be >= 1")
        rule: LearningRule | None = None
        if not isinstance(dw, str):
            raise LearningRuleError(f"dw must be a string, got {dw!r}")
        if dw.strip():
            rule = parse_rule(dw)
            missing = sorted(rule.traces - set(traces))
            if missing:
                raise LearningRuleError(
                    f"learning rule dw={dw!r} reads {', '.join(missing)} but "
                    f"{'that trace is' if len(missing) == 1 else 'those traces are'} not "
                    f"defined: give {', '.join(f'imp_{m} and tau_{m}' for m in missing)}")
        final_name = find_name(name)
        acc_name = f"acc_{final_name}"
        if acc_name in parent.variables:
            raise LoihiNetworkError(
                f"the target {parent.name!r} already receives a projection named "
                f"{final_name!r}; give the synapses another name")

        # ---- the Brian2 model
        has_pre = bool({"x1", "x2"} & set(traces))
        has_post = bool({"y1", "y2", "y3"} & set(traces))
        learning = rule is not None
        stochastic = learning or bool(traces)
        model = ["w : integer", "w_in : integer", "w_act : integer",
                 "w_prec : integer (shared)", "w_mul : integer (shared)",
                 "w_div : integer (shared)", "w_floor : integer (shared)",
                 "w_lim : integer (shared)", "w_lo : integer (shared)",
                 "w_hi : integer (shared)"]
        if stochastic:
            model += ["syn_id : integer", "rng_key : integer (shared)"]
        for tr in traces:
            model += [f"{tr} : integer", f"imp_{tr} : integer (shared)",
                      f"tr_num_{tr} : integer (shared)", f"tr_den_{tr} : integer (shared)"]
        if learning:
            model += ["x0 : integer", "y0 : integer", "x0_on : integer (shared)",
                      "y0_on : integer (shared)", "learn_epoch : integer (shared)"]
        on_pre = [f"{acc_name}_post += w_in"]
        for tr in ("x1", "x2"):
            if tr in traces:
                on_pre.append(f"{tr} = {tr} + imp_{tr} - ({tr} + imp_{tr} - {R.TRACE_MAX}) * "
                              f"int({tr} + imp_{tr} > {R.TRACE_MAX})")
        if learning:
            on_pre.append("x0 = x0 + (x0_on - x0) * x0_on")
        on_post = []
        for tr in ("y1", "y2", "y3"):
            if tr in traces:
                on_post.append(f"{tr} = {tr} + imp_{tr} - ({tr} + imp_{tr} - {R.TRACE_MAX}) "
                               f"* int({tr} + imp_{tr} > {R.TRACE_MAX})")
        if learning:
            on_post.append("y0 = y0 + (y0_on - y0) * y0_on")
        names = [line.split(" :")[0] for line in model]

        parent._register_incoming(self, acc_name)
        if isinstance(target, Subgroup) and acc_name not in target.variables:
            target.variables.add_reference(acc_name, parent, acc_name)
        cls = default_codeobj_class(engine)
        try:
            Synapses.__init__(
                self, source, target, model="\n".join(model), on_pre="\n".join(on_pre),
                on_post="\n".join(on_post) if on_post else None, delay=delay * ms,
                clock=loihi_clock(), name=final_name, codeobj_class=cls,
                dtype={k: INT for k in names},
            )
        except Exception:
            parent._unregister_incoming(self, acc_name)
            if isinstance(target, Subgroup):
                target.variables._variables.pop(acc_name, None)
            raise
        self._acc_name = acc_name
        self._parent_target = parent
        self._fmt = fmt
        self._delay_steps = delay
        self._traces = traces
        self._rule = rule
        self._dw_text = dw
        self._epoch = epoch
        self._has_pre_trace = has_pre
        self._has_post_trace = has_post
        self._w_config: np.ndarray | None = None
        self._w_version = 0
        # what the weight arrays (w, w_in, w_act, limits) were last computed from, and what
        # the reset snapshot holds: a reset recomputes them only if that differs
        self._weights_key_now: tuple | None = None
        self._weights_key_stored: tuple | None = None
        self._seed = 0
        if stochastic:
            self._learner = GeneratedCodeRunner(self, "learn", when="groups", order=0,
                                                name=f"{self.name}_loihi_learning",
                                                codeobj_class=cls)
            self.contained_objects.append(self._learner)
        self._loihi_apply()

    # ---------------------------------------------------------------- structure
    def connect(self, *args: Any, **kwargs: Any) -> None:
        """Create synapses (Brian2's ``Synapses.connect``; new synapses have ``w = 0``).

        Parameters
        ----------
        *args, **kwargs
            As for :meth:`brian2.Synapses.connect` (``condition``, ``i``, ``j``, ``p``,
            ``n``, ``skip_if_invalid``, ``namespace``).
        """
        kwargs["level"] = kwargs.get("level", 0) + 1
        sizes = {"i": len(self.source), "j": len(self.target)}
        count = 0
        for key in ("i", "j"):
            if key in kwargs and kwargs[key] is not None and not isinstance(kwargs[key], str):
                # range-checked before the cast: [1.7] or uint64 2**64-1 are refused
                arr = validation.whole_numbers(
                    kwargs[key], f"connect({key}=...)", low=0, high=sizes[key] - 1,
                    error=LoihiNetworkError, max_size=MAX_SYNAPSES)
                kwargs[key] = arr
                count = max(count, int(arr.size))
        if "p" in kwargs and not isinstance(kwargs["p"], str):
            kwargs["p"] = validation.finite_number(kwargs["p"], "p", low=0, high=1,
                                                   error=LoihiNetworkError)
        if "n" in kwargs and not isinstance(kwargs["n"], str):
            kwargs["n"] = validation.whole_number(kwargs["n"], "n", low=0, high=64,
                                                  error=LoihiNetworkError)
        if count == 0:  # a condition or p: every pair may become a synapse
            count = sizes["i"] * sizes["j"] * (kwargs["n"] if isinstance(
                kwargs.get("n"), int) else 1)
        if len(self) + count > MAX_SYNAPSES:
            raise LoihiNetworkError(
                f"this connect may make up to {count} synapses ({len(self)} exist); one "
                f"LoihiSynapses holds at most {MAX_SYNAPSES}: connect smaller groups, or "
                "give the pairs as i=..., j=...")
        before = len(self)
        try:
            Synapses.connect(self, *args, **kwargs)
        except DynsimError:
            raise
        except Exception as exc:  # Brian2's own errors (bad condition, ...)
            if len(self) != before:
                raise
            raise LoihiNetworkError(f"connect failed: {exc}") from exc
        self._loihi_changed()
        if self._w_config is not None and len(self._w_config) != len(self):
            self._w_config = None
        if "syn_id" in self.variables:
            self.variables["syn_id"].set_value(np.arange(len(self), dtype=INT))
        self._update_weights()

    # ---------------------------------------------------------------- weights
    def _read_only(self, variable: str) -> np.ndarray:
        """Return a read-only int64 copy of one of the synapses' Brian2 variables."""
        arr = np.array(self.variables[variable].get_value(), dtype=INT)
        arr.flags.writeable = False
        return arr

    @property
    def w(self) -> np.ndarray:
        """The current weight mantissas (int64, read-only view; assign to change them)."""
        return self._read_only("w")

    @w.setter
    def w(self, weights: Any) -> None:
        self._set_w(weights)

    def _set_w(self, weights: Any) -> None:
        lo, hi = R.weight_range(self._fmt["sign_mode"])
        mode = {1: "mixed", 2: "excitatory", 3: "inhibitory"}[self._fmt["sign_mode"]]
        arr = np.asarray(R.check_register("w", weights, lo, hi, register=f"weight ({mode})",
                                          description=f"{mode} sign mode"), dtype=INT)
        n = len(self)
        if arr.ndim == 0:
            arr = np.full(n, int(arr), dtype=INT)
        elif arr.shape != (n,):
            raise RegisterRangeError(
                f"w must be a scalar or one value per synapse ({n}), got shape {arr.shape}")
        self._w_config = arr.copy()
        self._w_version += 1
        self.variables["w"].set_value(arr)
        self._update_weights()

    @property
    def w_assigned(self) -> np.ndarray:
        """The weight mantissas last assigned with ``S.w = ...`` (int64, read-only copy).

        What :meth:`LoihiNetwork.reset` returns the weights to; :attr:`w` differs from it
        after learning. Before any assignment: the weights the synapses hold.
        """
        if self._w_config is None or len(self._w_config) != len(self):
            return self._read_only("w")
        arr = self._w_config.copy()
        arr.flags.writeable = False
        return arr

    @property
    def w_act(self) -> np.ndarray:
        """The current actual weights in units of u (int64, read-only)."""
        return self._read_only("w_act")

    @w_act.setter
    def w_act(self, value: Any) -> None:
        raise RegisterRangeError("w_act is derived from w and w_exp; set w instead")

    @property
    def w_in(self) -> np.ndarray:
        """What each synapse adds to the target's accumulator on a spike (int64)."""
        return self._read_only("w_in")

    def _effective_convention(self) -> Convention:
        return self.convention or get_convention(None)

    def _weights_key(self) -> tuple:
        """Return what the weight arrays depend on: format, convention, weights, size."""
        return (tuple(sorted(self._fmt.items())), self._effective_convention().name,
                self._w_version if self._w_config is not None else -1, len(self))

    def _update_weights(self) -> None:
        """Recompute w_in and w_act from w (once per change, not per step)."""
        self._weights_key_now = self._weights_key()
        conv = self._effective_convention()
        w = np.asarray(self.variables["w"].get_value(), dtype=INT)
        w_in, w_act = actual_weights(w, self._fmt["w_exp"], self._fmt["num_weight_bits"],
                                     self._fmt["sign_mode"], conv)
        self.variables["w_in"].set_value(w_in)
        self.variables["w_act"].set_value(w_act)
        lim = _limits(self._fmt["w_exp"], self._fmt["num_weight_bits"],
                      self._fmt["sign_mode"], conv)
        for key, value in lim.items():
            self.variables[key].set_value(value)
        lo, hi = R.weight_range(self._fmt["sign_mode"])
        self.variables["w_lo"].set_value(lo)
        self.variables["w_hi"].set_value(hi)
        tgt = self._parent_target
        tgt.variables[f"{self._acc_name}_mul"].set_value(lim["w_mul"])
        tgt.variables[f"{self._acc_name}_div"].set_value(lim["w_div"])

    def _set_format(self, key: str, value: Any) -> None:
        value = R.check_register(key, value)
        if key == "sign_mode":
            lo, hi = R.weight_range(value)
            w = np.asarray(self.variables["w"].get_value())
            if len(w) and (w.min() < lo or w.max() > hi):
                raise RegisterRangeError(
                    f"sign_mode={value} allows weights {lo}..{hi}, but the current weights "
                    f"span {int(w.min())}..{int(w.max())}; change the weights first")
        self._fmt = {**self._fmt, key: value}
        self._update_weights()

    # The register properties (w_exp, num_weight_bits, sign_mode, delay, learning_epoch)
    # are generated from dynsim.loihi.registers.REGISTERS by install_fields (after the
    # class); a register without its own setter below is part of the weight format.
    def _register_get(self, name: str, raw: bool = False) -> int:
        """Return a stored parameter."""
        if name == "delay":
            return self._delay_steps
        if name == "learning_epoch":
            return self._epoch
        return self._fmt[name]

    def _register_set(self, name: str, value: Any) -> None:
        """Check and set a stored parameter (nothing changes on failure)."""
        setter = {"delay": self._set_delay, "learning_epoch": self._set_epoch}.get(name)
        if setter is None:
            self._set_format(name, value)
        else:
            setter(value)

    def _set_delay(self, value: Any) -> None:
        value = R.check_register("delay", value)
        self.pre.delay = value * ms
        self._delay_steps = value
        self._loihi_changed()

    def _set_epoch(self, value: Any) -> None:
        self._epoch = R.check_register("learning_epoch", value)
        self._loihi_apply()

    @property
    def dw(self) -> str:
        """The learning rule as given ('' for none)."""
        return self._dw_text

    @property
    def learning_rule(self) -> LearningRule | None:
        """The parsed learning rule (None without learning)."""
        return self._rule

    def trace_parameters(self) -> dict[str, dict[str, int]]:
        """Return ``{trace: {'imp': ..., 'tau': ...}}`` of the defined traces."""
        return {k: dict(v) for k, v in self._traces.items()}

    def set_trace(self, trace: str, *, imp: int | None = None, tau: int | None = None) -> None:
        """Change the impulse and/or time constant of a defined trace.

        Parameters
        ----------
        trace : str
            'x1', 'x2', 'y1', 'y2' or 'y3'.
        imp : int, optional
            New impulse 0..127.
        tau : int, optional
            New time constant (steps, >= 1).
        """
        if not isinstance(trace, str) or trace not in self._traces:
            raise LoihiNetworkError(
                f"trace {trace!r} is not defined for {self.name!r} (defined: "
                f"{sorted(self._traces) or 'none'}); traces are chosen at construction")
        new = dict(self._traces[trace])
        if imp is not None:
            new["imp"] = R.check_register("imp", imp, register=f"{trace} impulse")
        if tau is not None:
            new["tau"] = R.check_register("tau", tau, 1, R.TRACE_TAU_MAX,
                                          register=f"{trace} tau")
        self._traces = {**self._traces, trace: new}
        self._loihi_apply()

    @property
    def loihi_parameters(self) -> dict[str, Any]:
        """All parameters as a dict (brian2-loihi's attribute)."""
        out: dict[str, Any] = {"delay": self.delay, "dw": self._dw_text, **self._fmt,
                               "learning_epoch": self._epoch}
        for tr in _TRACES:
            p = self._traces.get(tr)
            out[f"imp_{tr}"] = p["imp"] if p else False
            out[f"tau_{tr}"] = p["tau"] if p else False
        return out

    def __str__(self) -> str:
        lines = ["Parameters of the synapses:", ""]
        lines += [f"{k:18} {v}" for k, v in self.loihi_parameters.items()]
        lines += ["", "For getting the weights use the properties 'w' and 'w_act'."]
        return "\n".join(lines) + "\n"

    # ---------------------------------------------------------------- binding
    def _loihi_seed(self, seed: int) -> None:
        self._seed = int(seed)
        if "rng_key" in self.variables:
            self.variables["rng_key"].set_value(rng.mix_key(seed, name_salt(self.name)))

    def _loihi_apply(self) -> None:
        conv = self._effective_convention()
        self._loihi_seed(self._seed)
        if hasattr(self, "pre"):
            delay_s = np.asarray(self.pre.variables["delay"].get_value()).ravel()
            if len(delay_s) and round(float(delay_s[0]) * 1000) != self._delay_steps:
                self.pre.delay = self._delay_steps * ms  # after a reset to an older state
        if self._rule is not None or self._weights_key_now != self._weights_key():
            # (after a reset the arrays hold the snapshot's weights: recomputing 10**7 actual
            # weights takes a second, so it is skipped when nothing they depend on changed)
            if self._w_config is not None and len(self._w_config) == len(self):
                self.variables["w"].set_value(self._w_config)
            self._update_weights()
        for tr, p in self._traces.items():
            num, den = _trace_decay(p["tau"], conv)
            self.variables[f"imp_{tr}"].set_value(p["imp"])
            self.variables[f"tr_num_{tr}"].set_value(num)
            self.variables[f"tr_den_{tr}"].set_value(den)
        if self._rule is not None:
            need = conv.x0_needs_trace
            self.variables["x0_on"].set_value(int(not need or self._has_pre_trace))
            self.variables["y0_on"].set_value(int(not need or self._has_post_trace))
            self.variables["learn_epoch"].set_value(self._epoch)
        if "syn_id" in self.variables:
            self.variables["syn_id"].set_value(np.arange(len(self), dtype=INT))

    def _loihi_stored(self) -> None:
        self._weights_key_stored = self._weights_key_now

    def _loihi_restored(self) -> None:
        self._weights_key_now = self._weights_key_stored

    # ---------------------------------------------------------------- generated code
    def _loihi_code(self, kind: str) -> str:
        """Per-step code of traces and learning in the current convention."""
        conv = self._running_convention()
        big = rng.RANGE
        scalar, vector = rng.code_base("rnd_base", "rng_key", "t_in_timesteps", "syn_id")
        lines = [scalar]  # per-step values first (Brian2 computes them once per step)
        rule = self._rule
        if rule is not None:
            for k in rule.epoch_gates:
                lines.append(f"u{k} = int(t_in_timesteps % {1 << k} == 0)")
            lines.append("learn_now = int(t_in_timesteps % learn_epoch == 0)")
        lines.append(vector)
        if rule is not None:
            for sname, inner in rule.signs:
                lines.append(f"{sname}_n = {inner.numerator_code()}")
                lines.append(f"{sname} = int({sname}_n > 0) - int({sname}_n < 0)")
            den = 1 << rule.denominator_bits
            lines.append(f"dw_n = {rule.numerator_code()}")
            # round away from zero: sign(dw) * ceil(|dw|)
            lines.append(f"dw_r = int(dw_n < 0) * (dw_n // {den}) "
                         f"- int(dw_n >= 0) * ((-dw_n) // {den})")
            lines.append("dw_s = 2 * int(dw_r >= 0) - 1")
            lines.append("dw_a = dw_r * dw_s")
            lines.append(rng.code_stream("rnd_dw", "rnd_base", rng.STREAMS["dw"]))
            # stochastic rounding to the weight precision: up with probability rem / prec
            lines.append(f"dw_p = dw_s * (dw_a // w_prec + int(rnd_dw * w_prec < "
                         f"(dw_a % w_prec) * {big})) * w_prec")
            lines.append("w = w + learn_now * dw_p")
            lines.append("w = w + (w_lo - w) * int(w < w_lo) + (w_hi - w) * int(w > w_hi)")
            lines.append("w_c = w + (w_floor - w) * int(w < w_floor)")
            if (conv.learning_truncates and conv.mantissa_rounding == "mixed_floor"
                    and self._fmt["sign_mode"] == 1):
                lines.append("w_t = (w_c // w_prec) * w_prec")
            elif conv.learning_truncates:
                lines.append("w_t = int(w_c >= 0) * ((w_c // w_prec) * w_prec) "
                             "- int(w_c < 0) * (((-w_c) // w_prec) * w_prec)")
            else:
                lines.append("w_t = w_c")
            lines.append(f"w_a = ((w_t * w_mul) // w_div) * {1 << R.WEIGHT_ACT_SHIFT}")
            lines.append("w_act = w_a + (w_lim - w_a) * int(w_a > w_lim) "
                         "+ (-w_lim - w_a) * int(w_a < -w_lim)")
            lines.append("w_in = w_t" if conv.exponent_scope == "projection" else "w_in = w_act")
            lines.append("x0 = x0 * (1 - learn_now)")
            lines.append("y0 = y0 * (1 - learn_now)")
        for tr in _TRACES:
            if tr in self._traces:
                lines.append(rng.code_stream(f"rnd_{tr}", "rnd_base", rng.STREAMS[tr]))
                lines.append(f"p_{tr} = {tr} * tr_num_{tr}")
                lines.append(f"{tr} = p_{tr} // tr_den_{tr} + int(rnd_{tr} * tr_den_{tr} < "
                             f"(p_{tr} % tr_den_{tr}) * {big})")
        return "\n".join(lines)


def _truthy(value: Any) -> bool:
    """brian2-loihi's test for a given trace parameter (False, 0 and None mean absent)."""
    try:
        return bool(value)
    except (TypeError, ValueError):
        raise RegisterRangeError(f"trace parameters must be integers, got {value!r}") from None


R.install_fields(LoihiSynapses, "synapses")
