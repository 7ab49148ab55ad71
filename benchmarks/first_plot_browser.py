"""The first plot as the student sees it: JupyterLab in Chromium, a fresh kernel, exercise 1.

``benchmarks/interactive.py first-plot`` times the kernel alone (a fresh kernel to the bench's
first data). A student sees the plot only after the browser has received the widgets, loaded
BokehJS and drawn the traces; this script measures that, with the browser tests' machinery
(``tests/browser/labdriver.py``: JupyterLab started as ``python3 tasks.py lab`` starts it,
Debian's Chromium driven by Playwright).

One notebook holds exercise 1's parameters cell and its bench cell (read from
``exercises/source/01_*.ipynb``, as ``interactive.py`` reads them) after the import the bench
cell needs. For each cache state (``cold``: an empty ``DYNSIM_CACHE_DIR``, so Brian2 generates
and compiles; ``warm``: the same cache again, a new kernel):

1. the notebook is opened and its kernel is started and idle (a fresh kernel);
2. the clock starts when "run all" is sent;
3. it stops when BokehJS in the page holds the bench's current traces (the data source
   ``dynsim-currents`` has samples) and the plot that draws them is rendered; a screenshot of
   the plot is then taken and its pixels are checked to hold more than the empty axes
   (:func:`drawn_colours`), so "drawn" is read from the pixels, as the browser tests do.

    python benchmarks/first_plot_browser.py --json out.json          # cold, then warm
    python benchmarks/first_plot_browser.py --cache-dir DIR          # warm only, on DIR
    python benchmarks/first_plot_browser.py --env SETUPTOOLS_USE_DISTUTILS=local  # a lever off

The server gets the kernel settings ``python3 tasks.py lab`` adds (``tasks.fast_kernel_settings``,
through ``labdriver.start_lab``, as in the browser tests) and the lab's kernel
(``tasks.lab_kernel_settings``: it imports Brian2 and the benches while it starts). What that
costs before "run all" is reported too: ``open_to_ready_s``, from opening the notebook to its
kernel ready. The machine's load average is recorded with each measurement.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

from _script import finish
from interactive import env_variable, fast_kernel_settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

#: Name of the Bokeh data source of the bench's currents (widgets/dynapse_scope.py).
SOURCE = "dynsim-currents"
#: Distinct colours a plot with traces shows at least (axes, grid and text give fewer).
MIN_COLOURS = 12


def notebook(path: Path) -> None:
    """Write the one-bench notebook of exercise 1 to ``path``."""
    import nbformat
    from interactive import exercise1_bench_code

    parameters, bench = exercise1_bench_code()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    cell = nbformat.v4.new_code_cell(parameters)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("from brian2 import ms\n\n" + bench)]
    nbformat.write(nb, path)


def drawn_colours(png: bytes) -> int:
    """Number of distinct colours in a PNG screenshot (traces add many, antialiased)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    return len(colours or [])


def measure(page, server, path: str, timeout: float) -> dict:
    """Open ``path`` with a fresh kernel, run it, time run-all -> traces drawn."""
    import labdriver

    opened = time.perf_counter()
    labdriver.open_notebook(page, server, path, timeout=timeout)
    kernel_ready = time.perf_counter() - opened
    load = [round(x, 2) for x in os.getloadavg()]
    start = time.perf_counter()
    page.evaluate(labdriver._JS_RUN_ALL, path)
    deadline = start + timeout
    seconds = None
    while time.perf_counter() < deadline:
        data = page.evaluate(labdriver._JS_DATA, SOURCE)
        if data and len(data.get("t", [])) > 1:
            element = page.evaluate_handle(labdriver._JS_PLOT_ELEMENT, SOURCE).as_element()
            if element is not None:
                seconds = time.perf_counter() - start
                break
        errors = labdriver.notebook_errors(page)
        if errors:
            raise RuntimeError("the bench cell raised:\n" + "\n".join(errors))
        time.sleep(0.05)
    if seconds is None:
        raise RuntimeError(f"no traces within {timeout:.0f} s")
    colours = drawn_colours(labdriver.plot_snapshot(page, SOURCE))
    if colours < MIN_COLOURS:
        raise RuntimeError(f"the plot shows {colours} colours: no traces drawn")
    return {"first_plot_s": seconds, "colours": colours, "load_average": load,
            "open_to_ready_s": kernel_ready}


def main(argv: list[str] | None = None) -> dict:
    """Command line: measure cold and warm (or warm on a given cache); print, write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", help="warm only, on this cache (default: cold + warm "
                                            "on a new empty cache)")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--env", type=env_variable, action="append", default=[],
                        metavar="NAME=VALUE", help="add to the server's and its kernels' "
                                                   "environment (repeatable)")
    parser.add_argument("--json", help="write the result to this file")
    args = parser.parse_args(argv)

    import labdriver
    from playwright.sync_api import sync_playwright

    settings = fast_kernel_settings()
    for name, value in settings.items():
        os.environ.setdefault(name, value)  # as `python3 tasks.py lab` starts its kernels
    os.environ.update(dict(args.env))
    result: dict = {"env": {k: os.environ[k] for k in sorted({*settings, *dict(args.env)})}}
    with tempfile.TemporaryDirectory(prefix="dynsim-first-plot-") as tmp:
        tmp_path = Path(tmp)
        cache = Path(args.cache_dir) if args.cache_dir else tmp_path / "cache"
        os.environ["DYNSIM_CACHE_DIR"] = str(cache)  # the server and its kernels use it
        os.environ.pop("DYNSIM_ENGINE", None)  # the student's default engine
        root = tmp_path / "root"
        root.mkdir()
        states = ["warm"] if args.cache_dir else ["cold", "warm"]
        for state in states:
            notebook(root / f"first_plot_{state}.ipynb")
        server = labdriver.start_lab(root, tmp_path / "work")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=labdriver.require_chromium(),
                                             headless=True)
                try:
                    for state in states:
                        context = browser.new_context(viewport={"width": 1400, "height": 1000})
                        page = context.new_page()
                        result[state] = measure(page, server, f"first_plot_{state}.ipynb",
                                                args.timeout)
                        print(f"{state} cache: run all -> traces drawn in "
                              f"{result[state]['first_plot_s']:.2f} s (load average "
                              f"{result[state]['load_average']})", flush=True)
                        context.close()
                        labdriver.shutdown_kernels(server)
                finally:
                    browser.close()
        finally:
            labdriver.stop_lab(server)
    return finish(result, args.json)


if __name__ == "__main__":
    main(sys.argv[1:])
