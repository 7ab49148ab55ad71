"""Execution time and peak memory of the exercise notebooks (solution copies, papermill).

Each notebook runs in its own papermill process with its default parameters, in a temporary
working directory (executed copies are thrown away). The engine is chosen as a student or CI
would: ``--engine numpy`` sets ``DYNSIM_ENGINE=numpy`` (what CI uses); ``--engine auto`` leaves
it unset (the student default: Cython for simulations, the standalone engine for benches).

While a notebook runs, the kernel's process tree (the kernel, its Dask worker processes,
compilers, standalone programs and any kernels it starts itself) is polled with psutil every
50 ms; the peak of its summed resident memory (RSS, the headline) is reported, the peak of its
summed proportional set size (PSS: a page shared by several processes of the tree, e.g. a
library mapped by each, counted once, divided among them), and the kernel process's own peak.
``--breakdown`` prints each process of the tree at the RSS peak (RSS, USS, PSS).

The JSON holds the reported (last) pass at its top level (``notebooks``, ``total_s``,
``count``, ``all_ok``: what ``benchmarks/run.py`` reads) and every pass: ``passes`` (each
pass's full result) and ``by_pass`` (one short entry per pass: ``pass``, ``compiling``,
``cython_modules_before``/``_after``, ``total_s`` and per notebook ``seconds``,
``peak_rss_mb``, ``peak_pss_mb``, ``peak_kernel_rss_mb``, ``ok``, ``load_average``), plus
``first_pass`` (= ``by_pass[0]``: the pass that compiles what the cache lacks, what a student
meets first on Binder). A pass is ``compiling`` when the shared Brian2 Cython cache gained
modules during it.

    python benchmarks/exercises.py --engine numpy --json out.json
    python benchmarks/exercises.py --engine auto --only 04 --json out.json
    python benchmarks/exercises.py --engine numpy --only 02 --passes 2 --breakdown
    python benchmarks/exercises.py --engine numpy --only 07 --cells   # where the time goes
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


def _role(proc: psutil.Process, root: psutil.Process, kernel_pid: int | None) -> str:
    """Name what a process of the tree is (kernel, Dask worker, papermill, compiler ...)."""
    try:
        command = proc.cmdline()  # read once: a process that ends meanwhile has none
        line = " ".join(command)
        parent = proc.ppid()
    except psutil.Error:
        return "gone"
    if "ipykernel" in line:
        return "kernel" if parent == root.pid else "nested kernel"
    if "papermill" in line:
        return "papermill"
    if "multiprocessing" in line and "resource_tracker" in line:
        return "resource tracker"
    if "forkserver" in line:
        return "forkserver"
    if "multiprocessing" in line or "distributed" in line:
        return "dask worker" if parent == kernel_pid else "dask process"
    name = Path(command[0]).name if command else ""
    return name or "process"


def _tree_memory(root: psutil.Process, detail: bool = False) -> dict:
    """Return the memory of every process under ``root`` (the papermill process).

    Everything under ``root`` is the kernel and what the kernel runs (Dask worker processes,
    compilers, standalone programs, kernels of nested papermill runs). Returns ``rss`` (summed
    resident bytes: pages shared by several processes counted in each), ``pss`` (summed
    proportional set size: a shared page counted once over the processes mapping it, what
    the tree really occupies), ``kernel`` (resident bytes of the kernel process alone) and,
    with ``detail``, ``processes``: one entry per process (pid, role, rss, uss, pss, command).
    """
    found = {"rss": 0, "pss": 0, "kernel": 0, "processes": []}
    try:
        children = root.children(recursive=True)
    except psutil.Error:
        return found
    kernel_pid = None
    for proc in children:
        with_cmd = None
        try:
            memory, parent = proc.memory_full_info(), proc.ppid()
            if parent == root.pid and "ipykernel" in " ".join(proc.cmdline()):
                kernel_pid = proc.pid
                found["kernel"] = max(found["kernel"], memory.rss)
            if detail:
                with_cmd = " ".join(proc.cmdline())[:160]
        except psutil.Error:
            continue
        found["rss"] += memory.rss
        found["pss"] += memory.pss
        if detail:
            found["processes"].append({"pid": proc.pid, "ppid": parent, "rss": memory.rss,
                                       "uss": memory.uss, "pss": memory.pss,
                                       "command": with_cmd, "proc": proc})
    for entry in found["processes"]:
        entry["role"] = _role(entry.pop("proc"), root, kernel_pid)
    return found


def _breakdown_mb(processes: list[dict]) -> list[dict]:
    """Return a process list in MB, largest resident first."""
    return [{"pid": p["pid"], "ppid": p["ppid"], "role": p["role"],
             "rss_mb": p["rss"] / 2**20, "uss_mb": p["uss"] / 2**20,
             "pss_mb": p["pss"] / 2**20, "command": p["command"]}
            for p in sorted(processes, key=lambda p: -p["rss"])]


#: Cells reported per notebook (``slowest_cells``: papermill's duration of each cell).
SLOWEST_CELLS = 6


def _first_line(cell: dict) -> str:
    """Return the first line of a cell's source that is not a comment or an nbval marker."""
    source = cell.get("source", "")
    lines = ("".join(source) if isinstance(source, list) else source).splitlines()
    code = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return (code or [""])[0][:70]


def run_notebook(path: Path, engine: str, timeout: int = 1800, poll_s: float = 0.05,
                 parameters: dict | None = None, breakdown: bool = False) -> dict:
    """Execute one notebook with papermill in a child process; return time, memory, status.

    ``parameters`` overrides the notebook's defaults (``-p name value``). The memory is the
    peak over the run of the kernel tree's summed RSS (the headline) and of its summed PSS
    (shared pages counted once); ``breakdown`` also returns the tree's processes at the
    moment of the RSS peak (``peak_processes``: role, RSS, USS, PSS of each).
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
        peak_tree, peak_pss, peak_kernel, peak_processes = 0, 0, 0, []
        while proc.poll() is None:
            found = _tree_memory(watcher, detail=breakdown)
            if found["rss"] > peak_tree:
                peak_processes = found["processes"]
            peak_tree = max(peak_tree, found["rss"])
            peak_pss = max(peak_pss, found["pss"])
            peak_kernel = max(peak_kernel, found["kernel"])
            time.sleep(poll_s)
        seconds = time.perf_counter() - start
        log = proc.stdout.read() if proc.stdout else ""
        cells, slowest = 0.0, []
        if out.exists():
            nb = json.loads(out.read_text())
            timed = [(c.get("metadata", {}).get("papermill", {}).get("duration") or 0.0,
                      index, _first_line(c)) for index, c in enumerate(nb["cells"])]
            cells = sum(t for t, _, _ in timed)
            slowest = [{"cell": index, "seconds": t, "source": line}
                       for t, index, line in sorted(timed, reverse=True)[:SLOWEST_CELLS]]
    ok = proc.returncode == 0
    result = {"notebook": path.name, "engine": engine, "ok": ok, "seconds": seconds,
              "cells_s": cells, "peak_rss_mb": peak_tree / 2**20,
              "peak_pss_mb": peak_pss / 2**20, "peak_kernel_rss_mb": peak_kernel / 2**20,
              "load_average": [round(x, 2) for x in os.getloadavg()],
              "slowest_cells": slowest,
              "error": None if ok else log.strip().splitlines()[-1:] or ["failed"]}
    if breakdown:
        result["peak_processes"] = _breakdown_mb(peak_processes)
    return result


def run_all(paths: list[Path], engine: str, say=print, parameters: dict | None = None,
            breakdown: bool = False, cells: bool = False) -> dict:
    """Run ``paths`` one after the other; return per-notebook results and the total."""
    results = []
    for number, path in enumerate(paths, 1):
        say(f"  {number}/{len(paths)} {path.name} (engine {engine}) ...")
        result = run_notebook(path, engine, parameters=parameters, breakdown=breakdown)
        results.append(result)
        say(f"  {number}/{len(paths)} {path.name}: {'ok' if result['ok'] else 'FAILED'} in "
            f"{result['seconds']:.1f} s, peak {result['peak_rss_mb']:.0f} MB RSS "
            f"({result['peak_pss_mb']:.0f} MB PSS), load {result['load_average'][0]:.1f}")
        for entry in result["slowest_cells"] if cells else []:
            say(f"      cell {entry['cell']:3d} {entry['seconds']:6.1f} s  {entry['source']}")
        for entry in result.get("peak_processes", []):
            say(f"      {entry['role']:16s} pid {entry['pid']:>7} RSS {entry['rss_mb']:6.0f}  "
                f"USS {entry['uss_mb']:6.0f}  PSS {entry['pss_mb']:6.0f} MB  "
                f"{entry['command'][:70]}")
    return {"engine": engine, "notebooks": results, "parameters": parameters or "defaults",
            "total_s": sum(r["seconds"] for r in results),
            "all_ok": all(r["ok"] for r in results), "count": len(results)}


#: What :func:`pass_summary` keeps of each notebook's result.
SUMMARY_KEYS = ("seconds", "peak_rss_mb", "peak_pss_mb", "peak_kernel_rss_mb", "ok",
                "load_average")


def cython_modules() -> int:
    """Return the number of compiled modules in the Brian2 Cython cache the kernels share."""
    from dynsim._paths import cython_cache_dir

    return sum(1 for item in cython_cache_dir().iterdir()
               if item.suffix in (".so", ".pyd") and not item.is_symlink())


def pass_summary(number: int, result: dict, before: int, after: int) -> dict:
    """Return the short entry of one pass: its time and each notebook's peak and time."""
    return {"pass": number, "compiling": after > before, "cython_modules_before": before,
            "cython_modules_after": after, "total_s": result["total_s"],
            "all_ok": result["all_ok"],
            "notebooks": {nb["notebook"]: {key: nb.get(key) for key in SUMMARY_KEYS}
                          for nb in result["notebooks"]}}


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
    parser.add_argument("--breakdown", action="store_true",
                        help="also print every process of the kernel's tree at the RSS peak "
                             "(role, RSS, USS, PSS)")
    parser.add_argument("--cells", action="store_true",
                        help=f"also print the {SLOWEST_CELLS} slowest cells of each notebook "
                             "(papermill's duration, first line of code)")
    parser.add_argument("--json", help="write the result to this file")
    args = parser.parse_args(argv)
    paths = notebooks(args.only)
    parameters = None
    if args.short:
        parameters = {"duration": 0.05, "seed": 1}
        if args.engine != "auto":
            parameters["engine"] = args.engine
    passes, by_pass = [], []
    for number in range(args.passes):
        print(f"pass {number + 1}/{args.passes}: {len(paths)} notebooks", flush=True)
        before = cython_modules()
        passes.append(run_all(paths, args.engine, say=lambda line: print(line, flush=True),
                              parameters=parameters, breakdown=args.breakdown,
                              cells=args.cells))
        by_pass.append(pass_summary(number + 1, passes[-1], before, cython_modules()))
        print(f"pass {number + 1}: {by_pass[-1]['cython_modules_after'] - before} Cython "
              "modules compiled", flush=True)
    result = {**passes[-1], "passes": passes, "by_pass": by_pass, "first_pass": by_pass[0]}
    print(f"{result['count']} notebooks in {result['total_s']:.1f} s (engine {args.engine})")
    return finish(result, args.json)


if __name__ == "__main__":
    main(sys.argv[1:])
