"""Learning rules (brian2-loihi's grammar), epochs and the seeded random numbers."""

from __future__ import annotations

import numpy as np
import pytest

from dynsim.errors import LearningRuleError
from dynsim.loihi import (
    LoihiNetwork,
    LoihiNeuronGroup,
    LoihiSpikeGeneratorGroup,
    LoihiStateMonitor,
    LoihiSynapses,
    parse_rule,
)
from dynsim.loihi import rng as R


@pytest.mark.parametrize("rule, code, k", [
    ("x0", "x0", 0),
    ("2^-2*x1*y0 - 2^-2*y1*x0", "-x0*y1 + x1*y0", 2),
    ("x0*(y1 + 3)", "3*x0 + x0*y1", 0),
    ("u3*(x2 - 2^-7*w)", "-u3*w + 128*u3*x2", 7),
    ("-y0 + 2^+9*x0", "512*x0 - y0", 0),
    ("x0 * y1*y2", "x0*y1*y2", 0),
    ("x0*2^-3*2^-4", "x0", 7),
])
def test_rules_compile_to_exact_integer_polynomials(rule, code, k):
    parsed = parse_rule(rule)
    assert parsed.numerator_code() == code and parsed.denominator_bits == k


@pytest.mark.parametrize("rule, match", [
    ("x1*y1", "no dependency factor"),
    ("x0/2", "division"),
    ("x0*r0", "r0"),
    ("x0*d", "'d'"),
    ("x0*t", "'t'"),
    ("x0*u", "unsupported"),
    ("x0*u12", "u0..u9"),
    ("x0*3^2", "2\\^k"),
    ("x0*2^-8", "-7..9"),
    ("x0*2^10", "-7..9"),
    ("*x0", "malformed"),
    ("x0+", "malformed"),
    ("x0*0.5", "unsupported"),
    ("x0*z1", "unsupported"),
    ("2x0", "malformed"),
    ("", "empty"),
])
def test_rules_outside_the_grammar_are_rejected(rule, match):
    with pytest.raises(LearningRuleError, match=match):
        parse_rule(rule)


def test_rule_needs_its_traces_defined():
    ng = LoihiNeuronGroup(1, name="lr_traces_ng")
    with pytest.raises(LearningRuleError, match="imp_y2 and tau_y2"):
        LoihiSynapses(ng, ng, dw="x0*y2", name="lr_traces")
    with pytest.raises(LearningRuleError, match="must be a string"):
        LoihiSynapses(ng, ng, dw=3, name="lr_traces2")


def test_sign_and_epoch_gates():
    rule = parse_rule("x0*sign(x1 - 3) + u2*y0")
    assert rule.traces == {"x1"} and rule.epoch_gates == [2]
    assert [name for name, _ in rule.signs] == ["sign0"]


def _epoch_network(epoch: int, name: str):
    gen = LoihiSpikeGeneratorGroup(1, [0] * 8, list(range(0, 16, 2)), name=f"{name}_gen")
    ng = LoihiNeuronGroup(1, threshold_v_mant=131071, name=f"{name}_ng")
    syn = LoihiSynapses(gen, ng, dw="x0", imp_x1=1, tau_x1=1, learning_epoch=epoch,
                        name=f"{name}_syn")
    syn.connect(i=[0], j=[0])
    syn.w = 0
    mw = LoihiStateMonitor(syn, "w", name=f"{name}_w")
    LoihiNetwork(gen, ng, syn, mw, convention="brian2_loihi", name=f"{name}_net").run(17)
    return mw.w[0].tolist()


def test_learning_epochs_collect_spikes_and_apply_at_epoch_ends():
    # spikes reach the synapse at steps 0, 2, ..., 14; dw = x0 adds 1 per applied epoch
    assert _epoch_network(1, "lr_ep1") == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 8]
    # epoch 4: applied at steps 0, 4, 8, 12, 16; x0 of a whole epoch counts once
    assert _epoch_network(4, "lr_ep4") == [1] * 4 + [2] * 4 + [3] * 4 + [4] * 4 + [5]


def test_stochastic_rounding_to_the_weight_precision_is_unbiased():
    # precision 2**4 = 16 (num_weight_bits 4, excitatory): dw = 4 adds 16 with p = 1/4
    n = 2000
    gen = LoihiSpikeGeneratorGroup(1, [0], [0], name="lr_sr_gen")
    ng = LoihiNeuronGroup(1, threshold_v_mant=131071, name="lr_sr_ng")
    syn = LoihiSynapses(gen, ng, dw="4*x0", imp_x1=1, tau_x1=1, num_weight_bits=4,
                        name="lr_sr_syn")
    syn.connect(i=[0] * n, j=[0] * n)
    syn.w = 0
    LoihiNetwork(gen, ng, syn, seed=9, name="lr_sr_net").run(2)
    w = syn.w
    assert set(np.unique(w).tolist()) == {0, 16}
    assert abs(np.mean(w == 16) - 0.25) < 4 * np.sqrt(0.25 * 0.75 / n)


def test_random_numbers_are_uniform_and_independent():
    steps = np.repeat(np.arange(200), 200)
    index = np.tile(np.arange(200), 200)
    key = R.mix_key(0, 12345)
    r = R.uniform32(key, steps, index, R.STREAMS["x1"]).astype(float) / R.RANGE
    assert abs(r.mean() - 0.5) < 0.005
    counts = np.histogram(r, bins=16, range=(0, 1))[0]
    expected = len(r) / 16
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 40  # 15 degrees of freedom: p ~ 5e-4
    grid = r.reshape(200, 200)
    for a, b in ((grid[:, :-1], grid[:, 1:]), (grid[:-1], grid[1:])):  # neighbours
        assert abs(np.corrcoef(a.ravel(), b.ravel())[0, 1]) < 0.02
    other = R.uniform32(key, steps, index, R.STREAMS["y1"]).astype(float) / R.RANGE
    assert abs(np.corrcoef(r, other)[0, 1]) < 0.02
    assert not np.array_equal(R.uniform32(R.mix_key(1, 12345), steps, index, 1),
                              R.uniform32(key, steps, index, 1))
