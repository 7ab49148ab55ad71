"""Speed of dynsim's Loihi emulator against brian2-loihi 0.5.2, on the same network.

N CUBA LIF neurons (default 1000), ~10 % random recurrent connectivity (mixed-sign weights),
driven by N/10 spike generators (~10 % input connectivity) with random ("Poisson") input
spikes at about 40 Hz each, at two activity levels (threshold mantissa 8000: ~9 Hz per neuron;
3000: ~100 Hz). Both emulators run the identical network in the 'brian2_loihi' convention;
the script checks that they produce the same spikes (bit for bit) and prints steps per second
(nothing is asserted about speed).

Run::

    .venv/bin/python benchmarks/loihi_speed.py              # 1000 steps, Cython
    .venv/bin/python benchmarks/loihi_speed.py --steps 200 --engine numpy --threshold 8000
    .venv/bin/python benchmarks/loihi_speed.py --neurons 10000 --steps 100 --threshold 8000

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
#: input spikes per generator and step (about 40 Hz at Loihi's nominal 1 ms step)
INPUT_RATE = 0.04


def _sparse_mask(rng: np.random.Generator, rows: int, cols: int, p: float,
                 block: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Return ``np.nonzero(rng.random((rows, cols)) < p)`` without the full matrix in memory.

    The random stream is consumed in the same order, so the result is identical.
    """
    parts_i, parts_j = [], []
    for start in range(0, rows, block):
        i, j = np.nonzero(rng.random((min(block, rows - start), cols)) < p)
        parts_i.append((i + start).astype(np.int32))
        parts_j.append(j.astype(np.int32))
    return np.concatenate(parts_i), np.concatenate(parts_j)


def network_spec(seed: int = 0, threshold: int = 8000, n_input_spikes: int | None = None,
                 steps: int = 1000, n_neurons: int = N_NEURONS) -> dict:
    """The benchmark network as plain arrays (shared by both emulators).

    ``n_neurons // 10`` generators; ``n_input_spikes`` (default ``INPUT_RATE`` per generator
    and step) distinct (generator, step) pairs drawn uniformly. The wiring and weights depend
    on ``seed`` and ``n_neurons`` only (not on ``steps``).
    """
    n_inputs = max(1, n_neurons // 10)
    if n_input_spikes is None:
        n_input_spikes = round(INPUT_RATE * n_inputs * steps)
    drive = np.random.default_rng([seed, 1])
    pairs = np.unique(np.stack([drive.integers(0, n_inputs, n_input_spikes),
                                drive.integers(0, steps, n_input_spikes)]), axis=1)
    rng = np.random.default_rng(seed)
    in_i, in_j = _sparse_mask(rng, n_inputs, n_neurons, P_CONNECT)
    rec_i, rec_j = _sparse_mask(rng, n_neurons, n_neurons, P_CONNECT)
    return {
        "n_neurons": n_neurons, "n_inputs": n_inputs,
        "gen_i": pairs[0], "gen_t": pairs[1],
        "in_i": in_i, "in_j": in_j,
        "in_w": rng.integers(0, 256, len(in_i)).astype(np.int32),
        "rec_i": rec_i, "rec_j": rec_j,
        "rec_w": (2 * rng.integers(-128, 128, len(rec_i))).astype(np.int32),
        "threshold": threshold, "decay_v": 200, "decay_I": 800, "refractory": 2,
    }


def run_dynsim(spec: dict, steps: int, engine: str, repeats: int = 3) -> dict:
    """Build and run the network with dynsim; return timings and spikes.

    ``rerun_s`` is the best of ``repeats`` re-runs after ``net.reset()`` (what a slider
    does); ``rerun_cpu_s`` the process CPU time of that re-run (less sensitive to load).
    """
    from dynsim.loihi import (
        LoihiNetwork,
        LoihiNeuronGroup,
        LoihiSpikeGeneratorGroup,
        LoihiSpikeMonitor,
        LoihiSynapses,
    )

    t0 = time.perf_counter()
    gen = LoihiSpikeGeneratorGroup(spec["n_inputs"], spec["gen_i"], spec["gen_t"],
                                   name="bench_gen")
    ng = LoihiNeuronGroup(spec["n_neurons"], refractory=spec["refractory"],
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
    reruns, cpu = [], []
    for _ in range(repeats):
        a, c = time.perf_counter(), time.process_time()
        net.reset()
        net.run(steps)
        reruns.append(time.perf_counter() - a)
        cpu.append(time.process_time() - c)
    return {"build_s": t1 - t0, "first_run_s": t2 - t1, "rerun_s": min(reruns),
            "reruns_s": reruns, "rerun_cpu_s": min(cpu),
            "spikes_i": np.asarray(mon.i_).tolist(), "spikes_t": mon.t.tolist()}


_BRIAN2_LOIHI_CHILD = r"""
import json, resource, sys, time
import numpy as np
spec = np.load(sys.argv[1]); steps = int(sys.argv[2]); repeats = int(sys.argv[4])
from brian2_loihi import (LoihiNetwork, LoihiNeuronGroup, LoihiSpikeGeneratorGroup,
                          LoihiSpikeMonitor, LoihiSynapses)
t0 = time.perf_counter()
gen = LoihiSpikeGeneratorGroup(int(spec["n_inputs"]), spec["gen_i"].astype(int),
                               spec["gen_t"].astype(int))
ng = LoihiNeuronGroup(int(spec["n_neurons"]), refractory=int(spec["refractory"]),
                      threshold_v_mant=int(spec["threshold"]), decay_v=int(spec["decay_v"]),
                      decay_I=int(spec["decay_I"]))
s_in = LoihiSynapses(gen, ng, sign_mode=2)
s_in.connect(i=spec["in_i"], j=spec["in_j"])
s_in.w = spec["in_w"]
s_rec = LoihiSynapses(ng, ng, sign_mode=1)
s_rec.connect(i=spec["rec_i"], j=spec["rec_j"])
s_rec.w = spec["rec_w"]
mon = LoihiSpikeMonitor(ng)
net = LoihiNetwork(gen, ng, s_in, s_rec, mon)
if repeats:
    net.store()
t1, c1 = time.perf_counter(), time.process_time()
net.run(steps)
t2, c2 = time.perf_counter(), time.process_time()
i1, t_1 = np.asarray(mon.i_).tolist(), np.rint(np.asarray(mon.t_) * 1000).astype(int).tolist()
reruns, cpu = [], []
for _ in range(repeats):
    a, c = time.perf_counter(), time.process_time()
    net.restore(); net.run(steps)
    reruns.append(time.perf_counter() - a); cpu.append(time.process_time() - c)
json.dump({"build_s": t1 - t0, "first_run_s": t2 - t1, "first_run_cpu_s": c2 - c1,
           "rerun_s": min(reruns) if reruns else None, "reruns_s": reruns,
           "rerun_cpu_s": min(cpu) if cpu else None,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "spikes_i": i1, "spikes_t": t_1}, open(sys.argv[3], "w"))
"""


def run_brian2_loihi(spec: dict, steps: int, repeats: int = 2) -> dict | None:
    """Run the network with brian2-loihi (numpy target) in a child process.

    Returns ``None`` when brian2-loihi is not installed. With ``repeats=0`` only the first
    run is timed (its ``first_run_s`` then stands for the speed; brian2-loihi's numpy target
    compiles nothing, so its first run differs from a re-run by a few set-up milliseconds).
    """
    try:
        import brian2_loihi  # noqa: F401
    except ImportError:
        return None
    with tempfile.TemporaryDirectory(prefix="dynsim-loihi-bench-") as tmp:
        spec_path = os.path.join(tmp, "spec.npz")
        out_path = os.path.join(tmp, "out.json")
        np.savez(spec_path, **{k: np.asarray(v) for k, v in spec.items()})
        subprocess.run([sys.executable, "-c", _BRIAN2_LOIHI_CHILD, spec_path, str(steps),
                        out_path, str(repeats)], check=True, cwd=tmp)
        with open(out_path) as f:
            return json.load(f)


def main(argv: list[str] | None = None) -> dict:
    """Run both emulators, print steps per second and the ratio; return the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--neurons", type=int, default=N_NEURONS)
    parser.add_argument("--engine", default="cython", choices=["cython", "numpy"])
    parser.add_argument("--no-brian2-loihi", action="store_true")
    parser.add_argument("--brian2-loihi-repeats", type=int, default=2,
                        help="timed re-runs of brian2-loihi (0: time its first run only)")
    parser.add_argument("--threshold", type=int, action="append",
                        help="threshold mantissa(s) (activity level); default 8000 and 3000")
    parser.add_argument("--json", help="write the result (without spike lists) to this file")
    args = parser.parse_args(argv)
    results = [_one(args, threshold) for threshold in (args.threshold or [8000, 3000])]
    result = results[0] if len(results) == 1 else {"runs": results}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(_without_spikes(result), f, indent=1)
    return result


def _without_spikes(result: dict) -> dict:
    """A copy of ``result`` without the spike lists (for JSON reports)."""
    if isinstance(result, dict):
        return {k: _without_spikes(v) for k, v in result.items()
                if k not in ("spikes_i", "spikes_t")}
    if isinstance(result, list):
        return [_without_spikes(v) for v in result]
    return result


def _one(args: argparse.Namespace, threshold: int) -> dict:
    spec = network_spec(threshold=threshold, steps=args.steps, n_neurons=args.neurons)
    ours = run_dynsim(spec, args.steps, args.engine)
    theirs = (None if args.no_brian2_loihi
              else run_brian2_loihi(spec, args.steps, args.brian2_loihi_repeats))
    n_syn = len(spec["in_i"]) + len(spec["rec_i"])
    n_spk = len(ours["spikes_t"])
    rate = n_spk / args.neurons / args.steps * 1000
    print(f"network: {args.neurons} neurons, {n_syn} synapses, {args.steps} steps, "
          f"{n_spk} spikes ({rate:.1f} Hz per neuron)")
    cpu_ms = ours["rerun_cpu_s"] / args.steps * 1000
    print(f"dynsim ({args.engine}): first run {ours['first_run_s']:.3f} s, "
          f"re-run {ours['rerun_s'] * 1000:.1f} ms = {args.steps / ours['rerun_s']:.0f} steps/s"
          f" (process CPU {cpu_ms:.4f} ms per step); load average {os.getloadavg()[0]:.1f}")
    result = {"steps": args.steps, "neurons": args.neurons, "synapses": n_syn,
              "threshold": threshold, "rate_hz": rate, "engine": args.engine,
              "dynsim": ours, "steps_per_s": args.steps / ours["rerun_s"],
              "cpu_ms_per_step": cpu_ms, "load_average": list(os.getloadavg())}
    if theirs is not None:
        same = (theirs["spikes_i"] == ours["spikes_i"] and theirs["spikes_t"] == ours["spikes_t"])
        their_s = theirs["rerun_s"] if theirs["rerun_s"] is not None else theirs["first_run_s"]
        print(f"brian2-loihi (numpy): first run {theirs['first_run_s']:.3f} s, "
              + (f"re-run {theirs['rerun_s'] * 1000:.1f} ms" if theirs["rerun_s"] is not None
                 else "no re-run")
              + f" = {args.steps / their_s:.0f} steps/s")
        print(f"speed-up (re-run): {their_s / ours['rerun_s']:.1f}x; first run: "
              f"{theirs['first_run_s'] / ours['first_run_s']:.1f}x; identical spikes: {same}; "
              f"brian2-loihi peak RSS {theirs['peak_rss_mb']:.0f} MB")
        their_cpu = (theirs["rerun_cpu_s"] if theirs["rerun_cpu_s"] is not None
                     else theirs["first_run_cpu_s"])
        print(f"process CPU per step: brian2-loihi {their_cpu / args.steps * 1000:.3f} ms, "
              f"dynsim {cpu_ms:.4f} ms: {their_cpu / ours['rerun_cpu_s']:.1f}x")
        result.update(brian2_loihi=theirs, identical=same, speedup=their_s / ours["rerun_s"],
                      brian2_loihi_steps_per_s=args.steps / their_s,
                      brian2_loihi_cpu_ms_per_step=their_cpu / args.steps * 1000,
                      speedup_cpu=their_cpu / ours["rerun_cpu_s"])
    return result


if __name__ == "__main__":
    main()
