"""Lifecycle of the widgets a bench makes: closing all of them, and one bench per cell.

A bench is a tree of ipywidgets (boxes, sliders, their ``Layout`` and ``Style`` widgets, a
``BokehModel``). ipywidgets keeps every widget it made in a registry
(``ipywidgets.widgets.widget._instances``, ``Widget.widgets`` before 8.1) until ``close()``
is called on it, so closing only the boxes leaves their layouts and styles behind, and a
notebook cell run again and again leaks one whole bench per run. Two things prevent it:

* :func:`close_tree` closes a widget, every widget inside it (``children``) and every widget
  it refers to through a synced trait (``layout``, ``style`` ...);
* :func:`replace_in_cell` remembers the bench a notebook cell made (by the cell's id, sent by
  JupyterLab and Notebook 7 with each execution) and closes it when the same cell makes a
  bench of the same kind and name again.

Nothing here imports the other widget modules (no import cycle: ``_bokeh`` and ``bench`` both
use it).

Examples
--------
>>> from ipywidgets import HBox, IntSlider
>>> box = HBox([IntSlider()])
>>> before = registered_widgets()
>>> close_tree(box)
>>> before - registered_widgets()    # box, slider, their two layouts, the slider's style
5
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Hashable
from typing import Any, Protocol

from ipywidgets import Widget

__all__ = ["close_tree", "current_cell", "in_kernel", "registered_widgets", "replace_in_cell"]


def registered_widgets() -> int:
    """Return how many widgets ipywidgets keeps registered (open, not yet closed)."""
    from ipywidgets.widgets import widget as _widget_module

    return len(_widget_module._instances)


def in_kernel() -> bool:
    """Return whether this code runs inside a Jupyter kernel (a front-end may be attached)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - ipykernel depends on IPython
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def current_cell() -> str | None:
    """Return the id of the notebook cell being executed, or ``None`` when unknown.

    JupyterLab and Notebook 7 send it as ``metadata.cellId`` of each execute request. Outside
    a kernel (scripts, tests), or with a front-end that does not send it, ``None``.

    Examples
    --------
    >>> current_cell() is None      # a plain Python process
    True
    """
    if not in_kernel():
        return None
    from IPython import get_ipython

    try:
        parent = get_ipython().kernel.get_parent()
    except Exception:  # older ipykernel: no get_parent (no cell ids then)
        return None
    metadata = parent.get("metadata") if isinstance(parent, dict) else None
    cell = metadata.get("cellId") if isinstance(metadata, dict) else None
    return cell if isinstance(cell, str) and cell else None


def _widgets_in(value: Any) -> list[Widget]:
    if isinstance(value, Widget):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, Widget)]
    return []


def close_tree(widget: Widget) -> None:
    """Close ``widget`` and every widget inside it or referred to by its traits.

    Children, ``layout`` and ``style`` (and any other synced trait holding widgets) are
    closed too, so nothing of the tree stays in ipywidgets' registry. Closing twice is
    harmless.
    """
    seen: set[int] = set()
    stack = [widget]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        for name in getattr(item, "keys", ()):
            if name.startswith("_"):
                continue
            try:
                value = getattr(item, name)
            except Exception:  # a trait that cannot be read any more
                continue
            stack.extend(_widgets_in(value))
        if getattr(item, "comm", None) is not None:  # not closed yet (BokehModel minds twice)
            item.close()


class _Closable(Protocol):
    def close(self) -> None: ...


_LOCK = threading.Lock()
_BY_CELL: dict[Hashable, weakref.ref[Any]] = {}


def replace_in_cell(kind: str, name: str, bench: _Closable,
                    cell: str | None = None) -> Hashable | None:
    """Close the bench of ``kind`` and ``name`` made earlier by this cell; remember ``bench``.

    Parameters
    ----------
    kind : str
        The bench's class name.
    name : str
        The bench's name.
    bench : object with ``close()``
        The new bench (kept by weak reference only).
    cell : str, optional
        The cell's id (default: :func:`current_cell`). Without one nothing is closed.

    Returns
    -------
    hashable or None
        The key under which ``bench`` is remembered (``None`` without a cell id).

    Examples
    --------
    >>> class Thing:
    ...     closed = False
    ...     def close(self): self.closed = True
    >>> first, second = Thing(), Thing()
    >>> _ = replace_in_cell("Thing", "a", first, cell="cell-1")
    >>> _ = replace_in_cell("Thing", "a", second, cell="cell-1")
    >>> first.closed, second.closed
    (True, False)
    """
    cell = current_cell() if cell is None else cell
    if cell is None:
        return None
    key = (cell, kind, name)
    with _LOCK:
        previous = _BY_CELL.get(key)
        _BY_CELL[key] = weakref.ref(bench)
        for stale in [k for k, ref in _BY_CELL.items() if ref() is None]:
            del _BY_CELL[stale]
    old = previous() if previous is not None else None
    if old is not None and old is not bench:
        old.close()
    return key
