"""From a float LIF model to Loihi integers, and both run side by side.

The float model is the CUBA LIF in the discrete form the chip computes (dt = 1 ms), in
model units (e.g. mV)::

    u[t] = u[t-1] * exp(-1/tau_syn) + sum of weights of the spikes arriving at t
    v[t] = v[t-1] * exp(-1/tau_m) + u[t] + bias
    spike if v[t] > threshold, then v = 0 (held for refractory - 1 steps)

:func:`quantize_lif` maps it to Loihi with a scale (integer units of v per model unit)::

    decay_I = round(4096 (1 - exp(-1/tau_syn)))      decay_v = round(4096 (1 - exp(-1/tau_m)))
    threshold_v_mant = round(threshold * scale / 2**6)
    w * scale = w_mant * 2**(6 + w_exp)   (smallest w_exp whose mantissas fit 8 bits)
    bias * scale = bias_mant * 2**bias_exp (smallest bias_exp whose mantissa fits 12 bits)

and :func:`compare_float_loihi` runs both on the same input spikes in one network (Brian2
float64 for the model, the emulated chip for its integers), aligned step for step, so that
``v_loihi / scale - v_float`` is the quantization error.

References
----------
nengo-loihi ``discretize_compartment`` (weight and threshold scaling); Lava 0.10
``PyLifModelFloat`` (the float form); Davies et al. (2018), IEEE Micro 38(1).

Examples
--------
>>> from dynsim.loihi import FloatLIF, quantize_lif
>>> q = quantize_lif(FloatLIF(tau_m=20, tau_syn=5, threshold=1.0), [[0.25, -0.1]],
...                  scale=2**14)
>>> q.decay_v, q.decay_I, q.threshold_v_mant, q.w_exp, q.w_mant.tolist()
(200, 742, 256, -1, [[128, -52]])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from brian2 import NeuronGroup, SpikeMonitor, StateMonitor, Synapses

from dynsim.errors import RegisterRangeError
from dynsim.loihi import registers as R
from dynsim.loihi._core import INT, loihi_clock
from dynsim.loihi.generators import LoihiSpikeGeneratorGroup
from dynsim.loihi.monitors import LoihiSpikeMonitor, LoihiStateMonitor
from dynsim.loihi.network import LoihiNetwork
from dynsim.loihi.neurons import LoihiNeuronGroup
from dynsim.loihi.synapses import LoihiSynapses, actual_weights

__all__ = ["FloatLIF", "FloatLoihiComparison", "LoihiQuantization", "compare_float_loihi",
           "quantize_lif"]


@dataclass(frozen=True)
class FloatLIF:
    """A float CUBA LIF neuron model (time constants in 1 ms steps, values in model units).

    Parameters
    ----------
    tau_m : float
        Membrane time constant in ms (``math.inf``: no leak).
    tau_syn : float
        Synaptic current time constant in ms (0: the current lasts one step).
    threshold : float
        Spike when v exceeds it (model units, e.g. mV).
    bias : float, optional
        Added to v every step (model units).
    refractory : int, optional
        Refractory period in steps (1: none).
    """

    tau_m: float
    tau_syn: float
    threshold: float
    bias: float = 0.0
    refractory: int = 1

    @property
    def keep_v(self) -> float:
        """Fraction of v kept per step, ``exp(-1/tau_m)``."""
        return 0.0 if self.tau_m <= 0 else math.exp(-1.0 / self.tau_m)

    @property
    def keep_I(self) -> float:
        """Fraction of u kept per step, ``exp(-1/tau_syn)``."""
        return 0.0 if self.tau_syn <= 0 else math.exp(-1.0 / self.tau_syn)


@dataclass(frozen=True)
class LoihiQuantization:
    """The Loihi integers of a float model, and what they mean back in model units.

    Attributes
    ----------
    scale : float
        Integer units of v (and u) per model unit.
    decay_v, decay_I, threshold_v_mant, bias_mant, bias_exp, refractory : int
        Neuron parameters (:class:`~dynsim.loihi.LoihiNeuronGroup`).
    w_mant : numpy.ndarray of int64
        Weight mantissas, same shape as the float weights.
    w_exp, sign_mode, num_weight_bits : int
        Synapse format (:class:`~dynsim.loihi.LoihiSynapses`).
    """

    scale: float
    decay_v: int
    decay_I: int
    threshold_v_mant: int
    bias_mant: int
    bias_exp: int
    refractory: int
    w_mant: np.ndarray = field(repr=False)
    w_exp: int
    sign_mode: int
    num_weight_bits: int

    @property
    def weights_effective(self) -> np.ndarray:
        """The weights the chip applies, in model units (``w_act / scale``).

        ``w_act = floor(w_t 2**w_exp) << 6`` is the chip's own formula
        (:func:`~dynsim.loihi.synapses.actual_weights`, silicon convention); with the
        exponents :func:`quantize_lif` picks (``w_exp >= 0``, mantissas on the precision
        grid) it equals ``w_mant 2**(6 + w_exp) / scale`` exactly.
        """
        _, w_act = actual_weights(self.w_mant, self.w_exp, self.num_weight_bits,
                                  self.sign_mode)
        return w_act / self.scale

    @property
    def threshold_effective(self) -> float:
        """The chip's threshold in model units."""
        return (self.threshold_v_mant << R.VTH_SHIFT) / self.scale

    @property
    def tau_m_effective(self) -> float:
        """The membrane time constant the integer decay implements (ms)."""
        return R.tau_from_decay(self.decay_v)

    @property
    def tau_syn_effective(self) -> float:
        """The synaptic time constant the integer decay implements (ms)."""
        return R.tau_from_decay(self.decay_I)

    def neuron_kwargs(self) -> dict[str, int]:
        """Keyword arguments for :class:`~dynsim.loihi.LoihiNeuronGroup`."""
        return {"decay_v": self.decay_v, "decay_I": self.decay_I,
                "threshold_v_mant": self.threshold_v_mant, "refractory": self.refractory,
                "bias_mant": self.bias_mant, "bias_exp": self.bias_exp}

    def synapse_kwargs(self) -> dict[str, int]:
        """Keyword arguments for :class:`~dynsim.loihi.LoihiSynapses`."""
        return {"w_exp": self.w_exp, "sign_mode": self.sign_mode,
                "num_weight_bits": self.num_weight_bits}


def _sign_mode(w: np.ndarray) -> int:
    if w.size == 0 or np.all(w >= 0):
        return 2
    if np.all(w <= 0):
        return 3
    return 1


def quantize_lif(model: FloatLIF, weights: Any, scale: float | None = None, *,
                 sign_mode: int | None = None, num_weight_bits: int = 8) -> LoihiQuantization:
    """Map a float LIF model and its input weights to Loihi integers.

    Parameters
    ----------
    model : FloatLIF
        The float model.
    weights : array_like of float
        Input weights in model units (any shape; one weight exponent for all, as one
        Loihi synapse format).
    scale : float, optional
        Integer units per model unit. Default: the largest weight uses the full 8-bit
        mantissa at ``w_exp = 0`` (nengo-loihi's choice ``255 / w_max``), reduced if the
        threshold mantissa would not fit 17 bits.
    sign_mode : int, optional
        1 mixed, 2 excitatory, 3 inhibitory (default: from the signs of the weights).
    num_weight_bits : int, optional
        Mantissa precision 0..8.

    Returns
    -------
    LoihiQuantization

    Raises
    ------
    dynsim.errors.RegisterRangeError
        If a value cannot be represented at this scale (threshold, bias, weights).
    """
    w = np.asarray(weights, dtype=float)
    mode = _sign_mode(w) if sign_mode is None else R.check_register("sign_mode", sign_mode)
    nwb = R.check_register("num_weight_bits", num_weight_bits)
    lo, hi = R.weight_range(mode)
    mant_max = min(hi, -lo) if mode == 1 else max(hi, -lo)
    w_max = float(np.max(np.abs(w))) if w.size else 0.0
    if scale is None:
        scale = mant_max * 2.0 ** R.WEIGHT_ACT_SHIFT / w_max if w_max > 0 else 2.0 ** 12
        vth_limit = R.VTH_MANT_MAX * 2.0 ** R.VTH_SHIFT / max(model.threshold, 1e-300)
        scale = min(scale, vth_limit)
    if not scale > 0:
        raise RegisterRangeError(f"scale must be positive, got {scale!r}")
    decay_v = min(R.decay_from_tau(model.tau_m), R.DECAY_REGISTER_MAX)
    decay_I = max(R.decay_from_tau(model.tau_syn), 1)
    vth_mant = R.check_register(
        "threshold_v_mant", round(model.threshold * scale / 2**R.VTH_SHIFT),
        register="vth_mant", description=f"threshold {model.threshold} x scale {scale:g}")
    b = model.bias * scale
    bias_exp = 0
    while abs(round(b / 2**bias_exp)) > R.BIAS_MANT_MAX and bias_exp < R.BIAS_EXP_MAX:
        bias_exp += 1
    bias_mant = R.check_register("bias_mant", round(b / 2**bias_exp),
                                 description=f"bias {model.bias} x scale {scale:g}")
    # The smallest exponent >= 0 whose rounded mantissas fit: the finest weight resolution.
    # A negative exponent never helps: floor(w_t 2**w_exp) drops the mantissa's low bits, so
    # the applied weights are the integers 0..mant_max 2**w_exp, floored instead of rounded
    # (the same grid as w_exp = 0, with up to twice the error). Mantissas are rounded onto
    # the grid of the precision (multiples of 2**s, which the synapse keeps unchanged).
    prec = 1 << R.precision_shift(nwb, mode)
    lo_grid, hi_grid = -(-lo // prec) * prec, hi // prec * prec
    w_exp = 0
    while True:
        mant = np.round(w * scale / 2.0 ** (R.WEIGHT_ACT_SHIFT + w_exp) / prec) * prec
        if mant.size == 0 or (mant.min() >= lo_grid and mant.max() <= hi_grid):
            break
        w_exp += 1
        if w_exp > R.WEIGHT_EXP_MAX:
            raise RegisterRangeError(
                f"weights up to {w_max:g} x scale {scale:g} do not fit the weight mantissa "
                f"({lo_grid}..{hi_grid} at num_weight_bits={nwb}, sign_mode={mode}) even "
                f"with w_exp={R.WEIGHT_EXP_MAX}; use a smaller scale")
    mant = mant.astype(INT)
    return LoihiQuantization(
        scale=float(scale), decay_v=int(decay_v), decay_I=int(decay_I),
        threshold_v_mant=int(vth_mant), bias_mant=int(bias_mant), bias_exp=int(bias_exp),
        refractory=R.check_register("refractory", model.refractory), w_mant=mant,
        w_exp=int(w_exp), sign_mode=int(mode), num_weight_bits=int(nwb))


_FLOAT_MODEL = """
u : 1
v : 1
inp : 1
ref_count : integer
keep_v : 1 (shared)
keep_I : 1 (shared)
bias : 1 (shared)
threshold : 1 (shared)
ref_period : integer (shared)
"""
_FLOAT_STEP = """
u = u * keep_I + inp
inp = 0
v = v * keep_v + u + bias
ref_count = ref_count - int(ref_count > 0)
v = v * int(ref_count == 0)
"""


@dataclass
class FloatLoihiComparison:
    """A float model and its Loihi version, run on the same input, aligned in time.

    Attributes
    ----------
    model : FloatLIF
        The float model.
    weights : numpy.ndarray
        Its input weights (inputs x neurons).
    quantization : LoihiQuantization
        The integers the chip runs (with ``scale``).
    network : LoihiNetwork
        The network holding both (run it again after changing parameters).
    t_step : numpy.ndarray of int64
        Recorded steps.
    v_float, u_float : numpy.ndarray of float, shape (neurons, steps)
        The float model's voltage and current.
    v_loihi, u_loihi : numpy.ndarray of int64, shape (neurons, steps)
        The chip's registers.
    spikes_float, spikes_loihi : tuple of numpy.ndarray
        ``(neuron indices, steps)`` of the spikes.
    """

    model: FloatLIF
    weights: np.ndarray
    quantization: LoihiQuantization
    network: LoihiNetwork
    t_step: np.ndarray
    v_float: np.ndarray
    u_float: np.ndarray
    v_loihi: np.ndarray
    u_loihi: np.ndarray
    spikes_float: tuple[np.ndarray, np.ndarray]
    spikes_loihi: tuple[np.ndarray, np.ndarray]

    @property
    def scale(self) -> float:
        """Integer units per model unit."""
        return self.quantization.scale

    @property
    def v_loihi_scaled(self) -> np.ndarray:
        """The chip's voltage in model units."""
        return self.v_loihi / self.scale

    @property
    def u_loihi_scaled(self) -> np.ndarray:
        """The chip's current in model units."""
        return self.u_loihi / self.scale

    @property
    def v_error(self) -> np.ndarray:
        """Quantization error of v in model units (Loihi minus float)."""
        return self.v_loihi_scaled - self.v_float

    @property
    def u_error(self) -> np.ndarray:
        """Quantization error of u in model units (Loihi minus float)."""
        return self.u_loihi_scaled - self.u_float

    def rmse_v(self) -> float:
        """Root mean square of :attr:`v_error`."""
        return float(np.sqrt(np.mean(self.v_error**2))) if self.v_error.size else 0.0

    def spike_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Spikes per neuron: (float, Loihi)."""
        n = self.v_float.shape[0]
        return (np.bincount(self.spikes_float[0], minlength=n),
                np.bincount(self.spikes_loihi[0], minlength=n))


def compare_float_loihi(model: FloatLIF, weights: Any, input_indices: Any, input_times: Any,
                        duration: int, *, scale: float | None = None,
                        sign_mode: int | None = None, num_weight_bits: int = 8,
                        convention: str = "silicon", engine: str | None = None,
                        name: str = "float_vs_loihi") -> FloatLoihiComparison:
    """Run a float LIF model and its Loihi quantization side by side.

    Parameters
    ----------
    model : FloatLIF
        The float model.
    weights : array_like of float, shape (inputs, neurons)
        Input weights in model units.
    input_indices, input_times : array_like of int
        Input spikes (input index, step), played to both.
    duration : int
        Steps to run.
    scale, sign_mode, num_weight_bits
        As for :func:`quantize_lif`.
    convention : str, optional
        Arithmetic convention of the chip.
    engine : str, optional
        Engine for both models.
    name : str, optional
        Prefix of every object's name (fixed names keep the Cython cache hot).

    Returns
    -------
    FloatLoihiComparison

    Examples
    --------
    >>> import numpy as np
    >>> from dynsim.loihi import FloatLIF, compare_float_loihi
    >>> cmp = compare_float_loihi(FloatLIF(tau_m=10, tau_syn=4, threshold=1.0),
    ...                           np.array([[0.4]]), [0, 0, 0], [1, 2, 3], 20,
    ...                           engine="numpy", name="doc_cmp")
    >>> cmp.v_float.shape == cmp.v_loihi.shape == (1, 20)
    True
    >>> bool(abs(cmp.v_error).max() < 0.01)
    True
    """
    w = np.asarray(weights, dtype=float)
    if w.ndim != 2:
        raise RegisterRangeError(f"weights must be a 2-d array (inputs, neurons), got {w.shape}")
    n_in, n_out = w.shape
    q = quantize_lif(model, w, scale, sign_mode=sign_mode, num_weight_bits=num_weight_bits)
    steps = int(duration)
    net = LoihiNetwork(convention=convention, engine=engine, name=f"{name}_net")
    cls = net._codeobj_class
    gen = LoihiSpikeGeneratorGroup(n_in, input_indices, input_times, name=f"{name}_input")
    chip = LoihiNeuronGroup(n_out, name=f"{name}_loihi", **q.neuron_kwargs())
    syn = LoihiSynapses(gen, chip, name=f"{name}_loihi_syn", **q.synapse_kwargs())
    pre, post = np.nonzero(w)
    syn.connect(i=pre, j=post)
    syn.w = q.w_mant[pre, post]
    mon_v = LoihiStateMonitor(chip, "v", name=f"{name}_loihi_v")
    mon_u = LoihiStateMonitor(chip, "u", name=f"{name}_loihi_u")
    mon_s = LoihiSpikeMonitor(chip, name=f"{name}_loihi_spikes")

    fg = NeuronGroup(n_out, _FLOAT_MODEL, threshold="v > threshold",
                     reset="v = 0\nref_count = ref_period", clock=loihi_clock(),
                     name=f"{name}_float", codeobj_class=cls)
    fg.keep_v = model.keep_v
    fg.keep_I = model.keep_I
    fg.bias = model.bias
    fg.threshold = model.threshold
    fg.ref_period = int(model.refractory)
    step = fg.run_regularly(_FLOAT_STEP, when="groups", name=f"{name}_float_step",
                            codeobj_class=cls)
    fsyn = Synapses(gen, fg, "w : 1", on_pre="inp_post += w", clock=loihi_clock(),
                    name=f"{name}_float_syn", codeobj_class=cls)
    fsyn.connect(i=pre, j=post)
    fsyn.w = w[pre, post]
    fmon = StateMonitor(fg, ["v", "u"], record=True, when="end", name=f"{name}_float_vu",
                        codeobj_class=cls)
    fspk = SpikeMonitor(fg, when="end", name=f"{name}_float_spikes", codeobj_class=cls)
    for obj in (fg, step, fsyn, fmon, fspk, *fsyn.contained_objects, *fg.contained_objects):
        obj._dynsim_owned = True
    net.add(gen, chip, syn, mon_v, mon_u, mon_s, fg, fsyn, fmon, fspk)
    net.run(steps)
    return FloatLoihiComparison(
        model=model, weights=w, quantization=q, network=net, t_step=mon_v.t_step,
        v_float=np.asarray(fmon.v_), u_float=np.asarray(fmon.u_),
        v_loihi=mon_v.values(), u_loihi=mon_u.values(),
        spikes_float=(np.asarray(fspk.i_), np.rint(np.asarray(fspk.t_) * 1000).astype(INT)),
        spikes_loihi=(np.asarray(mon_s.i_), mon_s.t))
