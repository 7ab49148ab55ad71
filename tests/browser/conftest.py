"""Fixtures of the real-browser tests: a JupyterLab server and Debian's Chromium via Playwright.

Fixtures
--------
``lab``
    A :class:`labdriver.LabServer` started exactly as ``python3 tasks.py lab`` starts it
    (``tasks.lab_command``: 127.0.0.1, a random free port, a random token), serving a
    temporary copy of ``exercises/`` (running cells never touches the committed notebooks)
    with this directory's ``fixtures/`` added under ``_dynsim_test/``. Its Jupyter config,
    data, runtime and IPython directories are temporary; JupyterLab's news and update pop-ups
    are off. One server per session; after each test its kernels are shut down. At the end the
    server, its kernels and their children are killed (also after a failure) and the teardown
    fails if any process survives. It inherits ``DYNSIM_ENGINE`` (``numpy`` under the test
    suite, see ``tests/conftest.py``: no compile wait); set it to ``cython`` to test that engine.
``page``
    A fresh Playwright page (own browser context, 1400x1000) in headless Chromium, with its
    console errors and uncaught exceptions recorded (:func:`labdriver.assert_no_errors` reads
    them). After a failed test a screenshot ``FAILED-<test>.png`` is saved to ``artifacts``.
``artifacts``
    Directory for screenshots: ``$DYNSIM_ARTIFACTS`` or a temporary directory (printed).

Without Chromium the browser tests are skipped with an install hint, except in CI
(``CI=true``), where they fail.

Test hooks: the names the dynsim widgets carry
----------------------------------------------
The browser tests find controls and plots by these names only (never by position or label);
``dynsim.widgets`` sets them, and ARCHITECTURE.md ("Test hooks") repeats them.

ipywidgets CSS classes (``widget.add_class(...)``), each on exactly one element of a bench:

* ``dynsim-bias-<SAMNA_NAME>-coarse`` and ``dynsim-bias-<SAMNA_NAME>-fine``: the coarse and
  fine control of a DYNAP-SE bias, ``<SAMNA_NAME>`` as in ``dynsim/dynapse/biases.py``
  (e.g. ``dynsim-bias-IF_DC_P-fine``), on the control widget itself (slider, dropdown or
  number box; :func:`labdriver.set_widget_value` handles each).
* ``dynsim-param-<name>``: a Loihi parameter control (e.g. ``dynsim-param-decay_v``).
* ``dynsim-bench``: the outer box of a bench (ipywidgets ``Box``/``VBox``).
* ``dynsim-error``: the box that shows callback errors (e.g. an ``Output`` widget that the
  callbacks run inside). It must contain no visible text unless an error happened.
* ``dynsim-status``: the status / progress line.

Bokeh ``ColumnDataSource(name=...)``, one source of each name per bench:

* ``dynsim-currents``: CurrentScope (DPI currents of the DYNAP-SE).
* ``dynsim-spikes``: the spike raster.
* ``dynsim-loihi-traces``: TraceScope (Loihi compartment traces).

No render counter is needed: a redraw is checked from the plot's pixels. Data must be
assigned after the BokehModel view exists (``source.data = ...`` in the callback), and BokehJS
must be loaded INLINE (``bokeh.io.output_notebook(INLINE, hide_banner=True)`` before the first
BokehModel), as the fixture notebook ``fixtures/slider_plot.ipynb`` does.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import psutil
import pytest
from labdriver import (
    CHROMIUM_ARGS,
    FIXTURE_DIR,
    copy_exercises,
    require_chromium,
    shutdown_kernels,
    start_lab,
    stop_lab,
    watch_console,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can see whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    """Directory for screenshots (``$DYNSIM_ARTIFACTS`` or a printed temporary directory)."""
    env = os.environ.get("DYNSIM_ARTIFACTS")
    path = Path(env).resolve() if env else tmp_path_factory.mktemp("browser-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    print(f"\n[browser] artifacts (screenshots) go to {path}")
    return path


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    """One JupyterLab server for the session (see the module docstring)."""
    base = tmp_path_factory.mktemp("lab")
    fixtures = {f"{FIXTURE_DIR}/{p.name}": p for p in FIXTURES.glob("*.ipynb")}
    root = copy_exercises(base / "root", fixtures)
    server = start_lab(root, base / "work")
    try:
        yield server
    finally:
        survivors = stop_lab(server)
        assert survivors == [], f"processes survived the JupyterLab teardown: {survivors}"


@pytest.fixture
def lab(lab_server):
    """The session's JupyterLab server, its kernels shut down after the test."""
    assert lab_server.proc.poll() is None, "the JupyterLab server died:\n" + lab_server.log_tail()
    yield lab_server
    shutdown_kernels(lab_server)


def _descendants() -> dict[int, psutil.Process]:
    return {p.pid: p for p in psutil.Process().children(recursive=True)}


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (sync API); closed at the end."""
    executable = require_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # the test extra installs it
        pytest.fail(f"playwright is not installed ({exc}): pip install -e .[test]")
    before = set(_descendants())
    pw = sync_playwright().start()
    drivers = [p for pid, p in _descendants().items() if pid not in before]
    try:
        chromium = pw.chromium.launch(executable_path=executable, headless=True,
                                      args=CHROMIUM_ARGS)
    except Exception:
        pw.stop()
        raise
    tree = {}
    for proc in drivers:
        tree[proc.pid] = proc
        try:
            tree.update({p.pid: p for p in proc.children(recursive=True)})
        except psutil.NoSuchProcess:
            pass
    try:
        yield chromium
    finally:
        for proc in drivers:  # chromium's processes started after launch (renderers)
            try:
                tree.update({p.pid: p for p in proc.children(recursive=True)})
            except psutil.NoSuchProcess:
                pass
        chromium.close()
        pw.stop()
        _, alive = psutil.wait_procs(list(tree.values()), timeout=10)
        for proc in alive:
            proc.kill()
        alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert alive == [], f"browser processes survived: {[p.pid for p in alive]}"


@pytest.fixture
def page(browser, artifacts, request):
    """A fresh page in its own context; console errors recorded; screenshot on failure."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    watch_console(tab)
    try:
        yield tab
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
            try:
                path = artifacts / f"FAILED-{name}.png"
                tab.screenshot(path=str(path))
                print(f"\n[browser] failure screenshot: {path}")
            except Exception as exc:  # the page may be gone; the failure itself matters
                print(f"\n[browser] no failure screenshot: {exc}")
        context.close()
