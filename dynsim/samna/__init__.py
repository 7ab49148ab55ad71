"""A samna stand-in: samna's names over dynsim's emulated DYNAP-SE1.

Scripts written for a DYNAP-SE1 board with SynSense's samna and INI's tutorial helpers run on
the emulator after one line::

    import dynsim.samna; dynsim.samna.install()   # now `import samna` gives this package
    import samna
    import samna.dynapse1 as dyn1

The helper files users copy from the tutorials (``netgen.py``, ``dynapse1utils.py``, ...)
``import samna`` themselves: after :func:`install` they get the stand-in as well, with no
``.pth`` file. To run an unchanged board script, ``python -m dynsim.samna script.py``
installs the stand-in and runs it (the script's folder first on ``sys.path``, so its helper
files are found). dynsim's own helpers are :mod:`dynsim.dynapse.netgen` and
:mod:`dynsim.dynapse.dynapse1utils`.

What is here: :mod:`dynsim.samna.dynapse1` (data classes, model, generators, events),
:mod:`dynsim.samna.graph` (``EventFilterGraph``, ``"Dynapse1NeuronSelect"``),
:mod:`dynsim.samna.device` (one emulated ``Dynapse1DevKit``),
:class:`BasicSinkNode_dynapse1_dynapse1_event`, and the node set-up calls of
``dynapse1utils.open_device`` (:class:`SamnaNode`, :func:`setup_local_node`,
:func:`open_remote_node`), which record their arguments and open no socket. docs/samna.md
maps every name to dynsim's and says what differs.

Examples
--------
>>> import sys
>>> import dynsim.samna
>>> dynsim.samna.install()
>>> import samna.dynapse1 as dyn1
>>> dyn1.Dynapse1Model is dynsim.samna.dynapse1.Dynapse1Model
True
>>> dynsim.samna.uninstall()
>>> "samna" in sys.modules
False
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

from dynsim.dynapse.events import BasicSinkNode
from dynsim.errors import SamnaStandInError
from dynsim.samna import device, dynapse1, graph
from dynsim.validation import identifier, whole_number

__all__ = [
    "BasicSinkNode_dynapse1_dynapse1_event",
    "BufferSinkNode_dynapse1_dynapse1_event",
    "SamnaNode",
    "device",
    "dynapse1",
    "graph",
    "install",
    "installed",
    "open_remote_node",
    "setup_local_node",
    "uninstall",
]

#: The module names :func:`install` puts in ``sys.modules``, and what they resolve to.
_SUBMODULES = {"dynapse1": dynapse1, "graph": graph, "device": device}


class BasicSinkNode_dynapse1_dynapse1_event(BasicSinkNode):
    """samna's sink node of DYNAP-SE1 events: ``get_events()`` returns and clears them.

    dynsim's :class:`~dynsim.dynapse.events.BasicSinkNode` with ``get_buf``, the name older
    tutorials use for ``get_events``.
    """

    def get_buf(self) -> list[Any]:
        """Return the events received since the last call (older name of get_events)."""
        return self.get_events()


#: samna's buffering sink of the older tutorials (read with ``get_buf``): the same node here.
BufferSinkNode_dynapse1_dynapse1_event = BasicSinkNode_dynapse1_dynapse1_event


def _endpoint(value: object, name: str) -> str:
    if not isinstance(value, str) or len(value) > 256:
        raise SamnaStandInError(f"{name} must be an endpoint string such as "
                                f"'tcp://0.0.0.0:33336', got {value!r:.80}")
    return value


class SamnaNode:
    """samna's node that serves the devices; the stand-in records its endpoints only.

    Parameters
    ----------
    sender_endpoint, receiver_endpoint : str
        Endpoints (e.g. ``'tcp://0.0.0.0:33336'``); no socket is opened.
    node_id : int
        The node's id (0..255).
    """

    def __init__(self, sender_endpoint: str, receiver_endpoint: str, node_id: int) -> None:
        self._sender = _endpoint(sender_endpoint, "sender_endpoint")
        self._receiver = _endpoint(receiver_endpoint, "receiver_endpoint")
        self.node_id = whole_number(node_id, "node_id", low=0, high=255,
                                    error=SamnaStandInError)

    def get_sender_endpoint(self) -> str:
        """Return the sender endpoint given."""
        return self._sender

    def get_receiver_endpoint(self) -> str:
        """Return the receiver endpoint given."""
        return self._receiver


#: What :func:`setup_local_node` recorded (the stand-in opens nothing).
local_node: dict[str, Any] = {}


def setup_local_node(receiver_endpoint: str, sender_endpoint: str, node_id: int) -> None:
    """Set up the Python interpreter's node (recorded; no socket is opened)."""
    values = {"receiver_endpoint": _endpoint(receiver_endpoint, "receiver_endpoint"),
              "sender_endpoint": _endpoint(sender_endpoint, "sender_endpoint"),
              "node_id": whole_number(node_id, "node_id", low=0, high=255,
                                      error=SamnaStandInError)}
    local_node.clear()
    local_node.update(values)


class _RemoteNode:
    """A remote node opened by :func:`open_remote_node` (the device node is ``device``)."""

    def __init__(self, node_id: int, name: str) -> None:
        self.node_id, self.name = node_id, name

    def __repr__(self) -> str:
        return f"<remote node {self.name!r} (id {self.node_id}, dynsim stand-in)>"


def open_remote_node(node_id: int, name: str) -> None:
    """Open a connection to a remote node; it becomes ``samna.<name>`` (no socket)."""
    number = whole_number(node_id, "node_id", low=0, high=255, error=SamnaStandInError)
    label = identifier(name, "remote node name", error=SamnaStandInError)
    if label in __all__ or label.startswith("_"):
        raise SamnaStandInError(f"{label!r} is a name of the samna module itself; choose "
                                "another remote node name")
    globals()[label] = _RemoteNode(number, label)


def _module_path(module: ModuleType) -> str:
    return str(getattr(module, "__file__", None) or getattr(module, "__path__", "?"))


def installed() -> bool:
    """Whether ``import samna`` gives this stand-in."""
    return sys.modules.get("samna") is sys.modules[__name__]


def install() -> None:
    """Make ``import samna`` (and ``samna.dynapse1``, ``.graph``, ``.device``) give the stand-in.

    Call it before the first ``import samna`` of the session (and before importing helper
    files such as ``netgen.py`` that import samna). Calling it again is harmless.

    Raises
    ------
    dynsim.errors.SamnaStandInError
        When a real samna is already imported (``sys.modules`` is then unchanged): restart
        the Python kernel and call ``install()`` first.
    """
    this = sys.modules[__name__]
    current = sys.modules.get("samna")
    if current is not None and current is not this:
        raise SamnaStandInError(
            f"a samna package is already imported ({_module_path(current)}); the dynsim "
            "stand-in will not replace it. Restart the Python kernel and call "
            "dynsim.samna.install() before the first 'import samna'.")
    sys.modules["samna"] = this
    for name, module in _SUBMODULES.items():
        sys.modules[f"samna.{name}"] = module


def uninstall() -> None:
    """Undo :func:`install` (only entries that point at the stand-in are removed)."""
    this = sys.modules[__name__]
    if sys.modules.get("samna") is this:
        del sys.modules["samna"]
    for name, module in _SUBMODULES.items():
        if sys.modules.get(f"samna.{name}") is module:
            del sys.modules[f"samna.{name}"]
