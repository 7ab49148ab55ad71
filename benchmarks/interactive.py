"""Interactive latency of the course: a slider to new plot data, a fresh kernel to a first plot.

Both use the bench of exercise 1 exactly as the exercise builds it: the code of the cell that
makes ``lab = DynapseLab(...)`` is read from ``exercises/source/01_*.ipynb`` (with the
notebook's default parameters) and executed.

Slider: the bench's ``NPDPIE_TAU_F_P`` fine slider (the exercise's first suggestion) gets a new
value from Python, as a front-end message would set it, and the time until the plot's data
source (``dynsim-currents``) holds new data is taken, as in ``tests/widgets``. Runtime engines
stream: their first new data is a partial run; the time to the complete run is reported too.

First plot: a real kernel (``jupyter_client.KernelManager``, this interpreter) is started and
one cell imports ``dynsim.widgets``, builds the bench and waits until its data source has data;
timed from the kernel's start. Cold = an empty cache directory (``DYNSIM_CACHE_DIR``);
warm = a second kernel on the same cache.

    python benchmarks/interactive.py slider --engine standalone --changes 30 --json out.json
    python benchmarks/interactive.py first-plot --cache-dir /tmp/c --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np
from _script import finish

ROOT = Path(__file__).resolve().parent.parent
EXERCISE1 = ROOT / "exercises" / "source" / "01_dpi_neuron_and_synapses.ipynb"
#: The slider moved (the exercise's first suggestion: the AMPA leak).
SLIDER = "NPDPIE_TAU_F_P"
#: Used when the exercise notebook is not there: the bench as exercise 1 builds it.
FALLBACK_BENCH = """from dynsim.widgets import DynapseLab

lab = DynapseLab(n_neurons=1, core="Core_0", duration=200 * ms, seed=seed,
                 inputs={"AMPA": {"kind": "spikes", "times": [20, 60, 65, 70], "weight": 2},
                         "NMDA": {"kind": "spikes", "times": [120], "weight": 1}})
"""


def exercise1_bench_code(path: Path = EXERCISE1) -> tuple[str, str]:
    """Return (parameters cell, bench cell) of exercise 1 (the fallback if it is missing)."""
    parameters, bench = "duration = 0.3\nseed = 1\nengine = None\n", FALLBACK_BENCH
    if path.exists():
        cells = json.loads(path.read_text())["cells"]
        for cell in cells:
            source = "".join(cell["source"])
            if "parameters" in cell.get("metadata", {}).get("tags", []):
                parameters = source
            elif cell["cell_type"] == "code" and "= DynapseLab(" in source:
                bench = source
                break
    return parameters, bench


def build_bench():
    """Build exercise 1's bench in this process; return it (its first run is under way)."""
    from brian2 import ms

    parameters, bench = exercise1_bench_code()
    namespace: dict = {"ms": ms}
    exec(parameters, namespace)  # the course's own notebook cells
    exec(bench, namespace)
    return namespace["lab"]


def slider_latency(changes: int = 30, warmup: int = 3, timeout: float = 600) -> dict:
    """Move the slider ``changes`` times; return first-new-data and complete-run latencies.

    The engine is the bench's default: ``$DYNSIM_ENGINE`` if set, else standalone.
    """
    start = time.perf_counter()
    lab = build_bench()
    assert lab.wait(timeout), "the first run did not finish"
    construction = time.perf_counter() - start
    fine = lab.bias_panel.controls[SLIDER].fine
    first, complete = [], []
    values = [v for v in range(10, 250) if v != fine.value]
    for k in range(warmup + changes):
        assert lab.wait(timeout)
        before = lab.scope.updates
        t0 = time.perf_counter()
        fine.value = values[k % len(values)]
        assert lab.scope.wait_for_update(before, timeout), "no new data"
        t1 = time.perf_counter()
        assert lab.wait(timeout)
        t2 = time.perf_counter()
        if k >= warmup:
            first.append(t1 - t0)
            complete.append(t2 - t0)
    error = lab.error_text
    engine = lab.experiment.engine
    lab.close()
    assert not error, error
    return {"engine": engine, "changes": changes, "construction_s": construction,
            "duration_s": lab.duration, **_percentiles("first_data", first),
            **_percentiles("complete", complete)}


def _percentiles(label: str, seconds: list[float]) -> dict:
    p50, p95 = np.percentile(np.array(seconds) * 1000, [50, 95])
    return {f"{label}_p50_ms": float(p50), f"{label}_p95_ms": float(p95),
            f"{label}_ms": [s * 1000 for s in seconds]}


_FIRST_PLOT_CELL = """
import json as _json, os as _os, sys as _sys, time as _time
_marks, _cpu = {"cell_start": _time.time()}, {"cell_start": _time.process_time()}
from brian2 import ms
_marks["brian2"], _cpu["brian2"] = _time.time(), _time.process_time()
from dynsim.widgets import DynapseLab
_marks["imported"], _cpu["imported"] = _time.time(), _time.process_time()
from dynsim.dynapse.experiment import Experiment as _Experiment
_prepare, _built = _Experiment.prepare, []
def _timed_prepare(self, *args, **kwargs):
    _t = _time.perf_counter()
    try:
        return _prepare(self, *args, **kwargs)
    finally:
        _built.append(_time.perf_counter() - _t)
_Experiment.prepare = _timed_prepare
%(parameters)s
%(bench)s
_Experiment.prepare = _prepare
_marks["constructed"], _cpu["constructed"] = _time.time(), _time.process_time()
while not len(lab.scope.source.data["t"]):
    assert lab.scope.wait_for_update(lab.scope.updates, 600), "no plot data"
_marks["first_data"] = _time.time()
_distutils = _sys.modules.get("distutils")
print("BENCH_RESULT" + _json.dumps({
    "marks": _marks, "cpu": _cpu, "engine": lab.experiment.engine,
    "points": len(lab.scope.source.data["t"]),
    "prepare_s": sum(_built),
    "bytecode": {"prefix": _sys.pycache_prefix, "writes": not _sys.flags.dont_write_bytecode},
    "distutils": getattr(_distutils, "__file__", None),
    "setuptools_use_distutils": _os.environ.get("SETUPTOOLS_USE_DISTUTILS")}))
"""


def bytecode_note(bytecode: dict) -> str:
    """Say whether the kernel could use cached bytecode (``''`` when it could).

    With ``PYTHONPYCACHEPREFIX`` set, Python looks for bytecode only under that prefix, not
    in the ``__pycache__`` folders pip wrote next to the installed sources; with bytecode
    writing off too (``PYTHONDONTWRITEBYTECODE``), the prefix never fills, and every module
    of Brian2, sympy, matplotlib and Bokeh is compiled from source in every new process.

    Examples
    --------
    >>> bytecode_note({"prefix": None, "writes": False})
    ''
    >>> bytecode_note({"prefix": "/c/pycache", "writes": False})[:40]
    'every import compiled from source (PYTHO'
    """
    if bytecode.get("prefix") and not bytecode.get("writes"):
        return ("every import compiled from source (PYTHONPYCACHEPREFIX set and "
                "PYTHONDONTWRITEBYTECODE on)")
    return ""


def _tasks() -> ModuleType:
    """``tasks.py`` as a module (loaded by the browser tests' ``labdriver``)."""
    browser = str(ROOT / "tests" / "browser")
    if browser not in sys.path:
        sys.path.insert(0, browser)
    from labdriver import load_tasks

    return load_tasks()


def fast_kernel_settings() -> dict[str, str]:
    """Settings ``python3 tasks.py lab`` adds to its kernels' environment (``tasks.py``).

    The first plot is measured in a kernel as the lab starts it; this process's environment
    (e.g. ``tasks.py bench``'s) has the rest of the lab's environment already.
    """
    return _tasks().fast_kernel_settings(Path(sys.executable))


def first_plot(cache_dir: str, timeout: float = 900, env: dict[str, str] | None = None) -> dict:
    """Start a fresh kernel on ``cache_dir``; time kernel start -> first plot data.

    The kernel is the lab's (``tasks.lab_kernel_settings``: it imports Brian2 and the benches
    while it starts, so ``kernel_ready_s`` holds those imports) and its environment is this
    process's with the lab's kernel settings (:func:`fast_kernel_settings`, unless set here
    already) and ``env`` added (a lever to measure; ``{"SETUPTOOLS_USE_DISTUTILS": "local"}``
    turns one off). Returns the total and
    its parts (kernel ready, imports: Brian2 then ``dynsim.widgets``, bench built, of it the
    standalone build ``prepare_s``, first data; wall and the kernel's CPU seconds), how the
    kernel cached bytecode (``bytecode``, with a ``bytecode_note`` when it could not), which
    ``distutils`` it imported, the settings it got (``env``) and the load average.
    """
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    parameters, bench = exercise1_bench_code()
    settings = fast_kernel_settings()
    kernel_env = {**settings, **os.environ, "DYNSIM_CACHE_DIR": cache_dir, **(env or {})}
    with tempfile.TemporaryDirectory(prefix="dynsim-kernel-") as tmp:
        # the lab's kernel (tasks.lab_kernel_settings), as `python3 tasks.py lab` starts it
        spec_dir = Path(tmp) / "jupyter"
        _tasks().lab_kernel_settings(Path(sys.executable), spec_dir, kernel_env)
        km = KernelManager(connection_file=os.path.join(tmp, "kernel.json"),
                           kernel_name="python3", kernel_spec_manager=KernelSpecManager(
                               kernel_dirs=[str(spec_dir / "kernels")]))
        start = time.time()
        km.start_kernel(env=kernel_env, cwd=tmp)
        client = km.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=timeout)
            ready = time.time()
            cell = _FIRST_PLOT_CELL % {"parameters": parameters, "bench": bench}
            output: list[str] = []
            reply = client.execute_interactive(
                cell, timeout=timeout,
                output_hook=lambda msg: output.append(msg["content"].get("text", "")
                                                      if msg["msg_type"] == "stream" else ""))
            done = time.time()
        finally:
            client.stop_channels()
            km.shutdown_kernel(now=True)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"the first-plot cell failed: {reply['content'].get('evalue')}\n"
                           + "".join(output))
    line = next(x for x in "".join(output).splitlines() if x.startswith("BENCH_RESULT"))
    result = json.loads(line.removeprefix("BENCH_RESULT"))
    marks, cpu = result.pop("marks"), result.pop("cpu")
    return {**result, "total_s": marks["first_data"] - start, "kernel_ready_s": ready - start,
            "import_s": marks["imported"] - marks["cell_start"],
            "brian2_import_s": marks["brian2"] - marks["cell_start"],
            "widgets_import_s": marks["imported"] - marks["brian2"],
            "build_s": marks["constructed"] - marks["imported"],
            "first_data_s": marks["first_data"] - marks["constructed"],
            "cell_s": done - ready,
            # CPU seconds of the kernel process (steadier than wall time on a loaded machine)
            "kernel_start_cpu_s": cpu["cell_start"],
            "brian2_import_cpu_s": cpu["brian2"] - cpu["cell_start"],
            "import_cpu_s": cpu["imported"] - cpu["cell_start"],
            "build_cpu_s": cpu["constructed"] - cpu["imported"],
            "bytecode_note": bytecode_note(result["bytecode"]),
            "env": {k: kernel_env[k] for k in sorted({*settings, *(env or {})})},
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def env_variable(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` -> (NAME, VALUE), for ``--env``."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def main(argv: list[str] | None = None) -> dict:
    """Command line: ``slider`` or ``first-plot``; prints and optionally writes JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    slider = sub.add_parser("slider", help="slider -> new plot data latency")
    slider.add_argument("--engine", choices=["standalone", "cython", "numpy"],
                        help="sets $DYNSIM_ENGINE (default: as set, else standalone)")
    slider.add_argument("--changes", type=int, default=30)
    slider.add_argument("--warmup", type=int, default=3)
    plot = sub.add_parser("first-plot", help="fresh kernel -> first plot data")
    plot.add_argument("--cache-dir", required=True)
    plot.add_argument("--env", type=env_variable, action="append", default=[],
                      metavar="NAME=VALUE", help="add to the kernel's environment (repeatable)")
    for p in (slider, plot):
        p.add_argument("--json", help="write the result to this file")
    args = parser.parse_args(argv)
    if args.what == "slider":
        if args.engine == "standalone":
            os.environ.pop("DYNSIM_ENGINE", None)  # this process only: the bench's default
        elif args.engine:
            os.environ["DYNSIM_ENGINE"] = args.engine
        result = slider_latency(args.changes, args.warmup)
        print(f"slider -> new data ({result['engine']}): p50 {result['first_data_p50_ms']:.0f} "
              f"ms, p95 {result['first_data_p95_ms']:.0f} ms; complete run p50 "
              f"{result['complete_p50_ms']:.0f} ms ({result['changes']} changes)")
    else:
        result = first_plot(args.cache_dir, env=dict(args.env))
        print(f"fresh kernel -> first plot data: {result['total_s']:.1f} s (kernel ready "
              f"{result['kernel_ready_s']:.1f} s, imports {result['import_s']:.1f} s (Brian2 "
              f"{result['brian2_import_s']:.1f} s), bench {result['build_s']:.1f} s (standalone "
              f"build {result['prepare_s']:.1f} s), first data {result['first_data_s']:.1f} s; "
              f"engine {result['engine']}; load {result['load_average'][0]})"
              + (f"; {result['bytecode_note']}" if result["bytecode_note"] else ""))
    return finish(result, args.json)


if __name__ == "__main__":
    main(sys.argv[1:])
