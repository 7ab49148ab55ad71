"""``samna.device``: one emulated DYNAP-SE1 board to list, open and close; no USB, no socket.

``get_unopened_devices()`` lists one ``Dynapse1DevKit`` (until it is opened);
``open_device(info)`` returns a new :class:`~dynsim.dynapse.Dynapse1Model` (made with the
options of :func:`set_emulator_options`) in real-time mode, as a board is: a generator's
``start()`` runs it with the wall clock, so ``poisson_gen.start(); time.sleep(2);
sink.get_events()`` gives the spikes of those 2 s (:mod:`dynsim.dynapse.realtime`).
``close_device(model)`` stops its clock and puts the board back in the list.

Examples
--------
>>> reset_devices()
>>> [d.device_type_name for d in get_unopened_devices()]
['Dynapse1DevKit']
>>> model = open_device(get_unopened_devices()[0])
>>> get_unopened_devices(), len(get_opened_devices())
([], 1)
>>> close_device(model)
>>> len(get_unopened_devices())
1
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from dynsim.dynapse.model import Dynapse1Interface, Dynapse1Model
from dynsim.errors import SamnaStandInError
from dynsim.validation import flag

__all__ = [
    "DeviceInfo",
    "close_device",
    "get_opened_devices",
    "get_unopened_devices",
    "open_device",
    "reset_devices",
    "set_emulator_options",
]

#: Serial number of the emulated board.
SERIAL_NUMBER = "dynsim-emulator-0"


@dataclass(frozen=True)
class DeviceInfo:
    """What samna lists for a board: its type name and serial number."""

    device_type_name: str = "Dynapse1DevKit"
    serial_number: str = SERIAL_NUMBER
    usb_bus_number: int = 0
    usb_device_address: int = 0

    def __str__(self) -> str:
        return f"{self.device_type_name}:{self.serial_number} (dynsim emulator)"


_LOCK = threading.Lock()
_DEVICE = DeviceInfo()
_opened: dict[int, Dynapse1Model] = {}
_options: dict[str, Any] = {}
#: Whether :func:`open_device` gives a model in real-time mode (a board's behaviour).
_real_time = [True]


def set_emulator_options(*, real_time: bool = True, **options: Any) -> None:
    """Set the keyword arguments of the models :func:`open_device` makes.

    The keywords of :class:`~dynsim.dynapse.Dynapse1Model` (``dt``, ``engine``,
    ``mismatch``, ``seed``, ``name``); they are checked at once. ``real_time=False`` opens
    the board with the wall clock off: its generators then arm ``model.run(duration)``,
    for a notebook that wants exact simulated time instead of the board's behaviour.

    Raises
    ------
    dynsim.errors.InvalidSettingError, dynsim.errors.EngineError
        For a value ``Dynapse1Model`` refuses (the options are then unchanged).
    TypeError
        For an unknown keyword.
    """
    wall_clock = flag(real_time, "real_time")
    Dynapse1Model(**options)  # checks every option before any is kept
    with _LOCK:
        _options.clear()
        _options.update(options)
        _real_time[0] = wall_clock


def get_unopened_devices() -> list[DeviceInfo]:
    """Return the boards that can be opened: the emulated one unless it is open."""
    with _LOCK:
        return [] if _opened else [_DEVICE]


def get_opened_devices() -> list[DeviceInfo]:
    """Return the boards that are open."""
    with _LOCK:
        return [_DEVICE] if _opened else []


def open_device(device: Any) -> Dynapse1Model:
    """Open the emulated board and return its model.

    Raises
    ------
    dynsim.errors.SamnaStandInError
        When ``device`` is not an item of :func:`get_unopened_devices`, or the board is
        already open.
    """
    if not isinstance(device, DeviceInfo) or device != _DEVICE:
        raise SamnaStandInError(f"open_device takes an item of get_unopened_devices() (the "
                                f"emulated {_DEVICE.device_type_name}), got {device!r}")
    with _LOCK:
        if _opened:
            raise SamnaStandInError("the emulated Dynapse1DevKit is already open; close it "
                                    "with samna.device.close_device(model) first")
        model = Dynapse1Model(**_options)
        model.set_real_time_mode(_real_time[0])
        model._api = Dynapse1Interface(model, serial_number=_DEVICE.serial_number)
        _opened[id(model)] = model
    return model


def close_device(model: Any) -> None:
    """Close the board opened as ``model``.

    Raises
    ------
    dynsim.errors.SamnaStandInError
        When ``model`` is not the open board.
    """
    with _LOCK:
        if _opened.pop(id(model), None) is None:
            raise SamnaStandInError("close_device takes the model open_device returned; that "
                                    "board is not open")
    model.stop()  # the worker is joined: no spike arrives after the board is closed
    model.set_real_time_mode(False)


def reset_devices() -> None:
    """Forget every open board (for tests and a fresh notebook kernel state)."""
    with _LOCK:
        _opened.clear()
