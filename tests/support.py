"""Helpers shared by tests of several areas (``tests/`` is on ``sys.path``: its conftest.py).

* :func:`load_script` imports a script of the repository that is not a package module
  (``tasks.py``, ``exercises/build.py``, ``binder/warm_cache.py``).
* :func:`package_modules` and :func:`failed_doc_examples` run the examples in the docstrings
  of every module of a package (each area's doctest test).
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
from pathlib import Path
from types import ModuleType


def load_script(name: str, path: Path) -> ModuleType:
    """Import the file ``path`` as a module called ``name`` (not put in ``sys.modules``)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def package_modules(package: ModuleType) -> list[str]:
    """Return the names of ``package`` and of every module in it, in alphabetical order."""
    found = pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.")
    return [package.__name__, *sorted(info.name for info in found)]


def failed_doc_examples(name: str) -> int:
    """Run the examples in the docstrings of module ``name``; return how many failed."""
    return doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS).failed
