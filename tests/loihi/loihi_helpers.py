"""Build the same network from a plain spec in dynsim, in the reference and in the oracles.

A spec is JSON-able::

    {"steps": 40,
     "groups": [{"name": "g0", "n": 3, "decay_I": 1024, "decay_v": 512, "vth_mant": 20,
                 "refractory": 1, "bias_mant": 0, "bias_exp": 0}],
     "generators": [{"name": "in0", "n": 2, "indices": [0, 1], "times": [3, 5]}],
     "projections": [{"name": "p0", "source": "in0", "target": "g0", "i": [0], "j": [1],
                      "w": [100], "w_exp": 0, "sign_mode": 2, "nwb": 8, "delay": 0,
                      "traces": {"x1": [10, 4]}, "rule": "", "epoch": 1}]}
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from loihi_reference import Projection, ReferenceChip

WEIGHT_RANGE = {1: (-256, 254), 2: (0, 255), 3: (-256, 0)}


def run_reference(spec: dict, convention: str, seed: int = 0, prefix: str = "") -> dict:
    """Run a spec through the reference (``prefix``: as given to build_dynsim)."""
    chip = ReferenceChip(convention, seed=seed, prefix=prefix)
    for g in spec["groups"]:
        chip.add_group(g["name"], g["n"], g["decay_I"], g["decay_v"], g["vth_mant"],
                       g.get("refractory", 1), g.get("bias_mant", 0), g.get("bias_exp", 0))
    for gen in spec.get("generators", []):
        chip.add_generator(gen["name"], gen["n"], gen["indices"], gen["times"])
    for p in spec["projections"]:
        chip.add_projection(Projection(
            name=p["name"], source=p["source"], target=p["target"],
            i=np.asarray(p["i"], dtype=np.int64), j=np.asarray(p["j"], dtype=np.int64),
            w=np.asarray(p["w"], dtype=np.int64), w_exp=p["w_exp"], sign_mode=p["sign_mode"],
            nwb=p["nwb"], delay=p["delay"],
            traces={k: tuple(v) for k, v in p.get("traces", {}).items()},
            rule=p.get("rule", ""), epoch=p.get("epoch", 1)))
    return chip.run(spec["steps"])


def build_dynsim(spec: dict, convention: str, engine: str = "numpy", seed: int = 0,
                 prefix: str = "", record_synapses: bool | str = True) -> tuple:
    """Return (network, run(), objects, monitors) for a spec.

    ``run()`` runs the spec's steps and returns reference-shaped output (without weights
    and traces if ``record_synapses`` is False; ``'learning'``: only the weights of learning
    projections, the others' final actual weights are compared).
    """
    from dynsim import loihi

    objs: dict = {}
    mons: dict = {}
    for g in spec["groups"]:
        name = prefix + g["name"]
        ng = loihi.LoihiNeuronGroup(g["n"], refractory=g.get("refractory", 1),
                                    threshold_v_mant=g["vth_mant"], decay_v=g["decay_v"],
                                    decay_I=g["decay_I"], bias_mant=g.get("bias_mant", 0),
                                    bias_exp=g.get("bias_exp", 0), name=name)
        objs[g["name"]] = ng
        mons[g["name"]] = (loihi.LoihiStateMonitor(ng, "u", name=name + "_mu"),
                           loihi.LoihiStateMonitor(ng, "v", name=name + "_mv"),
                           loihi.LoihiSpikeMonitor(ng, name=name + "_ms"))
    for gen in spec.get("generators", []):
        objs[gen["name"]] = loihi.LoihiSpikeGeneratorGroup(
            gen["n"], gen["indices"], gen["times"], name=prefix + gen["name"])
    syn_mons: dict = {}
    for p in spec["projections"]:
        kwargs = {}
        for tr, (imp, tau) in p.get("traces", {}).items():
            kwargs[f"imp_{tr}"] = imp
            kwargs[f"tau_{tr}"] = tau
        syn = loihi.LoihiSynapses(objs[p["source"]], objs[p["target"]], delay=p["delay"],
                                  dw=p.get("rule", ""), w_exp=p["w_exp"], sign_mode=p["sign_mode"],
                                  num_weight_bits=p["nwb"], name=prefix + p["name"],
                                  learning_epoch=p.get("epoch", 1), **kwargs)
        syn.connect(i=np.asarray(p["i"], dtype=np.int64), j=np.asarray(p["j"], dtype=np.int64))
        syn.w = p["w"]
        objs[p["name"]] = syn
        learns = bool(p.get("rule") or p.get("traces"))
        if not record_synapses or (record_synapses == "learning" and not learns):
            continue
        m = {"w": loihi.LoihiStateMonitor(syn, "w", name=prefix + p["name"] + "_mw")}
        for tr in p.get("traces", {}) if record_synapses is True else ():
            m[tr] = loihi.LoihiStateMonitor(syn, tr, name=prefix + p["name"] + "_m" + tr)
        syn_mons[p["name"]] = m
    all_objs = list(objs.values()) + [m for ms in mons.values() for m in ms] + [
        m for d in syn_mons.values() for m in d.values()]
    net = loihi.LoihiNetwork(*all_objs, convention=convention, engine=engine, seed=seed,
                             name=prefix + "net")

    def run() -> dict:
        net.run(spec["steps"])
        return collect(spec, mons, syn_mons, objs)

    return net, run, objs, (mons, syn_mons)


def collect(spec: dict, mons: dict, syn_mons: dict, objs: dict) -> dict:
    out: dict = {}
    for g in spec["groups"]:
        mu, mv, ms = mons[g["name"]]
        out[g["name"]] = {"u": mu.values(), "v": mv.values(),
                          "spikes": sorted(zip(ms.t.tolist(), np.asarray(ms.i_).tolist(),
                                               strict=True))}
    if not syn_mons:
        return out
    out["_weights"] = {p["name"]: syn_mons[p["name"]]["w"].values()
                       for p in spec["projections"] if p["name"] in syn_mons}
    out["_w_act"] = {p["name"]: objs[p["name"]].w_act for p in spec["projections"]}
    out["_traces"] = {p["name"]: {tr: syn_mons[p["name"]][tr].values()
                                  for tr in p.get("traces", {}) if tr in syn_mons[p["name"]]}
                      for p in spec["projections"] if p["name"] in syn_mons}
    return out


def assert_same(ours: dict, ref: dict, spec: dict, traces: bool = False) -> None:
    for g in spec["groups"]:
        name = g["name"]
        np.testing.assert_array_equal(ours[name]["u"], ref[name]["u"], err_msg=f"u of {name}")
        np.testing.assert_array_equal(ours[name]["v"], ref[name]["v"], err_msg=f"v of {name}")
        assert ours[name]["spikes"] == sorted(ref[name]["spikes"]), f"spikes of {name}"
    if "_weights" not in ours:
        return
    for p in spec["projections"]:
        if p["name"] in ours["_weights"]:
            np.testing.assert_array_equal(ours["_weights"][p["name"]],
                                          ref["_weights"][p["name"]],
                                          err_msg=f"w of {p['name']}")
        np.testing.assert_array_equal(ours["_w_act"][p["name"]], ref["_w_act"][p["name"]],
                                      err_msg=f"w_act of {p['name']}")
        if traces and p["name"] in ours["_traces"]:
            for tr in ours["_traces"][p["name"]]:
                np.testing.assert_array_equal(ours["_traces"][p["name"]][tr],
                                              ref["_traces"][p["name"]][tr],
                                              err_msg=f"{tr} of {p['name']}")


# ----------------------------------------------------------------------- hypothesis
def decay_limits(convention: str) -> tuple[int, int]:
    """(smallest decay_I, largest decay_v) a convention can represent."""
    return (0, 4096) if convention == "brian2_loihi" else (1, 4095)


@st.composite
def weights_for(draw, n: int, sign_mode: int) -> list[int]:
    lo, hi = WEIGHT_RANGE[sign_mode]
    edge = st.sampled_from([lo, hi, lo + 1, hi - 1, -3, -1, 1, 3])
    vals = st.one_of(st.integers(lo, hi), edge.filter(lambda x: lo <= x <= hi))
    return draw(st.lists(vals, min_size=n, max_size=n))


@st.composite
def projection(draw, name: str, source: str, target: str, n_src: int, n_tgt: int,
               max_delay: int = 3) -> dict:
    mask = draw(st.lists(st.booleans(), min_size=n_src * n_tgt, max_size=n_src * n_tgt))
    if not any(mask):
        mask[0] = True
    pairs = [(k // n_tgt, k % n_tgt) for k, m in enumerate(mask) if m]
    sign_mode = draw(st.sampled_from([1, 2, 3]))
    return {
        "name": name, "source": source, "target": target,
        "i": [p[0] for p in pairs], "j": [p[1] for p in pairs],
        "w": draw(weights_for(len(pairs), sign_mode)),
        "w_exp": draw(st.one_of(st.integers(-8, 7), st.sampled_from([-8, -1, 0, 7]))),
        "sign_mode": sign_mode,
        "nwb": draw(st.one_of(st.just(8), st.integers(0, 8))),
        "delay": draw(st.integers(0, max_delay)),
    }


@st.composite
def network_specs(draw, convention: str, steps: int = 30) -> dict:
    i_min, v_max = decay_limits(convention)
    n_groups = draw(st.integers(1, 2))
    groups = []
    for k in range(n_groups):
        n = draw(st.integers(1, 4))
        big_bias = draw(st.booleans())
        groups.append({
            "name": f"g{k}", "n": n,
            "decay_I": draw(st.one_of(st.integers(i_min, 4096),
                                      st.sampled_from([i_min, 2048, 4096]))),
            "decay_v": draw(st.one_of(st.integers(0, v_max), st.sampled_from([0, v_max]))),
            "vth_mant": draw(st.one_of(st.integers(0, 300), st.integers(0, 131071))),
            "refractory": draw(st.integers(1, 4)),
            "bias_mant": draw(st.integers(-4096, 4095)) if big_bias else
            draw(st.integers(-20, 20)),
            "bias_exp": draw(st.integers(0, 7)) if big_bias else 0,
        })
    n_in = draw(st.integers(1, 3))
    events = draw(st.sets(st.tuples(st.integers(0, n_in - 1), st.integers(0, steps - 1)),
                          max_size=3 * steps))
    events = sorted(events, key=lambda e: (e[1], e[0]))
    gen = {"name": "in0", "n": n_in, "indices": [e[0] for e in events],
           "times": [e[1] for e in events]}
    projections = []
    for k, g in enumerate(groups):
        projections.append(draw(projection(f"p_in_{k}", "in0", g["name"], n_in, g["n"])))
        if draw(st.booleans()):
            src = draw(st.sampled_from(groups))
            projections.append(draw(projection(f"p_{src['name']}_{k}", src["name"],
                                               g["name"], src["n"], g["n"])))
    return {"steps": steps, "groups": groups, "generators": [gen],
            "projections": projections}


def random_spec(rng: np.random.Generator, convention: str, steps: int = 40,
                bias: bool = True) -> dict:
    """A random network from a numpy generator (fixed seeds: deterministic test cases)."""
    i_min, v_max = decay_limits(convention)
    groups = []
    for k in range(int(rng.integers(1, 3))):
        n = int(rng.integers(1, 5))
        groups.append({
            "name": f"g{k}", "n": n, "decay_I": int(rng.integers(i_min, 4097)),
            "decay_v": int(rng.integers(0, v_max + 1)), "vth_mant": int(rng.integers(0, 40)),
            "refractory": int(rng.integers(1, 4)),
            "bias_mant": rng.integers(-30, 30, n).tolist() if bias else 0,
            "bias_exp": int(rng.integers(0, 3)) if bias else 0})
    n_in = int(rng.integers(1, 4))
    events = {(int(rng.integers(0, n_in)), int(rng.integers(0, steps)))
              for _ in range(int(rng.integers(steps // 2, 2 * steps)))}
    events = sorted(events, key=lambda e: (e[1], e[0]))
    gen = {"name": "in0", "n": n_in, "indices": [e[0] for e in events],
           "times": [e[1] for e in events]}
    projections = []
    for k, g in enumerate(groups):
        sources = [("in0", n_in)] + ([(src["name"], src["n"]) for src in groups]
                                     if rng.random() < 0.6 else [])
        for src, n_src in sources[:2]:
            mask = rng.random((n_src, g["n"])) < 0.6
            mask[0, 0] = True
            pairs = np.argwhere(mask)
            mode = int(rng.integers(1, 4))
            lo, hi = WEIGHT_RANGE[mode]
            projections.append({
                "name": f"p_{src}_{k}", "source": src, "target": g["name"],
                "i": pairs[:, 0].tolist(), "j": pairs[:, 1].tolist(),
                "w": rng.integers(lo, hi + 1, len(pairs)).tolist(),
                "w_exp": int(rng.integers(-4, 5)), "sign_mode": mode,
                "nwb": int(rng.choice([8, 8, 7, 6, 4])), "delay": int(rng.integers(0, 3))})
    return {"steps": steps, "groups": groups, "generators": [gen], "projections": projections}
