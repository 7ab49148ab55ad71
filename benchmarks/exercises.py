"""Execution time and peak memory of the exercise notebooks (solution copies, papermill).

Each notebook runs in its own papermill process with its default parameters, in a temporary
working directory (executed copies are thrown away). The engine is chosen as a student or CI
would: ``--engine numpy`` sets ``DYNSIM_ENGINE=numpy`` (what CI uses); ``--engine auto`` leaves
it unset (the student default: Cython for simulations, the standalone engine for benches).

While a notebook runs, the kernel's process tree (the kernel, its compilers, standalone
programs and any kernels it starts itself) is polled with psutil every 50 ms; the peak of
its summed resident memory is reported, and the kernel process's own peak.

    python benchmarks/exercises.py --engine numpy --json out.json
    python benchmarks/exercises.py --engine auto --only 04 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from _script import finish

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "exercises" / "solutions"


def notebooks(only: list[str] | None = None, folder: Path = SOLUTIONS) -> list[Path]:
    """Return the solution notebooks (``NN_*.ipynb``), those whose name contains ``only``."""
    found = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    return [p for p in found if not only or any(o in p.name for o in only)]


def _tree_rss(root: psutil.Process) -> tuple[int, int]:
    """Return (summed resident bytes of every process under ``root``, of the kernel alone).

    ``root`` is the papermill process: everything under it is the kernel and what the kernel
    runs (compilers, standalone programs, kernels of nested papermill runs).
    """
    total, kernel = 0, 0
    try:
        children = root.children(recursive=True)
    except psutil.Error:
        return 0, 0
    for proc in children:
        try:
            rss = proc.memory_info().rss
            if proc.ppid() == root.pid and "ipykernel" in " ".join(proc.cmdline()):
                kernel = max(kernel, rss)
        except psutil.Error:
            continue
        total += rss
    return total, kernel


def run_notebook(path: Path, engine: str, timeout: int = 1800, poll_s: float = 0.05,
                 parameters: dict | None = None) -> dict:
    """Execute one notebook with papermill in a child process; return time, memory, status.

    ``parameters`` overrides the notebook's defaults (``-p name value``).
    """
    env = dict(os.environ)
    if engine == "auto":
        env.pop("DYNSIM_ENGINE", None)
    else:
        env["DYNSIM_ENGINE"] = engine
    with tempfile.TemporaryDirectory(prefix="dynsim-exercise-") as tmp:
        out = Path(tmp) / path.name
        cmd = [sys.executable, "-m", "papermill", str(path), str(out), "--cwd", tmp,
               "--no-progress-bar", "--kernel", "python3", "--execution-timeout", str(timeout)]
        for name, value in (parameters or {}).items():
            cmd += ["-p", name, str(value)]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=tmp, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        watcher = psutil.Process(proc.pid)
        peak_tree, peak_kernel = 0, 0
        while proc.poll() is None:
            tree, kernel = _tree_rss(watcher)
            peak_tree, peak_kernel = max(peak_tree, tree), max(peak_kernel, kernel)
            time.sleep(poll_s)
        seconds = time.perf_counter() - start
        log = proc.stdout.read() if proc.stdout else ""
        cells = 0.0
        if out.exists():
            nb = json.loads(out.read_text())
            cells = sum(c.get("metadata", {}).get("papermill", {}).get("duration") or 0.0
                        for c in nb["cells"])
    ok = proc.returncode == 0
    return {"notebook": path.name, "engine": engine, "ok": ok, "seconds": seconds,
            "cells_s": cells, "peak_rss_mb": peak_tree / 2**20,
            "peak_kernel_rss_mb": peak_kernel / 2**20,
            "error": None if ok else log.strip().splitlines()[-1:] or ["failed"]}


def run_all(paths: list[Path], engine: str, say=print, parameters: dict | None = None) -> dict:
    """Run ``paths`` one after the other; return per-notebook results and the total."""
    results = []
    for number, path in enumerate(paths, 1):
        say(f"  {number}/{len(paths)} {path.name} (engine {engine}) ...")
        result = run_notebook(path, engine, parameters=parameters)
        results.append(result)
        say(f"  {number}/{len(paths)} {path.name}: {'ok' if result['ok'] else 'FAILED'} in "
            f"{result['seconds']:.1f} s, peak {result['peak_rss_mb']:.0f} MB")
    return {"engine": engine, "notebooks": results, "parameters": parameters or "defaults",
            "total_s": sum(r["seconds"] for r in results),
            "all_ok": all(r["ok"] for r in results), "count": len(results)}


def main(argv: list[str] | None = None) -> dict:
    """Command line: run the notebooks, print, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="numpy", choices=["numpy", "auto", "cython"])
    parser.add_argument("--only", action="append", help="part of a notebook name (repeatable)")
    parser.add_argument("--passes", type=int, default=1,
                        help="run everything this many times; the last pass is reported "
                             "(2: the first pass warms the cache)")
    parser.add_argument("--short", action="store_true",
                        help="short parameters (duration 0.05 s, as binder/warm_cache.py)")
    parser.add_argument("--json", help="write the result to this file")
    args = parser.parse_args(argv)
    paths = notebooks(args.only)
    parameters = None
    if args.short:
        parameters = {"duration": 0.05, "seed": 1}
        if args.engine != "auto":
            parameters["engine"] = args.engine
    passes = []
    for number in range(args.passes):
        print(f"pass {number + 1}/{args.passes}: {len(paths)} notebooks", flush=True)
        passes.append(run_all(paths, args.engine, say=lambda line: print(line, flush=True),
                              parameters=parameters))
    result = {**passes[-1], "passes": passes}
    print(f"{result['count']} notebooks in {result['total_s']:.1f} s (engine {args.engine})")
    return finish(result, args.json)


if __name__ == "__main__":
    main(sys.argv[1:])
