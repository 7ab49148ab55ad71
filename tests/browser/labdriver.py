"""Drive a real JupyterLab (and Voila) in Debian's Chromium: the browser tests' helpers.

A notebook's browser test is a handful of calls on a Playwright ``page`` (the fixtures in
``conftest.py`` start the server and the browser and clean up after them)::

    open_notebook(page, lab, "01_dynapse_neuron.ipynb")
    run_all_cells(page)
    wait_for_element(page, ".dynsim-bench .bk-Figure")
    check_control_updates_plot(page, "dynsim-bias-IF_DC_P-fine", 200, "dynsim-currents")
    assert_no_errors(page)
    save_screenshot(page, artifacts, "exercise-1-bench", ".dynsim-bench")

(:func:`check_control_updates_plot` is :func:`bokeh_data` + :func:`plot_snapshot`, then
:func:`set_widget_value`, :func:`wait_for_data_change` and :func:`wait_for_redraw`.)

What each helper relies on (found by trying JupyterLab 4.6, ipywidgets 8.1, Bokeh 3.9 and
Voila 0.5 in headless Chromium):

* JupyterLab is started with ``--LabApp.expose_app_in_browser=True``, so ``window.jupyterapp``
  gives the notebook panels, their cell models and their kernel session.
* JupyterLab 4 renders a traceback exactly like a stderr stream (a ``.jp-RenderedText`` with
  ``data-mime-type="application/vnd.jupyter.stderr"``; warnings look the same), so errors
  are read from the cell *models* (outputs whose ``type`` is ``'error'``), not from the DOM.
* An exception in a widget callback (an ipywidgets observer) is not a cell output: ipywidgets
  sends it as an ``error`` message whose parent is the comm message, and JupyterLab shows it
  only in the Log Console. :func:`open_notebook` therefore subscribes to the kernel's IOPub
  messages and records every ``error``; :func:`notebook_errors` reports them.
* Bokeh models are reached through ``window.Bokeh.documents`` (one document per
  ``jupyter_bokeh.BokehModel``) by their ``name``; the plot that draws a data source is found
  by walking the views under ``window.Bokeh.index``. A redraw is proven by the plot's pixels
  (an element screenshot) changing, which needs no hook in the widgets.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Where the fixture notebooks (``tests/browser/fixtures``) appear inside the served root.
FIXTURE_DIR = "_dynsim_test"

#: Debian's chromium, as the browser tests and CI use it.
CHROMIUM = "/usr/bin/chromium"
#: Launch arguments that work on these machines (root, no GPU, no network but loopback).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_HINT = ("install Debian's Chromium with `sudo apt-get install chromium` "
                "(CI's .ci/run installs it; `playwright install` is not used)")
#: JupyterLab settings for the tests: no news or update pop-up over the notebook.
LAB_USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
}
#: Extra command-line options of the test server (appended to ``tasks.lab_command``'s).
LAB_TEST_ARGS = [
    "--no-browser",
    "--ServerApp.port_retries=0",
    "--LabApp.expose_app_in_browser=True",
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--VoilaConfiguration.show_tracebacks=True",
]


# ----------------------------------------------------------------------------- chromium
def in_ci() -> bool:
    """Return whether this run is CI (``$CI`` is ``true``, as ``.ci/run`` exports it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def find_chromium() -> str | None:
    """Return the path of Debian's chromium, or ``None`` when it is not installed.

    ``$DYNSIM_CHROMIUM`` overrides the path (another Chromium build, for a developer).
    """
    override = os.environ.get("DYNSIM_CHROMIUM")
    if override:
        return override if Path(override).exists() else None
    if Path(CHROMIUM).exists():
        return CHROMIUM
    return shutil.which("chromium")


def require_chromium(finder=find_chromium) -> str:
    """Return chromium's path; skip the test without it, but fail in CI.

    Parameters
    ----------
    finder : callable
        Returns the path or ``None`` (the unit test of this rule passes a stub).

    Returns
    -------
    str
        The executable to give Playwright.
    """
    path = finder()
    if path:
        return path
    if in_ci():
        pytest.fail("CI=true but Chromium is missing: the browser tests must run in CI; "
                    + INSTALL_HINT, pytrace=False)
    pytest.skip("browser tests skipped: Chromium is not installed; " + INSTALL_HINT)
    raise AssertionError("unreachable")  # pragma: no cover


# ----------------------------------------------------------------------------- the server
def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_tasks():
    """Import the repository's ``tasks.py`` by path (the README's commands)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("dynsim_tasks", ROOT / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class LabServer:
    """A running JupyterLab server started by :func:`start_lab`.

    Attributes
    ----------
    proc : subprocess.Popen
        The server process (leader of its own session and process group).
    port, token : int, str
        Where it listens (127.0.0.1) and its random token.
    root : pathlib.Path
        The directory it serves (a temporary copy of ``exercises/``).
    workdir : pathlib.Path
        Temporary home of its config, data, runtime and IPython directories and its log.
    """

    proc: subprocess.Popen
    port: int
    token: str
    root: Path
    workdir: Path
    command: list[str] = field(default_factory=list)

    @property
    def log(self) -> Path:
        """The server's combined stdout and stderr."""
        return self.workdir / "lab.log"

    def url(self, path: str, **query: str) -> str:
        """Return ``http://127.0.0.1:<port>/<path>?token=...`` with extra query items."""
        items = {"token": self.token, **query}
        qs = "&".join(f"{k}={urllib.parse.quote(v)}" if v else k for k, v in items.items())
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}?{qs}"

    def lab_url(self, notebook: str) -> str:
        """URL opening ``notebook`` in JupyterLab, in a fresh (reset) workspace."""
        return self.url(f"lab/tree/{urllib.parse.quote(notebook)}", reset="")

    def voila_url(self, notebook: str) -> str:
        """URL rendering ``notebook`` with Voila (served by the same server)."""
        return self.url(f"voila/render/{urllib.parse.quote(notebook)}")

    def api(self, method: str, path: str, timeout: float = 10) -> Any:
        """Call the server's REST API and return the decoded JSON (``None`` if empty)."""
        req = urllib.request.Request(self.url(f"api/{path.lstrip('/')}"), method=method)
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server log (for failure messages)."""
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def lab_environment(workdir: Path) -> dict[str, str]:
    """Environment of the test server: ``tasks.py lab``'s, with every Jupyter dir in ``workdir``.

    Like ``python3 tasks.py lab``: ``tasks.child_env`` over ``tasks.fast_kernel_settings``
    (the kernels' ``SETUPTOOLS_USE_DISTUTILS=stdlib`` where the standard library has
    ``distutils``), and the lab's kernel (``tasks.lab_kernel_settings``: it imports Brian2 and
    the benches while it starts), so the browser tests run the kernels students get.

    Writes the JupyterLab user settings of :data:`LAB_USER_SETTINGS` (no news pop-up) into the
    temporary ``$JUPYTER_CONFIG_DIR``.
    """
    tasks = load_tasks()
    python = Path(sys.executable)
    env = {**tasks.fast_kernel_settings(python), **tasks.child_env(python)}
    dirs = {"JUPYTER_CONFIG_DIR": "config", "JUPYTER_DATA_DIR": "data",
            "JUPYTER_RUNTIME_DIR": "runtime", "IPYTHONDIR": "ipython"}
    for var, name in dirs.items():
        (workdir / name).mkdir(parents=True, exist_ok=True)
        env[var] = str(workdir / name)
    env.update(tasks.lab_kernel_settings(python, workdir / "lab-kernel", env))
    settings = workdir / "config" / "lab" / "user-settings"
    for rel, value in LAB_USER_SETTINGS.items():
        target = settings / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value))
    env.pop("JUPYTERLAB_WORKSPACES_DIR", None)
    return env


def copy_exercises(target: Path, fixtures: dict[str, Path] | None = None) -> Path:
    """Copy ``exercises/`` to ``target`` (the server's root) and add fixture notebooks.

    Parameters
    ----------
    target : pathlib.Path
        Destination; must not exist.
    fixtures : dict, optional
        Relative path inside the copy -> source file, for test notebooks.
    """
    shutil.copytree(ROOT / "exercises", target,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    for rel, src in (fixtures or {}).items():
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
    return target


def _parent_death_signal():
    """Return a ``preexec_fn`` that makes the child get SIGKILL when this process dies.

    Linux only (``prctl(PR_SET_PDEATHSIG)``); ``None`` elsewhere. The server's kernels end by
    themselves when the server dies (ipykernel watches its parent), so a test run that is
    killed (a CI timeout) leaves no server or kernel behind either.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def set_signal() -> None:
        prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG

    return set_signal


def start_lab(root: Path, workdir: Path, *, timeout: float = 90) -> LabServer:
    """Start JupyterLab exactly as ``python3 tasks.py lab`` does, for a test.

    The command line is ``tasks.lab_command`` (127.0.0.1), on ``root``, with a random free
    port and :data:`LAB_TEST_ARGS`, and a random token in the environment
    (``tasks.lab_environment``); the process runs in its own session. Returns once
    ``/api/status`` answers.

    Parameters
    ----------
    root : pathlib.Path
        Directory to serve (a temporary copy, see :func:`copy_exercises`).
    workdir : pathlib.Path
        Temporary directory for the Jupyter config/data/runtime dirs and the log.
    timeout : float
        Seconds to wait for the server to answer.

    Returns
    -------
    LabServer
    """
    tasks = load_tasks()
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env, token = tasks.lab_environment(lab_environment(workdir),
                                       "dynsim-test-" + secrets.token_hex(16))
    cmd = tasks.lab_command(Path(sys.executable), [f"--port={port}", *LAB_TEST_ARGS], root=root)
    with (workdir / "lab.log").open("w") as log:
        proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=_parent_death_signal())
    server = LabServer(proc=proc, port=port, token=token, root=root, workdir=workdir,
                       command=cmd)
    atexit.register(_kill_group, proc)  # last resort if the fixture's teardown never runs
    deadline = time.monotonic() + timeout
    while True:
        try:
            server.api("GET", "status", timeout=5)
            return server
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_lab(server)
                raise AssertionError(f"JupyterLab did not start ({exc}); log:\n"
                                     + server.log_tail()) from None
            time.sleep(0.3)


def _kill_group(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def shutdown_kernels(server: LabServer) -> None:
    """Shut down every session and kernel of ``server`` (between tests)."""
    try:
        for session in server.api("GET", "sessions"):
            server.api("DELETE", f"sessions/{session['id']}")
        for kernel in server.api("GET", "kernels"):
            server.api("DELETE", f"kernels/{kernel['id']}")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        pass


def _server_processes(server: LabServer) -> list[psutil.Process]:
    """The server, its descendants, and any process that names its work directory."""
    procs: dict[int, psutil.Process] = {}
    try:
        leader = psutil.Process(server.proc.pid)
        procs[leader.pid] = leader
        procs.update({p.pid: p for p in leader.children(recursive=True)})
    except psutil.NoSuchProcess:
        pass
    marker = str(server.workdir)
    for p in psutil.process_iter(["cmdline"]):
        try:
            if any(marker in arg for arg in p.info["cmdline"] or ()):
                procs[p.pid] = p
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    procs.pop(os.getpid(), None)
    return list(procs.values())


def stop_lab(server: LabServer, *, grace: float = 10) -> list[str]:
    """Stop the server, its kernels and their children; return what survived (nothing).

    First asks the server to shut down (``POST /api/shutdown``, which stops its kernels), then
    kills what is left: the server's process group and the group of every descendant (kernels
    run in their own sessions).

    Returns
    -------
    list of str
        Descriptions of processes still alive afterwards (empty when all went away).
    """
    procs = _server_processes(server)
    if server.proc.poll() is None:
        try:
            server.api("POST", "shutdown", timeout=5)
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        try:
            server.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    procs += [p for p in _server_processes(server) if p.pid not in {q.pid for q in procs}]
    own_group = os.getpgrp()
    for p in [server.proc.pid, *(q.pid for q in procs)]:
        try:
            group = os.getpgid(p)
        except ProcessLookupError:
            continue
        try:
            if group != own_group:
                os.killpg(group, signal.SIGKILL)
            else:
                os.kill(p, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        server.proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    _, alive = psutil.wait_procs(procs, timeout=grace)
    survivors = []
    for p in alive:
        try:
            if p.status() != psutil.STATUS_ZOMBIE:
                survivors.append(f"{p.pid} {' '.join(p.cmdline())[:200]}")
        except psutil.NoSuchProcess:
            continue
    return survivors


# ----------------------------------------------------------------------------- console
@dataclass
class ConsoleLog:
    """JavaScript errors of one page, collected from the moment :func:`watch_console` ran.

    Attributes
    ----------
    errors : list of str
        ``console.error`` messages and uncaught exceptions (``pageerror``), page-local.
    external : list of str
        Resources from other hosts that failed to load (this machine has no internet; on
        Binder they load). Reported, not counted as errors.
    """

    errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)


_CONSOLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _is_external(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    return bool(url) and not url.startswith(("data:", "blob:")) and host not in (
        "127.0.0.1", "localhost", "::1")


def watch_console(page) -> ConsoleLog:
    """Start collecting the page's console errors and uncaught exceptions (the fixture does)."""
    log = ConsoleLog()

    def on_console(msg) -> None:
        if msg.type != "error":
            return
        url = (msg.location or {}).get("url", "")
        if msg.text.startswith("Failed to load resource") and _is_external(url):
            log.external.append(f"{msg.text} ({url})")
        else:
            where = f" ({url}:{(msg.location or {}).get('lineNumber', '')})" if url else ""
            log.errors.append(f"console.error: {msg.text}{where}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: log.errors.append(f"uncaught: {exc}"))
    _CONSOLES[page] = log
    return log


def console_log(page) -> ConsoleLog:
    """Return the :class:`ConsoleLog` of a page set up by :func:`watch_console`."""
    return _CONSOLES[page]


# ----------------------------------------------------------------------------- notebooks
# JavaScript run in the page. `nbPanel(path)` finds the open notebook panel of a path.
_JS_PANEL = """
function nbPanel(path) {
  const app = window.jupyterapp;
  if (!app) { return null; }
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === path && w.content && w.content.widgets) { return w; }
  }
  return null;
}
"""

_JS_READY = "(path) => {" + _JS_PANEL + """
  const p = nbPanel(path);
  const kernel = p && p.context.isReady && p.sessionContext.session
    && p.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle' && kernel.connectionStatus === 'connected';
}
"""

_JS_HOOK = "(path) => {" + _JS_PANEL + """
  const p = nbPanel(path);
  window.__dynsimNotebook = path;
  window.__dynsimKernelErrors = window.__dynsimKernelErrors || [];
  if (p.__dynsimHooked) { return; }
  p.__dynsimHooked = true;
  p.sessionContext.iopubMessage.connect((_, msg) => {
    if (msg.header.msg_type !== 'error') { return; }
    const parent = (msg.parent_header && msg.parent_header.msg_type) || '';
    window.__dynsimKernelErrors.push({
      parent, text: `${msg.content.ename}: ${msg.content.evalue}`,
      traceback: (msg.content.traceback || []).join('\\n'),
    });
  });
}
"""

_JS_RUN_ALL = "async (path) => {" + _JS_PANEL + """
  const app = window.jupyterapp;
  const p = nbPanel(path);
  app.shell.activateById(p.id);
  if (app.shell.currentWidget !== p) { throw new Error(`could not activate ${path}`); }
  await app.commands.execute('notebook:clear-all-cell-outputs');
  app.commands.execute('notebook:run-all-cells');  // not awaited: it resolves at the end
  return p.content.widgets.filter(c => c.model.type === 'code').length;
}
"""

_JS_STATE = "(path) => {" + _JS_PANEL + """
  const p = nbPanel(path);
  if (!p) { return null; }
  const kernel = p.sessionContext.session && p.sessionContext.session.kernel;
  const cells = [];
  p.content.widgets.forEach((c, i) => {
    if (c.model.type !== 'code') { return; }
    const outputs = c.model.outputs;
    const errors = [];
    for (let k = 0; k < outputs.length; k++) {
      const o = outputs.get(k);
      if (o.type === 'error') {
        const raw = o.toJSON();
        const tb = (raw.traceback || []).join('\\n');
        errors.push(`cell ${i}: ${raw.ename}: ${raw.evalue}\\n${tb}`);
      }
    }
    const prompt = c.promptNode ? c.promptNode.textContent : '';
    cells.push({
      index: i,
      source: c.model.sharedModel.getSource().trim() !== '',
      count: c.model.executionCount,
      running: c.model.executionState === 'running' || prompt.includes('*'),
      errors,
    });
  });
  return {kernel: kernel ? kernel.status : 'none', cells};
}
"""

_JS_OUTPUT_TEXTS = "(path) => {" + _JS_PANEL + """
  const p = nbPanel(path);
  if (!p) { return null; }
  const texts = [];
  p.content.widgets.forEach((c) => {
    if (c.model.type !== 'code') { return; }
    const outputs = c.model.outputs;
    for (let k = 0; k < outputs.length; k++) {
      const raw = outputs.get(k).toJSON();
      const data = raw.data || {};
      const text = raw.text || data['text/plain'] || data['text/html'] || '';
      texts.push(Array.isArray(text) ? text.join('') : String(text));
    }
  });
  return texts;
}
"""


def output_texts(page) -> list[str]:
    """Return the text of every output of the current notebook, read from the cell models.

    JupyterLab 4 renders only the cells near the viewport (windowing), so the page's DOM
    holds the outputs of a few cells; the models hold all of them.
    """
    path = _current_notebook(page)
    return page.evaluate(_JS_OUTPUT_TEXTS, path) or []


_JS_KERNEL_ERRORS = """
() => (window.__dynsimKernelErrors || []).map(e => [e.parent, e.text, e.traceback])
"""

_JS_ERROR_BOXES = """
() => Array.from(document.querySelectorAll('.dynsim-error'))
  .map(e => e.innerText.trim()).filter(t => t.length > 0)
"""


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def open_notebook(page, server: LabServer, path: str, *, timeout: float = 90) -> None:
    """Open ``path`` (relative to the server root) in JupyterLab and wait for an idle kernel.

    Opens in a fresh workspace (no tabs restored), waits until the notebook's kernel is
    connected and idle, and starts recording the kernel's error messages (see
    :func:`notebook_errors`). The notebook becomes the page's current notebook for
    :func:`run_all_cells`.

    Parameters
    ----------
    page : playwright.sync_api.Page
    server : LabServer
    path : str
        Notebook path relative to the served root, e.g. ``"01_dynapse_neuron.ipynb"``.
    timeout : float
        Seconds for JupyterLab to load and the kernel to start.
    """
    page.goto(server.lab_url(path), timeout=timeout * 1000)
    try:
        page.wait_for_function(_JS_READY, arg=path, timeout=timeout * 1000, polling=200)
    except Exception as exc:
        raise AssertionError(f"{path}: JupyterLab did not open it with an idle kernel within "
                             f"{timeout} s ({exc}); server log:\n{server.log_tail()}") from None
    page.evaluate(_JS_HOOK, path)


def _current_notebook(page) -> str:
    path = page.evaluate("() => window.__dynsimNotebook || null")
    if not path:
        raise AssertionError("no notebook opened on this page: call open_notebook first")
    return path


def run_all_cells(page, *, timeout: float = 180) -> dict:
    """Run every cell of the current notebook and wait until execution has finished.

    Clears the outputs, runs all cells (JupyterLab's ``notebook:run-all-cells``), then polls
    the cell models until every non-empty code cell has an execution count, none is queued or
    running, and the kernel is idle.

    Parameters
    ----------
    page : playwright.sync_api.Page
    timeout : float
        Seconds for the whole notebook.

    Returns
    -------
    dict
        The final state: kernel status and, per code cell, its execution count.

    Raises
    ------
    AssertionError
        When a cell raised (JupyterLab stops at the first error), the kernel died, or the
        timeout passed; the message lists the error outputs and the cells not executed.
    """
    path = _current_notebook(page)
    start = time.monotonic()
    page.evaluate(_JS_RUN_ALL, path)
    state = None
    while time.monotonic() - start < timeout:
        time.sleep(0.25)
        state = page.evaluate(_JS_STATE, path)
        if state is None:
            raise AssertionError(f"{path}: the notebook panel closed while running")
        cells = [c for c in state["cells"] if c["source"]]
        busy = any(c["running"] for c in cells) or state["kernel"] not in ("idle", "dead")
        errors = [e for c in cells for e in c["errors"]]
        if state["kernel"] == "dead":
            raise AssertionError(f"{path}: the kernel died while running all cells\n"
                                 + "\n".join(map(_strip_ansi, errors)))
        if errors and not busy:
            raise AssertionError(f"{path}: a cell raised while running all cells:\n"
                                 + "\n".join(map(_strip_ansi, errors)))
        if not busy and all(c["count"] is not None for c in cells):
            state["seconds"] = round(time.monotonic() - start, 2)
            return state
    pending = [c["index"] for c in (state or {"cells": []})["cells"]
               if c["source"] and c["count"] is None]
    errors = [e for c in (state or {"cells": []})["cells"] for e in c["errors"]]
    raise AssertionError(f"{path}: run all cells did not finish in {timeout} s; kernel "
                         f"{(state or {}).get('kernel')}; cells not executed: {pending}\n"
                         + "\n".join(map(_strip_ansi, errors)))


def notebook_errors(page) -> list[str]:
    """Return every error the student would see (or miss) in the current page.

    Collected from: error outputs of the notebook's cells (cell models), ``error`` messages
    of the kernel whose parent is not a cell execution (exceptions in widget callbacks, which
    JupyterLab shows only in the Log Console), and the text of every ``.dynsim-error`` box.
    In Voila (no notebook panel) the last two apply, plus tracebacks rendered in the page.
    """
    found: list[str] = []
    path = page.evaluate("() => window.__dynsimNotebook || null")
    if path:
        state = page.evaluate(_JS_STATE, path) or {"cells": []}
        found += [_strip_ansi(e) for c in state["cells"] for e in c["errors"]]
    for parent, text, traceback in page.evaluate(_JS_KERNEL_ERRORS):
        if parent != "execute_request" or not path:
            found.append(f"kernel error (from {parent or 'unknown'}): {text}\n"
                         + _strip_ansi(traceback))
    found += [f".dynsim-error box: {text}" for text in page.evaluate(_JS_ERROR_BOXES)]
    if not path:
        found += voila_tracebacks(page)
    return found


def voila_tracebacks(page) -> list[str]:
    """Tracebacks rendered in a Voila page (stderr outputs that look like an exception)."""
    texts = page.evaluate("""() => Array.from(document.querySelectorAll(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
        .map(e => e.innerText)""")
    return [f"Voila output: {t[:2000]}" for t in texts
            if "Traceback" in t or "Error" in t or "There was an error" in t]


def assert_no_errors(page, *, ignore_console: tuple[str, ...] = ()) -> None:
    """Fail if the page has JavaScript errors or the notebook shows any error.

    Parameters
    ----------
    page : playwright.sync_api.Page
    ignore_console : tuple of str
        Substrings of console errors that are expected (keep this empty when possible).

    Raises
    ------
    AssertionError
        Listing each console error and each notebook or callback error.
    """
    log = console_log(page)
    console = [e for e in log.errors if not any(s in e for s in ignore_console)]
    problems = console + notebook_errors(page)
    if log.external:
        print("\n[browser] resources from other hosts failed to load (no internet here):\n  "
              + "\n  ".join(sorted(set(log.external))))
    assert not problems, "errors in the page:\n" + "\n".join(problems)


def wait_for_element(page, selector: str, *, timeout: float = 60):
    """Wait until ``selector`` is in the page, scroll it into view and return its locator."""
    loc = page.locator(selector)
    try:
        loc.first.wait_for(state="attached", timeout=timeout * 1000)
    except Exception as exc:
        errors = notebook_errors(page)
        raise AssertionError(f"{selector} did not appear within {timeout} s ({exc})\n"
                             + "\n".join(errors)) from None
    # A view re-rendered meanwhile (ipywidgets and BokehJS may replace the node once the
    # layout settles) detaches the element found: look it up again, as a user's eye would.
    deadline = time.monotonic() + timeout
    while True:
        try:
            loc.first.scroll_into_view_if_needed(timeout=10_000)
            return loc
        except Exception as exc:  # playwright's Error: "Element is not attached to the DOM"
            if "not attached" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
            loc.first.wait_for(state="attached", timeout=max(1.0, deadline - time.monotonic())
                               * 1000)


def open_voila(page, server: LabServer, path: str, *, timeout: float = 120) -> None:
    """Render ``path`` with Voila and wait until it has executed and shown its cells."""
    page.goto(server.voila_url(path), timeout=timeout * 1000)
    page.wait_for_function(
        """() => { const el = document.getElementById('loading');
                   return document.readyState === 'complete' &&
                          (!el || getComputedStyle(el).display === 'none'); }""",
        timeout=timeout * 1000, polling=250)


def show_notebook(page, server: LabServer, path: str, where: str, *,
                  timeout: float = 300) -> None:
    """Show ``path`` as a student sees it: in JupyterLab with every cell run, or in Voila.

    Parameters
    ----------
    page : playwright.sync_api.Page
    server : LabServer
    path : str
        Notebook path relative to the served root.
    where : str
        ``"jupyterlab"`` (:func:`open_notebook`, then :func:`run_all_cells`, whose time is
        printed) or ``"voila"`` (:func:`open_voila`).
    timeout : float
        Seconds for the cells to run.
    """
    if where == "voila":
        open_voila(page, server, path, timeout=timeout)
    elif where == "jupyterlab":
        open_notebook(page, server, path)
        state = run_all_cells(page, timeout=timeout)
        print(f"\n[browser] {path} ran in {state['seconds']} s in JupyterLab")
    else:
        raise ValueError(f"where must be 'jupyterlab' or 'voila', got {where!r}")


# ----------------------------------------------------------------------------- widgets
def widget(page, css_class: str, within: str | None = None):
    """Locator of the (single) ipywidgets control that carries ``css_class``.

    Parameters
    ----------
    page : playwright.sync_api.Page
    css_class : str
        The control's class, without the dot.
    within : str, optional
        Selector of a container (e.g. ``".dynsim-bench >> nth=1"`` for a notebook's second
        bench) when the class occurs more than once in the page.
    """
    scope = page.locator(within) if within else page
    loc = scope.locator(f".{css_class}")
    count = loc.count()
    assert count == 1, f"expected one element with class {css_class!r}, found {count}"
    return loc


_JS_REVEAL = """
(el) => {
  // The outermost closed tab or accordion section that holds el (ipywidgets 8: a Tab is a
  // Lumino TabBar over .widget-tab-contents; an Accordion is .jupyter-widget-Collapse
  // sections): mark its tab or header with data-dynsim-reveal for the caller to click.
  document.querySelectorAll('[data-dynsim-reveal]')
    .forEach(e => e.removeAttribute('data-dynsim-reveal'));
  const chain = [];
  for (let a = el; a && a.parentElement; a = a.parentElement) { chain.push(a); }
  for (const a of chain.reverse()) {
    const parent = a.parentElement;
    if (parent.classList.contains('widget-tab-contents')
        && a.classList.contains('lm-mod-hidden')) {
      const index = Array.from(parent.children).indexOf(a);
      const tabs = parent.parentElement.querySelectorAll(
        ':scope > .widget-tab-bar .lm-TabBar-tab');
      tabs[index].setAttribute('data-dynsim-reveal', '1');
      return true;
    }
    if (a.classList.contains('jupyter-widget-Collapse-contents')
        && !parent.classList.contains('jupyter-widget-Collapse-open')) {
      parent.querySelector(':scope > .jupyter-widget-Collapse-header')
        .setAttribute('data-dynsim-reveal', '1');
      return true;
    }
  }
  return false;
}
"""


def reveal(page, css_class: str, within: str | None = None):
    """Open the tab or accordion section that holds a control, as a user clicks it.

    The benches group their controls in an ipywidgets ``Tab`` (``dynsim.widgets.bench.
    control_tabs``); a control in a closed tab is not displayed. Clicks the tab (and any
    enclosing one, outermost first), waits until the control is visible and returns its
    locator (``within`` as for :func:`widget`).
    """
    loc = widget(page, css_class, within)
    for _ in range(8):  # nesting depth
        if not loc.evaluate(_JS_REVEAL):
            break
        target = page.locator("[data-dynsim-reveal]")
        target.scroll_into_view_if_needed()
        target.click()
        target.evaluate("e => e.removeAttribute('data-dynsim-reveal')")
    loc.wait_for(state="visible", timeout=10_000)
    return loc


_JS_KIND = """
(el) => {
  if (el.querySelector('.widget-readout')) { return 'slider'; }
  if (el.querySelector('input[type=checkbox]')) { return 'checkbox'; }
  if (el.querySelector('select')) { return 'select'; }
  if (el.matches('input, textarea') || el.querySelector('input, textarea')) { return 'text'; }
  if (el.matches('button') || el.classList.contains('jupyter-button')) { return 'button'; }
  return 'unknown';
}
"""


def set_widget_value(page, css_class: str, value: Any, within: str | None = None) -> str:
    """Set an ipywidgets control the way a user does, and return what it then displays.

    Sliders: click the value readout, select all, type the value, Enter. Text and number
    boxes: the same in their input. Dropdowns: choose the option whose label is ``value``.
    Checkboxes: tick or untick. Buttons: click (``value`` is ignored).

    Parameters
    ----------
    page : playwright.sync_api.Page
    css_class : str
        The control's class (e.g. ``dynsim-bias-IF_DC_P-fine``), without the dot.
    value : object
        Typed as ``str(value)``.
    within : str, optional
        Container selector, as for :func:`widget`.
    """
    loc = reveal(page, css_class, within)
    loc.scroll_into_view_if_needed()
    kind = loc.evaluate(_JS_KIND)
    if kind in ("slider", "text"):
        field_ = loc.locator(".widget-readout") if kind == "slider" else (
            loc if loc.evaluate("e => e.matches('input, textarea')")
            else loc.locator("input, textarea").first)
        field_.click()
        page.keyboard.press("Control+A")
        page.keyboard.type(str(value))
        page.keyboard.press("Enter")
        return field_.evaluate("e => e.value !== undefined && e.tagName !== 'DIV' "
                               "? e.value : e.textContent")
    if kind == "select":
        loc.locator("select").select_option(label=str(value))
        return str(value)
    if kind == "checkbox":
        loc.locator("input[type=checkbox]").set_checked(bool(value))
        return str(bool(value))
    if kind == "button":
        loc.click()
        return ""
    raise AssertionError(f"do not know how to set the control .{css_class}")


def drag_slider(page, css_class: str, fraction: float, within: str | None = None) -> str:
    """Drag a slider's handle with the mouse to ``fraction`` (0..1) of its track.

    Returns the readout's text afterwards (``within`` as for :func:`widget`).
    """
    loc = reveal(page, css_class, within)
    loc.scroll_into_view_if_needed()
    track = loc.locator(".noUi-base").bounding_box()
    handle = loc.locator(".noUi-handle").bounding_box()
    y = handle["y"] + handle["height"] / 2
    page.mouse.move(handle["x"] + handle["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(track["x"] + fraction * track["width"], y, steps=12)
    page.mouse.up()
    return loc.locator(".widget-readout").text_content()


# ----------------------------------------------------------------------------- bokeh
_JS_FIND_SOURCE = """
function findModel(name) {
  const B = window.Bokeh;
  if (!B || !B.documents) { return null; }
  for (let i = B.documents.length - 1; i >= 0; i--) {
    const m = B.documents[i].get_model_by_name(name);
    if (m) { return m; }
  }
  return null;
}
"""

_JS_DATA = "(name) => {" + _JS_FIND_SOURCE + """
  const m = findModel(name);
  if (!m) { return null; }
  const plain = (v) => ArrayBuffer.isView(v) ? Array.from(v)
    : Array.isArray(v) ? v.map(plain) : v;
  const entries = m.data instanceof Map ? Array.from(m.data.entries()) : Object.entries(m.data);
  const out = {};
  for (const [k, v] of entries) { out[k] = plain(v); }
  return out;
}
"""

_JS_PLOT_ELEMENT = "(name) => {" + _JS_FIND_SOURCE + """
  const src = findModel(name);
  const B = window.Bokeh;
  if (!src || !B.index) { return null; }
  const PLOTS = new Set(['Figure', 'Plot', 'GMap', 'GMapPlot']);
  const seen = new Set();
  const stack = Array.from(B.index).map(v => [v, null]);
  while (stack.length) {
    const [view, plot] = stack.pop();
    if (!view || seen.has(view)) { continue; }
    seen.add(view);
    const here = view.model && PLOTS.has(view.model.type) ? view : plot;
    if (view.model && view.model.data_source === src && here) { return here.el; }
    const kids = [];
    try { if (typeof view.children === 'function') { kids.push(...view.children()); } }
    catch (e) { /* not a container */ }
    for (const key of ['child_views', 'renderer_views', 'computed_renderer_views']) {
      try {
        const c = view[key];
        if (c) { kids.push(...(typeof c.values === 'function' ? c.values() : c)); }
      } catch (e) { /* not there in this Bokeh */ }
    }
    for (const k of kids) { stack.push([k, here]); }
  }
  return null;
}
"""


def bokeh_data(page, name: str) -> dict[str, list]:
    """Return the columns of the Bokeh ``ColumnDataSource`` named ``name``, as lists.

    Searches ``window.Bokeh.documents`` from the newest; works in JupyterLab and Voila.

    Raises
    ------
    AssertionError
        If no Bokeh document in the page has a model of that name.
    """
    data = page.evaluate(_JS_DATA, name)
    assert data is not None, (f"no Bokeh model named {name!r} in the page "
                              "(is BokehJS loaded INLINE and the source given name=...?)")
    return data


def wait_until(what: str, check, *, timeout: float = 60, interval: float = 0.2) -> Any:
    """Poll ``check()`` until it returns something true; return it.

    Raises
    ------
    AssertionError
        ``"<what> within <timeout> s"`` when ``check()`` stayed false.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what} within {timeout} s")


def wait_for_data_change(page, name: str, before: dict, *, timeout: float = 30) -> dict:
    """Wait until the data of source ``name`` differs from ``before``; return the new data.

    Raises
    ------
    AssertionError
        ``"... did not change ..."``: at once when a new error shows up (a callback raised,
        see :func:`notebook_errors`), else after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    known = len(notebook_errors(page))
    while time.monotonic() < deadline:
        now = bokeh_data(page, name)
        if now != before:
            return now
        errors = notebook_errors(page)
        if len(errors) > known:  # a callback raised: no point in waiting any longer
            raise AssertionError(f"Bokeh data source {name!r} did not change: an error "
                                 "occurred instead:\n" + "\n".join(errors))
        time.sleep(0.2)
    errors = notebook_errors(page)
    raise AssertionError(f"Bokeh data source {name!r} did not change within {timeout} s"
                         + ("; errors:\n" + "\n".join(errors) if errors else ""))


def plot_snapshot(page, name: str) -> bytes:
    """PNG of the Bokeh plot that draws source ``name``, as the screen shows it."""
    handle = page.evaluate_handle(_JS_PLOT_ELEMENT, name)
    element = handle.as_element()
    assert element is not None, f"no Bokeh plot view draws the data source {name!r}"
    element.scroll_into_view_if_needed()
    return element.screenshot(animations="disabled")


def wait_for_redraw(page, name: str, before: bytes, *, timeout: float = 15) -> bytes:
    """Wait until the plot drawing ``name`` looks different from ``before``; return its PNG.

    Raises
    ------
    AssertionError
        If the plot's pixels did not change within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = plot_snapshot(page, name)
        if hashlib.sha256(now).digest() != hashlib.sha256(before).digest():
            return now
        time.sleep(0.2)
    raise AssertionError(f"the plot of {name!r} did not redraw within {timeout} s "
                         "(its pixels are unchanged)")


def check_control_updates_plot(page, css_class: str, value: Any, source: str, *,
                               within: str | None = None, timeout: float = 60) -> dict:
    """Set a control as a user does and check that the plot's data changed and it redrew.

    The whole slider-to-plot check of a bench in one call: snapshot the data of ``source``
    and its plot's pixels, :func:`set_widget_value`, then :func:`wait_for_data_change` and
    :func:`wait_for_redraw`.

    Parameters
    ----------
    page : playwright.sync_api.Page
    css_class : str
        The control's class, e.g. ``"dynsim-bias-IF_DC_P-fine"``.
    value : object
        The value to type or choose.
    source : str
        Name of the Bokeh data source that must change, e.g. ``"dynsim-currents"``.
    within : str, optional
        Container selector, as for :func:`widget`.
    timeout : float
        Seconds for the data to change (the simulation behind the callback runs meanwhile).

    Returns
    -------
    dict
        The source's new data.
    """
    before, shot = bokeh_data(page, source), plot_snapshot(page, source)
    set_widget_value(page, css_class, value, within)
    after = wait_for_data_change(page, source, before, timeout=timeout)
    wait_for_redraw(page, source, shot)
    return after


# ----------------------------------------------------------------------------- artifacts
def save_screenshot(page, directory: Path, name: str, selector: str | None = None) -> Path:
    """Save a PNG of the page (or of ``selector``) as ``directory/name.png`` and print it."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    if selector:
        page.locator(selector).first.screenshot(path=str(path))
    else:
        page.screenshot(path=str(path), full_page=False)
    print(f"\n[browser] screenshot: {path}")
    return path


# ----------------------------------------------------------------------------- notebook files
def notebook_variant(server: LabServer, source: str, name: str, **parameters: Any) -> str:
    """Write a copy of a served notebook with papermill-style parameters; return its path.

    Like ``papermill -p``: a code cell tagged ``injected-parameters`` that assigns
    ``parameters`` is inserted after the cell tagged ``parameters`` (or first). The copy lies
    next to ``source`` in the server's temporary root, never in the repository.

    Parameters
    ----------
    server : LabServer
    source : str
        Notebook path relative to the served root.
    name : str
        File name of the copy.
    **parameters
        Values written with ``repr``.

    Returns
    -------
    str
        The copy's path relative to the served root (for :func:`open_notebook`).
    """
    import nbformat

    nb = nbformat.read(server.root / source, as_version=4)
    code = "\n".join(f"{key} = {value!r}" for key, value in parameters.items())
    cell = nbformat.v4.new_code_cell(code, metadata={"tags": ["injected-parameters"]})
    position = next((i + 1 for i, c in enumerate(nb.cells)
                     if "parameters" in c.metadata.get("tags", [])), 0)
    nb.cells.insert(position, cell)
    target = Path(source).with_name(name).as_posix()
    nbformat.write(nb, server.root / target)
    return target
