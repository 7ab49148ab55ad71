"""Speed of a full emulated chip (printed, not asserted): benchmarks/dynapse_chip.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "dynapse_chip.py"


@pytest.mark.slow
def test_full_chip_one_second_in_cython(monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPT.parent))  # as when run as a script: its helpers
    spec = importlib.util.spec_from_file_location("dynapse_chip_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.run_benchmark(duration_s=1.0, engine="cython")
    print(f"\n[benchmark] full DYNAP-SE1 chip (1024 neurons x 64 inputs, 10 Hz Poisson, "
          f"dt 0.1 ms), Cython: build {result['build_s']:.1f} s, first 1 s run "
          f"{result['first_run_s']:.1f} s (compiles when cold), warm 1 s run "
          f"{result['warm_run_s']:.2f} s = {result['warm_run_s']:.2f} x real time "
          "(target < 1; the seed: ~16 s in Cython, ~100 s in numpy)")
    assert result["spikes"] >= 0
