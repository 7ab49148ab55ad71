"""Closed-form integer sequences: every number below is worked out by hand (or by the
documented formula with Python integers), in the style of Lava's LIF tests."""

from __future__ import annotations

import numpy as np
import pytest

from dynsim import loihi
from dynsim.errors import RegisterRangeError
from dynsim.loihi import actual_weights
from dynsim.loihi import registers as R


def _one_input(convention, w, steps, *, w_exp=0, sign_mode=2, nwb=8, times=(0,), n_inputs=1,
               u0=None, v0=None, name="cf", **neuron):
    gen = loihi.LoihiSpikeGeneratorGroup(n_inputs, [k for t in times for k in range(n_inputs)],
                                         [t for t in times for _ in range(n_inputs)],
                                         name=f"{name}_gen")
    ng = loihi.LoihiNeuronGroup(neuron.pop("N", 1), name=f"{name}_ng", **neuron)
    syn = loihi.LoihiSynapses(gen, ng, w_exp=w_exp, sign_mode=sign_mode, num_weight_bits=nwb,
                              name=f"{name}_syn")
    syn.connect(i=list(range(n_inputs)) * len(ng), j=[j for j in range(len(ng))
                                                     for _ in range(n_inputs)])
    syn.w = w
    if u0 is not None:
        ng.u = u0
    if v0 is not None:
        ng.v = v0
    mu = loihi.LoihiStateMonitor(ng, "u", name=f"{name}_mu")
    mv = loihi.LoihiStateMonitor(ng, "v", name=f"{name}_mv")
    ms = loihi.LoihiSpikeMonitor(ng, name=f"{name}_ms")
    net = loihi.LoihiNetwork(gen, ng, syn, mu, mv, ms, convention=convention, name=f"{name}_net")
    net.run(steps)
    return mu.values(), mv.values(), ms


def test_current_decay_halves_each_step():
    # w = 64 excitatory, w_exp = 0: w_act = 64 << 6 = 4096. Silicon: the input spike sent at
    # step 0 is in u at step 1; decay_I = 2048 halves u (toward zero) each step.
    u, _, _ = _one_input("silicon", 64, 16, decay_I=2048, threshold_v_mant=131071)
    expected = [0] + [4096 >> k for k in range(13)] + [0, 0]
    assert u[0].tolist() == expected
    assert expected[13] == 1 and expected[14] == 0  # 1 * 2048 / 4096 = 0.5 -> 0


def test_negative_current_decays_toward_zero():
    u, _, _ = _one_input("brian2_loihi", -96, 8, sign_mode=3, decay_I=2048,
                         threshold_v_mant=131071)
    # brian2-loihi: generator input in the same step; -96 << 6 = -6144
    assert u[0].tolist() == [-6144, -3072, -1536, -768, -384, -192, -96, -48]
    u, _, _ = _one_input("silicon", -1, 4, sign_mode=1, nwb=8, decay_I=1024,
                         threshold_v_mant=131071)
    # mixed, 8 bits: one bit is dropped, -1 -> -2 (floor): -128; 0.75 per step toward zero
    assert u[0].tolist() == [0, -128, -96, -72]


def test_voltage_integrates_and_decays():
    # decay_v = 2048 and a constant current of 1000 per step (decay_I = 0: no decay)
    _, v, _ = _one_input("brian2_loihi", 250, 6, w_exp=-4, decay_I=0, decay_v=2048,
                         threshold_v_mant=131071)
    # w_act = floor(250 / 16) << 6 = 15 * 64 = 960 each step from step 0
    expected, x = [], 0
    for _ in range(6):
        x = x // 2 + 960
        expected.append(x)
    assert v[0].tolist() == expected == [960, 1440, 1680, 1800, 1860, 1890]


@pytest.mark.parametrize("convention", ["silicon", "lava", "brian2_loihi"])
def test_threshold_crossing_at_known_step(convention):
    # bias 64 per step, no decay: v = 64 (t + 1); vth = 5 << 6 = 320; v > vth first at t = 5
    ng = loihi.LoihiNeuronGroup(1, threshold_v_mant=5, decay_v=0, bias_mant=64, name="cf_thr")
    mv = loihi.LoihiStateMonitor(ng, "v", name="cf_thr_v")
    ms = loihi.LoihiSpikeMonitor(ng, name="cf_thr_s")
    loihi.LoihiNetwork(ng, mv, ms, convention=convention, name="cf_thr_net").run(8)
    assert mv.v[0].tolist() == [64, 128, 192, 256, 320, 0, 64, 128]  # 320 is not > 320
    assert ms.t.tolist() == [5]


def test_refractory_timing():
    # bias 100, vth 640: 7 steps from 0 to a spike; refractory 4 holds v at 0 for 3 steps
    ng = loihi.LoihiNeuronGroup(1, refractory=4, threshold_v_mant=10, decay_v=0, bias_mant=100,
                                name="cf_ref")
    mv = loihi.LoihiStateMonitor(ng, "v", name="cf_ref_v")
    ms = loihi.LoihiSpikeMonitor(ng, name="cf_ref_s")
    loihi.LoihiNetwork(ng, mv, ms, name="cf_ref_net").run(40)
    assert ms.t.tolist() == [6, 16, 26, 36]
    assert mv.v[0, 6:17].tolist() == [0, 0, 0, 0, 100, 200, 300, 400, 500, 600, 0]


def test_refractory_lets_current_integrate():
    # u keeps integrating while v is held (brian2-loihi and nengo-loihi agree)
    u, v, ms = _one_input("brian2_loihi", 10, 8, times=(0, 1, 2, 3, 4, 5, 6, 7), decay_I=0,
                          decay_v=4096, refractory=3, threshold_v_mant=15)
    assert u[0].tolist() == [640 * k for k in range(1, 9)]
    # v = u (decay_v 4096); spikes when v > 960: at u = 1280 (t = 1), then held 2 steps
    assert ms.t.tolist() == [1, 4, 7]
    assert v[0].tolist() == [640, 0, 0, 0, 0, 0, 0, 0]


def _u_before(target: int, decay_I: int) -> int:
    """The smallest u0 with trunc(u0 * (4096 - decay_I) / 4096) == target."""
    u0 = target * 4096 // (4096 - decay_I)
    while (u0 * (4096 - decay_I)) // 4096 < target:
        u0 += 1
    assert (u0 * (4096 - decay_I)) // 4096 == target
    return u0


@pytest.mark.parametrize("convention, expected", [
    # u = decay(y) + 2112, aimed at 2**23 - 1, 2**23 and 2**23 + 63
    ("silicon", [2**23 - 1, -(2**23), -(2**23) + 63]),       # two's complement wrap
    ("lava", [2**23 - 1, 2**23, -(2**23) + 63]),             # Lava: (-2**23, 2**23]
    ("brian2_loihi", [2**23 - 1, 2**23, 2**23 + 63]),        # never wraps
])
def test_u_wraps_at_exact_boundary(convention, expected):
    decay, q = 1, 33 * 64
    y = [_u_before(target - q, decay) for target in (2**23 - 1, 2**23, 2**23 + 63)]
    assert max(y) <= 2**23 - 1  # a valid register value before the step
    name = f"cf_wrap_{convention}"
    gen = loihi.LoihiSpikeGeneratorGroup(1, [0], [0], name=f"{name}_gen")
    ng = loihi.LoihiNeuronGroup(3, decay_I=decay, threshold_v_mant=131071, name=f"{name}_ng")
    syn = loihi.LoihiSynapses(gen, ng, name=f"{name}_syn")
    syn.connect(i=[0, 0, 0], j=[0, 1, 2])
    syn.w = 33
    mu = loihi.LoihiStateMonitor(ng, "u", name=f"{name}_mu")
    net = loihi.LoihiNetwork(gen, ng, syn, mu, convention=convention, name=f"{name}_net")
    arrival = 0 if convention == "brian2_loihi" else 1  # generator spike sent at step 0
    net.run(arrival)
    ng.u = y
    net.run(1)
    assert mu.u[:, arrival].tolist() == expected


@pytest.mark.parametrize("convention", ["silicon", "lava"])
def test_v_saturates_at_exact_boundary(convention):
    # v0 = -(2**23 - 1) + 100, bias -100 per step, no decay: exactly the limit, then stays
    ng = loihi.LoihiNeuronGroup(1, decay_v=0, bias_mant=-100, threshold_v_mant=131071,
                                name=f"cf_vsat_{convention}")
    ng.v = -(2**23 - 1) + 100
    mv = loihi.LoihiStateMonitor(ng, "v", name=f"cf_vsat_{convention}_v")
    loihi.LoihiNetwork(ng, mv, convention=convention, name=f"cf_vsat_{convention}_net").run(3)
    assert mv.v[0].tolist() == [-(2**23 - 1)] * 3
    assert R.V_MIN == -(2**23 - 1)


def test_v_does_not_saturate_in_brian2_loihi_and_positive_saturation_spikes():
    ng = loihi.LoihiNeuronGroup(2, decay_v=0, bias_mant=[-100, 100], threshold_v_mant=131071,
                                name="cf_vnosat")
    ng.v = [-(2**23 - 1) + 100, 2**23 - 1 - 150]
    mv = loihi.LoihiStateMonitor(ng, "v", name="cf_vnosat_v")
    ms = loihi.LoihiSpikeMonitor(ng, name="cf_vnosat_s")
    loihi.LoihiNetwork(ng, mv, ms, convention="brian2_loihi", name="cf_vnosat_net").run(3)
    assert mv.v[0].tolist() == [-(2**23 - 1), -(2**23 - 1) - 100, -(2**23 - 1) - 200]
    # neuron 1: v = 2**23 - 51 > vth = 131071 << 6 = 2**23 - 64: spikes at once
    assert ms.t.tolist() == [0] and np.asarray(ms.i).tolist() == [1]


def test_silicon_accumulator_wraps_at_21_bits():
    # two inputs of 128 << 13 = 2**20 each sum to 2**21, which wraps to -2**21 on silicon
    u, _, _ = _one_input("silicon", 128, 2, w_exp=7, n_inputs=2, decay_I=4096,
                         threshold_v_mant=131071, name="cf_acc")
    assert u[0].tolist() == [0, -(2**21)]
    u, _, _ = _one_input("lava", 128, 2, w_exp=7, n_inputs=2, decay_I=4096,
                         threshold_v_mant=131071, name="cf_acc_lava")
    assert u[0].tolist() == [0, 2**21]


def test_bias_plus_u_wraps_on_silicon_only():
    # u = 2**23 - 1 and bias 100: u + bias wraps to -2**23 + 99 on silicon (nengo-loihi's
    # u2); Lava adds without wrapping, clips v to 2**23 - 1 > vth: a spike, v reset to 0.
    for convention in ("silicon", "lava"):
        name = f"cf_ub_{convention}"
        ng = loihi.LoihiNeuronGroup(1, decay_I=1, decay_v=4095, bias_mant=100,
                                    threshold_v_mant=131071, name=name)
        ng.u = _u_before(2**23 - 1, 1)
        mv = loihi.LoihiStateMonitor(ng, "v", name=f"{name}_v")
        ms = loihi.LoihiSpikeMonitor(ng, name=f"{name}_s")
        loihi.LoihiNetwork(ng, mv, ms, convention=convention, name=f"{name}_net").run(1)
        if convention == "silicon":
            assert mv.v[0, 0] == -(2**23) + 99 and ms.num_spikes == 0
        else:
            assert mv.v[0, 0] == 0 and ms.t.tolist() == [0]


@pytest.mark.parametrize("w, w_exp, nwb, mode, silicon, brian2", [
    # w_act = floor(w_t * 2**w_exp) << 6; w_t: mantissa with 8 - nwb (+1 mixed) bits dropped
    (255, 0, 8, 2, 16320, 16320),
    (255, 7, 8, 2, 255 << 13, 255 << 13),
    (-256, 7, 8, 1, -(1 << 21), -(2**21 - 64)),  # brian2-loihi clips
    (-3, 0, 8, 1, -256, -128),                    # mixed drops 1 bit: floor vs toward zero
    (-3, -1, 8, 1, -128, -64),
    (5, -1, 8, 1, 128, 128),
    (3, -8, 8, 2, 0, 0),
    (200, -8, 8, 2, 0, 0),
    (255, -1, 4, 2, 7680, 7680),                  # keep 4 bits: 240 -> 120 -> 7680
    (-255, 0, 6, 3, -252 * 64, -252 * 64),        # inhibitory: magnitude truncated
    (-13, -2, 8, 3, -4 * 64, -4 * 64),             # floor(-13 / 4) = -4
])
def test_actual_weights_closed_form(w, w_exp, nwb, mode, silicon, brian2):
    assert actual_weights([w], w_exp, nwb, mode, "silicon")[1].tolist() == [silicon]
    assert actual_weights([w], w_exp, nwb, mode, "brian2_loihi")[1].tolist() == [brian2]


def test_lava_shifts_the_sum_of_coincident_inputs():
    # three inputs of 3 with w_exp = -3 at the same step: per synapse floor(3/8) = 0 each,
    # Lava floor(9/8) = 1 -> 64
    for convention, expected in (("silicon", 0), ("brian2_loihi", 0), ("lava", 64)):
        u, _, _ = _one_input(convention, 3, 2, w_exp=-3, n_inputs=3, decay_I=4096,
                             threshold_v_mant=131071, name=f"cf_sum_{convention}")
        assert int(u[0].max()) == expected


def test_registers_formulas():
    assert R.decay_toward_zero(np.array([4097, -4097]), 2048).tolist() == [2048, -2048]
    assert R.wrap_signed(np.array([2**23 - 1, 2**23, -(2**23), -(2**23) - 1]), 24).tolist() \
        == [2**23 - 1, -(2**23), -(2**23), 2**23 - 1]
    assert R.effective_threshold(131071) == 131071 * 64
    assert R.effective_bias(-4096, 7).tolist() == -(2**19)
    assert R.precision_shift(8, 1) == 1 and R.precision_shift(5, 2) == 3
    with pytest.raises(RegisterRangeError, match=r"vth_mant.*0\.\.131071"):
        R.check_register("threshold_v_mant", 131072)
