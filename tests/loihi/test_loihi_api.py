"""The public API: brian2-loihi compatibility, its bugs fixed, checks, re-running, progress."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import Hz, Network, PoissonGroup, defaultclock, ms, prefs

from dynsim import loihi
from dynsim.errors import (
    LoihiNetworkError,
    RegisterRangeError,
    SpikeInputError,
    UnknownConventionError,
)
from dynsim.loihi import state, synapse_sign_mode


def test_numpy_integers_are_accepted_everywhere():
    n = np.int64(3)
    gen = loihi.LoihiSpikeGeneratorGroup(np.int32(2), np.array([0, 1], dtype=np.int16),
                                         np.array([1, 2], dtype=np.uint8), period=np.int64(5),
                                         name="api_np_gen")
    ng = loihi.LoihiNeuronGroup(n, refractory=np.int8(2), threshold_v_mant=np.uint16(10),
                                decay_v=np.int64(100), decay_I=np.int32(200), name="api_np_ng")
    syn = loihi.LoihiSynapses(gen, ng, delay=np.int64(1), w_exp=np.int8(-1),
                              sign_mode=np.int64(1), num_weight_bits=np.int32(7), name="api_np_syn")
    syn.connect(i=np.array([0, 1], dtype=np.int32), j=np.array([0, 2], dtype=np.int64))
    syn.w = np.array([-4, 100], dtype=np.int16)
    mon = loihi.LoihiSpikeMonitor(ng, name="api_np_mon")
    net = loihi.LoihiNetwork(gen, ng, syn, mon, seed=np.uint32(7), name="api_np_net")
    net.run(np.int64(20))
    assert net.t_step == 20
    assert syn.w.tolist() == [-4, 100] and syn.w.dtype == np.int64


@pytest.mark.parametrize("kwargs, register, value", [
    ({"decay_v": 4097}, "dv", 4097),
    ({"decay_I": -1}, "du + 1", -1),
    ({"threshold_v_mant": 131072}, "vth_mant", 131072),
    ({"refractory": 0}, "refractory_delay", 0),
    ({"refractory": 65}, "refractory_delay", 65),
    ({"bias_mant": 4096}, "bias_mant", 4096),
    ({"bias_exp": 8}, "bias_exp", 8),
    ({"du": 4096}, "du", 4096),
])
def test_neuron_range_errors_name_the_register(kwargs, register, value):
    with pytest.raises(RegisterRangeError) as info:
        loihi.LoihiNeuronGroup(2, name="api_range", **kwargs)
    msg = str(info.value)
    assert register in msg and str(value) in msg and ".." in msg


def test_non_integers_are_rejected_but_integral_floats_accepted():
    with pytest.raises(RegisterRangeError, match="must be an integer"):
        loihi.LoihiNeuronGroup(1, decay_v=10.5, name="api_float")
    ng = loihi.LoihiNeuronGroup(1, decay_v=10.0, name="api_float_ok")
    assert ng.decay_v == 10
    with pytest.raises(RegisterRangeError, match="must be an integer"):
        ng.threshold_v_mant = "100"


@pytest.mark.parametrize("kwargs, register", [
    ({"w_exp": 8}, "weight_exp"), ({"sign_mode": 0}, "sign_mode"),
    ({"num_weight_bits": 9}, "num_weight_bits"), ({"delay": 63}, "delay"),
    ({"imp_x1": 128, "tau_x1": 3}, "x1 impulse"),
])
def test_synapse_range_errors(kwargs, register):
    ng = loihi.LoihiNeuronGroup(1, name="api_syn_range_ng")
    with pytest.raises(RegisterRangeError, match=register):
        loihi.LoihiSynapses(ng, ng, name="api_syn_range", **kwargs)


def test_weight_range_per_sign_mode_and_failed_set_changes_nothing():
    ng = loihi.LoihiNeuronGroup(2, name="api_w_ng")
    syn = loihi.LoihiSynapses(ng, ng, sign_mode=synapse_sign_mode.INHIBITORY, name="api_w")
    syn.connect(i=[0, 1], j=[1, 0])
    syn.w = [-256, -3]
    before = (syn.w.copy(), syn.w_act.copy())
    with pytest.raises(RegisterRangeError, match=r"inhibitory.*-256\.\.0"):
        syn.w = [-5, 1]
    assert np.array_equal(syn.w, before[0]) and np.array_equal(syn.w_act, before[1])
    with pytest.raises(RegisterRangeError):
        syn.sign_mode = 2  # current weights are negative
    assert syn.sign_mode == 3
    with pytest.raises(ValueError):  # read-only view: no silent write to a copy
        syn.w[0] = 5
    with pytest.raises(RegisterRangeError, match="shape"):
        syn.w = [-1, -2, -3]


def test_failed_neuron_set_leaves_group_unchanged():
    ng = loihi.LoihiNeuronGroup(3, decay_I=100, bias_mant=[1, 2, 3], name="api_atomic")
    loihi.LoihiNetwork(ng, name="api_atomic_net")
    with pytest.raises(RegisterRangeError, match="silicon"):
        ng.decay_I = 0  # silicon: du = decay_I - 1 >= 0
    with pytest.raises(RegisterRangeError):
        ng.bias_mant = [1, 2, 5000]
    assert ng.decay_I == 100 and ng.bias_mant.tolist() == [1, 2, 3]
    assert int(ng.variables["decay_I"].get_value()[0]) == 100
    assert ng.bias.tolist() == [1, 2, 3]


def test_convention_limits_checked_when_the_network_is_made():
    ng = loihi.LoihiNeuronGroup(1, decay_I=0, decay_v=4096, name="api_conv_limits")
    with pytest.raises(RegisterRangeError, match="decay_I=0"):
        loihi.LoihiNetwork(ng, convention="silicon", name="api_conv_limits_net")
    assert ng.network is None  # nothing was bound
    net = loihi.LoihiNetwork(ng, convention="brian2_loihi", name="api_conv_limits_net2")
    assert ng.network is net and ng.convention.name == "brian2_loihi"
    with pytest.raises(UnknownConventionError, match="Did you mean 'silicon'"):
        loihi.LoihiNetwork(convention="silicone", name="api_conv_bad")


def test_lava_names_and_derived_threshold():
    ng = loihi.LoihiNeuronGroup(1, du=1023, dv=7, vth_mant=9, name="api_lava_names")
    assert (ng.decay_I, ng.decay_v, ng.threshold_v_mant, ng.vth) == (1024, 7, 9, 9 * 64)
    ng.du = 0
    assert ng.decay_I == 1
    with pytest.raises(RegisterRangeError):
        ng.vth = 100
    with pytest.raises(RegisterRangeError, match="not both"):
        loihi.LoihiNeuronGroup(1, decay_I=5, du=4, name="api_lava_both")
    assert "threshold_v_mant" in str(ng) and ng.loihi_parameters["du"] == 0


def test_spike_times_are_exact_integer_steps():
    # brian2-loihi reported step 4007 as 4006 (int(4.007 * 1000)); every step is exact here
    steps = np.array([1, 9, 57, 4007, 4095, 4999])
    gen = loihi.LoihiSpikeGeneratorGroup(1, np.zeros(len(steps), dtype=int), steps,
                                         name="api_t_gen")
    ng = loihi.LoihiNeuronGroup(1, threshold_v_mant=0, decay_I=4096, name="api_t_ng")
    syn = loihi.LoihiSynapses(gen, ng, name="api_t_syn")
    syn.connect(i=[0], j=[0])
    syn.w = 10
    m_gen = loihi.LoihiSpikeMonitor(gen, name="api_t_mgen")
    m_ng = loihi.LoihiSpikeMonitor(ng, name="api_t_mng")
    loihi.LoihiNetwork(gen, ng, syn, m_gen, m_ng, name="api_t_net").run(5001)
    assert m_gen.t.tolist() == steps.tolist()
    assert m_ng.t.tolist() == (steps + 1).tolist()  # silicon: one step later
    assert m_ng.t.dtype == np.int64
    assert m_ng.spike_steps()[0].tolist() == (steps + 1).tolist()
    assert (int(4.007 * 1000), int(np.rint(4.007 * 1000))) == (4006, 4007)


def test_generator_period_is_in_steps():
    gen = loihi.LoihiSpikeGeneratorGroup(2, [0, 1], [0, 3], period=5, name="api_period")
    mon = loihi.LoihiSpikeMonitor(gen, name="api_period_mon")
    loihi.LoihiNetwork(gen, mon, name="api_period_net").run(20)
    assert mon.t.tolist() == [0, 3, 5, 8, 10, 13, 15, 18]
    gen.set_spikes([1], [2], period=4)
    assert gen.period_steps == 4 and gen.spike_steps.tolist() == [2]


@pytest.mark.parametrize("indices, times, period, match", [
    ([0, 0], [3, 3], 0, "twice"),
    ([2], [1], 0, "outside"),
    ([0], [-1], 0, ">= 0"),
    ([0], [1.5], 0, "whole steps"),
    ([0], [7], 5, "period"),
    ([0, 1], [1], 0, "same length"),
])
def test_generator_rejects_what_the_chip_cannot_play(indices, times, period, match):
    with pytest.raises(SpikeInputError, match=match):
        loihi.LoihiSpikeGeneratorGroup(2, indices, times, period=period, name="api_bad_gen")


def test_weights_are_current_after_learning():
    gen = loihi.LoihiSpikeGeneratorGroup(1, [0] * 10, list(range(0, 40, 4)), name="api_learn_gen")
    ng = loihi.LoihiNeuronGroup(1, threshold_v_mant=131071, name="api_learn_ng")
    syn = loihi.LoihiSynapses(gen, ng, dw="4*x0", imp_x1=1, tau_x1=1, name="api_learn")
    syn.connect(i=[0], j=[0])
    syn.w = 10
    mw = loihi.LoihiStateMonitor(syn, state.WEIGHT, name="api_learn_mw")
    mwa = loihi.LoihiStateMonitor(syn, state.ACTUAL_WEIGHT, name="api_learn_mwa")
    loihi.LoihiNetwork(gen, ng, syn, mw, mwa, name="api_learn_net").run(40)
    assert syn.w.tolist() == [50] == mw.w[:, -1].tolist()
    assert syn.w_act.tolist() == [50 * 64] == mwa.w_act[:, -1].tolist()


def test_actual_weights_are_not_recomputed_every_step():
    gen = loihi.LoihiSpikeGeneratorGroup(1, [0], [1], name="api_static_gen")
    ng = loihi.LoihiNeuronGroup(1, name="api_static_ng")
    syn = loihi.LoihiSynapses(gen, ng, name="api_static")
    syn.connect(i=[0], j=[0])
    net = loihi.LoihiNetwork(gen, ng, syn, name="api_static_net")
    net.run(2)
    per_step = [o.name for o in net.sorted_objects if o.active and o.code_objects]
    assert not any("learning" in n or "stateupdater" in n for n in per_step), per_step
    assert syn.name + "_pre" in per_step


def test_no_global_brian2_state_is_changed():
    dt_before, target_before = defaultclock.dt, prefs.codegen.target
    rng_state = np.random.get_state()[1].copy()  # noqa: NPY002 (Brian2 draws from it)
    gen = loihi.LoihiSpikeGeneratorGroup(1, [0, 0], [1, 2], name="api_global_gen")
    ng = loihi.LoihiNeuronGroup(1, name="api_global_ng")
    syn = loihi.LoihiSynapses(gen, ng, dw="x0 - y0", imp_x1=50, tau_x1=5, name="api_global")
    syn.connect(i=[0], j=[0])
    loihi.LoihiNetwork(gen, ng, syn, name="api_global_net").run(20)
    assert defaultclock.dt == dt_before and prefs.codegen.target == target_before
    # stochastic rounding drew nothing from numpy's (= Brian2's) global generator
    assert np.array_equal(np.random.get_state()[1], rng_state)  # noqa: NPY002


def _stochastic_network(name: str, seed: int):
    gen = loihi.LoihiSpikeGeneratorGroup(2, [0, 1] * 10, sorted(list(range(0, 60, 3)) * 1),
                                         name=f"{name}_gen")
    ng = loihi.LoihiNeuronGroup(2, threshold_v_mant=20, decay_v=500, name=f"{name}_ng")
    syn = loihi.LoihiSynapses(gen, ng, dw="2^-3*x1*y0 - 2^-2*y1*x0", imp_x1=60, tau_x1=7,
                              imp_y1=50, tau_y1=5, num_weight_bits=6, name=f"{name}_syn")
    syn.connect(i=[0, 1, 0, 1], j=[0, 1, 1, 0])
    syn.w = [200, 180, 150, 90]
    mx = loihi.LoihiStateMonitor(syn, "x1", name=f"{name}_mx")
    mw = loihi.LoihiStateMonitor(syn, "w", name=f"{name}_mw")
    net = loihi.LoihiNetwork(gen, ng, syn, mx, mw, seed=seed, name=f"{name}_net")
    return net, ng, syn, mx, mw


def test_learning_is_reproducible_from_the_seed_and_reset():
    net, _ng, _syn, mx, mw = _stochastic_network("api_seed_a", seed=42)
    net.run(60)
    first = (mx.x1.copy(), mw.w.copy())
    net.reset()
    net.run(60)
    assert np.array_equal(mx.x1, first[0]) and np.array_equal(mw.w, first[1])
    net2, *_, mx2, mw2 = _stochastic_network("api_seed_a", seed=42)  # same names, new objects
    net2.run(60)
    assert np.array_equal(mx2.x1, first[0]) and np.array_equal(mw2.w, first[1])
    net.seed = 43
    net.reset()
    net.run(60)
    assert not np.array_equal(mx.x1, first[0])


def test_reset_keeps_parameters_changed_after_the_first_run():
    net, ng, syn, _mx, mw = _stochastic_network("api_reset", seed=1)
    net.run(60)
    learned = syn.w.copy()
    assert not np.array_equal(learned, [200, 180, 150, 90])
    ng.decay_v = 100
    syn.w_exp = 1
    net.reset()
    assert syn.w.tolist() == [200, 180, 150, 90]  # the weights last assigned, not learned
    assert ng.decay_v == 100 and syn.w_exp == 1 and net.t_step == 0
    assert mw.w.shape[1] == 0  # monitors were emptied
    net.run(10)
    assert net.t_step == 10


def test_reset_after_changing_delays_and_spike_lists():
    gen = loihi.LoihiSpikeGeneratorGroup(1, [0], [2], name="api_resdel_gen")
    ng = loihi.LoihiNeuronGroup(1, threshold_v_mant=0, name="api_resdel_ng")
    syn = loihi.LoihiSynapses(gen, ng, delay=1, name="api_resdel")
    syn.connect(i=[0], j=[0])
    syn.w = 5
    mon = loihi.LoihiSpikeMonitor(ng, name="api_resdel_mon")
    net = loihi.LoihiNetwork(gen, ng, syn, mon, name="api_resdel_net")
    net.run(12)
    assert mon.t.tolist() == [4]  # sent at 2, +1 (silicon input), +1 delay
    syn.delay = 5
    gen.set_spikes([0, 0], [1, 3])
    net.reset()
    net.run(12)
    assert mon.t.tolist() == [7, 9]


def test_reset_refuses_after_structural_changes():
    ng = loihi.LoihiNeuronGroup(2, name="api_struct_ng")
    syn = loihi.LoihiSynapses(ng, ng, name="api_struct")
    syn.connect(i=[0], j=[1])
    net = loihi.LoihiNetwork(ng, syn, name="api_struct_net")
    net.run(3)
    syn.connect(i=[1], j=[0])
    with pytest.raises(LoihiNetworkError, match="added"):
        net.reset()


def test_progress_callback_streams_and_can_stop():
    ng = loihi.LoihiNeuronGroup(1, bias_mant=1, threshold_v_mant=131071, name="api_prog_ng")
    mv = loihi.LoihiStateMonitor(ng, "v", name="api_prog_v")
    net = loihi.LoihiNetwork(ng, mv, name="api_prog_net")
    seen = []

    def progress(p):
        seen.append((p.steps_done, p.steps_total, p.t_step, mv.v.shape[1], p.fraction))
        return p.steps_done < 50

    net.run(100, progress=progress, progress_every=25)
    assert [s[:4] for s in seen] == [(25, 100, 25, 25), (50, 100, 50, 50)]
    assert net.t_step == 50 and mv.v[0, -1] == 50


def test_duration_units_and_bad_durations():
    ng = loihi.LoihiNeuronGroup(1, name="api_dur_ng")
    net = loihi.LoihiNetwork(ng, name="api_dur_net")
    net.run(5 * ms)
    assert net.t_step == 5
    for bad in (2.5, -1, 0.5 * ms, "10"):
        with pytest.raises(LoihiNetworkError):
            net.run(bad)


def test_objects_need_a_loihi_network_and_1ms_clocks():
    ng = loihi.LoihiNeuronGroup(1, name="api_plain_ng")
    with pytest.raises(Exception) as info:
        Network(ng).run(1 * ms)
    assert "LoihiNetwork" in repr(info.value.__cause__)
    pg = PoissonGroup(2, 10 * Hz, name="api_plain_poisson")  # defaultclock: 0.1 ms
    with pytest.raises(LoihiNetworkError, match="dt=1"):
        loihi.LoihiNetwork(pg, name="api_plain_net")
    ng2 = loihi.LoihiNeuronGroup(1, name="api_twice_ng")
    first = loihi.LoihiNetwork(ng2, name="api_twice_1")
    assert ng2.network is first
    with pytest.raises(LoihiNetworkError, match="already belongs"):
        loihi.LoihiNetwork(ng2, name="api_twice_2")


def test_user_brian2_sources_run_at_1ms():
    from brian2.codegen.runtime.numpy_rt import NumpyCodeObject

    pg = PoissonGroup(3, 200 * Hz, dt=1 * ms, name="api_poisson",
                      codeobj_class=NumpyCodeObject)  # the user's engine choice
    ng = loihi.LoihiNeuronGroup(3, threshold_v_mant=1, name="api_poisson_ng")
    syn = loihi.LoihiSynapses(pg, ng, name="api_poisson_syn")
    syn.connect(j="i")
    syn.w = 100
    mon = loihi.LoihiSpikeMonitor(ng, name="api_poisson_mon")
    net = loihi.LoihiNetwork(pg, ng, syn, mon, name="api_poisson_net")
    net.run(100)
    assert mon.num_spikes > 0


def test_subgroup_targets_and_state_monitor_names():
    gen = loihi.LoihiSpikeGeneratorGroup(1, [0], [2], name="api_sub_gen")
    ng = loihi.LoihiNeuronGroup(4, threshold_v_mant=1000, decay_I=4096, name="api_sub_ng")
    syn = loihi.LoihiSynapses(gen, ng[2:4], name="api_sub_syn")
    syn.connect(i=[0, 0], j=[0, 1])
    syn.w = [10, 20]
    mu = loihi.LoihiStateMonitor(ng, state.CURRENT, name="api_sub_mu")
    net = loihi.LoihiNetwork(gen, ng, syn, mu, name="api_sub_net")
    net.run(5)
    assert mu.I[:, 3].tolist() == [0, 0, 640, 1280]
    assert mu.t_step.tolist() == [0, 1, 2, 3, 4] and mu.values().dtype == np.int64
    traced = loihi.LoihiSynapses(gen, ng, imp_x1=5, tau_x1=2, name="api_sub_traced")
    with pytest.raises(LoihiNetworkError, match="different points"):
        loihi.LoihiStateMonitor(traced, ["w", "x1"], name="api_sub_bad")


def test_engine_and_names_are_set_by_the_network():
    from brian2.codegen.runtime.numpy_rt import NumpyCodeObject

    ng = loihi.LoihiNeuronGroup(2, name="api_engine_ng")
    syn = loihi.LoihiSynapses(ng, ng, dw="x0", imp_x1=1, tau_x1=1, name="api_engine_syn")
    net = loihi.LoihiNetwork(ng, syn, engine="numpy", name="api_engine_net")
    assert net.engine == "numpy"
    for obj in [ng, syn, *ng.contained_objects, *syn.contained_objects]:
        assert obj.codeobj_class is NumpyCodeObject
    names = sorted(o.name for o in [*ng.contained_objects, *syn.contained_objects])
    assert names == ["api_engine_ng_spike_thresholder", "api_engine_syn_loihi_learning",
                     "api_engine_syn_post", "api_engine_syn_pre"]


def test_compat_module_defaults_to_brian2_loihi():
    from dynsim.loihi import brian2_loihi as compat

    assert compat.LoihiNetwork(name="api_compat_net").convention.name == "brian2_loihi"
    assert compat.state.VOLTAGE == "v" and compat.synapse_sign_mode.MIXED == 1


def test_split_runs_equal_one_run():
    """Spikes of a run's last step reach their synapses in the next run (brian2-loihi
    drops them: Brian2 empties the spike list after each run)."""

    def build(name):
        gen = loihi.LoihiSpikeGeneratorGroup(2, [0, 1] * 15, sorted(list(range(0, 60, 4)) * 2),
                                             name=f"{name}_gen")
        ng = loihi.LoihiNeuronGroup(3, threshold_v_mant=3, decay_v=300, decay_I=1500,
                                    name=f"{name}_ng")
        s_in = loihi.LoihiSynapses(gen, ng, name=f"{name}_in")
        s_in.connect(i=[0, 1, 0], j=[0, 1, 2])
        s_in.w = [90, 120, 60]
        s_rec = loihi.LoihiSynapses(ng, ng, sign_mode=1, name=f"{name}_rec")
        s_rec.connect(i=[0, 1, 2], j=[1, 2, 0])
        s_rec.w = [-100, 80, 100]
        mon = loihi.LoihiSpikeMonitor(ng, name=f"{name}_mon")
        mv = loihi.LoihiStateMonitor(ng, "v", name=f"{name}_v")
        return loihi.LoihiNetwork(gen, ng, s_in, s_rec, mon, mv, name=f"{name}_net"), mon, mv

    net, mon, mv = build("api_split_a")
    net.run(60)
    once = (mon.t.tolist(), np.asarray(mon.i).tolist(), mv.v.copy())
    assert len(once[0]) > 10
    for chunks in ([13, 1, 46], [30, 30]):
        net.reset()
        for c in chunks:
            net.run(c)
        assert (mon.t.tolist(), np.asarray(mon.i).tolist()) == once[:2]
        assert np.array_equal(mv.v, once[2])
    net.reset()
    net.run(60, progress=lambda p: None, progress_every=7)
    assert mon.t.tolist() == once[0]
