"""The base of every bench: status line, error box, progress, the worker, ``wait``.

A bench is controls + scopes around one simulated model, shown as one ipywidgets box
(class ``dynsim-bench``). :class:`Bench` does everything that is not about a particular chip:

* requests from controls go to a :class:`~dynsim.widgets._worker.LatestWinsRunner` (one
  worker thread, the latest value wins, at most one run queued behind the running one);
* a run is ``_snapshot`` -> ``_apply(changes)`` -> ``_simulate()`` -> ``_show(result)``; when
  applying or simulating raises, the model is restored from the snapshot, the controls are
  set back to the model's actual values, the plot keeps its previous data, and the error
  appears in the bench's error box (class ``dynsim-error``: a one-line message and an
  expandable traceback). No exception reaches the kernel; the next good run clears the box;
* :class:`StatusArea` is the status line (class ``dynsim-status``): what is being simulated,
  the elapsed time of a long run, a progress bar while a runtime engine streams, and the time
  the last run took;
* ``wait()``, ``run()`` (blocking), ``runs`` / ``requests`` counters, ``close()`` and the
  notebook display hook (a bare ``bench`` at the end of a cell shows it).

Subclassing (what ``DynapseLab`` does, and what a Loihi bench does the same way)::

    class MyLab(Bench):
        def __init__(self, model):
            super().__init__(name="mylab")
            self.model = model
            self.slider = IntSlider(...)
            self.slider.observe(self.guard(lambda ch: self.request({"gain": ch["new"]})),
                                names="value")
            self.scope = MyScope()                      # a BokehScope subclass
            self.set_children([self.slider, self.status.line, self.scope.widget,
                               self.status.error])
            self.request()                              # first run

        def _snapshot(self): return self.model.get_state()
        def _restore(self, state): self.model.set_state(state)
        def _apply(self, changes): self.model.set_gain(changes["gain"])  # validates
        def _sync_controls(self):
            with self.quiet(): self.slider.value = self.model.gain
        def _simulate(self): return self.model.run(progress=self.status.progress)
        def _show(self, result): self.scope.show(result)

Examples
--------
>>> class Doubler(Bench):
...     def __init__(self):
...         super().__init__(name="doubler")
...         self.value = 1
...         self.set_children([self.status.line, self.status.error])
...     def _snapshot(self): return self.value
...     def _restore(self, value): self.value = value
...     def _apply(self, changes):
...         if changes.get("value", 0) < 0:
...             raise ValueError("value must be >= 0")
...         self.value = changes.get("value", self.value)
...     def _simulate(self): return 2 * self.value
>>> bench = Doubler()
>>> _ = bench.request({"value": 21})
>>> bench.wait(10)
True
>>> bench.result
42
>>> _ = bench.request({"value": -1})
>>> bench.wait(10)
True
>>> bench.result, bench.value, bench.error_text
(42, 21, 'ValueError: value must be >= 0')
>>> bench.close()
"""

from __future__ import annotations

import contextlib
import functools
import html
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import Any

from ipywidgets import HTML, Button, FloatProgress, HBox, Layout, Tab, VBox, Widget

from ._bokeh import format_time, freshen_scopes, load_bokehjs
from ._lifecycle import close_tree, replace_in_cell
from ._worker import LatestWinsRunner, kernel_thread

__all__ = ["Bench", "DirectHost", "Host", "StatusArea", "close_tree", "control_tabs",
           "error_html", "one_line", "plot_beside_controls"]

#: The tallest a tab of controls is (px); a taller group scrolls inside its tab, so the
#: bench's height stays fixed and its plot on screen (issue 11: a bench fits 1100 px).
CONTROLS_HEIGHT = 330

#: How long displaying a bench waits for the run under way (s). A first run on a warm cache
#: ends in tens of ms; its scopes' first views are then drawn once, with its data, instead of
#: empty and again (about half a second of the page's time, ``benchmarks/levers.md``,
#: "First plot (5)"). A longer run (compiling) is shown running after this wait.
DISPLAY_WAIT = 0.5


# --------------------------------------------------------------------------- errors
def one_line(exc: BaseException, limit: int = 300) -> str:
    r"""Return ``'ErrorType: first line of the message'`` (shortened to ``limit`` characters).

    Examples
    --------
    >>> one_line(ValueError("bad\nmore"))
    'ValueError: bad'
    """
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    message = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return message if len(message) <= limit else message[: limit - 1] + "…"


def error_html(exc: BaseException, context: str = "") -> str:
    """Return the HTML of the error box: a one-line message and an expandable traceback."""
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    where = f" <span style='color:#6d4c41'>({html.escape(context)})</span>" if context else ""
    return (
        "<div style='border-left:4px solid #c62828;background:#fdecea;color:#7f0000;"
        "padding:4px 8px;margin:2px 0;font-family:var(--jp-ui-font-family,sans-serif)'>"
        f"<b>{html.escape(one_line(exc))}</b>{where}"
        "<details><summary style='cursor:pointer'>traceback</summary>"
        "<pre style='font-size:11px;white-space:pre-wrap;margin:2px 0'>"
        f"{html.escape(details)}</pre></details></div>"
    )


# --------------------------------------------------------------------------- layout
def control_tabs(groups: Sequence[tuple[str, Sequence[Widget]]], *,
                 height: int = CONTROLS_HEIGHT, width: str = "640px") -> Tab:
    """Return the controls of a bench grouped by job, one tab per group.

    The tab (class ``dynsim-controls``) holds one box per group (class
    ``dynsim-group-<title>``, spaces as ``-``); a group taller than ``height`` pixels scrolls
    inside its tab, so the bench's height does not depend on the group shown and the plot
    next to it stays on screen while any control is used.

    Parameters
    ----------
    groups : sequence of (str, sequence of Widget)
        Tab title and the widgets of the group, in the order shown; empty groups are left out.
    height : int
        Largest height of a group's box in pixels.
    width : str
        CSS width the tab asks for (it shrinks in a narrower notebook).

    Examples
    --------
    >>> from ipywidgets import IntSlider
    >>> tabs = control_tabs([("neuron", [IntSlider()]), ("empty", []), ("run", [IntSlider()])])
    >>> [tabs.get_title(i) for i in range(len(tabs.children))], tabs.selected_index
    (['neuron', 'run'], 0)
    """
    shown = [(title, list(children)) for title, children in groups if children]
    boxes = []
    for title, children in shown:
        group = VBox(children, layout=Layout(max_height=f"{int(height)}px", overflow="auto",
                                             padding="4px 2px"))
        group.add_class("dynsim-group-" + "-".join(title.split()))
        boxes.append(group)
    tabs = Tab(children=boxes, selected_index=0 if boxes else None,
               layout=Layout(flex="1 1 auto", width=width, max_width="100%"))
    for i, (title, _) in enumerate(shown):
        tabs.set_title(i, title)
    tabs.add_class("dynsim-controls")
    return tabs


def plot_beside_controls(plot: Widget, controls: Widget) -> HBox:
    """Return the plot and the controls side by side, the controls below in a narrow notebook.

    A wrapping row (ipywidgets ``Layout(flex_flow="row wrap")``): the plot keeps its place
    (top left) and size; the controls go to its right when the notebook is wide enough,
    otherwise beneath it. Either way the plot never moves while a control is used.
    """
    controls.layout.margin = "0 0 0 12px"
    return HBox([plot, controls], layout=Layout(flex_flow="row wrap", align_items="flex-start"))


# --------------------------------------------------------------------------- status
class _Ticker:
    """One thread for all status lines: shows the elapsed time of long runs twice a second."""

    def __init__(self) -> None:
        self._areas: weakref.WeakSet[StatusArea] = weakref.WeakSet()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, area: StatusArea) -> None:
        with self._cond:
            self._areas.add(area)
            if self._thread is None:
                self._thread = kernel_thread(self._loop, "dynsim-ticker")

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait(0.5)
                areas = [a for a in self._areas if a.busy]
                if not areas:
                    self._areas.clear()
                    self._thread = None
                    return
            for area in areas:
                area._tick()


_TICKER = _Ticker()


class StatusArea:
    """The status line (``dynsim-status``) and the error box (``dynsim-error``).

    Safe to call from any thread.

    Attributes
    ----------
    line : ipywidgets.HBox
        Status text and progress bar (class ``dynsim-status``).
    error : ipywidgets.HTML
        The error box (class ``dynsim-error``): empty unless the last action failed.
    last_error : BaseException or None
        The error shown, if any.

    Examples
    --------
    >>> status = StatusArea()
    >>> status.finish("1 s simulated in 45 ms")
    >>> status.text
    '1 s simulated in 45 ms'
    >>> status.show_error(ValueError("no"), context="applying IF_DC_P")
    >>> status.error_text
    'ValueError: no'
    >>> status.clear_error(); status.error.value
    ''
    """

    #: A run shows its elapsed time once it has taken longer than this (seconds).
    TICK_AFTER = 0.5

    def __init__(self) -> None:
        self.label = HTML("", layout=Layout(margin="0 8px 0 0"))
        self.bar = FloatProgress(value=0.0, min=0.0, max=1.0,
                                 layout=Layout(width="200px", display="none"))
        self.line = HBox([self.label, self.bar], layout=Layout(align_items="center",
                                                                min_height="24px"))
        self.line.add_class("dynsim-status")
        self.error = HTML("")
        self.error.add_class("dynsim-error")
        self.last_error: BaseException | None = None
        self.error_text = ""
        self._text = ""
        self._lock = threading.RLock()
        self._since: float | None = None
        self._busy_text = ""

    # ------------------------------------------------------------------ status
    @property
    def text(self) -> str:
        """The status text shown (plain)."""
        return self._text

    @property
    def busy(self) -> bool:
        """Whether a run is in progress (between :meth:`begin` and :meth:`finish`)."""
        return self._since is not None

    def _show(self, text: str, style: str = "") -> None:
        self._text = text
        body = html.escape(text)
        self.label.value = f"<span style='{style}'>{body}</span>" if style else body

    def set(self, text: str) -> None:
        """Show ``text`` (not busy)."""
        with self._lock:
            self._since = None
            self._show(text)

    def begin(self, text: str) -> None:
        """Show that something started (``'simulating 1 s …'``); long runs show the time."""
        with self._lock:
            self._since = time.perf_counter()
            self._busy_text = text
            self.bar.value = 0.0
            self._show(text)
        _TICKER.add(self)

    def _tick(self) -> None:
        with self._lock:
            if self._since is None:
                return
            elapsed = time.perf_counter() - self._since
            if elapsed >= self.TICK_AFTER:
                self._show(f"{self._busy_text} {format_time(round(elapsed, 1))}")

    def progress(self, fraction: float, text: str | None = None) -> None:
        """Show the progress bar at ``fraction`` (0..1) and optionally a new text."""
        with self._lock:
            self.bar.value = min(max(float(fraction), 0.0), 1.0)
            if self.bar.layout.display != "":
                self.bar.layout.display = ""
            if text is not None:
                self._busy_text = text
                self._show(text)

    def finish(self, text: str, *, failed: bool = False) -> None:
        """End a run: hide the progress bar and show ``text``."""
        with self._lock:
            self._since = None
            self.bar.layout.display = "none"
            self._show(text, "color:#b71c1c" if failed else "")

    # ------------------------------------------------------------------ errors
    def show_error(self, exc: BaseException, *, context: str = "") -> None:
        """Show ``exc`` in the error box (one line, traceback folded)."""
        with self._lock:
            self.last_error = exc
            self.error_text = one_line(exc)
            self.error.value = error_html(exc, context)

    def clear_error(self) -> None:
        """Empty the error box."""
        with self._lock:
            if self.last_error is not None or self.error.value:
                self.last_error = None
                self.error_text = ""
                self.error.value = ""


# --------------------------------------------------------------------------- hosts
class Host:
    """What a panel needs from whoever applies its changes: requests, quiet, errors.

    A panel (``BiasPanel``, ``InputPanel``) never touches its model from an observer: it calls
    ``host.request({key: value})``. In a bench the host is the :class:`Bench` (its worker
    applies and simulates); a panel used on its own gets a :class:`DirectHost`, which applies
    at once.

    Attributes
    ----------
    status : StatusArea
        Where errors and status go.
    """

    def __init__(self) -> None:
        self.status = StatusArea()
        self._local = threading.local()

    def request(self, changes: Mapping[Hashable, Any] | None = None) -> int:
        """Ask for ``changes`` to be applied."""
        raise NotImplementedError

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """Within this block, control changes made by this thread request nothing."""
        previous = getattr(self._local, "quiet", False)
        self._local.quiet = True
        try:
            yield
        finally:
            self._local.quiet = previous

    @property
    def is_quiet(self) -> bool:
        """Whether the calling thread is inside :meth:`quiet`."""
        return getattr(self._local, "quiet", False)

    def guard(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap an observer: an exception goes to the error box instead of the kernel."""

        @functools.wraps(callback)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return callback(*args, **kwargs)
            except Exception as exc:
                self.status.show_error(exc, context="nothing was changed")
                return None

        return guarded


class DirectHost(Host):
    """Host of a panel used on its own: applies each change at once on the calling thread.

    Parameters
    ----------
    apply : callable
        ``apply(changes)``: applies through the model's validated calls (all or nothing).
    sync : callable
        ``sync()``: sets the controls to the model's values (called quietly after a failure).
    describe : callable, optional
        ``describe(changes) -> str``: status text after a success.

    Examples
    --------
    >>> state = {}
    >>> host = DirectHost(state.update, lambda: None)
    >>> host.request({"a": 1}), state
    (1, {'a': 1})
    """

    def __init__(self, apply: Callable[[dict[Hashable, Any]], Any], sync: Callable[[], Any],
                 describe: Callable[[dict[Hashable, Any]], str] | None = None) -> None:
        super().__init__()
        self._apply = apply
        self._sync = sync
        self._describe = describe
        self.requests = 0

    def request(self, changes: Mapping[Hashable, Any] | None = None) -> int:
        """Apply ``changes`` now; an error goes to the error box and the controls are reset."""
        if self.is_quiet:
            return 0
        self.requests += 1
        changes = dict(changes or {})
        try:
            self._apply(changes)
        except Exception as exc:
            self.status.show_error(exc, context="nothing was changed")
            with self.quiet():
                self._sync()
            return self.requests
        self.status.clear_error()
        if self._describe is not None:
            self.status.set(self._describe(changes))
        return self.requests


# --------------------------------------------------------------------------- bench
class Bench(Host):
    """Base of the composed benches: one worker, one status line, one error box.

    Parameters
    ----------
    name : str
        Short name (the worker thread's name). A notebook cell run again that makes a bench
        of the same class and name closes the one it made before.

    Attributes
    ----------
    closed : bool
        Whether :meth:`close` was called.
    status : StatusArea
        Status line and error box; place ``status.line`` and ``status.error`` in the layout.
    """

    #: CSS class of the outer box.
    css_class = "dynsim-bench"

    def __init__(self, *, name: str = "bench") -> None:
        super().__init__()
        self.name = name
        self.closed = False
        # A notebook cell run again makes a new bench: the one it made before is closed.
        replace_in_cell(type(self).__name__, name, self)
        self._runner = LatestWinsRunner(self._job, on_error=self._report_error,
                                        name=f"dynsim-{name}")
        self._box = VBox([], layout=Layout(width="100%"))
        self._box.add_class(self.css_class)
        self._result: Any = None
        self._stage = ""

    # ------------------------------------------------------------------ subclass hooks
    def _snapshot(self) -> Any:
        """Return what :meth:`_restore` needs to undo a failed change (default: nothing)."""
        return None

    def _restore(self, snapshot: Any) -> None:
        """Put the model back as :meth:`_snapshot` saw it."""

    def _apply(self, changes: dict[Hashable, Any]) -> None:
        """Apply the merged changes to the model through its own validated calls."""

    def _sync_controls(self) -> None:
        """Set every control to the model's actual value (inside :meth:`quiet`)."""

    def _simulate(self) -> Any:
        """Simulate and return the result (on the worker thread)."""
        raise NotImplementedError

    def _show(self, result: Any) -> None:
        """Put a result into the scopes."""

    def _begin_text(self) -> str:
        """Status text while simulating."""
        return "simulating …"

    def _done_text(self, result: Any, seconds: float) -> str:
        """Status text after a run that took ``seconds``."""
        return f"simulated in {format_time(seconds)}"

    # ------------------------------------------------------------------ layout
    def set_children(self, children: list[Widget]) -> None:
        """Set the widgets of the bench's outer box (class ``dynsim-bench``)."""
        self._box.children = tuple(children)

    @property
    def widget(self) -> VBox:
        """The bench's outer box (embed it in your own layout if you like)."""
        return self._box

    def describe(self) -> str:
        """One stable line about the bench (its ``text/plain`` form in a notebook)."""
        return type(self).__name__

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        load_bokehjs()
        # The scopes' first views are drawn once, with data, when the run under way (a
        # bench's first: tens of ms on a warm cache) ends within a moment.
        if self.busy:
            self.wait(DISPLAY_WAIT)
        freshen_scopes(self._box)
        bundle = self._box._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):  # a short, stable text (stored outputs, nbval)
            bundle["text/plain"] = self.describe()
        return bundle

    # ------------------------------------------------------------------ requests
    def request(self, changes: Mapping[Hashable, Any] | None = None) -> int:
        """Ask for a run with ``changes`` (merged with pending ones; returns at once).

        Returns the request's ticket (ignored by most callers). Inside :meth:`quiet` nothing
        is requested (0 is returned).
        """
        if self.is_quiet:
            return 0
        return self._runner.request(changes)

    def run(self, timeout: float | None = None) -> Any:
        """Simulate now with the current settings, wait, and return the result.

        Raises
        ------
        Exception
            What the run raised (also shown in the error box).
        TimeoutError
            When the run took longer than ``timeout`` seconds.
        """
        ticket = self._runner.request({})
        outcome = self._runner.wait_ticket(ticket, timeout)
        if outcome is None:
            raise TimeoutError(f"the run did not finish within {timeout} s")
        if outcome.error is not None:
            raise outcome.error
        return outcome.result

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no run is going on or pending; return ``False`` on timeout."""
        return self._runner.wait(timeout)

    @property
    def busy(self) -> bool:
        """Whether a run is going on or pending."""
        return self._runner.busy

    def _run_controls(self, control: Widget, key: str, css_class: str) -> Button:
        """Wire a bench's run-length control and make its "run again" button.

        A new value of ``control`` requests a run with ``{(key,): value}``; the button
        (class ``dynsim-lab-run``) requests a run with no change. Both go through
        :meth:`guard`.
        """
        control.add_class(css_class)
        control.observe(self.guard(lambda change: self.request({(key,): change["new"]})),
                        names="value")
        button = Button(description="run again", icon="play", layout=Layout(width="110px"))
        button.add_class("dynsim-lab-run")
        button.on_click(self.guard(lambda _: self.request()))
        return button

    @property
    def pending(self) -> dict[Hashable, Any]:
        """A copy of the changes waiting for the next run (empty when none are waiting)."""
        return self._runner.pending

    @property
    def runs(self) -> int:
        """Runs the worker has done (each applies all pending changes, then simulates once)."""
        return self._runner.runs

    @property
    def requests(self) -> int:
        """Requests received (control changes, ``run()`` calls)."""
        return self._runner.requests

    @property
    def failures(self) -> int:
        """Runs that failed (their error was shown)."""
        return self._runner.failures

    @property
    def result(self) -> Any:
        """The result of the last successful run (no waiting; ``None`` before the first)."""
        return self._result

    @property
    def error_text(self) -> str:
        """The one-line message in the error box (``''`` when there is none)."""
        return self.status.error_text

    @property
    def last_error(self) -> BaseException | None:
        """The exception shown in the error box, if any."""
        return self.status.last_error

    # ------------------------------------------------------------------ the job
    def _job(self, changes: dict[Hashable, Any]) -> Any:
        snapshot = self._snapshot()
        try:
            self._stage = "applying the change; nothing was changed"
            self._apply(changes)
            self._stage = "simulating; the previous settings are restored"
            self.status.begin(self._begin_text())
            start = time.perf_counter()
            result = self._simulate()
            seconds = time.perf_counter() - start
        except BaseException:
            try:
                self._restore(snapshot)
            finally:
                with self.quiet():
                    self._sync_controls()
            raise
        self._stage = "showing the result"
        self._show(result)
        self._result = result
        self.status.finish(self._done_text(result, seconds))
        self.status.clear_error()
        return result

    def _report_error(self, exc: BaseException) -> None:
        self.status.show_error(exc, context=self._stage)
        self.status.finish("not simulated: the previous settings and plot are kept "
                           "(see the error below)", failed=True)

    def close(self) -> None:
        """Stop the worker and close every widget the bench made (layouts and styles too).

        Closing twice is harmless. A notebook cell that makes a bench of the same kind and
        name again closes the bench it made before by itself.
        """
        self.closed = True
        self._runner.close()
        close_tree(self._box)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(runs={self.runs}, busy={self.busy})"
