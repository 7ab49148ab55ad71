"""What every benchmark script does last: write its result to ``--json`` and hand it back.

The scripts run as ``python benchmarks/<script>.py`` (so this folder is on ``sys.path``);
``benchmarks/run.py`` reads the JSON each of them writes.
"""

from __future__ import annotations

import json
from typing import Any


def finish(result: dict[str, Any], json_path: str | None) -> dict[str, Any]:
    """Write ``result`` to ``json_path`` (indented JSON) when a path is given; return it."""
    if json_path:
        with open(json_path, "w") as f:
            json.dump(result, f, indent=1)
    return result
