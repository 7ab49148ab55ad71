"""Run network specs through brian2-loihi 0.5.2 (the oracle of the 'brian2_loihi' convention).

Runs in its own process because brian2-loihi changes Brian2's global state
(``defaultclock.dt``, registered state updaters)::

    python tests/loihi/brian2_loihi_oracle.py specs.json results.json

``specs.json`` holds a list of specs in the format of ``loihi_helpers.py``; results hold, per
spec, the recorded u (brian2-loihi's ``I``), v, spikes, weights, actual weights and traces.
brian2-loihi has no bias: specs must use ``bias_mant = 0``. The numpy target is used (the
Cython target would compile for about a minute).
"""

from __future__ import annotations

import json
import sys

import numpy as np


def run_spec(spec: dict) -> dict:
    import brian2_loihi
    from brian2 import prefs, seed, start_scope

    prefs.codegen.target = "numpy"
    start_scope()
    seed(spec.get("brian_seed", 1))
    objs, mons, syn_mons = {}, {}, {}
    for g in spec["groups"]:
        assert not np.any(g.get("bias_mant", 0)), "brian2-loihi has no bias"
        ng = brian2_loihi.LoihiNeuronGroup(g["n"], refractory=g.get("refractory", 1),
                                           threshold_v_mant=g["vth_mant"], decay_v=g["decay_v"],
                                           decay_I=g["decay_I"])
        objs[g["name"]] = ng
        mons[g["name"]] = (brian2_loihi.LoihiStateMonitor(ng, "I"),
                           brian2_loihi.LoihiStateMonitor(ng, "v"),
                           brian2_loihi.LoihiSpikeMonitor(ng))
    for gen in spec.get("generators", []):
        idx = np.asarray(gen["indices"], dtype=int)
        times = np.asarray(gen["times"], dtype=int)
        if len(idx) == 0:  # Brian2 needs at least an empty float array
            idx, times = np.array([], dtype=int), np.array([], dtype=float)
        objs[gen["name"]] = brian2_loihi.LoihiSpikeGeneratorGroup(gen["n"], idx, times)
    for p in spec["projections"]:
        kwargs = {}
        for tr, (imp, tau) in p.get("traces", {}).items():
            kwargs[f"imp_{tr}"] = int(imp)
            kwargs[f"tau_{tr}"] = int(tau)
        syn = brian2_loihi.LoihiSynapses(objs[p["source"]], objs[p["target"]],
                                         delay=int(p["delay"]), dw=p.get("rule", ""),
                                         w_exp=int(p["w_exp"]), sign_mode=int(p["sign_mode"]),
                                         num_weight_bits=int(p["nwb"]), **kwargs)
        syn.connect(i=np.asarray(p["i"], dtype=int), j=np.asarray(p["j"], dtype=int))
        syn.w = np.asarray(p["w"], dtype=int)
        objs[p["name"]] = syn
        m = {"w": brian2_loihi.LoihiStateMonitor(syn, "w"),
             "w_act": brian2_loihi.LoihiStateMonitor(syn, "w_act")}
        for tr in p.get("traces", {}):
            m[tr] = brian2_loihi.LoihiStateMonitor(syn, tr)
        syn_mons[p["name"]] = m
    net = brian2_loihi.LoihiNetwork(*objs.values(), *[m for ms_ in mons.values() for m in ms_],
                                    *[m for d in syn_mons.values() for m in d.values()])
    net.run(spec["steps"])
    out: dict = {}
    for g in spec["groups"]:
        mi, mv, msp = mons[g["name"]]
        out[g["name"]] = {
            "u": np.asarray(mi.I).astype(np.int64).tolist(),
            "v": np.asarray(mv.v).astype(np.int64).tolist(),
            "spikes": sorted(zip(np.rint(np.asarray(msp.t_) * 1000).astype(int).tolist(),
                                 np.asarray(msp.i_).astype(int).tolist(), strict=True)),
            "spike_t_brian2_loihi": np.asarray(msp.t).astype(int).tolist(),
        }
    out["_weights"] = {k: np.asarray(d["w"].w).astype(np.int64).tolist()
                       for k, d in syn_mons.items()}
    out["_w_act_t"] = {k: np.asarray(d["w_act"].w_act).astype(np.int64).tolist()
                       for k, d in syn_mons.items()}
    out["_traces"] = {k: {tr: np.asarray(getattr(d[tr], tr)).astype(np.int64).tolist()
                          for tr in d if tr not in ("w", "w_act")}
                      for k, d in syn_mons.items()}
    return out


def main() -> None:
    specs = json.load(open(sys.argv[1]))
    results = [run_spec(spec) for spec in specs]
    with open(sys.argv[2], "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main()
