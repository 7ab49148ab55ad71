"""An independent, plain-numpy integer model of the Loihi chip, one step at a time.

Written separately from dynsim's Brian2 code, from the public descriptions (Lava 0.10's
``PyLifModelBitAcc``/``PyDenseModelBitAcc``/``weightutils``, nengo-loihi's emulator and
``discretize.py``, brian2-loihi 0.5.2's equations). It shares nothing with ``dynsim.loihi``:
its own constants, its own formulas (float-based truncation where the emulator uses integer
floor division, explicit loops over arriving spikes, ``np.where`` wraps), its own random
hash. Tests run random networks through both and demand identical integers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

# --- constants written out here, not imported
TWO23 = 8388608
TWO24 = 16777216
TWO21 = 2097152


def conv_flags(name: str) -> dict:
    """The arithmetic of each convention, written out independently of dynsim."""
    if name == "silicon":
        return dict(trunc="floor", scope="synapse", limit=None, inh_min=-256, acc="wrap",
                    u="wrap", ub="wrap", v="clip", gen_delay=1, trace="exp",
                    learn_trunc=True, x0_needs_trace=False)
    if name == "lava":
        return dict(trunc="floor", scope="projection", limit=None, inh_min=-255, acc="none",
                    u="lava", ub="none", v="clip", gen_delay=1, trace="exp",
                    learn_trunc=True, x0_needs_trace=False)
    if name == "brian2_loihi":
        return dict(trunc="zero", scope="synapse", limit=TWO21 - 64, inh_min=-256, acc="none",
                    u="none", ub="none", v="none", gen_delay=0, trace="linear",
                    learn_trunc=False, x0_needs_trace=True)
    raise ValueError(name)


def decay(x: np.ndarray, d: int) -> np.ndarray:
    """x * (4096 - d) / 4096 truncated toward zero (exact in float64 for |x| < 2**40)."""
    return np.trunc(x.astype(np.float64) * (4096 - d) / 4096.0).astype(np.int64)


def truncate_mantissa(w: np.ndarray, nwb: int, sign_mode: int, how: str) -> np.ndarray:
    drop = 8 - nwb + (1 if sign_mode == 1 else 0)
    step = 2**drop
    if how == "floor":
        # Lava truncate_weights: inhibitory weights are negated, shifted, negated back
        w = np.asarray(w, dtype=np.int64)
        if sign_mode == 3:
            return -(((-w) >> drop) << drop)
        return (w >> drop) << drop
    return np.fix(w / step).astype(np.int64) * step


def scale_weight(wt: np.ndarray, w_exp: int) -> np.ndarray:
    """floor(wt * 2**w_exp) * 64."""
    return np.floor(wt * 2.0**w_exp).astype(np.int64) * 64


# --- an independent counter-based hash, from the formula documented in dynsim.loihi.rng
_P = 2**31 - 1


def _sq(x: int, *cs: int) -> int:
    for c in cs:
        x = (x * x + c) % _P
    return x


def rng_key(seed: int, name: str) -> int:
    import zlib

    salt = zlib.crc32(name.encode()) & 0xFFFFFFFF
    return _sq((seed % _P + (salt % _P) * 65539) % _P, 12345, 1013904223)


def rand32(key: int, step: int, index: int, stream: int) -> int:
    h = _sq((key + step * 40503) % _P, 2345, 362436069)
    h = _sq((h + index * 69069) % _P, 98765, 521288629)
    h = _sq((h + stream * 1234567) % _P, 7, 88675123)
    return h % 2**30


STREAM = {"dw": 0, "x1": 1, "x2": 2, "y1": 3, "y2": 4, "y3": 5}


@dataclass
class Group:
    n: int
    decay_I: int
    decay_v: int
    vth_mant: int
    refractory: int
    bias: np.ndarray
    u: np.ndarray = field(init=False)
    v: np.ndarray = field(init=False)
    ref: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.u = np.zeros(self.n, dtype=np.int64)
        self.v = np.zeros(self.n, dtype=np.int64)
        self.ref = np.zeros(self.n, dtype=np.int64)


@dataclass
class Generator:
    n: int
    indices: np.ndarray
    times: np.ndarray


@dataclass
class Projection:
    name: str
    source: str
    target: str
    i: np.ndarray
    j: np.ndarray
    w: np.ndarray
    w_exp: int
    sign_mode: int
    nwb: int
    delay: int
    traces: dict = field(default_factory=dict)  # name -> (imp, tau)
    rule: str = ""
    epoch: int = 1


class ReferenceChip:
    """Plain-numpy chip: add groups, generators and projections, then ``run(T)``."""

    def __init__(self, convention: str, seed: int = 0, prefix: str = "") -> None:
        self.c = conv_flags(convention)
        self.seed = seed
        self.prefix = prefix  # object names salt the random streams
        self.groups: dict[str, Group] = {}
        self.generators: dict[str, Generator] = {}
        self.projections: list[Projection] = []

    def add_group(self, name: str, n: int, decay_I: int, decay_v: int, vth_mant: int,
                  refractory: int = 1, bias_mant=0, bias_exp=0) -> None:
        bias = np.broadcast_to(np.asarray(bias_mant, dtype=np.int64) *
                               2 ** np.asarray(bias_exp, dtype=np.int64), (n,)).copy()
        self.groups[name] = Group(n, decay_I, decay_v, vth_mant, refractory, bias)

    def add_generator(self, name: str, n: int, indices, times) -> None:
        self.generators[name] = Generator(n, np.asarray(indices), np.asarray(times))

    def add_projection(self, proj: Projection) -> None:
        self.projections.append(proj)

    # ----------------------------------------------------------------- weights
    def synapse_input(self, p: Projection, w: np.ndarray, learned: bool = False):
        """(value added per synapse, scope) for the arriving synapses."""
        c = self.c
        wc = np.maximum(w, c["inh_min"]) if p.sign_mode == 3 else w.copy()
        if learned and not c["learn_trunc"]:
            wt = wc
        else:
            wt = truncate_mantissa(wc, p.nwb, p.sign_mode, c["trunc"])
        wa = scale_weight(wt, p.w_exp)
        if c["limit"] is not None:
            wa = np.clip(wa, -c["limit"], c["limit"])
        return wt, wa

    # ----------------------------------------------------------------- run
    def run(self, steps: int) -> dict:
        c = self.c
        rec = {g: {"u": [], "v": [], "spikes": []} for g in self.groups}
        rec_w = {p.name: [] for p in self.projections}
        rec_tr = {p.name: {tr: [] for tr in p.traces} for p in self.projections}
        emitted: dict[str, list[np.ndarray]] = {name: [] for name in
                                                [*self.groups, *self.generators]}
        state = {}
        for p in self.projections:
            wt, wa = self.synapse_input(p, p.w)
            state[p.name] = {"w": p.w.astype(np.int64).copy(), "wt": wt, "wa": wa,
                             "x0": np.zeros(len(p.i), np.int64),
                             "y0": np.zeros(len(p.i), np.int64),
                             **{tr: np.zeros(len(p.i), np.int64) for tr in p.traces},
                             "key": rng_key(self.seed, self.prefix + p.name)}
        for t in range(steps):
            for name, gen in self.generators.items():
                emitted[name].append(np.unique(gen.indices[gen.times == t]))
            q = {g: np.zeros(grp.n, dtype=np.int64) for g, grp in self.groups.items()}
            # ---- synapses slot: pre spikes arriving now, then post spikes of last step
            for p in self.projections:
                st = state[p.name]
                is_gen = p.source in self.generators
                lag = (c["gen_delay"] if is_gen else 1) + p.delay
                s = t - lag
                arriving = emitted[p.source][s] if s >= 0 else np.zeros(0, np.int64)
                syn = np.nonzero(np.isin(p.i, arriving))[0]
                tgt = self.groups[p.target]
                if c["scope"] == "projection":
                    total = np.zeros(tgt.n, dtype=np.int64)
                    for k in syn:
                        total[p.j[k]] += st["wt"][k]
                    q[p.target] += np.floor(total * 2.0**p.w_exp).astype(np.int64) * 64
                else:
                    for k in syn:
                        q[p.target][p.j[k]] += st["wa"][k]
                for tr in ("x1", "x2"):
                    if tr in p.traces:
                        st[tr][syn] = np.minimum(st[tr][syn] + p.traces[tr][0], 127)
                has_pre = any(tr in p.traces for tr in ("x1", "x2"))
                if p.rule and (has_pre or not c["x0_needs_trace"]):
                    st["x0"][syn] = 1
                # monitors sit between the pre (order -1) and post (order +1) pathways
                for tr in p.traces:
                    rec_tr[p.name][tr].append(st[tr].copy())
                if t >= 1:
                    post_spk = emitted[p.target][t - 1]
                    psyn = np.nonzero(np.isin(p.j, post_spk))[0]
                    for tr in ("y1", "y2", "y3"):
                        if tr in p.traces:
                            st[tr][psyn] = np.minimum(st[tr][psyn] + p.traces[tr][0], 127)
                    has_post = any(tr in p.traces for tr in ("y1", "y2", "y3"))
                    if p.rule and (has_post or not c["x0_needs_trace"]):
                        st["y0"][psyn] = 1
            # ---- groups slot: learning and trace decay
            for p in self.projections:
                if p.traces or p.rule:
                    self._learn(p, state[p.name], t)
            # ---- compartments
            for g, grp in self.groups.items():
                qq = q[g]
                if c["acc"] == "wrap":
                    qq = ((qq + TWO21) % (2 * TWO21)) - TWO21
                u = decay(grp.u, grp.decay_I) + qq
                if c["u"] == "wrap":
                    u = ((u + TWO23) % TWO24) - TWO23
                elif c["u"] == "lava":
                    w1 = np.where(u > TWO23, u - TWO24, u)
                    u = np.where(w1 <= -TWO23, u + TWO24, w1)
                grp.u = u
                ub = u + grp.bias
                if c["ub"] == "wrap":
                    ub = ((ub + TWO23) % TWO24) - TWO23
                v = decay(grp.v, grp.decay_v) + ub
                if c["v"] == "clip":
                    v = np.clip(v, -(TWO23 - 1), TWO23 - 1)
                grp.ref = np.maximum(grp.ref - 1, 0)
                v[grp.ref > 0] = 0
                spikes = v > grp.vth_mant * 64
                v[spikes] = 0
                grp.ref[spikes] = grp.refractory
                grp.v = v
                emitted[g].append(np.nonzero(spikes)[0])
                rec[g]["u"].append(u.copy())
                rec[g]["v"].append(v.copy())
                rec[g]["spikes"] += [(t, int(k)) for k in np.nonzero(spikes)[0]]
            for p in self.projections:
                rec_w[p.name].append(state[p.name]["w"].copy())
        out = {g: {"u": np.array(r["u"]).T, "v": np.array(r["v"]).T, "spikes": r["spikes"]}
               for g, r in rec.items()}
        out["_weights"] = {k: np.array(v).T for k, v in rec_w.items()}
        out["_w_act"] = {p.name: state[p.name]["wa"].copy() for p in self.projections}
        out["_traces"] = {k: {tr: np.array(v).T for tr, v in d.items()}
                          for k, d in rec_tr.items()}
        return out

    def _learn(self, p: Projection, st: dict, t: int) -> None:
        c = self.c
        n = len(p.i)
        rnd = {s: np.array([rand32(st["key"], t, k, STREAM[s]) for k in range(n)],
                           dtype=np.float64) for s in STREAM}
        if p.rule:
            env = {name: st[name].astype(np.float64) for name in
                   ("x0", "y0", *p.traces)}
            env["w"] = st["w"].astype(np.float64)
            for k in range(10):
                env[f"u{k}"] = float(t % 2**k == 0)
            env["sign"] = np.sign
            dw = eval(p.rule.replace("^", "**"), {"__builtins__": {}}, env)
            dw = np.broadcast_to(np.asarray(dw, dtype=np.float64), (n,))
            dw_r = (np.sign(dw) * np.ceil(np.abs(dw))).astype(np.int64)
            prec = 2 ** (8 - p.nwb + (1 if p.sign_mode == 1 else 0))
            quot = np.fix(dw_r / prec).astype(np.int64)
            rem = np.abs(dw_r) % prec
            up = (rnd["dw"] * prec < rem * 2.0**30).astype(np.int64)
            delta = (quot + np.sign(dw_r) * up) * prec
            if t % p.epoch == 0:
                lo, hi = {1: (-256, 254), 2: (0, 255), 3: (-256, 0)}[p.sign_mode]
                st["w"] = np.clip(st["w"] + delta, lo, hi)
                st["wt"], st["wa"] = self.synapse_input(p, st["w"], learned=True)
                st["x0"][:] = 0
                st["y0"][:] = 0
        for tr, (_imp, tau) in p.traces.items():
            x = st[tr].astype(np.int64)
            if c["trace"] == "linear":
                num, den = tau - 1, tau
            else:
                den = 65536
                num = round(den * math.exp(-1.0 / tau))
            prod = x * num
            whole, frac = prod // den, prod % den
            st[tr] = whole + (rnd[tr] * den < frac * 2.0**30).astype(np.int64)
