"""Time and memory of a cold compile: new Cython modules compiled in child processes or not.

Each run is a fresh Python process with an empty cache of its own (``DYNSIM_CACHE_DIR``, a
temporary folder) that builds ``Experiment(1, engine="cython", record=())`` and runs it for
10 ms: Brian2 compiles the Experiment's Cython modules. ``DYNSIM_COMPILE_IN_CHILD`` is ``1``
(two short-lived children per module: Cython, then the C++ compiler) or ``0`` (in the process,
as Brian2 does); the two alternate, so a change of the machine's load meets both. Reported per
run: wall seconds, CPU seconds of the process and of its children (``getrusage``), the
process's peak RSS, the modules compiled and the load average (``benchmarks/levers.md``, "The
first, compiling run of an exercise (2)").

    python benchmarks/cold_compile.py            # 2 runs of each
    python benchmarks/cold_compile.py --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

#: One run, in a fresh process: build and run an Experiment on an empty cache; print JSON.
_RUN = """\
import json, os, resource, sys, time
from brian2 import ms
from dynsim.dynapse.experiment import Experiment
start = time.perf_counter()
Experiment(1, engine="cython", record=()).run(10 * ms)
wall = time.perf_counter() - start
own = resource.getrusage(resource.RUSAGE_SELF)
children = resource.getrusage(resource.RUSAGE_CHILDREN)
folder = os.path.join(os.environ["DYNSIM_CACHE_DIR"], "brian2-cython")
print(json.dumps({"wall_s": wall, "cpu_s": own.ru_utime + own.ru_stime,
                  "children_cpu_s": children.ru_utime + children.ru_stime,
                  "peak_rss_mb": own.ru_maxrss / 1024,
                  "modules": sum(name.endswith((".so", ".pyd")) for name in os.listdir(folder)),
                  "load_average": os.getloadavg()[0]}))
"""


def run_once(in_child: bool) -> dict:
    """Time one cold Experiment in a fresh process with an empty cache."""
    with tempfile.TemporaryDirectory(prefix="dynsim-cold-compile-") as cache:
        env = {**os.environ, "DYNSIM_CACHE_DIR": cache,
               "DYNSIM_COMPILE_IN_CHILD": "1" if in_child else "0"}
        done = subprocess.run([sys.executable, "-c", _RUN], env=env, capture_output=True,
                              text=True, check=True, cwd=cache)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, choices=range(1, 11), metavar="1..10",
                        help="runs of each way (default 2)")
    args = parser.parse_args(argv)
    print("| where | wall s | CPU s (process) | CPU s (children) | peak RSS MB | modules | load |")
    print("|---|---|---|---|---|---|---|")
    for _ in range(args.runs):
        for in_child in (True, False):
            r = run_once(in_child)
            where = "two children per module" if in_child else "in the process"
            print(f"| {where} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['children_cpu_s']:.1f} "
                  f"| {r['peak_rss_mb']:.0f} | {r['modules']} | {r['load_average']:.1f} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
