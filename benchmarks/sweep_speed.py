"""Speed of dynsim.sweep: a 64-point F-I sweep on a 2-worker LocalCluster against serial runs.

Measured in one invocation, on the same points (``IF_DC_P`` over 64 levels, one neuron,
adaptation off, seeded):

* ``serial_s``: the 64 points one after another in this process (``cluster="serial"``), after
  one warm-up point (the Cython modules are compiled and cached first);
* ``cluster_start_s`` and ``first_point_cold_s``: starting the LocalCluster (2 worker
  processes), then the first point on it (the workers import Brian2 and load the compiled
  modules: what a student waits for the first point);
* ``parallel_s``: the 64 points on the warm cluster; ``speedup`` = serial / parallel;
* ``overhead_per_point_s``: (parallel wall time × workers − the points' own time inside the
  function) / points: scheduling, pickling, result transfer, the results table;
* ``noop_overhead_per_point_s``: the same for 64 points of a function that does nothing.

Run::

    .venv/bin/python benchmarks/sweep_speed.py              # 64 points, Cython, 0.5 s each
    .venv/bin/python benchmarks/sweep_speed.py --quick      # 8 points, numpy, 0.05 s
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np


def noop(x: int) -> dict:
    """A point that does nothing (measures the sweep's own cost)."""
    return {"x": x}


def main() -> int:
    """Run the measurement; write the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=64)
    parser.add_argument("--duration", type=float, default=0.5)
    parser.add_argument("--engine", default="cython")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if args.quick:
        args.points, args.duration, args.engine = 8, 0.05, "numpy"

    from dynsim.dynapse import nearest_coarse_fine
    from dynsim.sweep import ExperimentPoint, connect, sweep

    point = ExperimentPoint(duration=args.duration, engine=args.engine,
                            biases={"IF_AHW_P": (0, 0)}, name="bench_fi")
    levels = sorted({nearest_coarse_fine(float(i), "IF_DC_P")
                     for i in np.geomspace(0.2e-9, 20e-9, 4 * args.points)})
    grid = {"IF_DC_P": levels[::max(1, len(levels) // args.points)][:args.points]}
    n = len(grid["IF_DC_P"])
    print(f"{n} points, {args.duration} s each, engine {args.engine}, {args.workers} workers",
          flush=True)

    sweep(point, {"IF_DC_P": grid["IF_DC_P"][:1]}, seeds=[1], cluster="serial", progress=False)
    start = time.perf_counter()
    serial = sweep(point, grid, seeds=[1], cluster="serial", progress=False)
    serial_s = time.perf_counter() - start
    print(f"serial: {serial_s:.2f} s", flush=True)

    start = time.perf_counter()
    with connect(n_workers=args.workers) as client:
        client.wait_for_workers(args.workers, timeout=300)
        cluster_start_s = time.perf_counter() - start
        start = time.perf_counter()
        sweep(point, {"IF_DC_P": grid["IF_DC_P"][:1]}, seeds=[1], cluster=client,
              progress=False)
        first_point_cold_s = time.perf_counter() - start
        print(f"cluster start {cluster_start_s:.2f} s, first point {first_point_cold_s:.2f} s",
              flush=True)
        sweep(point, {"IF_DC_P": grid["IF_DC_P"][:2 * args.workers]}, seeds=[2],
              cluster=client, progress=False)  # every worker warm
        start = time.perf_counter()
        parallel = sweep(point, grid, seeds=[1], cluster=client, progress=False)
        parallel_s = time.perf_counter() - start
        start = time.perf_counter()
        noops = sweep(noop, {"x": list(range(n))}, cluster=client, progress=False)
        noop_s = time.perf_counter() - start
    same = parallel["spikes"].tolist() == serial["spikes"].tolist()
    inside = float(parallel["seconds"].sum())
    result = {
        "points": n, "duration_s": args.duration, "engine": args.engine,
        "workers": args.workers, "serial_s": serial_s, "parallel_s": parallel_s,
        "speedup": serial_s / parallel_s, "cluster_start_s": cluster_start_s,
        "first_point_cold_s": first_point_cold_s,
        "point_mean_s": inside / n,
        "overhead_per_point_s": (parallel_s * args.workers - inside) / n,
        "noop_overhead_per_point_s": (noop_s * args.workers
                                      - float(noops["seconds"].sum())) / n,
        "same_results": same, "all_ok": bool((parallel["status"] == "ok").all()),
        "load_average": list(os.getloadavg()),
    }
    print(json.dumps(result, indent=1), flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(result, handle)
    return 0 if same and result["all_ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
