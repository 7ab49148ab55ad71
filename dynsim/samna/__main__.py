"""Run a samna board script on the emulator: ``python -m dynsim.samna script.py [args]``.

Installs the stand-in (:func:`dynsim.samna.install`), puts the script's folder first on
``sys.path`` (so helper files next to it, ``netgen.py``, ``dynapse1utils.py``, ..., are
found and import the stand-in), and runs the script as ``__main__``.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from dynsim.samna import install


def main(argv: list[str]) -> int:
    """Run ``argv[0]`` with the stand-in installed; return the exit status."""
    if not argv:
        sys.stderr.write("usage: python -m dynsim.samna script.py [args...]\n")
        return 2
    script = Path(argv[0])
    if not script.is_file():
        sys.stderr.write(f"no such script: {script}\n")
        return 2
    install()
    sys.argv = [str(script), *argv[1:]]
    sys.path.insert(0, str(script.resolve().parent))
    runpy.run_path(str(script), run_name="__main__")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
