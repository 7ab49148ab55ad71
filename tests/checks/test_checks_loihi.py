"""The self-checks of the Loihi notebooks: right answers pass, wrong ones get the right hint.

Every reference answer here is computed independently of :mod:`dynsim.checks.loihi` (brute
force over the registers, plain Python integers, or the emulator itself), so a check that
drifted from the chip would fail here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from dynsim.checks import CheckResult
from dynsim.checks.loihi import (
    check_convention_difference,
    check_decay_register,
    check_integer_decay,
    check_reproducibility,
    check_stdp_prediction,
    check_stdp_rule,
    check_trace_time_constant,
    check_weight_encoding,
)
from dynsim.errors import DynsimError, UnknownConventionError
from dynsim.loihi import (
    LoihiNetwork,
    LoihiNeuronGroup,
    LoihiSpikeGeneratorGroup,
    LoihiStateMonitor,
    LoihiSynapses,
)


def passes(result: CheckResult) -> bool:
    assert isinstance(result, CheckResult)
    assert str(result).startswith("PASS" if result.passed else "NOT YET")
    return result.passed


def hint_of(result: CheckResult) -> str:
    assert isinstance(result, CheckResult) and not result.passed, str(result)
    return result.message


def stub(*_args):
    raise NotImplementedError("Student exercise: ...")


# --------------------------------------------------------------------------- integer decay
def decay_reference(x, d):
    """Truncation of the magnitude, in exact Python arithmetic (one value at a time)."""
    return np.array([math.trunc(int(v) * (4096 - d) / 4096) for v in np.asarray(x)])


def test_integer_decay_passes_the_chip_arithmetic():
    assert passes(check_integer_decay(decay_reference))
    assert passes(check_integer_decay(
        lambda x, d: np.sign(x) * ((np.abs(x) * (4096 - d)) >> 12)))


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, d: (x * (4096 - d)) >> 12, "toward minus infinity"),
    (lambda x, d: (x * (4096 - d)) // 4096, "toward minus infinity"),
    (lambda x, d: x * (4096 - d) / 4096, "fractions"),
    (lambda x, d: np.round(x * (4096 - d) / 4096), "nearest"),
    (lambda x, d: np.sign(x) * -(-(np.abs(x) * (4096 - d)) // 4096), "rounded up"),
    (lambda x, d: np.sign(x) * ((np.abs(x) * d) >> 12), "leaks away"),
    (lambda x, d: x, "nothing decays"),
    (lambda x, d: np.sign(x) * ((np.abs(x).astype(np.int32) * np.int32(4096 - d)) >> 12),
     "overflow"),
    (lambda x, d: [0], "one decayed value per element"),
    (lambda x, d: int(x), "raised TypeError"),
    (lambda x, d: None, "returned None"),
])
def test_integer_decay_explains_mistakes(wrong, hint):
    assert hint in hint_of(check_integer_decay(wrong))


def test_integer_decay_stub_and_nonsense():
    assert "not answered" in hint_of(check_integer_decay(stub))
    assert "not answered" in hint_of(check_integer_decay(...))
    # a wrong answer, even of the wrong type, is a hint, never an exception
    assert "the function itself" in hint_of(check_integer_decay(42))


# --------------------------------------------------------------------------- decay register
def best_decays(tau: float) -> set[int]:
    """Integers within one of the decay whose kept fraction equals exp(-1/tau) (brute force)."""
    keep = math.exp(-1 / tau)
    best = min(range(4097), key=lambda d: abs((4096 - d) / 4096 - keep))
    exact = best + (4096 * (1 - keep) - best)
    return {d for d in (best - 1, best, best + 1) if abs(d - exact) < 1}


@pytest.mark.parametrize("tau", [1.5, 5, 20, 64, 1000.0])
def test_decay_register_passes_the_exponential_mapping(tau):
    for d in best_decays(tau):
        assert passes(check_decay_register(d, tau))
    assert passes(check_decay_register(np.int64(min(best_decays(tau))), tau))


def test_decay_register_accepts_brian2_times():
    from brian2 import ms

    assert passes(check_decay_register(200, 20 * ms))
    assert passes(check_decay_register(742, 5 * ms))


@pytest.mark.parametrize("wrong, hint", [
    (205, "first-order"),                 # 4096/tau
    (3896, "KEPT"),                       # 4096 exp(-1/tau)
    (4096 * 20, "outside the register"),  # 4096 tau
    (199.78, "not an integer"),
    (0.05, "4096 times the fraction"),
    (20, "tau itself"),
    (100, "too long"),
    (400, "too short"),
    ("200", "one integer"),
    ([200, 201], "one integer"),
])
def test_decay_register_explains_mistakes(wrong, hint):
    assert hint in hint_of(check_decay_register(wrong, tau=20))


def test_decay_register_stub_and_nonsense():
    assert "not answered" in hint_of(check_decay_register(..., tau=20))
    for bad in (-5, 0, float("nan"), "20", [5, 6]):
        with pytest.raises(DynsimError):
            check_decay_register(200, bad)
    from brian2 import mV

    with pytest.raises(DynsimError):
        check_decay_register(200, 20 * mV)


# --------------------------------------------------------------------------- weight encoding
def chip_weight(m: int, e: int) -> int:
    """Actual weight on silicon: a negative exponent floors the mantissa before the << 6."""
    return m * 2 ** (6 + e) if e >= 0 else (m // 2 ** -e) * 64


def brute_force_encoding(weight: float, scale: float) -> tuple[int, int]:
    """The (w_mant, w_exp) whose actual weight is closest to weight x scale (all 4096 pairs)."""
    units = weight * scale
    pairs = [(m, e) for e in range(-8, 8) for m in range(256)]
    return min(pairs, key=lambda me: (abs(chip_weight(*me) - units), -me[1]))


def test_weight_encoding_passes_a_brute_force_answer():
    for scale in (2.0**10, 2.0**14, 1000.0):
        assert passes(check_weight_encoding(brute_force_encoding, scale))
    assert passes(check_weight_encoding(brute_force_encoding, 1000.0,
                                        weights=[0.3, 0.01, 5.0]))


def test_weight_encoding_accepts_numpy_integers():
    def numpy_ints(weight, scale):
        m, e = brute_force_encoding(weight, scale)
        return np.int64(m), np.int8(e)

    assert passes(check_weight_encoding(numpy_ints, 2.0**12))


def test_weight_encoding_explains_mistakes():
    def smallest(units, shift):
        return next(e for e in range(-8, 8) if units / 2 ** (shift + e) <= 255.5)

    def no_six(weight, scale):  # forgot the 6-bit shift
        e = smallest(weight * scale, 0)
        return round(weight * scale / 2**e), e

    def negative_exponent(weight, scale):  # "a smaller exponent is always finer"
        e = smallest(weight * scale, 6)
        return round(weight * scale / 2 ** (6 + e)), e

    def truncating(weight, scale):
        e = max(0, smallest(weight * scale, 6))
        return math.floor(weight * scale / 2 ** (6 + e)), e

    def coarse(weight, scale):  # a valid but larger exponent
        e = max(0, smallest(weight * scale, 6)) + 1
        return round(weight * scale / 2 ** (6 + e)), e

    def overflow(weight, scale):
        m, e = brute_force_encoding(weight, scale)
        return m + 256, e

    scale = 2.0**10
    assert "64x" in hint_of(check_weight_encoding(no_six, scale))
    assert "two-part shift" in hint_of(check_weight_encoding(negative_exponent, scale))
    assert "truncated" in hint_of(check_weight_encoding(truncating, scale))
    assert "coarse" in hint_of(check_weight_encoding(coarse, scale))
    assert "vanishes" in hint_of(check_weight_encoding(coarse, scale, weights=[50 / scale]))
    assert "does not fit" in hint_of(check_weight_encoding(overflow, scale))
    assert "integers" in hint_of(check_weight_encoding(lambda w, s: (3.5, 0), scale))
    assert "pair" in hint_of(check_weight_encoding(lambda w, s: 7, scale))
    assert "-8..7" in hint_of(check_weight_encoding(lambda w, s: (1, 9), scale))
    assert "raised ZeroDivisionError" in hint_of(check_weight_encoding(lambda w, s: 1 / 0,
                                                                       scale))
    assert "rounded" in hint_of(check_weight_encoding(lambda w, s: (3, 0), scale))


def test_weight_encoding_stub_and_nonsense():
    assert "not answered" in hint_of(check_weight_encoding(stub, 1024))
    for bad_scale in (0, -1, "big", None):
        with pytest.raises(DynsimError):
            check_weight_encoding(brute_force_encoding, bad_scale)
    with pytest.raises(DynsimError):
        check_weight_encoding(brute_force_encoding, 1024, weights=[-0.5])
    with pytest.raises(DynsimError):
        check_weight_encoding(brute_force_encoding, 1024, weights=[1e9])  # not encodable
    assert "the function itself" in hint_of(check_weight_encoding("encode", 1024))


# --------------------------------------------------------------------------- conventions
def emulated_u(weights, w_exp, convention):
    """u after the step in which all synapses deliver, from the emulator itself."""
    n = len(weights)
    tag = f"chk_{convention}_{n}_{w_exp + 8}_{abs(hash(tuple(weights))) % 10**6}"
    gen = LoihiSpikeGeneratorGroup(n, list(range(n)), [0] * n, name=f"{tag}_gen")
    ng = LoihiNeuronGroup(1, threshold_v_mant=131071, decay_I=4096, decay_v=0,
                          name=f"{tag}_ng")
    syn = LoihiSynapses(gen, ng, w_exp=w_exp, name=f"{tag}_syn")
    syn.connect(i=list(range(n)), j=[0] * n)
    syn.w = weights
    mon = LoihiStateMonitor(ng, "u", name=f"{tag}_u")
    net = LoihiNetwork(gen, ng, syn, mon, convention=convention, name=f"{tag}_net")
    net.run(3)
    arrival = 0 if convention == "brian2_loihi" else 1  # sent at step 0 (table: delivery)
    return int(mon.u[0][arrival])


@pytest.mark.parametrize("weights, w_exp", [([1, 1, 1], -1), ([255, 255], 7),
                                             ([3, 5, 7, 9], -2), ([255] * 5, 7)])
def test_convention_difference_agrees_with_the_emulator(weights, w_exp):
    result = check_convention_difference(weights, w_exp)
    assert passes(result)
    u_si, u_la = emulated_u(weights, w_exp, "silicon"), emulated_u(weights, w_exp, "lava")
    assert u_si != u_la
    assert f"silicon {u_si}, lava {u_la}" in result.message


@pytest.mark.parametrize("weights, w_exp, hint", [
    ([100], 3, "exact left shift"),
    ([3], -1, "single synapse"),
    ([2, 4], -1, "multiple of 2**1"),
    ([300], 0, "0..255"),
    ([-3, 1], -1, "0..255"),
    ([1.5, 2], -1, "integers"),
    ([], -1, "1..64"),
    ([1, 1], 9, "-8..7"),
    ([1, 1], 0.5, "one integer"),
])
def test_convention_difference_explains_mistakes(weights, w_exp, hint):
    result = check_convention_difference(weights, w_exp)
    assert hint in hint_of(result)
    if "agree" in result.message:  # the check's numbers are the emulator's
        u = emulated_u(weights, w_exp, "silicon")
        assert f"silicon {u}, lava {u}" in result.message


def test_convention_difference_other_pairs_and_nonsense():
    assert "not answered" in hint_of(check_convention_difference(..., -1))
    result = check_convention_difference([1, 1, 1], -1, ("lava", "brian2_loihi"))
    assert passes(result) and "lava 64, brian2_loihi 0" in result.message
    assert emulated_u([1, 1, 1], -1, "brian2_loihi") == 0
    with pytest.raises(UnknownConventionError):
        check_convention_difference([1, 1], -1, ("silicon", "brian2-loihi"))
    with pytest.raises(DynsimError):
        check_convention_difference([1, 1], -1, ("silicon",))


# --------------------------------------------------------------------------- traces
def measured_trace_tau(tau: int, impulse: int = 100, n: int = 400, seed: int = 3) -> float:
    """tau measured on the mean of n stochastically rounded integer traces (plain numpy)."""
    rng = np.random.default_rng(seed)
    factor = math.exp(-1 / tau)
    x = np.full(n, impulse, dtype=np.int64)
    means = [x.mean()]
    for _ in range(4 * tau):
        product = x * factor
        x = np.floor(product).astype(np.int64) + (rng.random(n) < product % 1)
        means.append(x.mean())
    means = np.array(means)
    k = int(np.argmax(means < impulse / math.e))
    a, b = math.log(means[k - 1]), math.log(means[k])
    return k - 1 + (a - math.log(impulse / math.e)) / (a - b)


@pytest.mark.parametrize("tau", [5, 10, 30])
def test_trace_time_constant_passes_a_measurement(tau):
    assert passes(check_trace_time_constant(measured_trace_tau(tau), tau))
    assert passes(check_trace_time_constant(float(tau), tau))


@pytest.mark.parametrize("wrong, hint", [
    (10 * math.log(2), "half-life"),
    (10 * math.log(10), "10 %"),
    (10 / math.log(10), "log10"),
    (0.1, "rate"),
    (0.01, "seconds"),
    (5.0, "AVERAGE"),
    (15.0, "first step below"),
    (-3.0, "1/e"),
    ("ten", "one number"),
])
def test_trace_time_constant_explains_mistakes(wrong, hint):
    assert hint in hint_of(check_trace_time_constant(wrong, 10))


def test_trace_time_constant_stub_and_nonsense():
    from brian2 import ms, mV

    assert passes(check_trace_time_constant(10 * ms, 10 * ms))
    assert "not answered" in hint_of(check_trace_time_constant(None, 10))
    assert "time constant" in hint_of(check_trace_time_constant(10 * mV, 10))
    for bad in (0, -2, "10"):
        with pytest.raises(DynsimError):
            check_trace_time_constant(10, bad)
    with pytest.raises(DynsimError):
        check_trace_time_constant(10, 10, rtol=0)


# --------------------------------------------------------------------------- STDP rule
@pytest.mark.parametrize("rule", [
    "2^-2*x1*y0 - 2^-2*y1*x0",
    "2^-2*(x1*y0 - x0*y1)",
    "-2^-2*x0*y1 + 2^-2*y0*x1",
    "2^-3*x1*y0 + 2^-3*x1*y0 - 2^-2*y1*x0",
])
def test_stdp_rule_passes_equivalent_forms(rule):
    assert passes(check_stdp_rule(rule))


def test_stdp_rule_other_amplitudes():
    assert passes(check_stdp_rule("2^-3*x1*y0 - 2^-1*y1*x0", a_plus=2**-3, a_minus=0.5))
    assert "amplitudes" in hint_of(check_stdp_rule("2^-2*x1*y0 - 2^-2*y1*x0",
                                                   a_plus=2**-3, a_minus=0.5))


@pytest.mark.parametrize("rule, hint", [
    ("2^-2*y1*x0 - 2^-2*x1*y0", "anti-Hebbian"),
    ("2^-2*x1*x0 - 2^-2*y1*y0", "does not depend on the post"),
    ("2^-2*x1*y0 - 2^-2*y1*y0", "does not depend on the pre"),
    ("2^-2*x1*y0 - 2^-2*x0*y0", "same step"),
    ("2^-2*x1*y0", "no depression"),
    ("-2^-2*y1*x0", "no potentiation"),
    ("-2^-2*x1*y0 - 2^-2*y1*x0", "depresses in both"),
    ("2^-2*x1*y0 + 2^-2*y1*x0", "potentiates in both"),
    ("2^-3*x1*y0 - 2^-3*y1*x0", "amplitudes"),
    ("2^-2*x1*y0 - 2^-2*y1*x0 + x0", "x0"),
    ("2^-2*x1*y0 - 2^-2*y1*x0 + w*y0", "w*y0"),
    ("x1*y1", "does not accept"),
    ("0.25*x1*y0 - 0.25*y1*x0", "does not accept"),
    ("x0*sign(x1 - 3)", "sign()"),
    (0.25, "string"),
])
def test_stdp_rule_explains_mistakes(rule, hint):
    assert hint in hint_of(check_stdp_rule(rule))


def test_stdp_rule_stub_and_nonsense():
    assert "not answered" in hint_of(check_stdp_rule(...))
    for bad in (0.3, 0, -0.25, 2**-8, "half"):
        with pytest.raises(DynsimError):
            check_stdp_rule("2^-2*x1*y0 - 2^-2*y1*x0", a_plus=bad)


# --------------------------------------------------------------------------- STDP window
DELTAS = np.array([-30, -12, -3, 0, 1, 4, 16, 40])
PARAMS = {"a_plus": 0.25, "a_minus": 0.125, "imp": 64, "tau": 16}


def window_reference(deltas, a_plus, a_minus, imp, tau):
    out = []
    for d in deltas:
        if d > 0:
            out.append(a_plus * imp * math.exp(-d / tau))
        elif d < 0:
            out.append(-a_minus * imp * math.exp(d / tau))
        else:
            out.append(123.0)  # not checked
    return np.array(out)


def test_stdp_prediction_passes_the_formula():
    assert passes(check_stdp_prediction(window_reference(DELTAS, **PARAMS), DELTAS,
                                        **PARAMS))
    assert passes(check_stdp_prediction(list(window_reference(DELTAS, **PARAMS)),
                                        DELTAS.tolist(), **PARAMS))


def test_stdp_prediction_explains_mistakes():
    ref = window_reference(DELTAS, **PARAMS)
    p = dict(PARAMS)
    cases = [
        (-ref, "swapped"),
        (np.where(DELTAS > 0, ref, 0.125 * 64 * -np.exp(-DELTAS / 16)), "|delta|"),
        (ref / 64, "impulse"),
        (window_reference(DELTAS, 1, 1, 64, 16), "amplitudes"),
        (window_reference(DELTAS, 0.25, 0.125, 64, 1 / 16), "-|delta|/tau"),
        (window_reference(DELTAS, 0.125, 0.25, 64, 16), "swapped them"),
        (ref * 1.5, "differ"),
        (ref[:3], "one per delay"),
        (np.full(DELTAS.shape, np.nan), "nan"),
        ("many", "array of numbers"),
        (None, "not answered"),
    ]
    for wrong, hint in cases:
        assert hint in hint_of(check_stdp_prediction(wrong, DELTAS, **p)), hint


def test_stdp_prediction_nonsense():
    ref = window_reference(DELTAS, **PARAMS)
    for key, bad in (("imp", 0), ("a_plus", -1), ("tau", -3), ("a_minus", "x")):
        with pytest.raises(DynsimError):
            check_stdp_prediction(ref, DELTAS, **{**PARAMS, key: bad})
    with pytest.raises(DynsimError):
        check_stdp_prediction(ref, DELTAS + 0.5, **PARAMS)
    with pytest.raises(DynsimError):
        check_stdp_prediction([1.0], [0], **PARAMS)


# --------------------------------------------------------------------------- reproducibility
def learning_run(seed: int, *, pass_seed: bool = True, fixed_names: bool = True):
    """A small learning experiment on the emulator; returns the final weights."""
    names = ({k: f"chk_repro_{k}" for k in ("pre", "post", "syn", "net")} if fixed_names
             else {k: f"chk_repro_auto_{k}*" for k in ("pre", "post", "syn", "net")})
    rng = np.random.default_rng(7)  # the same input spikes every call
    times = np.sort(rng.choice(np.arange(1, 200), 40, replace=False))
    pre = LoihiSpikeGeneratorGroup(4, np.arange(40) % 4, times, name=names["pre"])
    post = LoihiNeuronGroup(1, threshold_v_mant=1, decay_v=4095, name=names["post"])
    syn = LoihiSynapses(pre, post, dw="2^-2*x1*y0 - 2^-2*y1*x0", imp_x1=40, tau_x1=8,
                        imp_y1=40, tau_y1=8, num_weight_bits=6, name=names["syn"])
    syn.connect(i=np.arange(4), j=np.zeros(4, dtype=int))
    syn.w = 120
    kwargs = {"seed": seed} if pass_seed else {}
    net = LoihiNetwork(pre, post, syn, name=names["net"], **kwargs)
    net.run(200)
    return syn.w.copy()


def test_reproducibility_passes_a_seeded_experiment():
    result = check_reproducibility(learning_run)
    assert passes(result) and "identical weights (4 synapses)" in result.message
    assert passes(check_reproducibility(lambda seed: learning_run(seed), seeds=(5, 9)))


def test_reproducibility_explains_mistakes():
    assert "pass seed=seed" in hint_of(check_reproducibility(
        lambda seed: learning_run(seed, pass_seed=False)))
    assert "did anything learn" in hint_of(check_reproducibility(lambda seed: np.full(5, 128)))
    calls = iter(range(100))
    assert "other randomness" in hint_of(check_reproducibility(
        lambda seed: learning_run(seed + 10 * next(calls))))
    assert "returned None" in hint_of(check_reproducibility(lambda seed: None))
    assert "raised KeyError" in hint_of(check_reproducibility(lambda seed: {}[seed]))
    sizes = iter([3, 3, 4])
    assert "different numbers" in hint_of(check_reproducibility(
        lambda seed: np.zeros(next(sizes))))
    assert "no weights" in hint_of(check_reproducibility(lambda seed: []))
    assert "not answered" in hint_of(check_reproducibility(stub))


def test_reproducibility_nonsense():
    assert "the function itself" in hint_of(check_reproducibility("run_learning"))
    for seeds in ((1, 1), (1,), (1.5, 2), ("a", "b")):
        with pytest.raises(DynsimError):
            check_reproducibility(learning_run, seeds=seeds)
