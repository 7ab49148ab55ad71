"""The latest-wins runner and the bench base, without any chip."""

from __future__ import annotations

import contextvars
import threading
import time

import pytest
from dynsim.widgets import Bench, DirectHost, LatestWinsRunner, StatusArea, simulation_lock


def test_requests_merge_while_the_worker_is_held():
    seen = []
    runner = LatestWinsRunner(lambda changes: seen.append(changes) or len(seen))
    try:
        with simulation_lock():  # the worker waits for the lock; requests merge meanwhile
            for value in range(20):
                runner.request({"fine": value})
            runner.request({"coarse": 3})
            assert runner.busy
        assert runner.wait(10)
        assert seen == [{"fine": 19, "coarse": 3}]
        assert (runner.runs, runner.requests) == (1, 21)
    finally:
        runner.close()


def test_a_request_during_a_run_gives_exactly_one_more_run():
    started, release = threading.Event(), threading.Event()
    seen = []

    def job(changes):
        seen.append(changes)
        if len(seen) == 1:
            started.set()
            release.wait(10)

    runner = LatestWinsRunner(job)
    try:
        runner.request({"x": 0})
        assert started.wait(10)
        for value in range(1, 50):  # a drag while the first simulation runs
            runner.request({"x": value})
        release.set()
        assert runner.wait(10)
        assert seen == [{"x": 0}, {"x": 49}]
    finally:
        runner.close()


def test_errors_are_reported_and_the_worker_goes_on():
    reported = []

    def job(changes):
        if changes.get("bad"):
            raise ValueError("bad value")
        return "ok"

    runner = LatestWinsRunner(job, on_error=reported.append)
    try:
        bad = runner.wait_ticket(runner.request({"bad": True}), 10)
        assert isinstance(bad.error, ValueError) and bad.result is None
        good = runner.wait_ticket(runner.request({"bad": False}), 10)
        assert good.error is None and good.result == "ok"
        assert [str(e) for e in reported] == ["bad value"] and runner.failures == 1
    finally:
        runner.close()


def test_an_idle_worker_ends_and_restarts():
    runner = LatestWinsRunner(lambda changes: None, idle_exit=0.05)
    try:
        runner.request()
        assert runner.wait(10)
        time.sleep(0.3)
        assert not any(t.name == "dynsim-bench" and t.is_alive() for t in threading.enumerate()
                       if t is runner._thread)
        assert runner._thread is None
        runner.request()
        assert runner.wait(10) and runner.runs == 2
    finally:
        runner.close()
    with pytest.raises(RuntimeError, match="closed"):
        runner.request()


class Counter(Bench):
    """A toy bench: the model is a number; a run doubles it."""

    def __init__(self):
        super().__init__(name="counter")
        self.value = 1
        self.shown = []
        self.set_children([self.status.line, self.status.error])

    def _snapshot(self):
        return self.value

    def _restore(self, value):
        self.value = value

    def _apply(self, changes):
        value = changes.get("value", self.value)
        if value < 0:
            raise ValueError("value must be >= 0")
        self.value = value

    def _simulate(self):
        if self.value == 13:
            raise RuntimeError("unlucky number: the simulation failed")
        return 2 * self.value

    def _show(self, result):
        self.shown.append(result)


def test_bench_shows_errors_keeps_state_and_clears_on_the_next_good_run(thread_errors):
    bench = Counter()
    try:
        assert bench.run(10) == 2
        bench.request({"value": 5})
        assert bench.wait(10) and bench.result == 10 and bench.error_text == ""
        bench.request({"value": -1})  # rejected while applying
        assert bench.wait(10)
        assert bench.value == 5 and bench.result == 10 and bench.shown[-1] == 10
        assert bench.error_text == "ValueError: value must be >= 0"
        assert "traceback" in bench.status.error.value and "<details>" in bench.status.error.value
        assert "previous settings" in bench.status.text
        with pytest.raises(RuntimeError, match="unlucky"):  # fails while simulating
            bench.request({"value": 13})
            bench.run(10)
        assert bench.value == 5 and bench.result == 10  # restored from the snapshot
        bench.request({"value": 6})
        assert bench.wait(10) and bench.result == 12
        assert bench.error_text == "" and bench.status.error.value == ""
        assert bench.failures == 2 and thread_errors == []
    finally:
        bench.close()


def test_guarded_observers_report_instead_of_raising():
    bench = Counter()
    try:
        def broken(change):
            raise KeyError("no such control")

        bench.guard(broken)({"new": 1})  # no exception reaches the caller (the kernel)
        assert bench.error_text == "KeyError: 'no such control'"
        with bench.quiet():
            assert bench.request({"value": 3}) == 0  # quiet: programmatic changes ask nothing
        assert bench.requests == 0
    finally:
        bench.close()


def test_direct_host_applies_at_once_and_resyncs_on_error():
    state = {"x": 1}
    synced = []

    def apply(changes):
        if changes["x"] < 0:
            raise ValueError("x must be >= 0")
        state.update(changes)

    host = DirectHost(apply, lambda: synced.append(dict(state)), lambda c: f"x = {c['x']}")
    host.request({"x": 4})
    assert state == {"x": 4} and host.status.text == "x = 4"
    host.request({"x": -4})
    assert state == {"x": 4} and synced == [{"x": 4}]
    assert host.status.error_text == "ValueError: x must be >= 0"


def test_status_shows_elapsed_time_of_long_runs():
    status = StatusArea()
    status.begin("simulating 10 s …")
    time.sleep(1.3)
    assert status.text.startswith("simulating 10 s … ") and status.text.endswith(" s")
    status.progress(0.5)
    assert status.bar.layout.display == "" and status.bar.value == 0.5
    status.finish("done")
    assert status.text == "done" and status.bar.layout.display == "none" and not status.busy


#: Stands in for ipykernel's ``_shell_parent``: ipykernel 7.0 (Binder's pin) reads it without
#: a fallback in every comm message, so a thread that cannot see it cannot update a widget.
SHELL_PARENT = contextvars.ContextVar("shell_parent")


def test_the_worker_sees_the_kernel_context_of_the_request():
    token = SHELL_PARENT.set({"msg_id": "cell-1"})
    try:
        runner = LatestWinsRunner(lambda changes: SHELL_PARENT.get()["msg_id"])
        try:
            outcome = runner.wait_ticket(runner.request({"x": 1}), 10)
            assert outcome is not None and outcome.error is None
            assert outcome.result == "cell-1"
        finally:
            runner.close()
    finally:
        SHELL_PARENT.reset(token)


def test_the_status_ticker_sees_the_kernel_context():
    """The elapsed-time ticker updates a widget from its own thread, too."""
    seen = []

    class Area(StatusArea):
        def _tick(self):
            seen.append(SHELL_PARENT.get(None))
            return super()._tick()

    from dynsim.widgets.bench import _TICKER

    deadline = time.monotonic() + 5  # a ticker of an earlier test ends 0.5 s after its run
    while _TICKER._thread is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    token = SHELL_PARENT.set("cell-2")
    try:
        area = Area()
        area.begin("simulating …")
        time.sleep(1.2)
        area.finish("done")
    finally:
        SHELL_PARENT.reset(token)
    assert seen and set(seen) == {"cell-2"}
