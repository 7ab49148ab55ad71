#!/usr/bin/env python3
"""The benchmark suite: run every measurement, write benchmarks/RESULTS.md and results.json.

    python3 tasks.py bench                      # the full suite (about 20-30 minutes)
    python3 tasks.py bench --quick              # a smoke run of every section (< ~60 s)
    python3 tasks.py bench --only loihi         # one section (repeatable, or a,b); the others
                                                # keep their numbers from the earlier run
    .venv/bin/python benchmarks/run.py --quick --output /tmp/bench   # results elsewhere

Sections (each measurement runs in fresh child processes of this interpreter, so Brian2's
global state, caches and kernels never leak from one to the next):

``dynapse``
    wall time per simulated second and real-time factor of one DYNAP-SE1 chip (1024 neurons,
    64 inputs each, 10 Hz Poisson) and of the 4-chip board, Cython, warm (after a first run);
    build and compile time (the chip once more on an empty temporary cache); the board and one
    chip as a working network (``--active``: inputs at 15 Hz, output 5-20 Hz); one chip at
    dt = 20 us (the dynapse-simulator's time step, to compare like with like); the board at
    dt = 0.2 ms (a lever) with its accuracy cost; the numpy engine as an in-run anchor.
``loihi``
    steps per second of dynsim (Cython, warm re-runs) against brian2-loihi 0.5.2 (numpy, a
    child process of the same environment) for 1,000 and 10,000 neurons (10 % recurrent,
    Poisson drive), at two activity levels each, with a bit-exactness check of every run.
``interactive``
    slider -> new plot data, p50/p95, on exercise 1's bench (its default standalone engine,
    and the Cython and numpy runtime engines as anchors); fresh kernel -> first plot data,
    cold (empty temporary cache) and warm (second kernel, same cache); the same in JupyterLab
    in Chromium, to the traces drawn on the page (``first_plot_browser.py``).
``exercises``
    execution time of each solution notebook and of all together (papermill, default
    parameters): engine numpy (as CI) and the student default 'auto' (a first pass warms the
    cache, the second is reported); peak memory of each kernel's process tree.
``sweep``
    dynsim.sweep: a 64-point F-I sweep (Cython, 0.5 s per point) on a 2-worker LocalCluster
    against the same points one after another in one process; cluster start and first point
    on a cold cluster; the sweep's own overhead per point once the workers are warm.
``memory``
    peak RSS of a kernel running exercise 4 (taken from the exercises section when it ran in
    the same invocation, else measured).

Progress is printed as it goes (section, what runs, elapsed time). Targets are goals, tracked
in the table and never asserted. ``--quick`` shrinks every section (numpy engine, short runs,
smaller networks, one notebook with short parameters) for the CI smoke test
(``tests/test_benchmarks.py``); its numbers are not comparable with a full run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SECTIONS = ("dynapse", "loihi", "interactive", "exercises", "memory", "sweep")
LIBRARIES = ("brian2", "numpy", "cython", "bokeh", "jupyterlab", "ipywidgets", "brian2-loihi",
             "jupyter_bokeh", "ipykernel", "papermill", "sympy", "psutil")
#: Hand-written notes on the levers, appended to RESULTS.md.
LEVERS = HERE / "levers.md"


# --------------------------------------------------------------------------- the run
@dataclass
class Run:
    """State of one benchmark invocation: options, clock, results so far."""

    quick: bool
    output: Path
    started: float = field(default_factory=time.perf_counter)
    sections: dict = field(default_factory=dict)

    def say(self, msg: str) -> None:
        """Print a progress line with the elapsed time."""
        elapsed = time.perf_counter() - self.started
        print(f"[bench {int(elapsed // 60):02d}:{elapsed % 60:04.1f}] {msg}", flush=True)

    def child(self, script: str, args: list[str], label: str, env: dict | None = None,
              timeout: float = 3600) -> dict:
        """Run ``benchmarks/<script> args --json <tmp>`` in a fresh process; return its JSON.

        The child's output is echoed, indented. A failure is reported as
        ``{"error": ...}`` (the suite goes on).
        """
        self.say(f"{label} ...")
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="dynsim-bench-") as tmp:
            out = Path(tmp) / "result.json"
            cmd = [sys.executable, str(HERE / script), *args, "--json", str(out)]
            proc = subprocess.Popen(cmd, cwd=tmp, env=env or dict(os.environ), text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            tail: list[str] = []
            try:
                assert proc.stdout is not None
                for line in proc.stdout:
                    line = line.rstrip()
                    if line and "Kernel is running over TCP" not in line:
                        print(f"      {line}", flush=True)
                        tail = [*tail[-9:], line]
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                tail.append(f"timed out after {timeout:.0f} s")
            seconds = time.perf_counter() - start
            if proc.returncode != 0 or not out.exists():
                self.say(f"{label}: FAILED after {seconds:.1f} s")
                return {"error": "\n".join(tail[-5:]) or f"exit status {proc.returncode}"}
            self.say(f"{label}: done in {seconds:.1f} s")
            result = json.loads(out.read_text())
            result["_wall_s"] = seconds
            return result


def row(name: str, value: float | None, unit: str, target: str = "", met: bool | None = None,
        anchor: float | None = None, anchor_label: str = "", ratio: float | None = None,
        note: str = "") -> dict:
    """One line of a results table (``met`` None: no target; ``ratio``: ours vs anchor)."""
    return {"name": name, "value": value, "unit": unit, "target": target, "met": met,
            "anchor": anchor, "anchor_label": anchor_label, "ratio": ratio, "note": note}


def _ok(result: dict) -> bool:
    return "error" not in result


def _get(result: dict, *keys: str) -> float | None:
    value = result
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value if isinstance(value, int | float) else None


def _env(**changes: str | None) -> dict:
    """This process's environment with changes (``None`` removes a variable)."""
    env = dict(os.environ)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


# --------------------------------------------------------------------------- DYNAP-SE
def _profile_note(profile: dict) -> str:
    """Where a simulated second goes (from the profiled run), for the notes column."""
    if not profile:
        return ""
    return (f"; profiled run: state update {profile['codeobject_neurons_stateupdater_s']:.2f} s, "
            f"synapses {profile['codeobject_inputs_pre_s']:.2f} s, Python per-step overhead "
            f"{profile['python_overhead_s']:.2f} s, stimulus {profile['stimulus_s']:.2f} s")


def section_dynapse(run: Run) -> dict:
    """One chip and the board: real-time factor, build and compile time, levers."""
    engine = "numpy" if run.quick else "cython"
    length = "0.02" if run.quick else "1"
    repeats = "1" if run.quick else "5"
    details: dict = {}
    chip = details["chip"] = run.child(
        "dynapse_chip.py", [length, engine, "--repeats", repeats, "--profile"],
        f"dynapse: one chip, {engine}, {length} s runs (first run, then warm runs)")
    board = details["board"] = run.child(
        "dynapse_chip.py", [length, engine, "--chips", "4", "--repeats", repeats, "--profile"],
        f"dynapse: 4-chip board, {engine}, {length} s runs")
    if not run.quick:  # (quick: numpy everywhere, nothing compiles, no lever to compare)
        details["board_active"] = run.child(
            "dynapse_chip.py", [length, engine, "--chips", "4", "--active", "--repeats", repeats,
                                "--profile"], "dynapse: 4-chip board, a working network")
        details["chip_active"] = run.child(
            "dynapse_chip.py", [length, engine, "--active", "--repeats", repeats],
            "dynapse: one chip, a working network")
        details["chip_dt0.02"] = run.child(
            "dynapse_chip.py", [length, engine, "--dt-ms", "0.02", "--repeats", "2"],
            "dynapse: one chip at dt 20 us (the dynapse-simulator's time step)")
        details["board_dt0.2"] = run.child(
            "dynapse_chip.py", [length, engine, "--chips", "4", "--dt-ms", "0.2",
                                "--repeats", repeats], "dynapse: board at dt 0.2 ms (lever)")
        with tempfile.TemporaryDirectory(prefix="dynsim-cold-cache-") as cold:
            details["chip_cold_cache"] = run.child(
                "dynapse_chip.py", [length, engine, "--repeats", "1"],
                "dynapse: one chip on an empty cache (compile time)",
                env=_env(DYNSIM_CACHE_DIR=cold))
        details["chip_numpy"] = run.child(
            "dynapse_chip.py", ["0.2", "numpy", "--repeats", "1"],
            "dynapse: one chip on the numpy engine (in-run anchor)")
        details["dt_accuracy"] = run.child(
            "dynapse_chip.py", ["1", engine, "--dt-accuracy"],
            "dynapse: firing-rate error against dt")
        # the lever for long runs: the model compiled into one C++ program (OpenMP threads)
        for key, args, what in (
                ("chip_standalone", [], "one chip"),
                ("chip_active_standalone", ["--active"], "one chip, a working network"),
                ("board_standalone", ["--chips", "4"], "4-chip board"),
                ("board_active_standalone", ["--chips", "4", "--active"],
                 "4-chip board, a working network")):
            details[key] = run.child(
                "dynapse_chip.py", [length, "standalone", *args, "--repeats", repeats],
                f"dynapse: {what}, engine standalone (compiled program)")
    board2 = details.get("board_dt0.2", {"error": "skipped (quick)"})
    cold_chip = details.get("chip_cold_cache", {})
    numpy_chip = details.get("chip_numpy", {})
    accuracy = details.get("dt_accuracy", {})

    rows = []
    numpy_wall = _get(numpy_chip, "wall_per_sim_s")
    skipped = {"error": "skipped (quick)"}
    compiled = "compiled program (engine standalone)"
    for label, result, target in (
            ("one chip (1024 neurons)", chip, 3.0),
            ("4-chip board (4096 neurons)", board, 1.0),
            ("4-chip board, a working network", details.get("board_active", skipped), 1.0),
            ("one chip, a working network", details.get("chip_active", skipped), None),
            ("one chip, dt 20 us (the seed's time step)", details.get("chip_dt0.02", skipped),
             None),
            ("board, dt 0.2 ms (lever)", board2, None),
            (f"one chip, {compiled}", details.get("chip_standalone", skipped), 3.0),
            (f"one chip, a working network, {compiled}",
             details.get("chip_active_standalone", skipped), 3.0),
            (f"4-chip board, {compiled}", details.get("board_standalone", skipped), 1.0),
            (f"4-chip board, a working network, {compiled}",
             details.get("board_active_standalone", skipped), 1.0)):
        if run.quick and result.get("error") == skipped["error"]:
            continue
        row_engine = result.get("engine", engine) if _ok(result) else engine
        threads = f", {result['threads']} OpenMP threads" if _ok(result) and \
            "threads" in result else ""
        rtf = _get(result, "real_time_factor")
        wall = _get(result, "wall_per_sim_s")
        anchor, anchor_label, ratio = None, "", None
        if label.startswith("one chip") and numpy_wall and wall:
            anchor, anchor_label = numpy_wall, "dynsim's numpy engine, same run"
            ratio = numpy_wall / wall
        split = _profile_note(result.get("profile", {}) if _ok(result) else {})
        rows.append(row(f"{label}: wall time per simulated s ({row_engine}, warm)", wall, "s",
                        anchor=anchor, anchor_label=anchor_label, ratio=ratio,
                        note=f"best of {repeats} warm runs of {length} s (process CPU time "
                             f"{_get(result, 'warm_cpu_s') or float('nan'):.2f} s{threads})"
                             f"{split}"))
        rows.append(row(f"{label}: real-time factor", rtf, "x real time",
                        "" if target is None else f">= {target:g}x",
                        None if rtf is None or target is None else rtf >= target,
                        note=f"{_get(result, 'rate_out_hz') or 0:.1f} Hz mean output rate, "
                             f"inputs {_get(result, 'rate_in_hz') or 10:g} Hz, dt "
                             f"{_get(result, 'dt_ms') or 0.1:g} ms"))
    rows.append(row("one chip: build (configuration + Brian2 objects)",
                    _get(chip, "build_s"), "s"))
    rows.append(row("board: build (configuration + Brian2 objects)", _get(board, "build_s"), "s"))
    cold_first, warm_first = _get(cold_chip, "first_run_s"), _get(chip, "first_run_s")
    if not run.quick:
        rows.append(row("one chip: first run, empty cache (code generation + compilation)",
                        cold_first, "s", note=f"the section's first chip run, in the user's "
                        f"cache as it was (warm after earlier runs; empty on a new machine, "
                        f"where it compiles too): {warm_first or float('nan'):.2f} s"))
    errors = accuracy.get("max_rel_error") if _ok(accuracy) else None
    if errors:
        dts = accuracy["dt_ms"]
        for dt_ms, err in zip(dts, errors, strict=True):
            if dt_ms in (0.1, 0.2):
                target = "<= 1.5 %" if dt_ms == 0.1 else ""  # issue 15: accuracy must not move
                rows.append(row(f"firing-rate error at dt {dt_ms:g} ms vs {dts[0]:g} ms", 100 * err,
                                "%", target, 100 * err <= 1.5 if target else None,
                                note="DC-driven neurons, 18-135 Hz"))
    rows.append(row("reference: dynapse-simulator (the seed), full chip", 100.0,
                    "s per simulated s", anchor_label="not on PyPI: not run here",
                    note="numpy, dt 20 us, every neuron simulated (shared/reference notes)"))
    return {"rows": rows, "details": details}


# --------------------------------------------------------------------------- Loihi
def section_loihi(run: Run) -> dict:
    """dynsim vs brian2-loihi: steps/s, ratio, bit-exactness, two sizes x two activities."""
    engine = "numpy" if run.quick else "cython"
    steps = "100" if run.quick else "1000"
    sizes = ((1000, (8000,)), (2000, (8000,))) if run.quick else \
        ((1000, (8000, 3000)), (10000, (50000, 8000)))
    details: dict = {}
    rows = []
    for neurons, thresholds in sizes:
        for threshold in thresholds:
            key = f"{neurons}n_th{threshold}"
            repeats = "1" if neurons >= 10000 or run.quick else "2"
            result = details[key] = run.child(
                "loihi_speed.py", ["--neurons", str(neurons), "--steps", steps, "--engine",
                                   engine, "--threshold", str(threshold),
                                   "--brian2-loihi-repeats", repeats],
                f"loihi: {neurons} neurons, threshold {threshold}, {steps} steps")
            ours = _get(result, "steps_per_s")
            theirs = _get(result, "brian2_loihi_steps_per_s")
            ratio = _get(result, "speedup")
            rate = _get(result, "rate_hz")
            identical = result.get("identical")
            goal = 20 if neurons == 1000 else 10  # issue 15
            rows.append(row(
                f"{neurons} neurons, {rate or 0:.0f} Hz/neuron: dynsim steps/s ({engine})", ours,
                "steps/s", f">= {goal}x brian2-loihi",
                ratio >= goal if ratio is not None else None,
                theirs, "brian2-loihi 0.5.2 (numpy), same run", ratio,
                note=f"{int(_get(result, 'synapses') or 0):,} synapses; spikes identical: "
                     f"{identical}; process CPU per step {_get(result, 'cpu_ms_per_step') or 0:.4f}"
                     f" ms vs {_get(result, 'brian2_loihi_cpu_ms_per_step') or 0:.3f} ms "
                     f"({_get(result, 'speedup_cpu') or 0:.1f}x)"))
    rows.append(row("bit-exact (identical spike trains) in every run",
                    float(all(r.get("identical") is True for r in details.values())), "1 = yes",
                    "identical", all(r.get("identical") is True for r in details.values())))
    return {"rows": rows, "details": details}


# --------------------------------------------------------------------------- interactive
def section_interactive(run: Run) -> dict:
    """Slider latency on exercise 1's bench; fresh kernel to first plot, cold and warm."""
    details: dict = {}
    engines = ("numpy",) if run.quick else ("standalone", "cython", "numpy")
    changes = {"standalone": "30", "cython": "10", "numpy": "10"}
    for engine in engines:
        details[f"slider_{engine}"] = run.child(
            "interactive.py", ["slider", "--engine", engine, "--changes",
                               "3" if run.quick else changes[engine],
                               "--warmup", "1" if run.quick else "3"],
            f"interactive: slider -> new data, exercise 1's bench, {engine} engine")
    # the first plot as a student gets it (default engine), or numpy in quick mode
    kernel_env = _env(DYNSIM_ENGINE="numpy" if run.quick else None)
    with tempfile.TemporaryDirectory(prefix="dynsim-fresh-cache-") as cache:
        for state in ("cold", "warm"):
            details[f"first_plot_{state}"] = run.child(
                "interactive.py", ["first-plot", "--cache-dir", cache],
                f"interactive: fresh kernel -> first plot ({state} cache)", env=kernel_env)
    if not run.quick:  # (quick: the browser tests drive the same machinery)
        details["first_plot_browser"] = run.child(
            "first_plot_browser.py", [],
            "interactive: JupyterLab in Chromium, run all -> traces drawn (cold, then warm)",
            env=_env(DYNSIM_ENGINE=None))
    main_engine = engines[0]
    slider = details[f"slider_{main_engine}"]
    p50, p95 = _get(slider, "first_data_p50_ms"), _get(slider, "first_data_p95_ms")
    rows = []
    anchor = _get(details.get("slider_numpy", {}), "complete_p50_ms")
    rows.append(row(f"slider -> new plot data, p50 ({slider.get('engine', main_engine)})", p50,
                    "ms", "<= 100 ms", None if p50 is None else p50 <= 100,
                    anchor, "numpy runtime, complete run, same run",
                    None if not (anchor and p50) else anchor / p50,
                    note=f"p95 {p95 or float('nan'):.0f} ms"))
    for engine in engines[1:]:
        result = details[f"slider_{engine}"]
        rows.append(row(f"slider -> first new data, p50 ({engine} runtime, streams)",
                        _get(result, "first_data_p50_ms"), "ms",
                        note=f"complete run p50 {_get(result, 'complete_p50_ms') or 0:.0f} ms, "
                             f"p95 {_get(result, 'complete_p95_ms') or 0:.0f} ms"))
    cold, warm = details["first_plot_cold"], details["first_plot_warm"]
    for state, result in (("cold", cold), ("warm", warm)):
        total = _get(result, "total_s")
        parts = (f"the lab's kernel ready (it imports Brian2 and the benches while it starts) "
                 f"{_get(result, 'kernel_ready_s') or 0:.1f} s + imports "
                 f"{_get(result, 'import_s') or 0:.1f} s + bench {_get(result, 'build_s') or 0:.1f}"
                 f" s + data {_get(result, 'first_data_s') or 0:.1f} s; engine "
                 f"{result.get('engine')}")
        rows.append(row(f"fresh kernel -> first plot ({state} cache)", total, "s",
                        "<= 5 s" if state == "warm" else "",
                        (None if total is None else total <= 5) if state == "warm" else None,
                        note=parts))
    browser = details.get("first_plot_browser", {})
    for state, target in (("cold", 10.0), ("warm", 3.0)):
        if run.quick:
            break
        seen = browser.get(state, {}) if _ok(browser) else {}
        total = seen.get("first_plot_s")
        kernel = _get(details[f"first_plot_{state}"], "total_s")
        rows.append(row(f"first plot in Chromium, as the student sees it ({state} cache)", total,
                        "s", f"<= {target:g} s", None if total is None else total <= target,
                        note=f"run all in JupyterLab -> traces drawn (read from the pixels); "
                             f"before it, notebook opened -> the lab's kernel ready "
                             f"{seen.get('open_to_ready_s') or float('nan'):.1f} s; "
                             f"kernel alone {kernel or float('nan'):.1f} s (row above); load "
                             f"average {seen.get('load_average')}"
                             + ("" if _ok(browser) else f"; failed: {browser.get('error')}")))
    return {"rows": rows, "details": details}


# --------------------------------------------------------------------------- exercises
def section_exercises(run: Run) -> dict:
    """Papermill time of each solution notebook and of all together (numpy and auto)."""
    details: dict = {}
    args = ["--only", "04", "--short"] if run.quick else []
    details["numpy"] = run.child("exercises.py", ["--engine", "numpy", *args],
                                 "exercises: solution notebooks, engine numpy (as CI)")
    if not run.quick:
        details["auto"] = run.child(
            "exercises.py", ["--engine", "auto", "--passes", "2"],
            "exercises: solution notebooks, student default 'auto' (warm-up pass, then timed)")
    rows = []
    for engine, result in details.items():
        if not _ok(result):
            rows.append(row(f"all exercises ({engine})", None, "s", note=result["error"][:200]))
            continue
        for nb in result["notebooks"]:
            rows.append(row(f"{nb['notebook'][:2]} {nb['notebook'][3:-6]} ({engine})",
                            nb["seconds"], "s",
                            note=("ok" if nb["ok"] else f"FAILED: {nb['error']}")
                            + f"; cells {nb['cells_s']:.1f} s; peak {nb['peak_rss_mb']:.0f} MB"))
        total = result["total_s"]
        rows.append(row(f"all {result['count']} exercises together ({engine})", total, "s",
                        "< 300 s", total < 300 and result["all_ok"],
                        note="" if result["all_ok"] else "some notebooks failed"))
    return {"rows": rows, "details": details}


# --------------------------------------------------------------------------- sweep
def section_sweep(run: Run) -> dict:
    """dynsim.sweep on a 2-worker LocalCluster against serial runs in one process."""
    result = run.child("sweep_speed.py", ["--quick"] if run.quick else [],
                       "sweep: F-I sweep, 2-worker LocalCluster vs one process")
    details = {"fi": result}
    if not _ok(result):
        return {"rows": [row("64-point F-I sweep", None, "s", note=result["error"][:200])],
                "details": details}
    n, load = result["points"], result["load_average"]
    note = (f"{n} points x {result['duration_s']} s, engine {result['engine']}; load average "
            f"{load[0]:.1f} at the end; results equal serial: {result['same_results']}")
    rows = [
        row(f"{n}-point F-I sweep, {result['workers']} workers", result["parallel_s"], "s",
            ">= 1.7x faster than serial", result["speedup"] >= 1.7,
            anchor=result["serial_s"], anchor_label="serial, one process",
            ratio=result["speedup"], note=note),
        row("overhead per point (warm workers)", result["overhead_per_point_s"] * 1000, "ms",
            "< 50 ms", result["overhead_per_point_s"] < 0.05,
            note=f"point itself {result['point_mean_s'] * 1000:.0f} ms; no-op points: "
                 f"{result['noop_overhead_per_point_s'] * 1000:.1f} ms each"),
        row("LocalCluster start (2 worker processes)", result["cluster_start_s"], "s"),
        row("first point on a cold cluster", result["first_point_cold_s"], "s",
            note="workers import Brian2 and load the compiled modules"),
    ]
    return {"rows": rows, "details": details}


# --------------------------------------------------------------------------- memory
def _peak_row(which: str, notebooks: Mapping[str, dict], tail: str, head: str = "") -> dict:
    """The row of the largest peak RSS among ``notebooks`` (name -> its peaks, in MB).

    ``which`` goes into the name (``"(auto"``, ``", first pass (auto"``); ``head`` and ``tail``
    around the note's list of every notebook's peak and the worst one's kernel process.
    """
    name, worst = max(notebooks.items(), key=lambda kv: kv[1]["peak_rss_mb"])
    each = ", ".join(f"{nb[:2]} {entry['peak_rss_mb']:.0f}" for nb, entry in notebooks.items())
    return row(f"largest peak RSS of an exercise's kernel{which}: exercise {name[:2]})",
               worst["peak_rss_mb"], "MB", "< 1024 MB", worst["peak_rss_mb"] < 1024,
               note=f"{head}each (MB): {each}; this one's kernel process alone "
                    f"{worst['peak_kernel_rss_mb']:.0f} MB{tail}")


def section_memory(run: Run) -> dict:
    """Peak memory of the kernel of every exercise, per engine (from the exercises section).

    Issue 15's target: every exercise's kernel (its whole process tree: the kernel, Dask
    workers and nannies, papermill points, compilers) peaks below 1 GB under every engine.
    Without the exercises section (``--only memory``) exercise 4 is measured alone.
    """
    details: dict = {}
    found: dict[str, list[dict]] = {}
    exercises = run.sections.get("exercises", {}).get("details", {})
    for engine, result in exercises.items():
        found[engine] = list(result.get("notebooks", [])) if _ok(result) else []
    if not any(found.values()):
        engine = "numpy" if run.quick else "auto"
        args = ["--only", "04", "--engine", engine] + (["--short"] if run.quick else [])
        result = details["measured"] = run.child("exercises.py", args,
                                                 f"memory: exercise 4, engine {engine}")
        found = {engine: list(result.get("notebooks", [])) if _ok(result) else []}
    rows = []
    for engine, notebooks in found.items():
        if notebooks:
            pss = max(notebooks, key=lambda nb: nb["peak_rss_mb"]).get("peak_pss_mb")
            rows.append(_peak_row(f" ({engine}", {nb["notebook"]: nb for nb in notebooks},
                                  (f", tree PSS {pss:.0f} MB" if pss is not None else "")
                                  + "; psutil, every 50 ms, kernel process tree"))
    for engine, result in exercises.items():
        first = result.get("first_pass") if _ok(result) else None
        if not first or len(result.get("by_pass", ())) < 2:
            continue  # one pass: it is the row above
        compiled = first["cython_modules_after"] - first["cython_modules_before"]
        rows.append(_peak_row(f", first pass ({engine}", first["notebooks"], "",
                              f"the pass that compiles what the cache lacks ({compiled} "
                              "Cython modules compiled in it); "))
    if not rows:
        rows.append(row("largest peak RSS of an exercise's kernel", None, "MB", "< 1024 MB",
                        note="no exercise ran"))
    details["exercises"] = found
    return {"rows": rows, "details": details}


SECTION_FUNCTIONS: dict[str, Callable[[Run], dict]] = {
    "dynapse": section_dynapse, "loihi": section_loihi, "interactive": section_interactive,
    "exercises": section_exercises, "memory": section_memory, "sweep": section_sweep,
}


# --------------------------------------------------------------------------- machine
def machine_info() -> dict:
    """CPU model, cores, RAM, OS, compiler."""
    import psutil

    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))} ({platform.release()})"
    except OSError:
        pass
    try:
        compiler = subprocess.run(["gcc", "--version"], capture_output=True, text=True,
                                  check=False).stdout.splitlines()[0]
    except (OSError, IndexError):
        compiler = "none"
    return {"cpu": cpu, "cores": os.cpu_count(),
            "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else os.cpu_count(),
            "ram_gb": round(psutil.virtual_memory().total / 2**30, 1), "os": os_name,
            "compiler": compiler, "python": platform.python_version(),
            "interpreter": sys.executable}


def library_versions() -> dict:
    """Versions of the libraries that matter for the numbers (None: not installed)."""
    out = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages (empty where the OS has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


# --------------------------------------------------------------------------- output
def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def markdown(report: dict) -> str:
    """The results as markdown: machine, versions, one table per section, the levers."""
    meta = report["meta"]
    machine, versions = meta["machine"], meta["versions"]
    lines = ["# dynsim benchmark results", "",
             f"Generated by `{meta['command']}` on {meta['date']}"
             + (" (**quick smoke run: numbers not comparable with a full run**)"
                if meta["quick"] else "") + ".", "",
             "Targets are goals tracked here, never asserted in CI. `met`: yes / no / blank "
             "(no target). `ratio`: the anchor's time over ours (or ours over the anchor for "
             "rates): above 1 means dynsim is faster.", "",
             "## Machine", "",
             f"- CPU: {machine['cpu']}, {machine['cores']} cores "
             f"({machine['cores_usable']} usable), {machine['ram_gb']} GB RAM",
             f"- OS: {machine['os']}; compiler: {machine['compiler']}",
             f"- load average (1/5/15 min): start {meta['load_start']}, end {meta['load_end']}"
             + (f"; per section: {meta['load_per_section']}" if meta.get("load_per_section")
                else ""),
             f"- wall time of the whole run: {meta['wall_s']:.0f} s", "",
             "## Library versions", "",
             ", ".join(f"{k} {v or 'not installed'}" for k, v in versions.items()), ""]
    titles = {"dynapse": "DYNAP-SE: one chip and the board",
              "loihi": "Loihi: dynsim vs brian2-loihi",
              "interactive": "Interactive: sliders and the first plot",
              "exercises": "Exercises: papermill execution time",
              "memory": "Memory",
              "sweep": "Sweeps: dynsim.sweep on Dask"}
    for name, section in report["sections"].items():
        lines += [f"## {titles.get(name, name)}", ""]
        if section.get("measured"):
            when = section["measured"]
            lines += [f"Measured on {when['date']} by `{when['command']}`, load average "
                      f"(1/5/15 min) {when['load']}.", ""]
        lines += ["| measurement | value | unit | target | met | anchor | ratio | notes |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in section["rows"]:
            met = "" if r["met"] is None else ("yes" if r["met"] else "**no**")
            anchor = "" if r["anchor"] is None else f"{_fmt(r['anchor'])} ({r['anchor_label']})"
            if r["anchor"] is None and r["anchor_label"]:
                anchor = r["anchor_label"]
            ratio = "" if r["ratio"] is None else f"{r['ratio']:.1f}x"
            lines.append(f"| {r['name']} | {_fmt(r['value'])} | {r['unit']} | {r['target']} | "
                         f"{met} | {anchor} | {ratio} | {r['note']} |")
        errors = [f"{k}: {v['error']}" for k, v in section.get("details", {}).items()
                  if isinstance(v, dict) and "error" in v]
        if errors:
            lines += ["", "Failures:", "", *[f"    {e}" for e in errors]]
        lines.append("")
    if LEVERS.exists():
        lines += [LEVERS.read_text().rstrip(), ""]
    return "\n".join(lines)


def merge_earlier(report: dict, earlier: dict | None) -> dict:
    """Keep the sections of an earlier full run that this (``--only``) run did not measure.

    Each section carries ``measured`` (date, command, load average of its own run), so a
    RESULTS.md put together from two runs says which numbers come from which run. A quick
    smoke run is never merged with a full one, either way round.
    """
    if not earlier or earlier.get("meta", {}).get("quick") or report["meta"]["quick"]:
        return report
    old = earlier.get("meta", {})
    sections = {}
    for name in SECTIONS:
        if name in report["sections"]:
            sections[name] = report["sections"][name]
        elif name in earlier.get("sections", {}):
            kept = dict(earlier["sections"][name])
            kept.setdefault("measured", {"date": old.get("date"), "command": old.get("command"),
                                         "load": old.get("load_per_section", {}).get(name)})
            sections[name] = kept
    return {**report, "sections": sections}


def write(report: dict, output: Path) -> tuple[Path, Path]:
    """Write RESULTS.md and results.json into ``output``."""
    output.mkdir(parents=True, exist_ok=True)
    md, js = output / "RESULTS.md", output / "results.json"
    md.write_text(markdown(report))
    js.write_text(json.dumps(report, indent=1, default=str) + "\n")
    return md, js


# --------------------------------------------------------------------------- main
def parse(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run (< ~60 s)")
    parser.add_argument("--only", action="append", default=[],
                        help=f"section(s) to run: {', '.join(SECTIONS)} (repeatable or a,b)")
    parser.add_argument("--output", type=Path, default=HERE,
                        help="folder for RESULTS.md and results.json (default: benchmarks/)")
    args = parser.parse_args(argv)
    args.only = [s for item in args.only for s in item.split(",") if s]
    unknown = sorted(set(args.only) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {unknown}; choose from {', '.join(SECTIONS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections, write the results; return 0 (1 if a section failed)."""
    args = parse(argv)
    chosen = [s for s in SECTIONS if not args.only or s in args.only]
    run = Run(quick=args.quick, output=args.output)
    command = "python3 tasks.py bench" + "".join(f" {shlex.quote(a)}" for a in
                                                 (argv if argv is not None else sys.argv[1:]))
    meta = {"command": command, "quick": args.quick,
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "machine": machine_info(), "versions": library_versions(),
            "load_start": load_average(), "load_per_section": {},
            "cache_dir": os.environ.get("DYNSIM_CACHE_DIR", "(user cache directory)")}
    run.say(f"sections: {', '.join(chosen)}{' (quick)' if args.quick else ''}; "
            f"load average {meta['load_start']}")
    failed = False
    for name in chosen:
        run.say(f"=== section {name} ===")
        start = time.perf_counter()
        try:
            run.sections[name] = SECTION_FUNCTIONS[name](run)
        except Exception as exc:  # a broken section must not lose the others' results
            failed = True
            run.sections[name] = {"rows": [row(f"{name}: section failed", None, "",
                                               note=f"{type(exc).__name__}: {exc}")],
                                  "details": {}}
        meta["load_per_section"][name] = load_average()
        run.sections[name]["measured"] = {"date": meta["date"], "command": command,
                                          "load": meta["load_per_section"][name]}
        failed |= any("error" in v for v in run.sections[name].get("details", {}).values()
                      if isinstance(v, dict))
        run.say(f"=== section {name} done in {time.perf_counter() - start:.0f} s ===")
    meta["load_end"] = load_average()
    meta["wall_s"] = time.perf_counter() - run.started
    report = {"meta": meta, "sections": run.sections}
    earlier_file = args.output / "results.json"
    if args.only and earlier_file.exists():  # a partial run keeps the other sections' numbers
        report = merge_earlier(report, json.loads(earlier_file.read_text()))
    md, js = write(report, args.output)
    run.say(f"wrote {md} and {js}")
    for name, section in run.sections.items():
        for r in section["rows"]:
            if r["met"] is not None:
                run.say(f"  {'met    ' if r['met'] else 'NOT MET'} {name}: {r['name']} = "
                        f"{_fmt(r['value'])} {r['unit']} (target {r['target']})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
