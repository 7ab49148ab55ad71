"""Make the golden files of the 'lava' convention by running Lava 0.10 itself.

Lava 0.10 (``lava-nc==0.10.0``) installs only on Python 3.10. To regenerate
``lava_0_10.json`` (about 1 minute)::

    python3.10 -m venv /tmp/lava310
    /tmp/lava310/bin/pip install lava-nc==0.10.0
    /tmp/lava310/bin/python tests/loihi/golden/make_lava_golden.py

Each case is a small network in the spec format of ``tests/loihi/loihi_helpers.py``
(groups, spike generators, projections), run in Lava with the bit-accurate process models
(``Loihi1SimCfg(select_tag="fixed_pt")``: ``PyLifModelBitAcc``, ``PyDenseModelBitAcc``,
``PyDelayDenseModelBitAcc``, ``RingBuffer`` as the spike source). A group is a ``LIF``
(``du = decay_I - 1``, ``dv = decay_v``, ``vth = vth_mant``, ``bias_mant``, ``bias_exp``), a
projection a ``Dense`` (``DelayDense`` if ``delay > 0``) with the weight matrix
``W[j, i] = w``, ``weight_exp``, ``num_weight_bits`` and ``sign_mode``. Monitors record u, v and
the spikes after every step. Lava's time step ``k`` (1-based) is dynsim's step ``k - 1``.

The cases cover the four measured disagreements with brian2-loihi (odd negative mantissas,
negative exponents with coincident inputs, u overflow, v saturation), the inhibitory clip,
decays, bias, recurrent connections, delays, several projections per group, and random
networks. Lava 0.10's LIF has no refractory period: every case uses ``refractory = 1``.

This script only needs numpy and Lava; it does not import dynsim.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).with_name("lava_0_10.json")


def _proj(name, source, target, pairs, w, w_exp=0, sign_mode=2, nwb=8, delay=0):
    return {"name": name, "source": source, "target": target,
            "i": [p[0] for p in pairs], "j": [p[1] for p in pairs], "w": list(w),
            "w_exp": w_exp, "sign_mode": sign_mode, "nwb": nwb, "delay": delay}


def _group(name, n, decay_I=4096, decay_v=0, vth_mant=100, bias_mant=0, bias_exp=0):
    return {"name": name, "n": n, "decay_I": decay_I, "decay_v": decay_v, "vth_mant": vth_mant,
            "refractory": 1, "bias_mant": bias_mant, "bias_exp": bias_exp}


def _gen(name, n, events):
    events = sorted(set(events), key=lambda e: (e[1], e[0]))
    return {"name": name, "n": n, "indices": [e[0] for e in events],
            "times": [e[1] for e in events]}


def hand_made_cases() -> list[dict]:
    cases = []
    cases.append(("odd_negative_mantissa",
                  "mixed sign, 7 weight bits: Lava floors -3 to -4 (brian2-loihi: -2)",
                  {"steps": 12, "groups": [_group("g", 3, decay_I=2048, vth_mant=1000)],
                   "generators": [_gen("in", 3, [(0, 1), (1, 2), (2, 3), (0, 6)])],
                   "projections": [_proj("p", "in", "g", [(0, 0), (1, 1), (2, 2)], [-3, -1, 5],
                                         sign_mode=1, nwb=7)]}))
    cases.append(("negative_exponent_coincident",
                  "w_exp=-3, three inputs of 3 at once: Lava shifts the sum (9 >> 3 = 1)",
                  {"steps": 10, "groups": [_group("g", 2, decay_I=4096, vth_mant=1000)],
                   "generators": [_gen("in", 3, [(0, 2), (1, 2), (2, 2), (0, 5)])],
                   "projections": [_proj("p", "in", "g",
                                         [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1)],
                                         [3, 3, 3, 5, 6], w_exp=-3)]}))
    cases.append(("u_overflow",
                  "eight inputs of 255 << 13 per step: u passes 2**23 and Lava wraps it",
                  {"steps": 8, "groups": [_group("g", 1, decay_I=1, vth_mant=131071)],
                   "generators": [_gen("in", 8, [(k, t) for k in range(8) for t in (1, 2, 3)])],
                   "projections": [_proj("p", "in", "g", [(k, 0) for k in range(8)],
                                         [255] * 8, w_exp=7)]}))
    cases.append(("u_overflow_negative",
                  "inhibitory inputs drive u below -2**23",
                  {"steps": 8, "groups": [_group("g", 1, decay_I=1, vth_mant=131071)],
                   "generators": [_gen("in", 8, [(k, t) for k in range(8) for t in (1, 2, 3)])],
                   "projections": [_proj("p", "in", "g", [(k, 0) for k in range(8)],
                                         [-255] * 8, w_exp=7, sign_mode=3)]}))
    cases.append(("v_saturation",
                  "bias 4095 << 7 per step, no decay: v saturates at 2**23 - 1",
                  {"steps": 24, "groups": [_group("g", 2, decay_v=0, vth_mant=131071,
                                                  bias_mant=[4095, -4096], bias_exp=[7, 7])],
                   "generators": [], "projections": []}))
    cases.append(("inhibitory_clip",
                  "inhibitory -256 reaches the synapse as -255 (Dense clip), truncated",
                  {"steps": 8, "groups": [_group("g", 2, decay_I=4096, vth_mant=10)],
                   "generators": [_gen("in", 2, [(0, 1), (1, 3)])],
                   "projections": [_proj("p", "in", "g", [(0, 0), (1, 1)], [-256, -256],
                                         sign_mode=3, nwb=6)]}))
    cases.append(("decays_and_threshold",
                  "current and voltage decays, threshold crossing, reset",
                  {"steps": 40, "groups": [_group("g", 3, decay_I=512, decay_v=300,
                                                  vth_mant=40)],
                   "generators": [_gen("in", 2, [(0, t) for t in range(0, 40, 3)]
                                       + [(1, t) for t in range(1, 40, 7)])],
                   "projections": [_proj("p", "in", "g", [(0, 0), (0, 1), (1, 2), (1, 1)],
                                         [40, 80, 250, 17], w_exp=1)]}))
    cases.append(("bias_and_zero_threshold",
                  "negative and positive bias, threshold 0",
                  {"steps": 20, "groups": [_group("g", 3, decay_I=4096, decay_v=1000,
                                                  vth_mant=0, bias_mant=[-7, 3, 0],
                                                  bias_exp=[2, 0, 0])],
                   "generators": [_gen("in", 1, [(0, 4), (0, 9)])],
                   "projections": [_proj("p", "in", "g", [(0, 0), (0, 2)], [-20, 30],
                                         sign_mode=1, nwb=8)]}))
    cases.append(("recurrent_mixed",
                  "LIF -> Dense -> LIF recurrent loop with mixed weights",
                  {"steps": 50, "groups": [_group("g", 4, decay_I=1024, decay_v=256,
                                                  vth_mant=20)],
                   "generators": [_gen("in", 2, [(0, t) for t in range(0, 50, 4)]
                                       + [(1, t) for t in range(2, 50, 5)])],
                   "projections": [
                       _proj("p_in", "in", "g", [(0, 0), (1, 1), (0, 2)], [200, 180, 90]),
                       _proj("p_rec", "g", "g", [(0, 1), (1, 2), (2, 3), (3, 0), (1, 0)],
                             [120, -90, 64, -33, 15], w_exp=-1, sign_mode=1, nwb=7)]}))
    cases.append(("delays",
                  "DelayDense with delays 1 and 3 (input and recurrent)",
                  {"steps": 40, "groups": [_group("g", 3, decay_I=2048, decay_v=512,
                                                  vth_mant=15)],
                   "generators": [_gen("in", 2, [(0, t) for t in range(0, 40, 6)]
                                       + [(1, 3), (1, 17)])],
                   "projections": [
                       _proj("p_in", "in", "g", [(0, 0), (1, 1)], [160, 120], delay=1),
                       _proj("p_rec", "g", "g", [(0, 2), (1, 2)], [100, 50], delay=3)]}))
    cases.append(("two_exponents",
                  "two projections into one group with different exponents",
                  {"steps": 30, "groups": [_group("g", 2, decay_I=700, decay_v=100,
                                                  vth_mant=60)],
                   "generators": [_gen("a", 2, [(0, t) for t in range(0, 30, 2)]),
                                  _gen("b", 2, [(1, t) for t in range(1, 30, 3)])],
                   "projections": [
                       _proj("p_a", "a", "g", [(0, 0), (0, 1)], [7, 9], w_exp=-2),
                       _proj("p_b", "b", "g", [(1, 0), (1, 1)], [200, -120], w_exp=2,
                             sign_mode=1, nwb=6)]}))
    return [{"name": n, "description": d, "spec": s} for n, d, s in cases]


def random_cases(count: int, seed: int = 2024) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for k in range(count):
        steps = 40
        n_in, n = int(rng.integers(1, 4)), int(rng.integers(1, 5))
        events = {(int(rng.integers(0, n_in)), int(rng.integers(0, steps)))
                  for _ in range(int(rng.integers(5, 40)))}
        group = _group("g", n, decay_I=int(rng.integers(1, 4097)),
                       decay_v=int(rng.integers(0, 4096)), vth_mant=int(rng.integers(0, 60)),
                       bias_mant=rng.integers(-50, 50, n).tolist(),
                       bias_exp=rng.integers(0, 4, n).tolist())
        projs = []
        for name, src, n_src in (("p_in", "in", n_in), ("p_rec", "g", n)):
            if name == "p_rec" and rng.random() < 0.4:
                continue
            mask = rng.random((n_src, n)) < 0.6
            mask[0, 0] = True
            pairs = [tuple(map(int, p)) for p in np.argwhere(mask)]
            mode = int(rng.integers(1, 4))
            lo, hi = {1: (-256, 254), 2: (0, 255), 3: (-256, 0)}[mode]
            projs.append(_proj(name, src, "g", pairs, rng.integers(lo, hi + 1, len(pairs))
                               .tolist(), w_exp=int(rng.integers(-8, 8)), sign_mode=mode,
                               nwb=int(rng.choice([8, 8, 7, 6, 5, 3])),
                               delay=int(rng.choice([0, 0, 1, 2]))))
        out.append({"name": f"random_{k}", "description": "random network",
                    "spec": {"steps": steps, "groups": [group],
                             "generators": [_gen("in", n_in, events)], "projections": projs}})
    return out


def run_lava(spec: dict) -> dict:
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi1SimCfg
    from lava.proc.dense.process import DelayDense, Dense
    from lava.proc.io.source import RingBuffer
    from lava.proc.lif.process import LIF
    from lava.proc.monitor.process import Monitor
    from lava.utils.weightutils import SignMode

    steps = spec["steps"]
    procs = {}
    sizes = {}
    for g in spec["groups"]:
        n = g["n"]
        procs[g["name"]] = LIF(shape=(n,), du=g["decay_I"] - 1, dv=g["decay_v"],
                               vth=g["vth_mant"],
                               bias_mant=np.broadcast_to(np.asarray(g["bias_mant"]), (n,)).copy(),
                               bias_exp=np.broadcast_to(np.asarray(g["bias_exp"]), (n,)).copy())
        sizes[g["name"]] = n
    for gen in spec["generators"]:
        data = np.zeros((gen["n"], steps))
        data[gen["indices"], gen["times"]] = 1
        procs[gen["name"]] = RingBuffer(data=data)
        sizes[gen["name"]] = gen["n"]
    for p in spec["projections"]:
        weights = np.zeros((sizes[p["target"]], sizes[p["source"]]), dtype=int)
        weights[p["j"], p["i"]] = p["w"]
        kwargs = {"weight_exp": p["w_exp"], "num_weight_bits": p["nwb"],
                  "sign_mode": SignMode(p["sign_mode"])}
        if p["delay"]:
            conn = DelayDense(weights=weights, delays=p["delay"], **kwargs)
        else:
            conn = Dense(weights=weights, **kwargs)
        procs[p["source"]].s_out.connect(conn.s_in)
        conn.a_out.connect(procs[p["target"]].a_in)
    monitors = {}
    for g in spec["groups"]:
        mons = {key: Monitor() for key in ("u", "v", "s_out")}
        lif = procs[g["name"]]
        mons["u"].probe(lif.u, steps)
        mons["v"].probe(lif.v, steps)
        mons["s_out"].probe(lif.s_out, steps)
        monitors[g["name"]] = mons
    first = procs[spec["groups"][0]["name"]]
    first.run(condition=RunSteps(num_steps=steps),
              run_cfg=Loihi1SimCfg(select_tag="fixed_pt", select_sub_proc_model=True))
    out = {"u": {}, "v": {}, "spikes": {}}
    for name, mons in monitors.items():
        lif = procs[name]
        u = mons["u"].get_data()[lif.name]["u"].T.astype(np.int64)
        v = mons["v"].get_data()[lif.name]["v"].T.astype(np.int64)
        s = mons["s_out"].get_data()[lif.name]["s_out"].T
        out["u"][name] = u.tolist()
        out["v"][name] = v.tolist()
        out["spikes"][name] = [[int(t), int(i)] for i, t in zip(*np.nonzero(s), strict=True)]
    first.stop()
    return out


def main() -> None:
    import lava

    version = getattr(lava, "__version__", None)
    if version is None:
        from importlib.metadata import version as dist_version

        version = dist_version("lava-nc")
    cases = hand_made_cases() + random_cases(8)
    for case in cases:
        case.update(run_lava(case["spec"]))
        print(f"{case['name']}: {sum(len(s) for s in case['spikes'].values())} spikes",
              file=sys.stderr)
    OUT.write_text(json.dumps({"generator": "tests/loihi/golden/make_lava_golden.py",
                               "lava_version": version, "python": sys.version.split()[0],
                               "cases": cases}, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
