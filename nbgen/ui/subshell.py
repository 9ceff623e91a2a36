"""Widget events while a cell blocks: a widget's messages handled on a kernel subshell.

A cell that blocks (``model.fit(...)``) keeps the kernel's main shell busy, so the messages a
browser sends when the user clicks Stop or moves a slider wait until the cell ends (ipywidgets
issue 3468). ipykernel 7 runs *subshells* (Jupyter enhancement proposal 91): threads of their own
that handle shell messages while the main shell runs a cell, and it routes a comm's messages to
the subshell its ``_reply_subshell_for`` names. So a widget routed here gets its events at once,
on the subshell's thread, whatever the main shell is doing; its handlers must then be
thread-safe (set a flag that the training loop reads; never touch Keras state).

``jupyter-ui-poll``, the library that processed widget events inside a blocking cell, calls
``kernel.do_one_iteration``, which ipykernel 7 no longer has (with ipykernel 7.4 it processes
nothing). This uses ipykernel's own routing instead; where a kernel has no subshells (ipykernel
6, other kernels), :func:`route` says so and nothing changes.
"""

from __future__ import annotations

import threading
from typing import Any

_LOCK = threading.Lock()
_SUBSHELL: dict[int, str] = {}  # one subshell per kernel object (id), made on first use


def _kernel() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return getattr(shell, "kernel", None)


def _subshell_id(kernel: Any, timeout: float = 5.0) -> str | None:
    """The id of nbgen's subshell in this kernel (made once), or None where there are none."""
    if not getattr(kernel, "_supports_kernel_subshells", False):
        return None
    channel = getattr(kernel, "shell_channel_thread", None)
    manager = getattr(channel, "manager", None)
    create = getattr(manager, "_create_subshell", None)
    loop = getattr(channel, "io_loop", None)
    if create is None or loop is None:
        return None
    with _LOCK:
        if id(kernel) in _SUBSHELL:
            return _SUBSHELL[id(kernel)]
        made: dict[str, Any] = {}
        done = threading.Event()

        def make() -> None:  # subshells are made on the shell channel's thread
            try:
                made["id"] = create()
            except Exception as exc:  # noqa: BLE001 - no subshell: events wait for the cell, as before
                made["error"] = exc
            finally:
                done.set()

        loop.add_callback(make)
        if not done.wait(timeout) or "id" not in made:
            return None
        _SUBSHELL[id(kernel)] = made["id"]
        return made["id"]


def route(*widgets: Any) -> bool:
    """Have these widgets' events handled on a subshell, so that they arrive while a cell
    blocks. True when they are; False where the kernel has no subshells (nothing changed)."""
    kernel = _kernel()
    if kernel is None:
        return False
    subshell = _subshell_id(kernel)
    if subshell is None:
        return False
    for widget in widgets:
        comm = getattr(widget, "comm", None)
        if comm is None or not hasattr(comm, "_reply_subshell_for"):
            return False
        # ipykernel asks each comm which subshell handles its messages (it remembers the subshell
        # of the comm's last message otherwise): this one always answers ours
        comm._reply_subshell_for = lambda data, default, _id=subshell: _id
    return True
