"""The benchmark suite: a quick smoke run of every section, and the levers it brought in.

The real run is manual (``python3 tasks.py bench``, minutes); here ``benchmarks/run.py
--quick`` runs every section with the numpy engine and short runs, and the JSON it writes must
hold every section with numbers (no target is asserted: speed depends on the machine).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "benchmarks" / "run.py"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bench = _load("dynsim_bench_run", RUN)


def test_quick_run_writes_every_section_with_numbers(tmp_path, capsys):
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(RUN), "--quick", "--output", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "=== section dynapse ===" in proc.stdout  # progress is printed as it goes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["RESULTS.md", "results.json"]
    report = json.loads((tmp_path / "results.json").read_text())
    assert list(report["sections"]) == list(bench.SECTIONS)
    for name, section in report["sections"].items():
        assert section["rows"], name
        for r in section["rows"]:
            assert isinstance(r["value"], int | float) and np.isfinite(r["value"]), (name, r)
    meta = report["meta"]
    assert meta["quick"] is True and meta["machine"]["cores"] >= 1
    assert meta["machine"]["cpu"] and meta["machine"]["ram_gb"] > 0
    assert len(meta["load_start"]) == 3 and len(meta["load_end"]) == 3
    for library in ("python", "brian2", "numpy", "cython", "bokeh", "jupyterlab", "ipywidgets",
                    "brian2-loihi"):
        assert library in meta["versions"]
    loihi = report["sections"]["loihi"]["details"]
    assert all(run["identical"] is True for run in loihi.values())  # bit-exact in every run
    text = (tmp_path / "RESULTS.md").read_text()
    for heading in ("## Machine", "## Library versions", "## DYNAP-SE", "## Loihi",
                    "## Interactive", "## Exercises", "## Memory", "| measurement |"):
        assert heading in text
    with capsys.disabled():
        print(f"\n[benchmarks] quick run of every section in {seconds:.0f} s")


def test_unknown_sections_are_refused():
    with pytest.raises(SystemExit):
        bench.parse(["--only", "dynapse,warp-drive"])
    assert bench.parse(["--only", "loihi,memory", "--only", "dynapse"]).only == [
        "loihi", "memory", "dynapse"]


def test_markdown_shows_targets_anchors_and_failures():
    report = {
        "meta": {"command": "python3 tasks.py bench", "quick": False, "date": "today",
                 "machine": {"cpu": "CPU", "cores": 2, "cores_usable": 2, "ram_gb": 24,
                             "os": "Linux", "compiler": "gcc"},
                 "versions": {"python": "3.11", "brian2-loihi": None},
                 "load_start": [1.0, 1.0, 1.0], "load_end": [2.0, 2.0, 2.0], "wall_s": 10},
        "sections": {"loihi": {"rows": [
            bench.row("speed", 1234.5, "steps/s", ">= 10x", False, 100.0, "brian2-loihi", 12.3),
            bench.row("no target", None, "s")],
            "details": {"big": {"error": "out of memory"}}}},
    }
    text = bench.markdown(report)
    assert "| speed | 1,234 | steps/s | >= 10x | **no** | 100 (brian2-loihi) | 12.3x |" in text
    assert "| no target | n/a | s |" in text
    assert "brian2-loihi not installed" in text
    assert "big: out of memory" in text


def _report(date: str, sections: dict, quick: bool = False) -> dict:
    meta = {"command": f"python3 tasks.py bench ({date})", "quick": quick, "date": date,
            "machine": {"cpu": "CPU", "cores": 2, "cores_usable": 2, "ram_gb": 24, "os": "Linux",
                        "compiler": "gcc"}, "versions": {"python": "3.11"},
            "load_start": [0.1, 0.1, 0.1], "load_end": [0.2, 0.2, 0.2], "wall_s": 10,
            "load_per_section": {name: [0.5, 0.5, 0.5] for name in sections}}
    return {"meta": meta, "sections": {name: {"rows": [bench.row(f"{name} at {date}", 1.0, "s")],
                                             "details": {}} for name in sections}}


def test_a_partial_run_keeps_the_other_sections_of_the_earlier_full_run():
    earlier = _report("monday", ["dynapse", "loihi", "sweep"])
    partial = _report("tuesday", ["sweep"])
    merged = bench.merge_earlier(partial, earlier)
    assert list(merged["sections"]) == ["dynapse", "loihi", "sweep"]  # the suite's order
    assert merged["sections"]["sweep"]["rows"][0]["name"] == "sweep at tuesday"
    assert merged["sections"]["loihi"]["rows"][0]["name"] == "loihi at monday"
    assert merged["sections"]["loihi"]["measured"]["date"] == "monday"  # says where it is from
    text = bench.markdown(merged)
    assert "Measured on monday by `python3 tasks.py bench (monday)`" in text
    # a quick smoke run is never mixed with a full run, either way round
    assert bench.merge_earlier(_report("tue", ["sweep"], quick=True), earlier)["sections"].keys() \
        == {"sweep"}
    assert bench.merge_earlier(partial, _report("mon", ["loihi"], quick=True))["sections"].keys() \
        == {"sweep"}
    assert bench.merge_earlier(partial, None) is partial


def test_first_plot_in_the_browser_reads_traces_from_the_pixels(tmp_path):
    """The browser benchmark's notebook is exercise 1's bench; blank axes are not a plot."""
    import io

    import nbformat
    from PIL import Image, ImageDraw

    sys.path.insert(0, str(ROOT / "benchmarks"))
    first_plot = _load("dynsim_bench_first_plot", ROOT / "benchmarks" / "first_plot_browser.py")
    first_plot.notebook(tmp_path / "nb.ipynb")
    cells = nbformat.read(tmp_path / "nb.ipynb", as_version=4).cells
    assert "parameters" in cells[0].metadata["tags"] and "= DynapseLab(" in cells[1].source

    def png(draw_trace: bool) -> bytes:
        image = Image.new("RGB", (300, 200), "white")
        pen = ImageDraw.Draw(image)
        pen.rectangle((20, 20, 280, 180), outline="black")  # the axes
        if draw_trace:  # an antialiased-looking trace: a ramp of colours
            for x in range(20, 280):
                pen.point((x, 100 + (x % 40) - 20), fill=(x % 256, 120, 255 - x % 256))
        out = io.BytesIO()
        image.save(out, format="PNG")
        return out.getvalue()

    assert first_plot.drawn_colours(png(False)) < first_plot.MIN_COLOURS
    assert first_plot.drawn_colours(png(True)) >= first_plot.MIN_COLOURS


# --------------------------------------------------------------------------- levers
def _reference_fpga_spikes(model, t0: float, t1: float) -> tuple[list, list]:
    """The FPGA part of ``Dynapse1Model._virtual_spikes`` as it was: one event at a time."""
    from brian2 import second

    fpga = model.get_fpga_spike_gen()
    indices, steps = [], []
    for time_, event in fpga.event_times(t0, t1):
        tag = (event.neuron_id // 256, event.neuron_id % 256)
        step = int(np.floor((time_ - t0) / model._dt_s + 1e-9))
        for core in range(4):
            key = (event.target_chip, core, tag)
            if event.core_mask >> core & 1 and key in model._virtual_index:
                indices.append(model._virtual_index[key])
                steps.append(step)
    if not indices:
        return [], []
    pairs = np.unique(np.stack([np.array(steps), np.array(indices)]), axis=1)
    base = float(model._net.t / second)
    return pairs[1].tolist(), (base + pairs[0] * model._dt_s).tolist()


def _reference_event_times(fpga, t0: float, t1: float) -> list:
    """``FpgaSpikeGen.event_times`` as it was: a Python loop over passes and events."""
    from dynsim.dynapse.constants import FPGA_CLOCK_HZ

    if fpga._start is None or not fpga._events:
        return []
    unit = fpga._multiplier / FPGA_CLOCK_HZ
    isis = np.array([e.isi if fpga._variable_isi else fpga._events[0].isi
                     for e in fpga._events], dtype=float) * unit
    offsets = np.cumsum(isis)
    period = offsets[-1]
    repeats = int(np.ceil((t1 - fpga._start) / period)) + 1 if fpga._repeat and period > 0 else 1
    out = []
    for r in range(repeats):
        for time_, event in zip(fpga._start + r * period + offsets, fpga._events, strict=True):
            if t0 <= time_ < t1:
                out.append((float(time_), event))
    return out


@pytest.mark.parametrize("trial", range(6))
def test_vectorised_fpga_stimulus_gives_the_same_events(trial):
    """Lever 'vectorised FPGA stimulus' (dynsim/dynapse/model.py): same events, same spikes."""
    from dynsim.dynapse import Dynapse1Model, FpgaSpikeEvent, NetworkGenerator, Neuron
    from dynsim.errors import CAMAliasingError, CAMLimitError

    rng = np.random.default_rng(trial)
    net = NetworkGenerator()
    sources = []
    for chip in range(4):
        for _ in range(12):
            pre = Neuron(chip, int(rng.integers(0, 4)), int(rng.integers(1, 256)),
                         is_spike_gen=True)
            post = Neuron(chip, int(rng.integers(0, 4)), int(rng.integers(0, 256)))
            try:
                net.add_connection(pre, post, "AMPA")
            except (CAMAliasingError, CAMLimitError):  # a draw the hardware refuses: skip it
                continue
            sources.append((chip, pre.core_id * 256 + pre.neuron_id))
    model = Dynapse1Model(engine="numpy", name=f"bench_lever_fpga{trial}")
    model.apply_configuration(net.make_dynapse1_configuration())
    events = []
    for _ in range(int(rng.integers(1, 300))):
        chip, nid = (sources[int(rng.integers(len(sources)))] if rng.random() < 0.8
                     else (int(rng.integers(0, 4)), int(rng.integers(0, 1024))))
        events.append(FpgaSpikeEvent(int(rng.integers(0, 16)), chip, nid,
                                     int(rng.integers(0, 300))))
    fpga = model.get_fpga_spike_gen()
    fpga.preload_stimulus(events)
    fpga.set_isi_multiplier(int(rng.integers(1, 2000)))
    fpga.set_repeat_mode(trial % 2 == 0)
    fpga.set_variable_isi(trial % 3 != 0)
    fpga.start()
    fpga._start = float(rng.random() * 0.01)
    model.simulated_neurons  # noqa: B018 - builds the network
    for t0, t1 in [(0.0, 0.05), (0.05, 0.2), (0.2, 1.0), (0.0123, 0.0456)]:
        assert fpga.event_times(t0, t1) == _reference_event_times(fpga, t0, t1)
        indices, times = model._virtual_spikes(t0, t1)
        assert (indices.tolist(), times.tolist()) == _reference_fpga_spikes(model, t0, t1)


def _exercise_pass(peaks: dict[str, float]) -> dict:
    """One pass of ``benchmarks/exercises.py``'s JSON: notebooks and their peaks (MB)."""
    return {"notebooks": [{"notebook": name, "peak_rss_mb": mb, "peak_kernel_rss_mb": mb / 3,
                           "peak_pss_mb": mb * 0.9, "seconds": 10.0, "ok": True}
                          for name, mb in peaks.items()]}


def test_memory_reports_the_first_compiling_pass_beside_the_timed_one():
    """Issue 15: the first pass (what a student meets first) is reported with its target."""
    first = {"01_a.ipynb": 400.0, "02_b.ipynb": 1196.0}
    timed = {"01_a.ipynb": 390.0, "02_b.ipynb": 803.0}
    by_pass = [{"pass": k + 1, "cython_modules_before": 10, "cython_modules_after": after,
                "notebooks": {n: {"peak_rss_mb": mb, "peak_kernel_rss_mb": mb / 3}
                              for n, mb in peaks.items()}}
               for k, (peaks, after) in enumerate(((first, 14), (timed, 14)))]
    auto = {**_exercise_pass(timed), "by_pass": by_pass, "first_pass": by_pass[0]}
    run = bench.Run(quick=False, output=Path("."))
    run.sections["exercises"] = {"details": {"numpy": _exercise_pass(timed), "auto": auto}}
    rows = {r["name"]: r for r in bench.section_memory(run)["rows"]}
    timed_row = rows["largest peak RSS of an exercise's kernel (auto: exercise 02)"]
    assert (timed_row["value"], timed_row["met"]) == (803.0, True)
    first_row = rows["largest peak RSS of an exercise's kernel, first pass (auto: exercise 02)"]
    assert (first_row["value"], first_row["met"], first_row["target"]) == (1196.0, False,
                                                                         "< 1024 MB")
    assert "4 Cython modules compiled" in first_row["note"]
    # one pass only (numpy here): no first-pass row of its own
    assert not any("first pass (numpy" in name for name in rows)
