"""Speed of dynsim's Loihi emulator against brian2-loihi 0.5.2, on the same network.

1000 CUBA LIF neurons, ~10 % random recurrent connectivity (mixed-sign weights), driven by
100 spike generators (~10 % input connectivity), at two activity levels (threshold mantissa
8000: ~9 Hz per neuron; 3000: ~100 Hz). Both emulators run the identical network in the
'brian2_loihi' convention; the script checks that they produce the same spikes (bit for bit)
and prints steps per second (nothing is asserted about speed).

Run::

    .venv/bin/python benchmarks/loihi_speed.py              # 1000 steps, Cython
    .venv/bin/python benchmarks/loihi_speed.py --steps 200 --engine numpy --threshold 8000

brian2-loihi runs in a child process (it changes Brian2's global ``defaultclock.dt``); the
timings are taken in the same invocation, on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

N_NEURONS = 1000
N_INPUTS = 100
P_CONNECT = 0.1


def network_spec(seed: int = 0, threshold: int = 8000, n_input_spikes: int = 4000,
                 steps: int = 1000) -> dict:
    """The benchmark network as plain arrays (shared by both emulators)."""
    rng = np.random.default_rng(seed)
    pairs = np.unique(np.stack([rng.integers(0, N_INPUTS, n_input_spikes),
                                rng.integers(0, steps, n_input_spikes)]), axis=1)
    in_mask = rng.random((N_INPUTS, N_NEURONS)) < P_CONNECT
    rec_mask = rng.random((N_NEURONS, N_NEURONS)) < P_CONNECT
    in_i, in_j = np.nonzero(in_mask)
    rec_i, rec_j = np.nonzero(rec_mask)
    return {
        "gen_i": pairs[0].tolist(), "gen_t": pairs[1].tolist(),
        "in_i": in_i.tolist(), "in_j": in_j.tolist(),
        "in_w": rng.integers(0, 256, len(in_i)).tolist(),
        "rec_i": rec_i.tolist(), "rec_j": rec_j.tolist(),
        "rec_w": (2 * rng.integers(-128, 128, len(rec_i))).tolist(),
        "threshold": threshold, "decay_v": 200, "decay_I": 800, "refractory": 2,
    }


def run_dynsim(spec: dict, steps: int, engine: str, repeats: int = 3) -> dict:
    """Build and run the network with dynsim; return timings and spikes."""
    from dynsim.loihi import (
        LoihiNetwork,
        LoihiNeuronGroup,
        LoihiSpikeGeneratorGroup,
        LoihiSpikeMonitor,
        LoihiSynapses,
    )

    t0 = time.perf_counter()
    gen = LoihiSpikeGeneratorGroup(N_INPUTS, spec["gen_i"], spec["gen_t"], name="bench_gen")
    ng = LoihiNeuronGroup(N_NEURONS, refractory=spec["refractory"],
                          threshold_v_mant=spec["threshold"], decay_v=spec["decay_v"],
                          decay_I=spec["decay_I"], name="bench_neurons")
    s_in = LoihiSynapses(gen, ng, sign_mode=2, name="bench_input")
    s_in.connect(i=spec["in_i"], j=spec["in_j"])
    s_in.w = spec["in_w"]
    s_rec = LoihiSynapses(ng, ng, sign_mode=1, name="bench_recurrent")
    s_rec.connect(i=spec["rec_i"], j=spec["rec_j"])
    s_rec.w = spec["rec_w"]
    mon = LoihiSpikeMonitor(ng, name="bench_spikes")
    net = LoihiNetwork(gen, ng, s_in, s_rec, mon, convention="brian2_loihi", engine=engine,
                       name="bench_network")
    t1 = time.perf_counter()
    net.run(steps)
    t2 = time.perf_counter()
    reruns = []
    for _ in range(repeats):
        a = time.perf_counter()
        net.reset()
        net.run(steps)
        reruns.append(time.perf_counter() - a)
    return {"build_s": t1 - t0, "first_run_s": t2 - t1, "rerun_s": min(reruns),
            "spikes_i": np.asarray(mon.i_).tolist(), "spikes_t": mon.t.tolist()}


_BRIAN2_LOIHI_CHILD = r"""
import json, sys, time
import numpy as np
spec = json.load(open(sys.argv[1])); steps = int(sys.argv[2])
from brian2_loihi import (LoihiNetwork, LoihiNeuronGroup, LoihiSpikeGeneratorGroup,
                          LoihiSpikeMonitor, LoihiSynapses)
t0 = time.perf_counter()
gen = LoihiSpikeGeneratorGroup(100, np.array(spec["gen_i"]), np.array(spec["gen_t"]))
ng = LoihiNeuronGroup(1000, refractory=spec["refractory"], threshold_v_mant=spec["threshold"],
                      decay_v=spec["decay_v"], decay_I=spec["decay_I"])
s_in = LoihiSynapses(gen, ng, sign_mode=2)
s_in.connect(i=np.array(spec["in_i"]), j=np.array(spec["in_j"]))
s_in.w = np.array(spec["in_w"])
s_rec = LoihiSynapses(ng, ng, sign_mode=1)
s_rec.connect(i=np.array(spec["rec_i"]), j=np.array(spec["rec_j"]))
s_rec.w = np.array(spec["rec_w"])
mon = LoihiSpikeMonitor(ng)
net = LoihiNetwork(gen, ng, s_in, s_rec, mon)
net.store()
t1 = time.perf_counter()
net.run(steps)
t2 = time.perf_counter()
i1, t_1 = np.asarray(mon.i_).tolist(), np.rint(np.asarray(mon.t_) * 1000).astype(int).tolist()
reruns = []
for _ in range(2):
    a = time.perf_counter(); net.restore(); net.run(steps); reruns.append(time.perf_counter() - a)
json.dump({"build_s": t1 - t0, "first_run_s": t2 - t1, "rerun_s": min(reruns),
           "spikes_i": i1, "spikes_t": t_1}, open(sys.argv[3], "w"))
"""


def run_brian2_loihi(spec: dict, steps: int) -> dict | None:
    """Run the network with brian2-loihi (numpy target) in a child process."""
    try:
        import brian2_loihi  # noqa: F401
    except ImportError:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        spec_path = os.path.join(tmp, "spec.json")
        out_path = os.path.join(tmp, "out.json")
        with open(spec_path, "w") as f:
            json.dump(spec, f)
        subprocess.run([sys.executable, "-c", _BRIAN2_LOIHI_CHILD, spec_path, str(steps),
                        out_path], check=True, cwd=tmp)
        with open(out_path) as f:
            return json.load(f)


def main(argv: list[str] | None = None) -> dict:
    """Run both emulators, print steps per second and the ratio; return the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--engine", default="cython", choices=["cython", "numpy"])
    parser.add_argument("--no-brian2-loihi", action="store_true")
    parser.add_argument("--threshold", type=int, action="append",
                        help="threshold mantissa(s) (activity level); default 8000 and 3000")
    args = parser.parse_args(argv)
    results = [_one(args, threshold) for threshold in (args.threshold or [8000, 3000])]
    return results[0] if len(results) == 1 else {"runs": results}


def _one(args: argparse.Namespace, threshold: int) -> dict:
    spec = network_spec(threshold=threshold, steps=args.steps)
    ours = run_dynsim(spec, args.steps, args.engine)
    theirs = None if args.no_brian2_loihi else run_brian2_loihi(spec, args.steps)
    n_syn = len(spec["in_i"]) + len(spec["rec_i"])
    n_spk = len(ours["spikes_t"])
    print(f"network: {N_NEURONS} neurons, {n_syn} synapses, {args.steps} steps, "
          f"{n_spk} spikes ({n_spk / N_NEURONS / args.steps * 1000:.1f} Hz per neuron)")
    print(f"dynsim ({args.engine}): first run {ours['first_run_s']:.3f} s, "
          f"re-run {ours['rerun_s'] * 1000:.1f} ms = {args.steps / ours['rerun_s']:.0f} steps/s")
    result = {"steps": args.steps, "engine": args.engine, "dynsim": ours}
    if theirs is not None:
        same = (theirs["spikes_i"] == ours["spikes_i"] and theirs["spikes_t"] == ours["spikes_t"])
        print(f"brian2-loihi (numpy): first run {theirs['first_run_s']:.3f} s, re-run "
              f"{theirs['rerun_s'] * 1000:.1f} ms = {args.steps / theirs['rerun_s']:.0f} steps/s")
        print(f"speed-up (re-run): {theirs['rerun_s'] / ours['rerun_s']:.1f}x; first run: "
              f"{theirs['first_run_s'] / ours['first_run_s']:.1f}x; identical spikes: {same}")
        result.update(brian2_loihi=theirs, identical=same,
                      speedup=theirs["rerun_s"] / ours["rerun_s"])
    return result


if __name__ == "__main__":
    main()
