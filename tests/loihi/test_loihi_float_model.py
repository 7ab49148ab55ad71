"""Float LIF -> Loihi integers, and both run side by side."""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

from dynsim.errors import RegisterRangeError
from dynsim.loihi import (
    FloatLIF,
    LoihiNeuronGroup,
    LoihiSynapses,
    compare_float_loihi,
    quantize_lif,
)
from dynsim.loihi import registers as R
from dynsim.loihi.synapses import actual_weights


def test_quantization_formulas():
    model = FloatLIF(tau_m=20.0, tau_syn=5.0, threshold=1.0, bias=0.01, refractory=2)
    q = quantize_lif(model, [[0.25, 0.1], [0.05, 0.2]], scale=2**14)
    assert q.decay_v == round(4096 * (1 - math.exp(-1 / 20)))
    assert q.decay_I == round(4096 * (1 - math.exp(-1 / 5)))
    assert q.threshold_v_mant == 2**14 // 64
    assert q.bias_mant == round(0.01 * 2**14) and q.bias_exp == 0
    # w * scale = w_mant * 2**(6 + w_exp) with the smallest exponent >= 0 whose mantissas
    # fit 8 bits: 0.25 * 2**14 = 4096 = 64 * 2**6 -> w_exp = 0, mantissas round(w * 256)
    assert q.sign_mode == 2 and q.w_exp == 0 and q.w_mant.tolist() == [[64, 26], [13, 51]]
    assert abs(q.tau_m_effective - 20) < 0.1 and abs(q.tau_syn_effective - 5) < 0.05
    np.testing.assert_allclose(q.weights_effective, [[0.25, 26 / 256], [13 / 256, 51 / 256]])
    assert q.threshold_effective == 1.0
    # the integers fit the classes
    ng = LoihiNeuronGroup(2, name="fm_q_ng", **q.neuron_kwargs())
    LoihiSynapses(ng, ng, name="fm_q_syn", **q.synapse_kwargs())


def test_default_scale_uses_the_full_mantissa_and_exponents_adapt():
    model = FloatLIF(tau_m=10, tau_syn=2, threshold=1.0)
    q = quantize_lif(model, [[0.5, -0.25]])
    assert q.sign_mode == 1 and int(np.abs(q.w_mant).max()) == 254
    small = quantize_lif(model, [[0.5, 0.001]], scale=2**20)
    assert small.w_exp > 0 and small.w_mant.max() <= 255
    with pytest.raises(RegisterRangeError, match="vth_mant"):
        quantize_lif(model, [[0.5]], scale=2**24)


def test_side_by_side_runs_are_aligned_and_the_error_is_small():
    rng = np.random.default_rng(0)
    model = FloatLIF(tau_m=20.0, tau_syn=5.0, threshold=1.0, refractory=2)
    weights = rng.uniform(0.05, 0.3, size=(4, 3))
    idx = rng.integers(0, 4, 120)
    times = np.sort(rng.choice(200, 120, replace=False))
    cmp = compare_float_loihi(model, weights, idx, times, 200, name="fm_cmp")
    assert cmp.t_step.tolist() == list(range(200))
    assert cmp.v_float.shape == cmp.v_loihi.shape == (3, 200)
    assert cmp.v_loihi.dtype == np.int64 and cmp.scale == cmp.quantization.scale
    counts_float, counts_loihi = cmp.spike_counts()
    assert counts_float.sum() > 10
    assert np.all(np.abs(counts_float - counts_loihi) <= 2)
    # before the first spike the two agree to the quantization error
    first = min(cmp.spikes_float[1].min(), cmp.spikes_loihi[1].min())
    err = np.abs(cmp.v_error[:, :first])
    assert err.max() < 0.02
    assert 0 < cmp.rmse_v()
    np.testing.assert_allclose(cmp.u_loihi_scaled[:, :first], cmp.u_float[:, :first],
                               atol=0.01)
    # a coarser scale makes the error larger: the lesson of the exercise
    coarse = compare_float_loihi(model, weights, idx, times, 200, scale=cmp.scale / 64,
                                 name="fm_cmp_coarse")
    assert np.abs(coarse.v_error[:, :first]).max() > err.max()


@settings(max_examples=200, deadline=None)
@given(weights=hnp.arrays(np.float64, st.integers(1, 6),
                          elements=st.floats(-2.0, 2.0, allow_subnormal=False)),
       log2_scale=st.floats(4.0, 14.0), num_weight_bits=st.integers(1, 8))
def test_effective_weights_are_what_the_chip_applies_within_half_a_step(
        weights, log2_scale, num_weight_bits):
    """For every weight set: weights_effective is the chip's own w_act / scale, exactly,
    and each is within half a mantissa step of the float weight (rounding, never flooring).
    """
    model = FloatLIF(tau_m=20.0, tau_syn=5.0, threshold=0.5)
    try:
        q = quantize_lif(model, weights, scale=2.0**log2_scale, num_weight_bits=num_weight_bits)
    except RegisterRangeError:
        return  # weights too large for any exponent at this scale: refused, checked above
    _, w_act = actual_weights(q.w_mant, q.w_exp, q.num_weight_bits, q.sign_mode)
    np.testing.assert_array_equal(q.weights_effective, w_act / q.scale)
    np.testing.assert_array_equal(w_act, q.w_mant * 2 ** (6 + q.w_exp))  # nothing floored
    step = 2.0 ** (R.precision_shift(num_weight_bits, q.sign_mode) + 6 + q.w_exp) / q.scale
    assert np.all(np.abs(q.weights_effective - weights) <= step / 2 * (1 + 1e-12))
    lo, hi = R.weight_range(q.sign_mode)
    assert q.w_exp >= 0 and np.all((q.w_mant >= lo) & (q.w_mant <= hi))
