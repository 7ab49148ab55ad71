"""Jupyter side of :mod:`dynsim.sweep`: a progress bar and Bokeh plots of a sweep's table.

* :class:`SweepProgress`: an ipywidgets progress bar (points done, failed, elapsed time) to
  pass as ``progress=`` to :func:`dynsim.sweep.sweep`; interrupting the kernel (■) cancels
  the remaining points.
* :func:`sweep_curve`: a measured quantity against one parameter (one line per value of a
  second parameter).
* :func:`sweep_heatmap`: a measured quantity over two parameters.
* :func:`sweep_histogram`: the distribution of a measured quantity across seeds (chips), one
  histogram per group.

The plots take the ``DataFrame`` a sweep returns and use only its ``'ok'`` rows.

Examples
--------
>>> from dynsim.sweep import sweep
>>> from dynsim.widgets import SweepProgress, sweep_curve
>>> table = sweep(point, grid, progress=SweepProgress())  # doctest: +SKIP
>>> show(sweep_curve(table, "dc_current_A", "rate_Hz"))  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
from bokeh.models import ColorBar, ColumnDataSource, LinearColorMapper
from bokeh.palettes import Category10_10, Viridis256
from bokeh.plotting import figure

from dynsim.errors import SweepError

__all__ = ["SweepProgress", "sweep_curve", "sweep_heatmap", "sweep_histogram"]


class SweepProgress:
    """A progress bar for a sweep in a notebook: ``progress=SweepProgress()``.

    The widget is displayed by the first progress report (or by showing the object); it counts
    finished and failed points and the elapsed time.

    Attributes
    ----------
    widget : ipywidgets.VBox
        The bar (CSS class ``dynsim-sweep-progress``) and its text line.
    """

    def __init__(self, description: str = "sweep") -> None:
        self.bar = widgets.IntProgress(value=0, min=0, max=1, description=description,
                                       bar_style="info")
        self.text = widgets.HTML("")
        self.widget = widgets.HBox([self.bar, self.text])
        self.widget.add_class("dynsim-sweep-progress")
        self.failed = 0
        self._started: float | None = None
        self._shown = False

    def _ipython_display_(self) -> None:
        from IPython.display import display

        self._shown = True
        display(self.widget)

    def __call__(self, done: int, total: int, row: Mapping[str, Any]) -> None:
        """Report ``done`` of ``total`` points; ``row`` is the point that just finished."""
        if self._started is None:
            self._started = time.perf_counter()
        if not self._shown:
            self._ipython_display_()
        if row.get("status") == "error":
            self.failed += 1
        self.bar.max = max(int(total), 1)
        self.bar.value = int(done)
        elapsed = time.perf_counter() - self._started
        failed = f", {self.failed} failed" if self.failed else ""
        self.text.value = f"{done}/{total} points{failed} · {elapsed:.1f} s"
        if done >= total:
            self.bar.bar_style = "warning" if self.failed else "success"


def _ok(table: Any, columns: Sequence[str]) -> Any:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SweepError(f"the sweep table has no column {missing[0]!r}; its columns are "
                         f"{', '.join(map(str, table.columns))}")
    return table[table["status"] == "ok"] if "status" in table.columns else table


def _label(value: Any) -> str:
    return str(tuple(value)) if isinstance(value, list | tuple) else str(value)


def sweep_curve(table: Any, x: str, y: str, *, by: str | None = None, x_log: bool = False,
                title: str | None = None, width: int = 640, height: int = 320) -> Any:
    """Return a Bokeh figure of ``y`` against ``x`` (one line per value of ``by``).

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep's result (only ``'ok'`` rows are drawn).
    x, y : str
        Columns (numbers) on the axes; the points are sorted by ``x``.
    by : str, optional
        A column whose values each get a line of their own colour.
    x_log : bool
        Logarithmic x axis.
    """
    rows = _ok(table, [x, y] + ([by] if by else []))
    fig = figure(width=width, height=height, title=title or f"{y} against {x}",
                 x_axis_label=x, y_axis_label=y, x_axis_type="log" if x_log else "linear")
    groups = [(None, rows)] if by is None else list(rows.groupby(rows[by].map(_label),
                                                                  sort=True))
    for k, (value, group) in enumerate(groups):
        group = group.sort_values(x)
        source = ColumnDataSource({"x": group[x].astype(float), "y": group[y].astype(float)},
                                  name="dynsim-sweep-curve")
        colour = Category10_10[k % 10]
        legend = {} if value is None else {"legend_label": f"{by} = {value}"}
        fig.line("x", "y", source=source, line_width=2, color=colour, **legend)
        fig.scatter("x", "y", source=source, size=6, color=colour)
    if by is not None:
        fig.legend.location = "top_left"
    return fig


def sweep_heatmap(table: Any, x: str, y: str, value: str, *, title: str | None = None,
                  width: int = 560, height: int = 360) -> Any:
    """Return a Bokeh heat map of ``value`` over the parameters ``x`` and ``y``.

    Each distinct ``x`` and ``y`` value is one column/row of cells (categorical axes, in sorted
    order), so uneven or logarithmic grids keep equal cells; a colour bar gives the scale.
    """
    rows = _ok(table, [x, y, value])
    xs = sorted(rows[x].unique(), key=lambda v: (float(v) if np.isscalar(v) else str(v)))
    ys = sorted(rows[y].unique(), key=lambda v: (float(v) if np.isscalar(v) else str(v)))
    data = {"x": [_label(v) for v in rows[x]], "y": [_label(v) for v in rows[y]],
            "value": rows[value].astype(float).tolist()}
    finite = [v for v in data["value"] if np.isfinite(v)]
    mapper = LinearColorMapper(palette=Viridis256, low=min(finite, default=0.0),
                               high=max(finite, default=1.0))
    fig = figure(width=width, height=height, title=title or f"{value} over {x} and {y}",
                 x_range=[_label(v) for v in xs], y_range=[_label(v) for v in ys],
                 x_axis_label=x, y_axis_label=y, tooltips=[(value, "@value")])
    fig.rect("x", "y", 1, 1, source=ColumnDataSource(data, name="dynsim-sweep-heatmap"),
             fill_color={"field": "value", "transform": mapper}, line_color=None)
    fig.add_layout(ColorBar(color_mapper=mapper, title=value), "right")
    fig.xaxis.major_label_orientation = 0.8
    return fig


def sweep_histogram(table: Any, value: str, *, by: str | None = None, bins: int = 30,
                    title: str | None = None, width: int = 640, height: int = 300) -> Any:
    """Return a Bokeh histogram of ``value`` across the sweep's rows (e.g. 200 chip seeds).

    Parameters
    ----------
    by : str, optional
        A column whose values each get their own (translucent) histogram on shared bins.
    bins : int
        Number of bins (1..1000).
    """
    if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= 1000:
        raise SweepError(f"bins must be a whole number in 1..1000, got {bins!r}")
    rows = _ok(table, [value] + ([by] if by else []))
    values = rows[value].astype(float).to_numpy()
    values = values[np.isfinite(values)]
    edges = np.histogram_bin_edges(values if values.size else [0.0, 1.0], bins=bins)
    fig = figure(width=width, height=height, title=title or f"distribution of {value}",
                 x_axis_label=value, y_axis_label="count")
    groups = [(None, rows)] if by is None else list(rows.groupby(rows[by].map(_label),
                                                                  sort=True))
    for k, (label, group) in enumerate(groups):
        counts, _ = np.histogram(group[value].astype(float), bins=edges)
        source = ColumnDataSource({"left": edges[:-1], "right": edges[1:], "count": counts},
                                  name="dynsim-sweep-histogram")
        legend = {} if label is None else {"legend_label": f"{by} = {label}"}
        fig.quad(left="left", right="right", top="count", bottom=0, source=source,
                 fill_color=Category10_10[k % 10], fill_alpha=0.5, line_color="white",
                 **legend)
    return fig
