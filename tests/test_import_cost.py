"""What the first plot imports (issue 15): heavy modules stay off a DYNAP-SE bench's path.

A fresh kernel imports Brian2 (its own cost, the floor), then ``dynsim.widgets`` for the bench
(and an exercise's checks). Nothing it does not need may come back on that path: the Loihi
emulator and its bench, the sweep machinery (Dask, pandas) and its plots, schemdraw, the
course tools. Each is imported where it is used, and the lazily re-exported names still work.
Matplotlib is not in the list: Brian2 itself imports it (``from pylab import *``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

#: Modules that must not be imported by the bench's and the checks' imports: top-level
#: packages (and their submodules), or dynsim modules by their full name.
HEAVY = ("dask", "distributed", "pandas", "schemdraw", "nbgrader", "papermill", "playwright",
         "dynsim.loihi", "dynsim.sweep", "dynsim.schematics", "dynsim.widgets.loihi",
         "dynsim.widgets.sweep_plots")

PROBE = textwrap.dedent(
    """
    import json, sys
    import brian2
    import dynsim.dynapse, dynsim.widgets, dynsim.checks, dynsim.checks.dynapse
    from dynsim.widgets import DynapseLab
    heavy = {heavy!r}
    loaded = sorted(m for m in sys.modules
                    if any(m == h or m.startswith(h + ".") for h in heavy))
    import dynsim
    version_read = "__version__" in vars(dynsim)
    # the lazy names, used: each imports its module and is the module's object
    from dynsim.widgets import LoihiLab, SweepProgress, demo_network, sweep_curve
    import dynsim.widgets.loihi, dynsim.widgets.sweep_plots
    same = (LoihiLab is dynsim.widgets.loihi.LoihiLab
            and sweep_curve is dynsim.widgets.sweep_plots.sweep_curve
            and SweepProgress is dynsim.widgets.sweep_plots.SweepProgress)
    network, neurons = demo_network(engine="numpy")[:2]
    network.run(5)
    from importlib.metadata import version
    try:
        getattr(dynsim.widgets, "NoSuchBench")
        missing = "no error"
    except AttributeError as exc:
        missing = str(exc)
    print(json.dumps({{"loaded": loaded, "version_read_at_import": version_read,
                      "same": same, "t_ms": float(network.t / brian2.ms),
                      "version": dynsim.__version__, "installed": version("dynsim"),
                      "missing": missing,
                      "all": sorted(set(dynsim.widgets.__all__) - set(dir(dynsim.widgets)))}}))
    """
)


@pytest.fixture(scope="module")
def probe(tmp_path_factory) -> dict:
    """Run the probe in a fresh interpreter (as a fresh kernel imports); return its report."""
    work = tmp_path_factory.mktemp("import-cost")
    out = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY)], cwd=work,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_bench_and_checks_import_nothing_heavy(probe):
    """``dynsim.widgets``, ``dynsim.dynapse`` and the DYNAP-SE checks load none of HEAVY."""
    assert probe["loaded"] == []


def test_version_is_read_when_asked_for(probe):
    """``dynsim.__version__`` is not read at import, and is the installed version when asked."""
    assert probe["version_read_at_import"] is False
    assert probe["version"] == probe["installed"]


def test_lazy_names_work_when_used(probe):
    """The lazily re-exported names are their modules' objects, and a Loihi network runs."""
    assert probe["same"] is True
    assert probe["t_ms"] == pytest.approx(5.0)  # 5 Loihi steps on the 1 ms clock
    assert probe["all"] == []  # every public name is listed by dir()


def test_unknown_name_is_an_attribute_error(probe):
    """A name that is neither defined nor lazily re-exported raises AttributeError, named."""
    assert "NoSuchBench" in probe["missing"]
    assert "dynsim.widgets" in probe["missing"]
