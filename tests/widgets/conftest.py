"""Fixtures of the widget tests: benches without a browser or a kernel.

ipywidgets and ``jupyter_bokeh.BokehModel`` work without a kernel (their comms are dummies),
so a test sets a control's ``value`` exactly as a front-end message would, and reads the
Experiment and the Bokeh data sources. Benches run on the numpy engine (``tests/conftest.py``
sets ``DYNSIM_ENGINE=numpy``) with short durations, except where a test asks for
``engine='standalone'``.
"""

from __future__ import annotations

import threading

import pytest
from brian2 import ms


@pytest.fixture
def make_lab(request):
    """Build ``DynapseLab`` objects (numpy engine, 100 ms) that are closed after the test."""
    from dynsim.widgets import DynapseLab

    labs = []

    def make(**kwargs):
        kwargs.setdefault("engine", "numpy")
        kwargs.setdefault("duration", 100 * ms)
        kwargs.setdefault("name", f"wt_{request.node.name.split('[')[0][5:40]}")
        lab = DynapseLab(**kwargs)
        labs.append(lab)
        assert lab.wait(120), "the first run did not finish"
        return lab

    yield make
    for lab in labs:
        lab.close()


@pytest.fixture
def labs():
    """Keep the benches a test makes (append them); close them afterwards."""
    made = []
    yield made
    for lab in made:
        lab.close()


@pytest.fixture
def thread_errors(monkeypatch):
    """Exceptions that escaped any thread during the test (must stay empty)."""
    seen = []
    monkeypatch.setattr(threading, "excepthook", lambda args: seen.append(args.exc_value))
    return seen
