"""Exercise 2 in ONE kernel: its Dask sweep and then its bench, five times in a row.

The former version ran papermill from threads of the student's kernel with ``cwd=``, which
changed the kernel's working directory under the bench (a ``FileNotFoundError`` at the bench's
next compile in 2 of 3 tries). Here the solution notebook runs once from the top with the
short test parameters, then its sweep cells and its bench cells run four more times in the
same kernel; every cell must succeed, the kernel's working directory must stay where it was,
and the bench must still produce spikes. The sweeps go to one LocalCluster started by the test
and named by ``$DYNSIM_DASK_SCHEDULER`` (the JupyterHub set-up), so the five repeats do not
each pay for starting worker processes; the repeats use shorter grids (2 F-I points, 1 F-F
point, 1 notebook point).
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from dynsim.sweep import SCHEDULER_ENV, connect

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "exercises" / "solutions" / "02_characterizing_silicon_neurons.ipynb"
REPEATS = 5
#: the short parameters of the other notebook tests (binder/warm_cache.py, numpy engine)
PARAMETERS = {"duration": 0.05, "seed": 1, "engine": "numpy"}
SHORTER_GRIDS = """sweep_dc = sweep_dc[-2:]
ff_grid = {"NMDA_rate": [100], "NMDA_weight": [2]}
notebook_grid = {"dc_coarse": [2], "dc_fine": [150]}"""


def _text(outputs) -> str:
    return "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")


@pytest.mark.notebooks
def test_sweep_then_bench_five_times_in_one_kernel(tmp_path, monkeypatch):
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    tagged = next(i for i, c in enumerate(nb.cells)
                  if "parameters" in c.get("metadata", {}).get("tags", []))
    nb.cells.insert(tagged + 1, nbformat.v4.new_code_cell(  # what papermill injects
        "\n".join(f"{name} = {value!r}" for name, value in PARAMETERS.items())))
    sweep_start = next(i for i, c in enumerate(nb.cells) if "with connect() as client" in c.source)
    sweep_end = next(i for i, c in enumerate(nb.cells) if "sweep_heatmap(ff_table" in c.source)
    bench = [i for i, c in enumerate(nb.cells)
             if "lab = DynapseLab(" in c.source or "lab.run()" in c.source]
    assert sweep_start < sweep_end and len(bench) == 2  # the bench sits beside the F-I curve
    repeated = list(range(sweep_start, sweep_end + 1)) + bench

    with connect(n_workers=2) as client:
        client.wait_for_workers(2, timeout=120)
        monkeypatch.setenv(SCHEDULER_ENV, client.scheduler.address)
        monkeypatch.chdir(tmp_path)
        runner = NotebookClient(nb, kernel_name="python3", timeout=600, allow_errors=False,
                                resources={"metadata": {"path": str(tmp_path)}})
        course = len(nb.cells)
        probe, shorter, check = (nbformat.v4.new_code_cell(source) for source in (
            "import os, json\nprint(json.dumps(os.getcwd()))",
            SHORTER_GRIDS,
            "print(json.dumps([int((t.status == 'ok').sum()) for t in "
            "(fi_table, ff_table, notebook_table)] + [len(bench_recording.spike_times)]))"))
        nb.cells += [probe, shorter, check]  # nbclient stores outputs by cell index
        with runner.setup_kernel():
            for index in range(course):
                runner.execute_cell(nb.cells[index], index)
            runner.execute_cell(probe, course)
            where = json.loads(_text(probe.outputs))
            runner.execute_cell(shorter, course + 1)
            for _ in range(REPEATS - 1):
                for index in repeated:  # raises CellExecutionError on any error
                    runner.execute_cell(nb.cells[index], index)
                runner.execute_cell(probe, course)
                assert json.loads(_text(probe.outputs)) == where
                runner.execute_cell(check, course + 2)
                ok_fi, ok_ff, ok_notebook, bench_spikes = json.loads(_text(check.outputs))
                assert (ok_fi, ok_ff, ok_notebook) == (2, 1, 1)
                assert bench_spikes > 0
    assert where == str(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "files left behind"
