"""The Jupyter side of sweeps: the progress bar and the three Bokeh plots of a sweep's table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dynsim.widgets import SweepProgress, sweep_curve, sweep_heatmap, sweep_histogram

from dynsim.errors import SweepError
from dynsim.sweep import sweep


def power(x, k):
    if x < 0:
        raise ValueError("negative")
    return {"y": float(x) ** k}


@pytest.fixture
def table():
    return sweep(power, {"x": [-1, 1, 2, 3], "k": [1, 2]}, cluster="serial", progress=False)


def sources(fig, name):
    return [r.data_source for r in fig.renderers if r.data_source.name == name]


def test_progress_counts_points_and_failures(table):
    bar = SweepProgress("demo")
    rows = table.to_dict(orient="records")
    for done, row in enumerate(rows, start=1):
        bar(done, len(rows), row)
    assert (bar.bar.value, bar.bar.max) == (len(rows), len(rows))
    assert bar.failed == int((table.status == "error").sum()) == 2
    assert bar.text.value.startswith(f"{len(rows)}/{len(rows)} points, 2 failed")
    assert bar.bar.bar_style == "warning"
    assert "dynsim-sweep-progress" in bar.widget._dom_classes


def test_curve_draws_one_sorted_line_per_group_of_ok_points(table):
    fig = sweep_curve(table, "x", "y", by="k")
    data = [dict(s.data) for s in sources(fig, "dynsim-sweep-curve")]
    # line and scatter share a source: two distinct sources, one per k
    unique = {tuple(d["y"]) for d in data}
    assert unique == {(1.0, 2.0, 3.0), (1.0, 4.0, 9.0)}
    assert all(list(d["x"]) == [1, 2, 3] for d in data)


def test_heatmap_has_one_cell_per_ok_point(table):
    fig = sweep_heatmap(table, "x", "k", "y")
    (source,) = {id(s): s for s in sources(fig, "dynsim-sweep-heatmap")}.values()
    cells = sorted(zip(source.data["x"], source.data["y"], source.data["value"], strict=True))
    assert cells == [("1", "1", 1.0), ("1", "2", 1.0), ("2", "1", 2.0), ("2", "2", 4.0),
                     ("3", "1", 3.0), ("3", "2", 9.0)]
    assert list(fig.x_range.factors) == ["1", "2", "3"]


def test_histogram_counts_every_ok_value_once():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"rate": rng.normal(50, 5, 200), "status": "ok",
                          "group": ["raw"] * 100 + ["calibrated"] * 100})
    fig = sweep_histogram(frame, "rate", by="group", bins=12)
    counts = [np.asarray(s.data["count"]) for s in sources(fig, "dynsim-sweep-histogram")]
    assert [int(c.sum()) for c in counts] == [100, 100]
    assert all(len(c) == 12 for c in counts)


@pytest.mark.parametrize("call", [
    lambda t: sweep_curve(t, "x", "missing"),
    lambda t: sweep_heatmap(t, "nope", "k", "y"),
    lambda t: sweep_histogram(t, "y", bins=0),
    lambda t: sweep_histogram(t, "y", bins=True),
])
def test_bad_columns_and_bins_are_refused(table, call):
    with pytest.raises(SweepError):
        call(table)
