"""Loihi CUBA LIF compartments as a Brian2 ``NeuronGroup`` with integer state.

One step of a compartment (all integers, 64-bit storage; see :mod:`dynsim.loihi.registers`
for every width and :mod:`dynsim.loihi.conventions` for the overflow rules)::

    q     = sum of this step's synaptic input              (accumulators, one per projection)
    u     = decay(u, decay_I) + q                          decay(x, d) = trunc(x (4096-d) / 4096)
    v     = decay(v, decay_v) + u + bias_mant << bias_exp
    v     = 0 while the neuron is refractory
    spike = v > threshold_v_mant << 6;  on a spike: v = 0, refractory counter = refractory

Update, threshold and reset run as one generated Brian2 code object per group and step:
the group's ``Thresholder`` (``'thresholds'`` slot) writes the spikes Brian2 propagates, after
computing u and v and before resetting v.

References
----------
Davies et al. (2018), IEEE Micro 38(1); Lava 0.10 ``PyLifModelBitAcc``; nengo-loihi
``CompartmentState.update``; Michaelis et al. (2022), Front. Neuroinform. 16:1015624.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import numpy as np
from brian2 import NeuronGroup
from brian2.groups.neurongroup import Resetter, StateUpdater, Thresholder

from dynsim.errors import LoihiNetworkError, RegisterRangeError
from dynsim.loihi import registers as R
from dynsim.loihi._core import INT, LoihiObject, default_codeobj_class, loihi_clock

if TYPE_CHECKING:
    from dynsim.loihi.conventions import Convention

__all__ = ["LoihiNeuronGroup"]

_MODEL = """
v : integer
u : integer
ref_count : integer
bias : integer
decay_I : integer (shared)
decay_v : integer (shared)
vth : integer (shared)
ref_period : integer (shared)
"""
_INT_VARS = ("v", "u", "ref_count", "bias", "decay_I", "decay_v", "vth", "ref_period")


def _wrap_code(var: str, bits: int) -> str:
    """Two's complement wrap of ``var`` into ``bits`` bits (sign included)."""
    span = 1 << bits
    half = 1 << (bits - 1)
    return f"{var} = {var} - (({var} + {half}) // {span}) * {span}"


def _decay_code(target: str, var: str, decay: str, tmp: str, add: str) -> list[str]:
    """``target = trunc(var * (4096 - decay) / 4096) + add`` in integer code."""
    unity = R.DECAY_UNITY
    return [
        f"{tmp} = {var} * ({unity} - {decay})",
        # (p + 4095 * [p < 0]) // 4096 == trunc(p / 4096): the chip's sign-magnitude shift
        f"{target} = ({tmp} + {unity - 1} * int({tmp} < 0)) // {unity} + {add}",
    ]


class _LoihiThresholder(Thresholder):
    """Brian2's ``Thresholder`` running the whole compartment step (update, spike, reset)."""

    def update_abstract_code(self, run_namespace: dict) -> None:
        self.abstract_code = self.group._loihi_code("update")
        self.user_code = self.abstract_code

    def after_run(self) -> None:
        # Brian2 empties the spike list at the end of a run. On the chip (and in this
        # schedule) the spikes of a step reach the synapses in the next step, so the last
        # step's spikes must survive into the next run: run(50); run(50) == run(100).
        # (brian2-loihi loses them.)
        pass


class LoihiNeuronGroup(LoihiObject, NeuronGroup):
    """A group of Loihi CUBA LIF neurons (compartments) with the chip's integer arithmetic.

    Drop-in for brian2-loihi's ``LoihiNeuronGroup`` (same positional parameters, meanings
    and ranges), plus the chip's bias and Lava/NxSDK parameter names. Every parameter can
    be changed after construction with the same range checks; a failed assignment changes
    nothing.

    Parameters
    ----------
    N : int
        Number of neurons.
    refractory : int, optional
        Refractory period in steps, 1..64 (v is held at 0 for ``refractory - 1`` steps after
        a spike while u keeps integrating). Default 1 (no hold).
    threshold_v_mant : int, optional
        Threshold mantissa 0..131071; a neuron spikes when ``v > threshold_v_mant << 6``.
        Default 100. Lava name: ``vth_mant`` (Lava's LIF calls it ``vth``).
    decay_v : int, optional
        Effective voltage decay 0..4096 per step in units of 1/4096 (``tau_v = 4096 /
        decay_v`` steps); the chip register ``dv`` holds it (0..4095). Default 0.
    decay_I : int, optional
        Effective current decay 0..4096 (``tau_I = 4096 / decay_I`` steps); the chip
        register ``du`` holds ``decay_I - 1``. Default 4096 (the current lasts one step).
    name : str, optional
        Brian2 name; give a fixed name to keep the Cython cache hot across kernels.
    bias_mant : int or array of int, optional
        Bias mantissa -4096..4095 (per neuron allowed); ``bias_mant << bias_exp`` is added
        to v every step. Default 0.
    bias_exp : int or array of int, optional
        Bias exponent 0..7. Default 0.
    du, dv : int, optional
        The chip's decay registers (0..4095), as Lava and NxSDK name them: ``decay_I = du +
        1``, ``decay_v = dv``. Give either these or ``decay_I``/``decay_v``.
    vth_mant : int, optional
        Alias of ``threshold_v_mant``.
    engine : str, optional
        Engine for code run at construction (e.g. setting state with strings); the network's
        engine is used for the run.

    Attributes
    ----------
    v, u : numpy.ndarray of int64
        Voltage and current (``I`` is an alias of ``u``, brian2-loihi's name).
    vth : int
        The threshold in units of v (``threshold_v_mant << 6``).
    bias : numpy.ndarray of int64
        The effective bias in units of v.

    Notes
    -----
    Which rounding and overflow rules apply (u wrap, v saturation, ...) depends on the
    arithmetic convention of the :class:`~dynsim.loihi.LoihiNetwork` the group is added to;
    see :mod:`dynsim.loihi.conventions`.

    References
    ----------
    Davies et al. (2018), IEEE Micro 38(1); Michaelis et al. (2022), Front. Neuroinform.
    16:1015624; Lava 0.10 ``lava.proc.lif``.

    Examples
    --------
    >>> from dynsim.loihi import LoihiNeuronGroup
    >>> ng = LoihiNeuronGroup(3, threshold_v_mant=10, decay_v=1024, decay_I=2048,
    ...                       name="doc_neurons")
    >>> ng.vth
    640
    >>> ng.decay_v = 5000
    Traceback (most recent call last):
    ...
    dynsim.errors.RegisterRangeError: decay_v=5000 is outside the range of the Loihi register dv (effective voltage decay, 4096 * (1 - exp(-1/tau_v))): 0..4096
    """  # noqa: E501

    def __init__(self, N: int, refractory: int = 1, threshold_v_mant: int | None = None,
                 decay_v: int | None = None, decay_I: int | None = None,
                 name: str = "loihi_neurongroup*", *, bias_mant: Any = 0, bias_exp: Any = 0,
                 du: int | None = None, dv: int | None = None, vth_mant: int | None = None,
                 engine: str | None = None) -> None:
        n = R.check_register("N", N, 1, 2**31 - 1, register="number of compartments",
                             description="neurons in the group")
        config = self._resolve_parameters(refractory, threshold_v_mant, decay_v, decay_I,
                                          du, dv, vth_mant, bias_mant, bias_exp, n)
        cls = default_codeobj_class(engine)
        NeuronGroup.__init__(
            self, n, _MODEL, threshold="v > vth", reset="", clock=loihi_clock(),
            name=name, codeobj_class=cls, dtype={k: INT for k in _INT_VARS},
        )
        # One code object per step does it all (generated once the convention and the
        # projections are known): Brian2's empty state updater and reset are dropped and
        # the thresholder replaced.
        thresholder = _LoihiThresholder(self)
        thresholder.codeobj_class = cls
        self.contained_objects[:] = [
            thresholder if isinstance(o, Thresholder) else o
            for o in self.contained_objects if not isinstance(o, StateUpdater | Resetter)]
        self.thresholder["spike"] = thresholder
        self.resetter.clear()
        self.variables.add_reference("I", self, "u")
        self._incoming: list[weakref.ReferenceType] = []
        self._config = config
        self._loihi_apply()

    # ---------------------------------------------------------------- parameters
    @staticmethod
    def _resolve_parameters(refractory, threshold_v_mant, decay_v, decay_I, du, dv,
                            vth_mant, bias_mant, bias_exp, n) -> dict:
        def pick(primary, primary_name, alias, alias_name, default, convert=lambda x: x):
            if primary is not None and alias is not None:
                raise RegisterRangeError(
                    f"give either {primary_name} or {alias_name}, not both")
            if alias is not None:
                return convert(alias)
            return default if primary is None else primary

        cfg: dict[str, Any] = {}
        if du is not None:
            du = R.check_register("du", du)
        if dv is not None:
            dv = R.check_register("dv", dv)
        if vth_mant is not None:
            vth_mant = R.check_register("threshold_v_mant", vth_mant, register="vth_mant")
        cfg["decay_I"] = R.check_register(
            "decay_I", pick(decay_I, "decay_I", du, "du", 4096, lambda d: d + R.DECAY_U_OFFSET))
        cfg["decay_v"] = R.check_register(
            "decay_v", pick(decay_v, "decay_v", dv, "dv", 0, lambda d: d + R.DECAY_V_OFFSET))
        cfg["threshold_v_mant"] = R.check_register(
            "threshold_v_mant", pick(threshold_v_mant, "threshold_v_mant", vth_mant,
                                     "vth_mant", 100))
        cfg["refractory"] = R.check_register("refractory", refractory)
        cfg["bias_mant"] = LoihiNeuronGroup._per_neuron("bias_mant", bias_mant, n)
        cfg["bias_exp"] = LoihiNeuronGroup._per_neuron("bias_exp", bias_exp, n)
        return cfg

    @staticmethod
    def _per_neuron(name: str, value: Any, n: int) -> np.ndarray:
        arr = np.asarray(R.check_register(name, value), dtype=INT)
        if arr.ndim == 0:
            return np.full(n, int(arr), dtype=INT)
        if arr.shape != (n,):
            raise RegisterRangeError(
                f"{name} must be a scalar or have one value per neuron ({n}), "
                f"got shape {arr.shape}")
        return arr.copy()

    def _check_convention_limits(self, cfg: dict, convention: Convention | None) -> None:
        if convention is None:
            return
        if cfg["decay_I"] < convention.decay_I_min:
            raise RegisterRangeError(
                f"decay_I={cfg['decay_I']} cannot be represented in the "
                f"'{convention.name}' convention: the chip's register du = decay_I - 1 must "
                f"be 0..{R.DECAY_REGISTER_MAX}, so decay_I must be "
                f"{convention.decay_I_min}..{R.DECAY_EFFECTIVE_MAX} "
                "(use convention='brian2_loihi' for decay_I=0)")
        if cfg["decay_v"] > convention.decay_v_max:
            raise RegisterRangeError(
                f"decay_v={cfg['decay_v']} cannot be represented in the "
                f"'{convention.name}' convention: the chip's register dv is 12 bits, "
                f"0..{convention.decay_v_max} (use convention='brian2_loihi' for 4096)")

    def _set_parameter(self, name: str, value: Any) -> None:
        cfg = dict(self._config)
        if R.REGISTERS[name].per_neuron:
            cfg[name] = self._per_neuron(name, value, len(self))
        else:
            cfg[name] = R.check_register(name, value)
        self._check_convention_limits(cfg, self.convention)
        self._config = cfg
        self._loihi_apply()

    def _loihi_check(self, convention: Convention) -> None:
        self._check_convention_limits(self._config, convention)

    def _loihi_apply(self) -> None:
        cfg = self._config
        var = self.variables
        var["decay_I"].set_value(cfg["decay_I"])
        var["decay_v"].set_value(cfg["decay_v"])
        var["vth"].set_value(R.effective_threshold(cfg["threshold_v_mant"]))
        var["ref_period"].set_value(cfg["refractory"])
        var["bias"].set_value(R.effective_bias(cfg["bias_mant"], cfg["bias_exp"]))

    # The register properties (decay_I, decay_v, threshold_v_mant, refractory, bias_mant,
    # bias_exp, the Lava names du, dv, vth_mant and the derived vth, bias) are generated
    # from dynsim.loihi.registers.REGISTERS / DERIVED by install_fields (after the class).
    def _register_get(self, name: str, raw: bool = False) -> Any:
        """Return a stored parameter (a copy of the array for per-neuron ones)."""
        value = self._config[name]
        if raw:
            return value
        return value.copy() if R.REGISTERS[name].per_neuron else int(value)

    def _register_set(self, name: str, value: Any) -> None:
        """Check and set a stored parameter (nothing changes on failure)."""
        self._set_parameter(name, value)

    @property
    def loihi_parameters(self) -> dict[str, Any]:
        """All parameters as a dict (brian2-loihi's attribute, plus the chip's names)."""
        cfg = self._config
        return {
            "decay_v": self.decay_v, "decay_I": self.decay_I, "du": self.du, "dv": self.dv,
            "tau_v": 4096 / cfg["decay_v"] if cfg["decay_v"] else "inf",
            "tau_I": 4096 / cfg["decay_I"] if cfg["decay_I"] else "inf",
            "refractory": self.refractory, "threshold_v_mant": self.threshold_v_mant,
            "vth": self.vth, "reset_v": 0,
            "bias_mant": cfg["bias_mant"].tolist(), "bias_exp": cfg["bias_exp"].tolist(),
            "convention": None if self.convention is None else self.convention.name,
        }

    def __str__(self) -> str:
        lines = ["Parameters of the neuron group:", ""]
        lines += [f"{k:18} {v}" for k, v in self.loihi_parameters.items()]
        return "\n".join(lines) + "\n"

    # ---------------------------------------------------------------- projections
    def _register_incoming(self, synapses: Any, acc_name: str) -> None:
        """Add the input accumulator of a projection (called by LoihiSynapses)."""
        self.variables.add_array(acc_name, size=len(self), dtype=INT, values=np.zeros(
            len(self), dtype=INT))
        self.variables.add_array(f"{acc_name}_mul", size=1, dtype=INT, scalar=True,
                                 values=1)
        self.variables.add_array(f"{acc_name}_div", size=1, dtype=INT, scalar=True,
                                 values=1)
        self._incoming.append(weakref.ref(synapses))
        self._loihi_changed()

    def _unregister_incoming(self, synapses: Any, acc_name: str) -> None:
        """Undo :meth:`_register_incoming` (a LoihiSynapses constructor failed)."""
        for key in (acc_name, f"{acc_name}_mul", f"{acc_name}_div"):
            self.variables._variables.pop(key, None)
            self.variables.indices.pop(key, None)
        self._incoming = [r for r in self._incoming if r() is not synapses and r() is not None]

    def _incoming_projections(self) -> list[Any]:
        return [s for s in (ref() for ref in self._incoming) if s is not None]

    # ---------------------------------------------------------------- generated code
    def _loihi_code(self, kind: str) -> str:
        """Return the abstract code of one step in the current convention (module docstring)."""
        conv = self.convention
        if conv is None:
            raise LoihiNetworkError(
                f"{self.name!r} is not part of a LoihiNetwork; Loihi objects only run in a "
                "LoihiNetwork (it sets the chip's step order)")
        lines: list[str] = []
        terms = []
        for syn in self._incoming_projections():
            acc = syn._acc_name
            if conv.exponent_scope == "projection":
                # mantissas summed per projection, then shifted by w_exp, then << 6
                terms.append(f"(({acc} * {acc}_mul) // {acc}_div) * {1 << R.WEIGHT_ACT_SHIFT}")
            else:
                terms.append(acc)
        if terms:
            lines.append("q = " + " + ".join(terms))
            for syn in self._incoming_projections():
                lines.append(f"{syn._acc_name} = 0")
            if conv.accumulator_overflow == "wrap":
                lines.append(_wrap_code("q", R.ACC_BITS + 1))
        # ---- current
        lines += _decay_code("u", "u", "decay_I", "pu", "q" if terms else "0")
        if conv.u_overflow == "wrap":
            lines.append(_wrap_code("u", R.UV_BITS))
        elif conv.u_overflow == "lava_wrap":
            half, span = 1 << (R.UV_BITS - 1), 1 << R.UV_BITS
            lines.append(f"u = u - {span} * (int(u > {half}) - int(u <= -{half}))")
        # ---- voltage
        lines.append("ub = u + bias")
        if conv.bias_overflow == "wrap":
            lines.append(_wrap_code("ub", R.UV_BITS))
        lines += _decay_code("v", "v", "decay_v", "pv", "ub")
        if conv.v_overflow == "clip":
            hi, lo = R.V_MAX, R.V_MIN
            lines.append(f"v = v + ({hi} - v) * int(v > {hi}) + ({lo} - v) * int(v < {lo})")
        # ---- refractory hold: counter set to `refractory` by the reset
        lines.append("ref_count = ref_count - int(ref_count > 0)")
        lines.append("v = v * int(ref_count == 0)")
        # ---- spike (strictly above threshold) and reset
        lines.append("_cond = v > vth")
        lines.append("ref_count = ref_count + (ref_period - ref_count) * int(_cond)")
        lines.append("v = v * (1 - int(_cond))")
        return "\n".join(lines)


R.install_fields(LoihiNeuronGroup, "neurons")
